//! The `converter` command: see `converter --help`.

mod cli;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use converter::blobfile::BlobBuf;
use converter::convert::{self, Activations};
use converter::evaluate::{Agreement, Evaluation, evaluate};
use converter::quantize::Precision;
use converter::{Error, data_dir, inspect};
use runtime::{Dataset, Model};

use cli::{Cli, Command, JobArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        None => default_job(&cli.job),
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
                    let dir = data_dir::resolve(cli.job.data_dir.as_deref())?;
                    convert::calibration_images(
                        &dir.join(data_dir::TEST_IMAGES),
                        calibration_count,
                    )?
                }
                _ => Vec::new(),
            };
            convert_model(&weights, &output, &activations, precision, &images)
        }
        Some(Command::Dataset {
            images,
            labels,
            output,
            limit,
        }) => convert_dataset(&images, &labels, &output, limit),
        Some(Command::Inspect { blob }) => {
            let bytes = read_blob(&blob)?;
            print!("{}", inspect::describe(&blob, bytes.bytes())?);
            Ok(())
        }
        Some(Command::Eval {
            model,
            dataset,
            json,
            predictions,
            skip,
            agree_with,
        }) => {
            let evaluation = eval_files(&model, &dataset, skip)?;
            let agreement = match agree_with {
                Some(other) => {
                    let theirs = eval_files(&other, &dataset, skip)?;
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
            if json {
                let report = evaluation.report(agreement);
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
            } else {
                print_evaluation(&evaluation);
                if let Some(a) = agreement {
                    println!(
                        "same class as {}: {}/{} images ({:.4})",
                        a.with, a.same, a.total, a.share
                    );
                }
            }
            Ok(())
        }
    }
}

fn convert_model(
    weights: &Path,
    output: &Path,
    activations: &Activations,
    precision: Precision,
    calibration: &[u8],
) -> Result<(), Error> {
    let converted = convert::quantized_model_blob(weights, activations, precision, calibration)?;
    for entry in &converted.ignored {
        eprintln!(
            "note: {}: ignored entry '{}' ({})",
            weights.display(),
            entry.key,
            entry.found
        );
    }
    for key in &converted.unused_arrays {
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
    println!(
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
) -> Result<(), Error> {
    let blob = convert::dataset_blob(images, labels, limit)?;
    convert::write_output(output, &blob)?;
    println!("wrote {}: dataset, {} bytes", output.display(), blob.len());
    Ok(())
}

fn read_blob(path: &Path) -> Result<BlobBuf, Error> {
    BlobBuf::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn eval_files(model_path: &Path, dataset_path: &Path, skip: usize) -> Result<Evaluation, Error> {
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
    evaluate(&model, &dataset.skip(skip), model_path, dataset_path)
}

fn print_evaluation(e: &Evaluation) {
    println!(
        "accuracy {:.4} ({}/{} correct) in {:.3} s, {:.0} images/s",
        e.accuracy(),
        e.correct,
        e.total,
        e.elapsed.as_secs_f64(),
        e.images_per_second()
    );
    println!("per class:");
    for c in e.per_class() {
        println!(
            "  {}: {:.4} ({}/{})",
            c.class, c.accuracy, c.correct, c.total
        );
    }
    let classes = e.confusion.len();
    println!("confusion matrix (rows: true class, columns: predicted):");
    let header: String = (0..classes).map(|c| format!("{c:>6}")).collect();
    println!("     {header}");
    for (class, row) in e.confusion.iter().enumerate() {
        let cells: String = row.iter().map(|n| format!("{n:>6}")).collect();
        println!("  {class:>2} {cells}");
    }
}

fn default_job(args: &JobArgs) -> Result<(), Error> {
    let dir = data_dir::resolve(args.data_dir.as_deref())?;
    println!("data: {}", dir.display());
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
    )?;
    convert_dataset(
        &dir.join(data_dir::TEST_IMAGES),
        &dir.join(data_dir::TEST_LABELS),
        &dataset_path,
        None,
    )?;
    let evaluation = eval_files(&model_path, &dataset_path, 0)?;
    println!(
        "accuracy {:.4} ({}/{} correct) in {:.3} s, {:.0} images/s",
        evaluation.accuracy(),
        evaluation.correct,
        evaluation.total,
        evaluation.elapsed.as_secs_f64(),
        evaluation.images_per_second()
    );
    Ok(())
}
