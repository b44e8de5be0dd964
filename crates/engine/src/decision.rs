//! The gate's answer ([`DecisionRecord`]): outcome, tier, roles, reasons, findings, policy version.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::policy::PolicyVersion;
use crate::reason::Reason;
use crate::tier::Tier;

/// What happens to the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Automation-safe: runs now.
    Allow,
    /// Needs approvals from the listed roles.
    Hold,
    /// Returned to the rep to send or apply by hand.
    DraftOnly,
    /// Refused.
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Hold => "hold",
            Decision::DraftOnly => "draft_only",
            Decision::Deny => "deny",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decision with everything needed to explain and replay it.
///
/// As JSON (stored, printed by `check`, hashed into the audit chain) the reasons appear
/// twice: `reasons` in plain words, as DESIGN §6 specifies, and `reason_details` as tagged
/// objects ([`Reason`]) in the same order. Records from before `reason_details` read back
/// with their words as [`Reason::Recorded`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "StoredDecision", from = "StoredDecision")]
pub struct DecisionRecord {
    /// The action's id (or, for `check` input without one, the line number).
    pub id: String,
    pub decision: Decision,
    pub tier: Tier,
    /// Roles that must approve before a held action runs.
    pub roles: BTreeSet<String>,
    /// Why: the kind's base tier first, then each cause (`Display` words them).
    pub reasons: Vec<Reason>,
    pub findings: Vec<Finding>,
    pub policy_version: PolicyVersion,
    /// Quiet hours: an allowed action waits until this time instead of running now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
}

/// [`DecisionRecord`] as JSON.
#[derive(Serialize, Deserialize)]
struct StoredDecision {
    id: String,
    decision: Decision,
    tier: Tier,
    roles: BTreeSet<String>,
    reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reason_details: Vec<serde_json::Value>,
    findings: Vec<Finding>,
    policy_version: PolicyVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_before: Option<DateTime<Utc>>,
}

impl From<DecisionRecord> for StoredDecision {
    fn from(d: DecisionRecord) -> Self {
        Self {
            id: d.id,
            decision: d.decision,
            tier: d.tier,
            roles: d.roles,
            reasons: d.reasons.iter().map(ToString::to_string).collect(),
            reason_details: d
                .reasons
                .iter()
                .filter_map(|r| serde_json::to_value(r).ok())
                .collect(),
            findings: d.findings,
            policy_version: d.policy_version,
            not_before: d.not_before,
        }
    }
}

impl From<StoredDecision> for DecisionRecord {
    fn from(s: StoredDecision) -> Self {
        let mut details = s.reason_details.into_iter();
        let reasons = s
            .reasons
            .into_iter()
            .map(|text| {
                details
                    .next()
                    .and_then(|d| serde_json::from_value(d).ok())
                    .unwrap_or_else(|| Reason::from_words(text))
            })
            .collect();
        Self {
            id: s.id,
            decision: s.decision,
            tier: s.tier,
            roles: s.roles,
            reasons,
            findings: s.findings,
            policy_version: s.policy_version,
            not_before: s.not_before,
        }
    }
}

/// What went wrong when an action could not be decided. Every such failure holds the
/// action for a human; this is the one place that words the hold's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Failure {
    /// The engine returned an error (a detector, the model, an oversized body, …).
    Engine(String),
    /// The engine panicked.
    Panicked,
    /// The decision ran past its deadline.
    TookLonger { limit_ms: u64 },
    /// The thread or task deciding it stopped.
    WorkerStopped,
    /// The input could not be read at all (e.g. not UTF-8).
    Unreadable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fail closed: ")?;
        match self {
            Self::Engine(e) => f.write_str(e),
            Self::Panicked => f.write_str("internal error while deciding"),
            Self::TookLonger { limit_ms } => {
                write!(f, "deciding took longer than {limit_ms} ms")
            }
            Self::WorkerStopped => f.write_str("the decision worker stopped"),
            Self::Unreadable(what) => write!(f, "{what}: held unread"),
        }
    }
}

impl DecisionRecord {
    /// The reasons that made the decision stricter than the kind's base tier.
    pub fn causes(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().filter(|r| r.is_cause())
    }

    /// The fail-closed answer: held for a manager, with the reason that says what failed.
    pub fn fail_closed(id: &str, policy_version: &PolicyVersion, failure: &Failure) -> Self {
        Self {
            id: id.to_owned(),
            decision: Decision::Hold,
            tier: Tier::ManagerApproved,
            roles: BTreeSet::from(["manager".to_owned()]),
            reasons: vec![Reason::FailClosed {
                failure: failure.clone(),
            }],
            findings: Vec::new(),
            policy_version: policy_version.clone(),
            not_before: None,
        }
    }
}
