//! Blob round trips and rejection of damaged blobs, on the book's toy network (section 3.4).

use converter::blobfile::BlobBuf;
use runtime::checksum::{Crc32Stream, crc32};
use runtime::layout::CHECKSUM_LEN;
use runtime::{
    Activation, CapacityError, Dataset, DatasetEncoder, DatasetLayout, DatasetSpec, DenseSpec,
    EmitError, FormatError, Kind, Model, ModelEncoder, Params, Runner, ShapeError, TensorName,
};

const W1: [f32; 6] = [0.1, 0.3, 0.5, 0.2, 0.4, 0.6];
const B1: [f32; 3] = [0.1, 0.2, 0.3];
const W2: [f32; 6] = [0.1, 0.4, 0.2, 0.5, 0.3, 0.6];
const B2: [f32; 2] = [0.1, 0.2];
const W3: [f32; 4] = [0.1, 0.3, 0.2, 0.4];
const B3: [f32; 2] = [0.1, 0.2];

fn toy_layers() -> [DenseSpec<'static>; 3] {
    let dense =
        |inputs, outputs, activation, weights: &'static [f32], bias: &'static [f32]| DenseSpec {
            inputs,
            outputs,
            activation,
            params: Params::F32 { weights, bias },
        };
    [
        dense(2, 3, Activation::Sigmoid, &W1, &B1),
        dense(3, 2, Activation::Sigmoid, &W2, &B2),
        dense(2, 2, Activation::Identity, &W3, &B3),
    ]
}

