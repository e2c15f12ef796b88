//! `Workspace(path_or_url)`: the store-backed steps (vault, pseudonymize, assess, visas,
//! ledger, reports) on a store directory. Secrets come from the files named, else from the
//! environment, through the workflow's `FileOrEnv`, exactly as the CLI reads them; each method
//! is one workflow call with the CLI command's defaults, returning the JSON the command prints
//! with `--format json`. Inputs are file paths (the store's records name them).

use crate::{interruptible, py_err, run_json};
use datavisa_workflow::assess::{AssessRequest, IssueRequest, ListRequest, ReviewRequest};
use datavisa_workflow::i18n::Lang;
use datavisa_workflow::ledger::{PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::pipia::PipiaRequest;
use datavisa_workflow::secrets::{FileOrEnv, SecretFiles, Spelling};
use datavisa_workflow::twins::{OutputRequest, PseudonymizeRequest};
use datavisa_workflow::verdict::AssessParams;
use datavisa_workflow::{day_of, FixedClock, KdfParams, ReadRequest, Workspace};
use pyo3::prelude::*;
use std::path::PathBuf;

/// A store directory with where its secrets come from, who acts and on which day.
#[pyclass(name = "Workspace", module = "datavisa._datavisa", frozen)]
pub struct PyWorkspace {
    ws: Workspace,
    store: PathBuf,
}

/// How a table named by a method is read: the spec's `[source]` (delimiter, encoding,
/// missing values) and the CLI's defaults otherwise.
fn read_with(spec: Option<PathBuf>) -> ReadRequest {
    ReadRequest {
        spec,
        ..ReadRequest::default()
    }
}

/// A language by its code, as `--lang` takes it.
fn lang_of(code: &str) -> PyResult<Lang> {
    Lang::parse(code).ok_or_else(|| {
        py_err(datavisa_workflow::Error::bad_input(format!(
            "lang {code:?}: use en or zh"
        )))
    })
}

/// Who sends which file to whom, as `ledger record` and `plan` take it (a dict with every
/// field, made by the Python layer).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct Transfer {
    exporter: String,
    recipient: String,
    file: PathBuf,
    person_column: Option<String>,
    sensitive_columns: Option<Vec<String>>,
    sensitive: bool,
    date: Option<String>,
    purpose: Option<String>,
    spec: Option<PathBuf>,
}

impl From<Transfer> for TransferRequest {
    fn from(t: Transfer) -> TransferRequest {
        TransferRequest {
            exporter: t.exporter,
            recipient: t.recipient,
            file: t.file,
            person_column: t.person_column,
            sensitive_columns: t.sensitive_columns,
            all_sensitive: t.sensitive,
            date: t.date,
            purpose: t.purpose,
            read: read_with(t.spec),
        }
    }
}

impl PyWorkspace {
    /// Runs one workflow call on this workspace without the GIL (Ctrl-C stops it) and returns
    /// its JSON.
    fn run<T: serde::Serialize + Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&Workspace) -> datavisa_workflow::Result<T> + Send,
    ) -> PyResult<String> {
        let (ws, stop) = interruptible(self.ws.clone());
        run_json(py, &stop, move || work(&ws))
    }
}

