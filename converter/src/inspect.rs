//! Describing a blob: kind, layers, sizes, checksum and the RAM the runtime needs.

use std::fmt::Write;
use std::path::Path;

use runtime::blob::Header;
use runtime::layout::{self, Kind};
use runtime::{Dataset, I8Out, Model, Params, WeightOrder};

use crate::error::Error;

/// A human-readable description of the blob in `bytes`, read from `path`.
///
/// # Errors
/// [`Error::Blob`] when the blob does not validate, with the reason (for a damaged blob,
/// the stored and computed checksums).
pub fn describe(path: &Path, bytes: &[u8]) -> Result<String, Error> {
    let blob_error = |source| Error::Blob {
        path: path.to_path_buf(),
        source,
    };
    let header = Header::read(bytes).map_err(blob_error)?;
    let kind = Kind::from_byte(header.kind).unwrap_or(Kind::Model);
    let mut out = String::new();
    match kind {
        Kind::Model => describe_model(&mut out, &Model::from_bytes(bytes).map_err(blob_error)?),
        Kind::Dataset => {
            describe_dataset(&mut out, &Dataset::from_bytes(bytes).map_err(blob_error)?)
        }
    }
    let crc = bytes
        .len()
        .checked_sub(layout::CHECKSUM_LEN)
        .map_or(0, |at| {
            u32::from_le_bytes(bytes[at..].try_into().unwrap_or_default())
        });
    let head = format!(
        "{}: {} blob, format version {}, {} bytes (header {}, manifest {}), checksum ok (crc32 {crc:#010x})\n",
        path.display(),
        kind.name(),
        header.version,
        bytes.len(),
        layout::HEADER_LEN,
        header.manifest_len,
    );
    Ok(head + &out)
}

fn describe_model(out: &mut String, model: &Model<'_>) {
    let _ = writeln!(
        out,
        "{:>5}  {:>7} {:>7}  {:<16} {:<9} {:>12}",
        "layer", "inputs", "outputs", "activation", "precision", "bytes"
    );
    for (n, layer) in (1..).zip(model.layers()) {
        let activation = match layer.activation() {
            runtime::Activation::LeakyRelu { slope } => format!("leaky_relu({slope})"),
            a => a.name().to_string(),
        };
        let params = layer.params();
        let _ = writeln!(
            out,
            "{n:>5}  {:>7} {:>7}  {activation:<16} {:<9} {:>12}",
            layer.inputs(),
            layer.outputs(),
            layer.precision().name(),
            params.byte_len(),
        );
        if let Params::I8(p) = params {
            let output = match p.output {
                I8Out::Table(r) => {
                    let zero_point = r.zero_point;
                    format!("256-entry {activation} table, index zero point {zero_point}")
                }
                I8Out::Dequantize { .. } => {
                    format!("dequantized to f32 per output channel, then {activation}")
                }
            };
            let order = match p.order {
                WeightOrder::InputMajor => "input-major",
                WeightOrder::OutputMajor => "output-major",
                WeightOrder::ColumnBlocks => "in column blocks",
            };
            let _ = writeln!(
                out,
                "       input scale {} zero point {}; weights {order}; output: {output}",
                p.input.scale, p.input.zero_point
            );
        }
    }
    let shape: Vec<String> = std::iter::once(model.input_len())
        .chain(model.layers().iter().map(|l| l.outputs()))
        .map(|n| n.to_string())
        .collect();
    let width = model.max_width();
    let _ = writeln!(
        out,
        "shape {}, {} parameters ({}), {} multiply-accumulates per input",
        shape.join("-"),
        model.parameter_count(),
        model.precision().name(),
        model.macs(),
    );
    let _ = writeln!(
        out,
        "runtime RAM: Runner::<{width}> scratch 2 x {width} x 4 = {} bytes; input and weights are read in place",
        2 * width * 4,
    );
}

fn describe_dataset(out: &mut String, dataset: &Dataset<'_>) {
    let mut per_class = vec![0usize; dataset.classes()];
    for &label in dataset.labels() {
        per_class[usize::from(label)] += 1;
    }
    let _ = writeln!(
        out,
        "{} images of {}x{} u8 pixels ({} bytes), {} classes",
        dataset.len(),
        dataset.rows(),
        dataset.cols(),
        dataset.images().len(),
        dataset.classes(),
    );
    let counts: Vec<String> = per_class
        .iter()
        .enumerate()
        .map(|(c, n)| format!("{c}:{n}"))
        .collect();
    let _ = writeln!(out, "images per class: {}", counts.join(" "));
}
