//! The forward pass: a model bound to scratch buffers of fixed capacity.

use crate::activation::Activation;
use crate::dense::{BLOCK, dense, dense_blocks};
#[cfg(feature = "int8")]
use crate::dense_i8::{dense_i8, dense_i8_any_order, later_layer};
use crate::error::{CapacityError, ShapeError};
use crate::input::Input;
use crate::kernels::{Kernels, Portable};
#[cfg(not(target_arch = "arm"))]
use crate::kernels::{PIXEL_ROW_LANES, WeightRows};
#[cfg(feature = "int8")]
use crate::manifest::WeightOrder;
use crate::model::{Layer, Model};
#[cfg(not(target_arch = "arm"))]
use crate::panel::{self, Columns, MAX_WIDTH, PANEL};
#[cfg(all(not(target_arch = "arm"), feature = "int8"))]
use crate::panel_i8;
#[cfg(feature = "int8")]
use crate::params::I8Out;
use crate::params::{Params, Precision};
#[cfg(feature = "int8")]
use crate::quant::PIXELS;
use crate::softmax::{argmax, class_after_softmax, clear_leader};

/// Runs a model with two scratch buffers of `N` values each, held inline (no heap).
///
/// `N` must be at least the model's widest layer output ([`Model::max_width`]); the input
/// is read where it lies and needs no scratch. RAM use is `2 × N × 4` bytes plus a
/// reference to the model.
///
/// # Examples
/// ```
/// # fn demo(model: &runtime::Model<'_>, pixels: &[u8; 784]) -> Result<(), runtime::ShapeError> {
/// let mut runner = runtime::Runner::<100>::new(model).expect("model wider than 100");
/// let digit = runner.classify(pixels)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Runner<'m, const N: usize, K = Portable> {
    model: &'m Model<'m>,
    front: [f32; N],
    back: [f32; N],
    // A Cortex-M build reads the kernels only for int8 layers.
    #[cfg_attr(all(target_arch = "arm", not(feature = "int8")), allow(dead_code))]
    kernels: K,
}

impl<'m, const N: usize> Runner<'m, N> {
    /// Binds `model` to scratch buffers of capacity `N`.
    ///
    /// # Errors
    /// [`CapacityError`] naming the first layer wider than `N`, or one whose precision's
    /// kernels this build leaves out.
    pub fn new(model: &'m Model<'m>) -> Result<Self, CapacityError> {
        for (layer, l) in (1..).zip(model.layers()) {
            if l.outputs() > N {
                return Err(CapacityError::TooWide {
                    layer,
                    width: l.outputs(),
                    capacity: N,
                });
            }
            let precision = l.precision();
            let built = match precision {
                Precision::F32 => true,
                Precision::F16 => cfg!(feature = "f16"),
                Precision::Int8 => cfg!(feature = "int8"),
            };
            if !built {
                return Err(CapacityError::KernelDisabled { layer, precision });
            }
        }
        Ok(Runner {
            model,
            front: [0.0; N],
            back: [0.0; N],
            kernels: Portable,
        })
    }
}

