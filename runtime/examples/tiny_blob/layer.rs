//! The one-layer model of the worked example in `docs/blob-format.md`.

use runtime::{Activation, DenseSpec, Params};

/// The example layer: 2 inputs, 2 outputs, softmax.
pub const LAYER: DenseSpec<'static> = DenseSpec {
    inputs: 2,
    outputs: 2,
    activation: Activation::Softmax,
    params: Params::F32 {
        weights: &[0.5, -1.0, 0.25, 2.0],
        bias: &[0.0, 1.0],
    },
};
