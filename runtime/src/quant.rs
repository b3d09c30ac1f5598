//! Integer arithmetic of int8 layers: input quantization and fixed-point requantization.
//!
//! Every operation here is specified bit for bit in `docs/blob-format.md`.

use crate::manifest::Quant;

/// The quantization of `u8` pixels normalised as `p / 255`: pixels are used as they are.
pub const PIXELS: Quant = Quant {
    scale: 1.0 / 255.0,
    zero_point: 0,
};

impl Quant {
    /// `clamp(round(x / scale) + zero_point, 0, 255)`, rounding half away from zero.
    pub fn quantize(&self, x: f32) -> u8 {
        let q = libm::roundf(x / self.scale) + f32::from(self.zero_point);
        // `as` saturates (and maps NaN to 0), which is the clamp.
        q.clamp(0.0, 255.0) as u8
    }

    /// The real value `scale × (q − zero_point)`.
    pub fn dequantize(&self, q: u8) -> f32 {
        self.scale * (f32::from(q) - f32::from(self.zero_point))
    }
}

/// `clamp(zero_point + ((acc × multiplier + 2^(shift−1)) >> shift), 0, 255)` in 64-bit
/// arithmetic: `acc × multiplier / 2^shift` rounded half up, offset and saturated.
///
/// Valid for `shift` in `1..=62` and `multiplier` below `2^31`, which validation ensures;
/// then nothing overflows.
pub fn requantize(acc: i32, multiplier: i32, shift: u8, zero_point: u8) -> u8 {
    let product = i64::from(acc) * i64::from(multiplier);
    let rounded = (product + (1i64 << (shift - 1))) >> shift;
    (rounded + i64::from(zero_point)).clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_half_away_and_saturates() {
        let q = Quant {
            scale: 0.5,
            zero_point: 10,
        };
        assert_eq!(q.quantize(0.0), 10);
        assert_eq!(q.quantize(0.25), 11); // 0.5 rounds away from zero
        assert_eq!(q.quantize(-0.25), 9);
        assert_eq!(q.quantize(1000.0), 255);
        assert_eq!(q.quantize(-1000.0), 0);
        assert_eq!(q.quantize(f32::NAN), 0);
        assert_eq!(q.dequantize(12), 1.0);
    }

    #[test]
    fn pixels_quantize_to_themselves() {
        for p in 0..=255u8 {
            assert_eq!(PIXELS.quantize(f32::from(p) / 255.0), p);
        }
    }

    #[test]
    fn requantize_is_rounded_fixed_point_multiplication() {
        // multiplier 2^30 with shift 31 is × 0.5.
        assert_eq!(requantize(7, 1 << 30, 31, 0), 4); // 3.5 rounds up
        assert_eq!(requantize(-7, 1 << 30, 31, 100), 97); // -3.5 rounds up to -3
        assert_eq!(requantize(1000, 1 << 30, 31, 0), 255);
        assert_eq!(requantize(-1000, 1 << 30, 31, 0), 0);
        assert_eq!(requantize(i32::MIN, i32::MAX, 62, 128), 128 - 1);
    }
}
