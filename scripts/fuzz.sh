#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for a while; exits non-zero if any
# target crashes (panic, abort, overflow, out-of-memory, timeout).
#
#     scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 60 s each, all targets, one after another
#
# Targets: blob_forward (Model/Dataset::from_bytes and the forward pass), pickle_network
# (pickle -> layers -> ModelEncoder -> Model), idx (gunzip and IDX parsing -> DatasetEncoder).
# Each starts from the committed seeds in fuzz/seeds/<target>/ and keeps what it finds in
# fuzz/corpus/<target>/ (scratch, gitignored, reused by later runs). A crash is written to
# fuzz/artifacts/<target>/; reproduce it with
#     cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-...
# and, once fixed, copy it to fuzz/seeds/<target>/regress-<what>.
# Needs rustup's nightly toolchain; installs cargo-fuzz if it is missing. CI: scripts/fuzz.sh 60
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(blob_forward pickle_network idx)
case "$secs" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "installing the nightly toolchain (cargo-fuzz needs it)" >&2
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

echo "building fuzz targets: ${targets[*]}"
if [ $# -eq 0 ]; then
    cargo +nightly fuzz build
else
    for t in "${targets[@]}"; do cargo +nightly fuzz build "$t"; done
fi
bin="fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

failed=()
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/artifacts/$t/run.log"
    echo "fuzzing $t for ${secs}s (seeds: fuzz/seeds/$t, corpus: fuzz/corpus/$t, log: $log)"
    # The binary just built, run directly (as `cargo fuzz run` would, without rebuilding).
    # The scratch corpus comes first: libFuzzer writes new inputs there, never into the seeds.
    if ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}" "$bin/$t" \
        -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$secs" -timeout=30 \
        -rss_limit_mb=2048 -print_final_stats=1 "fuzz/corpus/$t" "fuzz/seeds/$t" \
        >"$log" 2>&1; then
        status=ok
    else
        status=CRASH
        failed+=("$t")
        grep -E -A1 '^(==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -20 >&2 || true
    fi
    # libFuzzer's final count ("stat::number_of_executed_units", older: "_runs"), else its
    # last status line "#N".
    runs=$(grep -oE 'stat::number_of_executed_(units|runs): *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
    [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    summary+=("$(printf '%-16s %-6s %10s execs (limit %ss)  %s' "$t" "$status" "${runs:-?}" "$secs" "$cov")")
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
    exit 1
fi
echo "fuzzing: no crash in ${targets[*]}"
