//! The relink routes: a steward files a request, two approvers (never the requester) approve it
//! with their approver credentials, and the requester executes it once; the execute response
//! is the only place the identities ever appear. An API user acts as the vault approver of the
//! same name (registered with `datavisa vault approver add NAME`).

use crate::problem::{ApiError, Problem};
use crate::routes::Acting;
use crate::state::blocking;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::{Extension, Json};
use datavisa_workflow::relinks::{RelinkOrder, Relinked};
use datavisa_workflow::vault::Request;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

/// A relink request as the API shows it (the pseudonyms are counted, not listed).
#[derive(Serialize, ToSchema)]
pub struct RelinkView {
    /// The request's id.
    pub id: String,
    /// The twin's vault id.
    pub twin_id: String,
    /// The column relinked.
    pub column: String,
    /// Pseudonyms asked for.
    pub n_values: u64,
    /// Why.
    pub purpose: String,
    /// Under which legal basis.
    pub legal_basis: String,
    /// Who filed it (the API user).
    pub requested_by: String,
    /// Filed at (RFC 3339 UTC).
    pub created_at: String,
    /// Approval closes at (RFC 3339 UTC).
    pub expires_at: String,
    /// `pending`, `executed`, `denied`, `withdrawn` or `expired`.
    pub status: String,
    /// Who approved, and when.
    pub approvals: Vec<ApprovalView>,
    /// Closed at, once executed, denied, withdrawn or expired.
    pub closed_at: Option<String>,
    /// Closed by.
    pub closed_by: Option<String>,
    /// Why it was denied.
    pub reason: Option<String>,
}

/// One approval.
#[derive(Serialize, ToSchema)]
pub struct ApprovalView {
    /// The approver.
    pub approver: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

impl From<Request> for RelinkView {
    fn from(r: Request) -> RelinkView {
        RelinkView {
            id: r.id,
            twin_id: r.twin_id,
            column: r.column,
            n_values: r.n_values,
            purpose: r.purpose,
            legal_basis: r.legal_basis,
            requested_by: r.requested_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            status: r.status,
            approvals: r
                .approvals
                .into_iter()
                .map(|a| ApprovalView {
                    approver: a.approver,
                    at: a.at,
                })
                .collect(),
            closed_at: r.closed_at,
            closed_by: r.closed_by,
            reason: r.reason,
        }
    }
}

/// A relink request to file; the requester is the calling user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelink {
    /// The pseudonymized twin's vault id (`twin_id` in its manifest).
    pub twin_id: String,
    /// The column; needed when the twin has several relinkable columns.
    pub column: Option<String>,
    /// The pseudonyms to relink.
    pub pseudonyms: Vec<String>,
    /// Why the identities are needed.
    pub purpose: String,
    /// The legal basis.
    pub legal_basis: String,
    /// How long approval stays open: `72h`, `30m`, `7d`, `90s` (72h when absent).
    pub expires: Option<String>,
}

/// An approver credential from a request body: wiped when dropped, never shown.
pub struct Credential(Zeroizing<String>);

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(<secret>)")
    }
}

impl<'de> Deserialize<'de> for Credential {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Credential, D::Error> {
        String::deserialize(d).map(|s| Credential(Zeroizing::new(s)))
    }
}

impl Credential {
    fn bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.as_bytes().to_vec())
    }
}

/// An approval: the approver's credential, from which the key of the approval's MAC is derived.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The calling approver's credential (as registered with `vault approver add`); never
    /// stored, logged or echoed.
    #[schema(value_type = String, format = Password)]
    pub credential: Credential,
}

/// A denial: the approver's credential and why.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyBody {
    /// The calling approver's credential; never stored, logged or echoed.
    #[schema(value_type = String, format = Password)]
    pub credential: Credential,
    /// Why the request is denied.
    pub reason: String,
}

/// An executed request and its identities.
#[derive(Serialize, ToSchema)]
pub struct RelinkedView {
    /// The request, now `executed`.
    pub request: RelinkView,
    /// SHA-256 of the identities as `pseudonym,value` lines, as the audit log records it.
    pub identities_sha256: String,
    /// Every pseudonym with its value; this response is the only time they are given.
    pub identities: Vec<IdentityView>,
}

