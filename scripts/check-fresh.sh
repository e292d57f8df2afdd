#!/usr/bin/env bash
# Runs the install paths of the scripts the way a fresh machine would: a Debian 12 root made
# with debootstrap, in a network and a PID namespace of its own (the host's Redis, RabbitMQ,
# MariaDB and the rest are out of sight; a veth pair with NAT lets apt, npm, PyPI and
# crates.io through the host's own way out), a copy of the workspace, and the host's Rust
# toolchain bind-mounted read-only (no toolchain can be downloaded). Inside, in order, each
# timed: the services (ensure_services, Node.js, Chromium: the apt and npm installs), the
# pages, the crates (cargo fetch), scripts/up.sh, a purchase with curl read back from MySQL,
# scripts/down.sh and scripts/test.sh; then a table of the times. Far too slow for CI (the
# Rust build and tansu compile from nothing); README.md has the times of the last full run.
#
#   scripts/check-fresh.sh                     everything (--stage all)
#   scripts/check-fresh.sh --stage up          services, pages, crates, up.sh, a purchase, down.sh
#   scripts/check-fresh.sh --stage test        services, pages, crates, test.sh
#   scripts/check-fresh.sh --until services    stop after the services (nothing is compiled)
#   scripts/check-fresh.sh --until web         ... and after building the pages
#   scripts/check-fresh.sh --until crates      ... and after downloading the crates
#   scripts/check-fresh.sh --keep ...          leave the root, its processes and its network
#                                              running; prints how to enter and remove it
#   scripts/check-fresh.sh --cleanup ID        remove what a --keep run left
#   scripts/check-fresh.sh --rebuild-base      debootstrap again instead of reusing the base
#
# Needs root: debootstrap, mounts, network namespaces and nftables. The Debian root is built
# once into .local/fresh/rootfs-base and copied for every run into .local/fresh/runs/ID/root;
# each step's output is in .local/fresh/runs/ID/STEP.log, kept after the run. On the host the
# script adds only its own: the netns ticketing-fresh-ID, the veth pair tfIDh/tfIDc, the
# nftables table ticketing_fresh_ID (NAT out; the root cannot reach the host itself), and
# net.ipv4.ip_forward while a run lasts. On exit it stops every process whose root is the run's
# root or that lives in its netns, unmounts, and removes all of those; the host's own services
# are never touched.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FRESH_DIR=$ROOT/.local/fresh
BASE=$FRESH_DIR/rootfs-base
SUITE=bookworm
# What every machine of this kind has before the project's scripts run, beside the Rust
# toolchain: a C compiler and linker (rustc links with cc; aws-lc-sys, ring and mimalloc
# compile C) and Python with venv (scripts/check-deploy.sh asks for it rather than installing
# it). Everything else (curl, Node.js, Java, the servers, Chromium) the scripts must install.
BASE_PACKAGES=(ca-certificates gcc g++ libc6-dev make python3 python3-venv)

usage() {
  sed -n '12,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

stage=all until='' keep='' rebuild_base='' cleanup_id=''
while (($#)); do
  case $1 in
    --stage) stage=${2:-} && shift ;;
    --until) until=${2:-} && shift ;;
    --keep) keep=1 ;;
    --rebuild-base) rebuild_base=1 ;;
    --cleanup) cleanup_id=${2:-} && shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
  shift
done
[[ $stage == up || $stage == test || $stage == all ]] || usage
[[ -z $until || $until == services || $until == web || $until == crates ]] || usage
((EUID == 0)) || die "check-fresh.sh needs root (debootstrap, mounts, network namespaces)"
[[ $ROOT != *[[:space:]]* ]] || die "the workspace path must not contain blanks: $ROOT"

# --- Names of one run -----------------------------------------------------------------------

