//! f16 and int8 blobs of the book's network: sizes, accuracy, agreement with f32, an
//! independent integer reference, and rejection of damaged quantization parameters.

use converter::blobfile::BlobBuf;
use converter::convert::{self, Activations};
use converter::data_dir::{TEST_IMAGES, WEIGHTS};
use converter::model_kernels::ModelKernels;
use converter::quantize::Precision;
use converter::vector;
use runtime::checksum::crc32;
use runtime::{
    Dataset, DenseSpec, FormatError, I8Out, I8Params, Model, ModelEncoder, Params, Requantization,
    Runner, TensorName, WeightOrder,
};
use tests::{book_model, data_dir, mnist_test};

/// The book's network converted to `precision`; int8 calibrates on the first 1000 test images.
fn blob(precision: Precision) -> BlobBuf {
    let dir = data_dir();
    let calibration = convert::calibration_images(&dir.join(TEST_IMAGES), 1000).unwrap();
    assert_eq!(calibration.len(), 1000 * 784);
    let converted = convert::quantized_model_blob(
        &dir.join(WEIGHTS),
        &Activations::default(),
        precision,
        &calibration,
    )
    .unwrap();
    BlobBuf::from_slice(&converted.bytes)
}

fn int8() -> &'static BlobBuf {
    tests::book_model_int8()
}

/// Predicted class of every image from `skip` on.
fn classes(model: &BlobBuf, skip: usize) -> Vec<usize> {
    let model = Model::from_bytes(model.bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes())
        .unwrap()
        .skip(skip);
    let mut runner = Runner::<100>::new(&model).unwrap();
    let mut out = vec![0; dataset.len()];
    runner.classify_batch(dataset.images(), &mut out).unwrap();
    out
}

fn correct(predicted: &[usize], skip: usize) -> usize {
    let dataset = Dataset::from_bytes(mnist_test().bytes())
        .unwrap()
        .skip(skip);
    predicted
        .iter()
        .zip(dataset.labels())
        .filter(|(p, l)| **p == usize::from(**l))
        .count()
}

