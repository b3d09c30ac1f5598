//! The host kernels with one model's layers laid out again for them, once: the first
//! layer, and later layers.
//!
//! - **Int8.** An int8 first layer reads `u8` pixels, mostly zero, against input-major
//!   weights. The host kernels ([`HostKernels`]) list the non-zero pixels and, four at a
//!   time, interleave their weight rows in registers so that `vpdpbusd` can take them:
//!   eight shuffles per four pixels and 64 outputs, for every image. [`ModelKernels`]
//!   interleaves the whole layer once, by quads of adjacent pixels: the weights of pixels
//!   `4q .. 4q + 4` into each output lie side by side, 256 bytes per quad and 64 outputs.
//!   An image then costs, per quad holding a non-zero pixel, four loads and four
//!   `vpdpbusd`, and no shuffle at all.
//!   The integer sums are exact and wrap like the runtime's, whatever their order. The int8
//!   test set in one batch: 5.6 against 7.1 ms (`cargo bench -p tests -- int8_test_set`,
//!   medians of 20).
//! - **Later int8 layers.** The blob stores them in column blocks, 8 outputs wide, for the
//!   Cortex-M; the host kernels permute every 64 bytes of them for `vpdpbusd`, for every
//!   image. [`ModelKernels`] interleaves them by input quads too, once, and sums only the
//!   vectors of a block that hold outputs (one of four for the book's 10-output layer).
//!   The int8 test set in one batch: 5.28 against 5.69 ms, then 4.45 against 4.58 ms for
//!   the vectors in use (medians of the fastest of 120 runs, 6 interleaved rounds).
//! - **Int8 batches.** A batch runs in panels of 32 images (`runtime::panel_i8`). The same
//!   interleaved copies serve a panel's whole layer ([`Kernels::panel_input_major`],
//!   [`Kernels::panel_column_blocks`]): 16 images' words of four inputs side by side in one
//!   vector (the pixels transposed 16 × 16 words at a time), one `vpdpbusd` per output and
//!   quad with the output's four weights broadcast, so each weight is loaded once for the
//!   16 images. The int8 test set on 1 thread: 4.20 against 5.84 ms (`timing eval 1 int8`,
//!   medians of 8 interleaved rounds).
//! - **F32.** The book's rows are 200 bytes apart, so most of their vector loads straddle
//!   two cache lines. [`ModelKernels`] copies the rows padded to 64 outputs, each on a
//!   cache line of its own. One image's first layer reads them: 1.11 against 1.18 µs per
//!   image (`timing each`, medians of 7 interleaved runs). So does a batch's, image by image
//!   ([`Kernels::add_batch_pixel_rows`]) instead of the runtime's passes over part of the
//!   rows: 7.75 against 8.54 ms for the test set (`timing eval 1`, medians of 7 interleaved
//!   runs). Results are the same bit for bit: the same products in the same order.
//!   A block of at most 52 outputs, as the book's 50, sums its last four lanes in a 128-bit
//!   vector instead of a fourth 512-bit one (two of which issue per cycle here): one image
//!   at a time 11.27 against 12.07 ms for the test set (`timing each`), a batch 6.83 against
//!   7.18 ms (`timing eval 1`, medians of 12 interleaved rounds).
//! - **Later f32 layers.** The book's second layer's rows are 400 bytes apart and the
//!   third's 40, so most vector loads of them straddle two cache lines, and the host kernels
//!   bounds-check every row. [`ModelKernels`] copies them padded to whole vectors (112 and 16
//!   outputs), each row on cache lines of its own, and a block whose last vector holds at
//!   most four outputs (the book's 100) sums those in a 128-bit vector. One image at a time:
//!   8.50 against 9.61 ms for the test set (`timing each`, medians of 12 interleaved
//!   rounds). Same products in the same order: the same bits.
//!
//! Each copy is checked against the weights the runner hands over (same address and length,
//! which the borrow of the model keeps valid and unchanged); any other layer goes to the host
//! kernels.

use runtime::kernels::{PIXEL_ROW_LANES, WeightRows};
use runtime::panel::PANEL;
use runtime::quant::PIXELS;
use runtime::{Kernels, Model, Params, Requantization, WeightOrder};

use crate::host_kernels::{DENSE_LANES, HostKernels};

/// Outputs of one interleaved block: a quad's weights into them fill four vectors.
const QUAD_LANES: usize = 64;

/// The weights of one quad of pixels into one block of [`QUAD_LANES`] outputs: bytes
/// `4 o .. 4 o + 4` are the quad's four weights into output `o` of the block (zero past the
/// layer's pixels or outputs). Aligned as a cache line: four aligned vector loads.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Quad([i8; 4 * QUAD_LANES]);

/// A first layer interleaved by quads, and the weights it was made from.
#[derive(Debug, Clone)]
struct Quads<'m> {
    /// The model's own weights: the runner must hand over exactly these.
    weights: &'m [i8],
    /// The layer's outputs.
    outputs: usize,
    /// Quads per block: the layer's pixels divided by 4, rounded up.
    per_block: usize,
    /// Block `b`'s quad `q` at `b × per_block + q`.
    quads: Vec<Quad>,
}

#[cfg(target_arch = "x86_64")]
impl Quads<'_> {
    /// Whether these are `weights` interleaved, for `inputs` values into `outputs`.
    fn made_from(&self, weights: &[i8], inputs: usize, outputs: usize) -> bool {
        core::ptr::eq(self.weights, weights)
            && outputs == self.outputs
            && inputs.div_ceil(4) == self.per_block
    }
}

