//! A batch of images through int8 layers, a panel of [`PANEL`] images at a time (desktop
//! only), in [`panel`](crate::panel)'s layout: value, then image. Each image's sums are
//! the integers [`Runner::classify`](crate::Runner::classify) forms for it alone (integer
//! sums do not depend on their order), requantized and dequantized value by value as it
//! does, so a batch gives the same classes.
//!
//! The runtime's own code runs the panel image by image; a host's kernels may take a whole
//! layer of it at once ([`Kernels::panel_input_major`], [`Kernels::panel_column_blocks`]),
//! each weight loaded once for many images.

use crate::dense_i8::later_layer;
use crate::kernels::Kernels;
use crate::manifest::WeightOrder;
use crate::panel::{MAX_WIDTH, PANEL};
use crate::params::{I8Params, Requantization};
use crate::quant::requantize_wide;

/// A panel's `u8` activations: `bytes[i][t]` is value `i` of image `t` (4 KiB).
pub type Bytes = [[u8; PANEL]; MAX_WIDTH];

/// A panel's accumulators: `sums[o][t]` is output `o` of image `t` (16 KiB).
pub type Sums = [[i32; PANEL]; MAX_WIDTH];

/// `acc[o][t]` for the first layer of `p`, input-major weights reading the pixels of the
/// [`PANEL`] images laid end to end in `images`; `acc` holds the layer's outputs, at most
/// [`MAX_WIDTH`].
#[inline(always)]
pub fn first_layer(
    images: &[u8],
    p: &I8Params<'_>,
    acc: &mut [[i32; PANEL]],
    kernels: &impl Kernels,
) {
    if kernels.panel_input_major(images, p.weights, p.bias, acc) {
        return;
    }
    let image_len = images.len() / PANEL;
    image_by_image(acc, |t, column| {
        let image = images
            .get(t * image_len..(t + 1) * image_len)
            .unwrap_or(&[]);
        kernels.input_major(image, p.weights, p.bias, column);
    });
}

/// `acc[o][t]` for a later layer of `p` from the activations `x[i][t]`, one row per input;
/// `acc` holds the layer's outputs, at most [`MAX_WIDTH`].
#[inline(always)]
pub fn layer(
    x: &[[u8; PANEL]],
    p: &I8Params<'_>,
    acc: &mut [[i32; PANEL]],
    kernels: &impl Kernels,
) {
    if p.order == WeightOrder::ColumnBlocks
        && kernels.panel_column_blocks(x, p.weights, p.bias, acc)
    {
        return;
    }
    image_by_image(acc, |t, column| {
        let mut input = [0u8; MAX_WIDTH];
        for (value, row) in input.iter_mut().zip(x) {
            *value = row.get(t).copied().unwrap_or(0);
        }
        later_layer(input.get(..x.len()).unwrap_or(&[]), p, column, kernels);
    });
}

/// `x[o][t] = table[requantize(acc[o][t])]` for each output `o` of `acc`, as
/// [`Kernels::narrow_through_table`] turns one image's accumulators into its activations.
/// `kernels` may do it ([`Kernels::panel_narrow_through_table`]).
#[inline(always)]
pub fn requantize(
    acc: &[[i32; PANEL]],
    r: &Requantization<'_>,
    x: &mut [[u8; PANEL]],
    kernels: &impl Kernels,
) {
    if kernels.panel_narrow_through_table(acc, r, x) {
        return;
    }
    let params = r.multipliers.iter().zip(r.shifts);
    for ((acc, x), (&m, &s)) in acc.iter().zip(x.iter_mut()).zip(params) {
        // The indices first, in a loop of their own that a compiler vectorises; the
        // lookups in one loop with them made the int8 test set 9% slower.
        let mut index = [0u8; PANEL];
        for (i, &a) in index.iter_mut().zip(acc) {
            *i = requantize_wide(a, m, s, r.zero_point);
        }
        for (x, i) in x.iter_mut().zip(index) {
            *x = r.table[usize::from(i)];
        }
    }
}

/// `out[o][t] = acc[o][t] × scales[o]` in f32, as the last int8 layer of one image
/// dequantizes.
#[inline(always)]
pub fn dequantize(acc: &[[i32; PANEL]], scales: &[f32], out: &mut [[f32; PANEL]]) {
    for ((acc, out), &s) in acc.iter().zip(out.iter_mut()).zip(scales) {
        for (y, &a) in out.iter_mut().zip(acc) {
            *y = a as f32 * s;
        }
    }
}

/// `acc[o][t]` for each image `t`, from `one(t, column)`, which fills one image's outputs.
#[inline(always)]
fn image_by_image(acc: &mut [[i32; PANEL]], mut one: impl FnMut(usize, &mut [i32])) {
    for t in 0..PANEL {
        let mut column = [0i32; MAX_WIDTH];
        let column = column.get_mut(..acc.len()).unwrap_or(&mut []);
        one(t, column);
        for (row, &value) in acc.iter_mut().zip(column.iter()) {
            if let Some(a) = row.get_mut(t) {
                *a = value;
            }
        }
    }
}
