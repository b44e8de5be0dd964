//! What an AI tool proposes (DESIGN §2): the [`Action`] and its typed payload.
//!
//! Actions arrive as JSON from tools we do not control, so parsing is strict and every
//! error names the field that is wrong (`payload.to: ...`). Once parsed, the values are
//! trusted: nothing downstream re-validates an [`EmailAddress`] or an [`ActionKind`].

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::payload::{EmailPayload, InboundMessage, OpportunityUpdate, Payload, TextPayload};

/// A parse error that names the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ActionError {
    /// Dotted path of the offending field, e.g. `payload.to`.
    pub field: String,
    /// What is wrong with it, in plain words.
    pub problem: String,
}

impl ActionError {
    pub(crate) fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// The kind of an action, e.g. `email.send`. Extensible by policy, so any well-formed
/// dotted name parses; the policy decides whether it knows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ActionKind(String);

impl ActionKind {
    pub const EMAIL_SEND: &'static str = "email.send";
    pub const EMAIL_DRAFT: &'static str = "email.draft";
    pub const CRM_OPPORTUNITY_UPDATE: &'static str = "crm.opportunity.update";
    pub const CRM_NOTE_CREATE: &'static str = "crm.note.create";
    pub const CRM_TASK_CREATE: &'static str = "crm.task.create";
    pub const NOTIFY_INTERNAL: &'static str = "notify.internal";
    pub const RESEARCH_READ: &'static str = "research.read";

