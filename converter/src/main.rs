//! The `converter` command: see `converter --help`.
//!
//! [`cli`] declares the arguments; `run` dispatches them to the library (`converter::…`:
//! conversion, evaluation, inspection) and to the command's own modules:
//! - [`fetch`] downloads and verifies the reference data, drawing [`progress`];
//! - [`picture`] reads PNG and PGM and writes PNG; [`predict`] makes any picture of a digit
//!   MNIST-like; [`charts`] draws the misclassified grid and the confusion heatmap with the
//!   bitmap [`font`]; [`gallery`] runs `show`, `predict` and the pictures of `eval`;
//! - [`failure`] is the one-line error of every command, and [`output`] prints results.

mod charts;
mod cli;
mod failure;
mod fetch;
mod font;
mod gallery;
mod output;
mod picture;
mod predict;
mod progress;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use converter::convert::{self, Activations};
use converter::evaluate::{Agreement, Evaluation, default_threads, evaluate_reporting};
use converter::quantize::Precision;
use converter::{Error, data_dir, inspect};
use runtime::{Dataset, Model};

use cli::{Cli, Command, JobArgs};
use failure::Failure;
use gallery::read_blob;
use output::{say, say_raw};
use progress::Progress;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Eval {
        threads: Some(0), ..
    }) = cli.command
    {
        eprintln!(
            "error: --threads 0: at least 1 thread is needed (leave --threads out to use all {} cores)",
            default_threads()
        );
        return ExitCode::FAILURE;
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let progress = Progress::new(cli.job.quiet);
    match cli.command {
        None => default_job(&cli.job, &progress),
        Some(Command::Model {
            weights,
            output,
            activation,
            leaky_slope,
            output_activation,
            precision,
            calibration,
            calibration_count,
        }) => {
            let activations = Activations {
                hidden: activation
                    .iter()
                    .map(|a| a.activation(leaky_slope))
                    .collect(),
                output: output_activation.activation(),
            };
            let precision = precision.precision();
            let images = match (precision, calibration) {
                (Precision::Int8, Some(path)) => {
                    convert::calibration_images(&path, calibration_count)?
                }
                (Precision::Int8, None) => {
                    let dir =
                        data_dir::resolve(cli.job.data_dir.as_deref()).map_err(|e| match e {
                            converter::Error::NoData { searched, .. } => Failure::NoCalibration {
                                weights: weights.clone(),
                                searched,
                            },
                            other => other.into(),
                        })?;
                    convert::calibration_images(
                        &dir.join(data_dir::TEST_IMAGES),
                        calibration_count,
                    )?
                }
                _ => Vec::new(),
            };
            convert_model(
                &weights,
                &output,
                &activations,
                precision,
                &images,
                cli.job.quiet,
            )?;
            Ok(())
        }
        Some(Command::Dataset {
            images,
            labels,
            output,
            limit,
        }) => Ok(convert_dataset(
            &images, &labels, &output, limit, &progress,
        )?),
        Some(Command::Inspect { blob }) => {
            let bytes = read_blob(&blob)?;
            say_raw!("{}", inspect::describe(&blob, bytes.bytes())?);
            Ok(())
        }
        Some(Command::Eval {
            model,
            dataset,
            json,
            predictions,
            skip,
            agree_with,
            misclassified,
            misclassified_max,
            confusion,
            threads,
        }) => {
            let threads = threads
                .and_then(NonZeroUsize::new)
                .unwrap_or_else(default_threads);
            let evaluation = eval_files(&model, &dataset, skip, threads, &progress)?;
            let agreement = match agree_with {
                Some(other) => {
                    let theirs = eval_files(&other, &dataset, skip, threads, &progress)?;
                    Some(Agreement::between(&other, &evaluation, &theirs))
                }
                None => None,
            };
            if let Some(path) = predictions {
                let bytes: Vec<u8> = evaluation
                    .predictions
                    .iter()
                    .map(|&c| u8::try_from(c).unwrap_or(u8::MAX))
                    .collect();
                convert::write_output(&path, &bytes)?;
            }
            gallery::eval_pictures(
                &dataset,
                skip,
                &evaluation,
                misclassified
                    .as_deref()
                    .map(|p| (p, misclassified_max.unwrap_or(usize::MAX))),
                confusion.as_deref(),
            )?;
            if json {
                let report = evaluation.report(agreement);
                say!("{}", serde_json::to_string(&report).unwrap_or_default());
            } else {
                print_evaluation(&evaluation);
                if let Some(a) = agreement {
                    say!(
                        "same class as {}: {}/{} images ({:.4})",
                        a.with,
                        a.same,
                        a.total,
                        a.share
                    );
                }
            }
            Ok(())
        }
        Some(Command::Show {
            dataset,
            index,
            output,
            scale,
        }) => gallery::show(&dataset, index, output.as_deref(), usize::from(scale)),
        Some(Command::Predict {
            model,
            image,
            json,
            show,
        }) => gallery::predict(&model, &image, json, show),
        Some(Command::Fetch {
            base_url,
            book_url,
            mnist_url,
            required_only,
        }) => {
            let mirrors = fetch::Mirrors::resolve(base_url, book_url, mnist_url);
            let dir = fetch_dir(cli.job.data_dir.as_deref());
            fetch_files(&dir, &mirrors, required_only, &progress)
        }
    }
}

