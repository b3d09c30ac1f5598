//! The fully connected layer in integers: `acc = bias + q_x · W`, then requantization.

#[cfg(feature = "int8")]
use crate::kernels::Kernels;
use crate::manifest::{WeightOrder, column_block_widths};
#[cfg(not(target_arch = "arm"))]
use crate::nonzero::for_each_nonzero;
#[cfg(feature = "int8")]
use crate::params::I8Params;

/// Computes `acc[o] = bias[o] + Σ_i q(input[i]) × weights[i][o]` with wrapping 32-bit
/// arithmetic, for `weights` of shape `(input.len(), acc.len())` in row-major order.
///
/// `q` maps an input to its `u8` quantized value. Zero inputs are skipped: the bias already
/// holds the zero point's share (`−zero_point × Σ_i W[i][o]`), so a quantized 0 adds nothing.
/// Non-zero inputs are paired so that each accumulator is loaded and stored once per two
/// rows (more rows run out of registers on a Cortex-M4); integer sums do not depend on the
/// order.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn dense_i8<X: Copy>(
    input: &[X],
    q: impl Fn(X) -> u8,
    weights: &[i8],
    bias: &[i32],
    acc: &mut [i32],
) {
    if acc.is_empty() {
        return;
    }
    for (a, b) in acc.iter_mut().zip(bias) {
        *a = *b;
    }
    let mut pending: Option<(i32, &[i8])> = None;
    for (&x, row) in input.iter().zip(weights.chunks_exact(acc.len())) {
        let x = q(x);
        if x == 0 {
            continue;
        }
        match pending.take() {
            Some(first) => add_two_rows(acc, first, (i32::from(x), row)),
            None => pending = Some((i32::from(x), row)),
        }
    }
    if let Some((x, row)) = pending {
        for (a, &w) in acc.iter_mut().zip(row) {
            *a = a.wrapping_add(x * i32::from(w));
        }
    }
}

/// [`dense_i8`] for desktop CPUs: blocks of 64 outputs summed in vector registers, the
/// non-zero inputs found 32 at a time as a bit mask (the layout of the Cortex-M kernel's
/// pairs of rows suits scalar cores). Same wrapping sums, so the same results bit for bit.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
pub fn dense_i8_sparse<X: Copy>(
    input: &[X],
    q: impl Fn(X) -> u8,
    weights: &[i8],
    bias: &[i32],
    acc: &mut [i32],
) {
    const LANES: usize = 64;
    let stride = acc.len();
    for (col, (acc, bias)) in (0..)
        .step_by(LANES)
        .zip(acc.chunks_mut(LANES).zip(bias.chunks(LANES)))
    {
        let mut sums = [0i32; LANES];
        for_each_nonzero(
            input,
            |x| q(x) != 0,
            |i, x| {
                let x = i32::from(q(x));
                let start = i * stride + col;
                // Lanes past this block's outputs read the next weights and are dropped; past
                // the end of the weights they read zeros.
                let padded;
                let row: &[i8; LANES] = match weights.get(start..).and_then(|r| r.first_chunk()) {
                    Some(row) => row,
                    None => {
                        let mut lanes = [0; LANES];
                        for (lane, &w) in lanes.iter_mut().zip(weights.get(start..).unwrap_or(&[]))
                        {
                            *lane = w;
                        }
                        padded = lanes;
                        &padded
                    }
                };
                for (s, &w) in sums.iter_mut().zip(row) {
                    *s = s.wrapping_add(x * i32::from(w));
                }
            },
        );
        for ((a, s), &b) in acc.iter_mut().zip(sums).zip(bias) {
            *a = b.wrapping_add(s);
        }
    }
}

/// `acc += x0 × row0 + x1 × row1`; the two products of one output (each at most 255 × 128
/// in size) cannot overflow before they reach the accumulator. On a Cortex-M, kept out of
/// line so that the loop gets the registers to itself.
#[cfg_attr(target_arch = "arm", inline(never))]
#[cfg_attr(not(target_arch = "arm"), inline(always))]
fn add_two_rows(acc: &mut [i32], (x0, r0): (i32, &[i8]), (x1, r1): (i32, &[i8])) {
    for (a, (&w0, &w1)) in acc.iter_mut().zip(r0.iter().zip(r1)) {
        *a = a.wrapping_add(x0 * i32::from(w0) + x1 * i32::from(w1));
    }
}

