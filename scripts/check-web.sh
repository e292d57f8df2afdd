#!/usr/bin/env bash
# The browser tests of the pages (web/e2e/): Playwright drives Debian's headless Chromium
# against a private api and both consumers (scripts/own-stack.sh: own port, key prefix,
# queues, database and DynamoDB tables, all removed at exit), on the real Redis, RabbitMQ,
# MariaDB and DynamoDB Local. The tests sign up, search, hold, pay, check both stores, watch
# a seat another browser takes, use the keyboard only, open the admin dashboard, and save the
# screenshots of docs/screenshots/.
#
#   scripts/check-web.sh               every browser test
#   scripts/check-web.sh -g keyboard   only the tests whose title matches (Playwright's -g)
#
# Files of the last run (logs of the api and the consumers, Playwright's traces of failures):
# .local/web/last-run/.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=own-stack.sh source-path=SCRIPTDIR
source "$ROOT/scripts/own-stack.sh"
cd "$ROOT"

section() { printf '\n----- web check: %s -----\n' "$*"; }

own_trap web

section "pages and browser"
build_web
ensure_chromium

section "services"
ensure_services
command -v curl >/dev/null || apt_install curl

section "api and consumers"
own_stack web
# The admin account of the dashboard tests.
own_admin

section "browser tests"
cd "$WEB_DIR"
WEB_BASE_URL=$OWN_URL \
  WEB_ADMIN_EMAIL=$OWN_ADMIN_EMAIL \
  WEB_ADMIN_PASSWORD=$OWN_ADMIN_PASSWORD \
  WEB_MYSQL_DATABASE=$OWN_DATABASE \
  WEB_DYNAMODB_TABLE=$OWN_PREFIX-tickets \
  WEB_OUTPUT=$OWN_RUN \
  npx playwright test "$@"
