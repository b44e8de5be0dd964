//! `/v1/sessions` and `/v1/me`: reviewers and admins log in with their name and password
//! and get a bearer token; tools and accounts ask who they are.
//!
//! Log-ins are rate-limited per client address and per account name, and a failed one
//! says nothing about which of the two was wrong.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, PeerIp, Principal};
use crate::error::{ApiError, ApiJson};
use crate::service;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/sessions", post(login))
        .route("/v1/sessions/current", delete(logout))
        .route("/v1/me", get(me))
}

/// Name and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
}

/// A fresh session.
#[derive(Serialize, ToSchema)]
pub struct SessionBody {
    /// The bearer token (`csr_…`), shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: AccountBody,
}

/// A reviewer or admin account.
#[derive(Serialize, ToSchema)]
pub struct AccountBody {
    pub name: String,
    pub roles: Vec<String>,
    pub admin: bool,
    pub has_password: bool,
    /// Where notifications are e-mailed.
    pub email: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&countersign_store::Account> for AccountBody {
    fn from(a: &countersign_store::Account) -> Self {
        Self {
            name: a.name.clone(),
            roles: a.roles.iter().cloned().collect(),
            admin: a.admin,
            has_password: a.has_password,
            email: a.email.clone(),
            disabled_at: a.disabled_at,
            created_at: a.created_at,
        }
    }
}

/// Log in: exchange a name and password for a bearer token.
#[utoipa::path(
    post, path = "/v1/sessions", tag = "sessions",
    request_body = LoginRequest,
    responses(
        (status = 201, description = "Logged in", body = SessionBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<(StatusCode, ApiJson<SessionBody>), ApiError> {
    let session = service::sessions::authenticate(&state, &ip, &req.name, req.password).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(SessionBody {
            token: session.token,
            expires_at: session.expires_at,
            account: AccountBody::from(&session.account),
        }),
    ))
}

/// Log out: the session's token stops working.
#[utoipa::path(
    delete, path = "/v1/sessions/current", tag = "sessions",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    caller.principal.account()?;
    state
        .store
        .revoke_session(&caller.token, Utc::now())
        .await?;
    state.auth_cache.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is.
#[derive(Serialize, ToSchema)]
pub struct MeBody {
    /// `tool` or `account`.
    pub kind: String,
    pub name: String,
    /// An account's roles.
    pub roles: Vec<String>,
    pub admin: bool,
    /// A tool's action kinds.
    pub kinds: Vec<String>,
    /// A tool's data classes.
    pub data_classes: Vec<String>,
}

/// Who am I: the tool or account behind the bearer token.
#[utoipa::path(
    get, path = "/v1/me", tag = "sessions",
    responses(
        (status = 200, description = "The caller", body = MeBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn me(caller: Caller) -> ApiJson<MeBody> {
    ApiJson(match &caller.principal {
        Principal::Tool(t) => MeBody {
            kind: "tool".to_owned(),
            name: t.name.clone(),
            roles: Vec::new(),
            admin: false,
            kinds: t.kinds.iter().cloned().collect(),
            data_classes: t.data_classes.iter().cloned().collect(),
        },
        Principal::Account(a) => MeBody {
            kind: "account".to_owned(),
            name: a.name.clone(),
            roles: a.roles.iter().cloned().collect(),
            admin: a.admin,
            kinds: Vec::new(),
            data_classes: Vec::new(),
        },
    })
}
