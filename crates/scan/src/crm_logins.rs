//! CRM login and connected-app exports (CSV): the integrations that sign in to the CRM, or
//! hold a token for it, without being registered tools.
//!
//! The format is recognised by the header alone, whatever the file is called; column names
//! are compared the way the CRMs compare them, without case, spaces, underscores or other
//! punctuation (`Login Time`, `LoginTime` and `login_time` are one column). Formats, tried
//! in this order:
//!
//! 1. connected-app usage (Salesforce's OAuth usage / tokens export): an app column
//!    (`AppName`, `Connected App Name`, `App`, …) and `UseCount` or `LastUsedDate`;
//! 2. connected apps (HubSpot's export): an app column (`App name`, `Name`, …) and one of
//!    `Installed by`, `Install date`/`Installed`, `Scopes`;
//! 3. logins (Salesforce's `LoginHistory`, HubSpot's login activity): a user column
//!    (`Username`, `UserId`, `User`, `Email`), a time column (`LoginTime`, `Login time`,
//!    `Date`) and one of `LoginType`/`Source`, `Application`/`App`, `Status`.
//!
//! Other columns are ignored. A row is an integration when its app is neither a client the
//! CRM vendor ships ([`FIRST_PARTY_CLIENTS`]) nor a registered tool; a login without an app
//! is one when an integration-looking user ([`INTEGRATION_USER_WORDS`]) signs in by API.
//! Failed logins are not integrations. A row that cannot be read is reported by its line and
//! the rest are still read; a time that cannot be read leaves the finding without one.
//!
//! The CSV helpers at the end (delimiter, header, cells, times, reps) are shared with
//! `extensions.rs`.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::{Finding, Kind, Known, Signatures};

/// Clients the CRM vendors ship themselves (compared without case): a sign-in through one of
/// them is a person at work, not an integration. The HubSpot Sales Chrome extension is not
/// here on purpose: it is an extension with its own access, reported like any other app.
pub const FIRST_PARTY_CLIENTS: [&str; 9] = [
    "Browser",
    "Salesforce for iOS",
    "Salesforce for Android",
    "Salesforce Mobile",
    "Salesforce Mobile Web",
    "Salesforce for Outlook",
    "Salesforce Authenticator",
    "HubSpot",
    "HubSpot Mobile",
];

/// What an app cell holds when there is no app (Salesforce writes `N/A` for API logins).
const NO_APP: [&str; 6] = ["", "n/a", "na", "none", "-", "unknown"];

/// Words of a user name (before the `@`) that mark an integration user (`integration@`,
/// `api.user@`, `svc-sync@`, `zapier@`); any word starting with `svc` counts too.
pub const INTEGRATION_USER_WORDS: [&str; 11] = [
    "integration",
    "integrations",
    "api",
    "svc",
    "service",
    "zapier",
    "automation",
    "sync",
    "bot",
    "etl",
    "connector",
];

/// Reads one export, calling `sink` with each finding; returns the data rows read (good and
/// bad). Only a failure to read the file is an error: a file that is not one of the formats
/// is one unreadable finding.
pub fn scan(
    path: &Path,
    known: &Known,
    signatures: &Signatures,
    sink: &mut dyn FnMut(Finding),
) -> Result<u64, io::Error> {
    let file = file_name(path);
    let mut input = BufReader::with_capacity(1 << 16, File::open(path)?);
    let delimiter = delimiter(input.fill_buf()?);
    let mut reader = csv_reader(input, delimiter);
    let columns = match Columns::read(&mut reader)? {
        Ok(c) => c,
        Err(why) => {
            sink(Finding::unreadable(file, why));
            return Ok(0);
        }
    };
    let Some(layout) = Layout::of(&columns) else {
        sink(Finding::unreadable(
            file,
            format!(
                "not a LoginHistory, connected-app or HubSpot apps export: its columns are {}",
                columns.listed()
            ),
        ));
        return Ok(0);
    };
    let judge = Judge { known, signatures };
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
        rows += 1;
        let line = record.position().map_or(next, csv::Position::line);
        let source = format!("{file} line {line}");
        if record.len() != columns.len() {
            sink(Finding::unreadable(
                source,
                wrong_length(record.len(), columns.len()),
            ));
            continue;
        }
        if let Some(f) = judge.row(&layout, &record, source) {
            sink(f);
        }
    }
    Ok(rows)
}

