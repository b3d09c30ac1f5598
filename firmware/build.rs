//! Puts `memory.x` on the linker's path and the model blob where `include_bytes!` finds it.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");

    // The blob to embed: $MODEL_BLOB, else the main job's output.
    println!("cargo:rerun-if-env-changed=MODEL_BLOB");
    let blob = env::var_os("MODEL_BLOB")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../out/model.bin"));
    println!("cargo:rerun-if-changed={}", blob.display());
    let bytes = fs::read(&blob).unwrap_or_else(|e| {
        panic!(
            "cannot read the model blob {}: {e}; run `cargo run -p converter --release` in the \
             workspace first or set MODEL_BLOB",
            blob.display()
        )
    });
    fs::write(out.join("model.bin"), bytes).expect("write model.bin");
}
