//! `/v1/context`: what the store knows around a contact, opportunity or account — for the
//! agent writing the next message, and for reviewers. No message content: recent actions
//! are listed by kind, status and time. A tool sees contact details only when it is
//! cleared for the policy's `contact_details` data class.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use countersign_store::ContextQuery;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::model::ContextBody;
use crate::service;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/context", get(context))
}

/// Which records; give at least one.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContextParams {
    pub contact_id: Option<String>,
    /// The contact's e-mail address.
    pub email: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
}

/// Get account context: the contact, its suppression, the opportunity and recent actions.
#[utoipa::path(
    get, path = "/v1/context", tag = "crm",
    params(ContextParams),
    responses(
        (status = 200, description = "What the store knows", body = ContextBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn context(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ContextParams>,
) -> Result<ApiJson<ContextBody>, ApiError> {
    let query = ContextQuery {
        contact_id: p.contact_id,
        email: p.email,
        opportunity_id: p.opportunity_id,
        account_id: p.account_id,
    };
    let ctx = service::context::gather(&state, &caller.principal, query).await?;
    Ok(ApiJson(ContextBody::from(ctx)))
}
