//! Pictures end to end: `show`, `predict` on digit images the test makes itself, and the
//! PNGs of `eval --misclassified` and `--confusion`, decoded and checked pixel by pixel.

mod common;

use common::{data_dir, fails};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn converter<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_converter"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Blobs of the book's model and the first `IMAGES` test images, the runtime's class for
/// each, and the images themselves; made once per test process.
struct Fixture {
    dir: tempfile::TempDir,
    predictions: Vec<u8>,
    labels: Vec<u8>,
    images: Vec<[u8; 784]>,
}

const IMAGES: usize = 200;

impl Fixture {
    fn model(&self) -> PathBuf {
        self.dir.path().join("model.bin")
    }
    fn dataset(&self) -> PathBuf {
        self.dir.path().join("test.bin")
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let data = data_dir();
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.bin");
        let dataset = dir.path().join("test.bin");
        let predictions = dir.path().join("predictions.u8");
        ok(converter(&[
            "model".as_ref(),
            data.join("sample_weight.pkl").as_os_str(),
            "-o".as_ref(),
            model.as_os_str(),
        ]));
        ok(converter(&[
            "dataset".as_ref(),
            data.join("t10k-images-idx3-ubyte.gz").as_os_str(),
            data.join("t10k-labels-idx1-ubyte.gz").as_os_str(),
            "-o".as_ref(),
            dataset.as_os_str(),
            "--limit".as_ref(),
            IMAGES.to_string().as_ref(),
        ]));
        ok(converter(&[
            "eval".as_ref(),
            model.as_os_str(),
            dataset.as_os_str(),
            "--predictions".as_ref(),
            predictions.as_os_str(),
        ]));
        let gunzip = |name: &str| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(data.join(name)).unwrap())
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        let pixels = gunzip("t10k-images-idx3-ubyte.gz");
        let images = pixels[16..16 + IMAGES * 784]
            .chunks(784)
            .map(|c| c.try_into().unwrap())
            .collect();
        let labels = gunzip("t10k-labels-idx1-ubyte.gz")[8..8 + IMAGES].to_vec();
        Fixture {
            predictions: std::fs::read(&predictions).unwrap(),
            dir,
            labels,
            images,
        }
    })
}

/// A 28×28 MNIST digit scaled `k` times (nearest neighbour) and inverted: dark on white.
fn upscaled_inverted(image: &[u8; 784], k: usize) -> (usize, Vec<u8>) {
    let side = 28 * k;
    let pixels = (0..side * side)
        .map(|i| 255 - image[(i / side / k) * 28 + (i % side) / k])
        .collect();
    (side, pixels)
}

fn write_png(path: &Path, width: usize, height: usize, color: png::ColorType, pixels: &[u8]) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut encoder = png::Encoder::new(file, width as u32, height as u32);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(pixels).unwrap();
    writer.finish().unwrap();
}

fn write_pgm(path: &Path, side: usize, pixels: &[u8]) {
    let mut bytes = format!("P5\n# made by the test\n{side} {side}\n255\n").into_bytes();
    bytes.extend_from_slice(pixels);
    std::fs::write(path, bytes).unwrap();
}

/// A decoded PNG: width, height, channels, pixels.
fn read_png(path: &Path) -> (usize, usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    let (w, h) = (info.width as usize, info.height as usize);
    (w, h, info.color_type.samples(), buf)
}

fn predicted_class(model: &Path, image: &Path) -> usize {
    let json = ok(converter(&[
        "predict".as_ref(),
        model.as_os_str(),
        image.as_os_str(),
        "--json".as_ref(),
    ]));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let probabilities = value["probabilities"].as_array().unwrap();
    assert_eq!(probabilities.len(), 10);
    let sum: f64 = probabilities.iter().map(|p| p.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4, "{sum}");
    value["predicted"].as_u64().unwrap() as usize
}

