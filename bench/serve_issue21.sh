#!/usr/bin/env bash
# Issue 21: the HTTP API under load, and its overhead on an assessment against the CLI's.
#
# Builds the release binaries, makes a throwaway store in a temp dir (vault, one steward and
# their token, a random master key that lives only in this script's environment), generates
# the 100,000-row demo table, starts datavisa-server on a free loopback port and loads it from
# wrk (a second process on the same machine): health, a list of datasets and scans of the
# 100k-row upload, one phase after the other, sampling the server's RSS. Then the same
# assessment through the CLI and through the API (bench/serve_issue21_assess.py). Prints one
# table, writes bench/out/issue21.json, stops the server and removes the temp dir. It never
# reads or writes a store outside that temp dir.
#
# Usage: bash bench/serve_issue21.sh
#   BENCH_SECS   seconds per load phase (20)     BENCH_CONNS  connections (32)
#   BENCH_SCAN_SECS seconds of the scan phase (60)
#   BENCH_RUNS   assessments per front end (5)    BENCH_THREADS wrk threads (2)
#   BENCH_KEEP=1 keeps the temp dir (store, server log, both assessments' JSON) to look into
# Needs wrk (Debian: apt-get install wrk), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
secs="${BENCH_SECS:-20}"
# A scan takes a few hundred ms alone, so 32 at once take seconds each: a longer phase gives
# the percentiles more than a few dozen samples.
scan_secs="${BENCH_SCAN_SECS:-60}"
conns="${BENCH_CONNS:-32}"
threads="${BENCH_THREADS:-2}"
runs="${BENCH_RUNS:-5}"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (wrk: apt-get install wrk)" >&2; exit 2; }
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datavisa-target}"
cargo build --release -q -p datavisa -p datavisa-server
dv="$CARGO_TARGET_DIR/release/datavisa"
srv="$CARGO_TARGET_DIR/release/datavisa-server"
version="$("$srv" --version | awk '{print $NF}')"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
# Nothing from the caller's environment may point the tools at another store or key.
unset DATAVISA_ANCHOR_DIR DATAVISA_ANCHOR_KEY DATAVISA_APPROVER_CREDENTIAL DATAVISA_NEW_MASTER_KEY
export DATAVISA_LANG=en
DATAVISA_MASTER_KEY="bench-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export DATAVISA_MASTER_KEY
cd "$work"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "generating the 100,000-row demo table ..." >&2
"$dv" demo --rows 100000 --seed 42 --as-of 2026-11-22 --quiet >/dev/null
d=datavisa-demo
# The assessment's data and spec, as bench/assess_issue17.sh: a 20,000-row source and control.
head -20001 "$d/customers-release.csv" > source.csv
head -20001 "$d/customers-control.csv" > control.csv
{
  for c in customer_id 姓名 身份证号 手机号 email 银行卡号 地址 备注 icd10 纬度 经度; do
    printf '[[columns]]\nname = "%s"\nrole = "identifier"\n' "$c"
  done
  for c in 性别 出生日期 邮编; do printf '[[columns]]\nname = "%s"\nrole = "quasi"\n' "$c"; done
  printf '[[columns]]\nname = "诊断"\nrole = "sensitive"\n'
  printf '\n[[recipients]]\nid = "public"\nknows = ["出生日期", "邮编"]\ncontext = "public"\n'
} > spec.toml

# The store, as a team makes it (the vault's default Argon2id cost).
"$dv" vault init --store st >/dev/null
"$dv" user add stew --role steward --store st >/dev/null
token="$("$dv" token create --user stew --store st 2>/dev/null)"

"$srv" --listen 127.0.0.1:0 --store st --sync-scan-rows 100000 2> server.log &
server_pid=$!
for _ in $(seq 1 600); do
  grep -qs '^listening on ' server.log && break
  kill -0 "$server_pid" 2>/dev/null || { cat server.log >&2; exit 1; }
  sleep 0.1
