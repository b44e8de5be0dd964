//! `countersign bench store`: durable decisions per second through group commit, and the
//! latency of a single proposal committed on its own, on the store named by
//! `--database-url` (SQLite with `synchronous=FULL`, or PostgreSQL).
//!
//! Every proposal is real: a registered tool's key, the full engine decision, the action,
//! revision, audit records and outbox row, committed before it counts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use clap::Args;
use countersign_engine::{Action, Policy};
use countersign_store::{GroupCommitter, NewTool};
use serde_json::json;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct StoreBenchArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Proposals through group commit.
    #[arg(long, default_value_t = 20_000)]
    pub proposals: usize,
    /// Concurrent proposers feeding the group committer.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Largest batch one commit takes.
    #[arg(long, default_value_t = 512)]
    pub max_batch: usize,
    /// Proposals committed one at a time, for single-decision latency.
    #[arg(long, default_value_t = 1_000)]
    pub singles: usize,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Realistic e-mails, routine and protected, each to its own buyer so no cap interferes.
fn action(i: usize) -> anyhow::Result<Action> {
    const BODIES: [&str; 4] = [
        "Hi, thanks for the call today. I've attached the recap and the slides. Talk soon.",
        "Hi, we can do 15% off the annual plan if you sign by Friday.",
        "Hi, yes: all customer data is encrypted at rest with AES-256 and stays in the EU.",
        "Hi, just a reminder that our workshop is on Tuesday at 10:00.",
    ];
    let value = json!({
        "id": format!("bench-{i}"),
        "kind": "email.send",
        "on_behalf_of": "sam.rep",
        "payload": {"to": format!("buyer{i}@company{i}.example"), "subject": "Follow-up", "body": BODIES[i % BODIES.len()]},
    });
    Action::from_json(&value).map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn run(args: StoreBenchArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(bench(args))
}

async fn bench(args: StoreBenchArgs) -> anyhow::Result<Outcome> {
    let store = database::open(&args.db, Default::default())
        .await
        .context("failed to open the store")?;
    let policy = Arc::new(Policy::default_policy().clone());
    let tool: NewTool = store
        .add_tool(
            &format!(
                "bench-{}-{}",
                std::process::id(),
                Utc::now().timestamp_micros()
            ),
            &["email.send".to_owned()],
            &[],
            &policy,
            "cli:bench",
            Utc::now(),
        )
        .await?;
    let key = Arc::new(tool.api_key);
    // The rep the e-mails are on behalf of has an account, as in a real deployment.
    store
        .add_reviewer(
            "sam.rep",
            &["rep".to_owned()],
            &policy,
            "cli:bench",
            Utc::now(),
        )
        .await?;

    // Group commit: many proposers, one committer.
    let committer = {
        let (store, policy) = (store.clone(), Arc::clone(&policy));
        GroupCommitter::start(
            move |batch| {
                let (store, policy) = (store.clone(), Arc::clone(&policy));
                async move { store.propose_batch(batch, &policy, Utc::now()).await }
            },
            args.max_batch,
        )
    };
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (committer, key, next) = (committer.clone(), Arc::clone(&key), Arc::clone(&next));
        let total = args.proposals;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let t = Instant::now();
                committer.propose(action(i)?, &key).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut grouped = Vec::with_capacity(args.proposals);
    for w in workers {
        grouped.extend(w.await.context("a proposer task failed")??);
    }
    let wall = started.elapsed();
    drop(committer);

    // One proposal per transaction, one after another.
    let mut singles = Vec::with_capacity(args.singles);
    for i in 0..args.singles {
        let a = action(args.proposals + i)?;
        let t = Instant::now();
        store.propose(a, &key, &policy, Utc::now()).await?;
        singles.push(t.elapsed());
    }
    store.close().await;

    let pct = |v: &mut Vec<Duration>, p: f64| -> f64 {
        v.sort_unstable();
        countersign_store::percentile(v, p).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let per_second = grouped.len() as f64 / wall.as_secs_f64();
    let (g50, g99) = (pct(&mut grouped, 0.5), pct(&mut grouped, 0.99));
    let (s50, s99) = (pct(&mut singles, 0.5), pct(&mut singles, 0.99));
    let backend = store.backend();
    match args.format {
        Format::Json => println!(
            "{}",
            json!({
                "backend": format!("{backend:?}").to_lowercase(),
                "group_commit": {"proposals": args.proposals, "concurrency": args.concurrency,
                                  "decisions_per_second": per_second.round(),
                                  "latency_ms": {"p50": g50, "p99": g99}},
                "single": {"proposals": args.singles, "latency_ms": {"p50": s50, "p99": s99}},
            })
        ),
        Format::Human => {
            println!("store: {backend:?}, every proposal decided and durably committed");
            println!(
                "group commit  {:.0} decisions/s ({} proposals, {} concurrent), latency p50 {g50:.2} ms, p99 {g99:.2} ms",
                per_second, args.proposals, args.concurrency
            );
            println!(
                "single        p50 {s50:.2} ms, p99 {s99:.2} ms ({} proposals, one commit each)",
                args.singles
            );
        }
    }
    Ok(Outcome::Success)
}
