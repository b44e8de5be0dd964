//! What the gate knows around an action (DESIGN §3): the recipient, the opportunity,
//! recent history and the proposing tool. The store assembles it; the engine only reads it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything `decide` may look at besides the action and the policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// The recipient contact, when known.
    #[serde(default)]
    pub contact: Option<Contact>,
    /// The opportunity the action concerns, as the CRM has it now.
    #[serde(default)]
    pub opportunity: Option<Opportunity>,
    /// The seller the action is sent as: their own signature details are not third-party data.
    #[serde(default)]
    pub sender: Option<Sender>,
    /// Counts of recent actions, for the guards.
    #[serde(default)]
    pub history: History,
    /// The proposing tool as the registry knows it. `None` means the caller did not
    /// consult the registry (offline `check`); the store always fills it in.
    #[serde(default)]
    pub tool: Option<ToolGrant>,
    /// The rep `on_behalf_of` names, as the store resolved it against its accounts. `None`
    /// when nothing was resolved (no rep named, or a decision without a store).
    #[serde(default)]
    pub rep: Option<Rep>,
    /// The deal an e-mail belongs to, for the generic check (`specificity`).
    #[serde(default)]
    pub deal: Option<crate::specificity::DealFacts>,
    /// The approved knowledge valid today: claims in the message are checked against it.
    #[serde(default)]
    pub knowledge: Vec<crate::knowledge::Entry>,
}

/// The rep an action is on behalf of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rep {
    /// The account's name, or the name as given when no account has it.
    pub name: String,
    /// Whether an account has that name (compared folded: case, width, invisible
    /// characters and surrounding space do not count).
    pub registered: bool,
}

/// The person an e-mail goes to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Job title as the CRM has it, e.g. `VP Finance`, `Geschäftsführer`.
    #[serde(default)]
    pub title: Option<String>,
    /// Role on the opportunity, e.g. `economic_buyer`, `executive_sponsor`, `champion`.
    #[serde(default)]
    pub crm_role: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`, for quiet hours.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Why this contact must not be contacted, if so.
    #[serde(default)]
    pub suppression: Option<Suppression>,
}

/// Reasons a contact is off limits; each turns an outbound action into `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    OptOut,
    DoNotContact,
    LegalHold,
}

/// The opportunity as the CRM has it now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opportunity {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub amount: Option<f64>,
    #[serde(default)]
    pub close_date: Option<NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
}

/// The seller the message goes out as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// The seller's name as they sign, e.g. `Sam Seller`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Recent activity the guards cap. Counted by the store over the policy's windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Outbound e-mails to this contact in the contact cap's window, from any tool or sender.
    #[serde(default)]
    pub emails_to_contact: u32,
    /// Outbound e-mails to anyone at this account in the account cap's window.
    #[serde(default)]
    pub emails_to_account: u32,
    /// Automated (unapproved) follow-ups on this opportunity in the follow-up window.
    #[serde(default)]
    pub automated_followups: u32,
    /// Buyers (distinct recipients, this one included) who were proposed the same text
    /// (`specificity::fingerprint`) in the policy's `[sequences]` window.
    #[serde(default)]
    pub same_text_recipients: u32,
}

/// A registered tool: what it may propose and which data classes it may receive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolGrant {
    pub name: String,
    /// Action kinds it may propose.
    #[serde(default)]
    pub kinds: BTreeSet<String>,
    /// Data classes it is cleared to handle (see the policy's `[data_classes]`).
    #[serde(default)]
    pub data_classes: BTreeSet<String>,
    /// False for an unknown or revoked key: such proposals are denied (shadow AI).
    #[serde(default = "yes")]
    pub registered: bool,
}

fn yes() -> bool {
    true
}
