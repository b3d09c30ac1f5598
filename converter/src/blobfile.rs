//! Reading blob files into memory aligned for in-place viewing.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// A blob's bytes in a buffer aligned to 16, as the runtime needs to view tensors in place.
#[derive(Debug, Clone)]
pub struct BlobBuf {
    words: Vec<u128>,
    len: usize,
}

impl BlobBuf {
    /// Copies `bytes` into an aligned buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut words = vec![0u128; bytes.len().div_ceil(16)];
        bytemuck::cast_slice_mut::<u128, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        BlobBuf {
            words,
            len: bytes.len(),
        }
    }

    /// Reads a whole file, straight into the aligned buffer (no second copy).
    ///
    /// # Errors
    /// The I/O error of reading it, or `UnexpectedEof` if it shrinks while being read.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let mut file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| std::io::Error::other("file larger than memory"))?;
        let mut words = vec![0u128; len.div_ceil(16)];
        file.read_exact(&mut bytemuck::cast_slice_mut::<u128, u8>(&mut words)[..len])?;
        Ok(BlobBuf { words, len })
    }

    /// The blob's bytes.
    pub fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<u128, u8>(&self.words)[..self.len]
    }
}
