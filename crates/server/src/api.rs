//! The handlers: each takes typed input (path, query, JSON or the upload's bytes), makes one
//! workflow call in the caller's workspace, and answers with the workflow's typed result.

use crate::problem::{ApiError, Problem};
use crate::routes::Acting;
use crate::state::{blocking, AppState};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::{Extension, Json};
use datavisa_workflow::datasets::Dataset;
use datavisa_workflow::inspect::{InspectRequest, ScanRequest};
use datavisa_workflow::team::AuditFilter;
use datavisa_workflow::users::{NewToken, Role, TokenInfo, User};
use datavisa_workflow::{ReadRequest, ScanOptions};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

/// A workflow result documented as an object: its fields are the workflow type's, the same
/// JSON the CLI prints with `--format json`.
macro_rules! workflow_schema {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .description(Some($doc))
                    .into()
            }
        }
        impl ToSchema for $name {}
    };
}
pub(crate) use workflow_schema;

workflow_schema!(
    Inspection,
    "What `datavisa inspect --format json` prints for the dataset."
);
workflow_schema!(
    Scanned,
    "What `datavisa scan --format json` prints for the dataset."
);
workflow_schema!(
    AssessmentSummary,
    "A stored assessment, as `datavisa assess list --format json` lists it."
);
workflow_schema!(
    Assessment,
    "A stored assessment, as `datavisa assess show --format json` prints it."
);
workflow_schema!(
    Visa,
    "A visa with its status, as `datavisa visa list --format json` lists it."
);
workflow_schema!(
    VisaDetail,
    "A visa with its history, as `datavisa visa show --format json` prints it."
);
workflow_schema!(
    AuditEntry,
    "An audit entry, as `datavisa audit log --format json` lists it."
);
workflow_schema!(
    Verification,
    "The audit log's verification, as `datavisa audit verify --format json` prints it."
);
workflow_schema!(
    Exporter,
    "An exporter, as `datavisa ledger exporter list --format json` lists it."
);
workflow_schema!(
    Recipient,
    "A recipient, as `datavisa ledger recipient list --format json` lists it."
);
workflow_schema!(
    YearReport,
    "The year's transfers and counts, as `datavisa ledger report --format json` prints it."
);

/// The server and its store.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// datavisa's version.
    pub version: String,
    /// Which stores the store holds.
    pub store: StoreHealth,
}

/// Which stores exist, and whether the master key opened the vault at start.
#[derive(Serialize, ToSchema)]
pub struct StoreHealth {
    /// The vault was opened with the server's master key at start.
    pub vault_unlocked: bool,
    /// The vault file exists.
    pub vault: bool,
    /// The assessment and visa register exists.
    pub register: bool,
    /// The users and tokens store exists.
    pub team: bool,
    /// Datasets stored.
    pub datasets: usize,
}

/// A role's name: the document lists [`Role::ALL`], so the two cannot drift apart.
pub struct RoleName;

impl utoipa::PartialSchema for RoleName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Role::ALL.iter().map(|r| r.as_str())))
            .into()
    }
}

impl ToSchema for RoleName {}

/// A user.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    /// Name (the audit log's actor).
    pub name: String,
    /// Roles.
    #[schema(value_type = Vec<RoleName>)]
    pub roles: Vec<Role>,
    /// Tokens of a disabled user are refused.
    pub disabled: bool,
    /// When added (RFC 3339 UTC).
    pub created_at: String,
    /// Who added the user.
    pub created_by: String,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            name: u.name,
            roles: u.roles,
            disabled: u.disabled,
            created_at: u.created_at,
            created_by: u.created_by,
        }
    }
}

/// A user to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    pub name: String,
    /// One or more of steward, approver, dpo, auditor, admin.
    #[schema(value_type = Vec<RoleName>, min_items = 1)]
    pub roles: Vec<String>,
}

