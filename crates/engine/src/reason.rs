//! Why the gate decided as it did ([`Reason`]): one variant per cause, with the facts as
//! fields, so the inbox, the CLI and the notifications read fields instead of parsing
//! sentences back. `Display` gives the plain words (the same words earlier releases stored).
//!
//! As JSON a reason is a tagged object, e.g. `{"code": "crm_field", "field": "stage",
//! "tier": "manager_approved", "roles": ["manager"]}`; a decision carries these beside its
//! words (see [`crate::DecisionRecord`]). A reason an older release stored only as words
//! reads back as [`Reason::Recorded`].

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::context::Suppression;
use crate::decision::Failure;
use crate::finding::Category;
use crate::tier::Tier;

/// One reason for a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The kind's tier by policy: the starting point, not a reason to hold. Always first.
    BaseTier { kind: String, tier: Tier },
    /// The policy has no tier for this kind.
    UnknownKind { kind: String },
    /// Findings of one category and subtopic, with up to two quotes.
    Finding {
        category: Category,
        subtopic: String,
        evidence: Vec<String>,
        roles: BTreeSet<String>,
    },
    /// A CRM field the policy protects.
    CrmField {
        /// The field's name as the policy lists it.
        field: String,
        tier: Tier,
        roles: BTreeSet<String>,
    },
    /// A CRM field the policy does not list.
    UnlistedCrmField { field: String },
    /// `on_behalf_of` names no account.
    UnknownRep { name: String },
    /// The proposing tool is not registered, or was revoked (shadow AI).
    UnregisteredTool { tool: String },
    /// The tool may not propose this kind.
    KindNotAllowed { tool: String, kind: String },
    /// The tool is not cleared for a data class the text contains.
    DataClass {
        tool: String,
        class: String,
        /// Refused, or else held for security.
        refused: bool,
    },
    /// The contact must not be e-mailed.
    Suppressed { suppression: Suppression },
    /// Quiet hours in the recipient's zone: delivered at `until`.
    QuietHours {
        zone: String,
        until: DateTime<Utc>,
        /// `until` in the recipient's zone, as the reason shows it.
        local: String,
    },
    /// Too many e-mails to one contact or account in a window.
    FrequencyCap {
        /// `contact` or `account`.
        scope: String,
        count: u32,
        window_hours: u32,
        max: u32,
    },
    /// Too many automated follow-ups on one opportunity.
    AutomatedFollowups {
        count: u32,
        window_days: u32,
        max: u32,
    },
    /// The contact's time zone is not a zone, so quiet hours cannot be checked.
    BadTimeZone { zone: String },
    /// A writing kind whose tier is read-only.
    ReadOnlyWrites { kind: String },
    /// A claim an approved knowledge entry backs: a source for the reviewer, not a cause.
    ClaimSupported {
        claim: String,
        entry: String,
        /// The entry's sentence that backs it.
        excerpt: String,
    },
    /// A claim on an objection topic that no approved, unexpired entry backs.
    ClaimUnsupported {
        claim: String,
        topic: String,
        roles: BTreeSet<String>,
    },
    /// A claim an approved entry says otherwise about (99.99 % where it says 99.9 %).
    ClaimContradicted {
        claim: String,
        entry: String,
        /// What the entry says instead.
        says: String,
        roles: BTreeSet<String>,
    },
    /// The action could not be decided: held (fail closed).
    FailClosed { failure: Failure },
    /// A reason an older release stored as a sentence.
    Recorded { text: String },
}

impl Reason {
    /// Whether this reason made the decision stricter (all but the base tier).
    pub fn is_cause(&self) -> bool {
        !matches!(self, Self::BaseTier { .. } | Self::ClaimSupported { .. })
    }

