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

/// How far below the largest value every other must be for [`clear_leader`]: 2^-16. Then
/// `e^(x - max)` is at most `1 - 2^-16` within [`exp`](crate::exp::exp)'s 2 ulp, against
/// exactly 1 for the largest, and the two quotients by the same sum stay apart after
/// rounding: the largest value's probability is the only largest.
const CLEAR_MARGIN: f32 = 1.0 / 65536.0;

/// Whether `v` lies clearly below the largest value `top`, as [`clear_leader`] requires of
/// every other value: at least [`CLEAR_MARGIN`] below it (never for NaN).
#[inline(always)]
pub(crate) fn clearly_below(v: f32, top: f32) -> bool {
    v - top <= -CLEAR_MARGIN
}

/// The index of the largest of `values` when it is finite and every other value lies
/// clearly below it: then it is also the index [`argmax`] gives after [`softmax`], which
/// keeps the order of values so far apart. `None` otherwise (near ties, infinities, NaN,
/// no values).
#[inline]
pub fn clear_leader(values: &[f32]) -> Option<usize> {
    let best = argmax(values)?;
    let top = values[best];
    let clear = top.is_finite()
        && values
            .iter()
            .enumerate()
            .all(|(i, &v)| i == best || clearly_below(v, top));
    clear.then_some(best)
}

/// The index [`argmax`] gives after [`softmax`] of `values`, which it leaves as
/// probabilities; 0 for no values. Out of line: needed only where [`clear_leader`] declines.
#[cold]
#[inline(never)]
pub(crate) fn class_after_softmax(values: &mut [f32]) -> usize {
    softmax(values);
    argmax(values).unwrap_or(0)
}

/// Test case `case` of `n` values (at most 12; the rest of the array is filler) whose
/// largest and runner-up lie 0 to 100 apart or 1 to 3 units in the last place apart, now
/// and then with an infinity, NaN or ±1e30 among them: values where softmax's class is
/// hard to predict.
#[cfg(test)]
pub(crate) fn near_tie(case: usize, n: usize, uniform: &mut impl FnMut() -> f32) -> [f32; 12] {
    let gaps = [
        0.0,
        1e-7,
        1e-6,
        3e-6,
        1.5e-5,
        CLEAR_MARGIN,
        2e-5,
        1e-4,
        0.01,
        1.0,
        30.0,
        100.0,
    ];
    let specials = [f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e30, -1e30];
    // Small half the time, where gaps of 1e-7 are still representable.
    let base = if case % 2 == 0 {
        uniform() * 0.5
    } else {
        (uniform() - 0.5) * 40.0
    };
    let mut values: [f32; 12] = core::array::from_fn(|_| (uniform() - 0.5) * 20.0);
    // A runner-up `gap` below the top, on either side of it in the order.
    let gap = gaps[case % gaps.len()];
    let (top, second) = (case % n, (case / 3) % n);
    values[top] = base;
    // Every third case a gap of 1 to 3 units in the last place instead.
    values[second] = match case % 3 {
        0 => f32::from_bits(base.to_bits().wrapping_sub(1 + (case / 3 % 3) as u32)),
        _ => base - gap,
    };
    if case % 97 == 0 {
        values[(case / 7) % n] = specials[(case / 97) % specials.len()];
    }
    values
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

    /// `clear_leader` against softmax then argmax, on values a little apart, tied, far
    /// apart, infinite and NaN.
    #[test]
    fn a_clear_leader_is_the_class_after_softmax() {
        let mut next = crate::test_rng::xorshift32(7);
        let mut uniform = move || next() as f32 / u32::MAX as f32;
        let (mut clear, mut changed) = (0, 0);
        for case in 0..20_000 {
            let n = 1 + case % 12;
            let values = near_tie(case, n, &mut uniform);
            let values = &values[..n];
            let mut probabilities = values.to_vec();
            softmax(&mut probabilities);
            let want = argmax(&probabilities);
            if let Some(leader) = clear_leader(values) {
                assert_eq!(Some(leader), want, "{values:?}");
                clear += 1;
            }
            if want != argmax(values) {
                changed += 1;
            }
        }
        // Both outcomes are covered, and cases where softmax's rounding made a tie that an
        // earlier index wins.
        assert!(
            (10_000..19_000).contains(&clear) && changed > 20,
            "{clear} {changed}"
        );
        assert_eq!(clear_leader(&[]), None);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), Some(1));
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[-5.0]), Some(0));
    }
}
