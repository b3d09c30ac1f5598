//! The manifest: the postcard-encoded description of a blob's contents.
//!
//! Field order and enum variant order are part of the format (postcard encodes struct
//! fields in declaration order and enum variants by index): append, never reorder.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use crate::activation::Activation;

/// Most layers a model blob may hold.
pub const MAX_LAYERS: usize = 16;

/// Element type of a tensor's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElementType {
    /// IEEE 754 binary32, little-endian.
    F32,
    /// Unsigned byte.
    U8,
    /// IEEE 754 binary16, little-endian (format version 2).
    F16,
    /// Signed byte, two's complement (format version 2).
    I8,
    /// Signed 32-bit integer, little-endian (format version 2).
    I32,
}

impl ElementType {
    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            ElementType::F32 | ElementType::I32 => 4,
            ElementType::F16 => 2,
            ElementType::U8 | ElementType::I8 => 1,
        }
    }

    /// A lower-case name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            ElementType::F32 => "f32",
            ElementType::U8 => "u8",
            ElementType::F16 => "f16",
            ElementType::I8 => "i8",
            ElementType::I32 => "i32",
        }
    }
}

/// Affine quantization of a tensor of `u8` values: `real = scale × (q − zero_point)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quant {
    /// Step between adjacent values; finite and positive.
    pub scale: f32,
    /// The `u8` value that stands for real 0.
    pub zero_point: u8,
}

/// How an int8 layer turns its `i32` accumulators into its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum I8Output {
    /// Hidden layer: each accumulator is requantized to a `u8` index
    /// `clamp(zero_point + round(acc × multiplier / 2^shift), 0, 255)` into a 256-entry
    /// table that holds the activation's quantized output.
    Table {
        /// `outputs` fixed-point multipliers, `I32`, each in `[2^30, 2^31)`.
        multipliers: TensorRef,
        /// `outputs` shifts, `U8`, each in `[1, 62]`.
        shifts: TensorRef,
        /// Zero point of the table's index domain.
        zero_point: u8,
        /// 256 `U8` entries: quantized activation output for each index.
        table: TensorRef,
    },
    /// Output layer: each accumulator becomes `acc as f32 × scale[o]`, then the layer's
    /// activation runs in f32.
    Dequantize {
        /// `outputs` scales, `F32`, finite and positive.
        scales: TensorRef,
    },
}

/// Quantization of an int8 dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct I8Dense {
    /// Quantization of the layer's `u8` input.
    pub input: Quant,
    /// Where each weight lies in the weights tensor.
    pub order: WeightOrder,
    /// How accumulators become outputs.
    pub output: I8Output,
}

/// Where the weight `W[i][o]` from input `i` to output `o` of an int8 layer is stored.
///
/// Each order suits a kernel: the runtime picks the kernel from the order, the converter
/// picks the order from the layer's shape and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeightOrder {
    /// At `i · outputs + o`, like `Dense` weights.
    InputMajor,
    /// At `o · inputs + i` (format version 2).
    OutputMajor,
    /// In blocks of adjacent outputs (format version 3): blocks of 8 outputs, then at most
    /// one block each of 4, 2 and 1 for the rest (the bits of `outputs mod 8`). A block of
    /// `w` outputs starting at output `c` holds `W[i][c + k]` at `c · inputs + i · w + k`.
    ColumnBlocks,
}

impl WeightOrder {
    /// Position of `W[i][o]` in a layer of `inputs × outputs` weights stored in this order.
    pub fn position(self, inputs: usize, outputs: usize, i: usize, o: usize) -> usize {
        match self {
            WeightOrder::InputMajor => i * outputs + o,
            WeightOrder::OutputMajor => o * inputs + i,
            WeightOrder::ColumnBlocks => {
                let mut start = 0;
                for width in column_block_widths(outputs) {
                    if o < start + width {
                        return start * inputs + i * width + (o - start);
                    }
                    start += width;
                }
                // Past the last output: beyond every weight, like the other orders.
                i * outputs + o
            }
        }
    }
}

/// The widths of the [`WeightOrder::ColumnBlocks`] blocks of a layer with `outputs` outputs,
/// first output first.
pub fn column_block_widths(outputs: usize) -> impl Iterator<Item = usize> {
    let rest = [4, 2, 1].into_iter().filter(move |w| outputs & w != 0);
    core::iter::repeat_n(8, outputs / 8).chain(rest)
}

/// Where a tensor's payload lies in the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorRef {
    /// Element type of the payload.
    pub element: ElementType,
    /// Byte offset from the start of the blob; a multiple of [`crate::layout::TENSOR_ALIGN`].
    pub offset: u32,
    /// Number of elements.
    pub len: u32,
}

/// The operation a layer performs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LayerOp {
    /// `y = activation(x · W + b)` with `W` of shape `(inputs, outputs)` in row-major order,
    /// `F32` or (format version 2) `F16` weights, `F32` bias; computed in f32.
    Dense,
    /// The same product in integers (format version 2): `I8` weights, `I32` bias,
    /// `acc[o] = bias[o] + Σ_i q_x[i] × W[i][o]` with `q_x` the `u8` input.
    DenseI8(I8Dense),
}

/// One layer as the manifest records it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerDesc {
    /// What the layer computes.
    pub op: LayerOp,
    /// Length of the layer's input vector.
    pub inputs: u32,
    /// Length of the layer's output vector.
    pub outputs: u32,
    /// Function applied to the layer's output.
    pub activation: Activation,
    /// `inputs × outputs` weights, row `i` holding the weights from input `i`.
    pub weights: TensorRef,
    /// `outputs` biases (`I32` for int8 layers, with the input zero point folded in).
    pub bias: TensorRef,
}

/// Manifest of a model blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelManifest {
    /// The layers, input side first.
    pub layers: Vec<LayerDesc, MAX_LAYERS>,
}

/// Manifest of a dataset blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetManifest {
    /// Number of images.
    pub count: u32,
    /// Image height in pixels.
    pub rows: u32,
    /// Image width in pixels.
    pub cols: u32,
    /// Number of classes; every label is below it.
    pub classes: u32,
    /// `count × rows × cols` pixels, `u8`, image after image, each row-major.
    pub images: TensorRef,
    /// `count` labels, `u8`.
    pub labels: TensorRef,
}
