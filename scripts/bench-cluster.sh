#!/usr/bin/env bash
# The purchase path on one Redis server against the three-primary Redis Cluster of the tests
# (127.0.0.1:7000-7002), on this machine: two events whose hash tags fall on different
# primaries (Event1 and Event2, 50 zones of Venue1 each: 39,000 seats, 10 % duplicates), sold
# at the same time by two load generators through an api of its own with the relay off, so
# that nothing but the purchase path runs. Both Redis setups write an AOF with fsync every
# second, as the stack's Redis does. For each: purchases/s, p99, and Redis CPU per ticket
# sold (/proc/<pid>/stat), per node and in all. Writes docs/benchmarks/cluster.md, which
# bench.sh puts into BENCHMARKS.md; docs/scaling.md does the arithmetic for more machines.
#
#   scripts/bench-cluster.sh                CONNECTIONS=500 per event by default
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

CONNECTIONS=${CONNECTIONS:-500}
ZONES=${ZONES:-50}
EVENTS=(Event1 Event2)
OUT=$RUN_DIR/bench-cluster
REPORT=docs/benchmarks/cluster.md
mkdir -p "$OUT" docs/benchmarks
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

ensure_redis
ensure_mariadb
ensure_redis_cluster
command -v curl >/dev/null || apt_install curl
log "building api and loadtest (release)"
cargo build --release -q -p api -p loadtest
CLK_TCK=$(getconf CLK_TCK)

# utime + stime of PID, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The cluster nodes write an AOF for the run, as the stack's Redis does; put back after.
cluster_aof() {
  local port
  for port in "${REDIS_CLUSTER_PORTS[@]}"; do
    redis-cli -p "$port" config set appendfsync everysec >/dev/null
    redis-cli -p "$port" config set appendonly "$1" >/dev/null
  done
}
trap 'cluster_aof no' EXIT
cluster_aof yes

# bench_case NAME PORTS VAR=VALUE...: an api with the relay off on the Redis of VAR=VALUE,
# both events sold at once; one line of results in OUT/NAME.result.
bench_case() {
  local name=$1 ports=$2 port api pid event
  shift 2
  local prefix=benchcl-$name database=benchcl_$name
  api=$(free_port) || die "no free port found"
  env "$@" API_BIND="127.0.0.1:$api" RELAY_ENABLED=false REDIS_KEY_PREFIX="$prefix" NO_COLOR=1 \
    MYSQL_URL="mysql://root@127.0.0.1:3306/$database" \
    target/release/api >"$OUT/$name-api.log" 2>&1 &
  pid=$!
  wait_until 60 curl -fsS -o /dev/null "http://127.0.0.1:$api/api/v1/ready" ||
    die "the api on $name did not get ready: $(tail -n 5 "$OUT/$name-api.log")"
  declare -A before=()
  for port in $ports; do before[$port]=$(cpu_ticks "$(redis_pid "$port")"); done
  local runs=()
  for event in "${EVENTS[@]}"; do
    target/release/loadtest run --quiet --no-verify --url "http://127.0.0.1:$api" \
      --connections "$CONNECTIONS" --event "$event" --zones "$ZONES" --duplicates 0.1 \
      --json "$OUT/$name-$event.json" >"$OUT/$name-$event.txt" 2>&1 &
    runs+=("$!")
  done
  for run in "${runs[@]}"; do wait "$run" || die "a load generator failed on $name; see $OUT"; done
  local cpu=()
  for port in $ports; do
    cpu+=("$port=$(($(cpu_ticks "$(redis_pid "$port")") - before[$port]))")
  done
  kill "$pid" && wait "$pid" || true
  python3 - "$name" "$CLK_TCK" "${cpu[*]}" "$OUT/$name-"*.json >"$OUT/$name.result" <<'EOF'
import json, sys
name, clk, cpu, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
runs = [json.load(open(f)) for f in files]
sold = sum(dict(r["statuses"]).get("201", 0) for r in runs)
seconds = max(r["seconds"] for r in runs)
p99 = max(dict(r["latency_ms"])["p99"] for r in runs)
per_node = {port: int(t) * 1e6 / clk / sold for port, t in (c.split("=") for c in cpu.split())}
nodes = ", ".join(f"{port}: {us:.1f}" for port, us in per_node.items() if us >= 0.05)
print(f"{name}|{sold}|{sold / seconds:.0f}|{p99:.1f}|{sum(per_node.values()):.1f}|{nodes}")
EOF
  # Its keys and database.
  for port in $ports; do
    # One key a call: a cluster node refuses one UNLINK of keys in two slots.
    redis-cli -p "$port" --scan --pattern "$prefix:*" | xargs -r -n 1 redis-cli -p "$port" unlink >/dev/null
  done
  mysql_tcp -e "DROP DATABASE IF EXISTS \`$database\`"
  log "$name: $(<"$OUT/$name.result")"
}

cluster_nodes=$(printf '127.0.0.1:%s,' "${REDIS_CLUSTER_PORTS[@]}")
bench_case server "6379" REDIS_URL=redis://127.0.0.1:6379
bench_case cluster "${REDIS_CLUSTER_PORTS[*]}" REDIS_URL= REDIS_CLUSTER_NODES="${cluster_nodes%,}"

{
  printf '## One Redis server against a three-primary Redis Cluster\n\n'
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf 'Measured by `scripts/bench-cluster.sh` on %s: the purchase path alone (an api of its\n' "$(date -u +%Y-%m-%d)"
  printf 'own, relay off), %s and %s sold at once (%s zones of Venue1 each, 10 %% duplicates,\n' "${EVENTS[0]}" "${EVENTS[1]}" "$ZONES"
  printf '%s connections per event); the two events hash to different primaries of the cluster.\n' "$CONNECTIONS"
  printf 'Every Redis on this same two-core machine, AOF with fsync every second.\n\n'
  printf '| Redis | tickets sold | purchases/s | p99 | Redis CPU per ticket sold | per node (µs) |\n'
  printf '|---|---|---|---|---|---|\n'
  for name in server cluster; do
    IFS='|' read -r _ sold rate p99 total nodes <"$OUT/$name.result"
    label=$([[ $name == server ]] && echo "one server" || echo "three primaries")
    printf '| %s | %s | %s | %s ms | %s µs | %s |\n' "$label" "$sold" "$rate" "$p99" "$total" "$nodes"
  done
  printf '\nTwo cores cannot show a cluster'"'"'s speed-up (the api, the load generators and every\n'
  printf 'node share them); what carries over to separate machines is the CPU per purchase of one\n'
  printf 'shard, from which docs/scaling.md works out N shards and M api instances.\n'
} >"$REPORT"
cat "$REPORT"
