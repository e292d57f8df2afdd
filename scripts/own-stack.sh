# shellcheck shell=bash
# A private instance of the programs for the checks that drive them from outside (the JMeter
# plan, the browser tests): the api, and the consumers where asked, on a free loopback port,
# with a Redis key prefix, an exchange and queues, a MySQL database and DynamoDB tables of
# their own, all named <check>-<random>, so neither a running stack nor other tests are
# disturbed. own_cleanup (from the check's EXIT trap) stops what it started, by PID, and
# removes every name it made, on failure too. Sourced after lib.sh.
#
#   own_trap NAME          at exit: own_cleanup, then the check's verdict (see own_on_exit)
#   own_init NAME          names of this run; OWN_RUN is where logs go (.local/NAME/last-run)
#   own_start PROG ARGS... starts target/debug/PROG ARGS... with the private settings
#   own_wait_ready         waits until the api answers /api/v1/ready with 200
#   own_stack NAME         own_init NAME, the api and both consumers built and started, ready
#   own_admin              an admin account, made as an operator makes one
#   own_cleanup            stops everything and removes every name; non-zero if a step failed

OWN_ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
OWN_PREFIX=
OWN_DATABASE=
OWN_RUN=
OWN_PORT=
OWN_URL=
OWN_ENV=()
declare -A OWN_PIDS=()
own_started=
OWN_CHECK=
# Printed at a successful exit, if the check sets it.
OWN_SUMMARY=
# Set by own_admin.
OWN_ADMIN_EMAIL=
OWN_ADMIN_PASSWORD=