# set_run ID: the names of run ID, from the ID alone, so that --cleanup ID finds them again.
set_run() {
  RUN_ID=$1
  [[ $RUN_ID =~ ^[0-9a-f]{6}$ ]] || die "not a run id: $RUN_ID"
  RUN=$FRESH_DIR/runs/$RUN_ID
  ROOTFS=$RUN/root
  NS=ticketing-fresh-$RUN_ID
  VETH_HOST=tf${RUN_ID}h
  VETH_ROOT=tf${RUN_ID}c
  NFT_TABLE=ticketing_fresh_$RUN_ID
}

# --- Timing ---------------------------------------------------------------------------------

STEP_NAMES=() STEP_TIMES=() STEP_RESULTS=() ENTER=() TAIL_PID=
current_step='' step_start=''

micros() { echo "${EPOCHREALTIME/./}"; }

# seconds_since START_MICROS: "123.4 s (2:03)".
seconds_since() {
  local d=$(($(micros) - $1))
  printf '%d.%d s (%d:%02d)' $((d / 1000000)) $((d / 100000 % 10)) $((d / 60000000)) $((d / 1000000 % 60))
}

begin_step() {
  current_step=$1
  step_start=$(micros)
  printf '\n===== %s: %s =====\n' "$1" "$2" >&2
}

end_step() { # end_step RESULT
  STEP_NAMES+=("$current_step")
  STEP_TIMES+=("$(seconds_since "$step_start")")
  STEP_RESULTS+=("$1")
  current_step=''
}

print_summary() {
  local i
  ((${#STEP_NAMES[@]})) || return 0
  printf '\n%-10s %-20s %s\n' step time result
  for i in "${!STEP_NAMES[@]}"; do
    printf '%-10s %-20s %s\n' "${STEP_NAMES[i]}" "${STEP_TIMES[i]}" "${STEP_RESULTS[i]}"
  done
}

# --- The Debian root ------------------------------------------------------------------------

# debian_uri SUITE: the URI the host's apt sources use for SUITE (one-line or deb822 format),
# so that the root uses the same mirror or proxy as the host.
debian_uri() {
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]})) || return 0
  awk -v suite="$1" '
    function flush() {
      if (!found && types ~ /(^|[ \t])deb([ \t]|$)/ && (" " suites " ") ~ ("[ \t]" suite "[ \t]")) {
        print uri; found = 1
      }
      types = suites = uri = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]*#/ { next }
    /^deb[ \t]/ {
      sub(/\[[^]]*\]/, "")
      if (!found && $3 == suite) { print $2; found = 1 }
      next
    }
    /^Types:/ { types = $0 }
    /^Suites:/ { suites = $0 }
    /^URIs:/ { uri = $2 }
    END { flush() }
  ' "${files[@]}" || true
}

