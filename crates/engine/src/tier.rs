//! Workflow tiers from the article, ordered from loosest to strictest.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How much a human must be involved. The derived order is strictness: content and
/// context may only move an action to a larger tier, never a smaller one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Runs by itself: low-risk reminders and internal notifications.
    AutomationSafe,
    /// Runs only after the required approvals.
    ManagerApproved,
    /// May be prepared; a human sends or applies it by hand.
    DraftOnly,
    /// May read and analyse; writes nothing.
    ReadOnly,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::AutomationSafe => "automation_safe",
            Tier::ManagerApproved => "manager_approved",
            Tier::DraftOnly => "draft_only",
            Tier::ReadOnly => "read_only",
        }
    }

    /// The stricter of the two.
    pub fn tighten(self, other: Tier) -> Tier {
        self.max(other)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
