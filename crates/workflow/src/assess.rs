//! Assessments and visas: a twin attacked from one recipient's position and decided against the
//! documented thresholds, stored in the register; visas issued on the verdicts, listed, shown,
//! revoked and reviewed with today's profile, policy and register.

use crate::error::{Error, Result};
use crate::evidence::{tool, Tool};
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_i18n::{Msg, Note};
use datavisa_table::date::format_date;
use datavisa_table::{file_sha256, read_table, ReadOptions, Role, Spec, Table};
use datavisa_verdict::register::{
    policy_sha256, profile_sha256, AssessmentFilter, AssessmentSummary, Event, Issue, Register,
    Review, Stored, Visa,
};
use datavisa_verdict::release::FileFacts;
use datavisa_verdict::{
    assess_with, load_release, AssessInput, AssessParams, Assessment, KeyState, Release, TwinKind,
};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One assessment to run.
#[derive(Clone, Debug)]
pub struct AssessRequest {
    /// The spec holding the recipients, the policy and the columns' roles.
    pub spec: PathBuf,
    /// The twin.
    pub twin: PathBuf,
    /// Its source.
    pub source: PathBuf,
    /// Whose position it is judged from.
    pub recipient: String,
    /// People not in the twin, for the control attacks.
    pub control: Option<PathBuf>,
    /// The kind of twin, when it has no manifest (`generalized`, …).
    pub kind: Option<String>,
    /// Attacks, seed, utility queries, distance samples.
    pub params: AssessParams,
    /// How to read source and control.
    pub read: ReadRequest,
    /// How to read the twin (a twin datavisa wrote is read as written: sniffed, UTF-8; one made
    /// elsewhere may need its own delimiter or encoding). The source's spec never applies.
    pub twin_read: ReadRequest,
}

/// A stored assessment, as every front end shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Assessed {
    /// Its id in the register.
    pub id: String,
    /// When it was stored.
    pub created_at: String,
    /// The command that re-runs it.
    pub command: String,
    /// Everything it found and decided.
    #[serde(flatten)]
    pub assessment: Assessment,
    /// The tool.
    pub tool: Tool,
    /// SHA-256 of the stored body.
    pub body_sha256: String,
    /// The visas and other assessments of the pair, when the caller looked them up.
    #[serde(skip_serializing_if = "crate::report::OnRecord::is_empty")]
    pub on_record: crate::report::OnRecord,
}

impl Assessed {
    /// A stored assessment, typed.
    pub fn of(stored: &Stored) -> Result<Assessed> {
        Ok(Assessed {
            id: stored.id.clone(),
            created_at: stored.created_at.clone(),
            command: stored.command.clone(),
            assessment: stored.typed()?,
            tool: tool(),
            body_sha256: stored.body_sha256.clone(),
            on_record: Default::default(),
        })
    }
}

/// A visa with its status on a day.
#[derive(Clone, Debug, Serialize)]
pub struct VisaView {
    /// The visa.
    #[serde(flatten)]
    pub visa: Visa,
    /// valid, expiring, expired, revoked, superseded, void, or recorded (a visa on a verdict
    /// other than anonymized).
    pub status: String,
    /// The day the status is for.
    pub as_of: String,
}

impl VisaView {
    /// `v` as of day `today`.
    pub fn of(v: Visa, today: i64) -> VisaView {
        VisaView {
            status: v.status(today).as_str().to_owned(),
            as_of: format_date(today),
            visa: v,
        }
    }
}

/// A visa with its history.
#[derive(Clone, Debug, Serialize)]
pub struct VisaDetail {
    /// The visa and its status.
    #[serde(flatten)]
    pub view: VisaView,
    /// Every event, oldest first.
    pub history: Vec<Event>,
}

/// A visa to issue.
#[derive(Clone, Debug)]
pub struct IssueRequest {
    /// The assessment it rests on.
    pub assessment: String,
    /// Months to the review (the policy's by default).
    pub review_months: Option<u32>,
    /// Conditions (the recipient's controls as clauses by default).
    pub conditions: Option<Vec<String>>,
    /// Why the visa stands although a later or contrary assessment of the same pair exists.
    pub override_reason: Option<String>,
}

/// Which stored assessments to list: a twin (file, path as assessed, or content hash) and a
/// recipient.
#[derive(Clone, Debug, Default)]
pub struct ListRequest {
    pub twin: Option<String>,
    pub recipient: Option<String>,
}

