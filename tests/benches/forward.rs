//! Forward-pass speed on the book's network: one image, the 10000-image test set as one
//! batch, and as batches of 100. Run with `cargo bench -p tests`.

use runtime::{Dataset, Model, Runner};
use tests::{book_model, mnist_test};

fn main() {
    divan::main();
}

fn with_runner(f: impl FnOnce(&mut Runner<'_, 100>, &Dataset<'_>)) {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    f(&mut runner, &dataset);
}

#[divan::bench]
fn one_image(bencher: divan::Bencher) {
    with_runner(|runner, dataset| {
        let (image, _) = dataset.get(0).unwrap();
        bencher.bench_local(|| runner.classify(divan::black_box(image)).unwrap());
    });
}

#[divan::bench(sample_count = 20)]
fn test_set_one_batch(bencher: divan::Bencher) {
    with_runner(|runner, dataset| {
        let mut classes = vec![0; dataset.len()];
        bencher.bench_local(|| {
            runner
                .classify_batch(divan::black_box(dataset.images()), &mut classes)
                .unwrap()
        });
    });
}

#[divan::bench(sample_count = 20)]
fn test_set_batches_of_100(bencher: divan::Bencher) {
    with_runner(|runner, dataset| {
        let mut classes = vec![0; 100];
        let batch = 100 * dataset.image_len();
        bencher.bench_local(|| {
            for images in divan::black_box(dataset.images()).chunks_exact(batch) {
                runner.classify_batch(images, &mut classes).unwrap();
            }
        });
    });
}
