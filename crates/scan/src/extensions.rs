//! Browser extension inventories: the AI writing and sales extensions reps have installed,
//! and which of them can read mail or every page.
//!
//! Two forms, told apart by content (a file starting with `[` or `{` is JSON, other text is
//! CSV), whatever the file is called:
//!
//! - CSV, as Google Admin / Chrome Enterprise export "Apps & extensions usage": an id column
//!   (`App ID`, `Extension ID`, `ID`) or a name column (`App name`, `Extension name`,
//!   `Name`), and any of `Version`, `Permissions` (and `Host permissions`; separated by `;`,
//!   `,` or new lines), `Installs`/`Install count`, `User`/`User email`/`Users` (one or more
//!   addresses; a number there is an install count). Column names are compared without case,
//!   spaces or punctuation; other columns are ignored.
//! - JSON: an array of extensions, or an object holding one under `extensions` (or
//!   `installedApps`, as Chrome's management API names it). Each extension is an object with
//!   `id` (or `appId`), `name` (or `displayName`), `version`, `permissions` (and
//!   `hostPermissions`) as a list, and `users` (addresses) or `installs`.
//!
//! An extension is a finding ([`Kind::AiExtension`]) when a signature knows it (any
//! category), or when it can read mail or every page ([`MAIL_HOSTS`], `<all_urls>` and
//! `*://*/*`-like host patterns) and its name sounds like AI or sales ([`AI_OR_SALES_WORDS`],
//! [`AI_OR_SALES_PHRASES`]). A broad `webRequest` needs such a host permission to see
//! anything, so the host patterns are what is judged.
//!
//! One finding per extension and user, so a report row's `count` is installs: with a user
//! column the rep is that user ([`Known::rep_for`], else as written); without one the rep is
//! empty and the finding is repeated once per install (`Installs`, else once).

use std::io;
use std::path::Path;

use serde_json::{Map, Value};

use crate::crm_logins::{
    Columns, bad_record, csv_reader, delimiter, file_name, rep_of, wrong_length,
};
use crate::{Finding, Kind, Known, Signatures, ToolSignature};

/// Words of an extension's name (compared without case, as whole words) that make it an AI
/// or sales extension; a word containing `gpt` (`ChatGPT`, `GPT-4`) counts too.
pub const AI_OR_SALES_WORDS: [&str; 24] = [
    "ai",
    "gpt",
    "chatgpt",
    "copilot",
    "openai",
    "claude",
    "gemini",
    "llm",
    "genai",
    "writer",
    "rewriter",
    "composer",
    "sales",
    "prospect",
    "prospects",
    "prospecting",
    "prospector",
    "sequence",
    "sequences",
    "sequencer",
    "cadence",
    "outreach",
    "crm",
    "leads",
];

/// Phrases of an extension's name that make it an AI or sales extension.
pub const AI_OR_SALES_PHRASES: [&str; 4] = [
    "email assistant",
    "mail assistant",
    "writing assistant",
    "reply assistant",
];

/// Web mail hosts: a host permission covering one of them can read mail.
pub const MAIL_HOSTS: [&str; 4] = [
    "mail.google.com",
    "outlook.office.com",
    "outlook.office365.com",
    "outlook.live.com",
];

/// More installs than this on one row is a broken export, not a fleet.
const MAX_INSTALLS: u64 = 1_000_000;

/// Reads one inventory, calling `sink` with each finding; returns the extension × user rows
/// read. Only a failure to read the file is an error: a file in neither form is one
/// unreadable finding.
pub fn scan(
    path: &Path,
    known: &Known,
    signatures: &Signatures,
    sink: &mut dyn FnMut(Finding),
) -> Result<u64, io::Error> {
    let file = file_name(path);
    let bytes = std::fs::read(path)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => t,
        _ => {
            sink(Finding::unreadable(
                file,
                "not a browser extension inventory: the file is not text (expected a CSV or JSON export)",
            ));
            return Ok(0);
        }
    };
    let judge = Judge { known, signatures };
    match text.trim_start().bytes().next() {
        None => {
            sink(Finding::unreadable(
                file,
                "the file is empty: expected a CSV or JSON extension inventory",
            ));
            Ok(0)
        }
        Some(b'[' | b'{') => Ok(json(&file, text, &judge, sink)),
        Some(_) => csv(&file, text, &judge, sink),
    }
}

/// One installed extension, as either form gives it.
#[derive(Debug, Default)]
struct Installed {
    id: String,
    name: String,
    version: Option<String>,
    permissions: Vec<String>,
    users: Vec<String>,
    installs: Option<u64>,
}

