//! Times the runtime on the workloads of `bench/numpy_ratio.py` and prints one JSON object
//! of median seconds: `one_image` (image 0 classified 1000 times), `batch_10000`,
//! `batches_of_100` on the CPU's vector units as `converter eval` runs (`converter::vector`),
//! and `one_image_portable` with the runtime's portable build, for comparison.
//!
//! `cargo run --release -p tests --example timing -- [RUNS]`
//!
//! Two more commands each time one workload of `bench/compare.py` once, right after an
//! untimed run, as that script times numpy and ONNX Runtime:
//! - `eval THREADS [int8]`: `converter eval`'s evaluation of the test set
//!   (`converter::evaluate::evaluate_threads`), of the book's network or (`int8`) its int8
//!   quantization as `converter model --precision int8` makes it; prints
//!   `{"seconds": .., "correct": .., "threads": ..}`.
//! - `each [int8]`: every test image classified in its own call (`converter::vector::classify`,
//!   with the kernels `converter eval` has, `converter::model_kernels`); prints
//!   `{"seconds": .., "correct": ..}`, seconds for all the images.

use std::path::Path;
use std::time::Instant;

use converter::evaluate::evaluate_threads;
use converter::model_kernels::ModelKernels;
use converter::vector;
use runtime::{Dataset, Model, Runner};
use tests::{book_model, book_model_int8, median, mnist_test};

fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// `converter eval` on `threads` threads, warm: the second of two runs.
fn eval(model: &Model<'_>, dataset: &Dataset<'_>, threads: &str) {
    let threads = threads.parse().expect("eval THREADS: a number above 0");
    let (m, d) = (Path::new("model"), Path::new("dataset"));
    evaluate_threads(model, dataset, m, d, threads).unwrap();
    let e = evaluate_threads(model, dataset, m, d, threads).unwrap();
    println!(
        "{{\"seconds\": {:e}, \"correct\": {}, \"threads\": {}}}",
        e.elapsed.as_secs_f64(),
        e.correct,
        e.threads
    );
}

/// Every test image in its own `classify` call, warm: the second of two passes.
fn each(model: &Model<'_>, dataset: &Dataset<'_>) {
    let mut runner = Runner::<100>::new(model)
        .unwrap()
        .with_kernels(ModelKernels::new(model));
    let mut pass = || {
        let start = Instant::now();
        let correct = dataset
            .images()
            .chunks_exact(dataset.image_len())
            .zip(dataset.labels())
            .filter(|(image, label)| {
                let image = std::hint::black_box(*image);
                vector::classify(&mut runner, image).unwrap() == usize::from(**label)
            })
            .count();
        (start.elapsed().as_secs_f64(), correct)
    };
    pass();
    let (seconds, correct) = pass();
    println!("{{\"seconds\": {seconds:e}, \"correct\": {correct}}}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    match &args[1..] {
        [command, threads] if command == "eval" => return eval(&model, &dataset, threads),
        [command, threads, precision] if command == "eval" && precision == "int8" => {
            let int8 = Model::from_bytes(book_model_int8().bytes()).unwrap();
            return eval(&int8, &dataset, threads);
        }
        [command] if command == "each" => return each(&model, &dataset),
        [command, precision] if command == "each" && precision == "int8" => {
            let int8 = Model::from_bytes(book_model_int8().bytes()).unwrap();
            return each(&int8, &dataset);
        }
        _ => {}
    }
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(9);
    let mut runner = Runner::<100>::new(&model).unwrap();
    let images = dataset.images();
    let mut classes = vec![0; dataset.len()];

    let (first, _) = dataset.get(0).unwrap();
    let reps = 1000;
    let one = time(runs, || {
        for _ in 0..reps {
            let image = std::hint::black_box(first);
            std::hint::black_box(vector::classify(&mut runner, image).unwrap());
        }
    }) / reps as f64;
    let portable = time(runs, || {
        for _ in 0..reps {
            std::hint::black_box(runner.classify(std::hint::black_box(first)).unwrap());
        }
    }) / reps as f64;
    let batch = time(runs, || {
        vector::classify_batch(&mut runner, images, &mut classes).unwrap()
    });
    let per_100 = time(runs, || {
        for (chunk, out) in images
            .chunks_exact(100 * 784)
            .zip(classes.chunks_exact_mut(100))
        {
            vector::classify_batch(&mut runner, chunk, out).unwrap();
        }
    });
    let correct = classes
        .iter()
        .zip(dataset.labels())
        .filter(|(c, l)| **c == usize::from(**l))
        .count();
    println!(
        "{{\"one_image\": {one:e}, \"one_image_portable\": {portable:e}, \"batch_10000\": {batch:e}, \"batches_of_100\": {per_100:e}, \"correct\": {correct}}}"
    );
}