#[test]
fn predict_keeps_the_runtime_class_of_upscaled_inverted_digits_png_and_pgm() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    for index in 0..12 {
        let (side, pixels) = upscaled_inverted(&f.images[index], 5);
        let png_path = dir.path().join(format!("digit{index}.png"));
        let pgm_path = dir.path().join(format!("digit{index}.pgm"));
        write_png(&png_path, side, side, png::ColorType::Grayscale, &pixels);
        write_pgm(&pgm_path, side, &pixels);
        let expected = usize::from(f.predictions[index]);
        assert_eq!(
            predicted_class(&f.model(), &png_path),
            expected,
            "PNG of image {index}"
        );
        assert_eq!(
            predicted_class(&f.model(), &pgm_path),
            expected,
            "PGM of image {index}"
        );
    }
}

#[test]
fn predict_reads_rgb_light_on_dark_with_a_margin() {
    // Light on dark as MNIST stores it, in RGB, 3x, pasted off-centre in a wider canvas.
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    for index in [3, 4, 7] {
        let (w, h) = (150, 100);
        let mut rgb = vec![0u8; w * h * 3];
        for (i, &v) in f.images[index].iter().enumerate() {
            for dy in 0..3 {
                for dx in 0..3 {
                    let (x, y) = (10 + (i % 28) * 3 + dx, 5 + (i / 28) * 3 + dy);
                    rgb[(y * w + x) * 3..][..3].copy_from_slice(&[v, v, v]);
                }
            }
        }
        let path = dir.path().join("rgb.png");
        write_png(&path, w, h, png::ColorType::Rgb, &rgb);
        assert_eq!(
            predicted_class(&f.model(), &path),
            usize::from(f.predictions[index]),
            "image {index}"
        );
    }
}

#[test]
fn predict_prints_the_class_and_a_bar_per_digit() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let (side, pixels) = upscaled_inverted(&f.images[0], 4);
    let path = dir.path().join("seven.pgm");
    write_pgm(&path, side, &pixels);
    let out = ok(converter(&[
        "predict".as_ref(),
        f.model().as_os_str(),
        path.as_os_str(),
        "--show".as_ref(),
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "input seen by the network (28x28):");
    let head = lines
        .iter()
        .position(|l| l.contains("(probability"))
        .unwrap();
    assert_eq!(head, 31, "{out}");
    assert!(lines[head].contains(": 7 (probability 0.9"), "{out}");
    let bars = &lines[head + 1..];
    assert_eq!(bars.len(), 10, "{out}");
    for (class, line) in bars.iter().enumerate() {
        assert!(line.starts_with(&format!("  {class} ")), "{line}");
        assert!(line.contains(" %"), "{line}");
    }
    assert!(
        bars[7].ends_with("◀") && bars[7].contains("████████████████████"),
        "{out}"
    );
}

#[test]
fn predict_refuses_bad_pictures_in_one_line() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let predict =
        |image: &Path| converter(&["predict".as_ref(), f.model().as_os_str(), image.as_os_str()]);
    let flat = dir.path().join("blank.pgm");
    write_pgm(&flat, 30, &[200; 900]);
    fails(&predict(&flat), &["blank.pgm: no digit found"]);
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "a seven").unwrap();
    fails(&predict(&text), &["notes.txt: not a PNG or PGM"]);
    let cut = dir.path().join("cut.pgm");
    std::fs::write(&cut, b"P5 28 28 255\n\x00\x01").unwrap();
    fails(&predict(&cut), &["cut.pgm: PGM truncated"]);
    let broken = dir.path().join("broken.png");
    let (side, pixels) = upscaled_inverted(&f.images[0], 2);
    write_png(&broken, side, side, png::ColorType::Grayscale, &pixels);
    let bytes = std::fs::read(&broken).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    fails(&predict(&broken), &["broken.png: bad PNG"]);
    fails(
        &predict(&dir.path().join("missing.png")),
        &["missing.png: cannot read"],
    );
    // A model that does not take 28x28 pixels.
    let small = dir.path().join("small.bin");
    let pickle =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pickles/np1-p2-f32-le-c.pkl");
    ok(converter(&[
        "model".as_ref(),
        pickle.as_os_str(),
        "-o".as_ref(),
        small.as_os_str(),
    ]));
    let (side, pixels) = upscaled_inverted(&f.images[0], 1);
    let good = dir.path().join("good.pgm");
    write_pgm(&good, side, &pixels);
    fails(
        &converter(&["predict".as_ref(), small.as_os_str(), good.as_os_str()]),
        &["small.bin: model takes 4 inputs, but a picture becomes 28x28 = 784 pixels"],
    );
    // A dataset blob is not a model.
    fails(
        &converter(&[
            "predict".as_ref(),
            f.dataset().as_os_str(),
            flat.as_os_str(),
        ]),
        &["test.bin"],
    );
}