    /// Parses `segment(.segment)+` with lowercase ASCII letters, digits and `_`.
    pub fn parse(s: &str) -> Result<Self, ActionError> {
        let ok = s.len() <= 64
            && s.contains('.')
            && s.split('.').all(|seg| {
                !seg.is_empty()
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ActionError::new(
                "kind",
                format!("`{s}` is not an action kind (expected e.g. `email.send`)"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the action reaches someone outside the company (a buyer's inbox).
    pub fn is_outbound_email(&self) -> bool {
        self.0.starts_with("email.")
    }

    /// Whether the action changes anything; `read_only` tiers refuse actions that write.
    pub fn writes(&self) -> bool {
        !(self.0.starts_with("research.") || self.0.ends_with(".read"))
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked once at parse time (`local@domain.tld`, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address, naming `field` when it is not one.
    pub fn parse(field: &str, s: &str) -> Result<Self, ActionError> {
        Self::parse_value(s).map_err(|problem| ActionError::new(field, problem))
    }

    /// Parses an address; the error is the problem in plain words.
    pub fn parse_value(s: &str) -> Result<Self, String> {
        let s = s.trim();
        // Accept `Name <addr@x.y>` as tools commonly send it.
        let addr = match (s.rfind('<'), s.ends_with('>')) {
            (Some(i), true) => &s[i + 1..s.len() - 1],
            _ => s,
        };
        let valid = addr.len() <= 254
            && addr.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.starts_with('.')
                    && domain.contains('.')
                    && !domain.ends_with('.')
                    // Characters that would end or split an address in a header.
                    && !addr.chars().any(|c| {
                        c.is_whitespace()
                            || c.is_control()
                            || matches!(c, ',' | ';' | '<' | '>' | '"' | '(' | ')' | '[' | ']' | '\\')
                    })
                    && !domain.contains('@')
            });
        if valid {
            Ok(Self(addr.to_ascii_lowercase()))
        } else {
            Err(format!("`{s}` is not an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

/// A client-chosen key that makes a retried proposal return the first answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, ActionError> {
        if s.is_empty() || s.len() > 255 || s.chars().any(char::is_control) {
            return Err(ActionError::new(
                "idempotency_key",
                "must be 1 to 255 printable characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The records an action is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// Material the draft was written from, logged so reviewers can check claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `crm`, `document`, `kb` (knowledge base), `web`, `email`, …
    pub kind: String,
    /// Where it lives: a record id, URL or document path.
    pub reference: String,
    /// The excerpt the draft used.
    #[serde(default)]
    pub excerpt: String,
    /// Whether the knowledge-base entry is approved for use in buyer answers.
    #[serde(default)]
    pub approved: bool,
}

/// What an AI tool proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Action {
    /// The tool's own id for the action (empty when it gave none).
    pub id: String,
    /// E.g. `email.send`, `crm.opportunity.update`.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub kind: ActionKind,
    pub tool: Option<String>,
    pub on_behalf_of: Option<String>,
    pub target: Target,
    pub payload: Payload,
    pub sources: Vec<Source>,
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub idempotency_key: Option<IdempotencyKey>,
}

impl Action {
    /// A plain `email.send` with this body: how `check` and `eval` read a bare text.
    pub fn email(id: impl Into<String>, subject: &str, body: &str) -> Self {
        Self {
            id: id.into(),
            kind: ActionKind(ActionKind::EMAIL_SEND.to_owned()),
            tool: None,
            on_behalf_of: None,
            target: Target::default(),
            payload: Payload::Email(EmailPayload {
                to: Vec::new(),
                cc: Vec::new(),
                subject: subject.to_owned(),
                body: body.to_owned(),
                in_reply_to: None,
            }),
            sources: Vec::new(),
            idempotency_key: None,
        }
    }

    /// The text detectors read, with byte offsets that findings point into.
    pub fn body(&self) -> &str {
        match &self.payload {
            Payload::Email(e) => &e.body,
            Payload::Text(t) => &t.body,
            Payload::OpportunityUpdate(_) => "",
        }
    }

    pub fn subject(&self) -> &str {
        match &self.payload {
            Payload::Email(e) => &e.subject,
            Payload::Text(t) => &t.subject,
            Payload::OpportunityUpdate(_) => "",
        }
    }

    /// Parses an action from JSON, naming the first wrong field.
    pub fn from_json(value: &Value) -> Result<Self, ActionError> {
        let obj = value
            .as_object()
            .ok_or_else(|| ActionError::new("action", "expected a JSON object"))?;
        const KNOWN: [&str; 8] = [
            "id",
            "kind",
            "tool",
            "on_behalf_of",
            "target",
            "payload",
            "sources",
            "idempotency_key",
        ];
        if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(ActionError::new(unknown.clone(), "unknown field"));
        }
        let kind = ActionKind::parse(req_str(value, "kind")?)?;
        let payload_value = obj
            .get("payload")
            .ok_or_else(|| ActionError::new("payload", "missing"))?;
        let payload = Payload::parse(&kind, payload_value)?;
        let target = match obj.get("target") {
            None | Some(Value::Null) => Target::default(),
            Some(v) => crate::payload::typed("target", object("target", v)?)?,
        };
        let sources = match obj.get("sources") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => {
                // Serde would read `["crm", "opp_1"]` as a source; only objects are.
                if let Some(items) = v.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        object(&format!("sources[{i}]"), item)?;
                    }
                }
                crate::payload::typed("sources", v)?
            }
        };
        let idempotency_key = opt_str(value, "idempotency_key")?
            .map(IdempotencyKey::parse)
            .transpose()?;
        Ok(Self {
            id: opt_str(value, "id")?.unwrap_or_default().to_owned(),
            kind,
            tool: opt_str(value, "tool")?.map(str::to_owned),
            on_behalf_of: opt_str(value, "on_behalf_of")?.map(str::to_owned),
            target,
            payload,
            sources,
            idempotency_key,
        })
    }
}

/// `v` if it is a JSON object: serde would also read a struct from an array.
fn object<'a>(field: &str, v: &'a Value) -> Result<&'a Value, ActionError> {
    if v.is_object() {
        Ok(v)
    } else {
        Err(ActionError::new(field, "expected a JSON object"))
    }
}

fn req_str<'a>(v: &'a Value, key: &str) -> Result<&'a str, ActionError> {
    req_str_at(v, key, key)
}

fn req_str_at<'a>(v: &'a Value, field: &str, key: &str) -> Result<&'a str, ActionError> {
    opt_str_at(v, field, key)?.ok_or_else(|| ActionError::new(field, "missing"))
}

fn opt_str<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, ActionError> {
    opt_str_at(v, key, key)
}

fn opt_str_at<'a>(v: &'a Value, field: &str, key: &str) -> Result<Option<&'a str>, ActionError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ActionError::new(field, "expected a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn email_action_parses_with_name_and_address() {
        let a = Action::from_json(&json!({
            "id": "a1", "kind": "email.send",
            "payload": {"to": "Dana Buyer <Dana@Acme.example>", "subject": "Hi", "body": "Hello"}
        }))
        .unwrap();
        let Payload::Email(e) = &a.payload else {
            panic!("not an email")
        };
        assert_eq!(e.to[0].as_str(), "dana@acme.example");
    }