MIRROR=${FRESH_MIRROR:-$(debian_uri "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${FRESH_SECURITY_MIRROR:-$(debian_uri "$SUITE-security")}

# Builds .local/fresh/rootfs-base with debootstrap, unless one built from the same mirror with
# the same packages is there.
build_base() {
  local want stamp=$FRESH_DIR/rootfs-base.stamp
  want="suite=$SUITE mirror=$MIRROR packages=${BASE_PACKAGES[*]}"
  if [[ -z $rebuild_base && -d $BASE && -f $stamp && $(<"$stamp") == "$want" ]]; then
    log "reusing $BASE ($want)"
    return 0
  fi
  command -v debootstrap >/dev/null || apt_install debootstrap
  rm -f "$stamp"
  remove_tree "$BASE.tmp"
  remove_tree "$BASE"
  log "debootstrap $SUITE from $MIRROR into $BASE (output in $FRESH_DIR/debootstrap.log)"
  debootstrap --variant=minbase --include="$(
    IFS=,
    echo "${BASE_PACKAGES[*]}"
  )" "$SUITE" "$BASE.tmp" "$MIRROR" >"$FRESH_DIR/debootstrap.log" 2>&1 ||
    { tail -n 30 "$FRESH_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
  mv "$BASE.tmp" "$BASE"
  printf '%s' "$want" >"$stamp"
}

# remove_tree DIR: rm -rf, but never through a mount (a bind mount of the host's toolchain).
remove_tree() {
  [[ -e $1 ]] || return 0
  if [[ -n $(mounts_under "$1") ]]; then
    log "warning: not removing $1: something is still mounted under it"
    return 1
  fi
  rm -rf --one-file-system "$1"
}

# mounts_under DIR: the mount points at or below DIR, deepest first.
mounts_under() {
  awk -v dir="$1" '$5 == dir || index($5, dir "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# The host's ways to the registries, copied so that the root reaches them the same way: DNS,
# CA certificates the host added (a proxy's own CA, say), apt's settings for reaching its
# mirror, npm's, pip's and cargo's settings, and the proxy variables of the environment.
copy_registry_settings() {
  local r=$ROOTFS f name
  grep -qE '^nameserver[[:space:]]+([0-9]|\[?[0-9a-fA-F:]+)' /etc/resolv.conf ||
    die "no nameserver in /etc/resolv.conf"
  if ! grep -E '^nameserver' /etc/resolv.conf | grep -qvE '[[:space:]](127\.|::1)'; then
    die "the host's nameservers are all on loopback, which the root's netns cannot reach; set one in /etc/resolv.conf"
  fi
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  # debootstrap writes no /etc/hosts; Debian's installer writes this one (the root shares the
  # host's hostname). Without it not even localhost resolves, and RabbitMQ cannot boot.
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' \
    "$(hostname)" >"$r/etc/hosts"
  # CA certificates of the host's own: files under /usr/local/share/ca-certificates, and
  # plain files (not the symlinks update-ca-certificates makes) in /etc/ssl/certs.
  mkdir -p "$r/usr/local/share/ca-certificates"
  for f in /usr/local/share/ca-certificates/*.crt /etc/ssl/certs/*.pem; do
    [[ -f $f && ! -L $f ]] || continue
    name=${f##*/}
    cp "$f" "$r/usr/local/share/ca-certificates/host-${name%.*}.crt"
  done
  for f in /etc/apt/apt.conf.d/*; do
    [[ -f $f ]] || continue
    if grep -qE 'Acquire::.*(Proxy|Check-Valid-Until|Check-Date|CaInfo)' "$f"; then
      cp "$f" "$r/etc/apt/apt.conf.d/"
    fi
  done
  rm -f "$r/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n' \
      "$MIRROR" "$SUITE" "$SUITE" /usr/share/keyrings/debian-archive-keyring.gpg
    [[ -z $SECURITY_MIRROR ]] ||
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' \
        "$SECURITY_MIRROR" "$SUITE" /usr/share/keyrings/debian-archive-keyring.gpg
  } >"$r/etc/apt/sources.list.d/debian.sources"
  for f in /etc/pip.conf "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf" \
    "$HOME/.cargo/config.toml" "$HOME/.cargo/config"; do
    [[ -f $f ]] || continue
    mkdir -p "$r$(dirname "$f")"
    cp "$f" "$r$f"
  done
  # npm: of the user's and the global settings, only those about reaching the registry.
  for f in "$HOME/.npmrc" /usr/etc/npmrc /etc/npmrc; do
    if [[ -f $f ]]; then
      grep -E '^[[:space:]]*(registry|cafile|ca|strict-ssl|proxy|https-proxy|noproxy)[[:space:]]*=' "$f" || true
    fi
  done | awk '!seen[$0]++' >"$r/root/.npmrc"
  [[ -s $r/root/.npmrc ]] || rm -f "$r/root/.npmrc"
  # Only the variables about reaching registries; the rest of the host's environment stays out.
  {
    echo '# Written by scripts/check-fresh.sh: how the host reaches the package registries.'
    while IFS='=' read -r name _; do
      printf 'export %s=%q\n' "$name" "${!name}"
    done < <(env | grep -E '^(https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY|all_proxy|ALL_PROXY|PIP_(CERT|INDEX_URL|EXTRA_INDEX_URL|TRUSTED_HOST|DEFAULT_TIMEOUT)|NPM_CONFIG_(REGISTRY|CAFILE)|npm_config_(registry|cafile)|CARGO_HTTP_[A-Z_]+|CARGO_REGISTRIES_[A-Z_]+|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE)=' || true)
  } >"$r/etc/profile.d/00-registries.sh"
}

# The host's rustup toolchains, read-only, with a CARGO_HOME of the root's own: cargo's
# registry cache and `cargo install tansu` start from nothing, as on a new machine. Only the
# rustup proxies (cargo, rustc, rustfmt, clippy...) are linked into the root's cargo bin
# directory, not the tools the host installed with cargo.
RUSTUP_HOME_HOST=$(rustup show home 2>/dev/null || echo "${RUSTUP_HOME:-$HOME/.rustup}")
CARGO_BIN_HOST=$(dirname "$(command -v rustup 2>/dev/null || echo "${CARGO_HOME:-$HOME/.cargo}/bin/rustup")")

link_toolchain() {
  local r=$ROOTFS f rustup_bin=$CARGO_BIN_HOST/rustup
  [[ -x $rustup_bin && -d $RUSTUP_HOME_HOST/toolchains ]] ||
    die "no rustup toolchain found (rustup at $rustup_bin, RUSTUP_HOME $RUSTUP_HOME_HOST)"
  mkdir -p "$r/root/.rustup" "$r/root/.cargo/bin" "$r/opt/host-rustup"
  : >"$r/opt/host-rustup/rustup"
  for f in "$CARGO_BIN_HOST"/*; do
    [[ $f != "$rustup_bin" && $(readlink -f "$f") == "$(readlink -f "$rustup_bin")" ]] || continue
    ln -sfn /opt/host-rustup/rustup "$r/root/.cargo/bin/${f##*/}"
  done
  ln -sfn /opt/host-rustup/rustup "$r/root/.cargo/bin/rustup"
  cat >"$r/etc/profile.d/01-rust.sh" <<'EOF'
# Written by scripts/check-fresh.sh: the host's toolchains (read-only), a CARGO_HOME of the root's own.
export RUSTUP_HOME=/root/.rustup CARGO_HOME=/root/.cargo
export PATH=/root/.cargo/bin:$PATH
EOF
}

# The workspace as a clone would have it, with the changes not committed yet: every file git
# tracks or would add (untracked ones that .gitignore does not exclude, so target/,
# node_modules/ and .local/ stay out). The folder beside it (../shared) comes along, at the
# same place as on the host.
copy_workspace() {
  local inner=$ROOTFS$ROOT shared
  shared=$(dirname "$ROOT")/shared
  mkdir -p "$inner"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -C "$inner" -xf -
  if [[ -d $shared ]]; then
    mkdir -p "$ROOTFS$shared"
    cp -a "$shared/." "$ROOTFS$shared/"
  fi
}

# A /dev of the root's own (no host devices beyond the usual character ones), /sys, an empty
# /run as after a boot, and the toolchain. /proc is the root's own PID namespace's (start_init).
mount_root() {
  local r=$ROOTFS
  mount -t sysfs -o ro sysfs "$r/sys"
  mount -t tmpfs -o mode=755,size=16m tmpfs "$r/dev"
  mknod -m 666 "$r/dev/null" c 1 3
  mknod -m 666 "$r/dev/zero" c 1 5
  mknod -m 666 "$r/dev/full" c 1 7
  mknod -m 666 "$r/dev/random" c 1 8
  mknod -m 666 "$r/dev/urandom" c 1 9
  mknod -m 666 "$r/dev/tty" c 5 0
  ln -s /proc/self/fd "$r/dev/fd"
  ln -s /proc/self/fd/0 "$r/dev/stdin"
  ln -s /proc/self/fd/1 "$r/dev/stdout"
  ln -s /proc/self/fd/2 "$r/dev/stderr"
  mkdir "$r/dev/pts" "$r/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$r/dev/pts"
  ln -s pts/ptmx "$r/dev/ptmx"
  mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm"
  mount -t tmpfs -o mode=755 tmpfs "$r/run"
  install -d -m 1777 "$r/run/lock"
  mount --bind "$RUSTUP_HOME_HOST" "$r/root/.rustup"
  mount -o remount,bind,ro "$r/root/.rustup"
  mount --bind "$CARGO_BIN_HOST/rustup" "$r/opt/host-rustup/rustup"
  mount -o remount,bind,ro "$r/opt/host-rustup/rustup"
}

# --- The network namespace ------------------------------------------------------------------

# A free /30 in 10.213.0.0/16: the host end .1, the root's end .2.
pick_subnet() {
  local i a b
  for ((i = 0; i < 50; i++)); do
    a=$((RANDOM % 256)) b=$((RANDOM % 64 * 4))
    if ! ip -4 -o addr show | grep -q "inet 10\.213\.$a\.$((b + 1))/"; then
      SUBNET=10.213.$a.$b/30 HOST_IP=10.213.$a.$((b + 1)) ROOT_IP=10.213.$a.$((b + 2))
      return 0
    fi
  done
  die "no free /30 in 10.213.0.0/16"
}

setup_network() {
  local out_dev mtu
  pick_subnet
  out_dev=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
  [[ -n $out_dev ]] || die "the host has no default route"
  mtu=$(cat "/sys/class/net/$out_dev/mtu")
  ip netns add "$NS"
  ip link add "$VETH_HOST" mtu "$mtu" type veth peer name "$VETH_ROOT" mtu "$mtu"
  ip link set "$VETH_ROOT" netns "$NS"
  ip addr add "$HOST_IP/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  ip -n "$NS" link set lo up
  ip -n "$NS" addr add "$ROOT_IP/30" dev "$VETH_ROOT"
  ip -n "$NS" link set "$VETH_ROOT" up
  ip -n "$NS" route add default via "$HOST_IP"
  if [[ $(</proc/sys/net/ipv4/ip_forward) != 1 ]]; then
    echo 0 >"$RUN/ip_forward.was" # put back by cleanup_run once no other run needs it
    echo 1 >/proc/sys/net/ipv4/ip_forward
  fi
  command -v nft >/dev/null || apt_install nftables
  # A table of this run's own, deleted whole at the end: NAT out through the host's route;
  # from outside only answers come in; the root cannot reach the host's own addresses (its
  # servers listening on 0.0.0.0 stay out of sight too).
  nft -f - <<EOF
table ip $NFT_TABLE {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $SUBNET oifname != "$VETH_HOST" masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "$VETH_HOST" accept
    oifname "$VETH_HOST" ct state established,related accept
    oifname "$VETH_HOST" drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_HOST" drop
  }
}
EOF
  log "netns $NS: root $ROOT_IP, host end $HOST_IP on $VETH_HOST, NAT out via $out_dev (nft table $NFT_TABLE)"
}

