#!/usr/bin/env bash
# Fuzzes the api's request parsing with cargo fuzz (the targets are in fuzz/fuzz_targets/):
# purchase_request (the body of POST /api/v1/tickets), hold_request (the bodies of
# POST /api/v1/holds and of a checkout) and query_params (the query strings of the list and
# search routes). Each target checks properties of what it parses, not only that nothing
# panics. Not a step of scripts/test.sh nor of CI; the figures of the last long runs are in
# BENCHMARKS.md.
#
#   scripts/fuzz.sh                        every target for 60 s
#   scripts/fuzz.sh purchase_request 600   one target for 10 minutes
#   scripts/fuzz.sh all 180                every target for 3 minutes
#
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets it take the one nightly flag cargo fuzz
# passes (-Zsanitizer=address). The build goes to fuzz/target, not the workspace's target.
# Everything runs at nice 19 with one libFuzzer job, so a shared machine stays usable.
# Inputs that add coverage go to fuzz/corpus/<target>/ (git-ignored beside the seed-* files);
# a crash leaves its input in fuzz/artifacts/<target>/ and makes the exit status non-zero.
# libFuzzer's output of each run: .local/fuzz/<target>.log.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

TARGETS=(purchase_request hold_request query_params)
CARGO_FUZZ_VERSION=0.13.2
LOG_DIR=$ROOT/.local/fuzz

target=${1:-all}
seconds=${2:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "seconds must be a positive whole number, not '$seconds'"
if [[ $target == all ]]; then
  selected=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $target "* ]]; then
  selected=("$target")
else
  die "unknown target '$target': one of ${TARGETS[*]}, or all"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION into ~/.cargo/bin"
  nice -n 19 cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

export RUSTC_BOOTSTRAP=1
log "building the fuzz targets (release, debug assertions, AddressSanitizer)"
nice -n 19 cargo fuzz build --fuzz-dir "$ROOT/fuzz"

# With -jobs, libFuzzer runs the fuzzing process as a child writing to fuzz-0.log in the
# current directory, and prints that log when the child ends: run from LOG_DIR, keep the
# whole output in LOG_DIR/<target>.log and show its summary.
mkdir -p "$LOG_DIR"
status=0
for name in "${selected[@]}"; do
  log "fuzzing $name for $seconds s (output: $LOG_DIR/$name.log)"
  (cd "$LOG_DIR" && nice -n 19 cargo fuzz run --fuzz-dir "$ROOT/fuzz" "$name" "$ROOT/fuzz/corpus/$name" -- \
    -max_total_time="$seconds" -jobs=1 -workers=1 -print_final_stats=1 \
    -dict="$ROOT/fuzz/dicts/$name.dict") >"$LOG_DIR/$name.log" 2>&1 || status=1
  rm -f "$LOG_DIR/fuzz-0.log"
  # The last status line (executions, cov, ft, corpus), a crash if any, the final statistics.
  grep -E '^#[0-9]+' "$LOG_DIR/$name.log" | tail -n 1 || true
  grep -E '^==[0-9]+== ERROR|panicked at|^Failing input|^stat::' "$LOG_DIR/$name.log" | sort -u || true
done
((status == 0)) || die "a target crashed: its input is in fuzz/artifacts/, its output in $LOG_DIR"
log "no crash"
