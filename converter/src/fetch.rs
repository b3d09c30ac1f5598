//! Downloading the reference data: the book's pickles and the MNIST test files, each
//! verified by SHA-256 before it is written (atomically) into the data directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::progress::Progress;

/// Environment variable: one mirror serving every file by its name.
pub const BASE_URL_ENV: &str = "CONVERTER_BASE_URL";
/// Environment variable: a mirror of the book's pickles.
pub const BOOK_URL_ENV: &str = "CONVERTER_BOOK_URL";
/// Environment variable: a mirror of the MNIST files.
pub const MNIST_URL_ENV: &str = "CONVERTER_MNIST_URL";

/// The book's repository (oreilly-japan/deep-learning-from-scratch), raw files.
const BOOK_DEFAULT: &str =
    "https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch/master/";
/// MNIST mirrors, tried in order: the one the book's `mnist.py` uses, then TensorFlow's.
const MNIST_DEFAULTS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];
/// Largest download accepted.
const MAX_BYTES: u64 = 64 << 20;

/// Where a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The book's repository; the path below its root.
    Book(&'static str),
    /// An MNIST mirror.
    Mnist,
}

/// A file `fetch` knows: its name, origin and expected SHA-256.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// File name in the data directory (and on a mirror).
    pub name: &'static str,
    /// Where it comes from.
    pub origin: Origin,
    /// SHA-256 of the file, or for MNIST of its decompressed content, in hex.
    pub sha256: &'static str,
    /// Whether the default job needs it.
    pub required: bool,
}

/// Every file `fetch` downloads; the pickles' sums are those of `SHA256SUMS` in the shared
/// reference data, MNIST's those of the canonical decompressed IDX files.
pub const FILES: [Known; 5] = [
    Known {
        name: "sample_weight.pkl",
        origin: Origin::Book("ch03/sample_weight.pkl"),
        sha256: "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13",
        required: true,
    },
    Known {
        name: "t10k-images-idx3-ubyte.gz",
        origin: Origin::Mnist,
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        required: true,
    },
    Known {
        name: "t10k-labels-idx1-ubyte.gz",
        origin: Origin::Mnist,
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        required: true,
    },
    Known {
        name: "params.pkl",
        origin: Origin::Book("ch07/params.pkl"),
        sha256: "a5da99cffddafcfe5e686e79dc0ec3a7cc993b58e64f483b50960511e5e85344",
        required: false,
    },
    Known {
        name: "deep_convnet_params.pkl",
        origin: Origin::Book("ch08/deep_convnet_params.pkl"),
        sha256: "4b7a27baee2037605afa94d3f514ca9fa9cc96623739328609765073cfd5f802",
        required: false,
    },
];

