//! The picture commands: `show`, `predict`, and the PNGs of `eval`.

use std::path::Path;

use converter::blobfile::BlobBuf;
use converter::evaluate::{Evaluation, HOST_CAPACITY};
use runtime::{Dataset, Model, Runner};
use serde::Serialize;

use crate::charts::{self, Miss};
use crate::failure::Failure;
use crate::output::{say, say_raw};
use crate::picture::{self, Gray};
use crate::predict;

/// Reads a blob file into aligned memory.
///
/// # Errors
/// [`converter::Error::Read`] naming the file.
pub fn read_blob(path: &Path) -> Result<BlobBuf, converter::Error> {
    BlobBuf::read(path).map_err(|source| converter::Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn dataset<'a>(path: &Path, buf: &'a BlobBuf) -> Result<Dataset<'a>, converter::Error> {
    Dataset::from_bytes(buf.bytes()).map_err(|source| converter::Error::Blob {
        path: path.to_path_buf(),
        source,
    })
}

fn image_of(dataset: &Dataset<'_>, pixels: &[u8]) -> Gray {
    Gray {
        width: dataset.cols(),
        height: dataset.rows(),
        pixels: pixels.to_vec(),
    }
}

/// `converter show`: draws image `index` of a dataset blob, or writes it as a PNG.
///
/// # Errors
/// Reading or validating the blob, [`Failure::Index`], or writing the PNG.
pub fn show(path: &Path, index: usize, output: Option<&Path>, scale: usize) -> Result<(), Failure> {
    let buf = read_blob(path)?;
    let dataset = dataset(path, &buf)?;
    let (pixels, label) = dataset.get(index).ok_or(Failure::Index {
        path: path.to_path_buf(),
        index,
        len: dataset.len(),
    })?;
    let image = image_of(&dataset, pixels);
    match output {
        Some(out) => {
            let gray = image.upscaled(scale);
            picture::write_gray_png(out, &gray)?;
            say!(
                "wrote {}: image {index} of {}, label {label}, {}x{} pixels",
                out.display(),
                path.display(),
                gray.width,
                gray.height
            );
        }
        None => {
            say!("{} image {index}: label {label}", path.display());
            say_raw!("{}", picture::blocks(&image));
        }
    }
    Ok(())
}

/// The JSON form of a prediction.
#[derive(Debug, Serialize)]
struct Prediction<'a> {
    image: String,
    predicted: usize,
    probabilities: &'a [f32],
}

/// `converter predict`: classifies a picture of a digit and prints its class and a bar per
/// class, or one JSON object.
///
/// # Errors
/// Reading the model or the picture, a picture without a digit, or a model that does not
/// take 784 inputs.
pub fn predict(
    model_path: &Path,
    image_path: &Path,
    json: bool,
    show: bool,
) -> Result<(), Failure> {
    let buf = read_blob(model_path)?;
    let model = Model::from_bytes(buf.bytes()).map_err(|source| converter::Error::Blob {
        path: model_path.to_path_buf(),
        source,
    })?;
    if model.input_len() != predict::SIDE * predict::SIDE {
        return Err(Failure::ModelInput {
            path: model_path.to_path_buf(),
            inputs: model.input_len(),
        });
    }
    let image = picture::read_gray(image_path)?;
    let input = predict::mnist_like(&image).ok_or_else(|| Failure::Image {
        path: image_path.to_path_buf(),
        reason: "no digit found: the picture is one flat shade".into(),
    })?;
    let mut runner = Box::new(Runner::<HOST_CAPACITY>::new(&model).map_err(|source| {
        converter::Error::Capacity {
            path: model_path.to_path_buf(),
            source,
        }
    })?);
    let scores = runner
        .forward(&input.pixels)
        .expect("the input length was checked");
    let best = argmax(scores);
    if json {
        let p = Prediction {
            image: image_path.display().to_string(),
            predicted: best,
            probabilities: scores,
        };
        say!("{}", serde_json::to_string(&p).unwrap_or_default());
        return Ok(());
    }
    if show {
        say!("input seen by the network (28x28):");
        say_raw!("{}", picture::blocks(&input));
    }
    say!(
        "{}: {best} (probability {:.4})",
        image_path.display(),
        scores[best]
    );
    for (class, &p) in scores.iter().enumerate() {
        let mark = if class == best { " ◀" } else { "" };
        say!("  {class} {} {:>6.2} %{mark}", bar(p, 40), p * 100.0);
    }
    Ok(())
}

fn argmax(scores: &[f32]) -> usize {
    scores
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &s)| {
            if s > best.1 { (i, s) } else { best }
        })
        .0
}

/// A bar of `width` cells for `share` in 0..=1, in eighths of a cell.
fn bar(share: f32, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (share.clamp(0.0, 1.0) * (width * 8) as f32).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8]);
    }
    let used = s.chars().count();
    s.push_str(&" ".repeat(width - used));
    s
}

/// `eval --misclassified` and `--confusion`: writes the pictures of an evaluation of the
/// dataset blob at `path` with its first `skip` images left out; the grid shows at most
/// the given number of digits.
///
/// # Errors
/// Reading the dataset or writing a PNG.
pub fn eval_pictures(
    path: &Path,
    skip: usize,
    evaluation: &Evaluation,
    misclassified: Option<(&Path, usize)>,
    confusion: Option<&Path>,
) -> Result<(), Failure> {
    if let Some((out, max)) = misclassified {
        let buf = read_blob(path)?;
        let dataset = dataset(path, &buf)?.skip(skip);
        let misses: Vec<Miss> = dataset
            .iter()
            .zip(&evaluation.predictions)
            .filter(|((_, label), predicted)| usize::from(*label) != **predicted)
            .map(|((pixels, label), &predicted)| Miss {
                image: image_of(&dataset, pixels),
                label: usize::from(label),
                predicted,
            })
            .collect();
        let total = misses.len();
        let misses = &misses[..total.min(max)];
        let grid = charts::misclassified_grid(misses, dataset.cols());
        picture::write_rgb_png(out, &grid)?;
        eprintln!(
            "wrote {}: {} of {total} misclassified digits, {}x{} pixels",
            out.display(),
            misses.len(),
            grid.width,
            grid.height
        );
    }
    if let Some(out) = confusion {
        let heatmap = charts::confusion_heatmap(&evaluation.confusion);
        picture::write_rgb_png(out, &heatmap)?;
        eprintln!(
            "wrote {}: confusion matrix, {}x{} pixels",
            out.display(),
            heatmap.width,
            heatmap.height
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_have_eighths_and_a_fixed_width() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(0.5625, 4), "██▎ ");
    }

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(argmax(&[0.1, 0.7, 0.7, 0.2]), 1);
    }
}
