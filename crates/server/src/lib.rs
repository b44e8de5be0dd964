//! The Countersign server (DESIGN §4): REST under `/v1` with an OpenAPI 3.1 document,
//! MCP over streamable HTTP at `/mcp` (and over stdio through [`mcp::serve_stdio`]),
//! `/healthz` and Prometheus `/metrics`, with the outbox worker running inside.
//!
//! How it fits: handlers authenticate the caller ([`auth`]), check role and ownership
//! against the stored item, and call the store, which does everything in one audited
//! transaction. The engine's decision runs under a deadline ([`decide`]) and a slow one is
//! held, never allowed. Errors have one JSON shape ([`error`]).
//!
//! Not here: deciding (the engine), storing (the store), delivering (the connectors), and
//! argument parsing (the CLI's `serve` and `mcp` commands build a [`config::Config`] and
//! call [`run`] or [`mcp::serve_stdio`]).
//!
//! The caller gives [`run`] its socket and its shutdown signal, so tests bind port 0 and
//! stop the server when they are done.

pub mod auth;
pub mod bench;
pub mod chain_watch;
pub mod channels;
pub mod committer;
pub mod config;
pub mod decide;
pub mod error;
pub mod inbox;
pub mod mcp;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod routes;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

/// The whole HTTP application. `cancel` stops long-lived MCP streams at shutdown.
pub fn app(state: AppState, cancel: CancellationToken) -> Router {
    let mcp = Router::new()
        .nest_service("/mcp", mcp::http_service(state.clone(), cancel))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            mcp::require_tool,
        ));
    let docs: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new("/docs")
        .url("/openapi.json", openapi::document())
        .into();
    routes::router()
        .merge(inbox::router())
        .merge(docs)
        .merge(mcp)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.server.body_limit_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), deadline))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn(observe))
        .layer(middleware::map_response(no_sniff))
        .with_state(state)
}

/// Every response is only what its content type says: the inbox allows scripts from this
/// origin (its one static file), so an API answer must never be run as one.
async fn no_sniff(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint: see /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method: see /openapi.json",
    )
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal(&"a handler panicked").into_response()
}

/// The request timeout: an abandoned request's future is dropped, which rolls back its
/// transaction, so a timeout never leaves anything half-written.
async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // A CRM import streams files of any size into the store in its own transactions.
    if req.uri().path() == routes::imports::PATH {
        return next.run(req).await;
    }
    match tokio::time::timeout(state.config.request_timeout(), next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::timeout().into_response()
        }
    }
}

/// A request id (kept from `x-request-id` when the client sent a sane one), a span with
/// the method and matched route, one log line per response, and the response counter.
async fn observe(req: Request, next: Next) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(
            || format!("req-{:x}", NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            str::to_owned,
        );
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    span.in_scope(|| {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), ms, "response");
        } else {
            tracing::debug!(status = status.as_u16(), ms, "response");
        }
    });
    let class = match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    ::metrics::counter!(metrics::HTTP_RESPONSES, "status" => class, "route" => route).increment(1);
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    // The server's own time for the request (W3C Server-Timing), so clients and the
    // bench can tell server time from network and client time.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "app;dur={:.3}",
        started.elapsed().as_secs_f64() * 1000.0
    )) {
        response.headers_mut().insert("server-timing", v);
    }
    response
}

/// Serves `state` on `listener` until `shutdown` resolves, then stops taking requests,
/// lets in-flight ones finish (at most `[server] shutdown_grace_ms`), stops the outbox
/// worker after its current round and closes the store.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cancel = CancellationToken::new();
    let worker = worker::build(&state, &state.config).map_err(std::io::Error::other)?;
    let app = app(state.clone(), cancel.child_token());
    let refresher = tokio::spawn(refresh_policy(
        state.clone(),
        Duration::from_millis(state.config.policy.refresh_interval_ms),
        cancel.child_token(),
    ));
    let lapses = tokio::spawn(review_clock(state.clone(), cancel.child_token()));
    let worker = worker.map(|w| {
        tokio::spawn(worker::run(
            w,
            Duration::from_millis(state.config.outbox.interval_ms),
            cancel.child_token(),
        ))
    });
    let grace = Duration::from_millis(state.config.server.shutdown_grace_ms);
    let stop = cancel.clone();
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: draining in-flight requests");
        stop.cancel();
    });
    let result = tokio::select! {
        r = serve.into_future() => r,
        () = async { cancel.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("shutdown grace elapsed: requests still in flight were dropped");
            Ok(())
        }
    };
    cancel.cancel();
    let _ = refresher.await;
    let _ = lapses.await;
    if let Some(w) = worker {
        let _ = w.await;
    }
    state.store.close().await;
    tracing::info!("stopped");
    result
}

/// Re-reads the active policy every `interval`, so activations through other instances
/// take effect here.
async fn refresh_policy(state: AppState, interval: Duration, cancel: CancellationToken) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        if let Err(e) = state.refresh_policy().await {
            tracing::warn!(error = %e, "could not re-read the active policy");
        }
    }
}

/// Every minute: tells reviewers about held actions whose approvals ran out of time (their
/// roles are back in the queues; an opportunity change is told when it is stored), and
/// takes the service levels' steps (reminders, escalations, expiry). The lapse windows
/// overlap and start an hour back, so a restart misses nothing; the store takes each
/// occasion and each step once, also across instances.
async fn review_clock(state: AppState, cancel: CancellationToken) {
    const EVERY: Duration = Duration::from_secs(60);
    let n = &state.config.notifications;
    let notifying = n.email || n.slack_webhook_url.is_some() || n.teams_webhook_url.is_some();
    let mut since = chrono::Utc::now() - chrono::Duration::hours(1);
    loop {
        let now = chrono::Utc::now();
        if notifying {
            match state.store.notify_lapsed_approvals(since, now).await {
                Ok(_) => since = now - chrono::Duration::minutes(5),
                Err(e) => tracing::warn!(error = %e, "could not check for lapsed approvals"),
            }
        }
        match state.store.sweep_service_levels(&state.policy(), now).await {
            Ok(r) if r != countersign_store::SweepReport::default() => {
                tracing::info!(
                    reminded = r.reminded,
                    escalated = r.escalated,
                    expired = r.expired,
                    "service levels"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not apply the service levels"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Binds `config`'s address, builds the state and serves until `shutdown`.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = config
        .listen_addr()
        .map_err(|e| ServeError::Config(e.to_string()))?;
    let state = AppState::build(config).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Bind(addr.to_string(), e))?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(addr.to_string(), e))?;
    tracing::info!(address = %local, policy = %state.policy().version, backend = ?state.store.backend(), "listening");
    // The bound address on stdout: scripts and tests that pass port 0 read it here.
    println!("listening on http://{local}");
    run(listener, state, shutdown)
        .await
        .map_err(ServeError::Serve)
}

/// Why `serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Start(#[from] state::StartError),
    #[error("failed to listen on {0}: {1}")]
    Bind(String, #[source] std::io::Error),
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
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
        () = ctrl_c => {}
        () = term => {}
    }
}
