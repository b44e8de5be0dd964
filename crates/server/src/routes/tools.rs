//! `/v1/tools` (admins): the registry of sanctioned tools and their API keys.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tools", get(list).post(create))
        .route("/v1/tools/{name}", delete(revoke))
}

/// A registered tool. Its key is never listed.
#[derive(Serialize, ToSchema)]
pub struct ToolBody {
    pub name: String,
    /// Action kinds it may propose.
    pub kinds: Vec<String>,
    /// Data classes it is cleared for.
    pub data_classes: Vec<String>,
    /// First 12 hex digits of the key's SHA-256.
    pub key_fingerprint: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&countersign_store::Tool> for ToolBody {
    fn from(t: &countersign_store::Tool) -> Self {
        Self {
            name: t.name.clone(),
            kinds: t.kinds.iter().cloned().collect(),
            data_classes: t.data_classes.iter().cloned().collect(),
            key_fingerprint: t.key_fingerprint.clone(),
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A just-registered tool and its API key, shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewToolBody {
    pub tool: ToolBody,
    /// `cs_…`: store it now; only its hash is kept.
    pub api_key: String,
}

/// A tool to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToolRequest {
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._@-]+$")]
    pub name: String,
    /// Action kinds it may propose, e.g. `["email.send", "crm.note.create"]`.
    pub kinds: Vec<String>,
    /// Data classes from the policy it is cleared for.
    #[serde(default)]
    pub data_classes: Vec<String>,
}

/// List tools, active first.
#[utoipa::path(
    get, path = "/v1/tools", tag = "tools",
    responses(
        (status = 200, description = "Every tool ever registered", body = Vec<ToolBody>),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<ToolBody>>, ApiError> {
    caller.principal.admin()?;
    let tools = state.store.list_tools().await?;
    Ok(ApiJson(tools.iter().map(ToolBody::from).collect()))
}

/// Register a tool and get its API key (audited).
#[utoipa::path(
    post, path = "/v1/tools", tag = "tools",
    request_body = NewToolRequest,
    responses(
        (status = 201, description = "Registered; the key is shown once", body = NewToolBody),
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
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewToolRequest>,
) -> Result<(StatusCode, ApiJson<NewToolBody>), ApiError> {
    let admin = caller.principal.admin()?;
    let new = state
        .store
        .add_tool(
            &req.name,
            &req.kinds,
            &req.data_classes,
            &state.policy(),
            &format!("reviewer:{}", admin.name),
            Utc::now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(NewToolBody {
            tool: ToolBody::from(&new.tool),
            api_key: new.api_key,
        }),
    ))
}

/// Revoke a tool: its key is refused from now on (audited).
#[utoipa::path(
    delete, path = "/v1/tools/{name}", tag = "tools",
    params(("name" = String, Path, description = "The active tool's name")),
    responses(
        (status = 200, description = "Revoked", body = ToolBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<ApiJson<ToolBody>, ApiError> {
    let admin = caller.principal.admin()?;
    let tool = state
        .store
        .revoke_tool(&name, &format!("reviewer:{}", admin.name), Utc::now())
        .await?;
    state.auth_cache.clear();
    Ok(ApiJson(ToolBody::from(&tool)))
}
