//! A tiny bitmap font for labels in pictures: digits 3×5 and an arrow 5×5, one pixel apart.

use crate::picture::Rgb;

/// Glyph height in font pixels.
pub const HEIGHT: usize = 5;

/// Rows of a glyph, top to bottom, most significant bit leftmost, and its width.
fn glyph(c: char) -> Option<(&'static [u8; 5], usize)> {
    const DIGITS: [[u8; 5]; 10] = [
        [0b111, 0b101, 0b101, 0b101, 0b111],
        [0b010, 0b110, 0b010, 0b010, 0b111],
        [0b111, 0b001, 0b111, 0b100, 0b111],
        [0b111, 0b001, 0b011, 0b001, 0b111],
        [0b101, 0b101, 0b111, 0b001, 0b001],
        [0b111, 0b100, 0b111, 0b001, 0b111],
        [0b111, 0b100, 0b111, 0b101, 0b111],
        [0b111, 0b001, 0b010, 0b010, 0b010],
        [0b111, 0b101, 0b111, 0b101, 0b111],
        [0b111, 0b101, 0b111, 0b001, 0b111],
    ];
    const ARROW: [u8; 5] = [0b00100, 0b00010, 0b11111, 0b00010, 0b00100];
    match c {
        '0'..='9' => Some((&DIGITS[c as usize - '0' as usize], 3)),
        '>' | '→' => Some((&ARROW, 5)),
        _ => None,
    }
}

/// Width of `text` in font pixels (unknown characters take 3, blank).
pub fn width(text: &str) -> usize {
    let glyphs: usize = text.chars().map(|c| glyph(c).map_or(3, |g| g.1)).sum();
    glyphs + text.chars().count().saturating_sub(1)
}

/// Draws `text` with its top-left corner at `(x, y)`, each font pixel a `scale × scale`
/// square of `color`; returns the x just after the text.
pub fn draw(
    image: &mut Rgb,
    x: usize,
    y: usize,
    text: &str,
    scale: usize,
    color: [u8; 3],
) -> usize {
    let mut pen = x;
    for c in text.chars() {
        let (rows, w) = glyph(c).unwrap_or((&[0; 5], 3));
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..w {
                if bits >> (w - 1 - col) & 1 == 1 {
                    image.fill_rect(pen + col * scale, y + row * scale, scale, scale, color);
                }
            }
        }
        pen += (w + 1) * scale;
    }
    pen
}

#[cfg(test)]
mod tests {
    use super::*;

    const INK: [u8; 3] = [255, 255, 255];

    fn art(image: &Rgb) -> Vec<String> {
        image
            .pixels
            .chunks(image.width * 3)
            .map(|row| {
                row.chunks(3)
                    .map(|p| if p[0] > 0 { '#' } else { '.' })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn draws_true_arrow_predicted() {
        let mut image = Rgb::filled(width("7→1"), HEIGHT, [0; 3]);
        let end = draw(&mut image, 0, 0, "7→1", 1, INK);
        assert_eq!(end, 14);
        assert_eq!(
            art(&image),
            [
                "###...#....#.",
                "..#....#..##.",
                ".#..#####..#.",
                ".#.....#...#.",
                ".#....#...###",
            ]
        );
    }

    #[test]
    fn scale_makes_squares() {
        let mut image = Rgb::filled(6, 10, [0; 3]);
        draw(&mut image, 0, 0, "1", 2, INK);
        assert_eq!(&art(&image)[..2], ["..##..", "..##.."]);
        assert_eq!(art(&image)[9], "######");
    }
}
