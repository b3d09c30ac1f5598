//! Error types, one per concern: reading a blob, sizing scratch buffers, calling the
//! forward pass, and writing a blob.

use core::fmt;

use crate::layout::Kind;
use crate::manifest::ElementType;

/// Which tensor an error is about. Layers count from 1, as in the weight names `W1`, `b1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorName {
    /// The weight matrix of this layer.
    Weights {
        /// Layer number, counting from 1.
        layer: usize,
    },
    /// The bias vector of this layer.
    Bias {
        /// Layer number, counting from 1.
        layer: usize,
    },
    /// The quantization tensors (multipliers, shifts, table or scales) of this layer.
    Quantization {
        /// Layer number, counting from 1.
        layer: usize,
    },
    /// A dataset's pixels.
    Images,
    /// A dataset's labels.
    Labels,
}

impl fmt::Display for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorName::Weights { layer } => write!(f, "weights of layer {layer}"),
            TensorName::Bias { layer } => write!(f, "bias of layer {layer}"),
            TensorName::Quantization { layer } => write!(f, "quantization of layer {layer}"),
            TensorName::Images => f.write_str("images"),
            TensorName::Labels => f.write_str("labels"),
        }
    }
}

/// Why bytes are not a valid blob.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// Fewer bytes than the header or the header's total length asks for.
    Truncated {
        /// Bytes required.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// The first four bytes are not the blob magic.
    BadMagic {
        /// The bytes found.
        found: [u8; 4],
    },
    /// A format version this runtime does not read.
    UnsupportedVersion {
        /// Version in the header.
        found: u16,
        /// Newest version this runtime reads.
        supported: u16,
    },
    /// A blob that uses features of a newer version than its header states.
    VersionTooLow {
        /// Version in the header.
        version: u16,
        /// Version its contents need.
        needed: u16,
    },
    /// Quantization parameters a reader cannot use: a scale that is not finite and
    /// positive, a multiplier or shift out of range, or a layer whose input quantization
    /// differs from what the previous layer produces.
    BadQuantization {
        /// Layer number, counting from 1.
        layer: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// More bytes than the header's total length.
    TrailingBytes {
        /// Total length in the header.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The stored CRC-32 does not match the bytes.
    ChecksumMismatch {
        /// Checksum stored in the blob.
        stored: u32,
        /// Checksum of the bytes.
        computed: u32,
    },
    /// The kind byte names no known kind.
    UnknownKind {
        /// The byte found.
        found: u8,
    },
    /// A blob of another kind than the caller asked for.
    WrongKind {
        /// Kind asked for.
        expected: Kind,
        /// Kind in the header.
        found: Kind,
    },
    /// Flags are set that this version does not define.
    UnsupportedFlags {
        /// The flags byte.
        found: u8,
    },
    /// The manifest length runs past the end of the blob.
    ManifestOutOfBounds {
        /// Manifest length in the header.
        len: usize,
        /// Bytes available for it.
        available: usize,
    },
    /// The manifest does not decode.
    Manifest(postcard::Error),
    /// The manifest decodes but leaves bytes of its declared length unused.
    ManifestLength {
        /// Length in the header.
        declared: usize,
        /// Bytes the manifest used.
        used: usize,
    },
    /// A model without layers.
    NoLayers,
    /// A layer with zero inputs or outputs.
    EmptyLayer {
        /// Layer number, counting from 1.
        layer: usize,
    },
    /// A layer's input count differs from the previous layer's output count.
    LayerChain {
        /// Layer number, counting from 1.
        layer: usize,
        /// The layer's inputs.
        inputs: usize,
        /// The previous layer's outputs.
        previous_outputs: usize,
    },
    /// Softmax on a layer other than the last.
    SoftmaxNotLast {
        /// Layer number, counting from 1.
        layer: usize,
    },
    /// A leaky ReLU slope that is NaN or infinite.
    BadSlope {
        /// Layer number, counting from 1.
        layer: usize,
    },
    /// A dimension product that does not fit in memory.
    TooLarge,
    /// A tensor with another element count than its shape needs.
    TensorLength {
        /// The tensor.
        tensor: TensorName,
        /// Elements the shape needs.
        expected: usize,
        /// Elements recorded.
        found: usize,
    },
    /// A tensor stored with an element type the layer cannot use.
    ElementType {
        /// The tensor.
        tensor: TensorName,
        /// Element type required.
        expected: ElementType,
        /// Element type recorded.
        found: ElementType,
    },
    /// A tensor offset that is not a multiple of the tensor alignment.
    TensorMisaligned {
        /// The tensor.
        tensor: TensorName,
        /// Its offset in the blob.
        offset: usize,
    },
    /// A tensor that starts inside the manifest or the previous tensor, or ends past the payload.
    TensorOutOfBounds {
        /// The tensor.
        tensor: TensorName,
        /// First byte.
        start: usize,
        /// One past the last byte.
        end: usize,
        /// Where the tensor may start at the earliest.
        min_start: usize,
        /// Where the payload ends (the checksum's offset).
        max_end: usize,
    },
    /// The blob's base address is not aligned for in-place reading.
    Misaligned {
        /// The tensor that could not be viewed.
        tensor: TensorName,
        /// Alignment its elements need.
        align: usize,
    },
    /// A weight or bias that is NaN or infinite.
    NonFinite {
        /// The tensor.
        tensor: TensorName,
        /// Index of the first such element.
        index: usize,
    },
    /// A dataset whose images have zero rows or columns.
    EmptyImage,
    /// A dataset label that is not below the class count.
    LabelOutOfRange {
        /// Image index.
        index: usize,
        /// The label.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FormatError as E;
        match self {
            E::Truncated { needed, available } => {
                write!(f, "truncated blob: needs {needed} bytes, has {available}")
            }
            E::BadMagic { found } => write!(
                f,
                "not a blob: magic is {:02x} {:02x} {:02x} {:02x}, expected \"TNNB\"",
                found[0], found[1], found[2], found[3]
            ),
            E::UnsupportedVersion { found, supported } => write!(
                f,
                "blob format version {found} is not supported (this runtime reads versions {} to {supported})",
                crate::layout::MIN_VERSION
            ),
            E::VersionTooLow { version, needed } => write!(
                f,
                "blob states format version {version} but uses features of version {needed}"
            ),
            E::BadQuantization { layer, what } => {
                write!(f, "layer {layer} has invalid quantization: {what}")
            }
            E::TrailingBytes { expected, found } => write!(
                f,
                "{found} bytes where the header says the blob is {expected} bytes long"
            ),
            E::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x} (the blob is corrupted)"
            ),
            E::UnknownKind { found } => write!(f, "unknown blob kind {found}"),
            E::WrongKind { expected, found } => write!(
                f,
                "this is a {} blob, expected a {} blob",
                found.name(),
                expected.name()
            ),
            E::UnsupportedFlags { found } => write!(f, "unsupported header flags {found:#04x}"),
            E::ManifestOutOfBounds { len, available } => write!(
                f,
                "manifest of {len} bytes does not fit in the {available} bytes after the header"
            ),
            E::Manifest(e) => write!(f, "manifest does not decode: {e}"),
            E::ManifestLength { declared, used } => write!(
                f,
                "manifest declared as {declared} bytes but {used} bytes were used"
            ),
            E::NoLayers => f.write_str("model has no layers"),
            E::EmptyLayer { layer } => write!(f, "layer {layer} has zero inputs or outputs"),
            E::LayerChain {
                layer,
                inputs,
                previous_outputs,
            } => write!(
                f,
                "layer {layer} takes {inputs} inputs but the layer before gives {previous_outputs}"
            ),
            E::SoftmaxNotLast { layer } => {
                write!(
                    f,
                    "layer {layer} uses softmax, which only the output layer may use"
                )
            }
            E::BadSlope { layer } => write!(f, "layer {layer} has a non-finite leaky_relu slope"),
            E::TooLarge => f.write_str("tensor dimensions overflow the address space"),
            E::TensorLength {
                tensor,
                expected,
                found,
            } => write!(f, "{tensor} has {found} elements, expected {expected}"),
            E::ElementType {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "{tensor} are stored as {}, expected {}",
                found.name(),
                expected.name()
            ),
            E::TensorMisaligned { tensor, offset } => write!(
                f,
                "{tensor} start at offset {offset}, not a multiple of {}",
                crate::layout::TENSOR_ALIGN
            ),
            E::TensorOutOfBounds {
                tensor,
                start,
                end,
                min_start,
                max_end,
            } => write!(
                f,
                "{tensor} occupy bytes {start}..{end}, outside the free payload {min_start}..{max_end}"
            ),
            E::Misaligned { tensor, align } => write!(
                f,
                "{tensor} cannot be read in place: the blob's address is not {align}-byte aligned"
            ),
            E::NonFinite { tensor, index } => {
                write!(f, "{tensor} hold a NaN or infinite value at index {index}")
            }
            E::EmptyImage => f.write_str("dataset images have zero rows or columns"),
            E::LabelOutOfRange {
                index,
                label,
                classes,
            } => write!(
                f,
                "label {label} of image {index} is not below the class count {classes}"
            ),
        }
    }
}

