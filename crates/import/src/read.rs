//! Reading one export file, a record at a time.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::fields::{FileKind, Source, fold};
use crate::mapping::Mapping;
use crate::value;
use crate::{Account, Activity, Contact, Opportunity, Record, StageChange, User};

/// A file to import and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    pub path: PathBuf,
    pub kind: FileKind,
}

/// Something wrong with a file or one of its rows; the row (or file) is skipped, the rest
/// is imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based; `None` for a problem with the whole file.
    pub line: Option<u64>,
    /// The column's header as the file writes it.
    pub column: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, " column `{column}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// The CSV files of `dir` and what each holds, in the order they must be read (users and
/// accounts before what refers to them). Files whose kind neither their name nor the
/// mapping says are returned as problems.
pub fn files_in(
    source: Source,
    dir: &Path,
    mapping: &Mapping,
) -> Result<(Vec<ImportFile>, Vec<Problem>), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if !name.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        match mapping
            .file_kind(&name)
            .or_else(|| FileKind::from_file_name(source, &name))
        {
            Some(kind) => files.push(ImportFile { path, kind }),
            None => skipped.push(Problem {
                file: name,
                line: None,
                column: None,
                problem: format!(
                    "not a {} export this import knows; name its kind in the mapping file's [files]",
                    source.as_str()
                ),
            }),
        }
    }
    files.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.path.cmp(&b.path)));
    Ok((files, skipped))
}

/// Which field each column feeds, and the rest as attributes.
struct Columns {
    headers: Vec<String>,
    /// Per column: the field it feeds, or `None` (an attribute, or ignored).
    field: Vec<Option<&'static str>>,
    ignored: Vec<bool>,
}

impl Columns {
    fn of(kind: FileKind, headers: Vec<String>, mapping: &Mapping) -> Self {
        let mut taken: Vec<&'static str> = Vec::new();
        let mut field = Vec::with_capacity(headers.len());
        let mut ignored = Vec::with_capacity(headers.len());
        for h in &headers {
            let mapped = mapping.column(kind, h);
            let f = match mapped {
                Some(Some(name)) => kind.fields().iter().map(|(f, _)| *f).find(|f| *f == name),
                Some(None) => None,
                None => kind
                    .fields()
                    .iter()
                    .find(|(_, aliases)| aliases.iter().any(|a| fold(a) == fold(h)))
                    .map(|(f, _)| *f),
            };
            // The first column for a field wins; a second one is kept as an attribute.
            let f = f.filter(|f| !taken.contains(f));
            if let Some(f) = f {
                taken.push(f);
            }
            ignored.push(matches!(mapped, Some(None)));
            field.push(f);
        }
        Self {
            headers,
            field,
            ignored,
        }
    }

    fn has(&self, f: &str) -> bool {
        self.field.contains(&Some(f))
    }
}

/// One row's cells by field, with the column each came from.
struct Row<'a> {
    cells: Vec<(&'static str, &'a str, &'a str)>,
    attributes: Map<String, Value>,
}

impl<'a> Row<'a> {
    fn get(&self, f: &str) -> Option<(&'a str, &'a str)> {
        self.cells
            .iter()
            .find(|(field, _, v)| *field == f && !v.trim().is_empty())
            .map(|(_, column, v)| (*column, v.trim()))
    }

    fn text(&self, f: &str) -> Option<String> {
        self.get(f).map(|(_, v)| v.to_owned())
    }

