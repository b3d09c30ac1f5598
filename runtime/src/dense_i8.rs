//! The fully connected layer in integers: `acc = bias + q_x · W`, then requantization.

/// Computes `acc[o] = bias[o] + Σ_i q(input[i]) × weights[i][o]` with wrapping 32-bit
/// arithmetic, for `weights` of shape `(input.len(), acc.len())` in row-major order.
///
/// `q` maps an input to its `u8` quantized value. Zero inputs are skipped: the bias already
/// holds the zero point's share (`−zero_point × Σ_i W[i][o]`), so a quantized 0 adds nothing.
/// Non-zero inputs are paired so that each accumulator is loaded and stored once per two
/// rows (more rows run out of registers on a Cortex-M4); integer sums do not depend on the
/// order.
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

/// `acc += x0 × row0 + x1 × row1`; the two products of one output (each at most 255 × 128
/// in size) cannot overflow before they reach the accumulator. Kept out of line so that the
/// loop gets the registers to itself.
#[inline(never)]
fn add_two_rows(acc: &mut [i32], (x0, r0): (i32, &[i8]), (x1, r1): (i32, &[i8])) {
    for (a, (&w0, &w1)) in acc.iter_mut().zip(r0.iter().zip(r1)) {
        *a = a.wrapping_add(x0 * i32::from(w0) + x1 * i32::from(w1));
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
}
