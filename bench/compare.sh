#!/usr/bin/env bash
# Times numpy (the book's code), ONNX Runtime (1 and 2 threads) and our runtime (1 and 2
# threads) on the 10000 MNIST test images, batch and one image at a time, in one run, and
# prints a table of medians with the ratios ours/numpy and ours/onnxruntime, then the
# per-image targets in microseconds beside the fastest this network's arithmetic runs here
# (tests/examples/network_bound). Fails unless every method classifies 9352 images correctly.
#
# Usage: bench/compare.sh [RUNS]        (medians of RUNS rounds, default 7, at least 5)
#
# numpy, onnx and onnxruntime are installed from PyPI into a virtual environment,
# $BENCH_VENV or target/bench-venv, when it lacks them. Data: $CONVERTER_DATA_DIR, else
# ../shared/data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-7}
venv=${BENCH_VENV:-$root/target/bench-venv}
data=${CONVERTER_DATA_DIR:-$root/../shared/data}

[[ $runs =~ ^[0-9]+$ && $runs -ge 5 ]] || { echo "error: RUNS must be a number, at least 5 (got $runs)" >&2; exit 1; }
for f in sample_weight.pkl t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [[ -f $data/$f ]] || { echo "error: $data/$f missing (set CONVERTER_DATA_DIR)" >&2; exit 1; }
done
data=$(cd "$data" && pwd)

if ! "$venv/bin/python" -c 'import numpy, onnx, onnxruntime' 2>/dev/null; then
    echo "installing numpy, onnx and onnxruntime into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check numpy onnx onnxruntime
fi

cd "$root"
export CONVERTER_DATA_DIR=$data
cargo build --release --quiet -p tests --example timing --example network_bound

exec "$venv/bin/python" "$root/bench/compare.py" --runs "$runs" --data "$data" \
    --timing "$root/target/release/examples/timing" \
    --bound "$root/target/release/examples/network_bound"
