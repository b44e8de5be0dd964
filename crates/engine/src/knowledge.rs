//! Approved knowledge-base entries: what the company has signed off on saying.
//!
//! An entry is a Markdown file with flat front matter between `---` lines (`key: value`,
//! values optionally quoted, `#` comments after whitespace) followed by the approved text:
//!
//! ```text
//! ---
//! title: Uptime commitment
//! topic: sla
//! owner: deal_desk
//! approved_by: Priya Shah
//! valid_until: 2027-06-30
//! ---
//! Our standard SLA is 99.9 % monthly uptime.
//! ```
//!
//! This module only parses text into an [`Entry`]; reading the files is the caller's job, and
//! so is the date: [`Entry::valid_on`] takes `today`. The front matter is flat, so it is read
//! by hand rather than with a YAML parser: a YAML parser would accept nesting, anchors and
//! type coercion (`no` → `false`) that an entry never needs and a reviewer would not expect.
//! [`crate::detect::claims`] checks a message's claims against entries.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::detect;
use crate::finding::Category;

/// The keys an entry's front matter may set.
const KEYS: [&str; 6] = [
    "id",
    "title",
    "topic",
    "owner",
    "approved_by",
    "valid_until",
];

/// One approved answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable id: the front matter's `id`, else the file stem.
    pub id: String,
    /// A short name for reviewers; claims in it count like claims in the body.
    pub title: String,
    /// One of the objection subtopics: `security`, `compliance`, `integration`,
    /// `data_residency`, `sla`, `implementation`.
    pub topic: String,
    /// The reviewer role that owns the entry, e.g. `deal_desk`.
    pub owner: String,
    /// Who approved the text.
    pub approved_by: String,
    /// The last day the entry may be used (inclusive).
    pub valid_until: NaiveDate,
    /// The approved text, trimmed.
    pub body: String,
}

impl Entry {
    /// Whether the entry may be relied on `today`: through `valid_until`, inclusive.
    pub fn valid_on(&self, today: NaiveDate) -> bool {
        today <= self.valid_until
    }
}

/// Why a knowledge file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    #[error(
        "front matter: missing; start the file with a `---` line, then `key: value` lines, then `---`"
    )]
    MissingFrontMatter,
    #[error("front matter: no closing `---` line")]
    UnclosedFrontMatter,
    #[error("front matter line {line}: `{text}` is not a `key: value` line")]
    BadLine { line: usize, text: String },
    #[error(
        "front matter line {line}: `{key}` is not a known key; expected one of {}",
        KEYS.join(", ")
    )]
    UnknownKey { line: usize, key: String },
    #[error("front matter line {line}: `{key}` is set twice")]
    DuplicateKey { line: usize, key: String },
    #[error("front matter line {line}: {key}: {problem}")]
    BadValue {
        line: usize,
        key: String,
        problem: &'static str,
    },
    #[error("{field}: missing")]
    MissingField { field: &'static str },
    #[error("{field}: empty")]
    EmptyField { field: &'static str },
    #[error("topic: `{value}` is not a topic; expected one of {}", topics().join(", "))]
    UnknownTopic { value: String },
    #[error("valid_until: `{value}` is not a date; expected YYYY-MM-DD, e.g. 2027-06-30")]
    BadDate { value: String },
    #[error("body: empty; write the approved text after the closing `---` line")]
    EmptyBody,
}

/// The topics an entry may have: the objection subtopics the detectors report.
fn topics() -> &'static [&'static str] {
    detect::subtopics(Category::Objection)
}

/// Parses one entry; `stem` (the file name without extension) is the id unless the front
/// matter sets `id`.
pub fn parse(stem: &str, text: &str) -> Result<Entry, KnowledgeError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n').enumerate();
    let mut consumed = 0;

    // Leading blank lines are tolerated; anything else before `---` means no front matter.
    loop {
        let Some((_, line)) = lines.next() else {
            return Err(KnowledgeError::MissingFrontMatter);
        };
        consumed += line.len();
        match line.trim() {
            "" => continue,
            "---" => break,
            _ => return Err(KnowledgeError::MissingFrontMatter),
        }
    }

    let mut fields: [Option<String>; KEYS.len()] = Default::default();
    let mut body_start = None;
    for (index, line) in lines {
        consumed += line.len();
        let number = index + 1;
        let content = line.trim();
        if content == "---" {
            body_start = Some(consumed);
            break;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = content.split_once(':') else {
            return Err(bad_line(number, content));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(bad_line(number, content));
        }
        let Some(slot) = KEYS.iter().position(|k| *k == key) else {
            return Err(KnowledgeError::UnknownKey {
                line: number,
                key: key.to_owned(),
            });
        };
        if fields[slot].is_some() {
            return Err(KnowledgeError::DuplicateKey {
                line: number,
                key: key.to_owned(),
            });
        }
        fields[slot] = Some(value(raw, number, key)?);
    }
    let Some(body_start) = body_start else {
        return Err(KnowledgeError::UnclosedFrontMatter);
    };

    let [id, title, topic, owner, approved_by, valid_until] = fields;
    let id = match id {
        Some(id) => required("id", Some(id))?,
        None if stem.trim().is_empty() => return Err(KnowledgeError::MissingField { field: "id" }),
        None => stem.trim().to_owned(),
    };
    let title = required("title", title)?;
    let topic = required("topic", topic)?;
    let topic = topics()
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&topic))
        .map(|t| (*t).to_owned())
        .ok_or(KnowledgeError::UnknownTopic { value: topic })?;
    let owner = required("owner", owner)?;
    let approved_by = required("approved_by", approved_by)?;
    let valid_until = date(&required("valid_until", valid_until)?)?;
    let body = text[body_start..].trim();
    if body.is_empty() {
        return Err(KnowledgeError::EmptyBody);
    }
    Ok(Entry {
        id,
        title,
        topic,
        owner,
        approved_by,
        valid_until,
        body: body.to_owned(),
    })
}

