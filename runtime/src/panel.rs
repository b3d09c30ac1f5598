//! A batch of images through float layers, a panel of [`PANEL`] images at a time (desktop
//! only): each weight is loaded once for many images, a blocked matrix–matrix product.
//!
//! A panel's activations are stored by value, then by image (`columns[i][t]` is value `i`
//! of image `t`), so that one pointer walks all the images' inputs at once. Every output is
//! computed as [`dense_blocks`](crate::dense::dense_blocks) computes it for one image: the
//! products summed in input order from 0, then the bias added, so a batch gives the
//! single-image results bit for bit.

use crate::dense::{Weight, add_row, row};
use crate::exp::exp;
use crate::input::Input;
use crate::kernels::{Kernels, MAX_LISTED, PIXEL_ROW_LANES, WeightRows};
use crate::nonzero::for_each_nonzero;
use crate::softmax::{class_after_softmax, clearly_below};

/// Images in a panel.
pub const PANEL: usize = 32;

/// Widest layer a panel holds; wider models run image by image.
pub const MAX_WIDTH: usize = 128;

/// A panel's activations: `columns[i][t]` is value `i` of image `t` (16 KiB).
pub type Columns = [[f32; PANEL]; MAX_WIDTH];

/// Outputs of the first layer summed at once per image: four AVX-512 registers.
const FIRST_LANES: usize = PIXEL_ROW_LANES;

/// First-layer inputs per pass over the panel: their weight rows are used by all the
/// panel's images while they are in cache, instead of coming from L2 once per image
/// (256 measured best of 32, 96, 256 and all 784 MNIST pixels).
const FIRST_ROWS: usize = 256;
const _: () = assert!(FIRST_ROWS <= MAX_LISTED);

/// Outputs a later layer sums at once per image.
const LANES: usize = 16;

/// Images a later layer sums at once: with [`LANES`], four AVX-512 or eight AVX2 registers
/// of sums (measured with AVX-512: 0.99 µs per image against 1.02 with 8 and 3.2 with 16).
const GROUP: usize = 4;

/// `columns[o][t] = images[t] · weights + bias` for the [`PANEL`] images laid end to end in
/// `images`, skipping zero inputs, as a first layer reads MNIST digits. `weights` has shape
/// `(images.len() / PANEL, bias.len())` and `bias.len()` is at most [`MAX_WIDTH`].
/// `kernels` may sum whole images ([`Kernels::add_batch_pixel_rows`]) or list each image's
/// non-zero pixels ([`Kernels::nonzero_pixels`]).
#[inline(always)]
pub fn first_layer<T: Input, W: Weight>(
    images: &[T],
    weights: &[W],
    bias: &[f32],
    columns: &mut Columns,
    kernels: &impl Kernels,
) {
    let stride = bias.len();
    let in_len = images.len() / PANEL;
    let mut list = [0u16; FIRST_ROWS + 64];
    for (col, bias) in (0..).step_by(FIRST_LANES).zip(bias.chunks(FIRST_LANES)) {
        let mut sums = [[0.0f32; FIRST_LANES]; PANEL];
        let taken = match (T::as_pixels(images), W::as_f32(weights)) {
            (Some(pixels), Some(weights)) => {
                let rows = WeightRows {
                    weights,
                    stride,
                    col,
                };
                kernels.add_batch_pixel_rows(pixels, &rows, &mut sums)
            }
            _ => false,
        };
        if !taken {
            // Whatever the kernels added before declining.
            sums = [[0.0f32; FIRST_LANES]; PANEL];
        }
        for start in (0..in_len).step_by(FIRST_ROWS).filter(|_| !taken) {
            let end = (start + FIRST_ROWS).min(in_len);
            for (image, sums) in images.chunks_exact(in_len).zip(sums.iter_mut()) {
                let mut acc = *sums;
                let part = image.get(start..end).unwrap_or(&[]);
                let mut add = |i: usize, x: T| {
                    add_row(&mut acc, x.to_f32(), weights, (start + i) * stride + col);
                };
                match T::as_pixels(part).and_then(|p| kernels.nonzero_pixels(p, &mut list)) {
                    Some(count) => {
                        for &i in list.get(..count).unwrap_or(&[]) {
                            let i = usize::from(i);
                            if let Some(&x) = part.get(i) {
                                add(i, x);
                            }
                        }
                    }
                    None => for_each_nonzero(part, |x| !x.is_zero(), add),
                }
                *sums = acc;
            }
        }
        let outputs = columns.get_mut(col..).unwrap_or(&mut []);
        for (lane, (out, &b)) in outputs.iter_mut().zip(bias).enumerate() {
            for (y, sums) in out.iter_mut().zip(&sums) {
                *y = sums[lane] + b;
            }
        }
    }
}