/// 16 floats; on x86-64 a vector, aligned as a cache line (no other target pads rows).
#[cfg(target_arch = "x86_64")]
type Line = std::arch::x86_64::__m512;
#[cfg(not(target_arch = "x86_64"))]
type Line = [f32; 16];

/// An f32 first layer's rows padded to blocks of [`PIXEL_ROW_LANES`] outputs, each row of a
/// block aligned as a cache line, and the weights they were copied from.
#[derive(Debug, Clone)]
struct PaddedRows<'m> {
    /// The model's own weights: the runner must hand over exactly these.
    weights: &'m [f32],
    /// The layer's outputs.
    outputs: usize,
    /// Block `b`'s rows, one per pixel, zero past the layer's outputs.
    blocks: Vec<Vec<Line>>,
}

/// A later f32 layer's rows padded to a whole number of vectors, each row aligned as a
/// cache line, and the weights they were copied from.
#[derive(Debug, Clone)]
struct PaddedLayer<'m> {
    /// The model's own weights: the runner must hand over exactly these.
    weights: &'m [f32],
    /// The layer's outputs.
    outputs: usize,
    /// The rows, `outputs` rounded up to a whole number of vectors each, zero past them.
    lines: Vec<Line>,
}

impl PaddedLayer<'_> {
    /// Whether these are `weights` padded, for `inputs` values into `outputs`.
    fn made_from(&self, weights: &[f32], inputs: usize, outputs: usize) -> bool {
        core::ptr::eq(self.weights, weights)
            && outputs == self.outputs
            && inputs * outputs == weights.len()
    }
}

/// [`HostKernels`] with `model`'s layers laid out for them, once (see the module
/// documentation), for a runner of that model.
#[derive(Debug, Clone)]
pub struct ModelKernels<'m> {
    host: HostKernels,
    quads: Option<Quads<'m>>,
    rows: Option<PaddedRows<'m>>,
    /// The later int8 layers in column blocks, interleaved by input quads as well.
    later: Vec<Quads<'m>>,
    /// The later f32 layers' padded rows.
    later_f32: Vec<PaddedLayer<'m>>,
}

impl<'m> ModelKernels<'m> {
    /// The fastest kernels this CPU runs for `model`.
    pub fn new(model: &Model<'m>) -> Self {
        ModelKernels::with(HostKernels::detect(), model)
    }

    /// `host`, with `model`'s layers laid out for it when `host` has the instructions: an
    /// int8 first layer reading pixels and later int8 layers in column blocks interleaved by
    /// quads, f32 layers' rows padded.
    pub fn with(host: HostKernels, model: &Model<'m>) -> Self {
        let (mut quads, mut rows, mut later) = (None, None, Vec::new());
        let mut later_f32 = Vec::new();
        if let Some((layer, rest)) = model.layers().split_first()
            && host.uses_avx512()
        {
            let (inputs, outputs) = (layer.inputs(), layer.outputs());
            match layer.params() {
                Params::I8(p) if p.order == WeightOrder::InputMajor && p.input == PIXELS => {
                    quads = Some(interleave(p.weights, p.order, inputs, outputs));
                }
                Params::F32 { weights, .. } => rows = Some(pad(weights, outputs)),
                _ => {}
            }
            for layer in rest {
                if let Params::I8(p) = layer.params()
                    && p.order == WeightOrder::ColumnBlocks
                {
                    let (inputs, outputs) = (layer.inputs(), layer.outputs());
                    later.push(interleave(p.weights, p.order, inputs, outputs));
                }
                if let Params::F32 { weights, .. } = layer.params()
                    && layer.outputs() <= DENSE_LANES
                {
                    later_f32.push(pad_layer(weights, layer.outputs()));
                }
            }
        }
        ModelKernels {
            host,
            quads,
            rows,
            later,
            later_f32,
        }
    }

    /// The padded copy of `rows`, when they are the model's first layer's from a block's
    /// first output on, and the block's outputs.
    #[inline(always)]
    fn padded_block(&self, rows: &WeightRows<'_>) -> Option<(WeightRows<'_>, usize)> {
        let padded = self.rows.as_ref()?;
        let same = core::ptr::eq(padded.weights, rows.weights)
            && rows.stride == padded.outputs
            && rows.col.is_multiple_of(PIXEL_ROW_LANES);
        let block = padded
            .blocks
            .get(rows.col / PIXEL_ROW_LANES)
            .filter(|_| same)?;
        let lanes = (padded.outputs - rows.col).min(PIXEL_ROW_LANES);
        let block = WeightRows {
            weights: bytemuck::cast_slice(block),
            stride: PIXEL_ROW_LANES,
            col: 0,
        };
        Some((block, lanes))
    }

    /// Whether the model's first layer runs from a copy laid out for these kernels.
    pub fn lays_out_first_layer(&self) -> bool {
        self.quads.is_some() || self.rows.is_some()
    }
}

/// Copies row-major `weights` (`outputs` per row) into rows of [`PIXEL_ROW_LANES`] outputs,
/// padded with zeros.
fn pad<'m>(weights: &'m [f32], outputs: usize) -> PaddedRows<'m> {
    let blocks = (0..outputs)
        .step_by(PIXEL_ROW_LANES)
        .map(|col| lines(weights, outputs, col, PIXEL_ROW_LANES))
        .collect();
    PaddedRows {
        weights,
        outputs,
        blocks,
    }
}

