"""A drop-in for Anonymeter 1.1.0's evaluators: change

    from anonymeter.evaluators import SinglingOutEvaluator, LinkabilityEvaluator, InferenceEvaluator

to

    from datavisa.anonymeter import SinglingOutEvaluator, LinkabilityEvaluator, InferenceEvaluator

and the rest of the code runs as it was: the same constructor arguments and defaults,
`evaluate()`, `risk(confidence_level=…)`, `results()` with the attack, baseline and control rates
and their errors, and `queries()`. The engine is datavisa's, with its corrections of the
attack spec, which Anonymeter 1.1.0 does not make:

* every draw is seeded (`seed`, 0 by default), so a run repeats exactly;
* singling out divides by the queries found, not by the attacks asked for, and keeps duplicate
  rows only where Anonymeter keeps them (it drops exact duplicates of each frame);
* the inference baseline guesses a random twin row's secret for each target (Anonymeter
  1.1.0 misaligns the guesses by index label and reports a baseline near 0);
* a control count corrected above the number of attacks is capped instead of crashing.

Rates are Wilson score centres with their half-widths, as Anonymeter's `SuccessRate`; the risk
is `(attack − control) / (1 − control)` with first-order error propagation, clipped to [0, 1].
`confidence_level` may differ between calls: the rates are recomputed from the counts."""

from __future__ import annotations

import functools
import math
import operator
from statistics import NormalDist
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

from . import attack as _attack
from ._frames import frames as _read_frames
from ._results import AttackResult

__all__ = [
    "EvaluationResults",
    "InferenceEvaluator",
    "LinkabilityEvaluator",
    "PrivacyRisk",
    "SinglingOutEvaluator",
    "SuccessRate",
]


class SuccessRate(NamedTuple):
    """A success rate and the half-width of its interval (Anonymeter's)."""

    value: float
    error: float


class PrivacyRisk(NamedTuple):
    """A risk and its confidence interval (Anonymeter's)."""

    value: float
    ci: Tuple[float, float]


def _wilson(k: float, n: float, confidence: float) -> SuccessRate:
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    if n <= 0:
        return SuccessRate(0.0, 1.0)
    k = min(max(k, 0.0), n)
    rate = (k + z * z / 2) / (n + z * z)
    error = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return SuccessRate(rate, error)


def _frames(ori: Any, syn: Any, control: Any) -> Tuple[Any, Any, Any]:
    """The three tables read once, at construction, as Anonymeter prepares its own."""
    if control is None:
        o, s = _read_frames((ori, "ori"), (syn, "syn"))
        return o, s, None
    o, s, c = _read_frames((ori, "ori"), (syn, "syn"), (control, "control"))
    return o, s, c


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)


class EvaluationResults:
    """The three rates of an evaluation at one confidence level (Anonymeter's
    `EvaluationResults`), from the attack's counts."""

    def __init__(self, result: AttackResult, confidence_level: float = 0.95):
        d = result.to_dict()
        attempts = d["attempts"]
        self.n_attacks: int = d["n_attacks"]
        self.n_success: float = d["n_success"]
        self.n_baseline: float = d["n_baseline"]
        self.n_control: Optional[float] = d["n_control"]
        self.confidence_level = confidence_level
        self.attack_rate = _wilson(self.n_success, attempts["main"], confidence_level)
        self.baseline_rate = _wilson(self.n_baseline, attempts["baseline"], confidence_level)
        self.control_rate: Optional[SuccessRate] = (
            None
            if self.n_control is None
            else _wilson(self.n_control, attempts["control"], confidence_level)
        )
        self.result = result

    def risk(self, baseline: bool = False) -> PrivacyRisk:
        """The privacy risk (or, with `baseline=True`, the baseline attack's rate)."""
        if baseline:
            r, e = self.baseline_rate
        elif self.control_rate is None:
            r, e = self.attack_rate
        else:
            m, em = self.attack_rate
            c, ec = self.control_rate
            r = (m - c) / (1 - c)
            e = math.sqrt((em / (1 - c)) ** 2 + (ec * (m - 1) / (1 - c) ** 2) ** 2)
        return PrivacyRisk(_clip(r), (_clip(r - e), _clip(r + e)))

    def __repr__(self) -> str:
        return (
            f"EvaluationResults(attack_rate={self.attack_rate}, "
            f"baseline_rate={self.baseline_rate}, control_rate={self.control_rate})"
        )


class _Evaluator:
    """What the three evaluators share: the result of `evaluate()` and its readings."""

    _result: Optional[AttackResult] = None

    def _evaluated(self) -> AttackResult:
        if self._result is None:
            raise RuntimeError(
                "The evaluation has not been run: call evaluate() before asking for results"
            )
        return self._result

    def results(self, confidence_level: float = 0.95) -> EvaluationResults:
        """The attack, baseline and control rates, with their errors."""
        return EvaluationResults(self._evaluated(), confidence_level)

    def risk(self, confidence_level: float = 0.95, baseline: bool = False) -> PrivacyRisk:
        """The privacy risk with its interval."""
        return self.results(confidence_level).risk(baseline=baseline)

    @property
    def datavisa_result(self) -> AttackResult:
        """The full datavisa result (the CLI's JSON), with its evidence and parameters."""
        return self._evaluated()


