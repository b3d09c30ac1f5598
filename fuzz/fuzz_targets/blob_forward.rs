//! Blob reading and the forward pass: `Model::from_bytes`, `Runner::forward` (with the
//! runtime's kernels, the host's and the host's for the model), `Dataset::from_bytes` and
//! `DatasetLayout::from_prefix` on any bytes.
//!
//! Each input is tried twice:
//! 1. as it is, so the envelope checks (length, checksum) see every kind of damage;
//! 2. "repaired": `total_len` set to the input's length and the trailing CRC-32 recomputed,
//!    so that mutations get past the checksum and reach the manifest, tensor and value checks
//!    (random bytes almost never carry a valid CRC).
//!
//! The blob is copied into a 16-byte-aligned buffer (as `runtime::Aligned` would hold it),
//! and once more at an odd address, where a model with `f32` tensors must be refused with
//! `Misaligned` rather than read (and anything accepted must run all the same).
#![no_main]

use libfuzzer_sys::fuzz_target;
use runtime::softmax::argmax;
use runtime::{Dataset, DatasetLayout, Model, Runner};

/// Scratch capacity of the runner: layers wider than this must be refused by `Runner::new`.
const CAPACITY: usize = 256;

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some(repaired) = repair(data) {
        if repaired != data {
            check(&repaired);
        }
    }
});

/// `data` with `total_len` set to its length and the trailing CRC-32 recomputed.
fn repair(data: &[u8]) -> Option<Vec<u8>> {
    let n = data.len();
    if n < 20 {
        return None;
    }
    let mut bytes = data.to_vec();
    let total = u32::try_from(n).ok()?;
    bytes[8..12].copy_from_slice(&total.to_le_bytes());
    let crc = runtime::checksum::crc32(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
    Some(bytes)
}

fn check(data: &[u8]) {
    // 16-byte-aligned copy.
    let mut aligned = vec![0u128; data.len().div_ceil(16)];
    let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut aligned);
    buf[..data.len()].copy_from_slice(data);
    let bytes = &buf[..data.len()];
    model(bytes, data);
    dataset(bytes);

    // The same bytes at an odd address: a model with f32 tensors must be refused
    // (`Misaligned`); whatever is accepted must still run without a panic.
    let mut odd = vec![0u128; (data.len() + 1).div_ceil(16)];
    let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut odd);
    buf[1..=data.len()].copy_from_slice(data);
    let bytes = &buf[1..=data.len()];
    model(bytes, data);
    dataset(bytes);
}

