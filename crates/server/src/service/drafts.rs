//! The follow-up assistant's drafts (issue 13), once for every door (REST, MCP, the CLI,
//! the Pipeline page): the deal's context cut to what the assistant's grant may see, the
//! configured writer, and a proposal through the gate with the assistant's own key — so
//! its drafts are decided, held, approved, audited and delivered like any agent's, and
//! nothing a model writes can loosen a decision.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use countersign_assistant::{
    Brief, ChatConfig, ChatWriter, Deal, Draft, Fact, Knowledge, Person, TemplateWriter, Writer,
};
use countersign_engine::action::{ActionKind, EmailAddress, Payload, Source, Target};
use countersign_engine::detect::sensitive::SensitiveDetector;
use countersign_engine::payload::EmailPayload;
use countersign_engine::withhold::withhold;
use countersign_engine::{Action, IdempotencyKey, Policy};
use countersign_store::{DealContext, Proposal, Tool};
use secrecy::ExposeSecret;

use crate::auth::Principal;
use crate::config::AssistantConfig;
use crate::error::ApiError;
use crate::state::AppState;

/// The assistant as a deployment configured it.
pub struct Assistant {
    pub writer: Writer,
    /// The registered tool its drafts are proposed as (`[assistant] tool`).
    pub tool: String,
}

impl Assistant {
    /// The assistant `[assistant]` describes. Template overrides are read and compiled
    /// here, so a broken one is named at start-up.
    pub fn from_config(config: &AssistantConfig) -> Result<Self, String> {
        let writer = match &config.model {
            Some(m) => Writer::Chat(ChatWriter::new(ChatConfig {
                base_url: m.base_url.clone(),
                model: m.model.clone(),
                api_key: m
                    .api_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned())
                    .unwrap_or_default(),
                timeout: Duration::from_millis(m.timeout_ms),
            })),
            None => Writer::Templates(
                TemplateWriter::new(template_overrides(config.templates.as_deref())?)
                    .map_err(|e| format!("assistant.templates: {e}"))?,
            ),
        };
        Ok(Self {
            writer,
            tool: config.tool.clone(),
        })
    }
}

impl Assistant {
    /// The assistant's tool and its key's hash, while it is registered and not revoked.
    pub async fn registered(&self, state: &AppState) -> Result<Option<(Tool, String)>, ApiError> {
        Ok(state.store.active_tool_named(&self.tool).await?)
    }
}

/// `<intent>.j2` files of the overrides folder, by intent.
fn template_overrides(dir: Option<&Path>) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let Some(dir) = dir else {
        return Ok(out);
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("assistant.templates: cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("j2") {
            continue;
        }
        let Some(intent) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("assistant.templates: cannot read {}: {e}", path.display()))?;
        out.insert(intent.to_owned(), text);
    }
    Ok(out)
}

/// What a caller asks for.
#[derive(Debug, Clone)]
pub struct DraftRequest {
    pub opportunity_id: String,
    /// The rep's words: "recap the demo", "answer their SSO question", …
    pub intent: String,
    /// Whom to write to; by default the contact who wrote last, else the first one engaged.
    pub contact_id: Option<String>,
    /// Propose `email.send` (delivered once allowed or approved) instead of `email.draft`;
    /// the assistant's grant must allow it.
    pub send: bool,
    pub idempotency_key: Option<String>,
}

/// A draft and what the gate decided about it.
pub struct Drafted {
    pub proposal: Proposal,
    pub draft: Draft,
}

