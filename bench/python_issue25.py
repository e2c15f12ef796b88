"""Issue 25's benchmark: datavisa's Python package against Anonymeter 1.1.0 in one Python
process, on the same DataFrames (setup B of the attack spec: source and control the two halves
of adults_control.csv, the twin adults_syn_ctgan.csv), then datavisa on a 1,000,000-row pandas
frame. Peak memory per call is measured in a fresh process per tool and attack (after a small
warm-up run of the same attack): the resident set's high-water mark (VmHWM, reset after the
warm-up) above the resident set just before the call, Python's and Rust's allocations alike. The 1M-row runs' peaks are the highest
resident set seen above the one at the call's start (sampled every millisecond).

Run by bench/python_issue25.sh (which makes the venv with Anonymeter and builds the package in
release mode). Prints a Markdown table and writes bench/out/issue25.json."""

import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(os.environ.get("DATAVISA_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")) / "anonymeter"
AUX = (
    ["type_employer", "education", "hr_per_week", "capital_loss", "capital_gain"],
    ["race", "sex", "fnlwgt", "age", "country"],
)


def frames():
    real = pd.read_csv(DATA / "adults_control.csv")
    ori = real.sample(frac=0.5, random_state=1)
    control = real.drop(ori.index).reset_index(drop=True)
    syn = pd.read_csv(DATA / "adults_syn_ctgan.csv")
    return ori.reset_index(drop=True), syn, control


def cases(n):
    """(label, constructor arguments, evaluate arguments) of the attacks at n attacks."""
    ori, syn, control = frames()
    inf_aux = [c for c in ori.columns if c != "income"]
    return [
        ("singling out, univariate", "SinglingOutEvaluator",
         dict(ori=ori, syn=syn, control=control, n_attacks=n), dict(mode="univariate")),
        ("singling out, multivariate (n_cols 3)", "SinglingOutEvaluator",
         dict(ori=ori, syn=syn, control=control, n_attacks=n), dict(mode="multivariate")),
        ("linkability (notebook aux split, k = 10)", "LinkabilityEvaluator",
         dict(ori=ori, syn=syn, control=control, n_attacks=n, aux_cols=AUX, n_neighbors=10), {}),
        ("inference (secret income, 14 aux)", "InferenceEvaluator",
         dict(ori=ori, syn=syn, control=control, n_attacks=n, aux_cols=inf_aux, secret="income"), {}),
    ]


def module(tool):
    if tool == "anonymeter":
        from anonymeter import evaluators

        return evaluators
    import datavisa.anonymeter

    return datavisa.anonymeter


PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakRss:
    """The highest resident set size above the one at entry, while the block runs."""

    def __enter__(self):
        self.start = self.peak = rss()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self):
        while not self.done.wait(0.001):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, rss())
        self.mib = (self.peak - self.start) / 2**20


def run(tool, cls, kwargs, ev_args):
    # Construction and evaluation both: each tool prepares its tables in one or the other.
    t = time.perf_counter()
    ev = getattr(module(tool), cls)(**kwargs)
    ev.evaluate(**ev_args)
    secs = time.perf_counter() - t
    r = ev.risk()
    return secs, r.value, r.ci


REPEATS = 3