fn model(bytes: &[u8], data: &[u8]) {
    let _ = runtime::blob::blob_len(bytes);
    let Ok(model) = Model::from_bytes(bytes) else {
        return;
    };
    assert_eq!(model.blob_len(), bytes.len());
    assert!(!model.layers().is_empty());
    let _ = (model.parameter_count(), model.macs());
    for pair in model.layers().windows(2) {
        assert_eq!(pair[0].outputs(), pair[1].inputs());
    }
    for layer in model.layers() {
        assert!(layer.inputs() > 0 && layer.outputs() > 0);
    }

    let mut runner = match Runner::<CAPACITY>::new(&model) {
        Ok(runner) => runner,
        Err(e) => {
            assert!(model.max_width() > CAPACITY, "{e}");
            return;
        }
    };
    assert!(model.max_width() <= CAPACITY);
    let (in_len, out_len) = (model.input_len(), model.output_len());

    // Inputs derived from the data: pixels, bounded floats, and raw f32 bit patterns
    // (NaN and infinities included: they must not make the forward pass panic either).
    let byte = |i: usize| data.get(i % data.len().max(1)).copied().unwrap_or(0);
    let pixels: Vec<u8> = (0..in_len).map(|i| byte(i * 7 + 3)).collect();
    let floats: Vec<f32> = (0..in_len)
        .map(|i| (f32::from(byte(i * 5 + 1)) - 128.0) / 16.0)
        .collect();
    let raw: Vec<f32> = (0..in_len)
        .map(|i| f32::from_le_bytes([byte(4 * i), byte(4 * i + 1), byte(4 * i + 2), byte(4 * i + 3)]))
        .collect();

    let out = runner.forward(&pixels).expect("u8 input of input_len").to_vec();
    assert_eq!(out.len(), out_len);
    let out_f = runner.forward(&floats).expect("f32 input of input_len");
    assert_eq!(out_f.len(), out_len);
    let out_r = runner.forward(&raw).expect("f32 input of input_len");
    assert_eq!(out_r.len(), out_len);
    // `classify` may leave softmax out, but gives the class of `forward`'s outputs.
    let class_r = argmax(out_r).unwrap_or(0);
    assert!(class_r < out_len);
    assert_eq!(runner.classify(&raw).expect("f32 input"), class_r);
    assert_eq!(runner.classify(&pixels).expect("u8 input"), argmax(&out).unwrap_or(0));

    // The host's int8 kernels (`converter::host_kernels`, on CPUs with AVX-512 VNNI) give the
    // runtime's outputs bit for bit, for every model.
    let host = converter::host_kernels::HostKernels::detect();
    let mut on_host = Runner::<CAPACITY>::new(&model).expect("as above").with_kernels(host);
    let out_h = on_host.forward(&pixels).expect("u8 input of input_len");
    assert_eq!(out_h.len(), out.len());
    for (a, b) in out_h.iter().zip(&out) {
        assert!(a.to_bits() == b.to_bits(), "host kernels' output {a} differs from {b}");
    }
    // So do the kernels with the model's first layer interleaved (`converter eval`'s).
    let kernels = converter::model_kernels::ModelKernels::new(&model);
    let mut on_model = Runner::<CAPACITY>::new(&model).expect("as above").with_kernels(kernels);
    let out_m = on_model.forward(&pixels).expect("u8 input of input_len");
    for (a, b) in out_m.iter().zip(&out) {
        assert!(a.to_bits() == b.to_bits(), "model kernels' output {a} differs from {b}");
    }

    // Wrong lengths are errors, not panics.
    assert!(runner.forward(&pixels[..in_len - 1]).is_err());
    let mut longer = pixels.clone();
    longer.push(0);
    assert!(runner.forward(&longer).is_err());

    // A batch of two gives the same outputs as two single calls.
    let mut batch = pixels.clone();
    batch.extend_from_slice(&pixels);
    let mut outs = vec![0.0f32; 2 * out_len];
    runner.forward_batch(&batch, &mut outs).expect("batch of 2");
    for (a, b) in outs.chunks_exact(out_len).flat_map(|c| c.iter().zip(&out)) {
        assert!(a.to_bits() == b.to_bits(), "batch output {a} differs from single {b}");
    }
    // A whole panel of 32 images (each the pixels turned by its index) takes the batch
    // path, with the model kernels too: each gives the class of the image alone.
    let panel: Vec<u8> = (0..32)
        .flat_map(|k| {
            let mut image = pixels.clone();
            image.rotate_left(k % in_len);
            image
        })
        .collect();
    let alone: Vec<usize> = panel
        .chunks_exact(in_len)
        .map(|image| runner.classify(image).expect("u8 input"))
        .collect();
    let mut in_panel = vec![usize::MAX; 32];
    on_model.classify_batch(&panel, &mut in_panel).expect("classify batch of 32");
    assert_eq!(in_panel, alone, "panel classes differ from single images'");
    runner.classify_batch(&panel, &mut in_panel).expect("classify batch of 32");
    assert_eq!(in_panel, alone, "panel classes differ from single images'");
    let mut classes = [0usize; 2];
    runner.classify_batch(&batch, &mut classes).expect("classify batch of 2");
    assert!(classes.iter().all(|&c| c < out_len));
    assert!(runner.forward_batch(&longer, &mut outs).is_err());
    assert!(runner.classify_batch(&batch, &mut classes[..1]).is_err());
}

fn dataset(bytes: &[u8]) {
    if let Ok(layout) = DatasetLayout::from_prefix(bytes) {
        assert!(layout.images.end <= layout.labels.start || layout.labels.end <= layout.images.start);
        assert!(layout.images.end <= layout.total_len && layout.labels.end <= layout.total_len);
    }
    // A prefix cut inside the blob: Truncated or a layout, never a panic.
    let cut = bytes.len() / 2;
    let _ = DatasetLayout::from_prefix(&bytes[..cut]);

    let Ok(set) = Dataset::from_bytes(bytes) else {
        return;
    };
    let layout = DatasetLayout::from_prefix(bytes).expect("a valid dataset has a valid layout");
    assert_eq!(layout.count, set.len());
    assert_eq!(layout.total_len, bytes.len());
    assert_eq!(set.images().len(), set.len() * set.image_len());
    assert_eq!(set.labels().len(), set.len());
    assert_eq!(set.image_len(), set.rows() * set.cols());
    assert_eq!(set.is_empty(), set.len() == 0);
    let mut seen = 0;
    for (image, label) in set.iter() {
        assert_eq!(image.len(), set.image_len());
        assert!(usize::from(label) < set.classes());
        seen += 1;
    }
    assert_eq!(seen, set.len());
    assert!(set.get(set.len()).is_none());
    if !set.is_empty() {
        assert!(set.get(set.len() - 1).is_some());
    }
}