/// `converter fetch`: every known file (or only the required ones), one line each.
fn fetch_files(
    dir: &Path,
    mirrors: &fetch::Mirrors,
    required_only: bool,
    progress: &Progress,
) -> Result<(), Failure> {
    for file in fetch::FILES.iter().filter(|f| f.required || !required_only) {
        let path = dir.join(file.name);
        match fetch::fetch(file, dir, mirrors, progress)? {
            fetch::Outcome::Present => say!("{}: present, SHA-256 verified", path.display()),
            fetch::Outcome::Downloaded(url) => {
                say!(
                    "{}: downloaded from {url}, SHA-256 verified",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// Where `fetch` writes: `--data-dir`, else `$CONVERTER_DATA_DIR`, else `data/`.
fn fetch_dir(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(data_dir::ENV_VAR).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("data"))
}

fn convert_model(
    weights: &Path,
    output: &Path,
    activations: &Activations,
    precision: Precision,
    calibration: &[u8],
    quiet: bool,
) -> Result<(), Error> {
    let converted = convert::quantized_model_blob(weights, activations, precision, calibration)?;
    let notes = if quiet { 0 } else { usize::MAX };
    for entry in converted.ignored.iter().take(notes) {
        eprintln!(
            "note: {}: ignored entry '{}' ({})",
            weights.display(),
            entry.key,
            entry.found
        );
    }
    for key in converted.unused_arrays.iter().take(notes) {
        eprintln!(
            "note: {}: ignored array '{key}' (not W<n> or b<n>)",
            weights.display()
        );
    }
    convert::write_output(output, &converted.bytes)?;
    let shape: Vec<String> = converted
        .layers
        .first()
        .map(|l| l.inputs)
        .into_iter()
        .chain(converted.layers.iter().map(|l| l.outputs))
        .map(|n| n.to_string())
        .collect();
    say!(
        "wrote {}: model {}, {:?}, {} bytes",
        output.display(),
        shape.join("-"),
        precision,
        converted.bytes.len()
    );
    Ok(())
}

fn convert_dataset(
    images: &Path,
    labels: &Path,
    output: &Path,
    limit: Option<usize>,
    progress: &Progress,
) -> Result<(), Error> {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let bar = progress.bytes(
        Some(size(images) + size(labels)),
        &format!("converting {}", images.display()),
    );
    let blob = convert::dataset_blob_reporting(images, labels, limit, &mut |n| {
        bar.inc(n as u64);
    });
    bar.finish_and_clear();
    let blob = blob?;
    convert::write_output(output, &blob)?;
    say!("wrote {}: dataset, {} bytes", output.display(), blob.len());
    Ok(())
}

fn eval_files(
    model_path: &Path,
    dataset_path: &Path,
    skip: usize,
    threads: NonZeroUsize,
    progress: &Progress,
) -> Result<Evaluation, Error> {
    let model_buf = read_blob(model_path)?;
    let dataset_buf = read_blob(dataset_path)?;
    let model = Model::from_bytes(model_buf.bytes()).map_err(|source| Error::Blob {
        path: model_path.to_path_buf(),
        source,
    })?;
    let dataset = Dataset::from_bytes(dataset_buf.bytes()).map_err(|source| Error::Blob {
        path: dataset_path.to_path_buf(),
        source,
    })?;
    let dataset = dataset.skip(skip);
    let bar = progress.images(
        dataset.len(),
        &format!("evaluating {}", model_path.display()),
    );
    let evaluation =
        evaluate_reporting(&model, &dataset, model_path, dataset_path, threads, &|n| {
            bar.inc(n as u64)
        });
    bar.finish_and_clear();
    evaluation
}

fn print_evaluation(e: &Evaluation) {
    say!(
        "accuracy {:.4} ({}/{} correct) in {:.3} s, {:.0} images/s",
        e.accuracy(),
        e.correct,
        e.total,
        e.elapsed.as_secs_f64(),
        e.images_per_second()
    );
    say!("per class:");
    for c in e.per_class() {
        say!(
            "  {}: {:.4} ({}/{})",
            c.class,
            c.accuracy,
            c.correct,
            c.total
        );
    }
    let classes = e.confusion.len();
    say!("confusion matrix (rows: true class, columns: predicted):");
    let header: String = (0..classes).map(|c| format!("{c:>6}")).collect();
    say!("     {header}");
    for (class, row) in e.confusion.iter().enumerate() {
        let cells: String = row.iter().map(|n| format!("{n:>6}")).collect();
        say!("  {class:>2} {cells}");
    }
}

fn default_job(args: &JobArgs, progress: &Progress) -> Result<(), Failure> {
    let dir = match data_dir::resolve(args.data_dir.as_deref()) {
        Ok(dir) => dir,
        Err(Error::NoData { wanted, searched }) => {
            fetch_for_job(args.data_dir.as_deref(), progress, &wanted, &searched)?
        }
        Err(e) => return Err(e.into()),
    };
    say!("data: {}", dir.display());
    std::fs::create_dir_all(&args.out_dir).map_err(|source| Error::Write {
        path: args.out_dir.clone(),
        source,
    })?;
    let model_path = args.out_dir.join("model.bin");
    let dataset_path = args.out_dir.join("mnist-test.bin");
    convert_model(
        &dir.join(data_dir::WEIGHTS),
        &model_path,
        &Activations::default(),
        Precision::F32,
        &[],
        args.quiet,
    )?;
    convert_dataset(
        &dir.join(data_dir::TEST_IMAGES),
        &dir.join(data_dir::TEST_LABELS),
        &dataset_path,
        None,
        progress,
    )?;
    let evaluation = eval_files(&model_path, &dataset_path, 0, default_threads(), progress)?;
    say!(
        "accuracy {:.4} ({}/{} correct) in {:.3} s, {:.0} images/s",
        evaluation.accuracy(),
        evaluation.correct,
        evaluation.total,
        evaluation.elapsed.as_secs_f64(),
        evaluation.images_per_second()
    );
    Ok(())
}

/// Downloads the files the default job needs into the fetch directory; when that fails,
/// one line says what was looked for, what failed, and what to do.
fn fetch_for_job(
    explicit: Option<&Path>,
    progress: &Progress,
    wanted: &str,
    searched: &str,
) -> Result<PathBuf, Failure> {
    let dir = fetch_dir(explicit);
    let mirrors = fetch::Mirrors::resolve(None, None, None);
    let existed = dir.exists();
    for file in fetch::FILES.iter().filter(|f| f.required) {
        match fetch::fetch(file, &dir, &mirrors, progress) {
            Ok(fetch::Outcome::Downloaded(url)) => {
                say!(
                    "downloaded {} from {url}, SHA-256 verified",
                    dir.join(file.name).display()
                );
            }
            Ok(fetch::Outcome::Present) => {}
            Err(e) => {
                if !existed {
                    let _ = std::fs::remove_dir(&dir); // only if we made it and it is empty
                }
                return Err(Failure::NoDataOffline {
                    wanted: wanted.to_string(),
                    searched: searched.to_string(),
                    dir,
                    cause: e.to_string(),
                });
            }
        }
    }
    Ok(dir)
}
