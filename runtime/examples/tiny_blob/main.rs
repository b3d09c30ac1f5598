//! Prints the worked example of `docs/blob-format.md`: a one-layer model blob as a hex dump.
//!
//! `cargo run -p runtime --example tiny_blob`

use runtime::ModelEncoder;

mod layer;

use layer::LAYER;

fn main() -> Result<(), runtime::EmitError> {
    let encoder = ModelEncoder::new(&[LAYER])?;
    let mut blob = vec![0; encoder.encoded_len()];
    encoder.emit(&mut blob)?;
    for (row, chunk) in blob.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        println!("{:04x}: {}", row * 16, hex.join(" "));
    }
    Ok(())
}