/// `y[o][t] = x[..inputs][t] · weights + bias` for every image `t` of the panel, with
/// `inputs = weights.len() / bias.len()`; `y` must hold `bias.len()` values.
/// `kernels` may compute it ([`Kernels::panel_dense_f32`]).
#[inline(always)]
pub fn layer<W: Weight>(
    x: &Columns,
    weights: &[W],
    bias: &[f32],
    y: &mut Columns,
    kernels: &impl Kernels,
) {
    let stride = bias.len();
    if stride == 0 {
        return;
    }
    let x = x.get(..weights.len() / stride).unwrap_or(&[]);
    if let (Some(w), Some(out)) = (W::as_f32(weights), y.get_mut(..stride))
        && kernels.panel_dense_f32(x, w, bias, out)
    {
        return;
    }
    for (col, bias) in (0..).step_by(LANES).zip(bias.chunks(LANES)) {
        // Rows whose LANES weights from `col` lie within `weights` (all but at most the
        // last), then the rest padded with zeros.
        let whole = match weights.len().checked_sub(col + LANES) {
            Some(spare) => spare / stride + 1,
            None => 0,
        };
        for group in 0..PANEL / GROUP {
            let mut acc = [[0.0f32; LANES]; GROUP];
            let rows = weights
                .get(col..)
                .unwrap_or(&[])
                .windows(LANES)
                .step_by(stride);
            for (x, w) in x.iter().zip(rows) {
                if let Some(w) = w.first_chunk::<LANES>() {
                    accumulate(&mut acc, x, group, w.map(Weight::value));
                }
            }
            for (i, x) in x.iter().enumerate().skip(whole) {
                accumulate(
                    &mut acc,
                    x,
                    group,
                    row::<W, LANES>(weights, i * stride + col),
                );
            }
            // Read through a copy: indexing `acc` by lane would keep it in memory, stored
            // and reloaded on every step of the loops above.
            let sums = acc;
            let group = group * GROUP;
            let outputs = y.get_mut(col..).unwrap_or(&mut []);
            for (lane, (out, &b)) in outputs.iter_mut().zip(bias).enumerate() {
                let out = out.get_mut(group..group + GROUP).unwrap_or(&mut []);
                for (y, sums) in out.iter_mut().zip(&sums) {
                    *y = sums[lane] + b;
                }
            }
        }
    }
}

/// [`softmax`](crate::softmax::softmax) of every image of a panel's `rows` (one row per
/// output), all images at once: each image's maximum, exponentials, sum and quotients come
/// in the same order as for that image alone, so the results are the same bit for bit.
#[inline(always)]
pub fn softmax(rows: &mut [[f32; PANEL]]) {
    let mut max = [f32::NEG_INFINITY; PANEL];
    for row in rows.iter() {
        for (m, &v) in max.iter_mut().zip(row) {
            *m = m.max(v);
        }
    }
    let mut sum = [0.0f32; PANEL];
    for row in rows.iter_mut() {
        for ((v, &m), s) in row.iter_mut().zip(&max).zip(sum.iter_mut()) {
            *v = exp(*v - m);
            *s += *v;
        }
    }
    for row in rows.iter_mut() {
        for (v, &s) in row.iter_mut().zip(&sum) {
            *v /= s;
        }
    }
}

/// Each image's [`argmax`](crate::softmax::argmax) of a panel's `rows` (one row per
/// output), all images at once: the first of equal maxima, 0 when there are no rows.
#[inline(always)]
pub fn argmax(rows: &[[f32; PANEL]]) -> [usize; PANEL] {
    leaders(rows).0
}

