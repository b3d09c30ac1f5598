//! numpy arrays and dtypes: rebuilding an [`Array`] from the objects numpy pickles (element
//! type, byte order, shape, Fortran or C order, data bytes) and converting float16, float32
//! and float64 elements to `f32`.

use super::graph::{Graph, Id, Node, Object, Role};
use super::{Array, PickleError, Result, plural, to_array};

/// A dictionary value: an array, or a description of anything else.
pub(super) enum Entry {
    Array(Array),
    Other(String),
}

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
    /// Rebuilds a numpy array; other values are only described.
    pub(super) fn entry(&self, key: &str, id: Id) -> Result<Entry> {
        match self.numpy_object(id) {
            Some((Role::Reconstruct, o)) => self.reconstruct(key, o).map(Entry::Array),
            Some((Role::FromBuffer, o)) => self.frombuffer(key, o).map(Entry::Array),
            _ => Ok(Entry::Other(self.describe(id))),
        }
    }

    /// `a numpy float32 scalar (2.5)`, from numpy's `scalar(dtype, bytes)`.
    pub(super) fn describe_scalar(&self, o: &Object) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
