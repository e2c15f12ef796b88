"""Result objects: the JSON the CLI prints with `--format json`, as typed attributes, as a
dict (`to_dict`) and as JSON text (`to_json`), with tables as pandas DataFrames."""

from __future__ import annotations

import copy
import gc
import json
from typing import Any, NamedTuple, Optional


class Interval(NamedTuple):
    """A value with its confidence interval."""

    value: float
    low: float
    high: float


class Rate(NamedTuple):
    """A success rate with the half-width of its interval (Anonymeter's `SuccessRate`)."""

    value: float
    error: float


def parse(text: str) -> Any:
    """The engine's JSON as Python objects, with the cycle collector paused: parsing makes many
    containers and no cycles, and a large result would otherwise set off collections."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    finally:
        if paused:
            gc.enable()


class Result:
    """A datavisa result: the CLI's JSON, read-only."""

    def __init__(self, data: dict):
        self._data = data

    @classmethod
    def _of(cls, text: str) -> "Result":
        return cls(parse(text))

    def to_dict(self) -> dict:
        """The result as the CLI's JSON object (a copy)."""
        return copy.deepcopy(self._data)

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The result as the CLI's JSON text."""
        return json.dumps(self._data, indent=indent, ensure_ascii=False)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: str) -> bool:
        return key in self._data

    @property
    def tool(self) -> dict:
        """The tool and version that made it."""
        return dict(self._data.get("tool", {}))

    def __repr__(self) -> str:
        keys = ", ".join(list(self._data)[:6])
        return f"{type(self).__name__}({keys}, …)"


def models(
    k: Optional[int],
    l: Optional[float],  # noqa: E741 (the model's name)
    l_variant: str,
    c: float,
    t: Optional[float],
    t_distance: str,
    avg_risk: Optional[float],
    suppression: float,
) -> dict:
    """The privacy models as the engine takes them, keyed by the CLI's flag names."""
    return {
        "k": k, "l": l, "l_variant": l_variant, "c": c, "t": t,
        "t_distance": t_distance, "avg_risk": avg_risk, "suppression": suppression,
    }


def _frame_of(rows: list) -> Any:
    import pandas as pd

    return pd.DataFrame(rows)


class Inspection(Result):
    """Each column's type, missing share and top values (`datavisa inspect`)."""

    @property
    def rows(self) -> int:
        return self._data["rows"]

    def columns(self) -> Any:
        """The column profiles as a DataFrame."""
        return _frame_of(self._data["columns"])


class ScanReport(Result):
    """The personal information found per column, with evidence (`datavisa scan`)."""

    def columns(self) -> Any:
        """One row per column: its kind, role, sensitive category, confidence and evidence."""
        return _frame_of(self._data["columns"])


class RiskReport(Result):
    """Classic re-identification risk (`datavisa risk`)."""

    @property
    def k(self) -> int:
        """The smallest equivalence class."""
        return self._data["k"]

    @property
    def prosecutor(self) -> dict:
        return dict(self._data["prosecutor"])

    @property
    def journalist(self) -> dict:
        return dict(self._data["journalist"])

    @property
    def marketer(self) -> float:
        return self._data["marketer"]

    @property
    def sample_uniqueness(self) -> float:
        return self._data["sample_uniqueness"]


class CheckReport(Result):
    """A table checked against privacy models (`datavisa check`)."""

    @property
    def satisfied(self) -> bool:
        """Whether every model asked for holds."""
        return bool(self._data["satisfied"])


class AttackResult(Result):
    """An attack's rates and risk (`datavisa attack …`)."""

    @property
    def risk(self) -> Interval:
        r = self._data["risk"]
        return Interval(r["value"], r["ci"][0], r["ci"][1])

    def _rate(self, key: str) -> Optional[Rate]:
        r = self._data.get(key)
        return None if r is None else Rate(r["value"], r["error"])

    @property
    def attack_rate(self) -> Rate:
        return self._rate("attack_rate")

    @property
    def baseline_rate(self) -> Rate:
        return self._rate("baseline_rate")

    @property
    def control_rate(self) -> Optional[Rate]:
        return self._rate("control_rate")

    @property
    def n_attacks(self) -> int:
        return self._data["n_attacks"]

    @property
    def seed(self) -> int:
        return self._data["seed"]


class UtilityReport(Result):
    """How well a twin keeps its source (`datavisa utility`)."""

    @property
    def score(self) -> float:
        return self._data["score"]

    def columns(self) -> Any:
        """The per-column scores as a DataFrame."""
        return _frame_of(self._data["columns"])
