//! `countersign import salesforce|hubspot DIR`: a CRM's export into the store.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use countersign_import::{Mapping, Report, Source, import_dir};
use countersign_store::StoreOptions;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Crm {
    /// A Data Export (Account.csv, Contact.csv, Opportunity.csv, OpportunityHistory.csv,
    /// Task.csv, Event.csv, User.csv) or report exports.
    Salesforce,
    /// The deals, companies, contacts and activities exports.
    Hubspot,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Which CRM wrote the files.
    #[arg(value_enum)]
    pub crm: Crm,
    /// The directory holding the export's CSV files.
    pub dir: PathBuf,
    /// A TOML file naming files' kinds, mapping columns to fields and CRM owners to reps.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub fn run(args: ImportArgs) -> anyhow::Result<Outcome> {
    database::block_on(import(args))?
}

async fn import(args: ImportArgs) -> anyhow::Result<Outcome> {
    let mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--mapping {}", path.display()))?;
            Mapping::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Mapping::default(),
    };
    let store = match database::open(&args.db, StoreOptions::default()).await {
        Ok(s) => s,
        Err(e) => return database::refused(e, args.format),
    };
    let source = match args.crm {
        Crm::Salesforce => Source::Salesforce,
        Crm::Hubspot => Source::Hubspot,
    };
    // A spinner per file on a terminal; nothing when piped.
    let bar = if std::io::stderr().is_terminal() && args.format == Format::Human {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}: {pos} rows ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = import_dir(
        &store,
        source,
        &args.dir,
        &mapping,
        &database::actor(),
        database::now(),
        |file, rows| {
            bar.set_message(file.to_owned());
            bar.set_position(rows);
        },
    )
    .await
    .map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    store.close().await;
    print(&report, args.format)?;
    Ok(if report.problem_count > 0 {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

fn print(report: &Report, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        writeln!(out, "{}", serde_json::to_string(report)?)?;
        return Ok(());
    }
    writeln!(out, "Imported a {} export:", report.source)?;
    for f in &report.files {
        writeln!(out, "  {:<40} {:>9} rows ({})", f.file, f.rows, f.kind)?;
    }
    for (kind, c) in &report.counts {
        writeln!(
            out,
            "  {kind}: {} read, {} new or changed",
            c.read, c.written
        )?;
    }
    if report.problem_count > 0 {
        writeln!(
            out,
            "{} rows or files refused (the rest was imported):",
            report.problem_count
        )?;
        for p in report.problems.iter().take(50) {
            writeln!(out, "  {p}")?;
        }
        if report.problem_count > 50 {
            writeln!(
                out,
                "  … and {} more (--format json lists up to 1,000)",
                report.problem_count - 50
            )?;
        }
    }
    Ok(())
}
