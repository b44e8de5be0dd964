//! Reading actions from JSON Lines, as `check`, `eval` and `bench` take them (DESIGN §6).
//!
//! A line is one of: a full action (`{"kind": …, "payload": …}`), an action with its context
//! (`{"action": {…}, "context": {…}}`), or a bare message (`{"text": …, "subject": …,
//! "recipient_title": …}`, only `text` required) which is an `email.send` with that body.
//! Other fields on a bare message (`labels`, `source`, …) are ignored.

use std::io::BufRead;

use countersign_engine::Action;
use countersign_engine::context::{Contact, Context};
use countersign_engine::decision::Failure;
use serde_json::Value;

/// One input line turned into something to decide, or the reason it cannot be.
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    pub parsed: Parsed,
    /// The raw JSON, for callers that read extra fields (labels).
    pub value: Option<Value>,
}

/// What a line holds.
pub enum Parsed {
    /// Something to decide.
    Action(Box<(Action, Context)>),
    /// Bytes that are not text (invalid UTF-8): held unread, failing closed.
    Unreadable(Failure),
    /// Not a valid action: reported as an error record naming the problem.
    Malformed(String),
}

/// Reads every non-blank line. Invalid UTF-8 is reported per line, not fatal.
pub fn read_lines(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<Line>> {
    reader
        .split(b'\n')
        .enumerate()
        .filter_map(|(i, bytes)| match bytes {
            Err(e) => Some(Err(e)),
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => None,
            Ok(bytes) => Some(Ok(parse_line(i + 1, &bytes))),
        })
}

fn parse_line(number: usize, bytes: &[u8]) -> Line {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Line {
                number,
                parsed: Parsed::Unreadable(Failure::Unreadable(format!(
                    "line {number} is not valid UTF-8 (at byte {})",
                    e.valid_up_to()
                ))),
                value: None,
            };
        }
    };
    match serde_json::from_str::<Value>(text) {
        Err(e) => Line {
            number,
            parsed: Parsed::Malformed(format!("not valid JSON: {e}")),
            value: None,
        },
        Ok(value) => Line {
            number,
            parsed: match to_action(number, &value) {
                Ok(pair) => Parsed::Action(Box::new(pair)),
                Err(e) => Parsed::Malformed(e),
            },
            value: Some(value),
        },
    }
}

/// Interprets one JSON value as an action and its context.
pub fn to_action(number: usize, value: &Value) -> Result<(Action, Context), String> {
    let obj = value
        .as_object()
        .ok_or_else(|| "expected a JSON object".to_owned())?;
    let default_id = number.to_string();
    if let Some(action) = obj.get("action") {
        let mut action = Action::from_json(action).map_err(|e| format!("action.{e}"))?;
        let context = match obj.get("context") {
            None | Some(Value::Null) => Context::default(),
            Some(c) => serde_json::from_value(c.clone()).map_err(|e| {
                format!(
                    "context: {}",
                    e.to_string().split(" at line ").next().unwrap_or_default()
                )
            })?,
        };
        if action.id.is_empty() {
            action.id = default_id;
        }
        return Ok((action, context));
    }
    if obj.contains_key("kind") {
        let mut action = Action::from_json(value).map_err(|e| e.to_string())?;
        if action.id.is_empty() {
            action.id = default_id;
        }
        return Ok((action, Context::default()));
    }
    let text = match obj.get("text") {
        Some(Value::String(s)) => s,
        Some(_) => return Err("text: expected a string".to_owned()),
        None => {
            return Err(
                "text: missing (expected an action with `kind`, or a message with `text`)"
                    .to_owned(),
            );
        }
    };
    let field = |key: &str| -> Result<Option<&str>, String> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("{key}: expected a string")),
        }
    };
    let id = match obj.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => default_id,
    };
    let action = Action::email(id, field("subject")?.unwrap_or_default(), text);
    let context = Context {
        contact: field("recipient_title")?.map(|t| Contact {
            title: Some(t.to_owned()),
            ..Contact::default()
        }),
        ..Context::default()
    };
    Ok((action, context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_message_is_an_email_with_the_title_in_context() {
        let v = serde_json::json!({"text": "Hi", "recipient_title": "CFO", "labels": []});
        let (a, c) = to_action(3, &v).unwrap();
        assert_eq!(a.id, "3");
        assert_eq!(a.kind.as_str(), "email.send");
        assert_eq!(c.contact.unwrap().title.as_deref(), Some("CFO"));
    }

    #[test]
    fn errors_name_the_field() {
        let v = serde_json::json!({"action": {"kind": "email.send", "payload": {"to": "x", "body": "b"}}});
        assert_eq!(
            to_action(1, &v).unwrap_err(),
            "action.payload.to: `x` is not an email address"
        );
        let v = serde_json::json!({"subject": "no body"});
        assert!(to_action(1, &v).unwrap_err().starts_with("text: missing"));
    }

    #[test]
    fn invalid_utf8_is_reported_for_its_line() {
        let input: &[u8] = b"{\"text\": \"ok\"}\n{\"text\": \"\xff\"}\n";
        let lines: Vec<Line> = read_lines(input).map(Result::unwrap).collect();
        assert!(matches!(lines[0].parsed, Parsed::Action(_)));
        assert_eq!(lines[1].number, 2);
        assert!(
            matches!(&lines[1].parsed, Parsed::Unreadable(m) if m.to_string().contains("not valid UTF-8"))
        );
    }
}
