//! An alignment wrapper for blobs embedded in flash or held in RAM.

/// Bytes aligned to 16, enough for every tensor in a blob to be read in place.
///
/// `include_bytes!` data is only byte-aligned; wrapping it aligns it without `unsafe`:
///
/// ```
/// use runtime::Aligned;
/// // In firmware: static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!("model.bin"));
/// static BLOB: &Aligned<[u8]> = &Aligned([0u8; 32]);
/// assert_eq!(BLOB.0.as_ptr() as usize % 16, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct Aligned<B: ?Sized>(pub B);
