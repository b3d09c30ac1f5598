//! `converter fetch` and the default job's download against a real HTTP server on
//! 127.0.0.1 started by the test: verified files, a corrupted file, a connection cut
//! mid-transfer, a missing file; one-line errors and nothing half-written.

mod common;

use common::fails;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

const PICKLES: [&str; 3] = ["sample_weight.pkl", "params.pkl", "deep_convnet_params.pkl"];
const MNIST: [&str; 2] = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

fn data_dir() -> PathBuf {
    let files: Vec<&str> = PICKLES.iter().chain(&MNIST).copied().collect();
    common::data_dir_with(&files)
}

/// A server on 127.0.0.1 serving the reference data under `/good/`, the same with one
/// byte changed under `/corrupt/`, half of each file then a closed connection under
/// `/cut/`, and 404 elsewhere. Counts the requests it answered.
struct Server {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let data = data_dir();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = serve(stream, &data);
            }
        });
        Server { port, requests }
    }

    fn url(&self, mode: &str) -> String {
        format!("http://127.0.0.1:{}/{mode}/", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, data: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (mode, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut stream = stream;
    let body = match std::fs::read(data.join(name)) {
        Ok(b) if !name.contains("..") && !name.is_empty() => b,
        _ => {
            let msg = b"not found";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                msg.len()
            )?;
            return stream.write_all(msg);
        }
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    match mode {
        "good" => stream.write_all(&body),
        "corrupt" => {
            let mut body = body;
            let middle = body.len() / 2;
            body[middle] ^= 0x40;
            stream.write_all(&body)
        }
        "cut" => {
            stream.write_all(&body[..body.len() / 2])?;
            stream.flush()?;
            stream.shutdown(std::net::Shutdown::Both)
        }
        _ => Ok(()),
    }
}

fn converter(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_converter"));
    command.args(args);
    for var in [
        "CONVERTER_BASE_URL",
        "CONVERTER_BOOK_URL",
        "CONVERTER_MNIST_URL",
        "CONVERTER_DATA_DIR",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn fetch(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["fetch", "--data-dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    converter(&args, env)
}

fn stdout(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// The names in `dir`, sorted; temporary files would show up here.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn fetch_downloads_verifies_and_then_skips_every_file() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data");
    let out = stdout(&fetch(&target, &["--base-url", &server.url("good")], &[]));
    let all: Vec<&str> = PICKLES.iter().chain(&MNIST).copied().collect();
    assert_eq!(listing(&target), sorted(&all));
    for name in &all {
        assert_eq!(
            sha256(&target.join(name)),
            sha256(&data_dir().join(name)),
            "{name}"
        );
        assert!(
            out.contains(&format!(
                "{name}: downloaded from {}{name}, SHA-256 verified",
                server.url("good")
            )),
            "{out}"
        );
    }
    let served = server.requests();
    assert_eq!(served, all.len());

    let again = stdout(&fetch(&target, &["--base-url", &server.url("good")], &[]));
    assert_eq!(
        again.matches("present, SHA-256 verified").count(),
        all.len(),
        "{again}"
    );
    assert_eq!(
        server.requests(),
        served,
        "a verified file was downloaded again"
    );
}

#[test]
fn fetch_takes_per_source_mirrors_from_flags_and_environment() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let good = server.url("good");
    let out = fetch(
        dir.path(),
        &["--required-only", "--book-url", &good],
        &[
            ("CONVERTER_MNIST_URL", &good),
            ("CONVERTER_BASE_URL", &server.url("cut")),
        ],
    );
    stdout(&out);
    assert_eq!(
        listing(dir.path()),
        sorted(&[
            "sample_weight.pkl",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"
        ])
    );
}

#[test]
fn fetch_refuses_a_corrupted_download_and_keeps_what_is_there() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let corrupt = server.url("corrupt");
    // Nothing there: the corrupted pickle is refused, nothing written.
    let out = fetch(dir.path(), &["--base-url", &corrupt], &[]);
    let line = fails(
        &out,
        &[
            "sample_weight.pkl: SHA-256 mismatch",
            &corrupt,
            "expected b7f55a27",
            "nothing written",
        ],
    );
    assert!(line.contains("got "), "{line}");
    assert_eq!(listing(dir.path()), Vec::<String>::new());

    // A valid file stays and is not fetched again; the corrupted MNIST file is refused.
    std::fs::copy(
        data_dir().join("sample_weight.pkl"),
        dir.path().join("sample_weight.pkl"),
    )
    .unwrap();
    let out = fetch(dir.path(), &["--base-url", &corrupt], &[]);
    fails(&out, &["t10k-images-idx3-ubyte.gz: SHA-256 mismatch"]);
    assert_eq!(listing(dir.path()), ["sample_weight.pkl"]);
    assert_eq!(
        sha256(&dir.path().join("sample_weight.pkl")),
        sha256(&data_dir().join("sample_weight.pkl"))
    );

    // A damaged file already there is replaced only by a verified download.
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte.gz"), b"damaged").unwrap();
    let out = fetch(dir.path(), &["--base-url", &corrupt], &[]);
    fails(&out, &["SHA-256 mismatch"]);
    assert_eq!(
        std::fs::read(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap(),
        b"damaged"
    );
    let out = fetch(
        dir.path(),
        &["--base-url", &server.url("good"), "--required-only"],
        &[],
    );
    assert!(stdout(&out).contains("t10k-labels-idx1-ubyte.gz: downloaded"));
    assert_eq!(
        sha256(&dir.path().join("t10k-labels-idx1-ubyte.gz")),
        sha256(&data_dir().join("t10k-labels-idx1-ubyte.gz"))
    );
}

#[test]
fn a_connection_cut_mid_transfer_writes_nothing() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let out = fetch(
        dir.path(),
        &[],
        &[("CONVERTER_BASE_URL", &server.url("cut"))],
    );
    fails(
        &out,
        &["sample_weight.pkl: cannot download", &server.url("cut")],
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn a_missing_file_on_the_mirror_is_named_with_its_status() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let out = fetch(
        dir.path(),
        &[
            "--base-url",
            &server.url("good").replace("/good/", "/elsewhere/nothing/"),
        ],
        &[],
    );
    fails(&out, &["sample_weight.pkl: cannot download", "404"]);
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn the_default_job_downloads_missing_data_and_reaches_0_9352() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out_dir = dir.path().join("out");
    let out = converter(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--out-dir",
            out_dir.to_str().unwrap(),
        ],
        &[("CONVERTER_BASE_URL", &server.url("good"))],
    );
    let text = stdout(&out);
    assert_eq!(
        listing(&data),
        sorted(&[
            "sample_weight.pkl",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"
        ])
    );
    assert!(text.contains("downloaded "), "{text}");
    assert!(
        text.contains("accuracy 0.9352 (9352/10000 correct)"),
        "{text}"
    );
}

#[test]
fn the_default_job_offline_says_what_to_do_and_leaves_no_trace() {
    // A port nobody listens on: connection refused, as when the network is unreachable.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = converter(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--out-dir",
            dir.path().join("out").to_str().unwrap(),
        ],
        &[("CONVERTER_BASE_URL", &url)],
    );
    fails(
        &out,
        &[
            "sample_weight.pkl",
            "cannot download",
            "Connect to the network",
            "converter fetch --base-url URL --data-dir",
            "--data-dir",
        ],
    );
    assert!(!data.exists(), "the data directory was left behind");
}