# The root's init: PID 1 of a PID namespace of its own, in the netns, chrooted, with its own
# /proc. The root sees only its own processes, as a machine would (start-stop-daemon would
# otherwise take the host's mariadbd for its own), daemons started by one step outlive it
# (they are reparented to this init, which reaps them), and every step enters it (in_root).
start_init() {
  local upid i
  # shellcheck disable=SC2016 # expanded by the inner shells
  ip netns exec "$NS" unshare --pid --fork --mount --propagation slave /bin/sh -c \
    'mount -t proc proc "$0/proc" && exec chroot "$0" /bin/bash -c "trap \"exit 0\" TERM; while :; do sleep 3600 & wait \$!; done"' \
    "$ROOTFS" </dev/null >"$RUN/init.log" 2>&1 &
  upid=$!
  INIT_PID=
  for ((i = 0; i < 50; i++)); do
    INIT_PID=$(tr -d ' ' <"/proc/$upid/task/$upid/children" 2>/dev/null || true)
    [[ -n $INIT_PID && $(readlink "/proc/$INIT_PID/root" 2>/dev/null) == "$ROOTFS" ]] && break
    INIT_PID=
    sleep 0.1
  done
  [[ -n $INIT_PID ]] || die "the root's init did not start; see $RUN/init.log"
  echo "$INIT_PID" >"$RUN/init.pid"
  ENTER=(nsenter --target "$INIT_PID" --pid --mount --net --root --wd -- /usr/bin/env -i
    HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -l)
}

