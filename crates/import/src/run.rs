//! One import: every file of a directory, in order, in batches, with a report.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use countersign_store::Store;
use countersign_store::crm_import::{ImportCounts, Record};
use serde::Serialize;

use crate::fields::Source;
use crate::mapping::Mapping;
use crate::read::{Problem, files_in, read_file, rep_name};

/// Records stored per statement.
const BATCH: usize = 2_000;
/// Problems kept for the report (all are counted).
const KEPT_PROBLEMS: usize = 1_000;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub source: String,
    pub files: Vec<FileReport>,
    /// Per kind: rows read, and rows new or changed.
    pub counts: BTreeMap<String, ImportCounts>,
    /// The first problems, each with file, line and column.
    pub problems: Vec<Problem>,
    pub problem_count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub kind: String,
    pub rows: u64,
}

impl Report {
    fn problem(&mut self, p: Problem) {
        self.problem_count += 1;
        if self.problems.len() < KEPT_PROBLEMS {
            self.problems.push(p);
        }
    }

    /// Rows new or changed, all kinds.
    pub fn written(&self) -> u64 {
        self.counts.values().map(|c| c.written).sum()
    }
}

/// Imports every export file in `dir`. A bad row is reported and skipped; a bad file is
/// reported and skipped; what was stored stays stored. `progress` hears each file's rows
/// as they are read. The import is audited at the end.
pub async fn import_dir(
    store: &Store,
    source: Source,
    dir: &Path,
    mapping: &Mapping,
    actor: &str,
    now: DateTime<Utc>,
    mut progress: impl FnMut(&str, u64),
) -> Result<Report, String> {
    let (files, skipped) = files_in(source, dir, mapping)?;
    let mut report = Report {
        source: source.as_str().to_owned(),
        ..Report::default()
    };
    for p in skipped {
        report.problem(p);
    }
    // CRM user id → rep name, filled by the user files, which are read first.
    let mut reps: HashMap<String, String> = HashMap::new();
    for file in &files {
        let name = file
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut rows = match read_file(file, mapping) {
            Ok(rows) => rows,
            Err(p) => {
                report.problem(p);
                continue;
            }
        };
        let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
        let kind = file.kind.as_str().to_owned();
        #[allow(
            clippy::while_let_on_iterator,
            reason = "the loop reads `rows.rows` between items"
        )]
        while let Some(item) = rows.next() {
            match item {
                Ok(mut record) => {
                    resolve_owner(&mut record, &mut reps, mapping);
                    batch.push(record);
                }
                Err(p) => report.problem(p),
            }
            if batch.len() == BATCH {
                flush(store, &mut batch, &mut report, &kind, now).await?;
                progress(&name, rows.rows);
            }
        }
        flush(store, &mut batch, &mut report, &kind, now).await?;
        progress(&name, rows.rows);
        report.files.push(FileReport {
            file: name,
            kind,
            rows: rows.rows,
        });
    }
    store
        .audit_import(
            source.as_str(),
            &report.counts,
            report.problem_count,
            actor,
            now,
        )
        .await
        .map_err(|e| format!("the import was stored but could not be audited: {e}"))?;
    Ok(report)
}

async fn flush(
    store: &Store,
    batch: &mut Vec<Record>,
    report: &mut Report,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    if batch.is_empty() {
        return Ok(());
    }
    let written = store.import_batch(batch, now).await.map_err(|e| {
        format!("storing {kind} records failed (what was stored before stays): {e}")
    })?;
    let c = report.counts.entry(kind.to_owned()).or_default();
    c.read += batch.len() as u64;
    c.written += written;
    batch.clear();
    Ok(())
}

/// Users are remembered by id; owners become rep names where the users (or the mapping)
/// say which rep an id is.
fn resolve_owner(record: &mut Record, reps: &mut HashMap<String, String>, mapping: &Mapping) {
    let rep_of = |reps: &HashMap<String, String>, id: &str| {
        mapping
            .owner(id)
            .map(str::to_owned)
            .or_else(|| reps.get(id).cloned())
    };
    match record {
        Record::User(u) => {
            u.rep = rep_name(u, mapping);
            if let Some(rep) = &u.rep {
                reps.insert(u.user_id.clone(), rep.clone());
            }
        }
        Record::Account(a) => {
            if let Some(rep) = a.owner.as_deref().and_then(|o| rep_of(reps, o)) {
                a.owner = Some(rep);
            }
        }
        Record::Opportunity(o) => {
            if let Some(rep) = o.owner.as_deref().and_then(|id| rep_of(reps, id)) {
                o.owner = Some(rep);
            }
        }
        _ => {}
    }
}
