//! The runtime on a Cortex-M4F: classifies the whole MNIST test set streamed from the host
//! and reports accuracy, agreement with the host, instructions per inference and stack.
//!
//! Exit code 0 only when every image gets the host's class; a panic exits non-zero.
//! The features `size-runtime` and `size-harness` build stripped-down variants whose flash
//! difference is the runtime's code (see `size_probe`).

#![no_std]
#![no_main]

mod harness;
#[cfg_attr(
    any(feature = "size-runtime", feature = "size-harness"),
    allow(dead_code)
)]
mod icount;
#[cfg(any(feature = "size-runtime", feature = "size-harness"))]
mod size_probe;
#[cfg_attr(
    any(feature = "size-runtime", feature = "size-harness"),
    allow(dead_code)
)]
mod stack;
mod stream;

use cortex_m_rt::entry;
use runtime::Aligned;
use semihosting::{println, process};

#[cfg(not(any(feature = "size-runtime", feature = "size-harness")))]
use harness::{Failure, Outcome};

/// The model blob, in flash, aligned for in-place reading.
pub static MODEL: &Aligned<[u8]> =
    &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.bin")));

#[entry]
fn main() -> ! {
    let peripherals = cortex_m::Peripherals::take();
    if let Some(p) = peripherals {
        icount::start(p.SYST);
    }
    match run() {
        Ok(outcome) => {
            println!(
                "on-target: {}/{} correct; host: {}/{} correct; same class as the host for {}/{} images",
                outcome.correct,
                outcome.total,
                outcome.host_correct,
                outcome.total,
                outcome.agree,
                outcome.total
            );
            if let Some(i) = outcome.first_disagreement {
                println!("FAIL: image {i} is the first classified differently from the host");
            }
            println!(
                "peak stack of the whole run: {} bytes",
                stack::peak_since_reset()
            );
            let ok = outcome.agree == outcome.total && outcome.correct == outcome.host_correct;
            process::exit(if ok { 0 } else { 1 })
        }
        Err(e) => {
            println!("FAIL: {e}");
            process::exit(2)
        }
    }
}

#[cfg(any(feature = "size-runtime", feature = "size-harness"))]
use size_probe::run;

#[cfg(not(any(feature = "size-runtime", feature = "size-harness")))]
fn run() -> Result<Outcome, Failure> {
    use runtime::{Model, Runner};

    /// Scratch capacity: the widest layer the firmware runs.
    const CAPACITY: usize = 128;

    println!("model blob: {} bytes in flash", MODEL.0.len());
    let (model, parse) = icount::measure(|| Model::from_bytes(&MODEL.0));
    let model = model.map_err(|e| Failure::Blob("model blob", e))?;
    let mut runner = Runner::<CAPACITY>::new(&model)
        .map_err(|_| Failure::Model("model wider than the firmware's scratch capacity"))?;
    println!(
        "validated in {parse} instructions; {} layers, {} multiply-accumulates per inference; scratch {} bytes",
        model.layers().len(),
        model.macs(),
        core::mem::size_of::<[f32; CAPACITY]>() * 2
    );

    let mut probe = [0u8; harness::MAX_IMAGE_LEN];
    let mut total = 0u64;
    let (mut min, mut max) = (u64::MAX, 0u64);
    let outcome = harness::run(model.input_len(), &mut |index, image| {
        let (class, instructions) = icount::measure(|| runner.classify(image));
        let class =
            class.map_err(|_| Failure::Model("image length differs from the model input"))?;
        total += instructions;
        min = min.min(instructions);
        max = max.max(instructions);
        if index == 0 {
            probe[..image.len()].copy_from_slice(image);
        }
        Ok(class as u8)
    })?;
    let macs = model.macs() as u64;
    let n = outcome.total.max(1) as u64;
    println!(
        "instructions per inference over {} images: mean {}, min {min}, max {max}; {}.{:02} per multiply-accumulate (mean)",
        outcome.total,
        total / n,
        total / n / macs,
        total / n * 100 / macs % 100
    );
    report_layers(&mut runner, &probe[..model.input_len()]);
    let (_, stack) = stack::measure(|| runner.forward(&probe[..model.input_len()]).map(|_| ()));
    println!(
        "forward pass RAM: scratch {} bytes + stack {stack} bytes",
        core::mem::size_of::<[f32; CAPACITY]>() * 2
    );
    Ok(outcome)
}

/// Instructions per layer for the first test image, timed between the runner's own
/// layer-completion callbacks.
#[cfg(not(any(feature = "size-runtime", feature = "size-harness")))]
fn report_layers<const N: usize>(runner: &mut runtime::Runner<'_, N>, image: &[u8]) {
    let mut marks = [0u64; runtime::manifest::MAX_LAYERS + 1];
    marks[0] = icount::ticks();
    let _ = runner.forward_traced(image, |n| {
        if let Some(mark) = marks.get_mut(n) {
            *mark = icount::ticks();
        }
    });
    let model = runner.model();
    for (n, layer) in (1..).zip(model.layers()) {
        let instructions = icount::instructions(marks[n] - marks[n - 1]);
        let macs = layer.macs() as u64;
        println!(
            "  layer {n} ({}x{}, {} {}): {instructions} instructions, {}.{:02} per multiply-accumulate",
            layer.inputs(),
            layer.outputs(),
            layer.precision().name(),
            layer.activation().name(),
            instructions / macs,
            instructions * 100 / macs % 100
        );
    }
    let whole = icount::instructions(marks[model.layers().len()] - marks[0]);
    println!("  first image, all layers: {whole} instructions");
}
