//! How fast the book's whole network (784-50-100-10) can be on this CPU one image at a time:
//! the products of its three layers alone, against `classify` as `converter eval` runs it.
//! Per image of the test set:
//!
//! - `classify`: `converter::vector::classify` with `converter::model_kernels`, as
//!   `timing each` times it (the issue 7 figure);
//! - `arithmetic`: the three matrix products alone, in the runtime's rounding (multiply, then
//!   add, inputs in order), from weight rows padded to whole 64-byte vectors and aligned; the
//!   non-zero pixels are listed beforehand, untimed; no bias, activation or class;
//! - `fused`: the same with fused multiply-adds (other rounding);
//! - `fused, split`: fused, and the second and third layers' sums split over 2 and 4
//!   independent chains (another order too: the loosest arithmetic of the three);
//! - the same three in 256-bit vectors, which some CPUs run on more units than 512-bit ones.
//!
//! Each round runs every method once over the test set; prints medians of the rounds in µs
//! per image. Before timing, it checks that these rows, with each layer's bias and sigmoid,
//! give `classify`'s class for every image. A per-image time below `arithmetic` is out of
//! reach of this way of computing the network (the non-zero pixels' rows, in the runtime's
//! rounding), whatever the rest of the code does; below the fastest line, of every rounding
//! and order tried here. On the machine of issue 7 (41 rounds): `classify` 0.78,
//! `arithmetic` 0.55, `fused, split` 0.46 µs.
//!
//! `cargo run --release -p tests --example network_bound -- [ROUNDS]`

use std::time::Instant;

use converter::model_kernels::ModelKernels;
use converter::vector;
use runtime::{Activation, Dataset, Input, Model, Params, Runner, softmax};
use tests::{book_model, median, mnist_test};

/// One layer's weight row padded to `W` floats, aligned as a cache line.
#[repr(align(64))]
#[derive(Clone, Copy)]
struct Row<const W: usize>([f32; W]);

/// The book's layers' rows, padded: 50 outputs to 64, 100 to 112, 10 to 16; and their
/// biases, padded alike.
struct Rows {
    first: Vec<Row<64>>,
    second: Vec<Row<112>>,
    third: Vec<Row<16>>,
    biases: (Row<64>, Row<112>, Row<16>),
}

#[derive(Clone, Copy, PartialEq)]
enum Arithmetic {
    Exact,
    Fused,
    FusedSplit,
}

fn padded<const W: usize>(weights: &[f32], outputs: usize) -> Vec<Row<W>> {
    assert!(outputs <= W);
    weights
        .chunks_exact(outputs)
        .map(|w| {
            let mut row = [0.0; W];
            row[..outputs].copy_from_slice(w);
            Row(row)
        })
        .collect()
}

/// The book's class of `image` from `arithmetic`'s exact products (its non-zero pixels
/// `nonzero`), each layer's bias added after them and sigmoid applied as the runtime does,
/// then softmax and argmax: checked against `classify` on every image, so that the rows
/// timed are the network's.
fn reference_class(image: &[u8], nonzero: &[u16], rows: &Rows) -> usize {
    let first = biased_sigmoid(first_layer(image, nonzero, rows, false), &rows.biases.0, 50);
    let second = biased_sigmoid(
        product(&first[..50], &rows.second, false),
        &rows.biases.1,
        100,
    );
    let mut third = product(&second[..100], &rows.third, false);
    for (t, &b) in third.iter_mut().zip(&rows.biases.2.0) {
        *t += b;
    }
    let probabilities = &mut third[..10];
    softmax::softmax(probabilities);
    softmax::argmax(probabilities).unwrap_or(0)
}

/// `sigmoid(sums + bias)` over the first `outputs` values, as the runtime applies it.
#[inline(always)]
fn biased_sigmoid<const W: usize>(mut sums: [f32; W], bias: &Row<W>, outputs: usize) -> [f32; W] {
    for (s, &b) in sums.iter_mut().zip(&bias.0) {
        *s += b;
    }
    Activation::Sigmoid.apply(&mut sums[..outputs]);
    sums
}

/// `sums += x * row` in the given rounding.
#[inline(always)]
fn add_row<const W: usize>(sums: &mut [f32; W], x: f32, row: &Row<W>, fused: bool) {
    if fused {
        for (s, &w) in sums.iter_mut().zip(&row.0) {
            *s = x.mul_add(w, *s);
        }
    } else {
        for (s, &w) in sums.iter_mut().zip(&row.0) {
            *s += x * w;
        }
    }
}

/// `Σ x[i] · rows[i]`, inputs in order.
#[inline(always)]
fn product<const W: usize>(x: &[f32], rows: &[Row<W>], fused: bool) -> [f32; W] {
    let mut sums = [0.0f32; W];
    for (&x, row) in x.iter().zip(rows) {
        add_row(&mut sums, x, row, fused);
    }
    sums
}

/// The first layer's sums: the rows of the non-zero pixels `nonzero` of `image`, scaled.
#[inline(always)]
fn first_layer(image: &[u8], nonzero: &[u16], rows: &Rows, fused: bool) -> [f32; 64] {
    let mut sums = [0.0f32; 64];
    for &i in nonzero {
        let i = usize::from(i);
        add_row(&mut sums, image[i].to_f32(), &rows.first[i], fused);
    }
    sums
}

