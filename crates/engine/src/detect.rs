//! Detectors: each reads an action's text and context and reports [`Finding`]s.
//!
//! One file per detector. They share a [`Document`] (the text split into the seller's own
//! words and quoted inbound text, with sentence boundaries) built once per text field, so
//! the expensive part of reading a message is done once however many detectors run.
//! Detectors never decide anything: the policy turns findings into tiers and roles.

pub mod claims;
pub mod executive;
pub mod injection;
pub mod lexicon;
pub mod model;
pub mod normalize;
pub mod sensitive;
pub mod text;

use std::collections::BTreeSet;

pub use text::{Document, Segment};

use crate::finding::{Category, Finding};

/// Everything a detector may read besides the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signals<'a> {
    /// The recipient's job title, e.g. `VP Procurement`.
    pub recipient_title: Option<&'a str>,
    /// The recipient's role on the opportunity, e.g. `executive_sponsor`.
    pub recipient_crm_role: Option<&'a str>,
    /// Addresses the message is sent to: the recipient's own address is not third-party data.
    pub recipients: &'a [&'a str],
    /// The sender's own e-mail and phone: not third-party data either.
    pub sender_email: Option<&'a str>,
    pub sender_phone: Option<&'a str>,
    /// The sender's and the recipient's names, e.g. `Sam Seller`: they tell whose a
    /// contact detail is ("Dana's mobile", a sign-off under the sender's name).
    pub sender_name: Option<&'a str>,
    pub recipient_name: Option<&'a str>,
}

/// A detector failed to read the text. The gate turns this into `hold`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("detector `{detector}` failed: {problem}")]
pub struct DetectorError {
    pub detector: &'static str,
    pub problem: String,
}

/// One detector. Implementations must be deterministic, report spans on UTF-8 boundaries
/// inside the document, and never panic on any input (see the conformance test).
pub trait Detector: Send + Sync {
    /// Stable name used in errors and rule ids.
    fn name(&self) -> &'static str;

    /// Appends what it sees in `doc` to `out`.
    fn detect(
        &self,
        doc: &Document<'_>,
        signals: &Signals<'_>,
        out: &mut Vec<Finding>,
    ) -> Result<(), DetectorError>;
}

/// The detectors the gate runs, in a fixed order (the result does not depend on it).
pub fn default_detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(lexicon::LexiconDetector::new()),
        Box::new(executive::ExecutiveDetector::new()),
        Box::new(sensitive::SensitiveDetector::new()),
        Box::new(injection::InjectionDetector::new()),
    ]
}

/// The subtopics each category reports; the policy may only name these.
pub fn subtopics(category: Category) -> &'static [&'static str] {
    match category {
        Category::Objection => &[
            "security",
            "compliance",
            "integration",
            "data_residency",
            "sla",
            "implementation",
        ],
        Category::Commercial => &[
            "pricing",
            "discount",
            "fee_waiver",
            "payment_terms",
            "contract_terms",
            "redline",
            "procurement",
            "legal",
        ],
        Category::Executive => &["title", "crm_role", "framing"],
        Category::Commitment => &["guarantee", "deadline", "waiver", "promise"],
        Category::Sensitive => &[
            "credit_card",
            "iban_code",
            "us_ssn",
            "national_id",
            "email_address",
            "phone_number",
            "ip_address",
            "crypto",
            "api_key",
            "private_key",
            "jwt",
            "password",
            "confidential",
        ],
        Category::Pressure => &["urgency", "pushing"],
        Category::Injection => &["instruction", "gate_directive"],
        Category::Obfuscation => &["look_alike", "invisible", "spread", "leet"],
        Category::Generic => &["no_specifics", "sequence"],
    }
}

/// Whether `subtopic` is one the detectors report for `category`.
pub fn known_subtopic(category: Category, subtopic: &str) -> bool {
    subtopics(category).contains(&subtopic)
}

/// The categories present in a list of findings.
pub fn categories(findings: &[Finding]) -> BTreeSet<Category> {
    findings.iter().map(|f| f.category).collect()
}

/// Byte index of the first char boundary at or before `i`.
pub(crate) fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte index of the first char boundary at or after `i`.
pub(crate) fn ceil_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}
