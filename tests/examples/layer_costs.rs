//! Where a forward pass spends its time on the desktop: the book's network cut after each
//! layer, with and without its activations, each timed on the 10000 MNIST test images
//! through `converter::vector` with the model's kernels (`ModelKernels`), as `converter
//! eval` runs (best of 15 runs; one batch, and image 0 one at a time). Every line picks a
//! class, as `converter eval` does, among its last layer's outputs (50, 100 or 10; the
//! network's softmax only where it could change the class), so differences between lines
//! give a layer's or an activation's share plus the difference between those picks.
//!
//! `cargo run --release -p tests --example layer_costs`

use std::time::Instant;

use runtime::{Activation, Dataset, DenseSpec, Model, ModelEncoder, Params, Runner};
use tests::{book_model, mnist_test};

/// Best seconds per image: for the whole set in one batch, and for image 0 alone.
fn time(specs: &[DenseSpec<'_>], images: &[u8]) -> (f64, f64) {
    let encoder = ModelEncoder::new(specs).unwrap();
    let blob = converter::blobfile::BlobBuf::from_slice(&{
        let mut bytes = vec![0; encoder.encoded_len()];
        encoder.emit(&mut bytes).unwrap();
        bytes
    });
    let model = Model::from_bytes(blob.bytes()).unwrap();
    let mut runner = Runner::<128>::new(&model)
        .unwrap()
        .with_kernels(converter::model_kernels::ModelKernels::new(&model));
    let count = images.len() / model.input_len();
    let mut classes = vec![0; count];
    let best = |f: &mut dyn FnMut()| {
        (0..15)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let batch = best(&mut || {
        converter::vector::classify_batch(&mut runner, images, &mut classes).unwrap();
    });
    let first = &images[..model.input_len()];
    let one = best(&mut || {
        for _ in 0..1000 {
            let image = std::hint::black_box(first);
            std::hint::black_box(converter::vector::classify(&mut runner, image).unwrap());
        }
    });
    (batch / count as f64, one / 1000.0)
}

fn main() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let layers: Vec<(&[f32], &[f32], usize, usize)> = model
        .layers()
        .iter()
        .map(|l| match l.params() {
            Params::F32 { weights, bias } => (weights, bias, l.inputs(), l.outputs()),
            _ => panic!("the book's network is f32"),
        })
        .collect();
    let spec = |i: usize, activation| {
        let (weights, bias, inputs, outputs) = layers[i];
        DenseSpec {
            inputs,
            outputs,
            activation,
            params: Params::F32 { weights, bias },
        }
    };
    let (id, sig) = (Activation::Identity, Activation::Sigmoid);
    let cases = [
        ("layer 1", vec![spec(0, id)]),
        ("layer 1 + sigmoid", vec![spec(0, sig)]),
        ("layers 1-2", vec![spec(0, id), spec(1, id)]),
        ("layers 1-2 + sigmoids", vec![spec(0, sig), spec(1, sig)]),
        ("layers 1-3", vec![spec(0, id), spec(1, id), spec(2, id)]),
        (
            "the network",
            vec![spec(0, sig), spec(1, sig), spec(2, Activation::Softmax)],
        ),
    ];
    println!("{:<24} {:>16} {:>16}", "", "batch, us/image", "image 0, us");
    for (name, specs) in cases {
        let (batch, one) = time(&specs, dataset.images());
        println!("{name:<24} {:>16.3} {:>16.3}", batch * 1e6, one * 1e6);
    }
}
