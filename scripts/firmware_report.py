#!/usr/bin/env python3
"""Footprint and cost table of the firmware runs, and the budget checks.

Usage: firmware_report.py RUN_DIR STATUS --ceilings|--no-ceilings PRECISION...
(called by scripts/firmware.sh; the ceilings hold for the book's network only)
Reads RUN_DIR/<precision>/{firmware.elf,size-runtime.elf,model.bin,target.log} and
RUN_DIR/size-harness.elf; exits 1 if STATUS is non-zero or a budget is exceeded.
"""
import os
import re
import subprocess
import sys

# Budgets that fail the run: f32 runtime code and forward-pass RAM (bytes), mean
# instructions per multiply-accumulate (ahead of CMSIS-DSP's 3.1 for f32 and CMSIS-NN's 2.2
# for int8), and the committed ceilings on mean instructions per inference.
BUDGETS = {
    "f32": {"code": 16384, "ram": 8192, "per_mac": 2.5},
    "f16": {"ram": 8192},
    "int8": {"ram": 8192, "per_mac": 1.5},
}
CEILINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "firmware", "instruction-ceilings.txt")


def ceilings():
    """Precision -> ceiling on mean instructions per inference, from CEILINGS."""
    out = {}
    for line in open(CEILINGS):
        fields = line.split("#")[0].split()
        if fields:
            out[fields[0]] = int(fields[1])
    return out


def sections(path):
    out = subprocess.run(["arm-none-eabi-size", "-A", path], capture_output=True, text=True, check=True).stdout
    return {name: int(size) for name, size in re.findall(r"^(\.\S+)\s+(\d+)", out, re.M)}


def flash(s):
    return sum(s.get(k, 0) for k in (".vector_table", ".text", ".rodata", ".data"))


def figures(run, p, harness_code):
    log = open(os.path.join(run, p, "target.log")).read()
    full = sections(os.path.join(run, p, "firmware.elf"))
    probe = sections(os.path.join(run, p, "size-runtime.elf"))
    grab = lambda pattern: re.search(pattern, log)
    ram = grab(r"forward pass RAM: scratch (\d+) bytes \+ stack (\d+) bytes")
    mean = grab(r"instructions per inference over \d+ images: mean (\d+), min (\d+), max (\d+)")
    macs = grab(r"(\d+) multiply-accumulates per inference")
    target = grab(r"on-target: (\d+)/(\d+) correct; host: (\d+)/\d+ correct; same class as the host for (\d+)/")
    layers = re.findall(r"layer (\d+) \((\S+), \S+ (\S+)\): (\d+) instructions", log)
    first = grab(r"first image, all layers: (\d+) instructions")
    cycles_log = os.path.join(run, p, "cycles.log")
    cycles = re.search(r"(\d+) instructions traced, about (\d+) cycles", open(cycles_log).read()) if os.path.exists(cycles_log) else None
    if not (ram and mean and macs and target):
        return None
    return {
        "model": os.path.getsize(os.path.join(run, p, "model.bin")),
        "flash": flash(full),
        "code": flash(probe) - os.path.getsize(os.path.join(run, p, "model.bin")) - harness_code,
        "static_ram": full.get(".data", 0) + full.get(".bss", 0),
        "scratch": int(ram[1]),
        "stack": int(ram[2]),
        "mean": int(mean[1]),
        "min": int(mean[2]),
        "max": int(mean[3]),
        "macs": int(macs[1]),
        "correct": int(target[1]),
        "total": int(target[2]),
        "host": int(target[3]),
        "agree": int(target[4]),
        "layers": layers,
        "first": int(first[1]) if first else 0,
        # Cycles per instruction of the traced first image, applied to the mean.
        "cpi": int(cycles[2]) / int(cycles[1]) if cycles else None,
    }


def main():
    run, status, check_ceilings, precisions = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "--ceilings", sys.argv[4:]
    # The harness-only build embeds the f32 blob; its code is its flash without that blob.
    harness_code = flash(sections(os.path.join(run, "size-harness.elf"))) - os.path.getsize(
        os.path.join(run, "f32", "model.bin"))
    rows = {p: figures(run, p, harness_code) for p in precisions}
    limits = ceilings() if check_ceilings else {}
    failures = [] if status == 0 else ["a firmware run failed"]
    print("== footprint and cost on the Cortex-M4F (arm-none-eabi-size -A; SysTick under -icount)")
    cols = [p for p in precisions if rows[p]]
    line = lambda label, f: print(f"{label:<44}" + "".join(f"{f(rows[p]):>19}" for p in cols))
    line("", lambda r: "")
    print(f"{'precision':<44}" + "".join(f"{p:>19}" for p in cols))
    line("on-target correct (host)", lambda r: f"{r['correct']} ({r['host']})")
    line("same class as the host", lambda r: f"{r['agree']}/{r['total']}")
    line("flash, bytes", lambda r: r["flash"])
    line("  model blob", lambda r: r["model"])
    line("  runtime code (stripped build - harness)", lambda r: r["code"])
    line("static RAM (.data + .bss, harness buffers)", lambda r: r["static_ram"])
    line("forward-pass RAM: scratch + peak stack", lambda r: f"{r['scratch']}+{r['stack']}")
    line("instructions per inference, mean", lambda r: r["mean"])
    line("  min .. max over the 10000 images", lambda r: f"{r['min']}..{r['max']}")
    line("  per multiply-accumulate (mean)", lambda r: f"{r['mean'] / r['macs']:.2f}")
    line("  cycle estimate per inference, mean", lambda r: f"{r['mean'] * r['cpi']:.0f}" if r["cpi"] else "-")
    line("  cycles per instruction (first image)", lambda r: f"{r['cpi']:.2f}" if r["cpi"] else "-")
    line("  cycles per multiply-accumulate (mean)", lambda r: f"{r['mean'] * r['cpi'] / r['macs']:.2f}" if r["cpi"] else "-")
    line("first image, whole network", lambda r: r["first"])
    for i in range(max((len(r["layers"]) for r in rows.values() if r), default=0)):
        line(f"  layer {i + 1}", lambda r: f"{r['layers'][i][3]} ({int(r['layers'][i][3]) / (lambda a, b: a * b)(*map(int, r['layers'][i][1].split('x'))):.2f}/MAC)")
    for p in precisions:
        r, budget = rows[p], BUDGETS.get(p, {})
        if r is None:
            failures.append(f"{p}: no figures in the target's output")
            continue
        if r["agree"] != r["total"] or r["correct"] != r["host"]:
            failures.append(f"{p}: on-target classes differ from the host's")
        if "code" in budget and r["code"] > budget["code"]:
            failures.append(f"{p}: runtime code {r['code']} > {budget['code']} bytes")
        if "ram" in budget and r["scratch"] + r["stack"] > budget["ram"]:
            failures.append(f"{p}: forward-pass RAM {r['scratch'] + r['stack']} > {budget['ram']} bytes")
        if "per_mac" in budget and r["mean"] / r["macs"] > budget["per_mac"]:
            failures.append(f"{p}: {r['mean'] / r['macs']:.2f} instructions per multiply-accumulate > {budget['per_mac']}")
        ceiling = limits.get(p)
        if not check_ceilings:
            pass
        elif ceiling is None:
            failures.append(f"{p}: no instruction ceiling in {os.path.relpath(CEILINGS)}")
        elif r["mean"] > ceiling:
            failures.append(f"{p}: {r['mean']} instructions per inference > ceiling {ceiling} ({os.path.relpath(CEILINGS)})")
        else:
            print(f"{p}: {r['mean']} instructions per inference, ceiling {ceiling}: ok")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
