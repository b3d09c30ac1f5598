//! The converter's error: what went wrong, and with which file.

use std::path::PathBuf;

use crate::idx::IdxError;
use crate::network::NetworkError;
use crate::pickle::PickleError;

/// A failure of a converter command, printed as one line naming the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An output could not be written; any existing file is unchanged.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is empty.
    #[error("{}: file is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A weight pickle could not be read.
    #[error("{}: {source}", path.display())]
    Pickle {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: PickleError,
    },
    /// A weight pickle's arrays do not form a network.
    #[error("{}: {source}", path.display())]
    Network {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: NetworkError,
    },
    /// Per-layer activations given for another number of hidden layers.
    #[error("{}: {given} hidden-layer activations given, but the network has {hidden_layers} hidden layers (give one for all, or one per hidden layer)", path.display())]
    ActivationCount {
        /// The weight file.
        path: PathBuf,
        /// Activations given.
        given: usize,
        /// Hidden layers in the network.
        hidden_layers: usize,
    },
    /// A network could not be quantized.
    #[error("{}: {source}", path.display())]
    Quantize {
        /// The weight file.
        path: PathBuf,
        /// Why.
        source: crate::quantize::QuantizeError,
    },
    /// An IDX file could not be read.
    #[error("{}: {source}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: IdxError,
    },
    /// Image and label files disagree on the count.
    #[error("{}: {labels} labels for {images} images in {}", labels_path.display(), images_path.display())]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// The label file.
        labels_path: PathBuf,
        /// Images in it.
        images: usize,
        /// Labels in it.
        labels: usize,
    },
    /// A blob failed validation.
    #[error("{}: {source}", path.display())]
    Blob {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: runtime::FormatError,
    },
    /// A blob could not be built from valid-looking input.
    #[error("{}: {source}", path.display())]
    Emit {
        /// The input file.
        path: PathBuf,
        /// What is wrong.
        source: runtime::EmitError,
    },
    /// A model wider than the converter's scratch capacity.
    #[error("{}: {source}", path.display())]
    Capacity {
        /// The model file.
        path: PathBuf,
        /// Which layer and how wide.
        source: runtime::CapacityError,
    },
    /// A model whose input does not take the dataset's images.
    #[error("{}: model takes {inputs} inputs but the images of {} have {pixels} pixels", model.display(), dataset.display())]
    InputMismatch {
        /// The model file.
        model: PathBuf,
        /// The dataset file.
        dataset: PathBuf,
        /// Model input length.
        inputs: usize,
        /// Pixels per image.
        pixels: usize,
    },
    /// A model whose output cannot name the dataset's classes.
    #[error("{}: model gives {outputs} outputs but the labels of {} need {classes} classes", model.display(), dataset.display())]
    ClassMismatch {
        /// The model file.
        model: PathBuf,
        /// The dataset file.
        dataset: PathBuf,
        /// Model output length.
        outputs: usize,
        /// Classes in the dataset.
        classes: usize,
    },
    /// No data directory holds the files the default job needs.
    #[error("no data directory has {wanted}; looked in {searched}. Pass --data-dir DIR or set {env}", env = crate::data_dir::ENV_VAR)]
    NoData {
        /// The files needed.
        wanted: String,
        /// The directories tried, comma-separated.
        searched: String,
    },
}
