//! `countersign context OPPORTUNITY_ID`: a deal's context, as a rep reads it.

use std::io::Write;

use clap::Args;
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct ContextArgs {
    /// The CRM's id of the opportunity.
    pub opportunity_id: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: ContextArgs) -> anyhow::Result<Outcome> {
    database::block_on(go(args))?
}

async fn go(args: ContextArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let found = store.deal_context(&args.opportunity_id).await?;
    store.close().await;
    let Some(ctx) = found else {
        anyhow::bail!("opportunity `{}` not found", args.opportunity_id);
    };
    let summary = ctx.summary(database::now().date_naive());
    let mut out = std::io::stdout().lock();
    if args.format == Format::Json {
        writeln!(
            out,
            "{}",
            serde_json::json!({"summary": summary, "facts": ctx})
        )?;
        return Ok(Outcome::Success);
    }
    writeln!(out, "{summary}\n")?;
    writeln!(out, "Buying committee:")?;
    for m in &ctx.committee {
        writeln!(
            out,
            "  {} — {}{}{}  [{}]",
            m.name.as_deref().unwrap_or("unnamed"),
            m.title.as_deref().unwrap_or("no title"),
            if m.executive { ", executive" } else { "" },
            m.last_touch
                .map_or(", never took part".to_owned(), |t| format!(
                    ", last touch {}",
                    t.date_naive()
                )),
            m.contact_id
        )?;
    }
    if !ctx.moves.is_empty() {
        writeln!(out, "How it moved:")?;
        for m in &ctx.moves {
            writeln!(
                out,
                "  {}  {} · {} · closes {}  [{}]",
                m.at.date_naive(),
                m.stage.as_deref().unwrap_or("-"),
                m.amount.map_or("-".to_owned(), |a| format!("{a:.0}")),
                m.close_date.map_or("-".to_owned(), |d| d.to_string()),
                m.history_id
            )?;
        }
    }
    if !ctx.awaiting_answer.is_empty() {
        writeln!(out, "Waiting for our answer:")?;
        for t in &ctx.awaiting_answer {
            writeln!(
                out,
                "  {}  {}  [{}]",
                t.at.map_or("-".to_owned(), |d| d.date_naive().to_string()),
                t.subject.as_deref().unwrap_or("no subject"),
                t.activity_id
            )?;
        }
    }
    if !ctx.recent.is_empty() {
        writeln!(out, "Last touches:")?;
        for t in &ctx.recent {
            writeln!(
                out,
                "  {}  {}{}: {}  [{}]",
                t.at.map_or("-".to_owned(), |d| d.date_naive().to_string()),
                t.kind,
                t.direction
                    .as_deref()
                    .map_or(String::new(), |d| format!(" ({d})")),
                t.subject.as_deref().unwrap_or("no subject"),
                t.activity_id
            )?;
        }
    }
    for a in &ctx.past_actions {
        if !a.held_for.is_empty() || a.rejection_reason.is_some() || !a.commitments.is_empty() {
            writeln!(
                out,
                "Earlier {} {} ({}): {}{}  [{}]",
                a.kind,
                a.status,
                a.created_at.date_naive(),
                a.held_for.join("; "),
                a.rejection_reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(" — rejected: {r}")),
                a.action_id
            )?;
        }
    }
    Ok(Outcome::Success)
}