#[test]
fn show_draws_the_digit_and_its_label() {
    let f = fixture();
    let out = ok(converter(&[
        "show".as_ref(),
        f.dataset().as_os_str(),
        "--index".as_ref(),
        "1".as_ref(),
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("image 1: label 2"), "{out}");
    assert_eq!(lines.len(), 1 + 30, "{out}");
    assert_eq!(lines[1], format!("┌{}┐", "─".repeat(56)));
    assert_eq!(lines[30], format!("└{}┘", "─".repeat(56)));
    for (row, line) in lines[2..30].iter().enumerate() {
        let line = line
            .strip_prefix('│')
            .and_then(|l| l.strip_suffix('│'))
            .unwrap();
        assert_eq!(line.chars().count(), 56, "{line}");
        let lit: Vec<bool> = f.images[1][row * 28..][..28]
            .iter()
            .map(|&v| v >= 52)
            .collect();
        let drawn: Vec<bool> = line.chars().step_by(2).map(|c| c != ' ').collect();
        assert_eq!(drawn, lit, "row {row}:\n{out}");
    }
}

#[test]
fn show_writes_a_png_with_the_datasets_pixels() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.png");
    let out = ok(converter(&[
        "show".as_ref(),
        f.dataset().as_os_str(),
        "-i".as_ref(),
        "4".as_ref(),
        "-o".as_ref(),
        path.as_os_str(),
        "--scale".as_ref(),
        "3".as_ref(),
    ]));
    assert!(out.contains("label 4, 84x84 pixels"), "{out}");
    let (w, h, channels, pixels) = read_png(&path);
    assert_eq!((w, h, channels), (84, 84, 1));
    for (x, y) in [(0, 0), (14, 14), (10, 20), (20, 8), (27, 27)] {
        let expected = f.images[4][y * 28 + x];
        for (dx, dy) in [(0, 0), (2, 2)] {
            assert_eq!(
                pixels[(y * 3 + dy) * 84 + x * 3 + dx],
                expected,
                "({x}, {y})"
            );
        }
    }
}

#[test]
fn show_refuses_an_index_past_the_end_and_writes_nothing() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.png");
    let out = converter(&[
        "show".as_ref(),
        f.dataset().as_os_str(),
        "--index".as_ref(),
        IMAGES.to_string().as_ref(),
        "-o".as_ref(),
        path.as_os_str(),
    ]);
    fails(
        &out,
        &[&format!(
            "no image {IMAGES}: the dataset has {IMAGES} images"
        )],
    );
    assert!(!path.exists());
    let out = converter(&["show".as_ref(), dir.path().join("none.bin").as_os_str()]);
    fails(&out, &["none.bin: cannot read"]);
}

