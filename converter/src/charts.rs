//! Pictures of an evaluation: the misclassified digits as a labelled grid, and the confusion
//! matrix as a heatmap.

use crate::font;
use crate::picture::{Gray, Rgb};

/// Pixels between cells and around the grid.
pub const PAD: usize = 4;
/// Each digit pixel is drawn as a square this wide.
pub const DIGIT_SCALE: usize = 2;
/// Each font pixel of a grid label is drawn as a square this wide.
pub const LABEL_SCALE: usize = 3;
/// Each font pixel of the heatmap is drawn as a square this wide.
pub const FONT_SCALE: usize = 2;
/// Digits per row of the grid.
pub const GRID_COLUMNS: usize = 20;
/// Side of a heatmap cell.
pub const HEAT_CELL: usize = 44;
/// Room for the class labels left of and above the heatmap.
pub const HEAT_MARGIN: usize = 24;

const GROUND: [u8; 3] = [40, 44, 52];
const TRUE_INK: [u8; 3] = [110, 220, 120];
const ARROW_INK: [u8; 3] = [170, 170, 170];
const WRONG_INK: [u8; 3] = [255, 100, 90];

/// One misclassified image.
#[derive(Debug, Clone)]
pub struct Miss {
    /// The image, light digit on black.
    pub image: Gray,
    /// Its label.
    pub label: usize,
    /// The model's class.
    pub predicted: usize,
}

/// Size of one grid cell: the digit, then its label below.
pub fn grid_cell(side: usize) -> (usize, usize) {
    let w = side * DIGIT_SCALE;
    (w, w + PAD + font::HEIGHT * LABEL_SCALE + PAD)
}

/// A grid of the misclassified digits, [`GRID_COLUMNS`] per row, each labelled
/// "true → predicted" (true in green, predicted in red).
pub fn misclassified_grid(misses: &[Miss], side: usize) -> Rgb {
    let (cw, ch) = grid_cell(side);
    let columns = misses.len().clamp(1, GRID_COLUMNS);
    let rows = misses.len().div_ceil(GRID_COLUMNS).max(1);
    let mut image = Rgb::filled(PAD + columns * (cw + PAD), PAD + rows * (ch + PAD), GROUND);
    for (i, miss) in misses.iter().enumerate() {
        let x = PAD + (i % GRID_COLUMNS) * (cw + PAD);
        let y = PAD + (i / GRID_COLUMNS) * (ch + PAD);
        image.blit_gray(x, y, &miss.image, DIGIT_SCALE);
        let (t, p) = (miss.label.to_string(), miss.predicted.to_string());
        let text_w = font::width(&format!("{t}→{p}")) * LABEL_SCALE;
        let ty = y + cw + PAD;
        let tx = x + cw.saturating_sub(text_w) / 2;
        let pen = font::draw(&mut image, tx, ty, &t, LABEL_SCALE, TRUE_INK);
        let pen = font::draw(&mut image, pen, ty, "→", LABEL_SCALE, ARROW_INK);
        font::draw(&mut image, pen, ty, &p, LABEL_SCALE, WRONG_INK);
    }
    image
}

/// The heat colour of a share in 0..=1: white for 0 to dark blue for 1 (square root scale,
/// so that small confusions show).
pub fn heat(share: f64) -> [u8; 3] {
    const HOT: [f64; 3] = [8.0, 48.0, 107.0];
    let t = share.clamp(0.0, 1.0).sqrt();
    HOT.map(|c| (255.0 + (c - 255.0) * t).round() as u8)
}

/// The confusion matrix as a heatmap: rows are true classes, columns predicted classes,
/// each cell coloured by its share of the row and showing its count; class numbers label
/// the rows (left) and columns (top).
pub fn confusion_heatmap(confusion: &[Vec<usize>]) -> Rgb {
    let n = confusion.len();
    let side = HEAT_MARGIN + n * HEAT_CELL + PAD;
    let mut image = Rgb::filled(side, side, [255; 3]);
    let label_ink = [60, 60, 60];
    let text_h = font::HEIGHT * FONT_SCALE;
    for class in 0..n {
        let s = class.to_string();
        let tw = font::width(&s) * FONT_SCALE;
        let centre = HEAT_MARGIN + class * HEAT_CELL + HEAT_CELL / 2;
        font::draw(
            &mut image,
            centre - tw / 2,
            (HEAT_MARGIN - text_h) / 2,
            &s,
            FONT_SCALE,
            label_ink,
        );
        font::draw(
            &mut image,
            (HEAT_MARGIN - tw) / 2,
            centre - text_h / 2,
            &s,
            FONT_SCALE,
            label_ink,
        );
    }
    for (r, row) in confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (c, &count) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            let (x, y) = (HEAT_MARGIN + c * HEAT_CELL, HEAT_MARGIN + r * HEAT_CELL);
            image.fill_rect(x + 1, y + 1, HEAT_CELL - 2, HEAT_CELL - 2, heat(share));
            let s = count.to_string();
            let scale = if font::width(&s) * FONT_SCALE > HEAT_CELL - 4 {
                1
            } else {
                FONT_SCALE
            };
            let tw = font::width(&s) * scale;
            let ink = if heat(share)[0] < 128 {
                [255; 3]
            } else {
                [0; 3]
            };
            let ty = y + (HEAT_CELL - font::HEIGHT * scale) / 2;
            font::draw(
                &mut image,
                x + (HEAT_CELL.saturating_sub(tw)) / 2,
                ty,
                &s,
                scale,
                ink,
            );
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_runs_from_white_to_dark_blue() {
        assert_eq!(heat(0.0), [255, 255, 255]);
        assert_eq!(heat(1.0), [8, 48, 107]);
        assert!(heat(0.01)[0] < 255 && heat(0.5)[0] > heat(0.9)[0]);
    }

    #[test]
    fn grid_wraps_after_twenty_digits() {
        let miss = Miss {
            image: Gray {
                width: 28,
                height: 28,
                pixels: vec![200; 784],
            },
            label: 3,
            predicted: 5,
        };
        let grid = misclassified_grid(&vec![miss; 21], 28);
        let (cw, ch) = grid_cell(28);
        assert_eq!(
            (grid.width, grid.height),
            (PAD + 20 * (cw + PAD), PAD + 2 * (ch + PAD))
        );
        let at = |x: usize, y: usize| grid.pixels[(y * grid.width + x) * 3];
        assert_eq!(at(PAD, PAD), 200);
        assert_eq!(at(0, 0), GROUND[0]);
    }
}
