//! Host-side converter: numpy-pickled MLP weights and MNIST IDX files in, runtime blobs out.
//!
//! - [`pickle`] reads numpy weight dictionaries, [`network`] turns them into dense layers,
//!   [`idx`] reads MNIST's image and label files;
//! - [`convert`] builds blobs with the runtime's encoders and [`atomic`] writes them;
//! - [`evaluate`] and [`inspect`] read blobs back through the runtime ([`blobfile`] keeps
//!   them aligned in memory);
//! - [`data_dir`] finds the reference data, [`error`] says what went wrong with which file.

pub mod atomic;
pub mod blobfile;
pub mod convert;
pub mod data_dir;
pub mod error;
pub mod evaluate;
pub mod host_kernels;
pub mod idx;
pub mod inspect;
pub mod model_kernels;
pub mod network;
pub mod pickle;
pub mod quantize;
pub mod vector;

pub use error::Error;
