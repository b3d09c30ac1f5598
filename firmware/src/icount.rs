//! Instruction counts from SysTick, which QEMU's `-icount shift=6` makes deterministic.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;

/// `-icount shift=6`: 64 ns of virtual time per instruction.
const NS_PER_INSTRUCTION: u64 = 64;
/// mps2-an386's core clock is 25 MHz: 40 ns per SysTick count.
const NS_PER_TICK: u64 = 40;
const RELOAD: u32 = 0x00ff_ffff;

static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Starts SysTick free-running from the core clock, extended to 64 bits by its exception.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// SysTick counts since [`start`].
pub fn ticks() -> u64 {
    loop {
        let wraps = WRAPS.load(Ordering::Relaxed);
        let current = SYST::get_current();
        // A wrap between the two reads would pair an old count with a new value.
        if WRAPS.load(Ordering::Relaxed) == wraps {
            return u64::from(wraps) * (u64::from(RELOAD) + 1) + u64::from(RELOAD - current);
        }
    }
}

/// Instructions executed during `ticks` SysTick counts.
pub fn instructions(ticks: u64) -> u64 {
    ticks * NS_PER_TICK / NS_PER_INSTRUCTION
}

/// Runs `f` and returns its result with the instructions it took.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let start = ticks();
    let result = f();
    (result, instructions(ticks() - start))
}
