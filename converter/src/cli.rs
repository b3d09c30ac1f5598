//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use runtime::Activation;
use runtime::activation::DEFAULT_LEAKY_SLOPE;

/// Converts numpy-pickled MLP weights and MNIST IDX files into checksummed blobs for the
/// no_std runtime, and inspects and evaluates them.
///
/// Without a subcommand, runs the whole job on the default data: converts
/// sample_weight.pkl and the MNIST test set, evaluates the model through the runtime and
/// prints the accuracy and blob sizes.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
pub struct Cli {
    /// What to do; the whole job when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the whole job.
    #[command(flatten)]
    pub job: JobArgs,
}

/// Options of the default job.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// Directory with sample_weight.pkl and the MNIST test files
    /// [default: $CONVERTER_DATA_DIR, else data/, else ../shared/data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Where the default job writes its blobs.
    #[arg(long, default_value = "out")]
    pub out_dir: PathBuf,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert a pickled weight dict (W1, b1, ..., Wn, bn) into a model blob.
    ///
    /// Example: converter model sample_weight.pkl -o model.bin --activation sigmoid
    /// Example: converter model params.pkl -o model.bin --activation relu,leaky-relu --leaky-slope 0.01
    Model {
        /// The pickle file.
        weights: PathBuf,
        /// Output blob.
        #[arg(short, long)]
        output: PathBuf,
        /// Activation after the hidden layers: one for all, or a comma-separated list with
        /// one per hidden layer (e.g. relu,sigmoid).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "sigmoid")]
        activation: Vec<Hidden>,
        /// Slope for negative inputs of leaky_relu.
        #[arg(long, default_value_t = DEFAULT_LEAKY_SLOPE)]
        leaky_slope: f32,
        /// Activation after the output layer.
        #[arg(long = "output-activation", visible_alias = "out", value_enum, default_value_t = Output::Softmax)]
        output_activation: Output,
    },
    /// Convert MNIST IDX image and label files (gzip or not) into a dataset blob.
    ///
    /// Example: converter dataset t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz -o test.bin
    Dataset {
        /// IDX image file.
        images: PathBuf,
        /// IDX label file.
        labels: PathBuf,
        /// Output blob.
        #[arg(short, long)]
        output: PathBuf,
        /// Keep only the first N images.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Describe a blob: kind, layers, shapes, parameters, sizes, checksum, runtime RAM.
    ///
    /// Example: converter inspect model.bin
    Inspect {
        /// The blob.
        blob: PathBuf,
    },
    /// Classify a dataset blob with a model blob and report accuracy.
    ///
    /// Example: converter eval model.bin test.bin --json
    Eval {
        /// Model blob.
        model: PathBuf,
        /// Dataset blob.
        dataset: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write the predicted class of every image to FILE, one byte each.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
    },
}

/// Hidden-layer activation choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Hidden {
    /// 1 / (1 + e^-x), the book's choice.
    Sigmoid,
    /// max(0, x).
    Relu,
    /// max(slope·x, x).
    LeakyRelu,
    /// 1 if x > 0, else 0.
    Step,
    /// x.
    Identity,
}

impl Hidden {
    /// The runtime activation, with `slope` for leaky_relu.
    pub fn activation(self, slope: f32) -> Activation {
        match self {
            Hidden::Sigmoid => Activation::Sigmoid,
            Hidden::Relu => Activation::Relu,
            Hidden::LeakyRelu => Activation::LeakyRelu { slope },
            Hidden::Step => Activation::Step,
            Hidden::Identity => Activation::Identity,
        }
    }
}

/// Output-layer activation choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Probabilities summing to 1.
    Softmax,
    /// Raw scores.
    Identity,
}

impl Output {
    /// The runtime activation.
    pub fn activation(self) -> Activation {
        match self {
            Output::Softmax => Activation::Softmax,
            Output::Identity => Activation::Identity,
        }
    }
}
