"""The Anonymeter drop-in: Anonymeter's documented example flow with only the import changed,
on the shared Adult data (source and control two halves of the real rows, the twin CTGAN's
synthetic rows: a null case, every risk interval should hold 0), a copy of the source as the
twin (a non-null case), and the rates against the engine's own at the evaluated level."""

import math
import os
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

# The only line a user changes:
from datavisa.anonymeter import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

DATA = Path(os.environ.get("DATAVISA_SHARED_DATA", "../../../shared/data")) / "anonymeter"


@pytest.fixture(scope="module")
def adults():
    if not (DATA / "adults_control.csv").is_file():
        pytest.skip(f"no shared Adult data at {DATA}")
    real = pd.read_csv(DATA / "adults_control.csv")
    ori = real.sample(frac=0.5, random_state=1)
    control = real.drop(ori.index)
    syn = pd.read_csv(DATA / "adults_syn_ctgan.csv")
    return ori.reset_index(drop=True), syn, control.reset_index(drop=True)


def test_anonymeters_example_flow_runs_unchanged(adults):
    ori, syn, control = adults
    # Singling out, univariate then multivariate (the README's and the notebook's calls).
    evaluator = SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=500)
    evaluator.evaluate(mode="univariate")
    risk = evaluator.risk()
    assert 0.0 <= risk.ci[0] <= risk.value <= risk.ci[1] <= 1.0
    res = evaluator.results()
    assert res.attack_rate.error > 0 and res.control_rate is not None
    assert res.baseline_rate.value >= 0
    queries = evaluator.queries()
    assert isinstance(queries, list) and all(isinstance(q, pl.Expr) for q in queries)
    assert len(queries) == round(res.n_success)
    baseline = evaluator.queries(baseline=True)
    assert len(baseline) == round(res.n_baseline)
    # As Anonymeter's: each successful query singles out one row of the (deduplicated) source.
    source = pl.from_pandas(ori, nan_to_null=True).unique()
    assert queries and all(source.filter(q).height == 1 for q in queries + baseline)
    evaluator = SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=100, n_cols=4)
    evaluator.evaluate(mode="multivariate")
    assert evaluator.risk().ci[0] == 0.0  # a null case: the interval holds 0

    aux_cols = [
        ["type_employer", "education", "hr_per_week", "capital_loss", "capital_gain"],
        ["race", "sex", "fnlwgt", "age", "country"],
    ]
    evaluator = LinkabilityEvaluator(
        ori=ori, syn=syn, control=control, n_attacks=2000, aux_cols=aux_cols, n_neighbors=10
    )
    evaluator.evaluate(n_jobs=-2)
    assert evaluator.risk().ci[0] == 0.0
    seven = evaluator.risk(n_neighbors=7)
    assert 0.0 <= seven.value <= 1.0
    with pytest.raises(ValueError):
        evaluator.risk(n_neighbors=11)

    results = []
    for secret in ["income", "sex", "race"]:
        aux = [c for c in ori.columns if c != secret]
        evaluator = InferenceEvaluator(
            ori=ori, syn=syn, control=control, aux_cols=aux, secret=secret, n_attacks=500
        )
        evaluator.evaluate(n_jobs=-2)
        results.append((secret, evaluator.results()))
    for secret, res in results:
        assert res.risk().ci[0] == 0.0, (secret, res)


def test_a_copied_source_is_found_at_risk(adults):
    ori, _, control = adults
    evaluator = InferenceEvaluator(
        ori=ori, syn=ori, control=control, aux_cols=["age", "fnlwgt", "education", "occupation"],
        secret="income", n_attacks=300,
    )
    evaluator.evaluate()
    assert evaluator.risk().value > 0.3
    link = LinkabilityEvaluator(
        ori=ori, syn=ori, control=control, n_attacks=300,
        aux_cols=(["age", "fnlwgt"], ["education", "occupation", "hr_per_week", "marital"]),
    ).evaluate()
    # Far from the null case's 0: the two halves of what is known join through the copy.
    assert link.risk().ci[0] > 0.15


