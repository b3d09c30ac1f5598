//! Assembling dense layers from named weight arrays.
//!
//! The book's networks name their parameters `W1`, `b1`, `W2`, `b2`, ...: `Wk` has numpy
//! shape `(inputs, outputs)` and `bk` has `outputs` elements. [`layers_from_arrays`] checks
//! that the layers form a chain and keeps each weight matrix in numpy's row-major order,
//! the layout the runtime's dense layer reads.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::pickle::{Array, fmt_shape, one_line};

/// One dense layer's parameters, weights in numpy's row-major order:
/// `weights[i * outputs + o] == W[i][o]` for `W` of shape `(inputs, outputs)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseParams {
    /// Number of inputs (rows of numpy's `W`).
    pub inputs: usize,
    /// Number of outputs (columns of numpy's `W`, length of `b`).
    pub outputs: usize,
    /// `inputs * outputs` weights, one row of `outputs` values per input.
    pub weights: Vec<f32>,
    /// `outputs` biases.
    pub bias: Vec<f32>,
}

/// Why the arrays do not describe a chain of dense layers.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// There is no `W1` array.
    #[error("no W1 array found; {found}")]
    NoFirstLayer {
        /// The keys present, described in a sentence.
        found: String,
    },
    /// `Wk` is present without `bk`.
    #[error("{weights} has no bias: {bias} is missing")]
    MissingBias {
        /// The weight key, such as `W2`.
        weights: String,
        /// The missing bias key, such as `b2`.
        bias: String,
    },
    /// `bk` is present without `Wk`.
    #[error("{bias} has no weights: {weights} is missing")]
    MissingWeights {
        /// The bias key.
        bias: String,
        /// The missing weight key.
        weights: String,
    },
    /// Layer numbers skip a value.
    #[error(
        "layer {missing} is missing (no W{missing} or b{missing}) but layer {found} is present; layers must be numbered 1, 2, 3, ..."
    )]
    Gap {
        /// The first missing layer number.
        missing: usize,
        /// The next layer number present.
        found: usize,
    },
    /// A weight array is not a matrix.
    #[error("{key}: expected a 2-D weight matrix (inputs, outputs), found shape {}", fmt_shape(.shape))]
    WeightsNot2d {
        /// The weight key.
        key: String,
        /// The shape found.
        shape: Vec<usize>,
    },
    /// A weight matrix has no inputs or no outputs.
    #[error("{key}: weight matrix of shape {} is empty", fmt_shape(.shape))]
    EmptyLayer {
        /// The weight key.
        key: String,
        /// The shape found.
        shape: Vec<usize>,
    },
    /// A bias does not match its weight matrix.
    #[error("{key}: expected shape ({outputs},) to match {weights}'s {outputs} outputs, found shape {}", fmt_shape(.shape))]
    BiasShape {
        /// The bias key.
        key: String,
        /// The weight key.
        weights: String,
        /// The number of outputs of the weight matrix.
        outputs: usize,
        /// The bias shape found.
        shape: Vec<usize>,
    },
    /// A layer's inputs do not match the previous layer's outputs.
    #[error(
        "{key} has {inputs} rows (inputs) but {previous} has {outputs} columns (outputs); they must be equal"
    )]
    ChainMismatch {
        /// The weight key.
        key: String,
        /// Its number of inputs.
        inputs: usize,
        /// The previous weight key.
        previous: String,
        /// The previous layer's number of outputs.
        outputs: usize,
    },
    /// An array's element count does not match its shape.
    #[error("{key}: shape {} does not match its {len} values", fmt_shape(.shape))]
    DataLength {
        /// The array key.
        key: String,
        /// The array's shape.
        shape: Vec<usize>,
        /// The number of values present.
        len: usize,
    },
    /// An array holds NaN or an infinity.
    #[error("{key}: element {index} (flat, row-major) is {value}; weights must be finite")]
    NonFinite {
        /// The array key.
        key: String,
        /// The flat C-order index of the first non-finite value.
        index: usize,
        /// The value: NaN, inf or -inf.
        value: f32,
    },
}

