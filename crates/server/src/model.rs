//! The JSON the API answers with, as documented types ([`ToSchema`]), built from the
//! engine's and the store's values. Responses are serialized from these types, so the
//! OpenAPI document describes exactly what is sent.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use countersign_engine::{Decision, DecisionRecord, Finding};
use countersign_store::{
    AccountContext, ActionView, ApprovalView, ContactRecord, OpportunityRecord, OutboxView,
    Proposal, QueueItem, RevisionView,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// What the gate decided.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// Automation-safe: released now.
    Allow,
    /// Waits for approvals from the listed roles.
    Hold,
    /// Returned to the rep to send or apply by hand; never released.
    DraftOnly,
    /// Refused.
    Deny,
}

/// A workflow tier.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TierName {
    AutomationSafe,
    ManagerApproved,
    DraftOnly,
    ReadOnly,
}

/// A finding category (DESIGN §2).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CategoryName {
    Objection,
    Commercial,
    Executive,
    Commitment,
    Sensitive,
    Pressure,
    Injection,
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusName {
    Allowed,
    Held,
    Approved,
    Rejected,
    DraftOnly,
    Denied,
    /// Nobody decided it within the policy's `[review] expire_after`: never sent.
    Expired,
}

/// One thing a detector saw.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingBody {
    #[schema(value_type = CategoryName)]
    pub category: String,
    /// E.g. `security`, `discount`, `iban`.
    pub subtopic: String,
    /// Byte offsets into the text named by `field`.
    pub start: usize,
    pub end: usize,
    /// `body`, `subject`, `recipient_title`, `payload.changes` or `quoted`.
    pub field: String,
    /// The words that fired (secrets masked).
    pub evidence: String,
    pub confidence: f32,
    /// The rule that fired, e.g. `objection.security.claim`.
    pub rule: String,
}

impl From<&Finding> for FindingBody {
    fn from(f: &Finding) -> Self {
        Self {
            category: f.category.as_str().to_owned(),
            subtopic: f.subtopic.clone(),
            start: f.start,
            end: f.end,
            field: f.field.clone(),
            evidence: f.evidence.clone(),
            confidence: f.confidence,
            rule: f.rule.clone(),
        }
    }
}

/// A decision with everything needed to explain it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionBody {
    /// The action's id.
    pub id: String,
    #[schema(value_type = DecisionOutcome)]
    pub decision: String,
    #[schema(value_type = TierName)]
    pub tier: String,
    /// Roles that must approve a held action.
    pub roles: BTreeSet<String>,
    /// Why, in plain words.
    pub reasons: Vec<String>,
    pub findings: Vec<FindingBody>,
    /// The policy's content hash, e.g. `sha256:0123456789abcdef`.
    pub policy_version: String,
    /// Quiet hours: an allowed e-mail waits until this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
}

impl From<&DecisionRecord> for DecisionBody {
    fn from(d: &DecisionRecord) -> Self {
        Self {
            id: d.id.clone(),
            decision: d.decision.as_str().to_owned(),
            tier: d.tier.as_str().to_owned(),
            roles: d.roles.clone(),
            reasons: d.reasons.iter().map(ToString::to_string).collect(),
            findings: d.findings.iter().map(FindingBody::from).collect(),
            policy_version: d.policy_version.as_str().to_owned(),
            not_before: d.not_before,
        }
    }
}

/// What a calling agent should do after a decision; the same words go to REST and MCP
/// callers.
pub fn next_step(d: &DecisionRecord, action_id: &str) -> String {
    match d.decision {
        Decision::Allow => match d.not_before {
            Some(t) => format!(
                "allowed: Countersign delivers it after the recipient's quiet hours end ({}); do not send it yourself",
                t.to_rfc3339()
            ),
            None => "allowed: Countersign delivers it now; do not send it yourself".to_owned(),
        },
        Decision::Hold => {
            let roles: Vec<&str> = d.roles.iter().map(String::as_str).collect();
            format!(
                "held for approval by {}: do not send it another way or reword it to avoid review; tell the rep it is waiting and read the decision of `{action_id}` later to see whether it was approved, edited or rejected",
                if roles.is_empty() { "a manager".to_owned() } else { roles.join(" and ") }
            )
        }
        Decision::DraftOnly => "draft only: nothing will be sent; hand the text to the rep, who may send or apply it by hand after reviewing the reasons".to_owned(),
        Decision::Deny => "denied: do not retry, reword or send it another way; report the reasons to the rep".to_owned(),
    }
}

