//! `countersign bench inbox`: the reviewer queue page with N held actions (issue 6: "the
//! queue page with 10,000 held items: server time ≤ 200 ms").
//!
//! Seeds a fresh store (or `--database-url`) with N held actions proposed through the
//! store's real path (context, engine decision, audit, queue index) across categories,
//! roles, tools, reps and ages; starts the real server in this process on `127.0.0.1:0`;
//! logs a reviewer in through the inbox's log-in form; then times `GET /inbox` for the
//! first page, a filtered page and a deep page (reached by following "next page" links).
//! Server time is the server's own `Server-Timing` for the request (handler, store
//! queries, template); the client's round trip over loopback is reported beside it.
//! After seeding PostgreSQL, the planner's statistics are refreshed (`ANALYZE`), as
//! autovacuum would a little later; `--no-analyze` measures the cold plans instead.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::{Duration, Utc};
use clap::Args;
use countersign_engine::Action;
use countersign_server::AppState;
use countersign_server::config::{Config, Overrides};
use countersign_store::ActionStatus;
use serde::Serialize;
use serde_json::json;

use crate::Outcome;
use crate::commands::check::Format;

#[derive(Debug, Args)]
pub struct InboxBenchArgs {
    /// Store to use [default: a fresh SQLite file in a temporary directory].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Held actions to seed.
    #[arg(long, default_value_t = 10_000)]
    pub held: usize,
    /// Timed requests per page.
    #[arg(long, default_value_t = 50)]
    pub requests: usize,
    /// How many "next page" links to follow for the deep page.
    #[arg(long, default_value_t = 150)]
    pub deep_pages: usize,
    /// Skip refreshing PostgreSQL's planner statistics after seeding (it then plans the
    /// queue for empty tables until autovacuum runs).
    #[arg(long)]
    pub no_analyze: bool,
    /// Configuration file for the server (pool size).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Millis {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Millis {
    fn of(samples: Vec<f64>) -> Self {
        let [p50_ms, p99_ms, max_ms] =
            countersign_server::bench::percentiles(samples, [0.50, 0.99, 1.0]);
        Self {
            p50_ms,
            p99_ms,
            max_ms,
        }
    }
}

/// One timed page.
#[derive(Debug, Clone, Serialize)]
pub struct PageTiming {
    pub name: &'static str,
    pub path: String,
    /// Rows on the page.
    pub rows: usize,
    /// The page's "(shown of total)" heading.
    pub heading: String,
    /// The server's time per request (`Server-Timing`).
    pub server: Millis,
    /// The client's round trip over loopback, body read included.
    pub client: Millis,
}

#[derive(Debug, Clone, Serialize)]
pub struct InboxBenchReport {
    pub backend: String,
    /// Held actions in the store when timed.
    pub held: usize,
    /// Proposals made to get there (some are allowed or denied by the policy).
    pub proposed: usize,
    pub seed_seconds: f64,
    pub requests_per_page: usize,
    pub pages: Vec<PageTiming>,
}

/// E-mail bodies that the default policy holds, for different roles and categories.
const BODIES: [&str; 5] = [
    // commercial/discount: deal desk
    "Hi {name}, we can do 15% off if you sign by Friday. Best, {rep}",
    // commercial/discount + objection/security: deal desk and security
    "Hi {name}, we can do 15% off if you sign by Friday. On security: we are SOC 2 Type II certified and encrypt all customer data at rest with AES-256. Best, {rep}",
    // commitment, objection/sla, commercial/contract_terms: deal desk, legal, manager
    "Hi {name}, we guarantee 99.99% uptime and will add unlimited liability to the contract. Best, {rep}",
    // commercial/payment_terms: finance
    "Hi {name}, we can offer net 90 payment terms on this order. Best, {rep}",
    // objection/security: security
    "Hi {name}, on security: we are SOC 2 Type II certified and encrypt all customer data at rest with AES-256. Best, {rep}",
];
const REPS: [&str; 6] = [
    "sam.rep", "rita.rep", "omar.rep", "lena.rep", "kai.rep", "ines.rep",
];
const TOOLS: [&str; 3] = ["outreach-agent", "renewals-agent", "sdr-agent"];
const REVIEWER: &str = "bench.reviewer";
const PASSWORD: &str = "bench reviewer password, long enough";
/// Proposals per committed batch, and the minutes between batches' `created_at`.
const BATCH: usize = 100;
const BATCH_MINUTES: i64 = 20;

