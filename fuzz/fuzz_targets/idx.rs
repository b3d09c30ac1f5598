//! IDX reading, as `converter dataset` does: `idx::gunzip_if_needed` (gzip or not), then
//! `idx::parse_images` and `idx::parse_labels`; parsed images are then encoded to a dataset
//! blob with made-up labels and read back by the runtime.
#![no_main]

use converter::idx;
use libfuzzer_sys::fuzz_target;
use runtime::{Dataset, DatasetEncoder, DatasetSpec};

fuzz_target!(|data: &[u8]| {
    let Ok(bytes) = idx::gunzip_if_needed(data.to_vec()) else {
        return;
    };
    assert!(bytes.len() as u64 <= idx::MAX_DECOMPRESSED);
    if let Ok(labels) = idx::parse_labels(&bytes) {
        assert!(labels.len() <= bytes.len());
    }
    let Ok(mut images) = idx::parse_images(&bytes) else {
        return;
    };
    let image_len = images.rows * images.cols;
    assert_eq!(images.pixels.len(), images.count * image_len);
    // Keep some images, as `--limit` does (the number derived from the data).
    let limit = usize::from(data.last().copied().unwrap_or(0)) % 8;
    images.truncate(limit);
    assert!(images.count <= limit);
    assert_eq!(images.pixels.len(), images.count * image_len);

    let labels: Vec<u8> = (0..images.count).map(|i| (i % 10) as u8).collect();
    let spec = DatasetSpec {
        rows: images.rows,
        cols: images.cols,
        classes: 10,
        images: &images.pixels,
        labels: &labels,
    };
    let Ok(encoder) = DatasetEncoder::new(&spec) else {
        return;
    };
    let mut blob = vec![0u8; encoder.encoded_len()];
    let written = encoder.emit(&mut blob).expect("emit into encoded_len bytes");
    assert_eq!(written, blob.len());
    let set = Dataset::from_bytes(&blob).expect("the runtime reads what the encoder wrote");
    assert_eq!(set.len(), images.count);
    assert_eq!(set.images(), images.pixels.as_slice());
    assert_eq!(set.labels(), labels.as_slice());
});
