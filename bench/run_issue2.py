"""Issue 2 benchmarks, side by side with the peers, in one run (2-core machine).

  python3 bench/run_issue2.py            # builds datavisa, installs peers into bench/.venv
  BENCH_SKIP_PRESIDIO=1 python3 bench/run_issue2.py   # reading and scanning only (polars only)

Prints Markdown rows for BENCHMARKS.md and writes bench/out/issue2.json.
Reading: datavisa `inspect` (its read_seconds, in-process) vs polars `read_csv` (in-process),
5 interleaved runs each, medians. Scanning: whole datavisa process wall time (read + scan) vs
Presidio structured's analysis time (model load excluded, to its advantage).
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
OUT.mkdir(parents=True, exist_ok=True)
DV = ROOT / "target" / "release" / "datavisa"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PRESIDIO_ROWS = int(os.environ.get("PRESIDIO_ROWS", "2000"))


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def timed(args):
    """Wall seconds and peak RSS (KB) of a command, via /usr/bin/time."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, int(r.stderr.strip().splitlines()[-1]), r.stdout


def analytics_table(path, rows=1_000_000, seed=7):
    """A 1M x 15 analytics-style table: numbers, dates and low-cardinality categories."""
    import random
    rng = random.Random(seed)
    regions = [f"region-{i}" for i in range(30)]
    products = [f"SKU{i:04d}" for i in range(50)]
    channels = ["web", "app", "store", "phone", "partner"]
    countries = ["CN", "US", "DE", "FR", "JP", "KR", "SG", "GB", "IN", "BR", "AU", "CA", "IT", "ES", "NL", "SE", "CH", "MX", "ID", "TH"]
    segments = ["a", "b", "c", "d", "e", "f", "g", "h"]
    with open(path, "w") as f:
        f.write("age,income,score,region,product,channel,day,quantity,price,discount,member,rating,latency_ms,country,segment\n")
        for _ in range(rows):
            f.write(f"{rng.randint(18, 90)},{rng.uniform(1e3, 9e4):.2f},{rng.random():.4f},{rng.choice(regions)},"
                    f"{rng.choice(products)},{rng.choice(channels)},2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                    f"{rng.randint(1, 20)},{rng.uniform(1, 500):.2f},{rng.choice([0, 0.05, 0.1, 0.2])},"
                    f"{rng.choice('YN')},{rng.randint(1, 5)},{rng.expovariate(1 / 80):.1f},{rng.choice(countries)},{rng.choice(segments)}\n")


def read_side_by_side(dv, py, path):
    ours, theirs = [], []
    code = f"import time, polars as pl\nt=time.perf_counter(); df=pl.read_csv({str(path)!r}); print(time.perf_counter()-t)"
    for _ in range(RUNS):
        out = sh(str(dv), "--quiet", "inspect", str(path), "--format", "json").stdout
        ours.append(json.loads(out)["read_seconds"])
        theirs.append(float(sh(py, "-c", code).stdout))
    _, rss, _ = timed([str(dv), "--quiet", "inspect", str(path), "--format", "json"])
    size = path.stat().st_size
    return {"bytes": size, "datavisa_s": statistics.median(ours), "polars_s": statistics.median(theirs),
            "runs": {"datavisa": ours, "polars": theirs},
            "ratio": statistics.median(ours) / statistics.median(theirs),
            "peak_rss_mb": rss / 1024, "rss_over_size": rss * 1024 / size}


