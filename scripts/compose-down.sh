#!/usr/bin/env bash
# Stops the Docker Compose stack that scripts/compose-up.sh started (Kafka of the `replay`
# profile included) and removes its containers and network. The data volumes (Redis AOF,
# RabbitMQ, MySQL, DynamoDB Local, Kafka) are kept unless --volumes is given.
#
# usage: scripts/compose-down.sh [-v|--verbose] [--volumes]
#   -v, --verbose   show docker compose's output (otherwise it goes to .local/compose/compose.log
#                   and is shown on failure)
#   --volumes       also delete the data volumes: every sale, queue and table is gone
set -euo pipefail

# The helpers (compose detection, .env and password handling) live in compose-up.sh.
# shellcheck source=compose-up.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/compose-up.sh"

down_main() {
  local args=(down --remove-orphans)
  while (($#)); do
    case $1 in
      -v | --verbose) VERBOSE=1 ;;
      --volumes) args+=(--volumes) ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        return 0
        ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
  done
  cd "$ROOT"
  find_compose
  require_engine
  # `down` interpolates the file too, so the required passwords must be set; it uses none.
  ensure_secrets dummy
  # Include every profile's services, so a Kafka started with --replay stops as well.
  export COMPOSE_PROFILES=${COMPOSE_PROFILES:+$COMPOSE_PROFILES,}replay
  export COMPOSE_KAFKA_BOOTSTRAP=${COMPOSE_KAFKA_BOOTSTRAP-}
  mkdir -p "$COMPOSE_STATE"
  if [[ " ${args[*]} " == *" --volumes "* ]]; then
    log "stopping the stack and deleting its data volumes"
  else
    log "stopping the stack (data volumes kept; --volumes deletes them)"
  fi
  compose "${args[@]}"
  log "stopped"
}

down_main "$@"
