//! Evaluating a model blob on a dataset blob through the runtime.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use runtime::{Dataset, Model, Runner};
use serde::Serialize;

use crate::error::Error;
use crate::model_kernels::ModelKernels;

/// Scratch capacity of the host runner: layers up to this many outputs.
pub const HOST_CAPACITY: usize = 4096;

/// Results of classifying every image of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Images classified correctly.
    pub correct: usize,
    /// Images classified.
    pub total: usize,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// The predicted class of every image, in order.
    pub predictions: Vec<usize>,
    /// Time spent classifying, from the moment every thread runs to the end of the last
    /// one's work (see [`evaluate_threads`]).
    pub elapsed: Duration,
    /// Threads that classified, taking batches of [`REPORT_EVERY`] images in turn (never
    /// more than there are batches).
    pub threads: usize,
}

/// One class's share of correct answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassScore {
    /// The class.
    pub class: usize,
    /// Its images classified correctly.
    pub correct: usize,
    /// Its images.
    pub total: usize,
    /// `correct / total`, 0 for an empty class.
    pub accuracy: f64,
}

/// The JSON form of an [`Evaluation`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `correct / total`.
    pub accuracy: f64,
    /// Images classified correctly.
    pub correct: usize,
    /// Images classified.
    pub total: usize,
    /// Per-class scores.
    pub per_class: Vec<ClassScore>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
    /// Seconds spent classifying (as [`Evaluation::elapsed`]).
    pub elapsed_seconds: f64,
    /// Images per second.
    pub images_per_second: f64,
    /// Threads that classified.
    pub threads: usize,
    /// Agreement with another model, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
}

/// How often two models predict the same class.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// The other model.
    pub with: String,
    /// Images with the same predicted class.
    pub same: usize,
    /// Images compared.
    pub total: usize,
    /// `same / total`.
    pub share: f64,
}

impl Agreement {
    /// Compares the predictions of two evaluations of the same images.
    pub fn between(other: &Path, ours: &Evaluation, theirs: &Evaluation) -> Self {
        let same = ours
            .predictions
            .iter()
            .zip(&theirs.predictions)
            .filter(|(a, b)| a == b)
            .count();
        Agreement {
            with: other.display().to_string(),
            same,
            total: ours.total,
            share: ratio(same, ours.total),
        }
    }
}

