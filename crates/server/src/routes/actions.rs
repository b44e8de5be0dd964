//! `/v1/actions`: tools propose actions and read their decisions; reviewers read, approve,
//! edit and reject them.
//!
//! Who may see an action: the tool that proposed it; a reviewer who holds one of the
//! roles it needs (any revision) or is the rep it is on behalf of; an admin. Everyone else
//! gets 404 (tools: another tool's ids must not be confirmable) or 403 (reviewers). Who may
//! approve, edit or reject is then decided by the store (Cedar policy, separation of
//! duties), whose refusals are 403.

use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::Utc;
use countersign_engine::Action;
use countersign_store::{ActionView, Edit};
use serde::Deserialize;
use serde_json::Value;
use tracing::Span;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, Discriminator, ObjectBuilder, OneOfBuilder, Ref, Schema, Type,
};

use crate::auth::{Caller, PeerIp, Proposer};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::model::{ActionBody, ProposalBody};
use crate::service;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/actions", post(propose))
        .route("/v1/actions/{action_id}", get(read))
        .route("/v1/actions/{action_id}/approve", post(approve))
        .route("/v1/actions/{action_id}/edit", post(edit))
        .route("/v1/actions/{action_id}/reject", post(reject))
}

/// The fields every proposal shares, whatever its kind (DESIGN §2). Documentation only:
/// [`Action::from_json`] parses the body with the engine's types.
#[derive(ToSchema)]
#[allow(dead_code, reason = "documents the body; the engine parses it")]
struct ProposalFields {
    /// Your own id for the action, kept as `external_id`.
    id: Option<String>,
    /// Ignored: the API key names the tool.
    tool: Option<String>,
    /// The rep the action is on behalf of: a registered account name (any letter case).
    #[schema(example = "sam.rep")]
    on_behalf_of: Option<String>,
    target: Option<countersign_engine::action::Target>,
    /// The material the draft was written from, logged for the reviewer.
    sources: Option<Vec<countersign_engine::action::Source>>,
    /// Same as the `Idempotency-Key` header (which wins when both are given and agree).
    idempotency_key: Option<String>,
}

/// An action to propose: one shape per kind, told apart by `kind`. Unknown fields are
/// refused, naming the field. A kind a policy adds takes a `TextProposal`'s payload.
pub struct ProposeRequest;

/// One variant of [`ProposeRequest`]: its name, the kinds it covers, its payload type,
/// what it is for, and an example.
struct Variant {
    name: &'static str,
    kinds: &'static [&'static str],
    payload: (&'static str, RefOr<Schema>),
    description: &'static str,
    example: fn() -> Value,
}

fn variants() -> [Variant; 3] {
    use countersign_engine::payload::{EmailPayload, OpportunityUpdate, TextPayload};
    use utoipa::PartialSchema as _;
    [
        Variant {
            name: "EmailProposal",
            kinds: &["email.send", "email.draft"],
            payload: ("EmailPayload", EmailPayload::schema()),
            description: "An e-mail to a buyer: `email.send` is delivered by Countersign when allowed or approved; `email.draft` is kept for the rep.",
            example: || {
                serde_json::json!({
                    "kind": "email.send",
                    "on_behalf_of": "sam.rep",
                    "target": {"contact_id": "c_dana", "opportunity_id": "opp_acme"},
                    "payload": {"to": ["dana@acme.example"], "subject": "Recap of today's demo",
                        "body": "Hi Dana,\n\nThanks for your time today. The recording is attached.\n\nBest,\nSam"},
                    "sources": [{"kind": "crm", "reference": "opp_acme", "excerpt": "Demo held 3 Dec"}]
                })
            },
        },
        Variant {
            name: "OpportunityUpdateProposal",
            kinds: &["crm.opportunity.update"],
            payload: ("OpportunityUpdate", OpportunityUpdate::schema()),
            description: "A change to a CRM opportunity's fields. Stage, amount and close date changes are held for a manager; fields the policy does not list are held too.",
            example: || {
                serde_json::json!({
                    "kind": "crm.opportunity.update",
                    "on_behalf_of": "sam.rep",
                    "target": {"opportunity_id": "opp_acme"},
                    "payload": {"changes": {"next_step": "Send the security questionnaire"}}
                })
            },
        },
        Variant {
            name: "TextProposal",
            kinds: &[
                "crm.note.create",
                "crm.task.create",
                "notify.internal",
                "research.read",
            ],
            payload: ("TextPayload", TextPayload::schema()),
            description: "A note or task in the CRM, an internal notification, or a research request: a subject and a text.",
            example: || {
                serde_json::json!({
                    "kind": "crm.note.create",
                    "on_behalf_of": "sam.rep",
                    "target": {"opportunity_id": "opp_acme"},
                    "payload": {"subject": "Call notes", "body": "Dana asked for the onboarding plan."}
                })
            },
        },
    ]
}

