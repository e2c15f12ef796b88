"""Issue 6 benchmark: datavisa's DP synthetic twins (MST, AIM) side by side with SmartNoise Synth
1.0.8 on ARX's Adult (30,162 x 9), eps 1 and 10, delta 1e-9, three seeds; quality by sdmetrics'
QualityReport and by mean 2- and 3-way marginal TVD; wall time and peak RSS of each run as a
separate process. Then MST on a generated 1,000,000 x 20 table.

usage: bench/setup-synth-venv.sh && bench/.venv-synth/bin/python bench/synth_issue6.py [--quick]
Writes bench/out/synth_issue6.json and prints a Markdown table. Peers are never product
dependencies. The machine has 2 cores.
"""
import csv, itertools, json, os, subprocess, sys, time, collections
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ADULT = os.path.join(ROOT, "..", "shared", "data", "arx", "adult.csv")
SPEC = os.path.join(ROOT, "examples", "adult-public-domain.toml")
BIN = os.environ.get("DATAVISA_BIN", os.path.join(ROOT, "target", "release", "datavisa"))
OUT = os.path.join(HERE, "out", "synth")
PY = sys.executable
QUICK = "--quick" in sys.argv
os.makedirs(OUT, exist_ok=True)


def timed(cmd):
    """Wall seconds and peak RSS (MB) of one process."""
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(p.stderr.strip().splitlines()[-1]) / 1024
    return wall, rss


def tvd(real, syn, k):
    cols = list(real.columns)
    out = []
    for c in itertools.combinations(cols, k):
        a = real.groupby(list(c)).size() / len(real)
        b = syn.groupby(list(c)).size() / len(syn)
        a, b = a.align(b, fill_value=0)
        out.append(0.5 * (a - b).abs().sum())
    return sum(out) / len(out)


def quality(real, syn):
    from sdmetrics.reports.single_table import QualityReport
    meta = {"columns": {c: {"sdtype": "numerical" if c == "age" else "categorical"} for c in real.columns}}
    r = QualityReport()
    r.generate(real, syn, meta, verbose=False)
    props = r.get_properties().set_index("Property")["Score"]
    return r.get_score(), props["Column Shapes"], props["Column Pair Trends"]


def load(path, sep):
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    df["age"] = pd.to_numeric(df["age"], errors="coerce")
    return df


real = load(ADULT, ";")
results = []
seeds = [1] if QUICK else [1, 2, 3]
for eps in (1, 10):
    for seed in seeds:
        runs = [
            ("datavisa MST", [BIN, "--quiet", "twin", "synthesize", "--spec", SPEC, ADULT, "-o", "{out}",
                              "--epsilon", str(eps), "--seed", str(seed)]),
            ("datavisa AIM", [BIN, "--quiet", "twin", "synthesize", "--spec", SPEC, ADULT, "-o", "{out}",
                              "--epsilon", str(eps), "--seed", str(seed), "--method", "aim"]),
            ("SmartNoise MST", [PY, os.path.join(HERE, "synth_peer_worker.py"), "mst", str(eps), str(seed), ADULT, "{out}"]),
        ]
        for name, cmd in runs:
            out = os.path.join(OUT, f"{name.replace(' ', '_')}_{eps}_{seed}.csv")
            cmd = [c.replace("{out}", out) for c in cmd]
            wall, rss = timed(cmd)
            syn = load(out, ",")[list(real.columns)]
            overall, shapes, pairs = quality(real, syn)
            row = {"method": name, "eps": eps, "seed": seed, "seconds": wall, "peak_rss_mb": rss,
                   "overall": overall, "shapes": shapes, "pairs": pairs,
                   "gap_closed": (pairs - 0.860) / (0.987 - 0.860),
                   "tvd2": tvd(real, syn, 2), "tvd3": tvd(real, syn, 3), "rows": len(syn)}
            print(json.dumps(row), flush=True)
            results.append(row)


def big_table(path, n=1_000_000, d=20, seed=7):
    """A generated 1M x 20 table: categorical and integer columns tied to two latent factors."""
    import numpy as np
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 8, size=n)
    w = rng.integers(0, 5, size=n)
    cols, spec = {}, ["[source]\ndelimiter = \",\"\n"]
    for j in range(d):
        k = [2, 5, 10, 20, 50][j % 5]
        noise = rng.integers(0, k, size=n)
        base = (z * (j + 1) + w * (j % 3)) % k
        keep = rng.random(n) < 0.7
        v = np.where(keep, base, noise)
        if j % 4 == 3:
            cols[f"n{j}"] = v * 3 + 18
            spec.append(f"[[columns]]\nname = \"n{j}\"\ntype = \"integer\"\ndomain = {{ min = 18, max = {18 + 3 * (k - 1)}, bins = {min(k, 16)} }}\n")
        else:
            cols[f"c{j}"] = np.char.add("v", v.astype(str))
            cats = ", ".join(f'"v{i}"' for i in range(k))
            spec.append(f"[[columns]]\nname = \"c{j}\"\ntype = \"categorical\"\ndomain = {{ categories = [{cats}] }}\n")
    pd.DataFrame(cols).to_csv(path, index=False)
    with open(path + ".spec.toml", "w") as f:
        f.write("\n".join(spec))


big = os.path.join(OUT, "big_1m_x_20.csv")
if not os.path.exists(big):
    big_table(big)
wall, rss = timed([BIN, "--quiet", "twin", "synthesize", "--spec", big + ".spec.toml", big, "-o",
                   os.path.join(OUT, "big_mst.csv"), "--epsilon", "1", "--seed", "1"])
results.append({"method": "datavisa MST 1M x 20", "eps": 1, "seed": 1, "seconds": wall, "peak_rss_mb": rss,
                "csv_mb": os.path.getsize(big) / 1e6})
print(json.dumps(results[-1]), flush=True)

with open(os.path.join(HERE, "out", "synth_issue6.json"), "w") as f:
    json.dump(results, f, indent=1)

print("\n| method | eps | runs | seconds (mean) | peak RSS MB | sdmetrics overall | pairs | gap closed | 2-way TVD | 3-way TVD |")
print("|---|---|---|---|---|---|---|---|---|---|")
groups = collections.defaultdict(list)
for r in results:
    if "overall" in r:
        groups[(r["method"], r["eps"])].append(r)
mean = lambda rs, k: sum(r[k] for r in rs) / len(rs)
for (m, e), rs in groups.items():
    print(f"| {m} | {e} | {len(rs)} | {mean(rs, 'seconds'):.2f} | {max(r['peak_rss_mb'] for r in rs):.0f} | "
          f"{mean(rs, 'overall'):.3f} | {mean(rs, 'pairs'):.3f} | {mean(rs, 'gap_closed'):.2f} | "
          f"{mean(rs, 'tvd2'):.3f} | {mean(rs, 'tvd3'):.3f} |")
for e in (1, 10):
    a, b = groups.get(("SmartNoise MST", e)), groups.get(("datavisa MST", e))
    if a and b:
        print(f"eps {e}: datavisa MST is {mean(a, 'seconds') / mean(b, 'seconds'):.0f}x faster than SmartNoise MST (wall, same process setup)")
