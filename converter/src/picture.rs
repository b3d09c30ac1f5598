//! Pictures: 8-bit images read from PNG or PGM, written as PNG, drawn in the terminal.

use std::io::Cursor;
use std::path::Path;

use crate::failure::Failure;

/// A grayscale image, 0 black to 255 white, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width × height` pixels.
    pub pixels: Vec<u8>,
}

impl Gray {
    /// The image with each pixel as a `scale × scale` square.
    pub fn upscaled(&self, scale: usize) -> Gray {
        let width = self.width * scale;
        let pixels = (0..width * self.height * scale)
            .map(|i| self.pixels[(i / width / scale) * self.width + (i % width) / scale])
            .collect();
        Gray {
            width,
            height: self.height * scale,
            pixels,
        }
    }
}

/// An RGB image, 8 bits per channel, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width × height × 3` bytes.
    pub pixels: Vec<u8>,
}

impl Rgb {
    /// A `width × height` image filled with `color`.
    pub fn filled(width: usize, height: usize, color: [u8; 3]) -> Self {
        Rgb {
            width,
            height,
            pixels: color.repeat(width * height),
        }
    }

    /// Sets one pixel; outside the image it does nothing.
    pub fn set(&mut self, x: usize, y: usize, color: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = (y * self.width + x) * 3;
            self.pixels[i..i + 3].copy_from_slice(&color);
        }
    }

    /// Fills a rectangle, clipped to the image.
    pub fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, color: [u8; 3]) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                self.set(xx, yy, color);
            }
        }
    }

    /// Draws a grayscale image at `(x, y)`, each pixel as a `scale × scale` square.
    pub fn blit_gray(&mut self, x: usize, y: usize, image: &Gray, scale: usize) {
        for (i, &v) in image.pixels.iter().enumerate() {
            let (col, row) = (i % image.width, i / image.width);
            self.fill_rect(x + col * scale, y + row * scale, scale, scale, [v, v, v]);
        }
    }
}

/// Writes a grayscale PNG atomically.
///
/// # Errors
/// [`Failure::Write`] naming `path`; an existing file is then unchanged.
pub fn write_gray_png(path: &Path, image: &Gray) -> Result<(), Failure> {
    let bytes = encode_png(
        image.width,
        image.height,
        png::ColorType::Grayscale,
        &image.pixels,
    );
    write(path, &bytes)
}

/// Writes an RGB PNG atomically.
///
/// # Errors
/// [`Failure::Write`] naming `path`; an existing file is then unchanged.
pub fn write_rgb_png(path: &Path, image: &Rgb) -> Result<(), Failure> {
    let bytes = encode_png(
        image.width,
        image.height,
        png::ColorType::Rgb,
        &image.pixels,
    );
    write(path, &bytes)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    converter::atomic::write(path, bytes).map_err(|source| {
        Failure::from(converter::Error::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}

fn encode_png(width: usize, height: usize, color: png::ColorType, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let w = u32::try_from(width).unwrap_or(u32::MAX);
    let h = u32::try_from(height).unwrap_or(u32::MAX);
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    // Encoding into memory fails only on a size mismatch, which the types rule out.
    let written = encoder.write_header().and_then(|mut writer| {
        writer.write_image_data(pixels)?;
        writer.finish()
    });
    debug_assert!(written.is_ok(), "{written:?}");
    out
}

/// Reads a PNG (any colour type and depth; transparency over white) or a PGM (`P2` or `P5`)
/// as grayscale.
///
/// # Errors
/// [`Failure::Read`] or [`Failure::Image`] naming `path`.
pub fn read_gray(path: &Path) -> Result<Gray, Failure> {
    let bytes = std::fs::read(path).map_err(|source| {
        Failure::from(converter::Error::Read {
            path: path.to_path_buf(),
            source,
        })
    })?;
    let image = if bytes.starts_with(b"\x89PNG") {
        decode_png(&bytes)
    } else if bytes.starts_with(b"P5") || bytes.starts_with(b"P2") {
        decode_pgm(&bytes)
    } else {
        Err("not a PNG or PGM (P2/P5) image".to_string())
    };
    let image = image.map_err(|reason| Failure::Image {
        path: path.to_path_buf(),
        reason,
    })?;
    if image.width == 0 || image.height == 0 {
        return Err(Failure::Image {
            path: path.to_path_buf(),
            reason: "the image has no pixels".into(),
        });
    }
    Ok(image)
}

fn decode_png(bytes: &[u8]) -> Result<Gray, String> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| format!("bad PNG: {e}"))?;
    let size = reader
        .output_buffer_size()
        .ok_or("PNG too large for memory")?;
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("bad PNG: {e}"))?;
    let (width, height) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let line = info.line_size;
    let mut pixels = Vec::with_capacity(width * height);
    for row in buf.chunks(line).take(height) {
        for px in row.chunks(channels).take(width) {
            pixels.push(to_gray(px));
        }
    }
    Ok(Gray {
        width,
        height,
        pixels,
    })
}

/// Luminance of a 1-4 channel 8-bit pixel; alpha blends over white.
fn to_gray(px: &[u8]) -> u8 {
    let f = |i: usize| f32::from(px[i]);
    let (luma, alpha) = match px.len() {
        1 => (f(0), 255.0),
        2 => (f(0), f(1)),
        3 => (0.299 * f(0) + 0.587 * f(1) + 0.114 * f(2), 255.0),
        _ => (0.299 * f(0) + 0.587 * f(1) + 0.114 * f(2), f(3)),
    };
    let a = alpha / 255.0;
    (luma * a + 255.0 * (1.0 - a)).round().clamp(0.0, 255.0) as u8
}

