"""Twins from data frames: generalized to privacy models and differentially private synthetic.
The twin comes back in the input's library (pandas in, pandas out; polars, polars; pyarrow, a
pyarrow Table) with its manifest as a result object."""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Mapping, Optional, Sequence, Union

from . import _datavisa
from ._datavisa import BadInput
from ._frames import frame
from ._results import Result, models

PathLike = Union[str, "os.PathLike[str]"]


class Twin(Result):
    """A twin and its manifest. `to_dict()` is the manifest as the CLI prints it with
    `--format json` (with `out`, exactly; in memory, the output is named `<twin>` and its
    `sha256` is the twin's content hash, as a frame's is)."""

    def __init__(self, data: dict, table: Any):
        super().__init__(data)
        self._table = table

    @property
    def table(self) -> Any:
        """The twin, in the input's library."""
        return self._table

    @property
    def kind(self) -> str:
        """generalized_twin or synthetic_twin."""
        return self._data["kind"]

    @property
    def source(self) -> dict:
        """What it was made from: the frame's name and content hash, rows, columns."""
        return dict(self._data["source"])

    @property
    def output(self) -> dict:
        """Where it was written (`<twin>` in memory), its hash, rows and columns."""
        return dict(self._data["output"])

    @property
    def written(self) -> Optional[str]:
        """The manifest's path when the twin was written with `out`, else None."""
        return self._data.get("manifest")


class GeneralizedTwin(Twin):
    """A generalized twin (`datavisa twin generalize`)."""

    @property
    def levels(self) -> dict:
        """The generalization level of each quasi-identifier."""
        return dict(self._data["levels"])

    @property
    def quality(self) -> dict:
        """The information-loss metric and its value."""
        return dict(self._data["quality"])

    @property
    def suppressed(self) -> int:
        """Records suppressed (their quasi-identifiers are `*`)."""
        return self._data["suppressed"]

    @property
    def classes(self) -> int:
        """Equivalence classes kept."""
        return self._data["classes"]

    @property
    def models(self) -> list:
        """What each privacy model achieves and whether it holds."""
        return list(self._data["models"])


class SyntheticTwin(Twin):
    """A differentially private synthetic twin (`datavisa twin synthesize`)."""

    @property
    def privacy(self) -> dict:
        """The budget (epsilon, delta, rho) and its ledger."""
        return dict(self._data["privacy"])

    @property
    def seed(self) -> Optional[int]:
        """The seed of every random step, if one was given."""
        return self._data.get("seed")


def _like(data: Any, twin: Any) -> Any:
    """`twin` (an Arrow C stream) as a table of `data`'s library."""
    import pyarrow as pa

    table = pa.table(twin)
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return table.to_pandas()
    if module == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table


def _is_path(v: Any) -> bool:
    return isinstance(v, (str, os.PathLike))


def _out(out: Optional[PathLike]) -> Optional[str]:
    return None if out is None else os.fspath(out)


def generalize(
    data: Any,
    *,
    quasi: Sequence[str],
    k: Optional[int] = None,
    suppression: float = 0.0,
    hierarchies: Optional[Mapping[str, Any]] = None,
    sensitive: Sequence[str] = (),
    l: Optional[float] = None,  # noqa: E741 (the model's name)
    l_variant: str = "distinct",
    c: float = 3.0,
    t: Optional[float] = None,
    t_distance: str = "equal",
    avg_risk: Optional[float] = None,
    metric: str = "loss",
    search: str = "auto",
    max_checks: int = 2000,
    time_limit: float = 60.0,
    out: Optional[PathLike] = None,
) -> GeneralizedTwin:
    """The generalized twin of `data`: the transformation of the quasi-identifiers that loses
    least while k-anonymity (and l-diversity, t-closeness, an average-risk bound when given)
    holds with at most `suppression` of the records suppressed. `hierarchies` maps a column to
    an ARX hierarchy file or a data frame laid out as one (the value in the first column, then
    one column per level up to the root); other columns get one chosen from their type. With
    `out`, the twin and its manifest are written there as the CLI writes them."""
    files, frames = [], []
    for column, h in (hierarchies or {}).items():
        if _is_path(h):
            files.append((column, os.fspath(h)))
        else:
            frames.append((column, frame(h, f"hierarchy:{column}")))
    text, twin = _datavisa.generalize(
        frame(data, "frame"),
        list(quasi),
        models(k, l, l_variant, c, t, t_distance, avg_risk, suppression),
        list(sensitive),
        files,
        frames,
        metric,
        search,
        max_checks,
        time_limit,
        _out(out),
    )
    return GeneralizedTwin(json.loads(text), _like(data, twin))


def _domain_json(column: str, d: Any) -> str:
    """A column's domain as the JSON of a spec's `domain = { … }`: a list is its categories."""
    if isinstance(d, (list, tuple)):
        d = {"categories": list(d)}
    if not isinstance(d, Mapping):
        raise BadInput(
            f"domain of column {column!r}: give a list of categories or a dict of "
            f"categories/min/max/bins/edges/decimals, not {type(d).__name__}"
        )
    try:
        return json.dumps(dict(d))
    except (TypeError, ValueError) as e:
        raise BadInput(f"domain of column {column!r}: {e}") from None


def synthesize(
    data: Any,
    *,
    domain: Union[PathLike, Mapping[str, Any]],
    epsilon: float,
    method: str = "mst",
    seed: Optional[int] = None,
    rows: Optional[int] = None,
    delta: float = 1e-9,
    dp_domain: bool = False,
    drop: Sequence[str] = (),
    iterations: Optional[int] = None,
    out: Optional[PathLike] = None,
) -> SyntheticTwin:
    """A differentially private synthetic twin of `data` (MST or AIM) under budget `epsilon`.
    `domain` is a spec file, or a dict of each column's public domain: a list of its categories
    or a dict as a spec's `domain = { … }` (categories, min, max, bins, edges, decimals). With
    `seed` the run is reproducible; with `out` the twin and its manifest are written there as
    the CLI writes them."""
    if _is_path(domain):
        spec, columns = os.fspath(domain), []
    elif isinstance(domain, Mapping):
        spec, columns = None, [(str(c), _domain_json(str(c), d)) for c, d in domain.items()]
    else:
        raise BadInput(f"domain: give a spec file or a dict, not {type(domain).__name__}")
    text, twin, notes = _datavisa.synthesize(
        frame(data, "frame"),
        epsilon,
        spec,
        columns,
        method,
        delta,
        rows,
        seed,
        dp_domain,
        list(drop),
        iterations,
        _out(out),
    )
    for note in notes:
        # About the real data (values outside a declared domain): for the caller's eyes only,
        # never in the manifest.
        warnings.warn(note, UserWarning, stacklevel=2)
    return SyntheticTwin(json.loads(text), _like(data, twin))
