//! `countersign triage`: open opportunities ranked by how much they need a human now.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use countersign_engine::triage::{Triaged, triage};
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriageFormat {
    Human,
    /// One JSON object per opportunity and line.
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct TriageArgs {
    /// Only this rep's opportunities.
    #[arg(long)]
    pub owner: Option<String>,
    /// At most this many opportunities.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Policy directory for the `[triage]` limits (default: the database's active policy,
    /// else the built-in one).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = TriageFormat::Human)]
    pub format: TriageFormat,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: TriageArgs) -> anyhow::Result<Outcome> {
    database::block_on(go(args))?
}

async fn go(args: TriageArgs) -> anyhow::Result<Outcome> {
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => {
            let format = if args.format == TriageFormat::Json {
                crate::commands::check::Format::Json
            } else {
                crate::commands::check::Format::Human
            };
            return database::refused(e, format);
        }
    };
    let policy = match &args.policy {
        Some(dir) => database::policy(&store, Some(dir)).await?,
        None => database::active_policy(&store).await?,
    };
    let now = database::now();
    let facts = store
        .triage_facts(args.owner.as_deref(), now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let open = facts.len();
    let mut ranked = triage(facts, &policy.config.triage, now.date_naive());
    ranked.truncate(args.limit);
    store.close().await;
    print(&ranked, open, args.format)?;
    Ok(Outcome::Success)
}

fn print(ranked: &[Triaged], open: usize, format: TriageFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        TriageFormat::Json => {
            for t in ranked {
                writeln!(out, "{}", countersign_server::service::triage::json(t))?;
            }
        }
        TriageFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "opportunity_id",
                "account",
                "owner",
                "stage",
                "amount",
                "score",
                "reasons",
                "explanation",
                "suggested_action",
            ])?;
            for t in ranked {
                let f = &t.facts;
                w.write_record([
                    f.opportunity_id.clone(),
                    f.account.clone().unwrap_or_default(),
                    f.owner.clone().unwrap_or_default(),
                    f.stage.clone().unwrap_or_default(),
                    f.amount.map(|a| format!("{a:.0}")).unwrap_or_default(),
                    format!("{:.1}", t.score),
                    t.reasons
                        .iter()
                        .map(|r| r.code)
                        .collect::<Vec<_>>()
                        .join(" "),
                    t.reasons
                        .iter()
                        .map(|r| r.words.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                    t.suggested_action.unwrap_or_default().to_owned(),
                ])?;
            }
            w.flush()?;
        }
        TriageFormat::Human => {
            writeln!(
                out,
                "{} of {open} open opportunities need a human now, most urgent first:",
                ranked.len()
            )?;
            for (i, t) in ranked.iter().enumerate() {
                let f = &t.facts;
                writeln!(
                    out,
                    "{:>3}. {} — {} ({}, {}, {}) score {:.1}",
                    i + 1,
                    f.name.as_deref().unwrap_or(&f.opportunity_id),
                    f.account.as_deref().unwrap_or("no account"),
                    f.stage.as_deref().unwrap_or("no stage"),
                    f.amount
                        .map_or("no amount".to_owned(), |a| format!("{a:.0}")),
                    f.owner.as_deref().unwrap_or("no owner"),
                    t.score
                )?;
                for r in &t.reasons {
                    writeln!(out, "       {}: {}", r.code, r.words)?;
                }
                if let Some(s) = t.suggested_action {
                    writeln!(out, "       → {s}")?;
                }
            }
        }
    }
    Ok(())
}
