"""Issue 5 benchmarks (2 cores): datavisa's optimal generalization on ARX's golden Adult
configurations, side by side with ANJANA (PyPI `anjana`, in-process, median of 3) and against
ARX 3.9.2's CPU times from ../shared/specs/arx-models.md; then 10M rows x 10 quasi-identifiers
with the heuristic search. Usage: python3 bench/generalize_issue5.py ANJANA_VENV_PYTHON POLARS_VENV_PYTHON
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
A = os.path.join(ROOT, "..", "shared", "data", "arx")
DV = os.path.join(ROOT, "target", "release", "datavisa")
OUT = os.path.join(HERE, "out")
QI = ["age", "sex", "race", "marital-status", "education", "native-country", "workclass", "occupation"]
ARX_CPU_MS = {(5, 0.0): 67, (5, 0.05): 675, (10, 0.05): 648}


def datavisa(k, supp):
    args = [DV, "twin", "generalize", os.path.join(A, "adult.csv"), "-o", os.path.join(OUT, "adult_twin.csv"),
            "--quasi", ",".join(QI), "--k", str(k), "--suppression", str(supp), "--format", "json", "--quiet"]
    for q in QI:
        args += ["--hierarchy", f"{q}={A}/adult_hierarchy_{q}.csv"]
    t = time.perf_counter()
    v = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return v, time.perf_counter() - t


def main():
    anjana_py, polars_py = sys.argv[1], sys.argv[2]
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for (k, supp), arx_ms in ARX_CPU_MS.items():
        runs = [datavisa(k, supp) for _ in range(5)]
        search = statistics.median(r[0]["search"]["seconds"] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        v = runs[0][0]
        anj = [json.loads(subprocess.run([anjana_py, os.path.join(HERE, "anjana_worker.py"), A, str(k), str(supp)],
                                         check=True, capture_output=True, text=True).stdout) for _ in range(3)]
        anj_s = statistics.median(a["seconds"] for a in anj)
        row = {"k": k, "suppression": supp, "levels": [v["levels"][q] for q in QI], "loss": v["quality"]["value"],
               "suppressed": v["suppressed"], "nodes_checked": v["search"]["nodes_checked"],
               "datavisa_search_s": search, "datavisa_process_s": wall, "arx_cpu_s": arx_ms / 1000,
               "anjana_s": anj_s, "anjana_rows_out": anj[0]["rows_out"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    # 10M rows x 10 quasi-identifiers, heuristic search.
    big = os.path.join(OUT, "adult_10m_10qi.csv")
    if not os.path.exists(big):
        code = f"""
import numpy as np, polars as pl
a = pl.read_csv("{A}/adult.csv", separator=";").select({QI!r})
rng = np.random.default_rng(5)
n = 10_000_000
d = a[rng.integers(0, a.height, n)]
d = d.with_columns(pl.Series("zip", [f"{{x:05d}}" for x in rng.integers(10000, 99999, n)]),
                   pl.Series("hours", rng.integers(1, 100, n)))
d.write_csv("{big}")
"""
        subprocess.run([polars_py, "-c", code], check=True)
    args = ["/usr/bin/time", "-f", "%e %M", DV, "twin", "generalize", big, "-o", os.path.join(OUT, "big_twin.parquet"),
            "--quasi", ",".join(QI + ["zip", "hours"]), "--k", "5", "--suppression", "0.05",
            "--search", "heuristic", "--time-limit", "60", "--format", "json", "--quiet"]
    for q in QI:
        args += ["--hierarchy", f"{q}={A}/adult_hierarchy_{q}.csv"]
    p = subprocess.run(args, check=True, capture_output=True, text=True)
    wall, kib = p.stderr.strip().splitlines()[-1].split()
    v = json.loads(p.stdout)
    big_row = {"rows": 10_000_000, "quasi": 10, "wall_s": float(wall), "peak_mib": int(kib) / 1024,
               "search": v["search"], "levels": v["levels"], "loss": v["quality"]["value"], "suppressed": v["suppressed"]}
    print(json.dumps(big_row), flush=True)
    with open(os.path.join(OUT, "issue5.json"), "w") as f:
        json.dump({"golden": rows, "big": big_row}, f, indent=1)


if __name__ == "__main__":
    main()
