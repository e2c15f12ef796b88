//! datavisa's HTTP API (`datavisa serve`): axum on tokio. Each handler is extractor → one
//! `Workspace` call → JSON; who may call what is one table ([`routes::table`]); errors are
//! problem+json; every change is in the audit log with the acting user, the token's prefix and
//! the request id.

pub mod api;
pub mod jobs;
pub mod json_body;
pub mod ledger;
pub mod measures;
pub mod openapi;
pub mod problem;
pub mod relinks;
pub mod routes;
pub mod state;
pub mod visas;

use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::Router;
use state::{AppState, Limits, ServerSecrets, StoreLocation};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use zeroize::Zeroizing;

/// How to start the server.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on (nothing else is listened on).
    pub listen: SocketAddr,
    /// The store.
    pub store: StoreLocation,
    /// The master key's file; `DATAVISA_MASTER_KEY` when absent.
    pub master_key_file: Option<PathBuf>,
    /// Request limits.
    pub limits: Limits,
    /// The job pool's workers and queue.
    pub pool: jobs::PoolSize,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store, the master key or the vault refused.
    #[error("{0}")]
    Store(#[from] datavisa_workflow::Error),
    /// The address could not be bound, or serving failed.
    #[error("{addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// The master key as the server takes it: the file, else `DATAVISA_MASTER_KEY`.
fn master_key(
    file: Option<&std::path::Path>,
) -> Result<Zeroizing<Vec<u8>>, datavisa_workflow::Error> {
    let bytes = match file {
        Some(f) => Zeroizing::new(std::fs::read(f).map_err(|e| {
            datavisa_workflow::Error::bad_input(format!(
                "--master-key-file {}: cannot read the master key file: {e}",
                f.display()
            ))
        })?),
        None => match std::env::var_os("DATAVISA_MASTER_KEY") {
            Some(v) => Zeroizing::new(v.into_encoded_bytes()),
            None => {
                return Err(datavisa_workflow::Error::bad_input(
                    "no master key: set DATAVISA_MASTER_KEY or pass --master-key-file FILE",
                ))
            }
        },
    };
    Ok(bytes)
}

/// Request ids: a per-process random prefix and a counter (unique without a uuid crate).
#[derive(Clone)]
struct Ids {
    boot: Arc<String>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for Ids {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.boot))
            .ok()
            .map(RequestId::new)
    }
}

/// The whole application: the role-checked routes, problem+json for every error, limits,
/// request ids, security headers and request logs.
pub fn app(state: AppState) -> Router {
    let limits = state.limits();
    let boot = datavisa_workflow::users::random_label().unwrap_or_else(|_| "req".into());
    let ids = Ids {
        boot: Arc::new(boot),
        next: Arc::new(AtomicU64::new(1)),
    };
    let x_request_id = HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            // Method, route template and request id only: never headers, queries or bodies.
            let route = req
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map_or("-", |p| p.as_str())
                .to_owned();
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    routes::router(state.clone())
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND })
        .method_not_allowed_fallback(|| async { axum::http::StatusCode::METHOD_NOT_ALLOWED })
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(limits.json_bytes))
        .layer(axum::middleware::from_fn_with_state(
            limits.json_bytes,
            json_body::objects_only,
        ))
        .layer(axum::middleware::from_fn(problem::problem_for_bare_errors))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.timeout,
        ))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.concurrency,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, ids))
}

/// Opens the store with the master key (checking it against the vault), binds `listen`, calls
/// `on_listening` with the bound address, and serves until SIGTERM or Ctrl-C: in-flight
/// requests are finished, running jobs stopped at a progress point and recorded as
/// interrupted, and the stores closed.
pub fn run(config: Config, on_listening: impl FnOnce(SocketAddr)) -> Result<(), ServerError> {
    init_logs();
    let secrets = ServerSecrets::new(master_key(config.master_key_file.as_deref())?);
    let workspace = config.store.open(secrets)?;
    // The key is checked now, not at the first request that needs it; the vault must exist,
    // since every change is recorded in its audit log.
    workspace.vault_status()?;
    let cleaned = workspace.clean_uploads();
    if cleaned > 0 {
        tracing::info!(cleaned, "removed partial uploads of an earlier run");
    }
    // Jobs left queued or running by a server that died are interrupted, never rerun by
    // themselves: a user resubmits them.
    let interrupted = workspace.interrupt_jobs()?;
    if !interrupted.is_empty() {
        tracing::warn!(jobs = ?interrupted, "jobs of an earlier run were interrupted");
    }
    let mut pool = config.pool;
    pool.hold = std::env::var_os("DATAVISA_TEST_HOLD_JOBS").is_some_and(|v| v == "1");
    let state = AppState::new(workspace, config.limits, true).with_pool(pool);
    jobs::Pool::start(&state);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Listen {
            addr: config.listen,
            source,
        })?;
    let served = rt.block_on(serve(config.listen, state.clone(), on_listening));
    stop_jobs(&state);
    served
}

/// The end of a shutdown: running jobs are asked to stop and waited for (up to the grace
/// period); every job still queued or running is then recorded as interrupted, and what it
/// wrote is discarded, exactly as a restart after a crash would.
fn stop_jobs(state: &AppState) {
    let drained = state.pool().stop(state.pool().grace());
    if !drained {
        tracing::warn!("jobs still running at the end of the grace period are interrupted");
    }
    match state.workspace().interrupt_jobs() {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!(jobs = ?ids, "queued and running jobs were interrupted");
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e.message, "could not mark the jobs interrupted"),
    }
}

async fn serve(
    addr: SocketAddr,
    state: AppState,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let err = |source| ServerError::Listen { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(err)?;
    let bound = listener.local_addr().map_err(err)?;
    tracing::info!(address = %bound, "listening");
    on_listening(bound);
    let (stopping, mut stopped) = tokio::sync::watch::channel(false);
    let pool_state = state.clone();
    let served = axum::serve(listener, app(state.clone())).with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Jobs stop at their next progress point now, so that their event streams end too.
        pool_state.pool().begin_stop();
        let _ = stopping.send(true);
    });
    // Connections still open a grace period after the signal (a client holding an event
    // stream of a queued job, a slow download) are dropped rather than awaited forever.
    let grace = state.pool().grace();
    let overdue = async move {
        let _ = stopped.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = served => r.map_err(err)?,
        () = overdue => tracing::warn!("connections still open after the grace period were closed"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves at SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
}

/// Structured logs on stderr; `DATAVISA_LOG=debug|info|warn|error` sets the level (info).
fn init_logs() {
    let level = match std::env::var("DATAVISA_LOG").as_deref() {
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        Ok("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
