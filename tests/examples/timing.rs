//! Times the runtime on the workloads of `bench/numpy_ratio.py` and prints one JSON object
//! of median seconds: `one_image` (image 0 classified 1000 times), `batch_10000`,
//! `batches_of_100` on the CPU's vector units as `converter eval` runs (`converter::vector`),
//! and `one_image_portable` with the runtime's portable build, for comparison; then
//! `each_image`, the mean over all test images classified one call each (the per-image
//! workload of `bench/compare.py`), with `each_image_correct`, those calls' correct count.
//!
//! `cargo run --release -p tests --example timing -- [RUNS]`
//!
//! With `eval THREADS` instead, it times `converter eval`'s evaluation of the test set
//! (`converter::evaluate::evaluate_threads`) once, right after an untimed run, as
//! `bench/compare.py` times numpy and ONNX Runtime, and prints `{"seconds": ..,
//! "correct": .., "threads": ..}`.

use std::time::Instant;

use std::path::Path;

use converter::evaluate::evaluate_threads;
use converter::vector;
use runtime::{Dataset, Model, Runner};
use tests::{book_model, mnist_test};

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    if let [_, command, threads] = &args[..] {
        if command == "eval" {
            return eval(&model, &dataset, threads);
        }
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
    let mut each_correct = 0;
    let each = time(runs, || {
        each_correct = images
            .chunks_exact(784)
            .zip(dataset.labels())
            .filter(|(image, label)| {
                let image = std::hint::black_box(*image);
                vector::classify(&mut runner, image).unwrap() == usize::from(**label)
            })
            .count();
    }) / dataset.len() as f64;
    let correct = classes
        .iter()
        .zip(dataset.labels())
        .filter(|(c, l)| **c == usize::from(**l))
        .count();
    println!(
        "{{\"one_image\": {one:e}, \"one_image_portable\": {portable:e}, \"batch_10000\": {batch:e}, \"batches_of_100\": {per_100:e}, \"correct\": {correct}, \"each_image\": {each:e}, \"each_image_correct\": {each_correct}}}"
    );
}
