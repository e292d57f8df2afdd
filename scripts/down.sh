#!/usr/bin/env bash
# Stops what scripts/up.sh started: the binaries, DynamoDB Local and tansu (when we started them).
# Redis, RabbitMQ and MariaDB keep running, unless --all is given; even then only those that
# these scripts started (marked in .local/run/) are stopped, never the machine's own.
#
# Usage: scripts/down.sh [--all]
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all=false
case ${1:-} in
  "") ;;
  --all) all=true ;;
  *) die "usage: scripts/down.sh [--all]" ;;
esac

# The binaries in the reverse of their start order, so the API stops producing events before
# the consumers stop.
for ((i = ${#BINARIES[@]} - 1; i >= 0; i--)); do
  stop_pid_file "${BINARIES[i]%% *}"
done
stop_pid_file dynamodb # only exists when ensure_dynamodb_local started it
stop_pid_file tansu    # only exists when ensure_kafka started it
stop_redis_cluster     # only when ensure_redis_cluster (scripts/test.sh) started it

$all || exit 0

# stop_service NAME COMMAND...: runs COMMAND if we started the service NAME.
stop_service() {
  local name=$1
  shift
  [[ -f $RUN_DIR/$name.ours ]] || return 0
  log "stopping $name"
  "$@" || log "warning: stopping $name failed"
  rm -f "$RUN_DIR/$name.ours"
}

stop_service redis stop_pid_file redis # SIGTERM: Redis flushes its AOF and exits
stop_service rabbitmq rabbitmqctl shutdown # returns once the node has exited
stop_service mariadb mariadb-admin -uroot shutdown # as the OS root, over the unix socket
