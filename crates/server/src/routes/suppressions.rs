//! `/v1/suppressions`: addresses that must never be e-mailed (opt-out, do-not-contact,
//! legal hold). Any reviewer may add one — it only makes the gate stricter — and read the
//! list; suppressions are audited.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Utc};
use countersign_engine::context::Suppression;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/suppressions", get(list).post(add))
}

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    OptOut,
    DoNotContact,
    LegalHold,
}

/// A suppressed address.
#[derive(Serialize, ToSchema)]
pub struct SuppressionBody {
    pub email: String,
    #[schema(value_type = SuppressionReason)]
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// An address to suppress.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionRequest {
    #[schema(format = Email)]
    pub email: String,
    pub reason: SuppressionReason,
}

/// List suppressed addresses.
#[utoipa::path(
    get, path = "/v1/suppressions", tag = "crm",
    responses(
        (status = 200, description = "Every suppressed address", body = Vec<SuppressionBody>),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<SuppressionBody>>, ApiError> {
    caller.principal.account()?;
    let list = state.store.list_suppressions().await?;
    Ok(ApiJson(
        list.into_iter()
            .map(|s| SuppressionBody {
                email: s.email,
                reason: s.reason,
                created_at: s.created_at,
            })
            .collect(),
    ))
}

/// Suppress an address (audited).
#[utoipa::path(
    post, path = "/v1/suppressions", tag = "crm",
    request_body = SuppressionRequest,
    responses(
        (status = 201, description = "Suppressed"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SuppressionRequest>,
) -> Result<StatusCode, ApiError> {
    let account = caller.principal.account()?;
    let reason = match req.reason {
        SuppressionReason::OptOut => Suppression::OptOut,
        SuppressionReason::DoNotContact => Suppression::DoNotContact,
        SuppressionReason::LegalHold => Suppression::LegalHold,
    };
    state
        .store
        .suppress(
            &req.email,
            reason,
            &format!("reviewer:{}", account.name),
            Utc::now(),
        )
        .await?;
    Ok(StatusCode::CREATED)
}