class SinglingOutEvaluator(_Evaluator):
    """Can a query on the synthetic data isolate one original record? (Anonymeter's, with a
    `seed`; the success rate divides by the queries found.)"""

    def __init__(
        self,
        ori: Any,
        syn: Any,
        n_attacks: int = 500,
        n_cols: int = 3,
        control: Any = None,
        max_attempts: Optional[int] = 10_000_000,
        *,
        seed: int = 0,
    ):
        self._ori, self._syn, self._control = _frames(ori, syn, control)
        self._n_attacks, self._n_cols = n_attacks, n_cols
        self._max_attempts = 10_000_000 if max_attempts is None else int(max_attempts)
        self._seed = seed

    def evaluate(self, mode: str = "multivariate") -> "SinglingOutEvaluator":
        """Runs the main, baseline and control attacks (`mode`: univariate or multivariate)."""
        self._result = _attack.singling_out(
            self._ori,
            self._syn,
            control=self._control,
            n_attacks=self._n_attacks,
            seed=self._seed,
            mode=mode,
            n_cols=self._n_cols,
            max_attempts=self._max_attempts,
            keep_queries=True,
        )
        return self

    def queries(self, baseline: bool = False) -> List[Any]:
        """The successful queries of the main attack, or with `baseline=True` of the baseline
        (random) attack, as polars expressions like Anonymeter 1.1.0's (`ori.filter(q)` on a
        polars frame singles out one row); as datavisa's text (`age <= 17 and sex == "F"`)
        when polars is not installed. (Anonymeter 1.1.0 itself returns an empty list for the
        baseline: it never fills it.)"""
        details = self._evaluated()["details"]
        prefix = "successful_baseline_query" if baseline else "successful_query"
        try:
            import polars as pl
        except ImportError:
            return list(details[prefix + "s"])
        return [_polars_query(pl, terms) for terms in details[prefix + "_terms"]]


def _polars_query(pl: Any, terms: Sequence[Sequence[Any]]) -> Any:
    """A query's terms (`[column, operator, value]`, all to hold) as one polars expression."""
    parts = []
    for column, op, value in terms:
        c = pl.col(column)
        if op == "is_null":
            parts.append(c.is_null())
        elif op == "is_not_null":
            parts.append(c.is_not_null())
        else:
            parts.append(_COMPARE[op](c, pl.lit(value)))
    return functools.reduce(operator.and_, parts)


_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


class LinkabilityEvaluator(_Evaluator):
    """Can two data sets holding `aux_cols[0]` and `aux_cols[1]` be joined through the synthetic
    data? (Anonymeter's, with a `seed`.)"""

    def __init__(
        self,
        ori: Any,
        syn: Any,
        aux_cols: Tuple[Sequence[str], Sequence[str]],
        n_attacks: Optional[int] = 500,
        n_neighbors: int = 1,
        control: Any = None,
        *,
        seed: int = 0,
    ):
        self._ori, self._syn, self._control = _frames(ori, syn, control)
        self._aux_cols = (list(aux_cols[0]), list(aux_cols[1]))
        self._n_attacks = self._ori.rows if n_attacks is None else n_attacks
        self._n_neighbors = n_neighbors
        self._seed = seed
        self._by_neighbors: dict = {}

    def _run(self, n_neighbors: int) -> AttackResult:
        if n_neighbors not in self._by_neighbors:
            self._by_neighbors[n_neighbors] = _attack.linkability(
                self._ori,
                self._syn,
                aux_a=self._aux_cols[0],
                aux_b=self._aux_cols[1],
                control=self._control,
                n_attacks=self._n_attacks,
                seed=self._seed,
                n_neighbors=n_neighbors,
            )
        return self._by_neighbors[n_neighbors]

    def evaluate(self, n_jobs: int = -2) -> "LinkabilityEvaluator":
        """Runs the attacks (`n_jobs` is accepted for compatibility: datavisa uses every core)."""
        self._result = self._run(self._n_neighbors)
        return self

    def results(
        self, confidence_level: float = 0.95, n_neighbors: Optional[int] = None
    ) -> EvaluationResults:
        """The rates, for the evaluated neighbours or for `n_neighbors` of them (seeded, so the
        same targets are scored)."""
        self._evaluated()
        if n_neighbors is None or n_neighbors == self._n_neighbors:
            return EvaluationResults(self._evaluated(), confidence_level)
        if n_neighbors > self._n_neighbors:
            raise ValueError(
                f"Cannot compute linkability results for `n_neighbors` ({n_neighbors}) larger "
                f"than value used by the evaluator ({self._n_neighbors}). "
            )
        return EvaluationResults(self._run(n_neighbors), confidence_level)

    def risk(
        self,
        confidence_level: float = 0.95,
        baseline: bool = False,
        n_neighbors: Optional[int] = None,
    ) -> PrivacyRisk:
        """The privacy risk with its interval."""
        return self.results(confidence_level, n_neighbors).risk(baseline=baseline)


