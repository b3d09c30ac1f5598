//! A dense layer's parameters in each precision, as read from a blob or handed to the encoder.

use crate::error::{FormatError, TensorName};
use crate::half::f16_is_finite;
use crate::manifest::{Quant, WeightOrder};
use crate::tensor::check_finite;

/// The numbers a dense layer computes with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Params<'a> {
    /// f32 weights (`inputs × outputs`, row-major) and f32 bias.
    F32 {
        /// Weights, row `i` holding the weights from input `i`.
        weights: &'a [f32],
        /// Biases.
        bias: &'a [f32],
    },
    /// IEEE half-precision weights (raw bits), f32 bias; computed in f32.
    F16 {
        /// Weights as binary16 bits, row-major.
        weights: &'a [u16],
        /// Biases.
        bias: &'a [f32],
    },
    /// int8 weights, int32 bias and their quantization; computed in integers.
    I8(I8Params<'a>),
}

/// Parameters of an int8 dense layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct I8Params<'a> {
    /// `inputs × outputs` weights in `order`; the weights into output `o` share the output
    /// channel's scale.
    pub weights: &'a [i8],
    /// Where each weight lies in `weights`.
    pub order: WeightOrder,
    /// Biases in accumulator units, with `−zero_point × Σ_i W[i][o]` folded in.
    pub bias: &'a [i32],
    /// Quantization of the `u8` input.
    pub input: Quant,
    /// How accumulators become outputs.
    pub output: I8Out<'a>,
}

/// How an int8 layer's accumulators become its output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum I8Out<'a> {
    /// Requantize each accumulator to a table index, output the table's `u8` value.
    Table(Requantization<'a>),
    /// Scale each accumulator to f32 (`acc × scales[o]`) and apply the activation in f32.
    Dequantize {
        /// Scale per output, finite and positive.
        scales: &'a [f32],
    },
}

/// How [`I8Out::Table`] turns accumulator `o` into a `u8` output:
/// `table[requantize(acc, multipliers[o], shifts[o], zero_point)]`
/// ([`quant::requantize`](crate::quant::requantize)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requantization<'a> {
    /// Fixed-point multiplier per output, in `[2^30, 2^31)`.
    pub multipliers: &'a [i32],
    /// Right shift per output, in `1..=62`.
    pub shifts: &'a [u8],
    /// Zero point of the table index.
    pub zero_point: u8,
    /// Quantized activation output per index.
    pub table: &'a [u8; 256],
}

/// Storage precision of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 32-bit floats.
    F32,
    /// 16-bit floats.
    F16,
    /// 8-bit integers.
    Int8,
}

impl Precision {
    /// A lower-case name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::Int8 => "int8",
        }
    }
}

impl Params<'_> {
    /// The storage precision.
    pub fn precision(&self) -> Precision {
        match self {
            Params::F32 { .. } => Precision::F32,
            Params::F16 { .. } => Precision::F16,
            Params::I8(_) => Precision::Int8,
        }
    }

    /// Number of weights.
    pub fn weight_count(&self) -> usize {
        match self {
            Params::F32 { weights, .. } => weights.len(),
            Params::F16 { weights, .. } => weights.len(),
            Params::I8(p) => p.weights.len(),
        }
    }

    /// Number of biases.
    pub fn bias_count(&self) -> usize {
        match self {
            Params::F32 { bias, .. } | Params::F16 { bias, .. } => bias.len(),
            Params::I8(p) => p.bias.len(),
        }
    }

    /// Bytes of every tensor of the layer: weights, bias and quantization data.
    pub fn byte_len(&self) -> usize {
        match self {
            Params::F32 { weights, bias } => 4 * (weights.len() + bias.len()),
            Params::F16 { weights, bias } => 2 * weights.len() + 4 * bias.len(),
            Params::I8(p) => {
                let out = match p.output {
                    I8Out::Table(r) => 4 * r.multipliers.len() + r.shifts.len() + r.table.len(),
                    I8Out::Dequantize { scales } => 4 * scales.len(),
                };
                p.weights.len() + 4 * p.bias.len() + out
            }
        }
    }

    /// The oldest format version that can hold these parameters.
    pub(crate) fn version_needed(&self) -> u16 {
        match self {
            Params::F32 { .. } => 1,
            Params::I8(I8Params {
                order: WeightOrder::ColumnBlocks,
                ..
            }) => 3,
            Params::F16 { .. } | Params::I8(_) => 2,
        }
    }

    /// Checks the values: finite floats, positive scales, multipliers and shifts in range.
    pub(crate) fn check_values(&self, layer: usize) -> Result<(), FormatError> {
        let bad = |what| Err(FormatError::BadQuantization { layer, what });
        match self {
            Params::F32 { weights, bias } => {
                check_finite(weights, TensorName::Weights { layer })?;
                check_finite(bias, TensorName::Bias { layer })
            }
            Params::F16 { weights, bias } => {
                if let Some(index) = weights.iter().position(|&h| !f16_is_finite(h)) {
                    return Err(FormatError::NonFinite {
                        tensor: TensorName::Weights { layer },
                        index,
                    });
                }
                check_finite(bias, TensorName::Bias { layer })
            }
            Params::I8(p) => {
                if !(p.input.scale.is_finite() && p.input.scale > 0.0) {
                    return bad("input scale is not finite and positive");
                }
                match p.output {
                    I8Out::Table(r) => {
                        if r.multipliers.iter().any(|&m| m < 1 << 30) {
                            return bad("a multiplier is outside [2^30, 2^31)");
                        }
                        if r.shifts.iter().any(|&s| !(1..=62).contains(&s)) {
                            return bad("a shift is outside 1..=62");
                        }
                    }
                    I8Out::Dequantize { scales } => {
                        if scales.iter().any(|&s| !(s.is_finite() && s > 0.0)) {
                            return bad("an output scale is not finite and positive");
                        }
                    }
                }
                Ok(())
            }
        }
    }
}