/// The answer to a proposal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalBody {
    /// The store's id for the action (`act_…`).
    pub action_id: String,
    #[schema(value_type = StatusName)]
    pub status: String,
    /// True when an idempotency key returned the answer of an earlier request.
    pub replayed: bool,
    /// Sequence number of the decision's audit record.
    pub audit_seq: i64,
    pub decision: DecisionBody,
    /// What the calling agent should do now.
    pub next_step: String,
}

impl From<&Proposal> for ProposalBody {
    fn from(p: &Proposal) -> Self {
        Self {
            action_id: p.action_id.clone(),
            status: p.status.as_str().to_owned(),
            replayed: p.replayed,
            audit_seq: p.audit_seq,
            decision: DecisionBody::from(&p.decision),
            next_step: next_step(&p.decision, &p.action_id),
        }
    }
}

/// One revision of an action: its content and decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevisionBody {
    pub number: i64,
    /// `tool:NAME` for the proposal, `reviewer:NAME` for an edit.
    pub author: String,
    pub created_at: DateTime<Utc>,
    /// The action as decided (kind, target, payload, sources, …), as the engine parsed it.
    #[schema(value_type = countersign_engine::Action)]
    pub action: Value,
    pub decision: DecisionBody,
    pub required_roles: BTreeSet<String>,
    pub audit_seq: i64,
}

impl From<&RevisionView> for RevisionBody {
    fn from(r: &RevisionView) -> Self {
        Self {
            number: r.number,
            author: r.author.clone(),
            created_at: r.created_at,
            action: r.action.clone(),
            decision: DecisionBody::from(&r.decision),
            required_roles: r.required_roles.clone(),
            audit_seq: r.audit_seq,
        }
    }
}

/// One approval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalBody {
    pub reviewer: String,
    pub revision: i64,
    pub roles: BTreeSet<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether it still counts (latest revision, not expired, opportunity unchanged).
    pub counts: bool,
}

impl From<&ApprovalView> for ApprovalBody {
    fn from(a: &ApprovalView) -> Self {
        Self {
            reviewer: a.reviewer.clone(),
            revision: a.revision,
            roles: a.roles.clone(),
            created_at: a.created_at,
            expires_at: a.expires_at,
            counts: a.counts,
        }
    }
}

/// Delivery state of a released action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxBody {
    pub outbox_id: i64,
    /// `email` or `webhook`.
    pub kind: String,
    /// `pending`, `sent` or `failed` (parked for a human).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub message_id: String,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<&OutboxView> for OutboxBody {
    fn from(o: &OutboxView) -> Self {
        Self {
            outbox_id: o.outbox_id,
            kind: o.kind.as_str().to_owned(),
            status: o.status.clone(),
            attempts: o.attempts,
            next_attempt_at: o.next_attempt_at,
            message_id: o.message_id.clone(),
            last_error: o.last_error.clone(),
            sent_at: o.sent_at,
        }
    }
}

/// Everything stored about one action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionBody {
    pub action_id: String,
    /// The id the tool gave it, if any.
    pub external_id: Option<String>,
    pub kind: String,
    pub tool: Option<String>,
    pub on_behalf_of: Option<String>,
    #[schema(value_type = StatusName)]
    pub status: String,
    pub contact_id: Option<String>,
    pub recipient_email: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub rejected_by: Option<String>,
    pub rejection_reason: Option<String>,
    /// For a held action: required roles not yet covered.
    pub missing_roles: BTreeSet<String>,
    /// The latest revision's decision.
    pub decision: DecisionBody,
    /// What the proposing agent should do now.
    pub next_step: String,
    pub revisions: Vec<RevisionBody>,
    pub approvals: Vec<ApprovalBody>,
    pub outbox: Option<OutboxBody>,
}

