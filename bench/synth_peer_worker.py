"""One SmartNoise Synth 1.0.8 run (peer, for comparison only): fit + sample, write CSV.

usage: synth_peer_worker.py METHOD EPS SEED INPUT OUTPUT [ROUNDS]
Same preprocessing as datavisa's: every column categorical, age one cell per value. mbi 1.1.0's
default sampler hands values out in row order (the bug measured in specs/synthesis.md §2), so
this worker switches it to i.i.d. sampling, the variant that works.
"""
import sys, time, random
import numpy as np
import pandas as pd
from mbi.markov_random_field import MarkovRandomField

_orig = MarkovRandomField.synthetic_data
MarkovRandomField.synthetic_data = lambda self, rows=None, method="sample": _orig(self, rows, "sample")

from snsynth import Synthesizer

method, eps, seed, inp, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
random.seed(seed)
np.random.seed(seed)
df = pd.read_csv(inp, sep=";", dtype=str)
kw = {"epsilon": eps, "delta": 1e-9}
if method == "aim" and len(sys.argv) > 6:
    kw["rounds"] = int(sys.argv[6])
synth = Synthesizer.create(method, **kw)
t0 = time.time()
synth.fit(df, categorical_columns=list(df.columns), preprocessor_eps=0.0)
t1 = time.time()
res = synth.sample(len(df))
t2 = time.time()
res.to_csv(out, index=False)
print(f"fit {t1 - t0:.2f} sample {t2 - t1:.2f}", file=sys.stderr)
