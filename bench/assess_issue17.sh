#!/usr/bin/env bash
# Issue 17 timing target: a 20,000-row twin's full assessment (sequential looks up to the default
# --max-attacks, margins, utility) finishes in under 10 s on the project's 2 cores.
# Usage: bash bench/assess_issue17.sh [RUNS]   (default 5; prints each run and the median)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datavisa-target}"
cargo build --release -q -p datavisa
bin="$CARGO_TARGET_DIR/release/datavisa"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" demo --seed 42 --as-of 2026-11-22 --quiet >/dev/null
d=datavisa-demo
head -20001 "$d/customers-release.csv" > source.csv
head -20001 "$d/customers-control.csv" > control.csv
# Roles as in crates/workflow/tests/verdicts.rs: every direct identifier and the coordinates are
# dropped, gender, birth date and postcode are the quasi-identifiers, the diagnosis is sensitive.
{
  for c in customer_id 姓名 身份证号 手机号 email 银行卡号 地址 备注 icd10 纬度 经度; do
    printf '[[columns]]\nname = "%s"\nrole = "identifier"\n' "$c"
  done
  for c in 性别 出生日期 邮编; do printf '[[columns]]\nname = "%s"\nrole = "quasi"\n' "$c"; done
  printf '[[columns]]\nname = "诊断"\nrole = "sensitive"\n'
} > spec.toml
cat >> spec.toml <<'TOML'

[[recipients]]
id = "public"
knows = ["出生日期", "邮编"]
context = "public"
TOML
"$bin" twin generalize source.csv -o twin.csv --spec spec.toml --quasi 性别 --quasi 出生日期 \
  --quasi 邮编 --k 20 --suppression 0.05 --quiet >/dev/null
times=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  "$bin" assess --spec spec.toml --twin twin.csv --source source.csv --control control.csv \
    --recipient public --seed "$i" --store st --quiet --format json > "a$i.json"
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc)
  times+=("$t")
  python3 - "$i" "$t" "a$i.json" <<'PY'
import json, sys
seed, t, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
a = json.load(open(path))
looks = {c["figure"]: (c.get("outcome"), len(c.get("looks", []))) for c in a["checks"]}
margins = [m["column"] for m in a.get("margins") or []]
print(f"seed {seed}: {t:.2f} s, verdict {a['verdict']}, margins {margins}, (outcome, looks) per check {looks}")
PY
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median of %d runs: %.2f s (2 cores)\n", NR, a[int((NR+1)/2)]}'
