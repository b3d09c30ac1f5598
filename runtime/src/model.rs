//! The validated model view: layers whose parameters are read in place from the blob.

use core::ops::Range;

use heapless::Vec;

use crate::activation::Activation;
use crate::blob::Envelope;
use crate::error::{FormatError, TensorName};
use crate::layout::Kind;
use crate::manifest::{ElementType, I8Output, LayerDesc, LayerOp, MAX_LAYERS, ModelManifest};
use crate::params::{I8Out, I8Params, Params, Precision, Requantization};
use crate::tensor::{TensorCursor, view};

/// One dense layer of a validated model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer<'a> {
    inputs: usize,
    outputs: usize,
    activation: Activation,
    params: Params<'a>,
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

    /// Function applied to the output (for int8 hidden layers, the one its table holds).
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Weights, bias and quantization, viewed in the blob.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// Storage precision.
    pub fn precision(&self) -> Precision {
        self.params.precision()
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.params.weight_count() + self.params.bias_count()
    }

    /// Multiply-accumulates per input: `inputs × outputs`.
    pub fn macs(&self) -> usize {
        self.params.weight_count()
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
    version: u16,
}

impl<'a> Model<'a> {
    /// Validates a model blob and views it in place; nothing is copied.
    ///
    /// # Errors
    /// Any [`FormatError`]: bad magic, version, length or checksum, wrong kind, an
    /// undecodable manifest, layers that do not chain, tensors out of bounds or
    /// misaligned, non-finite weights, invalid quantization, or a base address not aligned
    /// to 4 bytes.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let envelope = Envelope::open(bytes, Kind::Model)?;
        let manifest: ModelManifest = envelope.decode()?;
        let ranges = check_manifest(&manifest, envelope.payload_start(), envelope.payload_end)?;
        let mut layers = Vec::new();
        let mut needed = 1;
        for (n, (desc, ranges)) in (1..).zip(manifest.layers.iter().zip(&ranges)) {
            let params = params_view(bytes, desc, ranges, n)?;
            params.check_values(n)?;
            needed = needed.max(params.version_needed());
            // Capacity matches the manifest's.
            let _ = layers.push(Layer {
                inputs: desc.inputs as usize,
                outputs: desc.outputs as usize,
                activation: desc.activation,
                params,
            });
        }
        if envelope.version < needed {
            return Err(FormatError::VersionTooLow {
                version: envelope.version,
                needed,
            });
        }
        Ok(Model {
            layers,
            blob_len: bytes.len(),
            version: envelope.version,
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
        self.layers.iter().map(Layer::macs).sum()
    }

    /// Storage precision of the first layer (a converter writes one precision per model).
    pub fn precision(&self) -> Precision {
        self.layers.first().map_or(Precision::F32, Layer::precision)
    }

    /// Size of the blob in bytes.
    pub fn blob_len(&self) -> usize {
        self.blob_len
    }

    /// Format version in the blob's header.
    pub fn version(&self) -> u16 {
        self.version
    }
}

/// Byte ranges of one layer's tensors, in manifest order.
pub(crate) type LayerRanges = Vec<Range<usize>, 5>;

/// Checks a model manifest against the payload `payload_start..payload_end`: layers
/// present and chained, softmax only last, int8 layers all-or-none with a table on every
/// hidden layer and dequantization on the last, and tensors of the right types and lengths,
/// in bounds, aligned and in order.
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
    let int8 = matches!(
        manifest.layers.first().map(|l| l.op),
        Some(LayerOp::DenseI8(_))
    );
    let mut cursor = TensorCursor::new(payload_start, payload_end);
    let mut all = Vec::new();
    let mut previous_outputs = None;
    for (i, desc) in manifest.layers.iter().enumerate() {
        let layer = i + 1;
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
        let weights_name = TensorName::Weights { layer };
        let bias_name = TensorName::Bias { layer };
        let bad = |what| FormatError::BadQuantization { layer, what };
        let mut ranges = LayerRanges::new();
        let mut take = |t, name, element, len| -> Result<(), FormatError> {
            let range = cursor.take(t, name, element, len)?;
            // At most five tensors per layer, by construction below.
            let _ = ranges.push(range);
            Ok(())
        };
        match desc.op {
            LayerOp::Dense => {
                if int8 {
                    return Err(bad("int8 and float layers are mixed"));
                }
                let element = match desc.weights.element {
                    ElementType::F16 => ElementType::F16,
                    _ => ElementType::F32,
                };
                take(&desc.weights, weights_name, element, count)?;
                take(&desc.bias, bias_name, ElementType::F32, outputs)?;
            }
            LayerOp::DenseI8(q) => {
                if !int8 {
                    return Err(bad("int8 and float layers are mixed"));
                }
                take(&desc.weights, weights_name, ElementType::I8, count)?;
                take(&desc.bias, bias_name, ElementType::I32, outputs)?;
                match q.output {
                    I8Output::Table {
                        multipliers,
                        shifts,
                        table,
                        ..
                    } => {
                        if i == last {
                            return Err(bad("the output layer must dequantize, not use a table"));
                        }
                        let name = TensorName::Quantization { layer };
                        take(&multipliers, name, ElementType::I32, outputs)?;
                        take(&shifts, name, ElementType::U8, outputs)?;
                        take(&table, name, ElementType::U8, 256)?;
                    }
                    I8Output::Dequantize { scales } => {
                        if i != last {
                            return Err(bad("a hidden layer must use a table, not dequantize"));
                        }
                        let name = TensorName::Quantization { layer };
                        take(&scales, name, ElementType::F32, outputs)?;
                    }
                }
            }
        }
        // Capacity matches the manifest's.
        let _ = all.push(ranges);
    }
    Ok(all)
}

/// Views a layer's checked tensor ranges as its parameters.
fn params_view<'a>(
    bytes: &'a [u8],
    desc: &LayerDesc,
    ranges: &LayerRanges,
    layer: usize,
) -> Result<Params<'a>, FormatError> {
    let at = |i: usize| ranges.get(i).cloned().unwrap_or(0..0);
    let weights = TensorName::Weights { layer };
    let bias = TensorName::Bias { layer };
    let quantization = TensorName::Quantization { layer };
    Ok(match desc.op {
        LayerOp::Dense if desc.weights.element == ElementType::F16 => Params::F16 {
            weights: view(bytes, at(0), weights)?,
            bias: view(bytes, at(1), bias)?,
        },
        LayerOp::Dense => Params::F32 {
            weights: view(bytes, at(0), weights)?,
            bias: view(bytes, at(1), bias)?,
        },
        LayerOp::DenseI8(q) => Params::I8(I8Params {
            weights: view(bytes, at(0), weights)?,
            bias: view(bytes, at(1), bias)?,
            input: q.input,
            order: q.order,
            output: match q.output {
                I8Output::Table { zero_point, .. } => I8Out::Table(Requantization {
                    multipliers: view(bytes, at(2), quantization)?,
                    shifts: view(bytes, at(3), quantization)?,
                    zero_point,
                    table: view::<u8>(bytes, at(4), quantization)?
                        .try_into()
                        .map_err(|_| FormatError::TooLarge)?,
                }),
                I8Output::Dequantize { .. } => I8Out::Dequantize {
                    scales: view(bytes, at(2), quantization)?,
                },
            },
        }),
    })
}
