//! The forward pass: a model bound to scratch buffers of fixed capacity.

use crate::dense::dense;
use crate::error::{CapacityError, ShapeError};
use crate::input::Input;
use crate::model::Model;
use crate::softmax::argmax;

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
pub struct Runner<'m, const N: usize> {
    model: &'m Model<'m>,
    front: [f32; N],
    back: [f32; N],
}

impl<'m, const N: usize> Runner<'m, N> {
    /// Binds `model` to scratch buffers of capacity `N`.
    ///
    /// # Errors
    /// [`CapacityError`] naming the first layer wider than `N`.
    pub fn new(model: &'m Model<'m>) -> Result<Self, CapacityError> {
        let too_wide = (1..).zip(model.layers()).find(|(_, l)| l.outputs() > N);
        if let Some((layer, l)) = too_wide {
            return Err(CapacityError {
                layer,
                width: l.outputs(),
                capacity: N,
            });
        }
        Ok(Runner {
            model,
            front: [0.0; N],
            back: [0.0; N],
        })
    }

    /// The model this runner executes.
    pub fn model(&self) -> &'m Model<'m> {
        self.model
    }

    /// Runs one input (`f32` values or `u8` pixels) and returns the output layer's values.
    ///
    /// # Errors
    /// [`ShapeError::Input`] when `input` is not [`Model::input_len`] long.
    pub fn forward<T: Input>(&mut self, input: &[T]) -> Result<&[f32], ShapeError> {
        let expected = self.model.input_len();
        if input.len() != expected {
            return Err(ShapeError::Input {
                expected,
                found: input.len(),
            });
        }
        Ok(self.run(input))
    }

    /// Runs one input and returns the index of the largest output: the predicted class.
    ///
    /// # Errors
    /// As [`Runner::forward`].
    pub fn classify<T: Input>(&mut self, input: &[T]) -> Result<usize, ShapeError> {
        self.forward(input).map(|out| argmax(out).unwrap_or(0))
    }

    /// Runs a batch of inputs laid end to end and writes their outputs end to end.
    ///
    /// # Errors
    /// [`ShapeError::Batch`] when `inputs` is not a whole number of inputs,
    /// [`ShapeError::Output`] when `outputs` does not hold one output per input.
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
            for (o, v) in output.iter_mut().zip(self.run(input)) {
                *o = *v;
            }
        }
        Ok(())
    }

    /// Classifies a batch of inputs laid end to end, one class per input into `classes`.
    ///
    /// # Errors
    /// As [`Runner::forward_batch`], with `classes` holding one entry per input.
    pub fn classify_batch<T: Input>(
        &mut self,
        inputs: &[T],
        classes: &mut [usize],
    ) -> Result<(), ShapeError> {
        let in_len = self.model.input_len();
        let count = batch_count(inputs.len(), in_len)?;
        check_output(classes.len(), count)?;
        for (input, class) in inputs.chunks_exact(in_len).zip(classes.iter_mut()) {
            *class = argmax(self.run(input)).unwrap_or(0);
        }
        Ok(())
    }

    /// The layer loop; `input` has the model's input length and every layer fits `N`.
    fn run<T: Input>(&mut self, input: &[T]) -> &[f32] {
        let layers = self.model.layers();
        let Some((first, rest)) = layers.split_first() else {
            return &[];
        };
        let (mut cur, mut next) = (&mut self.front, &mut self.back);
        let out = prefix_mut(cur, first.outputs());
        dense(input, first.weights(), first.bias(), out);
        first.activation().apply(out);
        let mut width = first.outputs();
        for layer in rest {
            let out = prefix_mut(next, layer.outputs());
            dense(prefix(cur, width), layer.weights(), layer.bias(), out);
            layer.activation().apply(out);
            width = layer.outputs();
            core::mem::swap(&mut cur, &mut next);
        }
        prefix(cur, width)
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

// `Runner::new` guarantees every width fits `N`; the fallbacks are never taken.
fn prefix<const N: usize>(buf: &[f32; N], len: usize) -> &[f32] {
    buf.get(..len).unwrap_or(&[])
}

fn prefix_mut<const N: usize>(buf: &mut [f32; N], len: usize) -> &mut [f32] {
    buf.get_mut(..len).unwrap_or(&mut [])
}
