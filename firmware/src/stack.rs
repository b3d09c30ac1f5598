//! Peak stack use of a call, by painting the free stack and looking for the high-water mark.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PAINT: u32 = 0xCCCC_CCCC;
/// Bytes just below the stack pointer left unpainted, in case the paint loop spills.
const MARGIN: usize = 64;

unsafe extern "C" {
    /// Lowest stack address, from cortex-m-rt's linker script.
    static _stack_end: u32;
}

/// Runs `f` and returns its result with the bytes of stack it used below the caller's frame.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let bottom = addr_of!(_stack_end) as usize;
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp - MARGIN;
    for addr in (bottom..top).step_by(4) {
        // SAFETY: [bottom, top) lies below the live stack pointer and above all statics:
        // free stack that nothing else uses while this runs.
        unsafe { write_volatile(addr as *mut u32, PAINT) };
    }
    let result = f();
    let lowest = (bottom..top)
        .step_by(4)
        // SAFETY: as above; reading free stack words.
        .find(|&addr| unsafe { read_volatile(addr as *const u32) } != PAINT)
        .unwrap_or(top);
    (result, sp - lowest)
}

/// Peak stack use of the whole run so far: cortex-m-rt painted the stack at reset.
pub fn peak_since_reset() -> usize {
    let bottom = addr_of!(_stack_end) as usize;
    let top = cortex_m::register::msp::read() as usize;
    let lowest = (bottom..top)
        .step_by(4)
        // SAFETY: reading words of the stack region below the stack pointer.
        .find(|&addr| unsafe { read_volatile(addr as *const u32) } != PAINT)
        .unwrap_or(top);
    stack_top() - lowest
}

unsafe extern "C" {
    /// Highest stack address, from cortex-m-rt's linker script.
    static _stack_start: u32;
}

fn stack_top() -> usize {
    addr_of!(_stack_start) as usize
}
