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
}

impl ElementType {
    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            ElementType::F32 => 4,
            ElementType::U8 => 1,
        }
    }

    /// A lower-case name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            ElementType::F32 => "f32",
            ElementType::U8 => "u8",
        }
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerOp {
    /// `y = activation(x · W + b)` with `W` of shape `(inputs, outputs)` in row-major order.
    Dense,
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
    /// `outputs` biases.
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