fn bad_line(line: usize, content: &str) -> KnowledgeError {
    // Keep the message on one short line however long the offending line is.
    let text: String = content.chars().take(80).collect();
    KnowledgeError::BadLine { line, text }
}

/// The value after `key:`: quoted with `"` or `'` (taken literally, no escapes), or bare
/// up to a `#` comment that follows whitespace.
fn value(raw: &str, line: usize, key: &str) -> Result<String, KnowledgeError> {
    let raw = raw.trim();
    let bad = |problem| KnowledgeError::BadValue {
        line,
        key: key.to_owned(),
        problem,
    };
    if let Some(quote) = raw.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let inner = &raw[1..];
        let Some(close) = inner.find(quote) else {
            return Err(bad("missing closing quote"));
        };
        let rest = inner[close + 1..].trim_start();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(bad("text after the closing quote"));
        }
        return Ok(inner[..close].trim().to_owned());
    }
    if raw.starts_with('#') {
        return Ok(String::new());
    }
    let end = raw
        .char_indices()
        .find(|&(i, c)| c == '#' && raw[..i].ends_with(char::is_whitespace))
        .map_or(raw.len(), |(i, _)| i);
    Ok(raw[..end].trim().to_owned())
}

fn required(field: &'static str, value: Option<String>) -> Result<String, KnowledgeError> {
    match value {
        None => Err(KnowledgeError::MissingField { field }),
        Some(v) if v.is_empty() => Err(KnowledgeError::EmptyField { field }),
        Some(v) => Ok(v),
    }
}

