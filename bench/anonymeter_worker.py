"""Runs one Anonymeter 1.1.0 attack in a fresh process (so its numba compile time is included)
and prints the result as one JSON line. Used by bench/anonymeter_parity.py only."""
import json
import random
import sys

import numpy as np
import pandas as pd
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

NOTEBOOK_A = ["type_employer", "education", "hr_per_week", "capital_loss", "capital_gain"]
NOTEBOOK_B = ["race", "sex", "fnlwgt", "age", "country"]


def main():
    attack, source, twin, control, n, seed = sys.argv[1:7]
    n, seed = int(n), int(seed)
    np.random.seed(seed)
    random.seed(seed)
    ori, syn, ctl = pd.read_csv(source), pd.read_csv(twin), pd.read_csv(control)
    if attack in ("so-uni", "so-multi"):
        ev = SinglingOutEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=n, n_cols=3, seed=seed)
        ev.evaluate(mode="univariate" if attack == "so-uni" else "multivariate")
    elif attack == "link":
        ev = LinkabilityEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=n,
                                  aux_cols=(NOTEBOOK_A, NOTEBOOK_B), n_neighbors=10)
        ev.evaluate(n_jobs=-2)
    else:
        secret = attack.split(":", 1)[1]
        aux = [c for c in ori.columns if c != secret]
        ev = InferenceEvaluator(ori=ori, syn=syn, control=ctl, aux_cols=aux, secret=secret, n_attacks=n)
        ev.evaluate(n_jobs=-2)
    r = ev.risk(confidence_level=0.95)
    res = ev.results(confidence_level=0.95)
    print(json.dumps({
        "risk": float(r.value), "ci": [float(x) for x in r.ci],
        "attack_rate": [float(x) for x in res.attack_rate], "baseline_rate": [float(x) for x in res.baseline_rate],
        "control_rate": None if res.control_rate is None else [float(x) for x in res.control_rate],
        "n_success": float(res.n_success), "n_baseline": float(res.n_baseline),
        "n_control": None if res.n_control is None else float(res.n_control),
    }))


if __name__ == "__main__":
    main()