/// Which visas to review.
#[derive(Clone, Debug)]
pub struct ReviewRequest {
    /// The spec with today's profiles and policy.
    pub spec: PathBuf,
    /// These visas; when empty, the due ones (or all, with `all`).
    pub ids: Vec<String>,
    /// Every active visa.
    pub all: bool,
    /// How to read the sources.
    pub read: ReadRequest,
}

/// What reviewing one visa did.
#[derive(Clone, Debug, Serialize)]
pub struct Reviewed {
    /// The visa.
    pub visa: String,
    /// Its recipient.
    pub recipient: String,
    /// The new assessment.
    pub assessment: String,
    /// Renewed, reverted or improved.
    pub outcome: Review,
    /// One sentence for a person.
    pub summary: String,
    /// The same sentence as a message, to render in either language.
    pub summary_code: Msg,
}

/// A review of visas on a day.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewReport {
    /// The day.
    pub as_of: String,
    /// Each visa reviewed.
    pub reviewed: Vec<Reviewed>,
}

/// Earlier releases, each with the visa that covers it.
type Priors = Vec<(String, Release)>;

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The spec's columns of a role.
fn columns_of(spec: &Spec, role: Role) -> Vec<String> {
    spec.columns
        .iter()
        .filter(|c| c.role == Some(role))
        .map(|c| c.name.get_ref().clone())
        .collect()
}

/// Twins of this source the recipient actually received (visas marked sent, ledger
/// transfers), read and checked; those that cannot be read are named in notes rather than
/// silently left out.
fn prior_releases(
    ws: &Workspace,
    register: &Register,
    recipient: &str,
    source: &Table,
    facts: &FileFacts,
    this: &Release,
) -> Result<(Priors, Vec<Note>)> {
    let transfers = if ws.store().join("ledger.db").is_file() {
        datavisa_ledger::Ledger::open(ws.store())?.sent_to(recipient)?
    } else {
        Vec::new()
    };
    let sent = register.sent_releases(recipient, &facts.sha256, &this.facts.sha256, &transfers)?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for v in sent {
        let path = Path::new(&v.twin_path);
        let loaded = load_release(
            path,
            (source, &facts.sha256),
            None,
            None,
            &ReadOptions::default(),
        );
        match loaded {
            Ok(r) if r.facts.sha256 == v.twin_sha256 => out.push((v.label.clone(), r)),
            Ok(r) => notes.push(
                Msg::new("note.earlier_release_changed")
                    .arg("path", &v.twin_path)
                    .arg("visa", &v.label)
                    .arg("now", &r.facts.sha256)
                    .arg("then", &v.twin_sha256)
                    .into(),
            ),
            Err(e) => notes.push(
                Msg::new("note.earlier_release_unreadable")
                    .arg("path", &v.twin_path)
                    .arg("visa", &v.label)
                    .arg("error", e.to_string())
                    .into(),
            ),
        }
    }
    Ok((out, notes))
}

impl Workspace {
    /// The register, which must exist: reading or changing visas never creates a store.
    fn register(&self) -> Result<Register> {
        if !Register::exists_in(self.store()) {
            return Err(Error::bad_input(format!(
                "{}: no register here (no assessment was ever stored in this store); check --store, or run `datavisa assess` first",
                self.store().display()
            )));
        }
        Ok(Register::open(self.store())?)
    }

    /// The command that re-runs an assessment.
    fn reproduce(&self, req: &AssessRequest) -> String {
        let q = |p: &Path| shell_quote(&p.display().to_string());
        let mut c = format!(
            "datavisa assess --spec {} --twin {} --source {} --recipient {} --seed {} --n-attacks {} --max-attacks {} --max-attempts {} --store {}",
            q(&req.spec),
            q(&req.twin),
            q(&req.source),
            shell_quote(&req.recipient),
            req.params.seed,
            req.params.n_attacks,
            req.params.max_attacks.max(req.params.n_attacks),
            req.params.max_attempts,
            q(self.store())
        );
        if let Some(ctl) = &req.control {
            c.push_str(&format!(" --control {}", q(ctl)));
        }
        if let Some(k) = &req.kind {
            c.push_str(&format!(" --kind {k}"));
        }
        let t = &req.twin_read;
        if let Some(d) = &t.delimiter {
            c.push_str(&format!(" --twin-delimiter {}", shell_quote(d)));
        }
        if let Some(e) = &t.encoding {
            c.push_str(&format!(" --twin-encoding {}", shell_quote(e)));
        }
        if t.no_header {
            c.push_str(" --twin-no-header");
        }
        c
    }

