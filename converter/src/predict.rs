//! Turning any picture of a digit into a 28×28 MNIST-like input, the way MNIST was made:
//! light digit on a dark ground, cropped, fitted into 20×20 keeping its aspect ratio, and
//! centred by its centre of mass in a 28×28 field.

use crate::picture::Gray;

/// Side of the MNIST field.
pub const SIDE: usize = 28;
/// Side of the box the digit is fitted into.
pub const BOX: usize = 20;
/// Pixels at most this bright (0-255, after levelling) count as ground when cropping.
const NOISE: f32 = 16.0;

/// The 28×28 input for `image`, or `None` when it holds no digit (a flat image).
pub fn mnist_like(image: &Gray) -> Option<Gray> {
    let levelled = level(image)?;
    let (x0, y0, x1, y1) = bounding_box(&levelled, image.width)?;
    let (w, h) = (x1 - x0, y1 - y0);
    let scale = BOX as f64 / w.max(h) as f64;
    let out_w = ((w as f64 * scale).round() as usize).clamp(1, BOX);
    let out_h = ((h as f64 * scale).round() as usize).clamp(1, BOX);
    let fitted = area_resample(&levelled, image.width, (x0, y0, w, h), out_w, out_h);
    Some(centre_by_mass(&fitted, out_w, out_h))
}

/// Light-on-dark values scaled so the ground is 0 and the brightest stroke 255: inverted
/// when the border (the ground) is lighter than mid-gray.
fn level(image: &Gray) -> Option<Vec<f32>> {
    let (w, h) = (image.width, image.height);
    let mut border: Vec<u8> = Vec::with_capacity(2 * (w + h));
    for x in 0..w {
        border.push(image.pixels[x]);
        border.push(image.pixels[(h - 1) * w + x]);
    }
    for y in 0..h {
        border.push(image.pixels[y * w]);
        border.push(image.pixels[y * w + w - 1]);
    }
    border.sort_unstable();
    let ground = f32::from(border[border.len() / 2]);
    let invert = ground > 127.0;
    let value = |v: u8| {
        if invert {
            255.0 - f32::from(v)
        } else {
            f32::from(v)
        }
    };
    let ground = value(ground as u8);
    let peak = image.pixels.iter().map(|&v| value(v)).fold(0.0, f32::max);
    if peak - ground < 2.0 * NOISE {
        return None;
    }
    let span = peak - ground;
    Some(
        image
            .pixels
            .iter()
            .map(|&v| ((value(v) - ground) / span * 255.0).clamp(0.0, 255.0))
            .collect(),
    )
}

/// `(x0, y0, x1, y1)`, end exclusive, of the pixels brighter than the noise floor.
fn bounding_box(values: &[f32], width: usize) -> Option<(usize, usize, usize, usize)> {
    let mut bbox: Option<(usize, usize, usize, usize)> = None;
    for (i, _) in values.iter().enumerate().filter(|(_, v)| **v > NOISE) {
        let (x, y) = (i % width, i / width);
        bbox = Some(match bbox {
            None => (x, y, x + 1, y + 1),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x + 1), d.max(y + 1)),
        });
    }
    bbox
}

/// Resamples the `(x, y, w, h)` region of `values` to `out_w × out_h` by area averaging:
/// each output pixel is the mean of the source area it covers, fractions weighted.
fn area_resample(
    values: &[f32],
    width: usize,
    (x, y, w, h): (usize, usize, usize, usize),
    out_w: usize,
    out_h: usize,
) -> Vec<f32> {
    let (sx, sy) = (w as f64 / out_w as f64, h as f64 / out_h as f64);
    let spans = |out: usize, step: f64, origin: usize| -> Vec<Vec<(usize, f64)>> {
        (0..out)
            .map(|o| {
                let (a, b) = (o as f64 * step, (o + 1) as f64 * step);
                (a.floor() as usize..b.ceil() as usize)
                    .map(|s| {
                        (
                            origin + s,
                            (b.min(s as f64 + 1.0) - a.max(s as f64)).max(0.0),
                        )
                    })
                    .collect()
            })
            .collect()
    };
    let (cols, rows) = (spans(out_w, sx, x), spans(out_h, sy, y));
    let mut out = Vec::with_capacity(out_w * out_h);
    for row in &rows {
        for col in &cols {
            let mut sum = 0.0;
            for &(sy, wy) in row {
                for &(sx, wx) in col {
                    sum += f64::from(values[sy * width + sx]) * wy * wx;
                }
            }
            out.push((sum / (sx_area(col) * sx_area(row))) as f32);
        }
    }
    out
}