/// Copies row-major `weights` (`outputs` per row) into rows padded to whole vectors.
fn pad_layer(weights: &[f32], outputs: usize) -> PaddedLayer<'_> {
    PaddedLayer {
        weights,
        outputs,
        lines: lines(weights, outputs, 0, outputs.div_ceil(16) * 16),
    }
}

/// Outputs `col .. col + width` of each row of `weights` (`outputs` per row), zero past the
/// row's end, as whole lines (`width` a multiple of 16).
fn lines(weights: &[f32], outputs: usize, col: usize, width: usize) -> Vec<Line> {
    let mut floats = vec![[0.0f32; 16]; weights.len() / outputs.max(1) * width / 16];
    let padded = floats.as_flattened_mut().chunks_exact_mut(width);
    for (row, padded) in weights.chunks_exact(outputs.max(1)).zip(padded) {
        let part = row.get(col..).unwrap_or(&[]);
        let n = part.len().min(width);
        padded[..n].copy_from_slice(&part[..n]);
    }
    floats.into_iter().map(bytemuck::cast).collect()
}

/// Lays out `weights` (`inputs × outputs`, in `order`) by input quads and output blocks.
fn interleave<'m>(
    weights: &'m [i8],
    order: WeightOrder,
    inputs: usize,
    outputs: usize,
) -> Quads<'m> {
    let per_block = inputs.div_ceil(4);
    let blocks = outputs.div_ceil(QUAD_LANES);
    let mut quads = vec![Quad([0; 4 * QUAD_LANES]); blocks * per_block];
    for (b, block) in quads.chunks_exact_mut(per_block).enumerate() {
        for (q, quad) in block.iter_mut().enumerate() {
            for (o, lane) in quad.0.chunks_exact_mut(4).enumerate() {
                let output = b * QUAD_LANES + o;
                for (j, w) in lane.iter_mut().enumerate() {
                    let pixel = 4 * q + j;
                    if pixel < inputs && output < outputs {
                        let at = order.position(inputs, outputs, pixel, output);
                        *w = weights.get(at).copied().unwrap_or(0);
                    }
                }
            }
        }
    }
    Quads {
        weights,
        outputs,
        per_block,
        quads,
    }
}

