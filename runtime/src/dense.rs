//! The fully connected layer in floating point: `y = x · W + b`.

use crate::half::f16_finite_to_f32;
use crate::input::Input;
use crate::nonzero::for_each_nonzero;

/// A stored weight that computes as f32: `f32` itself or IEEE half bits (`u16`).
pub trait Weight: Copy {
    /// The weight 0.
    const ZERO: Self;

    /// The weight's value.
    fn value(self) -> f32;

    /// `weights` themselves when they are stored as f32.
    fn as_f32(weights: &[Self]) -> Option<&[f32]>;
}

impl Weight for f32 {
    const ZERO: f32 = 0.0;

    #[inline]
    fn value(self) -> f32 {
        self
    }

    #[inline]
    fn as_f32(weights: &[f32]) -> Option<&[f32]> {
        Some(weights)
    }
}

/// Half-precision bits; validation guarantees they are finite.
impl Weight for u16 {
    const ZERO: u16 = 0;

    #[inline]
    fn value(self) -> f32 {
        f16_finite_to_f32(self)
    }

    #[inline]
    fn as_f32(_: &[u16]) -> Option<&[f32]> {
        None
    }
}

/// Most outputs whose sums [`dense_blocks`] keeps in registers at once: 8 of a Cortex-M's
/// 32 single-precision registers; 64 floats elsewhere, four AVX-512 or eight AVX registers.
pub const BLOCK: usize = if cfg!(target_arch = "arm") { 8 } else { 64 };

/// Computes `out = input · weights + bias` for `weights` of shape `(input.len(), out.len())`
/// in row-major order.
///
/// Each input scales one weight row into the outputs, so an input of zero (most MNIST
/// pixels) costs nothing, and the inner loop runs over contiguous memory. Sums are formed
/// first and the bias added last, as numpy's `np.dot(x, W) + b` does.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn dense<T: Input, W: Weight>(input: &[T], weights: &[W], bias: &[f32], out: &mut [f32]) {
    if out.is_empty() {
        return;
    }
    out.fill(0.0);
    for (x, row) in input.iter().zip(weights.chunks_exact(out.len())) {
        let x = x.to_f32();
        if x == 0.0 {
            continue;
        }
        for (y, w) in out.iter_mut().zip(row) {
            *y += x * w.value();
        }
    }
    for (y, b) in out.iter_mut().zip(bias) {
        *y += b;
    }
}

/// Computes the same `out = input · weights + bias` as [`dense`], bit for bit, a block of
/// up to [`BLOCK`] outputs at a time: the block's sums stay in registers while each input
/// scales its slice of a weight row into them. One pass over the inputs per block, so it
/// suits layers with few outputs, or dense inputs; zero inputs are still skipped.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn dense_blocks<T: Input, W: Weight>(
    input: &[T],
    weights: &[W],
    bias: &[f32],
    out: &mut [f32],
    sparse: bool,
) {
    let stride = out.len();
    for (col, (out, bias)) in (0..)
        .step_by(BLOCK)
        .zip(out.chunks_mut(BLOCK).zip(bias.chunks(BLOCK)))
    {
        // The narrowest block that covers the columns: fewer wasted lanes on the last one.
        let width = out.len();
        if width > 32 && BLOCK >= 64 {
            block::<T, W, 64>(input, weights, stride, col, bias, out, sparse);
        } else if width > 16 && BLOCK >= 32 {
            block::<T, W, 32>(input, weights, stride, col, bias, out, sparse);
        } else if width > 8 && BLOCK >= 16 {
            block::<T, W, 16>(input, weights, stride, col, bias, out, sparse);
        } else if width > 4 {
            block::<T, W, 8>(input, weights, stride, col, bias, out, sparse);
        } else if width > 2 {
            block::<T, W, 4>(input, weights, stride, col, bias, out, sparse);
        } else {
            block::<T, W, 1>(input, weights, stride, col, bias, out, sparse);
            if let (Some(out), Some(bias)) = (out.get_mut(1..), bias.get(1..)) {
                block::<T, W, 1>(input, weights, stride, col + 1, bias, out, sparse);
            }
        }
    }
}

