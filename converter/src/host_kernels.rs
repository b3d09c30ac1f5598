//! Kernels for x86-64 CPUs with AVX-512 (VNNI, VBMI, VBMI2), picked at run time.
//!
//! - **Int8 products.** The runtime's own int8 kernels multiply one input (two on desktop
//!   CPUs) by a row of weights per step. `vpdpbusd` multiplies four `u8` inputs by four
//!   `i8` weights and adds the four products to a 32-bit sum, for 16 sums at once. The
//!   sums are exact and wrap like the runtime's.
//! - **Int8 requantization.** 16 accumulators a step in 64-bit lanes, then the activation
//!   table looked up with two 128-byte `vpermi2b` lookups.
//! - **Non-zero pixels.** A float first layer adds the weight rows of the non-zero pixels
//!   only. The runtime finds them with a bit-mask loop, whose branches depend on the
//!   picture; `vpcompressw` lists them 32 at a time without a branch.
//! - **Float layers of one image.** The first layer's listed rows, 64 outputs a pass, and a
//!   later layer's rows, up to 128 outputs a pass in as many vectors as they need (the
//!   runtime's blocks are 64 wide), each in a loop of its own whose sums stay in registers;
//!   the last rows, which lack a whole vector of weights after them, are padded apart.
//!
//! Results are the same bit for bit as the runtime's (see the tests).
//!
//! `unsafe` serves two things here (and the first in `model_kernels` too). Calling the
//! kernels, which are compiled for instructions an older CPU lacks, only after the CPU is
//! seen to have them (`on_avx512!`). And one masked load and one masked store (`load`,
//! `store_prefix`), whose masks cover only the bytes of the slice they are given: the last,
//! short chunk of a layer's inputs, copied into an array instead, stalled the load that read
//! it back. Otherwise the kernels are safe code: bytes reach the vector registers through
//! `bytemuck` casts of arrays, and every slice access is checked.
//!
//! Measured with `cargo bench -p tests` (AVX-512 CPU, one thread), the test set as one
//! batch, medians of two runs: the int8 network 14.5–16.6 ms with the runtime's kernels,
//! 8.5–9.3 ms with these; the f32 network 10.5–11.3 and 9.1–10.2 ms. One f32 image at a
//! time (`timing each` when it ran these kernels, before `model_kernels`; medians of 7
//! interleaved runs): 1.31 µs per image with the runtime's float kernels, 1.17 with these.

use runtime::kernels::{PIXEL_ROW_LANES, Portable, WeightRows};
use runtime::panel::PANEL;
use runtime::{Kernels, Requantization};

/// Most outputs a float layer of one image sums at once, in eight vectors.
pub const DENSE_LANES: usize = 128;

/// The kernels for this CPU: this module's when it has AVX-512 with VNNI, VBMI and VBMI2
/// (Intel since Ice Lake, AMD since Zen 4), else the runtime's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostKernels {
    // True only when the CPU has the features the kernels are built for: calling them relies on it.
    avx512: bool,
}

impl HostKernels {
    /// The fastest kernels this CPU runs.
    pub fn detect() -> Self {
        HostKernels {
            avx512: avx512_available(),
        }
    }

    /// The runtime's portable kernels, whatever the CPU.
    pub fn portable() -> Self {
        HostKernels { avx512: false }
    }

    /// Whether this module's kernels are in use.
    pub fn uses_avx512(&self) -> bool {
        self.avx512
    }
}

impl Default for HostKernels {
    fn default() -> Self {
        HostKernels::detect()
    }
}

#[cfg(target_arch = "x86_64")]
fn avx512_available() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("avx512f")
        && has!("avx512bw")
        && has!("avx512vl")
        && has!("avx512vnni")
        && has!("avx512vbmi")
        && has!("avx512vbmi2")
        && has!("popcnt")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx512_available() -> bool {
    false
}

/// Returns from the calling method with the [`x86`] kernel `$call`'s value, or with
/// `$value` after it, when the CPU has the features the kernels are built for.
macro_rules! on_avx512 {
    ($self:ident, $call:expr) => {
        #[cfg(target_arch = "x86_64")]
        if $self.avx512 {
            // SAFETY: `avx512` is true only when the CPU has the features the kernels are
            // built for.
            #[allow(unsafe_code)]
            return unsafe { $call };
        }
    };
    ($self:ident, $call:expr, $value:expr) => {
        #[cfg(target_arch = "x86_64")]
        if $self.avx512 {
            // SAFETY: as above.
            #[allow(unsafe_code)]
            unsafe {
                $call;
            }
            return $value;
        }
    };
}

// Inlined always, so that the runtime's kernels, when they run, are compiled for the
// caller's vector units (`converter::vector`), not for the baseline CPU.
impl Kernels for HostKernels {
    #[inline(always)]
    fn input_major(&self, pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        on_avx512!(self, x86::input_major(pixels, weights, bias, acc));
        Portable.input_major(pixels, weights, bias, acc);
    }

    #[inline(always)]
    fn column_blocks(&self, input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        on_avx512!(self, x86::column_blocks(input, weights, bias, acc));
        Portable.column_blocks(input, weights, bias, acc);
    }

    #[inline(always)]
    fn narrow_through_table(
        &self,
        bytes: &mut [u8],
        outputs: usize,
        requantization: &Requantization<'_>,
    ) {
        on_avx512!(
            self,
            x86::narrow_through_table(bytes, outputs, requantization)
        );
        Portable.narrow_through_table(bytes, outputs, requantization);
    }

    #[inline(always)]
    fn panel_narrow_through_table(
        &self,
        acc: &[[i32; PANEL]],
        requantization: &Requantization<'_>,
        x: &mut [[u8; PANEL]],
    ) -> bool {
        on_avx512!(
            self,
            x86::panel_narrow_through_table(acc, requantization, x),
            true
        );
        Portable.panel_narrow_through_table(acc, requantization, x)
    }

    #[inline(always)]
    fn add_pixel_rows(
        &self,
        pixels: &[u8],
        first_row: usize,
        rows: &WeightRows<'_>,
        sums: &mut [f32; PIXEL_ROW_LANES],
    ) -> bool {
        on_avx512!(
            self,
            x86::add_pixel_rows(pixels, first_row, rows, sums, PIXEL_ROW_LANES),
            true
        );
        Portable.add_pixel_rows(pixels, first_row, rows, sums)
    }

    #[inline(always)]
    fn dense_f32(&self, input: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) -> bool {
        on_avx512!(self, x86::dense_f32(input, weights, bias, out), true);
        Portable.dense_f32(input, weights, bias, out)
    }

    #[inline(always)]
    fn panel_dense_f32(
        &self,
        x: &[[f32; PANEL]],
        weights: &[f32],
        bias: &[f32],
        y: &mut [[f32; PANEL]],
    ) -> bool {
        on_avx512!(self, x86::panel_dense_f32(x, weights, bias, y), true);
        Portable.panel_dense_f32(x, weights, bias, y)
    }

