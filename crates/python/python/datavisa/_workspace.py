"""`datavisa.Workspace`: the store-backed steps (vault, pseudonymize, assess, visas, ledger,
reports) on a store directory, each the CLI command of the same name with its defaults.

    ws = datavisa.Workspace("store", master_key_file="master.key")
    ws.vault_init()
    twin = ws.pseudonymize("people.csv", "twin.csv", recipient="acme-sg")
    a = ws.assess("twin.csv", "people.csv", "acme-sg", spec="spec.toml")
    visa = ws.issue_visa(a.id)

Results are `Record`s over the JSON the CLI prints with `--format json` (`to_dict`,
`to_json`, attributes), lists of them are `Records`. The master key and the approver
credential are read from the files named, else from DATAVISA_MASTER_KEY and
DATAVISA_APPROVER_CREDENTIAL, as the CLI reads them; they never appear in a result.
Inputs are file paths (the store's records name them)."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from . import _datavisa
from ._results import Result

PathLike = Union[str, "os.PathLike[str]"]


class Record(Result):
    """One result of a store-backed step; its fields are also attributes (`a.verdict`)."""

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_data", {})
        if name in data:
            return data[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._data))


class Records(list):
    """A list of `Record`s (the CLI's JSON array)."""

    @classmethod
    def _of(cls, text: str) -> "Records":
        return cls(Record(x) for x in json.loads(text))

    def to_list(self) -> list:
        """The records as the CLI's JSON array (a copy)."""
        return [r.to_dict() for r in self]

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The records as the CLI's JSON text."""
        return json.dumps(self.to_list(), indent=indent, ensure_ascii=False)


def _actor() -> str:
    """The OS user, as the CLI names the actor in the audit log."""
    try:
        name = getpass.getuser()
    except Exception:  # no user name in the environment nor the password database
        name = ""
    return name.strip() or f"pid:{os.getpid()}"


def _path(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.fspath(p)


class Workspace:
    """A store directory (vault, register and ledger inside it), where its secrets come from,
    who acts (the OS user by default) and which day it is (`as_of`, YYYY-MM-DD; today by
    default). A `scheme://` store is refused (`datavisa.BadInput`) until a server store exists.
    `rules` is a rules file replacing the built-in one (for `plan`, `ledger_report` and the
    PIPIA)."""

    def __init__(
        self,
        path_or_url: PathLike,
        *,
        actor: Optional[str] = None,
        master_key_file: Optional[PathLike] = None,
        credential_file: Optional[PathLike] = None,
        as_of: Optional[str] = None,
        rules: Optional[PathLike] = None,
    ):
        self._ws = _datavisa.Workspace(
            os.fspath(path_or_url),
            actor=actor if actor is not None else _actor(),
            master_key_file=_path(master_key_file),
            credential_file=_path(credential_file),
            as_of=as_of,
            rules=_path(rules),
        )

    @property
    def store(self) -> Path:
        """The store directory."""
        return Path(self._ws.store)

    def __repr__(self) -> str:
        return repr(self._ws)

    # The vault.

    def vault_init(self, *, kdf_memory_mib: int = 64, kdf_passes: int = 3) -> Record:
        """Creates the store's vault under the master key (`vault init`): its id and file."""
        return Record._of(self._ws.vault_init(kdf_memory_mib, kdf_passes))

    def vault_status(self) -> Record:
        """The vault's keys, twins and approvers (`vault status`); never a secret."""
        return Record._of(self._ws.vault_status())

    # Twins.

    def pseudonymize(
        self,
        input: PathLike,
        output: PathLike,
        recipient: str,
        *,
        spec: Optional[PathLike] = None,
        output_delimiter: Optional[str] = None,
        output_encoding: Optional[str] = None,
    ) -> Record:
        """Writes a pseudonymized twin of the file `input` for `recipient` with its keys, and
        its manifest beside it (`twin pseudonymize`); the spec can name methods per column.
        The result is the manifest with the twin's id and files."""
        return Record._of(
            self._ws.pseudonymize(
                os.fspath(input),
                os.fspath(output),
                recipient,
                _path(spec),
                output_delimiter,
                output_encoding,
            )
        )

    # Assessments and visas.

    def assess(
        self,
        twin: PathLike,
        source: PathLike,
        recipient: str,
        *,
        spec: PathLike,
        control: Optional[PathLike] = None,
        kind: Optional[str] = None,
        n_attacks: int = 500,
        max_attacks: int = 16_000,
        max_attempts: int = 2_000_000,
        seed: int = 0,
    ) -> Record:
        """Assesses `twin` (made from `source`) for the spec's `recipient` under its policy,
        recorded in the register (`assess`): verdict, reasons, checks, attacks."""
        return Record._of(
            self._ws.assess(
                os.fspath(twin),
                os.fspath(source),
                recipient,
                os.fspath(spec),
                _path(control),
                kind,
                n_attacks,
                max_attacks,
                max_attempts,
                seed,
            )
        )

    def assessments(
        self, *, twin: Optional[str] = None, recipient: Optional[str] = None
    ) -> Records:
        """The register's assessments, of one twin or recipient when named (`assess list`)."""
        return Records._of(self._ws.assessments(twin, recipient))

    def assessment(self, id: str) -> Record:
        """One stored assessment, by its id or a visa's (`assess show`)."""
        return Record._of(self._ws.assessment(id))

    def issue_visa(
        self,
        assessment: str,
        *,
        review_months: Optional[int] = None,
        conditions: Optional[Sequence[str]] = None,
        override_reason: Optional[str] = None,
    ) -> Record:
        """Issues a visa on an assessment (`visa issue`); the policy's review period and the
        recipient's controls by default."""
        return Record._of(
            self._ws.issue_visa(
                assessment,
                review_months,
                None if conditions is None else list(conditions),
                override_reason,
            )
        )

    def visas(self, *, spec: Optional[PathLike] = None) -> Records:
        """Every visa with its status on the workspace's day (`visa list`)."""
        return Records._of(self._ws.visas(_path(spec)))

    def visa(self, id: str) -> Record:
        """One visa with its history (`visa show`)."""
        return Record._of(self._ws.visa(id))

    def revoke_visa(self, id: str, *, reason: str) -> Record:
        """Revokes a visa (`visa revoke`)."""
        return Record._of(self._ws.revoke_visa(id, reason))

    def void_visa(self, id: str, *, reason: str) -> Record:
        """Voids a visa issued in error (`visa void`)."""
        return Record._of(self._ws.void_visa(id, reason))

    def visa_sent(self, id: str) -> Record:
        """Marks a visa's twin as sent on the workspace's day (`visa sent`)."""
        return Record._of(self._ws.visa_sent(id))

    def review_visas(
        self, *, spec: PathLike, ids: Sequence[str] = (), all: bool = False
    ) -> Record:
        """Re-assesses visas with today's profile, policy and register (`visa review`): those
        due or flagged by default, `ids`, or `all`."""
        return Record._of(self._ws.review_visas(os.fspath(spec), list(ids), all))

    # The ledger.

    def add_exporter(
        self,
        name: str,
        *,
        ciio: bool = False,
        group: Optional[str] = None,
        ftz: Optional[str] = None,
    ) -> Record:
        """Registers an exporter (`ledger exporter add`)."""
        return Record._of(self._ws.add_exporter(name, ciio, group, ftz))

    def add_recipient(
        self, name: str, *, jurisdiction: str, legal_name: Optional[str] = None
    ) -> Record:
        """Registers a recipient abroad (`ledger recipient add`)."""
        return Record._of(self._ws.add_recipient(name, jurisdiction, legal_name))

    def ledger_record(
        self,
        *,
        exporter: str,
        recipient: str,
        file: PathLike,
        person_column: Optional[str] = None,
        sensitive_columns: Optional[Sequence[str]] = None,
        sensitive: bool = False,
        date: Optional[str] = None,
        purpose: Optional[str] = None,
        spec: Optional[PathLike] = None,
        legal_basis: Optional[str] = None,
        mechanism: Optional[str] = None,
        visa: Optional[str] = None,
    ) -> Record:
        """Records a transfer of `file` (`ledger record`): its people, by `person_column`, are
        counted once a year per exporter (a pseudonymized twin's from the vault, with the
        master key); a file covered by an anonymized `visa` is recorded, not counted."""
        t = _transfer(
            exporter, recipient, file, person_column, sensitive_columns, sensitive,
            date, purpose, spec,
        )
        return Record._of(self._ws.ledger_record(t, legal_basis, mechanism, visa))

    def plan(
        self,
        *,
        exporter: str,
        recipient: str,
        file: PathLike,
        person_column: Optional[str] = None,
        sensitive_columns: Optional[Sequence[str]] = None,
        sensitive: bool = False,
        date: Optional[str] = None,
        purpose: Optional[str] = None,
        spec: Optional[PathLike] = None,
        important_data: bool = False,
        facts: Sequence[str] = (),
        storage_location: Optional[str] = None,
    ) -> Record:
        """The mechanism a transfer needs under the rules and the facts asserted (`plan`)."""
        t = _transfer(
            exporter, recipient, file, person_column, sensitive_columns, sensitive,
            date, purpose, spec,
        )
        return Record._of(
            self._ws.plan(t, important_data, list(facts), storage_location)
        )

    def ledger_report(self, *, year: Optional[int] = None) -> Record:
        """The year's distinct people (ordinary, sensitive), transfers and mechanism per
        exporter (`ledger report`); this year by default."""
        return Record._of(self._ws.ledger_report(year))

    def filings(self) -> Records:
        """Every filing and certificate (`ledger filing list`)."""
        return Records._of(self._ws.filings())

    def due(self, *, as_of: Optional[str] = None) -> Record:
        """Every deadline as of a day, today by default (`ledger due`)."""
        return Record._of(self._ws.due(as_of))

    # Reports.

    def report_assessment(self, id: str, output: PathLike, *, lang: str = "en") -> Path:
        """Writes the report of an assessment (by its id or a visa's) as .html, .md or .json
        by `output`'s extension (`report assessment`); returns the path written."""
        return Path(json.loads(self._ws.report_assessment(id, os.fspath(output), lang)))

    def report_pipia(
        self,
        *,
        exporter: str,
        recipient: str,
        output: PathLike,
        year: Optional[int] = None,
        file: Optional[PathLike] = None,
        spec: Optional[PathLike] = None,
        lang: str = "zh",
    ) -> Path:
        """Writes the PIPIA draft for an exporter and recipient as .html, .md or .json by
        `output`'s extension, scanning `file` when given (`report pipia`); returns the path."""
        written = self._ws.report_pipia(
            exporter, recipient, os.fspath(output), year, _path(file), _path(spec), lang
        )
        return Path(json.loads(written))


def _transfer(
    exporter: str,
    recipient: str,
    file: PathLike,
    person_column: Optional[str],
    sensitive_columns: Optional[Sequence[str]],
    sensitive: bool,
    date: Optional[str],
    purpose: Optional[str],
    spec: Optional[PathLike],
) -> dict:
    """A transfer as the engine takes it (every field present)."""
    return {
        "exporter": exporter,
        "recipient": recipient,
        "file": os.fspath(file),
        "person_column": person_column,
        "sensitive_columns": None if sensitive_columns is None else list(sensitive_columns),
        "sensitive": sensitive,
        "date": date,
        "purpose": purpose,
        "spec": _path(spec),
    }
