//! `countersign knowledge add|list|show`: the approved answers sellers may give. Each entry
//! is a Markdown file with front matter (topic, owner role, approved by, valid until);
//! claims in proposed messages are checked against the entries valid that day, and the
//! assistant's drafts quote them.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use countersign_engine::knowledge;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Subcommand)]
pub enum KnowledgeCommand {
    /// Add or update entries: Markdown files, or folders of them (`*.md`). The id is the
    /// front matter's `id`, else the file name without `.md`. A file already stored
    /// unchanged changes nothing.
    Add {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Every entry, with whether it is valid today.
    List {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// One entry's file as stored.
    Show {
        id: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

pub fn run(command: KnowledgeCommand) -> anyhow::Result<Outcome> {
    database::block_on(go(command))?
}

async fn go(command: KnowledgeCommand) -> anyhow::Result<Outcome> {
    let db = match &command {
        KnowledgeCommand::Add { db, .. }
        | KnowledgeCommand::List { db, .. }
        | KnowledgeCommand::Show { db, .. } => db,
    };
    let store = match database::open(db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, Format::Human),
    };
    let mut out = std::io::stdout().lock();
    let today = database::now().date_naive();
    let outcome = match command {
        KnowledgeCommand::Add { paths, .. } => {
            let mut files = Vec::new();
            for p in &paths {
                markdown_files(p, &mut files)?;
            }
            let mut failed = 0;
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("failed to read {}", file.display()))?;
                let stem = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                match knowledge::parse(stem, &text) {
                    Ok(entry) => {
                        let w = store
                            .put_knowledge(&entry, &text, &database::actor(), database::now())
                            .await?;
                        let what = if !w.changed {
                            "unchanged"
                        } else if w.revision == 1 {
                            "added"
                        } else {
                            "updated"
                        };
                        let expired = if entry.valid_on(today) {
                            ""
                        } else {
                            " (expired: not used)"
                        };
                        writeln!(
                            out,
                            "{}: {what}, revision {}{expired}",
                            entry.id, w.revision
                        )?;
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}: {e}", file.display());
                    }
                }
            }
            if failed > 0 {
                Outcome::Problems
            } else {
                Outcome::Success
            }
        }
        KnowledgeCommand::List { format, .. } => {
            for s in store.knowledge().await? {
                let e = &s.entry;
                if format == Format::Json {
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({
                            "id": e.id, "title": e.title, "topic": e.topic, "owner": e.owner,
                            "approved_by": e.approved_by, "valid_until": e.valid_until,
                            "valid": e.valid_on(today), "revision": s.revision,
                        })
                    )?;
                } else {
                    writeln!(
                        out,
                        "{:<24} {:<15} {} — owner {}, approved by {}, {} {}",
                        e.id,
                        e.topic,
                        e.title,
                        e.owner,
                        e.approved_by,
                        if e.valid_on(today) {
                            "valid until"
                        } else {
                            "EXPIRED"
                        },
                        e.valid_until
                    )?;
                }
            }
            Outcome::Success
        }
        KnowledgeCommand::Show { id, .. } => match store.knowledge_entry(&id).await? {
            Some(s) => {
                write!(out, "{}", s.source_text)?;
                Outcome::Success
            }
            None => anyhow::bail!("knowledge entry `{id}` not found"),
        },
    };
    store.close().await;
    Ok(outcome)
}

/// `path` itself, or the `*.md` files of a folder, sorted.
fn markdown_files(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !path.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("failed to read {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("md"))
        .collect();
    found.sort();
    out.extend(found);
    Ok(())
}
