//! Writing blobs: the inverse of [`Model::from_bytes`](crate::Model::from_bytes) and
//! [`Dataset::from_bytes`](crate::Dataset::from_bytes), held to the same checks.
//!
//! Writing needs no heap: an encoder plans the layout, [`ModelEncoder::encoded_len`] tells
//! the size, and [`ModelEncoder::emit`] fills a caller's buffer.

use heapless::Vec;
use serde::Serialize;

use crate::activation::Activation;
use crate::blob::Header;
use crate::checksum::crc32;
use crate::error::EmitError;
use crate::layout::{self, Kind};
use crate::manifest::{
    DatasetManifest, ElementType, I8Dense, I8Output, LayerDesc, LayerOp, MAX_LAYERS, ModelManifest,
    TensorRef,
};
use crate::params::{I8Out, Params};
use crate::{dataset, model};

/// One dense layer to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseSpec<'a> {
    /// Length of the layer's input.
    pub inputs: usize,
    /// Length of the layer's output.
    pub outputs: usize,
    /// Function applied to the output (for int8 hidden layers: the one the table holds).
    pub activation: Activation,
    /// Weights (`inputs × outputs`, row-major), bias and quantization.
    pub params: Params<'a>,
}

/// A labelled image set to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetSpec<'a> {
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// Number of classes; every label must be below it.
    pub classes: usize,
    /// Pixels, image after image, each row-major.
    pub images: &'a [u8],
    /// One label per image.
    pub labels: &'a [u8],
}

