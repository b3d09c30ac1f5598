//! The runtime reproduces the book's numpy results on the whole MNIST test set.

use converter::blobfile::BlobBuf;
use converter::model_kernels::ModelKernels;
use runtime::{
    Activation, Dataset, DenseSpec, Model, ModelEncoder, Params, Runner, softmax::argmax,
};
use tests::{book_model, mnist_test, numpy_reference};

#[test]
fn classifies_9352_of_10000_like_the_book() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    let correct = dataset
        .iter()
        .filter(|(image, label)| runner.classify(image).unwrap() == usize::from(*label))
        .count();
    assert_eq!((correct, dataset.len()), (9352, 10000));
}

#[test]
fn every_image_matches_numpy_in_class_and_probability() {
    let reference = numpy_reference();
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    assert_eq!(reference.predictions.len(), dataset.len());
    let mut worst = 0.0f32;
    for (i, ((image, _), want)) in dataset
        .iter()
        .zip(reference.probabilities.chunks_exact(10))
        .enumerate()
    {
        let got = runner.forward(image).unwrap();
        assert_eq!(
            argmax(got),
            Some(usize::from(reference.predictions[i])),
            "image {i}"
        );
        for (g, w) in got.iter().zip(want) {
            worst = worst.max((g - w).abs());
        }
        // `classify` leaves softmax out where it cannot change the class.
        let class = argmax(got);
        assert_eq!(runner.classify(image).ok(), class, "image {i}");
    }
    assert!(worst < 1e-5, "largest probability difference {worst}");
}

#[test]
fn batch_forward_equals_single_forward() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    // 99 images: three whole panels of the batch path and a remainder run one by one.
    let images = &dataset.images()[..99 * 784];
    let mut batch = vec![0.0; 99 * 10];
    runner.forward_batch(images, &mut batch).unwrap();
    let mut classes = vec![0; 99];
    runner.classify_batch(images, &mut classes).unwrap();
    for (i, image) in images.chunks_exact(784).enumerate() {
        let single = runner.forward(image).unwrap().to_vec();
        assert_eq!(single, batch[i * 10..(i + 1) * 10], "image {i}");
        assert_eq!(Some(classes[i]), argmax(&single));
    }
}

#[test]
fn f32_input_gives_the_same_outputs_as_u8_pixels() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    for (image, _) in dataset.iter().take(50) {
        let from_u8 = runner.forward(image).unwrap().to_vec();
        let normalised: Vec<f32> = image.iter().map(|&p| f32::from(p) / 255.0).collect();
        assert_eq!(runner.forward(&normalised).unwrap(), from_u8);
    }
}

#[test]
fn vector_units_classify_every_image_like_the_portable_build() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    let mut fast = vec![0; dataset.len()];
    converter::vector::classify_batch(&mut runner, dataset.images(), &mut fast).unwrap();
    for (i, ((image, _), fast)) in dataset.iter().zip(&fast).enumerate() {
        let portable = runner.classify(image).unwrap();
        assert_eq!(*fast, portable, "image {i}");
        assert_eq!(
            converter::vector::classify(&mut runner, image).unwrap(),
            portable
        );
    }
}

#[test]
fn host_kernels_classify_every_image_like_the_portable_build() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let host = tests::host_kernels();
    let mut runner = Runner::<100>::new(&model).unwrap().with_kernels(host);
    let mut classes = vec![0; dataset.len()];
    converter::vector::classify_batch(&mut runner, dataset.images(), &mut classes).unwrap();
    let mut portable = Runner::<100>::new(&model).unwrap();
    let mut correct = 0;
    for (i, ((image, label), class)) in dataset.iter().zip(&classes).enumerate() {
        assert_eq!(*class, portable.classify(image).unwrap(), "image {i}");
        correct += usize::from(*class == usize::from(label));
    }
    assert_eq!(correct, 9352);
}

#[test]
fn model_kernels_classify_every_image_like_the_portable_build() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let host = tests::host_kernels();
    let kernels = ModelKernels::with(host, &model);
    assert_eq!(kernels.lays_out_first_layer(), host.uses_avx512());
    let mut runner = Runner::<100>::new(&model).unwrap().with_kernels(kernels);
    let mut classes = vec![0; dataset.len()];
    converter::vector::classify_batch(&mut runner, dataset.images(), &mut classes).unwrap();
    let mut portable = Runner::<100>::new(&model).unwrap();
    for (i, ((image, _), class)) in dataset.iter().zip(&classes).enumerate() {
        assert_eq!(*class, portable.classify(image).unwrap(), "image {i}");
    }
    // One image at a time too, outputs bit for bit.
    let out_len = model.output_len();
    let mut got = vec![0.0f32; dataset.len() * out_len];
    converter::vector::forward_batch(&mut runner, dataset.images(), &mut got).unwrap();
    let mut want = vec![0.0f32; dataset.len() * out_len];
    portable.forward_batch(dataset.images(), &mut want).unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got), bits(&want));
}

#[test]
fn host_kernels_give_every_image_the_portable_outputs_bit_for_bit() {
    let model = Model::from_bytes(book_model().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let out_len = model.output_len();
    // `forward_batch` runs each image through the single-image path.
    let mut host = Runner::<100>::new(&model)
        .unwrap()
        .with_kernels(tests::host_kernels());
    let mut got = vec![0.0f32; dataset.len() * out_len];
    converter::vector::forward_batch(&mut host, dataset.images(), &mut got).unwrap();
    let mut portable = Runner::<100>::new(&model).unwrap();
    let mut want = vec![0.0f32; dataset.len() * out_len];
    portable.forward_batch(dataset.images(), &mut want).unwrap();
    for (i, (got, want)) in got
        .chunks_exact(out_len)
        .zip(want.chunks_exact(out_len))
        .enumerate()
    {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(got), bits(want), "image {i}");
    }
}

/// A wider network than the book's (784 → 150 → 130 → 10): several blocks of outputs in
/// every layer of the host kernels' single-image path.
#[test]
fn host_kernels_give_a_wide_network_the_portable_outputs_bit_for_bit() {
    let mut state = 0x2545_f491_u32;
    let mut floats = |len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect()
    };
    let shapes = [
        (784, 150, Activation::Relu),
        (150, 130, Activation::Sigmoid),
        (130, 10, Activation::Softmax),
    ];
    let params: Vec<(Vec<f32>, Vec<f32>)> = shapes
        .iter()
        .map(|&(n, m, _)| (floats(n * m), floats(m)))
        .collect();
    let specs: Vec<DenseSpec<'_>> = shapes
        .iter()
        .zip(&params)
        .map(
            |(&(inputs, outputs, activation), (weights, bias))| DenseSpec {
                inputs,
                outputs,
                activation,
                params: Params::F32 { weights, bias },
            },
        )
        .collect();
    let encoder = ModelEncoder::new(&specs).unwrap();
    let mut bytes = vec![0; encoder.encoded_len()];
    encoder.emit(&mut bytes).unwrap();
    let blob = BlobBuf::from_slice(&bytes);
    let model = Model::from_bytes(blob.bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let images = &dataset.images()[..500 * 784];
    let mut host = Runner::<150>::new(&model)
        .unwrap()
        .with_kernels(tests::host_kernels());
    let mut got = vec![0.0f32; 500 * 10];
    converter::vector::forward_batch(&mut host, images, &mut got).unwrap();
    let mut want = vec![0.0f32; 500 * 10];
    Runner::<150>::new(&model)
        .unwrap()
        .forward_batch(images, &mut want)
        .unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got), bits(&want));
}
