#!/usr/bin/env bash
# Runs the whole stack on this machine: makes sure Redis, RabbitMQ, MariaDB and DynamoDB Local
# are running (installing them where missing), builds the pages and the release binaries
# (the api embeds the pages), starts them in the
# background and waits until the API is ready. Running it again is harmless: what runs is
# left running. Logs and PID files: .local/run/. Stop with scripts/down.sh.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The api listens on API_BIND (host:port, default 0.0.0.0:8080); ask it on loopback.
api_bind=${API_BIND:-0.0.0.0:8080}
API_URL=http://127.0.0.1:${api_bind##*:}

ensure_services
# The replay topic is optional: a local broker only when KAFKA_BOOTSTRAP asks for it.
if [[ ${KAFKA_BOOTSTRAP:-} == 127.0.0.1:9092 || ${KAFKA_BOOTSTRAP:-} == localhost:9092 ]]; then
  ensure_kafka
fi

# Only the binaries whose crate exists yet (see BINARIES in lib.sh).
present=()
for entry in "${BINARIES[@]}"; do
  [[ -f $ROOT/${entry%% *}/Cargo.toml ]] && present+=("$entry")
done
((${#present[@]})) || die "none of the binaries (${BINARIES[*]}) has a crate"

# The pages first: the api embeds web/dist when it is compiled.
build_web

packages=()
for entry in "${present[@]}"; do packages+=(-p "${entry%% *}"); done
log "building ${packages[*]}"
(cd "$ROOT" && cargo build --release "${packages[@]}")

for entry in "${present[@]}"; do
  read -ra cmd <<<"$entry"
  start_bin "${cmd[@]}"
done

api_ready() { curl -fsS --max-time 5 -o /dev/null "$API_URL/api/v1/ready" 2>/dev/null; }

# fail NAME WHAT: says what went wrong with NAME, shows the end of its log, and exits.
fail() {
  printf '\n%s %s. Last lines of %s:\n' "$1" "$2" "$RUN_DIR/$1.log" >&2
  tail -n 40 "$RUN_DIR/$1.log" >&2
  exit 1
}

log "waiting for $API_URL/api/v1/ready"
deadline=$((SECONDS + 120))
until api_ready; do
  pid_alive api || fail api exited
  ((SECONDS < deadline)) || fail api "was not ready after 120 s"
  sleep 1
done
# The other binaries have no readiness check of their own; at least they must still run.
for entry in "${present[@]}"; do
  pid_alive "${entry%% *}" || fail "${entry%% *}" exited
done

management=
port_open 127.0.0.1 15672 && management=" (management UI: http://127.0.0.1:15672, guest/guest)"

cat <<EOF

The stack is up.
  Pages        $API_URL/   (search, seat maps, checkout, my tickets; /admin for admins)
  API          $API_URL/api/v1   (health: /api/v1/health, readiness: /api/v1/ready)
  Events       curl -s '$API_URL/api/v1/events'
  Purchase     curl -s -X POST '$API_URL/api/v1/tickets' -H 'Content-Type: application/json' \\
                 -d '{"venueId":"Venue1","eventId":"Event1","zoneId":1,"row":"A","column":1}'
  RabbitMQ     amqp://guest:guest@127.0.0.1:5672/%2f$management
  MySQL        mysql://root@127.0.0.1:3306/ticketing   (mariadb -h127.0.0.1 -uroot ticketing)
  Redis        redis://127.0.0.1:6379
  DynamoDB     http://127.0.0.1:8000   (DynamoDB Local, in memory, any credentials)
  Logs, PIDs   $RUN_DIR
Stop with scripts/down.sh; wipe all sales with scripts/reset.sh.
EOF
