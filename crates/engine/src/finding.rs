//! What a detector saw ([`Finding`]) and the categories of DESIGN §2.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The categories, protected moments first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Objection,
    Commercial,
    Executive,
    Commitment,
    Sensitive,
    Pressure,
    Injection,
    /// Words hidden from the detectors (DESIGN §6): not a protected moment by itself.
    Obfuscation,
    /// A follow-up on an open deal that says nothing only this buyer would recognise, or
    /// one text sent to many buyers (a sequence).
    Generic,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Objection,
        Category::Commercial,
        Category::Executive,
        Category::Commitment,
        Category::Sensitive,
        Category::Pressure,
        Category::Injection,
        Category::Obfuscation,
        Category::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Objection => "objection",
            Category::Commercial => "commercial",
            Category::Executive => "executive",
            Category::Commitment => "commitment",
            Category::Sensitive => "sensitive",
            Category::Pressure => "pressure",
            Category::Injection => "injection",
            Category::Obfuscation => "obfuscation",
            Category::Generic => "generic",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The article's three moments that must never go out without a human.
    pub fn is_protected(self) -> bool {
        matches!(
            self,
            Category::Objection | Category::Commercial | Category::Executive
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a detector saw, with where and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub category: Category,
    /// E.g. `security`, `discount`, `iban`; for executive the basis (`title`, `crm_role`, `framing`).
    pub subtopic: String,
    /// Byte offsets into the text named by `field`, on UTF-8 boundaries. `0..0` when the
    /// finding is about context (a title) rather than a place in the body.
    pub start: usize,
    pub end: usize,
    /// Which text the span points into: `body` (default), `subject`, `recipient_title`, `payload.changes`, `quoted`.
    pub field: String,
    /// The words that fired (secrets are masked).
    pub evidence: String,
    pub confidence: f32,
    /// Rule or model id, e.g. `objection.security.claim`.
    pub rule: String,
}

impl Finding {
    /// Sort key that makes the finding list independent of detector order.
    pub(crate) fn sort_key(&self) -> (usize, usize, Category, &str, &str, &str) {
        (
            self.start,
            self.end,
            self.category,
            &self.subtopic,
            &self.rule,
            &self.field,
        )
    }
}
