//! The blob envelope: header, checksum and manifest bytes, common to every kind.

use crate::checksum::crc32;
use crate::error::FormatError;
use crate::layout::{self, Kind};

/// The fixed header at the start of every blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version.
    pub version: u16,
    /// Kind byte (see [`Kind`]).
    pub kind: u8,
    /// Flags byte.
    pub flags: u8,
    /// Total blob length, checksum included.
    pub total_len: u32,
    /// Manifest length.
    pub manifest_len: u32,
}

impl Header {
    /// Reads the header from the start of `bytes`, checking magic and version only.
    ///
    /// # Errors
    /// [`FormatError::Truncated`], [`FormatError::BadMagic`], [`FormatError::UnsupportedVersion`].
    pub fn read(bytes: &[u8]) -> Result<Header, FormatError> {
        let Some(head) = bytes.first_chunk::<{ layout::HEADER_LEN }>() else {
            return Err(FormatError::Truncated {
                needed: layout::MIN_LEN,
                available: bytes.len(),
            });
        };
        let magic = [head[0], head[1], head[2], head[3]];
        if magic != layout::MAGIC {
            return Err(FormatError::BadMagic { found: magic });
        }
        let header = Header {
            version: u16::from_le_bytes([head[4], head[5]]),
            kind: head[layout::FIELD_KIND],
            flags: head[layout::FIELD_FLAGS],
            total_len: u32::from_le_bytes([head[8], head[9], head[10], head[11]]),
            manifest_len: u32::from_le_bytes([head[12], head[13], head[14], head[15]]),
        };
        if !(layout::MIN_VERSION..=layout::VERSION).contains(&header.version) {
            return Err(FormatError::UnsupportedVersion {
                found: header.version,
                supported: layout::VERSION,
            });
        }
        Ok(header)
    }

    /// The header's bytes.
    pub fn to_bytes(&self) -> [u8; layout::HEADER_LEN] {
        let mut out = [0; layout::HEADER_LEN];
        out[layout::FIELD_MAGIC].copy_from_slice(&layout::MAGIC);
        out[layout::FIELD_VERSION].copy_from_slice(&self.version.to_le_bytes());
        out[layout::FIELD_KIND] = self.kind;
        out[layout::FIELD_FLAGS] = self.flags;
        out[layout::FIELD_TOTAL_LEN].copy_from_slice(&self.total_len.to_le_bytes());
        out[layout::FIELD_MANIFEST_LEN].copy_from_slice(&self.manifest_len.to_le_bytes());
        out
    }
}

/// Length of the blob that starts at `prefix`, read from its header.
///
/// For blobs stored in a flash partition or a file: read the header's 16 bytes, learn how
/// many bytes to hand to [`Model::from_bytes`](crate::Model::from_bytes).
///
/// # Errors
/// As [`Header::read`].
pub fn blob_len(prefix: &[u8]) -> Result<usize, FormatError> {
    Header::read(prefix).map(|h| h.total_len as usize)
}

/// A blob whose envelope checked out: magic, version, length, checksum, kind and flags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Envelope<'a> {
    /// Format version in the header.
    pub version: u16,
    /// The manifest bytes.
    pub manifest: &'a [u8],
    /// Offset of the checksum, which is where the payload ends.
    pub payload_end: usize,
}

impl<'a> Envelope<'a> {
    /// Checks the envelope of a blob that must be of kind `expected`.
    pub fn open(bytes: &'a [u8], expected: Kind) -> Result<Self, FormatError> {
        let header = Header::read(bytes)?;
        let total = header.total_len as usize;
        if total < layout::MIN_LEN || total > bytes.len() {
            return Err(FormatError::Truncated {
                needed: total.max(layout::MIN_LEN),
                available: bytes.len(),
            });
        }
        if total < bytes.len() {
            return Err(FormatError::TrailingBytes {
                expected: total,
                found: bytes.len(),
            });
        }
        let (covered, stored) = bytes.split_at(total - layout::CHECKSUM_LEN);
        let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
        let computed = crc32(covered);
        if stored != computed {
            return Err(FormatError::ChecksumMismatch { stored, computed });
        }
        Self::from_header(&header, covered, covered.len(), expected)
    }

    /// Checks what can be checked of a blob from its first bytes, which must reach past the
    /// manifest: everything but the length and the checksum.
    pub fn open_prefix(prefix: &'a [u8], expected: Kind) -> Result<Self, FormatError> {
        let header = Header::read(prefix)?;
        let payload_end = (header.total_len as usize)
            .checked_sub(layout::CHECKSUM_LEN)
            .filter(|&end| end >= layout::HEADER_LEN)
            .ok_or(FormatError::Truncated {
                needed: layout::MIN_LEN,
                available: header.total_len as usize,
            })?;
        Self::from_header(&header, prefix, payload_end, expected)
    }

    /// Checks kind, flags and manifest bounds; `bytes` starts at the header and the payload
    /// ends at `payload_end` (at least [`layout::HEADER_LEN`]).
    fn from_header(
        header: &Header,
        bytes: &'a [u8],
        payload_end: usize,
        expected: Kind,
    ) -> Result<Self, FormatError> {
        let kind =
            Kind::from_byte(header.kind).ok_or(FormatError::UnknownKind { found: header.kind })?;
        if kind != expected {
            return Err(FormatError::WrongKind {
                expected,
                found: kind,
            });
        }
        if header.flags != 0 {
            return Err(FormatError::UnsupportedFlags {
                found: header.flags,
            });
        }
        let len = header.manifest_len as usize;
        let available = payload_end - layout::HEADER_LEN;
        if len > available {
            return Err(FormatError::ManifestOutOfBounds { len, available });
        }
        let manifest_end = layout::HEADER_LEN + len;
        let manifest =
            bytes
                .get(layout::HEADER_LEN..manifest_end)
                .ok_or(FormatError::Truncated {
                    needed: manifest_end,
                    available: bytes.len(),
                })?;
        Ok(Envelope {
            version: header.version,
            manifest,
            payload_end,
        })
    }

    /// Where tensors may start: after the manifest, aligned.
    pub fn payload_start(&self) -> usize {
        // Cannot overflow: the manifest lies inside a slice.
        (layout::HEADER_LEN + self.manifest.len()).next_multiple_of(layout::TENSOR_ALIGN)
    }

    /// Decodes the manifest, which must use exactly its declared length.
    pub fn decode<T: serde::Deserialize<'a>>(&self) -> Result<T, FormatError> {
        let (value, rest) =
            postcard::take_from_bytes(self.manifest).map_err(FormatError::Manifest)?;
        if !rest.is_empty() {
            return Err(FormatError::ManifestLength {
                declared: self.manifest.len(),
                used: self.manifest.len() - rest.len(),
            });
        }
        Ok(value)
    }
}