/// The formats, each with the columns it reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Format {
    #[default]
    Logins,
    AppUsage,
    ConnectedApps,
}

/// Which column holds what, for one file.
#[derive(Debug, Default)]
struct Layout {
    format: Format,
    user: Option<usize>,
    time: Option<usize>,
    login_type: Option<usize>,
    api_type: Option<usize>,
    app: Option<usize>,
    status: Option<usize>,
    uses: Option<usize>,
    scopes: Option<usize>,
}

impl Layout {
    /// The format a header belongs to (see the module's list), or `None`.
    fn of(c: &Columns) -> Option<Self> {
        let app_name = c.find(&[
            "appname",
            "connectedappname",
            "connectedapp",
            "application",
            "app",
            "name",
        ]);
        let uses = c.find(&["usecount", "uses", "usagecount"]);
        let last_used = c.find(&["lastuseddate", "lastused", "lastusedat"]);
        if app_name.is_some() && (uses.is_some() || last_used.is_some()) {
            return Some(Layout {
                format: Format::AppUsage,
                user: c.find(&["username", "user", "useremail", "email", "userid"]),
                time: last_used,
                app: app_name,
                uses,
                ..Layout::default()
            });
        }
        let installed_by = c.find(&["installedby", "installer"]);
        let installed = c.find(&[
            "installdate",
            "installed",
            "installedon",
            "installedat",
            "dateinstalled",
        ]);
        let scopes = c.find(&["scopes", "scope"]);
        if app_name.is_some() && (installed_by.is_some() || installed.is_some() || scopes.is_some())
        {
            return Some(Layout {
                format: Format::ConnectedApps,
                user: installed_by.or_else(|| c.find(&["user", "username", "useremail", "email"])),
                time: installed,
                app: app_name,
                scopes,
                ..Layout::default()
            });
        }
        let user = c.find(&["username", "useremail", "email", "user", "userid"]);
        let time = c.find(&["logintime", "logindate", "date", "time", "timestamp"]);
        let login_type = c.find(&["logintype", "loginsource", "source"]);
        let app = c.find(&[
            "application",
            "app",
            "appname",
            "connectedapp",
            "connectedappname",
        ]);
        let status = c.find(&["status", "loginstatus", "result"]);
        if user.is_some()
            && time.is_some()
            && (login_type.is_some() || app.is_some() || status.is_some())
        {
            return Some(Layout {
                format: Format::Logins,
                user,
                time,
                login_type,
                api_type: c.find(&["apitype"]),
                app,
                status,
                ..Layout::default()
            });
        }
        None
    }
}

/// What the rows are compared against.
struct Judge<'a> {
    known: &'a Known,
    signatures: &'a Signatures,
}

