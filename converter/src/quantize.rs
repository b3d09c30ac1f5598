//! Quantizing a float network to f16 or int8, as `docs/blob-format.md` specifies.
//!
//! int8: weights symmetric per output channel (`scale = max|W[:, o]| / 127`), biases in
//! accumulator units with the input zero point folded in, hidden activations as 256-entry
//! tables over a calibrated 8-bit pre-activation range, and the output layer dequantized to
//! f32 for its activation (softmax). Rounding is half away from zero throughout.

use runtime::quant::PIXELS;
use runtime::{Activation, I8Out, I8Params, Params, Quant, Requantization, WeightOrder};

use crate::network::DenseParams;

/// Storage precision asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 32-bit floats.
    F32,
    /// IEEE half-precision weights, computed in f32.
    F16,
    /// int8 weights and activations.
    Int8,
}

/// Why a network cannot be quantized.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QuantizeError {
    /// int8 needs calibration images and none were given.
    #[error("int8 needs calibration images of {inputs} pixels")]
    NoCalibration {
        /// Pixels per image the network takes.
        inputs: usize,
    },
    /// A bias does not fit in 32 bits at its scale.
    #[error("layer {layer}: bias {index} does not fit an int32 accumulator at its scale")]
    BiasRange {
        /// Layer number, counting from 1.
        layer: usize,
        /// Output index.
        index: usize,
    },
    /// A requantization factor outside what a 31-bit multiplier and shift can express.
    #[error("layer {layer}: requantization factor {factor:e} of output {index} is out of range")]
    Multiplier {
        /// Layer number, counting from 1.
        layer: usize,
        /// Output index.
        index: usize,
        /// The factor.
        factor: f64,
    },
}

/// Owned parameters of one quantized layer, viewable as the runtime's [`Params`].
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedParams {
    /// f32 weights and bias.
    F32 {
        /// Weights, row-major.
        weights: Vec<f32>,
        /// Biases.
        bias: Vec<f32>,
    },
    /// Half-precision weight bits and f32 bias.
    F16 {
        /// Weights as binary16 bits, row-major.
        weights: Vec<u16>,
        /// Biases.
        bias: Vec<f32>,
    },
    /// int8 layer.
    I8 {
        /// Weights in `order`.
        weights: Vec<i8>,
        /// Where each weight lies in `weights`.
        order: WeightOrder,
        /// Biases in accumulator units, zero point folded in.
        bias: Vec<i32>,
        /// Input quantization.
        input: Quant,
        /// Table (hidden layers) or dequantization scales (output layer).
        output: OwnedOutput,
    },
}

/// Owned output stage of an int8 layer.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedOutput {
    /// Requantization to a table index, and the table.
    Table {
        /// Fixed-point multipliers.
        multipliers: Vec<i32>,
        /// Shifts.
        shifts: Vec<u8>,
        /// Index zero point.
        zero_point: u8,
        /// Activation table.
        table: Box<[u8; 256]>,
    },
    /// Per-channel scales to f32.
    Dequantize {
        /// Scales.
        scales: Vec<f32>,
    },
}

impl OwnedParams {
    /// The runtime's view of these parameters.
    pub fn view(&self) -> Params<'_> {
        match self {
            OwnedParams::F32 { weights, bias } => Params::F32 { weights, bias },
            OwnedParams::F16 { weights, bias } => Params::F16 { weights, bias },
            OwnedParams::I8 {
                weights,
                order,
                bias,
                input,
                output,
            } => Params::I8(I8Params {
                weights,
                order: *order,
                bias,
                input: *input,
                output: match output {
                    OwnedOutput::Table {
                        multipliers,
                        shifts,
                        zero_point,
                        table,
                    } => I8Out::Table(Requantization {
                        multipliers,
                        shifts,
                        zero_point: *zero_point,
                        table,
                    }),
                    OwnedOutput::Dequantize { scales } => I8Out::Dequantize { scales },
                },
            }),
        }
    }
}

