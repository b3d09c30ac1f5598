//! Help that teaches: every subcommand's `--help` ends with examples of itself; progress
//! stays off stderr when it is not a terminal, and `--quiet` is accepted everywhere.

mod common;

use common::data_dir;
use std::path::Path;
use std::process::{Command, Output};

const SUBCOMMANDS: [&str; 7] = [
    "model", "dataset", "inspect", "eval", "show", "predict", "fetch",
];

fn converter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_converter"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_subcommand_help_has_an_example_of_itself() {
    for sub in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let out = converter(&[sub, flag]);
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            let examples = text
                .split("Examples:\n")
                .nth(1)
                .unwrap_or_else(|| panic!("`converter {sub} {flag}` has no examples:\n{text}"));
            assert!(
                examples
                    .lines()
                    .any(|l| l.starts_with(&format!("  converter {sub} "))),
                "{text}"
            );
        }
    }
    let top = String::from_utf8(converter(&["--help"]).stdout).unwrap();
    assert!(top.contains("Examples:\n  converter "), "{top}");
    for sub in SUBCOMMANDS {
        assert!(
            top.contains(&format!("  {sub} ")),
            "{sub} missing from:\n{top}"
        );
    }
}

#[test]
fn no_progress_on_a_stderr_that_is_not_a_terminal_and_quiet_is_accepted() {
    let data = data_dir();
    let dir = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (model, test) = (
        s(&dir.path().join("model.bin")),
        s(&dir.path().join("test.bin")),
    );
    let runs: [Vec<String>; 4] = [
        vec![
            "model".into(),
            s(&data.join("sample_weight.pkl")),
            "-o".into(),
            model.clone(),
        ],
        vec![
            "dataset".into(),
            s(&data.join("t10k-images-idx3-ubyte.gz")),
            s(&data.join("t10k-labels-idx1-ubyte.gz")),
            "-o".into(),
            test.clone(),
            "--limit".into(),
            "500".into(),
        ],
        vec!["eval".into(), model.clone(), test.clone()],
        vec!["show".into(), test.clone(), "--index".into(), "3".into()],
    ];
    for args in &runs {
        for quiet in [false, true] {
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            if quiet {
                args.insert(0, "--quiet");
            }
            let out = converter(&args);
            assert!(out.status.success(), "{args:?}");
            assert!(
                out.stderr.is_empty(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty());
        }
    }
}

/// Runs the converter with a terminal as stderr (through util-linux `script`), returning
/// everything the terminal received.
fn on_a_terminal(args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_converter"));
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux `script` is needed to give the converter a terminal");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_is_drawn_on_a_terminal_unless_quiet() {
    let data = data_dir();
    let dir = tempfile::tempdir().unwrap();
    let args = format!(
        "dataset {} {} -o {}",
        data.join("t10k-images-idx3-ubyte.gz").display(),
        data.join("t10k-labels-idx1-ubyte.gz").display(),
        dir.path().join("test.bin").display()
    );
    let drawn = on_a_terminal(&args);
    assert!(drawn.contains("converting "), "{drawn:?}");
    assert!(
        drawn.contains("\u{1b}[2K"),
        "the spinner is not cleared: {drawn:?}"
    );
    let quiet = on_a_terminal(&format!("--quiet {args}"));
    assert!(!quiet.contains("converting "), "{quiet:?}");
    assert!(quiet.contains("wrote "), "{quiet:?}");
}
