//! Helpers shared by the converter's integration tests.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The reference data: `$CONVERTER_DATA_DIR`, else `../shared/data`; fails (never skips)
/// when any of `files` is missing.
pub fn data_dir_with(files: &[&str]) -> PathBuf {
    let dir = std::env::var_os("CONVERTER_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    for name in files {
        assert!(
            dir.join(name).is_file(),
            "reference data {name} missing in {} (set CONVERTER_DATA_DIR)",
            dir.display()
        );
    }
    dir
}

/// The reference data directory with the book's weights and the MNIST test set.
pub fn data_dir() -> PathBuf {
    data_dir_with(&[
        "sample_weight.pkl",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ])
}

/// Asserts a failed command: exit code 1, no panic, one `error:` line containing every
/// needle. Returns that line.
pub fn fails(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
    }
    stderr
}