/// `YYYY-MM-DD` exactly: chrono alone would also take `2027-6-3` or `+2027-06-30`.
fn date(value: &str) -> Result<NaiveDate, KnowledgeError> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| KnowledgeError::BadDate {
            value: value.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPTIME: &str = "---
id: sla-uptime            # optional
title: Uptime commitment
topic: sla
owner: deal_desk
approved_by: Priya Shah
valid_until: 2027-06-30   # ISO date
---
Our standard SLA is 99.9 % monthly uptime, with a 4-hour response for Severity 1 incidents.
";

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_complete_entry_parses_with_comments_stripped() {
        let entry = parse("ignored-stem", UPTIME).unwrap();
        assert_eq!(
            entry,
            Entry {
                id: "sla-uptime".into(),
                title: "Uptime commitment".into(),
                topic: "sla".into(),
                owner: "deal_desk".into(),
                approved_by: "Priya Shah".into(),
                valid_until: day(2027, 6, 30),
                body: "Our standard SLA is 99.9 % monthly uptime, with a 4-hour response for \
                       Severity 1 incidents."
                    .into(),
            }
        );
    }

    #[test]
    fn the_id_defaults_to_the_file_stem() {
        let text = UPTIME.replace("id: sla-uptime            # optional\n", "");
        assert_eq!(parse("uptime", &text).unwrap().id, "uptime");
    }

    #[test]
    fn quoted_values_keep_hashes_and_colons() {
        let text = UPTIME
            .replace(
                "title: Uptime commitment",
                r#"title: "SLA: uptime # and response""#,
            )
            .replace(
                "approved_by: Priya Shah",
                "approved_by: 'Priya Shah'   # CFO",
            );
        let entry = parse("x", &text).unwrap();
        assert_eq!(entry.title, "SLA: uptime # and response");
        assert_eq!(entry.approved_by, "Priya Shah");
    }

    #[test]
    fn a_hash_inside_a_bare_word_is_not_a_comment() {
        let text = UPTIME.replace("owner: deal_desk", "owner: deal#desk");
        assert_eq!(parse("x", &text).unwrap().owner, "deal#desk");
    }

    #[test]
    fn blank_lines_comment_lines_crlf_and_a_bom_are_fine() {
        let text = format!(
            "\u{feff}\n{}",
            UPTIME
                .replace("topic: sla\n", "\n# the SLA topic\ntopic: SLA\n\n")
                .replace('\n', "\r\n")
        );
        let entry = parse("x", &text).unwrap();
        assert_eq!(entry.topic, "sla");
        assert_eq!(entry.valid_until, day(2027, 6, 30));
        assert!(entry.body.starts_with("Our standard SLA"));
        assert!(!entry.body.ends_with('\r'));
    }

    #[test]
    fn an_entry_is_valid_through_its_last_day() {
        let entry = parse("x", UPTIME).unwrap();
        assert!(entry.valid_on(day(2026, 1, 1)));
        assert!(entry.valid_on(day(2027, 6, 30)));
        assert!(!entry.valid_on(day(2027, 7, 1)));
    }

    #[test]
    fn text_without_front_matter_is_refused() {
        let err = parse("x", "Our SLA is 99.9 %.").unwrap_err();
        assert_eq!(err, KnowledgeError::MissingFrontMatter);
        assert!(err.to_string().starts_with("front matter: missing"));
        assert_eq!(
            parse("x", "").unwrap_err(),
            KnowledgeError::MissingFrontMatter
        );
    }

    #[test]
    fn front_matter_that_never_closes_is_refused() {
        let text = "---\ntitle: Uptime\ntopic: sla\n";
        assert_eq!(
            parse("x", text).unwrap_err(),
            KnowledgeError::UnclosedFrontMatter
        );
    }

    #[test]
    fn each_missing_required_field_is_named() {
        for field in ["title", "topic", "owner", "approved_by", "valid_until"] {
            let text: String = UPTIME
                .lines()
                .filter(|l| !l.starts_with(&format!("{field}:")))
                .map(|l| format!("{l}\n"))
                .collect();
            let err = parse("x", &text).unwrap_err();
            assert_eq!(err, KnowledgeError::MissingField { field });
            assert_eq!(err.to_string(), format!("{field}: missing"));
        }
    }

    #[test]
    fn an_empty_value_is_named() {
        let text = UPTIME.replace("owner: deal_desk", "owner:   # to do");
        assert_eq!(parse("x", &text).unwrap_err().to_string(), "owner: empty");
    }

    #[test]
    fn an_unknown_topic_lists_the_allowed_ones() {
        let text = UPTIME.replace("topic: sla", "topic: pricing");
        let err = parse("x", &text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "topic: `pricing` is not a topic; expected one of security, compliance, \
             integration, data_residency, sla, implementation"
        );
    }

    #[test]
    fn a_bad_date_says_the_expected_format() {
        for bad in [
            "30/06/2027",
            "2027-6-30",
            "2027-02-30",
            "+2027-06-30",
            "soon",
        ] {
            let text = UPTIME.replace("2027-06-30", bad);
            let err = parse("x", &text).unwrap_err();
            assert_eq!(err, KnowledgeError::BadDate { value: bad.into() }, "{bad}");
            assert!(err.to_string().contains("expected YYYY-MM-DD"));
        }
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let text = UPTIME.replace("owner: deal_desk", "ownr: deal_desk");
        assert_eq!(
            parse("x", &text).unwrap_err().to_string(),
            "front matter line 5: `ownr` is not a known key; expected one of id, title, \
             topic, owner, approved_by, valid_until"
        );
    }

    #[test]
    fn a_key_set_twice_is_refused() {
        let text = UPTIME.replace("owner: deal_desk", "owner: deal_desk\nowner: legal");
        assert_eq!(
            parse("x", &text).unwrap_err(),
            KnowledgeError::DuplicateKey {
                line: 6,
                key: "owner".into()
            }
        );
    }

    #[test]
    fn a_line_that_is_not_key_value_is_refused() {
        let text = UPTIME.replace("owner: deal_desk", "- deal_desk");
        assert_eq!(
            parse("x", &text).unwrap_err().to_string(),
            "front matter line 5: `- deal_desk` is not a `key: value` line"
        );
    }

    #[test]
    fn a_quote_left_open_is_refused() {
        let text = UPTIME.replace("title: Uptime commitment", "title: \"Uptime");
        assert_eq!(
            parse("x", &text).unwrap_err().to_string(),
            "front matter line 3: title: missing closing quote"
        );
    }

    #[test]
    fn an_empty_body_is_refused() {
        let text = UPTIME.split_inclusive("---\n").take(2).collect::<String>() + "\n  \n";
        assert_eq!(parse("x", &text).unwrap_err(), KnowledgeError::EmptyBody);
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "---",
            "---\n---",
            "---\n:\n---\nbody",
            "---\ntitle: \"\n---\nx",
            "---\ntitle: '\u{1F600}'\u{1F600}\n---\n",
            "---\n\u{1F600}: x\n---\n",
            "\u{feff}",
            "---\r\n---\r\n",
            "---\ntitle:\u{0}\n---\nx",
        ] {
            let _ = parse("", text);
            let _ = parse("\u{1F600}", text);
        }
    }
}