    /// The roles this reason asks for, when it names them (a finding's, a CRM field's;
    /// security for a data class; a manager for the other holds).
    pub fn roles(&self) -> BTreeSet<String> {
        let manager = || BTreeSet::from(["manager".to_owned()]);
        match self {
            Self::Finding { roles, .. }
            | Self::CrmField { roles, .. }
            | Self::ClaimUnsupported { roles, .. }
            | Self::ClaimContradicted { roles, .. } => roles.clone(),
            Self::DataClass { refused: false, .. } => BTreeSet::from(["security".to_owned()]),
            Self::UnknownKind { .. }
            | Self::UnlistedCrmField { .. }
            | Self::UnknownRep { .. }
            | Self::FrequencyCap { .. }
            | Self::AutomatedFollowups { .. }
            | Self::BadTimeZone { .. }
            | Self::FailClosed { .. } => manager(),
            _ => BTreeSet::new(),
        }
    }

    /// A reason an earlier release stored only in words. The base tier, which every
    /// decision states first, is recognised so it is still told apart from the causes.
    pub fn from_words(text: String) -> Self {
        let base = text
            .strip_prefix('`')
            .and_then(|t| t.strip_suffix(" by policy"))
            .and_then(|t| t.split_once("` actions are "))
            .and_then(|(kind, tier)| {
                let tier = [
                    Tier::AutomationSafe,
                    Tier::ManagerApproved,
                    Tier::DraftOnly,
                    Tier::ReadOnly,
                ]
                .into_iter()
                .find(|t| t.as_str() == tier)?;
                Some(Self::BaseTier {
                    kind: kind.to_owned(),
                    tier,
                })
            });
        base.unwrap_or(Self::Recorded { text })
    }
}

/// Serializes reasons as their words, for outputs that have always carried words.
pub fn serialize_words<S: serde::Serializer>(reasons: &[Reason], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(reasons.iter().map(ToString::to_string))
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BaseTier { kind, tier } => write!(f, "`{kind}` actions are {tier} by policy"),
            Self::UnknownKind { kind } => {
                write!(
                    f,
                    "`{kind}` is not in the policy's tiers: held for a manager"
                )
            }
            Self::Finding {
                category,
                subtopic,
                evidence,
                roles,
            } => {
                let quotes: Vec<String> = evidence.iter().map(|e| format!("\"{e}\"")).collect();
                write!(
                    f,
                    "{category}: {} ({}) needs {}",
                    describe(*category, subtopic),
                    quotes.join(", "),
                    join(roles)
                )
            }
            Self::CrmField { field, tier, roles } => write!(
                f,
                "changes the opportunity's {} ({tier}): needs {}",
                field.replace('_', " "),
                join(roles)
            ),
            Self::UnlistedCrmField { field } => write!(
                f,
                "changes the opportunity's `{field}`, a field the policy does not list: held for a manager"
            ),
            Self::UnknownRep { name } => write!(
                f,
                "on behalf of `{}`, who has no account here: held for a manager",
                crate::detect::normalize::reveal(name)
            ),
            Self::UnregisteredTool { tool } => write!(
                f,
                "tool `{tool}` is not registered or was revoked: refused (shadow AI)"
            ),
            Self::KindNotAllowed { tool, kind } => {
                write!(f, "tool `{tool}` may not propose `{kind}`")
            }
            Self::DataClass {
                tool,
                class,
                refused,
            } => write!(
                f,
                "tool `{tool}` is not cleared for {class} data: {}",
                if *refused {
                    "refused"
                } else {
                    "needs security"
                }
            ),
            Self::Suppressed { suppression } => f.write_str(match suppression {
                Suppression::OptOut => "suppression: the contact opted out of e-mail",
                Suppression::DoNotContact => "suppression: the contact is marked do-not-contact",
                Suppression::LegalHold => "suppression: the contact's account is under legal hold",
            }),
            Self::QuietHours { zone, local, .. } => write!(
                f,
                "quiet hours in the recipient's time zone ({zone}): deferred to {local}"
            ),
            Self::FrequencyCap {
                scope,
                count,
                window_hours,
                max,
            } => write!(
                f,
                "frequency cap: {count} e-mails to this {scope} in the last {window_hours} h (cap {max})"
            ),
            Self::AutomatedFollowups {
                count,
                window_days,
                max,
            } => write!(
                f,
                "no unsupervised pressure: {count} automated follow-ups on this opportunity in {window_days} days (limit {max})"
            ),
            Self::BadTimeZone { zone } => write!(
                f,
                "contact.timezone: `{zone}` is not an IANA time zone, quiet hours cannot be checked"
            ),
            Self::ReadOnlyWrites { kind } => {
                write!(f, "`{kind}` writes, but its tier is read_only: refused")
            }
            Self::ClaimSupported { claim, entry, .. } => write!(
                f,
                "claim \"{claim}\" is backed by approved knowledge entry `{entry}`"
            ),
            Self::ClaimUnsupported {
                claim,
                topic,
                roles,
            } => write!(
                f,
                "unsupported claim: \"{claim}\" ({}) is backed by no approved knowledge entry: needs {}",
                topic.replace('_', " "),
                join(roles)
            ),
            Self::ClaimContradicted {
                claim,
                entry,
                says,
                roles,
            } => write!(
                f,
                "contradicted claim: \"{claim}\" where approved knowledge entry `{entry}` says \"{says}\": needs {}",
                join(roles)
            ),
            Self::FailClosed { failure } => write!(f, "{failure}"),
            Self::Recorded { text } => f.write_str(text),
        }
    }
}