/// Computes `acc[o] = bias[o] + Σ_i input[i] × W[i][o]` with wrapping 32-bit arithmetic,
/// for `weights` stored in [`WeightOrder::ColumnBlocks`]: each block's sums stay in
/// registers while its weights stream by in order, the fastest form when most inputs are
/// non-zero.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn dense_i8_column_blocks(input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
    let n = input.len();
    let mut start = 0;
    for width in column_block_widths(acc.len()) {
        let end = start + width;
        let (Some(w), Some(b), Some(a)) = (
            weights.get(start * n..end * n),
            bias.get(start..end),
            acc.get_mut(start..end),
        ) else {
            return;
        };
        match width {
            8 => block::<8>(input, w, b, a),
            4 => block::<4>(input, w, b, a),
            2 => block::<2>(input, w, b, a),
            _ => block::<1>(input, w, b, a),
        }
        start = end;
    }
}

/// One block of `K` outputs; `weights` holds `W[i][k]` at `i · K + k`.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
fn block<const K: usize>(input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
    if let (Ok(acc), Ok(bias)) = (<&mut [i32; K]>::try_from(acc), <&[i32; K]>::try_from(bias)) {
        *acc = block_sums(input, weights, bias);
    }
}

/// On a Cortex-M, kept out of line so that the `K` sums get the registers to themselves.
#[cfg(target_arch = "arm")]
#[inline(never)]
fn block_sums<const K: usize>(input: &[u8], weights: &[i8], bias: &[i32; K]) -> [i32; K] {
    let mut acc = *bias;
    for (&x, w) in input.iter().zip(weights.chunks_exact(K)) {
        let x = i32::from(x);
        for (a, &w) in acc.iter_mut().zip(w) {
            *a = a.wrapping_add(x * i32::from(w));
        }
    }
    acc
}

/// [`block_sums`] for desktop CPUs: two inputs per step, each output's two products
/// (at most 255 × 128 each) summed before they reach its accumulator, the form of a
/// multiply-add of 16-bit pairs that vector units have. Left to itself, a compiler
/// vectorises across inputs instead and shuffles bytes for most of the time.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn block_sums<const K: usize>(input: &[u8], weights: &[i8], bias: &[i32; K]) -> [i32; K] {
    let mut acc = *bias;
    let pairs = input.chunks_exact(2).zip(weights.chunks_exact(2 * K));
    for (x, w) in pairs {
        let (x0, x1) = (i32::from(x[0]), i32::from(x[1]));
        let (w0, w1) = w.split_at(K);
        for ((a, &w0), &w1) in acc.iter_mut().zip(w0).zip(w1) {
            *a = a.wrapping_add(x0 * i32::from(w0) + x1 * i32::from(w1));
        }
    }
    if input.len() % 2 == 1 {
        let last = input.len() - 1;
        let x = input.get(last).map_or(0, |&x| i32::from(x));
        let w = weights.get(last * K..).unwrap_or(&[]);
        for (a, &w) in acc.iter_mut().zip(w) {
            *a = a.wrapping_add(x * i32::from(w));
        }
    }
    acc
}

/// A later int8 layer of `p`: `acc` from the `u8` activations `x`, by the kernel for `p`'s
/// weight order (`kernels` for column blocks).
#[cfg(feature = "int8")]
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub(crate) fn later_layer(x: &[u8], p: &I8Params<'_>, acc: &mut [i32], kernels: &impl Kernels) {
    match p.order {
        WeightOrder::InputMajor => dense_i8(x, |q| q, p.weights, p.bias, acc),
        WeightOrder::OutputMajor => dense_i8_by_output(x, |q| q, p.weights, p.bias, acc),
        WeightOrder::ColumnBlocks => kernels.column_blocks(x, p.weights, p.bias, acc),
    }
}

