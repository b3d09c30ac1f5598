//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use converter::quantize::Precision;
use runtime::Activation;
use runtime::activation::DEFAULT_LEAKY_SLOPE;

/// Converts numpy-pickled MLP weights and MNIST IDX files into checksummed blobs for the
/// no_std runtime, and inspects and evaluates them.
///
/// Without a subcommand, runs the whole job on the default data: converts
/// sample_weight.pkl and the MNIST test set, evaluates the model through the runtime and
/// prints the accuracy and blob sizes. When no data directory has the files, it downloads
/// them into --data-dir, $CONVERTER_DATA_DIR or data/ first (see `converter fetch --help`).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
#[command(after_help = "Examples:
  converter                                   # fetch the data if needed, convert, evaluate: 0.9352
  converter show out/mnist-test.bin --index 0 # draw a test digit
  converter predict out/model.bin digit.png   # classify your own handwriting")]
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
    /// [default: $CONVERTER_DATA_DIR, else data/, else ../shared/data; `fetch` writes to
    /// $CONVERTER_DATA_DIR, else data/].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Where the default job writes its blobs.
    #[arg(long, default_value = "out")]
    pub out_dir: PathBuf,
    /// No progress bars and no notes on stderr (errors still print).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert a pickled weight dict (W1, b1, ..., Wn, bn) into a model blob.
    #[command(
        after_help = "Examples:\n  converter model sample_weight.pkl -o model.bin --activation sigmoid\n  converter model params.pkl -o model.bin --activation relu,leaky-relu --leaky-slope 0.01\n  converter model sample_weight.pkl -o int8.bin --precision int8 --calibration t10k-images-idx3-ubyte.gz"
    )]
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
        /// Storage precision: f32, f16 (half the size), or int8 (a quarter, integer kernels).
        #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
        precision: PrecisionArg,
        /// int8 calibration images: an IDX image file (gzip or not) or a dataset blob
        /// [default: the MNIST test images of the data directory].
        #[arg(long, value_name = "IMAGES")]
        calibration: Option<PathBuf>,
        /// How many of the calibration images to use (the first N).
        #[arg(long, value_name = "N", default_value_t = 1000)]
        calibration_count: usize,
    },
    /// Convert MNIST IDX image and label files (gzip or not) into a dataset blob.
    #[command(
        after_help = "Examples:\n  converter dataset t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz -o test.bin"
    )]
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
    #[command(after_help = "Examples:\n  converter inspect model.bin")]
    Inspect {
        /// The blob.
        blob: PathBuf,
    },
    /// Classify a dataset blob with a model blob and report accuracy.
    #[command(
        after_help = "Examples:\n  converter eval model.bin test.bin --json\n  converter eval model.bin test.bin --threads 1\n  converter eval int8.bin test.bin --skip 1000 --agree-with model.bin\n  converter eval model.bin test.bin --misclassified wrong.png --misclassified-max 40 --confusion confusion.png"
    )]
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
        /// Leave out the first N images (e.g. the ones int8 was calibrated on).
        #[arg(long, value_name = "N", default_value_t = 0)]
        skip: usize,
        /// Also count the images on which MODEL predicts the same class.
        #[arg(long, value_name = "MODEL")]
        agree_with: Option<PathBuf>,
        /// Also write a PNG grid of the misclassified digits, each labelled true→predicted.
        #[arg(long, value_name = "PNG")]
        misclassified: Option<PathBuf>,
        /// At most N digits in the --misclassified grid (the first ones) [default: all].
        #[arg(long, value_name = "N", requires = "misclassified")]
        misclassified_max: Option<usize>,
        /// Also write the confusion matrix as a PNG heatmap (rows true, columns predicted).
        #[arg(long, value_name = "PNG")]
        confusion: Option<PathBuf>,
        /// Classify on N threads, which take batches of 512 images in turn (same
        /// predictions for any N; never more threads than batches) [default: one per core].
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
    },
    /// Draw one image of a dataset blob in the terminal, or write it as a PNG.
    #[command(
        after_help = "Examples:\n  converter show test.bin --index 0\n  converter show test.bin --index 0 -o digit.png --scale 8"
    )]
    Show {
        /// Dataset blob.
        dataset: PathBuf,
        /// Which image (0 is the first).
        #[arg(long, short, default_value_t = 0)]
        index: usize,
        /// Write the image as a grayscale PNG instead of drawing it.
        #[arg(short, long, value_name = "PNG")]
        output: Option<PathBuf>,
        /// Each pixel of the PNG becomes a SCALE × SCALE square.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        scale: u16,
    },
    /// Classify a picture of a digit: PNG or PGM, any size, dark on light or light on dark.
    ///
    /// The picture is made MNIST-like first: grayscale, inverted if the ground is light,
    /// cropped to the digit, fitted into 20x20 keeping its aspect ratio (area averaging) and
    /// centred by its centre of mass in 28x28.
    #[command(
        after_help = "Examples:\n  converter predict model.bin my-seven.png\n  converter predict model.bin scan.pgm --json"
    )]
    Predict {
        /// Model blob (28x28 = 784 inputs).
        model: PathBuf,
        /// The picture: PNG (any colour type; transparency counts as white) or PGM (P2, P5).
        image: PathBuf,
        /// Print one JSON object instead of bars.
        #[arg(long)]
        json: bool,
        /// Also draw the 28x28 input the network sees.
        #[arg(long)]
        show: bool,
    },
    /// Download the book's pickles and the MNIST test files, verifying their SHA-256.
    ///
    /// Files already present and verified are skipped; a download with a wrong checksum is
    /// refused and nothing is written. The pickles come from the book's repository on
    /// GitHub, MNIST from the mirror the book uses, then TensorFlow's. A mirror serves the
    /// files by name under its URL.
    #[command(
        after_help = "Examples:\n  converter fetch --data-dir data\n  converter fetch --base-url http://mirror.example/mnist-and-book/"
    )]
    Fetch {
        /// One mirror for every file [env: CONVERTER_BASE_URL].
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Mirror of the book's pickles [env: CONVERTER_BOOK_URL].
        #[arg(long, value_name = "URL")]
        book_url: Option<String>,
        /// Mirror of the MNIST files [env: CONVERTER_MNIST_URL].
        #[arg(long, value_name = "URL")]
        mnist_url: Option<String>,
        /// Only the files the default job needs (sample_weight.pkl and MNIST's test set).
        #[arg(long)]
        required_only: bool,
    },
}

/// Storage precision choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// 32-bit floats.
    F32,
    /// IEEE half-precision weights, computed in f32.
    F16,
    /// int8 weights and activations, calibrated.
    Int8,
}

impl PrecisionArg {
    /// The converter's precision.
    pub fn precision(self) -> Precision {
        match self {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F16 => Precision::F16,
            PrecisionArg::Int8 => Precision::Int8,
        }
    }
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
