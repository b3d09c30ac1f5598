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

# The budgets (code, RAM, instructions per multiply-accumulate) are in
# scripts/firmware_report.py, the instruction ceilings in firmware/instruction-ceilings.txt.

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
echo "== converting $(basename "$weights") (f32, f16, int8) and the MNIST test set on the host"
cargo build -q --release -p converter
conv=$root/target/release/converter
"$conv" dataset "$data/t10k-images-idx3-ubyte.gz" "$data/t10k-labels-idx1-ubyte.gz" -o "$run/dataset.bin" >/dev/null
precisions="f32 f16 int8"
for p in $precisions; do
  mkdir -p "$run/$p"
  ln -sf ../dataset.bin "$run/$p/dataset.bin"
  # int8 calibrates on the first 1000 test images (the converter's default).
  "$conv" --data-dir "$data" model "$weights" --precision "$p" -o "$run/$p/model.bin" >/dev/null
  "$conv" eval "$run/$p/model.bin" "$run/dataset.bin" --predictions "$run/$p/host-predictions.u8" --json \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); print("host, %s: %d/%d correct" % (sys.argv[1], r["correct"], r["total"]))' "$p"
done

echo "== building the firmware ($toolchain toolchain)"
# The builds share one target directory (only the firmware crate itself is rebuilt); each
# ELF is copied into $run. Per precision: the firmware, and a stripped-down build with the
# runtime whose flash minus that of the same harness with a stand-in is the runtime's code.
out_elf=$root/firmware/target/thumbv7em-none-eabihf/release/firmware
build_firmware() {  # build_firmware BLOB COPY_TO [cargo args]
  local blob=$1 copy=$2; shift 2
  MODEL_BLOB=$blob firmware_cargo build --release --quiet "$@"
  cp "$out_elf" "$copy"
}
features() { [ "$1" = f32 ] && echo "" || echo "$1"; }
build_firmware "$run/f32/model.bin" "$run/size-harness.elf" --features size-harness
for p in $precisions; do
  build_firmware "$run/$p/model.bin" "$run/$p/firmware.elf" --features "$(features "$p")"
  build_firmware "$run/$p/model.bin" "$run/$p/size-runtime.elf" --features "size-runtime $(features "$p")"
done
python3 - "$run/f32/model.bin" "$run/corrupt.bin" <<'PY'
import sys
blob = bytearray(open(sys.argv[1], "rb").read())
blob[len(blob) // 2] ^= 0x10
open(sys.argv[2], "wb").write(blob)
PY
build_firmware "$run/corrupt.bin" "$run/corrupt.elf"

status=0
for p in $precisions; do
  echo "== running $p on the Cortex-M4F under QEMU"
  set +e
  (cd "$run/$p" && timeout 900 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -icount shift=6 -kernel firmware.elf) | tee "$run/$p/target.log"
  code=${PIPESTATUS[0]}
  set -e
  [ "$code" = 0 ] || { echo "FAIL: the $p firmware exited with $code"; status=1; }
done

echo "== cycle estimate: the first image once more, each executed instruction traced"
# Only the forward pass's functions are logged (-dfilter); scripts/cycle_estimate.py prices
# them with the Cortex-M4's documented instruction timings.
"$conv" dataset "$data/t10k-images-idx3-ubyte.gz" "$data/t10k-labels-idx1-ubyte.gz" --limit 1 \
  -o "$run/first-image.bin" >/dev/null
for p in $precisions; do
  trace=$run/$p/trace
  mkdir -p "$trace"
  ln -sf ../../first-image.bin "$trace/dataset.bin"
  "$conv" eval "$run/$p/model.bin" "$run/first-image.bin" --predictions "$trace/host-predictions.u8" >/dev/null
  ranges=$(python3 "$root/scripts/cycle_estimate.py" ranges "$run/$p/firmware.elf")
  (cd "$trace" && timeout 300 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -icount shift=6 -singlestep -d exec,nochain \
    -dfilter "$ranges" -D exec.log -kernel "$run/$p/firmware.elf" >/dev/null) || status=1
  python3 "$root/scripts/cycle_estimate.py" estimate "$run/$p/firmware.elf" "$trace/exec.log" \
    | tee "$run/$p/cycles.log" || status=1
  rm -f "$trace/exec.log"
done

echo "== a corrupted model blob must stop the firmware at start"
set +e
corrupt_out=$(cd "$run/f32" && timeout 60 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
  -semihosting-config enable=on,target=native -icount shift=6 -kernel "$run/corrupt.elf")
corrupt_status=$?
set -e
echo "refused as it must be: $(grep -m1 FAIL <<<"$corrupt_out" | sed 's/^FAIL: //')"
if [ "$corrupt_status" = 0 ] || ! grep -q "checksum mismatch" <<<"$corrupt_out"; then
  echo "FAIL: the firmware accepted a corrupted model blob (exit $corrupt_status)"
  status=1
fi

# The ceilings are the book network's; another model's run reports its counts only.
ceilings=--ceilings
[ "$weights" -ef "$data/sample_weight.pkl" ] || ceilings=--no-ceilings
python3 "$root/scripts/firmware_report.py" "$run" "$status" "$ceilings" $precisions
