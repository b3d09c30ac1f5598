//! How fast the book's first layer (784 → 50) can be on this CPU, one image at a time, against
//! what the runtime does. Per image of the test set:
//!
//! - `runtime`: the runtime's single-image first layer (`dense_blocks`, zero pixels skipped),
//!   compiled for the CPU's widest vector units as `converter eval` runs it;
//! - `arithmetic`: the arithmetic alone. The non-zero pixels are listed beforehand, untimed;
//!   each scales its weight row, padded to 64 floats and 64-byte aligned, into 64 sums
//!   (multiply, then add: the runtime's rounding);
//! - `fused`: the same with fused multiply-adds (other rounding: not something the runtime
//!   may do, a bound).
//!
//! Prints medians of 15 runs: µs per image and cycles per non-zero pixel at the clock given
//! (default 3.84 GHz). On the machine of issue 7 (AVX-512, 151 non-zero pixels per image):
//! 0.79, 0.37 and 0.30 µs. The gap between the first two is finding the non-zero pixels
//! (data-dependent branches) and reading rows 50 floats apart; listing them with AVX-512
//! VBMI2's compress instead measured 0.55 µs on unpadded rows, 0.47 on padded ones.
//!
//! `cargo run --release -p tests --example first_layer_bound -- [GHZ]`

use std::time::Instant;

use runtime::{Dataset, Model, Params};
use tests::{book_model, median, mnist_test};

/// A weight row padded to 64 floats, aligned as a cache line.
#[repr(align(64))]
#[derive(Clone, Copy)]
struct Row([f32; 64]);

#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma+bmi1+bmi2+lzcnt+popcnt",
    "x86_64+avx2+fma+bmi1+bmi2+lzcnt+popcnt"
))]
fn runtime_layer(image: &[u8], weights: &[f32], bias: &[f32], out: &mut [f32]) {
    runtime::dense::dense_blocks(image, weights, bias, out, true);
}

#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma+bmi1+bmi2+lzcnt+popcnt",
    "x86_64+avx2+fma+bmi1+bmi2+lzcnt+popcnt"
))]
fn arithmetic(image: &[u8], nonzero: &[u16], rows: &[Row], fused: bool) -> [f32; 64] {
    let mut sums = [0.0f32; 64];
    for &i in nonzero {
        let i = usize::from(i);
        let x = runtime::Input::to_f32(image[i]);
        if fused {
            for (s, &w) in sums.iter_mut().zip(&rows[i].0) {
                *s = x.mul_add(w, *s);
            }
        } else {
            for (s, &w) in sums.iter_mut().zip(&rows[i].0) {
                *s += x * w;
            }
        }
    }
    sums
}

fn main() {
    let ghz: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3.84);
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let first = &model.layers()[0];
    let Params::F32 { weights, bias } = first.params() else {
        panic!("the book's network is f32");
    };
    let (inputs, outputs) = (first.inputs(), first.outputs());
    assert!(outputs <= 64);
    let rows: Vec<Row> = weights
        .chunks_exact(outputs)
        .map(|w| {
            let mut row = [0.0; 64];
            row[..outputs].copy_from_slice(w);
            Row(row)
        })
        .collect();
    let images: Vec<&[u8]> = dataset.images().chunks_exact(inputs).collect();
    let lists: Vec<Vec<u16>> = images
        .iter()
        .map(|image| {
            (0..inputs as u16)
                .filter(|&i| image[usize::from(i)] != 0)
                .collect()
        })
        .collect();
    let pixels = lists.iter().map(Vec::len).sum::<usize>() as f64 / images.len() as f64;

    let mut out = vec![0.0f32; outputs];
    let mut sink = 0.0f32;
    println!("{pixels:.0} non-zero pixels per image on average; {ghz} GHz assumed");
    for method in ["runtime", "arithmetic", "fused"] {
        let seconds = median(
            (0..15)
                .map(|_| {
                    let start = Instant::now();
                    for (image, list) in images.iter().zip(&lists) {
                        let image = std::hint::black_box(*image);
                        match method {
                            "runtime" => runtime_layer(image, weights, bias, &mut out),
                            m => out[0] = arithmetic(image, list, &rows, m == "fused")[0],
                        }
                        sink += out[0];
                    }
                    start.elapsed().as_secs_f64()
                })
                .collect(),
        );
        let per_image = seconds / images.len() as f64;
        println!(
            "{method:10} {:.3} µs per image, {:.1} cycles per non-zero pixel",
            per_image * 1e6,
            per_image * ghz * 1e9 / pixels
        );
    }
    std::hint::black_box(sink);
}
