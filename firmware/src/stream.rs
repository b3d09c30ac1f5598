//! Reading a host file over semihosting in pieces, with a running CRC of what was read.

use core::ffi::CStr;

use runtime::checksum::Crc32Stream;
use semihosting::fs::File;
use semihosting::io::Read;

/// A host file read front to back, every byte fed to a CRC.
pub struct Stream {
    file: File,
    crc: Crc32Stream,
    position: usize,
}

impl Stream {
    /// Opens a host file, relative to QEMU's working directory.
    pub fn open(path: &CStr) -> Result<Self, &'static str> {
        let file = File::open(path).map_err(|_| "cannot open the file on the host")?;
        Ok(Stream {
            file,
            crc: Crc32Stream::new(),
            position: 0,
        })
    }

    /// Fills `buf` with the next bytes.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<(), &'static str> {
        self.file
            .read_exact(buf)
            .map_err(|_| "the file ended early or could not be read")?;
        self.crc.update(buf);
        self.position += buf.len();
        Ok(())
    }

    /// Reads and discards bytes up to `offset` (padding between parts).
    pub fn skip_to(&mut self, offset: usize) -> Result<(), &'static str> {
        let mut scratch = [0u8; 16];
        while self.position < offset {
            let n = (offset - self.position).min(scratch.len());
            self.read(&mut scratch[..n])?;
        }
        Ok(())
    }

    /// The CRC of everything read so far.
    pub fn crc(&self) -> u32 {
        self.crc.clone().finalize()
    }
}