# --- Cleaning up ----------------------------------------------------------------------------

# The processes of the run: whose root directory is the run's root, or in its netns.
run_pids() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [[ $r == "$ROOTFS" || $r == "$ROOTFS"/* ]] && echo "${p#/proc/}"
  done
  ip netns pids "$NS" 2>/dev/null || true
}

stop_run_processes() {
  local pids i
  pids=$(run_pids | sort -u)
  [[ -n $pids ]] || return 0
  log "stopping $(wc -w <<<"$pids") processes of the root"
  # shellcheck disable=SC2086 # one PID per word
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    [[ -n $(run_pids) ]] || return 0
    sleep 0.2
  done
  pids=$(run_pids | sort -u)
  log "killing $(wc -w <<<"$pids") processes that did not stop within 30 s"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [[ -n $(run_pids) ]] || return 0
    sleep 0.2
  done
  log "warning: processes of the root still alive: $(run_pids | tr '\n' ' ')"
}

# cleanup_run REMOVE_ROOT: undoes everything the run set up, each part on its own (a failed
# part does not stop the others).
cleanup_run() {
  local m
  stop_run_processes
  while read -r m; do
    [[ -n $m ]] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"
  done < <(mounts_under "$ROOTFS")
  ip link del "$VETH_HOST" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  nft delete table ip "$NFT_TABLE" 2>/dev/null || true
  if [[ -f $RUN/ip_forward.was ]]; then
    # Put back only when no other run of this script still routes through the host.
    if ! ip netns list 2>/dev/null | grep -q '^ticketing-fresh-'; then
      cat "$RUN/ip_forward.was" >/proc/sys/net/ipv4/ip_forward
    fi
    rm -f "$RUN/ip_forward.was"
  fi
  if [[ $1 == remove ]]; then
    remove_tree "$ROOTFS" || true
  fi
}

if [[ -n $cleanup_id ]]; then
  set_run "$cleanup_id"
  [[ -d $RUN ]] || die "no run $cleanup_id under $FRESH_DIR/runs"
  cleanup_run remove
  log "run $cleanup_id removed (its logs stay in $RUN)"
  exit 0
fi

# --- Running inside -------------------------------------------------------------------------

# in_root NAME COMMAND: runs COMMAND in the root's copy of the workspace (ENTER: the init's
# namespaces and root, an empty environment as after a login, a login bash so that
# /etc/profile.d sets the toolchain up); its output goes to RUN/NAME.log and to the terminal.
# Daemons it starts keep running; they write to their own logs, so nothing waits on them.
in_root() {
  local logf=$RUN/$1.log pid rc=0
  : >"$logf"
  "${ENTER[@]}" -c "cd $ROOT && $2" </dev/null >"$logf" 2>&1 &
  pid=$!
  tail -n +1 -f --pid="$pid" "$logf" >&2 &
  TAIL_PID=$!
  # Both in the background: a signal to this script interrupts `wait` at once (on_exit then
  # stops the step), where a command in the foreground would first have to end.
  wait "$pid" || rc=$?
  wait "$TAIL_PID" || true
  TAIL_PID=
  return "$rc"
}

# Buys a seat and waits until the ticket can be read back from the read model (MySQL, fed by
# the relay, RabbitMQ and the consumer): the whole pipeline of the stack up.sh started.
# shellcheck disable=SC2016 # expanded inside the root
PURCHASE='
api=http://127.0.0.1:8080/api/v1
body="{\"venueId\":\"Venue1\",\"eventId\":\"Event1\",\"zoneId\":1,\"row\":\"A\",\"column\":1}"
deadline=$((SECONDS + 60))
while :; do
  code=$(curl -sS -o /tmp/purchase.json -w "%{http_code}" -X POST "$api/tickets" \
    -H "Content-Type: application/json" -d "$body") || code=000
  [[ $code == 201 ]] && break
  # 503: the api is still checking the event against the stores after its start; retry.
  if [[ $code != 503 && $code != 000 ]] || ((SECONDS >= deadline)); then
    echo "the purchase answered $code: $(cat /tmp/purchase.json 2>/dev/null)"
    exit 1
  fi
  sleep 1
done
echo "201: $(cat /tmp/purchase.json)"
id=$(sed -n "s/.*\"ticketId\": *\"\([^\"]*\)\".*/\1/p" /tmp/purchase.json)
[[ -n $id ]] || { echo "no ticketId in the answer"; exit 1; }
until curl -fs -o /dev/null "$api/tickets/$id"; do
  ((SECONDS < deadline)) || { echo "ticket $id was not in MySQL within 60 s"; exit 1; }
  sleep 1
done
echo "ticket $id sold and read back from MySQL"
'

# --- The run --------------------------------------------------------------------------------

mkdir -p "$FRESH_DIR/runs"
set_run "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$RUN"

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -z $TAIL_PID ]] || kill "$TAIL_PID" 2>/dev/null || true
  [[ -z $current_step ]] || end_step "FAILED (exit $rc; log $RUN/$current_step.log)"
  if [[ -n $keep ]]; then
    printf '\nKept: enter with   %s\n' "${ENTER[*]:-(the root was not started)}" >&2
    printf 'remove with       scripts/check-fresh.sh --cleanup %s\n' "$RUN_ID" >&2
  else
    cleanup_run remove
  fi
  print_summary
  printf '\nrun %s: %s; logs in %s\n' "$RUN_ID" "$( ((rc == 0)) && echo passed || echo FAILED)" "$RUN"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

