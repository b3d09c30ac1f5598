//! The fully connected layer in floating point: `y = x · W + b`.

use crate::half::f16_finite_to_f32;
use crate::input::Input;

/// A stored weight that computes as f32: `f32` itself or IEEE half bits (`u16`).
pub trait Weight: Copy {
    /// The weight's value.
    fn value(self) -> f32;
}

impl Weight for f32 {
    fn value(self) -> f32 {
        self
    }
}

/// Half-precision bits; validation guarantees they are finite.
impl Weight for u16 {
    fn value(self) -> f32 {
        f16_finite_to_f32(self)
    }
}

/// Computes `out = input · weights + bias` for `weights` of shape `(input.len(), out.len())`
/// in row-major order.
///
/// Each input scales one weight row into the outputs, so an input of zero (most MNIST
/// pixels) costs nothing, and the inner loop runs over contiguous memory. Sums are formed
/// first and the bias added last, as numpy's `np.dot(x, W) + b` does.
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
