"""Type stubs of the extension module (the engine); use the `datavisa` package's functions."""

from typing import Any, Dict, List, Optional, Tuple

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

class TwinTable:
    @property
    def rows(self) -> int: ...
    @property
    def columns(self) -> List[str]: ...
    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...

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
    models: Dict[str, Any],
    sensitive: List[str] = ...,
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
def generalize(
    frame: Frame,
    quasi: List[str],
    models: Dict[str, Any],
    sensitive: List[str] = ...,
    hierarchy_files: List[Tuple[str, str]] = ...,
    hierarchy_frames: List[Tuple[str, Frame]] = ...,
    metric: str = "loss",
    search: str = "auto",
    max_checks: int = 2000,
    time_limit: float = 60.0,
    out: Optional[str] = None,
) -> Tuple[str, TwinTable]: ...
def synthesize(
    frame: Frame,
    epsilon: float,
    domain_spec: Optional[str] = None,
    domain_columns: List[Tuple[str, str]] = ...,
    method: str = "mst",
    delta: float = 1e-9,
    rows: Optional[int] = None,
    seed: Optional[int] = None,
    dp_domain: bool = False,
    drop: List[str] = ...,
    iterations: Optional[int] = None,
    out: Optional[str] = None,
) -> Tuple[str, TwinTable, List[str]]: ...
