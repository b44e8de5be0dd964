//! `simulate --history FILE`: a history of sent mail instead of the store's proposals — an
//! mbox export (each message an `email.send` to its recipients, decided at its `Date`) or
//! JSON Lines in `check`'s input format, with the time beside the action:
//! `{"action": {…}, "context": {…}, "at": "2026-12-01T09:00:00Z"}`. A line or message that
//! cannot be read is named on stderr, not fatal.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use countersign_engine::action::{EmailAddress, Payload};
use countersign_engine::{Action, Context};

/// One replayed item: its id, tool, time, the action and its context.
pub struct Item {
    pub id: String,
    pub tool: String,
    pub at: DateTime<Utc>,
    pub action: Action,
    pub context: Context,
}

/// The items of `path` (mbox when it starts with a `From ` line) and what could not be read.
pub fn read(path: &Path, now: DateTime<Utc>) -> std::io::Result<(Vec<Item>, Vec<String>)> {
    let mut file = std::fs::File::open(path)?;
    let mut head = [0u8; 5];
    let n = file.read(&mut head)?;
    let file = std::fs::File::open(path)?;
    if &head[..n] == b"From " {
        Ok(mbox(file, now))
    } else {
        Ok(json_lines(BufReader::new(file), now))
    }
}

fn mbox(file: std::fs::File, now: DateTime<Utc>) -> (Vec<Item>, Vec<String>) {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let parser = mail_parser::MessageParser::default();
    let messages = mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(file));
    for (i, message) in messages.enumerate() {
        let n = i + 1;
        let Ok(message) = message else {
            problems.push(format!("message {n}: not a complete mbox message"));
            continue;
        };
        let Some(m) = parser.parse(message.contents()) else {
            problems.push(format!("message {n}: not a MIME message"));
            continue;
        };
        let subject = m.subject().unwrap_or_default().to_owned();
        let body = m.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
        let mut action = Action::email(
            m.message_id()
                .map_or_else(|| format!("message {n}"), str::to_owned),
            &subject,
            &body,
        );
        if let Payload::Email(e) = &mut action.payload {
            for a in m
                .to()
                .into_iter()
                .chain(m.cc())
                .flat_map(|list| list.iter())
                .filter_map(|a| a.address())
            {
                if let Ok(address) = EmailAddress::parse("to", a) {
                    e.to.push(address);
                }
            }
        }
        let at = m
            .date()
            .and_then(|d| DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok())
            .map_or(now, |d| d.with_timezone(&Utc));
        let tool = m
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .unwrap_or("mail")
            .to_owned();
        items.push(Item {
            id: action.id.clone(),
            tool,
            at,
            action,
            context: Context::default(),
        });
    }
    (items, problems)
}

fn json_lines(reader: impl BufRead, now: DateTime<Utc>) -> (Vec<Item>, Vec<String>) {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for line in crate::input::read_lines(reader) {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("cannot read on: {e}"));
                break;
            }
        };
        let at_of = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .and_then(|v| v["at"].as_str())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map_or(now, |d| d.with_timezone(&Utc))
        };
        match line.parsed {
            crate::input::Parsed::Action(pair) => {
                let (action, context) = *pair;
                let at = at_of(&line.value);
                items.push(Item {
                    id: action.id.clone(),
                    tool: action.tool.clone().unwrap_or_else(|| "history".to_owned()),
                    at,
                    action,
                    context,
                });
            }
            crate::input::Parsed::Malformed(e) => {
                problems.push(format!("line {}: {e}", line.number))
            }
            crate::input::Parsed::Unreadable(e) => {
                problems.push(format!("line {}: {e}", line.number))
            }
        }
    }
    (items, problems)
}