impl<'m, const N: usize, K: Kernels> Runner<'m, N, K> {
    /// This runner with `kernels` instead of the current ones: a host may supply kernels
    /// built for its CPU. Results stay the same bit for bit.
    pub fn with_kernels<L: Kernels>(self, kernels: L) -> Runner<'m, N, L> {
        Runner {
            model: self.model,
            front: self.front,
            back: self.back,
            kernels,
        }
    }

    /// The model this runner executes.
    pub fn model(&self) -> &'m Model<'m> {
        self.model
    }

    /// Runs one input (`f32` values or `u8` pixels) and returns the output layer's values.
    ///
    /// # Errors
    /// [`ShapeError::Input`] when `input` is not [`Model::input_len`] long.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    pub fn forward<T: Input>(&mut self, input: &[T]) -> Result<&[f32], ShapeError> {
        self.check_input(input.len())?;
        Ok(self.run(input, &mut |_| {}, Ends::Outputs))
    }

    /// Like [`Runner::forward`], calling `after_layer(n)` as each layer `n` (counting from 1)
    /// finishes: for per-layer timing on a target.
    ///
    /// # Errors
    /// As [`Runner::forward`].
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    pub fn forward_traced<T: Input>(
        &mut self,
        input: &[T],
        mut after_layer: impl FnMut(usize),
    ) -> Result<&[f32], ShapeError> {
        self.check_input(input.len())?;
        Ok(self.run(input, &mut after_layer, Ends::Outputs))
    }

    /// Runs one input and returns the index of the largest output: the predicted class.
    ///
    /// The class is always that of [`Runner::forward`]'s outputs. On desktop CPUs a last
    /// layer's softmax runs only when it could change the class: when another value lies
    /// within 2^-16 of the largest, or they are not finite ([`clear_leader`]).
    ///
    /// # Errors
    /// As [`Runner::forward`].
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    pub fn classify<T: Input>(&mut self, input: &[T]) -> Result<usize, ShapeError> {
        self.check_input(input.len())?;
        let ends = self.class_ends();
        Ok(class_of(self.run(input, &mut |_| {}, ends), ends))
    }

    /// Runs a batch of inputs laid end to end and writes their outputs end to end.
    ///
    /// # Errors
    /// [`ShapeError::Batch`] when `inputs` is not a whole number of inputs,
    /// [`ShapeError::Output`] when `outputs` does not hold one output per input.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    pub fn forward_batch<T: Input>(
        &mut self,
        inputs: &[T],
        outputs: &mut [f32],
    ) -> Result<(), ShapeError> {
        let (in_len, out_len) = (self.model.input_len(), self.model.output_len());
        let count = batch_count(inputs.len(), in_len)?;
        check_output(outputs.len(), count * out_len)?;
        for (input, output) in inputs
            .chunks_exact(in_len)
            .zip(outputs.chunks_exact_mut(out_len))
        {
            for (o, v) in output
                .iter_mut()
                .zip(self.run(input, &mut |_| {}, Ends::Outputs))
            {
                *o = *v;
            }
        }
        Ok(())
    }

    /// Classifies a batch of inputs laid end to end, one class per input into `classes`.
    ///
    /// # Errors
    /// As [`Runner::forward_batch`], with `classes` holding one entry per input.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    pub fn classify_batch<T: Input>(
        &mut self,
        inputs: &[T],
        classes: &mut [usize],
    ) -> Result<(), ShapeError> {
        let in_len = self.model.input_len();
        let count = batch_count(inputs.len(), in_len)?;
        check_output(classes.len(), count)?;
        #[cfg(not(target_arch = "arm"))]
        let done = self.classify_panels(inputs, classes);
        #[cfg(target_arch = "arm")]
        let done = 0;
        let rest = inputs.get(done * in_len..).unwrap_or(&[]);
        let ends = self.class_ends();
        for (input, class) in rest.chunks_exact(in_len).zip(classes.iter_mut().skip(done)) {
            *class = class_of(self.run(input, &mut |_| {}, ends), ends);
        }
        Ok(())
    }

    /// Classifies the whole panels of a float model's batch, [`PANEL`] images at a time,
    /// each weight loaded once for many images (see [`panel`]). Returns the number of images
    /// classified, with the classes [`Runner::classify`] gives: none when a layer is wider
    /// than [`MAX_WIDTH`]. The panel's activations are on the stack (32 KiB), which a
    /// desktop thread has to spare.
    #[cfg(not(target_arch = "arm"))]
    #[inline(always)]
    fn classify_panels<T: Input>(&mut self, inputs: &[T], classes: &mut [usize]) -> usize {
        let layers = self.model.layers();
        let Some((first, rest)) = layers.split_first() else {
            return 0;
        };
        // A batch with no whole panel skips the panel's buffers too (32 or 36 KiB to zero).
        if self.model.max_width() > MAX_WIDTH || inputs.len() < PANEL * self.model.input_len() {
            return 0;
        }
        if self.model.precision() == Precision::Int8 {
            #[cfg(feature = "int8")]
            return self.classify_panels_i8(inputs, classes);
            #[cfg(not(feature = "int8"))]
            return 0;
        }
        let in_len = self.model.input_len();
        let mut buffers = [[[0.0f32; PANEL]; MAX_WIDTH]; 2];
        let mut done = 0;
        for (images, classes) in inputs
            .chunks_exact(PANEL * in_len)
            .zip(classes.chunks_exact_mut(PANEL))
        {
            let [mut cur, mut next] = buffers.each_mut();
            match first.params() {
                Params::F32 { weights, bias } => {
                    panel::first_layer(images, weights, bias, cur, &self.kernels);
                }
                #[cfg(feature = "f16")]
                Params::F16 { weights, bias } => {
                    panel::first_layer(images, weights, bias, cur, &self.kernels);
                }
                _ => return done,
            }
            activate_columns(Ends::Logits.activation(first, rest.is_empty()), first, cur);
            for (i, layer) in (1..).zip(rest) {
                match layer.params() {
                    Params::F32 { weights, bias } => {
                        panel::layer(cur, weights, bias, next, &self.kernels);
                    }
                    #[cfg(feature = "f16")]
                    Params::F16 { weights, bias } => {
                        panel::layer(cur, weights, bias, next, &self.kernels);
                    }
                    _ => return done,
                }
                activate_columns(
                    Ends::Logits.activation(layer, i == layers.len() - 1),
                    layer,
                    next,
                );
                core::mem::swap(&mut cur, &mut next);
            }
            classes.copy_from_slice(&panel_classes(layers.last(), cur));
            done += PANEL;
        }
        done
    }

    /// [`Runner::classify_panels`] for an int8 model whose first layer reads pixels
    /// (input-major weights, inputs quantized as pixels) and whose last layer alone
    /// dequantizes: other models run image by image (none classified here). The panel's
    /// sums, activations and outputs are on the stack (36 KiB).
    #[cfg(all(not(target_arch = "arm"), feature = "int8"))]
    #[inline(always)]
    fn classify_panels_i8<T: Input>(&mut self, inputs: &[T], classes: &mut [usize]) -> usize {
        let layers = self.model.layers();
        let last = layers.len().saturating_sub(1);
        let panel_ready = layers
            .iter()
            .enumerate()
            .all(|(i, layer)| match layer.params() {
                Params::I8(p) => {
                    let first_ok =
                        i > 0 || (p.order == WeightOrder::InputMajor && p.input == PIXELS);
                    let output_ok = matches!(p.output, I8Out::Dequantize { .. }) == (i == last);
                    first_ok && output_ok
                }
                _ => false,
            });
        let Some(pixels) = T::as_pixels(inputs).filter(|_| panel_ready) else {
            return 0;
        };
        let in_len = self.model.input_len();
        let mut sums: panel_i8::Sums = [[0; PANEL]; MAX_WIDTH];
        let mut bytes: panel_i8::Bytes = [[0; PANEL]; MAX_WIDTH];
        let mut out: Columns = [[0.0; PANEL]; MAX_WIDTH];
        let mut done = 0;
        for (images, classes) in pixels
            .chunks_exact(PANEL * in_len)
            .zip(classes.chunks_exact_mut(PANEL))
        {
            for (i, layer) in layers.iter().enumerate() {
                let Params::I8(p) = layer.params() else {
                    return done;
                };
                let acc = sums.get_mut(..layer.outputs()).unwrap_or(&mut []);
                if i == 0 {
                    panel_i8::first_layer(images, &p, acc, &self.kernels);
                } else {
                    let x = bytes.get(..layer.inputs()).unwrap_or(&[]);
                    panel_i8::layer(x, &p, acc, &self.kernels);
                }
                match p.output {
                    I8Out::Table(requantization) => {
                        panel_i8::requantize(acc, &requantization, &mut bytes, &self.kernels);
                    }
                    I8Out::Dequantize { scales } => {
                        panel_i8::dequantize(acc, scales, &mut out);
                        activate_columns(
                            Ends::Logits.activation(layer, i == last),
                            layer,
                            &mut out,
                        );
                    }
                }
            }
            classes.copy_from_slice(&panel_classes(layers.last(), &out));
            done += PANEL;
        }
        done
    }

    /// [`ShapeError::Input`] unless `len` is the model's input length.
    fn check_input(&self, len: usize) -> Result<(), ShapeError> {
        let expected = self.model.input_len();
        if len == expected {
            Ok(())
        } else {
            Err(ShapeError::Input {
                expected,
                found: len,
            })
        }
    }

    /// How a pass that needs only the class ends: before the last layer's softmax where
    /// there is one, on desktop CPUs. A Cortex-M keeps the softmax: leaving it out saved
    /// under 1% of the instructions there, and the rare softmax afterwards cost 2.0 to
    /// 2.4 KB of runtime code, past its 16 KB budget (measured).
    fn class_ends(&self) -> Ends {
        let last = self.model.layers().last();
        let softmax = last.is_some_and(|layer| layer.activation() == Activation::Softmax);
        if softmax && cfg!(not(target_arch = "arm")) {
            Ends::Logits
        } else {
            Ends::Outputs
        }
    }

    /// The layer loop; `input` has the model's input length and every layer fits `N`.
    // The callback is `dyn` and, on a Cortex-M, inlining is refused so that the layer loop
    // exists once per input type, however many entry points call it (code size). Elsewhere
    // the entry points, this loop and the kernels below it inline all the way, so that a
    // caller compiled for wider vector units (AVX2, AVX-512; see the converter's `vector`
    // module) gets the kernels compiled for them too.
    #[cfg_attr(target_arch = "arm", inline(never))]
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    fn run<T: Input>(
        &mut self,
        input: &[T],
        after_layer: &mut dyn FnMut(usize),
        ends: Ends,
    ) -> &mut [f32] {
        match self.model.precision() {
            #[cfg(feature = "int8")]
            Precision::Int8 => self.run_int8(input, after_layer, ends),
            _ => self.run_float(input, after_layer, ends),
        }
    }

    /// Float layers: f32 activations ping-pong between the two buffers.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    fn run_float<T: Input>(
        &mut self,
        input: &[T],
        after_layer: &mut dyn FnMut(usize),
        ends: Ends,
    ) -> &mut [f32] {
        let layers = self.model.layers();
        let Some((first, rest)) = layers.split_first() else {
            return &mut [];
        };
        let count = layers.len();
        let (mut cur, mut next) = (&mut self.front, &mut self.back);
        let out = prefix_mut(cur, first.outputs());
        #[cfg(not(target_arch = "arm"))]
        let done = pixel_rows_layer(first, input, out, &self.kernels);
        #[cfg(target_arch = "arm")]
        let done = false;
        if !done {
            float_layer(first, input, out, true);
        }
        ends.activation(first, count == 1).apply(out);
        after_layer(1);
        let mut width = first.outputs();
        for (n, layer) in (2..).zip(rest) {
            let (input, out) = (prefix(cur, width), prefix_mut(next, layer.outputs()));
            #[cfg(not(target_arch = "arm"))]
            let done = kernels_layer(layer, input, out, &self.kernels);
            #[cfg(target_arch = "arm")]
            let done = false;
            if !done {
                float_layer(layer, input, out, false);
            }
            ends.activation(layer, n == count).apply(out);
            after_layer(n);
            width = layer.outputs();
            core::mem::swap(&mut cur, &mut next);
        }
        prefix_mut(cur, width)
    }

    #[cfg(feature = "int8")]
    /// Int8 layers: `u8` activations and `i32` accumulators in the same buffers, viewed
    /// as bytes and integers; the last layer dequantizes to f32.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    fn run_int8<T: Input>(
        &mut self,
        input: &[T],
        after_layer: &mut dyn FnMut(usize),
        ends: Ends,
    ) -> &mut [f32] {
        let (mut cur, mut next) = (&mut self.front, &mut self.back);
        let mut width = 0;
        let count = self.model.layers().len();
        for (i, layer) in self.model.layers().iter().enumerate() {
            let Params::I8(p) = layer.params() else {
                return &mut [];
            };
            let outputs = layer.outputs();
            let acc = as_i32(prefix_mut(next, outputs));
            if i > 0 {
                let x = as_bytes(cur).get(..width).unwrap_or(&[]);
                later_layer(x, &p, acc, &self.kernels);
            } else if p.order != WeightOrder::InputMajor {
                let quantize = |x: T| p.input.quantize(x.to_f32());
                dense_i8_any_order(input, quantize, p.order, p.weights, p.bias, acc);
            } else if let (Some(pixels), true) = (T::as_pixels(input), p.input == PIXELS) {
                self.kernels.input_major(pixels, p.weights, p.bias, acc);
            } else {
                let quantize = |x: T| p.input.quantize(x.to_f32());
                dense_i8(input, quantize, p.weights, p.bias, acc);
            }
            match &p.output {
                I8Out::Table(requantization) => {
                    let bytes = as_bytes_mut(next);
                    self.kernels
                        .narrow_through_table(bytes, outputs, requantization);
                }
                I8Out::Dequantize { scales } => {
                    let out = prefix_mut(next, outputs);
                    for (x, s) in out.iter_mut().zip(*scales) {
                        // The buffer holds the accumulator's bits.
                        *x = x.to_bits() as i32 as f32 * s;
                    }
                    ends.activation(layer, i + 1 == count).apply(out);
                }
            }
            after_layer(i + 1);
            width = outputs;
            core::mem::swap(&mut cur, &mut next);
        }
        prefix_mut(cur, width)
    }
}

