//! The steward's ledger routes on uploaded datasets: plan a transfer, record it, record a
//! filing; and the PIPIA draft. A transfer's file is a stored dataset named by its SHA-256, so
//! no path on the server's disk is ever taken from a request.

use crate::problem::{ApiError, Problem};
use crate::routes::Acting;
use crate::state::blocking;
use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::{Extension, Json};
use datavisa_workflow::i18n::Lang;
use datavisa_workflow::ledger::{NewFiling, PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::pipia::PipiaRequest;
use datavisa_workflow::ReadRequest;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

crate::api::workflow_schema!(
    PlannedView,
    "A plan, as `datavisa plan --format json` prints it."
);
crate::api::workflow_schema!(
    RecordedView,
    "A recorded transfer, as `datavisa ledger record --format json` prints it."
);
crate::api::workflow_schema!(
    NewFilingView,
    "A filing, as `datavisa ledger filing add --format json` prints it."
);

/// Comma-separated names; `''` or empty for none.
fn names(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "''")
        .map(str::to_owned)
        .collect()
}

/// A transfer about to happen, for the planner.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// The exporter's name in the ledger.
    pub exporter: String,
    /// The recipient's name in the ledger.
    pub recipient: String,
    /// The SHA-256 of the uploaded dataset to send.
    pub dataset: String,
    /// The column that identifies a natural person.
    pub person_column: Option<String>,
    /// Columns holding sensitive PI, comma-separated (`''` for none); the scan's when absent.
    pub sensitive_columns: Option<String>,
    /// Every person in the file has sensitive PI sent.
    #[serde(default)]
    pub sensitive: bool,
    /// Transfer date, YYYY-MM-DD; today when absent.
    pub date: Option<String>,
    /// Why it is sent.
    pub purpose: Option<String>,
    /// The data is important data.
    #[serde(default)]
    pub important_data: bool,
    /// Exemption facts asserted, comma-separated (`contract-necessity`, ...).
    pub facts: Option<String>,
    /// Where the recipient will store the data.
    pub storage_location: Option<String>,
}

/// A transfer that happened, to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransfer {
    /// The exporter's name in the ledger.
    pub exporter: String,
    /// The recipient's name in the ledger.
    pub recipient: String,
    /// The SHA-256 of the uploaded dataset sent.
    pub dataset: String,
    /// The column that identifies a natural person.
    pub person_column: Option<String>,
    /// Columns holding sensitive PI (empty for none); the scan's when absent.
    pub sensitive_columns: Option<Vec<String>>,
    /// Every person in the file has sensitive PI sent.
    #[serde(default)]
    pub sensitive: bool,
    /// Transfer date, YYYY-MM-DD; today when absent.
    pub date: Option<String>,
    /// Why it was sent.
    pub purpose: Option<String>,
    /// Its legal basis.
    pub legal_basis: Option<String>,
    /// The mechanism relied on.
    pub mechanism: Option<String>,
    /// A visa under which the file is anonymized as to this recipient (recorded, not counted).
    pub visa: Option<String>,
}

/// A filing or certificate to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFilingBody {
    /// The exporter.
    pub exporter: String,
    /// The recipient, when the filing is for one.
    pub recipient: Option<String>,
    /// `standard_contract`, `certification` or `security_assessment`.
    pub kind: String,
    /// Effective from (YYYY-MM-DD).
    pub effective: Option<String>,
    /// Filed on.
    pub filed: Option<String>,
    /// Issued on.
    pub issued: Option<String>,
    /// Expires on.
    pub expires: Option<String>,
    /// Purpose covered.
    pub purpose: Option<String>,
    /// Scope covered.
    pub scope: Option<String>,
    /// Data types (columns or kinds) covered.
    #[serde(default)]
    pub data_types: Vec<String>,
    /// Where the recipient stores the data.
    pub storage_location: Option<String>,
}

/// Which PIPIA draft.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PipiaQuery {
    /// The exporter's name in the ledger.
    pub exporter: String,
    /// The recipient's name in the ledger.
    pub recipient: String,
    /// Calendar year of the counts (this year when absent).
    pub year: Option<i64>,
    /// An uploaded dataset of the transfer to scan for sensitive categories and minors.
    pub dataset: Option<String>,
    /// `html` (default), `md` or `json`.
    #[param(inline)]
    pub format: Option<crate::visas::ReportFormat>,
    /// `zh` (default) or `en`.
    #[param(inline)]
    pub lang: Option<crate::visas::ReportLang>,
}

