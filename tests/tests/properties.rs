//! Properties over random networks and random bytes.
//!
//! Tolerance: every output of the runtime's f32 forward pass is within
//! `1e-4 × (1 + |reference|)` of a plain f64 forward pass over the same weights.

use converter::blobfile::BlobBuf;
use proptest::collection::vec;
use proptest::prelude::*;
use runtime::checksum::crc32;
use runtime::{Activation, Dataset, DenseSpec, Model, ModelEncoder, Params, Runner};

const TOLERANCE: f64 = 1e-4;

/// One random layer: its activation, weights (row-major, inputs × outputs) and bias.
#[derive(Debug, Clone)]
struct RandomLayer {
    activation: Activation,
    weights: Vec<f32>,
    bias: Vec<f32>,
    outputs: usize,
}

fn hidden_activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Identity),
        Just(Activation::Step),
        Just(Activation::Sigmoid),
        Just(Activation::Relu),
        (0.0f32..1.0).prop_map(|slope| Activation::LeakyRelu { slope }),
    ]
}

fn output_activation() -> impl Strategy<Value = Activation> {
    prop_oneof![hidden_activation(), Just(Activation::Softmax)]
}

/// Widths, then per layer an activation and weights of the matching sizes.
fn network() -> impl Strategy<Value = (usize, Vec<RandomLayer>, Vec<f32>)> {
    (1usize..20, vec(1usize..20, 1..5)).prop_flat_map(|(inputs, widths)| {
        let last = widths.len() - 1;
        let mut fan_in = inputs;
        let layers: Vec<_> = widths
            .iter()
            .enumerate()
            .map(|(i, &outputs)| {
                let activation = if i == last {
                    output_activation().boxed()
                } else {
                    hidden_activation().boxed()
                };
                let layer = (
                    activation,
                    vec(-2.0f32..2.0, fan_in * outputs),
                    vec(-1.0f32..1.0, outputs),
                )
                    .prop_map(move |(activation, weights, bias)| RandomLayer {
                        activation,
                        weights,
                        bias,
                        outputs,
                    });
                fan_in = outputs;
                layer
            })
            .collect();
        (Just(inputs), layers, vec(-1.0f32..1.0, inputs))
    })
}

/// The forward pass in f64, or `None` when a step sees an input too close to 0 for f32
/// and f64 to be sure to agree.
fn reference(layers: &[RandomLayer], input: &[f32]) -> Option<Vec<f64>> {
    let mut x: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
    for layer in layers {
        let mut z: Vec<f64> = layer.bias.iter().map(|&b| f64::from(b)).collect();
        for (xi, row) in x.iter().zip(layer.weights.chunks_exact(layer.outputs)) {
            for (zo, &w) in z.iter_mut().zip(row) {
                *zo += xi * f64::from(w);
            }
        }
        match layer.activation {
            Activation::Identity => {}
            Activation::Step => {
                if z.iter().any(|v| v.abs() < 1e-3) {
                    return None;
                }
                z.iter_mut()
                    .for_each(|v| *v = if *v > 0.0 { 1.0 } else { 0.0 });
            }
            Activation::Sigmoid => z.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::LeakyRelu { slope } => z
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { f64::from(slope) * *v }),
            Activation::Softmax => {
                let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
                z.iter_mut().for_each(|v| *v = (*v - max).exp() / sum);
            }
        }
        x = z;
    }
    Some(x)
}

fn encode(inputs: usize, layers: &[RandomLayer]) -> Vec<u8> {
    let mut fan_in = inputs;
    let specs: Vec<DenseSpec<'_>> = layers
        .iter()
        .map(|l| {
            let spec = DenseSpec {
                inputs: fan_in,
                outputs: l.outputs,
                activation: l.activation,
                params: Params::F32 {
                    weights: &l.weights,
                    bias: &l.bias,
                },
            };
            fan_in = l.outputs;
            spec
        })
        .collect();
    let encoder = ModelEncoder::new(&specs).unwrap();
    let mut blob = vec![0; encoder.encoded_len()];
    encoder.emit(&mut blob).unwrap();
    blob
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn emit_parse_forward_matches_an_f64_reference((inputs, layers, input) in network()) {
        let Some(want) = reference(&layers, &input) else {
            return Err(TestCaseError::reject("step input too close to 0"));
        };
        let buf = BlobBuf::from_slice(&encode(inputs, &layers));
        let model = Model::from_bytes(buf.bytes()).unwrap();
        for (layer, spec) in model.layers().iter().zip(&layers) {
            let want = Params::F32 { weights: &spec.weights, bias: &spec.bias };
            prop_assert_eq!(layer.params(), want);
        }
        let mut runner = Runner::<20>::new(&model).unwrap();
        let got = runner.forward(&input).unwrap();
        prop_assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            let g = f64::from(*g);
            prop_assert!((g - w).abs() <= TOLERANCE * (1.0 + w.abs()), "{} vs {}", g, w);
        }
    }

    #[test]
    fn random_bytes_never_make_parse_panic(bytes in vec(any::<u8>(), 0..600)) {
        let buf = BlobBuf::from_slice(&bytes);
        let _ = Model::from_bytes(buf.bytes());
        let _ = Dataset::from_bytes(buf.bytes());
    }

    #[test]
    fn resealed_damage_never_makes_parse_or_forward_panic(
        (inputs, layers, _) in network(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut blob = encode(inputs, &layers);
        let covered = blob.len() - 4;
        for (at, value) in edits {
            blob[at.index(covered)] = value;
        }
        let crc = crc32(&blob[..covered]);
        blob[covered..].copy_from_slice(&crc.to_le_bytes());
        let buf = BlobBuf::from_slice(&blob);
        if let Ok(model) = Model::from_bytes(buf.bytes())
            && let Ok(mut runner) = Runner::<64>::new(&model)
        {
            let x = vec![0.5f32; model.input_len()];
            let out = runner.forward(&x).unwrap();
            prop_assert_eq!(out.len(), model.output_len());
        }
    }
}