    #[inline(always)]
    fn nonzero_pixels(&self, pixels: &[u8], list: &mut [u16]) -> Option<usize> {
        on_avx512!(self, x86::nonzero_pixels(pixels, list));
        Portable.nonzero_pixels(pixels, list)
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86 {
    use std::arch::x86_64::{
        __m128i, __m256i, __m512, __m512i, _mm_add_ps, _mm_cvtsi64_si128, _mm_mask_storeu_epi8,
        _mm_max_epu8, _mm_mul_ps, _mm_set1_epi8, _mm_unpacklo_epi64, _mm512_add_epi16,
        _mm512_add_epi32, _mm512_add_epi64, _mm512_add_ps, _mm512_castps512_ps128,
        _mm512_castsi128_si512, _mm512_castsi512_ps, _mm512_castsi512_si128, _mm512_cvtepi32_epi64,
        _mm512_cvtepi64_epi8, _mm512_cvtepu8_epi64, _mm512_dpbusd_epi32, _mm512_mask_blend_epi8,
        _mm512_maskz_compress_epi8, _mm512_maskz_compress_epi16, _mm512_maskz_loadu_epi8,
        _mm512_max_epi64, _mm512_min_epi64, _mm512_movepi8_mask, _mm512_mul_epi32, _mm512_mul_ps,
        _mm512_permutex2var_epi8, _mm512_permutexvar_epi8, _mm512_permutexvar_epi32,
        _mm512_set1_epi16, _mm512_set1_epi32, _mm512_set1_epi64, _mm512_set1_ps, _mm512_setzero_ps,
        _mm512_setzero_si512, _mm512_sllv_epi64, _mm512_srav_epi64, _mm512_sub_epi64,
        _mm512_test_epi8_mask, _mm512_unpackhi_epi8, _mm512_unpackhi_epi16, _mm512_unpacklo_epi8,
        _mm512_unpacklo_epi16, _mm512_zextps128_ps512,
    };

    use super::DENSE_LANES;

    use runtime::kernels::{PIXEL_ROW_LANES, WeightRows};
    use runtime::manifest::column_block_widths;
    use runtime::panel::PANEL;
    use runtime::{Input, Requantization};

    /// Pixels whose non-zero ones are listed at a time.
    const PIXEL_PIECE: usize = 1024;

    /// Lists the indices of the non-zero `pixels` at the start of `list`, ascending, and
    /// returns how many there are. `None` when `list` lacks room for a whole vector past
    /// the pixels, or there are more pixels than 16-bit indices.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn nonzero_pixels(pixels: &[u8], list: &mut [u16]) -> Option<usize> {
        if list.len() < pixels.len() + 64 || pixels.len() > usize::from(u16::MAX) - 64 {
            return None;
        }
        Some(list_nonzero(pixels, list, None))
    }

    /// Lists the non-zero `pixels`, 64 a step: their indices at the start of `list`, 32 at a
    /// time with `vpcompressw`, and the pixels themselves at the start of `values`. Both
    /// hold at least `pixels.len() + 64` entries; returns how many are listed.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    #[inline]
    fn list_nonzero(pixels: &[u8], list: &mut [u16], mut values: Option<&mut [u8]>) -> usize {
        let iota: __m512i = bytemuck::cast(core::array::from_fn::<u16, 32, _>(|i| i as u16));
        let mut count = 0;
        for (base, chunk) in (0..).step_by(64).zip(pixels.chunks(64)) {
            let v = load(bytemuck::cast_slice(chunk), 0);
            let nonzero = _mm512_test_epi8_mask(v, v);
            let (low, high) = (nonzero as u32, (nonzero >> 32) as u32);
            let first = _mm512_add_epi16(iota, _mm512_set1_epi16(base as i16));
            let second = _mm512_add_epi16(first, _mm512_set1_epi16(32));
            // `count ≤ base`, so each store ends within the arrays.
            store_u16(&mut list[count..], _mm512_maskz_compress_epi16(low, first));
            let after_low = count + low.count_ones() as usize;
            store_u16(
                &mut list[after_low..],
                _mm512_maskz_compress_epi16(high, second),
            );
            if let Some(values) = values.as_deref_mut() {
                let packed: [u8; 64] = bytemuck::cast(_mm512_maskz_compress_epi8(nonzero, v));
                values[count..count + 64].copy_from_slice(&packed);
            }
            count += nonzero.count_ones() as usize;
        }
        count
    }

    /// The rows of the non-zero pixels, listed ([`list_nonzero`]), each scaled into four
    /// vectors of sums: a multiply, then an add, as the runtime rounds. The rows with a whole
    /// 64 weights from `rows.col` come first (every one but the last few of a layer);
    /// the rest are loaded under masks, zero past the weights. Rows of exactly 64 weights,
    /// as [`ModelKernels`](crate::model_kernels::ModelKernels) pads them, take a shorter
    /// loop ([`add_lines`], [`narrow`] when the caller wants only the first `lanes`; the
    /// others may then hold anything).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn add_pixel_rows(
        pixels: &[u8],
        first_row: usize,
        rows: &WeightRows<'_>,
        sums: &mut [f32; PIXEL_ROW_LANES],
        lanes: usize,
    ) {
        let WeightRows {
            weights,
            stride,
            col,
        } = *rows;
        // Rows before `whole` have all their lanes within `weights`.
        let whole = match weights.len().checked_sub(col + PIXEL_ROW_LANES) {
            Some(spare) if stride > 0 => spare / stride + 1,
            Some(_) => usize::MAX,
            None => 0,
        };
        // Rows of exactly 64 weights: each listed row by one bounds check, its pixel listed
        // beside its index.
        let exact = stride == PIXEL_ROW_LANES && col == 0 && weights.len().is_multiple_of(stride);
        let mut acc: [__m512; 4] = bytemuck::cast(*sums);
        let mut index = [0u16; PIXEL_PIECE + 64];
        let mut values = [0u8; PIXEL_PIECE + 64];
        for (piece_start, piece) in (0..).step_by(PIXEL_PIECE).zip(pixels.chunks(PIXEL_PIECE)) {
            let count = list_nonzero(piece, &mut index, exact.then_some(&mut values[..]));
            let listed = index.get(..count).unwrap_or(&[]);
            let first = first_row + piece_start;
            if exact {
                let (lines, _) = weights
                    .get(first * stride..)
                    .unwrap_or(&[])
                    .as_chunks::<64>();
                let values = values.get(..count).unwrap_or(&[]);
                acc = if narrow(lanes, 4) {
                    add_lines::<true>(acc, listed, values, lines)
                } else {
                    add_lines::<false>(acc, listed, values, lines)
                };
                continue;
            }
            let split = listed.partition_point(|&i| first + usize::from(i) < whole);
            let (inside, past) = listed.split_at(split);
            let rows = WeightRows {
                weights: weights.get(first * stride + col..).unwrap_or(&[]),
                stride,
                col: 0,
            };
            acc = add_whole_rows(acc, inside, piece, &rows);
            for &i in past {
                let i = usize::from(i);
                let start = (first + i) * stride + col;
                let row = core::array::from_fn(|k| load_f32(weights, start + 16 * k));
                if let Some(&p) = piece.get(i) {
                    acc = add_row(acc, p.to_f32(), row);
                }
            }
        }
        *sums = bytemuck::cast(acc);
    }

