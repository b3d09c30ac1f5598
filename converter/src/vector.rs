//! The runtime's forward pass compiled for the vector units of the CPU it runs on.
//!
//! The runtime's kernels are portable Rust; compiled inside the functions here they are
//! also built for AVX2 with FMA and for AVX-512, and the first of those the CPU has is
//! picked at run time (once, then cached). Other CPUs and architectures run the portable
//! build. No special compiler flags are needed. Results are those of the portable build:
//! the kernels do not fuse multiplies and adds.

use runtime::{Input, Kernels, Runner, ShapeError};

/// Compiles each function once more per target below; the first the CPU has is used.
macro_rules! on_vector_units {
    ($($function:item)*) => {$(
        #[multiversion::multiversion(targets(
            "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma+bmi1+bmi2+lzcnt+popcnt",
            "x86_64+avx2+fma+bmi1+bmi2+lzcnt+popcnt"
        ))]
        $function
    )*};
}

on_vector_units! {
    /// [`Runner::classify`], on the CPU's widest vector units.
    ///
    /// # Errors
    /// As [`Runner::classify`].
    pub fn classify<T: Input, const N: usize, K: Kernels>(
        runner: &mut Runner<'_, N, K>,
        input: &[T],
    ) -> Result<usize, ShapeError> {
        runner.classify(input)
    }

    /// [`Runner::classify_batch`], on the CPU's widest vector units.
    ///
    /// # Errors
    /// As [`Runner::classify_batch`].
    pub fn classify_batch<T: Input, const N: usize, K: Kernels>(
        runner: &mut Runner<'_, N, K>,
        inputs: &[T],
        classes: &mut [usize],
    ) -> Result<(), ShapeError> {
        runner.classify_batch(inputs, classes)
    }

    /// [`Runner::forward_batch`], on the CPU's widest vector units.
    ///
    /// # Errors
    /// As [`Runner::forward_batch`].
    pub fn forward_batch<T: Input, const N: usize, K: Kernels>(
        runner: &mut Runner<'_, N, K>,
        inputs: &[T],
        outputs: &mut [f32],
    ) -> Result<(), ShapeError> {
        runner.forward_batch(inputs, outputs)
    }
}
