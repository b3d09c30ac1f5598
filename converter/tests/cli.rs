//! The command line: every bad input ends with exit code 1, one `error:` line naming the
//! file, no panic, and no output file created or changed.

mod common;

use common::{data_dir, fails};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Bad inputs written by `reference/make_bad_inputs.py`, once per test process.
fn bad() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reference/make_bad_inputs.py");
        let status = Command::new("python3")
            .arg(script)
            .arg(data_dir())
            .arg(dir.path())
            .status()
            .expect("python3 with numpy is needed to make the bad inputs");
        assert!(status.success());
        dir
    })
    .path()
}

fn converter(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_converter"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs a failing command twice: once with no output file, once over an existing one.
/// Returns the single error line.
fn assert_fails(args: &[&Path], output: &Path, needle: &str) -> String {
    let _ = std::fs::remove_file(output);
    let stderr = fails(&converter(args), &[needle]);
    assert!(!output.exists(), "{} was created", output.display());

    std::fs::write(output, b"previous contents").unwrap();
    let again = converter(args);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read(output).unwrap(), b"previous contents");
    let leftovers: Vec<_> = std::fs::read_dir(output.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    std::fs::remove_file(output).unwrap();
    stderr
}

fn model_fails(pickle: &str, needle: &str) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let output = out_dir.path().join("model.bin");
    let input = bad().join(pickle);
    let line = assert_fails(
        &[Path::new("model"), &input, Path::new("-o"), &output],
        &output,
        needle,
    );
    assert!(line.contains(pickle), "{line} does not name {pickle}");
    line
}

#[test]
fn missing_pickle() {
    model_fails("no_such_file.pkl", "cannot read");
}

#[test]
fn empty_pickle() {
    model_fails("empty.pkl", "empty");
}

#[test]
fn truncated_pickle() {
    model_fails("truncated.pkl", "truncated");
}

#[test]
fn non_pickle_file() {
    model_fails("not_a_pickle.pkl", "not a pickle");
}

#[test]
fn missing_weight_and_bias() {
    model_fails("missing_weight.pkl", "W3");
    model_fails("missing_bias.pkl", "b2");
}

#[test]
fn mismatched_weight_shapes() {
    model_fails("mismatched.pkl", "W2");
}

#[test]
fn nan_and_infinite_weights() {
    model_fails("nan.pkl", "W2");
    model_fails("inf.pkl", "b1");
}

fn dataset_fails(images: &Path, labels: &Path, needle: &str) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let output = out_dir.path().join("ds.bin");
    assert_fails(
        &[
            Path::new("dataset"),
            images,
            labels,
            Path::new("-o"),
            &output,
        ],
        &output,
        needle,
    )
}

#[test]
fn idx_with_wrong_magic() {
    let line = dataset_fails(
        &bad().join("bad_magic.idx"),
        &data_dir().join("t10k-labels-idx1-ubyte.gz"),
        "element type",
    );
    assert!(line.contains("bad_magic.idx"));
}

#[test]
fn idx_with_wrong_counts() {
    let line = dataset_fails(
        &bad().join("images.idx"),
        &data_dir().join("t10k-labels-idx1-ubyte.gz"),
        "promises",
    );
    assert!(line.contains("images.idx"));
    let line = dataset_fails(
        &bad().join("images-100.idx"),
        &bad().join("labels-99.idx"),
        "99 labels for 100 images",
    );
    assert!(line.contains("labels-99.idx"));
}

#[test]
fn truncated_gzip() {
    let line = dataset_fails(
        &data_dir().join("t10k-images-idx3-ubyte.gz"),
        &bad().join("truncated.gz"),
        "gzip",
    );
    assert!(line.contains("truncated.gz"));
}

/// A small valid model and dataset blob for the eval tests.
fn blobs(dir: &Path) -> (PathBuf, PathBuf) {
    let model = dir.join("model.bin");
    let dataset = dir.join("ds.bin");
    let data = data_dir();
    let ok = converter(&[
        Path::new("model"),
        &data.join("sample_weight.pkl"),
        Path::new("-o"),
        &model,
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let ok = Command::new(env!("CARGO_BIN_EXE_converter"))
        .arg("dataset")
        .arg(data.join("t10k-images-idx3-ubyte.gz"))
        .arg(data.join("t10k-labels-idx1-ubyte.gz"))
        .arg("-o")
        .arg(&dataset)
        .args(["--limit", "100"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    (model, dataset)
}

fn eval_fails(model: &Path, dataset: &Path, needle: &str) {
    fails(&converter(&[Path::new("eval"), model, dataset]), &[needle]);
}

#[test]
fn corrupted_and_truncated_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let (model, dataset) = blobs(dir.path());
    let bytes = std::fs::read(&model).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x10;
    let bad_model = dir.path().join("flipped.bin");
    std::fs::write(&bad_model, &flipped).unwrap();
    eval_fails(&bad_model, &dataset, "checksum mismatch");
    std::fs::write(&bad_model, &bytes[..bytes.len() - 100]).unwrap();
    eval_fails(&bad_model, &dataset, "truncated blob");
    eval_fails(
        &dataset,
        &dataset,
        "this is a dataset blob, expected a model blob",
    );
    let ok = converter(&[Path::new("eval"), &model, &dataset, Path::new("--json")]);
    assert!(ok.status.success());
    let json = String::from_utf8(ok.stdout).unwrap();
    assert!(json.contains("\"total\":100"), "{json}");
}

#[test]
fn default_job_without_data_says_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_converter"))
        .arg("--data-dir")
        .arg(empty.path())
        .current_dir(empty.path())
        .output()
        .unwrap();
    fails(&out, &["--data-dir", "sample_weight.pkl"]);
}

#[test]
fn int8_without_calibration_images_says_what_to_pass() {
    let empty = tempfile::tempdir().unwrap();
    let weights = data_dir().join("sample_weight.pkl");
    let output = empty.path().join("int8.bin");
    let out = Command::new(env!("CARGO_BIN_EXE_converter"))
        .arg("--data-dir")
        .arg(empty.path())
        .args([
            Path::new("model"),
            &weights,
            Path::new("--precision"),
            Path::new("int8"),
        ])
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    fails(&out, &["int8 needs calibration images", "--calibration"]);
    assert!(!output.exists());
}
