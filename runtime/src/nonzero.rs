//! Visiting the non-zero entries of a mostly-zero input (an MNIST digit's pixels) without a
//! branch on each entry.

/// Entries examined at once: their non-zero ones become the bits of one mask.
const CHUNK: usize = 32;

/// Calls `visit(i, input[i])` for every entry that `is_nonzero`, in order.
///
/// Each chunk of 32 entries becomes a bit mask (a test a compiler vectorises), then its set
/// bits are visited one by one: a run of zeros costs one test per chunk, and no branch
/// depends on an entry's value, so mispredictions stay rare.
#[inline(always)]
pub fn for_each_nonzero<X: Copy>(
    input: &[X],
    is_nonzero: impl Fn(X) -> bool,
    mut visit: impl FnMut(usize, X),
) {
    for (c, chunk) in input.chunks(CHUNK).enumerate() {
        let mut mask = chunk
            .iter()
            .enumerate()
            .fold(0u32, |mask, (j, &x)| mask | (u32::from(is_nonzero(x)) << j));
        while mask != 0 {
            let j = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if let Some(&x) = chunk.get(j) {
                visit(c * CHUNK + j, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::for_each_nonzero;

    #[test]
    fn visits_every_nonzero_entry_once_in_order() {
        // 70 entries: two whole chunks and a short one; zeros at chunk edges too.
        let input: [u8; 70] =
            core::array::from_fn(|i| if i % 3 == 0 || i == 31 { 0 } else { i as u8 });
        let mut seen = [false; 70];
        let mut last = None;
        for_each_nonzero(
            &input,
            |x| x != 0,
            |i, x| {
                assert_eq!(x, input[i]);
                assert!(last.is_none_or(|l| l < i), "out of order at {i}");
                assert!(!core::mem::replace(&mut seen[i], true));
                last = Some(i);
            },
        );
        for (i, &x) in input.iter().enumerate() {
            assert_eq!(seen[i], x != 0, "entry {i}");
        }
    }
}