impl utoipa::PartialSchema for ProposeRequest {
    fn schema() -> RefOr<Schema> {
        let mut one_of = OneOfBuilder::new();
        let mut discriminator = Discriminator::new("kind");
        for v in variants() {
            let reference = format!("#/components/schemas/{}", v.name);
            for kind in v.kinds {
                discriminator
                    .mapping
                    .insert((*kind).to_owned(), reference.clone());
            }
            one_of = one_of.item(Ref::new(reference));
        }
        one_of
            .description(Some(
                "An action to propose, told apart by `kind`. Unknown fields are refused, naming the field.",
            ))
            .discriminator(Some(discriminator))
            .into()
    }
}

impl utoipa::ToSchema for ProposeRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        use utoipa::PartialSchema as _;
        let RefOr::T(Schema::Object(fields)) = ProposalFields::schema() else {
            return;
        };
        for v in variants() {
            let mut object = fields.clone();
            let kind = ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(v.kinds.iter().copied()))
                .description(Some(
                    v.kinds
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ));
            object.properties.insert("kind".to_owned(), kind.into());
            object.properties.insert(
                "payload".to_owned(),
                Ref::from_schema_name(v.payload.0).into(),
            );
            object.required = vec!["kind".to_owned(), "payload".to_owned()];
            object.description = Some(v.description.to_owned());
            object.examples = vec![(v.example)()];
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            schemas.push((v.name.to_owned(), Schema::Object(object).into()));
            schemas.push((v.payload.0.to_owned(), v.payload.1));
        }
        use countersign_engine::payload::{EmailPayload, OpportunityUpdate, TextPayload};
        <ProposalFields as utoipa::ToSchema>::schemas(schemas);
        <EmailPayload as utoipa::ToSchema>::schemas(schemas);
        <OpportunityUpdate as utoipa::ToSchema>::schemas(schemas);
        <TextPayload as utoipa::ToSchema>::schemas(schemas);
        // Named by hand in the e-mail payload's `in_reply_to` schema.
        schemas.push((
            "InboundMessage".to_owned(),
            countersign_engine::payload::InboundMessage::schema(),
        ));
    }
}

/// Propose an action.
///
/// The action is decided and stored in one transaction, with its audit records and (when
/// allowed) its outbox row. A decision that takes longer than the server's decision
/// timeout is held (fail closed). The same `Idempotency-Key` with the same action returns
/// the first answer (200, `replayed: true`); with a different action, 409. A key the
/// registry does not know (or revoked) is answered 401 and counted as shadow AI; nothing it
/// sent is stored.
#[utoipa::path(
    post, path = "/v1/actions", tag = "actions",
    request_body = ProposeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried proposal return the first answer")),
    responses(
        (status = 201, description = "Decided and stored", body = ProposalBody),
        (status = 200, description = "Replayed: the answer stored for this idempotency key", body = ProposalBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
        (status = 503, response = crate::openapi::Unavailable),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(action_id, tool))]
