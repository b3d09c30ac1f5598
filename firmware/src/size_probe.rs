//! Two stripped-down builds for measuring the runtime's code: the same harness (streaming,
//! checksum, comparison, messages) classifying through the runtime (`size-runtime`) or with a
//! stand-in (`size-harness`). The difference of their flash is what the runtime adds to a
//! firmware: validation, the runner, the kernels and their constants.

use crate::MODEL;
use crate::harness::{self, Failure, Outcome};

/// Classifies the streamed test set with the runtime, measuring nothing.
#[cfg(feature = "size-runtime")]
pub fn run() -> Result<Outcome, Failure> {
    use runtime::{Model, Runner};

    let model = Model::from_bytes(&MODEL.0).map_err(|e| Failure::Blob("model blob", e))?;
    let mut runner = Runner::<128>::new(&model)
        .map_err(|_| Failure::Model("model wider than the firmware's scratch capacity"))?;
    harness::run(model.input_len(), &mut |_, image| {
        runner
            .classify(image)
            .map(|class| class as u8)
            .map_err(|_| Failure::Model("image length differs from the model input"))
    })
}

/// The same harness with a stand-in classifier that only touches the blob.
#[cfg(feature = "size-harness")]
pub fn run() -> Result<Outcome, Failure> {
    let blob = core::hint::black_box(&MODEL.0);
    harness::run(784, &mut |_, image| {
        Ok(image[usize::from(blob[0]) % image.len()] % 10)
    })
}