pub fn run(args: InboxBenchArgs) -> anyhow::Result<Outcome> {
    let scratch = std::env::temp_dir().join(format!(
        "countersign-bench-inbox-{}-{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    ));
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => {
            std::fs::create_dir_all(&scratch)
                .with_context(|| format!("failed to create {}", scratch.display()))?;
            format!("sqlite://{}", scratch.join("bench.db").display())
        }
    };
    let mut config = Config::load(
        args.config.as_deref(),
        std::iter::empty(),
        &Overrides {
            database_url: Some(url),
            ..Overrides::default()
        },
    )
    .context("invalid configuration")?;
    // The bench measures the queue, not the rate limiter.
    config.rate_limit.account_per_second = u32::MAX / 2;
    config.rate_limit.account_burst = u32::MAX / 2;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let report = runtime.block_on(bench(config, &args));
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

fn print(r: &InboxBenchReport) {
    println!(
        "backend {}: {} held actions (from {} proposals, seeded in {:.1} s); {} requests per page",
        r.backend, r.held, r.proposed, r.seed_seconds, r.requests_per_page
    );
    for p in &r.pages {
        println!(
            "{:<9} server p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms | client round trip p50 {:>7.1} ms  p99 {:>7.1} ms | {} rows {}",
            p.name,
            p.server.p50_ms,
            p.server.p99_ms,
            p.server.max_ms,
            p.client.p50_ms,
            p.client.p99_ms,
            p.rows,
            p.heading
        );
        println!("          GET {}", p.path);
    }
}

async fn bench(config: Config, args: &InboxBenchArgs) -> anyhow::Result<InboxBenchReport> {
    let state = AppState::build(config)
        .await
        .context("failed to start the server state")?;
    let started = Instant::now();
    let (held, proposed) = seed(&state, args.held).await?;
    // On PostgreSQL only: SQLite plans the queue well without statistics (measured: 37 ms
    // without, 55 ms with `ANALYZE`), PostgreSQL badly (330 ms before autovacuum, 95 after).
    if !args.no_analyze && state.store.backend() == countersign_store::Backend::Postgres {
        state
            .store
            .analyze()
            .await
            .context("failed to refresh the planner's statistics")?;
    }
    let seed_seconds = started.elapsed().as_secs_f64();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("failed to bind 127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(countersign_server::run(
        listener,
        state.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let timed = async {
        let cookie = login(&client, &base).await?;
        let mut pages = Vec::new();
        pages.push(
            time(
                &client,
                &base,
                &cookie,
                "first",
                "/inbox".to_owned(),
                args.requests,
            )
            .await?,
        );
        let filtered = format!(
            "/inbox?role=security&category=objection&tool={}&older_than_hours=6",
            TOOLS[0]
        );
        pages.push(time(&client, &base, &cookie, "filtered", filtered, args.requests).await?);
        let deep = follow_next(&client, &base, &cookie, args.deep_pages).await?;
        pages.push(time(&client, &base, &cookie, "deep", deep, args.requests).await?);
        Ok::<_, anyhow::Error>(pages)
    };
    let pages = timed.await;
    let _ = stop.send(());
    let _ = server.await;
    Ok(InboxBenchReport {
        backend: format!("{:?}", state.store.backend()).to_lowercase(),
        held,
        proposed,
        seed_seconds,
        requests_per_page: args.requests,
        pages: pages?,
    })
}

/// Proposes e-mails in batches until `target` are held; returns (held, proposed).
async fn seed(state: &AppState, target: usize) -> anyhow::Result<(usize, usize)> {
    let policy = state.policy();
    let now = Utc::now();
    let mut keys = Vec::new();
    for tool in TOOLS {
        let added = state
            .store
            .add_tool(
                tool,
                &["email.send".to_owned()],
                &["contact_details".to_owned()],
                &policy,
                "bench",
                now,
            )
            .await
            .with_context(|| format!("failed to register tool `{tool}`"))?;
        keys.push(added.api_key);
    }
    let hash = countersign_server::auth::hash_password(PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("failed to hash the reviewer's password: {}", e.message))?;
    let roles: Vec<String> = ["deal_desk", "legal", "security", "finance", "manager"]
        .iter()
        .map(|r| (*r).to_owned())
        .collect();
    state
        .store
        .create_account(REVIEWER, &roles, false, &hash, &policy, "bench", now)
        .await
        .context("failed to create the reviewer")?;
    for rep in REPS {
        state
            .store
            .add_reviewer(rep, &["rep".to_owned()], &policy, "bench", now)
            .await
            .with_context(|| format!("failed to register rep `{rep}`"))?;
    }

    // Batches spread over the past, oldest first, so ages vary and "older than" filters.
    let batches = i64::try_from(target.div_ceil(BATCH) + 1).unwrap_or(i64::MAX);
    let (mut held, mut proposed, mut batch_no) = (0usize, 0usize, 0i64);
    while held < target {
        if proposed > target.saturating_mul(3) {
            bail!("only {held} of {proposed} proposals were held: the policy holds too few");
        }
        let at = now - Duration::minutes(BATCH_MINUTES * (batches - batch_no));
        let batch: Vec<(Action, String)> = (proposed..proposed + BATCH.min(target - held))
            .map(|i| {
                let rep = REPS[i % REPS.len()];
                let body = BODIES[(i / 3) % BODIES.len()]
                    .replace("{name}", &format!("Buyer {i}"))
                    .replace("{rep}", rep);
                let action = Action::from_json(&json!({
                    "kind": "email.send",
                    "on_behalf_of": rep,
                    "payload": {
                        "to": [format!("buyer{i}@account{}.example", i % 97)],
                        "subject": format!("Following up ({i})"),
                        "body": body,
                    },
                }))
                .map_err(|e| anyhow::anyhow!("bench action {i}: {e}"))?;
                Ok((action, keys[i % keys.len()].clone()))
            })
            .collect::<anyhow::Result<_>>()?;
        proposed += batch.len();
        for result in state.store.propose_batch(batch, &policy, at).await {
            if result.context("a seed proposal failed")?.status == ActionStatus::Held {
                held += 1;
            }
        }
        batch_no += 1;
    }
    Ok((held, proposed))
}

/// The `Set-Cookie` value of cookie `name`.
fn cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Logs the reviewer in through the inbox's form; returns the `Cookie` header to send.
async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let form = client.get(format!("{base}/inbox/login")).send().await?;
    let csrf = cookie_value(&form, "cs_login_csrf").context("the log-in form set no token")?;
    let resp = client
        .post(format!("{base}/inbox/login"))
        .header(reqwest::header::COOKIE, format!("cs_login_csrf={csrf}"))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(format!(
            "csrf={csrf}&name={REVIEWER}&password={}",
            PASSWORD.replace(' ', "+").replace(',', "%2C")
        ))
        .send()
        .await?;
    if resp.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("log-in failed with {}", resp.status());
    }
    let session = cookie_value(&resp, "cs_session").context("the log-in set no session")?;
    Ok(format!("cs_session={session}"))
}

/// GETs `path`; returns (server ms, client ms, body).
async fn get(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    path: &str,
) -> anyhow::Result<(f64, f64, String)> {
    let t = Instant::now();
    let resp = client
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = resp.status();
    let server_ms = resp
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("app;dur="))
        .and_then(|v| v.parse::<f64>().ok())
        .context("the response has no Server-Timing")?;
    let body = resp.text().await?;
    let client_ms = t.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        bail!("GET {path} answered {status}");
    }
    Ok((server_ms, client_ms, body))
}

