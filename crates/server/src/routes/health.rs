//! Operations: `/healthz` (readiness: the process and the database answer),
//! `/healthz/live` (liveness: the process answers) and `/metrics` (Prometheus text).
//! None of them needs a token, and none shows anything but counts and states.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(ready))
        .route("/healthz/live", get(live))
        .route("/metrics", get(metrics))
}

/// Health of the server and what it depends on.
#[derive(Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `ok` or `unavailable`.
    pub database: String,
    /// The active policy's version.
    pub policy_version: String,
}

/// Readiness: 200 when the database answers, 503 when it does not.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthBody),
        (status = 503, description = "Not ready: the database does not answer", body = HealthBody),
    )
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, ApiJson<HealthBody>) {
    let db = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await;
    let ok = matches!(db, Ok(Ok(())));
    if !ok {
        tracing::warn!("readiness check: the database does not answer");
    }
    let word = if ok { "ok" } else { "unavailable" };
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        ApiJson(HealthBody {
            status: word.to_owned(),
            database: word.to_owned(),
            policy_version: state.policy().version.as_str().to_owned(),
        }),
    )
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(
    get, path = "/healthz/live", tag = "operations",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain"))
)]
pub async fn live() -> &'static str {
    "ok"
}

/// Prometheus metrics: decisions by outcome and category, decision latency, queue depth
/// per role, outbox state and lag, deliveries, approval latency, HTTP responses.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let now = Utc::now();
    let policy = state.policy();
    let roles: Vec<String> = policy.config.roles.iter().cloned().collect();
    match (
        state.store.queue_depth(now).await,
        state.store.outbox_stats(now).await,
    ) {
        (Ok(depth), Ok(outbox)) => crate::metrics::store_gauges(&roles, &depth, &outbox),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "metrics: store gauges unavailable");
        }
    }
    let handle = crate::metrics::handle();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}