impl Evaluation {
    /// `correct / total`, 0 for an empty dataset.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.total)
    }

    /// Score of every class.
    pub fn per_class(&self) -> Vec<ClassScore> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(class, row)| {
                let total = row.iter().sum();
                let correct = row.get(class).copied().unwrap_or(0);
                ClassScore {
                    class,
                    correct,
                    total,
                    accuracy: ratio(correct, total),
                }
            })
            .collect()
    }

    /// Images classified per second.
    pub fn images_per_second(&self) -> f64 {
        self.total as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The figures as one serialisable report.
    pub fn report(&self, agreement: Option<Agreement>) -> Report {
        Report {
            accuracy: self.accuracy(),
            correct: self.correct,
            total: self.total,
            per_class: self.per_class(),
            confusion: self.confusion.clone(),
            elapsed_seconds: self.elapsed.as_secs_f64(),
            images_per_second: self.images_per_second(),
            threads: self.threads,
            agreement,
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Threads used by default: one per core ([`std::thread::available_parallelism`]), 1 when
/// that cannot be told.
pub fn default_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// Classifies every image of `dataset` with `model` on one thread; the paths are for
/// messages.
///
/// # Errors
/// [`Error::InputMismatch`], [`Error::ClassMismatch`] or [`Error::Capacity`].
pub fn evaluate(
    model: &Model<'_>,
    dataset: &Dataset<'_>,
    model_path: &Path,
    dataset_path: &Path,
) -> Result<Evaluation, Error> {
    evaluate_threads(model, dataset, model_path, dataset_path, NonZeroUsize::MIN)
}

/// Classifies every image of `dataset` with `model` on up to `threads` threads; the paths
/// are for messages.
///
/// The images are classified in batches of [`REPORT_EVERY`], which `threads` scoped threads
/// (never more than batches), each with its own [`Runner`], take in turn until none is
/// left: a thread slowed down by other work on its core takes fewer. An image's class does
/// not depend on its batch or thread, so the predictions are the same, in the same order,
/// whatever the number of threads. When there are cores enough, each thread is pinned to
/// its own. The elapsed time runs from the moment every thread is running to the moment the
/// last one has classified its last batch: starting and joining the threads is not counted,
/// as it would not be for a pool of running threads (on a virtual machine, waking a thread
/// on an idle core can take milliseconds).
///
/// # Errors
/// [`Error::InputMismatch`], [`Error::ClassMismatch`] or [`Error::Capacity`].
pub fn evaluate_threads(
    model: &Model<'_>,
    dataset: &Dataset<'_>,
    model_path: &Path,
    dataset_path: &Path,
    threads: NonZeroUsize,
) -> Result<Evaluation, Error> {
    evaluate_reporting(model, dataset, model_path, dataset_path, threads, &|_| {})
}

/// Images classified between two calls of [`evaluate_reporting`]'s `classified`: whole
/// panels, which the batch path takes at once (images left over run one at a time).
pub const REPORT_EVERY: usize = 16 * runtime::panel::PANEL;

/// [`evaluate_threads`], calling `classified` from the working threads with the number of
/// images each has just classified (at most [`REPORT_EVERY`] at a time); the calls add up
/// to the number of images.
///
/// # Errors
/// As [`evaluate_threads`].
pub fn evaluate_reporting(
    model: &Model<'_>,
    dataset: &Dataset<'_>,
    model_path: &Path,
    dataset_path: &Path,
    threads: NonZeroUsize,
    classified: &(dyn Fn(usize) + Sync),
) -> Result<Evaluation, Error> {
    check_shapes(model, dataset, model_path, dataset_path)?;
    let total = dataset.len();
    let image_len = dataset.image_len();
    let batch_count = total.div_ceil(REPORT_EVERY);
    // At least one runner, so that an empty dataset still checks the runner's capacity.
    let mut runners = (0..threads.get().min(batch_count).max(1))
        .map(|_| {
            Runner::<HOST_CAPACITY>::new(model)
                .map(|runner| Box::new(runner.with_kernels(ModelKernels::new(model))))
                .map_err(|source| Error::Capacity {
                    path: model_path.to_path_buf(),
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let images = dataset.images();
    let mut predictions = vec![0; total];
    let batches = Mutex::new(
        images
            .chunks(REPORT_EVERY * image_len.max(1))
            .zip(predictions.chunks_mut(REPORT_EVERY)),
    );
    let work = |runner: &mut Runner<HOST_CAPACITY, ModelKernels>| loop {
        let next = batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next();
        let Some((images, predictions)) = next else {
            break;
        };
        crate::vector::classify_batch(runner, images, predictions)
            .expect("image and prediction counts were checked");
        classified(predictions.len());
    };
    let cores = core_affinity::get_core_ids().filter(|cores| cores.len() >= runners.len());
    let workers = runners.len();
    let running = AtomicUsize::new(0);
    let go = AtomicBool::new(false);
    let elapsed = std::thread::scope(|scope| {
        let handles: Vec<_> = runners
            .iter_mut()
            .enumerate()
            .map(|(k, runner)| {
                let core = cores.as_ref().and_then(|cores| cores.get(k)).copied();
                let (running, go, work) = (&running, &go, &work);
                scope.spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    running.fetch_add(1, Ordering::AcqRel);
                    // Spinning keeps the core awake for the start; with more threads than
                    // cores, spinning ones would hold up those not yet running.
                    while !go.load(Ordering::Acquire) {
                        if core.is_some() {
                            std::hint::spin_loop();
                        } else {
                            std::thread::yield_now();
                        }
                    }
                    work(runner);
                    Instant::now()
                })
            })
            .collect();
        while running.load(Ordering::Acquire) < workers {
            std::thread::yield_now();
        }
        let start = Instant::now();
        go.store(true, Ordering::Release);
        // Each thread's end, not when the join returns: waking this thread is not counted.
        let ends = handles.into_iter().map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        ends.max()
            .map_or(Duration::ZERO, |end| end.saturating_duration_since(start))
    });
    let classes = dataset.classes();
    let mut confusion = vec![vec![0; classes]; classes];
    let mut correct = 0;
    for (&predicted, &label) in predictions.iter().zip(dataset.labels()) {
        confusion[usize::from(label)][predicted] += 1;
        correct += usize::from(usize::from(label) == predicted);
    }
    Ok(Evaluation {
        correct,
        total,
        confusion,
        predictions,
        elapsed,
        threads: runners.len(),
    })
}

/// The model must take the dataset's images and give one output per class.
fn check_shapes(
    model: &Model<'_>,
    dataset: &Dataset<'_>,
    model_path: &Path,
    dataset_path: &Path,
) -> Result<(), Error> {
    if model.input_len() != dataset.image_len() {
        return Err(Error::InputMismatch {
            model: model_path.to_path_buf(),
            dataset: dataset_path.to_path_buf(),
            inputs: model.input_len(),
            pixels: dataset.image_len(),
        });
    }
    let classes = dataset.classes();
    if model.output_len() != classes {
        return Err(Error::ClassMismatch {
            model: model_path.to_path_buf(),
            dataset: dataset_path.to_path_buf(),
            outputs: model.output_len(),
            classes,
        });
    }
    Ok(())
}
