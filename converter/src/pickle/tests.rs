//! Tests of [`parse_weights`] on whole pickles, as Python and numpy write them.

mod fixtures;

use super::*;
use fixtures::*;

fn parse(bytes: &[u8]) -> WeightFile {
    match parse_weights(bytes) {
        Ok(file) => file,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn error(bytes: &[u8]) -> PickleError {
    match parse_weights(bytes) {
        Ok(file) => panic!("expected an error, got {file:?}"),
        Err(e) => e,
    }
}

fn array<'a>(file: &'a WeightFile, key: &str) -> &'a Array {
    file.arrays
        .get(key)
        .unwrap_or_else(|| panic!("no array {key} in {file:?}"))
}

/// `A = np.arange(6, dtype=np.float32).reshape(2, 3) + 0.5` in C order.
const A: [f32; 6] = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5];

fn assert_a(file: &WeightFile, key: &str) {
    let a = array(file, key);
    assert_eq!(a.shape, vec![2, 3]);
    assert_eq!(a.data, A);
}

#[test]
fn protocol_0_ordered_dict_with_text_opcodes() {
    let file = parse(P0_ORDERED);
    assert_a(&file, "W1");
    assert_eq!(array(&file, "b1").data, [0.5, -1.0]);
    assert_eq!(array(&file, "b1").shape, vec![2]);
    assert!(file.ignored.is_empty());
}

#[test]
fn python2_protocol_0_with_escaped_string_data() {
    let file = parse(P0_PY2);
    assert_eq!(array(&file, "W").shape, vec![2]);
    assert_eq!(array(&file, "W").data, [1.0, 2.0]);
}

#[test]
fn protocols_1_and_2() {
    assert_a(&parse(P1), "W");
    let file = parse(P2);
    assert_a(&file, "W");
    assert_eq!(array(&file, "b").data, [0.5, -1.0]);
    assert_eq!(file.arrays.len(), 2);
}

#[test]
fn protocol_2_ordered_dict() {
    let file = parse(P2_ORDERED);
    assert_a(&file, "W1");
    assert_eq!(array(&file, "b1").data, [0.25]);
}

#[test]
fn protocol_3_fortran_order_is_transposed_into_c_order() {
    // The bytes hold the columns: 0.5, 3.5, 1.5, 4.5, 2.5, 5.5.
    let payload: Vec<u8> = [0.5f32, 3.5, 1.5, 4.5, 2.5, 5.5]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert!(
        P3_FORTRAN
            .windows(payload.len())
            .any(|w| w == payload.as_slice())
    );
    assert_a(&parse(P3_FORTRAN), "W");
}

#[test]
fn fortran_order_of_rank_3() {
    let t = array(&parse(P4_FORTRAN_3D), "T").clone();
    assert_eq!(t.shape, vec![2, 3, 4]);
    let expected: Vec<f32> = (0..24u8).map(f32::from).collect();
    assert_eq!(t.data, expected);
}

#[test]
fn protocol_4_float64_big_endian_and_float16() {
    let file = parse(P4_DTYPES);
    let d = array(&file, "d");
    assert_eq!(d.shape, vec![2, 3]);
    assert_eq!(d.data, [0.1f32, -2.5, 3.0, 1e10, 0.0, -0.0]);
    assert_eq!(d.data[5].to_bits(), (-0.0f32).to_bits());
    let e = array(&file, "e");
    assert_eq!(e.data[0], 0.1f32);
    assert_eq!(
        e.data[1],
        f32::NEG_INFINITY,
        "float64 beyond f32 range becomes infinite, not an error"
    );
    let h = array(&file, "h");
    assert_eq!(
        h.data,
        [1.0, -2.0, 65504.0, 2f32.powi(-24), f32::INFINITY, 0.5]
    );
}

#[test]
fn protocol_5_frombuffer_fortran_and_big_endian() {
    let file = parse(P5);
    assert_a(&file, "W");
    assert_eq!(array(&file, "b").data, [1.0, -3.5]);
}

#[test]
fn byte_order_survives_a_shared_dtype_object() {
    // Both arrays share one '>f4' dtype: the second refers to the first through the memo.
    let file = parse(P3_SHARED_BE);
    assert_eq!(array(&file, "a").data, [1.0, 2.0]);
    assert_eq!(array(&file, "b").data, [-0.5, 4.0]);
}

#[test]
fn non_array_entries_are_ignored_and_described() {
    let file = parse(P4_IGNORED);
    assert_eq!(array(&file, "W").data, [1.0]);
    let ignored: Vec<(&str, &str)> = file
        .ignored
        .iter()
        .map(|i| (i.key.as_str(), i.found.as_str()))
        .collect();
    assert_eq!(
        ignored,
        [
            ("n", "an integer (3)"),
            ("s", "a string (\"hi\")"),
            ("l", "a list of 2 items"),
            ("x", "None"),
            ("f", "a float (0.5)"),
            ("z", "a numpy float32 scalar (2.5)"),
            ("t", "a bool (True)"),
        ]
    );
}

