//! `countersign bench http`: proposals per second end to end over loopback HTTP with
//! durable commit, their p99, and the HTTP layer's overhead over the engine alone. The
//! server runs in this process on `127.0.0.1:0`; the run is bounded by `--requests` and
//! `--max-seconds`. See `countersign_server::bench` for what each figure measures.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use countersign_server::bench::{BenchOptions, BenchReport, Latency};
use countersign_server::config::{Config, Overrides};

use crate::Outcome;
use crate::commands::check::Format;

#[derive(Debug, Args)]
pub struct HttpBenchArgs {
    /// Store to use [default: a fresh SQLite file in a temporary directory].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Proposals in the throughput run.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Sequential dry runs for the overhead figure.
    #[arg(long, default_value_t = 2_000)]
    pub overhead_requests: usize,
    /// Stop the throughput run after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub max_seconds: u64,
    /// Commit proposals one by one instead of in groups.
    #[arg(long)]
    pub no_group_commit: bool,
    /// Configuration file for the server (timeouts, pool size).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

fn line(name: &str, l: &Latency) -> String {
    format!(
        "{name:<34} p50 {:>9.1} µs   p99 {:>9.1} µs   max {:>9.1} µs",
        l.p50_us, l.p99_us, l.max_us
    )
}

fn print(r: &BenchReport) {
    println!(
        "backend {}, group commit {}, {} clients",
        r.backend,
        if r.group_commit { "on" } else { "off" },
        r.concurrency
    );
    println!(
        "{} proposals committed in {:.2} s: {:.0} proposals/s ({} errors); decisions {:?}",
        r.proposals, r.seconds, r.proposals_per_second, r.errors, r.decisions
    );
    println!(
        "{}",
        line("proposal, request → durable answer", &r.proposal_latency)
    );
    println!("{}", line("engine alone (in-process)", &r.engine));
    println!(
        "{}",
        line("POST /v1/policy/check round trip", &r.check_round_trip)
    );
    println!(
        "{}",
        line("HTTP overhead over the engine", &r.http_overhead)
    );
    println!("{}", line("  of which in the server", &r.server_overhead));
}

pub fn run(args: HttpBenchArgs) -> anyhow::Result<Outcome> {
    // A fresh database unless one is named; removed afterwards.
    let scratch = std::env::temp_dir().join(format!(
        "countersign-bench-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    ));
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => {
            std::fs::create_dir_all(&scratch)
                .with_context(|| format!("failed to create {}", scratch.display()))?;
            format!("sqlite://{}", scratch.join("bench.db").display())
        }
    };
    let mut config: Config = Config::load(
        args.config.as_deref(),
        std::iter::empty(),
        &Overrides {
            database_url: Some(url),
            ..Overrides::default()
        },
    )
    .context("invalid configuration")?;
    if args.no_group_commit {
        config.server.group_commit = false;
    }
    let options = BenchOptions {
        requests: args.requests,
        concurrency: args.concurrency.max(1),
        overhead_requests: args.overhead_requests,
        max_duration: Duration::from_secs(args.max_seconds.max(1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let report = runtime
        .block_on(countersign_server::bench::run(config, &options))
        .map_err(|e| anyhow::anyhow!("bench http: {e}"));
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let report = report?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&report)?),
        Format::Human => print(&report),
    }
    Ok(Outcome::Success)
}