/// A float layer's dense product in its weight precision (the caller applies the
/// activation). The first layer reads the model's input, mostly zero pixels for MNIST: unless
/// one block holds all its outputs, it streams the rows of the non-zero inputs instead of
/// passing over the inputs once per block. A Cortex-M streams rows always (fewer
/// instructions, measured).
#[cfg_attr(not(target_arch = "arm"), inline(always))]
fn float_layer<X: Input>(layer: &Layer<'_>, input: &[X], out: &mut [f32], first: bool) {
    let rows = cfg!(target_arch = "arm") || (first && out.len() > BLOCK);
    match layer.params() {
        Params::F32 { weights, bias } if rows => dense(input, weights, bias, out),
        Params::F32 { weights, bias } => dense_blocks(input, weights, bias, out, first),
        #[cfg(feature = "f16")]
        Params::F16 { weights, bias } if rows => dense(input, weights, bias, out),
        #[cfg(feature = "f16")]
        Params::F16 { weights, bias } => dense_blocks(input, weights, bias, out, first),
        _ => {}
    }
}

/// A first layer of f32 weights reading pixels through [`Kernels::add_pixel_rows`],
/// [`PIXEL_ROW_LANES`] outputs at a time; `false` when the kernels leave it to the runtime.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn pixel_rows_layer<X: Input>(
    layer: &Layer<'_>,
    input: &[X],
    out: &mut [f32],
    kernels: &impl Kernels,
) -> bool {
    let (Params::F32 { weights, bias }, Some(pixels)) = (layer.params(), X::as_pixels(input))
    else {
        return false;
    };
    let stride = out.len();
    let blocks = out
        .chunks_mut(PIXEL_ROW_LANES)
        .zip(bias.chunks(PIXEL_ROW_LANES));
    for (col, (out, bias)) in (0..).step_by(PIXEL_ROW_LANES).zip(blocks) {
        let rows = WeightRows {
            weights,
            stride,
            col,
        };
        let mut sums = [0.0; PIXEL_ROW_LANES];
        // A refusal after some blocks leaves them all to the runtime, which rewrites `out`.
        if !kernels.add_pixel_rows(pixels, 0, &rows, &mut sums) {
            return false;
        }
        for ((y, s), b) in out.iter_mut().zip(sums).zip(bias) {
            *y = s + b;
        }
    }
    true
}

