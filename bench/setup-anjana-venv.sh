#!/usr/bin/env bash
# Creates bench/.venv-anjana with ANJANA (PyPI `anjana`), a peer for comparison only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${ANJANA_VENV:-$here/.venv-anjana}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "anjana==1.2.3"
echo "$venv"