/// One pseudonym and its value.
#[derive(Serialize, ToSchema)]
pub struct IdentityView {
    /// The pseudonym.
    pub pseudonym: String,
    /// The original value.
    pub value: String,
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Files a relink request as the calling steward (audited with its content hash).
#[utoipa::path(post, path = "/api/v1/relinks", tag = "relinks", security(("bearer" = [])),
    request_body = NewRelink,
    responses((status = 201, body = RelinkView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn request_relink(
    Extension(a): Extension<Acting>,
    Json(body): Json<NewRelink>,
) -> Result<(StatusCode, Json<RelinkView>), ApiError> {
    let order = RelinkOrder {
        twin_id: body.twin_id,
        column: body.column,
        pseudonyms: body.pseudonyms,
        purpose: body.purpose,
        legal_basis: body.legal_basis,
        ttl: body.expires.unwrap_or_else(|| "72h".into()),
    };
    let r = blocking(move || a.workspace.request_relink_of(&order)).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Every relink request, newest first.
#[utoipa::path(get, path = "/api/v1/relinks", tag = "relinks", security(("bearer" = [])),
    responses((status = 200, body = Vec<RelinkView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_relinks(Extension(a): Extension<Acting>) -> ApiResult<Vec<RelinkView>> {
    let list = blocking(move || a.workspace.relink_requests()).await?;
    Ok(Json(list.into_iter().map(RelinkView::from).collect()))
}

/// One relink request.
#[utoipa::path(get, path = "/api/v1/relinks/{id}", tag = "relinks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The request's id")),
    responses((status = 200, body = RelinkView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn show_relink(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> ApiResult<RelinkView> {
    let r = blocking(move || a.workspace.relink_request(&id)).await?;
    Ok(Json(r.into()))
}

/// Approves a request as the calling approver, with their credential; the requester cannot,
/// and a second approval by the same approver is refused (both audited).
#[utoipa::path(post, path = "/api/v1/relinks/{id}/approve", tag = "relinks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The request's id")),
    request_body = ApproveBody,
    responses((status = 200, body = RelinkView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_relink(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
    Json(body): Json<ApproveBody>,
) -> ApiResult<RelinkView> {
    let ws = a
        .workspace
        .with_approver_credential(body.credential.bytes());
    drop(body);
    let me = a.caller.user;
    let r = blocking(move || ws.approve_relink(&id, &me)).await?;
    Ok(Json(r.into()))
}

/// Denies a request as the calling approver, with their credential (final; audited).
#[utoipa::path(post, path = "/api/v1/relinks/{id}/deny", tag = "relinks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The request's id")),
    request_body = DenyBody,
    responses((status = 200, body = RelinkView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn deny_relink(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
    Json(body): Json<DenyBody>,
) -> ApiResult<RelinkView> {
    let ws = a
        .workspace
        .with_approver_credential(body.credential.bytes());
    let reason = body.reason;
    let me = a.caller.user;
    let r = blocking(move || {
        ws.deny_relink(&id, &me, &reason)?;
        ws.relink_request(&id)
    })
    .await?;
    Ok(Json(r.into()))
}

/// Withdraws a request; only its requester can (audited).
#[utoipa::path(post, path = "/api/v1/relinks/{id}/withdraw", tag = "relinks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The request's id")),
    responses((status = 200, body = RelinkView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw_relink(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> ApiResult<RelinkView> {
    let ws = a.workspace;
    let me = a.caller.user;
    let r = blocking(move || {
        ws.withdraw_relink(&id, &me)?;
        ws.relink_request(&id)
    })
    .await?;
    Ok(Json(r.into()))
}

/// Executes a request with two approvals, once, as its requester: the response carries the
/// identities, and is the only time they are given (a second call is 409). The execution,
/// with the digest of the identities handed out, is in the audit log before the response
/// leaves.
#[utoipa::path(post, path = "/api/v1/relinks/{id}/execute", tag = "relinks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The request's id")),
    responses((status = 200, body = RelinkedView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn execute_relink(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<(HeaderMap, Json<RelinkedView>), ApiError> {
    let ws = a.workspace;
    let done: Relinked = blocking(move || ws.execute_relink_in_memory(&id)).await?;
    let view = RelinkedView {
        request: done.request.into(),
        identities_sha256: done.identities_sha256,
        identities: done
            .identities
            .iter()
            .map(|i| IdentityView {
                pseudonym: i.pseudonym.clone(),
                value: i.value.to_string(),
            })
            .collect(),
    };
    let mut h = HeaderMap::new();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((h, Json(view)))
}