# own_trap NAME: from now on, exiting runs own_on_exit; INT and TERM exit as those signals do.
own_trap() {
  OWN_CHECK=$1
  trap own_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Cleans up whatever was started (a failed cleanup fails the check), then says FAILED with
# where the run's files are, or prints OWN_SUMMARY.
own_on_exit() {
  local rc=$?
  trap - EXIT
  if [[ -n $own_started ]]; then
    printf '\n----- %s check: cleanup (%s) -----\n' "$OWN_CHECK" "$OWN_PREFIX"
    own_cleanup || { ((rc != 0)) || rc=1; }
  fi
  if ((rc != 0)); then
    printf '\n%s check: FAILED (exit %d); files of the run: %s\n' "$OWN_CHECK" "$rc" "${OWN_RUN:-$ROOT/.local/$OWN_CHECK}" >&2
  elif [[ -n $OWN_SUMMARY ]]; then
    printf '\n%s\n' "$OWN_SUMMARY"
  fi
  exit "$rc"
}

own_init() {
  OWN_PREFIX=$1-$OWN_ID
  OWN_DATABASE=${1//-/_}_$OWN_ID
  OWN_RUN=$ROOT/.local/$1/last-run
  rm -rf "$OWN_RUN"
  mkdir -p "$OWN_RUN"
  OWN_PORT=$(free_port) || die "no free port found"
  OWN_URL=http://127.0.0.1:$OWN_PORT
  # The connection settings are the local services' own, not .env's: the cleanup talks to
  # those. RELAY_CONSUMER only names this relay in its (private) consumer group.
  OWN_ENV=(
    NO_COLOR=1
    API_BIND="127.0.0.1:$OWN_PORT"
    # No metrics port: a running stack's consumers may have the default one.
    CONSUMER_METRICS_BIND=
    REDIS_URL=redis://127.0.0.1:6379
    REDIS_KEY_PREFIX="$OWN_PREFIX"
    AMQP_URL='amqp://guest:guest@127.0.0.1:5672/%2f'
    AMQP_EXCHANGE="$OWN_PREFIX.ticket.events"
    AMQP_QUEUE_PREFIX="$OWN_PREFIX."
    MYSQL_URL="mysql://root@127.0.0.1:3306/$OWN_DATABASE"
    DYNAMODB_ENDPOINT=http://127.0.0.1:8000
    DYNAMODB_TABLE="$OWN_PREFIX-tickets"
    DYNAMODB_SEATS_TABLE="$OWN_PREFIX-seats"
    KAFKA_BOOTSTRAP=
    RELAY_CONSUMER="$OWN_PREFIX"
  )
}

# own_start PROG ARGS...: target/debug/PROG (built if missing) in the background, its output
# in OWN_RUN/PROG.log.
own_start() {
  local prog=$1
  shift
  if [[ ! -x $ROOT/target/debug/$prog ]]; then
    log "building target/debug/$prog"
    (cd "$ROOT" && cargo build -p "$prog")
  fi
  own_started=1
  env "${OWN_ENV[@]}" "$ROOT/target/debug/$prog" "$@" >"$OWN_RUN/$prog.log" 2>&1 </dev/null &
  OWN_PIDS[$prog]=$!
  log "$prog started (pid ${OWN_PIDS[$prog]}), log $OWN_RUN/$prog.log"
}

own_wait_ready() {
  local deadline=$((SECONDS + 90)) pid=${OWN_PIDS[api]:-}
  [[ -n $pid ]] || die "the api was not started"
  ready_code() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$OWN_URL/api/v1/ready" 2>/dev/null || true; }
  until [[ $(ready_code) == 200 ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$OWN_RUN/api.log" >&2
      die "the api exited before it was ready"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$OWN_RUN/api.log" >&2
      die "the api was not ready within 90 s (GET /api/v1/ready: $(ready_code))"
    fi
    sleep 0.5
  done
  log "GET $OWN_URL/api/v1/ready: 200"
}

# own_stack NAME: the pages (the api embeds them) and both programs built, then a private api
# and both consumers named after NAME, and the api ready.
own_stack() {
  build_web
  cargo build -p api --bin api
  cargo build -p consumers --bin consumers
  own_init "$1"
  own_start api
  own_start consumers
  own_wait_ready
}

# An admin account of this run (OWN_ADMIN_EMAIL, OWN_ADMIN_PASSWORD: hex digits, nothing to
# quote in JSON), made the way an operator makes one (`api users create --admin`).
own_admin() {
  OWN_ADMIN_EMAIL=admin-$OWN_ID@example.com
  OWN_ADMIN_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  env "${OWN_ENV[@]}" USER_PASSWORD="$OWN_ADMIN_PASSWORD" "$ROOT/target/debug/api" users create \
    --email "$OWN_ADMIN_EMAIL" --name "Admin" --admin >/dev/null
}

# Stops PROG as SIGTERM would, then kills it if it has not stopped within 30 s.
own_stop() {
  local prog=$1 pid=${OWN_PIDS[$1]:-}
  [[ -n $pid ]] || return 0
  stop_pid "$prog" "$pid"
  wait "$pid" 2>/dev/null || true
  unset "OWN_PIDS[$prog]"
}

# Every step runs even when an earlier one fails; a failure is reported in the exit code.
own_cleanup() {
  # Nothing was created before a program started (they create the database, queues, keys).
  [[ -n $own_started ]] || return 0
  local failed='' prog queues queue table
  for prog in "${!OWN_PIDS[@]}"; do own_stop "$prog"; done
  if ! mysql_tcp -e "DROP DATABASE IF EXISTS \`$OWN_DATABASE\`"; then
    log "warning: could not drop the database $OWN_DATABASE"
    failed=1
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 --scan --pattern "$OWN_PREFIX:*" |
    xargs -r redis-cli -h 127.0.0.1 -p 6379 unlink >/dev/null; then
    log "warning: could not delete the Redis keys $OWN_PREFIX:*"
    failed=1
  fi
  # The queues: <prefix>tickets.mysql, .dynamodb and their .dlq, whichever exist (a program
  # may have died before declaring them all).
  if queues=$(rabbitmqctl list_queues -q --no-table-headers name 2>/dev/null); then
    for queue in $queues; do
      [[ $queue == "$OWN_PREFIX."* ]] || continue
      rabbitmqctl -q delete_queue "$queue" >/dev/null ||
        { log "warning: could not delete the queue $queue"; failed=1; }
    done
  else
    log "warning: rabbitmqctl list_queues failed; queues $OWN_PREFIX.* are left"
    failed=1
  fi
  # rabbitmqctl cannot delete an exchange; rabbitmqadmin can where the management plugin
  # runs. An exchange left behind has no queue bound to it and costs nothing.
  if command -v rabbitmqadmin >/dev/null &&
    rabbitmqadmin -q delete exchange name="$OWN_PREFIX.ticket.events" >/dev/null 2>&1; then
    log "deleted the exchange $OWN_PREFIX.ticket.events"
  fi
  for table in "$OWN_PREFIX-tickets" "$OWN_PREFIX-seats"; do
    dynamodb_call DeleteTable "{\"TableName\":\"$table\"}" >/dev/null 2>&1 || true
  done
  [[ -z $failed ]] || return 1
  log "removed the database $OWN_DATABASE, the Redis keys $OWN_PREFIX:*, the queues $OWN_PREFIX.* and the tables $OWN_PREFIX-*"
}