    /// `acc` plus `lines[i]` scaled by pixel value `p` for each listed pair `(i, p)`
    /// (a row past `lines` adds nothing). Its own function with the sums in four variables,
    /// as [`add_whole_rows`]: through [`add_row`] they are stored on every step.
    ///
    /// `NARROW` ([`narrow`]) sums only the first 52 lanes, the rest left as anything: the
    /// last four in a 128-bit vector, for a block of at most 52 outputs such as the book's
    /// 50. The same products and sums in those lanes, with two fewer 512-bit operations a
    /// row (on this CPU only two of those issue per cycle).
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn add_lines<const NARROW: bool>(
        acc: [__m512; 4],
        listed: &[u16],
        values: &[u8],
        lines: &[[f32; 64]],
    ) -> [__m512; 4] {
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        let mut last = _mm512_castps512_ps128(a3);
        for (&i, &p) in listed.iter().zip(values) {
            if let Some(row) = lines.get(usize::from(i)) {
                let x = _mm512_set1_ps(p.to_f32());
                let [w0, w1, w2, w3]: [__m512; 4] = bytemuck::cast(*row);
                a0 = _mm512_add_ps(a0, _mm512_mul_ps(x, w0));
                a1 = _mm512_add_ps(a1, _mm512_mul_ps(x, w1));
                a2 = _mm512_add_ps(a2, _mm512_mul_ps(x, w2));
                if NARROW {
                    let (x, w3) = (_mm512_castps512_ps128(x), _mm512_castps512_ps128(w3));
                    last = _mm_add_ps(last, _mm_mul_ps(x, w3));
                } else {
                    a3 = _mm512_add_ps(a3, _mm512_mul_ps(x, w3));
                }
            }
        }
        if NARROW {
            a3 = _mm512_zextps128_ps512(last);
        }
        [a0, a1, a2, a3]
    }

    /// Whether `lanes` outputs in `vectors` vectors leave at most four in the last, which
    /// then fit a 128-bit vector.
    fn narrow(lanes: usize, vectors: usize) -> bool {
        lanes + 12 <= 16 * vectors
    }

    /// `acc` plus row `i` of `rows` scaled by `pixels[i]` for each listed `i`, each row
    /// with 64 weights. Its own function, with the sums in four variables, so that they stay
    /// in registers.
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn add_whole_rows(
        acc: [__m512; 4],
        listed: &[u16],
        pixels: &[u8],
        rows: &WeightRows<'_>,
    ) -> [__m512; 4] {
        let (weights, stride) = (rows.weights, rows.stride);
        let [mut a0, mut a1, mut a2, mut a3] = acc;
        for &i in listed {
            let i = usize::from(i);
            let row = weights
                .get(i * stride..)
                .and_then(|w| w.first_chunk::<64>());
            if let (Some(row), Some(&p)) = (row, pixels.get(i)) {
                let x = _mm512_set1_ps(p.to_f32());
                let [w0, w1, w2, w3]: [__m512; 4] = bytemuck::cast(*row);
                a0 = _mm512_add_ps(a0, _mm512_mul_ps(x, w0));
                a1 = _mm512_add_ps(a1, _mm512_mul_ps(x, w1));
                a2 = _mm512_add_ps(a2, _mm512_mul_ps(x, w2));
                a3 = _mm512_add_ps(a3, _mm512_mul_ps(x, w3));
            }
        }
        [a0, a1, a2, a3]
    }