done
addr="$(sed -n 's/^listening on \([^;]*\);.*/\1/p' server.log | head -1)"
[ -n "$addr" ] || { echo "the server did not start" >&2; cat server.log >&2; exit 1; }
base="http://$addr"
echo "server $server_pid on $base" >&2

# curl with the token from a header file, so the token is on no command line.
printf 'Authorization: Bearer %s\n' "$token" > auth.txt
chmod 600 auth.txt
api() { curl -sS -H @auth.txt "$@"; }
upload() { api -X POST -H 'Content-Type: text/csv' --data-binary "@$1" "$base/api/v1/datasets?name=$(basename "$1")"; }

# A populated store: the 100k table, the assessment's source and control, 60 small tables.
big="$(upload "$d/customers.csv" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sha256"], d["rows"])')"
big_sha="${big% *}"
[ "${big#* }" = 100000 ] || { echo "the demo table has ${big#* } rows, not 100000" >&2; exit 1; }
upload source.csv >/dev/null
upload control.csv >/dev/null
for i in $(seq 1 60); do
  printf 'id,city,score\n%d,city-%d,%d\n%d,city-%d,%d\n' "$i" "$i" "$i" "$((i + 1000))" "$i" "$i" > small.csv
  upload small.csv >/dev/null
done
datasets="$(api "$base/api/v1/datasets" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
scan_body='{"as_of":"2026-11-22"}'
# Each route answers as measured (and is warm): the scan in the request (200), not as a job.
expect_200() {
  local status
  if [ "$1" = POST ]; then
    status="$(api -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      --data "$3" "$base$2")"
  else
    status="$(api -o /dev/null -w '%{http_code}' "$base$2")"
  fi
  [ "$status" = 200 ] || { echo "$1 $2 answered $status, not 200" >&2; exit 1; }
}
expect_200 GET /api/v1/health
expect_200 GET /api/v1/datasets
expect_200 POST "/api/v1/datasets/$big_sha/scan" "$scan_body"

status_kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
rss_idle="$(status_kib VmRSS)"

# One load phase: wrk on PATH while the server's RSS is sampled every 200 ms.
phase() {
  local name="$1" method="$2" path="$3" body="$4" token_env="$5" timeout="$6" len="$7"
  echo "load: $name ($method $path, $conns connections, $threads threads, ${len} s) ..." >&2
  (while awk '$1 == "VmRSS:" {print $2}' "/proc/$server_pid/status" 2>/dev/null; do
    sleep 0.2
  done) > "rss-$name.txt" &
  local sampler=$!
  DV_METHOD="$method" DV_BODY="$body" DV_TOKEN="$token_env" \
    wrk -t"$threads" -c"$conns" -d"${len}s" --timeout "${timeout}s" --latency \
    -s "$repo/bench/serve_issue21.lua" "$base$path" > "wrk-$name.txt"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sleep 2
  status_kib VmRSS > "rss-after-$name.txt"
}
phase health GET /api/v1/health "" "" 10 "$secs"
phase list GET /api/v1/datasets "" "$token" 10 "$secs"
phase scan POST "/api/v1/datasets/$big_sha/scan" "$scan_body" "$token" 120 "$scan_secs"
hwm_load="$(status_kib VmHWM)"

echo "assessment: $runs runs through the CLI and through the API, interleaved ..." >&2
DV_TOKEN="$token" python3 "$repo/bench/serve_issue21_assess.py" --base "$base" \
  --server-pid "$server_pid" --dv "$dv" --store st --spec spec.toml --source source.csv --control control.csv \
  --quasi 性别 --quasi 出生日期 --quasi 邮编 --k 20 --suppression 0.05 \
  --recipient public --seed 7 --runs "$runs" --out assess.json
hwm_end="$(status_kib VmHWM)"
rss_end="$(status_kib VmRSS)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$repo/bench/out"
python3 - "$repo/bench/out/issue21.json" <<PY
import json, statistics, sys
def wrk(name):
    line = next(l for l in open(f"wrk-{name}.txt") if l.startswith("DVRESULT "))
    return json.loads(line[len("DVRESULT "):])
