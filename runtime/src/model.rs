//! The validated model view: layers whose weights are read in place from the blob.

use heapless::Vec;

use crate::activation::Activation;
use crate::blob::Envelope;
use crate::error::{FormatError, TensorName};
use crate::layout::Kind;
use crate::manifest::{ElementType, LayerOp, MAX_LAYERS, ModelManifest};
use crate::tensor::{TensorCursor, check_finite, view_f32};

/// One dense layer of a validated model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer<'a> {
    inputs: usize,
    outputs: usize,
    activation: Activation,
    weights: &'a [f32],
    bias: &'a [f32],
}

impl<'a> Layer<'a> {
    /// Length of the layer's input.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Length of the layer's output.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Function applied to the output.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// `inputs × outputs` weights, row-major (row `i` holds the weights from input `i`).
    pub fn weights(&self) -> &'a [f32] {
        self.weights
    }

    /// `outputs` biases.
    pub fn bias(&self) -> &'a [f32] {
        self.bias
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.weights.len() + self.bias.len()
    }
}

/// A model blob that passed every check, viewed in place.
///
/// [`Model::from_bytes`] verifies the whole blob once; afterwards every accessor and the
/// forward pass are infallible with respect to the blob's contents and never panic.
#[derive(Debug, Clone, PartialEq)]
pub struct Model<'a> {
    layers: Vec<Layer<'a>, MAX_LAYERS>,
    blob_len: usize,
}

impl<'a> Model<'a> {
    /// Validates a model blob and views it in place; nothing is copied.
    ///
    /// # Errors
    /// Any [`FormatError`]: bad magic, version, length or checksum, wrong kind, an
    /// undecodable manifest, layers that do not chain, tensors out of bounds or
    /// misaligned, non-finite weights, or a base address not aligned to 4 bytes.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let envelope = Envelope::open(bytes, Kind::Model)?;
        let manifest: ModelManifest = envelope.decode()?;
        let ranges = check_manifest(&manifest, envelope.payload_start(), envelope.payload_end)?;
        let mut layers = Vec::new();
        for (n, (desc, (weights, bias))) in (1..).zip(manifest.layers.iter().zip(ranges)) {
            let weights = view(bytes, weights, TensorName::Weights { layer: n })?;
            let bias = view(bytes, bias, TensorName::Bias { layer: n })?;
            // Capacity matches the manifest's, which bounded the ranges.
            let _ = layers.push(Layer {
                inputs: desc.inputs as usize,
                outputs: desc.outputs as usize,
                activation: desc.activation,
                weights,
                bias,
            });
        }
        Ok(Model {
            layers,
            blob_len: bytes.len(),
        })
    }

    /// The layers, input side first; never empty.
    pub fn layers(&self) -> &[Layer<'a>] {
        &self.layers
    }

    /// Length of the input vector.
    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, Layer::inputs)
    }

    /// Length of the output vector.
    pub fn output_len(&self) -> usize {
        self.layers.last().map_or(0, Layer::outputs)
    }

    /// Widest layer output: the scratch capacity a [`Runner`](crate::Runner) needs.
    pub fn max_width(&self) -> usize {
        self.layers.iter().map(Layer::outputs).max().unwrap_or(0)
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(Layer::parameter_count).sum()
    }

    /// Multiply-accumulates per input: the sum of `inputs × outputs` over layers.
    pub fn macs(&self) -> usize {
        self.layers.iter().map(|l| l.weights.len()).sum()
    }

    /// Size of the blob in bytes.
    pub fn blob_len(&self) -> usize {
        self.blob_len
    }
}

/// Byte ranges of one layer's weights and bias.
type LayerRanges = (core::ops::Range<usize>, core::ops::Range<usize>);

/// Checks a model manifest against the payload `payload_start..payload_end`: layers
/// present, chained, with softmax only last, and tensors in bounds, aligned and in order.
pub(crate) fn check_manifest(
    manifest: &ModelManifest,
    payload_start: usize,
    payload_end: usize,
) -> Result<Vec<LayerRanges, MAX_LAYERS>, FormatError> {
    let last = manifest
        .layers
        .len()
        .checked_sub(1)
        .ok_or(FormatError::NoLayers)?;
    let mut cursor = TensorCursor::new(payload_start, payload_end);
    let mut ranges = Vec::new();
    let mut previous_outputs = None;
    for (i, desc) in manifest.layers.iter().enumerate() {
        let layer = i + 1;
        let LayerOp::Dense = desc.op;
        let (inputs, outputs) = (desc.inputs as usize, desc.outputs as usize);
        if inputs == 0 || outputs == 0 {
            return Err(FormatError::EmptyLayer { layer });
        }
        if let Some(previous_outputs) = previous_outputs
            && previous_outputs != inputs
        {
            return Err(FormatError::LayerChain {
                layer,
                inputs,
                previous_outputs,
            });
        }
        previous_outputs = Some(outputs);
        match desc.activation {
            Activation::Softmax if i != last => return Err(FormatError::SoftmaxNotLast { layer }),
            Activation::LeakyRelu { slope } if !slope.is_finite() => {
                return Err(FormatError::BadSlope { layer });
            }
            _ => {}
        }
        let count = inputs.checked_mul(outputs).ok_or(FormatError::TooLarge)?;
        let weights = cursor.take(
            &desc.weights,
            TensorName::Weights { layer },
            ElementType::F32,
            count,
        )?;
        let bias = cursor.take(
            &desc.bias,
            TensorName::Bias { layer },
            ElementType::F32,
            outputs,
        )?;
        // Capacity matches the manifest's.
        let _ = ranges.push((weights, bias));
    }
    Ok(ranges)
}

/// Views a checked range as finite f32 values.
fn view(
    bytes: &[u8],
    range: core::ops::Range<usize>,
    name: TensorName,
) -> Result<&[f32], FormatError> {
    let raw = bytes.get(range).ok_or(FormatError::TooLarge)?;
    let values = view_f32(raw, name)?;
    check_finite(values, name)?;
    Ok(values)
}
