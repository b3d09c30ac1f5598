//! The runtime on a Cortex-M4F: classifies the whole MNIST test set streamed from the host
//! and reports accuracy, agreement with the host, instructions per inference and stack.
//!
//! Exit code 0 only when every image gets the host's class; a panic exits non-zero.
//! Built with `--features harness-only` it keeps the harness and the blob but not the
//! runtime, so that the size difference is the runtime's code.

#![no_std]
#![no_main]

mod harness;
mod icount;
mod stack;
mod stream;

use cortex_m_rt::entry;
use runtime::Aligned;
use semihosting::{println, process};

use harness::{Failure, Outcome};

/// The model blob, in flash, aligned for in-place reading.
static MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.bin")));

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

#[cfg(not(feature = "harness-only"))]
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
    report_first_image(&model, &probe[..model.input_len()]);
    let (_, stack) = stack::measure(|| runner.forward(&probe[..model.input_len()]).map(|_| ()));
    println!(
        "forward pass RAM: scratch {} bytes + stack {stack} bytes",
        core::mem::size_of::<[f32; CAPACITY]>() * 2
    );
    Ok(outcome)
}

/// Instructions per layer for the first test image, with the runtime's own kernels.
#[cfg(not(feature = "harness-only"))]
fn report_first_image(model: &runtime::Model<'_>, image: &[u8]) {
    use runtime::dense::dense;

    let mut a = [0.0f32; 128];
    let mut b = [0.0f32; 128];
    let mut whole = 0;
    let mut width = 0;
    for (n, layer) in (1..).zip(model.layers()) {
        let out_len = layer.outputs();
        let (_, instructions) = icount::measure(|| {
            let out = &mut b[..out_len];
            if n == 1 {
                dense(image, layer.weights(), layer.bias(), out);
            } else {
                dense(&a[..width], layer.weights(), layer.bias(), out);
            }
            layer.activation().apply(out);
        });
        core::mem::swap(&mut a, &mut b);
        width = out_len;
        whole += instructions;
        let macs = layer.weights().len() as u64;
        println!(
            "  layer {n} ({}x{}, {}): {instructions} instructions, {}.{:02} per multiply-accumulate",
            layer.inputs(),
            out_len,
            layer.activation().name(),
            instructions / macs,
            instructions * 100 / macs % 100
        );
    }
    println!("  first image, all layers: {whole} instructions");
}

/// The harness alone, for the footprint baseline: the blob is kept, the runtime is not.
#[cfg(feature = "harness-only")]
fn run() -> Result<Outcome, Failure> {
    let blob = core::hint::black_box(&MODEL.0);
    harness::run(784, &mut |_, image| {
        let (class, _) = icount::measure(|| image[usize::from(blob[0]) % image.len()] % 10);
        Ok(class)
    })
}