#[test]
fn unsupported_element_types_are_rejected_with_the_key() {
    let tail = "is not supported; weights must be float16, float32 or float64";
    for (bytes, head) in [
        (P4_INT, "W1: integer array (dtype int64)"),
        (P4_BOOL, "W1: boolean array (dtype bool)"),
        (P4_COMPLEX, "W1: complex array (dtype complex64)"),
        (P4_OBJECT, "W1: object array (dtype object)"),
    ] {
        assert_eq!(error(bytes).to_string(), format!("{head} {tail}"));
    }
    assert!(matches!(
        error(P4_INT),
        PickleError::UnsupportedDtype { key, category, dtype }
            if key == "W1" && category == "integer" && dtype == "int64"
    ));
}

#[test]
fn zero_dimensional_array_is_rejected() {
    let e = error(P4_ZERO_D);
    assert!(
        matches!(&e, PickleError::ZeroDimensional { key, dtype } if key == "b1" && dtype == "float32")
    );
    assert_eq!(
        e.to_string(),
        "b1: 0-d array (a single float32 value) is not supported; weights need at least one dimension"
    );
}

#[test]
fn size_mismatch_is_rejected() {
    let e = error(P4_SIZE_MISMATCH);
    assert_eq!(
        e.to_string(),
        "W1: the array data holds 8 bytes, but shape (3,) of float32 needs 12"
    );
}

#[test]
fn top_level_must_be_a_dict_with_string_keys() {
    assert_eq!(
        error(P4_LIST).to_string(),
        "the pickle holds a list of 1 item, not a dict of numpy arrays"
    );
    assert_eq!(
        error(P4_INT_KEY).to_string(),
        "a dictionary key is an integer (1), not a string"
    );
    assert_eq!(
        error(b"\x80\x04N.").to_string(),
        "the pickle holds None, not a dict of numpy arrays"
    );
}

#[test]
fn messages_stay_on_one_line() {
    // {'W\n': np.ones(1, np.int64)} and a corrupted global name, protocol 4.
    let mut bytes = P4_INT.to_vec();
    let at = bytes
        .windows(4)
        .position(|w| w == b"\x8c\x02W1")
        .expect("key in fixture");
    bytes[at + 3] = b'\n';
    assert!(error(&bytes).to_string().starts_with("W\\n: integer array"));
    let mut bytes = P4_INT.to_vec();
    let at = bytes
        .windows(5)
        .position(|w| w == b"dtype")
        .expect("dtype in fixture");
    bytes[at + 2] = b'\n';
    assert_eq!(
        error(&bytes).to_string(),
        "W1: malformed numpy array: its dtype is an object of type numpy.dt\\npe"
    );
}

#[test]
fn not_a_pickle() {
    assert_eq!(error(b""), PickleError::Empty);
    assert_eq!(error(GZIP), PickleError::Gzip);
    assert_eq!(
        error(GZIP).to_string(),
        "this is gzip data, not a pickle; decompress it first"
    );
    assert!(error(b"PK\x03\x04rest").to_string().contains(".npz"));
    assert!(error(b"\x93NUMPY\x01\x00").to_string().contains(".npy"));
    assert_eq!(
        error(b"<html>").to_string(),
        "this is not a pickle: it starts with bytes 3c 68 74 6d 6c 3e \
         (a pickle starts with 0x80 or a protocol 0/1 opcode)"
    );
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    for fixture in [P0_ORDERED, P0_PY2, P1, P2, P3_FORTRAN, P4_DTYPES, P5] {
        for len in 1..fixture.len() {
            let e = error(&fixture[..len]);
            assert!(
                matches!(e, PickleError::Truncated { .. }),
                "prefix of {len} bytes gave {e}"
            );
        }
    }
    assert_eq!(
        error(&P2[..P2.len() - 1]).to_string(),
        format!(
            "the pickle is truncated: its {} bytes end before the STOP opcode that ends a pickle",
            P2.len() - 1
        )
    );
    assert_eq!(
        error(&P3_FORTRAN[..100]).to_string(),
        "the pickle is truncated: its 100 bytes end inside the opcode at byte 95"
    );
}

