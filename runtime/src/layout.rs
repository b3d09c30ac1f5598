//! Byte layout of a blob: the fixed header fields as named byte ranges, and alignment rules.
//!
//! Every multi-byte field is little-endian. These constants are the field table of
//! `docs/blob-format.md`, line for line.

use core::ops::Range;

/// The four bytes every blob starts with.
pub const MAGIC: [u8; 4] = *b"TNNB";
/// The newest format version this runtime reads; it reads every version from
/// [`MIN_VERSION`] up. Writers stamp the lowest version that has every feature a blob uses.
pub const VERSION: u16 = 3;
/// The oldest format version this runtime reads.
pub const MIN_VERSION: u16 = 1;

/// `MAGIC`.
pub const FIELD_MAGIC: Range<usize> = 0..4;
/// Format version, `u16`.
pub const FIELD_VERSION: Range<usize> = 4..6;
/// Blob kind, `u8` (see [`Kind`]).
pub const FIELD_KIND: usize = 6;
/// Flags, `u8`; no flag is defined in version 1, so it must be zero.
pub const FIELD_FLAGS: usize = 7;
/// Total blob length in bytes, trailing checksum included, `u32`.
pub const FIELD_TOTAL_LEN: Range<usize> = 8..12;
/// Length of the postcard-encoded manifest that follows the header, `u32`.
pub const FIELD_MANIFEST_LEN: Range<usize> = 12..16;
/// Length of the fixed header; the manifest starts here.
pub const HEADER_LEN: usize = 16;
/// Length of the trailing CRC-32, which covers every byte before it.
pub const CHECKSUM_LEN: usize = 4;
/// Smallest possible blob: a header and a checksum.
pub const MIN_LEN: usize = HEADER_LEN + CHECKSUM_LEN;
/// Alignment of every tensor offset, relative to the blob start.
///
/// 16 keeps f32 data readable in place and lets vector loads stay aligned. The runtime
/// itself needs the blob's base address aligned to the element size (4 for f32).
pub const TENSOR_ALIGN: usize = 16;

/// What a blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A network: layers and their weights.
    Model = 1,
    /// A labelled image set.
    Dataset = 2,
}

impl Kind {
    /// The kind with this header byte, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Kind::Model),
            2 => Some(Kind::Dataset),
            _ => None,
        }
    }

    /// A lower-case name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Model => "model",
            Kind::Dataset => "dataset",
        }
    }
}
