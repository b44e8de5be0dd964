//! `GET /v1/triage`: open opportunities ranked by how much they need a human now.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::service;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/triage", get(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TriageQuery {
    /// Only this rep's deals (reps always see only their own).
    pub owner: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<usize>,
}

/// Open opportunities ranked by need, each with `opportunity_id`, `account`, `owner`,
/// `stage`, `amount`, `score`, `reasons` (codes), `explanation` and `suggested_action`.
#[utoipa::path(
    get, path = "/v1/triage", tag = "pipeline",
    params(TriageQuery),
    responses(
        (status = 200, description = "Ranked, most urgent first", body = Vec<Object>),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TriageQuery>,
) -> Result<ApiJson<Vec<Value>>, ApiError> {
    let account = caller.principal.account()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let (ranked, _) =
        service::triage::for_account(&state, account, q.owner.as_deref(), limit).await?;
    Ok(ApiJson(ranked.iter().map(service::triage::json).collect()))
}
