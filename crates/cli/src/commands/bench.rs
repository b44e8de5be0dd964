//! `countersign bench`: decisions per second on one core, with per-e-mail latency, over a
//! JSON Lines corpus (such as `../shared/bench/corpus.jsonl`), plus how many of each
//! record's `planted` personal-data kinds were found, so speed never hides misses.
//!
//! Every decision runs the full pipeline: all detectors, the TOML policy, data classes and
//! the Cedar check that the proposing tool may propose the action kind.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Subcommand};
use countersign_engine::context::{Context, ToolGrant};
use countersign_engine::policy::{Principal, ProposalFacts, Verb};
use countersign_engine::{Action, Category, Gate};
use serde_json::{Value, json};

use crate::Outcome;
use crate::commands::check::Format;
use crate::input::{self, Parsed};
use crate::policy_files;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// What to measure instead of the engine alone.
    #[command(subcommand)]
    pub mode: Option<BenchMode>,
    /// JSON Lines corpus: {"id", "text", "planted": ["email", "phone", …]}.
    #[arg(long, default_value = "../shared/bench/corpus.jsonl")]
    pub data: PathBuf,
    /// Passes over the corpus (after one warm-up pass).
    #[arg(long, default_value_t = 5)]
    pub passes: usize,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

/// Benchmarks beyond the engine.
#[derive(Debug, Subcommand)]
pub enum BenchMode {
    /// Durable decisions per second in the store (group commit) and single-decision latency.
    Store(super::bench_store::StoreBenchArgs),
    /// Proposals/s end to end over loopback HTTP with durable commit, p99, HTTP overhead.
    Http(super::bench_http::HttpBenchArgs),
    /// The reviewer queue page with 10,000 held actions: server time per page.
    Inbox(super::bench_inbox::InboxBenchArgs),
}

/// The corpus's planted kinds and the sensitive subtopic that must find each.
const PLANTED: [(&str, &str); 5] = [
    ("email", "email_address"),
    ("phone", "phone_number"),
    ("credit_card", "credit_card"),
    ("iban", "iban_code"),
    ("ssn", "us_ssn"),
];

pub fn run(args: BenchArgs) -> anyhow::Result<Outcome> {
    match args.mode {
        Some(BenchMode::Store(store)) => return super::bench_store::run(store),
        Some(BenchMode::Http(http)) => return super::bench_http::run(http),
        Some(BenchMode::Inbox(inbox)) => return super::bench_inbox::run(inbox),
        None => {}
    }
    let policy = policy_files::load(args.policy.as_deref())?;
    let file = File::open(&args.data)
        .with_context(|| format!("failed to open {}", args.data.display()))?;
    let mut corpus: Vec<(Action, Context, Vec<String>)> = Vec::new();
    let tool = ToolGrant {
        name: "bench-agent".to_owned(),
        kinds: policy.config.tiers.keys().cloned().collect(),
        data_classes: policy.config.data_classes.keys().cloned().collect(),
        registered: true,
    };
    for line in input::read_lines(BufReader::new(file)) {
        let line = line.context("failed to read the corpus")?;
        let Parsed::Action(pair) = line.parsed else {
            anyhow::bail!(
                "line {} of the corpus is not an action or message",
                line.number
            );
        };
        let (action, mut ctx) = *pair;
        ctx.tool = Some(tool.clone());
        corpus.push((action, ctx, planted(line.value.as_ref())));
    }
    anyhow::ensure!(!corpus.is_empty(), "the corpus is empty");

    let gate = Gate::new();
    let now = Utc::now();
    // Warm-up pass: also where planted items are counted.
    let mut found: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (action, ctx, kinds) in &corpus {
        let record = gate.decide(action, ctx, &policy, now);
        let subtopics: BTreeSet<&str> = record
            .findings
            .iter()
            .filter(|f| f.category == Category::Sensitive)
            .map(|f| f.subtopic.as_str())
            .collect();
        for kind in kinds {
            if let Some((name, sub)) = PLANTED.iter().find(|(k, _)| k == kind) {
                let e = found.entry(name).or_default();
                e.0 += 1;
                e.1 += usize::from(subtopics.contains(sub));
            }
        }
    }

    let mut latencies: Vec<Duration> = Vec::with_capacity(corpus.len() * args.passes);
    let mut bytes = 0usize;
    let started = Instant::now();
    for _ in 0..args.passes.max(1) {
        for (action, ctx, _) in &corpus {
            let t = Instant::now();
            let record = gate.decide(action, ctx, &policy, now);
            latencies.push(t.elapsed());
            std::hint::black_box(record);
            bytes += action.body().len();
        }
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| countersign_store::percentile(&latencies, p).unwrap_or_default();
    let per_second = latencies.len() as f64 / wall.as_secs_f64();

    // Cedar alone: may this tool propose an e-mail?
    let roles = BTreeSet::new();
    let facts = ProposalFacts {
        id: "bench",
        kind: "email.send",
        tool: &tool.name,
        on_behalf_of: "rep",
        protected: false,
        required_roles: &roles,
    };
    let principal = Principal::Tool {
        name: &tool.name,
        kinds: &tool.kinds,
        registered: true,
    };
    let mut cedar: Vec<Duration> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(policy.authz.authorize(&principal, Verb::Propose, &facts));
            t.elapsed()
        })
        .collect();
    cedar.sort_unstable();
    let cedar_pct = |p: f64| countersign_store::percentile(&cedar, p).unwrap_or_default();

    let us = |d: Duration| (d.as_nanos() as f64 / 10.0).round() / 100.0;
    let summary = json!({
        "emails": corpus.len(),
        "decisions": latencies.len(),
        "emails_per_second": per_second.round(),
        "mb_per_second": ((bytes as f64 / wall.as_secs_f64() / 1e6) * 100.0).round() / 100.0,
        "latency_us": {"p50": us(pct(0.5)), "p99": us(pct(0.99)), "max": us(pct(1.0))},
        "cedar_authorization_us": {"p50": us(cedar_pct(0.5)), "p99": us(cedar_pct(0.99))},
        "planted_found": found.iter().map(|(k, (n, f))| (k.to_string(), json!({"planted": n, "found": f}))).collect::<serde_json::Map<_, _>>(),
        "threads": 1,
    });
    let mut out = std::io::stdout().lock();
    if args.format == Format::Json {
        writeln!(out, "{summary}")?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "{} e-mails x {} passes on one thread, full pipeline (detectors, policy, Cedar)",
        corpus.len(),
        args.passes.max(1)
    )?;
    writeln!(
        out,
        "throughput   {:.0} e-mails/s ({:.1} MB/s)",
        per_second,
        summary["mb_per_second"].as_f64().unwrap_or_default()
    )?;
    writeln!(
        out,
        "per e-mail   p50 {:.1} µs   p99 {:.1} µs   max {:.1} µs",
        us(pct(0.5)),
        us(pct(0.99)),
        us(pct(1.0))
    )?;
    writeln!(
        out,
        "cedar alone  p50 {:.1} µs   p99 {:.1} µs",
        us(cedar_pct(0.5)),
        us(cedar_pct(0.99))
    )?;
    writeln!(out, "planted personal data found:")?;
    for (kind, (n, f)) in &found {
        writeln!(out, "  {kind:<12} {f:>5} of {n:>5}")?;
    }
    Ok(Outcome::Success)
}

fn planted(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(|v| v.get("planted"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
