"""Type stubs of the extension module (the engine); use the `datavisa` package's functions."""

from typing import Any, List, Optional

class Error(Exception): ...
class BadInput(Error): ...
class Refused(Error): ...
class Interrupted(Error): ...

class Frame:
    @property
    def rows(self) -> int: ...
    @property
    def columns(self) -> List[str]: ...
    @property
    def name(self) -> str: ...
    @property
    def sha256(self) -> str: ...

def version() -> str: ...
def read_stream(capsule: Any, name: str) -> Frame: ...
def inspect(frame: Frame, top: int = 5) -> str: ...
def scan(frame: Frame, sample: Optional[int] = None, seed: int = 0) -> str: ...
def risk(
    frame: Frame,
    quasi: List[str],
    sensitive: List[str] = ...,
    k: Optional[int] = None,
    threshold: float = 0.2,
    population: Optional[Frame] = None,
    population_size: Optional[float] = None,
    l: Optional[float] = None,
    c: Optional[float] = None,
    t: Optional[float] = None,
    source: Optional[Frame] = None,
    holdout: Optional[Frame] = None,
    samples: int = 10000,
    seed: int = 0,
) -> str: ...
def check(
    frame: Frame,
    quasi: List[str],
    sensitive: List[str] = ...,
    k: Optional[int] = None,
    l: Optional[float] = None,
    l_variant: str = "distinct",
    c: float = 3.0,
    t: Optional[float] = None,
    t_distance: str = "equal",
    avg_risk: Optional[float] = None,
) -> str: ...
def singling_out(
    source: Frame,
    twin: Frame,
    control: Optional[Frame] = None,
    n_attacks: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    mode: str = "multivariate",
    n_cols: int = 3,
    max_attempts: int = 10000000,
    denominator: str = "generated",
    keep_queries: bool = False,
) -> str: ...
def linkability(
    source: Frame,
    twin: Frame,
    aux_a: List[str],
    aux_b: List[str],
    control: Optional[Frame] = None,
    n_attacks: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    n_neighbors: int = 1,
) -> str: ...
def inference(
    source: Frame,
    twin: Frame,
    secret: str,
    aux: List[str] = ...,
    control: Optional[Frame] = None,
    n_attacks: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
    secret_kind: str = "auto",
    tolerance: float = 0.05,
) -> str: ...
def utility(source: Frame, twin: Frame, queries: int = 500, seed: int = 0) -> str: ...
