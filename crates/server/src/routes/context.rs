//! `/v1/context`: what the store knows around a contact, opportunity or account — for the
//! agent writing the next message, and for reviewers. No message content: recent actions
//! are listed by kind, status and time. A tool sees contact details only when it is
//! cleared for the policy's `contact_details` data class.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use countersign_store::{AccountContext, ContextQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Principal};
use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::routes::contacts::ContactBody;
use crate::routes::opportunities::OpportunityBody;
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

/// An action in the history (no content).
#[derive(Serialize, ToSchema)]
pub struct RecentAction {
    pub action_id: String,
    pub kind: String,
    pub tool: Option<String>,
    #[schema(value_type = crate::model::StatusName)]
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub released_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What the store knows.
#[derive(Serialize, ToSchema)]
pub struct ContextBody {
    pub contact: Option<ContactBody>,
    /// `opt_out`, `do_not_contact` or `legal_hold` when the contact must not be e-mailed.
    pub suppression: Option<String>,
    pub opportunity: Option<OpportunityBody>,
    pub account_id: Option<String>,
    /// Newest first, at most 20.
    pub recent_actions: Vec<RecentAction>,
}

/// Reads the context for a caller (shared by REST and MCP).
pub async fn gather(
    state: &AppState,
    principal: &Principal,
    p: ContextParams,
) -> Result<ContextBody, ApiError> {
    if p.contact_id.is_none()
        && p.email.is_none()
        && p.opportunity_id.is_none()
        && p.account_id.is_none()
    {
        return Err(ApiError::validation(
            "query",
            "give at least one of contact_id, email, opportunity_id, account_id",
        ));
    }
    let ctx: AccountContext = state
        .store
        .account_context(
            &ContextQuery {
                contact_id: p.contact_id,
                email: p.email,
                opportunity_id: p.opportunity_id,
                account_id: p.account_id,
            },
            20,
        )
        .await?;
    let cleared = match principal {
        Principal::Tool(t) => t.data_classes.contains("contact_details"),
        Principal::Account(_) => true,
    };
    Ok(ContextBody {
        contact: ctx.contact.map(|c| {
            let mut body = ContactBody::from(c);
            if !cleared {
                body.email = None;
                body.name = None;
            }
            body
        }),
        suppression: ctx.suppression,
        opportunity: ctx.opportunity.map(OpportunityBody::from),
        account_id: ctx.account_id,
        recent_actions: ctx
            .recent_actions
            .into_iter()
            .map(|a| RecentAction {
                action_id: a.action_id,
                kind: a.kind,
                tool: a.tool,
                status: a.status.as_str().to_owned(),
                created_at: a.created_at,
                released_at: a.released_at,
            })
            .collect(),
    })
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
    Ok(ApiJson(gather(&state, &caller.principal, p).await?))
}