def test_rates_are_the_engines_and_follow_the_confidence_level(adults):
    ori, syn, control = adults
    ev = InferenceEvaluator(ori=ori, syn=syn, control=control, aux_cols=["age", "sex", "race"],
                            secret="income", n_attacks=400, seed=5).evaluate()
    own = ev.datavisa_result
    res = ev.results(confidence_level=own["confidence"])
    for mine, theirs in [(res.attack_rate, own["attack_rate"]), (res.control_rate, own["control_rate"]),
                         (res.baseline_rate, own["baseline_rate"])]:
        assert mine.value == pytest.approx(theirs["value"], abs=1e-12)
        assert mine.error == pytest.approx(theirs["error"], abs=1e-12)
    r = ev.risk(confidence_level=own["confidence"])
    assert r.value == pytest.approx(own["risk"]["value"], abs=1e-12)
    assert list(r.ci) == pytest.approx(own["risk"]["ci"], abs=1e-12)
    # A wider level widens every interval around the same counts.
    wide = ev.results(confidence_level=0.99)
    assert wide.attack_rate.error > res.attack_rate.error
    # Hand check of the Wilson centre: 0 of 500 at 95% is 0.00381 +- 0.00381.
    from datavisa.anonymeter import _wilson

    z = _wilson(0, 500, 0.95)
    assert z.value == pytest.approx(0.003812, abs=1e-6) and z.error == pytest.approx(z.value, rel=1e-9)
    # Seeded: the same evaluation twice is the same result.
    again = InferenceEvaluator(ori=ori, syn=syn, control=control, aux_cols=["age", "sex", "race"],
                               secret="income", n_attacks=400, seed=5).evaluate()
    assert again.datavisa_result.to_dict() == own.to_dict()


def test_results_before_evaluate_is_an_error(adults):
    ori, syn, _ = adults
    with pytest.raises(RuntimeError, match="evaluate"):
        SinglingOutEvaluator(ori=ori, syn=syn).risk()


def _anonymeter():
    """Anonymeter 1.1.0 from PyPI (in the test venv); required in CI."""
    try:
        from anonymeter import evaluators
    except ImportError:
        if os.environ.get("DATAVISA_REQUIRE_PYTHON") == "1":
            raise
        pytest.skip("anonymeter is not installed")
    return evaluators


def _overlap(a, b):
    return a.ci[0] <= b.ci[1] and b.ci[0] <= a.ci[1]


def test_side_by_side_with_anonymeter_the_intervals_overlap(adults):
    """The same frames through Anonymeter itself and through the drop-in: each risk interval of
    one overlaps the other's (Anonymeter's draws are unseeded, so only the intervals compare)."""
    ev = _anonymeter()
    ori, syn, control = adults
    aux = (["type_employer", "education", "hr_per_week"], ["race", "sex", "age", "country"])
    cases = [
        (
            lambda m: m.SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=200),
            {"mode": "univariate"},
        ),
        (
            lambda m: m.LinkabilityEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=500, aux_cols=aux, n_neighbors=10
            ),
            {},
        ),
        (
            lambda m: m.InferenceEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=500, secret="income",
                aux_cols=["age", "education", "occupation", "sex", "hr_per_week"],
            ),
            {},
        ),
    ]
    import datavisa.anonymeter as dropin

    for make, args in cases:
        theirs = make(ev)
        theirs.evaluate(**args)
        ours = make(dropin)
        ours.evaluate(**args)
        a, b = theirs.risk(), ours.risk()
        assert _overlap(a, b), (type(ours).__name__, a, b)
        ra, rb = theirs.results(), ours.results()
        for x, y in [(ra.attack_rate, rb.attack_rate), (ra.control_rate, rb.control_rate)]:
            assert abs(x.value - y.value) <= x.error + y.error + 1e-9, (type(ours).__name__, x, y)


class _Oracle:
    """An 'inference model' that reads the secret off the target: every guess is right."""

    def __init__(self, secret):
        self.secret = secret

    def predict(self, x):
        return x[self.secret]


class _Constant:
    def __init__(self, value):
        self.value = value

    def predict(self, x):
        return pd.Series([self.value] * len(x), index=x.index)


def test_a_custom_inference_model_makes_the_guesses(adults):
    ori, syn, control = adults
    aux = [c for c in ori.columns if c != "income"]
    oracle = InferenceEvaluator(
        ori=ori, syn=syn, control=None, aux_cols=aux, secret="income", n_attacks=200,
        inference_model=_Oracle("income"),
    ).evaluate()
    res = oracle.results()
    assert res.n_success == 200 and res.n_control is None
    assert res.attack_rate.value > 0.98
    # The baseline still guesses a random synthetic row's secret: about the majority share.
    share = (syn["income"] == syn["income"].mode()[0]).mean()
    assert 0.2 < res.baseline_rate.value < 1.0 and abs(res.n_baseline / 200 - share) < 0.5
    constant = InferenceEvaluator(
        ori=ori, syn=syn, control=control, aux_cols=aux, secret="income", n_attacks=200,
        inference_model=_Constant("no such income"),
    ).evaluate()
    assert constant.results().n_success == 0 and constant.results().n_control == 0
    assert constant.risk().value == 0.0
    # Seeded: the same run again gives the same counts.
    again = InferenceEvaluator(
        ori=ori, syn=syn, control=None, aux_cols=aux, secret="income", n_attacks=200,
        inference_model=_Oracle("income"),
    ).evaluate()
    assert again.results().n_baseline == res.n_baseline
    with pytest.raises(TypeError):
        InferenceEvaluator(ori=ori, syn=syn, aux_cols=aux, secret="income", inference_model=object())