/// Each image's class after [`softmax`]: the [`argmax`] of its softmax. The softmax is left
/// out for the images where it cannot change the class, as
/// [`clear_leader`](crate::softmax::clear_leader) decides, tested for all images at once;
/// the others get it one at a time (for all images it took 7% of the book's batch time).
#[inline(always)]
pub fn classes_after_softmax(rows: &[[f32; PANEL]]) -> [usize; PANEL] {
    let (mut best, top) = leaders(rows);
    // Values not clearly below each image's largest, the largest itself included: exactly 1
    // when it leads clearly.
    let mut close = [0u32; PANEL];
    for row in rows {
        for ((c, &v), &t) in close.iter_mut().zip(row).zip(&top) {
            *c += u32::from(!clearly_below(v, t));
        }
    }
    for (image, (b, (&t, &c))) in best.iter_mut().zip(top.iter().zip(&close)).enumerate() {
        if !(t.is_finite() && c == 1) {
            *b = image_class_after_softmax(rows, image);
        }
    }
    best
}

/// [`class_after_softmax`] of image `image`'s values alone: rarely needed.
#[cold]
#[inline(never)]
fn image_class_after_softmax(rows: &[[f32; PANEL]], image: usize) -> usize {
    let mut values = [0.0f32; MAX_WIDTH];
    for (v, row) in values.iter_mut().zip(rows) {
        *v = row.get(image).copied().unwrap_or(0.0);
    }
    let n = rows.len().min(MAX_WIDTH);
    class_after_softmax(&mut values[..n])
}

/// Each image's index and value of its largest value in `rows`, the first of equal ones
/// (index 0 and NaN when there are no rows).
#[inline(always)]
fn leaders(rows: &[[f32; PANEL]]) -> ([usize; PANEL], [f32; PANEL]) {
    let mut best = [0usize; PANEL];
    let Some((first, rest)) = rows.split_first() else {
        return (best, [f32::NAN; PANEL]);
    };
    let mut max = *first;
    for (o, row) in (1..).zip(rest) {
        for ((b, m), &v) in best.iter_mut().zip(max.iter_mut()).zip(row) {
            if v > *m {
                *b = o;
                *m = v;
            }
        }
    }
    (best, max)
}

