//! The worked example in docs/blob-format.md is exactly what the encoder writes.

use runtime::ModelEncoder;

#[path = "../../runtime/examples/tiny_blob/layer.rs"]
mod layer;

#[test]
fn documented_hex_dump_matches_the_encoder() {
    let doc = std::fs::read_to_string(tests::workspace_root().join("docs/blob-format.md")).unwrap();
    let example = doc
        .split("## Worked example")
        .nth(1)
        .expect("worked example section");
    let dump: Vec<u8> = example
        .lines()
        .skip_while(|l| !l.starts_with("```text"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .flat_map(|l| l.split_once(": ").expect("offset: bytes").1.split(' '))
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    let encoder = ModelEncoder::new(&[layer::LAYER]).unwrap();
    let mut blob = vec![0; encoder.encoded_len()];
    encoder.emit(&mut blob).unwrap();
    assert_eq!(dump, blob);
}
