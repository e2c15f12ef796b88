//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types; a test checks it against the route table.

use crate::{api, jobs, ledger, measures, relinks, visas};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    modifiers(&Bearer)
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