pub async fn propose(
    State(state): State<AppState>,
    proposer: Proposer,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let started = Instant::now();
    let key = match &proposer {
        Proposer::Tool { tool, key } => {
            Span::current().record("tool", tool.name.as_str());
            key.clone()
        }
        Proposer::Unknown { key } => {
            Span::current().record("tool", "unknown");
            return Err(crate::auth::unregistered_key(&state, &ip, key, Some(&body)).await);
        }
        Proposer::Account(_) => {
            return Err(ApiError::forbidden(
                "actions are proposed by tools with their API key, not by reviewer accounts",
            ));
        }
    };
    let action = parse_action(body, &headers)?;
    let proposal = service::actions::propose(&state, action, &key).await?;
    Span::current().record("action_id", proposal.action_id.as_str());
    metrics::histogram!(crate::metrics::PROPOSAL_SECONDS).record(started.elapsed().as_secs_f64());
    let status = if proposal.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, ApiJson(ProposalBody::from(&proposal))))
}

/// The `Idempotency-Key` header, when the request has one.
pub fn idempotency_header(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get("idempotency-key")
        .map(|h| {
            h.to_str()
                .map_err(|_| ApiError::validation("Idempotency-Key", "must be printable ASCII"))
        })
        .transpose()
}

/// Parses the body as an action and applies the `Idempotency-Key` header.
pub fn parse_action(mut body: Value, headers: &HeaderMap) -> Result<Action, ApiError> {
    if let Some(header) = idempotency_header(headers)? {
        let obj = body
            .as_object_mut()
            .ok_or_else(|| ApiError::validation("action", "expected a JSON object"))?;
        match obj.get("idempotency_key") {
            Some(Value::String(k)) if k != header => {
                return Err(ApiError::validation(
                    "Idempotency-Key",
                    "differs from the body's `idempotency_key`",
                ));
            }
            _ => {
                obj.insert(
                    "idempotency_key".to_owned(),
                    Value::String(header.to_owned()),
                );
            }
        }
    }
    Action::from_json(&body).map_err(|e| ApiError::validation(e.field, e.problem))
}

/// Read an action with its decision, revisions, approvals and delivery state.
#[utoipa::path(
    get, path = "/v1/actions/{action_id}", tag = "actions",
    params(("action_id" = String, Path, description = "The store's id (`act_…`)")),
    responses(
        (status = 200, description = "The action", body = ActionBody),
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
    ApiPath(action_id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let view = service::actions::visible(&state, &caller.principal, &action_id).await?;
    let latest = view.revisions.last().map_or(0, |r| r.number);
    Ok((
        [(axum::http::header::ETAG, etag(&view.action_id, latest))],
        body(&view)?,
    ))
}

fn body(view: &ActionView) -> Result<ApiJson<ActionBody>, ApiError> {
    ActionBody::from_view(view)
        .map(ApiJson)
        .ok_or_else(|| ApiError::internal(&"an action without revisions"))
}

/// What an approval did.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ApprovalResult {
    pub action_id: String,
    /// `held` while roles are missing, `approved` once released.
    #[schema(value_type = crate::model::StatusName)]
    pub status: String,
    pub revision: i64,
    pub approved_roles: Vec<String>,
    pub missing_roles: Vec<String>,
    /// Why a fully covered action is still held, if it is.
    pub waiting_for: Option<String>,
    pub outbox_id: Option<i64>,
}

/// Which revision the reviewer read: an approval names it, so a rep's later edit cannot
/// ride on it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The revision read (`revisions[].number` of `GET /v1/actions/{id}`). Instead, send
    /// `If-Match` with the `ETag` that read returned.
    #[schema(example = 1)]
    pub revision: Option<i64>,
}

/// The `ETag` of an action as a reviewer reads it: its id and latest revision.
fn etag(action_id: &str, revision: i64) -> String {
    format!("\"{action_id}/{revision}\"")
}

