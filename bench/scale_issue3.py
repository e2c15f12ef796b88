"""Issue 3 scale targets (2 cores):
  * linkability and inference with 10,000 attacks against a 1,000,000-row, 15-column twin
    (< 60 s, peak memory < 2 GB);
  * classic risk on 10,000,000 rows x 8 quasi-identifiers (< 10 s).
Data is made here from the shared Adult files (rows resampled with replacement, fnlwgt jittered
so the twin is not a pile of duplicates). Needs numpy + polars (bench/setup-venv.sh).
Usage: python bench/scale_issue3.py [--out bench/out]
"""
import argparse
import os
import subprocess
import time

import numpy as np
import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "..", "shared", "data", "anonymeter")
DATAVISA = os.path.join(ROOT, "target", "release", "datavisa")


def resample(df, n, seed):
    rng = np.random.default_rng(seed)
    out = df[rng.integers(0, df.height, n)]
    jitter = rng.integers(-500, 501, n)
    return out.with_columns((pl.col("fnlwgt") + pl.Series(jitter)).alias("fnlwgt"))


def timed(args):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    peak_kib = int(p.stderr.strip().splitlines()[-1])
    return secs, peak_kib / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    syn = pl.read_csv(os.path.join(DATA, "adults_syn_ctgan.csv"))
    real = pl.read_csv(os.path.join(DATA, "adults_control.csv"))
    twin, src, ctl = (os.path.join(a.out, f) for f in ("twin_1m.csv", "source_20k.csv", "control_20k.csv"))
    if not os.path.exists(twin):
        resample(syn, 1_000_000, 1).write_csv(twin)
        resample(real, 20_000, 2).write_csv(src)
        resample(real, 20_000, 3).write_csv(ctl)
    common = ["--source", src, "--twin", twin, "--control", ctl, "--n-attacks", "10000",
              "--seed", "1", "--format", "json", "--quiet"]
    link = [DATAVISA, "attack", "linkability", "--aux-a", "type_employer,education,hr_per_week,capital_loss,capital_gain",
            "--aux-b", "race,sex,fnlwgt,age,country", "--n-neighbors", "10"] + common
    inf = [DATAVISA, "attack", "inference", "--secret", "income"] + common
    for name, cmd in (("linkability 10k attacks x 1M twin (k=10; 40k kNN queries)", link),
                      ("inference 10k attacks x 1M twin (14 aux; 20k kNN queries)", inf)):
        secs, mib = timed(cmd)
        print(f"{name}: {secs:.1f} s, peak {mib:.0f} MiB")
    big = os.path.join(a.out, "qi_10m.csv")
    if not os.path.exists(big):
        adult = pl.read_csv(os.path.join(ROOT, "..", "shared", "data", "arx", "adult.csv"), separator=";")
        qi = ["age", "sex", "race", "marital-status", "education", "native-country", "workclass", "occupation"]
        rng = np.random.default_rng(4)
        adult.select(qi)[rng.integers(0, adult.height, 10_000_000)].write_csv(big)
    cmd = [DATAVISA, "risk", "--file", big, "--quasi",
           "age,sex,race,marital-status,education,native-country,workclass,occupation",
           "--population-size", "100000000", "--format", "json", "--quiet"]
    secs, mib = timed(cmd)
    print(f"classic risk 10M rows x 8 QIs (read + risk): {secs:.1f} s, peak {mib:.0f} MiB")


if __name__ == "__main__":
    main()
