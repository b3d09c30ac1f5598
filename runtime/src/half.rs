//! IEEE 754 binary16 ("half") to binary32, exactly.

/// The f32 value of the half-precision number with bits `h`; exact for every input
/// (subnormals, infinities and NaN included).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exponent = u32::from(h >> 10) & 0x1f;
    let mantissa = u32::from(h & 0x03ff);
    let bits = match (exponent, mantissa) {
        (0, 0) => sign,
        // Subnormal: value = mantissa × 2^-24, normalised for f32.
        (0, m) => {
            let shift = m.leading_zeros() - 21; // bring the top bit to position 10
            let m = (m << shift) & 0x03ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (m << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// [`f16_to_f32`] for finite inputs (as validated weights are), in a few instructions: the
/// magnitude's bits moved into f32 position are the value times 2^-112, which a
/// multiplication by 2^112 restores exactly (subnormal halves included).
pub fn f16_finite_to_f32(h: u16) -> f32 {
    const TWO_POW_112: f32 = f32::from_bits((112 + 127) << 23);
    let magnitude = f32::from_bits(u32::from(h & 0x7fff) << 13) * TWO_POW_112;
    f32::from_bits(magnitude.to_bits() | (u32::from(h & 0x8000) << 16))
}

/// Whether the half-precision number with bits `h` is finite.
pub fn f16_is_finite(h: u16) -> bool {
    h & 0x7c00 != 0x7c00
}

#[cfg(test)]
mod tests {
    use super::{f16_finite_to_f32, f16_is_finite, f16_to_f32};

    #[test]
    fn fast_conversion_equals_exact_for_every_finite_half() {
        for h in 0..=u16::MAX {
            if f16_is_finite(h) {
                assert_eq!(
                    f16_finite_to_f32(h).to_bits(),
                    f16_to_f32(h).to_bits(),
                    "{h:#06x}"
                );
            }
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(f16_to_f32(0x0000), 0.0);
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8); // smallest subnormal, 2^-24
        assert_eq!(f16_to_f32(0x03ff), 6.097_555e-5); // largest subnormal
        assert_eq!(f16_to_f32(0x0400), 6.103_515_6e-5); // smallest normal, 2^-14
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn every_subnormal_is_its_mantissa_times_2_pow_minus_24() {
        for m in 1..0x400u16 {
            assert_eq!(f16_to_f32(m), f32::from(m) * 2f32.powi(-24));
        }
    }
}
