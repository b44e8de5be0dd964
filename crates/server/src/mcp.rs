//! The MCP server (Model Context Protocol, rmcp): the gate as tools an agent framework can
//! call — propose an e-mail, propose a CRM update, read a decision, get account context.
//!
//! Two transports, one [`CountersignMcp`]: stdio (`countersign mcp`, the tool's API key
//! given at start) and streamable HTTP at `/mcp` (the API key as `Authorization: Bearer`,
//! checked by [`require_tool`] before rmcp sees the request). Either way the caller is a
//! registered tool, and it goes through exactly the REST code paths: the same parsing,
//! the same deadline-bound decision, the same visibility rules.
//!
//! The HTTP transport runs stateless (no MCP sessions kept in memory), so several
//! instances behind a load balancer serve one client without sticky sessions.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::auth::{self, Principal};
use crate::error::ApiError;
use crate::model::ContextBody;
use crate::model::{ActionBody, ProposalBody};
use crate::service::actions::{propose, visible};
use crate::service::context::gather;
use crate::state::AppState;

/// The authenticated tool of an MCP request: its registry entry and the key it used.
#[derive(Debug, Clone)]
pub struct McpCaller {
    pub tool: countersign_store::Tool,
    pub key: String,
}

/// What the decisions mean, for the calling agent. Part of every proposing tool's
/// description, so an agent that reads only one tool still knows.
const OUTCOMES: &str = "The answer's `decision.decision` is one of: `allow` (Countersign delivers it now or after the recipient's quiet hours; do not send it yourself); `hold` (it waits for the human roles in `decision.roles`; do NOT send it another way or reword it to get around review; tell the rep it is waiting and call `read_decision` later); `draft_only` (nothing is sent; give the draft to the rep to review and send by hand); `deny` (refused, e.g. an opted-out contact or a tool not cleared for the data; do not retry or reword it; report `decision.reasons` to the rep). `next_step` says the same in one sentence.";

/// Who and what a proposal is about: the arguments every proposing tool takes besides
/// its payload.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[allow(dead_code, reason = "describes the arguments; `proposal` reads them")]
pub struct Envelope {
    /// The rep the action is on behalf of: a registered account name.
    pub on_behalf_of: Option<String>,
    pub contact_id: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    /// Makes a retried call return the first answer instead of proposing twice.
    pub idempotency_key: Option<String>,
}

/// `propose_email` arguments: the engine's e-mail payload, with the envelope beside it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[allow(dead_code, reason = "describes the arguments; `proposal` reads them")]
pub struct ProposeEmail {
    #[serde(flatten)]
    pub email: countersign_engine::payload::EmailPayload,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// `propose_crm_update` arguments: the engine's opportunity update, with the envelope.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[allow(dead_code, reason = "describes the arguments; `proposal` reads them")]
pub struct ProposeCrmUpdate {
    #[serde(flatten)]
    pub update: countersign_engine::payload::OpportunityUpdate,
    /// The opportunity to change.
    pub opportunity_id: String,
    pub on_behalf_of: Option<String>,
    pub account_id: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Arguments described by `T`'s schema but kept as JSON, so the engine parses them and a
/// wrong one is reported with its name, as over REST.
#[derive(Debug)]
pub struct Unparsed<T>(serde_json::Map<String, Value>, std::marker::PhantomData<T>);

impl<'de, T> Deserialize<'de> for Unparsed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Map::deserialize(d).map(|m| Self(m, std::marker::PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Unparsed<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// The action a proposing tool's flat arguments stand for: the envelope's fields become
/// the target and the rest is the payload, parsed by the engine.
fn proposal(kind: &str, mut args: serde_json::Map<String, Value>) -> Value {
    let mut take = |key: &str| args.remove(key).unwrap_or(Value::Null);
    let on_behalf_of = take("on_behalf_of");
    let idempotency_key = take("idempotency_key");
    let target = json!({
        "contact_id": take("contact_id"),
        "opportunity_id": take("opportunity_id"),
        "account_id": take("account_id"),
    });
    json!({
        "kind": kind,
        "on_behalf_of": on_behalf_of,
        "target": target,
        "payload": args,
        "idempotency_key": idempotency_key,
    })
}

/// `read_decision` arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReadDecision {
    /// The `action_id` a proposal returned (`act_…`).
    pub action_id: String,
}

/// `get_account_context` arguments: at least one.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GetAccountContext {
    pub contact_id: Option<String>,
    /// The contact's e-mail address.
    pub email: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
}

/// `triage` arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Triage {
    /// Only this rep's opportunities.
    pub owner: Option<String>,
    /// At most this many (default 20, at most 200).
    pub limit: Option<u32>,
}

/// `draft_followup` arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DraftFollowup {
    /// The CRM's id of the opportunity.
    pub opportunity_id: String,
    /// What the follow-up is for ("recap the demo", "answer their SSO question", "re-engage").
    pub intent: String,
    /// Whom to write to; by default the contact who wrote last.
    pub contact_id: Option<String>,
    /// Retries with the same key return the first draft.
    pub idempotency_key: Option<String>,
}