    /// Whether a pseudonymized twin's keys still exist, asking the vault when it can be opened.
    fn key_state(&self, r: &Release) -> KeyState {
        if r.kind != TwinKind::Pseudonymized {
            return KeyState::NoKeys;
        }
        let twin_id = r.manifest.as_ref().and_then(|m| m.twin_id.clone());
        let (true, Some(id)) = (self.secrets().has_master_key(), twin_id) else {
            return KeyState::Unknown;
        };
        // The vault the manifest names, else the workspace's.
        let store = r
            .manifest
            .as_ref()
            .and_then(|m| m.vault.as_deref())
            .and_then(|p| Path::new(p).parent())
            .map_or_else(|| self.store().to_path_buf(), Path::to_path_buf);
        let opened = self
            .on_store(store)
            .and_then(|ws| ws.open_vault_as(ws.actor()))
            .and_then(|v| Ok(v.twin(&id)?));
        match opened {
            Ok(t) if t.status.irreversible() => KeyState::Destroyed,
            Ok(_) => KeyState::Exist,
            Err(_) => KeyState::Unknown,
        }
    }

    /// Runs one assessment and stores it; nothing is stored when any input is bad.
    pub fn run_assessment(&self, req: &AssessRequest) -> Result<Stored> {
        let kind = req.kind.as_deref().map(TwinKind::parse).transpose()?;
        crate::split::check_halves(&req.source, req.control.as_deref())?;
        let spec = Spec::load(&req.spec)?;
        let recipient = datavisa_verdict::recipient(&spec, &req.recipient)?;
        let policy = datavisa_verdict::policy(&spec)?;
        let read = req.read.with_spec(&req.spec);
        let (source, _) = load(self, &req.source, &read)?;
        let source_facts = FileFacts::of(&req.source, &source)?;
        let twin_opts = crate::read::read_options(&req.twin_read, None)?;
        let mut holds = Vec::new();
        for p in recipient.holds_paths(&spec) {
            let t = read_table(&p, &ReadOptions::default())?;
            holds.push((p, t));
        }
        let holds_refs: Vec<(PathBuf, &Table)> =
            holds.iter().map(|(p, t)| (p.clone(), t)).collect();
        let knowledge =
            datavisa_verdict::profile::known_columns(&spec, &recipient, &source, &holds_refs)?;
        let control = req
            .control
            .as_deref()
            .map(|c| load(self, c, &read))
            .transpose()?
            .map(|x| x.0);
        let release = load_release(
            &req.twin,
            (&source, &source_facts.sha256),
            control.as_ref(),
            kind,
            &twin_opts,
        )?;
        let mut register = Register::open(self.store())?;
        let prior = prior_releases(
            self,
            &register,
            &recipient.id,
            &source,
            &source_facts,
            &release,
        )?;
        // A cancelled job stops the assessment between looks and inside its attacks.
        let stop = || self.progress().cancelled();
        let input = AssessInput {
            recipient: &recipient,
            policy: &policy,
            source: &source_facts,
            release: &release,
            original: &source,
            prior: &prior.0,
            holds: holds
                .iter()
                .map(|(p, t)| FileFacts::of(p, t))
                .collect::<datavisa_verdict::Result<_>>()?,
            control: req
                .control
                .as_deref()
                .zip(control.as_ref())
                .map(|(p, t)| FileFacts::of(p, t))
                .transpose()?,
            known: knowledge.known,
            own_known: knowledge.own,
            derived: knowledge.derived,
            quasi: columns_of(&spec, Role::Quasi),
            sensitive: columns_of(&spec, Role::Sensitive),
            identifiers: columns_of(&spec, Role::Identifier),
            keys: self.key_state(&release),
            params: req.params,
            stop: &stop,
        };
        self.checkpoint()?;
        let task = self.spinner(&format!(
            "assessing {} for {}",
            req.twin.display(),
            recipient.id
        ));
        let mut a = assess_with(&input, self.attacks())?;
        drop(task);
        let t = &req.twin_read;
        if t.delimiter.is_some() || t.encoding.is_some() || t.no_header {
            a.twin_reading = Some(datavisa_verdict::assess::TwinReading {
                delimiter: t.delimiter.clone(),
                encoding: t.encoding.clone(),
                no_header: t.no_header,
            });
        }
        if let Some(c) = a.cumulative.as_mut() {
            c.notes.extend(prior.1);
        }
        register.flag_changes(
            &recipient.id,
            &profile_sha256(&recipient),
            &policy_sha256(&policy),
        )?;
        Ok(
            register.record_assessment(
                &a,
                &req.spec.display().to_string(),
                &self.reproduce(req),
            )?,
        )
    }