fn csv(
    file: &str,
    text: &str,
    judge: &Judge<'_>,
    sink: &mut dyn FnMut(Finding),
) -> Result<u64, io::Error> {
    let mut reader = csv_reader(text.as_bytes(), delimiter(text.as_bytes()));
    let columns = match Columns::read(&mut reader)? {
        Ok(c) => c,
        Err(why) => {
            sink(Finding::unreadable(file, why));
            return Ok(0);
        }
    };
    let id = columns.find(&["appid", "extensionid", "id"]);
    let name = columns.find(&["appname", "extensionname", "name", "displayname"]);
    if id.is_none() && name.is_none() {
        sink(Finding::unreadable(
            file,
            format!(
                "not a browser extension inventory: expected an `App ID`, `Extension ID` or `ID` column, or an `App name`, `Extension name` or `Name` column; its columns are {}",
                columns.listed()
            ),
        ));
        return Ok(0);
    }
    let version = columns.find(&["version", "appversion", "extensionversion"]);
    let permissions: Vec<usize> = [
        "permissions",
        "hostpermissions",
        "sitepermissions",
        "apipermissions",
    ]
    .iter()
    .filter_map(|p| columns.find(&[p]))
    .collect();
    let installs = columns.find(&[
        "installs",
        "installcount",
        "installations",
        "browserdevicecount",
    ]);
    let user = columns.find(&["user", "useremail", "email", "users", "username"]);

    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    loop {
        let next = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                rows += 1;
                let line = e.position().map_or(next, csv::Position::line);
                sink(Finding::unreadable(
                    format!("{file} line {line}"),
                    bad_record(e)?,
                ));
                continue;
            }
        }
        let line = record.position().map_or(next, csv::Position::line);
        let source = format!("{file} line {line}");
        if record.len() != columns.len() {
            rows += 1;
            sink(Finding::unreadable(
                source,
                wrong_length(record.len(), columns.len()),
            ));
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default();
        let mut ext = Installed {
            id: cell(id).to_owned(),
            name: cell(name).to_owned(),
            version: Some(cell(version))
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            permissions: permissions
                .iter()
                .flat_map(|i| split_list(cell(Some(*i))))
                .collect(),
            ..Installed::default()
        };
        let mut count = cell(installs);
        let users = cell(user);
        if count_of(users).is_ok() {
            // Some exports put the number of users in `Users`.
            if count.is_empty() {
                count = users;
            }
        } else {
            ext.users = split_list(users);
        }
        if !count.is_empty() {
            match count_of(count) {
                Ok(n) => ext.installs = Some(n),
                Err(()) => {
                    rows += 1;
                    sink(Finding::unreadable(
                        source,
                        format!("`{count}` is not an install count"),
                    ));
                    continue;
                }
            }
        }
        rows += judge.extension(&ext, &source, sink);
    }
    Ok(rows)
}

fn json(file: &str, text: &str, judge: &Judge<'_>, sink: &mut dyn FnMut(Finding)) -> u64 {
    let expected = "expected an array of extensions or an object with `extensions`";
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            sink(Finding::unreadable(
                file,
                format!("not a JSON extension inventory: {e}"),
            ));
            return 0;
        }
    };
    let items = match &value {
        Value::Array(items) => items,
        Value::Object(o) => match ["extensions", "installedApps", "apps"]
            .iter()
            .find_map(|k| o.get(*k).map(|v| (k, v)))
        {
            Some((_, Value::Array(items))) => items,
            Some((k, _)) => {
                sink(Finding::unreadable(
                    file,
                    format!("not a JSON extension inventory: `{k}` is not a list"),
                ));
                return 0;
            }
            None => {
                let keys: Vec<String> = o.keys().map(|k| format!("`{k}`")).collect();
                let has = if keys.is_empty() {
                    "nothing".to_owned()
                } else {
                    keys.join(", ")
                };
                sink(Finding::unreadable(
                    file,
                    format!("not a JSON extension inventory: {expected}; this object has {has}"),
                ));
                return 0;
            }
        },
        _ => {
            sink(Finding::unreadable(
                file,
                format!("not a JSON extension inventory: {expected}"),
            ));
            return 0;
        }
    };
    let mut rows = 0;
    for (i, item) in items.iter().enumerate() {
        let source = format!("{file} extension {}", i + 1);
        match installed(item) {
            Ok(ext) => rows += judge.extension(&ext, &source, sink),
            Err(why) => {
                rows += 1;
                sink(Finding::unreadable(source, why));
            }
        }
    }
    rows
}

