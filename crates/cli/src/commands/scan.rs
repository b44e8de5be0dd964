//! `countersign scan`: shadow-AI discovery. Sent mail (mbox, EML files, Maildir), CRM login
//! and connected-app exports, and browser extension inventories are read against the
//! signature file, with the server's own sightings of unknown keys; the report is stored
//! (the inbox's Shadow AI page shows it) and audited.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use countersign_engine::Gate;
use countersign_scan::run::{self, Inputs};
use countersign_scan::{Report, Signatures};
use countersign_store::StoreOptions;

use crate::Outcome;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A table for people.
    Human,
    /// One finding per line, for machines.
    Json,
    /// A printable page.
    Html,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Sent mail as an mbox file (streamed; may be given more than once).
    #[arg(long)]
    pub mbox: Vec<PathBuf>,
    /// A directory of `.eml` files.
    #[arg(long)]
    pub eml: Vec<PathBuf>,
    /// A Maildir (its `cur` and `new`).
    #[arg(long)]
    pub maildir: Vec<PathBuf>,
    /// A CRM login or connected-app export (Salesforce LoginHistory, HubSpot apps), CSV.
    #[arg(long)]
    pub crm_logins: Vec<PathBuf>,
    /// A browser extension inventory (Chrome Enterprise / Google Admin), CSV or JSON.
    #[arg(long)]
    pub extensions: Vec<PathBuf>,
    /// Another signature file instead of the shipped one (`policies/default/signatures.toml`).
    #[arg(long)]
    pub signatures: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: ScanArgs) -> anyhow::Result<Outcome> {
    database::block_on(scan(args))?
}

async fn scan(args: ScanArgs) -> anyhow::Result<Outcome> {
    let signatures = match &args.signatures {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--signatures {}", p.display()))?;
            Signatures::parse(&p.display().to_string(), &text)?
        }
        None => Signatures::shipped(),
    };
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, crate::commands::check::Format::Human),
    };
    // What the gate would have held is judged by the policy in force.
    let policy = database::active_policy(&store).await?;
    let inputs = Inputs {
        mbox: args.mbox,
        eml_dirs: args.eml,
        maildirs: args.maildir,
        crm_logins: args.crm_logins,
        extensions: args.extensions,
    };
    let report = run::scan(
        &store,
        &inputs,
        &signatures,
        &Gate::new(),
        &policy,
        &database::actor(),
        database::now(),
    )
    .await?;
    store.close().await;
    print(&report, args.format)?;
    Ok(Outcome::Success)
}

fn print(report: &Report, format: ScanFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        ScanFormat::Json => {
            for row in &report.rows {
                writeln!(out, "{}", serde_json::to_string(row)?)?;
            }
        }
        ScanFormat::Html => {
            let json = serde_json::to_value(report)?;
            write!(
                out,
                "{}",
                countersign_server::inbox::shadow::report_html(&json)
                    .map_err(anyhow::Error::msg)?
            )?;
        }
        ScanFormat::Human => {
            let read: Vec<String> = report
                .read
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            writeln!(
                out,
                "Read {} (signatures {}).",
                if read.is_empty() {
                    "no input".to_owned()
                } else {
                    read.join(", ")
                },
                report.signatures_version
            )?;
            if report.rows.is_empty() {
                writeln!(out, "Nothing found.")?;
            }
            for r in &report.rows {
                writeln!(
                    out,
                    "\n{} — {} — {} × {}",
                    r.kind.as_str().replace('_', " "),
                    r.rep.as_deref().unwrap_or("no rep"),
                    r.count,
                    r.tool.as_deref().unwrap_or("-"),
                )?;
                if let (Some(a), Some(b)) = (r.first_seen, r.last_seen) {
                    writeln!(out, "  seen {} – {}", a.date_naive(), b.date_naive())?;
                }
                for e in &r.evidence {
                    writeln!(out, "  · {e}")?;
                }
                if !r.touched.is_empty() {
                    let t: Vec<String> = r
                        .touched
                        .iter()
                        .map(|(k, n)| format!("{k} ({n})"))
                        .collect();
                    writeln!(out, "  would have been held: {}", t.join(", "))?;
                }
                writeln!(out, "  → {}", r.recommendation)?;
            }
        }
    }
    Ok(())
}