// The host kernels for all but the layers laid out again, inlined as they are.
impl Kernels for ModelKernels<'_> {
    #[inline(always)]
    fn input_major(&self, pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(first) = self
            .quads
            .as_ref()
            .filter(|q| q.made_from(weights, pixels.len(), acc.len()))
        {
            // SAFETY: `first` is made only when the CPU has the features the kernel is built for.
            #[allow(unsafe_code)]
            unsafe {
                x86::input_quads(pixels, &first.quads, first.per_block, bias, acc);
            }
            return;
        }
        self.host.input_major(pixels, weights, bias, acc);
    }

    #[inline(always)]
    fn column_blocks(&self, input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(layer) = self
            .later
            .iter()
            .find(|q| q.made_from(weights, input.len(), acc.len()))
        {
            // SAFETY: `later` is made only when the CPU has the features the kernel is built for.
            #[allow(unsafe_code)]
            unsafe {
                x86::input_quads(input, &layer.quads, layer.per_block, bias, acc);
            }
            return;
        }
        self.host.column_blocks(input, weights, bias, acc);
    }

    #[inline(always)]
    fn panel_input_major(
        &self,
        images: &[u8],
        weights: &[i8],
        bias: &[i32],
        acc: &mut [[i32; PANEL]],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(first) = self
            .quads
            .as_ref()
            .filter(|q| q.made_from(weights, images.len() / PANEL, acc.len()))
        {
            // SAFETY: `first` is made only when the CPU has the features the kernel is built for.
            #[allow(unsafe_code)]
            return unsafe { x86::panel_from_images(images, first, bias, acc) };
        }
        let _ = (images, weights, bias, acc);
        false
    }

    #[inline(always)]
    fn panel_column_blocks(
        &self,
        x: &[[u8; PANEL]],
        weights: &[i8],
        bias: &[i32],
        acc: &mut [[i32; PANEL]],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(layer) = self
            .later
            .iter()
            .find(|q| q.made_from(weights, x.len(), acc.len()))
        {
            // SAFETY: `later` is made only when the CPU has the features the kernel is built for.
            #[allow(unsafe_code)]
            return unsafe { x86::panel_from_panel(x, layer, bias, acc) };
        }
        let _ = (x, weights, bias, acc);
        false
    }

    #[inline(always)]
    fn nonzero_pixels(&self, pixels: &[u8], list: &mut [u16]) -> Option<usize> {
        self.host.nonzero_pixels(pixels, list)
    }

    #[inline(always)]
    fn add_batch_pixel_rows(
        &self,
        images: &[u8],
        rows: &WeightRows<'_>,
        sums: &mut [[f32; PIXEL_ROW_LANES]],
    ) -> bool {
        let Some((padded, lanes)) = self.padded_block(rows) else {
            return false;
        };
        let image_len = images.len() / sums.len().max(1);
        for (image, sums) in images.chunks_exact(image_len.max(1)).zip(sums) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the padded copy is made only when the CPU has the features the kernel
            // is built for.
            #[allow(unsafe_code)]
            unsafe {
                crate::host_kernels::x86::add_pixel_rows(image, 0, &padded, sums, lanes);
            }
            #[cfg(not(target_arch = "x86_64"))]
            if !self.host.add_pixel_rows(image, 0, &padded, sums) {
                return false;
            }
        }
        true
    }

    #[inline(always)]
    fn add_pixel_rows(
        &self,
        pixels: &[u8],
        first_row: usize,
        rows: &WeightRows<'_>,
        sums: &mut [f32; PIXEL_ROW_LANES],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some((padded, lanes)) = self.padded_block(rows) {
            // SAFETY: the padded copy is made only when the CPU has the features the kernel
            // is built for.
            #[allow(unsafe_code)]
            unsafe {
                crate::host_kernels::x86::add_pixel_rows(pixels, first_row, &padded, sums, lanes);
            }
            return true;
        }
        self.host.add_pixel_rows(pixels, first_row, rows, sums)
    }

    #[inline(always)]
    fn dense_f32(&self, input: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(layer) = self
            .later_f32
            .iter()
            .find(|l| l.made_from(weights, input.len(), out.len()))
        {
            let padded = bytemuck::cast_slice(&layer.lines);
            // SAFETY: `later_f32` is made only when the CPU has the features the kernel is
            // built for.
            #[allow(unsafe_code)]
            unsafe {
                crate::host_kernels::x86::padded_dense_f32(input, padded, bias, out);
            }
            return true;
        }
        self.host.dense_f32(input, weights, bias, out)
    }

    #[inline(always)]
    fn panel_dense_f32(
        &self,
        x: &[[f32; PANEL]],
        weights: &[f32],
        bias: &[f32],
        y: &mut [[f32; PANEL]],
    ) -> bool {
        self.host.panel_dense_f32(x, weights, bias, y)
    }

    #[inline(always)]
    fn narrow_through_table(
        &self,
        bytes: &mut [u8],
        outputs: usize,
        requantization: &Requantization<'_>,
    ) {
        self.host
            .narrow_through_table(bytes, outputs, requantization);
    }

    #[inline(always)]
    fn panel_narrow_through_table(
        &self,
        acc: &[[i32; PANEL]],
        requantization: &Requantization<'_>,
        x: &mut [[u8; PANEL]],
    ) -> bool {
        self.host.panel_narrow_through_table(acc, requantization, x)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi32, _mm512_cvtepu8_epi32, _mm512_dpbusd_epi32,
        _mm512_maskz_compress_epi32, _mm512_or_si512, _mm512_set1_epi32, _mm512_setzero_si512,
        _mm512_shuffle_i32x4, _mm512_slli_epi32, _mm512_test_epi32_mask, _mm512_unpackhi_epi32,
        _mm512_unpackhi_epi64, _mm512_unpacklo_epi32, _mm512_unpacklo_epi64,
    };

    use super::{QUAD_LANES, Quad, Quads};
    use runtime::panel::PANEL;

    /// Images in one vector of a panel's sums: a 32-bit lane each.
    const HALF: usize = 16;

    /// Outputs summed at once in a panel: one vector each, for [`HALF`] images.
    const GROUP: usize = 16;

    /// Most quads of inputs a panel kernel takes (1024 inputs); wider layers are left to
    /// the runtime.
    const MAX_QUADS: usize = 256;

    /// Each quad's four inputs as one word, for each of [`HALF`] images: `words[q][t]`.
    #[derive(Clone, Copy)]
    #[repr(C, align(64))]
    struct Words([[u32; HALF]; MAX_QUADS]);

    /// A first layer for a panel of images laid end to end in `images`: their pixels as
    /// words of four, [`HALF`] images at a time, then [`add_panel_quads`]. `false` when the
    /// layer has more than [`MAX_QUADS`] quads.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn panel_from_images(
        images: &[u8],
        layer: &Quads<'_>,
        bias: &[i32],
        acc: &mut [[i32; PANEL]],
    ) -> bool {
        let image_len = images.len() / PANEL;
        if layer.per_block > MAX_QUADS || image_len == 0 {
            return false;
        }
        let mut words = Words([[0; HALF]; MAX_QUADS]);
        for (half, images) in images.chunks_exact(HALF * image_len).enumerate() {
            // 16 quads of 16 images at a time: 64 bytes of each image, transposed as a
            // 16 × 16 matrix of words.
            for (block, words) in words
                .0
                .chunks_exact_mut(16)
                .take(layer.per_block.div_ceil(16))
                .enumerate()
            {
                let mut rows = [_mm512_setzero_si512(); HALF];
                for (row, image) in rows.iter_mut().zip(images.chunks_exact(image_len)) {
                    *row = crate::host_kernels::x86::load(bytemuck::cast_slice(image), 64 * block);
                }
                for (words, column) in words.iter_mut().zip(transpose(rows)) {
                    *words = bytemuck::cast(column);
                }
            }
            let (listed, count) = nonzero_quads(&words, layer.per_block);
            add_panel_quads(&words, &listed[..count], layer, bias, acc, half);
        }
        true
    }

    /// The 16 × 16 matrix of 32-bit words `rows` transposed: column `c` as vector `c`.
    /// Words are interleaved in pairs, then pairs of pairs, within 128-bit lanes; the
    /// lanes are then transposed as a 4 × 4 matrix.
    #[target_feature(enable = "avx512f")]
    fn transpose(r: [__m512i; 16]) -> [__m512i; 16] {
        let t: [__m512i; 16] = core::array::from_fn(|i| {
            let (a, b) = (r[i & !1], r[i | 1]);
            if i % 2 == 0 {
                _mm512_unpacklo_epi32(a, b)
            } else {
                _mm512_unpackhi_epi32(a, b)
            }
        });
        // u[4i + j], lane k: rows 4i .. 4i + 4 of column 4k + j.
        let u: [__m512i; 16] = core::array::from_fn(|n| {
            let (i, j) = (n / 4, n % 4);
            let (a, b) = (t[4 * i + j / 2], t[4 * i + j / 2 + 2]);
            if j % 2 == 0 {
                _mm512_unpacklo_epi64(a, b)
            } else {
                _mm512_unpackhi_epi64(a, b)
            }
        });
        let mut columns = [_mm512_setzero_si512(); 16];
        for j in 0..4 {
            let v0 = _mm512_shuffle_i32x4::<0x44>(u[j], u[4 + j]);
            let v1 = _mm512_shuffle_i32x4::<0xEE>(u[j], u[4 + j]);
            let v2 = _mm512_shuffle_i32x4::<0x44>(u[8 + j], u[12 + j]);
            let v3 = _mm512_shuffle_i32x4::<0xEE>(u[8 + j], u[12 + j]);
            columns[j] = _mm512_shuffle_i32x4::<0x88>(v0, v2);
            columns[4 + j] = _mm512_shuffle_i32x4::<0xDD>(v0, v2);
            columns[8 + j] = _mm512_shuffle_i32x4::<0x88>(v1, v3);
            columns[12 + j] = _mm512_shuffle_i32x4::<0xDD>(v1, v3);
        }
        columns
    }

    /// The quads among the first `quads` of `words` that are non-zero for some image, and
    /// how many.
    #[target_feature(enable = "avx512f")]
    fn nonzero_quads(words: &Words, quads: usize) -> ([u16; MAX_QUADS], usize) {
        let mut listed = [0u16; MAX_QUADS];
        let mut count = 0;
        for (q, words) in words.0.iter().enumerate().take(quads) {
            let v: __m512i = bytemuck::cast(*words);
            listed[count] = q as u16;
            count += usize::from(_mm512_test_epi32_mask(v, v) != 0);
        }
        (listed, count)
    }

    /// A later layer for a panel's activations `x[i][t]`: as [`panel_from_images`], the
    /// words made from four rows of `x`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn panel_from_panel(
        x: &[[u8; PANEL]],
        layer: &Quads<'_>,
        bias: &[i32],
        acc: &mut [[i32; PANEL]],
    ) -> bool {
        if layer.per_block > MAX_QUADS {
            return false;
        }
        let mut words = Words([[0; HALF]; MAX_QUADS]);
        for half in 0..PANEL / HALF {
            // Row `i`'s values for this half's images, as 32-bit lanes; zeros past `x`.
            let row = |i: usize| {
                let bytes = x
                    .get(i)
                    .and_then(|row| row.get(half * HALF..))
                    .and_then(|row| row.first_chunk::<HALF>())
                    .copied()
                    .unwrap_or([0; HALF]);
                _mm512_cvtepu8_epi32(bytemuck::cast(bytes))
            };
            for (q, words) in words.0.iter_mut().enumerate().take(layer.per_block) {
                let (a, b, c, d) = (row(4 * q), row(4 * q + 1), row(4 * q + 2), row(4 * q + 3));
                let word = _mm512_or_si512(
                    _mm512_or_si512(a, _mm512_slli_epi32::<8>(b)),
                    _mm512_or_si512(_mm512_slli_epi32::<16>(c), _mm512_slli_epi32::<24>(d)),
                );
                *words = bytemuck::cast(word);
            }
            let (listed, count) = nonzero_quads(&words, layer.per_block);
            add_panel_quads(&words, &listed[..count], layer, bias, acc, half);
        }
        true
    }

    /// `acc[o][t] = bias[o] + Σ_q words[q][t] · W[q][o]` for the [`HALF`] images of `half`,
    /// over the `listed` quads (the others are zero for all these images): [`GROUP`]
    /// outputs at a time, each quad's word vector taken by one `vpdpbusd` per output with
    /// the output's four weights broadcast.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn add_panel_quads(
        words: &Words,
        listed: &[u16],
        layer: &Quads<'_>,
        bias: &[i32],
        acc: &mut [[i32; PANEL]],
        half: usize,
    ) {
        for (group, (acc, bias)) in acc.chunks_mut(GROUP).zip(bias.chunks(GROUP)).enumerate() {
            let first = group * GROUP;
            // Groups lie within a block of outputs; lanes past the layer's outputs are zero.
            let (b, lane) = (first / QUAD_LANES, first % QUAD_LANES);
            let block = layer.quads.get(b * layer.per_block..).unwrap_or(&[]);
            let mut sums = [_mm512_setzero_si512(); GROUP];
            for &q in listed {
                let (Some(quad), Some(x)) =
                    (block.get(usize::from(q)), words.0.get(usize::from(q)))
                else {
                    continue;
                };
                let x: __m512i = bytemuck::cast(*x);
                let w: &[i32; QUAD_LANES] = bytemuck::cast_ref(&quad.0);
                if let Some(w) = w.get(lane..).and_then(|w| w.first_chunk::<GROUP>()) {
                    for (s, &w) in sums.iter_mut().zip(w) {
                        *s = _mm512_dpbusd_epi32(*s, x, _mm512_set1_epi32(w));
                    }
                }
            }
            for ((row, &b), s) in acc.iter_mut().zip(bias).zip(sums) {
                let lanes: [i32; HALF] = bytemuck::cast(s);
                if let Some(row) = row.get_mut(half * HALF..(half + 1) * HALF) {
                    for (a, v) in row.iter_mut().zip(lanes) {
                        *a = b.wrapping_add(v);
                    }
                }
            }
        }
    }

    /// Pixels whose non-zero quads are listed at a time.
    const PIECE: usize = 1024;

    /// `acc = bias + pixels · W` from `W` interleaved by quads (`per_block` quads per block of
    /// outputs): the quads holding a non-zero pixel are listed with `vpcompressd`, together
    /// with their four pixels as one word, then each adds its weights with four `vpdpbusd`
    /// per block.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn input_quads(
        pixels: &[u8],
        quads: &[Quad],
        per_block: usize,
        bias: &[i32],
        acc: &mut [i32],
    ) {
        for (a, &b) in acc.iter_mut().zip(bias) {
            *a = b;
        }
        let iota: __m512i = bytemuck::cast(core::array::from_fn::<u32, 16, _>(|i| i as u32));
        let mut index = [0u32; PIECE / 4 + 16];
        let mut words = [0u32; PIECE / 4 + 16];
        for (piece_start, piece) in (0usize..).step_by(PIECE).zip(pixels.chunks(PIECE)) {
            let mut count = 0;
            for (base, chunk) in (piece_start / 4..).step_by(16).zip(piece.chunks(64)) {
                // The last, short chunk with zeros after the pixels.
                let v = crate::host_kernels::x86::load(bytemuck::cast_slice(chunk), 0);
                let nonzero = _mm512_test_epi32_mask(v, v);
                let first = _mm512_add_epi32(iota, _mm512_set1_epi32(base as i32));
                // `count` is at most the quads before this chunk: each store ends in the arrays.
                index[count..count + 16].copy_from_slice(&bytemuck::cast::<__m512i, [u32; 16]>(
                    _mm512_maskz_compress_epi32(nonzero, first),
                ));
                words[count..count + 16].copy_from_slice(&bytemuck::cast::<__m512i, [u32; 16]>(
                    _mm512_maskz_compress_epi32(nonzero, v),
                ));
                count += nonzero.count_ones() as usize;
            }
            let listed = index.iter().zip(&words).take(count);
            for (b, acc) in acc.chunks_mut(QUAD_LANES).enumerate() {
                let block = quads.get(b * per_block..).unwrap_or(&[]);
                // Only the vectors that hold the block's outputs.
                let sums = match acc.len().div_ceil(16) {
                    1 => add_quads::<1>(block, listed.clone()),
                    2 => add_quads::<2>(block, listed.clone()),
                    3 => add_quads::<3>(block, listed.clone()),
                    _ => add_quads::<4>(block, listed.clone()),
                };
                let lanes: [i32; QUAD_LANES] = bytemuck::cast(sums);
                for (a, s) in acc.iter_mut().zip(lanes) {
                    *a = a.wrapping_add(s);
                }
            }
        }
    }

    /// The sums of the listed quads' weights in `block` times their pixel words, in the
    /// first `V` vectors of each quad (the rest zero). Alternate quads go to two sets of
    /// sums, which halves the chain of `vpdpbusd` that wait for each other; integer sums
    /// are the same in any order.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    fn add_quads<'a, const V: usize>(
        block: &[Quad],
        mut listed: impl Iterator<Item = (&'a u32, &'a u32)>,
    ) -> [__m512i; 4] {
        let add = |sums: &mut [__m512i; V], (&q, &word): (&u32, &u32)| {
            if let Some(quad) = block.get(q as usize) {
                let w: [__m512i; 4] = bytemuck::cast(quad.0);
                let x = _mm512_set1_epi32(word as i32);
                for (s, w) in sums.iter_mut().zip(w) {
                    *s = _mm512_dpbusd_epi32(*s, x, w);
                }
            }
        };
        let (mut even, mut odd) = ([_mm512_setzero_si512(); V], [_mm512_setzero_si512(); V]);
        while let Some(first) = listed.next() {
            add(&mut even, first);
            let Some(second) = listed.next() else {
                break;
            };
            add(&mut odd, second);
        }
        let mut sums = [_mm512_setzero_si512(); 4];
        for ((s, e), o) in sums.iter_mut().zip(even).zip(odd) {
            *s = _mm512_add_epi32(e, o);
        }
        sums
    }
}

