#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ for a bounded time each. Not part of CI.
#
# Usage: scripts/fuzz.sh [TARGET]
#   TARGET           run only this target (default: every target `cargo fuzz list` shows)
#   FUZZ_SECONDS     seconds of fuzzing per target (default 60)
#   FUZZ_RUNS        stop a target after this many executions instead (FUZZ_SECONDS still caps
#                    it), e.g. FUZZ_RUNS=10000000 FUZZ_SECONDS=1200 for the 10 million of issue 14
#   FUZZ_SANITIZER   cargo-fuzz sanitizer: address (default), none, ...; `none` runs about
#                    twice as fast, and the code under test is safe Rust
#
# Each target starts from fuzz/seeds/<target> (committed: the hand-written seeds plus what the
# 10-million-run campaign found that adds coverage, merged in with libFuzzer's -merge=1) plus
# fuzz/corpus/<target>, where libFuzzer keeps every new input it finds, so later runs resume from
# there. To fold a run's finds into the committed corpus:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none T fuzz/seeds/T fuzz/corpus/T -- -merge=1 Crash inputs land in
# fuzz/artifacts/<target>/ and the full libFuzzer output in fuzz/artifacts/<target>.log (corpus
# and artifacts are gitignored). Prints one summary line per target and exits non-zero if any
# target crashed or failed to run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-60}"
runs_limit=()
if [[ -n "${FUZZ_RUNS:-}" ]]; then
    runs_limit=(-runs="$FUZZ_RUNS")
fi
sanitizer="${FUZZ_SANITIZER:-address}"
# The machine has only a stable toolchain: this lets stable rustc and cargo accept the -Z flags
# cargo-fuzz passes (sanitizer and coverage instrumentation), instead of requiring `+nightly`.
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

mapfile -t targets < <(cargo fuzz list)
if (($# > 0)); then
    if ! printf '%s\n' "${targets[@]}" | grep -qxF -- "$1"; then
        echo "fuzz: unknown target '$1'; targets: ${targets[*]}" >&2
        exit 2
    fi
    targets=("$1")
fi

# One build up front, so build time is not taken from the fuzzing time and build errors show here.
build_args=(--sanitizer "$sanitizer")
if ((${#targets[@]} == 1)); then
    build_args+=("${targets[0]}")
fi
cargo fuzz build "${build_args[@]}"

failed=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    artifacts="fuzz/artifacts/$target"
    log="fuzz/artifacts/$target.log"
    mkdir -p "$corpus" "$artifacts"
    before=$(find "$corpus" -type f | wc -l)

    # libFuzzer writes new inputs into the first corpus directory only, so the seeds stay as
    # committed. -timeout turns a hang on one input into a timeout artifact instead of a stall.
    status=0
    cargo fuzz run --sanitizer "$sanitizer" "$target" "$corpus" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" "${runs_limit[@]}" -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    per_sec=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    coverage=$(grep -oE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    added=$(($(find "$corpus" -type f | wc -l) - before))

    elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    summary="runs=${runs:-?} seconds=${elapsed:-?} exec/s=${per_sec:-?} cov=${coverage:-?} new_corpus=$added"
    if [[ -n "$crash" ]]; then
        echo "fuzz: $target CRASH $summary artifact=$crash log=$log"
        failed=1
    elif ((status != 0)); then
        echo "fuzz: $target FAILED (exit $status) $summary log=$log"
        failed=1
    else
        echo "fuzz: $target ok $summary"
    fi
done
exit "$failed"
