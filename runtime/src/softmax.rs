//! Softmax and argmax over a layer's output.

/// Numerically stable softmax in place: `e^(x - max) / Σ e^(x - max)`.
///
/// Subtracting the maximum first keeps every exponent at or below zero, so large inputs
/// such as `[1010, 1000, 990]` give finite probabilities that sum to 1. An empty slice is
/// left as it is.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    #[cfg(target_arch = "arm")]
    for v in values.iter_mut() {
        *v = crate::exp::exp(*v - max);
        sum += *v;
    }
    // On desktop CPUs the exponentials come first, 16 at a time in a fixed-size array that a
    // compiler runs as one vector (a 10-value layer leaves a loop too short to vectorise),
    // then the same sum in the same order.
    #[cfg(not(target_arch = "arm"))]
    {
        for chunk in values.chunks_mut(16) {
            let mut lanes = [0.0f32; 16];
            for (lane, &v) in lanes.iter_mut().zip(chunk.iter()) {
                *lane = v;
            }
            for lane in &mut lanes {
                *lane = crate::exp::exp(*lane - max);
            }
            for (v, &lane) in chunk.iter_mut().zip(&lanes) {
                *v = lane;
            }
        }
        for &v in values.iter() {
            sum += v;
        }
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

/// Index of the largest value; the first one on ties, `None` for an empty slice.
///
/// NaN never wins a comparison, so it is chosen only when it comes first (as in numpy,
/// which returns the first NaN).
#[inline]
pub fn argmax(values: &[f32]) -> Option<usize> {
    let (first, rest) = values.split_first()?;
    let mut best = (0, *first);
    for (i, &v) in rest.iter().enumerate() {
        if v > best.1 {
            best = (i + 1, v);
        }
    }
    Some(best.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_matches_hand_values() {
        // e^0.3, e^2.9, e^4.0 over their sum, as in the book's section 3.5.
        let mut v = [0.3, 2.9, 4.0];
        softmax(&mut v);
        let want = [0.018_211_27, 0.245_191_81, 0.736_596_9];
        for (g, w) in v.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
    }

    #[test]
    fn softmax_of_large_values_is_finite_and_sums_to_one() {
        let mut v = [1010.0, 1000.0, 990.0];
        softmax(&mut v);
        assert!(v.iter().all(|p| p.is_finite()));
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((v[0] - 0.999_954_6).abs() < 1e-6);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), Some(1));
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[-5.0]), Some(0));
    }
}