fn decode_pgm(bytes: &[u8]) -> Result<Gray, String> {
    let binary = bytes.starts_with(b"P5");
    let mut pos = 2;
    let mut header = [0usize; 3];
    for field in &mut header {
        *field = pgm_number(bytes, &mut pos)?;
    }
    let [width, height, maxval] = header;
    if maxval == 0 || maxval > 65535 {
        return Err(format!("bad PGM maximum value {maxval}"));
    }
    let count = width.checked_mul(height).ok_or("PGM dimensions overflow")?;
    let scale = |v: usize| ((v.min(maxval) * 255 + maxval / 2) / maxval) as u8;
    let mut pixels = Vec::with_capacity(count);
    if binary {
        pos += 1; // the single whitespace byte after maxval
        let wide = maxval > 255;
        let need = count * if wide { 2 } else { 1 };
        let data = bytes
            .get(pos..pos + need)
            .ok_or_else(|| format!("PGM truncated: {need} data bytes expected"))?;
        if wide {
            pixels.extend(
                data.chunks(2)
                    .map(|c| scale(usize::from(u16::from_be_bytes([c[0], c[1]])))),
            );
        } else {
            pixels.extend(data.iter().map(|&v| scale(usize::from(v))));
        }
    } else {
        for _ in 0..count {
            pixels.push(scale(pgm_number(bytes, &mut pos)?));
        }
    }
    Ok(Gray {
        width,
        height,
        pixels,
    })
}

/// The next decimal number of a PGM header or `P2` body, skipping whitespace and comments.
fn pgm_number(bytes: &[u8], pos: &mut usize) -> Result<usize, String> {
    loop {
        match bytes.get(*pos) {
            Some(b'#') => {
                while bytes.get(*pos).is_some_and(|&b| b != b'\n') {
                    *pos += 1;
                }
            }
            Some(b) if b.is_ascii_whitespace() => *pos += 1,
            _ => break,
        }
    }
    let start = *pos;
    while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
        *pos += 1;
    }
    std::str::from_utf8(&bytes[start..*pos])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "PGM header or data is malformed or truncated".to_string())
}

/// Draws a grayscale image in the terminal inside a frame, two characters per pixel,
/// darker to lighter as `' '`, `░`, `▒`, `▓`, `█` (light strokes on a dark ground, as MNIST
/// stores digits).
pub fn blocks(image: &Gray) -> String {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let rule = "─".repeat(2 * image.width);
    let mut out = format!("┌{rule}┐\n");
    for row in image.pixels.chunks(image.width.max(1)) {
        out.push('│');
        for &v in row {
            let c = SHADES[(usize::from(v) * SHADES.len() / 256).min(SHADES.len() - 1)];
            out.push(c);
            out.push(c);
        }
        out.push_str("│\n");
    }
    out.push_str(&format!("└{rule}┘\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Gray {
        decode_png(bytes).unwrap()
    }

    #[test]
    fn gray_png_round_trips() {
        let image = Gray {
            width: 3,
            height: 2,
            pixels: vec![0, 10, 20, 200, 250, 255],
        };
        let bytes = encode_png(3, 2, png::ColorType::Grayscale, &image.pixels);
        assert_eq!(decode(&bytes), image);
    }

    #[test]
    fn rgb_png_reads_as_luminance_and_alpha_blends_over_white() {
        let bytes = encode_png(2, 1, png::ColorType::Rgb, &[255, 0, 0, 0, 0, 255]);
        assert_eq!(decode(&bytes).pixels, vec![76, 29]);
        let bytes = encode_png(2, 1, png::ColorType::GrayscaleAlpha, &[0, 0, 0, 255]);
        assert_eq!(decode(&bytes).pixels, vec![255, 0]);
    }

    #[test]
    fn palette_and_16_bit_pngs_are_expanded() {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 3, 1);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Two);
        encoder.set_palette(vec![0, 0, 0, 255, 255, 255, 0, 0, 255]);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0b0001_1000]).unwrap();
        writer.finish().unwrap();
        assert_eq!(decode(&out).pixels, vec![0, 255, 29]);

        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 2, 1);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Sixteen);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0xff, 0xff, 0x80, 0x00]).unwrap();
        writer.finish().unwrap();
        assert_eq!(decode(&out).pixels, vec![255, 128]);
    }

    #[test]
    fn pgm_binary_ascii_and_16_bit() {
        let p5 = b"P5\n# made by hand\n2 2\n255\n\x00\x10\x80\xff";
        assert_eq!(decode_pgm(p5).unwrap().pixels, vec![0, 16, 128, 255]);
        let p2 = b"P2 3 1 15\n0 15 # comment\n 7";
        assert_eq!(decode_pgm(p2).unwrap().pixels, vec![0, 255, 119]);
        let wide = b"P5 1 1 65535\n\xff\xff";
        assert_eq!(decode_pgm(wide).unwrap().pixels, vec![255]);
    }

    #[test]
    fn truncated_pgm_is_an_error() {
        let err = decode_pgm(b"P5 4 4 255\n\x00\x00").unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        assert!(decode_pgm(b"P2 2").is_err());
    }

    #[test]
    fn upscaling_repeats_each_pixel_in_a_square() {
        let image = Gray {
            width: 2,
            height: 1,
            pixels: vec![1, 2],
        };
        let big = image.upscaled(2);
        assert_eq!((big.width, big.height), (4, 2));
        assert_eq!(big.pixels, vec![1, 1, 2, 2, 1, 1, 2, 2]);
    }

    #[test]
    fn blocks_shade_by_intensity() {
        let image = Gray {
            width: 3,
            height: 1,
            pixels: vec![255, 128, 0],
        };
        assert_eq!(blocks(&image), "┌──────┐\n│██▒▒  │\n└──────┘\n");
    }
}