    /// A cell parsed by `parse`; a failure names the column.
    fn parsed<T>(
        &self,
        f: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, (String, String)> {
        match self.get(f) {
            None => Ok(None),
            Some((column, v)) => parse(v).map(Some).map_err(|e| (column.to_owned(), e)),
        }
    }
}

/// The records of one file, a row at a time: each good row's record, each bad row's
/// problem. Opening fails with the problem that stops the whole file (unreadable, not
/// UTF-8 in its header, a required column missing).
pub struct Rows {
    reader: csv::Reader<BufReader<File>>,
    columns: Columns,
    kind: FileKind,
    name: String,
    record: csv::ByteRecord,
    /// Rows read so far (good and bad).
    pub rows: u64,
    done: bool,
}

/// Opens `file` for reading its records.
pub fn read_file(file: &ImportFile, mapping: &Mapping) -> Result<Rows, Problem> {
    let name = file.path.file_name().map_or_else(
        || file.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let whole = |problem: String| Problem {
        file: name.clone(),
        line: None,
        column: None,
        problem,
    };
    let handle = File::open(&file.path).map_err(|e| whole(format!("cannot open: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, handle));
    let header = reader
        .byte_headers()
        .map_err(|e| whole(format!("cannot read the header line: {e}")))?
        .clone();
    let mut headers = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let h = if i == 0 {
            h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
        } else {
            h
        };
        let h = std::str::from_utf8(h).map_err(|_| Problem {
            line: Some(1),
            ..whole(
                "the header line is not UTF-8 text: export the file as UTF-8 (CSV UTF-8)"
                    .to_owned(),
            )
        })?;
        headers.push(h.trim().to_owned());
    }
    let columns = Columns::of(file.kind, headers, mapping);
    // History rows may come without an id of their own (one is derived from their content).
    let required: &[&str] = if file.kind == FileKind::History {
        &["opportunity", "at"]
    } else {
        &["id"]
    };
    for f in required {
        if !columns.has(f) {
            let aliases = file
                .kind
                .fields()
                .iter()
                .find(|(field, _)| field == f)
                .map(|(_, a)| a.join("`, `"))
                .unwrap_or_default();
            return Err(whole(format!(
                "no `{f}` column: a {} file needs one of `{aliases}` (or map a column to `{f}` in the mapping file)",
                file.kind.as_str()
            )));
        }
    }
    Ok(Rows {
        reader,
        columns,
        kind: file.kind,
        name,
        record: csv::ByteRecord::new(),
        rows: 0,
        done: false,
    })
}

impl Iterator for Rows {
    type Item = Result<Record, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                return None;
            }
            Ok(true) => {}
            Err(e) => {
                // A broken quote can swallow the rest: stop this file, keep what was read.
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    self.done = true;
                }
                return Some(Err(Problem {
                    file: self.name.clone(),
                    line: e.position().map(csv::Position::line),
                    column: None,
                    problem: format!("not CSV: {e}"),
                }));
            }
        }
        self.rows += 1;
        let line = self.record.position().map_or(0, csv::Position::line);
        let problem = |column: Option<String>, problem: String| Problem {
            file: self.name.clone(),
            line: Some(line),
            column,
            problem,
        };
        // Every cell as text, or the row is refused naming the first cell that is not.
        let mut texts = Vec::with_capacity(self.record.len());
        for (i, cell) in self.record.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(t) => texts.push(t),
                Err(_) => {
                    return Some(Err(problem(
                        self.columns.headers.get(i).cloned(),
                        "is not UTF-8 text: export the file as UTF-8 (CSV UTF-8)".to_owned(),
                    )));
                }
            }
        }
        let mut row = Row {
            cells: Vec::with_capacity(texts.len()),
            attributes: Map::new(),
        };
        for (i, text) in texts.iter().enumerate() {
            let Some(header) = self.columns.headers.get(i) else {
                continue;
            };
            match self.columns.field[i] {
                Some(f) => row.cells.push((f, header.as_str(), text)),
                None if !self.columns.ignored[i] && !text.trim().is_empty() => {
                    row.attributes
                        .insert(header.clone(), Value::String(text.trim().to_owned()));
                }
                None => {}
            }
        }
        Some(build(self.kind, &row).map_err(|(column, why)| problem(column, why)))
    }
}

type Built = Result<Record, (Option<String>, String)>;

