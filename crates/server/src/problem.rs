//! Errors as `application/problem+json` (RFC 9457), from workflow errors, from the server's
//! own refusals (401, 403, 404, 413) and, through [`problem_for_bare_errors`], from any error
//! response axum or a tower layer makes on its own.

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use datavisa_workflow::{Error, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem: what went wrong, for a person and for a program.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's short title.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened in this request, naming file, line and column where there is one.
    pub detail: String,
    /// The request path.
    pub instance: String,
}

/// A problem not yet tied to a request path (the middleware fills `instance`).
#[derive(Debug)]
pub struct ApiError {
    /// The status to answer with.
    pub status: StatusCode,
    /// A problem type under `/problems/` (e.g. `bad-input`), or none for `about:blank`.
    pub kind: Option<&'static str>,
    /// The explanation.
    pub detail: String,
}

impl ApiError {
    /// A problem with `status` and `detail`.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind: Some(kind),
            detail: detail.into(),
        }
    }

    /// 401: no valid token.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: a valid token whose roles do not allow the route.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: nothing by that name.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", detail)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e.kind {
            ErrorKind::BadInput => ApiError::new(StatusCode::BAD_REQUEST, "bad-input", e.message),
            ErrorKind::NotFound => ApiError::not_found(e.message),
            ErrorKind::Refused => ApiError::new(StatusCode::CONFLICT, "refused", e.message),
            ErrorKind::Cancelled => ApiError::new(StatusCode::CONFLICT, "cancelled", e.message),
            ErrorKind::Internal => {
                // The message may name server paths: it goes to the log, not to the client.
                tracing::error!(error = %e.message, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; its log says why",
                )
            }
        }
    }
}

/// Marks a response whose body is already a problem, so the middleware leaves it alone.
#[derive(Clone, Debug)]
struct Detail(String, Option<&'static str>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is written by `problem_for_bare_errors`, which knows the request path.
        let mut r = self.status.into_response();
        r.extensions_mut().insert(Detail(self.detail, self.kind));
        r
    }
}

fn problem_response(
    status: StatusCode,
    kind: Option<&str>,
    detail: String,
    path: &str,
) -> Response {
    let p = Problem {
        kind: kind.map_or_else(|| "about:blank".to_owned(), |k| format!("/problems/{k}")),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        instance: path.to_owned(),
    };
    let body = serde_json::to_vec(&p).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    r
}

/// What axum and tower say for a status they answer on their own.
fn default_detail(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "no such route".into(),
        StatusCode::METHOD_NOT_ALLOWED => "the route does not take this method".into(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is over the server's limit".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "the request body must be JSON (Content-Type: application/json)".into()
        }
        StatusCode::REQUEST_TIMEOUT => "the request took longer than the server's limit".into(),
        s => s.canonical_reason().unwrap_or("error").to_owned(),
    }
}

/// Middleware: every error response leaves as problem+json, whoever made it (a handler, an
/// extractor's rejection, the router's fallbacks, the body limit, the timeout).
pub async fn problem_for_bare_errors(req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let r = next.run(req).await;
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_problem = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem {
        return r;
    }
    let (detail, kind) = match r.extensions().get::<Detail>() {
        Some(Detail(d, k)) => (d.clone(), *k),
        None => (
            rejection_text(r)
                .await
                .unwrap_or_else(|| default_detail(status)),
            None,
        ),
    };
    let mut out = problem_response(status, kind, detail, &path);
    if status == StatusCode::UNAUTHORIZED {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}

/// The plain-text body of an extractor's rejection (it says which field or byte was wrong).
async fn rejection_text(r: Response) -> Option<String> {
    let plain = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain {
        return None;
    }
    let bytes = axum::body::to_bytes(r.into_body(), 64 * 1024).await.ok()?;
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    (!text.is_empty()).then_some(text)
}
