//! `countersign show ACTION_ID`: everything stored about one action.

use std::io::{self, Write};

use clap::Args;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The action's id (`act_…`).
    pub action_id: String,
    /// `json`: the whole record as one JSON object.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: ShowArgs) -> anyhow::Result<Outcome> {
    database::block_on(show(args))?
}

async fn show(args: ShowArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let view = match store.show(&args.action_id, database::now()).await {
        Ok(v) => v,
        Err(e) => return database::refused(e, args.format),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string(&view)?)?,
        Format::Human => {
            writeln!(out, "action   {} ({})", view.action_id, view.kind)?;
            writeln!(out, "status   {}", view.status)?;
            writeln!(
                out,
                "tool     {}   on behalf of {}",
                view.tool.as_deref().unwrap_or("-"),
                view.on_behalf_of.as_deref().unwrap_or("-")
            )?;
            if let Some(to) = &view.recipient_email {
                writeln!(out, "to       {to}")?;
            }
            if !view.missing_roles.is_empty() {
                let missing: Vec<&str> = view.missing_roles.iter().map(String::as_str).collect();
                writeln!(out, "missing  {}", missing.join(", "))?;
            }
            for r in &view.revisions {
                let roles: Vec<&str> = r.required_roles.iter().map(String::as_str).collect();
                writeln!(
                    out,
                    "revision {} by {} at {}: {} ({}), needs {}",
                    r.number,
                    r.author,
                    r.created_at.format("%Y-%m-%d %H:%M"),
                    r.decision.decision,
                    r.decision.tier,
                    if roles.is_empty() {
                        "-".to_owned()
                    } else {
                        roles.join(" + ")
                    }
                )?;
                for reason in r.decision.causes() {
                    writeln!(out, "    {reason}")?;
                }
            }
            for a in &view.approvals {
                let roles: Vec<&str> = a.roles.iter().map(String::as_str).collect();
                writeln!(
                    out,
                    "approval by {} of revision {} ({}){}",
                    a.reviewer,
                    a.revision,
                    roles.join(", "),
                    if a.counts { "" } else { ", no longer counts" }
                )?;
            }
            if let (Some(by), Some(why)) = (&view.rejected_by, &view.rejection_reason) {
                writeln!(out, "rejected by {by}: {why}")?;
            }
            if let Some(o) = &view.outbox {
                writeln!(
                    out,
                    "outbox   {} after {} attempt(s), next {}{}",
                    o.status,
                    o.attempts,
                    o.next_attempt_at.format("%Y-%m-%d %H:%M UTC"),
                    o.last_error
                        .as_ref()
                        .map(|e| format!(", last error: {e}"))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    out.flush()?;
    store.close().await;
    Ok(Outcome::Success)
}
