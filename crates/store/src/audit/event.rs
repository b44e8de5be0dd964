//! What happened, as the audit chain records it ([`AuditEvent`]): one variant per event,
//! its data as typed fields. Writers build a variant and readers (the inbox's audit page,
//! the reports) match on one, so a field renamed in a writer fails to compile in the reader.
//!
//! Canonical encoding: a variant is stored as `event` (its snake_case name) and `data` (its
//! fields as a JSON object), which the chain hashes as documented in [`super`]. Records from
//! earlier releases have the same names and fields; one that does not read back as a
//! variant (an event this release does not know) is shown as stored and still verifies,
//! since verification hashes what is stored, never a re-encoding.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::DecisionRecord;
use countersign_engine::action::Target;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::StoreError;

/// One audited event with its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum AuditEvent {
    /// A tool proposed an action (revision 1).
    Proposal {
        revision: i64,
        kind: String,
        external_id: Option<String>,
        on_behalf_of: Option<String>,
        #[serde(default)]
        target: Target,
        idempotency_key: Option<String>,
        content_sha256: String,
    },
    /// The gate decided a revision.
    Decision {
        revision: i64,
        decision: Box<DecisionRecord>,
        required_roles: BTreeSet<String>,
    },
    /// A request with a key the registry does not know, or a revoked one.
    ShadowAi(ShadowAi),
    Approval {
        revision: i64,
        roles: BTreeSet<String>,
        /// The opportunity's version the approval was given at.
        opportunity_version: Option<i64>,
        /// The Cedar policies that allowed it.
        #[serde(default)]
        policies: Vec<String>,
        /// Where the reviewer approved from when not the inbox or the API: `email_link`,
        /// `email_reply`, `slack`, `teams`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    Edit {
        revision: i64,
        previous_revision: i64,
        subject_changed: bool,
        content_sha256: String,
        added_roles: BTreeSet<String>,
    },
    Rejection {
        revision: i64,
        reason: String,
        /// As for an approval.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    /// Released to the outbox (`delivery` `none` when there is nothing to deliver).
    Release {
        delivery: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outbox_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_attempt_at: Option<String>,
    },
    /// The action went out.
    Send(Delivered),
    /// A reviewer notification went out.
    NotificationSent(Delivered),
    DeliveryFailure(DeliveryFailed),
    NotificationFailure(DeliveryFailed),
    /// Delivery stopped after its last attempt, for a human to look at.
    Parked(DeliveryFailed),
    NotificationParked(DeliveryFailed),
    /// Reviewers were asked to review.
    Notification {
        revision: i64,
        roles: BTreeSet<String>,
        emailed: Vec<String>,
        slack: bool,
        /// Written only when a Teams card was posted, so earlier records encode the same.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        teams: bool,
        occasion: Option<String>,
    },
    AccountRegistration {
        reviewer_id: i64,
        name: String,
        roles: BTreeSet<String>,
        admin: bool,
    },
    PasswordChange(AccountRef),
    /// An admin reset someone's password; their sessions ended.
    PasswordReset(AccountRef),
    Login {
        reviewer_id: i64,
        token_fingerprint: String,
        expires_at: String,
    },
    LoginThrottled {
        name: String,
        failures: i64,
        blocked_until: DateTime<Utc>,
    },
    PolicyChange {
        version: String,
        name: String,
        sources_recorded: bool,
    },
    PolicyActivation {
        version: String,
        name: String,
    },
    Suppression {
        email: String,
        reason: String,
    },
    ToolRegistration {
        tool_id: i64,
        name: String,
        kinds: BTreeSet<String>,
        data_classes: BTreeSet<String>,
        key_fingerprint: String,
    },
    ToolRevocation {
        tool_id: i64,
        name: String,
        key_fingerprint: String,
    },
    ReviewerRegistration {
        reviewer_id: i64,
        name: String,
        roles: BTreeSet<String>,
    },
    ReviewerEmail {
        reviewer_id: i64,
        email: Option<String>,
    },
    /// A service level reminded (`remind.<role>`) or escalated (`escalate.<role>`).
    ServiceLevel {
        revision: i64,
        step: String,
        due_at: DateTime<Utc>,
    },
    /// Nobody decided in time: the item expired, never to be sent.
    Expiry {
        revision: i64,
        deadline: DateTime<Utc>,
        waiting_for: BTreeSet<String>,
    },
    /// A CRM export was imported: per kind, rows read and written (new or changed).
    CrmImport {
        source: String,
        counts: std::collections::BTreeMap<String, Value>,
        problems: u64,
    },
    /// An approved knowledge entry was added or changed (`revision` counts changes).
    Knowledge {
        entry_id: String,
        revision: i64,
        topic: String,
        approved_by: String,
        valid_until: chrono::NaiveDate,
        content_sha256: String,
    },
    /// A shadow-AI scan ran: which inputs, and its findings by kind.
    Scan {
        scan_id: i64,
        inputs: Vec<String>,
        counts: std::collections::BTreeMap<String, u64>,
    },
    /// A policy simulation ran (`countersign simulate`): the candidate replayed against
    /// the active policy over the actions proposed since `since`; nothing else changed.
    Simulation {
        candidate_version: String,
        active_version: String,
        since: DateTime<Utc>,
        actions: u64,
        changed: u64,
    },
    /// Who a reviewer is in a chat (`slack` or `teams`); `None` clears it.
    ReviewerChat {
        reviewer_id: i64,
        chat: String,
        user_id: Option<String>,
    },
}