    #[test]
    fn an_address_cannot_smuggle_a_second_one_or_a_header() {
        for bad in [
            "dana@acme.example,lee@globex.example",
            "dana@acme.example;lee@globex.example",
            "dana<lee@globex.example",
            "dana@acme.example\r\nBcc: lee@globex.example",
            "\"dana\"@acme.example",
            "dana@acme",
            "@acme.example",
        ] {
            assert!(EmailAddress::parse("to", bad).is_err(), "{bad:?}");
        }
        assert!(EmailAddress::parse("to", "dana.o+deals@acme.example").is_ok());
    }

    #[test]
    fn bad_recipient_names_the_field() {
        let err = Action::from_json(&json!({
            "kind": "email.send", "payload": {"to": ["ok@x.io", "bob@"], "body": "x"}
        }))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "payload.to[1]: `bob@` is not an email address"
        );
    }

    #[test]
    fn missing_body_and_unknown_field_are_named() {
        let err = Action::from_json(&json!({"kind": "email.send", "payload": {"to": "a@b.co"}}))
            .unwrap_err();
        assert_eq!(err.field, "payload.body");
        let err = Action::from_json(&json!({"kind": "email.send", "payload": {}, "colour": 1}))
            .unwrap_err();
        assert_eq!(err.to_string(), "colour: unknown field");
    }

    #[test]
    fn records_are_objects_not_lists() {
        let err = Action::from_json(&json!({
            "kind": "crm.note.create", "payload": {"body": "x"}, "target": [null, null]
        }))
        .unwrap_err();
        assert_eq!(err.to_string(), "target: expected a JSON object");
        let err = Action::from_json(&json!({
            "kind": "crm.note.create", "payload": {"body": "x"}, "sources": [["crm", "opp_1"]]
        }))
        .unwrap_err();
        assert_eq!(err.to_string(), "sources[0]: expected a JSON object");
    }

    #[test]
    fn crm_update_needs_changes() {
        let err = Action::from_json(&json!({"kind": "crm.opportunity.update", "payload": {}}))
            .unwrap_err();
        assert_eq!(err.field, "payload.changes");
    }

    #[test]
    fn two_spellings_of_one_crm_field_are_refused() {
        let update =
            |changes| json!({"kind": "crm.opportunity.update", "payload": {"changes": changes}});
        let err = Action::from_json(&update(json!({"stage": "Qualify", "Stage": "Closed Won"})))
            .unwrap_err();
        assert!(err.field.starts_with("payload.changes."), "{err}");
        assert!(
            err.to_string().contains("names the same CRM field as"),
            "{err}"
        );
        let err = Action::from_json(&update(
            json!({"close_date": "2027-01-01", "Close\u{200B}Date": "2026-12-31"}),
        ))
        .unwrap_err();
        assert!(err.field.starts_with("payload.changes."), "{err}");
        assert!(Action::from_json(&update(json!({"\u{200B} ": 1}))).is_err());
    }

    #[test]
    fn action_kind_rejects_malformed_names() {
        assert!(ActionKind::parse("email.send").is_ok());
        assert!(ActionKind::parse("Email.Send").is_err());
        assert!(ActionKind::parse("email").is_err());
        assert!(ActionKind::parse("email..send").is_err());
    }
}