/// Computes `acc[o] = bias[o] + Σ_i q(input[i]) × W[i][o]` for weights in any `order`, one
/// weight at a time: correct for every blob, fast for none. The converter never stores a
/// first layer in an order that needs it.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn dense_i8_any_order<X: Copy>(
    input: &[X],
    q: impl Fn(X) -> u8,
    order: WeightOrder,
    weights: &[i8],
    bias: &[i32],
    acc: &mut [i32],
) {
    let outputs = acc.len();
    for (o, (a, &b)) in acc.iter_mut().zip(bias).enumerate() {
        *a = b;
        for (i, &x) in input.iter().enumerate() {
            let w = weights.get(order.position(input.len(), outputs, i, o));
            *a = a.wrapping_add(i32::from(q(x)) * i32::from(w.copied().unwrap_or(0)));
        }
    }
}

/// Computes `acc[o] = bias[o] + Σ_i q(input[i]) × weights[o][i]` with wrapping 32-bit
/// arithmetic, for output-major `weights` of shape `(acc.len(), input.len())`: each output is
/// a dot product summed in a register, the fastest form when most inputs are non-zero and the
/// outputs are few.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn dense_i8_by_output<X: Copy>(
    input: &[X],
    q: impl Fn(X) -> u8,
    weights: &[i8],
    bias: &[i32],
    acc: &mut [i32],
) {
    if input.is_empty() {
        for (a, b) in acc.iter_mut().zip(bias) {
            *a = *b;
        }
        return;
    }
    for ((a, &b), row) in acc
        .iter_mut()
        .zip(bias)
        .zip(weights.chunks_exact(input.len()))
    {
        let mut xs = input.chunks_exact(4);
        let mut ws = row.chunks_exact(4);
        let mut sum = 0i32;
        for (x, w) in (&mut xs).zip(&mut ws) {
            // Four inputs in one word; even and odd bytes spread to 16-bit halves, whose
            // products with the weights a Cortex-M4 forms in single multiply-accumulates.
            let word = u32::from_le_bytes([q(x[0]), q(x[1]), q(x[2]), q(x[3])]);
            let even = (word & 0x00ff_00ff) as i32;
            let odd = ((word >> 8) & 0x00ff_00ff) as i32;
            sum = sum
                .wrapping_add(((even << 16) >> 16) * i32::from(w[0]))
                .wrapping_add(((odd << 16) >> 16) * i32::from(w[1]))
                .wrapping_add((even >> 16) * i32::from(w[2]))
                .wrapping_add((odd >> 16) * i32::from(w[3]));
        }
        for (&x, &w) in xs.remainder().iter().zip(ws.remainder()) {
            sum = sum.wrapping_add(i32::from(q(x)) * i32::from(w));
        }
        *a = b.wrapping_add(sum);
    }
}

#[cfg(test)]
mod tests {
    use super::dense_i8;

    #[test]
    fn integer_product_with_bias() {
        let mut acc = [0; 2];
        dense_i8(
            &[2u8, 0, 3],
            |x| x,
            &[1, -1, 5, 5, -2, 4],
            &[10, -10],
            &mut acc,
        );
        assert_eq!(acc, [10 + 2 - 6, -10 - 2 + 12]);
    }

    #[test]
    fn paired_rows_equal_row_by_row_sums() {
        // 11 inputs (pairs and one left over), some zero, 3 outputs.
        let input: [u8; 11] = [3, 0, 255, 7, 1, 0, 0, 9, 200, 4, 128];
        let weights: [i8; 33] = core::array::from_fn(|k| (k as i8).wrapping_mul(37));
        let bias = [5, -6, 7];
        let mut acc = [0; 3];
        dense_i8(&input, |x| x, &weights, &bias, &mut acc);
        let mut want = bias;
        for (i, &x) in input.iter().enumerate() {
            for (o, w) in want.iter_mut().enumerate() {
                *w += i32::from(x) * i32::from(weights[i * 3 + o]);
            }
        }
        assert_eq!(acc, want);
    }