#[test]
fn unsupported_features_and_bad_opcodes() {
    assert!(matches!(
        error(b"\x80\x06}."),
        PickleError::Unsupported { offset: 0, .. }
    ));
    assert!(
        error(b"\x80\x02X\x01\x00\x00\x00aQ.")
            .to_string()
            .contains("persistent IDs")
    );
    assert_eq!(
        error(b"\x80\x02}\xff.").to_string(),
        "malformed pickle at byte 3: unknown opcode 0xff"
    );
    assert_eq!(
        error(b"\x80\x02s.").to_string(),
        "malformed pickle at byte 2: the stack is empty"
    );
    assert_eq!(
        error(b"\x80\x02h\x05.").to_string(),
        "malformed pickle at byte 2: memo entry 5 is used before it is stored"
    );
}

#[test]
fn corrupted_pickles_never_panic() {
    for fixture in [P0_ORDERED, P2, P4_DTYPES, P5, P3_SHARED_BE] {
        for pos in 0..fixture.len() {
            for value in [0x00, 0x01, 0x7f, 0x80, 0xff, b'(', b'R', b'b', b'h', b'.'] {
                let mut bytes = fixture.to_vec();
                bytes[pos] = value;
                let _ = parse_weights(&bytes);
            }
        }
    }
    // Huge lengths and shapes.
    assert!(parse_weights(b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff.").is_err());
    let mut huge = P4_SIZE_MISMATCH.to_vec();
    let at = huge
        .windows(3)
        .position(|w| w == b"K\x03\x85")
        .expect("shape in fixture");
    huge.splice(
        at..at + 3,
        *b"J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\xff\xff\xff\x7f\x87",
    );
    assert!(matches!(
        error(&huge),
        PickleError::TooLarge { .. } | PickleError::SizeMismatch { .. }
    ));
}

/// `sample_weight.pkl` from the book: numpy 1.x, protocol 3, W1..W3 in Fortran order.
#[test]
fn reads_the_books_sample_weights() {
    let dir = std::env::var_os("CONVERTER_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
        });
    let path = dir.join("sample_weight.pkl");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set CONVERTER_DATA_DIR to the directory holding sample_weight.pkl)",
            path.display()
        )
    });
    let file = parse(&bytes);
    assert!(file.ignored.is_empty());
    let shapes: Vec<(&str, &[usize])> = file
        .arrays
        .iter()
        .map(|(k, a)| (k.as_str(), a.shape.as_slice()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("W1", &[784, 50][..]),
            ("W2", &[50, 100][..]),
            ("W3", &[100, 10][..]),
            ("b1", &[50][..]),
            ("b2", &[100][..]),
            ("b3", &[10][..]),
        ]
    );
    // Values from Python: pickle.load(open(path, 'rb'))[key][index].
    let at = |key: &str, row: usize, col: usize| {
        let a = array(&file, key);
        a.data[row * a.shape[1] + col]
    };
    assert_eq!(at("W1", 0, 0), -0.007412489);
    assert_eq!(at("W1", 1, 0), -0.01029745);
    assert_eq!(at("W1", 0, 1), -0.007904391);
    assert_eq!(at("W1", 783, 49), -0.040211476);
    assert_eq!(at("W2", 3, 7), -0.0023368273);
    assert_eq!(at("W3", 99, 9), 0.03177173);
    assert_eq!(array(&file, "b1").data[0], -0.067503154);
    assert_eq!(array(&file, "b3").data[9], 0.053233497);
    let sum: f64 = array(&file, "W1").data.iter().map(|&v| f64::from(v)).sum();
    assert!(
        (sum - 24.710748511527072).abs() < 1e-6,
        "sum of W1 is {sum}"
    );
}

#[test]
fn array_data_referenced_many_times_is_refused() {
    // P4_FORTRAN_3D is {'T': 24 values}, its array memo entry 11. Each added key `kNN`
    // refers to the same array (BINGET 11) for 8 bytes; copied, it adds 24 values.
    let with_keys = |n: usize| {
        let mut p = P4_FORTRAN_3D[..P4_FORTRAN_3D.len() - 1].to_vec();
        for i in 0..n {
            p.extend_from_slice(&[0x8c, 3]);
            p.extend_from_slice(format!("k{i:02}").as_bytes());
            p.extend_from_slice(b"h\x0bs");
        }
        p.push(b'.');
        p
    };
    let file = parse(&with_keys(10));
    assert_eq!(file.arrays.len(), 11);
    assert_eq!(array(&file, "k09").data, array(&file, "T").data);
    // 20 keys: 21 × 24 = 504 values from 415 bytes.
    let e = error(&with_keys(20));
    assert_eq!(
        e,
        PickleError::TooManyValues {
            key: "k16".into(),
            len: 415
        }
    );
    assert_eq!(
        e.to_string(),
        "k16: the arrays up to this key hold more than 415 values, one per byte of the \
         pickle; array data referenced many times is not supported"
    );
}