def main():
    sh("cargo", "build", "--release", "-p", "datavisa", cwd=ROOT)
    skip_presidio = os.environ.get("BENCH_SKIP_PRESIDIO") == "1"
    venv = sh("bash", str(ROOT / "bench" / "setup-venv.sh"), *(["--polars-only"] if skip_presidio else [])).stdout.strip().splitlines()[-1]
    py = str(Path(venv) / "bin" / "python")
    data = OUT / "data"
    big = data / "d1m" / "customers.csv"
    if not big.exists():
        sh(str(DV), "--quiet", "demo", "--rows", "1000000", "--seed", "42", "--as-of", "2026-11-22",
           "--out", str(data / "d1m"))
    c15 = data / "c1m15.csv"
    if not c15.exists():
        with open(c15, "w") as f:
            subprocess.run(["cut", "-d,", "-f1-15", str(big)], stdout=f, check=True)
    small = data / "d100k" / "customers.csv"
    if not small.exists():
        sh(str(DV), "--quiet", "demo", "--rows", "100000", "--seed", "42", "--as-of", "2026-11-22",
           "--out", str(data / "d100k"))
    head = data / f"first{PRESIDIO_ROWS}.csv"
    with open(small, encoding="utf-8") as src, open(head, "w", encoding="utf-8") as dst:
        lines = src.read().split("\n")
        dst.write("\n".join(lines[: PRESIDIO_ROWS + 1]) + "\n")

    res = {"machine": f"{os.cpu_count()} cores, {platform.machine()}", "date": time.strftime("%Y-%m-%d"),
           "datavisa": sh(str(DV), "--version").stdout.strip()}

    # Reading, interleaved.
    analytics = data / "analytics1m15.csv"
    if not analytics.exists():
        analytics_table(analytics)
    res["read"] = read_side_by_side(DV, py, c15)
    res["read"]["file"] = "1,000,000 x 15 demo customers (7 near-unique identifier columns)"
    res["read_analytics"] = read_side_by_side(DV, py, analytics)
    res["read_analytics"]["file"] = "1,000,000 x 15 analytics table (numbers, dates, categories)"

    # Scanning throughput.
    scans = {}
    for name, f in [("c1m15", c15), ("customers_1m_21col_quoted", big)]:
        walls = [timed([str(DV), "--quiet", "scan", str(f), "--format", "json"])[0] for _ in range(3)]
        w = statistics.median(walls)
        scans[name] = {"bytes": f.stat().st_size, "wall_s": w, "mb_per_s": f.stat().st_size / 1e6 / w}
    res["scan"] = scans

    if skip_presidio:
        (OUT / "issue2.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
        print_rows(res)
        return 0

    # Side by side with Presidio on the same rows.
    dv_head = statistics.median([timed([str(DV), "--quiet", "scan", str(head), "--format", "json"])[0] for _ in range(3)])
    dv_100k = statistics.median([timed([str(DV), "--quiet", "scan", str(small), "--format", "json"])[0] for _ in range(3)])
    pres = json.loads(sh(py, str(ROOT / "bench" / "scan_vs_presidio.py"), str(head)).stdout)
    res["presidio"] = {"rows": PRESIDIO_ROWS, "datavisa_wall_s": dv_head, "presidio_analysis_s": pres["analysis_seconds"],
                       "presidio_setup_s": pres["setup_seconds"], "ratio_same_rows": pres["analysis_seconds"] / dv_head,
                       "datavisa_100k_wall_s": dv_100k,
                       "presidio_100k_extrapolated_s": pres["analysis_seconds"] * 100_000 / PRESIDIO_ROWS,
                       "presidio_entities": pres["entities"]}
    (OUT / "issue2.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    print_rows(res)


def print_rows(res):
    s, p = res["scan"], res.get("presidio")
    for key in ["read", "read_analytics"]:
        r = res[key]
        print(f"| read {r['file']} ({r['bytes']/1e6:.0f} MB) | datavisa {r['datavisa_s']:.2f} s | polars {r['polars_s']:.2f} s | {r['ratio']:.2f}x polars (runs: datavisa {', '.join(f'{x:.2f}' for x in r['runs']['datavisa'])}; polars {', '.join(f'{x:.2f}' for x in r['runs']['polars'])}) | peak RSS {r['peak_rss_mb']:.0f} MB = {r['rss_over_size']:.2f}x file |")
    for k, v in s.items():
        print(f"| scan {k} ({v['bytes']/1e6:.0f} MB) | {v['wall_s']:.2f} s | {v['mb_per_s']:.0f} MB/s |")
    if p is None:
        return
    print(f"| scan {p['rows']} rows x 21 | datavisa {p['datavisa_wall_s']:.3f} s (whole process) | Presidio {p['presidio_analysis_s']:.1f} s (analysis only) | {p['ratio_same_rows']:.0f}x |")
    print(f"| scan 100k rows x 21 | datavisa {p['datavisa_100k_wall_s']:.2f} s | Presidio ~{p['presidio_100k_extrapolated_s']/60:.0f} min (extrapolated) | |")


if __name__ == "__main__":
    sys.exit(main())
