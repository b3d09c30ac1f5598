//! Reading MNIST's IDX files, gzip-compressed or not.

use std::io::Read;

/// IDX element type code for unsigned bytes, the only one MNIST uses.
const IDX_U8: u8 = 0x08;

/// Largest decompressed IDX file accepted: 1 GiB, twenty times MNIST's training images
/// (47 MB). gzip expands up to about 1000 times, so without a cap a 1 MB file could ask
/// for a gigabyte of memory, and a 25 MB one for more than the machine has.
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Images read from an IDX file: `count × rows × cols` pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Pixels, image after image, row-major.
    pub pixels: Vec<u8>,
}

impl Images {
    /// Keeps only the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        self.count = self.count.min(n);
        self.pixels.truncate(self.count * self.rows * self.cols);
    }
}

/// Why bytes are not a usable IDX file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdxError {
    /// The gzip stream is damaged or cut short.
    #[error("gzip data is corrupt or truncated: {0}")]
    Gzip(std::io::Error),
    /// The gzip stream expands to more than [`MAX_DECOMPRESSED`] bytes.
    #[error("gzip data expands to more than {limit} bytes, the limit for an IDX file")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Fewer than the 4 magic bytes.
    #[error("empty or truncated IDX file ({0} bytes)")]
    TooShort(usize),
    /// The magic does not start with two zero bytes.
    #[error("not an IDX file: magic is {}", hex(.0))]
    BadMagic([u8; 4]),
    /// An element type other than unsigned bytes.
    #[error("IDX element type {found:#04x} is not supported (MNIST uses 0x08, unsigned byte)")]
    ElementType {
        /// Type code found.
        found: u8,
    },
    /// Another number of dimensions than expected.
    #[error("IDX file has {found} dimensions, expected {expected} ({what})")]
    Dimensions {
        /// Dimensions expected.
        expected: u8,
        /// Dimensions found.
        found: u8,
        /// What kind of file was expected.
        what: &'static str,
    },
    /// Less or more data than the header's dimensions say.
    #[error("IDX header promises {expected} data bytes, the file has {found}")]
    Length {
        /// Bytes the dimensions ask for.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
}

fn hex(bytes: &[u8; 4]) -> String {
    bytes.map(|b| format!("{b:02x}")).join(" ")
}

/// Returns `bytes` decompressed if they are gzip data, else unchanged.
///
/// # Errors
/// [`IdxError::Gzip`] for a damaged or truncated gzip stream, [`IdxError::TooLarge`] when
/// it expands to more than [`MAX_DECOMPRESSED`] bytes (nothing beyond that is read).
pub fn gunzip_if_needed(bytes: Vec<u8>) -> Result<Vec<u8>, IdxError> {
    gunzip_reporting(bytes, &mut |_| {})
}

/// [`gunzip_if_needed`], calling `consumed` with the number of input bytes each step uses
/// up; the calls add up to the input's length.
///
/// # Errors
/// As [`gunzip_if_needed`].
pub fn gunzip_reporting(
    bytes: Vec<u8>,
    consumed: &mut dyn FnMut(usize),
) -> Result<Vec<u8>, IdxError> {
    gunzip_limited(bytes, MAX_DECOMPRESSED, consumed)
}

/// [`gunzip_reporting`] with a given limit on the decompressed size.
fn gunzip_limited(
    bytes: Vec<u8>,
    limit: u64,
    consumed: &mut dyn FnMut(usize),
) -> Result<Vec<u8>, IdxError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        consumed(bytes.len());
        return Ok(bytes);
    }
    let capacity = bytes.len().saturating_mul(4).min(limit as usize);
    let mut out = Vec::with_capacity(capacity);
    let input = Reporting {
        inner: bytes.as_slice(),
        consumed,
    };
    flate2::read::MultiGzDecoder::new(input)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(IdxError::Gzip)?;
    if out.len() as u64 > limit {
        return Err(IdxError::TooLarge { limit });
    }
    Ok(out)
}

/// A reader that reports how many bytes each read returns.
struct Reporting<'a, R> {
    inner: R,
    consumed: &'a mut dyn FnMut(usize),
}

impl<R: Read> Read for Reporting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.consumed)(n);
        Ok(n)
    }
}

