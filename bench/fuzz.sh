#!/usr/bin/env bash
# The mutation fuzzer of crates/workflow/tests/fuzz.rs for longer than CI runs it.
# Usage: bash bench/fuzz.sh [DURATION] [SEED]   DURATION like 90s, 10m or 1h (default 10m, split
# over the four targets: CSV, Parquet, spec TOML, ARX hierarchies); SEED random by default.
# A crash stops it and names the saved input; copy that into
# crates/workflow/tests/fuzz-regressions/<target>/ to keep it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
d="${1:-10m}"
case "$d" in
  *h) secs=$(( ${d%h} * 3600 )) ;;
  *m) secs=$(( ${d%m} * 60 )) ;;
  *s) secs=${d%s} ;;
  *) secs=$d ;;
esac
seed="${2:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datavisa-target}"
echo "fuzzing for ${secs}s in all (seed $seed, 2 cores)"
DATAVISA_FUZZ_SECS=$(( secs / 4 )) DATAVISA_FUZZ_SEED="$seed" \
  cargo test -q -p datavisa-workflow --test fuzz -- --nocapture --test-threads 2 2>&1 | grep -E "^fuzz|panicked|test result"
