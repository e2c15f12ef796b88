#!/usr/bin/env python3
"""Issue 4 benchmark: pseudonymize 1,000,000 rows with three identifier columns (resident ID
by FF1, e-mail by HMAC token, bank card by AES-SIV) with `datavisa twin pseudonymize`, side by
side with Presidio's anonymizer `encrypt` operator (AES-CBC) on the same 3,000,000 values.

Presidio is timed in-process on its operator directly (no engine, no analyzer: the fastest way
to call it); datavisa as a whole command, from reading the CSV to the registered twin, with a
fresh vault (default Argon2id, 64 MiB) each run.

Usage: bench/setup-venv.sh; BENCH_VENV/bin/python bench/pseudonymize_issue4.py [--rows N] [--runs R]
"""
import argparse, json, os, random, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out", "issue4")
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"

SPEC = """
[pseudonymize.id_number]
method = "fpe"
format = "cn_resident_id"
[pseudonymize.email]
method = "token"
[pseudonymize.card]
method = "encrypt"
[pseudonymize.mobile]
method = "keep"
[pseudonymize.amount]
method = "keep"
"""


def make_data(path, rows):
    rnd = random.Random(4)
    with open(path, "w") as f:
        f.write("id_number,mobile,email,card,amount\n")
        for i in range(rows):
            body = "%06d%04d%02d%02d%03d" % (110101 + rnd.randrange(500000), 1940 + rnd.randrange(60),
                                             1 + rnd.randrange(12), 1 + rnd.randrange(28), rnd.randrange(1000))
            c = CHECK[sum(int(x) * w for x, w in zip(body, W)) % 11]
            f.write(f"{body}{c},13{rnd.randrange(10**9):09d},user{i}@example.com,"
                    f"62220200{i:010d},{rnd.randrange(10000) / 100}\n")


def run_datavisa(binary, data, spec, runs):
    env = dict(os.environ, DATAVISA_MASTER_KEY="bench master key")
    out = []
    for r in range(runs):
        store = os.path.join(OUT, f"store-{r}")
        shutil.rmtree(store, ignore_errors=True)
        subprocess.run([binary, "vault", "init", "--store", store], env=env, check=True, capture_output=True)
        twin = os.path.join(OUT, "twin.csv")
        t0 = time.perf_counter()
        p = subprocess.run([binary, "twin", "pseudonymize", data, "-o", twin, "--recipient", "bench",
                            "--spec", spec, "--store", store, "--format", "json", "--quiet"],
                           env=env, check=True, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        m = json.loads(p.stdout)
        out.append({"secs": round(secs, 3), "steps": m["timings_secs"]})
    return out


COLUMNS = ("id_number", "email", "card")


def run_presidio(data, runs):
    """Two timings per run: the operator alone on the 3M values held in memory, and the whole
    job a Presidio user would run (read the CSV, encrypt the three columns, write the CSV)."""
    import csv
    from presidio_anonymizer.operators import Encrypt
    op = Encrypt()
    params = {"key": "0123456789abcdef0123456789abcdef"}  # 256-bit key, as the docs show
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with open(data) as f:
            rows = list(csv.DictReader(f))
        t_read = time.perf_counter()
        for row in rows:
            for c in COLUMNS:
                row[c] = op.operate(row[c], params)
        t_ops = time.perf_counter()
        with open(os.path.join(OUT, "presidio-twin.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
        t_end = time.perf_counter()
        out.append({"operator_secs": round(t_ops - t_read, 3), "whole_secs": round(t_end - t0, 3)})
    return out, len(rows) * len(COLUMNS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--presidio-runs", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "datavisa"))
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    data = os.path.join(OUT, f"people-{a.rows}.csv")
    if not os.path.exists(data):
        make_data(data, a.rows)
    spec = os.path.join(OUT, "spec.toml")
    with open(spec, "w") as f:
        f.write(SPEC)
    dv = run_datavisa(a.binary, data, spec, a.runs)
    pr, n_values = run_presidio(data, a.presidio_runs)
    dv_whole = min(r["secs"] for r in dv)
    dv_ops = min(r["steps"]["transform"] for r in dv)
    pr_ops = min(r["operator_secs"] for r in pr)
    pr_whole = min(r["whole_secs"] for r in pr)
    print(json.dumps({"rows": a.rows, "values": n_values, "cores": os.cpu_count(),
                      "datavisa_runs": dv, "presidio_runs": pr,
                      "operators": {"datavisa_transform_secs": dv_ops, "presidio_encrypt_secs": pr_ops,
                                    "speedup": round(pr_ops / dv_ops, 1)},
                      "whole_job": {"datavisa_secs": dv_whole, "presidio_secs": pr_whole,
                                    "speedup": round(pr_whole / dv_whole, 1)}}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
