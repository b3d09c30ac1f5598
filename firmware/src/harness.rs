//! The test harness: streams the dataset blob from the host, has every image classified,
//! and compares the classes with the labels and with the host's predictions.

use core::fmt;

use runtime::blob::Header;
use runtime::layout::{CHECKSUM_LEN, HEADER_LEN};
use runtime::{DatasetLayout, FormatError};

use crate::stream::Stream;

/// Most images the harness keeps labels and predictions for.
pub const MAX_IMAGES: usize = 10_000;
/// Images read from the host per semihosting call.
const CHUNK_IMAGES: usize = 100;
/// Largest image, in pixels.
pub const MAX_IMAGE_LEN: usize = 1024;

/// Why the run failed.
#[derive(Debug)]
pub enum Failure {
    /// A host file could not be read.
    Host(&'static str, &'static str),
    /// The model or dataset blob is invalid.
    Blob(&'static str, FormatError),
    /// The model cannot run on this dataset or with this scratch capacity.
    Model(&'static str),
    /// The streamed dataset's checksum does not match.
    Checksum {
        /// Checksum stored in the blob.
        stored: u32,
        /// Checksum of the streamed bytes.
        computed: u32,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Host(file, what) => write!(f, "{file}: {what}"),
            Failure::Blob(file, e) => write!(f, "{file}: {e}"),
            Failure::Model(what) => f.write_str(what),
            Failure::Checksum { stored, computed } => write!(
                f,
                "{DATASET}: checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
        }
    }
}

/// The dataset blob, relative to QEMU's working directory.
pub const DATASET: &str = "dataset.bin";
/// The host's predicted class per image, one byte each (`converter eval --predictions`).
pub const HOST_PREDICTIONS: &str = "host-predictions.u8";

/// What the whole-set run found.
pub struct Outcome {
    /// Images classified.
    pub total: usize,
    /// Images whose class equals their label.
    pub correct: usize,
    /// Images the host classified correctly.
    pub host_correct: usize,
    /// Images whose class equals the host's.
    pub agree: usize,
    /// First image whose class differs from the host's.
    pub first_disagreement: Option<usize>,
}

/// Streams the dataset and calls `classify(index, image)` for every image.
pub fn run(
    image_len: usize,
    classify: &mut dyn FnMut(usize, &[u8]) -> Result<u8, Failure>,
) -> Result<Outcome, Failure> {
    let host = |what| Failure::Host(DATASET, what);
    let mut stream = Stream::open(c"dataset.bin").map_err(host)?;
    let mut head = [0u8; 256];
    stream.read(&mut head[..HEADER_LEN]).map_err(host)?;
    let header = Header::read(&head).map_err(|e| Failure::Blob(DATASET, e))?;
    let prefix_len = HEADER_LEN + header.manifest_len as usize;
    let prefix = head
        .get_mut(..prefix_len)
        .ok_or(Failure::Model("dataset manifest larger than 240 bytes"))?;
    stream.read(&mut prefix[HEADER_LEN..]).map_err(host)?;
    let layout = DatasetLayout::from_prefix(prefix).map_err(|e| Failure::Blob(DATASET, e))?;
    if layout.count > MAX_IMAGES {
        return Err(Failure::Model(
            "dataset has more images than the harness keeps",
        ));
    }
    if layout.rows * layout.cols != image_len {
        return Err(Failure::Model(
            "dataset images do not match the model's input",
        ));
    }

    let chunk = cortex_m::singleton!(: [u8; CHUNK_IMAGES * MAX_IMAGE_LEN] = [0; CHUNK_IMAGES * MAX_IMAGE_LEN])
        .ok_or(Failure::Model("harness started twice"))?;
    let predictions = cortex_m::singleton!(: [u8; MAX_IMAGES] = [0; MAX_IMAGES])
        .ok_or(Failure::Model("harness started twice"))?;
    let labels = cortex_m::singleton!(: [u8; MAX_IMAGES] = [0; MAX_IMAGES])
        .ok_or(Failure::Model("harness started twice"))?;

    stream.skip_to(layout.images.start).map_err(host)?;
    let mut done = 0;
    while done < layout.count {
        let n = CHUNK_IMAGES.min(layout.count - done);
        let bytes = &mut chunk[..n * image_len];
        stream.read(bytes).map_err(host)?;
        for (i, image) in bytes.chunks_exact(image_len).enumerate() {
            predictions[done + i] = classify(done + i, image)?;
        }
        done += n;
    }
    let (predictions, labels) = (&predictions[..done], &mut labels[..done]);
    stream.skip_to(layout.labels.start).map_err(host)?;
    stream.read(labels).map_err(host)?;
    stream
        .skip_to(layout.total_len - CHECKSUM_LEN)
        .map_err(host)?;
    let computed = stream.crc();
    let mut stored = [0u8; CHECKSUM_LEN];
    stream.read(&mut stored).map_err(host)?;
    let stored = u32::from_le_bytes(stored);
    if stored != computed {
        return Err(Failure::Checksum { stored, computed });
    }

    let host_predictions = &mut chunk[..done];
    let host_file = |what| Failure::Host(HOST_PREDICTIONS, what);
    Stream::open(c"host-predictions.u8")
        .map_err(host_file)?
        .read(host_predictions)
        .map_err(host_file)?;
    let matches = |a: &[u8], b: &[u8]| a.iter().zip(b).filter(|(x, y)| x == y).count();
    Ok(Outcome {
        total: done,
        correct: matches(predictions, labels),
        host_correct: matches(host_predictions, labels),
        agree: matches(predictions, host_predictions),
        first_disagreement: predictions
            .iter()
            .zip(host_predictions.iter())
            .position(|(a, b)| a != b),
    })
}
