//! The validated dataset view: labelled `u8` images read in place from the blob.

use crate::blob::Envelope;
use crate::error::{FormatError, TensorName};
use crate::layout::Kind;
use crate::manifest::{DatasetManifest, ElementType};
use crate::tensor::TensorCursor;

/// A dataset blob that passed every check, viewed in place.
///
/// After [`Dataset::from_bytes`] succeeds no accessor panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dataset<'a> {
    images: &'a [u8],
    labels: &'a [u8],
    rows: usize,
    cols: usize,
    classes: usize,
}

impl<'a> Dataset<'a> {
    /// Validates a dataset blob and views it in place.
    ///
    /// # Errors
    /// Any [`FormatError`] of the envelope, a manifest whose tensors do not match
    /// `count × rows × cols` pixels and `count` labels, or a label not below `classes`.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let envelope = Envelope::open(bytes, Kind::Dataset)?;
        let manifest: DatasetManifest = envelope.decode()?;
        let (images, labels) =
            check_manifest(&manifest, envelope.payload_start(), envelope.payload_end)?;
        let images = bytes.get(images).ok_or(FormatError::TooLarge)?;
        let labels = bytes.get(labels).ok_or(FormatError::TooLarge)?;
        let classes = manifest.classes as usize;
        check_labels(labels, classes)?;
        Ok(Dataset {
            images,
            labels,
            rows: manifest.rows as usize,
            cols: manifest.cols as usize,
            classes,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dataset holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image height in pixels.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Image width in pixels.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels per image.
    pub fn image_len(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of classes; every label is below it.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// All pixels, image after image.
    pub fn images(&self) -> &'a [u8] {
        self.images
    }

    /// All labels.
    pub fn labels(&self) -> &'a [u8] {
        self.labels
    }

    /// The dataset without its first `n` images (empty if it has fewer).
    pub fn skip(&self, n: usize) -> Dataset<'a> {
        let n = n.min(self.len());
        Dataset {
            images: self.images.get(n * self.image_len()..).unwrap_or(&[]),
            labels: self.labels.get(n..).unwrap_or(&[]),
            ..*self
        }
    }

    /// Image `index` and its label, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<(&'a [u8], u8)> {
        let label = *self.labels.get(index)?;
        let start = index.checked_mul(self.image_len())?;
        let image = self
            .images
            .get(start..start.checked_add(self.image_len())?)?;
        Some((image, label))
    }

    /// Every image with its label, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a [u8], u8)> + 'a {
        // A zero-pixel image cannot pass validation, so the chunk size is never 0.
        let chunk = self.image_len().max(1);
        self.images
            .chunks_exact(chunk)
            .zip(self.labels.iter().copied())
    }
}

/// Where the parts of a dataset blob lie, learnt from its first bytes.
///
/// For datasets too large for memory (the MNIST test set is 7.8 MB): read the header and
/// manifest, then stream the images and labels, feeding every byte to a
/// [`Crc32Stream`](crate::checksum::Crc32Stream) and comparing with the trailing checksum.
/// Labels are not checked against `classes` here; the reader of the stream must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetLayout {
    /// Number of images.
    pub count: usize,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Number of classes.
    pub classes: usize,
    /// Byte range of the pixels.
    pub images: core::ops::Range<usize>,
    /// Byte range of the labels.
    pub labels: core::ops::Range<usize>,
    /// Length of the whole blob; the checksum is its last 4 bytes.
    pub total_len: usize,
}

impl DatasetLayout {
    /// Reads the layout from the blob's first bytes, which must include the manifest
    /// (`16 + manifest_len` bytes, see [`Header`](crate::blob::Header)).
    ///
    /// # Errors
    /// The [`FormatError`]s of [`Dataset::from_bytes`] that the header and manifest alone
    /// can show; [`FormatError::Truncated`] when `prefix` ends inside the manifest.
    pub fn from_prefix(prefix: &[u8]) -> Result<Self, FormatError> {
        let envelope = Envelope::open_prefix(prefix, Kind::Dataset)?;
        let manifest: DatasetManifest = envelope.decode()?;
        let (images, labels) =
            check_manifest(&manifest, envelope.payload_start(), envelope.payload_end)?;
        Ok(DatasetLayout {
            count: manifest.count as usize,
            rows: manifest.rows as usize,
            cols: manifest.cols as usize,
            classes: manifest.classes as usize,
            images,
            labels,
            total_len: envelope.payload_end + crate::layout::CHECKSUM_LEN,
        })
    }
}

/// Checks the tensors against the payload and returns their byte ranges.
pub(crate) fn check_manifest(
    manifest: &DatasetManifest,
    payload_start: usize,
    payload_end: usize,
) -> Result<(core::ops::Range<usize>, core::ops::Range<usize>), FormatError> {
    let count = manifest.count as usize;
    let pixels = (manifest.rows as usize)
        .checked_mul(manifest.cols as usize)
        .and_then(|p| p.checked_mul(count))
        .ok_or(FormatError::TooLarge)?;
    if manifest.rows == 0 || manifest.cols == 0 {
        return Err(FormatError::EmptyImage);
    }
    let mut cursor = TensorCursor::new(payload_start, payload_end);
    let images = cursor.take(
        &manifest.images,
        TensorName::Images,
        ElementType::U8,
        pixels,
    )?;
    let labels = cursor.take(&manifest.labels, TensorName::Labels, ElementType::U8, count)?;
    Ok((images, labels))
}

/// Fails on the first label that is not below `classes`.
pub(crate) fn check_labels(labels: &[u8], classes: usize) -> Result<(), FormatError> {
    match labels.iter().position(|&l| usize::from(l) >= classes) {
        Some(index) => Err(FormatError::LabelOutOfRange {
            index,
            label: labels[index],
            classes,
        }),
        None => Ok(()),
    }
}