/// The record a row makes; a bad cell names its column.
fn build(kind: FileKind, row: &Row<'_>) -> Built {
    let at = |e: (String, String)| (Some(e.0), e.1);
    let id = |f: &str| {
        row.text(f)
            .ok_or_else(|| (None, format!("no {f}: every row needs its CRM id")))
    };
    let name = || {
        row.text("name").or_else(|| {
            let full = [row.text("first_name"), row.text("last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!full.is_empty()).then_some(full)
        })
    };
    // HubSpot lists several associated ids in one cell: the first is taken.
    let first_id = |f: &str| {
        row.text(f).and_then(|v| {
            v.split([';', ','])
                .map(str::trim)
                .find(|s| !s.is_empty())
                .map(str::to_owned)
        })
    };
    Ok(match kind {
        FileKind::User => Record::User(User {
            user_id: id("id")?,
            name: name(),
            email: row.text("email"),
            rep: None,
        }),
        FileKind::Account => Record::Account(Account {
            account_id: id("id")?,
            name: row.text("name"),
            domain: row.text("domain"),
            owner: row.text("owner"),
            attributes: row.attributes.clone(),
        }),
        FileKind::Contact => Record::Contact(Contact {
            contact_id: id("id")?,
            account_id: first_id("account"),
            name: name(),
            email: row.text("email"),
            title: row.text("title"),
            attributes: row.attributes.clone(),
        }),
        FileKind::Opportunity => Record::Opportunity(Opportunity {
            opportunity_id: id("id")?,
            account_id: first_id("account"),
            name: row.text("name"),
            stage: row.text("stage"),
            amount: row.parsed("amount", value::amount).map_err(at)?,
            close_date: row.parsed("close_date", value::date).map_err(at)?,
            owner: row.text("owner"),
            next_step: row.text("next_step"),
            last_activity: row.parsed("last_activity", value::date).map_err(at)?,
            next_activity: row.parsed("next_activity", value::date).map_err(at)?,
            is_closed: row.parsed("is_closed", value::flag).map_err(at)?,
            is_won: row.parsed("is_won", value::flag).map_err(at)?,
            probability: row.parsed("probability", value::number).map_err(at)?,
            forecast_category: row.text("forecast_category"),
            pipeline: row.text("pipeline"),
            created_at: row.parsed("created", value::datetime).map_err(at)?,
            modified_at: row.parsed("modified", value::datetime).map_err(at)?,
            attributes: row.attributes.clone(),
        }),
        FileKind::History => {
            let opportunity_id = id("opportunity")?;
            let when = row
                .parsed("at", value::datetime)
                .map_err(at)?
                .ok_or_else(|| {
                    (
                        None,
                        "no date: a history row needs when it happened".to_owned(),
                    )
                })?;
            Record::StageChange(StageChange {
                history_id: row
                    .text("id")
                    .unwrap_or_else(|| format!("{opportunity_id}@{}", when.timestamp_micros())),
                opportunity_id,
                at: when,
                stage: row.text("stage"),
                amount: row.parsed("amount", value::amount).map_err(at)?,
                close_date: row.parsed("close_date", value::date).map_err(at)?,
            })
        }
        FileKind::Task | FileKind::Event | FileKind::Activity => {
            let raw_type = row.text("type").unwrap_or_default().to_ascii_lowercase();
            let activity_kind = match (kind, raw_type.as_str()) {
                (_, t) if t.contains("email") => "email",
                (_, t) if t.contains("call") => "call",
                (_, t) if t.contains("meeting") => "meeting",
                (_, t) if t.contains("note") => "note",
                (FileKind::Event, _) => "event",
                _ => "task",
            };
            let direction = match (row.text("direction"), raw_type.as_str()) {
                (Some(d), _)
                    if d.to_ascii_lowercase().contains("incoming")
                        || d.eq_ignore_ascii_case("inbound") =>
                {
                    Some("inbound")
                }
                (Some(_), _) => Some("outbound"),
                // HubSpot logs the rep's e-mails as EMAIL and the buyer's as INCOMING_EMAIL.
                (None, "incoming_email") => Some("inbound"),
                (None, "email") if kind == FileKind::Activity => Some("outbound"),
                // Salesforce's e-mail capture marks the subject: "← Email: …" received,
                // "→ Email: …" sent. Without the mark the direction stays unknown.
                (None, _) => match row.text("subject").as_deref().map(str::trim_start) {
                    Some(s) if s.starts_with('←') => Some("inbound"),
                    Some(s) if s.starts_with('→') => Some("outbound"),
                    _ => None,
                },
            };
            Record::Activity(Activity {
                activity_id: id("id")?,
                kind: activity_kind.to_owned(),
                what_id: first_id("what"),
                who_id: first_id("who"),
                at: row.parsed("at", value::datetime).map_err(at)?,
                subject: row.text("subject"),
                status: row.text("status"),
                direction: direction.map(str::to_owned),
            })
        }
    })
}

/// The rep name for a CRM user: the mapping's, else the local part of their address
/// (`sam.okafor@lumenfield.example` → `sam.okafor`), lower-cased.
pub fn rep_name(user: &User, mapping: &Mapping) -> Option<String> {
    if let Some(mapped) = mapping.owner(&user.user_id) {
        return Some(mapped.to_owned());
    }
    let email = user.email.as_deref()?;
    let local = email.split('@').next()?.trim().to_ascii_lowercase();
    (!local.is_empty()).then_some(local)
}
