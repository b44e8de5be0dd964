//! `countersign propose`: decide actions from JSON Lines like `check`, and store them.
//!
//! Lines are read exactly as `check` reads them (`crate::input`), but a line's `context`
//! is ignored: the store assembles the context from what it knows. Each stored action is
//! answered with its decision plus `action_id`, `status`, `audit_seq` and `replayed`. A
//! line that cannot be stored gives `{"line": N, "error": "…"}`, the other lines are still
//! proposed, and the exit code is 1 at the end.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use countersign_engine::DecisionRecord;
use countersign_store::{ActionStatus, Proposal, StoreOptions};
use serde::Serialize;
use serde_json::Value;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};
use crate::input::{self, Parsed};

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// JSON Lines file of actions; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    /// The proposing tool's API key (from `countersign tools add`).
    #[arg(long, env = "COUNTERSIGN_TOOL_KEY", hide_env_values = true)]
    pub tool_key: String,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// Whether the line named an id for the action (otherwise `input` numbered it).
fn has_own_id(value: Option<&Value>) -> bool {
    let Some(v) = value else { return false };
    v.get("id").is_some_and(|id| !id.is_null())
        || v.get("action")
            .and_then(|a| a.get("id"))
            .is_some_and(|id| !id.is_null())
}

/// The decision line: the `check` fields plus the store's.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    decision: &'a DecisionRecord,
    action_id: &'a str,
    status: ActionStatus,
    audit_seq: i64,
    replayed: bool,
}

fn answer(p: &Proposal) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&Answer {
        decision: &p.decision,
        action_id: &p.action_id,
        status: p.status,
        audit_seq: p.audit_seq,
        replayed: p.replayed,
    })?)
}

pub fn run(args: ProposeArgs) -> anyhow::Result<Outcome> {
    database::block_on(propose(args))?
}

async fn propose(args: ProposeArgs) -> anyhow::Result<Outcome> {
    let reader: Box<dyn BufRead> = match &args.file {
        None => Box::new(BufReader::new(io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => Box::new(BufReader::new(io::stdin().lock())),
        Some(p) => Box::new(BufReader::new(
            File::open(p).with_context(|| format!("failed to open {}", p.display()))?,
        )),
    };
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let policy = database::policy(&store, args.policy.as_deref()).await?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut errors = 0usize;
    for line in input::read_lines(reader) {
        let line = line.context("failed to read input")?;
        let problem = match line.parsed {
            Parsed::Action(pair) => {
                let (mut action, _ignored_context) = *pair;
                if !has_own_id(line.value.as_ref()) {
                    action.id.clear();
                }
                match store
                    .propose(action, &args.tool_key, &policy, database::now())
                    .await
                {
                    Ok(p) => {
                        match args.format {
                            Format::Json => writeln!(out, "{}", answer(&p)?)?,
                            Format::Human => {
                                let roles: Vec<&str> =
                                    p.decision.roles.iter().map(String::as_str).collect();
                                writeln!(
                                    out,
                                    "line {}: {} {} ({}){}{}",
                                    line.number,
                                    p.action_id,
                                    p.status,
                                    p.decision.decision,
                                    if roles.is_empty() {
                                        String::new()
                                    } else {
                                        format!(", needs {}", roles.join(" + "))
                                    },
                                    if p.replayed { ", replayed" } else { "" }
                                )?;
                                for reason in p.decision.causes() {
                                    writeln!(out, "    {reason}")?;
                                }
                            }
                        }
                        continue;
                    }
                    // A refused or invalid line is that line's problem; a broken database
                    // stops the run.
                    Err(e)
                        if e.is_refusal()
                            || matches!(e, countersign_store::StoreError::Invalid { .. }) =>
                    {
                        e.to_string()
                    }
                    Err(e) => {
                        return Err(database::flat(e))
                            .context(format!("failed to store line {}", line.number));
                    }
                }
            }
            Parsed::Unreadable(failure) => failure.to_string(),
            Parsed::Malformed(problem) => problem,
        };
        errors += 1;
        match args.format {
            Format::Json => writeln!(
                out,
                "{}",
                serde_json::json!({"line": line.number, "error": problem})
            )?,
            Format::Human => eprintln!("line {}: {problem}", line.number),
        }
    }
    out.flush()?;
    store.close().await;
    if errors > 0 {
        eprintln!("{errors} line(s) could not be proposed");
        return Ok(Outcome::Problems);
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_the_line_gave_are_kept() {
        assert!(has_own_id(Some(
            &serde_json::json!({"id": "a-1", "kind": "x"})
        )));
        assert!(has_own_id(Some(&serde_json::json!({"action": {"id": 7}}))));
        assert!(!has_own_id(Some(&serde_json::json!({"text": "hi"}))));
        assert!(!has_own_id(None));
    }
}