/// The MCP server. One per connection (stdio) or per request (HTTP); cheap to build.
#[derive(Clone)]
pub struct CountersignMcp {
    state: AppState,
    /// The stdio transport's caller, fixed at start; HTTP callers come with each request.
    fixed: Option<Arc<McpCaller>>,
    tool_router: ToolRouter<Self>,
}

fn failure(e: &ApiError) -> CallToolResult {
    CallToolResult::structured_error(json!({
        "error": {"code": e.code, "message": e.message, "field": e.field}
    }))
}

fn success<T: serde::Serialize>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(v) => CallToolResult::structured(v),
        Err(e) => failure(&ApiError::internal(&e)),
    }
}

#[tool_router]
impl CountersignMcp {
    /// A server for the stdio transport, acting as `caller`.
    pub fn stdio(state: AppState, caller: McpCaller) -> Self {
        Self {
            state,
            fixed: Some(Arc::new(caller)),
            tool_router: Self::tool_router(),
        }
    }

    /// A server for the HTTP transport: the caller comes with each request.
    pub fn http(state: AppState) -> Self {
        Self {
            state,
            fixed: None,
            tool_router: Self::tool_router(),
        }
    }

    fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<McpCaller, ApiError> {
        if let Some(c) = &self.fixed {
            return Ok((**c).clone());
        }
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<McpCaller>())
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("no tool API key on this MCP request"))
    }

    async fn propose(&self, ctx: &RequestContext<RoleServer>, action: Value) -> CallToolResult {
        let caller = match self.caller(ctx) {
            Ok(c) => c,
            Err(e) => return failure(&e),
        };
        let action = match countersign_engine::Action::from_json(&action) {
            Ok(a) => a,
            // The tool's arguments are flat: name the argument, not the REST body's path.
            Err(e) => {
                let field = e.field.strip_prefix("payload.").unwrap_or(&e.field);
                let field = field.strip_prefix("target.").unwrap_or(field);
                return failure(&ApiError::validation(field.to_owned(), e.problem));
            }
        };
        match propose(&self.state, action, &caller.key).await {
            Ok(p) => success(&ProposalBody::from(&p)),
            Err(e) => failure(&e),
        }
    }

    #[tool(
        name = "propose_email",
        description = "Propose an e-mail to a buyer. Countersign checks it (pricing, security answers, executive recipients, commitments, personal data, opt-outs, frequency caps) and decides what may happen; nothing is sent unless it is allowed or later approved. Always use this instead of sending e-mail directly."
    )]
    async fn propose_email(
        &self,
        Parameters(Unparsed(args, _)): Parameters<Unparsed<ProposeEmail>>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, rmcp::ErrorData> {
        Ok(self.propose(&ctx, proposal("email.send", args)).await)
    }

    #[tool(
        name = "propose_crm_update",
        description = "Propose a change to a CRM opportunity (stage, amount, close date, next step, …). Stage, amount and close-date changes usually need a manager or deal desk. Nothing is written to the CRM unless it is allowed or later approved."
    )]
    async fn propose_crm_update(
        &self,
        Parameters(Unparsed(args, _)): Parameters<Unparsed<ProposeCrmUpdate>>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, rmcp::ErrorData> {
        if !args.get("opportunity_id").is_some_and(Value::is_string) {
            return Ok(failure(&ApiError::validation(
                "opportunity_id",
                "missing: name the opportunity to change",
            )));
        }
        Ok(self
            .propose(&ctx, proposal("crm.opportunity.update", args))
            .await)
    }

    #[tool(
        name = "read_decision",
        description = "Read the current state of an action this tool proposed: its decision, status (allowed, held, approved, rejected, draft_only, denied, expired), the roles still missing, reviewers' edits and delivery. Use it to follow up on a `hold`: `approved` means Countersign delivers it; `rejected` means do not send it; `expired` means nobody decided in time, so it was never sent (propose it again, fresh, if it still matters)."
    )]
    async fn read_decision(
        &self,
        Parameters(p): Parameters<ReadDecision>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, rmcp::ErrorData> {
        let caller = match self.caller(&ctx) {
            Ok(c) => c,
            Err(e) => return Ok(failure(&e)),
        };
        let principal = Principal::Tool(caller.tool);
        let result = match visible(&self.state, &principal, &p.action_id).await {
            Ok(view) => match ActionBody::from_view(&view) {
                Some(body) => success(&body),
                None => failure(&ApiError::internal(&"an action without revisions")),
            },
            Err(e) => failure(&e),
        };
        Ok(result)
    }

    #[tool(
        name = "get_account_context",
        description = "Get what Countersign knows before writing: the contact (title, time zone), whether they must not be contacted (opt-out, do-not-contact, legal hold), the opportunity (stage, amount, close date, owner) and recent actions on the contact, opportunity or account. With opportunity_id, also `deal`: a short `summary` and its `facts` (the buying committee and who went quiet, how the deal moved, the last touches each way, earlier held or rejected messages, promises already made). Give at least one of contact_id, email, opportunity_id, account_id."
    )]
    async fn get_account_context(
        &self,
        Parameters(p): Parameters<GetAccountContext>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, rmcp::ErrorData> {
        let caller = match self.caller(&ctx) {
            Ok(c) => c,
            Err(e) => return Ok(failure(&e)),
        };
        let principal = Principal::Tool(caller.tool);
        let query = countersign_store::ContextQuery {
            contact_id: p.contact_id,
            email: p.email,
            opportunity_id: p.opportunity_id,
            account_id: p.account_id,
        };
        let opportunity = query.opportunity_id.clone();
        let mut body = match gather(&self.state, &principal, query).await {
            Ok(ctx) => json!(ContextBody::from(ctx)),
            Err(e) => return Ok(failure(&e)),
        };
        // With an opportunity: its deal context and summary too.
        if let Some(id) = opportunity
            && let Ok(deal) = crate::service::context::deal(&self.state, &principal, &id).await
        {
            body["deal"] = deal;
        }
        Ok(success(&body))
    }

    #[tool(
        name = "triage",
        description = "List the open opportunities that need a human now, most urgent first, each with its reasons (codes such as close_date_passed, no_recent_activity, went_quiet, missing_next_step, stuck_in_stage, single_threaded, no_executive, and words) and a suggested next action. Use it to decide which deals to prepare follow-ups for; prepare something specific to each buyer, never one generic message for many."
    )]
    async fn triage(
        &self,
        Parameters(p): Parameters<Triage>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, rmcp::ErrorData> {
        if let Err(e) = self.caller(&ctx) {
            return Ok(failure(&e));
        }
        let limit = p.limit.unwrap_or(20).clamp(1, 200) as usize;
        Ok(
            match crate::service::triage::ranked(&self.state, p.owner.as_deref(), limit).await {
                Ok((ranked, open)) => success(&json!({
                    "open": open,
                    "opportunities": ranked.iter().map(crate::service::triage::json).collect::<Vec<_>>(),
                })),
                Err(e) => failure(&e),
            },
        )
    }

    #[tool(
        name = "draft_followup",
        description = "Ask Countersign's assistant to draft a follow-up e-mail for an opportunity from its CRM context and the approved knowledge. The draft carries its sources and is proposed through the gate as an `email.draft` (the assistant's own tool): read its decision as for any proposal; nothing is sent by this call. Needs `email.draft` in this tool's own grant."
    )]
    async fn draft_followup(
        &self,
        Parameters(p): Parameters<DraftFollowup>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, rmcp::ErrorData> {
        let caller = match self.caller(&ctx) {
            Ok(c) => c,
            Err(e) => return Ok(failure(&e)),
        };
        let request = crate::service::drafts::DraftRequest {
            opportunity_id: p.opportunity_id,
            intent: p.intent,
            contact_id: p.contact_id,
            send: false,
            idempotency_key: p.idempotency_key,
        };
        Ok(
            match crate::service::drafts::draft(&self.state, &Principal::Tool(caller.tool), request)
                .await
            {
                Ok(d) => success(&crate::routes::drafts::DraftedBody::from(d)),
                Err(e) => failure(&e),
            },
        )
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CountersignMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("countersign", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Countersign is the governance gate between AI and buyers: propose every e-mail and CRM change through it instead of acting directly. {OUTCOMES}"
            ))
    }
}

