#!/usr/bin/env bash
# Issue 3 benchmarks, side by side (2 cores): Anonymeter 1.1.0 parity and speed, then the scale
# targets. Writes bench/out/parity.jsonl and the parity table into BENCHMARKS.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
cargo build --release --locked
anon=$(bash bench/setup-anonymeter-venv.sh | tail -1)
peers=$(bash bench/setup-venv.sh | tail -1)
rm -f bench/out/parity.jsonl
"$anon/bin/python" bench/anonymeter_parity.py --seeds 1,2,3 --attacks so-uni,link,inf:income
"$anon/bin/python" bench/anonymeter_parity.py --seeds 1,2 --attacks so-multi
python3 bench/parity_table.py bench/out/parity.jsonl
"$peers/bin/python" bench/scale_issue3.py
