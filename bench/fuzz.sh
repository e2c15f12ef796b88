#!/usr/bin/env bash
# The mutation fuzzer of crates/workflow/tests/fuzz.rs
# and crates/server/tests/fuzz_api.rs for longer than CI runs it.
# Usage: bash bench/fuzz.sh [DURATION] [SEED] [TARGETS]   DURATION like 90s, 10m or 1h (default
# 10m, split over the targets); SEED random by default; TARGETS `all` (default: CSV, Parquet,
# spec TOML, ARX hierarchies and the API's JSON bodies), `files` (the first four) or `api`.
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
which="${3:-all}"
case "$which" in
  all) n=5 ;;
  files) n=4 ;;
  api) n=1 ;;
  *) echo "TARGETS is all, files or api, not $which" >&2; exit 2 ;;
esac
echo "fuzzing for ${secs}s in all over $n target(s) (seed $seed, 2 cores)"
export DATAVISA_FUZZ_SECS=$(( secs / n )) DATAVISA_FUZZ_SEED="$seed"
if [ "$which" != api ]; then
  cargo test -q -p datavisa-workflow --test fuzz -- --nocapture --test-threads 2 2>&1 | grep -E "^fuzz|panicked|test result"
fi
if [ "$which" != files ]; then
  cargo test -q -p datavisa-server --test fuzz_api -- --nocapture 2>&1 | grep -E "^fuzz|panicked|test result"
fi
