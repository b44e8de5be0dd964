//! `/v1/accounts` (admins): reviewer and admin accounts with argon2id passwords.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use chrono::Utc;
use countersign_store::{Chat, PasswordSet};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, PeerIp, hash_password};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::routes::sessions::AccountBody;
use crate::service::sessions::check_password;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/accounts", get(list).post(create))
        .route("/v1/accounts/{name}/password", put(set_password))
        .route("/v1/accounts/{name}/chat", put(set_chat))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._@-]+$")]
    pub name: String,
    /// Roles from the policy (`rep`, `manager`, `deal_desk`, `finance`, `legal`, `security`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Manages tools, accounts, the policy and the audit log.
    #[serde(default)]
    pub admin: bool,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    /// Where to e-mail this reviewer when an action enters their queue.
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: Option<String>,
}

/// List accounts.
#[utoipa::path(
    get, path = "/v1/accounts", tag = "accounts",
    responses(
        (status = 200, description = "Every account", body = Vec<AccountBody>),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<AccountBody>>, ApiError> {
    caller.principal.admin()?;
    let accounts = state.store.list_accounts().await?;
    Ok(ApiJson(accounts.iter().map(AccountBody::from).collect()))
}

/// Create an account (audited).
#[utoipa::path(
    post, path = "/v1/accounts", tag = "accounts",
    request_body = NewAccount,
    responses(
        (status = 201, description = "Created", body = AccountBody),
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
    ApiJson(req): ApiJson<NewAccount>,
) -> Result<(StatusCode, ApiJson<AccountBody>), ApiError> {
    let admin = caller.principal.admin()?;
    // Checked before anything is stored, so a bad address creates no account.
    if let Some(email) = &req.email {
        countersign_store::check_email(email)?;
    }
    let hash = hash_password(req.password).await?;
    let mut account = state
        .store
        .create_account(
            &req.name,
            &req.roles,
            req.admin,
            &hash,
            &state.policy(),
            &format!("reviewer:{}", admin.name),
            Utc::now(),
        )
        .await?;
    if let Some(email) = &req.email {
        let reviewer = state
            .store
            .set_reviewer_email(
                &account.name,
                Some(email),
                &format!("reviewer:{}", admin.name),
                Utc::now(),
            )
            .await?;
        account.email = reviewer.email;
    }
    Ok((StatusCode::CREATED, ApiJson(AccountBody::from(&account))))
}

/// A new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// At least 12 characters.
    pub password: String,
    /// The account's current password: required to change your own (a stolen session
    /// alone must not be able to take the account over). Not used by an admin's reset.
    pub current_password: Option<String>,
}

/// Change your own password (with the current one), or reset another account's (admins).
///
/// Either way the account's sessions end. A reset is audited as `password_reset`, a change
/// as `password_change`; a wrong current password counts as a failed log-in.
#[utoipa::path(
    put, path = "/v1/accounts/{name}/password", tag = "accounts",
    params(("name" = String, Path, description = "The account's name")),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "Password set", body = AccountBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    PeerIp(ip): PeerIp,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<ApiJson<AccountBody>, ApiError> {
    let me = caller.principal.account()?;
    let how = if me.name == name {
        let Some(current) = req.current_password else {
            return Err(ApiError::validation(
                "current_password",
                "give your current password to change it",
            ));
        };
        match check_password(&state, &ip, &me.name, current).await {
            Ok(_) => {}
            Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => return Err(e),
            Err(_) => {
                return Err(ApiError::forbidden("current_password is not your password")
                    .field("current_password"));
            }
        }
        PasswordSet::Change
    } else if me.admin {
        PasswordSet::Reset
    } else {
        return Err(ApiError::forbidden(
            "only admins set other accounts' passwords",
        ));
    };
    let hash = hash_password(req.password).await?;
    let account = state
        .store
        .set_password(
            &name,
            &hash,
            how,
            &format!("reviewer:{}", me.name),
            Utc::now(),
        )
        .await?;
    state.auth_cache.clear();
    Ok(ApiJson(AccountBody::from(&account)))
}

/// Who a reviewer is in Slack and Teams: their clicks and commands there act as them.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatIds {
    /// The Slack user id (`U024BE7LH`); `null` or absent clears it.
    #[schema(max_length = 64, pattern = "^[A-Za-z0-9-]*$")]
    pub slack_user_id: Option<String>,
    /// The Azure AD object id Teams sends as `from.aadObjectId`; `null` or absent clears it.
    #[schema(max_length = 64, pattern = "^[A-Za-z0-9-]*$")]
    pub teams_user_id: Option<String>,
}

/// Set who an account is in Slack and Teams (admins; audited as `reviewer_chat`).
#[utoipa::path(
    put, path = "/v1/accounts/{name}/chat", tag = "accounts",
    params(("name" = String, Path, description = "The account's name")),
    request_body = ChatIds,
    responses(
        (status = 200, description = "Set", body = ChatIds),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn set_chat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    // Read as an object first: serde would take a struct of two options from `[null, null]`.
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<ApiJson<ChatIds>, ApiError> {
    let admin = caller.principal.admin()?;
    let req: ChatIds = serde_json::from_value(serde_json::Value::Object(body))
        .map_err(|e| ApiError::validation("body", e.to_string()))?;
    let actor = format!("reviewer:{}", admin.name);
    state
        .store
        .set_reviewer_chat(
            &name,
            Chat::Slack,
            req.slack_user_id.as_deref(),
            &actor,
            Utc::now(),
        )
        .await?;
    let reviewer = state
        .store
        .set_reviewer_chat(
            &name,
            Chat::Teams,
            req.teams_user_id.as_deref(),
            &actor,
            Utc::now(),
        )
        .await?;
    Ok(ApiJson(ChatIds {
        slack_user_id: reviewer.slack_user_id,
        teams_user_id: reviewer.teams_user_id,
    }))
}
