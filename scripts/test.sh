#!/usr/bin/env bash
# The test command: makes sure the local services run (installing them where missing), then
# checks formatting, runs clippy with warnings as errors, and runs every test. Exits non-zero
# on the first failure. Extra arguments go to `cargo test`, e.g. `scripts/test.sh -p api` or
# `scripts/test.sh -- --nocapture`.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# step TITLE COMMAND...: runs COMMAND under a header. Not `COMMAND || ...`: that would turn
# set -e off inside the shell functions it runs; the EXIT trap names the failed step instead.
current_step=
trap 'rc=$?; ((rc == 0)) || printf "\n===== FAILED: %s (exit %d) =====\n" "$current_step" "$rc" >&2' EXIT
step() {
  current_step=$1
  shift
  printf '\n===== %s =====\n' "$current_step"
  "$@"
}

# cargo ignores -p when --workspace is given, so --workspace only goes in when no package is
# named.
test_args=(--workspace)
for arg in "$@"; do
  [[ $arg == -- ]] && break
  case $arg in -p | -p* | --package | --package=*) test_args=() ;; esac
done

step "services" ensure_services
step "cargo fmt" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo test" cargo test "${test_args[@]}" "$@"
printf '\n===== all checks passed =====\n'
