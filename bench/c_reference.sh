#!/usr/bin/env bash
# The per-image path against a hand-written AVX-512 C version of the same arithmetic
# (bench/c_reference.c): how much faster one image at a time can go on this CPU without
# changing the results or the blob's layout. Runs both in alternation, ROUNDS times, and
# prints the median µs per image of each and their ratio. Both must classify 9352 images.
#
# Usage: bench/c_reference.sh [ROUNDS]        (default 7)
#
# Needs gcc and a CPU with AVX-512 (F, BW, VL, VBMI2). The C program's inputs are written
# from the book's pickle with numpy, from the virtual environment of bench/compare.sh
# ($BENCH_VENV or target/bench-venv; made if missing). Data: $CONVERTER_DATA_DIR, else
# ../shared/data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-7}
venv=${BENCH_VENV:-$root/target/bench-venv}
data=${CONVERTER_DATA_DIR:-$root/../shared/data}
work=$root/target/c-reference

[[ $rounds =~ ^[0-9]+$ && $rounds -ge 1 ]] || { echo "error: ROUNDS must be a number above 0 (got $rounds)" >&2; exit 1; }
for f in sample_weight.pkl t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [[ -f $data/$f ]] || { echo "error: $data/$f missing (set CONVERTER_DATA_DIR)" >&2; exit 1; }
done
data=$(cd "$data" && pwd)
grep -qw avx512_vbmi2 /proc/cpuinfo || { echo "error: this CPU lacks AVX-512 VBMI2" >&2; exit 1; }

if ! "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
    echo "installing numpy into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check numpy
fi

mkdir -p "$work"
"$venv/bin/python" - "$data" "$work" <<'EOF'
import gzip, pickle, sys
import numpy as np
data, work = sys.argv[1:]
with open(f"{data}/sample_weight.pkl", "rb") as f:
    network = pickle.load(f, encoding="latin1")
for name in ["W1", "b1", "W2", "b2", "W3", "b3"]:
    np.ascontiguousarray(network[name], dtype="<f4").tofile(f"{work}/{name}")
for name, source, header in [("images", "t10k-images-idx3-ubyte.gz", 16),
                             ("labels", "t10k-labels-idx1-ubyte.gz", 8)]:
    with gzip.open(f"{data}/{source}") as f:
        f.read(header)
        open(f"{work}/{name}", "wb").write(f.read())
EOF
gcc -O3 -march=native -ffp-contract=off -o "$work/c_reference" "$root/bench/c_reference.c"

cd "$root"
export CONVERTER_DATA_DIR=$data
cargo build --release --quiet -p tests --example timing

ours=() c=()
for ((round = 0; round < rounds; round++)); do
    line=$(target/release/examples/timing each)
    [[ $line == *'"correct": 9352'* ]] || { echo "error: ours: $line" >&2; exit 1; }
    ours+=("$(sed 's/.*"seconds": \([^,]*\),.*/\1/' <<<"$line")")
    line=$("$work/c_reference" "$work" 3)
    [[ $line == *'"correct": 9352'* ]] || { echo "error: C: $line" >&2; exit 1; }
    c+=("$(sed 's/.*"seconds_per_image": \([^,]*\),.*/\1/' <<<"$line")")
done
python3 - "${ours[*]}" "${c[*]}" <<'EOF'
import statistics, sys
ours = statistics.median(float(s) / 10000 for s in sys.argv[1].split())
c = statistics.median(float(s) for s in sys.argv[2].split())
print(f"one image at a time, µs per image (medians of {len(sys.argv[1].split())} rounds)")
print(f"  ours (timing each):           {ours * 1e6:.3f}")
print(f"  hand-written AVX-512 C:       {c * 1e6:.3f}")
print(f"  ours / C:                     {ours / c:.2f}")
EOF