/// The layer number of a key `W<n>` or `b<n>` (n ≥ 1, no leading zeros), with its letter.
fn layer_key(key: &str) -> Option<(char, usize)> {
    let mut chars = key.chars();
    let letter = chars.next().filter(|c| *c == 'W' || *c == 'b')?;
    let digits = chars.as_str();
    if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(|n| (letter, n))
}

/// Builds layers W1/b1 .. Wn/bn from the arrays (n ≥ 1, consecutive from 1).
///
/// Keys that are not of the form `W<n>` or `b<n>` are ignored (the caller may list them).
/// Every `Wk` must be 2-D `(inputs, outputs)` with `inputs` equal to the previous layer's
/// `outputs`; every `bk` must have shape `(outputs,)` or `(1, outputs)`; all values must be
/// finite.
pub fn layers_from_arrays(
    arrays: &BTreeMap<String, Array>,
) -> Result<Vec<DenseParams>, NetworkError> {
    let numbers: BTreeSet<usize> = arrays
        .keys()
        .filter_map(|k| layer_key(k))
        .map(|(_, n)| n)
        .collect();
    if !arrays.contains_key("W1") {
        let found = if arrays.is_empty() {
            "the file holds no arrays".to_owned()
        } else {
            let keys: Vec<String> = arrays.keys().map(|k| one_line(k)).collect();
            format!("arrays present: {}", keys.join(", "))
        };
        return Err(NetworkError::NoFirstLayer { found });
    }
    let mut layers: Vec<DenseParams> = Vec::with_capacity(numbers.len());
    for (expected, n) in (1usize..).zip(numbers) {
        if n != expected {
            return Err(NetworkError::Gap {
                missing: expected,
                found: n,
            });
        }
        let (w_key, b_key) = (format!("W{n}"), format!("b{n}"));
        let (w, b) = match (arrays.get(&w_key), arrays.get(&b_key)) {
            (Some(w), Some(b)) => (w, b),
            (Some(_), None) => {
                return Err(NetworkError::MissingBias {
                    weights: w_key,
                    bias: b_key,
                });
            }
            _ => {
                return Err(NetworkError::MissingWeights {
                    bias: b_key,
                    weights: w_key,
                });
            }
        };
        let layer = dense(&w_key, w, &b_key, b)?;
        if let Some(previous) = layers.last()
            && layer.inputs != previous.outputs
        {
            return Err(NetworkError::ChainMismatch {
                key: w_key,
                inputs: layer.inputs,
                previous: format!("W{}", n - 1),
                outputs: previous.outputs,
            });
        }
        layers.push(layer);
    }
    Ok(layers)
}

/// Checks one layer's arrays.
fn dense(w_key: &str, w: &Array, b_key: &str, b: &Array) -> Result<DenseParams, NetworkError> {
    check_values(w_key, w)?;
    check_values(b_key, b)?;
    let &[inputs, outputs] = w.shape.as_slice() else {
        return Err(NetworkError::WeightsNot2d {
            key: w_key.to_owned(),
            shape: w.shape.clone(),
        });
    };
    if inputs == 0 || outputs == 0 {
        return Err(NetworkError::EmptyLayer {
            key: w_key.to_owned(),
            shape: w.shape.clone(),
        });
    }
    if !matches!(b.shape.as_slice(), &[n] | &[1, n] if n == outputs) {
        return Err(NetworkError::BiasShape {
            key: b_key.to_owned(),
            weights: w_key.to_owned(),
            outputs,
            shape: b.shape.clone(),
        });
    }
    Ok(DenseParams {
        inputs,
        outputs,
        weights: w.data.clone(),
        bias: b.data.clone(),
    })
}

