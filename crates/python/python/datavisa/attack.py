"""The three attacks of the attack spec, on data frames: what a recipient holding the twin
could do. Seeded (`seed`), with datavisa's corrections (see the attack spec); `control` is a
frame of people of the same population not used to make the twin (strongly recommended: without
it the risk is the raw attack rate)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _datavisa
from ._frames import frame
from ._results import AttackResult


def _control(control: Any) -> Any:
    return None if control is None else frame(control, "control")


def singling_out(
    source: Any,
    twin: Any,
    *,
    control: Any = None,
    n_attacks: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    mode: str = "multivariate",
    n_cols: int = 3,
    max_attempts: int = 10_000_000,
    denominator: str = "generated",
    keep_queries: bool = False,
) -> AttackResult:
    """Can a query on the twin isolate one source record? `denominator="requested"` divides by
    the attacks asked for, as Anonymeter 1.1.0 does; the default divides by those found.
    `keep_queries` records every successful query in `details["successful_queries"]`."""
    return AttackResult._of(
        _datavisa.singling_out(
            frame(source, "source"),
            frame(twin, "twin"),
            _control(control),
            n_attacks,
            confidence,
            seed,
            mode,
            n_cols,
            max_attempts,
            denominator,
            keep_queries,
        )
    )


def linkability(
    source: Any,
    twin: Any,
    *,
    aux_a: Sequence[str],
    aux_b: Sequence[str],
    control: Any = None,
    n_attacks: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    n_neighbors: int = 1,
) -> AttackResult:
    """Can two data sets, one holding `aux_a` and one `aux_b`, be joined through the twin?"""
    return AttackResult._of(
        _datavisa.linkability(
            frame(source, "source"),
            frame(twin, "twin"),
            list(aux_a),
            list(aux_b),
            _control(control),
            n_attacks,
            confidence,
            seed,
            n_neighbors,
        )
    )


def inference(
    source: Any,
    twin: Any,
    *,
    secret: str,
    aux: Optional[Sequence[str]] = None,
    control: Any = None,
    n_attacks: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    secret_kind: str = "auto",
    tolerance: float = 0.05,
) -> AttackResult:
    """Can `secret` be guessed from the columns the attacker knows (`aux`; every other twin
    column when absent)? Numeric guesses within `tolerance` of the truth count."""
    return AttackResult._of(
        _datavisa.inference(
            frame(source, "source"),
            frame(twin, "twin"),
            secret,
            list(aux or []),
            _control(control),
            n_attacks,
            confidence,
            seed,
            secret_kind,
            tolerance,
        )
    )
