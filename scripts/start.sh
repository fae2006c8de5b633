#!/usr/bin/env bash
# Install the runtime dependencies (the exact versions in requirements.lock) into .venv and start
# the app on the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
# serve.py is `streamlit run app.py` with two server fixes (see its docstring).
exec .venv/bin/python serve.py "$@"