/// `acc[g] += x[group * GROUP + g] × w` for each image `g` of the group.
#[inline(always)]
fn accumulate(acc: &mut [[f32; LANES]; GROUP], x: &[f32; PANEL], group: usize, w: [f32; LANES]) {
    if let Some(xs) = x
        .get(group * GROUP..)
        .and_then(|x| x.first_chunk::<GROUP>())
    {
        for (acc, &x) in acc.iter_mut().zip(xs) {
            for (s, w) in acc.iter_mut().zip(w) {
                *s += x * w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::{Columns, MAX_WIDTH, PANEL, first_layer, layer};
    use crate::dense::{Weight, dense_blocks};
    use crate::input::Input;
    use crate::kernels::{Kernels, PIXEL_ROW_LANES, Portable, WeightRows};
    use std::vec::Vec;

    /// The portable kernels, but listing non-zero pixels as a host may.
    struct Listing;

    impl Kernels for Listing {
        fn input_major(&self, pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
            Portable.input_major(pixels, weights, bias, acc);
        }

        fn column_blocks(&self, input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
            Portable.column_blocks(input, weights, bias, acc);
        }

        fn nonzero_pixels(&self, pixels: &[u8], list: &mut [u16]) -> Option<usize> {
            let listed = (0..).zip(pixels).filter(|(_, p)| **p != 0);
            for (slot, (i, _)) in list.iter_mut().zip(listed) {
                *slot = i;
            }
            Some(pixels.iter().filter(|&&p| p != 0).count())
        }
    }

    /// The portable kernels, but summing a batch's first layer image by image, in plain
    /// loops, as a host may; counts the batches it takes.
    #[derive(Default)]
    struct WholeImages {
        taken: core::cell::Cell<usize>,
    }

    impl Kernels for WholeImages {
        fn input_major(&self, pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
            Portable.input_major(pixels, weights, bias, acc);
        }

        fn column_blocks(&self, input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
            Portable.column_blocks(input, weights, bias, acc);
        }

        fn add_batch_pixel_rows(
            &self,
            images: &[u8],
            rows: &WeightRows<'_>,
            sums: &mut [[f32; PIXEL_ROW_LANES]],
        ) -> bool {
            let image_len = images.len() / sums.len();
            for (image, sums) in images.chunks_exact(image_len).zip(sums) {
                for (i, &p) in image.iter().enumerate().filter(|&(_, &p)| p != 0) {
                    for (l, s) in sums.iter_mut().enumerate() {
                        let at = i * rows.stride + rows.col + l;
                        *s += p.to_f32() * rows.weights.get(at).copied().unwrap_or(0.0);
                    }
                }
            }
            self.taken.set(self.taken.get() + 1);
            true
        }
    }

    /// A panel of inputs, a third of them zero, and weights in [-1, 1], from a xorshift.
    fn case(inputs: usize, outputs: usize, seed: u32) -> (Vec<u8>, Vec<f32>, Vec<f32>) {
        let mut next = crate::test_rng::xorshift32(seed);
        let images = (0..PANEL * inputs)
            .map(|_| if next() % 3 == 0 { 0 } else { next() as u8 })
            .collect();
        let weights = (0..inputs * outputs)
            .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let bias = (0..outputs).map(|o| o as f32 * 0.25 - 3.0).collect();
        (images, weights, bias)
    }

    /// Image `t`'s first `width` values of a panel.
    fn image(columns: &Columns, width: usize, t: usize) -> Vec<f32> {
        columns[..width].iter().map(|row| row[t]).collect()
    }

    /// Checks a panel's first layer with each test kernel against `dense_blocks` image by
    /// image; returns the batches the whole-image kernel took.
    fn check_first<T: Input, W: Weight>(images: &[T], weights: &[W], bias: &[f32]) -> usize {
        let outputs = bias.len();
        let inputs = images.len() / PANEL;
        let mut columns = [[f32::NAN; PANEL]; MAX_WIDTH];
        let mut listed = [[f32::NAN; PANEL]; MAX_WIDTH];
        let mut whole = [[f32::NAN; PANEL]; MAX_WIDTH];
        let whole_images = WholeImages::default();
        first_layer(images, weights, bias, &mut columns, &Portable);
        first_layer(images, weights, bias, &mut listed, &Listing);
        first_layer(images, weights, bias, &mut whole, &whole_images);
        for (t, x) in images.chunks_exact(inputs).enumerate() {
            let mut want = std::vec![0.0; outputs];
            dense_blocks(x, weights, bias, &mut want, true);
            let why = || std::format!("{inputs}x{outputs} image {t}");
            assert_eq!(image(&columns, outputs, t), want, "{}", why());
            assert_eq!(image(&listed, outputs, t), want, "listed, {}", why());
            assert_eq!(image(&whole, outputs, t), want, "whole images, {}", why());
        }
        whole_images.taken.get()
    }

    #[test]
    fn first_layer_equals_one_image_at_a_time_bit_for_bit() {
        for (seed, (inputs, outputs)) in
            (1..).zip([(784, 50), (7, 1), (300, 64), (33, 65), (40, 128), (1, 3)])
        {
            let (images, weights, bias) = case(inputs, outputs, seed);
            // Pixels and f32 weights: the whole-image kernel takes every block of 64 outputs.
            assert_eq!(check_first(&images, &weights, &bias), outputs.div_ceil(64));
            let floats: Vec<f32> = images.iter().map(|&p| p.to_f32()).collect();
            assert_eq!(check_first(&floats, &weights, &bias), 0);
            // Half-precision weights: 1.0, -0.5, 0.25, 2.0 repeated.
            let halves: Vec<u16> = (0..weights.len())
                .map(|k| [0x3c00, 0xb800, 0x3400, 0x4000][k % 4])
                .collect();
            assert_eq!(check_first(&images, &halves, &bias), 0);
        }
    }

    #[test]
    fn softmax_equals_one_image_at_a_time_bit_for_bit() {
        use crate::softmax::softmax;
        // Rows of very different scales, a tie and a row far below the others.
        let mut rows = [[0.0f32; PANEL]; 10];
        for (o, row) in rows.iter_mut().enumerate() {
            for (t, v) in row.iter_mut().enumerate() {
                *v = ((o * 7 + t * 13) % 23) as f32 * (t as f32 + 1.0) * 0.37 - 40.0;
            }
        }
        rows[3][5] = rows[4][5];
        rows[9][0] = -1.0e30;
        let mut want = rows;
        for t in 0..PANEL {
            let mut image: Vec<f32> = want.iter().map(|row| row[t]).collect();
            softmax(&mut image);
            for (row, v) in want.iter_mut().zip(image) {
                row[t] = v;
            }
        }
        super::softmax(&mut rows);
        assert_eq!(rows, want);
    }

    #[test]
    fn argmax_equals_one_image_at_a_time() {
        use crate::softmax::argmax;
        // Ties, NaN first and later, infinities, and one output only.
        let mut rows = [[0.0f32; PANEL]; 10];
        for (o, row) in rows.iter_mut().enumerate() {
            for (t, v) in row.iter_mut().enumerate() {
                *v = ((o * 5 + t * 11) % 7) as f32 - 3.0;
            }
        }
        rows[0][1] = f32::NAN;
        rows[4][2] = f32::NAN;
        rows[9][3] = f32::INFINITY;
        rows[0][4] = f32::NEG_INFINITY;
        for width in [0, 1, 2, 10] {
            let got = super::argmax(&rows[..width]);
            for (t, &got) in got.iter().enumerate() {
                let image: Vec<f32> = rows[..width].iter().map(|row| row[t]).collect();
                assert_eq!(got, argmax(&image).unwrap_or(0), "width {width}, image {t}");
            }
        }
    }

    /// `classes_after_softmax` against softmax then argmax image by image, on panels of near ties
    /// (1 to 3 units in the last place apart, or 0 to 100), infinities and NaN.
    #[test]
    fn classes_after_softmax_are_softmax_then_argmax() {
        use crate::softmax::{argmax, near_tie, softmax};
        let mut next = crate::test_rng::xorshift32(11);
        let mut uniform = move || next() as f32 / u32::MAX as f32;
        let mut changed = 0;
        for (panel, width) in (0..640).zip([1, 2, 3, 10, 12].into_iter().cycle()) {
            let mut rows = [[0.0f32; PANEL]; 12];
            for t in 0..PANEL {
                let values = near_tie(panel * PANEL + t, width, &mut uniform);
                for (row, v) in rows.iter_mut().zip(values) {
                    row[t] = v;
                }
            }
            let rows = &rows[..width];
            let got = super::classes_after_softmax(rows);
            for (t, &got) in got.iter().enumerate() {
                let image: Vec<f32> = rows.iter().map(|row| row[t]).collect();
                let mut probabilities = image.clone();
                softmax(&mut probabilities);
                let want = argmax(&probabilities).unwrap_or(0);
                assert_eq!(got, want, "{image:?}");
                changed += usize::from(argmax(&image) != Some(want));
            }
        }
        // Cases where softmax's rounding made a tie that an earlier index wins.
        assert!(changed > 10, "{changed}");
        assert_eq!(super::classes_after_softmax(&[]), [0; PANEL]);
    }

    #[test]
    fn later_layers_equal_one_image_at_a_time_bit_for_bit() {
        for (seed, (inputs, outputs)) in
            (11..).zip([(50, 100), (100, 10), (1, 1), (128, 17), (9, 128), (64, 16)])
        {
            let (_, weights, bias) = case(inputs, outputs, seed);
            let mut x = [[0.0f32; PANEL]; MAX_WIDTH];
            for (i, row) in x.iter_mut().enumerate().take(inputs) {
                for (t, v) in row.iter_mut().enumerate() {
                    *v = ((i * 31 + t * 17) % 13) as f32 / 7.0 - 0.5;
                }
            }
            let mut y = [[f32::NAN; PANEL]; MAX_WIDTH];
            layer(&x, &weights, &bias, &mut y, &crate::kernels::Portable);
            for t in 0..PANEL {
                let mut want = std::vec![0.0; outputs];
                dense_blocks(&image(&x, inputs, t), &weights, &bias, &mut want, false);
                assert_eq!(image(&y, outputs, t), want, "{inputs}x{outputs} image {t}");
            }
        }
    }
}
