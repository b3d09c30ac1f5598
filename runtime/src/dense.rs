//! The fully connected layer: `y = x · W + b`.

use crate::input::Input;

/// Computes `out = input · weights + bias` for `weights` of shape `(input.len(), out.len())`
/// in row-major order.
///
/// Each input scales one weight row into the outputs, so an input of zero (most MNIST
/// pixels) costs nothing, and the inner loop runs over contiguous memory. Sums are formed
/// first and the bias added last, as numpy's `np.dot(x, W) + b` does.
pub fn dense<T: Input>(input: &[T], weights: &[f32], bias: &[f32], out: &mut [f32]) {
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
            *y += x * w;
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
        dense(
            &[1.0f32, 2.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[0.5, 0.0, -1.0],
            &mut out,
        );
        assert_eq!(out, [9.5, 12.0, 14.0]);
    }

    #[test]
    fn u8_inputs_are_normalised() {
        let mut out = [0.0; 1];
        dense(&[255u8, 0], &[2.0, 7.0], &[1.0], &mut out);
        assert_eq!(out, [3.0]);
    }
}
