//! `/v1/policy`: read the active policy; admins validate and activate a new version
//! (audited) and try actions against the active one without storing anything.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use countersign_engine::Policy;
use countersign_engine::policy::PolicySources;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::model::DecisionBody;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/policy", get(read))
        .route("/v1/policy/validate", post(validate))
        .route("/v1/policy/activate", post(activate))
        .route("/v1/policy/check", post(check))
        .route("/v1/policy/simulate", post(simulate))
}

/// The active policy.
#[derive(Serialize, ToSchema)]
pub struct PolicyBody {
    /// Content hash, e.g. `sha256:0123456789abcdef`.
    pub version: String,
    pub name: String,
    pub roles: Vec<String>,
    /// Who activated it and when, if it was activated through the store.
    pub activated_by: Option<String>,
    pub activated_at: Option<DateTime<Utc>>,
    /// The three source texts (admins only; empty for others).
    pub toml: Option<String>,
    pub cedar: Option<String>,
    pub schema: Option<String>,
}

/// The three texts of a policy.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyTextsRequest {
    /// `policy.toml`.
    pub toml: String,
    /// `policy.cedar`.
    pub cedar: String,
    /// `policy.cedarschema`.
    pub schema: String,
}

impl PolicyTextsRequest {
    fn sources(&self) -> PolicySources<'_> {
        PolicySources {
            toml: ("policy.toml", &self.toml),
            cedar: ("policy.cedar", &self.cedar),
            schema: ("policy.cedarschema", &self.schema),
        }
    }
}