/// A later layer of f32 weights through [`Kernels::dense_f32`]; `false` when the kernels
/// leave it to the runtime.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn kernels_layer(
    layer: &Layer<'_>,
    input: &[f32],
    out: &mut [f32],
    kernels: &impl Kernels,
) -> bool {
    let Params::F32 { weights, bias } = layer.params() else {
        return false;
    };
    kernels.dense_f32(input, weights, bias, out)
}

/// Applies `activation` to each image of a panel's outputs of `layer`: to all values at
/// once when it acts on each value alone, to all images at once for softmax.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn activate_columns(activation: Activation, layer: &Layer<'_>, columns: &mut Columns) {
    let values = columns.get_mut(..layer.outputs()).unwrap_or(&mut []);
    match activation {
        Activation::Softmax => panel::softmax(values),
        activation => activation.apply(values.as_flattened_mut()),
    }
}

/// Each image's class from a panel's outputs of the `last` layer, activated as
/// [`Ends::Logits`] leaves them (without a last softmax).
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn panel_classes(last: Option<&Layer<'_>>, columns: &Columns) -> [usize; PANEL] {
    let rows = columns.get(..last.map_or(0, Layer::outputs)).unwrap_or(&[]);
    match last.map(Layer::activation) {
        Some(Activation::Softmax) => panel::classes_after_softmax(rows),
        _ => panel::argmax(rows),
    }
}

