//! The DPO's routes (issue, void and revoke visas; register recipients), the steward's ledger
//! routes (exporters, filings, deadlines) and the reports. Each change is one workflow call,
//! then one audit entry naming the user, the token prefix, the request id and what changed.

use crate::problem::{ApiError, Problem};
use crate::routes::Acting;
use crate::state::blocking;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::{Extension, Json};
use datavisa_workflow::assess::{IssueRequest, ReviewRequest, VisaView};
use datavisa_workflow::i18n::Lang;
use datavisa_workflow::{Error, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::api::workflow_schema;

workflow_schema!(
    ReportJson,
    "A report as JSON: the document `datavisa report ... -o FILE.json` writes."
);
workflow_schema!(
    IssuedVisa,
    "A visa with its status, as `datavisa visa issue|void|revoke --format json` prints it."
);
workflow_schema!(
    ReviewReportView,
    "What reviewing did, as `datavisa visa review --format json` prints it."
);
workflow_schema!(
    NewRecipientView,
    "A recipient, as `datavisa ledger recipient add --format json` prints it."
);
workflow_schema!(
    NewExporterView,
    "An exporter, as `datavisa ledger exporter add --format json` prints it."
);
workflow_schema!(
    FilingView,
    "A filing, as `datavisa ledger filing list --format json` lists it."
);
workflow_schema!(
    DueView,
    "Deadlines, as `datavisa ledger due --format json` prints them."
);

/// A visa to issue on a stored assessment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVisa {
    /// The assessment's id.
    pub assessment: String,
    /// Months until review (the policy's `review_months` when absent).
    pub review_months: Option<u32>,
    /// Contract clauses relied on (the recipient's controls when absent).
    pub conditions: Option<Vec<String>>,
    /// Why the visa stands although a later or contrary assessment exists.
    pub override_reason: Option<String>,
}

/// Why a visa is voided or revoked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The reason, kept in the visa's history.
    pub reason: String,
}

/// Which visas to review, against which spec.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// The spec's text (TOML) with today's profiles and policy; its `file` paths are the
    /// server's, as recorded in the assessments.
    pub spec: String,
    /// These visas; when absent or empty, the due ones (or every active one with `all`).
    #[serde(default)]
    pub ids: Vec<String>,
    /// Every active visa.
    #[serde(default)]
    pub all: bool,
}

/// A recipient to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecipient {
    /// Its id (the spec's recipient id).
    pub name: String,
    /// Its jurisdiction (ISO country code).
    pub jurisdiction: String,
    /// Its legal name.
    pub legal_name: Option<String>,
}

/// An exporter to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExporter {
    /// Its name.
    pub name: String,
    /// A critical information infrastructure operator.
    #[serde(default)]
    pub ciio: bool,
    /// Its group.
    pub group: Option<String>,
    /// Its free-trade zone.
    pub ftz: Option<String>,
}

/// The day deadlines are judged at.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// YYYY-MM-DD; today when absent.
    pub as_of: Option<String>,
}

/// How a report is rendered.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `html` (default), `md` (Markdown) or `json`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
    /// `en` (default) or `zh`.
    #[param(inline)]
    pub lang: Option<ReportLang>,
}

/// A report's format: typed, so the document lists the values and any other is a 400.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// HTML.
    #[default]
    Html,
    /// Markdown.
    #[serde(alias = "markdown")]
    Md,
    /// JSON.
    Json,
}

/// A report's language.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportLang {
    /// English.
    En,
    /// Chinese.
    Zh,
}

impl From<ReportLang> for Lang {
    fn from(l: ReportLang) -> Lang {
        match l {
            ReportLang::En => Lang::En,
            ReportLang::Zh => Lang::Zh,
        }
    }
}

/// Runs `change`, then records `action` with what changed (`detail` of the result) in the
/// audit log as the acting user with the request's origin.
async fn audited<T: Send + 'static>(
    ws: Workspace,
    action: &'static str,
    change: impl FnOnce(&Workspace) -> datavisa_workflow::Result<T> + Send + 'static,
    detail: impl FnOnce(&T) -> serde_json::Value + Send + 'static,
) -> Result<T, ApiError> {
    blocking(move || {
        let out = change(&ws)?;
        ws.audit_event(action, detail(&out))?;
        Ok(out)
    })
    .await
}

