#!/usr/bin/env bash
# Creates bench/.venv-synth with the synthetic-data peers used only for comparison (never product
# dependencies): SmartNoise Synth 1.0.8 (MST/AIM on mbi) and sdmetrics (QualityReport).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${BENCH_SYNTH_VENV:-$here/.venv-synth}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "smartnoise-synth==1.0.8" "sdmetrics==0.32.0" pandas
echo "$venv"
