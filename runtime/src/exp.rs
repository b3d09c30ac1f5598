//! `e^x` in f32 without branches or tables, so that a compiler can run it on a whole
//! vector of values at once (a desktop CPU's AVX, or one value at a time on a
//! microcontroller with no library call).

/// Range of `x` computed: `e^-87` is still a normal f32 and `e^88` still finite, so the
/// power of two built below never leaves the normal range.
const LOWEST: f32 = -87.0;
const HIGHEST: f32 = 88.0;

/// `e^x` within 2 units in the last place for `x` in `[-87, 88]`, 0 below that range and
/// infinity above it (where `e^x` is below f32's smallest normal value, or within a factor
/// of 2 of its largest), so that `sigmoid(-200)` is exactly 0 as with a library `expf`.
///
/// `x = n·ln 2 + r` with `n` the nearest integer to `x / ln 2` and `|r| ≤ ln 2 / 2`; then
/// `e^x = 2^n · e^r`, with `e^r` from Cephes' degree-5 minimax polynomial and `2^n` built
/// from its exponent bits. `ln 2` is split in two so that `r` is exact enough.
#[inline]
pub fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = core::f32::consts::LOG2_E;
    const LN2_HIGH: f32 = 0.693_359_4;
    const LN2_LOW: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 × 2^23 rounds to the nearest integer in f32 arithmetic.
    const ROUNDER: f32 = 12_582_912.0;
    let input = x;
    let x = x.clamp(LOWEST, HIGHEST);
    let shifted = x * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let r = (x - n * LN2_HIGH) - n * LN2_LOW;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e_r = p * (r * r) + r + 1.0;
    // `shifted` is 1.5 × 2^23 + n exactly, so its bits are those of 1.5 × 2^23 plus n; n is
    // in [-126, 127], so 2^n is a normal f32 whose exponent field is n + 127. Integer
    // arithmetic on the bits, not a conversion, so that it vectorises.
    let two_to_n = f32::from_bits(
        shifted
            .to_bits()
            .wrapping_sub(ROUNDER.to_bits())
            .wrapping_add(127)
            << 23,
    );
    let e = e_r * two_to_n;
    // Selects, not branches: they vectorise.
    let e = if input < LOWEST { 0.0 } else { e };
    if input > HIGHEST { f32::INFINITY } else { e }
}

#[cfg(test)]
mod tests {
    use super::exp;

    /// Units in the last place between `a` and the correctly rounded `e^x`.
    fn ulps(x: f32) -> f64 {
        let want = f64::from(x).exp();
        let got = f64::from(exp(x));
        let ulp = f64::from(f32::from_bits((want as f32).to_bits() + 1) - want as f32);
        ((got - want) / ulp).abs()
    }

    #[test]
    fn within_two_ulps_over_the_whole_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            worst = worst.max(ulps(x));
            x += 0.000_37;
        }
        assert!(worst <= 2.0, "worst error {worst} ulps");
    }

    #[test]
    fn exact_where_it_matters_and_clamped_beyond() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-87.5), 0.0);
        assert_eq!(exp(88.5), f32::INFINITY);
        assert!(exp(88.0).is_finite() && exp(-87.0) > 0.0);
        assert!(exp(f32::NAN).is_nan());
        assert!((exp(1.0) - core::f32::consts::E).abs() <= f32::EPSILON * 3.0);
    }
}