/// Why a file could not be fetched; nothing was written for it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Every URL of a file failed.
    #[error("{}: cannot download {url}: {reason}", path.display())]
    Download {
        /// The file it was to become.
        path: PathBuf,
        /// The last URL tried.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// A download whose checksum is wrong.
    #[error("{}: SHA-256 mismatch for {url}: got {got}, expected {expected}; nothing written", path.display())]
    Mismatch {
        /// The file it was to become.
        path: PathBuf,
        /// Where it came from.
        url: String,
        /// SHA-256 computed.
        got: String,
        /// SHA-256 expected.
        expected: String,
    },
    /// The data directory or a file in it cannot be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Mirrors chosen by flags or environment; `None` keeps the public defaults.
#[derive(Debug, Clone, Default)]
pub struct Mirrors {
    /// Base URL for the book's pickles (files by name under it).
    pub book: Option<String>,
    /// Base URL for the MNIST files (files by name under it).
    pub mnist: Option<String>,
}

impl Mirrors {
    /// Flags first (`--book-url`, `--mnist-url`, then `--base-url` for both), then the
    /// environment ([`BOOK_URL_ENV`], [`MNIST_URL_ENV`], then [`BASE_URL_ENV`]).
    pub fn resolve(base: Option<String>, book: Option<String>, mnist: Option<String>) -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
        let base = base.or_else(|| env(BASE_URL_ENV));
        Mirrors {
            book: book.or_else(|| env(BOOK_URL_ENV)).or_else(|| base.clone()),
            mnist: mnist.or_else(|| env(MNIST_URL_ENV)).or(base),
        }
    }

    /// The URLs to try for `file`, in order.
    pub fn urls(&self, file: &Known) -> Vec<String> {
        let join = |base: &str, path: &str| format!("{}/{path}", base.trim_end_matches('/'));
        match (file.origin, &self.book, &self.mnist) {
            (Origin::Book(_), Some(base), _) | (Origin::Mnist, _, Some(base)) => {
                vec![join(base, file.name)]
            }
            (Origin::Book(path), None, _) => vec![join(BOOK_DEFAULT, path)],
            (Origin::Mnist, _, None) => MNIST_DEFAULTS.iter().map(|b| join(b, file.name)).collect(),
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already present with the right checksum.
    Present,
    /// Downloaded from the URL, verified and written.
    Downloaded(String),
}

/// The SHA-256 that identifies `bytes` as `file`: of the decompressed content for a gzip
/// file, else of the bytes; `None` for a gzip stream that does not decompress.
pub fn identity(file: &Known, bytes: &[u8]) -> Option<String> {
    let hash = |b: &[u8]| {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    if file.name.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .ok()?;
        Some(hash(&out))
    } else {
        Some(hash(bytes))
    }
}

/// Whether `path` holds `file` with the right checksum.
pub fn verified(file: &Known, path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| identity(file, &b))
        .is_some_and(|h| h == file.sha256)
}

/// Fetches `file` into `dir` unless it is there and verified. A file present but wrong is
/// replaced only by a verified download.
///
/// # Errors
/// [`FetchError`]; nothing is written then and a file already there is untouched.
pub fn fetch(
    file: &Known,
    dir: &Path,
    mirrors: &Mirrors,
    progress: &Progress,
) -> Result<Outcome, FetchError> {
    let path = dir.join(file.name);
    if verified(file, &path) {
        return Ok(Outcome::Present);
    }
    let mut last = None;
    for url in mirrors.urls(file) {
        match download(&url, file.name, progress) {
            Ok(bytes) => {
                let got = identity(file, &bytes).unwrap_or_else(|| "(not a gzip stream)".into());
                if got != file.sha256 {
                    return Err(FetchError::Mismatch {
                        path,
                        url,
                        got,
                        expected: file.sha256.into(),
                    });
                }
                std::fs::create_dir_all(dir).map_err(|source| FetchError::Write {
                    path: dir.to_path_buf(),
                    source,
                })?;
                converter::atomic::write(&path, &bytes)
                    .map_err(|source| FetchError::Write { path, source })?;
                return Ok(Outcome::Downloaded(url));
            }
            Err(reason) => last = Some((url, reason)),
        }
    }
    let (url, reason) = last.unwrap_or_default();
    Err(FetchError::Download { path, url, reason })
}

/// The body of `url`, read whole; a short body (connection cut) is an error.
fn download(url: &str, name: &str, progress: &Progress) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_per_read(Some(Duration::from_secs(30)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| e.to_string())?;
    let expected = response.body().content_length();
    let bar = progress.bytes(expected, name);
    let mut reader = response
        .into_body()
        .into_with_config()
        .limit(MAX_BYTES)
        .reader();
    let mut bytes = Vec::with_capacity(expected.unwrap_or(0).min(MAX_BYTES) as usize);
    let mut chunk = vec![0; 64 << 10];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| {
            let of = expected.map_or(String::new(), |len| format!(" of {len}"));
            format!("transfer broke off after {}{of} bytes: {e}", bytes.len())
        })?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    match expected {
        Some(len) if len != bytes.len() as u64 => Err(format!(
            "connection closed after {} of {len} bytes",
            bytes.len()
        )),
        _ => Ok(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_take_files_by_name_and_defaults_keep_the_books_layout() {
        let m = Mirrors {
            book: Some("http://127.0.0.1:9/book/".into()),
            mnist: None,
        };
        assert_eq!(
            m.urls(&FILES[0]),
            ["http://127.0.0.1:9/book/sample_weight.pkl"]
        );
        assert_eq!(m.urls(&FILES[1]).len(), 2);
        assert!(m.urls(&FILES[1])[0].ends_with("/mnist/t10k-images-idx3-ubyte.gz"));
        let d = Mirrors::default();
        assert_eq!(
            d.urls(&FILES[4]),
            [format!("{BOOK_DEFAULT}ch08/deep_convnet_params.pkl")]
        );
    }

    #[test]
    fn sums_match_the_shared_sha256sums() {
        let data = std::env::var_os("CONVERTER_DATA_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
        let sums = data.join("SHA256SUMS");
        let Ok(text) = std::fs::read_to_string(&sums) else {
            panic!("{} is missing", sums.display());
        };
        for file in FILES.iter().filter(|f| matches!(f.origin, Origin::Book(_))) {
            let line = format!("{}  {}", file.sha256, file.name);
            assert!(text.lines().any(|l| l == line), "{line} not in SHA256SUMS");
        }
    }
}