/// Quantizes `layers` (with their activations) to `precision`; int8 calibrates on
/// `calibration` (`u8` images of the network's input length, end to end).
///
/// # Errors
/// [`QuantizeError`] for int8 without calibration images or with out-of-range parameters.
pub fn quantize(
    layers: &[DenseParams],
    activations: &[Activation],
    precision: Precision,
    calibration: &[u8],
) -> Result<Vec<OwnedParams>, QuantizeError> {
    match precision {
        Precision::F32 => Ok(layers
            .iter()
            .map(|l| OwnedParams::F32 {
                weights: l.weights.clone(),
                bias: l.bias.clone(),
            })
            .collect()),
        Precision::F16 => Ok(layers
            .iter()
            .map(|l| OwnedParams::F16 {
                weights: l
                    .weights
                    .iter()
                    .map(|&w| half::f16::from_f32(w).to_bits())
                    .collect(),
                bias: l.bias.clone(),
            })
            .collect()),
        Precision::Int8 => int8(layers, activations, calibration),
    }
}

fn int8(
    layers: &[DenseParams],
    activations: &[Activation],
    calibration: &[u8],
) -> Result<Vec<OwnedParams>, QuantizeError> {
    let inputs = layers.first().map_or(0, |l| l.inputs);
    if inputs == 0 || calibration.len() < inputs {
        return Err(QuantizeError::NoCalibration { inputs });
    }
    let ranges = pre_activation_ranges(layers, activations, calibration);
    let mut input = PIXELS;
    let mut out = Vec::with_capacity(layers.len());
    for (i, (layer, &activation)) in layers.iter().zip(activations).enumerate() {
        let number = i + 1;
        let (weights, weight_scales) = weights_per_channel(layer);
        let bias = bias_in_accumulator_units(layer, &weights, &weight_scales, input, number)?;
        let (output, next_input) = if i + 1 == layers.len() {
            let scales = weight_scales
                .iter()
                .map(|s| (f64::from(input.scale) * s) as f32)
                .collect();
            (OwnedOutput::Dequantize { scales }, input)
        } else {
            let (lo, hi) = clip(activation, ranges[i]);
            let domain = affine(lo, hi);
            let next = output_quant(activation, domain, lo, hi);
            let (multipliers, shifts) = requantization(&weight_scales, input, domain, number)?;
            let table = OwnedOutput::Table {
                multipliers,
                shifts,
                zero_point: domain.zero_point,
                table: Box::new(table(activation, domain, next)),
            };
            (table, next)
        };
        // Layer 1 reads mostly-zero pixels, which the input-major kernel skips. Later layers
        // read dense activations, which the column-block kernel sums in registers (both
        // measured on the Cortex-M4 for the book's network).
        let order = if i == 0 {
            WeightOrder::InputMajor
        } else {
            WeightOrder::ColumnBlocks
        };
        out.push(OwnedParams::I8 {
            weights: reorder(&weights, layer.inputs, layer.outputs, order),
            order,
            bias,
            input,
            output,
        });
        input = next_input;
    }
    Ok(out)
}

/// Input-major `inputs × outputs` weights stored in `order` instead.
fn reorder(weights: &[i8], inputs: usize, outputs: usize, order: WeightOrder) -> Vec<i8> {
    let mut out = vec![0; weights.len()];
    for (k, &w) in weights.iter().enumerate() {
        out[order.position(inputs, outputs, k / outputs, k % outputs)] = w;
    }
    out
}

/// Symmetric per-output-channel int8 weights and their scales.
fn weights_per_channel(layer: &DenseParams) -> (Vec<i8>, Vec<f64>) {
    let n = layer.outputs;
    let mut max = vec![0f64; n];
    for row in layer.weights.chunks_exact(n) {
        for (m, &w) in max.iter_mut().zip(row) {
            *m = m.max(f64::from(w).abs());
        }
    }
    let scales: Vec<f64> = max
        .iter()
        .map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect();
    let weights = layer
        .weights
        .chunks_exact(n)
        .flat_map(|row| {
            row.iter()
                .zip(&scales)
                .map(|(&w, s)| (f64::from(w) / s).round().clamp(-127.0, 127.0) as i8)
        })
        .collect();
    (weights, scales)
}

