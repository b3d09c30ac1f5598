#![no_std]
#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]
//!
//! # Architecture
//!
//! Data flows in four steps, each owned by one module.
//!
//! 1. **Blob bytes.** A blob is a 16-byte header ([`layout`]), a postcard-encoded manifest
//!    ([`manifest`]), raw little-endian tensors at 16-byte-aligned offsets, and a trailing
//!    CRC-32 ([`checksum`]). The bytes may live in flash (`include_bytes!` wrapped in
//!    [`Aligned`]) or in RAM; they are never copied.
//! 2. **Validated view.** [`Model::from_bytes`] and [`Dataset::from_bytes`] check the
//!    envelope ([`blob`]) and then every shape, offset, alignment and value once, returning a
//!    [`FormatError`] that says what was found. After that no accessor can fail or panic.
//! 3. **Layers.** A [`Runner`] binds a model to two scratch buffers whose capacity is a
//!    const generic, checked against the model's widest layer ([`CapacityError`]). Each
//!    layer is a [`dense`](dense::dense) product followed by its [`Activation`]. A host can
//!    supply faster kernels for some steps, with the same results ([`Kernels`],
//!    [`Runner::with_kernels`]).
//! 4. **Output.** The last layer's values (probabilities after [`softmax`](softmax::softmax))
//!    and the predicted class ([`argmax`](softmax::argmax)).
//!
//! Writing is the mirror image: [`ModelEncoder`] and [`DatasetEncoder`] ([`emit`]) apply the
//! reader's checks before they write, so the converter cannot produce a blob this crate
//! rejects.
//!
//! # Example: the book's toy network (section 3.4)
//!
//! ```
//! use runtime::{Activation, Aligned, DenseSpec, Model, ModelEncoder, Params, Runner};
//!
//! let dense = |inputs, outputs, activation, weights, bias| DenseSpec {
//!     inputs, outputs, activation, params: Params::F32 { weights, bias },
//! };
//! let layers = [
//!     dense(2, 3, Activation::Sigmoid, &[0.1, 0.3, 0.5, 0.2, 0.4, 0.6], &[0.1, 0.2, 0.3]),
//!     dense(3, 2, Activation::Sigmoid, &[0.1, 0.4, 0.2, 0.5, 0.3, 0.6], &[0.1, 0.2]),
//!     dense(2, 2, Activation::Identity, &[0.1, 0.3, 0.2, 0.4], &[0.1, 0.2]),
//! ];
//! let mut buf = Aligned([0u8; 256]);
//! let len = ModelEncoder::new(&layers)?.emit(&mut buf.0)?;
//!
//! let model = Model::from_bytes(&buf.0[..len])?;
//! let mut runner = Runner::<3>::new(&model)?;
//! let y = runner.forward(&[1.0f32, 0.5])?;
//! assert!((y[0] - 0.316_827_08).abs() < 1e-6 && (y[1] - 0.696_279_09).abs() < 1e-6);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

#[cfg(target_endian = "big")]
compile_error!(
    "blobs are read in place as little-endian values; big-endian targets are not supported"
);

pub mod activation;
mod aligned;
pub mod blob;
pub mod checksum;
mod dataset;
pub mod dense;
pub mod dense_i8;
pub mod emit;
mod error;
pub mod exp;
pub mod half;
mod input;
pub mod kernels;
pub mod layout;
pub mod manifest;
mod model;
mod nonzero;
#[cfg(not(target_arch = "arm"))]
pub mod panel;
#[cfg(all(not(target_arch = "arm"), feature = "int8"))]
pub mod panel_i8;
mod params;
pub mod quant;
mod runner;
pub mod softmax;
mod tensor;
#[cfg(test)]
mod test_rng;

pub use activation::Activation;
pub use aligned::Aligned;
pub use dataset::{Dataset, DatasetLayout};
pub use emit::{DatasetEncoder, DatasetSpec, DenseSpec, ModelEncoder};
pub use error::{CapacityError, EmitError, FormatError, ShapeError, TensorName};
pub use input::Input;
pub use kernels::Kernels;
pub use layout::Kind;
pub use manifest::{Quant, WeightOrder};
pub use model::{Layer, Model};
pub use params::{I8Out, I8Params, Params, Precision, Requantization};
pub use runner::Runner;