/// Outputs `col .. col + out.len()` (at most `K`) of [`dense_blocks`], in `K` lanes: a lane
/// past `out.len()` reads whatever weights follow and is dropped.
#[inline(always)]
fn block<T: Input, W: Weight, const K: usize>(
    input: &[T],
    weights: &[W],
    stride: usize,
    col: usize,
    bias: &[f32],
    out: &mut [f32],
    sparse: bool,
) {
    let mut acc = [0.0f32; K];
    if !sparse {
        // Dense inputs: no test at all.
        for (i, x) in input.iter().enumerate() {
            add_row(&mut acc, x.to_f32(), weights, i * stride + col);
        }
        for ((y, a), b) in out.iter_mut().zip(acc).zip(bias) {
            *y = a + b;
        }
        return;
    }
    for_each_nonzero(
        input,
        |x| !x.is_zero(),
        |i, x| add_row(&mut acc, x.to_f32(), weights, i * stride + col),
    );
    for ((y, a), b) in out.iter_mut().zip(acc).zip(bias) {
        *y = a + b;
    }
}

/// `acc += x × weights[start .. start + K]`; lanes past the end of `weights` add 0.
#[inline(always)]
pub(crate) fn add_row<W: Weight, const K: usize>(
    acc: &mut [f32; K],
    x: f32,
    weights: &[W],
    start: usize,
) {
    match weights.get(start..).and_then(|r| r.first_chunk::<K>()) {
        Some(row) => {
            for (a, w) in acc.iter_mut().zip(row) {
                *a += x * w.value();
            }
        }
        None => {
            for (a, w) in acc.iter_mut().zip(row::<W, K>(weights, start)) {
                *a += x * w;
            }
        }
    }
}

/// `weights[start .. start + K]` as f32; lanes past the end of `weights` are 0.
#[inline(always)]
pub(crate) fn row<W: Weight, const K: usize>(weights: &[W], start: usize) -> [f32; K] {
    match weights.get(start..).and_then(|r| r.first_chunk::<K>()) {
        Some(row) => row.map(Weight::value),
        None => {
            let mut lanes = [0.0; K];
            for (lane, w) in lanes.iter_mut().zip(weights.get(start..).unwrap_or(&[])) {
                *lane = w.value();
            }
            lanes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dense;

    #[test]
    fn multiplies_row_vector_by_matrix_and_adds_bias() {
        // x = [1, 2], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, -1]
        let mut out = [0.0; 3];
        let weights: [f32; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        dense(&[1.0f32, 2.0], &weights, &[0.5, 0.0, -1.0], &mut out);
        assert_eq!(out, [9.5, 12.0, 14.0]);
    }

    #[test]
    fn blocks_equal_rows_bit_for_bit_for_every_width() {
        extern crate std;
        use super::dense_blocks;
        use std::{vec, vec::Vec};
        let mut next = crate::test_rng::xorshift32(0x9e37_79b9);
        for (inputs, outputs) in [
            (7, 1),
            (7, 2),
            (9, 3),
            (40, 5),
            (5, 50),
            (3, 100),
            (130, 10),
            (2, 129),
        ] {
            let weights: Vec<f32> = (0..inputs * outputs)
                .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
                .collect();
            let bias: Vec<f32> = (0..outputs).map(|o| o as f32 * 0.25 - 1.0).collect();
            // A third of the inputs zero, as pixels of a digit's background are.
            let input: Vec<u8> = (0..inputs)
                .map(|_| if next() % 3 == 0 { 0 } else { next() as u8 })
                .collect();
            let mut want = vec![0.0; outputs];
            dense(&input, &weights, &bias, &mut want);
            for sparse in [true, false] {
                let mut got = vec![f32::NAN; outputs];
                dense_blocks(&input, &weights, &bias, &mut got, sparse);
                assert_eq!(got, want, "{inputs}x{outputs}, sparse {sparse}");
            }
        }
    }

    #[test]
    fn u8_inputs_are_normalised() {
        let mut out = [0.0; 1];
        dense(&[255u8, 0], &[2.0f32, 7.0], &[1.0], &mut out);
        assert_eq!(out, [3.0]);
    }

    #[test]
    fn half_weights_compute_like_their_f32_values() {
        // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
        let mut out = [0.0; 1];
        dense(
            &[1.0f32, 1.0, 2.0],
            &[0x3c00u16, 0xc000, 0x3800],
            &[0.25],
            &mut out,
        );
        assert_eq!(out, [0.25]);
    }
}
