//! `countersign bench http`: the gate measured end to end over loopback HTTP.
//!
//! Three figures, each from real requests to a server started in this process on
//! `127.0.0.1:0` (never another address), bounded by a request count and a time limit:
//!
//! 1. **Proposals/s with durable commit**: concurrent clients `POST /v1/actions` with a
//!    registered tool's key; each answer arrives only after the action, its revision, its
//!    audit records and its outbox row are committed. Latency per request: p50, p99, max.
//! 2. **The engine alone**: the same actions decided in-process with no HTTP and no store.
//! 3. **HTTP overhead over the engine**: one client sends `POST /v1/policy/check` (decide,
//!    store nothing) sequentially; the server reports the engine's time for each, and the
//!    overhead is the round trip minus that — socket, parsing, routing, auth, JSON, the
//!    blocking-pool hop of the decision deadline.
//!
//! The store serializes audited writes under one lock (SQLite's single writer, or the
//! PostgreSQL advisory lock of the audit chain), so throughput is bounded by how fast
//! one writer commits; group commit (`[server] group_commit`) lets one commit carry many
//! proposals.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use countersign_engine::{Action, Context, Gate};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::Config;
use crate::state::AppState;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Proposals in the throughput run.
    pub requests: usize,
    /// Concurrent clients in the throughput run.
    pub concurrency: usize,
    /// Sequential dry runs for the HTTP-overhead figure.
    pub overhead_requests: usize,
    /// Stop the throughput run after this long, whatever the count.
    pub max_duration: Duration,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl Latency {
    fn of(samples: Vec<f64>) -> Self {
        let [p50_us, p99_us, max_us] = percentiles(samples, [0.50, 0.99, 1.0]);
        Self {
            p50_us,
            p99_us,
            max_us,
        }
    }
}

/// The samples at quantiles `qs` (0 to 1, [`countersign_store::percentile`]), in the
/// samples' unit; zeros for no samples. Shared by the benches.
pub fn percentiles<const N: usize>(mut samples: Vec<f64>, qs: [f64; N]) -> [f64; N] {
    samples.sort_by(f64::total_cmp);
    qs.map(|q| countersign_store::percentile(&samples, q).unwrap_or(0.0))
}

/// The results.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub backend: String,
    pub group_commit: bool,
    pub concurrency: usize,
    /// Proposals answered 201 (committed).
    pub proposals: usize,
    /// Requests that did not get 201.
    pub errors: usize,
    pub seconds: f64,
    pub proposals_per_second: f64,
    /// Client-side latency of a proposal, request to committed answer.
    pub proposal_latency: Latency,
    /// Decisions by outcome in the throughput run.
    pub decisions: std::collections::BTreeMap<String, usize>,
    /// The engine alone, in-process, on the same actions.
    pub engine: Latency,
    /// Round trip of `POST /v1/policy/check` (one client, sequential).
    pub check_round_trip: Latency,
    /// Round trip minus the engine time the server measured, per request: everything
    /// between the client and the engine (client, loopback TCP, server).
    pub http_overhead: Latency,
    /// The server's own time for the request (its `Server-Timing`) minus the engine time:
    /// the HTTP layer alone (parsing, routing, auth, JSON, the deadline's thread hop).
    pub server_overhead: Latency,
}

/// Message bodies the bench cycles through: routine ones and protected moments, as a
/// sales agent would propose them.
const BODIES: &[&str] = &[
    "Hi Dana, thanks for the call today. I've attached the recap and the slides. Talk soon, Sam",
    "Hi Dana, following up on our demo: here is the recording and the one-pager you asked for. Best, Sam",
    "Hi Dana, we can do 15% off if you sign by Friday. Best, Sam",
    "Hi Dana, on security: we are SOC 2 Type II certified and encrypt all data at rest. Best, Sam",
    "Hi Dana, quick reminder that our check-in is tomorrow at 10am your time. Cheers, Sam",
    "Hi Dana, I have looped in our solutions engineer, who will answer your integration questions. Sam",
];

fn action(i: usize) -> Value {
    json!({
        "kind": "email.send",
        "on_behalf_of": "sam.rep",
        // A new recipient each time: frequency caps do not turn the run into holds.
        "payload": {
            "to": [format!("buyer{i}@customer{}.example", i % 97)],
            "subject": "Following up",
            "body": BODIES[i % BODIES.len()],
        },
    })
}

