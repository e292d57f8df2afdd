#!/usr/bin/env bash
# The test command: makes sure the local services run (installing them where missing), runs
# the front end's unit tests and builds the pages (the api embeds them), then checks
# formatting, runs clippy with warnings as errors, runs every Rust test (unit, integration,
# and the loadtest's invariant check at a small scale), runs the fault matrix (its own
# servers and programs killed with -9 during a sale), runs the JMeter plan for a few
# seconds against a local api, runs the browser tests in headless Chromium, runs Schemathesis
# against the api's own OpenAPI document (no 5xx, every answer as documented), and checks the
# deployment files offline (terraform fmt, checkov, compose config; docker build where an
# engine runs). Exits non-zero on the first failure. Extra arguments go to `cargo test`, e.g. `scripts/test.sh -p api` or
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

# The fault matrix (loadtest/tests/faults): servers of its own, killed with -9 one tier at a
# time; minutes. Its DynamoDB Local comes from the jar, which a machine that already runs one
# on :8000 may not have installed yet.
fault_matrix() {
  ensure_dynamodb_jar
  TEST_DYNAMODB_JAR=$(dynamodb_jar) cargo test -p loadtest --test faults -- --ignored --nocapture --test-threads=1
}

# cargo ignores -p when --workspace is given, so --workspace only goes in when no package is
# named.
test_args=(--workspace)
for arg in "$@"; do
  [[ $arg == -- ]] && break
  case $arg in -p | -p* | --package | --package=*) test_args=() ;; esac
done

step "services" ensure_services
step "kafka (replay topic)" ensure_kafka
step "redis cluster (seat-lock test)" ensure_redis_cluster
step "web: unit tests and build" build_web --test
step "cargo fmt" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo test" cargo test "${test_args[@]}" "$@"
# The whole-suite checks only when no narrower selection was asked for.
if (($# == 0)); then
  step "fault matrix (kill -9 of every tier)" fault_matrix
  step "jmeter plan" "$ROOT/scripts/check-jmeter.sh"
  step "web: browser tests" "$ROOT/scripts/check-web.sh"
  step "schema (schemathesis)" "$ROOT/scripts/check-schema.sh"
  step "deployment (offline)" "$ROOT/scripts/check-deploy.sh"
fi
printf '\n===== all checks passed =====\n'