class InferenceEvaluator(_Evaluator):
    """Can `secret` be inferred from `aux_cols` through the synthetic data? (Anonymeter's, with
    a `seed`; `regression=True` scores a numeric secret within 5% of the truth, relative to the
    truth, where Anonymeter 1.1.0 divides by the guess.)

    `inference_model`, as in Anonymeter, is a model fitted on `syn` with `secret` as target
    that has `predict(x)`: given, it makes the main and control guesses in place of datavisa's
    nearest-neighbour guess, on seeded targets; the baseline still guesses a random synthetic
    row's secret for each target."""

    def __init__(
        self,
        ori: Any,
        syn: Any,
        aux_cols: Sequence[str],
        secret: str,
        regression: Optional[bool] = False,
        n_attacks: int = 500,
        control: Any = None,
        inference_model: Any = None,
        *,
        seed: int = 0,
    ):
        if not isinstance(secret, str):
            raise ValueError("secret must be a single column name")
        if inference_model is not None and not callable(getattr(inference_model, "predict", None)):
            raise TypeError("inference_model must have a predict(x) method")
        self._model = inference_model
        self._tables = (ori, syn, control)
        self._ori, self._syn, self._control = _frames(ori, syn, control)
        if secret not in self._ori.columns:
            raise ValueError(f"secret column '{secret}' not found in ori dataframe")
        self._aux_cols, self._secret = list(aux_cols), secret
        self._kind = "numeric" if regression else "categorical"
        self._n_attacks, self._seed = n_attacks, seed

    def evaluate(self, n_jobs: int = -2) -> "InferenceEvaluator":
        """Runs the attacks (`n_jobs` is accepted for compatibility: datavisa uses every core)."""
        if self._model is not None:
            self._result = _ModelInference(self).run()
            return self
        self._result = _attack.inference(
            self._ori,
            self._syn,
            secret=self._secret,
            aux=self._aux_cols,
            control=self._control,
            n_attacks=self._n_attacks,
            seed=self._seed,
            secret_kind=self._kind,
        )
        return self


class _ModelInference:
    """The inference attack with the caller's model making the guesses: seeded targets, the
    model's guesses scored as datavisa scores its own (exact, or within 5% of a numeric truth;
    missing guessing missing counts), the baseline a random synthetic row's secret."""

    TOLERANCE = 0.05

    def __init__(self, ev: InferenceEvaluator):
        import numpy as np
        import pandas as pd

        self.np, self.pd, self.ev = np, pd, ev
        self.rng = np.random.default_rng(ev._seed)
        ori, syn, control = ev._tables
        self.ori, self.syn = self._pandas(ori), self._pandas(syn)
        self.control = None if control is None else self._pandas(control)

    def _pandas(self, data: Any) -> Any:
        if isinstance(data, self.pd.DataFrame):
            return data
        if hasattr(data, "to_pandas"):
            return data.to_pandas()
        raise TypeError("a custom inference_model needs pandas, polars or pyarrow tables")

    def _targets(self, table: Any) -> Any:
        n = min(self.ev._n_attacks, len(table))
        rows = self.rng.choice(len(table), size=n, replace=False)
        return table.iloc[rows]

    def _score(self, guesses: Any, truth: Any) -> int:
        np, pd = self.np, self.pd
        g, t = np.asarray(guesses, dtype=object), np.asarray(truth, dtype=object)
        if len(g) != len(t):
            raise RuntimeError(
                f"the inference model gave {len(g)} guesses for {len(t)} targets"
            )
        both_missing = pd.isnull(g) & pd.isnull(t)
        if self.ev._kind == "numeric":
            gf = pd.to_numeric(pd.Series(g), errors="coerce").to_numpy(dtype=float)
            tf = pd.to_numeric(pd.Series(t), errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                hit = np.abs(gf - tf) <= self.TOLERANCE * np.abs(tf)
        else:
            hit = np.array([a == b for a, b in zip(g, t)], dtype=bool)
        return int(np.sum(hit | both_missing))

    def _model_hits(self, table: Any) -> Tuple[int, int]:
        targets = self._targets(table)
        guesses = self.ev._model.predict(targets)
        return self._score(guesses, targets[self.ev._secret]), len(targets)

    def run(self) -> AttackResult:
        main, n_main = self._model_hits(self.ori)
        targets = self._targets(self.ori)
        picks = self.rng.choice(len(self.syn), size=len(targets), replace=True)
        secret = self.ev._secret
        base = self._score(self.syn[secret].to_numpy()[picks], targets[secret])
        control, n_control = (None, None) if self.control is None else self._model_hits(self.control)
        return AttackResult(
            {
                "attack": "inference",
                "guesses": "the caller's inference_model",
                "n_attacks": self.ev._n_attacks,
                "seed": self.ev._seed,
                "secret": secret,
                "aux": list(self.ev._aux_cols),
                "n_success": float(main),
                "n_baseline": float(base),
                "n_control": None if control is None else float(control),
                "attempts": {"main": n_main, "baseline": len(targets), "control": n_control},
            }
        )
