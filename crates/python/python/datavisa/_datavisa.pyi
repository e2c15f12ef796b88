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

class Workspace:
    """A store directory; each method returns the CLI's `--format json` output as JSON text
    (the reports: the path written, as a JSON string)."""

    def __init__(
        self,
        path_or_url: str,
        *,
        actor: str,
        master_key_file: Optional[str] = None,
        credential_file: Optional[str] = None,
        as_of: Optional[str] = None,
        rules: Optional[str] = None,
    ) -> None: ...
    @property
    def store(self) -> str: ...
    def vault_init(self, kdf_memory_mib: int = 64, kdf_passes: int = 3) -> str: ...
    def vault_status(self) -> str: ...
    def pseudonymize(
        self,
        input: str,
        output: str,
        recipient: str,
        spec: Optional[str] = None,
        output_delimiter: Optional[str] = None,
        output_encoding: Optional[str] = None,
    ) -> str: ...
    def assess(
        self,
        twin: str,
        source: str,
        recipient: str,
        spec: str,
        control: Optional[str] = None,
        kind: Optional[str] = None,
        n_attacks: int = 500,
        max_attacks: int = 16000,
        max_attempts: int = 2000000,
        seed: int = 0,
    ) -> str: ...
    def assessments(
        self, twin: Optional[str] = None, recipient: Optional[str] = None
    ) -> str: ...
    def assessment(self, id: str) -> str: ...
    def issue_visa(
        self,
        assessment: str,
        review_months: Optional[int] = None,
        conditions: Optional[List[str]] = None,
        override_reason: Optional[str] = None,
    ) -> str: ...
    def visas(self, spec: Optional[str] = None) -> str: ...
    def visa(self, id: str) -> str: ...
    def revoke_visa(self, id: str, reason: str) -> str: ...
    def void_visa(self, id: str, reason: str) -> str: ...
    def visa_sent(self, id: str) -> str: ...
    def review_visas(self, spec: str, ids: List[str] = ..., all: bool = False) -> str: ...
    def add_exporter(
        self,
        name: str,
        ciio: bool = False,
        group: Optional[str] = None,
        ftz: Optional[str] = None,
    ) -> str: ...
    def add_recipient(
        self, name: str, jurisdiction: str, legal_name: Optional[str] = None
    ) -> str: ...
    def ledger_record(
        self,
        transfer: Dict[str, Any],
        legal_basis: Optional[str] = None,
        mechanism: Optional[str] = None,
        visa: Optional[str] = None,
    ) -> str: ...
    def plan(
        self,
        transfer: Dict[str, Any],
        important_data: bool = False,
        facts: List[str] = ...,
        storage_location: Optional[str] = None,
    ) -> str: ...
    def ledger_report(self, year: Optional[int] = None) -> str: ...
    def filings(self) -> str: ...
    def due(self, as_of: Optional[str] = None) -> str: ...
    def report_assessment(self, id: str, output: str, lang: str = "en") -> str: ...
    def report_pipia(
        self,
        exporter: str,
        recipient: str,
        output: str,
        year: Optional[int] = None,
        file: Optional[str] = None,
        spec: Optional[str] = None,
        lang: str = "zh",
    ) -> str: ...
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
