//! `/v1/contacts`: buyers' contacts as the CRM has them (titles, time zones, accounts),
//! which the guards and the executive detector read. Reviewers read; admins (and the CRM
//! sync acting as one) write.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Utc;
use countersign_store::ContactRecord;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::model::ContactBody;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/contacts/{contact_id}", get(read).put(upsert))
}

/// Fields to set; those left out keep their stored value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub email: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub crm_role: Option<String>,
    pub timezone: Option<String>,
    pub account_id: Option<String>,
}

/// Read a contact.
#[utoipa::path(
    get, path = "/v1/contacts/{contact_id}", tag = "crm",
    params(("contact_id" = String, Path, description = "The CRM's id")),
    responses(
        (status = 200, description = "The contact", body = ContactBody),
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
    ApiPath(contact_id): ApiPath<String>,
) -> Result<ApiJson<ContactBody>, ApiError> {
    caller.principal.account()?;
    let c = state
        .store
        .contact(&contact_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contact `{contact_id}` not found")))?;
    Ok(ApiJson(c.into()))
}

/// Create or update a contact (admins).
#[utoipa::path(
    put, path = "/v1/contacts/{contact_id}", tag = "crm",
    params(("contact_id" = String, Path, description = "The CRM's id")),
    request_body = ContactRequest,
    responses(
        (status = 200, description = "The stored contact", body = ContactBody),
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
    ApiPath(contact_id): ApiPath<String>,
    ApiJson(req): ApiJson<ContactRequest>,
) -> Result<ApiJson<ContactBody>, ApiError> {
    caller.principal.admin()?;
    let stored = state
        .store
        .upsert_contact(
            &ContactRecord {
                contact_id,
                email: req.email,
                name: req.name,
                title: req.title,
                crm_role: req.crm_role,
                timezone: req.timezone,
                account_id: req.account_id,
            },
            Utc::now(),
        )
        .await?;
    Ok(ApiJson(stored.into()))
}
