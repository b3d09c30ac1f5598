//! Shared helpers of the workspace tests: where the reference data is, the numpy
//! reference outputs, and blobs of the book's network.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use converter::blobfile::BlobBuf;
use converter::convert::{self, Activations};
use converter::data_dir;
use converter::host_kernels::HostKernels;
use converter::quantize::Precision;

/// The workspace root.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
}

/// The reference data directory: `$CONVERTER_DATA_DIR`, else `../shared/data` beside the
/// workspace. Panics (failing the test, never skipping it) when the files are missing.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os(data_dir::ENV_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"));
    for file in data_dir::REQUIRED {
        assert!(
            dir.join(file).is_file(),
            "reference data missing: {} (set {} to the directory holding {})",
            dir.join(file).display(),
            data_dir::ENV_VAR,
            data_dir::REQUIRED.join(", ")
        );
    }
    dir
}

/// What the book's numpy code computes for the MNIST test set.
#[derive(Debug)]
pub struct NumpyReference {
    /// Softmax outputs, 10 per image.
    pub probabilities: Vec<f32>,
    /// Argmax class per image.
    pub predictions: Vec<u8>,
}

/// Runs `reference/book_mnist.py` once per test process and reads its outputs.
pub fn numpy_reference() -> &'static NumpyReference {
    static REFERENCE: OnceLock<NumpyReference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let out = tempfile::tempdir().expect("temporary directory");
        let script = workspace_root().join("reference/book_mnist.py");
        let status = Command::new("python3")
            .arg(&script)
            .arg(data_dir())
            .arg(out.path())
            .status()
            .expect("python3 must be installed to run the numpy reference");
        assert!(
            status.success(),
            "{} failed (is numpy installed?)",
            script.display()
        );
        let raw = std::fs::read(out.path().join("probabilities.f32")).expect("probabilities");
        NumpyReference {
            probabilities: raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            predictions: std::fs::read(out.path().join("predictions.u8")).expect("predictions"),
        }
    })
}

/// The book's `sample_weight.pkl` converted with default activations, in aligned memory.
pub fn book_model() -> &'static BlobBuf {
    static MODEL: OnceLock<BlobBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let converted =
            convert::model_blob(&data_dir().join(data_dir::WEIGHTS), &Activations::default())
                .expect("sample_weight.pkl converts");
        BlobBuf::from_slice(&converted.bytes)
    })
}

/// The converter's host kernels, for tests that compare them with the runtime's. On a CPU
/// without AVX-512 VNNI, VBMI and VBMI2 such a test compares the runtime's kernels with
/// themselves: it says so, and under CI (where the machines have the features) it fails.
pub fn host_kernels() -> HostKernels {
    let host = HostKernels::detect();
    if !host.uses_avx512() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI's machines have AVX-512 VNNI, VBMI and VBMI2, and this CPU lacks them: \
             the host kernels would go untested"
        );
        eprintln!(
            "this CPU lacks AVX-512 VNNI, VBMI and VBMI2: the host kernels are not exercised"
        );
    }
    host
}

/// The book's network quantized to int8 as `converter model --precision int8` does by
/// default (calibrated on the first 1000 test images), in aligned memory.
pub fn book_model_int8() -> &'static BlobBuf {
    static MODEL: OnceLock<BlobBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = data_dir();
        let calibration = convert::calibration_images(&dir.join(data_dir::TEST_IMAGES), 1000)
            .expect("MNIST test images read");
        let converted = convert::quantized_model_blob(
            &dir.join(data_dir::WEIGHTS),
            &Activations::default(),
            Precision::Int8,
            &calibration,
        )
        .expect("sample_weight.pkl quantizes");
        BlobBuf::from_slice(&converted.bytes)
    })
}

/// The MNIST test set converted to a dataset blob, in aligned memory.
pub fn mnist_test() -> &'static BlobBuf {
    static DATASET: OnceLock<BlobBuf> = OnceLock::new();
    DATASET.get_or_init(|| {
        let dir = data_dir();
        let blob = convert::dataset_blob(
            &dir.join(data_dir::TEST_IMAGES),
            &dir.join(data_dir::TEST_LABELS),
            None,
        )
        .expect("MNIST test set converts");
        BlobBuf::from_slice(&blob)
    })
}

/// One bad input file per rejection class, written by `reference/make_bad_inputs.py` once
/// per test process.
pub fn bad_inputs() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let script = workspace_root().join("reference/make_bad_inputs.py");
        let status = Command::new("python3")
            .arg(&script)
            .arg(data_dir())
            .arg(dir.path())
            .status()
            .expect("python3 must be installed to make the bad inputs");
        assert!(
            status.success(),
            "{} failed (is numpy installed?)",
            script.display()
        );
        dir
    })
    .path()
}

/// The median of timing samples (the upper one of an even count). Panics when there are none.
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
