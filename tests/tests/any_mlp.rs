//! Networks other than the book's: any depth, per-layer activations, softmax regression,
//! and models wider than the scratch capacity.

use std::path::{Path, PathBuf};
use std::process::Command;

use converter::Error;
use converter::convert::{self, Activations};
use converter::evaluate::HOST_CAPACITY;
use runtime::{Activation, CapacityError, Model, Runner};

/// Writes `{W1: (n0, n1), b1, W2: (n1, n2), ...}` with seeded random float32 values.
fn write_network(dir: &Path, name: &str, widths: &[usize]) -> PathBuf {
    let path = dir.join(name);
    let code = r#"
import pickle, sys
import numpy as np
rng = np.random.default_rng(7)
widths = [int(w) for w in sys.argv[2].split(",")]
net = {}
for k, (a, b) in enumerate(zip(widths, widths[1:]), start=1):
    net[f"W{k}"] = rng.normal(0, 0.5, (a, b)).astype(np.float32)
    net[f"b{k}"] = rng.normal(0, 0.5, b).astype(np.float32)
pickle.dump(net, open(sys.argv[1], "wb"))
"#;
    let widths: Vec<String> = widths.iter().map(usize::to_string).collect();
    let status = Command::new("python3")
        .args(["-c", code])
        .arg(&path)
        .arg(widths.join(","))
        .status()
        .expect("python3 with numpy");
    assert!(status.success());
    path
}

fn activations(hidden: &[Activation], output: Activation) -> Activations {
    Activations {
        hidden: hidden.to_vec(),
        output,
    }
}

#[test]
fn per_layer_activations_reach_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let pkl = write_network(dir.path(), "deep.pkl", &[6, 5, 4, 3, 2]);
    let chosen = [
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.01 },
        Activation::Step,
    ];
    let blob = convert::model_blob(&pkl, &activations(&chosen, Activation::Identity)).unwrap();
    let buf = converter::blobfile::BlobBuf::from_slice(&blob.bytes);
    let model = Model::from_bytes(buf.bytes()).unwrap();
    let got: Vec<Activation> = model.layers().iter().map(|l| l.activation()).collect();
    assert_eq!(got, [chosen[0], chosen[1], chosen[2], Activation::Identity]);

    let all_relu =
        convert::model_blob(&pkl, &activations(&[Activation::Relu], Activation::Softmax)).unwrap();
    let buf = converter::blobfile::BlobBuf::from_slice(&all_relu.bytes);
    let model = Model::from_bytes(buf.bytes()).unwrap();
    let got: Vec<Activation> = model.layers().iter().map(|l| l.activation()).collect();
    assert_eq!(got[..3], [Activation::Relu; 3]);
    assert_eq!(got[3], Activation::Softmax);
}

#[test]
fn wrong_number_of_activations_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let pkl = write_network(dir.path(), "deep.pkl", &[6, 5, 4, 3, 2]);
    let two = activations(
        &[Activation::Relu, Activation::Sigmoid],
        Activation::Softmax,
    );
    let err = convert::model_blob(&pkl, &two).unwrap_err();
    assert!(matches!(
        err,
        Error::ActivationCount {
            given: 2,
            hidden_layers: 3,
            ..
        }
    ));
    assert!(err.to_string().contains("deep.pkl"));
}

#[test]
fn softmax_regression_without_hidden_layers() {
    let dir = tempfile::tempdir().unwrap();
    let pkl = write_network(dir.path(), "regression.pkl", &[784, 10]);
    let blob = convert::model_blob(&pkl, &Activations::default()).unwrap();
    let buf = converter::blobfile::BlobBuf::from_slice(&blob.bytes);
    let model = Model::from_bytes(buf.bytes()).unwrap();
    assert_eq!(model.layers().len(), 1);
    assert_eq!(model.layers()[0].activation(), Activation::Softmax);
    let mut runner = Runner::<10>::new(&model).unwrap();
    let probabilities = runner.forward(&[128u8; 784]).unwrap();
    assert!((probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn a_model_wider_than_the_scratch_is_refused_with_both_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let wide = HOST_CAPACITY + 1;
    let pkl = write_network(dir.path(), "wide.pkl", &[2, 3, wide, 10]);
    let blob = convert::model_blob(&pkl, &Activations::default()).unwrap();
    let buf = converter::blobfile::BlobBuf::from_slice(&blob.bytes);
    let model = Model::from_bytes(buf.bytes()).unwrap();
    let err = Runner::<HOST_CAPACITY>::new(&model).unwrap_err();
    assert_eq!(
        err,
        CapacityError::TooWide {
            layer: 2,
            width: wide,
            capacity: HOST_CAPACITY
        }
    );
    assert_eq!(
        err.to_string(),
        format!("layer 2 has {wide} outputs but the scratch capacity is {HOST_CAPACITY}")
    );
}