begin_step base "Debian $SUITE root (debootstrap, cached)"
mkdir -p "$FRESH_DIR"
exec 9>"$FRESH_DIR/base.lock"
flock 9 # one debootstrap at a time; runs share the base read-only
build_base
exec 9>&-
end_step ok

begin_step root "copy of the base, the workspace, the network"
cp -a --reflink=auto "$BASE" "$ROOTFS"
copy_registry_settings
link_toolchain
copy_workspace
mount_root
setup_network
start_init
# shellcheck disable=SC2016 # expanded inside the root
in_root root 'update-ca-certificates >/dev/null 2>&1 && cargo --version && rustc --version &&
  cargo fmt --version && cargo clippy --version &&
  echo "processes in sight: $(ls -d /proc/[0-9]* | wc -l)" &&
  ! (: >/dev/tcp/127.0.0.1/6379) 2>/dev/null && echo "no server on 127.0.0.1:6379 in the root"'
end_step ok

begin_step services "ensure_services, ensure_node, ensure_chromium"
in_root services 'source scripts/lib.sh && ensure_services && ensure_node && ensure_chromium'
end_step ok
[[ $until != services ]] || exit 0

begin_step web "build_web (the pages up.sh and test.sh embed)"
in_root web 'source scripts/lib.sh && build_web'
end_step ok
[[ $until != web ]] || exit 0

begin_step crates "cargo fetch (crates.io into the root's own CARGO_HOME)"
in_root crates 'cargo fetch --locked'
end_step ok
[[ $until != crates ]] || exit 0

if [[ $stage == up || $stage == all ]]; then
  begin_step up "scripts/up.sh (the release build, the stack)"
  in_root up 'scripts/up.sh'
  end_step ok
  begin_step purchase "POST /api/v1/tickets, read back from MySQL"
  in_root purchase "$PURCHASE"
  end_step ok
  begin_step down "scripts/down.sh"
  in_root down 'scripts/down.sh'
  end_step ok
fi
if [[ $stage == test || $stage == all ]]; then
  begin_step test "scripts/test.sh"
  in_root test 'scripts/test.sh'
  end_step ok
fi