/// The role named exactly `s`, as the document lists it (the CLI's `--role` also takes other
/// cases and comma lists; the API takes what it documents); 400 naming `s` otherwise.
fn exact_role(s: &str) -> datavisa_workflow::Result<Role> {
    match Role::ALL.into_iter().find(|r| r.as_str() == s) {
        Some(r) => Ok(r),
        None => Err(datavisa_workflow::Error::bad_input(format!(
            "unknown role {s:?}: use steward, approver, dpo, auditor or admin"
        ))),
    }
}

/// A token as listed (never its value).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// The token's first characters.
    pub prefix: String,
    /// Whose token.
    pub user: String,
    /// Made at (RFC 3339 UTC).
    pub created_at: String,
    /// Expires at; never when absent.
    pub expires_at: Option<String>,
    /// Revoked at, if revoked.
    pub revoked_at: Option<String>,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> TokenView {
        TokenView {
            prefix: t.prefix,
            user: t.user,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just made: the only response that carries its value.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token (`Authorization: Bearer <token>`); shown once, stored only as a hash.
    pub token: String,
    /// What listings show.
    #[serde(flatten)]
    pub info: TokenView,
}

impl From<NewToken> for CreatedToken {
    fn from(t: NewToken) -> CreatedToken {
        CreatedToken {
            token: t.token,
            info: t.info.into(),
        }
    }
}

/// A token to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// Whose token.
    pub user: String,
    /// Lifetime: `90d`, `12h`, `30m`, `2w` or `never`; 90 days when absent.
    pub expires: Option<String>,
}

/// A stored dataset.
#[derive(Serialize, ToSchema)]
pub struct DatasetView {
    /// SHA-256 of its bytes (its id).
    pub sha256: String,
    /// The name it was first uploaded under.
    pub name: String,
    /// Bytes.
    pub bytes: u64,
    /// Rows.
    pub rows: u64,
    /// Columns.
    pub columns: u64,
    /// First stored at (RFC 3339 UTC).
    pub uploaded_at: String,
    /// First stored by.
    pub uploaded_by: String,
}

impl From<Dataset> for DatasetView {
    fn from(d: Dataset) -> DatasetView {
        DatasetView {
            sha256: d.sha256,
            name: d.name,
            bytes: d.bytes,
            rows: d.rows,
            columns: d.columns,
            uploaded_at: d.uploaded_at,
            uploaded_by: d.uploaded_by,
        }
    }
}

/// How to name an upload.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (its last path component is kept).
    pub name: Option<String>,
}

/// How to inspect.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectBody {
    /// Top values listed per column (3 when absent).
    pub top: Option<usize>,
}

/// How to scan (the CLI's defaults when absent).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanBody {
    /// Distinct values each detector tries before the confirming pass (1000).
    pub sample: Option<usize>,
    /// Seed (0).
    pub seed: Option<u64>,
    /// Day (YYYY-MM-DD) at which ages and minors are judged (today).
    pub as_of: Option<String>,
}

/// Which assessments to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// A twin's content hash (or the path it was assessed under).
    pub twin: Option<String>,
    /// A recipient.
    pub recipient: Option<String>,
}

/// Which audit entries to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this actor's entries.
    pub actor: Option<String>,
    /// Only this action (`token.created`) or family (`token`).
    pub kind: Option<String>,
    /// Only entries at or after this day (YYYY-MM-DD) or UTC time (RFC 3339, `Z`).
    pub since: Option<String>,
    /// Only the last N entries that pass.
    pub last: Option<usize>,
}

/// Which year's ledger report.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (the current one when absent).
    pub year: Option<i64>,
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The server's version and which stores exist. Needs no token.
#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, description = "The server answers", body = Health)))]
pub async fn health(State(st): State<AppState>) -> ApiResult<Health> {
    let ws = st.workspace().clone();
    let s = blocking(move || ws.store_status()).await?;
    Ok(Json(Health {
        status: "ok",
        version: datavisa_workflow::tool().version,
        store: StoreHealth {
            vault_unlocked: st.vault_unlocked(),
            vault: s.vault,
            register: s.register,
            team: s.team,
            datasets: s.datasets,
        },
    }))
}