/// The streamable HTTP service for `/mcp`, stopped by `cancel`.
pub fn http_service(
    state: AppState,
    cancel: CancellationToken,
) -> StreamableHttpService<CountersignMcp, NeverSessionManager> {
    let hosts = state.config.mcp.allowed_hosts.clone();
    let body_limit = state.config.server.body_limit_bytes;
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_cancellation_token(cancel);
    config.legacy_session_mode = false;
    config.json_response = true;
    config.sse_keep_alive = None;
    config.max_request_body_bytes = body_limit;
    StreamableHttpService::new(
        move || Ok(CountersignMcp::http(state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}

/// `/mcp` accepts registered tools only: checks the bearer API key, takes a rate-limit
/// token, and hands the tool to the MCP handlers through the request's extensions.
pub async fn require_tool(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let Some(token) = token else {
        return ApiError::unauthorized(
            "MCP over HTTP needs the tool's API key as `Authorization: Bearer …`",
        )
        .field("Authorization")
        .into_response();
    };
    let principal = match auth::resolve(&state, &token).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match principal {
        Some(Principal::Tool(tool)) => {
            if let Err(e) = state.limiter.tool(tool.tool_id) {
                return e.into_response();
            }
            req.extensions_mut().insert(McpCaller { tool, key: token });
            next.run(req).await
        }
        Some(Principal::Account(_)) => {
            ApiError::forbidden("MCP is for tools: use a tool's API key").into_response()
        }
        None => {
            let ip = auth::peer_ip(req.extensions());
            auth::unregistered_key(&state, &ip, &token, None)
                .await
                .into_response()
        }
    }
}

/// Serves MCP over stdin/stdout as the tool whose API key is `key`, until the client
/// closes the stream.
pub async fn serve_stdio(state: AppState, key: &str) -> Result<(), ServeStdioError> {
    use rmcp::ServiceExt;
    let tool = state
        .store
        .tool_by_key(key)
        .await
        .map_err(|e| ServeStdioError::Store(e.to_string()))?
        .ok_or(ServeStdioError::UnknownKey)?;
    let server = CountersignMcp::stdio(
        state,
        McpCaller {
            tool,
            key: key.to_owned(),
        },
    );
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| ServeStdioError::Protocol(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| ServeStdioError::Protocol(e.to_string()))?;
    Ok(())
}

/// Why `countersign mcp` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeStdioError {
    #[error("--tool-key: not an active tool's API key (register one with `countersign tools add`)")]
    UnknownKey,
    #[error("{0}")]
    Store(String),
    #[error("mcp: {0}")]
    Protocol(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tools' input schemas are the engine's payload types, so what an agent is told
    /// to send is what the gate parses.
    #[test]
    fn tool_schemas_come_from_the_payload_types() {
        let email =
            serde_json::to_value(schemars::schema_for!(Unparsed<ProposeEmail>)).unwrap_or_default();
        let props = &email["properties"];
        for field in [
            "to",
            "cc",
            "subject",
            "body",
            "in_reply_to",
            "on_behalf_of",
            "idempotency_key",
        ] {
            assert!(props.get(field).is_some(), "{field}: {email:#}");
        }
        assert_eq!(
            props["to"]["oneOf"][0]["items"]["format"], "email",
            "{email:#}"
        );
        let required = email["required"].as_array().cloned().unwrap_or_default();
        assert!(required.contains(&json!("body")), "{email:#}");
        let crm = serde_json::to_value(schemars::schema_for!(Unparsed<ProposeCrmUpdate>))
            .unwrap_or_default();
        let required = crm["required"].as_array().cloned().unwrap_or_default();
        assert!(required.contains(&json!("changes")), "{crm:#}");
        assert!(required.contains(&json!("opportunity_id")), "{crm:#}");
    }

    #[test]
    fn flat_arguments_become_an_action_the_engine_parses() {
        let args = json!({"to": "dana@acme.example", "body": "Hi", "on_behalf_of": "sam.rep",
            "opportunity_id": "opp_1", "idempotency_key": "k1"});
        let Value::Object(args) = args else { return };
        let action = countersign_engine::Action::from_json(&proposal("email.send", args));
        let action = action.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(action.target.opportunity_id.as_deref(), Some("opp_1"));
        assert_eq!(action.on_behalf_of.as_deref(), Some("sam.rep"));
        let Value::Object(bad) = json!({"to": "dana@acme.example", "body": "Hi", "bcc": "x@y.co"})
        else {
            return;
        };
        let err = countersign_engine::Action::from_json(&proposal("email.send", bad));
        assert_eq!(err.map(|_| ()).unwrap_err().field, "payload.bcc");
    }
}