/// The class of a forward pass's values, which ended as `ends` says.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
fn class_of(values: &mut [f32], ends: Ends) -> usize {
    match ends {
        Ends::Logits => clear_leader(values).unwrap_or_else(|| class_after_softmax(values)),
        Ends::Outputs => argmax(values).unwrap_or(0),
    }
}

/// What a forward pass ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ends {
    /// The model's outputs.
    Outputs,
    /// The values before the last layer's softmax, whose order it keeps where they lie
    /// clearly apart ([`clear_leader`]).
    Logits,
}

impl Ends {
    /// The activation to apply to `layer`'s outputs.
    #[cfg_attr(not(target_arch = "arm"), inline(always))]
    fn activation(self, layer: &Layer<'_>, last: bool) -> Activation {
        match layer.activation() {
            Activation::Softmax if last && self == Ends::Logits => Activation::Identity,
            activation => activation,
        }
    }
}

/// Number of inputs in a batch of `len` values.
fn batch_count(len: usize, input_len: usize) -> Result<usize, ShapeError> {
    if input_len == 0 || len % input_len != 0 {
        return Err(ShapeError::Batch {
            input_len,
            found: len,
        });
    }
    Ok(len / input_len)
}

fn check_output(found: usize, expected: usize) -> Result<(), ShapeError> {
    if found == expected {
        Ok(())
    } else {
        Err(ShapeError::Output { expected, found })
    }
}

