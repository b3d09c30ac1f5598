//! Reading numpy-pickled weight dictionaries.
//!
//! [`parse_weights`] reads a pickled `dict` (or `collections.OrderedDict`) whose values are
//! numpy arrays, as written by `pickle.dump` with any protocol from 0 to 5 and by numpy 1.x
//! or 2.x, and returns every floating-point array as `f32` in C (row-major) order.
//!
//! The pickle is decoded by a small stack machine in this module rather than by
//! `serde-pickle`: that crate replaces a numpy dtype by its `BUILD` state on first use (so an
//! `int64` array cannot be told from a `float64` one) and by its constructor arguments on
//! later uses (so the byte order is lost), and it cannot read an `OrderedDict` at all.
//! Objects here keep their identity through the pickle memo, exactly as in Python.
//! Nothing is executed: globals are only names, and only numpy's own array constructors
//! (`_reconstruct` with its `BUILD` state, and protocol 5's `_frombuffer`) are interpreted.
//!
//! The parts: `reader` decodes the opcodes into the object graph of `graph`, and `numpy`
//! turns the numpy objects in that graph into [`Array`]s. This file holds the public API,
//! the checks made before decoding, and the small helpers the parts share.

mod graph;
mod numpy;
mod reader;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use thiserror::Error;

use numpy::Entry;

/// One numeric array read from a pickle, in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The dimensions, outermost first (numpy's `shape`); never empty.
    pub shape: Vec<usize>,
    /// The elements in C (row-major) order, converted to `f32`.
    pub data: Vec<f32>,
}

/// An entry of the dictionary that is not an array and was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The dictionary key.
    pub key: String,
    /// A short description of the value, such as `an integer (3)` or `None`.
    pub found: String,
}

/// What a weight pickle holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeightFile {
    /// The floating-point arrays, by key.
    pub arrays: BTreeMap<String, Array>,
    /// The entries that are not arrays, in the dictionary's order.
    pub ignored: Vec<Ignored>,
}

/// Why a pickle could not be read as a dictionary of weight arrays.
///
/// Messages are one line and name the dictionary key where there is one; they never name
/// the file, which the caller adds.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PickleError {
    /// The input has no bytes at all.
    #[error("the input is empty; expected a pickled dict of numpy arrays")]
    Empty,
    /// The input is gzip-compressed.
    #[error("this is gzip data, not a pickle; decompress it first")]
    Gzip,
    /// The input does not start like a pickle.
    #[error("this is not a pickle: {found}")]
    NotPickle {
        /// What the input looks like instead.
        found: String,
    },
    /// The input ends before the pickle does.
    #[error("the pickle is truncated: its {len} bytes end {context}")]
    Truncated {
        /// The length of the input.
        len: usize,
        /// Where the data ran out.
        context: String,
    },
    /// The pickle's opcodes do not make sense.
    #[error("malformed pickle at byte {offset}: {reason}")]
    Malformed {
        /// The offset of the offending opcode.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// The pickle uses a feature this reader does not support.
    #[error("unsupported pickle feature at byte {offset}: {feature}")]
    Unsupported {
        /// The offset of the offending opcode.
        offset: usize,
        /// The feature.
        feature: String,
    },
    /// The pickled object is not a dictionary.
    #[error("the pickle holds {found}, not a dict of numpy arrays")]
    NotADict {
        /// A description of the object found.
        found: String,
    },
    /// A dictionary key is not a string.
    #[error("a dictionary key is {found}, not a string")]
    NonStringKey {
        /// A description of the key.
        found: String,
    },
    /// An array's element type is not float16, float32 or float64.
    #[error(
        "{k}: {category} array (dtype {dtype}) is not supported; \
         weights must be float16, float32 or float64",
        k = one_line(.key)
    )]
    UnsupportedDtype {
        /// The dictionary key.
        key: String,
        /// The kind of element type, such as `integer` or `object`.
        category: String,
        /// numpy's name of the element type, such as `int64`.
        dtype: String,
    },
    /// An array has no dimensions (a single value).
    #[error(
        "{k}: 0-d array (a single {dtype} value) is not supported; \
         weights need at least one dimension",
        k = one_line(.key)
    )]
    ZeroDimensional {
        /// The dictionary key.
        key: String,
        /// numpy's name of the element type.
        dtype: String,
    },
    /// An array's data length does not match its shape and element size.
    #[error(
        "{k}: the array data holds {actual} bytes, but shape {} of {dtype} needs {expected}",
        fmt_shape(.shape),
        k = one_line(.key)
    )]
    SizeMismatch {
        /// The dictionary key.
        key: String,
        /// The array's shape.
        shape: Vec<usize>,
        /// numpy's name of the element type.
        dtype: String,
        /// The number of bytes the shape and element type call for.
        expected: usize,
        /// The number of bytes present.
        actual: usize,
    },
    /// An array's shape has more elements than can be addressed.
    #[error("{k}: shape {} has too many elements", fmt_shape(.shape), k = one_line(.key))]
    TooLarge {
        /// The dictionary key.
        key: String,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// A numpy array's pickled form does not have the expected structure.
    #[error("{k}: malformed numpy array: {reason}", k = one_line(.key))]
    BadArray {
        /// The dictionary key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The arrays hold more values than the pickle has bytes: array data stored once is
    /// referenced again and again (through the memo), and copying it for every reference
    /// would take memory out of all proportion to the file.
    #[error(
        "{k}: the arrays up to this key hold more than {len} values, one per byte of the \
         pickle; array data referenced many times is not supported",
        k = one_line(.key)
    )]
    TooManyValues {
        /// The dictionary key whose array went over the limit.
        key: String,
        /// The length of the pickle in bytes, which is the limit.
        len: usize,
    },
}