/// A shadow-AI sighting: from a proposal the CLI stored, or the first request of a minute
/// the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowAi {
    pub key_fingerprint: String,
    pub kind: Option<String>,
    pub claimed_tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_tool: Option<String>,
    /// The client's address (server sightings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_domain: Option<String>,
}

/// A delivery that succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    pub outbox_id: i64,
    /// `email`, `webhook` or `slack`.
    pub delivery: String,
    pub message_id: String,
    pub attempts: i64,
}

/// A delivery attempt that failed; `retry_at` unless it was the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailed {
    pub outbox_id: i64,
    pub attempts: i64,
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
}

/// The account an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    pub reviewer_id: i64,
    pub name: String,
}

impl AuditEvent {
    /// The stored pair: the event's name and its data object.
    pub fn encode(&self) -> Result<(String, Value), StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("audit event: {what}"));
        // Through text, as every stored value: an `f32` confidence becomes the number its
        // text says, so the canonical encoding reads back the same.
        let Value::Object(mut tagged) = crate::canonical::json_value(self)? else {
            return Err(corrupt("not an object"));
        };
        let name = match tagged.remove("event") {
            Some(Value::String(name)) => name,
            _ => return Err(corrupt("no name")),
        };
        Ok((name, tagged.remove("data").unwrap_or_else(|| json!({}))))
    }

    /// The event a stored record holds, or `None` for one this release cannot read.
    pub fn decode(event: &str, data: &Value) -> Option<Self> {
        serde_json::from_value(json!({"event": event, "data": data})).ok()
    }

    /// The stored name of the event, e.g. `approval`.
    pub fn name(&self) -> String {
        self.encode().map(|(name, _)| name).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// Records as earlier releases wrote them read back as variants, and encode to the
    /// same name and data, so the chain's encoding did not change.
    #[test]
    fn earlier_records_read_back_and_encode_the_same() {
        for (event, data) in [
            ("rejection", json!({"revision": 2, "reason": "wrong price"})),
            ("release", json!({"delivery": "none"})),
            (
                "release",
                json!({"delivery": "email", "outbox_id": 4, "message_id": "<a@b>",
                       "next_attempt_at": "2026-11-24T15:00:00.000000Z"}),
            ),
            (
                "parked",
                json!({"outbox_id": 4, "attempts": 5, "error": "550 no such user"}),
            ),
            (
                "login_throttled",
                json!({"name": "dev.patel", "failures": 3, "blocked_until": "2026-11-24T15:00:05Z"}),
            ),
            (
                "shadow_ai",
                json!({"key_fingerprint": "abc", "source": "10.0.0.1", "kind": "email.send",
                       "recipient_domain": "acme.example", "claimed_tool": null}),
            ),
            (
                "notification",
                json!({"revision": 1, "roles": ["deal_desk"], "emailed": ["dee.desk"],
                       "slack": false, "occasion": null}),
            ),
        ] {
            let read = AuditEvent::decode(event, &data)
                .unwrap_or_else(|| panic!("{event} {data} does not read"));
            assert_eq!(read.encode().unwrap(), (event.to_owned(), data), "{event}");
        }
        // A decision's `f32` confidences survive the canonical encoding's round trip.
        let mut decision = countersign_engine::decide(
            &countersign_engine::Action::email("a", "Hi", "We can do 15% off."),
            &countersign_engine::Context::default(),
            countersign_engine::Policy::default_policy(),
            chrono::Utc::now(),
        );
        for (f, confidence) in decision.findings.iter_mut().zip([0.939_991_5_f32, 0.85]) {
            f.confidence = confidence;
        }
        let decided = AuditEvent::Decision {
            revision: 1,
            decision: Box::new(decision),
            required_roles: BTreeSet::new(),
        };
        let (_, data) = decided.encode().unwrap();
        let text = crate::canonical::canonical_json(&data);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(crate::canonical::canonical_json(&back), text);
        assert_eq!(AuditEvent::decode("unheard_of", &json!({})), None);
    }
}