fn sx_area(span: &[(usize, f64)]) -> f64 {
    span.iter()
        .map(|&(_, w)| w)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE)
}

/// Pastes a `w × h` image into 28×28 so that its centre of mass falls on the field's centre,
/// clipping what would fall outside.
fn centre_by_mass(values: &[f32], w: usize, h: usize) -> Gray {
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in values.iter().enumerate() {
        let v = f64::from(v);
        mass += v;
        mx += v * (i % w) as f64;
        my += v * (i / w) as f64;
    }
    // MNIST's digits have their centre of mass at (14, 14) in pixel indices.
    let centre = SIDE as f64 / 2.0;
    let (cx, cy) = if mass > 0.0 {
        (mx / mass, my / mass)
    } else {
        ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0)
    };
    let dx = (centre - cx).round() as isize;
    let dy = (centre - cy).round() as isize;
    let mut pixels = vec![0u8; SIDE * SIDE];
    for (i, &v) in values.iter().enumerate() {
        let x = (i % w) as isize + dx;
        let y = (i / w) as isize + dy;
        if (0..SIDE as isize).contains(&x) && (0..SIDE as isize).contains(&y) {
            pixels[y as usize * SIDE + x as usize] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    Gray {
        width: SIDE,
        height: SIDE,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: usize, height: usize, f: impl Fn(usize, usize) -> u8) -> Gray {
        let pixels = (0..width * height)
            .map(|i| f(i % width, i / width))
            .collect();
        Gray {
            width,
            height,
            pixels,
        }
    }

    fn lit(g: &Gray) -> Vec<(usize, usize)> {
        (0..g.pixels.len())
            .filter(|&i| g.pixels[i] > 0)
            .map(|i| (i % g.width, i / g.width))
            .collect()
    }

    #[test]
    fn a_flat_image_has_no_digit() {
        assert_eq!(mnist_like(&image(10, 10, |_, _| 255)), None);
        assert_eq!(mnist_like(&image(10, 10, |_, _| 0)), None);
    }

    #[test]
    fn a_tall_bar_fills_20_rows_centred() {
        // A dark 10×40 bar on white, off-centre in a 100×100 image.
        let g = mnist_like(&image(100, 100, |x, y| {
            if (5..15).contains(&x) && (50..90).contains(&y) {
                0
            } else {
                255
            }
        }))
        .unwrap();
        let on = lit(&g);
        let ys: Vec<usize> = on.iter().map(|p| p.1).collect();
        let xs: Vec<usize> = on.iter().map(|p| p.0).collect();
        assert_eq!(ys.iter().max().unwrap() - ys.iter().min().unwrap() + 1, 20);
        assert_eq!(xs.iter().max().unwrap() - xs.iter().min().unwrap() + 1, 5);
        assert_eq!(
            (*ys.iter().min().unwrap(), *xs.iter().min().unwrap()),
            (5, 12)
        );
        assert!(g.pixels.iter().all(|&v| v == 0 || v == 255));
    }

    #[test]
    fn light_on_dark_and_dark_on_light_give_the_same_input() {
        let dark = |x: usize, y: usize| {
            if (x * y).is_multiple_of(7) && x > 3 && y > 2 {
                30
            } else {
                220
            }
        };
        let a = mnist_like(&image(37, 41, dark)).unwrap();
        let b = mnist_like(&image(37, 41, |x, y| 250 - dark(x, y))).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn area_averaging_halves_a_checkerboard_to_gray() {
        let values: Vec<f32> = (0..16)
            .map(|i| if (i % 4 + i / 4) % 2 == 0 { 255.0 } else { 0.0 })
            .collect();
        let out = area_resample(&values, 4, (0, 0, 4, 4), 2, 2);
        assert_eq!(out, vec![127.5; 4]);
    }
}
