#!/usr/bin/env bash
# Wipes all sales on the local stack, for tests and benchmarks: seat state and outbox in
# Redis, the queues, the tickets in MySQL and DynamoDB, the replay topic; then reloads the
# catalog. The work is done by `consumers reset`; this script makes sure the services run and
# the binary exists.
#
# The api and the consumers that scripts/up.sh started are stopped first and started again
# after: otherwise events already read by the relay, or messages already prefetched by a
# consumer, would be written after the wipe.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_services

consumers=$ROOT/target/release/consumers
if [[ ! -x $consumers ]]; then
  log "building the consumers binary"
  (cd "$ROOT" && cargo build --release -p consumers)
fi

running=()
for entry in "${BINARIES[@]}"; do
  name=${entry%% *}
  pid_alive "$name" && running+=("$entry")
done
for ((i = ${#running[@]} - 1; i >= 0; i--)); do
  stop_pid_file "${running[i]%% *}"
done

log "resetting the local stack"
"$consumers" reset

for entry in "${running[@]}"; do
  read -ra cmd <<<"$entry"
  start_bin "${cmd[@]}"
done
