"""datavisa from Python: data frames in (pandas, polars, pyarrow), the CLI's results out.

    import datavisa
    r = datavisa.risk(df, quasi=["age", "zip"], sensitive=["diagnosis"])
    r.k, r.prosecutor["highest"]
    link = datavisa.attack.linkability(source, twin, aux_a=["age"], aux_b=["zip"], seed=3)
    link.risk            # Interval(value, low, high)
    twin = datavisa.generalize(df, quasi=["age", "zip"], k=5, hierarchies={"zip": "zip.csv"})
    twin.table, twin.levels   # the twin in df's library, and its manifest's figures

Every function runs the engine the CLI runs, with the CLI's defaults, and its result's
`to_dict()` is what the CLI prints with `--format json` (but for the names of the inputs).
The work runs without the GIL; Ctrl-C stops it (`datavisa.Interrupted`)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _datavisa
from . import anonymeter, attack
from ._datavisa import BadInput, Error, Frame, Interrupted, Refused
from ._frames import frame
from ._workspace import Record, Records, Workspace
from ._results import models as _models
from ._twins import GeneralizedTwin, SyntheticTwin, Twin, generalize, synthesize
from ._results import (
    AttackResult,
    CheckReport,
    Inspection,
    Interval,
    Rate,
    Result,
    RiskReport,
    ScanReport,
    UtilityReport,
)

__version__ = _datavisa.version()

__all__ = [
    "AttackResult",
    "BadInput",
    "CheckReport",
    "Error",
    "Frame",
    "GeneralizedTwin",
    "Inspection",
    "Interrupted",
    "Interval",
    "Rate",
    "Record",
    "Records",
    "Refused",
    "Result",
    "RiskReport",
    "ScanReport",
    "SyntheticTwin",
    "Twin",
    "UtilityReport",
    "Workspace",
    "anonymeter",
    "attack",
    "check",
    "frame",
    "generalize",
    "inspect",
    "risk",
    "scan",
    "synthesize",
    "utility",
]


def _opt(data: Any, name: str) -> Optional[Frame]:
    return None if data is None else frame(data, name)


def inspect(data: Any, *, top: int = 5) -> Inspection:
    """Each column's type (with its evidence), missing share and `top` values."""
    return Inspection._of(_datavisa.inspect(frame(data, "frame"), top))


def scan(data: Any, *, sample: Optional[int] = None, seed: int = 0) -> ScanReport:
    """Personal information and sensitive categories per column, with evidence."""
    return ScanReport._of(_datavisa.scan(frame(data, "frame"), sample, seed))


def risk(
    data: Any,
    *,
    quasi: Sequence[str],
    sensitive: Sequence[str] = (),
    k: Optional[int] = None,
    threshold: float = 0.2,
    population: Any = None,
    population_size: Optional[float] = None,
    l: Optional[float] = None,  # noqa: E741 (the model's name)
    c: Optional[float] = None,
    t: Optional[float] = None,
    source: Any = None,
    holdout: Any = None,
    samples: int = 10_000,
    seed: int = 0,
) -> RiskReport:
    """Classic risk on the quasi-identifiers: equivalence classes, k, prosecutor, journalist
    and marketer risk, uniqueness; l-diversity and t-closeness of the sensitive columns; with
    `source` (the twin's training data), distances to it (DCR, NNDR, exact copies)."""
    return RiskReport._of(
        _datavisa.risk(
            frame(data, "frame"),
            list(quasi),
            list(sensitive),
            k,
            threshold,
            _opt(population, "population"),
            population_size,
            l,
            c,
            t,
            _opt(source, "source"),
            _opt(holdout, "holdout"),
            samples,
            seed,
        )
    )


def check(
    data: Any,
    *,
    quasi: Sequence[str],
    sensitive: Sequence[str] = (),
    k: Optional[int] = None,
    l: Optional[float] = None,  # noqa: E741
    l_variant: str = "distinct",
    c: float = 3.0,
    t: Optional[float] = None,
    t_distance: str = "equal",
    avg_risk: Optional[float] = None,
) -> CheckReport:
    """Whether the table as it is satisfies k-anonymity, l-diversity, t-closeness and an
    average-risk bound, with the classes that break them."""
    models = _models(k, l, l_variant, c, t, t_distance, avg_risk, 0.0)
    return CheckReport._of(
        _datavisa.check(frame(data, "frame"), list(quasi), models, list(sensitive))
    )


def utility(source: Any, twin: Any, *, queries: int = 500, seed: int = 0) -> UtilityReport:
    """How well `twin` keeps `source`'s column distributions, pair associations and counts."""
    return UtilityReport._of(
        _datavisa.utility(frame(source, "source"), frame(twin, "twin"), queries, seed)
    )
