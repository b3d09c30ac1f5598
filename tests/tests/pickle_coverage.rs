//! Every pickle a user can hand us (issue 4, "Pickle coverage").
//!
//! The fixtures in `converter/tests/fixtures/pickles/` are written by
//! `reference/make_pickle_fixtures.py` with numpy 1.x and 2.x: one tiny network in every
//! combination of protocol (2-5), dtype (float32/64/16), byte order and C/Fortran order, an
//! `OrderedDict` with extra entries per protocol, and one file per rejection class. The
//! book's weights are re-saved by the same script at test time, in every combination, with
//! `python3` and with `$NUMPY1_PYTHON` (a Python with numpy<2; required when `CI=true`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use converter::Error;
use converter::blobfile::BlobBuf;
use converter::convert::{self, Activations, ModelBlob};
use converter::network::DenseParams;
use converter::pickle::PickleError;
use runtime::{Dataset, Model, Runner};
use tests::{book_model, data_dir, mnist_test, workspace_root};

const FIXTURES: &str = "converter/tests/fixtures/pickles";
const SCRIPT: &str = "reference/make_pickle_fixtures.py";
const MAJORS: [u32; 2] = [1, 2];
const PROTOCOLS: [u32; 4] = [2, 3, 4, 5];
const TINY_DTYPES: [&str; 3] = ["f32", "f64", "f16"];
const BOOK_DTYPES: [&str; 2] = ["f32", "f64"];
const BYTE_ORDERS: [&str; 2] = ["le", "be"];
const LAYOUTS: [&str; 2] = ["c", "f"];
/// The rejection classes, as named in the fixtures: `bad-np{MAJOR}-{class}.pkl`.
const BAD: [&str; 7] = [
    "object",
    "int64",
    "complex64",
    "zero-d",
    "bool",
    "list",
    "gzip",
];

fn fixture_dir() -> PathBuf {
    workspace_root().join(FIXTURES)
}

/// The script's `value(array, k)`: element `k` (flat, C order) of array number `array`
/// (W1, b1, W2, b2 = 0, 1, 2, 3), a multiple of 1/8 and so exact in every float type.
fn value(array: usize, k: usize) -> f32 {
    let eighths = i32::try_from(16 * array + 3 * k).unwrap() - 7;
    i16::try_from(eighths).map(f32::from).unwrap() / 8.0
}

/// The tiny network of the fixtures: W1 4x3, b1 3, W2 3x2, b2 2.
fn tiny_layers() -> Vec<DenseParams> {
    let layer = |number: usize, inputs: usize, outputs: usize| DenseParams {
        inputs,
        outputs,
        weights: (0..inputs * outputs).map(|k| value(number, k)).collect(),
        bias: (0..outputs).map(|k| value(number + 1, k)).collect(),
    };
    vec![layer(0, 4, 3), layer(2, 3, 2)]
}

fn convert(path: &Path) -> Result<ModelBlob, Error> {
    convert::model_blob(path, &Activations::default())
}

/// The `.pkl` file names in a directory, sorted.
fn pickles(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".pkl"))
        .collect();
    names.sort();
    names
}

/// `np{major}-{prefix}p{protocol}-...` → (major, protocol).
fn major_and_protocol(name: &str, prefix: &str) -> (u32, u32) {
    let parse = || {
        let rest = name.strip_prefix("np")?;
        let (major, rest) = rest.split_once('-')?;
        let rest = rest.strip_prefix(prefix)?.strip_prefix('p')?;
        let (protocol, _) = rest.split_once('-')?;
        Some((major.parse().ok()?, protocol.parse().ok()?))
    };
    parse().unwrap_or_else(|| panic!("{name}: not named np{{MAJOR}}-{prefix}p{{P}}-..."))
}