/// Roles as a reason names them: `deal_desk + security`, or "a reviewer".
fn join(roles: &BTreeSet<String>) -> String {
    let v: Vec<&str> = roles.iter().map(String::as_str).collect();
    if v.is_empty() {
        "a reviewer".to_owned()
    } else {
        v.join(" + ")
    }
}

/// Plain words for a category and subtopic.
pub fn describe(category: Category, subtopic: &str) -> String {
    // Acronyms stay capitals: "an SLA concern", not "a sla concern".
    let topic = match subtopic {
        "sla" => "SLA".to_owned(),
        other => other.replace('_', " "),
    };
    match category {
        Category::Objection => format!("answers a buyer's {topic} concern"),
        Category::Commercial => format!("{topic} negotiation"),
        Category::Executive => match subtopic {
            "title" => "the recipient is an executive".to_owned(),
            "crm_role" => "the recipient is an executive sponsor or economic buyer".to_owned(),
            _ => "frames a strategic pitch to an executive".to_owned(),
        },
        Category::Commitment => format!("makes a commitment ({topic})"),
        Category::Sensitive => format!("contains sensitive data ({topic})"),
        Category::Pressure => "pushes the buyer with manufactured urgency".to_owned(),
        Category::Injection => match subtopic {
            "gate_directive" => "tries to instruct the gate".to_owned(),
            _ => "contains instructions aimed at the AI".to_owned(),
        },
        Category::Obfuscation => match subtopic {
            "spread" => "hides words by spreading out their letters".to_owned(),
            "leet" => "hides words by writing digits for letters".to_owned(),
            _ => "hides words with look-alike or invisible characters".to_owned(),
        },
        Category::Generic => match subtopic {
            "sequence" => "sends one text to many buyers (a sequence)".to_owned(),
            _ => "says nothing specific to this buyer or deal".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_release_s_words_read_back_with_the_base_tier_told_apart() {
        let base = Reason::from_words("`email.send` actions are automation_safe by policy".into());
        assert_eq!(
            base,
            Reason::BaseTier {
                kind: "email.send".into(),
                tier: Tier::AutomationSafe
            }
        );
        assert!(!base.is_cause());
        let held = Reason::from_words("commercial: discount negotiation needs deal_desk".into());
        assert!(matches!(held, Reason::Recorded { .. }) && held.is_cause());
        // Words survive the round trip unchanged either way.
        assert_eq!(
            base.to_string(),
            "`email.send` actions are automation_safe by policy"
        );
    }
}