    /// Runs one assessment, stores it and returns it as every front end shows it.
    pub fn assess(&self, req: &AssessRequest) -> Result<Assessed> {
        Assessed::of(&self.run_assessment(req)?)
    }

    /// A stored assessment, by its id or the id of a visa issued on it.
    pub fn stored_assessment(&self, id: &str) -> Result<Stored> {
        let reg = self.register()?;
        let id = if id.starts_with("visa-") {
            reg.visa(id).map(|v| v.assessment_id)?
        } else {
            id.to_owned()
        };
        Ok(reg.assessment(&id)?)
    }

    /// A stored assessment as `assess` returned it, with what the register holds around it
    /// (by its id or the id of a visa issued on it).
    pub fn assessment(&self, id: &str) -> Result<Assessed> {
        let stored = self.stored_assessment(id)?;
        let mut a = Assessed::of(&stored)?;
        a.on_record = self.on_record(&stored)?;
        Ok(a)
    }

    /// Issues a visa on a stored assessment, with the policy's review period and the recipient's
    /// controls as conditions unless the request names them.
    pub fn issue_visa(&self, req: &IssueRequest) -> Result<VisaView> {
        let today = self.today();
        let mut reg = self.register()?;
        let a = reg.assessment(&req.assessment)?.typed()?;
        let v = reg.issue(&Issue {
            assessment: req.assessment.clone(),
            issued_on: today,
            review_months: req.review_months.unwrap_or(a.policy.review_months),
            conditions: req
                .conditions
                .clone()
                .unwrap_or_else(|| a.recipient.controls.clauses()),
            override_reason: req.override_reason.clone(),
        })?;
        Ok(VisaView::of(v, today))
    }

    /// Stored assessments, oldest first: every one of a (twin, recipient) pair is listed.
    pub fn assessments(&self, req: &ListRequest) -> Result<Vec<AssessmentSummary>> {
        if !Register::exists_in(self.store()) {
            return Ok(Vec::new());
        }
        // A twin named by an existing file is matched by its content, else by hash or path.
        let twin = req.twin.as_ref().map(|t| {
            let p = Path::new(t);
            if p.is_file() {
                file_sha256(p).unwrap_or_else(|_| t.clone())
            } else {
                t.clone()
            }
        });
        Ok(
            Register::open(self.store())?.assessments(&AssessmentFilter {
                twin_sha256: twin,
                recipient: req.recipient.clone(),
                source_sha256: None,
            })?,
        )
    }

    /// Voids a visa issued in error, today; it stays on record and takes no further part.
    pub fn void_visa(&self, id: &str, reason: &str) -> Result<VisaView> {
        let today = self.today();
        let v = self.register()?.void(id, today, reason)?;
        Ok(VisaView::of(v, today))
    }

    /// Marks the twin a visa covers as sent to its recipient today.
    pub fn mark_visa_sent(&self, id: &str) -> Result<VisaView> {
        let today = self.today();
        let v = self.register()?.mark_sent(id, today)?;
        Ok(VisaView::of(v, today))
    }

    /// Every visa as of today, after flagging those whose profile or policy in `spec` changed.
    pub fn visas(&self, spec: Option<&Path>) -> Result<Vec<VisaView>> {
        let today = self.today();
        if !Register::exists_in(self.store()) {
            return Ok(Vec::new());
        }
        let mut reg = self.register()?;
        if let Some(spec) = spec {
            flag_spec_changes(&mut reg, spec)?;
        }
        Ok(reg
            .visas()?
            .into_iter()
            .map(|v| VisaView::of(v, today))
            .collect())
    }

    /// One visa with its history.
    pub fn visa(&self, id: &str) -> Result<VisaDetail> {
        let reg = self.register()?;
        Ok(VisaDetail {
            view: VisaView::of(reg.visa(id)?, self.today()),
            history: reg.events(id)?,
        })
    }

    /// Revokes a visa today.
    pub fn revoke_visa(&self, id: &str, reason: &str) -> Result<VisaView> {
        let today = self.today();
        let v = self.register()?.revoke(id, today, reason)?;
        Ok(VisaView::of(v, today))
    }

