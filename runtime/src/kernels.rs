//! The kernels a host may replace with faster ones built for its CPU.

#[cfg(target_arch = "arm")]
use crate::dense_i8::dense_i8;
use crate::dense_i8::dense_i8_column_blocks;
#[cfg(not(target_arch = "arm"))]
use crate::dense_i8::dense_i8_sparse;
use crate::params::Requantization;

/// Most pixels the runtime asks [`Kernels::nonzero_pixels`] to list at once.
pub const MAX_LISTED: usize = 256;

/// Sums a float first layer forms at once per image in [`Kernels::add_pixel_rows`].
pub const PIXEL_ROW_LANES: usize = 64;

/// The rows of a float layer's f32 weights from one output on, as
/// [`Kernels::add_pixel_rows`] reads them: row `r` of `weights` (row-major, `stride`
/// weights per row) from weight `col` on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightRows<'a> {
    /// The layer's weights, `inputs × stride`.
    pub weights: &'a [f32],
    /// Weights per row: the layer's outputs.
    pub stride: usize,
    /// The first output summed.
    pub col: usize,
}

/// The steps of a forward pass that a host may do faster than the runtime's portable code
/// (see [`Runner::with_kernels`](crate::Runner::with_kernels)): the int8 products and
/// requantization, the f32 products of one image's float layers, a batch's float layers
/// (the first layer's sums image by image, or listing its non-zero pixels; the later layers
/// in the panel's layout) and a batch's int8 layers in the panel's layout.
///
/// Every implementation must give the same results bit for bit; [`Portable`] is the
/// reference. The int8 products compute `acc[o] = bias[o] + Σ_i input[i] × W[i][o]` with
/// wrapping 32-bit arithmetic, whose sums do not depend on their order.
pub trait Kernels {
    /// For int8 `weights` of shape `(pixels.len(), acc.len())` in row-major order
    /// ([`WeightOrder::InputMajor`](crate::WeightOrder::InputMajor)): a first layer reading
    /// `u8` pixels, mostly zero.
    fn input_major(&self, pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]);

    /// For int8 `weights` in [`WeightOrder::ColumnBlocks`](crate::WeightOrder::ColumnBlocks):
    /// a later layer's `u8` activations.
    fn column_blocks(&self, input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]);

    /// Writes the indices of the non-zero `pixels`, ascending, to the start of `list` and
    /// returns how many there are; `None` leaves the runtime to visit them itself. `pixels`
    /// has at most [`MAX_LISTED`] entries and `list` at least `pixels.len() + 64`.
    fn nonzero_pixels(&self, pixels: &[u8], list: &mut [u16]) -> Option<usize> {
        let _ = (pixels, list);
        None
    }

    /// For each non-zero pixel `i` in ascending order, adds
    /// `pixel × rows.weights[(first_row + i) × rows.stride + rows.col + l]` to `sums[l]`
    /// for the lanes `l` of the layer's outputs (`rows.col + l < rows.stride`), multiplying
    /// then adding in f32, and returns `true`; `false` leaves `sums` to the runtime. Other
    /// lanes may hold anything. Pixels scale as [`Input::to_f32`](crate::Input::to_f32)
    /// scales them.
    fn add_pixel_rows(
        &self,
        pixels: &[u8],
        first_row: usize,
        rows: &WeightRows<'_>,
        sums: &mut [f32; PIXEL_ROW_LANES],
    ) -> bool {
        let _ = (pixels, first_row, rows, sums);
        false
    }

    /// [`Kernels::add_pixel_rows`] from row 0 for each of `sums.len()` images whose pixels lie
    /// end to end in `images`, into `sums[t]` for image `t`; `false` leaves them all to the
    /// runtime, which then sums a batch in passes over part of the rows. For kernels that
    /// sum whole images faster than those passes.
    fn add_batch_pixel_rows(
        &self,
        images: &[u8],
        rows: &WeightRows<'_>,
        sums: &mut [[f32; PIXEL_ROW_LANES]],
    ) -> bool {
        let _ = (images, rows, sums);
        false
    }

    /// Computes `out = input · weights + bias` for f32 `weights` of shape
    /// `(input.len(), out.len())` in row-major order as
    /// [`dense_blocks`](crate::dense::dense_blocks) does for dense inputs (every input's
    /// row, zeros too, in input order; each product rounded, then added; the bias last) and
    /// returns `true`; `false` leaves it to the runtime.
    fn dense_f32(&self, input: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) -> bool {
        let _ = (input, weights, bias, out);
        false
    }

    /// Computes `y[o][t] = x[..][t] · weights[..][o] + bias[o]` for every image `t` of a
    /// panel ([`panel`](crate::panel)'s layout: value, then image) and f32 `weights` of
    /// shape `(x.len(), y.len())` in row-major order, as [`Kernels::dense_f32`] computes one
    /// image, and returns `true`; `false` leaves it to the runtime.
    #[cfg(not(target_arch = "arm"))]
    fn panel_dense_f32(
        &self,
        x: &[[f32; crate::panel::PANEL]],
        weights: &[f32],
        bias: &[f32],
        y: &mut [[f32; crate::panel::PANEL]],
    ) -> bool {
        let _ = (x, weights, bias, y);
        false
    }

    /// For int8 `weights` of shape `(images.len() / PANEL, acc.len())` in row-major order
    /// ([`WeightOrder::InputMajor`](crate::WeightOrder::InputMajor)): a first layer reading
    /// the `u8` pixels of a panel's images laid end to end, `acc[o][t]` for image `t` as
    /// [`Kernels::input_major`] sums it, and returns `true`; `false` leaves it to the runtime.
    #[cfg(not(target_arch = "arm"))]
    fn panel_input_major(
        &self,
        images: &[u8],
        weights: &[i8],
        bias: &[i32],
        acc: &mut [[i32; crate::panel::PANEL]],
    ) -> bool {
        let _ = (images, weights, bias, acc);
        false
    }

    /// For int8 `weights` in [`WeightOrder::ColumnBlocks`](crate::WeightOrder::ColumnBlocks):
    /// a later layer of a panel, `acc[o][t]` from the `u8` activations `x[..][t]` of image
    /// `t` ([`panel`](crate::panel)'s layout) as [`Kernels::column_blocks`] sums them, and
    /// returns `true`; `false` leaves it to the runtime.
    #[cfg(not(target_arch = "arm"))]
    fn panel_column_blocks(
        &self,
        x: &[[u8; crate::panel::PANEL]],
        weights: &[i8],
        bias: &[i32],
        acc: &mut [[i32; crate::panel::PANEL]],
    ) -> bool {
        let _ = (x, weights, bias, acc);
        false
    }

    /// For a panel's int8 accumulators `acc[o][t]` (one row per output of the layer):
    /// `x[o][t]` through `requantization`, as [`Kernels::narrow_through_table`] turns each
    /// image's accumulators into its bytes, and returns `true`; `false` leaves it to the
    /// runtime.
    #[cfg(not(target_arch = "arm"))]
    fn panel_narrow_through_table(
        &self,
        acc: &[[i32; crate::panel::PANEL]],
        requantization: &Requantization<'_>,
        x: &mut [[u8; crate::panel::PANEL]],
    ) -> bool {
        let _ = (acc, requantization, x);
        false
    }

    /// Replaces the `outputs` int8 accumulators at the start of `bytes` (4 bytes each, in
    /// native order) by their outputs through `requantization`, one byte each, in place.
    #[inline(always)]
    fn narrow_through_table(
        &self,
        bytes: &mut [u8],
        outputs: usize,
        requantization: &Requantization<'_>,
    ) {
        crate::quant::narrow_through_table(bytes, outputs, requantization);
    }
}

/// The runtime's own kernels, for every target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Portable;

// Thin wrappers, inlined everywhere: the kernels' own inlining rules apply.
impl Kernels for Portable {
    #[inline(always)]
    fn input_major(&self, pixels: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        #[cfg(not(target_arch = "arm"))]
        dense_i8_sparse(pixels, |x| x, weights, bias, acc);
        #[cfg(target_arch = "arm")]
        dense_i8(pixels, |x| x, weights, bias, acc);
    }

    #[inline(always)]
    fn column_blocks(&self, input: &[u8], weights: &[i8], bias: &[i32], acc: &mut [i32]) {
        dense_i8_column_blocks(input, weights, bias, acc);
    }
}
