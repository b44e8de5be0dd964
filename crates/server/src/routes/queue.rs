//! `/v1/queue`: held actions waiting for approvals, per role.
//!
//! A reviewer sees the queue of the roles they hold (all of them, or one with `role`);
//! asking for a role they do not hold is refused. Admins may read any role's queue.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::model::QueueItemBody;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/queue", get(queue))
}

/// Which queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only actions that still need this role. Default: every role you hold.
    pub role: Option<String>,
}

/// List held actions waiting for approvals, oldest first.
#[utoipa::path(
    get, path = "/v1/queue", tag = "reviews",
    params(QueueQuery),
    responses(
        (status = 200, description = "Held actions that still need the role(s)", body = Vec<QueueItemBody>),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<ApiJson<Vec<QueueItemBody>>, ApiError> {
    let account = caller.principal.account()?;
    if let Some(role) = &q.role
        && !account.admin
        && !account.roles.contains(role)
    {
        return Err(
            ApiError::forbidden(format!("you do not hold the role `{role}`")).field("role"),
        );
    }
    let query = countersign_store::QueueQuery {
        roles: (q.role.is_none() && !account.admin).then(|| account.roles.clone()),
        role: q.role.clone(),
        ..countersign_store::QueueQuery::default()
    };
    let items = state.store.queue_items(&query, Utc::now()).await?;
    let items = items.into_iter().map(QueueItemBody::from).collect();
    Ok(ApiJson(items))
}