/// Parses an IDX image file (`u8`, three dimensions).
///
/// # Errors
/// Any [`IdxError`] but `Gzip`.
pub fn parse_images(bytes: &[u8]) -> Result<Images, IdxError> {
    let (dims, data) = parse(bytes, 3, "images: count, rows, columns")?;
    Ok(Images {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels: data.to_vec(),
    })
}

/// Parses an IDX label file (`u8`, one dimension).
///
/// # Errors
/// Any [`IdxError`] but `Gzip`.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let (_, data) = parse(bytes, 1, "labels: count")?;
    Ok(data.to_vec())
}

/// Checks the header and returns the dimensions and the data bytes.
fn parse<'a>(
    bytes: &'a [u8],
    ndim: u8,
    what: &'static str,
) -> Result<(Vec<usize>, &'a [u8]), IdxError> {
    let magic: [u8; 4] = bytes
        .get(..4)
        .and_then(|m| m.try_into().ok())
        .ok_or(IdxError::TooShort(bytes.len()))?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic(magic));
    }
    if magic[2] != IDX_U8 {
        return Err(IdxError::ElementType { found: magic[2] });
    }
    if magic[3] != ndim {
        return Err(IdxError::Dimensions {
            expected: ndim,
            found: magic[3],
            what,
        });
    }
    let header_len = 4 + 4 * usize::from(ndim);
    let header = bytes
        .get(4..header_len)
        .ok_or(IdxError::TooShort(bytes.len()))?;
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    let data = &bytes[header_len..];
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX);
    if data.len() != expected {
        return Err(IdxError::Length {
            expected,
            found: data.len(),
        });
    }
    Ok((dims, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(ndim: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, IDX_U8, ndim];
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn parses_images_and_labels() {
        let images = parse_images(&idx(3, &[2, 1, 2], &[1, 2, 3, 4])).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (2, 1, 2));
        assert_eq!(images.pixels, [1, 2, 3, 4]);
        assert_eq!(parse_labels(&idx(1, &[3], &[7, 8, 9])).unwrap(), [7, 8, 9]);
    }

    #[test]
    fn rejects_bad_headers_and_lengths() {
        assert!(matches!(parse_labels(&[0, 0]), Err(IdxError::TooShort(2))));
        assert!(matches!(
            parse_labels(b"GIF8abcd"),
            Err(IdxError::BadMagic(_))
        ));
        assert!(matches!(
            parse_labels(&idx(3, &[1, 1, 1], &[0])),
            Err(IdxError::Dimensions {
                expected: 1,
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            parse_labels(&idx(1, &[3], &[7, 8])),
            Err(IdxError::Length {
                expected: 3,
                found: 2
            })
        ));
        let mut wrong_type = idx(1, &[1], &[0]);
        wrong_type[2] = 0x0d;
        assert!(matches!(
            parse_labels(&wrong_type),
            Err(IdxError::ElementType { found: 0x0d })
        ));
    }

    #[test]
    fn gunzips_and_reports_truncation() {
        use std::io::Write;
        let raw = idx(1, &[2], &[4, 5]);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&raw).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gunzip_if_needed(gz.clone()).unwrap(), raw);
        let cut = gz[..gz.len() - 6].to_vec();
        assert!(matches!(gunzip_if_needed(cut), Err(IdxError::Gzip(_))));
        assert_eq!(gunzip_if_needed(raw.clone()).unwrap(), raw);
    }

    #[test]
    fn reports_every_input_byte_consumed() {
        use std::io::Write;
        let raw = idx(1, &[5000], &[7; 5000]);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&raw).unwrap();
        let gz = enc.finish().unwrap();
        for input in [gz, raw.clone()] {
            let (mut total, len) = (0, input.len());
            assert_eq!(gunzip_reporting(input, &mut |n| total += n).unwrap(), raw);
            assert_eq!(total, len);
        }
    }

    #[test]
    fn caps_the_decompressed_size() {
        use std::io::Write;
        let raw = idx(1, &[100], &[0; 100]);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&raw).unwrap();
        let gz = enc.finish().unwrap();
        let limit = raw.len() as u64;
        assert_eq!(gunzip_limited(gz.clone(), limit, &mut |_| {}).unwrap(), raw);
        assert!(matches!(
            gunzip_limited(gz, limit - 1, &mut |_| {}),
            Err(IdxError::TooLarge { limit: l }) if l == limit - 1
        ));
    }
}
