//! Shadow-AI discovery (issue 14): which AI tools reach buyers or the CRM without being
//! registered. Three kinds of evidence are read against one signature file
//! ([`Signatures`], shipped beside the policy as `signatures.toml`):
//!
//! - sent mail (`mail.rs`: mbox, EML files, Maildir, streamed): personal accounts writing to
//!   buyers, AI writing tools and sequencers by their headers, Message-ID, link and pixel
//!   domains, mail to buyers sent around the gate, and what the gate would have held in it;
//! - CRM login and connected-app exports (`crm_logins.rs`): integrations that are not
//!   registered tools;
//! - browser extension inventories (`extensions.rs`): AI writing and sales extensions, and
//!   which of them can read mail or every page.
//!
//! Each reader turns its input into [`Finding`]s; [`Report`] folds them per kind, rep and
//! tool. Reading never stops at a bad record: what could not be read is itself reported
//! ([`Finding::unreadable`]) and the rest of the report is still produced.

pub mod crm_logins;
pub mod extensions;
pub mod mail;
pub mod run;
pub mod signatures;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use signatures::{Signatures, SignaturesError, ToolSignature};

/// What a finding is about (the JSON `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A rep writing to a buyer from a private address.
    PersonalAccount,
    /// Mail written or sent by an AI writing tool or a sales sequencer.
    AiTool,
    /// A tracking link or pixel of a tool nobody sanctioned.
    UnsanctionedTracker,
    /// Mail to a buyer that no action in Countersign accounts for.
    UngatedSend,
    /// A CRM integration user or OAuth app that is not a registered tool.
    UnknownIntegration,
    /// A browser extension that writes with AI or reads mail or every page.
    AiExtension,
    /// A request with a tool key the registry does not know, or revoked.
    UnknownToolKey,
    /// Input that could not be read from some point on (the rest was).
    Unreadable,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PersonalAccount => "personal_account",
            Kind::AiTool => "ai_tool",
            Kind::UnsanctionedTracker => "unsanctioned_tracker",
            Kind::UngatedSend => "ungated_send",
            Kind::UnknownIntegration => "unknown_integration",
            Kind::AiExtension => "ai_extension",
            Kind::UnknownToolKey => "unknown_tool_key",
            Kind::Unreadable => "unreadable",
        }
    }
}

/// One observation: a message, a login row, an installed extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    /// The rep it concerns (their Countersign name when known, else the address or user).
    pub rep: Option<String>,
    /// The tool, as the signature names it, or as the evidence names it when unknown.
    pub tool: Option<String>,
    /// What was seen, in words a person reads: `X-Mailer: Lavender 2.1`, `link to t.outreach.io`.
    pub evidence: String,
    /// Where: `sent.mbox message 1042`, `LoginHistory.csv line 17`.
    pub source: String,
    pub at: Option<DateTime<Utc>>,
    /// What the gate would have held in that mail (categories and subtopics), if any.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub touched: BTreeSet<String>,
}

impl Finding {
    /// Input unreadable from `source` on, with why.
    pub fn unreadable(source: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            kind: Kind::Unreadable,
            rep: None,
            tool: None,
            evidence: why.into(),
            source: source.into(),
            at: None,
            touched: BTreeSet::new(),
        }
    }
}

/// What the store knows that the readers compare against.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Reps: lower-cased company address → their Countersign name.
    pub rep_addresses: BTreeMap<String, String>,
    /// Reps: lower-cased full names and name parts (`sam okafor`, `sam.okafor`) → name.
    pub rep_names: BTreeMap<String, String>,
    /// The seller's own mail domains (`lumenfield.example`).
    pub company_domains: BTreeSet<String>,
    /// Buyer domains known from the CRM (contacts' and accounts' domains).
    pub buyer_domains: BTreeSet<String>,
    /// Message-IDs (without angle brackets, lower-cased) of mail Countersign delivered.
    pub gated_message_ids: BTreeSet<String>,
    /// `(recipient, subject)` pairs, lower-cased, of e-mail actions Countersign decided.
    pub gated_pairs: BTreeSet<(String, String)>,
    /// Registered tool names, lower-cased.
    pub registered_tools: BTreeSet<String>,
}

impl Known {
    /// The rep an address or display name belongs to.
    pub fn rep_for(&self, address: &str, display: Option<&str>) -> Option<&str> {
        let address = address.trim().to_lowercase();
        if let Some(rep) = self.rep_addresses.get(&address) {
            return Some(rep);
        }
        if let Some(name) = display {
            let name = name.trim().to_lowercase();
            if let Some(rep) = self.rep_names.get(&name) {
                return Some(rep);
            }
        }
        let local = address.split('@').next().unwrap_or_default();
        self.rep_names.get(local).map(String::as_str)
    }
}

/// Findings folded per kind, rep and tool: the scan's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub rows: Vec<ReportRow>,
    /// Messages, login rows and extensions read, per input.
    pub read: BTreeMap<String, u64>,
    /// The signature file's version.
    pub signatures_version: String,
}

/// One line of the report (the JSON line of `scan --format json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    pub kind: Kind,
    pub rep: Option<String>,
    pub tool: Option<String>,
    /// Up to five distinct pieces of evidence, each with where it was seen.
    pub evidence: Vec<String>,
    pub count: u64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// What the gate would have held in that mail, with how many messages each.
    pub touched: BTreeMap<String, u64>,
    pub recommendation: String,
}

