//! JSON request bodies are objects: serde's derived structs also read a JSON array as the
//! fields in order (`["u1", ["dpo"]]` as a new user), which the document's object schemas do
//! not allow, so such a body is refused before any extractor sees it.

use crate::problem::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether the request says its body is JSON (`application/json` or a `+json` type), as
/// axum's `Json` extractor decides.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(v) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether `bytes` is JSON other than an object or `null` (an optional body left out). What is
/// not JSON at all is left to the extractor, whose 400 says where it broke.
fn is_json_not_object(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii();
    let object_or_nothing = text.is_empty() || text.starts_with(b"{") || text == b"null";
    !object_or_nothing && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok()
}

/// Middleware: a JSON body of at most `limit` bytes (else 413) that is JSON but not an object
/// is 422, as the extractor answers an object of the wrong shape.
pub async fn objects_only(State(limit): State<usize>, req: Request<Body>, next: Next) -> Response {
    if !is_json(req.headers()) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(e) => return unreadable(e).into_response(),
    };
    if is_json_not_object(&bytes) {
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-json",
            "the JSON body must be an object ({...})",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The refusal of a body that could not be read: over the limit (413) or broken off (400).
fn unreadable(e: axum::Error) -> ApiError {
    let over = std::error::Error::source(&e)
        .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        || e.to_string().contains("length limit");
    if over {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "the request body is over the server's limit",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "interrupted",
            format!("the request body broke off: {e}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_other_than_objects_is_refused_and_the_rest_left_to_the_extractor() {
        for passes in [
            &b""[..],
            b"  ",
            b"{}",
            b" {\"a\":1}",
            b"{broken",
            b"null",
            b"nul",
        ] {
            assert!(!is_json_not_object(passes), "{passes:?}");
        }
        for refused in [&b"[null, null]"[..], b"[]", b" 1", b"\"a\"", b"true"] {
            assert!(is_json_not_object(refused), "{refused:?}");
        }
    }

    #[test]
    fn json_types_are_recognized_as_axum_does() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::CONTENT_TYPE, v.parse().unwrap());
            m
        };
        assert!(is_json(&h("application/json")));
        assert!(is_json(&h("Application/JSON; charset=utf-8")));
        assert!(is_json(&h("application/problem+json")));
        assert!(!is_json(&h("text/csv")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
