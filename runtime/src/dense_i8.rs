//! The fully connected layer in integers: `acc = bias + q_x · W`, then requantization.

/// Computes `acc[o] = bias[o] + Σ_i q(input[i]) × weights[i][o]` with wrapping 32-bit
/// arithmetic, for `weights` of shape `(input.len(), acc.len())` in row-major order.
///
/// `q` maps an input to its `u8` quantized value. Zero inputs are skipped: the bias already
/// holds the zero point's share (`−zero_point × Σ_i W[i][o]`), so a quantized 0 adds nothing.
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
    for (&x, row) in input.iter().zip(weights.chunks_exact(acc.len())) {
        let x = i32::from(q(x));
        if x == 0 {
            continue;
        }
        for (a, &w) in acc.iter_mut().zip(row) {
            *a = a.wrapping_add(x * i32::from(w));
        }
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
}