impl ActionBody {
    /// `None` only for an action without revisions, which the store never writes.
    pub fn from_view(v: &ActionView) -> Option<Self> {
        let latest = v.revisions.last()?;
        let next = match v.status {
            countersign_store::ActionStatus::Approved => {
                "approved: Countersign delivers it; do not send it yourself".to_owned()
            }
            countersign_store::ActionStatus::Rejected => format!(
                "rejected by a reviewer ({}): do not send it; tell the rep",
                v.rejection_reason.as_deref().unwrap_or("no reason given")
            ),
            countersign_store::ActionStatus::Expired => {
                "expired: nobody decided it in time, so it was never sent; do not send it \
                 yourself; propose it again, fresh, if it still matters"
                    .to_owned()
            }
            _ => next_step(&latest.decision, &v.action_id),
        };
        Some(Self {
            action_id: v.action_id.clone(),
            external_id: v.external_id.clone(),
            kind: v.kind.clone(),
            tool: v.tool.clone(),
            on_behalf_of: v.on_behalf_of.clone(),
            status: v.status.as_str().to_owned(),
            contact_id: v.contact_id.clone(),
            recipient_email: v.recipient_email.clone(),
            opportunity_id: v.opportunity_id.clone(),
            account_id: v.account_id.clone(),
            idempotency_key: v.idempotency_key.clone(),
            created_at: v.created_at,
            released_at: v.released_at,
            rejected_by: v.rejected_by.clone(),
            rejection_reason: v.rejection_reason.clone(),
            missing_roles: v.missing_roles.clone(),
            decision: DecisionBody::from(&latest.decision),
            next_step: next,
            revisions: v.revisions.iter().map(RevisionBody::from).collect(),
            approvals: v.approvals.iter().map(ApprovalBody::from).collect(),
            outbox: v.outbox.as_ref().map(OutboxBody::from),
        })
    }
}

/// A held action waiting for approvals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItemBody {
    pub action_id: String,
    pub kind: String,
    pub tool: Option<String>,
    pub on_behalf_of: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    pub revision: i64,
    pub required_roles: BTreeSet<String>,
    pub approved_roles: BTreeSet<String>,
    pub missing_roles: BTreeSet<String>,
    pub reasons: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<QueueItem> for QueueItemBody {
    fn from(q: QueueItem) -> Self {
        Self {
            action_id: q.action_id,
            kind: q.kind,
            tool: q.tool,
            on_behalf_of: q.on_behalf_of,
            recipient: q.recipient,
            subject: q.subject,
            revision: q.revision,
            required_roles: q.required_roles,
            approved_roles: q.approved_roles,
            missing_roles: q.missing_roles,
            reasons: q.reasons.iter().map(ToString::to_string).collect(),
            created_at: q.created_at,
        }
    }
}

/// A contact.
#[derive(Serialize, ToSchema)]
pub struct ContactBody {
    pub contact_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    /// Role on the opportunity, e.g. `economic_buyer`, `executive_sponsor`.
    pub crm_role: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    pub account_id: Option<String>,
}

impl From<ContactRecord> for ContactBody {
    fn from(c: ContactRecord) -> Self {
        Self {
            contact_id: c.contact_id,
            email: c.email,
            name: c.name,
            title: c.title,
            crm_role: c.crm_role,
            timezone: c.timezone,
            account_id: c.account_id,
        }
    }
}

/// An opportunity with its version.
#[derive(Serialize, ToSchema)]
pub struct OpportunityBody {
    pub opportunity_id: String,
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    pub owner: Option<String>,
    /// Bumped by every change of stage, amount, close date or owner.
    pub version: i64,
}

impl From<OpportunityRecord> for OpportunityBody {
    fn from(o: OpportunityRecord) -> Self {
        Self {
            opportunity_id: o.opportunity_id,
            account_id: o.account_id,
            name: o.name,
            stage: o.stage,
            amount: o.amount,
            close_date: o.close_date,
            owner: o.owner,
            version: o.version,
        }
    }
}

/// An action in the history (no content).
#[derive(Serialize, ToSchema)]
pub struct RecentAction {
    pub action_id: String,
    pub kind: String,
    pub tool: Option<String>,
    #[schema(value_type = StatusName)]
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
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
    /// The account's contacts (the buying committee as the CRM knows it), at most 12.
    pub committee: Vec<ContactBody>,
}

impl From<AccountContext> for ContextBody {
    fn from(ctx: AccountContext) -> Self {
        Self {
            contact: ctx.contact.map(ContactBody::from),
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
            committee: ctx.committee.into_iter().map(ContactBody::from).collect(),
        }
    }
}