/// Payload of one tensor.
#[derive(Debug, Clone, Copy)]
enum Payload<'a> {
    F32(&'a [f32]),
    U8(&'a [u8]),
    F16(&'a [u16]),
    I8(&'a [i8]),
    I32(&'a [i32]),
}

impl Payload<'_> {
    fn element(&self) -> ElementType {
        match self {
            Payload::F32(_) => ElementType::F32,
            Payload::U8(_) => ElementType::U8,
            Payload::F16(_) => ElementType::F16,
            Payload::I8(_) => ElementType::I8,
            Payload::I32(_) => ElementType::I32,
        }
    }

    fn len(&self) -> usize {
        match self {
            Payload::F32(v) => v.len(),
            Payload::U8(v) => v.len(),
            Payload::F16(v) => v.len(),
            Payload::I8(v) => v.len(),
            Payload::I32(v) => v.len(),
        }
    }

    /// Writes the values little-endian to the start of `out`.
    fn write(&self, out: &mut [u8]) {
        fn put<const B: usize, T: Copy>(
            out: &mut [u8],
            values: &[T],
            bytes: impl Fn(T) -> [u8; B],
        ) {
            for (dst, &v) in out.chunks_exact_mut(B).zip(values) {
                dst.copy_from_slice(&bytes(v));
            }
        }
        match self {
            Payload::F32(v) => put(out, v, f32::to_le_bytes),
            Payload::U8(v) => put(out, v, |b: u8| [b]),
            Payload::F16(v) => put(out, v, u16::to_le_bytes),
            Payload::I8(v) => put(out, v, i8::to_le_bytes),
            Payload::I32(v) => put(out, v, i32::to_le_bytes),
        }
    }
}

/// The tensors of a layer's parameters, in manifest order.
fn payloads_of<'a>(params: &Params<'a>) -> Vec<Payload<'a>, 5> {
    let mut out = Vec::new();
    let list: &[Payload<'a>] = match params {
        Params::F32 { weights, bias } => &[Payload::F32(weights), Payload::F32(bias)],
        Params::F16 { weights, bias } => &[Payload::F16(weights), Payload::F32(bias)],
        Params::I8(p) => match p.output {
            I8Out::Table(r) => &[
                Payload::I8(p.weights),
                Payload::I32(p.bias),
                Payload::I32(r.multipliers),
                Payload::U8(r.shifts),
                Payload::U8(r.table),
            ],
            I8Out::Dequantize { scales } => &[
                Payload::I8(p.weights),
                Payload::I32(p.bias),
                Payload::F32(scales),
            ],
        },
    };
    // At most five, the capacity.
    let _ = out.extend_from_slice(list);
    out
}

/// The manifest entry of a layer whose tensors lie at `refs` (in manifest order).
fn describe(spec: &DenseSpec<'_>, refs: &mut impl Iterator<Item = TensorRef>) -> LayerDesc {
    let missing = TensorRef {
        element: ElementType::U8,
        offset: 0,
        len: 0,
    };
    let mut next = || refs.next().unwrap_or(missing);
    let (weights, bias) = (next(), next());
    let op = match spec.params {
        Params::F32 { .. } | Params::F16 { .. } => LayerOp::Dense,
        Params::I8(p) => LayerOp::DenseI8(I8Dense {
            input: p.input,
            order: p.order,
            output: match p.output {
                I8Out::Table(r) => I8Output::Table {
                    multipliers: next(),
                    shifts: next(),
                    zero_point: r.zero_point,
                    table: next(),
                },
                I8Out::Dequantize { .. } => I8Output::Dequantize { scales: next() },
            },
        }),
    };
    LayerDesc {
        op,
        inputs: spec.inputs as u32,
        outputs: spec.outputs as u32,
        activation: spec.activation,
        weights,
        bias,
    }
}

const MAX_TENSORS: usize = 5 * MAX_LAYERS;

/// Byte layout of a blob under construction.
#[derive(Debug, Clone)]
struct Plan<'a, M> {
    kind: Kind,
    version: u16,
    manifest: M,
    manifest_len: usize,
    tensors: Vec<(TensorRef, Payload<'a>), MAX_TENSORS>,
    payload_end: usize,
}

impl<'a, M: Serialize> Plan<'a, M> {
    /// Places `payloads` after a manifest built from their references by `make`.
    ///
    /// Offsets change the manifest's size and the size moves the offsets, so this repeats
    /// until the tensors start after the manifest; offsets only grow, so it settles fast.
    fn new(
        kind: Kind,
        version: u16,
        payloads: &[Payload<'a>],
        make: impl Fn(&[TensorRef]) -> M,
    ) -> Result<Self, EmitError> {
        let mut start = align(layout::HEADER_LEN)?;
        loop {
            let mut tensors = Vec::new();
            let mut at = start;
            for payload in payloads {
                let offset = align(at)?;
                let bytes = payload
                    .len()
                    .checked_mul(payload.element().size())
                    .ok_or(EmitError::TooLarge)?;
                let reference = TensorRef {
                    element: payload.element(),
                    offset: to_u32(offset)?,
                    len: to_u32(payload.len())?,
                };
                tensors
                    .push((reference, *payload))
                    .map_err(|_| EmitError::TooManyLayers {
                        found: payloads.len() / 2,
                        max: MAX_LAYERS,
                    })?;
                at = offset.checked_add(bytes).ok_or(EmitError::TooLarge)?;
            }
            let refs: Vec<TensorRef, MAX_TENSORS> = tensors.iter().map(|(r, _)| *r).collect();
            let manifest = make(&refs);
            let manifest_len = postcard::serialize_with_flavor::<
                _,
                postcard::ser_flavors::Size,
                usize,
            >(&manifest, Default::default())
            .map_err(EmitError::Manifest)?;
            let needed = align(layout::HEADER_LEN + manifest_len)?;
            if needed <= start {
                to_u32(at + layout::CHECKSUM_LEN)?;
                return Ok(Plan {
                    kind,
                    version,
                    manifest,
                    manifest_len,
                    tensors,
                    payload_end: at,
                });
            }
            start = needed;
        }
    }

    fn payload_start(&self) -> usize {
        (layout::HEADER_LEN + self.manifest_len).next_multiple_of(layout::TENSOR_ALIGN)
    }

    fn encoded_len(&self) -> usize {
        self.payload_end + layout::CHECKSUM_LEN
    }

    fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        let total = self.encoded_len();
        let available = out.len();
        let out = out.get_mut(..total).ok_or(EmitError::BufferTooSmall {
            needed: total,
            available,
        })?;
        out.fill(0);
        let header = Header {
            version: self.version,
            kind: self.kind as u8,
            flags: 0,
            total_len: to_u32(total)?,
            manifest_len: to_u32(self.manifest_len)?,
        };
        let (head, body) = out.split_at_mut(layout::HEADER_LEN);
        head.copy_from_slice(&header.to_bytes());
        postcard::to_slice(&self.manifest, body).map_err(EmitError::Manifest)?;
        for (reference, payload) in &self.tensors {
            let start = reference.offset as usize;
            payload.write(out.get_mut(start..).unwrap_or(&mut []));
        }
        let (covered, checksum) = out.split_at_mut(self.payload_end);
        checksum.copy_from_slice(&crc32(covered).to_le_bytes());
        Ok(total)
    }
}

fn align(offset: usize) -> Result<usize, EmitError> {
    offset
        .checked_next_multiple_of(layout::TENSOR_ALIGN)
        .ok_or(EmitError::TooLarge)
}

fn to_u32(value: usize) -> Result<u32, EmitError> {
    u32::try_from(value).map_err(|_| EmitError::TooLarge)
}

/// Plans a model blob from its layers.
#[derive(Debug, Clone)]
pub struct ModelEncoder<'a> {
    plan: Plan<'a, ModelManifest>,
}

