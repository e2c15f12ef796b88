//! The role matrix: every route with the roles allowed on it, in one table that the router is
//! built from (so a route cannot exist without a rule), and the middleware that enforces it.

use crate::problem::ApiError;
use crate::relinks;
use crate::state::AppState;
use crate::visas;
use crate::{api, jobs, ledger, measures};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Method, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use datavisa_workflow::users::{Refusal, Role};
use datavisa_workflow::Origin;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// A valid token of a user holding one of these roles.
    Roles(&'static [Role]),
}

/// One route of the API: method, path (OpenAPI syntax), who may call it, and its handler.
pub struct RouteRule {
    /// The HTTP method.
    pub method: Method,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    /// The roles allowed.
    pub access: Access,
    make: fn() -> MethodRouter<AppState>,
}

use Role::{Admin, Approver, Auditor, Dpo, Steward};

const ADMIN: Access = Access::Roles(&[Admin]);
const STEWARD: Access = Access::Roles(&[Steward]);
/// Reading datasets: who prepares them and who checks.
const DATA_READ: Access = Access::Roles(&[Steward, Auditor]);
/// Reading assessments, visas and the ledger.
const RECORD_READ: Access = Access::Roles(&[Steward, Dpo, Auditor]);
const AUDITOR: Access = Access::Roles(&[Auditor]);
/// Visas and recipients: the DPO's.
const DPO: Access = Access::Roles(&[Dpo]);
/// Deciding on relinks: approvers only (never on their own request, which the vault refuses).
const APPROVER: Access = Access::Roles(&[Approver]);
/// Reading relink requests: who files them, who decides and who checks.
const RELINK_READ: Access = Access::Roles(&[Steward, Approver, Auditor]);

macro_rules! rule {
    ($m:ident $path:literal, $access:expr, $handler:path) => {
        RouteRule {
            method: Method::$m,
            path: $path,
            access: $access,
            make: || axum::routing::on(MethodFilter::$m, $handler),
        }
    };
}

/// Every route of the API and the roles allowed on it (the README's role matrix).
pub fn table() -> Vec<RouteRule> {
    vec![
        rule!(GET "/api/v1/health", Access::Public, api::health),
        rule!(GET "/api/v1/openapi.json", Access::Public, api::openapi),
        rule!(GET "/api/v1/users", ADMIN, api::list_users),
        rule!(POST "/api/v1/users", ADMIN, api::add_user),
        rule!(POST "/api/v1/users/{name}/disable", ADMIN, api::disable_user),
        rule!(GET "/api/v1/tokens", ADMIN, api::list_tokens),
        rule!(POST "/api/v1/tokens", ADMIN, api::create_token),
        rule!(POST "/api/v1/tokens/{prefix}/revoke", ADMIN, api::revoke_token),
        rule!(POST "/api/v1/datasets", STEWARD, api::upload_dataset),
        rule!(GET "/api/v1/datasets", DATA_READ, api::list_datasets),
        rule!(GET "/api/v1/datasets/{sha256}", DATA_READ, api::show_dataset),
        rule!(POST "/api/v1/datasets/{sha256}/inspect", DATA_READ, api::inspect_dataset),
        rule!(POST "/api/v1/datasets/{sha256}/scan", DATA_READ, api::scan_dataset),
        rule!(GET "/api/v1/assessments", RECORD_READ, api::list_assessments),
        rule!(GET "/api/v1/assessments/{id}", RECORD_READ, api::show_assessment),
        rule!(GET "/api/v1/visas", RECORD_READ, api::list_visas),
        rule!(GET "/api/v1/visas/{id}", RECORD_READ, api::show_visa),
        rule!(GET "/api/v1/audit", AUDITOR, api::audit_log),
        rule!(POST "/api/v1/audit/verify", AUDITOR, api::verify_audit),
        rule!(GET "/api/v1/audit/anchor", AUDITOR, api::audit_anchor),
        rule!(GET "/api/v1/ledger/exporters", RECORD_READ, api::list_exporters),
        rule!(GET "/api/v1/ledger/recipients", RECORD_READ, api::list_recipients),
        rule!(GET "/api/v1/ledger/report", RECORD_READ, api::ledger_report),
        // Relinks (dual control): stewards file, withdraw and execute their own requests.
        rule!(POST "/api/v1/relinks", STEWARD, relinks::request_relink),
        rule!(GET "/api/v1/relinks", RELINK_READ, relinks::list_relinks),
        rule!(GET "/api/v1/relinks/{id}", RELINK_READ, relinks::show_relink),
        rule!(POST "/api/v1/relinks/{id}/approve", APPROVER, relinks::approve_relink),
        rule!(POST "/api/v1/relinks/{id}/deny", APPROVER, relinks::deny_relink),
        rule!(POST "/api/v1/relinks/{id}/withdraw", STEWARD, relinks::withdraw_relink),
        rule!(POST "/api/v1/relinks/{id}/execute", STEWARD, relinks::execute_relink),
        // Visas and recipients (the DPO), the ledger (the steward), reports (who reads records).
        rule!(POST "/api/v1/visas", DPO, visas::issue_visa),
        rule!(POST "/api/v1/visas/{id}/void", DPO, visas::void_visa),
        rule!(POST "/api/v1/visas/{id}/revoke", DPO, visas::revoke_visa),
        rule!(POST "/api/v1/visas/review", DPO, visas::review_visas),
        rule!(POST "/api/v1/ledger/recipients", DPO, visas::add_recipient),
        rule!(POST "/api/v1/ledger/exporters", STEWARD, visas::add_exporter),
        rule!(GET "/api/v1/ledger/filings", RECORD_READ, visas::list_filings),
        rule!(GET "/api/v1/ledger/due", RECORD_READ, visas::due),
        rule!(GET "/api/v1/reports/assessment/{id}", RECORD_READ, visas::assessment_report),
        rule!(GET "/api/v1/reports/pipia", RECORD_READ, ledger::pipia_report),
        rule!(GET "/api/v1/ledger/plan", RECORD_READ, ledger::plan),
        rule!(POST "/api/v1/ledger/transfers", STEWARD, ledger::record_transfer),
        rule!(POST "/api/v1/ledger/filings", STEWARD, ledger::add_filing),
        // Jobs: a steward sees and cancels their own, an auditor sees every one.
        rule!(GET "/api/v1/jobs", DATA_READ, jobs::list_jobs),
        rule!(GET "/api/v1/jobs/{id}", DATA_READ, jobs::show_job),
        rule!(GET "/api/v1/jobs/{id}/events", DATA_READ, jobs::job_events),
        rule!(DELETE "/api/v1/jobs/{id}", STEWARD, jobs::cancel_job),
        rule!(POST "/api/v1/jobs/{id}/resubmit", STEWARD, jobs::resubmit_job),
        rule!(POST "/api/v1/twins/generalize", STEWARD, jobs::generalize),
        rule!(POST "/api/v1/twins/pseudonymize", STEWARD, jobs::pseudonymize),
        rule!(POST "/api/v1/twins/synthesize", STEWARD, jobs::synthesize),
        rule!(GET "/api/v1/twins", DATA_READ, jobs::list_twins),
        rule!(GET "/api/v1/twins/{sha256}", DATA_READ, jobs::show_twin),
        rule!(GET "/api/v1/twins/{sha256}/download", DATA_READ, jobs::download_twin),
        rule!(POST "/api/v1/assessments", STEWARD, jobs::assess),
        rule!(POST "/api/v1/attacks", STEWARD, measures::attack),
        rule!(POST "/api/v1/risk", STEWARD, measures::risk),
        rule!(POST "/api/v1/utility", STEWARD, measures::utility),
    ]
}

