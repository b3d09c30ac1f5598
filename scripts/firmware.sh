#!/usr/bin/env bash
# Converts the model, builds the firmware, runs it under QEMU (Cortex-M4F, mps2-an386) on
# the whole MNIST test set, and prints flash, RAM, stack and instructions per inference.
# Exits 0 only when the target's class equals the host's for every image and every budget
# holds.
#
#   scripts/firmware.sh [--install] [WEIGHTS.pkl]
#
# Toolchain: rustup with `rustup target add thumbv7em-none-eabihf`, or Debian's rustc-web
# and rust-web-src (built with -Zbuild-std=core). Also qemu-system-arm and
# binutils-arm-none-eabi. --install (or CI=true, as root) installs the Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

install=false
[ "${1:-}" = --install ] && { install=true; shift; }
[ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && install=true
data=${CONVERTER_DATA_DIR:-$root/../shared/data}
weights=${1:-$data/sample_weight.pkl}

# Budgets of the f32 MLP (bytes, and instructions per multiply-accumulate).
RUNTIME_CODE_BUDGET=16384
FORWARD_RAM_BUDGET=8192
INSTRUCTIONS_PER_MAC_BUDGET=3.5

debian_packages="rustc-web cargo-web rust-web-src lld-22 qemu-system-arm binutils-arm-none-eabi"
missing=()
command -v qemu-system-arm >/dev/null || missing+=("qemu-system-arm (Debian: qemu-system-arm)")
command -v arm-none-eabi-size >/dev/null || missing+=("arm-none-eabi-size (Debian: binutils-arm-none-eabi)")
if rustup target list --installed 2>/dev/null | grep -qx thumbv7em-none-eabihf; then
  toolchain=rustup
elif [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library/core ]; then
  toolchain=debian
else
  toolchain=none
  missing+=("a Rust toolchain for thumbv7em-none-eabihf (rustup target add thumbv7em-none-eabihf, or Debian: rustc-web cargo-web rust-web-src lld-22)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if $install; then
    echo "installing: $debian_packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debian_packages >/dev/null
    [ "$toolchain" = none ] && toolchain=debian
  else
    echo "missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    echo "install them, or rerun with --install (as root, on Debian)" >&2
    exit 1
  fi
fi

firmware_cargo() {  # runs cargo in firmware/ with the chosen toolchain
  if [ "$toolchain" = debian ]; then
    (cd firmware && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc PATH=/usr/bin:$PATH \
      cargo "$@" -Zbuild-std=core)
  else
    (cd firmware && cargo "$@")
  fi
}

echo "== the runtime alone for thumbv7em-none-eabihf (no std can slip in through a dependency)"
if [ "$toolchain" = debian ]; then
  RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc PATH=/usr/bin:$PATH cargo build --quiet --release -p runtime \
    --target thumbv7em-none-eabihf --target-dir target/bare-metal -Zbuild-std=core
else
  cargo build --quiet --release -p runtime --target thumbv7em-none-eabihf --target-dir target/bare-metal
fi
echo "ok"

run=$root/target/firmware-run
mkdir -p "$run"
echo "== converting $(basename "$weights") and the MNIST test set on the host"
cargo build -q --release -p converter
conv=$root/target/release/converter
"$conv" model "$weights" -o "$run/model.bin" >/dev/null
"$conv" dataset "$data/t10k-images-idx3-ubyte.gz" "$data/t10k-labels-idx1-ubyte.gz" -o "$run/dataset.bin" >/dev/null
"$conv" eval "$run/model.bin" "$run/dataset.bin" --predictions "$run/host-predictions.u8" --json \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print("host: %d/%d correct" % (r["correct"], r["total"]))'

echo "== building the firmware ($toolchain toolchain)"
# The builds share one target directory (only the firmware crate itself is rebuilt); each
# ELF is copied into $run: the firmware; two stripped-down ones whose flash difference is the
# runtime's code (the harness with the runtime, and with a stand-in); one with a damaged blob.
out_elf=$root/firmware/target/thumbv7em-none-eabihf/release/firmware
build_firmware() {  # build_firmware BLOB COPY_TO [cargo args]
  local blob=$1 copy=$2; shift 2
  MODEL_BLOB=$blob firmware_cargo build --release --quiet "$@"
  cp "$out_elf" "$copy"
}
elf=$run/firmware.elf
with_runtime=$run/size-runtime.elf
baseline=$run/size-harness.elf
build_firmware "$run/model.bin" "$elf"
build_firmware "$run/model.bin" "$with_runtime" --features size-runtime
build_firmware "$run/model.bin" "$baseline" --features size-harness
python3 - "$run/model.bin" "$run/corrupt.bin" <<'PY'
import sys
blob = bytearray(open(sys.argv[1], "rb").read())
blob[len(blob) // 2] ^= 0x10
open(sys.argv[2], "wb").write(blob)
PY
build_firmware "$run/corrupt.bin" "$run/corrupt.elf"

echo "== running on the Cortex-M4F under QEMU"
set +e
(cd "$run" && timeout 900 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
  -semihosting-config enable=on,target=native -icount shift=6 -kernel "$elf") | tee "$run/target.log"
status=${PIPESTATUS[0]}
set -e

echo "== a corrupted model blob must stop the firmware at start"
set +e
corrupt_out=$(cd "$run" && timeout 60 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
  -semihosting-config enable=on,target=native -icount shift=6 \
  -kernel "$run/corrupt.elf")
corrupt_status=$?
set -e
echo "$corrupt_out" | grep FAIL
if [ "$corrupt_status" = 0 ] || ! grep -q "checksum mismatch" <<<"$corrupt_out"; then
  echo "FAIL: the firmware accepted a corrupted model blob (exit $corrupt_status)"
  status=1
fi

python3 - "$elf" "$with_runtime" "$baseline" "$run/model.bin" "$run/target.log" "$status" \
  "$RUNTIME_CODE_BUDGET" "$FORWARD_RAM_BUDGET" "$INSTRUCTIONS_PER_MAC_BUDGET" <<'PY'
import os, re, subprocess, sys
elf, with_runtime, baseline, model, log, status = sys.argv[1:7]
code_budget, ram_budget, mac_budget = int(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9])

def sections(path):
    out = subprocess.run(["arm-none-eabi-size", "-A", path], capture_output=True, text=True, check=True).stdout
    return {m[0]: int(m[1]) for m in re.findall(r"^(\.\S+)\s+(\d+)", out, re.M)}

def flash(s):
    return sum(s.get(k, 0) for k in (".vector_table", ".text", ".rodata", ".data"))

full, probe, base = sections(elf), sections(with_runtime), sections(baseline)
model_bytes = os.path.getsize(model)
text = open(log).read()
ram = re.search(r"forward pass RAM: scratch (\d+) bytes \+ stack (\d+) bytes", text)
mac = re.search(r"instructions per inference over \d+ images: mean (\d+).*?; (\d+\.\d+) per", text)
macs = re.search(r"(\d+) multiply-accumulates per inference", text)
peak = re.search(r"peak stack of the whole run: (\d+) bytes", text)
runtime_code = flash(probe) - flash(base)
print("== footprint (arm-none-eabi-size -A)")
print(f"flash {flash(full)} bytes = model blob {model_bytes} + code and constants {flash(full) - model_bytes}")
print(f"  runtime code {runtime_code} bytes (stripped-down build with the runtime {flash(probe)} minus the same harness with a stand-in {flash(base)})")
print(f"static RAM {full.get('.data', 0) + full.get('.bss', 0)} bytes (.data {full.get('.data', 0)}, .bss {full.get('.bss', 0)}: harness buffers)")
failures = []
if int(status) != 0:
    failures.append(f"the firmware exited with {status}")
if runtime_code > code_budget:
    failures.append(f"runtime code {runtime_code} > {code_budget} bytes")
if ram:
    forward = int(ram[1]) + int(ram[2])
    print(f"forward pass RAM {forward} bytes (scratch {ram[1]} + peak stack {ram[2]}); whole run peak stack {peak[1] if peak else '?'} bytes")
    if forward > ram_budget:
        failures.append(f"forward pass RAM {forward} > {ram_budget} bytes")
else:
    failures.append("no forward pass RAM figure in the target's output")
if mac:
    print(f"instructions per inference {mac[1]} (mean of the test set), {mac[2]} per multiply-accumulate ({macs[1]} per inference)")
    if float(mac[2]) > mac_budget:
        failures.append(f"{mac[2]} instructions per multiply-accumulate > {mac_budget}")
else:
    failures.append("no instruction count in the target's output")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
PY
