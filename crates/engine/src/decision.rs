//! The gate's answer ([`DecisionRecord`]): outcome, tier, roles, reasons, findings, policy version.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::policy::PolicyVersion;
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The action's id (or, for `check` input without one, the line number).
    pub id: String,
    pub decision: Decision,
    pub tier: Tier,
    /// Roles that must approve before a held action runs.
    pub roles: BTreeSet<String>,
    /// Why, in plain words, one sentence each.
    pub reasons: Vec<String>,
    pub findings: Vec<Finding>,
    pub policy_version: PolicyVersion,
    /// Quiet hours: an allowed action waits until this time instead of running now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<DateTime<Utc>>,
}

/// What went wrong when an action could not be decided. Every such failure holds the
/// action for a human; this is the one place that words the hold's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The engine returned an error (a detector, the model, an oversized body, …).
    Engine(String),
    /// The engine panicked.
    Panicked,
    /// The decision ran past its deadline.
    TookLonger { limit_ms: u128 },
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
    /// The fail-closed answer: held for a manager, with the reason that says what failed.
    pub fn fail_closed(id: &str, policy_version: &PolicyVersion, failure: &Failure) -> Self {
        Self {
            id: id.to_owned(),
            decision: Decision::Hold,
            tier: Tier::ManagerApproved,
            roles: BTreeSet::from(["manager".to_owned()]),
            reasons: vec![failure.to_string()],
            findings: Vec::new(),
            policy_version: policy_version.clone(),
            not_before: None,
        }
    }
}