/// `Σ x[i] · rows[i]`, fused, over `C` independent partial sums (inputs `i ≡ c` mod `C`, of
/// which `x` holds a whole number of rounds), then added pairwise: `(a + b) + (c + d)`.
#[inline(always)]
fn product_split<const W: usize, const C: usize>(x: &[f32], rows: &[Row<W>]) -> [f32; W] {
    assert!(C.is_power_of_two() && x.len().is_multiple_of(C));
    let mut partial = [[0.0f32; W]; C];
    for (x, rows) in x.chunks_exact(C).zip(rows.chunks_exact(C)) {
        for ((sums, &x), row) in partial.iter_mut().zip(x).zip(rows) {
            add_row(sums, x, row, true);
        }
    }
    let mut step = 1;
    while step < C {
        for pair in partial.chunks_exact_mut(2 * step) {
            let (low, high) = pair.split_at_mut(step);
            for (a, &b) in low[0].iter_mut().zip(&high[0]) {
                *a += b;
            }
        }
        step *= 2;
    }
    partial[0]
}

/// The three products on the CPU's widest vector units.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma+bmi1+bmi2+lzcnt+popcnt",
    "x86_64+avx2+fma+bmi1+bmi2+lzcnt+popcnt"
))]
fn widest(image: &[u8], nonzero: &[u16], rows: &Rows, arithmetic: Arithmetic) -> [f32; 16] {
    products(image, nonzero, rows, arithmetic)
}

/// The three products in 256-bit vectors: on CPUs with one 512-bit multiply-add unit, two
/// 256-bit ones may do as much work a cycle.
#[multiversion::multiversion(targets("x86_64+avx2+fma+bmi1+bmi2+lzcnt+popcnt"))]
fn narrow(image: &[u8], nonzero: &[u16], rows: &Rows, arithmetic: Arithmetic) -> [f32; 16] {
    products(image, nonzero, rows, arithmetic)
}

#[inline(always)]
fn products(image: &[u8], nonzero: &[u16], rows: &Rows, arithmetic: Arithmetic) -> [f32; 16] {
    let fused = arithmetic != Arithmetic::Exact;
    let first = first_layer(image, nonzero, rows, fused);
    if arithmetic == Arithmetic::FusedSplit {
        let second = product_split::<112, 2>(&first[..50], &rows.second);
        product_split::<16, 4>(&second[..100], &rows.third)
    } else {
        let second = product(&first[..50], &rows.second, fused);
        product(&second[..100], &rows.third, fused)
    }
}

/// What a line of the table times.
enum Method {
    Classify,
    Products(
        fn(&[u8], &[u16], &Rows, Arithmetic) -> [f32; 16],
        Arithmetic,
    ),
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let params = |layer: usize| {
        let Params::F32 { weights, bias } = model.layers()[layer].params() else {
            panic!("the book's network is f32");
        };
        (weights, bias)
    };
    let rows = Rows {
        first: padded(params(0).0, 50),
        second: padded(params(1).0, 100),
        third: padded(params(2).0, 10),
        biases: (
            padded(params(0).1, 50)[0],
            padded(params(1).1, 100)[0],
            padded(params(2).1, 10)[0],
        ),
    };
    let images: Vec<&[u8]> = dataset.images().chunks_exact(dataset.image_len()).collect();
    let lists: Vec<Vec<u16>> = images
        .iter()
        .map(|image| {
            (0..784u16)
                .filter(|&i| image[usize::from(i)] != 0)
                .collect()
        })
        .collect();
    let mut runner = Runner::<100>::new(&model)
        .unwrap()
        .with_kernels(ModelKernels::new(&model));
    for (i, (image, list)) in images.iter().zip(&lists).enumerate() {
        assert_eq!(
            reference_class(image, list, &rows),
            vector::classify(&mut runner, image).unwrap(),
            "image {i}: the padded rows are not the network's"
        );
    }
    let methods = [
        ("classify", Method::Classify),
        ("arithmetic", Method::Products(widest, Arithmetic::Exact)),
        ("fused", Method::Products(widest, Arithmetic::Fused)),
        (
            "fused, split",
            Method::Products(widest, Arithmetic::FusedSplit),
        ),
        (
            "arithmetic, 256-bit",
            Method::Products(narrow, Arithmetic::Exact),
        ),
        (
            "fused, 256-bit",
            Method::Products(narrow, Arithmetic::Fused),
        ),
        (
            "fused, split, 256-bit",
            Method::Products(narrow, Arithmetic::FusedSplit),
        ),
    ];
    let mut samples = vec![Vec::new(); methods.len()];
    let mut sink = 0.0f32;
    for round in 0..=rounds {
        for ((_, method), samples) in methods.iter().zip(&mut samples) {
            let start = Instant::now();
            for (image, list) in images.iter().zip(&lists) {
                let image = std::hint::black_box(*image);
                sink += match method {
                    Method::Classify => vector::classify(&mut runner, image).unwrap() as f32,
                    Method::Products(f, a) => std::hint::black_box(f(image, list, &rows, *a))[0],
                };
            }
            if round > 0 {
                samples.push(start.elapsed().as_secs_f64() / images.len() as f64);
            }
        }
    }
    println!("medians of {rounds} rounds over the 10000 test images, µs per image");
    for ((name, _), samples) in methods.iter().zip(samples) {
        println!("{name:22} {:.3}", median(samples) * 1e6);
    }
    std::hint::black_box(sink);
}
