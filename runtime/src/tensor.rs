//! Checking tensor references against the payload, and viewing their bytes in place.

use core::ops::Range;

use crate::error::{FormatError, TensorName};
use crate::layout::TENSOR_ALIGN;
use crate::manifest::{ElementType, TensorRef};

/// Walks a blob's tensors in manifest order, each after the one before, inside the payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TensorCursor {
    /// Earliest byte the next tensor may start at.
    next: usize,
    /// Where the payload ends.
    end: usize,
}

impl TensorCursor {
    /// A cursor over the payload `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        TensorCursor { next: start, end }
    }

    /// Checks that `tensor` holds `len` elements of `element` at an aligned offset after the
    /// previous tensor, and returns its byte range.
    pub fn take(
        &mut self,
        tensor: &TensorRef,
        name: TensorName,
        element: ElementType,
        len: usize,
    ) -> Result<Range<usize>, FormatError> {
        if tensor.element != element {
            return Err(FormatError::ElementType {
                tensor: name,
                expected: element,
                found: tensor.element,
            });
        }
        if tensor.len as usize != len {
            return Err(FormatError::TensorLength {
                tensor: name,
                expected: len,
                found: tensor.len as usize,
            });
        }
        let start = tensor.offset as usize;
        if start % TENSOR_ALIGN != 0 {
            return Err(FormatError::TensorMisaligned {
                tensor: name,
                offset: start,
            });
        }
        let end = len
            .checked_mul(element.size())
            .and_then(|bytes| bytes.checked_add(start))
            .ok_or(FormatError::TooLarge)?;
        if start < self.next || end > self.end {
            return Err(FormatError::TensorOutOfBounds {
                tensor: name,
                start,
                end,
                min_start: self.next,
                max_end: self.end,
            });
        }
        self.next = end;
        Ok(start..end)
    }
}

/// Views the checked byte range of a tensor as elements of `T`, in place.
pub(crate) fn view<T: bytemuck::AnyBitPattern>(
    bytes: &[u8],
    range: Range<usize>,
    name: TensorName,
) -> Result<&[T], FormatError> {
    let raw = bytes.get(range).ok_or(FormatError::TooLarge)?;
    bytemuck::try_cast_slice(raw).map_err(|_| FormatError::Misaligned {
        tensor: name,
        align: core::mem::align_of::<T>(),
    })
}

/// Fails on the first NaN or infinite value.
pub(crate) fn check_finite(values: &[f32], name: TensorName) -> Result<(), FormatError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(FormatError::NonFinite {
            tensor: name,
            index,
        }),
        None => Ok(()),
    }
}
