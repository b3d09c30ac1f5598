//! The runtime's dependency tree holds only `no_std` crates, with no `std` or `alloc`
//! feature switched on.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates known to build without `std` in the configuration the runtime uses.
const NO_STD_CRATES: &[&str] = &[
    "runtime",
    "bytemuck",
    "byteorder",
    "cobs",
    "crc",
    "crc-catalog",
    "hash32",
    "heapless",
    "libm",
    "postcard",
    "serde",
    "serde_core",
    "stable_deref_trait",
    "thiserror",
];

/// Crates whose default features are `no_std` (for the others `default` means `std`).
const DEFAULT_IS_NO_STD: &[&str] = &["crc-catalog", "hash32"];

#[test]
fn runtime_depends_only_on_no_std_crates_without_std_features() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "runtime",
            "-e",
            "normal,features,no-proc-macro",
        ])
        .args(["--prefix", "none", "--offline"])
        .current_dir(tests::workspace_root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let mut crates = BTreeSet::new();
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        crates.insert(name.to_string());
        if let Some((_, feature)) = line.split_once(" feature \"") {
            let feature = feature.split('"').next().unwrap_or_default();
            let allowed = match feature {
                "std" | "alloc" | "use-std" => false,
                "default" => DEFAULT_IS_NO_STD.contains(&name),
                _ => true,
            };
            assert!(allowed, "{name} has feature {feature:?} enabled");
        }
    }
    let unexpected: Vec<_> = crates
        .iter()
        .filter(|c| !NO_STD_CRATES.contains(&c.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "not known to be no_std: {unexpected:?}"
    );
    for expected in ["postcard", "libm", "crc", "heapless", "bytemuck"] {
        assert!(crates.contains(expected), "{expected} missing from\n{tree}");
    }
}