def median_run(tool, cls, kwargs, ev_args):
    """The run of median time among REPEATS (the same seeded result each time for datavisa)."""
    runs = sorted((run(tool, cls, kwargs, ev_args) for _ in range(REPEATS)), key=lambda r: r[0])
    return runs[REPEATS // 2]


def warm_up(tool, cls, kwargs, ev_args):
    """One small run of the same attack, so imports and compiled code (Anonymeter's numba)
    are in place before anything is measured."""
    small = {k: (v.head(300) if isinstance(v, pd.DataFrame) else v) for k, v in kwargs.items()}
    small["n_attacks"] = 20
    run(tool, cls, small, ev_args)


def peak_mib(tool, index, n):
    """The memory one call needs: a fresh process warms up, then its resident set's high-water
    mark (VmHWM, reset after the warm-up) above the resident set just before the call."""
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--memory", tool, str(index), str(n)],
        check=True, capture_output=True, text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def high_water():
    """The resident set's high-water mark (VmHWM), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_child(tool, index, n):
    label, cls, kwargs, ev_args = cases(n)[index]
    warm_up(tool, cls, kwargs, ev_args)
    # Start the high-water mark afresh at the current resident set (clear_refs 5).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = rss()
    run(tool, cls, kwargs, ev_args)
    print((high_water() - before) / 2**20)


def million():
    """datavisa on 1,000,000 rows: the source resampled from the real rows with jittered numbers."""
    import datavisa

    real = pd.read_csv(DATA / "adults_control.csv")
    rng = np.random.default_rng(0)
    big = real.sample(n=1_000_000, replace=True, random_state=0).reset_index(drop=True)
    big["age"] = (big["age"] + rng.integers(-2, 3, len(big))).clip(17, 90)
    big["fnlwgt"] = big["fnlwgt"] + rng.integers(-500, 501, len(big))
    twin = big.sample(n=100_000, random_state=1).reset_index(drop=True)
    out = {}

    def timed(label, work):
        with PeakRss() as mem:
            t = time.perf_counter()
            value = work()
            secs = time.perf_counter() - t
        out[label] = dict(seconds=secs, peak_mib=mem.mib)
        return value

    f = timed("frame (pandas -> datavisa, 1M x 15)", lambda: datavisa.frame(big, "source"))
    timed("classic risk, 5 quasi-identifiers",
          lambda: datavisa.risk(f, quasi=["age", "sex", "race", "education", "marital"]))
    timed("inference, 2,000 targets against a 100,000-row twin",
          lambda: datavisa.attack.inference(f, twin, secret="income",
                                            aux=["age", "sex", "race", "education"], n_attacks=2000))
    timed("singling out, univariate, 500 queries, the 1M rows as twin and source",
          lambda: datavisa.attack.singling_out(f, f, n_attacks=500, mode="univariate"))
    return out


def main():
    import anonymeter
    import datavisa

    rows = []
    for n in (500, 2000):
        for index, (label, cls, kwargs, ev_args) in enumerate(cases(n)):
            if n == 2000 and "multivariate" in label:
                continue  # Anonymeter takes minutes per run here (issue 3)
            warm_up("datavisa", cls, kwargs, ev_args)
            warm_up("anonymeter", cls, kwargs, ev_args)
            d = median_run("datavisa", cls, kwargs, ev_args) + (peak_mib("datavisa", index, n),)
            a = median_run("anonymeter", cls, kwargs, ev_args) + (peak_mib("anonymeter", index, n),)
            overlap = d[2][0] <= a[2][1] and a[2][0] <= d[2][1]
            rows.append(dict(attack=label, n_attacks=n, datavisa_s=d[0], anonymeter_s=a[0],
                             speedup=a[0] / d[0], datavisa_risk=[d[1], *d[2]],
                             anonymeter_risk=[a[1], *a[2]], overlap=overlap,
                             datavisa_peak_mib=d[3], anonymeter_peak_mib=a[3]))
            print(f"{label} n={n}: datavisa {d[0]:.3f} s {d[3]:.0f} MiB, anonymeter {a[0]:.2f} s "
                  f"{a[3]:.0f} MiB, {a[0] / d[0]:.0f}x, overlap {overlap}", file=sys.stderr, flush=True)
    big = million()
    result = dict(datavisa=datavisa.__version__, anonymeter=getattr(anonymeter, "__version__", "1.1.0"),
                  cores=os.cpu_count(), rows=rows, million=big)
    Path(__file__).with_name("out").mkdir(exist_ok=True)
    Path(__file__).with_name("out").joinpath("issue25.json").write_text(json.dumps(result, indent=2))
    print("| attack | n_attacks | datavisa risk [CI] | Anonymeter risk [CI] | overlap | datavisa s | Anonymeter s | speed-up | datavisa peak MiB | Anonymeter peak MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        f = lambda x: f"{x[0]:.4f} [{x[1]:.4f}, {x[2]:.4f}]"
        print(f"| {r['attack']} | {r['n_attacks']} | {f(r['datavisa_risk'])} | {f(r['anonymeter_risk'])} | "
              f"{'yes' if r['overlap'] else 'no'} | {r['datavisa_s']:.3f} | {r['anonymeter_s']:.2f} | {r['speedup']:.0f}x | "
              f"{r['datavisa_peak_mib']:.0f} | {r['anonymeter_peak_mib']:.0f} |")
    print()
    for k, v in big.items():
        print(f"- {k}: {v['seconds']:.2f} s, peak {v['peak_mib']:.0f} MiB above the start")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        memory_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
