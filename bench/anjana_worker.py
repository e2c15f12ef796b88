"""One ANJANA k-anonymity run on ARX's Adult with ARX's hierarchies; prints seconds and rows."""
import json
import sys
import time

import pandas as pd
from anjana.anonymity import k_anonymity

A, k, supp = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
QI = ["age", "sex", "race", "marital-status", "education", "native-country", "workclass", "occupation"]
data = pd.read_csv(f"{A}/adult.csv", sep=";").astype(str)
h = {q: dict(pd.read_csv(f"{A}/adult_hierarchy_{q}.csv", sep=";", header=None, dtype=str)) for q in QI}
t = time.perf_counter()
out = k_anonymity(data, [], QI, k, supp * 100, h)
print(json.dumps({"seconds": time.perf_counter() - t, "rows_out": len(out), "rows_in": len(data)}))
