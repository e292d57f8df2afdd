#!/usr/bin/env bash
# Wipes all sales on the local stack, for tests and benchmarks: seat state and outbox in
# Redis, the queues, the tickets in MySQL and DynamoDB; then reloads the catalog. The work is
# done by `api reset`; this script makes sure the services run and the binary exists.
# Extra arguments go to `api reset`.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_services

api=$ROOT/target/release/api
if [[ ! -x $api ]]; then
  log "building the api binary"
  (cd "$ROOT" && cargo build --release -p api)
fi

log "resetting the local stack"
"$api" reset "$@"
