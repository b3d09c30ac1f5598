#!/usr/bin/env bash
# Regenerates the committed seeds in fuzz/seeds/<target>/ from real converter output.
#
#     fuzz/make_seeds.sh [DATA_DIR]      # default: $CONVERTER_DATA_DIR, else ../shared/data
#
# Needs Python 3 with numpy and the book's data (sample_weight.pkl, t10k-*.gz). The seeds
# are kept small (all of them well under 200 KB): the book's own pickle and blob are 181 KB
# each, which would slow every fuzzing run, so its network is sliced to 16-8-12-10 first.
# Regression inputs (fuzz/seeds/*/regress-*) are kept; everything else is rewritten.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-${CONVERTER_DATA_DIR:-../shared/data}}"
seeds=fuzz/seeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --release -p converter --quiet
conv=target/release/converter
python3 fuzz/make_seeds.py "$data" "$tmp"

for t in blob_forward pickle_network idx; do
    mkdir -p "$seeds/$t"
    find "$seeds/$t" -type f ! -name 'regress-*' -delete
done
cp "$tmp"/pickle/*.pkl "$seeds/pickle_network/"
cp "$tmp"/idx/* "$seeds/idx/"

b="$seeds/blob_forward"
# The blob-format document's worked example: 2-2 softmax, 60 bytes (hex dump to binary).
cargo run --quiet -p runtime --example tiny_blob |
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("".join(l.split(":", 1)[1] for l in sys.stdin if ":" in l)))' \
        >"$b/tiny-2-2-softmax.bin"
p="$tmp/pickle/book16-p3-numpy1-fortran.pkl"
$conv model "$p" -o "$b/book16-sigmoid-softmax.bin" >/dev/null
$conv model "$p" -o "$b/book16-relu-identity.bin" --activation relu --output-activation identity >/dev/null
$conv model "$p" -o "$b/book16-leaky-relu.bin" --activation leaky-relu --leaky-slope 0.01 >/dev/null
$conv model "$p" -o "$b/book16-step.bin" --activation step >/dev/null
# Format version 2: f16 weights, and int8 calibrated on 4 x 4 crops of MNIST test images.
$conv model "$p" -o "$b/book16-f16.bin" --precision f16 >/dev/null
$conv model "$p" -o "$b/book16-int8.bin" --precision int8 \
    --calibration "$tmp/idx/t10k-crop-20x4x4.idx" >/dev/null
$conv model "$p" -o "$b/book16-int8-relu-identity.bin" --precision int8 --activation relu \
    --output-activation identity --calibration "$tmp/idx/t10k-crop-20x4x4.idx" >/dev/null
$conv model "$tmp/pickle/logistic-2-3-p3.pkl" -o "$b/logistic-2-3-softmax.bin" >/dev/null
$conv dataset "$data/t10k-images-idx3-ubyte.gz" "$data/t10k-labels-idx1-ubyte.gz" --limit 2 \
    -o "$b/dataset-t10k-2.bin" >/dev/null
$conv dataset "$tmp/idx/small-3x2x4.idx" "$tmp/idx/small-labels-3.idx" \
    -o "$b/dataset-3x2x4.bin" >/dev/null

chmod 644 "$seeds"/*/*
du -cb "$seeds"/*/* | tail -1