/// The counters now and after, the mechanism a transfer needs, the exemptions to consider and
/// the duties that stay (reads only).
#[utoipa::path(get, path = "/api/v1/ledger/plan", tag = "ledger", security(("bearer" = [])),
    params(PlanQuery),
    responses((status = 200, body = PlannedView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn plan(
    Extension(a): Extension<Acting>,
    Query(q): Query<PlanQuery>,
) -> Result<Json<impl Serialize>, ApiError> {
    let ws = a.workspace;
    Ok(Json(
        blocking(move || {
            let t = TransferRequest {
                exporter: q.exporter,
                recipient: q.recipient,
                file: ws.stored_table(&q.dataset)?,
                person_column: q.person_column,
                sensitive_columns: q.sensitive_columns.as_deref().map(names),
                all_sensitive: q.sensitive,
                date: q.date,
                purpose: q.purpose,
                read: ReadRequest::default(),
            };
            let f = PlanFactsRequest {
                important_data: q.important_data,
                facts: q.facts.as_deref().map(names).unwrap_or_default(),
                storage_location: q.storage_location,
            };
            ws.plan(&t, &f)
        })
        .await?,
    ))
}

/// Records a transfer that happened and counts its people (keyed hashes only; audited).
#[utoipa::path(post, path = "/api/v1/ledger/transfers", tag = "ledger", security(("bearer" = [])),
    request_body = NewTransfer,
    responses((status = 201, body = RecordedView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn record_transfer(
    Extension(a): Extension<Acting>,
    Json(b): Json<NewTransfer>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    let ws = a.workspace;
    let r = blocking(move || {
        let detail = json!({"exporter": b.exporter, "recipient": b.recipient, "dataset": b.dataset,
            "date": b.date, "mechanism": b.mechanism, "visa": b.visa});
        let req = RecordRequest {
            transfer: TransferRequest {
                exporter: b.exporter,
                recipient: b.recipient,
                file: ws.stored_table(&b.dataset)?,
                person_column: b.person_column,
                sensitive_columns: b.sensitive_columns,
                all_sensitive: b.sensitive,
                date: b.date,
                purpose: b.purpose,
                read: ReadRequest::default(),
            },
            legal_basis: b.legal_basis,
            mechanism: b.mechanism,
            visa: b.visa,
        };
        let r = ws.record_transfer(&req)?;
        ws.audit_event("ledger.transfer_recorded", detail)?;
        Ok(r)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Records a filing or certificate (audited).
#[utoipa::path(post, path = "/api/v1/ledger/filings", tag = "ledger", security(("bearer" = [])),
    request_body = NewFilingBody,
    responses((status = 201, body = NewFilingView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn add_filing(
    Extension(a): Extension<Acting>,
    Json(b): Json<NewFilingBody>,
) -> Result<(StatusCode, Json<impl Serialize>), ApiError> {
    let ws = a.workspace;
    let f = blocking(move || {
        let detail = json!({"exporter": b.exporter, "recipient": b.recipient, "kind": b.kind});
        let f = ws.add_filing(&NewFiling {
            exporter: b.exporter,
            recipient: b.recipient,
            kind: b.kind,
            effective: b.effective,
            filed: b.filed,
            issued: b.issued,
            expires: b.expires,
            purpose: b.purpose,
            scope: b.scope,
            data_types: b.data_types,
            storage_location: b.storage_location,
        })?;
        ws.audit_event("ledger.filing_added", detail)?;
        Ok(f)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// The PIPIA draft: the same bytes `datavisa report pipia -o FILE` writes for the format and
/// language.
#[utoipa::path(get, path = "/api/v1/reports/pipia", tag = "reports", security(("bearer" = [])),
    params(PipiaQuery),
    responses((status = 200, description = "The draft in the format asked for", content(
        (String = "text/html"), (String = "text/markdown"), (crate::visas::ReportJson = "application/json"))), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn pipia_report(
    Extension(a): Extension<Acting>,
    Query(q): Query<PipiaQuery>,
) -> Result<(HeaderMap, Vec<u8>), ApiError> {
    let (ext, media) = crate::visas::report_format(q.format.unwrap_or_default());
    let lang = q.lang.map_or(Lang::Zh, Lang::from);
    let ws = a.workspace;
    let bytes = blocking(move || {
        let file = q
            .dataset
            .as_deref()
            .map(|d| ws.stored_table(d))
            .transpose()?;
        crate::visas::rendered(ext, |out| {
            ws.pipia(&PipiaRequest {
                exporter: q.exporter,
                recipient: q.recipient,
                year: q.year,
                file,
                read: ReadRequest::default(),
                lang,
                output: out.to_path_buf(),
            })
            .map(|_| ())
        })
    })
    .await?;
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    Ok((h, bytes))
}