/// Checks that the pickle is what its name says: its protocol, and the numpy module path
/// and array constructor numpy `major` pickles arrays through with `protocol`.
fn check_writer(name: &str, bytes: &[u8], major: u32, protocol: u32) {
    assert_eq!(
        bytes[..2],
        [0x80, u8::try_from(protocol).unwrap()],
        "{name}: protocol"
    );
    let contains = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    let core = if major == 1 {
        "numpy.core"
    } else {
        "numpy._core"
    };
    let other = if major == 1 {
        "numpy._core"
    } else {
        "numpy.core"
    };
    let constructor = if protocol == 5 {
        "numeric\n_frombuffer"
    } else {
        "multiarray\n_reconstruct"
    };
    // Protocols 2 and 3 write `GLOBAL module\nname`; 4 and 5 push the two strings
    // separately (STACK_GLOBAL), so look for each.
    let (module_suffix, function) = constructor.split_once('\n').unwrap();
    if protocol <= 3 {
        assert!(contains(&format!("{core}.{constructor}")), "{name}");
    } else {
        assert!(contains(&format!("{core}.{module_suffix}")), "{name}");
        assert!(contains(function), "{name}");
    }
    assert!(!contains(other), "{name}: written by the other numpy");
    if protocol == 5 {
        assert!(
            !contains("_reconstruct"),
            "{name}: protocol 5 without _frombuffer"
        );
    }
}