/// The revision an approval is for, from the body or `If-Match`; both must agree.
fn reviewed_revision(action_id: &str, headers: &HeaderMap, body: &[u8]) -> Result<i64, ApiError> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<ApproveRequest>(body)
            .map_err(|e| ApiError::validation("body", e.to_string()))?
            .revision
    };
    let from_header = match headers.get(axum::http::header::IF_MATCH) {
        None => None,
        Some(v) => {
            let bad = || {
                ApiError::validation(
                    "If-Match",
                    format!("must be this action's ETag, `{}`", etag(action_id, 1)),
                )
            };
            let v = v.to_str().map_err(|_| bad())?.trim();
            let v = v.strip_prefix("W/").unwrap_or(v);
            let inner = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(bad)?;
            let (id, n) = inner.rsplit_once('/').ok_or_else(bad)?;
            if id != action_id {
                return Err(bad());
            }
            Some(n.parse::<i64>().map_err(|_| bad())?)
        }
    };
    match (from_body, from_header) {
        (Some(b), Some(h)) if b != h => Err(ApiError::validation(
            "revision",
            format!("the body says revision {b} and If-Match says {h}"),
        )),
        (Some(n), _) | (None, Some(n)) => Ok(n),
        (None, None) => Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "say which revision you reviewed: `{\"revision\": N}` in the body, or `If-Match` \
             with the ETag of `GET /v1/actions/{id}`",
        )
        .field("revision")),
    }
}

/// Approve the revision you read, which must be the latest of a held action.
///
/// Send `{"revision": N}` or `If-Match` with the action's `ETag`: 409 when the action was
/// edited since (read it again), 428 when neither is given.
///
/// The approval covers the required roles the reviewer holds. The action is released to
/// the outbox when every role is covered and, for a protected moment, someone besides the
/// rep approved. Refused (403) for reviewers without a required role and for the rep
/// approving their own protected moment.
#[utoipa::path(
    post, path = "/v1/actions/{action_id}/approve", tag = "reviews",
    params(
        ("action_id" = String, Path, description = "The store's id (`act_…`)"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the revision read, instead of `revision` in the body"),
    ),
    request_body(content = Option<ApproveRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "Approved", body = ApprovalResult),
        (status = 422, response = crate::openapi::Invalid),
        (status = 428, response = crate::openapi::PreconditionRequired),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(action_id = %action_id))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(action_id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<ApiJson<ApprovalResult>, ApiError> {
    caller.principal.account()?;
    let revision = reviewed_revision(&action_id, &headers, &body)?;
    let outcome =
        service::actions::approve(&state, &caller.principal, &action_id, revision).await?;
    Ok(ApiJson(ApprovalResult {
        action_id: outcome.action_id,
        status: outcome.status.as_str().to_owned(),
        revision: outcome.revision,
        approved_roles: outcome.approved_roles.into_iter().collect(),
        missing_roles: outcome.missing_roles.into_iter().collect(),
        waiting_for: outcome.waiting_for,
        outbox_id: outcome.outbox_id,
    }))
}

/// A new body (and optionally subject) for a held e-mail or note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    pub subject: Option<String>,
    pub body: String,
}

/// Edit a held action: a new revision, decided again.
///
/// New findings add roles; roles earlier revisions needed stay; earlier approvals stop
/// counting.
#[utoipa::path(
    post, path = "/v1/actions/{action_id}/edit", tag = "reviews",
    params(("action_id" = String, Path, description = "The store's id (`act_…`)")),
    request_body = EditRequest,
    responses(
        (status = 200, description = "The action after the edit", body = ActionBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(action_id = %action_id))]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(action_id): ApiPath<String>,
    ApiJson(req): ApiJson<EditRequest>,
) -> Result<ApiJson<ActionBody>, ApiError> {
    let edit = Edit {
        subject: req.subject,
        body: req.body,
    };
    service::actions::edit(&state, &caller.principal, &action_id, &edit).await?;
    let view = state.store.show(&action_id, Utc::now()).await?;
    body(&view)
}

/// Why a held action is rejected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Required: say why.
    pub reason: String,
}

/// Reject a held action, with a reason.
#[utoipa::path(
    post, path = "/v1/actions/{action_id}/reject", tag = "reviews",
    params(("action_id" = String, Path, description = "The store's id (`act_…`)")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "The action after the rejection", body = ActionBody),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Invalid),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(action_id = %action_id))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(action_id): ApiPath<String>,
    ApiJson(req): ApiJson<RejectRequest>,
) -> Result<ApiJson<ActionBody>, ApiError> {
    service::actions::reject(&state, &caller.principal, &action_id, &req.reason).await?;
    let view = state.store.show(&action_id, Utc::now()).await?;
    body(&view)
}