/// `round(b / (s_x × s_w)) − z_x × Σ_i W[i][o]`, checked to fit an i32.
fn bias_in_accumulator_units(
    layer: &DenseParams,
    weights: &[i8],
    weight_scales: &[f64],
    input: Quant,
    number: usize,
) -> Result<Vec<i32>, QuantizeError> {
    let n = layer.outputs;
    let mut column_sums = vec![0i64; n];
    for row in weights.chunks_exact(n) {
        for (sum, &w) in column_sums.iter_mut().zip(row) {
            *sum += i64::from(w);
        }
    }
    layer
        .bias
        .iter()
        .zip(weight_scales)
        .zip(&column_sums)
        .enumerate()
        .map(|(index, ((&b, s), sum))| {
            let q = (f64::from(b) / (f64::from(input.scale) * s)).round();
            let folded = q - f64::from(input.zero_point) * *sum as f64;
            if folded.abs() >= 2f64.powi(31) {
                return Err(QuantizeError::BiasRange {
                    layer: number,
                    index,
                });
            }
            Ok(folded as i32)
        })
        .collect()
}

/// Fixed-point form `(m, shift)` with `m` in `[2^30, 2^31)` of each output's factor
/// `s_x × s_w[o] / s_domain`.
fn requantization(
    weight_scales: &[f64],
    input: Quant,
    domain: Quant,
    layer: usize,
) -> Result<(Vec<i32>, Vec<u8>), QuantizeError> {
    let mut multipliers = Vec::with_capacity(weight_scales.len());
    let mut shifts = Vec::with_capacity(weight_scales.len());
    for (index, s) in weight_scales.iter().enumerate() {
        let factor = f64::from(input.scale) * s / f64::from(domain.scale);
        let exponent = factor.log2().floor() as i32;
        let mut shift = 30 - exponent;
        let mut m = (factor * 2f64.powi(shift)).round();
        if m >= 2f64.powi(31) {
            m /= 2.0;
            shift -= 1;
        }
        if !(1..=62).contains(&shift) || !(2f64.powi(30)..2f64.powi(31)).contains(&m) {
            return Err(QuantizeError::Multiplier {
                layer,
                index,
                factor,
            });
        }
        multipliers.push(m as i32);
        shifts.push(shift as u8);
    }
    Ok((multipliers, shifts))
}

/// The pre-activation range worth resolving: a sigmoid or step is flat beyond ±8.
fn clip(activation: Activation, (lo, hi): (f64, f64)) -> (f64, f64) {
    let (lo, hi) = match activation {
        Activation::Sigmoid | Activation::Step => (lo.max(-8.0), hi.min(8.0)),
        _ => (lo, hi),
    };
    // Real 0 must be representable.
    (lo.min(0.0), hi.max(0.0))
}

/// Asymmetric `u8` quantization of `[lo, hi]`.
fn affine(lo: f64, hi: f64) -> Quant {
    let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    Quant {
        scale: scale as f32,
        zero_point: (-lo / scale).round().clamp(0.0, 255.0) as u8,
    }
}

/// Quantization of the activation's output over the pre-activation range `[lo, hi]`.
fn output_quant(activation: Activation, domain: Quant, lo: f64, hi: f64) -> Quant {
    match activation {
        Activation::Sigmoid | Activation::Step | Activation::Softmax => PIXELS,
        Activation::Identity => domain,
        Activation::Relu | Activation::LeakyRelu { .. } => {
            let f = |x| f64::from(apply(activation, x as f32));
            affine(f(lo).min(0.0), f(hi).max(0.0))
        }
    }
}

/// `table[t] = clamp(round(act(s_a × (t − z_a)) / s_y) + z_y, 0, 255)`.
fn table(activation: Activation, domain: Quant, output: Quant) -> [u8; 256] {
    let mut table = [0u8; 256];
    for (t, entry) in table.iter_mut().enumerate() {
        let pre = f64::from(domain.scale) * (t as f64 - f64::from(domain.zero_point));
        let y = f64::from(apply(activation, pre as f32));
        let q = (y / f64::from(output.scale)).round() + f64::from(output.zero_point);
        *entry = q.clamp(0.0, 255.0) as u8;
    }
    table
}

fn apply(activation: Activation, x: f32) -> f32 {
    let mut v = [x];
    activation.apply(&mut v);
    v[0]
}