#[test]
fn tiny_network_in_every_combination_from_numpy_1_and_2() {
    let dir = fixture_dir();
    let expected_layers = tiny_layers();
    let mut expected_names = BTreeSet::new();
    for major in MAJORS {
        for protocol in PROTOCOLS {
            for dtype in TINY_DTYPES {
                for order in BYTE_ORDERS {
                    for layout in LAYOUTS {
                        expected_names.insert(format!(
                            "np{major}-p{protocol}-{dtype}-{order}-{layout}.pkl"
                        ));
                    }
                }
            }
            expected_names.insert(format!("np{major}-p{protocol}-ordereddict-extras.pkl"));
        }
    }
    let names: Vec<String> = pickles(&dir)
        .into_iter()
        .filter(|n| n.starts_with("np"))
        .collect();
    let mut per_writer: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut first_blob: Option<Vec<u8>> = None;
    for name in &names {
        assert!(
            expected_names.contains(name),
            "{name}: unexpected fixture (not written by {SCRIPT})"
        );
        let (major, protocol) = major_and_protocol(name, "");
        *per_writer.entry((major, protocol)).or_default() += 1;
        let path = dir.join(name);
        check_writer(name, &std::fs::read(&path).unwrap(), major, protocol);
        let blob = convert(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(blob.layers, expected_layers, "{name}");
        assert!(
            blob.unused_arrays.is_empty(),
            "{name}: {:?}",
            blob.unused_arrays
        );
        if name.ends_with("ordereddict-extras.pkl") {
            let ignored: Vec<(&str, &str)> = blob
                .ignored
                .iter()
                .map(|i| (i.key.as_str(), i.found.as_str()))
                .collect();
            assert_eq!(
                ignored,
                [
                    ("epochs", "an integer (20)"),
                    ("learning_rate", "a float (0.125)"),
                    ("note", "a string (\"trained in chapter 4\")"),
                    ("loss_history", "a list of 3 items"),
                    ("optimizer", "None"),
                ],
                "{name}"
            );
        } else {
            assert!(blob.ignored.is_empty(), "{name}: {:?}", blob.ignored);
        }
        // Same layers, same activations: the same blob, whatever wrote the pickle.
        match &first_blob {
            Some(first) => assert!(*first == blob.bytes, "{name}: blob differs"),
            None => first_blob = Some(blob.bytes),
        }
    }
    let expected_counts: BTreeMap<(u32, u32), usize> = MAJORS
        .iter()
        .flat_map(|&m| PROTOCOLS.iter().map(move |&p| ((m, p), 13)))
        .collect();
    assert_eq!(
        per_writer, expected_counts,
        "fixtures per (numpy major, protocol): 12 dtype/order/layout combinations + 1 OrderedDict; \
         regenerate with {SCRIPT} under numpy 1 and 2"
    );

    // The blob runs: one forward pass against a plain f64 reference.
    let buf = BlobBuf::from_slice(first_blob.as_deref().unwrap());
    let model = Model::from_bytes(buf.bytes()).unwrap();
    let mut runner = Runner::<3>::new(&model).unwrap();
    let input = [1.0f32, -0.5, 0.25, 2.0];
    let got = runner.forward(&input).unwrap().to_vec();
    let want = reference_forward(&expected_layers, &input);
    for (g, w) in got.iter().zip(&want) {
        assert!((f64::from(*g) - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

/// Sigmoid hidden layers and a softmax output, in f64.
fn reference_forward(layers: &[DenseParams], input: &[f32]) -> Vec<f64> {
    let mut x: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
    for (n, layer) in layers.iter().enumerate() {
        let z: Vec<f64> = (0..layer.outputs)
            .map(|o| {
                f64::from(layer.bias[o])
                    + (0..layer.inputs)
                        .map(|i| f64::from(layer.weights[i * layer.outputs + o]) * x[i])
                        .sum::<f64>()
            })
            .collect();
        x = if n + 1 < layers.len() {
            z.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect()
        } else {
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            e.iter().map(|v| v / sum).collect()
        };
    }
    x
}

/// The error a rejection fixture gives; its message must be one line naming the file.
fn rejection(name: &str) -> (PickleError, String) {
    let path = fixture_dir().join(name);
    match convert(&path) {
        Ok(_) => panic!("{name}: converted, but must be rejected"),
        Err(err @ Error::Pickle { .. }) => {
            let message = err.to_string();
            assert!(!message.contains('\n'), "{name}: {message:?}");
            assert!(message.contains(name), "{name}: {message}");
            let Error::Pickle { source, .. } = err else {
                unreachable!()
            };
            (source, message)
        }
        Err(other) => panic!("{name}: expected a pickle error, got {other:?}"),
    }
}

#[test]
fn every_rejection_class_names_the_key_and_what_was_found() {
    let names: BTreeSet<String> = pickles(&fixture_dir())
        .into_iter()
        .filter(|n| n.starts_with("bad-"))
        .collect();
    let expected: BTreeSet<String> = MAJORS
        .iter()
        .flat_map(|m| {
            BAD.iter()
                .map(move |class| format!("bad-np{m}-{class}.pkl"))
        })
        .collect();
    assert_eq!(names, expected, "rejection fixtures");

    for major in MAJORS {
        let bad = |class: &str| rejection(&format!("bad-np{major}-{class}.pkl"));
        let unsupported = |class: &str, want_key: &str, want_dtype: &str, want_category: &str| {
            let (error, message) = bad(class);
            match error {
                PickleError::UnsupportedDtype {
                    key,
                    dtype,
                    category,
                } => {
                    assert_eq!(
                        (key.as_str(), dtype.as_str(), category.as_str()),
                        (want_key, want_dtype, want_category),
                        "{message}"
                    );
                }
                other => panic!("{class}: expected UnsupportedDtype, got {other:?}"),
            }
            for part in [
                format!("{want_key}: "),
                format!("(dtype {want_dtype})"),
                "float16, float32 or float64".into(),
            ] {
                assert!(message.contains(&part), "{message} lacks {part:?}");
            }
        };
        unsupported("object", "W2", "object", "object");
        unsupported("int64", "W1", "int64", "integer");
        unsupported("complex64", "b1", "complex64", "complex");
        unsupported("bool", "W1", "bool", "boolean");

        let (error, message) = bad("zero-d");
        assert!(
            matches!(&error, PickleError::ZeroDimensional { key, dtype } if key == "b2" && dtype == "float32"),
            "{error:?}"
        );
        assert!(
            message.contains("b2: 0-d array (a single float32 value)"),
            "{message}"
        );

        let (error, message) = bad("list");
        assert!(
            matches!(&error, PickleError::NotADict { found } if found == "a list of 4 items"),
            "{error:?}"
        );
        assert!(
            message.contains("holds a list of 4 items, not a dict"),
            "{message}"
        );

        let (error, message) = bad("gzip");
        assert_eq!(error, PickleError::Gzip);
        assert!(message.contains("gzip data, not a pickle"), "{message}");
    }
}

/// The Pythons to re-save the book's weights with: `python3`, and `$NUMPY1_PYTHON` (numpy<2)
/// when set. Under CI (`CI=true`) the numpy 1 interpreter is required.
fn interpreters() -> Vec<(String, Option<u32>)> {
    let mut list = vec![("python3".to_owned(), None)];
    match std::env::var("NUMPY1_PYTHON") {
        Ok(python) if !python.is_empty() => list.push((python, Some(1))),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but NUMPY1_PYTHON is not set: point it at a Python with numpy<2 \
                 (python3 -m venv /tmp/np1 && /tmp/np1/bin/pip install 'numpy<2'; \
                 NUMPY1_PYTHON=/tmp/np1/bin/python) so the book's weights are also re-saved by numpy 1"
            );
            eprintln!(
                "note: NUMPY1_PYTHON is not set; the book's weights are re-saved by python3's numpy only"
            );
        }
    }
    list
}

/// Classifies the MNIST test set with a converted blob.
fn correct(blob: &[u8]) -> usize {
    let buf = BlobBuf::from_slice(blob);
    let model = Model::from_bytes(buf.bytes()).unwrap();
    let dataset = Dataset::from_bytes(mnist_test().bytes()).unwrap();
    let mut runner = Runner::<100>::new(&model).unwrap();
    assert_eq!(dataset.len(), 10000);
    dataset
        .iter()
        .filter(|(image, label)| runner.classify(image).unwrap() == usize::from(*label))
        .count()
}

/// Combinations classified in full (the others are compared with the book's blob bit for
/// bit, which gives the same 9352 as `parity.rs` classifies).
const CLASSIFIED: [&str; 2] = ["p2-f64-be-f", "p5-f32-le-c"];

#[test]
fn book_weights_resaved_in_every_combination_give_9352() {
    let book = book_model().bytes();
    let mut majors = BTreeSet::new();
    for (python, want_major) in interpreters() {
        let out = tempfile::tempdir().unwrap();
        let status = Command::new(&python)
            .arg(workspace_root().join(SCRIPT))
            .arg("--book")
            .arg(data_dir())
            .arg(out.path())
            .status()
            .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
        assert!(status.success(), "{python} {SCRIPT} --book failed");
        let names = pickles(out.path());
        assert_eq!(names.len(), 32, "{python}: {names:?}");
        let (major, _) = major_and_protocol(&names[0], "book-");
        if let Some(want) = want_major {
            assert_eq!(
                major, want,
                "{python} runs numpy {major}, expected numpy {want}"
            );
        }
        majors.insert(major);
        let mut expected = BTreeSet::new();
        for protocol in PROTOCOLS {
            for dtype in BOOK_DTYPES {
                for order in BYTE_ORDERS {
                    for layout in LAYOUTS {
                        expected.insert(format!(
                            "np{major}-book-p{protocol}-{dtype}-{order}-{layout}.pkl"
                        ));
                    }
                }
            }
        }
        assert_eq!(names.iter().cloned().collect::<BTreeSet<_>>(), expected);
        for name in &names {
            let path = out.path().join(name);
            let (_, protocol) = major_and_protocol(name, "book-");
            check_writer(name, &std::fs::read(&path).unwrap(), major, protocol);
            let blob = convert(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(blob.layers.len(), 3, "{name}");
            assert!(blob.bytes == book, "{name}: blob differs from the book's");
            if CLASSIFIED.iter().any(|c| name.contains(c)) {
                assert_eq!(correct(&blob.bytes), 9352, "{name}");
            }
        }
    }
    eprintln!("book weights re-saved and verified with numpy {majors:?}");
}
