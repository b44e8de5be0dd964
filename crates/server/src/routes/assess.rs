//! `GET /v1/assess`: the AI Opportunity Score — which sales workflow to automate first,
//! each with its parts, the recommendation and the formula (readers of the audit log).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use countersign_engine::assess::Assessment;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/assess", get(assess))
}

/// The assessment now, under the active policy's `[assess]` weights.
pub async fn assess(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Assessment>, ApiError> {
    super::scans::may_read(&caller.principal)?;
    Ok(ApiJson(crate::inbox::assess::assessment(&state).await?))
}