    /// Re-assesses visas with today's profile, policy and register.
    pub fn review_visas(&self, req: &ReviewRequest) -> Result<ReviewReport> {
        let today = self.today();
        let mut reg = self.register()?;
        flag_spec_changes(&mut reg, &req.spec)?;
        let chosen: Vec<Visa> = reg
            .visas()?
            .into_iter()
            .filter(|v| v.state == "active")
            .filter(|v| {
                if !req.ids.is_empty() {
                    req.ids.contains(&v.id)
                } else {
                    req.all || !v.review_flags.is_empty() || v.review_due(today)
                }
            })
            .collect();
        if let Some(missing) = req
            .ids
            .iter()
            .find(|id| !chosen.iter().any(|v| &v.id == *id))
        {
            return Err(Error::bad_input(format!(
                "visa {missing} is not an active visa in the register"
            )));
        }
        drop(reg);
        let mut reviewed = Vec::new();
        for v in &chosen {
            reviewed.push(self.review_one(v, req, today)?);
        }
        Ok(ReviewReport {
            as_of: format_date(today),
            reviewed,
        })
    }

    fn review_one(&self, v: &Visa, req: &ReviewRequest, today: i64) -> Result<Reviewed> {
        let old = Register::open(self.store())?
            .assessment(&v.assessment_id)?
            .typed()?;
        let twin = PathBuf::from(&old.twin.path);
        // A twin with a manifest says its own kind; one without keeps the kind assessed before.
        let kind = old
            .manifest
            .is_none()
            .then(|| old.twin_kind.as_str().to_owned());
        if file_sha256(&twin).ok().as_deref() != Some(v.twin_sha256.as_str()) {
            return Err(Error::bad_input(format!(
                "visa {}: the twin {} is missing or no longer the content the visa covers; revoke the visa or restore the file",
                v.id,
                twin.display()
            )));
        }
        let job = AssessRequest {
            spec: req.spec.clone(),
            twin,
            source: PathBuf::from(&old.source.path),
            recipient: v.recipient.clone(),
            control: old.control.as_ref().map(|c| PathBuf::from(&c.path)),
            kind,
            params: old.params,
            read: req.read.clone(),
            // The twin is read as it was the first time.
            twin_read: old
                .twin_reading
                .as_ref()
                .map_or_else(ReadRequest::default, |t| ReadRequest {
                    delimiter: t.delimiter.clone(),
                    encoding: t.encoding.clone(),
                    no_header: t.no_header,
                    ..Default::default()
                }),
        };
        let stored = self.run_assessment(&job)?;
        let new = stored.typed()?;
        let mut reg = Register::open(self.store())?;
        let outcome = reg.record_review(&v.id, &stored, today, new.policy.review_months)?;
        let reasons: Vec<Msg> = new
            .reasons
            .iter()
            .filter(|r| r.caps > datavisa_verdict::Verdict::Anonymized)
            .map(|r| r.msg.clone().unwrap_or_else(|| Msg::as_written(&r.text)))
            .collect();
        let summary_code = review_msg(v, &stored.id, &outcome, reasons);
        Ok(Reviewed {
            summary: summary_code.en(),
            summary_code,
            visa: v.id.clone(),
            recipient: v.recipient.clone(),
            assessment: stored.id,
            outcome,
        })
    }
}

/// One sentence on what a review did to a visa.
/// The review of one visa in one sentence: renewed, reverted (with the reasons, as the new
/// assessment gives them) or improved.
fn review_msg(v: &Visa, assessment: &str, outcome: &Review, reasons: Vec<Msg>) -> Msg {
    let base = |id: &str| {
        Msg::new(id)
            .arg("visa", &v.id)
            .arg("recipient", &v.recipient)
            .arg("twin", &v.twin_path)
            .arg("assessment", assessment)
    };
    match outcome {
        Review::Renewed { review_on } => base("review.renewed")
            .arg("verdict", v.verdict.msg())
            .arg("review", review_on),
        Review::Reverted { verdict, .. } => base("review.reverted")
            .arg("verdict", verdict.msg())
            .arg("reasons", datavisa_i18n::Arg::sentences(reasons)),
        Review::Improved { verdict } => base("review.improved")
            .arg("verdict", verdict.msg())
            .arg("held", v.verdict.msg()),
    }
}

/// Flags every recipient's visas whose profile or policy in `spec` differs from the one relied on.
fn flag_spec_changes(reg: &mut Register, spec: &Path) -> Result<()> {
    let spec = Spec::load(spec)?;
    let policy = datavisa_verdict::policy(&spec)?;
    for r in datavisa_verdict::recipients(&spec)? {
        reg.flag_changes(&r.id, &profile_sha256(&r), &policy_sha256(&policy))?;
    }
    Ok(())
}
