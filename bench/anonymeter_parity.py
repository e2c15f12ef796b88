"""Issue 3: datavisa's attacks side by side with Anonymeter 1.1.0 on the same inputs.

Setup B of ../shared/specs/anonymeter-attacks.md: source = a random half of adults_control,
control = the other half (same size, so Anonymeter's size-correction bug is not triggered),
twin = adults_syn_ctgan (39,040 rows). Each attack with the spec's example parameters, for
n_attacks 500 and 2000 and several seeds: risk intervals must overlap; wall times (Anonymeter in a
fresh process, import and numba compile included) give the speed ratio.

Usage: python bench/anonymeter_parity.py [--seeds 1,2,3] [--quick] [--out bench/out/parity.jsonl]
(run with the interpreter of bench/setup-anonymeter-venv.sh; datavisa from target/release).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "..", "shared", "data", "anonymeter")
DATAVISA = os.path.join(ROOT, "target", "release", "datavisa")
A = "type_employer,education,hr_per_week,capital_loss,capital_gain"
B = "race,sex,fnlwgt,age,country"


def split(out):
    ctl = pd.read_csv(os.path.join(DATA, "adults_control.csv"))
    idx = np.random.default_rng(2024).permutation(len(ctl))
    half = len(ctl) // 2
    src, con = os.path.join(out, "B_source.csv"), os.path.join(out, "B_control.csv")
    ctl.iloc[np.sort(idx[:half])].to_csv(src, index=False)
    ctl.iloc[np.sort(idx[half:2 * half])].to_csv(con, index=False)
    return src, os.path.join(DATA, "adults_syn_ctgan.csv"), con


def datavisa_args(attack, src, twin, con, n, seed):
    common = ["--source", src, "--twin", twin, "--control", con, "--n-attacks", str(n),
              "--seed", str(seed), "--format", "json", "--quiet"]
    if attack == "so-uni":
        return ["attack", "singling-out", "--mode", "univariate"] + common
    if attack == "so-multi":
        return ["attack", "singling-out", "--mode", "multivariate", "--n-cols", "3"] + common
    if attack == "link":
        return ["attack", "linkability", "--aux-a", A, "--aux-b", B, "--n-neighbors", "10"] + common
    return ["attack", "inference", "--secret", attack.split(":", 1)[1]] + common


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        return None, secs, p.stderr.strip().splitlines()[-1:] or ["failed"]
    return json.loads(p.stdout.strip().splitlines()[-1] if cmd[0] == sys.executable else p.stdout), secs, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--sizes", default="500,2000")
    ap.add_argument("--attacks", default="so-uni,so-multi,link,inf:income")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "parity.jsonl"))
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    src, twin, con = split(os.path.dirname(args.out))
    worker = os.path.join(HERE, "anonymeter_worker.py")
    with open(args.out, "a") as log:
        for attack in args.attacks.split(","):
            for n in map(int, args.sizes.split(",")):
                for seed in map(int, args.seeds.split(",")):
                    ours, t_ours, err_ours = timed([DATAVISA] + datavisa_args(attack, src, twin, con, n, seed))
                    theirs, t_theirs, err_theirs = timed([sys.executable, worker, attack, src, twin, con, str(n), str(seed)])
                    row = {"attack": attack, "n_attacks": n, "seed": seed,
                           "datavisa": None if ours is None else {"risk": ours["risk"]["value"], "ci": ours["risk"]["ci"],
                                                               "attack_rate": ours["attack_rate"]["value"],
                                                               "control_rate": ours["control_rate"]["value"],
                                                               "baseline_rate": ours["baseline_rate"]["value"]},
                           "anonymeter": theirs, "secs_datavisa": t_ours, "secs_anonymeter": t_theirs,
                           "errors": [e for e in (err_ours, err_theirs) if e]}
                    if ours and theirs:
                        lo = max(ours["risk"]["ci"][0], theirs["ci"][0])
                        hi = min(ours["risk"]["ci"][1], theirs["ci"][1])
                        row["overlap"] = lo <= hi
                    print(json.dumps(row), flush=True)
                    log.write(json.dumps(row) + "\n")
                    log.flush()


if __name__ == "__main__":
    main()