impl Judge<'_> {
    /// The finding a well-formed row gives, if any.
    fn row(&self, layout: &Layout, record: &csv::StringRecord, source: String) -> Option<Finding> {
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let user = cell(layout.user);
        let app = cell(layout.app).filter(|a| !NO_APP.contains(&a.to_lowercase().as_str()));
        let at = cell(layout.time).and_then(datetime);
        let (tool, evidence) = match layout.format {
            Format::Logins => {
                if cell(layout.status).is_some_and(|s| !s.to_lowercase().starts_with("succe")) {
                    return None;
                }
                let login_type = cell(layout.login_type);
                let how = login_type.map(|t| format!(" ({t})")).unwrap_or_default();
                match app {
                    Some(app) => {
                        let tool = self.integration(app)?;
                        (tool, format!("signs in to the CRM as `{app}`{how}"))
                    }
                    None => {
                        let user = user?;
                        let by_api = match login_type {
                            Some(t) => has_word(&t.to_lowercase(), "api"),
                            None => cell(layout.api_type)
                                .is_some_and(|t| !NO_APP.contains(&t.to_lowercase().as_str())),
                        };
                        if !by_api || !integration_user(user) {
                            return None;
                        }
                        let tool = self.integration_user(user)?;
                        (
                            tool,
                            format!("integration user `{user}` signs in to the CRM{how}"),
                        )
                    }
                }
            }
            Format::AppUsage => {
                let app = app?;
                let tool = self.integration(app)?;
                let uses = cell(layout.uses).and_then(|u| u.replace(',', "").parse::<u64>().ok());
                let evidence = match uses {
                    Some(1) => format!("connected app `{app}`, 1 use"),
                    Some(n) => format!("connected app `{app}`, {n} uses"),
                    None => format!("connected app `{app}`"),
                };
                (tool, evidence)
            }
            Format::ConnectedApps => {
                let app = app?;
                let tool = self.integration(app)?;
                let scopes: Vec<&str> = cell(layout.scopes)
                    .map(|s| {
                        s.split([';', ',', ' ', '\n'])
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                let evidence = match scopes.len() {
                    0 => format!("connected app `{app}`"),
                    1..=4 => format!("connected app `{app}`, scopes {}", scopes.join(" ")),
                    n => format!(
                        "connected app `{app}`, scopes {} and {} more",
                        scopes[..4].join(" "),
                        n - 4
                    ),
                };
                (tool, evidence)
            }
        };
        Some(Finding {
            kind: Kind::UnknownIntegration,
            rep: user.and_then(|u| rep_of(self.known, u)),
            tool: Some(tool),
            evidence,
            source,
            at,
            touched: Default::default(),
        })
    }

    /// The tool an app is, unless it is a first-party client or a registered tool.
    fn integration(&self, app: &str) -> Option<String> {
        if FIRST_PARTY_CLIENTS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(app))
        {
            return None;
        }
        let signature = self.signatures.by_app(app).map(|t| t.name.as_str());
        if self.registered(app) || signature.is_some_and(|s| self.registered(s)) {
            return None;
        }
        Some(signature.unwrap_or(app).to_owned())
    }

    /// The tool an integration user is: the signature its name before the `@` names
    /// (`zapier@…` is Zapier), else the user as written; `None` when registered.
    fn integration_user(&self, user: &str) -> Option<String> {
        let local = user.split('@').next().unwrap_or(user);
        let signature = self.signatures.by_app(local).map(|t| t.name.as_str());
        if self.registered(user)
            || self.registered(local)
            || signature.is_some_and(|s| self.registered(s))
        {
            return None;
        }
        Some(signature.unwrap_or(user).to_owned())
    }

    fn registered(&self, name: &str) -> bool {
        self.known
            .registered_tools
            .contains(&name.trim().to_lowercase())
    }
}

/// Whether a user name looks like an integration's rather than a person's.
fn integration_user(user: &str) -> bool {
    let local = user.split('@').next().unwrap_or(user).to_lowercase();
    local
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| INTEGRATION_USER_WORDS.contains(&w) || w.starts_with("svc"))
}

fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| w == word)
}

// CSV exports, shared with `extensions.rs`.

/// The file's name as findings cite it.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The delimiter of a CSV from its first bytes: European spreadsheets write `;`, some
/// exports tabs; a comma unless the header line has more of one of those.
pub(crate) fn delimiter(sample: &[u8]) -> u8 {
    let line = sample.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    [b';', b'\t']
        .into_iter()
        .filter(|d| count(*d) > count(b','))
        .max_by_key(|d| count(*d))
        .unwrap_or(b',')
}

/// A CSV reader as exports need it: a header, trimmed cells, rows of any length (a short
/// row is reported by the caller, naming its line).
pub(crate) fn csv_reader<R: io::Read>(input: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input)
}

/// A file's header: the names as written and as compared.
pub(crate) struct Columns {
    written: Vec<String>,
    keys: Vec<String>,
}

impl Columns {
    /// The header of `reader`; the inner error says why the file is not a CSV export.
    pub(crate) fn read<R: io::Read>(
        reader: &mut csv::Reader<R>,
    ) -> Result<Result<Self, String>, io::Error> {
        let header = match reader.byte_headers() {
            Ok(h) => h,
            Err(e) => return bad_record(e).map(Err),
        };
        let mut written = Vec::with_capacity(header.len());
        for (i, h) in header.iter().enumerate() {
            let h = if i == 0 {
                h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
            } else {
                h
            };
            let Ok(h) = std::str::from_utf8(h) else {
                return Ok(Err("not a CSV text file: the first line is not UTF-8 text (export it as CSV UTF-8)".to_owned()));
            };
            written.push(h.trim().to_owned());
        }
        if written.iter().all(String::is_empty) {
            return Ok(Err("the file is empty: no header line".to_owned()));
        }
        let keys = written.iter().map(|h| column_key(h)).collect();
        Ok(Ok(Self { written, keys }))
    }

