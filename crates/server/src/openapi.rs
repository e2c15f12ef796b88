//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types; a test checks it against the route table.

use crate::{api, jobs, ledger, measures, relinks, visas};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(title = "datavisa", description = "datavisa's HTTP API: datasets, scans, the records of assessments and visas, the ledger and the audit log, for a team with roles. Errors are application/problem+json (RFC 9457)."),
    paths(
        api::health, api::openapi,
        api::list_users, api::add_user, api::disable_user,
        api::list_tokens, api::create_token, api::revoke_token,
        api::upload_dataset, api::list_datasets, api::show_dataset, api::inspect_dataset, api::scan_dataset,
        api::list_assessments, api::show_assessment, api::list_visas, api::show_visa,
        api::audit_log, api::verify_audit, api::audit_anchor,
        api::list_exporters, api::list_recipients, api::ledger_report,
        relinks::request_relink, relinks::list_relinks, relinks::show_relink,
        relinks::approve_relink, relinks::deny_relink, relinks::withdraw_relink, relinks::execute_relink,
        visas::issue_visa, visas::void_visa, visas::revoke_visa, visas::review_visas, visas::add_recipient,
        visas::add_exporter, visas::list_filings, visas::due, visas::assessment_report,
        ledger::pipia_report, ledger::plan, ledger::record_transfer, ledger::add_filing,
        jobs::list_jobs, jobs::show_job, jobs::job_events, jobs::cancel_job, jobs::resubmit_job,
        jobs::generalize, jobs::pseudonymize, jobs::synthesize, jobs::assess,
        measures::attack, measures::risk, measures::utility,
        jobs::list_twins, jobs::show_twin, jobs::download_twin,
    ),
    modifiers(&Bearer, &Problems)
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Errors as served: a `Problem` body is `application/problem+json` (the problem middleware's
/// media type, never plain JSON), and every operation declares the refusals the layers in front
/// of its handler make, so a handler lists only its own: 401 and 403 from the role check on a
/// secured route, 400 from a query string that does not parse, and for a JSON body 400 (not
/// JSON), 413 (over `--max-json-kib`), 415 (not `application/json`) and 422 (JSON of the wrong
/// shape).
struct Problems;

impl Modify for Problems {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let names_an_id = path.contains('{');
            for op in [&mut item.get, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                problems_as_served(op);
                for (status, why) in layer_refusals(op, names_an_id) {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(why));
                }
            }
        }
    }
}

/// The `Problem` schema's reference.
fn problem_ref() -> Ref {
    Ref::from_schema_name("Problem")
}

/// A response whose body is a problem, described by `why`.
fn problem_response(why: &str) -> RefOr<Response> {
    let mut r = Response::new(why);
    r.content.insert(
        crate::problem::PROBLEM_JSON.to_owned(),
        Content::new(Some(problem_ref())),
    );
    RefOr::T(r)
}

/// Moves every `Problem` body of `op` from `application/json` to `application/problem+json`.
fn problems_as_served(op: &mut Operation) {
    for r in op.responses.responses.values_mut() {
        let RefOr::T(r) = r else { continue };
        let is_problem = r
            .content
            .get("application/json")
            .is_some_and(|c| matches!(&c.schema, Some(RefOr::Ref(x)) if *x == problem_ref()));
        if is_problem {
            if let Some(c) = r.content.shift_remove("application/json") {
                r.content.insert(crate::problem::PROBLEM_JSON.to_owned(), c);
            }
        }
    }
}

/// The statuses the layers before `op`'s handler may answer with, and why; and 404 where the
/// path, the query or the body names something in the store (an id, a hash, a name), which the
/// workflow answers with not found when the store holds no such thing.
fn layer_refusals(op: &Operation, names_an_id: bool) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if op.security.is_some() {
        out.push(("401", "No valid token"));
        out.push(("403", "The token's user lacks the route's role"));
    }
    let has_query = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    if has_query || json_body {
        out.push(("400", "The request does not parse"));
    }
    if names_an_id || has_query || json_body {
        out.push(("404", "Nothing in the store has the id, hash or name given"));
    }
    if json_body {
        out.push(("413", "The body is over the server's JSON limit"));
        out.push(("415", "The body is not application/json"));
        out.push(("422", "The JSON does not have the body's shape"));
    }
    out
}

/// The document, with the crate's version.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = datavisa_workflow::tool().version;
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every routed (method, path) is documented and every documented one is routed.
    #[test]
    fn the_document_and_the_router_agree() {
        let routed: BTreeSet<(String, String)> = crate::routes::table()
            .iter()
            .map(|r| (r.method.as_str().to_ascii_lowercase(), r.path.to_owned()))
            .collect();
        let doc = serde_json::to_value(document()).unwrap();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        assert_eq!(
            routed.len(),
            crate::routes::table().len(),
            "a route is listed twice"
        );
        assert_eq!(routed, documented);
        assert!(routed.len() >= 22);
    }

    /// Every problem is declared as served (problem+json), with the refusals of the layers
    /// before the handler: 401/403 on secured routes, 400/413/415/422 on JSON bodies.
    #[test]
    fn problems_are_declared_as_the_server_answers_them() {
        let doc = serde_json::to_value(document()).unwrap();
        let problem = serde_json::json!({"$ref": "#/components/schemas/Problem"});
        for r in crate::routes::table() {
            let op = &doc["paths"][r.path][r.method.as_str().to_ascii_lowercase()];
            let responses = op["responses"].as_object().unwrap();
            for (status, resp) in responses {
                let content = resp["content"].as_object().cloned().unwrap_or_default();
                for (ty, c) in &content {
                    assert!(
                        c["schema"] != problem || ty == "application/problem+json",
                        "{} {} {status}: {ty}",
                        r.method,
                        r.path
                    );
                }
                if status.starts_with('4') {
                    assert_eq!(
                        content["application/problem+json"]["schema"], problem,
                        "{} {} {status}",
                        r.method, r.path
                    );
                }
            }
            let mut needed = Vec::new();
            if r.access != crate::routes::Access::Public {
                needed.extend(["401", "403"]);
            }
            if !op["requestBody"]["content"]["application/json"].is_null() {
                needed.extend(["400", "413", "415", "422"]);
            }
            for status in needed {
                assert!(
                    responses.contains_key(status),
                    "{} {} lacks {status}",
                    r.method,
                    r.path
                );
            }
        }
    }

    /// Token-taking routes declare the bearer scheme; public ones do not.
    #[test]
    fn security_follows_the_role_table() {
        let doc = serde_json::to_value(document()).unwrap();
        for r in crate::routes::table() {
            let op = &doc["paths"][r.path][r.method.as_str().to_ascii_lowercase()];
            let secured = op.get("security").is_some();
            assert_eq!(
                secured,
                r.access != crate::routes::Access::Public,
                "{} {}",
                r.method,
                r.path
            );
        }
    }
}