/// Writes and proposes a follow-up for `req.opportunity_id` on behalf of the deal's owner.
pub async fn draft(
    state: &AppState,
    principal: &Principal,
    req: DraftRequest,
) -> Result<Drafted, ApiError> {
    let Some(assistant) = &state.assistant else {
        return Err(ApiError::conflict(
            "drafting is off: the assistant's templates failed to load (see the server log)",
        ));
    };
    let Some((tool, key_hash)) = assistant.registered(state).await? else {
        return Err(ApiError::conflict(format!(
            "drafting is off: register the assistant (`countersign tools add {} --kinds email.draft --data-classes contact_details`)",
            assistant.tool
        )));
    };
    if req.intent.trim().is_empty() {
        return Err(ApiError::validation(
            "intent",
            "say what the follow-up is for",
        ));
    }
    if req.intent.chars().count() > 500 {
        return Err(ApiError::validation("intent", "at most 500 characters"));
    }
    // Every caller's keys are their own: the assistant proposes for all of them under one
    // tool, so its idempotency key is the caller's key scoped by who the caller is.
    let idempotency_key = match req.idempotency_key.as_deref() {
        Some(k) if k.is_empty() || k.len() > 200 => {
            return Err(ApiError::validation(
                "idempotency_key",
                "must be 1 to 200 printable characters",
            ));
        }
        Some(k) => Some(
            IdempotencyKey::parse(&format!(
                "draft:{}:{k}",
                &countersign_store::sha256_hex(principal.actor())[..16]
            ))
            .map_err(|e| ApiError::validation("idempotency_key", e.problem))?,
        ),
        None => None,
    };
    if let Some(key) = &idempotency_key
        && let Some((proposal, action)) =
            state.store.replay_for_key(&key_hash, key.as_str()).await?
    {
        if action.target.opportunity_id.as_deref() != Some(req.opportunity_id.as_str()) {
            return Err(ApiError::conflict(
                "this idempotency key was used for a draft on another opportunity",
            )
            .field("idempotency_key"));
        }
        return Ok(Drafted {
            draft: as_drafted(&action),
            proposal,
        });
    }
    let Some(deal) = state.store.deal_context(&req.opportunity_id).await? else {
        return Err(
            ApiError::not_found(format!("opportunity `{}` not found", req.opportunity_id))
                .field("opportunity_id"),
        );
    };
    may_draft_for(principal, &deal)?;
    let kind = if req.send {
        ActionKind::EMAIL_SEND
    } else {
        ActionKind::EMAIL_DRAFT
    };
    if !tool.kinds.contains(kind) {
        return Err(ApiError::validation(
            "send",
            format!("the assistant `{}` may not propose `{kind}`", tool.name),
        ));
    }
    let recipient = recipient(state, &deal, req.contact_id.as_deref()).await?;
    let to = recipient
        .as_ref()
        .and_then(|c| c.email.as_deref())
        .ok_or_else(|| {
            ApiError::validation(
                "contact_id",
                "no contact of this deal has an e-mail address to write to",
            )
        })?;
    let to = EmailAddress::parse("contact.email", to)
        .map_err(|e| ApiError::validation(e.field, e.problem))?;
    let policy = state.policy();
    let knowledge = approved_knowledge(state).await?;
    let brief = brief(
        &deal,
        recipient.as_ref(),
        &req.intent,
        knowledge,
        &tool,
        &policy,
    );
    let draft = assistant.writer.write(&brief).await.map_err(|e| {
        tracing::warn!(error = %e, opportunity = %req.opportunity_id, "the assistant's writer failed");
        ApiError::new(
            axum::http::StatusCode::BAD_GATEWAY,
            "writer_failed",
            format!("{e}: nothing was proposed"),
        )
    })?;
    let mut sources = draft.sources.clone();
    sources.push(Source {
        kind: "writer".to_owned(),
        reference: draft.writer.clone(),
        excerpt: format!("asked: {}", req.intent.trim()),
        approved: false,
    });
    let action = Action {
        id: String::new(),
        kind: ActionKind::parse(kind).map_err(|e| ApiError::internal(&e.problem))?,
        tool: Some(tool.name.clone()),
        on_behalf_of: deal.opportunity.owner.clone(),
        target: Target {
            contact_id: recipient.as_ref().map(|c| c.contact_id.clone()),
            opportunity_id: Some(deal.opportunity.opportunity_id.clone()),
            account_id: deal.opportunity.account_id.clone(),
        },
        payload: Payload::Email(EmailPayload {
            to: vec![to],
            cc: Vec::new(),
            subject: draft.subject.clone(),
            body: draft.body.clone(),
            in_reply_to: None,
        }),
        sources,
        idempotency_key,
    };
    let proposal = super::actions::propose_as(state, action, &key_hash).await?;
    Ok(Drafted { proposal, draft })
}

/// A stored draft as the writer gave it: its text and sources, the writer's own entry aside.
fn as_drafted(action: &Action) -> Draft {
    let writer = action
        .sources
        .iter()
        .find(|s| s.kind == "writer")
        .map(|s| s.reference.clone())
        .unwrap_or_default();
    Draft {
        subject: action.subject().to_owned(),
        body: action.body().to_owned(),
        sources: action
            .sources
            .iter()
            .filter(|s| s.kind != "writer")
            .cloned()
            .collect(),
        writer,
    }
}

/// Reps draft for their own deals; managers and admins for any; a tool needs `email.draft`
/// in its own grant (it asks the assistant to do what it could propose itself).
fn may_draft_for(principal: &Principal, deal: &DealContext) -> Result<(), ApiError> {
    match principal {
        Principal::Account(a) if a.admin || a.roles.contains("manager") => Ok(()),
        Principal::Account(a) if deal.opportunity.owner.as_deref() == Some(a.name.as_str()) => {
            Ok(())
        }
        Principal::Account(a) => Err(ApiError::forbidden(format!(
            "you draft for your own deals only (`{}`); managers draft for everyone's",
            a.name
        ))),
        Principal::Tool(t) if t.kinds.contains(ActionKind::EMAIL_DRAFT) => Ok(()),
        Principal::Tool(t) => Err(ApiError::forbidden(format!(
            "tool `{}` may not propose `email.draft`, so it may not ask for drafts",
            t.name
        ))),
    }
}

