//! Building blobs from input files: weight pickles to model blobs, IDX files to dataset blobs.

use std::path::Path;

use runtime::{Activation, Dataset, DatasetEncoder, DatasetSpec, DenseSpec, ModelEncoder};

use crate::blobfile::BlobBuf;
use crate::error::Error;
use crate::network::{self, DenseParams};
use crate::pickle::{self, Ignored};
use crate::quantize::{Precision, quantize};
use crate::{atomic, idx};

/// MNIST has ten digit classes.
pub const MNIST_CLASSES: usize = 10;

/// Activations to give the layers of a converted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Activations {
    /// After the hidden layers: one for all of them, or one per hidden layer in order.
    pub hidden: Vec<Activation>,
    /// After the last layer.
    pub output: Activation,
}

impl Default for Activations {
    /// The book's chapter 3 network: sigmoid hidden layers, softmax output.
    fn default() -> Self {
        Activations {
            hidden: vec![Activation::Sigmoid],
            output: Activation::Softmax,
        }
    }
}

impl Activations {
    /// The activation of each of `layers` layers, or `None` when `hidden` has neither one
    /// entry nor one per hidden layer.
    pub fn per_layer(&self, layers: usize) -> Option<Vec<Activation>> {
        let hidden_layers = layers.checked_sub(1)?;
        let hidden: Vec<Activation> = match self.hidden.as_slice() {
            [one] => vec![*one; hidden_layers],
            list if list.len() == hidden_layers => list.to_vec(),
            _ => return None,
        };
        Some(hidden.into_iter().chain([self.output]).collect())
    }
}

/// A converted model blob and what went into it.
#[derive(Debug, Clone)]
pub struct ModelBlob {
    /// The blob's bytes.
    pub bytes: Vec<u8>,
    /// The layers read from the pickle.
    pub layers: Vec<DenseParams>,
    /// Pickle entries that are not arrays, ignored.
    pub ignored: Vec<Ignored>,
    /// Arrays whose names are not `W<n>` or `b<n>`, ignored.
    pub unused_arrays: Vec<String>,
}

/// Reads a whole input file, refusing an empty one.
///
/// # Errors
/// [`Error::Read`] or [`Error::Empty`].
pub fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

/// Writes an output file atomically.
///
/// # Errors
/// [`Error::Write`]; an existing file at `path` is then unchanged.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    atomic::write(path, bytes).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Converts a numpy weight pickle (`W1`, `b1`, … `Wn`, `bn`) to a model blob.
///
/// # Errors
/// [`Error::Read`], [`Error::Empty`], [`Error::Pickle`], [`Error::Network`],
/// [`Error::ActivationCount`] or [`Error::Emit`], each naming `pkl`.
pub fn model_blob(pkl: &Path, activations: &Activations) -> Result<ModelBlob, Error> {
    quantized_model_blob(pkl, activations, Precision::F32, &[])
}

/// Converts a numpy weight pickle to a model blob of the given precision; int8 calibrates
/// its activation ranges on `calibration` (`u8` images end to end, see
/// [`calibration_images`]).
///
/// # Errors
/// As [`model_blob`], and [`Error::Quantize`].
pub fn quantized_model_blob(
    pkl: &Path,
    activations: &Activations,
    precision: Precision,
    calibration: &[u8],
) -> Result<ModelBlob, Error> {
    let bytes = read_input(pkl)?;
    let file = pickle::parse_weights(&bytes).map_err(|source| Error::Pickle {
        path: pkl.to_path_buf(),
        source,
    })?;
    let layers = network::layers_from_arrays(&file.arrays).map_err(|source| Error::Network {
        path: pkl.to_path_buf(),
        source,
    })?;
    let bytes = encode_model(pkl, &layers, activations, precision, calibration)?;
    let unused_arrays = file
        .arrays
        .keys()
        .filter(|k| !is_layer_key(k, layers.len()))
        .cloned()
        .collect();
    Ok(ModelBlob {
        bytes,
        layers,
        ignored: file.ignored,
        unused_arrays,
    })
}

