//! The command's failures: the library's [`converter::Error`] plus those of pictures,
//! predictions and downloads, each one line naming the file.

use std::path::PathBuf;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A conversion, reading or writing error of the library.
    #[error(transparent)]
    Converter(#[from] converter::Error),
    /// An image that cannot be decoded.
    #[error("{}: {reason}", path.display())]
    Image {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// int8 asked for without calibration images, and no data directory has MNIST's.
    #[error("{}: int8 needs calibration images: pass --calibration IMAGES (an IDX image file or a dataset blob), or --data-dir DIR holding t10k-images-idx3-ubyte.gz (looked in {searched})", weights.display())]
    NoCalibration {
        /// The weight file being converted.
        weights: PathBuf,
        /// The directories tried, comma-separated.
        searched: String,
    },
    /// An image index past the end of a dataset.
    #[error("{}: no image {index}: the dataset has {len} images (0 to {})", path.display(), len.saturating_sub(1))]
    Index {
        /// The dataset file.
        path: PathBuf,
        /// Index asked for.
        index: usize,
        /// Images in the dataset.
        len: usize,
    },
    /// A model that cannot take a 28×28 image.
    #[error("{}: model takes {inputs} inputs, but a picture becomes 28x28 = 784 pixels", path.display())]
    ModelInput {
        /// The model file.
        path: PathBuf,
        /// Model input length.
        inputs: usize,
    },
    /// No data directory had the files and downloading them failed.
    #[error("no data directory has {wanted} (looked in {searched}), and downloading them into {} failed: {cause}. Connect to the network and run again, or download from a mirror with `converter fetch --base-url URL --data-dir {}`, or copy the files into {}, or pass --data-dir DIR (or set CONVERTER_DATA_DIR) naming a directory that has them", dir.display(), dir.display(), dir.display())]
    NoDataOffline {
        /// The files needed.
        wanted: String,
        /// The directories tried.
        searched: String,
        /// Where the download was to go.
        dir: PathBuf,
        /// The download's error.
        cause: String,
    },
    /// A download or checksum failure.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
}