/// Checks that an array's data matches its shape and that every value is finite.
fn check_values(key: &str, array: &Array) -> Result<(), NetworkError> {
    let count = array
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d));
    if count != Some(array.data.len()) {
        return Err(NetworkError::DataLength {
            key: key.to_owned(),
            shape: array.shape.clone(),
            len: array.data.len(),
        });
    }
    match array.data.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(NetworkError::NonFinite {
            key: key.to_owned(),
            index,
            value: array.data.get(index).copied().unwrap_or(f32::NAN),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(shape: &[usize], data: &[f32]) -> Array {
        Array {
            shape: shape.to_vec(),
            data: data.to_vec(),
        }
    }

    /// The toy network of the book's section 3.4.
    fn toy() -> BTreeMap<String, Array> {
        BTreeMap::from([
            (
                "W1".to_owned(),
                arr(&[2, 3], &[0.1, 0.3, 0.5, 0.2, 0.4, 0.6]),
            ),
            ("b1".to_owned(), arr(&[3], &[0.1, 0.2, 0.3])),
            (
                "W2".to_owned(),
                arr(&[3, 2], &[0.1, 0.4, 0.2, 0.5, 0.3, 0.6]),
            ),
            ("b2".to_owned(), arr(&[2], &[0.1, 0.2])),
            ("W3".to_owned(), arr(&[2, 2], &[0.1, 0.3, 0.2, 0.4])),
            ("b3".to_owned(), arr(&[2], &[0.1, 0.2])),
        ])
    }

    fn error(arrays: &BTreeMap<String, Array>) -> NetworkError {
        match layers_from_arrays(arrays) {
            Ok(layers) => panic!("expected an error, got {layers:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn builds_the_toy_network_in_numpy_order() {
        let layers = layers_from_arrays(&toy()).expect("toy network");
        assert_eq!(layers.len(), 3);
        let l1 = &layers[0];
        assert_eq!((l1.inputs, l1.outputs), (2, 3));
        // W1 = [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], row after row.
        assert_eq!(l1.weights, [0.1, 0.3, 0.5, 0.2, 0.4, 0.6]);
        assert_eq!(l1.bias, [0.1, 0.2, 0.3]);
        assert_eq!((layers[1].inputs, layers[1].outputs), (3, 2));
        assert_eq!(layers[1].weights, [0.1, 0.4, 0.2, 0.5, 0.3, 0.6]);
        assert_eq!(layers[2].weights, [0.1, 0.3, 0.2, 0.4]);
        for layer in &layers {
            assert_eq!(layer.weights.len(), layer.inputs * layer.outputs);
        }
    }

    #[test]
    fn forward_pass_with_the_built_layers_matches_the_book() {
        let layers = layers_from_arrays(&toy()).expect("toy network");
        let mut x = vec![1.0f64, 0.5];
        for (k, layer) in layers.iter().enumerate() {
            let column = |o: usize| layer.weights.iter().skip(o).step_by(layer.outputs);
            x = (0..layer.outputs)
                .map(|o| {
                    let z = f64::from(layer.bias[o])
                        + column(o)
                            .zip(&x)
                            .map(|(&w, &v)| f64::from(w) * v)
                            .sum::<f64>();
                    if k + 1 < layers.len() {
                        1.0 / (1.0 + (-z).exp())
                    } else {
                        z
                    }
                })
                .collect();
        }
        assert!(
            (x[0] - 0.31682708).abs() < 1e-6 && (x[1] - 0.69627909).abs() < 1e-6,
            "{x:?}"
        );
    }

    #[test]
    fn bias_may_have_shape_1_by_outputs_and_other_keys_are_ignored() {
        let mut arrays = toy();
        arrays.insert("b2".into(), arr(&[1, 2], &[0.1, 0.2]));
        arrays.insert("mean".into(), arr(&[3], &[0.0; 3]));
        arrays.insert("W0".into(), arr(&[1], &[0.0]));
        arrays.insert("W01".into(), arr(&[1], &[0.0]));
        let layers = layers_from_arrays(&arrays).expect("layers");
        assert_eq!(layers.len(), 3);
        assert_eq!(layers[1].bias, [0.1, 0.2]);
    }

    #[test]
    fn bias_must_match_outputs() {
        let mut arrays = toy();
        arrays.insert("b2".into(), arr(&[3], &[0.1, 0.2, 0.3]));
        assert_eq!(
            error(&arrays).to_string(),
            "b2: expected shape (2,) to match W2's 2 outputs, found shape (3,)"
        );
        arrays.insert("b2".into(), arr(&[2, 1], &[0.1, 0.2]));
        assert!(matches!(error(&arrays), NetworkError::BiasShape { key, .. } if key == "b2"));
    }

    #[test]
    fn layers_must_chain() {
        let mut arrays = toy();
        arrays.insert("W2".into(), arr(&[2, 2], &[0.1, 0.2, 0.3, 0.4]));
        assert_eq!(
            error(&arrays).to_string(),
            "W2 has 2 rows (inputs) but W1 has 3 columns (outputs); they must be equal"
        );
    }

    #[test]
    fn weights_must_be_a_non_empty_matrix() {
        let mut arrays = toy();
        arrays.insert("W1".into(), arr(&[6], &[0.1; 6]));
        assert_eq!(
            error(&arrays).to_string(),
            "W1: expected a 2-D weight matrix (inputs, outputs), found shape (6,)"
        );
        arrays.insert("W1".into(), arr(&[0, 3], &[]));
        assert!(matches!(error(&arrays), NetworkError::EmptyLayer { .. }));
    }

    #[test]
    fn missing_first_layer_lists_the_keys() {
        let mut arrays = toy();
        arrays.remove("W1");
        arrays.remove("b1");
        assert_eq!(
            error(&arrays).to_string(),
            "no W1 array found; arrays present: W2, W3, b2, b3"
        );
        assert_eq!(
            error(&BTreeMap::new()).to_string(),
            "no W1 array found; the file holds no arrays"
        );
    }

    #[test]
    fn missing_partners_and_gaps() {
        let mut arrays = toy();
        arrays.remove("b2");
        assert_eq!(error(&arrays).to_string(), "W2 has no bias: b2 is missing");
        let mut arrays = toy();
        arrays.remove("W3");
        assert_eq!(
            error(&arrays).to_string(),
            "b3 has no weights: W3 is missing"
        );
        let mut arrays = toy();
        arrays.remove("W2");
        arrays.remove("b2");
        assert_eq!(
            error(&arrays),
            NetworkError::Gap {
                missing: 2,
                found: 3
            }
        );
        assert_eq!(
            error(&arrays).to_string(),
            "layer 2 is missing (no W2 or b2) but layer 3 is present; layers must be numbered 1, 2, 3, ..."
        );
        // A huge layer number is a gap, not a long loop.
        let mut arrays = toy();
        arrays.insert("W18446744073709551615".into(), arr(&[1, 1], &[0.0]));
        assert!(matches!(
            error(&arrays),
            NetworkError::Gap { missing: 4, .. }
        ));
    }

    #[test]
    fn non_finite_values_are_rejected_with_key_and_index() {
        let mut arrays = toy();
        arrays.insert(
            "W2".into(),
            arr(&[3, 2], &[0.1, 0.4, 0.2, f32::NAN, 0.3, f32::INFINITY]),
        );
        assert_eq!(
            error(&arrays).to_string(),
            "W2: element 3 (flat, row-major) is NaN; weights must be finite"
        );
        arrays.insert("W2".into(), toy()["W2"].clone());
        arrays.insert("b3".into(), arr(&[2], &[0.1, f32::NEG_INFINITY]));
        assert_eq!(
            error(&arrays).to_string(),
            "b3: element 1 (flat, row-major) is -inf; weights must be finite"
        );
    }

    #[test]
    fn inconsistent_arrays_are_rejected() {
        let mut arrays = toy();
        arrays.insert("W1".into(), arr(&[2, 3], &[0.1; 5]));
        assert_eq!(
            error(&arrays).to_string(),
            "W1: shape (2, 3) does not match its 5 values"
        );
        arrays.insert("W1".into(), arr(&[usize::MAX, 3], &[0.1; 5]));
        assert!(matches!(error(&arrays), NetworkError::DataLength { .. }));
    }
}