/// One problem in a policy text.
#[derive(Serialize, ToSchema)]
pub struct PolicyProblemBody {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Whether the texts make a valid policy.
#[derive(Serialize, ToSchema)]
pub struct ValidationBody {
    pub valid: bool,
    /// The version it would have.
    pub version: Option<String>,
    pub problems: Vec<PolicyProblemBody>,
}

/// Read the active policy (version and roles; admins also get the texts).
#[utoipa::path(
    get, path = "/v1/policy", tag = "policy",
    responses(
        (status = 200, description = "The active policy", body = PolicyBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<PolicyBody>, ApiError> {
    let policy = state.policy();
    let admin = caller.principal.admin().is_ok();
    let activation = state.store.active_policy().await?;
    let texts = if admin {
        state.store.policy_texts(policy.version.as_str()).await?
    } else {
        None
    };
    let activation = activation.filter(|a| a.version == policy.version.as_str());
    Ok(ApiJson(PolicyBody {
        version: policy.version.as_str().to_owned(),
        name: policy.config.name.clone(),
        roles: policy.config.roles.iter().cloned().collect(),
        activated_by: activation.as_ref().map(|a| a.actor.clone()),
        activated_at: activation.map(|a| a.activated_at),
        toml: texts.as_ref().map(|t| t.toml.clone()),
        cedar: texts.as_ref().map(|t| t.cedar.clone()),
        schema: texts.map(|t| t.schema),
    }))
}

/// Validate policy texts without activating them.
#[utoipa::path(
    post, path = "/v1/policy/validate", tag = "policy",
    request_body = PolicyTextsRequest,
    responses(
        (status = 200, description = "The verdict, with every problem by file, line and column", body = ValidationBody),
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
pub async fn validate(
    caller: Caller,
    ApiJson(req): ApiJson<PolicyTextsRequest>,
) -> Result<ApiJson<ValidationBody>, ApiError> {
    caller.principal.admin()?;
    Ok(ApiJson(match Policy::load(&req.sources()) {
        Ok(p) => ValidationBody {
            valid: true,
            version: Some(p.version.as_str().to_owned()),
            problems: Vec::new(),
        },
        Err(e) => ValidationBody {
            valid: false,
            version: None,
            problems: e
                .0
                .into_iter()
                .map(|p| PolicyProblemBody {
                    file: p.file,
                    line: p.line,
                    column: p.column,
                    message: p.message,
                })
                .collect(),
        },
    }))
}

/// Activate a policy version: every decision after this uses it (audited as
/// `policy_activation`; other instances pick it up within their refresh interval).
#[utoipa::path(
    post, path = "/v1/policy/activate", tag = "policy",
    request_body = PolicyTextsRequest,
    responses(
        (status = 200, description = "Active", body = PolicyBody),
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
pub async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PolicyTextsRequest>,
) -> Result<ApiJson<PolicyBody>, ApiError> {
    let admin = caller.principal.admin()?;
    let (policy, activation) = state
        .store
        .activate_policy(
            &req.sources(),
            &format!("reviewer:{}", admin.name),
            Utc::now(),
        )
        .await?;
    tracing::info!(version = %policy.version, "policy activated");
    let body = PolicyBody {
        version: policy.version.as_str().to_owned(),
        name: policy.config.name.clone(),
        roles: policy.config.roles.iter().cloned().collect(),
        activated_by: Some(activation.actor),
        activated_at: Some(activation.activated_at),
        toml: Some(req.toml),
        cedar: Some(req.cedar),
        schema: Some(req.schema),
    };
    state.set_policy(policy);
    Ok(ApiJson(body))
}

/// A candidate policy and how far back to replay it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    /// `policy.toml`.
    pub toml: String,
    /// `policy.cedar`.
    pub cedar: String,
    /// `policy.cedarschema`.
    pub schema: String,
    /// Days of history to replay (default 90).
    #[serde(default = "ninety")]
    pub since_days: u32,
}

fn ninety() -> u32 {
    90
}

/// Replay the stored history under a candidate policy and the active one (admins): what
/// would change, per category, role, tool and week, the reviewer load, and every action
/// decided differently. Nothing is written but an audit record that it ran.
#[utoipa::path(
    post, path = "/v1/policy/simulate", tag = "policy",
    request_body = SimulateRequest,
    responses(
        (status = 200, description = "The simulation", body = Object),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn simulate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SimulateRequest>,
) -> Result<ApiJson<countersign_engine::simulate::Simulation>, ApiError> {
    let admin = caller.principal.admin()?;
    if req.since_days == 0 || req.since_days > 3650 {
        return Err(ApiError::validation("since_days", "1 to 3650 days"));
    }
    let since = Utc::now() - chrono::Duration::days(i64::from(req.since_days));
    Ok(ApiJson(
        crate::service::simulate::run(
            &state,
            &PolicySources {
                toml: ("policy.toml", &req.toml),
                cedar: ("policy.cedar", &req.cedar),
                schema: ("policy.cedarschema", &req.schema),
            },
            since,
            &format!("reviewer:{}", admin.name),
        )
        .await?,
    ))
}

/// A dry run's answer.
#[derive(Serialize, ToSchema)]
pub struct CheckBody {
    pub decision: DecisionBody,
    /// Engine time in microseconds, measured on the thread that decided.
    pub micros: u64,
}

/// Decide an action against the active policy without storing it or using the store's
/// context (a simulation, like `countersign check`). Admins only: an agent must not be
/// able to probe the gate for wording that slips through.
#[utoipa::path(
    post, path = "/v1/policy/check", tag = "policy",
    request_body = crate::routes::actions::ProposeRequest,
    responses(
        (status = 200, description = "The decision", body = CheckBody),
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
pub async fn check(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> Result<ApiJson<CheckBody>, ApiError> {
    caller.principal.admin()?;
    let action = countersign_engine::Action::from_json(&body)
        .map_err(|e| ApiError::validation(e.field, e.problem))?;
    let timed = crate::decide::decide_within(
        state.gate.clone(),
        state.policy(),
        action,
        countersign_engine::Context::default(),
        Utc::now(),
        state.decision_timeout(),
    )
    .await;
    Ok(ApiJson(CheckBody {
        decision: DecisionBody::from(&timed.record),
        micros: u64::try_from(timed.took.as_micros()).unwrap_or(u64::MAX),
    }))
}