/// This document. Needs no token.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}

/// Every user.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_users(Extension(a): Extension<Acting>) -> ApiResult<Vec<UserView>> {
    let list = blocking(move || a.workspace.users()).await?;
    Ok(Json(list.into_iter().map(UserView::from).collect()))
}

/// Adds a user (audited).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn add_user(
    Extension(a): Extension<Acting>,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let u = blocking(move || {
        let mut roles = body
            .roles
            .iter()
            .map(|r| exact_role(r))
            .collect::<datavisa_workflow::Result<Vec<Role>>>()?;
        roles.sort();
        roles.dedup();
        a.workspace.add_user(&body.name, &roles)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

/// Disables a user: their tokens stop working (audited).
#[utoipa::path(post, path = "/api/v1/users/{name}/disable", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "The user")),
    responses((status = 200, body = UserView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn disable_user(
    Extension(a): Extension<Acting>,
    Path(name): Path<String>,
) -> ApiResult<UserView> {
    let u = blocking(move || a.workspace.disable_user(&name)).await?;
    Ok(Json(u.into()))
}

/// Every token, without its value.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_tokens(Extension(a): Extension<Acting>) -> ApiResult<Vec<TokenView>> {
    let list = blocking(move || a.workspace.tokens()).await?;
    Ok(Json(list.into_iter().map(TokenView::from).collect()))
}

/// Makes a token; the response is the only place its value appears (audited by prefix).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", security(("bearer" = [])),
    request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn create_token(
    Extension(a): Extension<Acting>,
    Json(body): Json<NewTokenRequest>,
) -> Result<(StatusCode, HeaderMap, Json<CreatedToken>), ApiError> {
    let t = blocking(move || {
        a.workspace
            .create_token(&body.user, body.expires.as_deref().unwrap_or("90d"))
    })
    .await?;
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok((StatusCode::CREATED, h, Json(t.into())))
}

/// Revokes a token by its prefix (audited).
#[utoipa::path(post, path = "/api/v1/tokens/{prefix}/revoke", tag = "admin", security(("bearer" = [])),
    params(("prefix" = String, Path, description = "The token's prefix, as listed")),
    responses((status = 200, body = TokenView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn revoke_token(
    Extension(a): Extension<Acting>,
    Path(prefix): Path<String>,
) -> ApiResult<TokenView> {
    let t = blocking(move || a.workspace.revoke_token(&prefix)).await?;
    Ok(Json(t.into()))
}

/// Stores a CSV file by its SHA-256, streamed; over the size limit is 413, a file that does not
/// read as CSV is 400 naming line and column. The same bytes again are the same dataset.
#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The CSV file's bytes"),
    responses((status = 201, body = DatasetView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem)))]
pub async fn upload_dataset(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<DatasetView>), ApiError> {
    let limit = st.limits().upload_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("the upload is over the server's limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let ws = a.workspace.clone();
    let upload = blocking(move || ws.new_upload()).await?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(upload.path())
        .await
        .map_err(|e| ApiError::from(datavisa_workflow::Error::internal(e.to_string())))?;
    let mut stream = body.into_data_stream();
    let mut received: u64 = 0;
    while let Some(chunk) = stream.next().await {
        // A broken connection ends here; the partial file goes when `upload` drops.
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "interrupted",
                format!("the upload broke off: {e}"),
            )
        })?;
        received += chunk.len() as u64;
        if received > limit {
            return Err(too_large());
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::from(datavisa_workflow::Error::internal(e.to_string())))?;
    }
    file.sync_all()
        .await
        .map_err(|e| ApiError::from(datavisa_workflow::Error::internal(e.to_string())))?;
    drop(file);
    let name = q.name.unwrap_or_else(|| "upload.csv".into());
    let d = blocking(move || a.workspace.commit_upload(upload, &name)).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Every stored dataset.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", security(("bearer" = [])),
    responses((status = 200, body = Vec<DatasetView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_datasets(Extension(a): Extension<Acting>) -> ApiResult<Vec<DatasetView>> {
    let list = blocking(move || a.workspace.datasets()).await?;
    Ok(Json(list.into_iter().map(DatasetView::from).collect()))
}

/// The stored dataset, or 404.
async fn stored(a: &Acting, sha256: String) -> Result<Dataset, ApiError> {
    let ws = a.workspace.clone();
    let hash = sha256.clone();
    blocking(move || ws.dataset(&hash))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no dataset has the hash {sha256:?}")))
}

/// One stored dataset.
#[utoipa::path(get, path = "/api/v1/datasets/{sha256}", tag = "datasets", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "The dataset's SHA-256")),
    responses((status = 200, body = DatasetView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show_dataset(
    Extension(a): Extension<Acting>,
    Path(sha256): Path<String>,
) -> ApiResult<DatasetView> {
    Ok(Json(stored(&a, sha256).await?.into()))
}

/// Types, missing shares, distinct counts and top values of a stored dataset.
#[utoipa::path(post, path = "/api/v1/datasets/{sha256}/inspect", tag = "datasets", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "The dataset's SHA-256")),
    request_body = InspectBody,
    responses((status = 200, body = Inspection), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn inspect_dataset(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Path(sha256): Path<String>,
    Json(body): Json<InspectBody>,
) -> Result<Json<datavisa_workflow::inspect::Inspection>, ApiError> {
    let d = stored(&a, sha256).await?;
    let ws = a.workspace;
    let place = st.table_place().await?;
    let (inspection, _) = blocking(move || {
        // Held by the work, not the request: a client that hangs up frees no place early.
        let _place = place;
        ws.inspect(&InspectRequest {
            file: ws.dataset_file(&d.sha256),
            read: ReadRequest::default(),
            top: body.top.unwrap_or(3),
        })
    })
    .await?;
    Ok(Json(inspection))
}

/// Personal information, sensitive categories and each column's role in a stored dataset:
/// answered in the request (200) up to the server's row limit (`--sync-scan-rows`), run as a
/// job (202, its result the same scan) above it.
#[utoipa::path(post, path = "/api/v1/datasets/{sha256}/scan", tag = "datasets", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "The dataset's SHA-256")),
    request_body = ScanBody,
    responses((status = 200, body = Scanned), (status = 202, body = crate::jobs::JobView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn scan_dataset(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Path(sha256): Path<String>,
    Json(body): Json<ScanBody>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let d = stored(&a, sha256).await?;
    if d.rows > st.limits().sync_scan_rows {
        return Ok(crate::jobs::submit_scan(&st, a, d.sha256, body)
            .await?
            .into_response());
    }
    let ws = a.workspace;
    let place = st.table_place().await?;
    let s = blocking(move || {
        let _place = place;
        scan_now(&ws, &d.sha256, body)
    })
    .await?;
    Ok(Json(s).into_response())
}

/// Scans the stored dataset `sha256` as `body` says.
pub fn scan_now(
    ws: &datavisa_workflow::Workspace,
    sha256: &str,
    body: ScanBody,
) -> datavisa_workflow::Result<datavisa_workflow::inspect::Scanned> {
    let options = ScanOptions {
        sample_size: body.sample.unwrap_or(1000).max(1),
        seed: body.seed.unwrap_or(0),
        reference_date: datavisa_workflow::day_of(ws, body.as_of.as_deref(), "as_of")?,
        ..Default::default()
    };
    ws.scan(&ScanRequest {
        file: ws.dataset_file(sha256),
        read: ReadRequest::default(),
        write_spec: None,
        options,
    })
}

/// Stored assessments, oldest first.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "records", security(("bearer" = [])),
    params(AssessmentQuery),
    responses((status = 200, body = Vec<AssessmentSummary>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_assessments(
    Extension(a): Extension<Acting>,
    Query(q): Query<AssessmentQuery>,
) -> Result<Json<Vec<impl Serialize>>, ApiError> {
    let req = datavisa_workflow::assess::ListRequest {
        twin: q.twin,
        recipient: q.recipient,
    };
    Ok(Json(blocking(move || a.workspace.assessments(&req)).await?))
}

/// One stored assessment with what else is on record for its twin and recipient.
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path, description = "The assessment's id")),
    responses((status = 200, body = Assessment), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn show_assessment(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<Json<datavisa_workflow::assess::Assessed>, ApiError> {
    let ws = a.workspace;
    Ok(Json(
        blocking(move || {
            let stored = ws.stored_assessment(&id)?;
            let mut out = datavisa_workflow::assess::Assessed::of(&stored)?;
            out.on_record = ws.on_record(&stored)?;
            Ok(out)
        })
        .await?,
    ))
}

/// Every visa with its status today.
#[utoipa::path(get, path = "/api/v1/visas", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<Visa>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_visas(
    Extension(a): Extension<Acting>,
) -> Result<Json<Vec<datavisa_workflow::assess::VisaView>>, ApiError> {
    Ok(Json(blocking(move || a.workspace.visas(None)).await?))
}

/// One visa with its history.
#[utoipa::path(get, path = "/api/v1/visas/{id}", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path, description = "The visa's id")),
    responses((status = 200, body = VisaDetail), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn show_visa(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<Json<datavisa_workflow::assess::VisaDetail>, ApiError> {
    Ok(Json(blocking(move || a.workspace.visa(&id)).await?))
}

/// The audit log, oldest first, filtered by actor, kind and time.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn audit_log(
    Extension(a): Extension<Acting>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<impl Serialize>>, ApiError> {
    let f = AuditFilter {
        actor: q.actor,
        kind: q.kind,
        since: q.since,
        last: q.last,
    };
    Ok(Json(
        blocking(move || a.workspace.audit_filtered(&f)).await?,
    ))
}

/// A signed checkpoint of the audit chain: the JSON `datavisa audit anchor` writes, so a saved
/// response is a file `datavisa audit verify --anchor FILE` takes.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditAnchor {
    /// Always `datavisa-audit-anchor/1`.
    #[schema(example = "datavisa-audit-anchor/1")]
    pub format: String,
    /// The vault whose log it anchors.
    pub vault_id: String,
    /// The last entry's sequence number when anchored.
    pub seq: i64,
    /// The last entry's hash when anchored, hex.
    pub hash: String,
    /// When it was signed (RFC 3339, UTC).
    pub at: String,
    /// Why it was written (`audit anchor`; `relink.executed` or `keys.destroyed` for the
    /// automatic ones).
    pub reason: String,
    /// The anchor key's Ed25519 public half, hex: the key id to keep with the anchor and to
    /// compare with the one the auditor trusts (`anchor_public_key` when verifying).
    pub public_key: String,
    /// The Ed25519 signature of the fields above, hex.
    pub signature: String,
}

impl From<datavisa_workflow::vault::Anchor> for AuditAnchor {
    fn from(a: datavisa_workflow::vault::Anchor) -> AuditAnchor {
        AuditAnchor {
            format: a.format,
            vault_id: a.vault_id,
            seq: a.seq,
            hash: a.hash,
            at: a.at,
            reason: a.reason,
            public_key: a.public_key,
            signature: a.signature,
        }
    }
}

impl From<AuditAnchor> for datavisa_workflow::vault::Anchor {
    fn from(a: AuditAnchor) -> datavisa_workflow::vault::Anchor {
        datavisa_workflow::vault::Anchor {
            format: a.format,
            vault_id: a.vault_id,
            seq: a.seq,
            hash: a.hash,
            at: a.at,
            reason: a.reason,
            public_key: a.public_key,
            signature: a.signature,
        }
    }
}

/// The audit log's head signed now with the server's anchor key (`DATAVISA_ANCHOR_KEY`, else
/// `anchor.key` in the directory beside the store), for the auditor to keep outside the store.
/// Like `datavisa audit anchor` it reads the log and writes nothing in the store, so it is no
/// audit entry.
#[utoipa::path(get, path = "/api/v1/audit/anchor", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditAnchor), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn audit_anchor(Extension(a): Extension<Acting>) -> ApiResult<AuditAnchor> {
    let anchor = blocking(move || a.workspace.sign_audit_head()).await?;
    Ok(Json(anchor.into()))
}

/// What to verify the audit log against; an empty body (or none) checks the log alone.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyAudit {
    /// An anchor from `GET /api/v1/audit/anchor` or `datavisa audit anchor`, kept outside the
    /// store: the log must still hold everything up to it.
    #[serde(default)]
    pub anchor: Option<AuditAnchor>,
    /// The public key (hex) the anchor must be signed by; any valid signature otherwise.
    #[serde(default)]
    pub anchor_public_key: Option<String>,
}

/// Checks the audit log's chain, MACs and head and, given an anchor, that the log still holds
/// everything up to it; `intact` is false, naming each problem (`rolled_back` for a truncated or
/// rolled-back log), when it was tampered with. An anchor whose signature does not verify, or of
/// another key or vault, is 400.
#[utoipa::path(post, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    request_body(content = Option<VerifyAudit>, description = "Optional: an anchor to verify against"),
    responses((status = 200, body = Verification), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn verify_audit(
    Extension(a): Extension<Acting>,
    body: Option<Json<Option<VerifyAudit>>>,
) -> Result<Json<impl Serialize>, ApiError> {
    // No body, an empty one and `null` (the document's optional body) all check the log alone.
    let body = body.and_then(|Json(b)| b).unwrap_or_default();
    let r = blocking(move || match body.anchor {
        None => a.workspace.verify_audit(),
        Some(anchor) => a
            .workspace
            .verify_audit_against(&anchor.into(), body.anchor_public_key.as_deref()),
    })
    .await?;
    // The anchor's own fault (forged, altered, another key or vault) is bad input, not a
    // verdict on the log.
    if let Some(p) = r.problems.iter().find(|p| p.kind == "anchor_invalid") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-anchor",
            p.message.clone(),
        ));
    }
    Ok(Json(r))
}

/// Every exporter in the ledger.
#[utoipa::path(get, path = "/api/v1/ledger/exporters", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = Vec<Exporter>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_exporters(
    Extension(a): Extension<Acting>,
) -> Result<Json<Vec<impl Serialize>>, ApiError> {
    Ok(Json(blocking(move || a.workspace.exporters()).await?))
}

/// Every recipient in the ledger.
#[utoipa::path(get, path = "/api/v1/ledger/recipients", tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = Vec<Recipient>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_recipients(
    Extension(a): Extension<Acting>,
) -> Result<Json<Vec<impl Serialize>>, ApiError> {
    Ok(Json(blocking(move || a.workspace.recipients()).await?))
}

/// A year's transfers, distinct people and mechanisms per exporter.
#[utoipa::path(get, path = "/api/v1/ledger/report", tag = "ledger", security(("bearer" = [])),
    params(YearQuery),
    responses((status = 200, body = YearReport), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn ledger_report(
    Extension(a): Extension<Acting>,
    Query(q): Query<YearQuery>,
) -> Result<Json<datavisa_workflow::ledger::YearReport>, ApiError> {
    Ok(Json(
        blocking(move || a.workspace.year_report(q.year)).await?,
    ))
}
