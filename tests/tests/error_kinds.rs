//! Each class of bad input gives its own error kind, naming the file.

use std::path::Path;

use converter::Error;
use converter::convert::{self, Activations};
use converter::idx::IdxError;
use converter::network::NetworkError;
use converter::pickle::PickleError;
use runtime::FormatError;
use tests::{bad_inputs, book_model, data_dir};

fn model_error(name: &str) -> Error {
    let path = bad_inputs().join(name);
    let err = convert::model_blob(&path, &Activations::default()).unwrap_err();
    assert!(err.to_string().contains(name), "{err} does not name {name}");
    err
}

fn dataset_error(images: &Path, labels: &Path) -> Error {
    convert::dataset_blob(images, labels, None).unwrap_err()
}

#[test]
fn pickle_classes() {
    assert!(
        matches!(model_error("no_such.pkl"), Error::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    assert!(matches!(model_error("empty.pkl"), Error::Empty { .. }));
    assert!(matches!(
        model_error("truncated.pkl"),
        Error::Pickle {
            source: PickleError::Truncated { .. },
            ..
        }
    ));
    assert!(matches!(
        model_error("not_a_pickle.pkl"),
        Error::Pickle {
            source: PickleError::NotPickle { .. },
            ..
        }
    ));
}

#[test]
fn weight_classes() {
    assert!(matches!(
        model_error("missing_weight.pkl"),
        Error::Network { source: NetworkError::MissingWeights { weights, .. }, .. } if weights == "W3"
    ));
    assert!(matches!(
        model_error("missing_bias.pkl"),
        Error::Network { source: NetworkError::MissingBias { bias, .. }, .. } if bias == "b2"
    ));
    assert!(matches!(
        model_error("mismatched.pkl"),
        Error::Network {
            source: NetworkError::ChainMismatch { .. },
            ..
        }
    ));
    assert!(matches!(
        model_error("nan.pkl"),
        Error::Network { source: NetworkError::NonFinite { key, index: 307, .. }, .. } if key == "W2"
    ));
    assert!(matches!(
        model_error("inf.pkl"),
        Error::Network { source: NetworkError::NonFinite { key, index: 4, .. }, .. } if key == "b1"
    ));
}

#[test]
fn idx_classes() {
    let labels = data_dir().join("t10k-labels-idx1-ubyte.gz");
    let bad = bad_inputs();
    assert!(matches!(
        dataset_error(&bad.join("bad_magic.idx"), &labels),
        Error::Idx {
            source: IdxError::ElementType { found: 9 },
            ..
        }
    ));
    assert!(matches!(
        dataset_error(&bad.join("images.idx"), &labels),
        Error::Idx {
            source: IdxError::Length {
                expected: 7_840_000,
                found: 78_400
            },
            ..
        }
    ));
    assert!(matches!(
        dataset_error(&bad.join("images-100.idx"), &bad.join("labels-99.idx")),
        Error::CountMismatch {
            images: 100,
            labels: 99,
            ..
        }
    ));
    let images = data_dir().join("t10k-images-idx3-ubyte.gz");
    assert!(matches!(
        dataset_error(&images, &bad.join("truncated.gz")),
        Error::Idx {
            source: IdxError::Gzip(_),
            ..
        }
    ));
}

#[test]
fn blob_classes() {
    let path = Path::new("model.bin");
    let describe = |bytes: &[u8]| {
        let buf = converter::blobfile::BlobBuf::from_slice(bytes);
        converter::inspect::describe(path, buf.bytes())
    };
    let good = book_model().bytes();
    assert!(describe(good).unwrap().contains("checksum ok"));
    let mut flipped = good.to_vec();
    flipped[good.len() / 2] ^= 0x10;
    assert!(matches!(
        describe(&flipped),
        Err(Error::Blob {
            source: FormatError::ChecksumMismatch { .. },
            ..
        })
    ));
    assert!(matches!(
        describe(&good[..1000]),
        Err(Error::Blob { source: FormatError::Truncated { needed, available: 1000 }, .. }) if needed == good.len()
    ));
    assert!(matches!(
        describe(b"GIF89a..........."),
        Err(Error::Blob {
            source: FormatError::BadMagic { .. },
            ..
        })
    ));
}