fn same(a: &[usize], b: &[usize]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

#[test]
fn f16_blob_is_half_the_size_and_scores_like_f32() {
    let f16 = blob(Precision::F16);
    assert!(
        f16.bytes().len() <= 95 * 1024,
        "{} bytes",
        f16.bytes().len()
    );
    assert_eq!(Model::from_bytes(f16.bytes()).unwrap().version(), 2);
    let ours = classes(&f16, 0);
    assert_eq!(correct(&ours, 0), 9352);
    assert_eq!(same(&ours, &classes(book_model(), 0)), 10000);
}

#[test]
fn int8_blob_fits_48_kib_and_keeps_the_accuracy() {
    let int8 = int8();
    assert!(
        int8.bytes().len() <= 48 * 1024,
        "{} bytes",
        int8.bytes().len()
    );
    let all = classes(int8, 0);
    let f32_all = classes(book_model(), 0);
    assert_eq!(correct(&all, 0), 9356, "all 10000 images");
    assert_eq!(same(&all, &f32_all), 9994, "same class as f32");
    // Evaluated on the 9000 images it was not calibrated on.
    let held_out = classes(int8, 1000);
    assert_eq!(correct(&held_out, 1000), 8424);
    assert_eq!(correct(&classes(book_model(), 1000), 1000), 8420);
}

/// The int8 forward pass, written from the format document with 128-bit integers.
fn integer_reference(model: &Model<'_>, image: &[u8]) -> Vec<f32> {
    let mut x: Vec<i128> = image.iter().map(|&p| i128::from(p)).collect();
    for layer in model.layers() {
        let Params::I8(p) = layer.params() else {
            panic!("int8 layer expected");
        };
        let n = layer.outputs();
        let acc: Vec<i128> = (0..n)
            .map(|o| {
                let inputs = layer.inputs();
                let at = |i: usize| match p.order {
                    WeightOrder::InputMajor => i * n + o,
                    WeightOrder::OutputMajor => o * inputs + i,
                    WeightOrder::ColumnBlocks => {
                        // Blocks of 8 outputs, then one of 4, 2, 1 per bit of n mod 8.
                        let (mut start, mut width) = (o / 8 * 8, 8);
                        if o >= n / 8 * 8 {
                            start = n / 8 * 8;
                            for w in [4, 2, 1] {
                                if (n % 8) & w == 0 {
                                    continue;
                                }
                                width = w;
                                if o < start + w {
                                    break;
                                }
                                start += w;
                            }
                        }
                        start * inputs + i * width + (o - start)
                    }
                };
                let dot: i128 = (0..layer.inputs())
                    .map(|i| x[i] * i128::from(p.weights[at(i)]))
                    .sum();
                i128::from(p.bias[o]) + dot
            })
            .collect();
        match p.output {
            I8Out::Table(Requantization {
                multipliers,
                shifts,
                zero_point,
                table,
            }) => {
                x = acc
                    .iter()
                    .enumerate()
                    .map(|(o, &a)| {
                        let shift = u32::from(shifts[o]);
                        let scaled = a * i128::from(multipliers[o]) + (1i128 << (shift - 1));
                        let index = scaled.div_euclid(1i128 << shift) + i128::from(zero_point);
                        i128::from(table[index.clamp(0, 255) as usize])
                    })
                    .collect();
            }
            I8Out::Dequantize { scales } => {
                let mut y: Vec<f32> = acc
                    .iter()
                    .zip(scales)
                    .map(|(&a, &s)| i32::try_from(a).unwrap() as f32 * s)
                    .collect();
                layer.activation().apply(&mut y);
                return y;
            }
        }
    }
    unreachable!("the last layer dequantizes")
}

#[test]
fn int8_forward_equals_an_integer_reference_bit_for_bit() {
    let model = Model::from_bytes(int8().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    for (image, _) in dataset.iter().step_by(5).take(2000) {
        let want = integer_reference(&model, image);
        let got = runner.forward(image).unwrap();
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // f32 input quantizes to the same pixels.
        let normalised: Vec<f32> = image.iter().map(|&p| f32::from(p) / 255.0).collect();
        assert_eq!(runner.forward(&normalised).unwrap(), want.as_slice());
    }
}

#[test]
fn host_int8_kernels_give_the_runtime_outputs_bit_for_bit() {
    let model = Model::from_bytes(int8().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let host = tests::host_kernels();
    let out_len = model.output_len();
    let mut want = vec![0.0f32; dataset.len() * out_len];
    let mut got = want.clone();
    let mut portable = Runner::<100>::new(&model).unwrap();
    portable.forward_batch(dataset.images(), &mut want).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap().with_kernels(host);
    vector::forward_batch(&mut runner, dataset.images(), &mut got).unwrap();
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got), bits(&want));
    let mut classes = vec![0; dataset.len()];
    vector::classify_batch(&mut runner, dataset.images(), &mut classes).unwrap();
    assert_eq!(classes, self::classes(int8(), 0));
    assert_eq!(correct(&classes, 0), 9356);
}

/// A batch runs in panels of images, with the runtime's kernels and with the host's laid
/// out for the model; every image gets the class it gets alone.
#[test]
fn int8_batches_classify_as_one_image_at_a_time() {
    let model = Model::from_bytes(int8().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    let alone: Vec<usize> = dataset
        .iter()
        .map(|(image, _)| runner.classify(image).unwrap())
        .collect();
    let mut classes = vec![0; dataset.len()];
    runner
        .classify_batch(dataset.images(), &mut classes)
        .unwrap();
    assert_eq!(same(&classes, &alone), 10000);
    let kernels = ModelKernels::with(tests::host_kernels(), &model);
    let mut fast = Runner::<100>::new(&model).unwrap().with_kernels(kernels);
    classes.fill(0);
    vector::classify_batch(&mut fast, dataset.images(), &mut classes).unwrap();
    assert_eq!(same(&classes, &alone), 10000);
    assert_eq!(correct(&alone, 0), 9356);
}

#[test]
fn model_kernels_give_the_runtime_outputs_bit_for_bit() {
    let model = Model::from_bytes(int8().bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let host = tests::host_kernels();
    let kernels = ModelKernels::with(host, &model);
    // Wherever the host kernels run, the first layer is interleaved.
    assert_eq!(kernels.lays_out_first_layer(), host.uses_avx512());
    let out_len = model.output_len();
    let mut want = vec![0.0f32; dataset.len() * out_len];
    let mut got = want.clone();
    Runner::<100>::new(&model)
        .unwrap()
        .forward_batch(dataset.images(), &mut want)
        .unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap().with_kernels(kernels);
    vector::forward_batch(&mut runner, dataset.images(), &mut got).unwrap();
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got), bits(&want));
}

/// The int8 book network with every layer's weights moved to `order`, re-encoded.
fn reordered(order: WeightOrder) -> BlobBuf {
    let model = Model::from_bytes(int8().bytes()).unwrap();
    let weights: Vec<Vec<i8>> = model
        .layers()
        .iter()
        .map(|layer| {
            let Params::I8(p) = layer.params() else {
                panic!("int8 layer expected");
            };
            let (n, m) = (layer.inputs(), layer.outputs());
            let mut moved = vec![0; n * m];
            for i in 0..n {
                for o in 0..m {
                    let from = p.order.position(n, m, i, o);
                    moved[order.position(n, m, i, o)] = p.weights[from];
                }
            }
            moved
        })
        .collect();
    let specs: Vec<DenseSpec<'_>> = model
        .layers()
        .iter()
        .zip(&weights)
        .map(|(layer, weights)| {
            let Params::I8(p) = layer.params() else {
                unreachable!()
            };
            DenseSpec {
                inputs: layer.inputs(),
                outputs: layer.outputs(),
                activation: layer.activation(),
                params: Params::I8(I8Params {
                    weights,
                    order,
                    ..p
                }),
            }
        })
        .collect();
    let encoder = ModelEncoder::new(&specs).unwrap();
    let mut out = vec![0; encoder.encoded_len()];
    encoder.emit(&mut out).unwrap();
    BlobBuf::from_slice(&out)
}

#[test]
fn every_weight_order_gives_the_same_outputs_bit_for_bit() {
    let model = Model::from_bytes(int8().bytes()).unwrap();
    // The converter's choice: the sparse first layer input-major, the others in blocks.
    let orders: Vec<_> = model
        .layers()
        .iter()
        .map(|l| match l.params() {
            Params::I8(p) => p.order,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        orders,
        [
            WeightOrder::InputMajor,
            WeightOrder::ColumnBlocks,
            WeightOrder::ColumnBlocks
        ]
    );
    assert_eq!(model.version(), 3);
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    let want: Vec<Vec<u32>> = dataset
        .iter()
        .step_by(37)
        .map(|(image, _)| {
            runner
                .forward(image)
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect()
        })
        .collect();
    let alone: Vec<usize> = dataset
        .iter()
        .take(10 * runtime::panel::PANEL)
        .map(|(image, _)| runner.classify(image).unwrap())
        .collect();
    // Each order in every layer, the first included (the slow, general kernel there).
    for (order, version) in [
        (WeightOrder::InputMajor, 2),
        (WeightOrder::OutputMajor, 2),
        (WeightOrder::ColumnBlocks, 3),
    ] {
        let blob = reordered(order);
        let other = Model::from_bytes(blob.bytes()).unwrap();
        assert_eq!(other.version(), version, "{order:?}");
        if version == 3 {
            // Column blocks are new in version 3: a blob claiming 2 is refused.
            let mut older = blob.bytes().to_vec();
            older[4] = 2;
            reseal(&mut older);
            assert_eq!(
                parse(&older),
                Err(FormatError::VersionTooLow {
                    version: 2,
                    needed: 3
                })
            );
        }
        let mut runner = Runner::<100>::new(&other).unwrap();
        for ((image, _), want) in dataset.iter().step_by(37).zip(&want) {
            let got: Vec<u32> = runner
                .forward(image)
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect();
            assert_eq!(&got, want, "{order:?}");
        }
        // A batch too, in panels where the first layer reads pixels input-major (each
        // later layer then by its own order's kernel, image by image).
        let mut classes = vec![0; alone.len()];
        let images = &dataset.images()[..alone.len() * dataset.image_len()];
        runner.classify_batch(images, &mut classes).unwrap();
        assert_eq!(classes, alone, "{order:?}");
    }
}

#[test]
fn column_blocks_cover_every_output_once() {
    for outputs in 0..40 {
        let widths: Vec<usize> = runtime::manifest::column_block_widths(outputs).collect();
        assert_eq!(widths.iter().sum::<usize>(), outputs);
        assert!(
            widths
                .windows(2)
                .all(|w| w[0] >= w[1] && (w[0] == 8 || w[0] > w[1]))
        );
        let inputs = 3;
        let mut seen = vec![false; inputs * outputs];
        for i in 0..inputs {
            for o in 0..outputs {
                let at = WeightOrder::ColumnBlocks.position(inputs, outputs, i, o);
                assert!(
                    !std::mem::replace(&mut seen[at], true),
                    "{outputs} outputs: {i},{o} twice"
                );
            }
        }
    }
    // 100 outputs: twelve blocks of 8, then one of 4; 10 outputs: 8 and 2.
    assert_eq!(
        runtime::manifest::column_block_widths(100)
            .filter(|&w| w == 8)
            .count(),
        12
    );
    assert_eq!(
        runtime::manifest::column_block_widths(10).collect::<Vec<_>>(),
        [8, 2]
    );
    assert_eq!(
        WeightOrder::ColumnBlocks.position(50, 10, 3, 9),
        8 * 50 + 3 * 2 + 1
    );
}

/// Rewrites the trailing checksum so that a deliberate change passes the CRC check.
fn reseal(blob: &mut [u8]) {
    let at = blob.len() - 4;
    let crc = crc32(&blob[..at]);
    blob[at..].copy_from_slice(&crc.to_le_bytes());
}

fn parse(bytes: &[u8]) -> Result<(), FormatError> {
    Model::from_bytes(BlobBuf::from_slice(bytes).bytes()).map(|_| ())
}

#[test]
fn damaged_quantization_parameters_are_rejected_at_parse_time() {
    let good = int8().bytes().to_vec();
    let manifest_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let manifest = 16..16 + manifest_len;
    // The first layer's input scale is 1/255 as f32, right after its op tag.
    let scale = (1.0f32 / 255.0).to_le_bytes();
    let at = manifest.start
        + good[manifest.clone()]
            .windows(4)
            .position(|w| w == scale)
            .unwrap();
    for bad in [0.0f32, -1.0 / 255.0, f32::NAN] {
        let mut blob = good.clone();
        blob[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        reseal(&mut blob);
        assert_eq!(
            parse(&blob),
            Err(FormatError::BadQuantization {
                layer: 1,
                what: "input scale is not finite and positive"
            }),
            "scale {bad}"
        );
    }
    // The first table's length, 256, is the varint 80 02 in the manifest; make it 255.
    let mut blob = good.clone();
    let len_at = manifest.start
        + good[manifest.clone()]
            .windows(2)
            .position(|w| w == [0x80, 0x02])
            .unwrap();
    blob[len_at..len_at + 2].copy_from_slice(&[0xff, 0x01]);
    reseal(&mut blob);
    assert_eq!(
        parse(&blob),
        Err(FormatError::TensorLength {
            tensor: TensorName::Quantization { layer: 1 },
            expected: 256,
            found: 255
        })
    );
}