    /// The first column named by one of `aliases` (compared as [`column_key`] writes them),
    /// the earlier alias winning.
    pub(crate) fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases
            .iter()
            .find_map(|a| self.keys.iter().position(|k| k == a))
    }

    pub(crate) fn len(&self) -> usize {
        self.written.len()
    }

    /// The header as a person reads it: `` `Name`, `Version` ``.
    pub(crate) fn listed(&self) -> String {
        let names: Vec<String> = self.written.iter().map(|h| format!("`{h}`")).collect();
        names.join(", ")
    }
}

/// A column name as compared: lower case, letters and digits only.
pub(crate) fn column_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a record could not be read, in words; a failure to read the file is the error.
pub(crate) fn bad_record(e: csv::Error) -> Result<String, io::Error> {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => Err(e),
        csv::ErrorKind::Utf8 { .. } => {
            Ok("not UTF-8 text: export the file as CSV UTF-8".to_owned())
        }
        // Reading raw records with `flexible` has no other failure; say something true anyway.
        _ => Ok("not a well-formed CSV record".to_owned()),
    }
}

/// Why a row of the wrong length is skipped.
pub(crate) fn wrong_length(len: usize, header: usize) -> String {
    format!(
        "has {len} fields where the header has {header}: the row is cut short or has an unquoted delimiter"
    )
}

/// The rep a user cell names: their Countersign name when [`Known::rep_for`] knows the
/// address or name, else the user as written.
pub(crate) fn rep_of(known: &Known, user: &str) -> Option<String> {
    let user = user.trim();
    if user.is_empty() {
        return None;
    }
    Some(known.rep_for(user, None).unwrap_or(user).to_owned())
}

/// An instant as CRM exports write it: ISO 8601, Salesforce's `2026-11-03T14:22:10.000+0000`,
/// a US report's `11/03/2026 14:22` or `11/3/2026 2:22 PM` (times without a zone are UTC),
/// HubSpot's epoch milliseconds; a date alone is its midnight UTC. `None` for anything else.
pub(crate) fn datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %I:%M:%S %p",
        "%b %d, %Y %I:%M %p",
        "%b %d, %Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    for f in ["%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
        }
    }
    if s.len() >= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_crm_exports_write_them() {
        let t = |s: &str| datetime(s).map(|t| t.to_rfc3339());
        let want = Some("2026-11-03T14:22:00+00:00".to_owned());
        assert_eq!(t("2026-11-03T14:22:00.000+0000"), want);
        assert_eq!(t("2026-11-03T15:22:00+01:00"), want);
        assert_eq!(t("11/03/2026 14:22"), want);
        assert_eq!(t("11/3/2026 2:22 PM"), want);
        assert_eq!(t("1793715720000"), want);
        assert_eq!(t("2026-13-45"), None);
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn column_names_are_compared_without_case_or_punctuation() {
        assert_eq!(column_key("Login Time"), "logintime");
        assert_eq!(column_key("login_time"), "logintime");
        assert_eq!(column_key("\u{feff}LoginTime"), "logintime");
    }

    #[test]
    fn integration_users_are_told_apart_from_people() {
        for u in [
            "integration@lumenfield.example",
            "api.user@x.example",
            "svc-sync@x.example",
            "zapier@x.example",
            "svcsync@x",
        ] {
            assert!(integration_user(u), "{u}");
        }
        for u in [
            "sam.okafor@lumenfield.example",
            "rapid.bob@x.example",
            "005Ho00000AbCdE",
        ] {
            assert!(!integration_user(u), "{u}");
        }
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_header_line() {
        assert_eq!(delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(delimiter(b"a;b;c\n"), b';');
        assert_eq!(delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(delimiter(b""), b',');
    }
}