def rss(name):
    v = [int(x) for x in open(f"rss-{name}.txt").read().split()]
    return {"samples": len(v), "max_kib": max(v), "median_kib": int(statistics.median(v)),
            "after_kib": int(open(f"rss-after-{name}.txt").read())}
phases = {}
for name in ("health", "list", "scan"):
    w = wrk(name)
    w["req_per_s"] = w["requests"] / (w["duration_us"] / 1e6)
    w["rss"] = rss(name)
    phases[name] = w
out = {
    "datavisa": "$version", "cores": $(nproc), "seconds_per_phase": $secs, "seconds_scan_phase": $scan_secs,
    "connections": $conns, "wrk_threads": $threads, "datasets_stored": $datasets,
    "scan": "synchronous (--sync-scan-rows 100000; the upload has 100,000 rows)",
    "load_average_before": "$load_before", "load_average_after": "$load_after",
    "rss_idle_kib": $rss_idle, "vmhwm_after_load_kib": $hwm_load,
    "vmhwm_end_kib": $hwm_end, "rss_end_kib": $rss_end,
    "phases": phases, "assessment": json.load(open("assess.json")),
}
json.dump(out, open(sys.argv[1], "w"), indent=2)
mib = lambda k: f"{k / 1024:.0f} MiB"
ms = lambda us: f"{us / 1000:.1f} ms" if us < 1e6 else f"{us / 1e6:.2f} s"
print(f"datavisa {out['datavisa']}, {out['cores']} cores, wrk -t{out['wrk_threads']} "
      f"-c{out['connections']} -d{out['seconds_per_phase']}s (scan {out['seconds_scan_phase']}s) "
      f"on the same machine; "
      f"{out['datasets_stored']} datasets stored; load average before {out['load_average_before']}, "
      f"after {out['load_average_after']}")
print()
print("| load | requests | req/s | p50 | p99 | max | errors | RSS under load (median / max) | RSS 2 s after |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
label = {"health": "GET /api/v1/health", "list": "GET /api/v1/datasets",
         "scan": "POST /api/v1/datasets/{sha256}/scan (100,000 rows, in the request)"}
for name, p in phases.items():
    l, e, r = p["latency_us"], p["errors"], p["rss"]
    print(f"| {label[name]} | {p['requests']} | {p['req_per_s']:.1f} | {ms(l['p50'])} | "
          f"{ms(l['p99'])} | {ms(l['max'])} | {sum(e.values())} | "
          f"{mib(r['median_kib'])} / {mib(r['max_kib'])} | {mib(r['after_kib'])} |")
print()
print(f"RSS idle before the load {mib(out['rss_idle_kib'])}; peak RSS (VmHWM) after the load "
      f"{mib(out['vmhwm_after_load_kib'])}, after the assessments {mib(out['vmhwm_end_kib'])}; "
      f"RSS at the end {mib(out['rss_end_kib'])}")
a = out["assessment"]
print()
print(f"assessment ({a['runs']} runs each, seed {a['seed']}, verdict {a['verdict']}): "
      f"CLI median {a['cli_median']:.2f} s {[round(x, 2) for x in a['cli_seconds']]}, "
      f"API median {a['api_median']:.2f} s {[round(x, 2) for x in a['api_seconds']]}, "
      f"ratio {a['ratio']:.3f} (overhead {100 * (a['ratio'] - 1):+.1f}%)")
print(f"  CPU time: CLI process median {a['cli_cpu_median']:.2f} s, server process over the job "
      f"median {a['api_cpu_median']:.2f} s, ratio {a['cpu_ratio']:.3f}; "
      f"{a['api_progress_events']} progress events per API run")
print(f"JSON of the API and of the CLI differ at {a['json_differs_at']}; beyond where and when: "
      f"{a['json_differs_beyond_where_and_when'] or 'nothing'}; unstable across runs: "
      f"{a['unstable_across_runs'] or 'nothing'}")
PY
echo "raw figures: bench/out/issue21.json" >&2
