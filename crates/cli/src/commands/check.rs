//! `countersign check`: decide actions from JSON Lines (DESIGN §6).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use countersign_engine::DecisionRecord;

use crate::Outcome;
use crate::input::{self, Parsed};
use crate::policy_files;
use crate::timeout::TimedGate;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Human,
    /// One JSON object per line, for machines.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// JSON Lines file of actions; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Hold an action whose decision takes longer than this (fail closed).
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

pub fn run(args: CheckArgs) -> anyhow::Result<Outcome> {
    let policy = policy_files::load(args.policy.as_deref())?;
    let reader: Box<dyn BufRead> = match &args.file {
        None => Box::new(BufReader::new(io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => Box::new(BufReader::new(io::stdin().lock())),
        Some(p) => Box::new(BufReader::new(
            File::open(p).with_context(|| format!("failed to open {}", p.display()))?,
        )),
    };
    let mut gate = TimedGate::new(policy, Duration::from_millis(args.timeout_ms));
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut errors = 0usize;
    let mut rows = Vec::new();
    for line in input::read_lines(reader) {
        let line = line.context("failed to read input")?;
        let record = match line.parsed {
            Parsed::Action(pair) => {
                let (action, ctx) = *pair;
                gate.decide(action, ctx)
            }
            Parsed::Unreadable(failure) => DecisionRecord::fail_closed(
                &line.number.to_string(),
                &gate.policy().version,
                &failure,
            ),
            Parsed::Malformed(problem) => {
                errors += 1;
                match args.format {
                    Format::Json => writeln!(
                        out,
                        "{}",
                        serde_json::json!({"line": line.number, "error": problem})
                    )?,
                    Format::Human => eprintln!("line {}: {problem}", line.number),
                }
                continue;
            }
        };
        match args.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(&record)?)?,
            Format::Human => rows.push(record),
        }
    }
    if args.format == Format::Human {
        print_table(&mut out, &rows)?;
    }
    out.flush()?;
    if errors > 0 {
        eprintln!("{errors} line(s) could not be decided");
        return Ok(Outcome::Problems);
    }
    Ok(Outcome::Success)
}

/// A readable table: one row per decision, its findings and reasons indented below.
pub fn print_table(out: &mut impl Write, records: &[DecisionRecord]) -> io::Result<()> {
    writeln!(
        out,
        "{:<14} {:<10} {:<17} roles",
        "action", "decision", "tier"
    )?;
    writeln!(out, "{}", "-".repeat(72))?;
    for r in records {
        let roles: Vec<&str> = r.roles.iter().map(String::as_str).collect();
        writeln!(
            out,
            "{:<14} {:<10} {:<17} {}",
            truncate(&r.id, 14),
            r.decision.as_str(),
            r.tier.as_str(),
            if roles.is_empty() {
                "-".to_owned()
            } else {
                roles.join(", ")
            }
        )?;
        for f in &r.findings {
            writeln!(
                out,
                "    finding  {}/{} \"{}\" ({}, {:.2})",
                f.category,
                f.subtopic,
                truncate(&f.evidence, 48),
                f.rule,
                f.confidence
            )?;
        }
        for reason in r.causes() {
            writeln!(out, "    reason   {}", truncate(&reason.to_string(), 110))?;
        }
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.replace('\n', " ");
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.replace('\n', " "))
}
