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

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

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
    let graph = Machine::new(bytes).run()?;
    let mut file = WeightFile::default();
    for (key, value) in graph.entries()? {
        match graph.entry(&key, value)? {
            Entry::Array(array) => {
                file.arrays.insert(key, array);
            }
            Entry::Other(found) => file.ignored.push(Ignored { key, found }),
        }
    }
    Ok(file)
}

/// Formats a shape the way numpy prints it: `(784, 50)`, `(50,)`, `()`.
fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// Escapes control characters (such as newlines) so that a message stays on one line.
fn one_line(text: &str) -> String {
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

// ---------------------------------------------------------------------------------------
// The object graph a pickle builds.

type Id = usize;

/// A Python object as far as this reader needs to know it.
#[derive(Debug)]
enum Node {
    None,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit in `i64`.
    BigInt,
    Float(f64),
    Str(String),
    /// A Python 2 `str` (protocols 0-2 `STRING` opcodes): bytes that may serve as text.
    OldStr(Vec<u8>),
    Bytes(Vec<u8>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    Global(String, String),
    Object(Object),
}

/// The result of calling a global (or instantiating a class): never executed, only kept.
#[derive(Debug)]
struct Object {
    class: Id,
    /// The argument tuple.
    args: Id,
    state: Option<Id>,
    /// Items added by `SETITEM(S)` (dict subclasses such as `OrderedDict`).
    items: Vec<(Id, Id)>,
}

/// numpy callables this reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Reconstruct,
    FromBuffer,
    Scalar,
    Dtype,
}

fn numpy_role(module: &str, name: &str) -> Option<Role> {
    let sub = module.strip_prefix("numpy")?;
    let sub = sub.strip_prefix('.').unwrap_or(sub);
    let sub = sub
        .strip_prefix("core.")
        .or_else(|| sub.strip_prefix("_core."))
        .unwrap_or(sub);
    match (sub, name) {
        ("multiarray", "_reconstruct") => Some(Role::Reconstruct),
        ("numeric", "_frombuffer") => Some(Role::FromBuffer),
        ("multiarray", "scalar") => Some(Role::Scalar),
        ("", "dtype") => Some(Role::Dtype),
        _ => None,
    }
}

const NONE_NODE: Node = Node::None;

/// The nodes built by a pickle and the id of the pickled object.
struct Graph {
    nodes: Vec<Node>,
    root: Id,
}

enum Entry {
    Array(Array),
    Other(String),
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Graph {
    fn node(&self, id: Id) -> &Node {
        self.nodes.get(id).unwrap_or(&NONE_NODE)
    }

    /// An object's call arguments.
    fn args(&self, o: &Object) -> &[Id] {
        match self.node(o.args) {
            Node::Tuple(items) => items,
            _ => &[],
        }
    }

    fn text(&self, id: Id) -> Option<String> {
        match self.node(id) {
            Node::Str(s) => Some(s.clone()),
            Node::OldStr(b) => Some(b.iter().map(|&c| char::from(c)).collect()),
            _ => None,
        }
    }

    fn global(&self, id: Id) -> Option<(&str, &str)> {
        match self.node(id) {
            Node::Global(module, name) => Some((module, name)),
            _ => None,
        }
    }

    /// The numpy role of an object's class, with the object.
    fn numpy_object(&self, id: Id) -> Option<(Role, &Object)> {
        match self.node(id) {
            Node::Object(o) => {
                let (module, name) = self.global(o.class)?;
                numpy_role(module, name).map(|role| (role, o))
            }
            _ => None,
        }
    }

    /// A short description of a value, with an article: `a list of 2 items`.
    fn describe(&self, id: Id) -> String {
        match self.node(id) {
            Node::None => "None".into(),
            Node::Bool(b) => format!("a bool ({})", if *b { "True" } else { "False" }),
            Node::Int(v) => format!("an integer ({v})"),
            Node::BigInt => "a large integer".into(),
            Node::Float(v) => format!("a float ({v:?})"),
            Node::Str(s) if s.chars().count() > 40 => {
                let head: String = s.chars().take(40).collect();
                format!("a string ({head:?}...)")
            }
            Node::Str(s) => format!("a string ({s:?})"),
            Node::OldStr(b) | Node::Bytes(b) => {
                format!("a bytes object ({})", plural(b.len(), "byte"))
            }
            Node::List(v) => format!("a list of {}", plural(v.len(), "item")),
            Node::Tuple(v) => format!("a tuple of {}", plural(v.len(), "item")),
            Node::Dict(v) if v.len() == 1 => "a dict of 1 entry".into(),
            Node::Dict(v) => format!("a dict of {} entries", v.len()),
            Node::Set(v) => format!("a set of {}", plural(v.len(), "item")),
            Node::Global(module, name) => {
                format!("a reference to {}.{}", one_line(module), one_line(name))
            }
            Node::Object(o) => match self.numpy_object(id) {
                Some((Role::Reconstruct | Role::FromBuffer, _)) => "a numpy array".into(),
                Some((Role::Dtype, _)) => "a numpy dtype".into(),
                Some((Role::Scalar, _)) => self.describe_scalar(o),
                None => match self.global(o.class) {
                    Some((module, name)) => {
                        format!("an object of type {}.{}", one_line(module), one_line(name))
                    }
                    None => "an object".into(),
                },
            },
        }
    }

    /// `a numpy float32 scalar (2.5)`, from numpy's `scalar(dtype, bytes)`.
    fn describe_scalar(&self, o: &Object) -> String {
        let args = self.args(o);
        let Some(dtype) = args.first().and_then(|&d| self.dtype(d).ok()) else {
            return "a numpy scalar".into();
        };
        let value = match (dtype.float_size(), args.get(1).map(|&b| self.node(b))) {
            (Some(size), Some(Node::Bytes(b) | Node::OldStr(b))) if b.len() == size => {
                convert(b, size, dtype.big_endian)
                    .first()
                    .map(|v| format!(" ({v:?})"))
            }
            _ => None,
        };
        format!(
            "a numpy {} scalar{}",
            dtype.name(),
            value.unwrap_or_default()
        )
    }

    /// The dictionary's entries in order, a repeated key keeping its first place and last value.
    fn entries(&self) -> Result<Vec<(String, Id)>> {
        let pairs: Vec<(Id, Id)> = match self.node(self.root) {
            Node::Dict(pairs) => pairs.clone(),
            Node::Object(o) => match self.global(o.class) {
                Some(("collections", "OrderedDict")) => {
                    let mut pairs = match self.args(o).first() {
                        Some(&arg) => self.pairs_of(arg)?,
                        None => Vec::new(),
                    };
                    pairs.extend_from_slice(&o.items);
                    pairs
                }
                Some(("collections", "defaultdict")) => o.items.clone(),
                _ => {
                    return Err(PickleError::NotADict {
                        found: self.describe(self.root),
                    });
                }
            },
            _ => {
                return Err(PickleError::NotADict {
                    found: self.describe(self.root),
                });
            }
        };
        let mut entries: Vec<(String, Id)> = Vec::with_capacity(pairs.len());
        let mut index: HashMap<String, usize> = HashMap::new();
        for (key, value) in pairs {
            let key = self.text(key).ok_or_else(|| PickleError::NonStringKey {
                found: self.describe(key),
            })?;
            match index.get(&key).and_then(|&i| entries.get_mut(i)) {
                Some(entry) => entry.1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
        }
        Ok(entries)
    }

    /// The pairs an `OrderedDict` is constructed from (protocols 0 and 1): a list of pairs.
    fn pairs_of(&self, id: Id) -> Result<Vec<(Id, Id)>> {
        let not_pairs = || PickleError::NotADict {
            found: format!("an OrderedDict built from {}", self.describe(id)),
        };
        match self.node(id) {
            Node::Dict(pairs) => Ok(pairs.clone()),
            Node::List(items) | Node::Tuple(items) => items
                .iter()
                .map(|&item| match self.node(item) {
                    Node::List(kv) | Node::Tuple(kv) => match kv.as_slice() {
                        &[k, v] => Ok((k, v)),
                        _ => Err(not_pairs()),
                    },
                    _ => Err(not_pairs()),
                })
                .collect(),
            _ => Err(not_pairs()),
        }
    }

    fn entry(&self, key: &str, id: Id) -> Result<Entry> {
        match self.numpy_object(id) {
            Some((Role::Reconstruct, o)) => self.reconstruct(key, o).map(Entry::Array),
            Some((Role::FromBuffer, o)) => self.frombuffer(key, o).map(Entry::Array),
            _ => Ok(Entry::Other(self.describe(id))),
        }
    }
}

// ---------------------------------------------------------------------------------------
// numpy arrays and dtypes.

/// A numpy dtype as pickled: `dtype(kind, False, True)` with `BUILD` state
/// `(version, byteorder, subarray, names, fields, elsize, alignment, flags, ...)`.
#[derive(Debug)]
struct Dtype {
    /// The type string, such as `f4`, `i8` or `U5`.
    text: String,
    kind: char,
    size: Option<usize>,
    big_endian: bool,
    structured: bool,
}

impl Dtype {
    /// The element size, if this is a supported floating-point type.
    fn float_size(&self) -> Option<usize> {
        match (self.kind, self.size, self.structured) {
            ('f', Some(size @ (2 | 4 | 8)), false) => Some(size),
            _ => None,
        }
    }

    /// numpy's name for the type: `float32`, `int64`, `bool`, `object`, or the type string.
    fn name(&self) -> String {
        let bits = self.size.and_then(|s| s.checked_mul(8));
        match (self.kind, bits, self.structured) {
            ('f', Some(b), false) => format!("float{b}"),
            ('i', Some(b), false) => format!("int{b}"),
            ('u', Some(b), false) => format!("uint{b}"),
            ('c', Some(b), false) => format!("complex{b}"),
            ('b', _, false) => "bool".into(),
            ('O', _, false) => "object".into(),
            _ => self.text.clone(),
        }
    }

    fn category(&self) -> &'static str {
        if self.structured {
            return "structured";
        }
        match self.kind {
            'f' => "extended-precision float",
            'i' | 'u' => "integer",
            'b' => "boolean",
            'c' => "complex",
            'O' => "object",
            'U' | 'S' | 'a' => "string",
            'V' => "structured",
            'M' | 'm' => "date/time",
            _ => "unsupported",
        }
    }
}

impl Graph {
    fn bad_array(key: &str, reason: String) -> PickleError {
        PickleError::BadArray {
            key: key.to_owned(),
            reason,
        }
    }

    /// `_reconstruct(ndarray, (0,), b'b')` followed by `BUILD (version, shape, dtype,
    /// is_fortran, data)` (the version is absent in very old pickles).
    fn reconstruct(&self, key: &str, o: &Object) -> Result<Array> {
        let state = o.state.ok_or_else(|| {
            Self::bad_array(
                key,
                "numpy's _reconstruct is not followed by the array's state".into(),
            )
        })?;
        let (shape, dtype, fortran, data) = match self.node(state) {
            Node::Tuple(items) => match items.as_slice() {
                &[_, shape, dtype, fortran, data] | &[shape, dtype, fortran, data] => {
                    (shape, dtype, fortran, data)
                }
                other => {
                    let reason =
                        format!("its state has {}, expected 5", plural(other.len(), "item"));
                    return Err(Self::bad_array(key, reason));
                }
            },
            _ => {
                let reason = format!("its state is {}, not a tuple", self.describe(state));
                return Err(Self::bad_array(key, reason));
            }
        };
        let fortran = match self.node(fortran) {
            Node::Bool(b) => *b,
            Node::Int(i @ (0 | 1)) => *i == 1,
            _ => {
                let reason = format!("its Fortran-order flag is {}", self.describe(fortran));
                return Err(Self::bad_array(key, reason));
            }
        };
        self.decode(key, shape, dtype, fortran, data)
    }

    /// Protocol 5: `_frombuffer(buffer, dtype, shape, order)`.
    fn frombuffer(&self, key: &str, o: &Object) -> Result<Array> {
        let &[data, dtype, shape, order] = self.args(o) else {
            let reason = format!(
                "_frombuffer has {}, expected 4",
                plural(self.args(o).len(), "argument")
            );
            return Err(Self::bad_array(key, reason));
        };
        let fortran = match self.text(order).as_deref() {
            Some("C") => false,
            Some("F") => true,
            _ => {
                let reason = format!("its order is {}, expected 'C' or 'F'", self.describe(order));
                return Err(Self::bad_array(key, reason));
            }
        };
        self.decode(key, shape, dtype, fortran, data)
    }

    fn decode(&self, key: &str, shape: Id, dtype: Id, fortran: bool, data: Id) -> Result<Array> {
        let shape = self.shape(key, shape)?;
        let dtype = self
            .dtype(dtype)
            .map_err(|reason| Self::bad_array(key, reason))?;
        let Some(size) = dtype.float_size() else {
            return Err(PickleError::UnsupportedDtype {
                key: key.to_owned(),
                category: dtype.category().to_owned(),
                dtype: dtype.name(),
            });
        };
        if shape.is_empty() {
            return Err(PickleError::ZeroDimensional {
                key: key.to_owned(),
                dtype: dtype.name(),
            });
        }
        let too_large = || PickleError::TooLarge {
            key: key.to_owned(),
            shape: shape.clone(),
        };
        let count = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(too_large)?;
        let expected = count.checked_mul(size).ok_or_else(too_large)?;
        let bytes = match self.node(data) {
            Node::Bytes(b) | Node::OldStr(b) => b,
            _ => {
                let reason = format!("its data is {}, not bytes", self.describe(data));
                return Err(Self::bad_array(key, reason));
            }
        };
        if bytes.len() != expected {
            return Err(PickleError::SizeMismatch {
                key: key.to_owned(),
                shape,
                dtype: dtype.name(),
                expected,
                actual: bytes.len(),
            });
        }
        let values = convert(bytes, size, dtype.big_endian);
        let data = if fortran {
            fortran_to_c(&shape, &values)
        } else {
            values
        };
        Ok(Array { shape, data })
    }

    fn shape(&self, key: &str, id: Id) -> Result<Vec<usize>> {
        let dims = match self.node(id) {
            Node::Tuple(dims) | Node::List(dims) => dims,
            _ => {
                let reason = format!("its shape is {}, not a tuple", self.describe(id));
                return Err(Self::bad_array(key, reason));
            }
        };
        dims.iter()
            .map(|&d| match self.node(d) {
                Node::Int(n) => usize::try_from(*n).ok(),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                let shown: Vec<String> = dims.iter().map(|&d| self.describe(d)).collect();
                let reason = format!("its shape holds {}, not sizes", shown.join(", "));
                Self::bad_array(key, reason)
            })
    }

    /// Reads a `numpy.dtype` object; the error is a reason for [`PickleError::BadArray`].
    fn dtype(&self, id: Id) -> std::result::Result<Dtype, String> {
        let o = match self.numpy_object(id) {
            Some((Role::Dtype, o)) => o,
            _ => return Err(format!("its dtype is {}", self.describe(id))),
        };
        let text = self
            .args(o)
            .first()
            .and_then(|&t| self.text(t))
            .ok_or_else(|| "its dtype has no type string".to_owned())?;
        let (prefix_order, body) = match text.strip_prefix(['<', '>', '=', '|']) {
            Some(rest) => (text.chars().next(), rest),
            None => (None, text.as_str()),
        };
        let mut chars = body.chars();
        let kind = chars
            .next()
            .ok_or_else(|| "its dtype has an empty type string".to_owned())?;
        let digits: String = chars.take_while(char::is_ascii_digit).collect();
        let size = digits.parse::<usize>().ok();
        // BUILD state: (version, byteorder, subarray, names, fields, ...).
        let state: &[Id] = match o.state.map(|s| self.node(s)) {
            Some(Node::Tuple(items)) => items,
            _ => &[],
        };
        let state_order = state.get(1).and_then(|&b| self.text(b));
        let not_none = |i: usize| {
            state
                .get(i)
                .is_some_and(|&n| !matches!(self.node(n), Node::None))
        };
        let order = state_order
            .as_deref()
            .and_then(|s| s.chars().next())
            .or(prefix_order);
        // '=' is the writer's native order, little-endian on every platform numpy is used on.
        Ok(Dtype {
            big_endian: order == Some('>'),
            structured: not_none(2) || not_none(3),
            text,
            kind,
            size,
        })
    }
}

/// Converts little- or big-endian float16/32/64 bytes (a whole number of elements) to `f32`.
fn convert(bytes: &[u8], size: usize, big_endian: bool) -> Vec<f32> {
    match size {
        2 => bytes
            .chunks_exact(2)
            .map(|c| {
                let b = to_array::<2>(c);
                f16_to_f32(if big_endian {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                })
            })
            .collect(),
        4 => bytes
            .chunks_exact(4)
            .map(|c| {
                let b = to_array::<4>(c);
                if big_endian {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                }
            })
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|c| {
                let b = to_array::<8>(c);
                (if big_endian {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                }) as f32
            })
            .collect(),
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

/// Converts an IEEE 754 half-precision value to `f32` exactly (NaN payloads kept).
fn f16_to_f32(half: u16) -> f32 {
    let sign = u32::from(half >> 15) << 31;
    let exponent = u32::from((half >> 10) & 0x1f);
    let mantissa = half & 0x3ff;
    match exponent {
        0 => {
            // Zero or subnormal: mantissa * 2^-24, exact in f32.
            let magnitude = f32::from(mantissa) * f32::from_bits(0x3380_0000);
            if sign == 0 { magnitude } else { -magnitude }
        }
        0x1f => f32::from_bits(sign | 0x7f80_0000 | (u32::from(mantissa) << 13)),
        _ => f32::from_bits(sign | ((exponent + 112) << 23) | (u32::from(mantissa) << 13)),
    }
}

/// Reorders elements stored in Fortran (column-major) order into C (row-major) order.
/// `values.len()` must be the product of `shape` (checked by the caller).
fn fortran_to_c(shape: &[usize], values: &[f32]) -> Vec<f32> {
    if shape.len() < 2 {
        return values.to_vec();
    }
    // C strides: the last dimension varies fastest.
    let mut strides = vec![0usize; shape.len()];
    let mut acc = 1usize;
    for (stride, &dim) in strides.iter_mut().zip(shape).rev() {
        *stride = acc;
        acc = acc.saturating_mul(dim);
    }
    let mut out = vec![0.0f32; values.len()];
    let mut index = vec![0usize; shape.len()];
    let mut dest = 0usize;
    // Walk the source in Fortran order (first index fastest), tracking the C offset.
    for &value in values {
        if let Some(slot) = out.get_mut(dest) {
            *slot = value;
        }
        for ((i, &dim), &stride) in index.iter_mut().zip(shape).zip(&strides) {
            *i += 1;
            dest = dest.saturating_add(stride);
            if *i < dim {
                break;
            }
            dest = dest.saturating_sub(stride.saturating_mul(dim));
            *i = 0;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The pickle virtual machine.

/// Decodes pickle opcodes into a [`Graph`] without executing anything.
struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    /// Offset of the opcode being decoded, for messages.
    op_start: usize,
    nodes: Vec<Node>,
    stack: Vec<Id>,
    /// Stack lengths at each open MARK.
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
}

impl<'a> Machine<'a> {
    fn new(input: &'a [u8]) -> Self {
        let (nodes, stack, marks, memo) = (Vec::new(), Vec::new(), Vec::new(), HashMap::new());
        Machine {
            input,
            pos: 0,
            op_start: 0,
            nodes,
            stack,
            marks,
            memo,
        }
    }

    fn run(mut self) -> Result<Graph> {
        loop {
            self.op_start = self.pos;
            let Some(&op) = self.input.get(self.pos) else {
                let context = "before the STOP opcode that ends a pickle".into();
                return Err(PickleError::Truncated {
                    len: self.input.len(),
                    context,
                });
            };
            self.pos += 1;
            if let Some(node) = self.value_op(op)? {
                let id = self.add(node);
                self.stack.push(id);
            } else if let Some(root) = self.stack_op(op)? {
                return Ok(Graph {
                    nodes: self.nodes,
                    root,
                });
            }
        }
    }

    // --- errors and input ---

    fn malformed(&self, reason: impl Into<String>) -> PickleError {
        PickleError::Malformed {
            offset: self.op_start,
            reason: reason.into(),
        }
    }

    fn unsupported(&self, feature: &str) -> PickleError {
        PickleError::Unsupported {
            offset: self.op_start,
            feature: feature.to_owned(),
        }
    }

    fn truncated(&self) -> PickleError {
        let context = format!("inside the opcode at byte {}", self.op_start);
        PickleError::Truncated {
            len: self.input.len(),
            context,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let input: &'a [u8] = self.input;
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| input.get(self.pos..end));
        let slice = slice.ok_or_else(|| self.truncated())?;
        self.pos += n;
        Ok(slice)
    }

    /// An unsigned little-endian number of `width` (at most 8) bytes.
    fn uint(&mut self, width: usize) -> Result<u64> {
        Ok(u64::from_le_bytes(to_array(self.take(width)?)))
    }

    /// A length of `width` bytes; one beyond the address space cannot be in the input either.
    fn len(&mut self, width: usize) -> Result<usize> {
        let n = self.uint(width)?;
        usize::try_from(n).map_err(|_| self.truncated())
    }

    /// A text argument up to the next newline (protocols 0 and 1).
    fn line(&mut self) -> Result<&'a [u8]> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let newline = rest.iter().position(|&b| b == b'\n');
        let line = self.take(newline.unwrap_or(rest.len().saturating_add(1)))?;
        self.pos += 1;
        Ok(line)
    }

    fn text_line(&mut self) -> Result<&'a str> {
        let line = self.line()?;
        std::str::from_utf8(line).map_err(|_| self.malformed("a text argument is not valid UTF-8"))
    }

    /// `BINUNICODE` and friends: a UTF-8 string after a `width`-byte length.
    fn string(&mut self, width: usize) -> Result<Node> {
        let n = self.len(width)?;
        let bytes = self.take(n)?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| self.malformed("a string is not valid UTF-8"))?;
        Ok(Node::Str(s.to_owned()))
    }

    /// `BINBYTES` and friends: bytes after a `width`-byte length.
    fn bytes(&mut self, width: usize) -> Result<Vec<u8>> {
        let n = self.len(width)?;
        Ok(self.take(n)?.to_vec())
    }

    fn text_int(&self, line: &str) -> Result<Node> {
        let digits = line.trim();
        if let Ok(v) = digits.parse::<i64>() {
            return Ok(Node::Int(v));
        }
        let unsigned = digits.strip_prefix(['-', '+']).unwrap_or(digits);
        if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Node::BigInt)
        } else {
            Err(self.malformed(format!("bad integer {line:?}")))
        }
    }

    fn text_index(&mut self) -> Result<u64> {
        let line = self.text_line()?;
        line.trim()
            .parse()
            .map_err(|_| self.malformed(format!("bad memo index {line:?}")))
    }

    // --- the stack ---

    fn add(&mut self, node: Node) -> Id {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn top(&self) -> Result<Id> {
        let base = self.marks.last().copied().unwrap_or(0);
        match self.stack.last() {
            Some(&id) if self.stack.len() > base => Ok(id),
            _ => Err(self.malformed("the stack is empty")),
        }
    }

    fn pop(&mut self) -> Result<Id> {
        let id = self.top()?;
        self.stack.pop();
        Ok(id)
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>> {
        let base = self
            .marks
            .pop()
            .ok_or_else(|| self.malformed("there is no MARK"))?;
        if base > self.stack.len() {
            return Err(self.malformed("the stack is shorter than at its MARK"));
        }
        Ok(self.stack.split_off(base))
    }

    fn pairs(&self, items: Vec<Id>) -> Result<Vec<(Id, Id)>> {
        if items.len() % 2 != 0 {
            return Err(self.malformed("a dict gets an odd number of keys and values"));
        }
        let mut it = items.into_iter();
        let mut pairs = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        Ok(pairs)
    }

    /// An object created by calling `class` with the tuple `args` (INST, OBJ).
    fn object(&mut self, class: Id, args: Vec<Id>) -> Node {
        let args = self.add(Node::Tuple(args));
        Node::Object(Object {
            class,
            args,
            state: None,
            items: Vec::new(),
        })
    }

    /// `REDUCE`: calls are kept as objects, except those that only encode bytes.
    fn reduce(&mut self) -> Result<Node> {
        let args_id = self.pop()?;
        let callable = self.pop()?;
        let Some(Node::Tuple(args)) = self.nodes.get(args_id) else {
            return Err(self.malformed("REDUCE arguments are not a tuple"));
        };
        let latin1 = |s: Id| match self.nodes.get(s) {
            Some(Node::Str(s)) => s
                .chars()
                .map(|c| u8::try_from(c).ok())
                .collect::<Option<Vec<u8>>>(),
            _ => None,
        };
        let encoded = match (self.nodes.get(callable), args.as_slice()) {
            (Some(Node::Global(m, n)), &[s, _]) if m == "_codecs" && n == "encode" => latin1(s),
            (Some(Node::Global(m, n)), args)
                if m == "builtins" && (n == "bytes" || n == "bytearray") =>
            {
                match args {
                    [] => Some(Vec::new()),
                    &[b] => match self.nodes.get(b) {
                        Some(Node::Bytes(b) | Node::OldStr(b)) => Some(b.clone()),
                        _ => None,
                    },
                    &[s, _] => latin1(s),
                    _ => None,
                }
            }
            _ => None,
        };
        Ok(match encoded {
            Some(bytes) => Node::Bytes(bytes),
            None => Node::Object(Object {
                class: callable,
                args: args_id,
                state: None,
                items: Vec::new(),
            }),
        })
    }

    /// Opcodes that push one new object; `None` for all others.
    fn value_op(&mut self, op: u8) -> Result<Option<Node>> {
        Ok(Some(match op {
            b'N' => Node::None,
            0x88 => Node::Bool(true),
            0x89 => Node::Bool(false),
            b'K' => Node::Int(i64::from(to_array::<1>(self.take(1)?)[0])),
            b'M' => Node::Int(i64::from(u16::from_le_bytes(to_array(self.take(2)?)))),
            b'J' => Node::Int(i64::from(i32::from_le_bytes(to_array(self.take(4)?)))),
            0x8a => long_node(&self.bytes(1)?),
            0x8b => long_node(&self.bytes(4)?),
            b'I' => match self.text_line()? {
                "01" => Node::Bool(true),
                "00" => Node::Bool(false),
                line => self.text_int(line)?,
            },
            b'L' => {
                let line = self.text_line()?;
                self.text_int(line.strip_suffix('L').unwrap_or(line))?
            }
            b'G' => Node::Float(f64::from_be_bytes(to_array(self.take(8)?))),
            b'F' => {
                let line = self.text_line()?;
                let v = line.trim().parse::<f64>();
                Node::Float(v.map_err(|_| self.malformed(format!("bad float {line:?}")))?)
            }
            b'S' => {
                let line = self.line()?;
                Node::OldStr(unquote(line).ok_or_else(|| self.malformed("bad STRING argument"))?)
            }
            b'U' => Node::OldStr(self.bytes(1)?),
            b'T' => {
                let n = i32::from_le_bytes(to_array(self.take(4)?));
                let n = usize::try_from(n)
                    .map_err(|_| self.malformed(format!("negative length {n}")))?;
                Node::OldStr(self.take(n)?.to_vec())
            }
            b'V' => {
                let line = self.line()?;
                Node::Str(
                    raw_unicode_escape(line)
                        .ok_or_else(|| self.malformed("bad UNICODE argument"))?,
                )
            }
            0x8c => self.string(1)?,
            b'X' => self.string(4)?,
            0x8d => self.string(8)?,
            b'C' => Node::Bytes(self.bytes(1)?),
            b'B' => Node::Bytes(self.bytes(4)?),
            0x8e | 0x96 => Node::Bytes(self.bytes(8)?),
            b']' => Node::List(Vec::new()),
            b'l' => Node::List(self.pop_mark()?),
            b')' => Node::Tuple(Vec::new()),
            b't' => Node::Tuple(self.pop_mark()?),
            0x85..=0x87 => {
                let split = self.stack.len().saturating_sub(usize::from(op - 0x84));
                let base = self.marks.last().copied().unwrap_or(0);
                if split < base || self.stack.len() < usize::from(op - 0x84) {
                    return Err(self.malformed("the stack is empty"));
                }
                Node::Tuple(self.stack.split_off(split))
            }
            b'}' => Node::Dict(Vec::new()),
            b'd' => {
                let items = self.pop_mark()?;
                Node::Dict(self.pairs(items)?)
            }
            0x8f => Node::Set(Vec::new()),
            0x91 => Node::Set(self.pop_mark()?),
            b'c' => global_node(self.text_line()?, self.text_line()?),
            b'i' => {
                let global = global_node(self.text_line()?, self.text_line()?);
                let class = self.add(global);
                let args = self.pop_mark()?;
                self.object(class, args)
            }
            0x93 => {
                let (name, module) = (self.pop()?, self.pop()?);
                match (self.nodes.get(module), self.nodes.get(name)) {
                    (Some(Node::Str(module)), Some(Node::Str(name))) => global_node(module, name),
                    _ => return Err(self.malformed("STACK_GLOBAL needs two strings")),
                }
            }
            b'R' => self.reduce()?,
            b'o' => {
                let mut items = self.pop_mark()?.into_iter();
                let class = items
                    .next()
                    .ok_or_else(|| self.malformed("OBJ without a class"))?;
                self.object(class, items.collect())
            }
            0x81 | 0x92 => {
                if op == 0x92 {
                    self.pop()?; // keyword arguments
                }
                let (args, class) = (self.pop()?, self.pop()?);
                Node::Object(Object {
                    class,
                    args,
                    state: None,
                    items: Vec::new(),
                })
            }
            _ => return Ok(None),
        }))
    }

    /// Opcodes that rearrange or modify what is already built; returns the result at `STOP`.
    fn stack_op(&mut self, op: u8) -> Result<Option<Id>> {
        match op {
            b'.' => return self.pop().map(Some),
            b'(' => self.marks.push(self.stack.len()),
            b'0' => {
                // POP drops the MARK itself when nothing was pushed after it.
                if self.pop().is_err() {
                    self.pop_mark()?;
                }
            }
            b'1' => drop(self.pop_mark()?),
            b'2' => self.stack.push(self.top()?),
            0x80 => {
                let protocol = self.uint(1)?;
                if protocol > 5 {
                    return Err(self.unsupported(&format!(
                        "pickle protocol {protocol} (this reader knows 0 to 5)"
                    )));
                }
            }
            0x95 => drop(self.take(8)?), // FRAME: only a read-ahead hint
            b'a' | b'e' | 0x90 => {
                let items = if op == b'a' {
                    vec![self.pop()?]
                } else {
                    self.pop_mark()?
                };
                let target = self.top()?;
                match (self.nodes.get_mut(target), op) {
                    (Some(Node::List(list)), b'a' | b'e') | (Some(Node::Set(list)), 0x90) => {
                        list.extend(items)
                    }
                    (Some(Node::Object(_)), b'a' | b'e') => {} // a list subclass: its items do not matter
                    _ => {
                        return Err(
                            self.malformed("APPEND or ADDITEMS to an object of the wrong type")
                        );
                    }
                }
            }
            b's' | b'u' => {
                let items = if op == b's' {
                    vec![self.pop()?, self.pop()?]
                } else {
                    self.pop_mark()?
                };
                let pairs = match (op, items.as_slice()) {
                    (b's', &[value, key]) => vec![(key, value)],
                    _ => self.pairs(items)?,
                };
                let target = self.top()?;
                match self.nodes.get_mut(target) {
                    Some(Node::Dict(dict)) => dict.extend(pairs),
                    Some(Node::Object(o)) => o.items.extend(pairs),
                    _ => return Err(self.malformed("SETITEM on something that is not a dict")),
                }
            }
            b'b' => {
                let state = self.pop()?;
                let target = self.top()?;
                match self.nodes.get_mut(target) {
                    Some(Node::Object(o)) => o.state = Some(state),
                    _ => return Err(self.malformed("BUILD on something that is not an object")),
                }
            }
            b'p' | b'q' | b'r' | 0x94 => {
                let index = match op {
                    b'p' => self.text_index()?,
                    b'q' => self.uint(1)?,
                    b'r' => self.uint(4)?,
                    _ => self.memo.len() as u64,
                };
                let id = self.top()?;
                self.memo.insert(index, id);
            }
            b'g' | b'h' | b'j' => {
                let index = match op {
                    b'g' => self.text_index()?,
                    b'h' => self.uint(1)?,
                    _ => self.uint(4)?,
                };
                let id = self.memo.get(&index).copied();
                let id = id.ok_or_else(|| {
                    self.malformed(format!("memo entry {index} is used before it is stored"))
                })?;
                self.stack.push(id);
            }
            b'P' | b'Q' => {
                return Err(
                    self.unsupported("persistent IDs (references to objects outside the pickle)")
                );
            }
            0x82..=0x84 => return Err(self.unsupported("the copyreg extension registry")),
            0x97 | 0x98 => {
                return Err(
                    self.unsupported("out-of-band buffers (pickled with a buffer_callback)")
                );
            }
            _ => return Err(self.malformed(format!("unknown opcode 0x{op:02x}"))),
        }
        Ok(None)
    }
}

/// A global reference, with Python 2 module names mapped as Python 3 does.
fn global_node(module: &str, name: &str) -> Node {
    let module = match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    };
    Node::Global(module.to_owned(), name.to_owned())
}

/// `LONG1`/`LONG4`: a little-endian two's-complement integer.
fn long_node(bytes: &[u8]) -> Node {
    if bytes.len() > 8 {
        return Node::BigInt;
    }
    let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    for (dst, src) in buf.iter_mut().zip(bytes) {
        *dst = *src;
    }
    Node::Int(i64::from_le_bytes(buf))
}

/// `STRING`: a quoted Python 2 `repr` of a byte string, decoded like `codecs.escape_decode`.
fn unquote(line: &[u8]) -> Option<Vec<u8>> {
    let quote = *line.first()?;
    if line.len() < 2 || !(quote == b'\'' || quote == b'"') || line.last() != Some(&quote) {
        return None;
    }
    let body = line.get(1..line.len() - 1)?;
    let mut out = Vec::with_capacity(body.len());
    let mut it = body.iter().copied().peekable();
    while let Some(c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        match it.next()? {
            b'\n' => {}
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'x' => {
                let hi = char::from(it.next()?).to_digit(16)?;
                let lo = char::from(it.next()?).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            d @ b'0'..=b'7' => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    match it.peek() {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            it.next();
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            e @ (b'\\' | b'\'' | b'"') => out.push(e),
            other => out.extend([b'\\', other]),
        }
    }
    Some(out)
}

/// `UNICODE`: latin-1 bytes with `\uXXXX` and `\UXXXXXXXX` escapes (`raw-unicode-escape`).
fn raw_unicode_escape(line: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut i = 0usize;
    while let Some(&c) = line.get(i) {
        let digits = match (c, line.get(i + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            _ => 0,
        };
        if digits == 0 {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let hex = line.get(i + 2..i + 2 + digits)?;
        let hex = std::str::from_utf8(hex).ok()?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
        i += 2 + digits;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn float16_conversion_is_exact_for_every_value() {
        for bits in 0..=u16::MAX {
            let got = f16_to_f32(bits);
            let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
            let exponent = i32::from((bits >> 10) & 0x1f);
            let mantissa = f64::from(bits & 0x3ff);
            let expected = match exponent {
                0 => sign * mantissa * 2f64.powi(-24),
                31 if mantissa == 0.0 => sign * f64::INFINITY,
                31 => {
                    assert!(got.is_nan(), "{bits:#06x}");
                    continue;
                }
                _ => sign * (1.0 + mantissa / 1024.0) * 2f64.powi(exponent - 15),
            };
            assert_eq!(f64::from(got), expected, "{bits:#06x}");
            assert_eq!(got.is_sign_negative(), bits & 0x8000 != 0, "{bits:#06x}");
        }
    }

    #[test]
    fn fortran_to_c_transposes_a_matrix() {
        // F order of [[1, 2, 3], [4, 5, 6]] is 1, 4, 2, 5, 3, 6.
        assert_eq!(
            fortran_to_c(&[2, 3], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        assert_eq!(fortran_to_c(&[3], &[1.0, 2.0, 3.0]), [1.0, 2.0, 3.0]);
        assert_eq!(fortran_to_c(&[0, 3], &[]), Vec::<f32>::new());
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

    // Fixtures written by Python 3.11 / numpy 2.4 with `pickle.dumps(obj, protocol=N)`, where
    // A = np.arange(6, dtype=np.float32).reshape(2, 3) + 0.5:
    // P0_ORDERED: OrderedDict([('W1', A), ('b1', np.array([0.5, -1], np.float32))]), protocol 0
    // P1: {'W': A}; P2: {'W': A, 'b': np.array([0.5, -1], np.float32)}
    // P2_ORDERED: OrderedDict([('W1', A), ('b1', np.array([0.25], np.float32))])
    // P3_FORTRAN: {'W': np.asfortranarray(A)}
    // P4_DTYPES: {'d': np.array([[0.1, -2.5, 3.0], [1e10, 0.0, -0.0]], '>f8'),
    //             'e': np.array([0.1, -1e300], '<f8'),
    //             'h': np.array([1, -2, 65504, 2.0**-24, np.inf, 0.5], np.float16)}
    // P5: {'W': np.asfortranarray(A), 'b': np.array([1.0, -3.5], '>f4')}
    // P4_FORTRAN_3D: {'T': np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))}
    // P3_SHARED_BE: dt = np.dtype('>f4'); {'a': np.array([1, 2], dt), 'b': np.array([-0.5, 4], dt)}
    // P4_IGNORED: {'W': np.ones(1, np.float32), 'n': 3, 's': 'hi', 'l': [1, 2], 'x': None,
    //              'f': 0.5, 'z': np.float32(2.5), 't': True}
    // P4_INT, P4_BOOL, P4_COMPLEX, P4_OBJECT: {'W1': np.array([1, 2], np.int64)},
    //   np.array([True]), np.array([1j], np.complex64), np.array([1, 'a'], dtype=object)
    // P4_ZERO_D: {'b1': np.array(1.5, np.float32)}; P4_LIST: [np.ones(1, np.float32)]
    // P4_INT_KEY: {1: np.ones(1, np.float32)}
    // P4_SIZE_MISMATCH: {'W1': np.ones(2, np.float32)} with the shape edited to (3,)
    // GZIP: gzip.compress(pickle.dumps({'W': np.ones(1, np.float32)}, protocol=4), mtime=0)

    /// Hand-written in the form Python 2 / numpy 1.x wrote with protocol 0:
    /// {'W': np.array([1, 2], np.float32)}, the data as an escaped `STRING`.
    const P0_PY2: &[u8] = b"(dp0\nS'W'\np1\ncnumpy.core.multiarray\n_reconstruct\np2\n(cnumpy\nndarray\np3\n\
        (I0\ntp4\nS'b'\np5\ntp6\nRp7\n(I1\n(I2\ntp8\ncnumpy\ndtype\np9\n(S'f4'\np10\nI0\nI1\ntp11\nRp12\n\
        (I3\nS'<'\np13\nNNNI-1\nI-1\nI0\ntp14\nbI00\nS'\\x00\\x00\\x80?\\x00\\x00\\x00@'\np15\ntp16\nbs.";
    const P0_ORDERED: &[u8] =
        b"ccollections\nOrderedDict\np0\n(tRp1\nVW1\np2\ncnumpy._core.multiarray\n_reconstruct\
      \np3\n(cnumpy\nndarray\np4\n(I0\ntp5\nc_codecs\nencode\np6\n(Vb\np7\nVlatin1\np8\ntp\
      9\nRp10\ntp11\nRp12\n(I1\n(I2\nI3\ntp13\ncnumpy\ndtype\np14\n(Vf4\np15\nI00\nI01\ntp\
      16\nRp17\n(I3\nV<\np18\nNNNI-1\nI-1\nI0\ntp19\nbI00\ng6\n(V\\u0000\\u0000\\u0000?\\u\
      0000\\u0000\xc0?\\u0000\\u0000 @\\u0000\\u0000`@\\u0000\\u0000\x90@\\u0000\\u0000\
      \xb0@\np20\ng8\ntp21\nRp22\ntp23\nbsVb1\np24\ng3\n(g4\n(I0\ntp25\ng10\ntp26\nRp27\n(\
      I1\n(I2\ntp28\ng17\nI00\ng6\n(V\\u0000\\u0000\\u0000?\\u0000\\u0000\x80\xbf\np29\ng8\
      \ntp30\nRp31\ntp32\nbs.";
    const P1: &[u8] =
        b"}q\x00X\x01\x00\x00\x00Wq\x01cnumpy._core.multiarray\n_reconstruct\nq\x02(cnumpy\nnd\
      array\nq\x03(K\x00tq\x04c_codecs\nencode\nq\x05(X\x01\x00\x00\x00bq\x06X\x06\x00\x00\
      \x00latin1q\x07tq\x08Rq\x09tq\nRq\x0b(K\x01(K\x02K\x03tq\x0ccnumpy\ndtype\nq\x0d(X\
      \x02\x00\x00\x00f4q\x0eI00\nI01\ntq\x0fRq\x10(K\x03X\x01\x00\x00\x00<q\x11NNNJ\xff\
      \xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x12bI00\nh\x05(X\x1b\x00\x00\x00\x00\x00\x00?\
      \x00\x00\xc3\x80?\x00\x00 @\x00\x00`@\x00\x00\xc2\x90@\x00\x00\xc2\xb0@q\x13h\x07tq\
      \x14Rq\x15tq\x16bs.";
    const P2: &[u8] =
        b"\x80\x02}q\x00(X\x01\x00\x00\x00Wq\x01cnumpy._core.multiarray\n_reconstruct\nq\x02cn\
      umpy\nndarray\nq\x03K\x00\x85q\x04c_codecs\nencode\nq\x05X\x01\x00\x00\x00bq\x06X\
      \x06\x00\x00\x00latin1q\x07\x86q\x08Rq\x09\x87q\nRq\x0b(K\x01K\x02K\x03\x86q\x0ccnum\
      py\ndtype\nq\x0dX\x02\x00\x00\x00f4q\x0e\x89\x88\x87q\x0fRq\x10(K\x03X\x01\x00\x00\
      \x00<q\x11NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x12b\x89h\x05X\x1b\x00\x00\
      \x00\x00\x00\x00?\x00\x00\xc3\x80?\x00\x00 @\x00\x00`@\x00\x00\xc2\x90@\x00\x00\xc2\
      \xb0@q\x13h\x07\x86q\x14Rq\x15tq\x16bX\x01\x00\x00\x00bq\x17h\x02h\x03K\x00\x85q\x18\
      h\x09\x87q\x19Rq\x1a(K\x01K\x02\x85q\x1bh\x10\x89h\x05X\n\x00\x00\x00\x00\x00\x00?\
      \x00\x00\xc2\x80\xc2\xbfq\x1ch\x07\x86q\x1dRq\x1etq\x1fbu.";
    const P2_ORDERED: &[u8] =
        b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(X\x02\x00\x00\x00W1q\x02cnumpy._core\
      .multiarray\n_reconstruct\nq\x03cnumpy\nndarray\nq\x04K\x00\x85q\x05c_codecs\nencode\
      \nq\x06X\x01\x00\x00\x00bq\x07X\x06\x00\x00\x00latin1q\x08\x86q\x09Rq\n\x87q\x0bRq\
      \x0c(K\x01K\x02K\x03\x86q\x0dcnumpy\ndtype\nq\x0eX\x02\x00\x00\x00f4q\x0f\x89\x88\
      \x87q\x10Rq\x11(K\x03X\x01\x00\x00\x00<q\x12NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\
      \x00tq\x13b\x89h\x06X\x1b\x00\x00\x00\x00\x00\x00?\x00\x00\xc3\x80?\x00\x00 @\x00\
      \x00`@\x00\x00\xc2\x90@\x00\x00\xc2\xb0@q\x14h\x08\x86q\x15Rq\x16tq\x17bX\x02\x00\
      \x00\x00b1q\x18h\x03h\x04K\x00\x85q\x19h\n\x87q\x1aRq\x1b(K\x01K\x01\x85q\x1ch\x11\
      \x89h\x06X\x05\x00\x00\x00\x00\x00\xc2\x80>q\x1dh\x08\x86q\x1eRq\x1ftq bu.";
    const P3_FORTRAN: &[u8] =
        b"\x80\x03}q\x00X\x01\x00\x00\x00Wq\x01cnumpy._core.multiarray\n_reconstruct\nq\x02cnu\
      mpy\nndarray\nq\x03K\x00\x85q\x04C\x01bq\x05\x87q\x06Rq\x07(K\x01K\x02K\x03\x86q\x08\
      cnumpy\ndtype\nq\x09X\x02\x00\x00\x00f4q\n\x89\x88\x87q\x0bRq\x0c(K\x03X\x01\x00\x00\
      \x00<q\x0dNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0eb\x88C\x18\x00\x00\x00?\
      \x00\x00`@\x00\x00\xc0?\x00\x00\x90@\x00\x00 @\x00\x00\xb0@q\x0ftq\x10bs.";
    const P4_DTYPES: &[u8] =
        b"\x80\x04\x95i\x01\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01d\x94\x8c\x16numpy._core.mult\
      iarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\
      \x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02K\x03\x86\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94b\x89C0?\xb9\x99\x99\x99\x99\x99\x9a\xc0\x04\x00\x00\
      \x00\x00\x00\x00@\x08\x00\x00\x00\x00\x00\x00B\x02\xa0_ \x00\x00\x00\x00\x00\x00\x00\
      \x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x94t\x94b\x8c\x01e\x94h\x04h\x07K\
      \x00\x85\x94h\x09\x87\x94R\x94(K\x01K\x02\x85\x94h\x0e\x8c\x02f8\x94\x89\x88\x87\x94\
      R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x10\
      \x9a\x99\x99\x99\x99\x99\xb9?\x9cu\x00\x88<\xe47\xfe\x94t\x94b\x8c\x01h\x94h\x04h\
      \x07K\x00\x85\x94h\x09\x87\x94R\x94(K\x01K\x06\x85\x94h\x0e\x8c\x02f2\x94\x89\x88\
      \x87\x94R\x94(K\x03h\x1eNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x0c\
      \x00<\x00\xc0\xff{\x01\x00\x00|\x008\x94t\x94bu.";
    const P5: &[u8] =
        b"\x80\x05\x95\xe1\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01W\x94\x8c\x13numpy._core.n\
      umeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x96\x18\x00\x00\x00\x00\x00\x00\x00\x00\
      \x00\x00?\x00\x00`@\x00\x00\xc0?\x00\x00\x90@\x00\x00 @\x00\x00\xb0@\x94\x8c\x05nump\
      y\x94\x8c\x05dtype\x94\x93\x94\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94\
      NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02K\x03\x86\x94\x8c\x01F\x94t\x94\
      R\x94\x8c\x01b\x94h\x04(\x96\x08\x00\x00\x00\x00\x00\x00\x00?\x80\x00\x00\xc0`\x00\
      \x00\x94h\x08\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94bK\x02\x85\x94\x8c\x01C\x94t\x94R\x94u.";
    const P4_FORTRAN_3D: &[u8] =
        b"\x80\x04\x95\xf4\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01T\x94\x8c\x16numpy._core.mu\
      ltiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\
      \x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02K\x03K\x04\x87\x94h\x05\x8c\x05dt\
      ype\x94\x93\x94\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\
      \xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x88C`\x00\x00\x00\x00\x00\x00@A\x00\x00\x80@\
      \x00\x00\x80A\x00\x00\x00A\x00\x00\xa0A\x00\x00\x80?\x00\x00PA\x00\x00\xa0@\x00\x00\
      \x88A\x00\x00\x10A\x00\x00\xa8A\x00\x00\x00@\x00\x00`A\x00\x00\xc0@\x00\x00\x90A\x00\
      \x00 A\x00\x00\xb0A\x00\x00@@\x00\x00pA\x00\x00\xe0@\x00\x00\x98A\x00\x000A\x00\x00\
      \xb8A\x94t\x94bs.";
    const P3_SHARED_BE: &[u8] =
        b"\x80\x03}q\x00(X\x01\x00\x00\x00aq\x01cnumpy._core.multiarray\n_reconstruct\nq\x02cn\
      umpy\nndarray\nq\x03K\x00\x85q\x04C\x01bq\x05\x87q\x06Rq\x07(K\x01K\x02\x85q\x08cnum\
      py\ndtype\nq\x09X\x02\x00\x00\x00f4q\n\x89\x88\x87q\x0bRq\x0c(K\x03X\x01\x00\x00\x00\
      >q\x0dNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0eb\x89C\x08?\x80\x00\x00@\x00\
      \x00\x00q\x0ftq\x10bX\x01\x00\x00\x00bq\x11h\x02h\x03K\x00\x85q\x12h\x05\x87q\x13Rq\
      \x14(K\x01K\x02\x85q\x15h\x0c\x89C\x08\xbf\x00\x00\x00@\x80\x00\x00q\x16tq\x17bu.";
    const P4_IGNORED: &[u8] =
        b"\x80\x04\x95\xe5\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01W\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x01\x85\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x04\x00\x00\x80?\x94t\x94b\x8c\x01n\x94K\x03\
      \x8c\x01s\x94\x8c\x02hi\x94\x8c\x01l\x94]\x94(K\x01K\x02e\x8c\x01x\x94N\x8c\x01f\x94\
      G?\xe0\x00\x00\x00\x00\x00\x00\x8c\x01z\x94h\x02\x8c\x06scalar\x94\x93\x94h\x11C\x04\
      \x00\x00 @\x94\x86\x94R\x94\x8c\x01t\x94\x88u.";
    const P4_INT: &[u8] =
        b"\x80\x04\x95\xa1\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02W1\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02\x85\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02i8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x10\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\
      \x00\x00\x00\x00\x00\x00\x94t\x94bs.";
    const P4_BOOL: &[u8] =
        b"\x80\x04\x95\x92\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02W1\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x01\x85\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02b1\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x01\x01\x94t\x94bs.";
    const P4_COMPLEX: &[u8] =
        b"\x80\x04\x95\x99\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02W1\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x01\x85\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02c8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x08\x00\x00\x00\x00\x00\x00\x80?\x94t\x94bs.";
    const P4_OBJECT: &[u8] =
        b"\x80\x04\x95\x98\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02W1\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02\x85\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK?t\x94b\x89]\x94(K\x01\x8c\x01a\x94et\x94bs.";
    const P4_ZERO_D: &[u8] =
        b"\x80\x04\x95\x92\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02b1\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01)h\x05\x8c\x05dtype\x94\x93\x94\
      \x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\
      \xff\xffK\x00t\x94b\x89C\x04\x00\x00\xc0?\x94t\x94bs.";
    const P4_LIST: &[u8] =
        b"\x80\x04\x95\x90\x00\x00\x00\x00\x00\x00\x00]\x94\x8c\x16numpy._core.multiarray\x94\
      \x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\
      \x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x01\x85\x94h\x04\x8c\x05dtype\x94\x93\x94\x8c\
      \x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\
      \xffK\x00t\x94b\x89C\x04\x00\x00\x80?\x94t\x94ba.";
    const P4_INT_KEY: &[u8] =
        b"\x80\x04\x95\x92\x00\x00\x00\x00\x00\x00\x00}\x94K\x01\x8c\x16numpy._core.multiarray\
      \x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\
      \x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x01\x85\x94h\x04\x8c\x05dtype\x94\x93\x94\
      \x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\
      \xff\xffK\x00t\x94b\x89C\x04\x00\x00\x80?\x94t\x94bs.";
    const P4_SIZE_MISMATCH: &[u8] =
        b"\x80\x04\x95\x99\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02W1\x94\x8c\x16numpy._core.m\
      ultiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\
      \x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x03\x85\x94h\x05\x8c\x05dtype\
      \x94\x93\x94\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\
      \xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x08\x00\x00\x80?\x00\x00\x80?\x94t\x94bs.";
    const GZIP: &[u8] =
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03k`\x99:\x85\x01\x02j\xa7\xf40\x86O\xe9\x11\
      \xcb+\xcd-\xa8\xd4\x8bO\xce/J\xd5\xcb-\xcd)\xc9L,*J\xac\x9c\xd2\xc3\x13_\x94\x9a\x9c\
      \x9fW\\RT\x9a\\2e\xf2\x94\x1eV\xb0\xca)=\xecy)\x10%\x93\xa7x3\xb4NqfL\x9a\xd2>%h\x8a\
      \x867\xa37c\xeb\x94\x0c\xd6\x1e\xd6\x94\x92\xca\x82T\x90\x16\xa64\x93)\x9d\x1d\x10Y\
      \xe6\x1eF\x9b)~~~^\xff\x81\x00Lx3\x94LI\xeatfa`h\xb0\x9f\x02d\x16\xeb\x01\x001\xb6\
      \xeau\x9f\x00\x00\x00";
}