    /// A float layer's dense product, up to [`DENSE_LANES`] outputs at a time, each block's
    /// sums in as many vectors as it needs.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn dense_f32(input: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) {
        let stride = out.len();
        let blocks = out.chunks_mut(DENSE_LANES).zip(bias.chunks(DENSE_LANES));
        for (col, (out, bias)) in (0..).step_by(DENSE_LANES).zip(blocks) {
            let rows = WeightRows {
                weights,
                stride,
                col,
            };
            match out.len().div_ceil(16) {
                1 => dense_block::<1>(input, &rows, bias, out),
                2 => dense_block::<2>(input, &rows, bias, out),
                3 => dense_block::<3>(input, &rows, bias, out),
                4 => dense_block::<4>(input, &rows, bias, out),
                5 => dense_block::<5>(input, &rows, bias, out),
                6 => dense_block::<6>(input, &rows, bias, out),
                7 => dense_block::<7>(input, &rows, bias, out),
                _ => dense_block::<8>(input, &rows, bias, out),
            }
        }
    }

    /// A float layer's dense product from a copy of its rows padded to whole vectors (at
    /// most [`DENSE_LANES`] outputs), each row aligned as a cache line.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn padded_dense_f32(input: &[f32], padded: &[f32], bias: &[f32], out: &mut [f32]) {
        match out.len().div_ceil(16) {
            1 => padded_block::<1>(input, padded, bias, out),
            2 => padded_block::<2>(input, padded, bias, out),
            3 => padded_block::<3>(input, padded, bias, out),
            4 => padded_block::<4>(input, padded, bias, out),
            5 => padded_block::<5>(input, padded, bias, out),
            6 => padded_block::<6>(input, padded, bias, out),
            7 => padded_block::<7>(input, padded, bias, out),
            _ => padded_block::<8>(input, padded, bias, out),
        }
    }

    /// [`padded_dense_f32`] for rows of `V` vectors.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn padded_block<const V: usize>(input: &[f32], padded: &[f32], bias: &[f32], out: &mut [f32]) {
        let rows = padded.as_chunks::<16>().0.as_chunks::<V>().0;
        let acc = if narrow(out.len(), V) {
            padded_rows::<V, true>(input, rows)
        } else {
            padded_rows::<V, false>(input, rows)
        };
        let sums: [[f32; 16]; V] = acc.map(bytemuck::cast::<__m512, [f32; 16]>);
        for ((y, b), s) in out.iter_mut().zip(bias).zip(sums.as_flattened()) {
            *y = s + b;
        }
    }

    /// The sums of `input`'s padded rows scaled; with `NARROW`, the last vector's first four
    /// lanes only, in a 128-bit vector (the others zero).
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn padded_rows<const V: usize, const NARROW: bool>(
        input: &[f32],
        rows: &[[[f32; 16]; V]],
    ) -> [__m512; V] {
        let mut acc = [_mm512_setzero_ps(); V];
        let mut last = _mm512_castps512_ps128(_mm512_setzero_ps());
        let full = if NARROW { V - 1 } else { V };
        for (&x, row) in input.iter().zip(rows) {
            let x = _mm512_set1_ps(x);
            for (a, w) in acc.iter_mut().zip(&row[..full]) {
                *a = _mm512_add_ps(*a, _mm512_mul_ps(x, bytemuck::cast(*w)));
            }
            if NARROW {
                let w = _mm512_castps512_ps128(bytemuck::cast(row[V - 1]));
                last = _mm_add_ps(last, _mm_mul_ps(_mm512_castps512_ps128(x), w));
            }
        }
        if NARROW {
            acc[V - 1] = _mm512_zextps128_ps512(last);
        }
        acc
    }

    /// Outputs `rows.col ..` of a dense product in `V` vectors of sums: the rows with
    /// `16 V` weights from `rows.col` in one loop, the rest loaded under masks.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    #[inline]
    fn dense_block<const V: usize>(
        input: &[f32],
        rows: &WeightRows<'_>,
        bias: &[f32],
        out: &mut [f32],
    ) {
        let (weights, stride, col) = (rows.weights, rows.stride, rows.col);
        let lanes = 16 * V;
        let whole = match weights.len().checked_sub(col + lanes) {
            Some(spare) if stride > 0 => (spare / stride + 1).min(input.len()),
            _ => 0,
        };
        let (head, tail) = input.split_at(whole);
        let mut acc = dense_rows::<V>(head, rows);
        for (i, &x) in (whole..).zip(tail) {
            let start = i * stride + col;
            let x = _mm512_set1_ps(x);
            for (k, a) in acc.iter_mut().enumerate() {
                let w = load_f32(weights, start + 16 * k);
                *a = _mm512_add_ps(*a, _mm512_mul_ps(x, w));
            }
        }
        let sums: [[f32; 16]; V] = acc.map(bytemuck::cast::<__m512, [f32; 16]>);
        for ((y, b), s) in out.iter_mut().zip(bias).zip(sums.as_flattened()) {
            *y = s + b;
        }
    }

    /// The sums of `input`'s rows scaled, every row with `16 V` weights from `rows.col`.
    /// Its own function, with sums of its own, so that they stay in registers.
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn dense_rows<const V: usize>(input: &[f32], rows: &WeightRows<'_>) -> [__m512; V] {
        let (weights, stride, col) = (rows.weights, rows.stride, rows.col);
        let mut acc = [_mm512_setzero_ps(); V];
        for (i, &x) in input.iter().enumerate() {
            let start = i * stride + col;
            if let Some(row) = weights.get(start..start + 16 * V) {
                let x = _mm512_set1_ps(x);
                for (a, w) in acc.iter_mut().zip(row.as_chunks::<16>().0) {
                    *a = _mm512_add_ps(*a, _mm512_mul_ps(x, bytemuck::cast(*w)));
                }
            }
        }
        acc
    }

    /// Most outputs [`panel_dense_f32`] sums at once, two vectors of sums each (the
    /// panel's 32 images): 20 of the 32 registers.
    const PANEL_OUTPUTS: usize = 10;

    /// A later layer for a panel of images: each output's sums for the 32 images in two
    /// vectors, every input's value for them loaded once per block of outputs and
    /// multiplied by the output's weight, broadcast.
    #[target_feature(enable = "avx512f")]
    pub fn panel_dense_f32(
        x: &[[f32; PANEL]],
        weights: &[f32],
        bias: &[f32],
        y: &mut [[f32; PANEL]],
    ) {
        let stride = bias.len();
        let blocks = y.chunks_mut(PANEL_OUTPUTS).zip(bias.chunks(PANEL_OUTPUTS));
        for (col, (y, bias)) in (0..).step_by(PANEL_OUTPUTS).zip(blocks) {
            let rows = WeightRows {
                weights,
                stride,
                col,
            };
            match y.len() {
                1 => panel_block::<1>(x, &rows, bias, y),
                2 => panel_block::<2>(x, &rows, bias, y),
                3 => panel_block::<3>(x, &rows, bias, y),
                4 => panel_block::<4>(x, &rows, bias, y),
                5 => panel_block::<5>(x, &rows, bias, y),
                6 => panel_block::<6>(x, &rows, bias, y),
                7 => panel_block::<7>(x, &rows, bias, y),
                8 => panel_block::<8>(x, &rows, bias, y),
                9 => panel_block::<9>(x, &rows, bias, y),
                _ => panel_block::<10>(x, &rows, bias, y),
            }
        }
    }

    /// Outputs `rows.col .. rows.col + V` of a panel layer: the products summed in input
    /// order from zero, then the bias added.
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    fn panel_block<const V: usize>(
        x: &[[f32; PANEL]],
        rows: &WeightRows<'_>,
        bias: &[f32],
        y: &mut [[f32; PANEL]],
    ) {
        let (weights, stride, col) = (rows.weights, rows.stride, rows.col);
        let mut acc = [[_mm512_setzero_ps(); 2]; V];
        for (i, x) in x.iter().enumerate() {
            let start = i * stride + col;
            if let Some(w) = weights.get(start..).and_then(|w| w.first_chunk::<V>()) {
                let [x0, x1]: [__m512; 2] = bytemuck::cast(*x);
                for (a, &w) in acc.iter_mut().zip(w) {
                    let w = _mm512_set1_ps(w);
                    a[0] = _mm512_add_ps(a[0], _mm512_mul_ps(x0, w));
                    a[1] = _mm512_add_ps(a[1], _mm512_mul_ps(x1, w));
                }
            }
        }
        for ((y, a), &b) in y.iter_mut().zip(acc).zip(bias) {
            let b = _mm512_set1_ps(b);
            *y = bytemuck::cast([_mm512_add_ps(a[0], b), _mm512_add_ps(a[1], b)]);
        }
    }

    /// `acc + x × row`, multiplied then added.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn add_row(acc: [__m512; 4], x: f32, row: [__m512; 4]) -> [__m512; 4] {
        let x = _mm512_set1_ps(x);
        let [a0, a1, a2, a3] = acc;
        let [w0, w1, w2, w3] = row;
        [
            _mm512_add_ps(a0, _mm512_mul_ps(x, w0)),
            _mm512_add_ps(a1, _mm512_mul_ps(x, w1)),
            _mm512_add_ps(a2, _mm512_mul_ps(x, w2)),
            _mm512_add_ps(a3, _mm512_mul_ps(x, w3)),
        ]
    }

    /// Input-major weights: the non-zero pixels are listed ([`list_nonzero`]), then taken
    /// four at a time: their four rows of 64 outputs are interleaved byte by byte so that
    /// each 32-bit lane holds one output's four weights, and multiplied by the four pixels
    /// in one `vpdpbusd` per 16 outputs.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn input_major(pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        for (a, &b) in acc.iter_mut().zip(bias) {
            *a = b;
        }
        let stride = acc.len();
        let mut index = [0u16; PIXEL_PIECE + 64];
        let mut values = [0u8; PIXEL_PIECE + 64];
        for (piece_start, piece) in (0..).step_by(PIXEL_PIECE).zip(pixels.chunks(PIXEL_PIECE)) {
            let count = list_nonzero(piece, &mut index, Some(&mut values));
            // A last group of fewer than four multiplies pixel 0's row by zeros.
            index[count..count + 4].fill(0);
            values[count..count + 4].fill(0);
            let groups = count.div_ceil(4);
            // Rows from here on have fewer than 64 bytes after them: rare, and padded.
            let short = weights.len().saturating_sub(63);
            for (col, acc) in (0..).step_by(64).zip(acc.chunks_mut(64)) {
                let mut sums = [_mm512_setzero_si512(); 4];
                for (rows, xs) in index
                    .chunks_exact(4)
                    .zip(values.chunks_exact(4))
                    .take(groups)
                {
                    let row = |r: u16| (piece_start + usize::from(r)) * stride + col;
                    let [r0, r1, r2, r3] = [row(rows[0]), row(rows[1]), row(rows[2]), row(rows[3])];
                    // One word from four bytes: stored byte by byte, a word is read back slowly.
                    let xs = u32::from_le_bytes([xs[0], xs[1], xs[2], xs[3]]);
                    let w = if r0.max(r1).max(r2).max(r3) < short {
                        let w = |r| weights.get(r..r + 64).and_then(|w| w.first_chunk::<64>());
                        let zeros = [0; 64];
                        [w(r0), w(r1), w(r2), w(r3)].map(|w| *w.unwrap_or(&zeros))
                    } else {
                        [r0, r1, r2, r3].map(|r| bytemuck::cast(load(weights, r)))
                    };
                    add_four_rows(&mut sums, w, xs);
                }
                let lanes: [[i32; 16]; 4] = bytemuck::cast(sums);
                for (o, a) in acc.iter_mut().enumerate() {
                    // Output `16 l + 4 k + m` is in lane `4 l + m` of sums `k` (see `add_four_rows`).
                    let (l, k, m) = (o / 16, o / 4 % 4, o % 4);
                    *a = a.wrapping_add(lanes[k][4 * l + m]);
                }
            }
        }
    }

    /// Stores the 32 16-bit values of `v` at the start of `to`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn store_u16(to: &mut [u16], v: __m512i) {
        to[..32].copy_from_slice(&bytemuck::cast::<__m512i, [u16; 32]>(v));
    }

    /// Adds `byte j of xs × rows[j][c]` for `c` in `0..64` to the sums. Byte then 16-bit
    /// interleaving works within 128-bit lanes: afterwards 32-bit lane `m` of 128-bit lane `l`
    /// of vector `k` holds the four rows' weights of output `16 l + 4 k + m`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    #[inline]
    fn add_four_rows(sums: &mut [__m512i; 4], rows: [[i8; 64]; 4], xs: u32) {
        let [r0, r1, r2, r3] = rows.map(bytemuck::cast::<[i8; 64], __m512i>);
        let (lo01, hi01) = (_mm512_unpacklo_epi8(r0, r1), _mm512_unpackhi_epi8(r0, r1));
        let (lo23, hi23) = (_mm512_unpacklo_epi8(r2, r3), _mm512_unpackhi_epi8(r2, r3));
        let x = _mm512_set1_epi32(xs as i32);
        let [s0, s1, s2, s3] = sums;
        *s0 = _mm512_dpbusd_epi32(*s0, x, _mm512_unpacklo_epi16(lo01, lo23));
        *s1 = _mm512_dpbusd_epi32(*s1, x, _mm512_unpackhi_epi16(lo01, lo23));
        *s2 = _mm512_dpbusd_epi32(*s2, x, _mm512_unpacklo_epi16(hi01, hi23));
        *s3 = _mm512_dpbusd_epi32(*s3, x, _mm512_unpackhi_epi16(hi01, hi23));
    }

    /// Requantization, 16 outputs a step: the 64-bit products, rounding shifts and clamps of
    /// `quant::requantize` in vector lanes, then the 256-byte table looked up with two
    /// 128-byte `vpermi2b` lookups and a blend on the index's top bit. Each step reads its
    /// accumulators before it writes its bytes, which lie before them.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn narrow_through_table(
        bytes: &mut [u8],
        outputs: usize,
        requantization: &Requantization<'_>,
    ) {
        let (multipliers, shifts) = (requantization.multipliers, requantization.shifts);
        let zero_point = requantization.zero_point;
        for start in (0..outputs).step_by(16) {
            let n = (outputs - start).min(16);
            // The last, short step loads zeros past the outputs; shift 1 in those lanes keeps
            // every shift in range (the layer's own are 1 to 62).
            let acc = load(bytemuck::cast_slice(&bytes[..4 * outputs]), 4 * start);
            let m = load(bytemuck::cast_slice(multipliers), 4 * start);
            let s = _mm_max_epu8(
                _mm512_castsi512_si128(load(bytemuck::cast_slice(shifts), start)),
                _mm_set1_epi8(1),
            );
            let [acc0, acc1]: [__m256i; 2] = bytemuck::cast(acc);
            let [m0, m1]: [__m256i; 2] = bytemuck::cast(m);
            let [s0, s1]: [u64; 2] = bytemuck::cast(s);
            let shift = |s: u64| _mm512_cvtepu8_epi64(_mm_cvtsi64_si128(s as i64));
            let index = _mm_unpacklo_epi64(
                requantize_lanes(acc0, _mm512_cvtepi32_epi64(m0), shift(s0), zero_point),
                requantize_lanes(acc1, _mm512_cvtepi32_epi64(m1), shift(s1), zero_point),
            );
            let out = look_up(requantization.table, _mm512_castsi128_si512(index));
            store_prefix(&mut bytes[start..start + n], _mm512_castsi512_si128(out));
        }
    }

    /// [`narrow_through_table`] for a panel: each output's accumulators for the [`PANEL`]
    /// images requantized together with the output's multiplier and shift, then looked up.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn panel_narrow_through_table(
        acc: &[[i32; PANEL]],
        requantization: &Requantization<'_>,
        x: &mut [[u8; PANEL]],
    ) {
        let params = requantization.multipliers.iter().zip(requantization.shifts);
        for ((acc, x), (&m, &s)) in acc.iter().zip(x.iter_mut()).zip(params) {
            let (m, shift) = (
                _mm512_set1_epi64(i64::from(m)),
                _mm512_set1_epi64(i64::from(s)),
            );
            let quarters: [__m256i; PANEL / 8] = bytemuck::cast(*acc);
            let bytes =
                quarters.map(|acc| requantize_lanes(acc, m, shift, requantization.zero_point));
            let index: [__m128i; 2] = [
                _mm_unpacklo_epi64(bytes[0], bytes[1]),
                _mm_unpacklo_epi64(bytes[2], bytes[3]),
            ];
            let index: [u8; PANEL] = bytemuck::cast(index);
            let mut wide = [0u8; 64];
            wide[..PANEL].copy_from_slice(&index);
            let out: [u8; 64] = bytemuck::cast(look_up(requantization.table, bytemuck::cast(wide)));
            if let Some(out) = out.first_chunk::<PANEL>() {
                *x = *out;
            }
        }
    }

    /// `quant::requantize` of the 8 accumulators `acc` with the multipliers and shifts in
    /// the 64-bit lanes of `m` and `shift`: the table indices in the low 8 bytes.
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn requantize_lanes(acc: __m256i, m: __m512i, shift: __m512i, zero_point: u8) -> __m128i {
        let one = _mm512_set1_epi64(1);
        let product = _mm512_mul_epi32(_mm512_cvtepi32_epi64(acc), m);
        let half = _mm512_sllv_epi64(one, _mm512_sub_epi64(shift, one));
        let rounded = _mm512_srav_epi64(_mm512_add_epi64(product, half), shift);
        let clamped = _mm512_min_epi64(
            _mm512_max_epi64(
                _mm512_add_epi64(rounded, _mm512_set1_epi64(i64::from(zero_point))),
                _mm512_setzero_si512(),
            ),
            _mm512_set1_epi64(255),
        );
        _mm512_cvtepi64_epi8(clamped)
    }

    /// `table[index]` for each byte of `index`: two 128-byte `vpermi2b` lookups and a blend
    /// on the index's top bit.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[inline]
    fn look_up(table: &[u8; 256], index: __m512i) -> __m512i {
        let [t0, t1, t2, t3]: [__m512i; 4] = bytemuck::cast(*table);
        let below = _mm512_permutex2var_epi8(t0, index, t1);
        let above = _mm512_permutex2var_epi8(t2, index, t3);
        _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), below, above)
    }

    /// The 16 floats of `values` from `at`, zero past its end, as [`load`] loads bytes.
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn load_f32(values: &[f32], at: usize) -> __m512 {
        let rest = values.get(at..).unwrap_or(&[]);
        _mm512_castsi512_ps(load(
            bytemuck::cast_slice(rest.get(..16).unwrap_or(rest)),
            0,
        ))
    }

    /// Stores the first `to.len()` (at most 16) bytes of `v` in `to`, under a mask: a copy
    /// of fewer than 16 is a call.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    #[inline]
    fn store_prefix(to: &mut [u8], v: __m128i) {
        let mask = ((1u32 << to.len().min(16)) - 1) as u16;
        // SAFETY: the mask selects at most `to.len()` bytes from its start; a masked store
        // writes no byte that its mask leaves out.
        #[allow(unsafe_code)]
        unsafe {
            _mm_mask_storeu_epi8(to.as_mut_ptr().cast(), mask, v);
        }
    }

    /// Inputs copied, zero-padded, per piece of a later layer.
    const PIECE: usize = 128;

    /// Column blocks: each 64 bytes of a block (`64 / K` inputs × `K` outputs) are permuted so
    /// that each 32-bit lane holds four inputs' weights of one output, and multiplied by
    /// those four inputs in one `vpdpbusd`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    pub fn column_blocks(input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        for (a, &b) in acc.iter_mut().zip(bias) {
            *a = b;
        }
        let n = input.len();
        for (piece_start, piece) in (0..).step_by(PIECE).zip(input.chunks(PIECE)) {
            // Past the inputs the zeros multiply whatever weights follow.
            let mut x = [0u8; PIECE + 64];
            for (x, &i) in x.iter_mut().zip(piece) {
                *x = i;
            }
            // Most blocks are 8 wide: their input vectors are made once for all of them.
            let eight = input_vectors::<8>(&x, piece.len());
            let mut start = 0;
            for width in column_block_widths(acc.len()) {
                let offset = start * n + piece_start * width;
                let block = weights.get(offset..).unwrap_or(&[]);
                let Some(acc) = acc.get_mut(start..start + width) else {
                    return;
                };
                match width {
                    8 => add_block::<8>(&eight, block, acc),
                    4 => add_block::<4>(&input_vectors::<4>(&x, piece.len()), block, acc),
                    2 => add_block::<2>(&input_vectors::<2>(&x, piece.len()), block, acc),
                    _ => add_block::<1>(&input_vectors::<1>(&x, piece.len()), block, acc),
                }
                start += width;
            }
        }
    }

    /// The input vectors of a block `K` wide, one per 64 bytes of its weights: 32-bit lane
    /// `g K + k` holds inputs `4 g .. 4 g + 4` of the step, for every output `k`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    #[inline]
    fn input_vectors<const K: usize>(x: &[u8; PIECE + 64], len: usize) -> InputVectors {
        let order: __m512i = bytemuck::cast(input_permutation::<K>());
        let mut vectors = InputVectors {
            vectors: [_mm512_setzero_si512(); PIECE / 8],
            len: len.div_ceil(64 / K),
        };
        let steps = x.windows(64).step_by(64 / K).take(vectors.len);
        for (v, inputs) in vectors.vectors.iter_mut().zip(steps) {
            let inputs: [u8; 64] = inputs.try_into().unwrap_or([0; 64]);
            *v = _mm512_permutexvar_epi32(order, bytemuck::cast(inputs));
        }
        vectors
    }

    /// The input vectors of one piece of inputs for one block width.
    struct InputVectors {
        vectors: [__m512i; PIECE / 8],
        len: usize,
    }

    /// Adds `Σ_i x[i] × block[i · K + k]` to `acc[k]`, for the inputs in `inputs`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi,avx512vbmi2,popcnt")]
    #[inline]
    fn add_block<const K: usize>(inputs: &InputVectors, block: &[i8], acc: &mut [i32]) {
        let inputs = &inputs.vectors[..inputs.len];
        let order: __m512i = bytemuck::cast(weight_permutation::<K>());
        // Two sums, for alternate steps: each `vpdpbusd` waits for the last one into its sum.
        let (mut sums, mut other) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        let (whole, _) = block.as_chunks::<64>();
        let (pairs, _) = whole.as_chunks::<2>();
        let (input_pairs, _) = inputs.as_chunks::<2>();
        for ([w0, w1], [x0, x1]) in pairs.iter().zip(input_pairs) {
            let w0 = _mm512_permutexvar_epi8(order, bytemuck::cast(*w0));
            sums = _mm512_dpbusd_epi32(sums, *x0, w0);
            let w1 = _mm512_permutexvar_epi8(order, bytemuck::cast(*w1));
            other = _mm512_dpbusd_epi32(other, *x1, w1);
        }
        // The steps left: at most one odd step, and the layer's last block's last step,
        // which reads past the weights.
        let done = 2 * pairs.len().min(input_pairs.len());
        for (step, &x) in inputs.iter().enumerate().skip(done) {
            let w = _mm512_permutexvar_epi8(order, load(block, step * 64));
            sums = _mm512_dpbusd_epi32(sums, x, w);
        }
        sums = _mm512_add_epi32(sums, other);
        let lanes: [i32; 16] = bytemuck::cast(sums);
        for (k, a) in acc.iter_mut().enumerate() {
            let sum = lanes
                .iter()
                .skip(k)
                .step_by(K)
                .fold(0i32, |s, &v| s.wrapping_add(v));
            *a = a.wrapping_add(sum);
        }
    }

    /// For a block `K` outputs wide: 32-bit lane `g K + k` gets the weights of inputs
    /// `4 g .. 4 g + 4` into output `k`, which lie at bytes `i K + k`.
    const fn weight_permutation<const K: usize>() -> [u8; 64] {
        let mut order = [0u8; 64];
        let mut byte = 0;
        while byte < 64 {
            let (lane, t) = (byte / 4, byte % 4);
            let (g, k) = (lane / K, lane % K);
            order[byte] = ((4 * g + t) * K + k) as u8;
            byte += 1;
        }
        order
    }

    /// 32-bit lane `g K + k` gets inputs `4 g .. 4 g + 4`, the input word `g`.
    const fn input_permutation<const K: usize>() -> [u32; 16] {
        let mut order = [0u32; 16];
        let mut lane = 0;
        while lane < 16 {
            order[lane] = (lane / K) as u32;
            lane += 1;
        }
        order
    }

    /// The 64 bytes of `bytes` from `at`, zero past its end. Fewer than 64 are loaded under
    /// a mask: copied into a zeroed array instead, they stall the vector load that reads
    /// them back (a fifth of the int8 batch's time, for the short last chunk of each layer's
    /// inputs).
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    pub(crate) fn load(bytes: &[i8], at: usize) -> __m512i {
        let rest = bytes.get(at..).unwrap_or(&[]);
        match rest.first_chunk::<64>() {
            Some(chunk) => bytemuck::cast(*chunk),
            None => {
                // Fewer than 64 bytes: one mask bit for each.
                let mask = (1u64 << rest.len()) - 1;
                // SAFETY: the mask selects only the bytes of `rest`; a masked load reads no
                // byte that its mask leaves out, and cannot fault on one.
                #[allow(unsafe_code)]
                unsafe {
                    _mm512_maskz_loadu_epi8(mask, rest.as_ptr())
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::HostKernels;
    use runtime::Kernels;
    use runtime::kernels::{PIXEL_ROW_LANES, Portable, WeightRows};
    use runtime::panel::PANEL;
    use runtime::{Requantization, WeightOrder};

    /// Deterministic bytes, one in `zero_every` of them 0.
    pub(crate) fn bytes(len: usize, seed: u32, zero_every: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                if state.is_multiple_of(zero_every) {
                    0
                } else {
                    (state >> 8) as u8
                }
            })
            .collect()
    }

    /// Deterministic weights over the whole `i8` range.
    pub(crate) fn weights(len: usize, seed: u32) -> Vec<i8> {
        bytes(len, seed, 1000).iter().map(|&b| b as i8).collect()
    }

    /// Deterministic biases of both signs, some beyond the sums' own size.
    pub(crate) fn biases(len: usize, seed: u32) -> Vec<i32> {
        bytes(len, seed, 1000)
            .iter()
            .map(|&b| i32::from(b) * 999 - 127_000)
            .collect()
    }

    /// The host kernels. Elsewhere than CI, on a CPU without the features, these tests
    /// compare the portable kernels with themselves and say so; CI's machines have the
    /// features, and there a CPU without them fails rather than leave the kernels untested.
    pub(crate) fn host() -> HostKernels {
        let host = HostKernels::detect();
        if !host.uses_avx512() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs on CPUs with AVX-512 VNNI, VBMI and VBMI2, and this one lacks them"
            );
            eprintln!("this CPU lacks AVX-512 VNNI: the VNNI kernels are not exercised");
        }
        host
    }

    const SHAPES: [(usize, usize); 9] = [
        (1, 1),
        (3, 7),
        (4, 16),
        (50, 100),
        (100, 10),
        (784, 50),
        (129, 65),
        (300, 139),
        (70, 200),
    ];

    #[test]
    fn input_major_equals_the_portable_kernel() {
        let host = host();
        for (n, m) in SHAPES {
            for zero_every in [1, 2, 5, 1000] {
                let pixels = bytes(n, 1 + n as u32, zero_every);
                let (weights, bias) = (weights(n * m, 7), biases(m, 3));
                let (mut want, mut got) = (vec![0; m], vec![0; m]);
                Portable.input_major(&pixels, &weights, &bias, &mut want);
                host.input_major(&pixels, &weights, &bias, &mut got);
                assert_eq!(got, want, "{n} x {m}, one in {zero_every} zero");
            }
        }
    }

    #[test]
    fn column_blocks_equal_the_portable_kernel() {
        let host = host();
        for (n, m) in SHAPES {
            let input = bytes(n, 5 + m as u32, 3);
            let (weights, bias) = (weights(n * m, 11), biases(m, 13));
            let mut blocked = vec![0i8; n * m];
            for (k, &w) in weights.iter().enumerate() {
                blocked[WeightOrder::ColumnBlocks.position(n, m, k / m, k % m)] = w;
            }
            let (mut want, mut got) = (vec![0; m], vec![0; m]);
            Portable.column_blocks(&input, &blocked, &bias, &mut want);
            host.column_blocks(&input, &blocked, &bias, &mut got);
            assert_eq!(got, want, "{n} x {m}");
        }
    }

    #[test]
    fn nonzero_pixels_are_listed_in_order() {
        let host = host();
        for (n, zero_every) in [
            (0, 2),
            (1, 1),
            (63, 2),
            (64, 3),
            (65, 1000),
            (784, 3),
            (1000, 1),
        ] {
            let pixels = bytes(n, 17 + n as u32, zero_every);
            let want: Vec<u16> = (0..n as u16)
                .filter(|&i| pixels[usize::from(i)] != 0)
                .collect();
            let mut list = vec![u16::MAX; n + 64];
            match host.nonzero_pixels(&pixels, &mut list) {
                Some(count) => assert_eq!(list[..count], want[..], "{n} pixels"),
                None => assert!(!host.uses_avx512(), "{n} pixels"),
            }
            // Too short a list is declined, not overrun.
            assert_eq!(host.nonzero_pixels(&pixels, &mut list[..n + 63]), None);
        }
    }

    #[test]
    fn requantization_through_the_table_equals_the_portable_kernel() {
        let host = host();
        let table: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(97) ^ 0x5a);
        for (seed, outputs) in (1..).zip([1, 15, 16, 17, 50, 100, 139]) {
            let words = bytes(4 * outputs, seed, 1000);
            // Accumulators of every size, multipliers in [2^30, 2^31) as validation ensures,
            // and every shift 1..=62 in turn.
            let acc: Vec<i32> = words
                .chunks_exact(4)
                .enumerate()
                .map(|(o, w)| i32::from_le_bytes([w[0], w[1], w[2], w[3]]) >> (o % 31))
                .collect();
            let multipliers: Vec<i32> =
                acc.iter().map(|&a| (1 << 30) | (a & 0x3fff_ffff)).collect();
            let shifts: Vec<u8> = (0..outputs)
                .map(|o| (o * 7 + seed as usize) as u8 % 62 + 1)
                .collect();
            for zero_point in [0, 77, 255] {
                let mut want: Vec<u8> = acc.iter().flat_map(|a| a.to_ne_bytes()).collect();
                let mut got = want.clone();
                let requantization = Requantization {
                    multipliers: &multipliers,
                    shifts: &shifts,
                    zero_point,
                    table: &table,
                };
                Portable.narrow_through_table(&mut want, outputs, &requantization);
                host.narrow_through_table(&mut got, outputs, &requantization);
                assert_eq!(
                    got[..outputs],
                    want[..outputs],
                    "{outputs} outputs, zero point {zero_point}"
                );
                // A panel: image t's accumulators are those of the outputs t further on,
                // and the extremes.
                let mut panel: Vec<[i32; PANEL]> = (0..outputs)
                    .map(|o| core::array::from_fn(|t| acc[(o + t) % outputs]))
                    .collect();
                panel[0][PANEL - 2..].copy_from_slice(&[i32::MIN, i32::MAX]);
                let mut got = vec![[0u8; PANEL]; outputs];
                let taken = host.panel_narrow_through_table(&panel, &requantization, &mut got);
                assert_eq!(taken, host.uses_avx512());
                for t in (0..PANEL).filter(|_| taken) {
                    let mut want: Vec<u8> = panel.iter().flat_map(|a| a[t].to_ne_bytes()).collect();
                    Portable.narrow_through_table(&mut want, outputs, &requantization);
                    let got: Vec<u8> = got.iter().map(|row| row[t]).collect();
                    assert_eq!(got, want[..outputs], "{outputs} outputs, image {t}");
                }
            }
        }
    }

    #[test]
    fn extreme_values_wrap_like_the_portable_kernels() {
        let host = host();
        let (n, m) = (600, 24);
        let pixels = vec![255u8; n];
        let weights = vec![-128i8; n * m];
        let bias = vec![i32::MIN + 5; m];
        let (mut want, mut got) = (vec![0; m], vec![0; m]);
        Portable.input_major(&pixels, &weights, &bias, &mut want);
        host.input_major(&pixels, &weights, &bias, &mut got);
        assert_eq!(got, want);
        Portable.column_blocks(&pixels, &weights, &bias, &mut want);
        host.column_blocks(&pixels, &weights, &bias, &mut got);
        assert_eq!(got, want);
    }

    /// Deterministic floats in (-1, 1), one in `zero_every` of them 0.
    fn floats(len: usize, seed: u32, zero_every: u32) -> Vec<f32> {
        let signs = bytes(len, seed ^ 0x5555, 1000);
        bytes(len, seed, zero_every)
            .iter()
            .zip(signs)
            .map(|(&b, s)| f32::from(b) / 257.0 * if s % 2 == 0 { 1.0 } else { -1.0 })
            .collect()
    }

    /// Float layer shapes (inputs, outputs): one and several vectors, partial last vectors
    /// (53: one lane more than a 128-bit last vector takes), the book's layers, and more
    /// outputs than one block of 128.
    pub(crate) const FLOAT_SHAPES: [(usize, usize); 11] = [
        (1, 1),
        (3, 7),
        (5, 16),
        (5, 17),
        (50, 100),
        (100, 10),
        (2, 128),
        (7, 129),
        (3, 300),
        (784, 50),
        (40, 53),
    ];

    #[test]
    fn dense_f32_gives_the_runtime_outputs_bit_for_bit() {
        let host = host();
        check_dense_f32(FLOAT_SHAPES, host.uses_avx512(), |input, w, bias, out| {
            host.dense_f32(input, w, bias, out)
        });
    }

    /// Checks that `dense` (input, weights, bias, outputs), when it takes a layer as it must
    /// (`takes`), gives the runtime's outputs bit for bit, for each of `shapes` (inputs,
    /// outputs).
    pub(crate) fn check_dense_f32(
        shapes: impl IntoIterator<Item = (usize, usize)>,
        takes: bool,
        dense: impl Fn(&[f32], &[f32], &[f32], &mut [f32]) -> bool,
    ) {
        for (seed, (n, m)) in (1..).zip(shapes) {
            let input = floats(n, seed, 4);
            let w = floats(n * m, seed + 100, 1000);
            let bias = floats(m, seed + 200, 1000);
            let mut want = vec![0.0; m];
            runtime::dense::dense_blocks(&input, &w, &bias, &mut want, false);
            let mut got = vec![f32::NAN; m];
            assert_eq!(dense(&input, &w, &bias, &mut got), takes, "{n} x {m}");
            if takes {
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{n} x {m}");
            }
        }
    }

    #[test]
    fn panel_layers_give_the_runtime_outputs_bit_for_bit() {
        use runtime::panel::{Columns, MAX_WIDTH, PANEL, layer};
        let host = host();
        let shapes = FLOAT_SHAPES
            .into_iter()
            .chain([(128, 128), (11, 21), (128, 9)]);
        for (seed, (n, m)) in (1..)
            .zip(shapes)
            .filter(|(_, (n, m))| *n.max(m) <= MAX_WIDTH)
        {
            let mut x: Columns = [[0.0; PANEL]; MAX_WIDTH];
            for (row, values) in x.iter_mut().zip(floats(n * PANEL, seed, 4).chunks(PANEL)) {
                row.copy_from_slice(values);
            }
            let w = floats(n * m, seed + 100, 1000);
            let bias = floats(m, seed + 200, 1000);
            let mut want: Columns = [[f32::NAN; PANEL]; MAX_WIDTH];
            layer(&x, &w, &bias, &mut want, &Portable);
            let mut got = [[f32::NAN; PANEL]; MAX_WIDTH];
            if host.panel_dense_f32(&x[..n], &w, &bias, &mut got[..m]) {
                let bits = |v: &[[f32; PANEL]]| {
                    v.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>()
                };
                assert_eq!(bits(&got[..m]), bits(&want[..m]), "{n} x {m}");
            } else {
                assert!(!host.uses_avx512(), "{n} x {m} declined");
            }
        }
    }

    #[test]
    fn pixel_rows_equal_the_sums_in_pixel_order_bit_for_bit() {
        let host = host();
        check_pixel_rows(host.uses_avx512(), |_, _, part, first_row, rows, sums| {
            host.add_pixel_rows(part, first_row, rows, sums)
        });
    }

    /// A float first layer's sums for one image.
    type Sums = [f32; PIXEL_ROW_LANES];

    /// Checks `add(w, m, pixels, first_row, rows, sums)`, [`Kernels::add_pixel_rows`] of
    /// kernels made for the weights `w` (`m` per row), against the sums in pixel order, on
    /// every float shape, from row 0 and from a later row, in every column block, on the
    /// lanes of the layer's outputs. `add` must not decline when `takes` is true.
    pub(crate) fn check_pixel_rows(
        takes: bool,
        add: impl Fn(&[f32], usize, &[u8], usize, &WeightRows<'_>, &mut Sums) -> bool,
    ) {
        for (seed, (n, m)) in (1..).zip(FLOAT_SHAPES) {
            let pixels = bytes(n, seed, 3);
            let w = floats(n * m, seed + 100, 1000);
            for (first_row, len) in [(0, n), (n / 2, n - n / 2)] {
                for col in (0..m).step_by(PIXEL_ROW_LANES) {
                    let rows = WeightRows {
                        weights: &w,
                        stride: m,
                        col,
                    };
                    let part = &pixels[first_row..first_row + len];
                    let lanes = (m - col).min(PIXEL_ROW_LANES);
                    let mut want = [0.5f32; PIXEL_ROW_LANES];
                    let mut got = want;
                    for (i, &p) in part.iter().enumerate().filter(|&(_, &p)| p != 0) {
                        let x = runtime::Input::to_f32(p);
                        for (l, s) in want.iter_mut().enumerate().take(lanes) {
                            *s += x * w[(first_row + i) * m + col + l];
                        }
                    }
                    if add(&w, m, part, first_row, &rows, &mut got) {
                        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(
                            bits(&got[..lanes]),
                            bits(&want[..lanes]),
                            "{n} x {m}, row {first_row}, col {col}"
                        );
                    } else {
                        assert!(!takes, "{n} x {m} declined");
                    }
                }
            }
        }
    }
}
