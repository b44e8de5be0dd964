//! Countersign's durable lifecycle (DESIGN §2, §5): proposals and their decisions,
//! approvals with separation of duties, the guards' history, the exactly-once outbox, the
//! tool and reviewer registries and the hash-chained audit log — on SQLite (one file, the
//! embedded default) or PostgreSQL, through one API.
//!
//! Every operation is one transaction: what it writes (the action, its decision, the audit
//! records, the outbox row) is committed together before it returns, or not at all. The
//! store never decides anything itself: it assembles the engine's [`Context`] from what it
//! knows and calls [`countersign_engine::decide`]. It never reads the clock either: every
//! operation takes `now`, so tests control time.
//!
//! Not here: delivering the outbox (the connectors' worker calls
//! [`Store::claim_outbox`], [`Store::mark_sent`] and [`Store::mark_failed`]), HTTP, and
//! reading policy files (callers pass the texts or the loaded [`Policy`]).
//!
//! [`Context`]: countersign_engine::Context
//! [`Policy`]: countersign_engine::Policy

mod accounts;
mod activation;
mod approvals;
mod assess;
pub mod audit;
mod canonical;
mod context;
mod crm;
pub mod crm_import;
mod db;
mod deal_context;
mod deals;
mod error;
mod group;
mod knowledge;
mod lookup;
mod notify;
mod outbox;
mod policies;
mod propose;
mod propose_with;
mod queue;
mod registry;
mod reports;
mod review_links;
mod scans;
mod service_levels;
mod shadow;
mod simulate;
mod throttle;
mod triage;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

pub use accounts::{Account, Credentials, NewSession, PasswordSet, SESSION_TOKEN_PREFIX};
pub use activation::{Activation, PolicyTexts};
pub use approvals::{
    ActionView, ApprovalOutcome, ApprovalView, Edit, EditOutcome, QueueItem, RevisionView,
};
pub use assess::WINDOW_DAYS as ASSESS_WINDOW_DAYS;
pub use audit::{AuditRecord, ChainBreak, ChainCheck, ChainVerified};
pub use canonical::{canonical_json, sha256_hex};
pub use crm::{ContactRecord, OpportunityRecord, OpportunityUpsert};
pub use db::Backend;
pub use deal_context::{CommitteeMember, DealContext, Move, PastAction, Touch};
pub use deals::{DealAction, LatestAction};
pub use error::StoreError;
pub use group::GroupCommitter;
pub use knowledge::{KnowledgeWrite, StoredEntry};
pub use lookup::{AccountContext, ActionSummary, ContextQuery, OutboxStats, SuppressionRecord};
pub use notify::Notifications;
pub use outbox::{
    Delivery, OutboxItem, OutboxKind, OutboxView, OutgoingEmail, SlackMessage, TeamsCard,
    WebhookCall, message_id,
};
pub use policies::Replay;
pub use propose::Proposal;
pub use queue::{QUEUE_PAGE_LIMIT, QueueCursor, QueueFacets, QueuePage, QueueQuery};
pub use registry::{NewTool, Reviewer, Tool, check_email};
pub use reports::{
    AUDIT_PAGE_MAX, AuditPage, AuditQuery, AutomationRow, DASHBOARD_MAX_DAYS, Dashboard, DayCount,
    HoldReason, Latency, Overrides, percentile,
};
pub use review_links::{Chat, LinkRefusal, LinkVerb, ReviewLink, Via};
pub use scans::{ScanFacts, StoredScan, UnregisteredProposals};
pub use service_levels::{RoleService, ServiceReport, SweepReport};
pub use shadow::{Sighting, SightingRow};
pub use simulate::{HistoryCursor, SimulationBatch, SimulationRun, StoredProposal};
pub use throttle::FREE_FAILURES as LOGIN_FREE_FAILURES;

/// How long idempotency keys are kept at least (Stripe keeps them 24 hours; we keep a week).
pub const IDEMPOTENCY_KEY_RETENTION: Duration = Duration::days(7);

/// Knobs that are not policy.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// An approval stops counting this long after it was given.
    pub approval_ttl: Duration,
    /// Connections in the pool.
    pub max_connections: u32,
    /// A log-in session unused this long is refused (OWASP: 15–30 minutes); `None`: no
    /// idle limit, only the session's absolute expiry.
    pub session_idle: Option<Duration>,
    /// Who is told when an action enters a role's queue, and how.
    pub notifications: Notifications,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            approval_ttl: Duration::hours(72),
            max_connections: 8,
            session_idle: Some(Duration::minutes(30)),
            notifications: Notifications::default(),
        }
    }
}

/// The store: a connection pool and its options. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: db::Pool,
    options: StoreOptions,
}

impl Store {
    /// Opens `url` (`sqlite://PATH` — created if missing — or `postgres://…`) and brings
    /// its schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, StoreOptions::default()).await
    }

    /// [`Store::open`] with options.
    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Self, StoreError> {
        let pool = db::Pool::connect(url, options.max_connections.max(1)).await?;
        Ok(Self { pool, options })
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Released without approval (the decision was `allow`).
    Allowed,
    /// Waiting for approvals.
    Held,
    /// Released after every required role approved.
    Approved,
    /// A reviewer refused it.
    Rejected,
    /// Returned to the rep to send by hand; never released.
    DraftOnly,
    /// Refused by the gate.
    Denied,
    /// Held until nobody could decide any more (the policy's `[review] expire_after`);
    /// never released.
    Expired,
}

impl ActionStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Held => "held",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::DraftOnly => "draft_only",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }

    /// The status a fresh decision puts an action in.
    pub fn of(decision: countersign_engine::Decision) -> Self {
        use countersign_engine::Decision;
        match decision {
            Decision::Allow => Self::Allowed,
            Decision::Hold => Self::Held,
            Decision::DraftOnly => Self::DraftOnly,
            Decision::Deny => Self::Denied,
        }
    }
}

impl FromStr for ActionStatus {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Allowed,
            Self::Held,
            Self::Approved,
            Self::Rejected,
            Self::DraftOnly,
            Self::Denied,
            Self::Expired,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown action status `{s}`")))
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `now` cut to whole microseconds: PostgreSQL keeps microseconds, so both backends then
/// store and return exactly the same instants.
pub(crate) fn micros(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::microseconds(1)).unwrap_or(now)
}