/// Encodes layers with the given activations into a model blob.
fn encode_model(
    pkl: &Path,
    layers: &[DenseParams],
    activations: &Activations,
    precision: Precision,
    calibration: &[u8],
) -> Result<Vec<u8>, Error> {
    let per_layer = activations
        .per_layer(layers.len())
        .ok_or(Error::ActivationCount {
            path: pkl.to_path_buf(),
            given: activations.hidden.len(),
            hidden_layers: layers.len().saturating_sub(1),
        })?;
    let params =
        quantize(layers, &per_layer, precision, calibration).map_err(|source| Error::Quantize {
            path: pkl.to_path_buf(),
            source,
        })?;
    let specs: Vec<DenseSpec<'_>> = layers
        .iter()
        .zip(per_layer)
        .zip(&params)
        .map(|((l, activation), params)| DenseSpec {
            inputs: l.inputs,
            outputs: l.outputs,
            activation,
            params: params.view(),
        })
        .collect();
    let emit_error = |source| Error::Emit {
        path: pkl.to_path_buf(),
        source,
    };
    let encoder = ModelEncoder::new(&specs).map_err(emit_error)?;
    let mut blob = vec![0; encoder.encoded_len()];
    encoder.emit(&mut blob).map_err(emit_error)?;
    Ok(blob)
}

/// Whether `key` is `W<n>` or `b<n>` for a layer `n` in `1..=layers`.
fn is_layer_key(key: &str, layers: usize) -> bool {
    let number = key.strip_prefix('W').or_else(|| key.strip_prefix('b'));
    number
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| (1..=layers).contains(&n))
}

/// Reads an IDX file, gunzipping it if needed.
fn read_idx(path: &Path, consumed: &mut dyn FnMut(usize)) -> Result<Vec<u8>, Error> {
    idx::gunzip_reporting(read_input(path)?, consumed).map_err(|source| Error::Idx {
        path: path.to_path_buf(),
        source,
    })
}

/// Converts MNIST IDX image and label files (gzip or not) to a dataset blob, keeping the
/// first `limit` images if given.
///
/// # Errors
/// [`Error::Read`], [`Error::Empty`], [`Error::Idx`], [`Error::CountMismatch`] or
/// [`Error::Emit`] (a label of 10 or more).
pub fn dataset_blob(images: &Path, labels: &Path, limit: Option<usize>) -> Result<Vec<u8>, Error> {
    dataset_blob_reporting(images, labels, limit, &mut |_| {})
}

/// [`dataset_blob`], calling `consumed` as the two files' bytes are read and decompressed;
/// the calls add up to the files' sizes, images first.
///
/// # Errors
/// As [`dataset_blob`].
pub fn dataset_blob_reporting(
    images: &Path,
    labels: &Path,
    limit: Option<usize>,
    consumed: &mut dyn FnMut(usize),
) -> Result<Vec<u8>, Error> {
    let idx_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Idx { path, source }
    };
    let mut pixels = idx::parse_images(&read_idx(images, consumed)?).map_err(idx_error(images))?;
    let mut label_values =
        idx::parse_labels(&read_idx(labels, consumed)?).map_err(idx_error(labels))?;
    if pixels.count != label_values.len() {
        return Err(Error::CountMismatch {
            images_path: images.to_path_buf(),
            labels_path: labels.to_path_buf(),
            images: pixels.count,
            labels: label_values.len(),
        });
    }
    if let Some(n) = limit {
        pixels.truncate(n);
        label_values.truncate(n);
    }
    let spec = DatasetSpec {
        rows: pixels.rows,
        cols: pixels.cols,
        classes: MNIST_CLASSES,
        images: &pixels.pixels,
        labels: &label_values,
    };
    let emit_error = |source| Error::Emit {
        path: labels.to_path_buf(),
        source,
    };
    let encoder = DatasetEncoder::new(&spec).map_err(emit_error)?;
    let mut blob = vec![0; encoder.encoded_len()];
    encoder.emit(&mut blob).map_err(emit_error)?;
    Ok(blob)
}

/// The first `count` images of an IDX image file (gzip or not) or a dataset blob, `u8`
/// pixels end to end: calibration data for int8.
///
/// # Errors
/// [`Error::Read`], [`Error::Empty`], [`Error::Idx`] or [`Error::Blob`].
pub fn calibration_images(path: &Path, count: usize) -> Result<Vec<u8>, Error> {
    let bytes = read_input(path)?;
    if bytes.starts_with(&runtime::layout::MAGIC) {
        let buf = BlobBuf::from_slice(&bytes);
        let dataset = Dataset::from_bytes(buf.bytes()).map_err(|source| Error::Blob {
            path: path.to_path_buf(),
            source,
        })?;
        let n = count.min(dataset.len()) * dataset.image_len();
        return Ok(dataset.images()[..n].to_vec());
    }
    let idx_error = |source| Error::Idx {
        path: path.to_path_buf(),
        source,
    };
    let mut images =
        idx::parse_images(&idx::gunzip_if_needed(bytes).map_err(idx_error)?).map_err(idx_error)?;
    images.truncate(count);
    Ok(images.pixels)
}
