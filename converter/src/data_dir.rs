//! Finding the reference data: the book's pickle and the MNIST test files.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Environment variable naming the data directory.
pub const ENV_VAR: &str = "CONVERTER_DATA_DIR";
/// The chapter 3 weights.
pub const WEIGHTS: &str = "sample_weight.pkl";
/// MNIST test images.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";
/// MNIST test labels.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte.gz";
/// Files the default job needs.
pub const REQUIRED: [&str; 3] = [WEIGHTS, TEST_IMAGES, TEST_LABELS];

/// The directory to read data from: `explicit` (from `--data-dir`), else `$CONVERTER_DATA_DIR`,
/// else the first of `data/` and `../shared/data` that holds every required file.
///
/// # Errors
/// [`Error::NoData`] listing the directories tried.
pub fn resolve(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    let candidates: Vec<PathBuf> = match explicit {
        Some(dir) => vec![dir.to_path_buf()],
        None => match std::env::var_os(ENV_VAR) {
            Some(dir) => vec![PathBuf::from(dir)],
            None => vec![PathBuf::from("data"), PathBuf::from("../shared/data")],
        },
    };
    candidates
        .iter()
        .find(|dir| REQUIRED.iter().all(|f| dir.join(f).is_file()))
        .cloned()
        .ok_or_else(|| Error::NoData {
            wanted: REQUIRED.join(", "),
            searched: candidates
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}