/// The contact to write to: the one asked for (who must belong to the deal's account),
/// else who wrote last, else the first who took part, else the first on the account.
async fn recipient(
    state: &AppState,
    deal: &DealContext,
    asked: Option<&str>,
) -> Result<Option<countersign_store::ContactRecord>, ApiError> {
    let id = match asked {
        Some(id) => {
            if !deal.committee.iter().any(|m| m.contact_id == id) {
                return Err(ApiError::validation(
                    "contact_id",
                    format!("`{id}` is not a contact of this deal's account"),
                ));
            }
            Some(id.to_owned())
        }
        None => deal
            .last_inbound
            .as_ref()
            .and_then(|t| t.contact_id.clone())
            .or_else(|| {
                deal.committee
                    .iter()
                    .filter(|m| m.last_touch.is_some())
                    .max_by_key(|m| m.last_touch)
                    .map(|m| m.contact_id.clone())
            })
            .or_else(|| deal.committee.first().map(|m| m.contact_id.clone())),
    };
    match id {
        Some(id) => Ok(state.store.contact(&id).await?),
        None => Ok(None),
    }
}

/// Approved entries valid today.
async fn approved_knowledge(state: &AppState) -> Result<Vec<Knowledge>, ApiError> {
    let today = Utc::now().date_naive();
    Ok(state
        .store
        .knowledge()
        .await?
        .into_iter()
        .filter(|s| s.entry.valid_on(today))
        .map(|s| Knowledge {
            id: s.entry.id,
            title: s.entry.title,
            topic: s.entry.topic,
            body: s.entry.body,
        })
        .collect())
}

/// An activity's subject without the marks CRMs add: the capture's ← / →, `Email:`.
fn bare_subject(subject: &str) -> &str {
    let s = subject.trim_start_matches(['←', '→', ' ']);
    s.strip_prefix("Email:").map_or(s, str::trim_start)
}

/// The deal as the assistant may see it: names only with `contact_details` in its grant,
/// and every text with the data classes it is not cleared for withheld.
fn brief(
    deal: &DealContext,
    recipient: Option<&countersign_store::ContactRecord>,
    intent: &str,
    knowledge: Vec<Knowledge>,
    tool: &Tool,
    policy: &Policy,
) -> Brief {
    let detector = SensitiveDetector::new();
    let cleared: &BTreeSet<String> = &tool.data_classes;
    let names = cleared.contains("contact_details");
    let clean = |text: &str| withhold(&detector, text, policy, cleared);
    let o = &deal.opportunity;
    let next_step = deal.next_step.as_deref().map(clean);
    let mut crm = format!(
        "{} at {}: stage {}",
        o.name.as_deref().unwrap_or(&o.opportunity_id),
        deal.account.as_deref().unwrap_or("an unknown account"),
        o.stage.as_deref().unwrap_or("unknown")
    );
    if let Some(a) = o.amount {
        crm.push_str(&format!(", amount {a:.0}"));
    }
    if let Some(c) = o.close_date {
        crm.push_str(&format!(", close date {c}"));
    }
    if let Some(n) = &next_step {
        crm.push_str(&format!(", next step: {n}"));
    }
    let mut facts = vec![Fact {
        kind: "crm".to_owned(),
        reference: o.opportunity_id.clone(),
        text: clean(&crm),
    }];
    for t in &deal.recent {
        let Some(subject) = t.subject.as_deref() else {
            continue;
        };
        let kind = match t.direction.as_deref() {
            Some("inbound") => "inbound",
            Some("outbound") => "outbound",
            _ => "activity",
        };
        facts.push(Fact {
            kind: kind.to_owned(),
            reference: t.activity_id.clone(),
            text: clean(bare_subject(subject)),
        });
    }
    for a in deal
        .past_actions
        .iter()
        .filter(|a| !a.commitments.is_empty())
    {
        facts.push(Fact {
            kind: "email".to_owned(),
            reference: a.action_id.clone(),
            text: clean(&format!("already promised: {}", a.commitments.join("; "))),
        });
    }
    Brief {
        intent: intent.trim().to_owned(),
        deal: Deal {
            opportunity_id: o.opportunity_id.clone(),
            name: o.name.clone(),
            account: deal.account.clone(),
            stage: o.stage.clone(),
            amount: o.amount,
            close_date: o.close_date,
            next_step,
        },
        recipient: recipient.map(|c| Person {
            name: if names { c.name.clone() } else { None },
            title: c.title.clone(),
        }),
        sender: names
            .then(|| deal.owner_name.clone().or_else(|| o.owner.clone()))
            .flatten(),
        facts,
        knowledge,
    }
}
