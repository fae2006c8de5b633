#!/usr/bin/env bash
# Install everything the suite needs (Python packages, Debian's chromium), then lint,
# type-check and run every test, browser tests included.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.lock

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Exit code 5 (no tests collected) is a failure here, as it is in CI.
.venv/bin/pytest "$@"
