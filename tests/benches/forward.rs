//! Forward-pass speed on the book's network: one image, the 10000-image test set as one
//! batch, and as batches of 100, each with the runtime's portable build and with the build
//! for the CPU's vector units that `converter eval` uses (`converter::vector`); and the
//! test set as one batch through the f32 and the int8 network on `converter::vector`, with
//! the runtime's kernels, the host's (`converter::host_kernels`) and the host's for the
//! model (`converter::model_kernels`, as `converter eval` runs it); and a batch smaller
//! than a panel, in one call and image by image. Run with `cargo bench -p tests`.

use converter::host_kernels::HostKernels;
use converter::model_kernels::ModelKernels;
use converter::vector;
use runtime::{Dataset, Kernels, Model, Runner};
use tests::{book_model, book_model_int8, mnist_test};

fn main() {
    divan::main();
}

/// The kernels a bench runs.
const BUILDS: [&str; 2] = ["portable", "vector"];

fn with_runner(f: impl FnOnce(&mut Runner<'_, 100>, &Dataset<'_>)) {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    f(&mut runner, &dataset);
}

/// `classify_batch` in `build`.
fn classify_batch(build: &str, runner: &mut Runner<'_, 100>, images: &[u8], classes: &mut [usize]) {
    match build {
        "vector" => vector::classify_batch(runner, images, classes).unwrap(),
        _ => runner.classify_batch(images, classes).unwrap(),
    }
}

#[divan::bench(args = BUILDS)]
fn one_image(bencher: divan::Bencher, build: &str) {
    with_runner(|runner, dataset| {
        let (image, _) = dataset.get(0).unwrap();
        bencher.bench_local(|| match build {
            "vector" => vector::classify(runner, divan::black_box(image)).unwrap(),
            _ => runner.classify(divan::black_box(image)).unwrap(),
        });
    });
}

#[divan::bench(args = BUILDS, sample_count = 20)]
fn test_set_one_batch(bencher: divan::Bencher, build: &str) {
    with_runner(|runner, dataset| {
        let mut classes = vec![0; dataset.len()];
        bencher.bench_local(|| {
            classify_batch(
                build,
                runner,
                divan::black_box(dataset.images()),
                &mut classes,
            );
        });
    });
}

#[divan::bench(args = BUILDS, sample_count = 20)]
fn test_set_batches_of_100(bencher: divan::Bencher, build: &str) {
    with_runner(|runner, dataset| {
        let mut classes = vec![0; 100];
        let batch = 100 * dataset.image_len();
        bencher.bench_local(|| {
            for images in divan::black_box(dataset.images()).chunks_exact(batch) {
                classify_batch(build, runner, images, &mut classes);
            }
        });
    });
}

/// Images in a batch smaller than a panel (`runtime::panel::PANEL`).
const SMALL: usize = 8;

/// The first [`SMALL`] test images on `converter::vector`, in one `classify_batch` call or
/// in as many `classify` calls: what a batch with no whole panel costs beyond its images.
#[divan::bench(args = ["classify", "classify_batch"])]
fn small_batch(bencher: divan::Bencher, call: &str) {
    with_runner(|runner, dataset| {
        let images = &dataset.images()[..SMALL * dataset.image_len()];
        let mut classes = [0; SMALL];
        bencher.bench_local(|| {
            let images = divan::black_box(images);
            match call {
                "classify" => {
                    for (image, class) in images.chunks_exact(dataset.image_len()).zip(&mut classes)
                    {
                        *class = vector::classify(runner, image).unwrap();
                    }
                }
                _ => vector::classify_batch(runner, images, &mut classes).unwrap(),
            }
            classes
        });
    });
}

/// The kernels a bench of the test set in one batch runs on top of `converter::vector`:
/// the runtime's own, the host's best (`converter::host_kernels`), or those with the model's
/// first layer laid out for them (`converter::model_kernels`, as `converter eval` runs).
const KERNELS: [&str; 3] = ["runtime", "host", "model"];

/// The test set in one batch through `model`, as `converter eval` runs it with `kernels`.
fn test_set_with_kernels(bencher: divan::Bencher, model: &[u8], kernels: &str) {
    let model = Model::from_bytes(model).unwrap();
    let host = match kernels {
        "runtime" => HostKernels::portable(),
        _ => HostKernels::detect(),
    };
    let runner = Runner::<100>::new(&model).unwrap();
    match kernels {
        "model" => test_set(
            bencher,
            runner.with_kernels(ModelKernels::with(host, &model)),
        ),
        _ => test_set(bencher, runner.with_kernels(host)),
    }
}

/// The test set in one batch through `runner`.
fn test_set<K: Kernels>(bencher: divan::Bencher, mut runner: Runner<'_, 100, K>) {
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut classes = vec![0; dataset.len()];
    bencher.bench_local(|| {
        vector::classify_batch(
            &mut runner,
            divan::black_box(dataset.images()),
            &mut classes,
        )
        .unwrap();
    });
}

#[divan::bench(args = KERNELS, sample_count = 20)]
fn kernels_test_set_one_batch(bencher: divan::Bencher, kernels: &str) {
    test_set_with_kernels(bencher, book_model().bytes(), kernels);
}

#[divan::bench(args = KERNELS, sample_count = 20)]
fn int8_test_set_one_batch(bencher: divan::Bencher, kernels: &str) {
    test_set_with_kernels(bencher, book_model_int8().bytes(), kernels);
}
