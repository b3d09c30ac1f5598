//! Reproducible pseudo-random numbers for unit tests.

/// Marsaglia's 32-bit xorshift from `seed` (not 0): the same sequence on every run.
pub fn xorshift32(seed: u32) -> impl FnMut() -> u32 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    }
}
