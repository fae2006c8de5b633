#!/usr/bin/env bash
# Regenerate the lock files from the requirement files, after adding or changing a dependency in
# requirements.txt or requirements-dev.txt:
#   requirements.lock      runtime, what scripts/start.sh installs
#   requirements-dev.lock  tests and tools plus the runtime set, what scripts/test.sh (and CI) installs
# Exact versions with their hashes, resolved for this Python (python3) from the package index pip
# is configured for. The dev lock is constrained by the runtime lock, so both pin the same runtime
# versions. pip-tools runs from a throwaway virtualenv, so it is not part of either set.
set -euo pipefail
cd "$(dirname "$0")/.."

tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet --disable-pip-version-check "pip-tools==7.6.2"

compile() {
  # --rebuild: resolve afresh; no index, find-links or host lines: the lock names packages, and
  # each machine's pip configuration says where to fetch them.
  "$tools/bin/pip-compile" --quiet --rebuild --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host "$@"
}
compile --output-file requirements.lock requirements.txt
compile --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt
echo "Wrote requirements.lock and requirements-dev.lock"