fn visa_detail(v: &VisaView) -> serde_json::Value {
    json!({"visa": v.visa.id, "assessment": v.visa.assessment_id, "recipient": v.visa.recipient,
           "state": v.visa.state, "reason": v.visa.state_reason})
}

/// Issues a visa on a stored assessment (supersedes the visa of the same twin and recipient).
#[utoipa::path(post, path = "/api/v1/visas", tag = "visas", security(("bearer" = [])),
    request_body = NewVisa,
    responses((status = 201, body = IssuedVisa), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn issue_visa(
    Extension(a): Extension<Acting>,
    Json(body): Json<NewVisa>,
) -> Result<(StatusCode, Json<VisaView>), ApiError> {
    let req = IssueRequest {
        assessment: body.assessment,
        review_months: body.review_months,
        conditions: body.conditions,
        override_reason: body.override_reason,
    };
    let v = audited(
        a.workspace,
        "visa.issued",
        move |ws| ws.issue_visa(&req),
        visa_detail,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Voids a visa issued in error; it stays on record.
#[utoipa::path(post, path = "/api/v1/visas/{id}/void", tag = "visas", security(("bearer" = [])),
    params(("id" = String, Path, description = "The visa's id")),
    request_body = Reason,
    responses((status = 200, body = IssuedVisa), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn void_visa(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
    Json(body): Json<Reason>,
) -> Result<Json<VisaView>, ApiError> {
    let v = audited(
        a.workspace,
        "visa.voided",
        move |ws| ws.void_visa(&id, &body.reason),
        visa_detail,
    )
    .await?;
    Ok(Json(v))
}

/// Revokes a visa today.
#[utoipa::path(post, path = "/api/v1/visas/{id}/revoke", tag = "visas", security(("bearer" = [])),
    params(("id" = String, Path, description = "The visa's id")),
    request_body = Reason,
    responses((status = 200, body = IssuedVisa), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn revoke_visa(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
    Json(body): Json<Reason>,
) -> Result<Json<VisaView>, ApiError> {
    let v = audited(
        a.workspace,
        "visa.revoked",
        move |ws| ws.revoke_visa(&id, &body.reason),
        visa_detail,
    )
    .await?;
    Ok(Json(v))
}

/// Re-assesses visas with today's profile, policy and register: renewed, reverted or improved
/// (audited with each visa's outcome).
#[utoipa::path(post, path = "/api/v1/visas/review", tag = "visas", security(("bearer" = [])),
    request_body = ReviewBody,
    responses((status = 200, body = ReviewReportView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn review_visas(
    Extension(a): Extension<Acting>,
    Json(body): Json<ReviewBody>,
) -> Result<Json<impl Serialize>, ApiError> {
    let r = audited(
        a.workspace,
        "visa.reviewed",
        move |ws| {
            let dir = tempfile::tempdir()
                .map_err(|e| Error::internal(format!("cannot make a scratch directory: {e}")))?;
            let spec = dir.path().join("spec.toml");
            std::fs::write(&spec, body.spec.as_bytes())
                .map_err(|e| Error::internal(format!("cannot write the spec: {e}")))?;
            ws.review_visas(&ReviewRequest {
                spec: spec.clone(),
                ids: body.ids,
                all: body.all,
                read: datavisa_workflow::ReadRequest {
                    spec: Some(spec),
                    ..Default::default()
                },
            })
        },
        |r| {
            json!({"as_of": r.as_of, "reviewed": r.reviewed.iter().map(|x| json!({
                "visa": x.visa, "assessment": x.assessment, "outcome": x.outcome})).collect::<Vec<_>>()})
        },
    )
    .await?;
    Ok(Json(r))
}

/// Registers a recipient in the ledger.
#[utoipa::path(post, path = "/api/v1/ledger/recipients", tag = "ledger", security(("bearer" = [])),
    request_body = NewRecipient,
    responses((status = 201, body = NewRecipientView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn add_recipient(
    Extension(a): Extension<Acting>,
    Json(body): Json<NewRecipient>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    let detail = json!({"recipient": body.name, "jurisdiction": body.jurisdiction, "legal_name": body.legal_name});
    let r = audited(
        a.workspace,
        "ledger.recipient_added",
        move |ws| {
            ws.add_recipient_named(&body.name, &body.jurisdiction, body.legal_name.as_deref())
        },
        move |_| detail,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Registers an exporter in the ledger.
#[utoipa::path(post, path = "/api/v1/ledger/exporters", tag = "ledger", security(("bearer" = [])),
    request_body = NewExporter,
    responses((status = 201, body = NewExporterView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn add_exporter(
    Extension(a): Extension<Acting>,
    Json(body): Json<NewExporter>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    let detail =
        json!({"exporter": body.name, "ciio": body.ciio, "group": body.group, "ftz": body.ftz});
    let e = audited(
        a.workspace,
        "ledger.exporter_added",
        move |ws| {
            ws.add_exporter(
                &body.name,
                body.ciio,
                body.group.as_deref(),
                body.ftz.as_deref(),
            )
        },
        move |_| detail,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// Every filing and certificate in the ledger.
#[utoipa::path(get, path = "/api/v1/ledger/filings", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = Vec<FilingView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_filings(
    Extension(a): Extension<Acting>,
) -> Result<Json<Vec<impl Serialize>>, ApiError> {
    Ok(Json(blocking(move || a.workspace.filings()).await?))
}

/// Deadlines as of a day: SCC filing, certification renewal, assessment extension and expiry.
#[utoipa::path(get, path = "/api/v1/ledger/due", tag = "ledger", security(("bearer" = [])),
    params(DueQuery),
    responses((status = 200, body = DueView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn due(
    Extension(a): Extension<Acting>,
    Query(q): Query<DueQuery>,
) -> Result<Json<impl Serialize>, ApiError> {
    Ok(Json(
        blocking(move || a.workspace.due(q.as_of.as_deref())).await?,
    ))
}

/// The assessment report (by assessment or visa id): the same bytes `datavisa report
/// assessment ID -o FILE` writes for the format and language.
#[utoipa::path(get, path = "/api/v1/reports/assessment/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "The assessment's id, or a visa's"), ReportQuery),
    responses((status = 200, description = "The report in the format asked for", content(
        (String = "text/html"), (String = "text/markdown"), (ReportJson = "application/json"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn assessment_report(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<(HeaderMap, Vec<u8>), ApiError> {
    let (ext, media) = report_format(q.format.unwrap_or_default());
    let lang = q.lang.map_or(Lang::En, Lang::from);
    let ws = a.workspace;
    let bytes = blocking(move || rendered(ext, |out| ws.assessment_report(&id, out, lang))).await?;
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    Ok((h, bytes))
}

/// A report's file extension and media type.
pub(crate) fn report_format(format: ReportFormat) -> (&'static str, &'static str) {
    match format {
        ReportFormat::Html => ("html", "text/html; charset=utf-8"),
        ReportFormat::Md => ("md", "text/markdown; charset=utf-8"),
        ReportFormat::Json => ("json", "application/json"),
    }
}

/// The bytes `write` puts in a `report.EXT` file: the CLI's own writer, into a private scratch
/// directory outside the store (removed afterwards).
pub(crate) fn rendered(
    ext: &str,
    write: impl FnOnce(&std::path::Path) -> datavisa_workflow::Result<()>,
) -> datavisa_workflow::Result<Vec<u8>> {
    let dir = tempfile::tempdir()
        .map_err(|e| Error::internal(format!("cannot make a scratch directory: {e}")))?;
    let out = dir.path().join(format!("report.{ext}"));
    write(&out)?;
    std::fs::read(&out).map_err(|e| Error::internal(format!("cannot read the report: {e}")))
}