fn encode(layers: &[DenseSpec<'_>]) -> Vec<u8> {
    let encoder = ModelEncoder::new(layers).unwrap();
    let mut blob = vec![0; encoder.encoded_len()];
    assert_eq!(encoder.emit(&mut blob).unwrap(), blob.len());
    blob
}

fn parse(bytes: &[u8]) -> Result<(), FormatError> {
    Model::from_bytes(BlobBuf::from_slice(bytes).bytes()).map(|_| ())
}

/// Rewrites the trailing checksum so that a deliberate change passes the CRC check.
fn reseal(blob: &mut [u8]) {
    let at = blob.len() - CHECKSUM_LEN;
    let crc = crc32(&blob[..at]);
    blob[at..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn toy_network_gives_the_books_outputs() {
    let buf = BlobBuf::from_slice(&encode(&toy_layers()));
    let model = Model::from_bytes(buf.bytes()).unwrap();
    let mut runner = Runner::<3>::new(&model).unwrap();
    let y = runner.forward(&[1.0f32, 0.5]).unwrap();
    assert!((f64::from(y[0]) - 0.316_827_08).abs() < 1e-6, "{y:?}");
    assert!((f64::from(y[1]) - 0.696_279_09).abs() < 1e-6, "{y:?}");
}

#[test]
fn round_trip_keeps_every_weight_and_activation() {
    let layers = toy_layers();
    let buf = BlobBuf::from_slice(&encode(&layers));
    let model = Model::from_bytes(buf.bytes()).unwrap();
    assert_eq!(model.layers().len(), 3);
    for (spec, layer) in layers.iter().zip(model.layers()) {
        assert_eq!(layer.inputs(), spec.inputs);
        assert_eq!(layer.outputs(), spec.outputs);
        assert_eq!(layer.activation(), spec.activation);
        assert_eq!(layer.params(), spec.params);
    }
    assert_eq!(model.parameter_count(), 6 + 3 + 6 + 2 + 4 + 2);
    assert_eq!(model.blob_len(), buf.bytes().len());
    // Emitting the parsed model again gives the same bytes.
    let again: Vec<DenseSpec<'_>> = model
        .layers()
        .iter()
        .map(|l| DenseSpec {
            inputs: l.inputs(),
            outputs: l.outputs(),
            activation: l.activation(),
            params: l.params(),
        })
        .collect();
    assert_eq!(encode(&again), buf.bytes());
}

#[test]
fn weights_are_viewed_in_place_not_copied() {
    let buf = BlobBuf::from_slice(&encode(&toy_layers()));
    let bytes = buf.bytes();
    let model = Model::from_bytes(bytes).unwrap();
    let range = bytes.as_ptr_range();
    for layer in model.layers() {
        let Params::F32 { weights, bias } = layer.params() else {
            panic!("f32 layer expected");
        };
        assert!(range.contains(&weights.as_ptr().cast()));
        assert!(range.contains(&bias.as_ptr().cast()));
    }
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let blob = encode(&toy_layers());
    for byte in 0..blob.len() {
        for bit in 0..8 {
            let mut damaged = blob.clone();
            damaged[byte] ^= 1 << bit;
            assert!(
                parse(&damaged).is_err(),
                "flip of bit {bit} in byte {byte} accepted"
            );
        }
    }
}

#[test]
fn flips_in_payload_report_the_checksum() {
    let mut blob = encode(&toy_layers());
    let stored = u32::from_le_bytes(blob[blob.len() - 4..].try_into().unwrap());
    let at = blob.len() - 8;
    blob[at] ^= 0x10;
    assert_eq!(
        parse(&blob),
        Err(FormatError::ChecksumMismatch {
            stored,
            computed: crc32(&blob[..blob.len() - 4])
        })
    );
}

#[test]
fn every_truncation_and_extension_is_rejected() {
    let blob = encode(&toy_layers());
    for len in 0..blob.len() {
        assert!(
            matches!(parse(&blob[..len]), Err(FormatError::Truncated { .. })),
            "prefix of {len} bytes"
        );
    }
    let mut longer = blob.clone();
    longer.push(0);
    assert_eq!(
        parse(&longer),
        Err(FormatError::TrailingBytes {
            expected: blob.len(),
            found: blob.len() + 1
        })
    );
}

#[test]
fn header_fields_are_checked() {
    let blob = encode(&toy_layers());
    let mut magic = blob.clone();
    magic[0] = b'X';
    assert_eq!(
        parse(&magic),
        Err(FormatError::BadMagic { found: *b"XNNB" })
    );
    let mut version = blob.clone();
    version[4] = 9;
    assert_eq!(
        parse(&version),
        Err(FormatError::UnsupportedVersion {
            found: 9,
            supported: 3
        })
    );
    let mut kind = blob.clone();
    kind[6] = 2;
    reseal(&mut kind);
    assert_eq!(
        parse(&kind),
        Err(FormatError::WrongKind {
            expected: Kind::Model,
            found: Kind::Dataset
        })
    );
    kind[6] = 7;
    reseal(&mut kind);
    assert_eq!(parse(&kind), Err(FormatError::UnknownKind { found: 7 }));
    let mut flags = blob.clone();
    flags[7] = 1;
    reseal(&mut flags);
    assert_eq!(
        parse(&flags),
        Err(FormatError::UnsupportedFlags { found: 1 })
    );
    let as_dataset = BlobBuf::from_slice(&blob);
    assert!(matches!(
        Dataset::from_bytes(as_dataset.bytes()),
        Err(FormatError::WrongKind {
            expected: Kind::Dataset,
            found: Kind::Model
        })
    ));
}

#[test]
fn resealed_manifest_changes_are_caught_by_validation() {
    let blob = encode(&toy_layers());
    // Manifest: [layer count, op, inputs, outputs, activation, ...]; layer 1 inputs at 18.
    assert_eq!(&blob[16..20], &[3, 0, 2, 3]);
    let mut chain = blob.clone();
    chain[19] = 4; // layer 1 now claims 4 outputs
    reseal(&mut chain);
    assert_eq!(
        parse(&chain),
        Err(FormatError::TensorLength {
            tensor: TensorName::Weights { layer: 1 },
            expected: 8,
            found: 6
        })
    );
    let mut softmax_first = blob.clone();
    softmax_first[20] = 5; // layer 1 activation := softmax
    reseal(&mut softmax_first);
    assert_eq!(
        parse(&softmax_first),
        Err(FormatError::SoftmaxNotLast { layer: 1 })
    );
    let mut no_layers = blob.clone();
    no_layers[16] = 0;
    reseal(&mut no_layers);
    assert!(matches!(
        parse(&no_layers),
        Err(FormatError::ManifestLength { .. })
    ));
}

#[test]
fn non_finite_weights_are_rejected_on_both_sides() {
    let mut blob = encode(&toy_layers());
    // Find bias of layer 2 (0.1, 0.2) by value and poison its second element.
    let needle: Vec<u8> = [0.1f32, 0.2].iter().flat_map(|v| v.to_le_bytes()).collect();
    let at = blob
        .windows(8)
        .enumerate()
        .find(|(_, w)| *w == needle.as_slice())
        .map(|(i, _)| i)
        .unwrap();
    blob[at + 4..at + 8].copy_from_slice(&f32::NAN.to_le_bytes());
    reseal(&mut blob);
    assert!(matches!(
        parse(&blob),
        Err(FormatError::NonFinite { index: 1, .. })
    ));

    let mut layers = toy_layers();
    let bad = [0.1, f32::INFINITY];
    layers[2].params = Params::F32 {
        weights: &W3,
        bias: &bad,
    };
    assert_eq!(
        ModelEncoder::new(&layers).unwrap_err(),
        EmitError::Invalid(FormatError::NonFinite {
            tensor: TensorName::Bias { layer: 3 },
            index: 1
        })
    );
}

#[test]
fn encoder_refuses_layers_that_do_not_chain() {
    let mut layers = toy_layers();
    layers[1].inputs = 4;
    layers[1].params = Params::F32 {
        weights: &[0.0; 8],
        bias: &B2,
    };
    assert_eq!(
        ModelEncoder::new(&layers).unwrap_err(),
        EmitError::Invalid(FormatError::LayerChain {
            layer: 2,
            inputs: 4,
            previous_outputs: 3
        })
    );
    let mut short = toy_layers();
    short[0].params = Params::F32 {
        weights: &W1[..5],
        bias: &B1,
    };
    assert!(matches!(
        ModelEncoder::new(&short),
        Err(EmitError::Invalid(FormatError::TensorLength { .. }))
    ));
}

#[test]
fn misaligned_base_address_is_a_typed_error() {
    let blob = encode(&toy_layers());
    let mut shifted = vec![0u8; blob.len() + 1];
    shifted[1..].copy_from_slice(&blob);
    let buf = BlobBuf::from_slice(&shifted);
    assert!(matches!(
        Model::from_bytes(&buf.bytes()[1..]),
        Err(FormatError::Misaligned { align: 4, .. })
    ));
}

#[test]
fn scratch_capacity_is_checked_at_load() {
    let buf = BlobBuf::from_slice(&encode(&toy_layers()));
    let model = Model::from_bytes(buf.bytes()).unwrap();
    assert_eq!(model.max_width(), 3);
    assert_eq!(
        Runner::<2>::new(&model).unwrap_err(),
        CapacityError::TooWide {
            layer: 1,
            width: 3,
            capacity: 2
        }
    );
    let mut runner = Runner::<3>::new(&model).unwrap();
    assert_eq!(
        runner.forward(&[1.0f32]).unwrap_err(),
        ShapeError::Input {
            expected: 2,
            found: 1
        }
    );
    let mut out = [0.0; 3];
    assert_eq!(
        runner.forward_batch(&[1.0f32; 4], &mut out).unwrap_err(),
        ShapeError::Output {
            expected: 4,
            found: 3
        }
    );
    assert_eq!(
        runner.forward_batch(&[1.0f32; 3], &mut out).unwrap_err(),
        ShapeError::Batch {
            input_len: 2,
            found: 3
        }
    );
}

#[test]
fn dataset_round_trip_and_label_check() {
    let images: Vec<u8> = (0..24).collect();
    let spec = DatasetSpec {
        rows: 3,
        cols: 4,
        classes: 10,
        images: &images,
        labels: &[7, 2],
    };
    let encoder = DatasetEncoder::new(&spec).unwrap();
    let mut blob = vec![0; encoder.encoded_len()];
    encoder.emit(&mut blob).unwrap();
    let buf = BlobBuf::from_slice(&blob);
    let dataset = Dataset::from_bytes(buf.bytes()).unwrap();
    assert_eq!((dataset.len(), dataset.rows(), dataset.cols()), (2, 3, 4));
    assert_eq!(dataset.get(1), Some((&images[12..], 2)));
    assert_eq!(dataset.get(2), None);
    let all: Vec<_> = dataset.iter().map(|(_, l)| l).collect();
    assert_eq!(all, [7, 2]);

    // The streaming view: layout from the first bytes, checksum over the pieces.
    let header = runtime::blob::Header::read(&blob).unwrap();
    let prefix = &blob[..16 + header.manifest_len as usize];
    let layout = DatasetLayout::from_prefix(prefix).unwrap();
    assert_eq!(
        (layout.count, layout.rows, layout.cols, layout.classes),
        (2, 3, 4, 10)
    );
    assert_eq!(&blob[layout.images.clone()], images.as_slice());
    assert_eq!(&blob[layout.labels.clone()], &[7, 2]);
    assert_eq!(layout.total_len, blob.len());
    let mut stream = Crc32Stream::new();
    for piece in blob[..blob.len() - 4].chunks(5) {
        stream.update(piece);
    }
    assert_eq!(stream.finalize().to_le_bytes(), blob[blob.len() - 4..]);
    assert!(matches!(
        DatasetLayout::from_prefix(&prefix[..prefix.len() - 1]),
        Err(FormatError::Truncated { .. })
    ));
    let bad = DatasetSpec {
        labels: &[7, 10],
        ..spec
    };
    assert_eq!(
        DatasetEncoder::new(&bad).unwrap_err(),
        EmitError::Invalid(FormatError::LabelOutOfRange {
            index: 1,
            label: 10,
            classes: 10
        })
    );
}

/// A small deterministic generator (xorshift) for the no-panic sweep.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn random_and_resealed_mutations_never_panic() {
    let blob = encode(&toy_layers());
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for round in 0..20_000 {
        let mut bytes = if round % 2 == 0 {
            let len = (xorshift(&mut state) % 256) as usize;
            (0..len).map(|_| xorshift(&mut state) as u8).collect()
        } else {
            blob.clone()
        };
        if round % 2 == 1 {
            // Damage a few bytes anywhere, then reseal so parsing goes past the checksum.
            for _ in 0..1 + xorshift(&mut state) % 4 {
                let at = (xorshift(&mut state) as usize) % (bytes.len() - CHECKSUM_LEN);
                bytes[at] = xorshift(&mut state) as u8;
            }
            reseal(&mut bytes);
        }
        let buf = BlobBuf::from_slice(&bytes);
        if let Ok(model) = Model::from_bytes(buf.bytes())
            && let Ok(mut runner) = Runner::<64>::new(&model)
        {
            let input = vec![0.5f32; model.input_len()];
            let out = runner.forward(&input).unwrap();
            assert_eq!(out.len(), model.output_len());
        }
        let _ = Dataset::from_bytes(buf.bytes());
    }
}