#[cfg(test)]
mod tests {
    use super::{ModelKernels, QUAD_LANES, interleave, pad, pad_layer};
    use crate::host_kernels::DENSE_LANES;
    use crate::host_kernels::tests::{
        FLOAT_SHAPES, biases, bytes, check_dense_f32, check_pixel_rows, host, weights,
    };
    use runtime::kernels::Portable;
    use runtime::kernels::{PIXEL_ROW_LANES, WeightRows};
    use runtime::panel::PANEL;
    use runtime::{Kernels, WeightOrder};

    /// `host` with no layer laid out: the fields a test's kernels do not set.
    fn bare<'m>() -> ModelKernels<'m> {
        ModelKernels {
            host: host(),
            quads: None,
            rows: None,
            later: Vec::new(),
            later_f32: Vec::new(),
        }
    }

    /// `host` with the first layer `w` (`n × m`) interleaved, where the CPU can run it.
    fn kernels(w: &[i8], n: usize, m: usize) -> ModelKernels<'_> {
        let quads = host()
            .uses_avx512()
            .then(|| interleave(w, WeightOrder::InputMajor, n, m));
        ModelKernels { quads, ..bare() }
    }

    /// `host` with the later layer `w` (`n × m`, column blocks) interleaved, where the CPU
    /// can run it.
    fn later_kernels(w: &[i8], n: usize, m: usize) -> ModelKernels<'_> {
        let later = host()
            .uses_avx512()
            .then(|| interleave(w, WeightOrder::ColumnBlocks, n, m));
        ModelKernels {
            later: later.into_iter().collect(),
            ..bare()
        }
    }

    #[test]
    fn padded_rows_give_the_sums_in_pixel_order_bit_for_bit() {
        let host = host();
        check_pixel_rows(host.uses_avx512(), |w, m, part, first_row, rows, sums| {
            let kernels = ModelKernels {
                rows: host.uses_avx512().then(|| pad(w, m)),
                ..bare()
            };
            kernels.add_pixel_rows(part, first_row, rows, sums)
        });
    }

    /// `host` with the later f32 layer `w` (`m` outputs) padded, where the CPU can run it.
    fn later_f32_kernels(w: &[f32], m: usize) -> ModelKernels<'_> {
        let later_f32 = host().uses_avx512().then(|| pad_layer(w, m));
        ModelKernels {
            later_f32: later_f32.into_iter().collect(),
            ..bare()
        }
    }

    #[test]
    fn padded_later_layers_give_the_runtime_outputs_bit_for_bit() {
        // Last vectors of 1 to 16 lanes (4 or fewer summed in 128 bits, 5 not), up to eight
        // vectors.
        let shapes = FLOAT_SHAPES
            .into_iter()
            .chain([
                (4, 4),
                (6, 12),
                (9, 52),
                (3, 97),
                (8, 116),
                (6, 128),
                (2, 113),
                (7, 101),
            ])
            .filter(|&(_, m)| m <= DENSE_LANES);
        check_dense_f32(shapes, host().uses_avx512(), |input, w, bias, out| {
            later_f32_kernels(w, bias.len()).dense_f32(input, w, bias, out)
        });
    }

    #[test]
    fn interleaved_first_layers_equal_the_portable_kernel() {
        // Pixels not a multiple of 4, outputs within, at and past one block of 64, more
        // pixels than one piece of 1024, and the book's layer.
        for (seed, (n, m)) in (1..).zip([
            (1, 1),
            (3, 7),
            (5, 64),
            (6, 65),
            (30, 130),
            (1030, 20),
            (784, 50),
        ]) {
            let pixels = bytes(n, seed, 3);
            let w = weights(n * m, seed + 50);
            let bias = biases(m, seed + 100);
            let (mut want, mut got) = (vec![0; m], vec![7; m]);
            Portable.input_major(&pixels, &w, &bias, &mut want);
            kernels(&w, n, m).input_major(&pixels, &w, &bias, &mut got);
            assert_eq!(got, want, "{n} x {m}");
        }
    }

    #[test]
    fn interleaved_later_layers_equal_the_portable_kernel() {
        // Every width of the last column block (8, 4, 2, 1 and mixes), one to four vectors
        // of a block of 64 in use, inputs not a multiple of 4, more outputs than one block,
        // and the book's layers.
        for (seed, (n, m)) in (1..).zip([
            (1, 1),
            (3, 7),
            (5, 15),
            (8, 30),
            (9, 64),
            (6, 65),
            (70, 130),
            (50, 100),
            (100, 10),
        ]) {
            let input = bytes(n, seed, 4);
            let w = weights(n * m, seed + 50);
            let bias = biases(m, seed + 100);
            let (mut want, mut got) = (vec![0; m], vec![7; m]);
            Portable.column_blocks(&input, &w, &bias, &mut want);
            later_kernels(&w, n, m).column_blocks(&input, &w, &bias, &mut got);
            assert_eq!(got, want, "{n} x {m}");
        }
        // Extremes wrap as the runtime's sums do.
        let (n, m) = (600, 24);
        let (input, w, bias) = (vec![255u8; n], vec![-128i8; n * m], vec![i32::MIN + 5; m]);
        let (mut want, mut got) = (vec![0; m], vec![0; m]);
        Portable.column_blocks(&input, &w, &bias, &mut want);
        later_kernels(&w, n, m).column_blocks(&input, &w, &bias, &mut got);
        assert_eq!(got, want);
    }

    /// `acc[o][t]` of a panel, image `t` by the portable kernel `one`.
    fn panel_by_image(m: usize, one: impl Fn(usize, &mut [i32])) -> Vec<[i32; PANEL]> {
        let mut acc = vec![[0; PANEL]; m];
        for t in 0..PANEL {
            let mut column = vec![0; m];
            one(t, &mut column);
            for (row, c) in acc.iter_mut().zip(column) {
                row[t] = c;
            }
        }
        acc
    }

    #[test]
    fn panel_first_layers_equal_the_portable_kernel_image_by_image() {
        // As for one image, plus inputs past 16 quads (one transposed block) and not a
        // multiple of 64, and images zero throughout (no quad listed).
        for (seed, (n, m, zero_every)) in (1..).zip([
            (1, 1, 3),
            (3, 7, 3),
            (5, 64, 3),
            (6, 65, 3),
            (70, 130, 2),
            (100, 17, 5),
            (784, 50, 3),
            (784, 50, 1),
            (1024, 10, 4),
        ]) {
            let images = bytes(PANEL * n, seed, zero_every);
            let w = weights(n * m, seed + 50);
            let bias = biases(m, seed + 100);
            let want = panel_by_image(m, |t, column| {
                Portable.input_major(&images[t * n..(t + 1) * n], &w, &bias, column);
            });
            let mut got = vec![[7; PANEL]; m];
            let taken = kernels(&w, n, m).panel_input_major(&images, &w, &bias, &mut got);
            assert_eq!(taken, host().uses_avx512(), "{n} x {m}");
            if taken {
                assert_eq!(got, want, "{n} x {m}");
            }
        }
        // Wider than the kernel takes: left to the runtime.
        let (n, m) = (1025, 3);
        let (images, w, bias) = (bytes(PANEL * n, 9, 3), weights(n * m, 9), biases(m, 9));
        let mut acc = vec![[0; PANEL]; m];
        assert!(!kernels(&w, n, m).panel_input_major(&images, &w, &bias, &mut acc));
    }

    #[test]
    fn panel_later_layers_equal_the_portable_kernel_image_by_image() {
        for (seed, (n, m)) in (1..).zip([
            (1, 1),
            (3, 7),
            (5, 15),
            (9, 64),
            (6, 65),
            (70, 128),
            (50, 100),
            (100, 10),
        ]) {
            let x: Vec<[u8; PANEL]> = bytes(PANEL * n, seed, 4)
                .chunks_exact(PANEL)
                .map(|row| row.try_into().unwrap())
                .collect();
            let w = weights(n * m, seed + 50);
            let bias = biases(m, seed + 100);
            let want = panel_by_image(m, |t, column| {
                let input: Vec<u8> = x.iter().map(|row| row[t]).collect();
                Portable.column_blocks(&input, &w, &bias, column);
            });
            let mut got = vec![[7; PANEL]; m];
            let taken = later_kernels(&w, n, m).panel_column_blocks(&x, &w, &bias, &mut got);
            assert_eq!(taken, host().uses_avx512(), "{n} x {m}");
            if taken {
                assert_eq!(got, want, "{n} x {m}");
            }
        }
    }

    #[test]
    fn extreme_values_wrap_like_the_portable_kernel() {
        let (n, m) = (600, 24);
        let pixels = vec![255u8; n];
        let w = vec![-128i8; n * m];
        let bias = vec![i32::MIN + 5; m];
        let (mut want, mut got) = (vec![0; m], vec![0; m]);
        Portable.input_major(&pixels, &w, &bias, &mut want);
        kernels(&w, n, m).input_major(&pixels, &w, &bias, &mut got);
        assert_eq!(got, want);
    }

    /// The copies are what runs for the weights they were made from: with each copy's
    /// weights zeroed, the sums are the biases alone (the host kernels, had they run
    /// instead, would give the products).
    #[test]
    fn the_laid_out_copies_are_what_runs() {
        use super::Quad;
        let (n, m) = (40, 10);
        let (pixels, w, bias) = (bytes(n, 21, 3), weights(n * m, 22), biases(m, 23));
        let mut first = kernels(&w, n, m);
        let mut later = later_kernels(&w, n, m);
        if !first.host.uses_avx512() {
            return; // `host()` has said so, and fails under CI.
        }
        for quads in first.quads.iter_mut().chain(later.later.iter_mut()) {
            quads.quads.fill(Quad([0; 4 * QUAD_LANES]));
        }
        let mut got = vec![0; m];
        first.input_major(&pixels, &w, &bias, &mut got);
        assert_eq!(got, bias, "first layer");
        later.column_blocks(&pixels, &w, &bias, &mut got);
        assert_eq!(got, bias, "later layer");
        // The f32 first layer's padded rows.
        let floats: Vec<f32> = w.iter().map(|&x| f32::from(x) / 64.0).collect();
        let padded = ModelKernels {
            rows: Some(pad(&floats, m)).map(|mut rows| {
                rows.blocks
                    .iter_mut()
                    .for_each(|b| b.fill(bytemuck::cast([0.0f32; 16])));
                rows
            }),
            ..bare()
        };
        let rows = WeightRows {
            weights: &floats,
            stride: m,
            col: 0,
        };
        let mut sums = [1.5; PIXEL_ROW_LANES];
        assert!(padded.add_pixel_rows(&pixels, 0, &rows, &mut sums));
        // Lanes past the layer's outputs may hold anything.
        assert!(sums[..m].iter().all(|&s| s == 1.5), "padded rows");
        // A later f32 layer's padded rows, and the same weights elsewhere in memory, which
        // are not the copy's and go to the host kernels.
        let mut later = later_f32_kernels(&floats, m);
        later.later_f32[0].lines.fill(bytemuck::cast([0.0f32; 16]));
        let (input, bias) = (vec![1.0; n], vec![0.25; m]);
        let mut got = vec![0.0; m];
        assert!(later.dense_f32(&input, &floats, &bias, &mut got));
        assert_eq!(got, bias, "later f32 layer");
        let (copy, mut want) = (floats.clone(), vec![0.0; m]);
        runtime::dense::dense_blocks(&input, &floats, &bias, &mut want, false);
        assert!(later.dense_f32(&input, &copy, &bias, &mut got));
        assert_eq!(got, want, "other weights");
        assert_ne!(got, bias);
    }

    #[test]
    fn other_weights_go_to_the_host_kernels() {
        let (n, m) = (40, 10);
        let pixels = bytes(n, 9, 3);
        let w = weights(n * m, 10);
        let other = weights(n * m, 11);
        let bias = biases(m, 12);
        let kernels = kernels(&w, n, m);
        let (mut want, mut got) = (vec![0; m], vec![0; m]);
        Portable.input_major(&pixels, &other, &bias, &mut want);
        kernels.input_major(&pixels, &other, &bias, &mut got);
        assert_eq!(got, want);
        // The same values elsewhere in memory are other weights too, and give the same sums.
        let copy = w.clone();
        Portable.input_major(&pixels, &w, &bias, &mut want);
        kernels.input_major(&pixels, &copy, &bias, &mut got);
        assert_eq!(got, want);
    }
}
