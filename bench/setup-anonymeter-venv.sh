#!/usr/bin/env bash
# Creates bench/.venv-anonymeter with Anonymeter 1.1.0 (a peer for comparison only, never a
# product dependency). Separate from bench/.venv because Anonymeter pins numpy<1.27.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${ANON_VENV:-$here/.venv-anonymeter}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "anonymeter==1.1.0"
echo "$venv"