/// An extension from its JSON object; the error names the field.
fn installed(item: &Value) -> Result<Installed, String> {
    let Value::Object(o) = item else {
        return Err("not an object with `id` and `name`".to_owned());
    };
    let mut ext = Installed {
        id: text(o, &["id", "appId", "extensionId"])?.unwrap_or_default(),
        name: text(o, &["name", "displayName"])?.unwrap_or_default(),
        version: text(o, &["version"])?,
        ..Installed::default()
    };
    if ext.id.is_empty() && ext.name.is_empty() {
        return Err("has neither `id` nor `name`".to_owned());
    }
    for key in ["permissions", "hostPermissions", "host_permissions"] {
        ext.permissions.extend(list(o, key)?);
    }
    ext.users = list(o, "users")?;
    if let Some(user) = text(o, &["user", "email"])? {
        ext.users.push(user);
    }
    for key in [
        "installs",
        "installCount",
        "install_count",
        "browserDeviceCount",
    ] {
        let n = match o.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(n)) => n.as_u64().ok_or(()),
            Some(Value::String(s)) => count_of(s),
            Some(_) => Err(()),
        };
        ext.installs = Some(n.map_err(|()| format!("`{key}` is not an install count"))?);
        break;
    }
    Ok(ext)
}

/// The first of `keys` present, as text (a number is written as text: versions are).
fn text(o: &Map<String, Value>, keys: &[&str]) -> Result<Option<String>, String> {
    let Some((key, value)) = keys.iter().find_map(|k| o.get(*k).map(|v| (k, v))) else {
        return Ok(None);
    };
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(format!("`{key}` is not text")),
    }
}

/// A list of strings (a single string is split like a CSV cell).
fn list(o: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(split_list(s)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_owned()),
                _ => Err(format!("`{key}` is not a list of text")),
            })
            .filter(|s| s.as_ref().map_or(true, |s| !s.is_empty()))
            .collect(),
        Some(_) => Err(format!("`{key}` is not a list of text")),
    }
}

