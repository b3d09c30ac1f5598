//! Integer arithmetic of int8 layers: input quantization and fixed-point requantization.
//!
//! Every operation here is specified bit for bit in `docs/blob-format.md`.

use crate::manifest::Quant;
use crate::params::Requantization;

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
#[cfg_attr(not(target_arch = "arm"), inline(always))]
pub fn requantize(acc: i32, multiplier: i32, shift: u8, zero_point: u8) -> u8 {
    let product = i64::from(acc) * i64::from(multiplier);
    if shift < 32 {
        let rounded = (product + (1i64 << (shift - 1))) >> shift;
        return (rounded + i64::from(zero_point)).clamp(0, 255) as u8;
    }
    // The same value from the product's high word alone, which a 32-bit core shifts in one
    // instruction: adding 2^(shift−1), a multiple of 2^32, leaves the low word as it is,
    // and it only decides the rounding when `shift` is 32. |high| ≤ 2^30: no overflow.
    let high = (product >> 32) as i32;
    let rounded = match shift - 32 {
        0 => high + (product as u32 >> 31) as i32,
        t => (high + (1 << (t - 1))) >> t,
    };
    (rounded + i32::from(zero_point)).clamp(0, 255) as u8
}

/// [`requantize`] by its 64-bit definition alone, without branches: the same value for
/// every valid `shift`, in the form desktop vector units compute many at once.
#[inline(always)]
pub fn requantize_wide(acc: i32, multiplier: i32, shift: u8, zero_point: u8) -> u8 {
    let product = i64::from(acc) * i64::from(multiplier);
    let half = 1i64 << (u32::from(shift).saturating_sub(1) & 63);
    let rounded = (product + half) >> (u32::from(shift) & 63);
    (rounded + i64::from(zero_point)).clamp(0, 255) as u8
}

/// Replaces the `outputs` accumulators at the start of `bytes` (4 bytes each) by their
/// outputs through `requantization` (1 byte each), in place: byte `o` is written after
/// accumulator `o`, which is the last to use it, has been read. Out of line: inlined, it
/// competes with the forward pass for registers (300 more instructions per inference on a
/// Cortex-M4).
#[cfg(target_arch = "arm")]
#[inline(never)]
pub fn narrow_through_table(bytes: &mut [u8], outputs: usize, requantization: &Requantization<'_>) {
    let (multipliers, shifts) = (requantization.multipliers, requantization.shifts);
    for (o, (&m, &s)) in multipliers.iter().zip(shifts).enumerate().take(outputs) {
        let Some(&[a, b, c, d]) = bytes.get(4 * o..4 * o + 4) else {
            return;
        };
        let index = requantize(
            i32::from_ne_bytes([a, b, c, d]),
            m,
            s,
            requantization.zero_point,
        );
        if let Some(byte) = bytes.get_mut(o) {
            *byte = requantization.table[usize::from(index)];
        }
    }
}

/// [`narrow_through_table`] for desktop CPUs, 64 outputs at a time: their accumulators are
/// copied out first, requantized together in 64-bit arithmetic without branches (a loop a
/// compiler vectorises), then looked up in the table.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
pub fn narrow_through_table(bytes: &mut [u8], outputs: usize, requantization: &Requantization<'_>) {
    let (multipliers, shifts) = (requantization.multipliers, requantization.shifts);
    const LANES: usize = 64;
    for start in (0..outputs).step_by(LANES) {
        let end = (start + LANES).min(outputs);
        let mut acc = [0i32; LANES];
        for (a, word) in acc
            .iter_mut()
            .zip(bytes.get(4 * start..4 * end).unwrap_or(&[]).chunks_exact(4))
        {
            if let Ok(word) = <[u8; 4]>::try_from(word) {
                *a = i32::from_ne_bytes(word);
            }
        }
        let mut index = [0u8; LANES];
        let params = multipliers
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .zip(shifts.get(start..end).unwrap_or(&[]));
        for ((i, &a), (&m, &s)) in index.iter_mut().zip(&acc).zip(params) {
            *i = requantize_wide(a, m, s, requantization.zero_point);
        }
        for (byte, &i) in bytes
            .get_mut(start..end)
            .unwrap_or(&mut [])
            .iter_mut()
            .zip(&index)
        {
            *byte = requantization.table[usize::from(i)];
        }
    }
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

    /// The definition in 64-bit arithmetic, as the format document states it.
    fn reference(acc: i32, multiplier: i32, shift: u8, zero_point: u8) -> u8 {
        let product = i64::from(acc) * i64::from(multiplier);
        let rounded = (product + (1i64 << (shift - 1))) >> shift;
        (rounded + i64::from(zero_point)).clamp(0, 255) as u8
    }

    #[test]
    fn requantize_equals_the_64_bit_definition_for_every_shift() {
        extern crate std;
        use std::format;
        let extremes = [i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for shift in 1..=62u8 {
            for _ in 0..4000 {
                let r = next();
                // Products landing near the rounding and saturation edges of this shift.
                let acc = (r as i32) >> (r >> 59);
                let multiplier = ((r >> 32) as i32) >> ((r >> 54) & 31);
                let zp = (r >> 40) as u8;
                let want = reference(acc, multiplier, shift, zp);
                let why = || format!("acc {acc} multiplier {multiplier} shift {shift}");
                assert_eq!(requantize(acc, multiplier, shift, zp), want, "{}", why());
                assert_eq!(
                    requantize_wide(acc, multiplier, shift, zp),
                    want,
                    "{}",
                    why()
                );
            }
            for acc in extremes {
                for multiplier in extremes {
                    for zp in [0, 128, 255] {
                        let want = reference(acc, multiplier, shift, zp);
                        assert_eq!(requantize(acc, multiplier, shift, zp), want);
                        assert_eq!(requantize_wide(acc, multiplier, shift, zp), want);
                    }
                }
            }
        }
        // Exact halves at shifts 32 and 33 round up.
        assert_eq!(requantize(1, 1 << 30, 31, 0), 1);
        assert_eq!(requantize(2, 1 << 30, 32, 0), 1);
        assert_eq!(requantize(-2, 1 << 30, 32, 10), 10);
        assert_eq!(requantize(4, 1 << 30, 33, 0), 1);
        assert_eq!(requantize(-4, 1 << 30, 33, 10), 10);
    }
}
