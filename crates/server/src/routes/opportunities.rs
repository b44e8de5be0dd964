//! `/v1/opportunities`: deals as the CRM has them. A change of stage, amount, close date
//! or owner bumps the version, which expires approvals given before it. Reviewers read;
//! admins write.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use countersign_store::OpportunityUpsert;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::model::OpportunityBody;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/opportunities/{opportunity_id}", get(read).put(upsert))
        .route("/v1/opportunities/{opportunity_id}/context", get(context))
}

/// A deal's context: a summary a rep reads in thirty seconds, and the facts behind it with
/// their record ids (the buying committee and who went quiet, how the deal moved, the last
/// touches each way, earlier held or rejected messages, promises already made).
#[utoipa::path(
    get, path = "/v1/opportunities/{opportunity_id}/context", tag = "crm",
    params(("opportunity_id" = String, Path, description = "The CRM's id")),
    responses(
        (status = 200, description = "`summary` and `facts`", body = Object),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn context(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(opportunity_id): ApiPath<String>,
) -> Result<ApiJson<serde_json::Value>, ApiError> {
    Ok(ApiJson(
        crate::service::context::deal(&state, &caller.principal, &opportunity_id).await?,
    ))
}

/// Fields to set; those left out keep their stored value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityRequest {
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    pub owner: Option<String>,
}

/// Read an opportunity.
#[utoipa::path(
    get, path = "/v1/opportunities/{opportunity_id}", tag = "crm",
    params(("opportunity_id" = String, Path, description = "The CRM's id")),
    responses(
        (status = 200, description = "The opportunity", body = OpportunityBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(opportunity_id): ApiPath<String>,
) -> Result<ApiJson<OpportunityBody>, ApiError> {
    caller.principal.account()?;
    let o = state
        .store
        .opportunity(&opportunity_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("opportunity `{opportunity_id}` not found")))?;
    Ok(ApiJson(o.into()))
}

/// Create or update an opportunity (admins).
#[utoipa::path(
    put, path = "/v1/opportunities/{opportunity_id}", tag = "crm",
    params(("opportunity_id" = String, Path, description = "The CRM's id")),
    request_body = OpportunityRequest,
    responses(
        (status = 200, description = "The stored opportunity", body = OpportunityBody),
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
pub async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(opportunity_id): ApiPath<String>,
    ApiJson(req): ApiJson<OpportunityRequest>,
) -> Result<ApiJson<OpportunityBody>, ApiError> {
    caller.principal.admin()?;
    let stored = state
        .store
        .upsert_opportunity(
            &OpportunityUpsert {
                opportunity_id,
                account_id: req.account_id,
                name: req.name,
                stage: req.stage,
                amount: req.amount,
                close_date: req.close_date,
                owner: req.owner,
            },
            Utc::now(),
        )
        .await?;
    Ok(ApiJson(stored.into()))
}