#[test]
fn eval_writes_the_misclassified_grid_and_the_confusion_heatmap() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("wrong.png");
    let heat = dir.path().join("confusion.png");
    let json = ok(converter(&[
        "eval".as_ref(),
        f.model().as_os_str(),
        f.dataset().as_os_str(),
        "--json".as_ref(),
        "--misclassified".as_ref(),
        grid.as_os_str(),
        "--confusion".as_ref(),
        heat.as_os_str(),
    ]));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let misses: Vec<usize> = (0..IMAGES)
        .filter(|&i| f.predictions[i] != f.labels[i])
        .collect();
    assert_eq!(
        report["correct"].as_u64().unwrap() as usize,
        IMAGES - misses.len()
    );
    assert!(misses.len() > 1, "the test needs some misclassified digits");

    // Grid: 20 cells per row of 56x79 pixels with 4 between, digits at 2x.
    let (w, h, channels, pixels) = read_png(&grid);
    let (cw, ch, pad) = (56, 79, 4);
    let columns = misses.len().min(20);
    assert_eq!(
        (w, h, channels),
        (
            pad + columns * (cw + pad),
            pad + misses.len().div_ceil(20) * (ch + pad),
            3
        )
    );
    let at = |x: usize, y: usize| &pixels[(y * w + x) * 3..][..3];
    for (cell, &index) in misses.iter().enumerate().take(3) {
        let (x0, y0) = (pad + cell * (cw + pad), pad);
        for (x, y) in [(14, 14), (10, 12), (20, 7)] {
            let v = f.images[index][y * 28 + x];
            assert_eq!(
                at(x0 + 2 * x + 1, y0 + 2 * y + 1),
                [v, v, v],
                "cell {cell} ({x}, {y})"
            );
        }
        // The label below the digit: green true class, red predicted class.
        let label: Vec<&[u8]> = (x0..x0 + cw)
            .flat_map(|x| (y0 + cw..y0 + ch).map(move |y| (x, y)))
            .map(|(x, y)| at(x, y))
            .collect();
        assert!(
            label.iter().any(|p| p[1] > 200 && p[0] < 150),
            "no green in cell {cell}"
        );
        assert!(
            label.iter().any(|p| p[0] > 200 && p[1] < 150),
            "no red in cell {cell}"
        );
    }
    assert_eq!(at(0, 0), [40, 44, 52]);

    // Heatmap: 10x10 cells of 44 pixels after a 24-pixel margin; the diagonal is hottest
    // (darkest red channel) in every row.
    let (w, h, channels, pixels) = read_png(&heat);
    assert_eq!((w, h, channels), (24 + 440 + 4, 24 + 440 + 4, 3));
    let red = |row: usize, col: usize| pixels[((24 + row * 44 + 3) * w + 24 + col * 44 + 3) * 3];
    for row in 0..10 {
        for col in (0..10).filter(|&c| c != row) {
            assert!(
                red(row, row) < red(row, col),
                "row {row}: diagonal not hottest"
            );
        }
        assert!(red(row, row) < 60, "row {row}");
    }
    assert_eq!(&pixels[..3], [255, 255, 255]);
}

#[test]
fn eval_picture_into_a_missing_directory_fails_in_one_line() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/wrong.png");
    let out = converter(&[
        "eval".as_ref(),
        f.model().as_os_str(),
        f.dataset().as_os_str(),
        "--misclassified".as_ref(),
        path.as_os_str(),
    ]);
    fails(&out, &["wrong.png: cannot write"]);
}

#[test]
fn the_grid_follows_skip_and_stops_at_misclassified_max() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("wrong.png");
    let out = converter(&[
        "eval".as_ref(),
        f.model().as_os_str(),
        f.dataset().as_os_str(),
        "--skip".as_ref(),
        "100".as_ref(),
        "--misclassified".as_ref(),
        grid.as_os_str(),
        "--misclassified-max".as_ref(),
        "2".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(out);
    let misses: Vec<usize> = (100..IMAGES)
        .filter(|&i| f.predictions[i] != f.labels[i])
        .collect();
    assert!(
        stderr.contains(&format!("2 of {} misclassified digits", misses.len())),
        "{stderr}"
    );
    let (w, h, _, pixels) = read_png(&grid);
    assert_eq!((w, h), (4 + 2 * 60, 4 + 83));
    let (x, y) = (14, 14);
    let v = f.images[misses[1]][y * 28 + x];
    assert_eq!(pixels[((4 + 2 * y) * w + 4 + 60 + 2 * x) * 3], v);
}
