#!/usr/bin/env python3
"""Issue 8 benchmark: record 1,000,000 people in the ledger (`datavisa ledger record`), then
record the same file again (idempotent) and plan a second, overlapping file. No peer tool does
this; the target is an absolute one (under 30 s on 2 cores).

Usage: python3 bench/ledger_issue8.py [--rows N]   (after `cargo build --release`)
"""
import argparse, json, os, random, shutil, subprocess, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out", "issue8")


def make(path, start, rows, seed):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        f.write("person_id,city,diagnosis\n")
        for i in range(start, start + rows):
            f.write(f"P{i:09d},{rnd.choice(['Shanghai', 'Beijing', 'Shenzhen'])},{'J45' if i % 50 == 0 else ''}\n")


def run(binary, args, cwd):
    t0 = time.perf_counter()
    p = subprocess.run([binary] + args, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "datavisa"))
    a = ap.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    make(os.path.join(OUT, "a.csv"), 0, a.rows, 1)
    make(os.path.join(OUT, "b.csv"), a.rows // 2, a.rows, 2)
    b = a.binary
    run(b, ["ledger", "exporter", "add", "Bench Co."], OUT)
    run(b, ["ledger", "recipient", "add", "Bench SG", "--jurisdiction", "SG"], OUT)
    common = ["--exporter", "Bench Co.", "--recipient", "Bench SG", "--person-column", "person_id",
              "--sensitive-columns", "diagnosis", "--date", "2026-01-15", "--format", "json", "--quiet"]
    t_rec, out = run(b, ["ledger", "record", "--file", "a.csv"] + common, OUT)
    rec = json.loads(out)
    t_again, out = run(b, ["ledger", "record", "--file", "a.csv"] + common, OUT)
    t_plan, out = run(b, ["plan", "--file", "b.csv"] + common, OUT)
    plan = json.loads(out)
    print(json.dumps({
        "rows": a.rows, "cores": os.cpu_count(),
        "record_secs": round(t_rec, 2), "new_ordinary": rec["new_ordinary"], "new_sensitive": rec["new_sensitive"],
        "record_again_secs": round(t_again, 2),
        "plan_overlapping_file_secs": round(t_plan, 2), "plan_counts": plan["counts"], "plan_mechanism": plan["mechanism"],
    }, indent=1))


if __name__ == "__main__":
    main()
