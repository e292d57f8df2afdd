#!/usr/bin/env bash
# Schemathesis against the api's own OpenAPI document: it reads /api/v1/openapi.json from a
# private api, generates requests from it (schema examples, boundary and negative values,
# random data, and chains of calls along the links it infers) and checks every answer: no
# 5xx, and status, content type, headers and body as the document says. Its settings, and
# why each check is on or off, are in scripts/schemathesis.toml.
#
#   scripts/check-schema.sh                  the whole run (installs Schemathesis if missing)
#   scripts/check-schema.sh --include-path-regex '^/api/v1/holds'
#                                            extra arguments go to `st run`
#
# Isolation: the api and the consumers are private ones (scripts/own-stack.sh): a free
# loopback port, their own Redis key prefix, RabbitMQ exchange and queues, MySQL database and
# DynamoDB tables (all named schema-<random> / schema_<random>), all removed at exit, on
# failure too. The consumers run so that the tickets sold during the run reach the read
# model, and the answers that list them are checked against the document too. Authenticated
# routes get the token of a buyer this script registers; the admin routes that of an admin
# account it makes the way an operator does (`api users create --admin`).
#
# Schemathesis (PyPI, pinned) lives in its own virtualenv, .local/venv-schemathesis. The
# files of the last run (api.log, Schemathesis's output, its JUnit report and a cassette of
# every request and answer) stay in .local/schema/last-run/.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=own-stack.sh source-path=SCRIPTDIR
source "$ROOT/scripts/own-stack.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
VENV=$ROOT/.local/venv-schemathesis
CONFIG=$ROOT/scripts/schemathesis.toml
PYTHON=${PYTHON:-python3}

section() { printf '\n----- schema check: %s -----\n' "$*"; }

own_trap schema

# Schemathesis SCHEMATHESIS_VERSION in VENV, unless it is there already (a stamp file says
# which version was installed).
ensure_schemathesis() {
  local stamp=schemathesis==$SCHEMATHESIS_VERSION
  if [[ -x $VENV/bin/st && -f $VENV/.installed && $(<"$VENV/.installed") == "$stamp" ]]; then
    return 0
  fi
  command -v "$PYTHON" >/dev/null || apt_install python3
  "$PYTHON" -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  log "installing $stamp into ${VENV#"$ROOT"/}"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "$stamp" ||
    die "pip install $stamp failed"
  printf '%s' "$stamp" >"$VENV/.installed"
}

# login EMAIL PASSWORD: prints the access token of that account.
login() {
  local body
  body=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$OWN_URL/api/v1/auth/login") ||
    die "POST /api/v1/auth/login as $1 failed"
  sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' <<<"$body"
}

section "Schemathesis $SCHEMATHESIS_VERSION"
ensure_schemathesis

section "services"
ensure_services
command -v curl >/dev/null || apt_install curl

section "api and consumers"
own_stack schema

section "accounts"
# Passwords of hex digits and emails of the run's id: nothing to quote in the JSON below.
buyer_email=buyer-$OWN_ID@example.com
buyer_password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
curl -fsS --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$buyer_email\",\"password\":\"$buyer_password\",\"name\":\"Schema buyer\"}" \
  "$OWN_URL/api/v1/auth/register" || die "POST /api/v1/auth/register failed"
own_admin
# Read by scripts/schemathesis.toml.
SCHEMA_BUYER_TOKEN=$(login "$buyer_email" "$buyer_password")
SCHEMA_ADMIN_TOKEN=$(login "$OWN_ADMIN_EMAIL" "$OWN_ADMIN_PASSWORD")
[[ -n $SCHEMA_BUYER_TOKEN && -n $SCHEMA_ADMIN_TOKEN ]] || die "no access token in the login answers"
export SCHEMA_BUYER_TOKEN SCHEMA_ADMIN_TOKEN
log "buyer $buyer_email and admin $OWN_ADMIN_EMAIL signed in"

section "schemathesis run"
started=$SECONDS
# The document names 127.0.0.1:8080 as its server; --url points the run at this api.
run_rc=0
"$VENV/bin/st" --config-file "$CONFIG" run "$OWN_URL/api/v1/openapi.json" \
  --url "$OWN_URL" \
  --no-color \
  --report junit,vcr --report-dir "$OWN_RUN" \
  "$@" 2>&1 | tee "$OWN_RUN/schemathesis.out" || run_rc=$?
log "schemathesis took $((SECONDS - started)) s"
((run_rc == 0)) || die "schemathesis found failures (exit $run_rc); see $OWN_RUN/schemathesis.out and $OWN_RUN/api.log"
