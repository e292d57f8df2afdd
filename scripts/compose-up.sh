#!/usr/bin/env bash
# Runs the whole stack on this Docker host with Docker Compose (docker-compose.yml): builds the
# api and consumers images, starts redis, rabbitmq, mysql, dynamodb-local, the api replicas
# behind their load balancer (HAProxy), the consumers, Prometheus and Grafana, waits until
# /api/v1/ready answers 200 through the load balancer, and prints the endpoints.
# scripts/compose-down.sh stops it. docs/deployment.md has the details.
#
# usage: scripts/compose-up.sh [-v|--verbose] [--replay] [--no-build] [--timeout SECONDS]
#   -v, --verbose   show the output of docker compose (build logs, container start-up) as it
#                   comes; otherwise it goes to .local/compose/compose.log and is shown on failure
#   --replay        also start Kafka (profile `replay`) and point the programs at it
#   --no-build      use the images as they are (e.g. pulled from a registry: API_IMAGE,
#                   CONSUMERS_IMAGE)
#   --timeout S     how long to wait for /api/v1/ready (default 300)
#
# Configuration: the environment, then .env (compose reads it itself; see the compose section
# of .env.template). Passwords and the api's JWT_SECRET left unset (or as <placeholders>) get
# random local values, kept in .local/compose/secrets.env (mode 600, git-ignored) so that the
# data volumes, initialised with them, keep working and signed-in users stay signed in.
#
# Needs Docker with Compose v2 (`docker compose`, or a `docker-compose` of version 2 or later).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMPOSE_STATE=$ROOT/.local/compose
SECRETS_FILE=$COMPOSE_STATE/secrets.env
COMPOSE_LOG=$COMPOSE_STATE/compose.log
# Variables docker-compose.yml requires (`${VAR:?...}`).
COMPOSE_SECRETS=(REDIS_PASSWORD RABBITMQ_PASSWORD MYSQL_PASSWORD MYSQL_ROOT_PASSWORD GRAFANA_ADMIN_PASSWORD JWT_SECRET)
# The api refuses a shorter JWT_SECRET.
JWT_SECRET_MIN_BYTES=32
# The api's services: its load balancer (which publishes the api's port) and the replicas.
API_SERVICES=(api-lb api-1 api-2)
VERBOSE=0
COMPOSE=()

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# dotenv_value NAME: NAME's value in .env (the last assignment wins), without quotes; empty if
# absent. Plain KEY=VALUE lines, as in .env.template.
dotenv_value() {
  local file=$ROOT/.env line value=
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line#export }
    if [[ $line == "$1="* ]]; then
      value=${line#"$1="}
      value=${value%\"}
      value=${value#\"}
      value=${value%\'}
      value=${value#\'}
    fi
  done <"$file"
  printf '%s' "$value"
}

# setting NAME DEFAULT: what compose will use: the environment, else .env, else DEFAULT.
setting() {
  local value=${!1-}
  [[ -n $value ]] || value=$(dotenv_value "$1")
  printf '%s' "${value:-$2}"
}

# A value that must not be used as a password: empty, or a <placeholder> from .env.template.
is_placeholder() { [[ -z $1 || $1 == \<*\> ]]; }

# random_secret NAME: a random value for NAME, in hex (letters and digits only: safe in URLs).
# 24 bytes for a password; JWT_SECRET gets 32 bytes (64 characters), as scripts/lib.sh makes
# the local one, since the api wants at least 32.
random_secret() {
  local bytes=24
  [[ $1 == JWT_SECRET ]] && bytes=$JWT_SECRET_MIN_BYTES
  od -An -tx1 -N"$bytes" /dev/urandom | tr -d ' \n'
}

# ensure_secrets generate|dummy: exports every required secret that neither the environment
# nor .env sets to a real value. `generate` takes it from .local/compose/secrets.env, creating a
# random one there if needed; `dummy` (for `down`, which only needs the file to interpolate)
# uses the saved one or a throw-away value and writes nothing.
ensure_secrets() {
  local mode=$1 name value
  for name in "${COMPOSE_SECRETS[@]}"; do
    is_placeholder "${!name-}" || continue
    is_placeholder "$(dotenv_value "$name")" || continue
    value=
    if [[ -f $SECRETS_FILE ]]; then
      value=$(grep -E "^$name=" "$SECRETS_FILE" | tail -n 1 | cut -d= -f2- || true)
    fi
    if [[ -z $value && $mode == generate ]]; then
      value=$(random_secret "$name")
      mkdir -p "$COMPOSE_STATE"
      chmod 700 "$COMPOSE_STATE"
      (
        umask 077
        printf '%s=%s\n' "$name" "$value" >>"$SECRETS_FILE"
      )
      log "generated a local $name (kept in ${SECRETS_FILE#"$ROOT"/})"
    fi
    export "$name=${value:-unused-by-down}"
  done
}

# The api refuses a JWT_SECRET shorter than 32 bytes and would never become ready: say so now.
check_jwt_secret() {
  local LC_ALL=C value
  value=$(setting JWT_SECRET '')
  ((${#value} >= JWT_SECRET_MIN_BYTES)) ||
    die "JWT_SECRET must be at least $JWT_SECRET_MIN_BYTES bytes (make one with \`openssl rand -hex 32\`), or leave it unset to have one generated"
}

# Sets COMPOSE to the Compose v2 command line for this project.
find_compose() {
  command -v docker >/dev/null 2>&1 || die "docker is not installed (this script runs the stack on a Docker host)"
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1 &&
    docker-compose version --short 2>/dev/null | grep -Eq '^v?([2-9]|[1-9][0-9])\.'; then
    COMPOSE=(docker-compose)
  else
    die "Docker Compose v2 not found: install the compose plugin (\`docker compose\`) or docker-compose >= 2"
  fi
  COMPOSE+=(--project-directory "$ROOT" -f "$ROOT/docker-compose.yml")
}

require_engine() {
  docker info >/dev/null 2>&1 || die "no Docker engine answers (\`docker info\` failed): start Docker, or set DOCKER_HOST"
}

# compose ARGS...: docker compose ARGS, its output shown (--verbose) or appended to the log and
# shown only if it fails.
compose() {
  if ((VERBOSE)); then
    log "\$ ${COMPOSE[*]} $*"
    "${COMPOSE[@]}" "$@"
    return
  fi
  mkdir -p "$COMPOSE_STATE"
  printf '\n$ %s\n' "${COMPOSE[*]} $*" >>"$COMPOSE_LOG"
  if ! "${COMPOSE[@]}" "$@" >>"$COMPOSE_LOG" 2>&1; then
    printf 'error: "docker compose %s" failed; the end of %s:\n' "$*" "${COMPOSE_LOG#"$ROOT"/}" >&2
    tail -n 40 "$COMPOSE_LOG" >&2
    exit 1
  fi
}

# http_status URL: the HTTP status code of GET URL ("000" if nothing answers).
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true
    return
  fi
  local rest=${1#http://} host port path status
  host=${rest%%/*}
  path=/${rest#*/}
  port=${host##*:}
  host=${host%:*}
  # shellcheck disable=SC2016 # expanded by the inner bash
  status=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" "$2" "$0" >&3 && head -n 1 <&3' \
    "$host" "$port" "$path" 2>/dev/null || true)
  status=${status#HTTP/1.1 }
  printf '%s' "${status:0:3}"
}

# The address to reach published ports from this host.
published_host() {
  local ip
  ip=$(setting PUBLISH_IP 127.0.0.1)
  [[ $ip == 0.0.0.0 || $ip == "::" ]] && ip=127.0.0.1
  printf '%s' "$ip"
}

wait_for_ready() {
  local url=$1 timeout=$2 deadline status dots=0
  deadline=$((SECONDS + timeout))
  log "waiting for $url (up to ${timeout}s)"
  while :; do
    status=$(http_status "$url")
    if [[ $status == 200 ]]; then
      ((dots == 0)) || printf '\n' >&2
      return 0
    fi
    if ((SECONDS >= deadline)); then
      ((dots == 0)) || printf '\n' >&2
      printf 'error: %s did not answer 200 within %ss (last status: %s)\n' "$url" "$timeout" "$status" >&2
      "${COMPOSE[@]}" ps >&2 || true
      "${COMPOSE[@]}" logs --tail 40 "${API_SERVICES[@]}" >&2 || true
      exit 1
    fi
    if ((VERBOSE)); then
      log "ready: $status"
    else
      printf '.' >&2
      dots=1
    fi
    sleep 2
  done
}

print_endpoints() {
  local host=$1 replay=$2
  cat <<EOF

The stack is up (project "ticketing"):
  API             http://$host:$(setting HOST_API_PORT 8080)   (HAProxy, round-robin over ${API_SERVICES[*]:1}; GET /api/v1/ready, POST /api/v1/tickets)
  RabbitMQ UI     http://$host:$(setting HOST_RABBITMQ_UI_PORT 15672)   user $(setting RABBITMQ_USER ticketing)
  RabbitMQ        amqp://$host:$(setting HOST_RABBITMQ_PORT 5672)
  Redis           redis://$host:$(setting HOST_REDIS_PORT 6379)   (password REDIS_PASSWORD)
  MySQL           mysql://$(setting MYSQL_USER ticketing)@$host:$(setting HOST_MYSQL_PORT 3306)/$(setting MYSQL_DATABASE ticketing)
  DynamoDB Local  http://$host:$(setting HOST_DYNAMODB_PORT 8000)
  Prometheus      http://$host:$(setting HOST_PROMETHEUS_PORT 9090)
  Grafana         http://$host:$(setting HOST_GRAFANA_PORT 3000)   user $(setting GRAFANA_ADMIN_USER admin) (password GRAFANA_ADMIN_PASSWORD; dashboard "Ticketing: the sale")
EOF
  if [[ $replay == 1 ]]; then
    printf '  Kafka           %s:%s (inside the network: kafka:9092)\n' "$host" "$(setting HOST_KAFKA_PORT 29092)"
  fi
  if [[ -f $SECRETS_FILE ]]; then
    printf 'Generated secrets: %s\n' "${SECRETS_FILE#"$ROOT"/}"
  fi
  cat <<EOF
Logs: docker compose logs -f ${API_SERVICES[*]}
Reset all sales: docker compose exec consumers-mysql consumers reset
Stop: scripts/compose-down.sh (--volumes also deletes the data)
EOF
}

main() {
  local build=1 replay=0 timeout=300
  while (($#)); do
    case $1 in
      -v | --verbose) VERBOSE=1 ;;
      --replay) replay=1 ;;
      --no-build) build=0 ;;
      --timeout)
        [[ ${2-} =~ ^[0-9]+$ ]] || die "--timeout needs a number of seconds"
        timeout=$2
        shift
        ;;
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
  ensure_secrets generate
  check_jwt_secret
  if ((replay)); then
    export COMPOSE_PROFILES=${COMPOSE_PROFILES:+$COMPOSE_PROFILES,}replay
    [[ -n $(setting COMPOSE_KAFKA_BOOTSTRAP '') ]] || export COMPOSE_KAFKA_BOOTSTRAP=kafka:9092
  fi
  mkdir -p "$COMPOSE_STATE"
  : >"$COMPOSE_LOG"

  log "checking docker-compose.yml"
  compose config -q
  if ((build)); then
    log "building the api and consumers images (the first build compiles every dependency)"
    compose build
  fi
  if ((replay)); then
    log "starting kafka"
    compose up -d --wait kafka
  fi
  log "starting the stack"
  compose up -d --remove-orphans

  local host
  host=$(published_host)
  wait_for_ready "http://$host:$(setting HOST_API_PORT 8080)/api/v1/ready" "$timeout"
  print_endpoints "$host" "$replay"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