#[pymethods]
impl PyWorkspace {
    /// Opens the store `path_or_url` (a directory; `scheme://` stores are refused until a
    /// server store exists). The master key and approver credential come from the files
    /// named, else from DATAVISA_MASTER_KEY and DATAVISA_APPROVER_CREDENTIAL; `as_of`
    /// (YYYY-MM-DD) fixes the day the workspace acts on; `rules` replaces the built-in rules.
    #[new]
    #[pyo3(signature = (path_or_url, *, actor, master_key_file = None, credential_file = None,
        as_of = None, rules = None))]
    fn new(
        path_or_url: PathBuf,
        actor: String,
        master_key_file: Option<PathBuf>,
        credential_file: Option<PathBuf>,
        as_of: Option<String>,
        rules: Option<PathBuf>,
    ) -> PyResult<PyWorkspace> {
        let files = SecretFiles {
            master_key_file,
            credential_file,
            new_master_key_file: None,
        };
        let ws = Workspace::open(path_or_url.clone(), actor)
            .map_err(py_err)?
            .with_secrets(FileOrEnv::new(files, Spelling::PYTHON))
            .with_rules(rules)
            .with_anchors_from_env();
        let ws = match as_of {
            Some(day) => {
                let today = day_of(&ws, Some(&day), "as_of").map_err(py_err)?;
                ws.with_clock(FixedClock(today))
            }
            None => ws,
        };
        Ok(PyWorkspace {
            ws,
            store: path_or_url,
        })
    }

    /// The store directory.
    #[getter]
    fn store(&self) -> PathBuf {
        self.store.clone()
    }

    /// Creates the store's vault under the master key (`vault init`).
    #[pyo3(signature = (kdf_memory_mib = 64, kdf_passes = 3))]
    fn vault_init(&self, py: Python<'_>, kdf_memory_mib: u32, kdf_passes: u32) -> PyResult<String> {
        let kdf = KdfParams {
            m_kib: kdf_memory_mib.max(1) * 1024,
            t: kdf_passes.max(1),
            p: 1,
        };
        self.run(py, move |ws| ws.vault_init(kdf))
    }

    /// The vault's keys, twins and approvers (`vault status`).
    fn vault_status(&self, py: Python<'_>) -> PyResult<String> {
        self.run(py, |ws| ws.vault_status())
    }

    /// Writes a pseudonymized twin of `input` for `recipient` (`twin pseudonymize`).
    #[pyo3(signature = (input, output, recipient, spec = None, output_delimiter = None,
        output_encoding = None))]
    #[allow(clippy::too_many_arguments)]
    fn pseudonymize(
        &self,
        py: Python<'_>,
        input: PathBuf,
        output: PathBuf,
        recipient: String,
        spec: Option<PathBuf>,
        output_delimiter: Option<String>,
        output_encoding: Option<String>,
    ) -> PyResult<String> {
        let req = PseudonymizeRequest {
            input,
            output,
            recipient,
            read: read_with(spec),
            output_format: OutputRequest {
                delimiter: output_delimiter,
                encoding: output_encoding,
            },
        };
        self.run(py, move |ws| {
            let inputs: Vec<&std::path::Path> = std::iter::once(req.input.as_path())
                .chain(req.read.spec.as_deref())
                .collect();
            ws.guard(&req.output, &inputs)?;
            ws.pseudonymize(&req)
        })
    }

    /// Assesses `twin` for `recipient` under the spec's profile and policy, recorded in the
    /// register (`assess`).
    #[pyo3(signature = (twin, source, recipient, spec, control = None, kind = None,
        n_attacks = 500, max_attacks = 16_000, max_attempts = 2_000_000, seed = 0))]
    #[allow(clippy::too_many_arguments)]
    fn assess(
        &self,
        py: Python<'_>,
        twin: PathBuf,
        source: PathBuf,
        recipient: String,
        spec: PathBuf,
        control: Option<PathBuf>,
        kind: Option<String>,
        n_attacks: usize,
        max_attacks: usize,
        max_attempts: u64,
        seed: u64,
    ) -> PyResult<String> {
        let read = read_with(Some(spec.clone()));
        let req = AssessRequest {
            spec,
            twin,
            source,
            recipient,
            control,
            kind,
            params: AssessParams {
                n_attacks,
                max_attacks,
                max_attempts,
                seed,
                ..Default::default()
            },
            read,
            twin_read: ReadRequest::default(),
        };
        self.run(py, move |ws| ws.assess(&req))
    }

    /// The register's assessments, of one twin or recipient when named (`assess list`).
    #[pyo3(signature = (twin = None, recipient = None))]
    fn assessments(
        &self,
        py: Python<'_>,
        twin: Option<String>,
        recipient: Option<String>,
    ) -> PyResult<String> {
        let req = ListRequest { twin, recipient };
        self.run(py, move |ws| ws.assessments(&req))
    }

    /// One stored assessment, by its id or a visa's (`assess show`).
    fn assessment(&self, py: Python<'_>, id: String) -> PyResult<String> {
        self.run(py, move |ws| ws.assessment(&id))
    }

    /// Issues a visa on an assessment (`visa issue`).
    #[pyo3(signature = (assessment, review_months = None, conditions = None,
        override_reason = None))]
    fn issue_visa(
        &self,
        py: Python<'_>,
        assessment: String,
        review_months: Option<u32>,
        conditions: Option<Vec<String>>,
        override_reason: Option<String>,
    ) -> PyResult<String> {
        let req = IssueRequest {
            assessment,
            review_months,
            conditions,
            override_reason,
        };
        self.run(py, move |ws| ws.issue_visa(&req))
    }

    /// Every visa with its status today (`visa list`).
    #[pyo3(signature = (spec = None))]
    fn visas(&self, py: Python<'_>, spec: Option<PathBuf>) -> PyResult<String> {
        self.run(py, move |ws| ws.visas(spec.as_deref()))
    }

    /// One visa with its history (`visa show`).
    fn visa(&self, py: Python<'_>, id: String) -> PyResult<String> {
        self.run(py, move |ws| ws.visa(&id))
    }

    /// Revokes a visa (`visa revoke`).
    fn revoke_visa(&self, py: Python<'_>, id: String, reason: String) -> PyResult<String> {
        self.run(py, move |ws| ws.revoke_visa(&id, &reason))
    }

    /// Voids a visa issued in error (`visa void`).
    fn void_visa(&self, py: Python<'_>, id: String, reason: String) -> PyResult<String> {
        self.run(py, move |ws| ws.void_visa(&id, &reason))
    }

    /// Marks a visa's twin as sent (`visa sent`).
    fn visa_sent(&self, py: Python<'_>, id: String) -> PyResult<String> {
        self.run(py, move |ws| ws.mark_visa_sent(&id))
    }

    /// Re-assesses visas with today's profile, policy and register (`visa review`).
    #[pyo3(signature = (spec, ids = Vec::new(), all = false))]
    fn review_visas(
        &self,
        py: Python<'_>,
        spec: PathBuf,
        ids: Vec<String>,
        all: bool,
    ) -> PyResult<String> {
        let req = ReviewRequest {
            read: read_with(Some(spec.clone())),
            spec,
            ids,
            all,
        };
        self.run(py, move |ws| ws.review_visas(&req))
    }

    /// Registers an exporter (`ledger exporter add`).
    #[pyo3(signature = (name, ciio = false, group = None, ftz = None))]
    fn add_exporter(
        &self,
        py: Python<'_>,
        name: String,
        ciio: bool,
        group: Option<String>,
        ftz: Option<String>,
    ) -> PyResult<String> {
        self.run(py, move |ws| {
            ws.add_exporter(&name, ciio, group.as_deref(), ftz.as_deref())
        })
    }

    /// Registers a recipient abroad (`ledger recipient add`).
    #[pyo3(signature = (name, jurisdiction, legal_name = None))]
    fn add_recipient(
        &self,
        py: Python<'_>,
        name: String,
        jurisdiction: String,
        legal_name: Option<String>,
    ) -> PyResult<String> {
        self.run(py, move |ws| {
            ws.add_recipient_named(&name, &jurisdiction, legal_name.as_deref())
        })
    }

    /// Records a transfer; its people are counted once a year, or not under a visa
    /// (`ledger record`). `transfer` holds the fields of `datavisa.Workspace.record`.
    #[pyo3(signature = (transfer, legal_basis = None, mechanism = None, visa = None))]
    fn ledger_record(
        &self,
        py: Python<'_>,
        transfer: Transfer,
        legal_basis: Option<String>,
        mechanism: Option<String>,
        visa: Option<String>,
    ) -> PyResult<String> {
        let req = RecordRequest {
            transfer: transfer.into(),
            legal_basis,
            mechanism,
            visa,
        };
        self.run(py, move |ws| ws.record_transfer(&req))
    }

    /// The mechanism a transfer needs under the rules and the facts asserted (`plan`).
    #[pyo3(signature = (transfer, important_data = false, facts = Vec::new(),
        storage_location = None))]
    fn plan(
        &self,
        py: Python<'_>,
        transfer: Transfer,
        important_data: bool,
        facts: Vec<String>,
        storage_location: Option<String>,
    ) -> PyResult<String> {
        let transfer: TransferRequest = transfer.into();
        let facts = PlanFactsRequest {
            important_data,
            facts,
            storage_location,
        };
        self.run(py, move |ws| ws.plan(&transfer, &facts))
    }

    /// The year's distinct people and mechanism per exporter (`ledger report`).
    #[pyo3(signature = (year = None))]
    fn ledger_report(&self, py: Python<'_>, year: Option<i64>) -> PyResult<String> {
        self.run(py, move |ws| ws.year_report(year))
    }

    /// Every filing and certificate (`ledger filing list`).
    fn filings(&self, py: Python<'_>) -> PyResult<String> {
        self.run(py, |ws| ws.filings())
    }

    /// Every deadline as of a day, today by default (`ledger due`).
    #[pyo3(signature = (as_of = None))]
    fn due(&self, py: Python<'_>, as_of: Option<String>) -> PyResult<String> {
        self.run(py, move |ws| ws.due(as_of.as_deref()))
    }

    /// Writes the report of an assessment (by its id or a visa's) as .html, .md or .json by
    /// `output`'s extension, in English by default (`report assessment`); returns the path.
    #[pyo3(signature = (id, output, lang = "en"))]
    fn report_assessment(
        &self,
        py: Python<'_>,
        id: String,
        output: PathBuf,
        lang: &str,
    ) -> PyResult<String> {
        let lang = lang_of(lang)?;
        self.run(py, move |ws| {
            ws.assessment_report(&id, &output, lang)
                .map(|()| output.display().to_string())
        })
    }

    /// Writes the PIPIA draft for an exporter and recipient as .html, .md or .json, in
    /// Chinese by default (`report pipia`); returns the path.
    #[pyo3(signature = (exporter, recipient, output, year = None, file = None, spec = None,
        lang = "zh"))]
    #[allow(clippy::too_many_arguments)]
    fn report_pipia(
        &self,
        py: Python<'_>,
        exporter: String,
        recipient: String,
        output: PathBuf,
        year: Option<i64>,
        file: Option<PathBuf>,
        spec: Option<PathBuf>,
        lang: &str,
    ) -> PyResult<String> {
        let req = PipiaRequest {
            exporter,
            recipient,
            year,
            file,
            read: read_with(spec),
            lang: lang_of(lang)?,
            output,
        };
        self.run(py, move |ws| ws.pipia(&req).map(|w| w.output))
    }

    fn __repr__(&self) -> String {
        // Never a secret, nor where one comes from.
        format!("Workspace({:?})", self.store.display().to_string())
    }
}

/// Adds the class to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWorkspace>()
}