/// Runs the benchmark against a fresh server on `config` (its database and policy).
pub async fn run(mut config: Config, options: &BenchOptions) -> Result<BenchReport, String> {
    // The bench measures the gate, not the rate limiter.
    config.rate_limit.tool_per_second = u32::MAX / 2;
    config.rate_limit.tool_burst = u32::MAX / 2;
    config.rate_limit.account_per_second = u32::MAX / 2;
    config.rate_limit.account_burst = u32::MAX / 2;
    let state = AppState::build(config).await.map_err(|e| e.to_string())?;
    let policy = state.policy();
    let now = Utc::now();
    let suffix = now.timestamp_micros();
    let tool = state
        .store
        .add_tool(
            &format!("bench-{suffix}"),
            &["email.send".to_owned()],
            &[],
            &policy,
            "bench",
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
    // The rep the e-mails are on behalf of has an account, as in a real deployment.
    state
        .store
        .add_reviewer("sam.rep", &["rep".to_owned()], &policy, "bench", now)
        .await
        .map_err(|e| e.to_string())?;
    let hash = crate::auth::hash_password("bench password, long enough".to_owned())
        .await
        .map_err(|e| e.message)?;
    let admin = state
        .store
        .create_account(
            &format!("bench-admin-{suffix}"),
            &[],
            true,
            &hash,
            &policy,
            "bench",
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
    let session = state
        .store
        .create_session(&admin, chrono::Duration::hours(1), now)
        .await
        .map_err(|e| e.to_string())?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::run(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency.max(1))
        .build()
        .map_err(|e| e.to_string())?;

    // Warm-up: connections, caches, the first commit.
    for i in 0..20 {
        let _ = client
            .post(format!("{base}/v1/actions"))
            .bearer_auth(&tool.api_key)
            .json(&action(i))
            .send()
            .await;
    }

    // 1. Throughput with durable commit.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + options.max_duration;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..options.concurrency.max(1) {
        let client = client.clone();
        let url = format!("{base}/v1/actions");
        let key = tool.api_key.clone();
        let next = Arc::clone(&next);
        let total = options.requests;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut decisions: std::collections::BTreeMap<String, usize> = Default::default();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total || Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&action(1000 + i))
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status() == reqwest::StatusCode::CREATED => {
                        let body: Value = resp.json().await.unwrap_or(Value::Null);
                        lat.push(t.elapsed().as_secs_f64() * 1e6);
                        let d = body["decision"]["decision"]
                            .as_str()
                            .unwrap_or("?")
                            .to_owned();
                        *decisions.entry(d).or_insert(0) += 1;
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors, decisions)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut decisions: std::collections::BTreeMap<String, usize> = Default::default();
    for w in workers {
        let (lat, e, d) = w.await.map_err(|e| e.to_string())?;
        latencies.extend(lat);
        errors += e;
        for (k, v) in d {
            *decisions.entry(k).or_insert(0) += v;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let proposals = latencies.len();

    // 2. The engine alone on the same actions.
    let gate = Gate::new();
    let mut engine = Vec::new();
    for i in 0..options.overhead_requests.max(1) {
        let a = Action::from_json(&action(i)).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let d = gate.decide(&a, &Context::default(), &policy, now);
        engine.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(d);
    }

    // 3. HTTP overhead: sequential dry runs, round trip minus the server's engine time.
    let mut round_trips = Vec::new();
    let mut overhead = Vec::new();
    let mut server_overhead = Vec::new();
    for i in 0..options.overhead_requests {
        let t = Instant::now();
        let resp = client
            .post(format!("{base}/v1/policy/check"))
            .bearer_auth(&session.token)
            .json(&action(i))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let server_ms = resp
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("app;dur="))
            .and_then(|v| v.parse::<f64>().ok());
        let body: Value = resp.json().await.map_err(|e| e.to_string())?;
        let rt = t.elapsed().as_secs_f64() * 1e6;
        #[allow(clippy::cast_precision_loss, reason = "microseconds")]
        let engine_us = body["micros"].as_u64().unwrap_or(0) as f64;
        round_trips.push(rt);
        overhead.push((rt - engine_us).max(0.0));
        if let Some(ms) = server_ms {
            server_overhead.push((ms * 1000.0 - engine_us).max(0.0));
        }
    }

    let _ = stop.send(());
    let _ = server.await;
    #[allow(clippy::cast_precision_loss, reason = "a rate")]
    let rate = proposals as f64 / seconds.max(1e-9);
    Ok(BenchReport {
        backend: format!("{:?}", state.store.backend()).to_lowercase(),
        group_commit: state.config.server.group_commit,
        concurrency: options.concurrency,
        proposals,
        errors,
        seconds,
        proposals_per_second: rate,
        proposal_latency: Latency::of(latencies),
        decisions,
        engine: Latency::of(engine),
        check_round_trip: Latency::of(round_trips),
        http_overhead: Latency::of(overhead),
        server_overhead: Latency::of(server_overhead),
    })
}