/// Per layer, the smallest and largest pre-activation (`x · W + b`) over the calibration
/// images, computed in f32 with the float network.
fn pre_activation_ranges(
    layers: &[DenseParams],
    activations: &[Activation],
    calibration: &[u8],
) -> Vec<(f64, f64)> {
    let inputs = layers.first().map_or(1, |l| l.inputs);
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); layers.len()];
    for image in calibration.chunks_exact(inputs) {
        let mut x: Vec<f32> = image.iter().map(|&p| f32::from(p) / 255.0).collect();
        for ((layer, &activation), range) in layers.iter().zip(activations).zip(&mut ranges) {
            let mut out = vec![0f32; layer.outputs];
            runtime::dense::dense(&x, &layer.weights, &layer.bias, &mut out);
            for &a in &out {
                range.0 = range.0.min(f64::from(a));
                range.1 = range.1.max(f64::from(a));
            }
            activation.apply(&mut out);
            x = out;
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(inputs: usize, outputs: usize) -> DenseParams {
        // Deterministic values of mixed sign and magnitude, one column all zero.
        let weights = (0..inputs * outputs)
            .map(|k| {
                if k % outputs == outputs - 1 {
                    0.0
                } else {
                    ((k * 7919 % 1000) as f32 / 1000.0 - 0.5) * (1 + k % 3) as f32
                }
            })
            .collect();
        let bias = (0..outputs).map(|o| o as f32 * 0.1 - 0.2).collect();
        DenseParams {
            inputs,
            outputs,
            weights,
            bias,
        }
    }

    #[test]
    fn int8_weights_dequantize_within_half_a_step() {
        let l = layer(30, 7);
        let (q, scales) = weights_per_channel(&l);
        for (row_q, row_w) in q.chunks_exact(7).zip(l.weights.chunks_exact(7)) {
            for ((&q, &w), s) in row_q.iter().zip(row_w).zip(&scales) {
                assert!((-127..=127).contains(&q));
                let back = f64::from(q) * s;
                assert!(
                    (back - f64::from(w)).abs() <= s / 2.0 + 1e-12,
                    "{w} vs {back}"
                );
            }
        }
        // The largest weight of each column maps to ±127; the zero column keeps scale 1.
        assert_eq!(scales[6], 1.0);
        for o in 0..6 {
            assert!(q.iter().skip(o).step_by(7).any(|&v| v.abs() == 127));
        }
    }

    #[test]
    fn f16_weights_round_trip_within_half_an_ulp() {
        let l = layer(20, 5);
        let out = quantize(
            std::slice::from_ref(&l),
            &[Activation::Softmax],
            Precision::F16,
            &[],
        )
        .unwrap();
        let OwnedParams::F16 { weights, .. } = &out[0] else {
            panic!("f16 expected");
        };
        for (&h, &w) in weights.iter().zip(&l.weights) {
            let back = runtime::half::f16_to_f32(h);
            assert!(
                (back - w).abs() <= w.abs() * 2f32.powi(-11),
                "{w} vs {back}"
            );
        }
    }

    #[test]
    fn fixed_point_multipliers_match_their_factors() {
        let input = PIXELS;
        let domain = Quant {
            scale: 0.0625,
            zero_point: 128,
        };
        let scales = [1e-3, 0.02, 0.5, 3.0];
        let (m, s) = requantization(&scales, input, domain, 1).unwrap();
        for ((&m, &s), w) in m.iter().zip(&s).zip(scales) {
            assert!((1 << 30..=i32::MAX).contains(&m));
            let factor = f64::from(input.scale) * w / f64::from(domain.scale);
            let got = f64::from(m) / 2f64.powi(i32::from(s));
            assert!(
                (got - factor).abs() <= factor * 2f64.powi(-30),
                "{got} vs {factor}"
            );
        }
    }

    #[test]
    fn sigmoid_table_is_monotonic_and_centred() {
        let domain = affine(-8.0, 8.0);
        let t = table(Activation::Sigmoid, domain, PIXELS);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!((t[0], t[255]), (0, 255));
        // Pre-activation 0 is index zero_point; sigmoid(0) = 0.5 over the f32 step 1/255
        // (a hair above the real 1/255) is just below 127.5.
        assert_eq!(t[usize::from(domain.zero_point)], 127);
    }

    #[test]
    fn int8_without_calibration_is_an_error() {
        let err = quantize(&[layer(4, 2)], &[Activation::Softmax], Precision::Int8, &[]);
        assert_eq!(err.unwrap_err(), QuantizeError::NoCalibration { inputs: 4 });
    }
}