type Result<T> = std::result::Result<T, PickleError>;

/// Parses a pickled dict (or OrderedDict) of numpy arrays.
///
/// Float16, float32 and float64 arrays of any byte order and of C or Fortran order become
/// [`Array`]s in C order; NaN and infinities are kept. Entries that are not numpy arrays
/// (numbers, strings, lists, `None`, numpy scalars, other objects) are listed in
/// [`WeightFile::ignored`]. Arrays of any other element type, 0-d arrays, non-string keys
/// and anything that is not a dictionary are errors.
pub fn parse_weights(bytes: &[u8]) -> Result<WeightFile> {
    check_start(bytes)?;
    let graph = reader::read(bytes)?;
    let mut file = WeightFile::default();
    // Every value of an array takes at least 2 bytes of the pickle (float16), unless the
    // same data is referenced again through the memo, which costs a few bytes per copy.
    // Allowing one value per byte keeps memory within 4 x the input's size.
    let mut budget = bytes.len();
    for (key, value) in graph.entries()? {
        match graph.entry(&key, value)? {
            Entry::Array(array) => {
                let Some(rest) = budget.checked_sub(array.data.len()) else {
                    let len = bytes.len();
                    return Err(PickleError::TooManyValues { key, len });
                };
                budget = rest;
                file.arrays.insert(key, array);
            }
            Entry::Other(found) => file.ignored.push(Ignored { key, found }),
        }
    }
    Ok(file)
}

/// Formats a shape the way numpy prints it: `(784, 50)`, `(50,)`, `()`.
pub(crate) fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// Escapes control characters (such as newlines) so that a message stays on one line.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Recognises empty, compressed and other non-pickle input before decoding.
fn check_start(bytes: &[u8]) -> Result<()> {
    let not = |found: &str| {
        Err(PickleError::NotPickle {
            found: found.to_owned(),
        })
    };
    match bytes {
        [] => Err(PickleError::Empty),
        [0x1f, 0x8b, ..] => Err(PickleError::Gzip),
        [b'P', b'K', 3, 4, ..] => {
            not("it is a zip archive (an .npz file?); extract the arrays first")
        }
        [0x93, b'N', b'U', b'M', b'P', b'Y', ..] => not("it is a single-array .npy file"),
        [b'B', b'Z', b'h', ..] => not("it is bzip2 data; decompress it first"),
        [0xfd, b'7', b'z', b'X', b'Z', ..] => not("it is xz data; decompress it first"),
        // Protocols 2 and later start with PROTO; protocols 0 and 1 with an opcode that
        // needs nothing on the stack.
        [0x80, ..] => Ok(()),
        [first, ..] if b"(}])cNIFLGSTUVXKJM".contains(first) => Ok(()),
        _ => {
            let start: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Err(PickleError::NotPickle {
                found: format!(
                    "it starts with bytes {} (a pickle starts with 0x80 or a protocol 0/1 opcode)",
                    start.join(" ")
                ),
            })
        }
    }
}

/// `1 item`, `2 items`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Copies a chunk into a fixed-size array (missing bytes stay zero; never panics).
fn to_array<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (dst, src) in out.iter_mut().zip(chunk) {
        *dst = *src;
    }
    out
}
