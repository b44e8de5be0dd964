//! `/v1/drafts`: the follow-up assistant writes a draft for an opportunity from its context
//! and proposes it through the gate as the registered assistant tool. The answer is the
//! proposal (id, status, decision) and the draft with its sources.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use countersign_engine::action::Source;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::model::ProposalBody;
use crate::service::drafts::{self, DraftRequest, Drafted};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/drafts", post(create))
}

/// What to draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opportunity_id": "006O000000000001", "intent": "recap the demo and confirm the pilot"}))]
pub struct DraftBody {
    /// The CRM's id of an open opportunity.
    pub opportunity_id: String,
    /// What the follow-up is for, in the rep's words (at most 500 characters). Words such as
    /// "recap", "answer their question", "re-engage" or "next step" choose a template.
    pub intent: String,
    /// Whom to write to; by default the contact who wrote last.
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Propose `email.send` instead of `email.draft` (the assistant's grant must allow it).
    #[serde(default)]
    pub send: bool,
}

/// A draft and its proposal.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftedBody {
    pub proposal: ProposalBody,
    pub subject: String,
    pub body: String,
    /// What the draft was written from, each with its excerpt (the source ledger).
    #[schema(value_type = Vec<Object>)]
    pub sources: Vec<Source>,
    /// `template:<intent>` or `model:<name>`.
    pub writer: String,
}

/// Draft a follow-up for an opportunity and propose it through the gate.
#[utoipa::path(
    post, path = "/v1/drafts", tag = "actions",
    request_body = DraftBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first draft instead of writing another")),
    responses(
        (status = 201, description = "Drafted and decided", body = DraftedBody),
        (status = 200, description = "The first answer for this idempotency key", body = DraftedBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
        (status = 503, response = crate::openapi::Unavailable),
        (status = 502, description = "The writer (the model endpoint) failed: nothing was proposed", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DraftBody>,
) -> Result<(StatusCode, ApiJson<DraftedBody>), ApiError> {
    let idempotency_key = super::actions::idempotency_header(&headers)?.map(str::to_owned);
    let drafted = drafts::draft(
        &state,
        &caller.principal,
        DraftRequest {
            opportunity_id: req.opportunity_id,
            intent: req.intent,
            contact_id: req.contact_id,
            send: req.send,
            idempotency_key,
        },
    )
    .await?;
    let status = if drafted.proposal.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, ApiJson(DraftedBody::from(drafted))))
}

impl From<Drafted> for DraftedBody {
    fn from(d: Drafted) -> Self {
        Self {
            proposal: ProposalBody::from(&d.proposal),
            subject: d.draft.subject,
            body: d.draft.body,
            sources: d.draft.sources,
            writer: d.draft.writer,
        }
    }
}