impl core::error::Error for FormatError {}

/// A model this runner cannot run: wider than its scratch buffers, or of a precision whose
/// kernels this build of the runtime leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapacityError {
    /// A layer with more outputs than the scratch capacity.
    TooWide {
        /// Layer number, counting from 1.
        layer: usize,
        /// Outputs of that layer.
        width: usize,
        /// Scratch capacity in elements.
        capacity: usize,
    },
    /// A layer whose precision's kernels were compiled out (cargo features `f16`, `int8`).
    KernelDisabled {
        /// Layer number, counting from 1.
        layer: usize,
        /// The layer's precision.
        precision: crate::params::Precision,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapacityError::TooWide {
                layer,
                width,
                capacity,
            } => write!(
                f,
                "layer {layer} has {width} outputs but the scratch capacity is {capacity}"
            ),
            CapacityError::KernelDisabled { layer, precision } => write!(
                f,
                "layer {layer} is {0}, but this runtime was built without its `{0}` feature",
                precision.name()
            ),
        }
    }
}

impl core::error::Error for CapacityError {}

/// Input or output buffers whose lengths do not fit the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShapeError {
    /// An input whose length is not the model's input length.
    Input {
        /// The model's input length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A batch whose length is not a multiple of the model's input length.
    Batch {
        /// The model's input length.
        input_len: usize,
        /// The length given.
        found: usize,
    },
    /// An output buffer of the wrong length for the batch.
    Output {
        /// Length needed.
        expected: usize,
        /// Length given.
        found: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Input { expected, found } => {
                write!(f, "input has {found} values, the model takes {expected}")
            }
            ShapeError::Batch { input_len, found } => write!(
                f,
                "batch of {found} values is not a whole number of {input_len}-value inputs"
            ),
            ShapeError::Output { expected, found } => {
                write!(f, "output buffer holds {found} values, {expected} needed")
            }
        }
    }
}

impl core::error::Error for ShapeError {}

/// Why a blob could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// More layers than a blob may hold.
    TooManyLayers {
        /// Layers given.
        found: usize,
        /// Most allowed.
        max: usize,
    },
    /// The blob would exceed 4 GiB, the largest a `u32` length can describe.
    TooLarge,
    /// The output buffer is smaller than [`encoded_len`](crate::emit).
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// The manifest could not be encoded.
    Manifest(postcard::Error),
    /// The contents break a rule of the format; the blob would not be readable.
    Invalid(FormatError),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::TooManyLayers { found, max } => {
                write!(f, "{found} layers, a blob holds at most {max}")
            }
            EmitError::TooLarge => f.write_str("blob would exceed 4 GiB"),
            EmitError::BufferTooSmall { needed, available } => {
                write!(f, "output buffer of {available} bytes, {needed} needed")
            }
            EmitError::Manifest(e) => write!(f, "manifest does not encode: {e}"),
            EmitError::Invalid(e) => write!(f, "invalid contents: {e}"),
        }
    }
}

impl core::error::Error for EmitError {}

impl From<FormatError> for EmitError {
    fn from(e: FormatError) -> Self {
        EmitError::Invalid(e)
    }
}