/// A cell holding several values: `storage; <all_urls>`, `a@x.example, b@x.example`.
fn split_list(cell: &str) -> Vec<String> {
    cell.split([';', ',', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A count as exports write it (`1,204`).
fn count_of(s: &str) -> Result<u64, ()> {
    let digits = s.trim().replace([',', '_'], "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    digits.parse().map_err(|_| ())
}

/// How far an extension's host permissions reach.
#[derive(Debug, PartialEq, Eq)]
enum Reach {
    EveryPage(String),
    Mail(String),
}

/// The widest reach among `permissions`, with the permission that grants it.
fn reach(permissions: &[String]) -> Option<Reach> {
    let mut mail = None;
    for p in permissions {
        // Chrome's own words for `<all_urls>`, as some consoles export them.
        if p.to_lowercase().contains("all your data on all websites") {
            return Some(Reach::EveryPage(p.clone()));
        }
        for pattern in p.split_whitespace() {
            match scope(pattern) {
                Some(Scope::EveryPage) => return Some(Reach::EveryPage(pattern.to_owned())),
                Some(Scope::Mail) => {
                    mail.get_or_insert_with(|| pattern.to_owned());
                }
                None => {}
            }
        }
    }
    mail.map(Reach::Mail)
}

enum Scope {
    EveryPage,
    Mail,
}

/// What a host pattern (`https://*.google.com/*`) covers, if it matters.
fn scope(pattern: &str) -> Option<Scope> {
    let p = pattern.trim().to_lowercase();
    if p == "<all_urls>" {
        return Some(Scope::EveryPage);
    }
    let (scheme, rest) = p.split_once("://")?;
    if !matches!(scheme, "*" | "http" | "https") {
        return None;
    }
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if host == "*" {
        return Some(Scope::EveryPage);
    }
    let covers = |mail: &&str| match host.strip_prefix("*.") {
        Some(parent) => *mail == parent || mail.ends_with(&format!(".{parent}")),
        None => *mail == host,
    };
    MAIL_HOSTS.iter().any(covers).then_some(Scope::Mail)
}

/// Whether an extension's name sounds like AI or sales.
fn ai_or_sales(name: &str) -> bool {
    let name = name.to_lowercase();
    let words: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .any(|w| AI_OR_SALES_WORDS.contains(w) || w.contains("gpt"))
        || AI_OR_SALES_PHRASES.iter().any(|p| {
            let want: Vec<&str> = p.split(' ').collect();
            words.windows(want.len()).any(|w| w == want.as_slice())
        })
}

/// What the extensions are compared against.
struct Judge<'a> {
    known: &'a Known,
    signatures: &'a Signatures,
}

impl Judge<'_> {
    /// Sends the findings for one extension; returns the extension × user rows it stands for.
    fn extension(&self, ext: &Installed, source: &str, sink: &mut dyn FnMut(Finding)) -> u64 {
        let rows = ext.users.len().max(1) as u64;
        let Some((tool, evidence)) = self.judge(ext) else {
            return rows;
        };
        let finding = |rep: Option<String>| Finding {
            kind: Kind::AiExtension,
            rep,
            tool: Some(tool.clone()),
            evidence: evidence.clone(),
            source: source.to_owned(),
            at: None,
            touched: Default::default(),
        };
        if !ext.users.is_empty() {
            for user in &ext.users {
                sink(finding(rep_of(self.known, user)));
            }
            return rows;
        }
        // INVARIANT: without a user column, a report row's count is installs, so the finding
        // is repeated once per install.
        match ext.installs.unwrap_or(1) {
            n if n > MAX_INSTALLS => sink(Finding::unreadable(
                source,
                format!("{n} installs of one extension is not a plausible count"),
            )),
            n => (0..n).for_each(|_| sink(finding(None))),
        }
        rows
    }

    /// The tool and the evidence, when the extension is a finding.
    fn judge(&self, ext: &Installed) -> Option<(String, String)> {
        let signature = self.signatures.by_extension(&ext.id, &ext.name);
        let reach = reach(&ext.permissions);
        if signature.is_none() && !(reach.is_some() && ai_or_sales(&ext.name)) {
            return None;
        }
        let shown = if ext.name.is_empty() {
            &ext.id
        } else {
            &ext.name
        };
        let mut evidence = format!("`{shown}`");
        if let Some(v) = &ext.version {
            evidence.push(' ');
            evidence.push_str(v);
        }
        match (&reach, signature) {
            (Some(Reach::EveryPage(p)), _) => {
                evidence.push_str(&format!(", can read every page ({p})"))
            }
            (Some(Reach::Mail(p)), _) => evidence.push_str(&format!(", can read mail ({p})")),
            (None, Some(s)) => evidence.push_str(&format!(", {}", what(s))),
            (None, None) => {}
        }
        let tool = signature.map_or_else(|| shown.clone(), |s| s.name.clone());
        Some((tool, evidence))
    }
}

/// A signature's category in words.
fn what(signature: &ToolSignature) -> &'static str {
    match signature.category.as_str() {
        "ai_writing" => "an AI writing tool",
        "sequencer" => "a sales sequencer",
        "tracker" => "a mail tracker",
        "ai_assistant" => "an AI assistant",
        "crm_integration" => "a CRM integration",
        _ => "a known tool",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach_of(p: &[&str]) -> Option<Reach> {
        reach(&p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn host_patterns_that_read_every_page_or_mail() {
        for p in [
            "<all_urls>",
            "*://*/*",
            "https://*/*",
            "http://*/",
            "HTTPS://*/*",
        ] {
            assert_eq!(
                reach_of(&["storage", p]),
                Some(Reach::EveryPage(p.to_owned())),
                "{p}"
            );
        }
        for p in [
            "https://mail.google.com/*",
            "*://mail.google.com/*",
            "https://*.google.com/*",
            "https://outlook.office.com/mail/*",
            "https://outlook.live.com/*",
        ] {
            assert_eq!(reach_of(&[p]), Some(Reach::Mail(p.to_owned())), "{p}");
        }
        for p in [
            "https://docs.google.com/*",
            "file:///*",
            "webRequest",
            "https://*.example.com/*",
        ] {
            assert_eq!(reach_of(&[p]), None, "{p}");
        }
        assert_eq!(
            reach_of(&["https://mail.google.com/*", "<all_urls>"]),
            Some(Reach::EveryPage("<all_urls>".to_owned()))
        );
    }

    #[test]
    fn names_that_sound_like_ai_or_sales() {
        for n in [
            "Prospect AI Helper",
            "GPT-4 Sidebar",
            "MyChatGPT",
            "Smart Email Assistant",
            "CRM Sync",
        ] {
            assert!(ai_or_sales(n), "{n}");
        }
        for n in [
            "PDF Viewer",
            "Dark Reader",
            "Detail Tab",
            "Password Assistant",
        ] {
            assert!(!ai_or_sales(n), "{n}");
        }
    }

    #[test]
    fn counts_as_exports_write_them() {
        assert_eq!(count_of("1,204"), Ok(1204));
        assert_eq!(count_of(" 7 "), Ok(7));
        assert_eq!(count_of("many"), Err(()));
        assert_eq!(count_of(""), Err(()));
    }
}