impl<'a> ModelEncoder<'a> {
    /// Checks the layers by the rules [`Model::from_bytes`](crate::Model::from_bytes)
    /// applies and plans their layout.
    ///
    /// # Errors
    /// [`EmitError::TooManyLayers`], [`EmitError::TooLarge`], or [`EmitError::Invalid`]
    /// with the [`FormatError`](crate::FormatError) a reader would report.
    pub fn new(layers: &[DenseSpec<'a>]) -> Result<Self, EmitError> {
        if layers.len() > MAX_LAYERS {
            return Err(EmitError::TooManyLayers {
                found: layers.len(),
                max: MAX_LAYERS,
            });
        }
        if layers
            .iter()
            .any(|s| u32::try_from(s.inputs.max(s.outputs)).is_err())
        {
            return Err(EmitError::TooLarge);
        }
        let mut payloads: Vec<Payload<'a>, MAX_TENSORS> = Vec::new();
        let mut version = layout::MIN_VERSION;
        for (n, spec) in (1..).zip(layers) {
            spec.params.check_values(n)?;
            version = version.max(spec.params.version_needed());
            // Capacity is five per layer, and the layer count was checked above.
            let _ = payloads.extend_from_slice(&payloads_of(&spec.params));
        }
        let plan = Plan::new(Kind::Model, version, &payloads, |refs| {
            let mut refs = refs.iter().copied();
            ModelManifest {
                layers: layers
                    .iter()
                    .map(|spec| describe(spec, &mut refs))
                    .collect(),
            }
        })?;
        model::check_manifest(&plan.manifest, plan.payload_start(), plan.payload_end)?;
        Ok(ModelEncoder { plan })
    }

    /// Size of the blob in bytes.
    pub fn encoded_len(&self) -> usize {
        self.plan.encoded_len()
    }

    /// Writes the blob to the start of `out` and returns its length.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] when `out` is shorter than [`Self::encoded_len`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        self.plan.emit(out)
    }
}

/// Plans a dataset blob.
#[derive(Debug, Clone)]
pub struct DatasetEncoder<'a> {
    plan: Plan<'a, DatasetManifest>,
}

impl<'a> DatasetEncoder<'a> {
    /// Checks the dataset by the rules [`Dataset::from_bytes`](crate::Dataset::from_bytes)
    /// applies and plans its layout.
    ///
    /// # Errors
    /// [`EmitError::TooLarge`] or [`EmitError::Invalid`] with the reader's
    /// [`FormatError`](crate::FormatError).
    pub fn new(spec: &DatasetSpec<'a>) -> Result<Self, EmitError> {
        let dims = [spec.labels.len(), spec.rows, spec.cols, spec.classes];
        let [count, rows, cols, classes] = dims.map(to_u32);
        let (count, rows, cols, classes) = (count?, rows?, cols?, classes?);
        let payloads = [Payload::U8(spec.images), Payload::U8(spec.labels)];
        let plan = Plan::new(Kind::Dataset, layout::MIN_VERSION, &payloads, |refs| {
            DatasetManifest {
                count,
                rows,
                cols,
                classes,
                images: refs[0],
                labels: refs[1],
            }
        })?;
        dataset::check_manifest(&plan.manifest, plan.payload_start(), plan.payload_end)?;
        dataset::check_labels(spec.labels, spec.classes)?;
        Ok(DatasetEncoder { plan })
    }

    /// Size of the blob in bytes.
    pub fn encoded_len(&self) -> usize {
        self.plan.encoded_len()
    }

    /// Writes the blob to the start of `out` and returns its length.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] when `out` is shorter than [`Self::encoded_len`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, EmitError> {
        self.plan.emit(out)
    }
}