    #[test]
    fn column_blocks_of_every_width_equal_the_input_major_kernel() {
        use crate::manifest::WeightOrder;
        // 15 outputs: blocks of 8, 4, 2 and 1; 7 inputs.
        let (n, m) = (7, 15);
        let input: [u8; 7] = [3, 0, 255, 7, 1, 128, 9];
        let weights: [i8; 105] = core::array::from_fn(|k| (k as i8).wrapping_mul(71));
        let mut blocked = [0i8; 105];
        for (k, &w) in weights.iter().enumerate() {
            blocked[WeightOrder::ColumnBlocks.position(n, m, k / m, k % m)] = w;
        }
        let bias: [i32; 15] = core::array::from_fn(|o| o as i32 * 1000 - 7000);
        let (mut a, mut b) = ([0; 15], [0; 15]);
        dense_i8(&input, |x| x, &weights, &bias, &mut a);
        super::dense_i8_column_blocks(&input, &blocked, &bias, &mut b);
        assert_eq!(a, b);
        let mut c = [0; 15];
        let order = WeightOrder::ColumnBlocks;
        super::dense_i8_any_order(&input, |x| x, order, &blocked, &bias, &mut c);
        assert_eq!(a, c);
    }

    #[cfg(not(target_arch = "arm"))]
    #[test]
    fn sparse_blocks_equal_the_pair_kernel_for_every_width() {
        extern crate std;
        use std::{vec, vec::Vec};
        for (n, m) in [(1, 1), (40, 3), (33, 64), (70, 65), (9, 130)] {
            let weights: Vec<i8> = (0..n * m).map(|k| (k as i8).wrapping_mul(89)).collect();
            let bias: Vec<i32> = (0..m).map(|o| o as i32 * 37 - 500).collect();
            let input: Vec<u8> = (0..n)
                .map(|i| if i % 3 == 1 { 0 } else { (i * 53) as u8 })
                .collect();
            let (mut want, mut got) = (vec![0; m], vec![0; m]);
            dense_i8(&input, |x| x, &weights, &bias, &mut want);
            super::dense_i8_sparse(&input, |x| x, &weights, &bias, &mut got);
            assert_eq!(got, want, "{n}x{m}");
        }
    }

    #[test]
    fn column_blocks_of_many_outputs_equal_the_input_major_kernel() {
        extern crate std;
        use crate::manifest::WeightOrder;
        use std::{vec, vec::Vec};
        // 139 outputs: seventeen blocks of 8, then 2 and 1.
        let (n, m) = (6, 139);
        let input: [u8; 6] = [255, 0, 7, 128, 1, 200];
        let weights: Vec<i8> = (0..n * m).map(|k| (k as i8).wrapping_mul(113)).collect();
        let mut blocked = vec![0i8; n * m];
        for (k, &w) in weights.iter().enumerate() {
            blocked[WeightOrder::ColumnBlocks.position(n, m, k / m, k % m)] = w;
        }
        let bias: Vec<i32> = (0..m).map(|o| o as i32 * 101 - 7000).collect();
        let (mut want, mut got) = (vec![0; m], vec![0; m]);
        dense_i8(&input, |x| x, &weights, &bias, &mut want);
        super::dense_i8_column_blocks(&input, &blocked, &bias, &mut got);
        assert_eq!(got, want);
    }

    #[test]
    fn output_major_dot_products_equal_the_input_major_kernel() {
        let input: [u8; 5] = [3, 0, 255, 7, 1];
        // Input-major 5 × 3 weights and their output-major transpose.
        let weights: [i8; 15] = core::array::from_fn(|k| (k as i8).wrapping_mul(53));
        let transposed: [i8; 15] = core::array::from_fn(|k| weights[(k % 5) * 3 + k / 5]);
        let bias = [1, -2, 3];
        let (mut a, mut b) = ([0; 3], [0; 3]);
        dense_i8(&input, |x| x, &weights, &bias, &mut a);
        super::dense_i8_by_output(&input, |x| x, &transposed, &bias, &mut b);
        assert_eq!(a, b);
    }
}