// f32 buffers viewed as the integers of int8 layers; f32 → i32 or u8 always fits, so the
// fallbacks are never taken.
#[cfg(feature = "int8")]
fn as_i32(buf: &mut [f32]) -> &mut [i32] {
    bytemuck::try_cast_slice_mut(buf).unwrap_or(&mut [])
}

#[cfg(feature = "int8")]
fn as_bytes(buf: &[f32]) -> &[u8] {
    bytemuck::try_cast_slice(buf).unwrap_or(&[])
}

#[cfg(feature = "int8")]
fn as_bytes_mut(buf: &mut [f32]) -> &mut [u8] {
    bytemuck::try_cast_slice_mut(buf).unwrap_or(&mut [])
}

// `Runner::new` guarantees every width fits `N`; the fallbacks are never taken.
fn prefix<const N: usize>(buf: &[f32; N], len: usize) -> &[f32] {
    buf.get(..len).unwrap_or(&[])
}

fn prefix_mut<const N: usize>(buf: &mut [f32; N], len: usize) -> &mut [f32] {
    buf.get_mut(..len).unwrap_or(&mut [])
}

#[cfg(test)]
mod tests {
    use crate::softmax::argmax;
    use crate::{Activation, Aligned, DenseSpec, Model, ModelEncoder, Params, Runner};

    /// `classify` and the argmax of `forward` for a layer of zero weights, whose outputs
    /// are `bias` through `activation`; `classify_batch` of a panel and one more image
    /// (on desktop CPUs, the panel's path and the one-image path) gives `classify`'s class
    /// for each.
    fn classes(bias: &[f32; 4], activation: Activation) -> (usize, usize) {
        let weights = [0.0; 2 * 4];
        let layers = [DenseSpec {
            inputs: 2,
            outputs: 4,
            activation,
            params: Params::F32 {
                weights: &weights,
                bias,
            },
        }];
        let mut buf = Aligned([0u8; 512]);
        let len = ModelEncoder::new(&layers)
            .unwrap()
            .emit(&mut buf.0)
            .unwrap();
        let model = Model::from_bytes(&buf.0[..len]).unwrap();
        let mut runner = Runner::<4>::new(&model).unwrap();
        let input = [1.0f32, 2.0];
        let forward = argmax(runner.forward(&input).unwrap()).unwrap();
        let class = runner.classify(&input).unwrap();
        let batch = input.repeat(crate::panel::PANEL + 1);
        let mut batch_classes = [usize::MAX; crate::panel::PANEL + 1];
        runner.classify_batch(&batch, &mut batch_classes).unwrap();
        assert_eq!(batch_classes, [class; crate::panel::PANEL + 1]);
        (class, forward)
    }

    #[test]
    fn classify_is_the_argmax_of_forward_at_near_ties() {
        let top = 0.3f32;
        let below = f32::from_bits(top.to_bits() - 1);
        // Softmax rounds these two to the same probability, and the first wins.
        let near = [below, top, -5.0, -6.0];
        assert_eq!(classes(&near, Activation::Softmax), (0, 0));
        // Without softmax the larger one wins.
        assert_eq!(classes(&near, Activation::Identity), (1, 1));
        assert_eq!(classes(&[0.1, 2.0, 2.0, -1.0], Activation::Softmax), (1, 1));
        assert_eq!(classes(&[0.1, 2.0, 1.0, -1.0], Activation::Softmax), (1, 1));
    }
}
