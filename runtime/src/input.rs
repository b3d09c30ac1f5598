//! The element types a network accepts as input.

/// `PIXEL_TO_F32[p] == p as f32 / 255.0`: the book's normalisation, looked up.
static PIXEL_TO_F32: [f32; 256] = pixel_table();

const fn pixel_table() -> [f32; 256] {
    let mut table = [0.0; 256];
    let mut p = 0;
    while p < 256 {
        table[p] = p as f32 / 255.0;
        p += 1;
    }
    table
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for u8 {}
}

/// An input element: `f32` as it is, or a `u8` pixel normalised to `p / 255.0`.
pub trait Input: Copy + sealed::Sealed {
    /// The value the network sees.
    fn to_f32(self) -> f32;

    /// Whether the network sees 0, checked without converting.
    fn is_zero(self) -> bool;

    /// The inputs as the `u8` pixels they are, which int8 models with pixel quantization
    /// and host kernels take as they are (`u8` inputs only; `f32` inputs give `None`).
    fn as_pixels(inputs: &[Self]) -> Option<&[u8]>;
}

impl Input for f32 {
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }

    #[inline]
    fn is_zero(self) -> bool {
        self == 0.0
    }

    #[inline]
    fn as_pixels(_: &[Self]) -> Option<&[u8]> {
        None
    }
}

impl Input for u8 {
    #[inline]
    fn to_f32(self) -> f32 {
        PIXEL_TO_F32[usize::from(self)]
    }

    #[inline]
    fn is_zero(self) -> bool {
        self == 0
    }

    #[inline]
    fn as_pixels(inputs: &[Self]) -> Option<&[u8]> {
        Some(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn pixels_normalise_like_the_book() {
        for p in 0..=255u8 {
            assert_eq!(p.to_f32(), f32::from(p) / 255.0);
        }
        assert_eq!(255u8.to_f32(), 1.0);
        assert_eq!(0.25f32.to_f32(), 0.25);
    }
}