/// A subject as `(recipient, subject)` pairs compare it: lower case, `Re:`/`Fwd:`/`AW:`/
/// `WG:`/`TR:` prefixes and surrounding space removed, inner space collapsed.
pub fn subject_key(subject: &str) -> String {
    let mut s = subject.trim().to_lowercase();
    loop {
        let before = s.len();
        for prefix in ["re:", "fwd:", "fw:", "aw:", "wg:", "tr:", "sv:"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start().to_owned();
            }
        }
        if s.len() == before {
            break;
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Folds findings as they come, so a scan of any size keeps one row per (kind, rep, tool).
#[derive(Debug, Default)]
pub struct Folder {
    rows: BTreeMap<(Kind, Option<String>, Option<String>), ReportRow>,
    read: BTreeMap<String, u64>,
    signatures_version: String,
    categories: BTreeMap<String, String>,
}

impl Folder {
    pub fn new(signatures: &Signatures) -> Self {
        Self {
            signatures_version: signatures.version.clone(),
            categories: signatures
                .tools
                .iter()
                .map(|t| (t.name.clone(), t.category.clone()))
                .collect(),
            ..Self::default()
        }
    }

    /// Counts `n` records read from `input` (`sent.mbox`, `extensions.csv`).
    pub fn read(&mut self, input: &str, n: u64) {
        *self.read.entry(input.to_owned()).or_default() += n;
    }

    pub fn add(&mut self, f: Finding) {
        self.add_counted(f, 1);
    }

    /// `f` seen `n` times from `f.at` to `last` (a summary row of the store's).
    pub fn add_span(&mut self, f: Finding, n: u64, last: DateTime<Utc>) {
        let key = (f.kind, f.rep.clone(), f.tool.clone());
        self.add_counted(f, n);
        if let Some(row) = self.rows.get_mut(&key) {
            row.last_seen = Some(row.last_seen.map_or(last, |s| s.max(last)));
        }
    }

    /// `f`, seen `n` times (a sighting row counts every request with that key).
    pub fn add_counted(&mut self, f: Finding, n: u64) {
        let category = f
            .tool
            .as_ref()
            .and_then(|t| self.categories.get(t))
            .cloned();
        let row = self
            .rows
            .entry((f.kind, f.rep.clone(), f.tool.clone()))
            .or_insert_with(|| ReportRow {
                kind: f.kind,
                rep: f.rep.clone(),
                tool: f.tool.clone(),
                evidence: Vec::new(),
                count: 0,
                first_seen: None,
                last_seen: None,
                touched: BTreeMap::new(),
                recommendation: recommendation(f.kind, category.as_deref()),
            });
        row.count += n;
        if row.evidence.len() < 5 && !row.evidence.iter().any(|e| e.starts_with(&f.evidence)) {
            row.evidence.push(format!("{} ({})", f.evidence, f.source));
        }
        if let Some(at) = f.at {
            row.first_seen = Some(row.first_seen.map_or(at, |s| s.min(at)));
            row.last_seen = Some(row.last_seen.map_or(at, |s| s.max(at)));
        }
        for t in f.touched {
            *row.touched.entry(t).or_default() += 1;
        }
    }

    /// The report: what touched protected moments first, then the most often seen.
    pub fn finish(self) -> Report {
        let mut rows: Vec<ReportRow> = self.rows.into_values().collect();
        rows.sort_by(|a, b| {
            a.touched
                .is_empty()
                .cmp(&b.touched.is_empty())
                .then(b.count.cmp(&a.count))
                .then(a.kind.cmp(&b.kind))
                .then(a.rep.cmp(&b.rep))
                .then(a.tool.cmp(&b.tool))
        });
        Report {
            rows,
            read: self.read,
            signatures_version: self.signatures_version,
        }
    }
}

/// What to do about a finding, in plain words; `category` is the tool's signature's.
fn recommendation(kind: Kind, category: Option<&str>) -> String {
    match kind {
        Kind::PersonalAccount => "Train the rep: buyer mail goes from the company account, through Countersign; ask them to move this thread back".to_owned(),
        Kind::AiTool => match category {
            Some("sequencer") => "Register and govern: connect the sequencer to Countersign so its steps are proposed, not sent".to_owned(),
            _ => "Replace with a sanctioned tool: the assistant drafts through the gate; block this one on company mail".to_owned(),
        },
        Kind::UnsanctionedTracker => "Block the tracker's domain on outbound mail, or register the tool that adds it".to_owned(),
        Kind::UngatedSend => "Find the client that sends around the gate (a mail plug-in, a sequencer) and route it through Countersign".to_owned(),
        Kind::UnknownIntegration => "Register and govern it as a tool with its own key and grant, or revoke its CRM access".to_owned(),
        Kind::AiExtension => "Block the extension in the browser policy, or approve it for the reps who need it".to_owned(),
        Kind::UnknownToolKey => "A key nobody registered (or a revoked one) is being used: find its owner, register the tool or rotate the key".to_owned(),
        Kind::Unreadable => "Export the input again; the rest of the report was still read".to_owned(),
    }
}