async fn time(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    name: &'static str,
    path: String,
    requests: usize,
) -> anyhow::Result<PageTiming> {
    // Warm-up: connection, caches, SQLite's page cache.
    let (_, _, body) = get(client, base, cookie, &path).await?;
    for _ in 0..2 {
        get(client, base, cookie, &path).await?;
    }
    let (mut server, mut round_trip) = (Vec::new(), Vec::new());
    for _ in 0..requests.max(1) {
        let (s, c, _) = get(client, base, cookie, &path).await?;
        server.push(s);
        round_trip.push(c);
    }
    Ok(PageTiming {
        name,
        rows: body.matches("class=\"item-link\"").count(),
        heading: section(&body, "id=\"total\">", "<").unwrap_or_default(),
        path,
        server: Millis::of(server),
        client: Millis::of(round_trip),
    })
}

/// Follows `pages` "next page" links from the first page; returns the last one's path.
async fn follow_next(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    pages: usize,
) -> anyhow::Result<String> {
    let mut path = "/inbox".to_owned();
    for _ in 0..pages {
        let (_, _, body) = get(client, base, cookie, &path).await?;
        match next_link(&body) {
            Some(next) => path = next,
            None => break,
        }
    }
    Ok(path)
}

/// The "next page" link's target, unescaped from the page's HTML.
fn next_link(body: &str) -> Option<String> {
    let at = body.find("id=\"next-page\"")?;
    let href = body[..at].rfind("href=\"")? + "href=\"".len();
    let end = body[href..].find('"')? + href;
    Some(body[href..end].replace("&amp;", "&").replace("&#x2f;", "/"))
}

/// The text after the first `start`, up to the next `end`.
fn section(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_owned())
}
