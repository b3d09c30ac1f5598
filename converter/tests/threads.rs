//! `converter eval --threads N`: the same predictions, in the same order, on any number of
//! threads; `--threads 0` is refused in one line.

mod common;

use common::{data_dir, fails};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn converter(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_converter"))
        .args(args)
        .output()
        .unwrap()
}

fn succeeds(args: &[&Path]) -> String {
    let out = converter(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// The book's model and the whole MNIST test set as blobs, and the test set's first 3
/// images, made once per test process.
struct Blobs {
    _dir: tempfile::TempDir,
    model: PathBuf,
    test: PathBuf,
    three: PathBuf,
}

fn blobs() -> &'static Blobs {
    static BLOBS: OnceLock<Blobs> = OnceLock::new();
    BLOBS.get_or_init(|| {
        let data = data_dir();
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.bin");
        let test = dir.path().join("test.bin");
        let three = dir.path().join("three.bin");
        let images = data.join("t10k-images-idx3-ubyte.gz");
        let labels = data.join("t10k-labels-idx1-ubyte.gz");
        succeeds(&[
            Path::new("model"),
            &data.join("sample_weight.pkl"),
            Path::new("-o"),
            &model,
        ]);
        succeeds(&[
            Path::new("dataset"),
            &images,
            &labels,
            Path::new("-o"),
            &test,
        ]);
        succeeds(&[
            Path::new("dataset"),
            &images,
            &labels,
            Path::new("-o"),
            &three,
            Path::new("--limit"),
            Path::new("3"),
        ]);
        Blobs {
            _dir: dir,
            model,
            test,
            three,
        }
    })
}

/// `eval --json` with `extra` arguments, parsed.
fn eval_json(dataset: &Path, extra: &[&Path]) -> serde_json::Value {
    let b = blobs();
    let mut args = vec![Path::new("eval"), &b.model, dataset, Path::new("--json")];
    args.extend_from_slice(extra);
    serde_json::from_str(&succeeds(&args)).unwrap()
}

#[test]
fn one_two_and_three_threads_predict_the_same_classes_in_the_same_order() {
    let b = blobs();
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2", "3"] {
        let predictions = out.path().join(format!("predictions-{threads}.u8"));
        let report = eval_json(
            &b.test,
            &[
                Path::new("--threads"),
                Path::new(threads),
                Path::new("--predictions"),
                &predictions,
            ],
        );
        assert_eq!(report["correct"], 9352, "{threads} threads: {report}");
        assert_eq!(report["total"], 10000);
        assert_eq!(report["threads"], threads.parse::<u64>().unwrap());
        let bytes = std::fs::read(&predictions).unwrap();
        assert_eq!(bytes.len(), 10000);
        files.push(bytes);
    }
    assert!(files[1] == files[0], "2 threads predict differently from 1");
    assert!(files[2] == files[0], "3 threads predict differently from 1");
}

#[test]
fn the_default_uses_at_least_one_thread_and_scores_the_same() {
    let report = eval_json(&blobs().test, &[]);
    assert_eq!(report["correct"], 9352, "{report}");
    assert!(report["threads"].as_u64().unwrap() >= 1, "{report}");
}

#[test]
fn threads_with_skip_and_agreement_score_the_same_as_one() {
    let b = blobs();
    let skip = [Path::new("--skip"), Path::new("1001")];
    let agree = [Path::new("--agree-with"), &b.model];
    let args = |threads: &'static str| {
        let mut a = vec![Path::new("--threads"), Path::new(threads)];
        a.extend_from_slice(&skip);
        a.extend_from_slice(&agree);
        a
    };
    let one = eval_json(&b.test, &args("1"));
    let three = eval_json(&b.test, &args("3"));
    assert_eq!(one["total"], 8999);
    for key in ["correct", "total", "confusion", "agreement"] {
        assert_eq!(one[key], three[key], "{key}");
    }
    assert_eq!(three["agreement"]["same"], 8999);
}

#[test]
fn more_threads_than_batches_use_one_thread_per_batch() {
    let b = blobs();
    let out = tempfile::tempdir().unwrap();
    let few = out.path().join("few.u8");
    let one = out.path().join("one.u8");
    let report = eval_json(
        &b.three,
        &[
            Path::new("--threads"),
            Path::new("8"),
            Path::new("--predictions"),
            &few,
        ],
    );
    assert_eq!(report["total"], 3);
    assert_eq!(report["threads"], 1);
    eval_json(
        &b.three,
        &[
            Path::new("--threads"),
            Path::new("1"),
            Path::new("--predictions"),
            &one,
        ],
    );
    assert_eq!(std::fs::read(few).unwrap(), std::fs::read(one).unwrap());
}

#[test]
fn zero_threads_is_one_clear_error_line() {
    let b = blobs();
    let out = tempfile::tempdir().unwrap();
    let predictions = out.path().join("predictions.u8");
    let result = converter(&[
        Path::new("eval"),
        &b.model,
        &b.test,
        Path::new("--threads"),
        Path::new("0"),
        Path::new("--predictions"),
        &predictions,
    ]);
    let stderr = fails(&result, &["at least 1"]);
    assert!(stderr.starts_with("error: --threads 0: "), "{stderr}");
    assert!(result.stdout.is_empty());
    assert!(!predictions.exists());
}
