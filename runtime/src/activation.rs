//! Activation functions, as plain functions and as the per-layer [`Activation`].

use serde::{Deserialize, Serialize};

use crate::exp::exp;
use crate::softmax::softmax;

/// Slope of [`leaky_relu`] for negative inputs unless a model says otherwise.
pub const DEFAULT_LEAKY_SLOPE: f32 = 0.1;

/// Step function: 1 where `x > 0`, else 0.
#[inline]
pub fn step(x: f32) -> f32 {
    if x > 0.0 { 1.0 } else { 0.0 }
}

/// Logistic sigmoid `1 / (1 + e^-x)`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// Rectified linear unit `max(0, x)`.
#[inline]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

/// Leaky ReLU `max(slope·x, x)` (for slopes in `[0, 1]`: `x` if positive, else `slope·x`).
#[inline]
pub fn leaky_relu(x: f32, slope: f32) -> f32 {
    if x > 0.0 { x } else { slope * x }
}

/// Identity: `x` unchanged.
#[inline]
pub fn identity(x: f32) -> f32 {
    x
}

/// The function applied to a layer's output.
///
/// The variant order is part of the blob format (postcard encodes the index).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    /// Output unchanged.
    Identity,
    /// [`step`].
    Step,
    /// [`sigmoid`].
    Sigmoid,
    /// [`relu`].
    Relu,
    /// [`leaky_relu`] with this slope for negative inputs.
    LeakyRelu {
        /// Multiplier for negative inputs.
        slope: f32,
    },
    /// [`softmax`] over the whole layer output; output layer only.
    Softmax,
}

impl Activation {
    /// Applies the activation to a layer's output in place.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    pub fn apply(self, values: &mut [f32]) {
        // Plain loops rather than `for_each`, which is not always inlined: a caller built for
        // wider vector units (the converter's `vector` module) must get these loops too.
        match self {
            Activation::Identity => {}
            Activation::Step => {
                for v in values {
                    *v = step(*v);
                }
            }
            #[cfg(not(target_arch = "arm"))]
            Activation::Sigmoid => {
                // Whole vectors of 16, then of 4, the last one padded: no scalar tail on the
                // desktop (the rest in one padded vector of 16 was 3% slower one image at a time).
                let mut whole = values.chunks_exact_mut(16);
                for chunk in &mut whole {
                    for v in chunk {
                        *v = sigmoid(*v);
                    }
                }
                for rest in whole.into_remainder().chunks_mut(4) {
                    let mut padded = [0.0f32; 4];
                    padded[..rest.len()].copy_from_slice(rest);
                    for v in &mut padded {
                        *v = sigmoid(*v);
                    }
                    rest.copy_from_slice(&padded[..rest.len()]);
                }
            }
            #[cfg(target_arch = "arm")]
            Activation::Sigmoid => {
                for v in values {
                    *v = sigmoid(*v);
                }
            }
            Activation::Relu => {
                for v in values {
                    *v = relu(*v);
                }
            }
            Activation::LeakyRelu { slope } => {
                for v in values {
                    *v = leaky_relu(*v, slope);
                }
            }
            Activation::Softmax => softmax(values),
        }
    }

    /// A lower-case name for messages and listings, e.g. `leaky_relu(0.1)`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Step => "step",
            Activation::Sigmoid => "sigmoid",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Softmax => "softmax",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_is_one_only_above_zero() {
        assert_eq!(
            [step(-1.0), step(0.0), step(1e-30), step(3.0)],
            [0.0, 0.0, 1.0, 1.0]
        );
    }

    #[test]
    fn sigmoid_matches_hand_values() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(1.0) - 0.731_058_6).abs() < 1e-7);
        assert!((sigmoid(-2.0) - 0.119_202_92).abs() < 1e-7);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
    }

    #[test]
    fn relu_and_leaky_relu_scale_only_negatives() {
        assert_eq!([relu(-2.0), relu(0.0), relu(2.5)], [0.0, 0.0, 2.5]);
        assert_eq!(leaky_relu(-2.0, DEFAULT_LEAKY_SLOPE), -0.2);
        assert_eq!(leaky_relu(2.5, DEFAULT_LEAKY_SLOPE), 2.5);
        assert_eq!(identity(-7.25), -7.25);
    }

    #[test]
    fn apply_maps_every_element() {
        let mut v = [-1.0, 0.5, 2.0];
        Activation::LeakyRelu { slope: 0.5 }.apply(&mut v);
        assert_eq!(v, [-0.5, 0.5, 2.0]);
        let mut v = [-1.0, 0.5];
        Activation::Step.apply(&mut v);
        assert_eq!(v, [0.0, 1.0]);
    }

    /// Every length, so every split into whole vectors and a padded rest: the same bits as
    /// `sigmoid` one value at a time.
    #[test]
    fn sigmoid_over_a_slice_is_sigmoid_of_each_value() {
        let values: [f32; 40] = core::array::from_fn(|i| (i as f32 - 20.0) * 0.37);
        for len in 0..=values.len() {
            let mut got = values;
            Activation::Sigmoid.apply(&mut got[..len]);
            for (i, (&g, &x)) in got.iter().zip(&values).enumerate() {
                let want = if i < len { sigmoid(x) } else { x };
                assert_eq!(g.to_bits(), want.to_bits(), "length {len}, value {i}");
            }
        }
    }
}