/// The API's routes, each behind the check of its rule.
pub fn router(state: AppState) -> Router<AppState> {
    let mut r = Router::new();
    for rule in table() {
        let route = match rule.access {
            Access::Public => (rule.make)(),
            Access::Roles(roles) => (rule.make)().route_layer(
                axum::middleware::from_fn_with_state((state.clone(), roles), authorize),
            ),
        };
        r = r.route(rule.path, route);
    }
    r
}

/// The caller of a route, as the handlers see it: who, and the workspace acting for them.
#[derive(Clone)]
pub struct Acting {
    /// The user and their roles.
    pub caller: datavisa_workflow::users::Caller,
    /// The workspace acting for the user on this request.
    pub workspace: datavisa_workflow::Workspace,
}

/// The bearer token of a request, if well formed.
fn bearer(req: &Request<Body>) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// Middleware: a valid token (else 401) of a user with an allowed role (else 403); the handler
/// then gets the [`Acting`] workspace.
async fn authorize(
    State((state, roles)): State<(AppState, &'static [Role])>,
    mut req: Request<Body>,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(token) = bearer(&req).map(str::to_owned) else {
        return Err(ApiError::unauthorized(
            "this route needs a token: Authorization: Bearer <token>",
        ));
    };
    let base = state.workspace().clone();
    let verdict = crate::state::blocking(move || base.authenticate(&token)).await?;
    let caller = match verdict {
        Ok(c) => c,
        Err(why) => {
            let detail = match why {
                Refusal::Unknown => "the token is not known",
                Refusal::Expired => "the token has expired",
                Refusal::Revoked => "the token was revoked",
                Refusal::Disabled => "the token's user is disabled",
            };
            tracing::info!(reason = ?why, "token refused");
            return Err(ApiError::unauthorized(detail));
        }
    };
    if !caller.roles.iter().any(|r| roles.contains(r)) {
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::forbidden(format!(
            "user {} may not do this; it needs the role {}",
            caller.user,
            allowed.join(" or ")
        )));
    }
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    tracing::info!(user = %caller.user, token = %caller.token_prefix, "authorized");
    let workspace = state.workspace().acting(
        caller.user.clone(),
        Some(Origin {
            token_prefix: caller.token_prefix.clone(),
            request_id,
        }),
    );
    req.extensions_mut().insert(Acting { caller, workspace });
    Ok(next.run(req).await)
}
