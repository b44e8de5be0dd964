//! `countersign demo`: the whole product on a fresh SQLite file. It seeds a realistic
//! organisation (Lumenfield, a fictional SaaS vendor: reps, a manager, a VP, deal desk,
//! legal, finance, security and an admin; six buyer accounts) and two weeks of a scripted
//! AI agent's proposals across every category, with reviewers' approvals, edits and
//! rejections, through the real store API; the real outbox worker writes what was released
//! into a pickup directory as `.eml` files; then the real server runs until Ctrl-C.
//!
//! Not here: the data (`crates/cli/demo/org.toml`, `script.toml`), the server itself.
//! `--offline` keeps the first demo: decide a few example actions in memory and print a
//! table, without a database.

mod assistant;
mod data;
mod seed;
mod shadow;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use countersign_server::config::{Config, ServerConfig};
use countersign_store::{Notifications, Store, StoreOptions};

use crate::Outcome;
use crate::commands::check::{Format, print_table};
use crate::database::flat;
use crate::input::{self, Parsed};
use crate::timeout::TimedGate;

use seed::Summary;

/// The offline demo's proposals, compiled into the binary.
const OFFLINE_ACTIONS: &str = include_str!("../../demo/actions.jsonl");

/// Written next to a database the demo made: only such a file is deleted on the next run.
const MARKER_SUFFIX: &str = ".countersign-demo";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to serve on [default: 127.0.0.1:8080, as `serve`]; port 0 picks a free one.
    #[arg(long)]
    pub listen: Option<String>,
    /// Folder for the demo database and the delivered mail; its demo files are recreated
    /// on every run.
    #[arg(long, default_value = "countersign-demo")]
    pub dir: PathBuf,
    /// Another database instead of DIR/countersign.db: a SQLite file an earlier demo made
    /// (recreated) or that does not exist yet, or an empty PostgreSQL database.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Seed and print the summary, then exit (for scripts and tests).
    #[arg(long)]
    pub no_serve: bool,
    /// No database or server: decide the example actions in memory and print a table.
    #[arg(long, conflicts_with_all = ["listen", "database_url", "no_serve"])]
    pub offline: bool,
    /// Output of the summary (with --no-serve, `json` prints it as one object).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: DemoArgs) -> anyhow::Result<Outcome> {
    if args.offline {
        return offline();
    }
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| ServerConfig::default().listen);
    let listen_addr: std::net::SocketAddr = listen
        .parse()
        .map_err(|_| anyhow!("--listen: `{listen}` is not an address like `127.0.0.1:8080`"))?;
    // The address first: a port in use is found before the last demo is wiped, and the
    // notifications' links name the real port when `--listen` asks for port 0.
    let listener = if args.no_serve {
        None
    } else {
        let l = std::net::TcpListener::bind(listen_addr)
            .with_context(|| format!("failed to listen on {listen_addr}"))?;
        l.set_nonblocking(true)
            .with_context(|| format!("failed to listen on {listen_addr}"))?;
        Some(l)
    };
    let address = match &listener {
        Some(l) => l
            .local_addr()
            .context("failed to read the listening address")?,
        None => listen_addr,
    };
    let delivered = args.dir.join("delivered");
    let url = prepare(&args.dir, args.database_url.as_deref(), &delivered)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async {
        let started = std::time::Instant::now();
        // Reviewers are told about new holds by e-mail, into the delivered folder.
        let store = Store::open_with(
            &url,
            StoreOptions {
                notifications: notifications(address),
                ..StoreOptions::default()
            },
        )
        .await
        .map_err(flat)?;
        let summary = seed::seed(&store, &url, &delivered, chrono::Utc::now()).await;
        store.close().await;
        let summary = summary?;
        let seconds = started.elapsed().as_secs_f64();
        let Some(listener) = listener else {
            match args.format {
                Format::Json => println!("{}", serde_json::to_string(&summary)?),
                Format::Human => print_summary(&summary, None, seconds)?,
            }
            return Ok(Outcome::Success);
        };
        serve(&summary, &url, listener, &delivered, seconds).await
    })
}

/// Makes room for a fresh demo database and returns its URL. Deletes only files an
/// earlier demo made: a database with the demo's marker beside it, and `.eml`/`.json`
/// files in the delivered folder.
fn prepare(dir: &Path, database_url: Option<&str>, delivered: &Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create the demo folder {}", dir.display()))?;
    let url = match database_url {
        Some(u) => u.to_owned(),
        None => format!("sqlite://{}", dir.join("countersign.db").display()),
    };
    if let Some(path) = sqlite_path(&url)? {
        let marker = PathBuf::from(format!("{}{MARKER_SUFFIX}", path.display()));
        if path.exists() {
            if !marker.exists() {
                bail!(
                    "{} exists and was not made by `countersign demo`: it is left alone; pass another --dir or --database-url",
                    path.display()
                );
            }
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let f = PathBuf::from(format!("{}{suffix}", path.display()));
                if f.exists() {
                    std::fs::remove_file(&f)
                        .with_context(|| format!("failed to remove {}", f.display()))?;
                }
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        std::fs::write(
            &marker,
            "Made by `countersign demo`: the database beside this file is recreated on every run.\n",
        )
        .with_context(|| format!("failed to write {}", marker.display()))?;
    }
    if delivered.exists() {
        for entry in std::fs::read_dir(delivered)
            .with_context(|| format!("failed to read {}", delivered.display()))?
        {
            let path = entry?.path();
            let ours = path
                .extension()
                .is_some_and(|e| e == "eml" || e == "json" || e == "partial");
            if ours && path.is_file() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("failed to remove {}", path.display()))?;
            }
        }
    }
    Ok(url)
}

/// Review notifications by e-mail, linking to the inbox when its address is known.
fn notifications(listen: std::net::SocketAddr) -> Notifications {
    Notifications {
        email: true,
        slack: false,
        inbox_url: (listen.port() != 0).then(|| format!("http://{listen}")),
        email_from: Some("Countersign <countersign@lumenfield.example>".to_owned()),
        ..Notifications::default()
    }
}

/// The file behind a `sqlite:` URL, or `None` for PostgreSQL.
fn sqlite_path(url: &str) -> anyhow::Result<Option<PathBuf>> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(None);
        }
        bail!("--database-url: `{url}` is not a `sqlite://PATH` or `postgres://…` URL");
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        bail!("--database-url: the demo needs a file the server can open too, not `{url}`");
    }
    Ok(Some(PathBuf::from(path)))
}

async fn serve(
    summary: &Summary,
    url: &str,
    listener: std::net::TcpListener,
    delivered: &Path,
    seconds: f64,
) -> anyhow::Result<Outcome> {
    let listen = listener
        .local_addr()
        .context("failed to read the listening address")?;
    let mut config = Config::default();
    config.server.listen = listen.to_string();
    config.database.url = url.to_owned();
    // The server's worker keeps delivering into the same folder as reviewers approve.
    config.outbox.pickup_dir = Some(delivered.to_path_buf());
    config.outbox.pickup_from = data::org()?.from;
    let notify = notifications(listen);
    config.notifications.email = notify.email;
    config.notifications.inbox_url = notify.inbox_url;
    config.notifications.email_from = notify.email_from;
    // Request logs would bury the logins; warnings still show.
    config.log.filter = "warn".to_owned();
    config.validate().context("invalid demo configuration")?;
    countersign_server::telemetry::init(&config.log.format, &config.log.filter);
    let state = countersign_server::AppState::build(config)
        .await
        .map_err(|e| anyhow!("failed to start the server: {e}"))?;
    let listener = tokio::net::TcpListener::from_std(listener)
        .with_context(|| format!("failed to listen on {listen}"))?;
    print_summary(summary, Some(listen), seconds)?;
    countersign_server::run(listener, state, countersign_server::shutdown_signal())
        .await
        .context("the demo server failed")?;
    Ok(Outcome::Success)
}

fn print_summary(
    s: &Summary,
    serving: Option<std::net::SocketAddr>,
    seconds: f64,
) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Countersign demo: Lumenfield's sales team and its AI agents, the last {} days (seeded in {seconds:.1} s).\n",
        s.days
    )?;
    if let Some(addr) = serving {
        writeln!(out, "  Inbox      http://{addr}/inbox")?;
        writeln!(out, "  Dashboard  http://{addr}/inbox/dashboard")?;
        writeln!(
            out,
            "  API docs   http://{addr}/docs   (OpenAPI: http://{addr}/openapi.json)"
        )?;
        writeln!(out)?;
    }
    writeln!(out, "Demo logins (demo passwords: never reuse them):")?;
    let roles = |l: &seed::Login| {
        let mut r = l.roles.join(", ");
        if l.admin {
            r = if r.is_empty() {
                "admin".to_owned()
            } else {
                format!("{r}, admin")
            };
        }
        r
    };
    let width = s
        .logins
        .iter()
        .map(|l| roles(l).len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "  {:<14} {:<14} {:<width$}  {:<23} waiting for them",
        "login", "who", "roles", "password"
    )?;
    for l in &s.logins {
        let waiting = if l.admin && l.roles.is_empty() {
            "tools, accounts, policy, audit".to_owned()
        } else if l.roles.iter().all(|r| r == "rep") {
            format!("{} of their deals' actions held for others", l.own_held)
        } else {
            format!("{} held", l.waiting)
        };
        writeln!(
            out,
            "  {:<14} {:<14} {:<width$}  {:<23} {waiting}",
            l.name,
            l.full_name,
            roles(l),
            l.password,
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Seeded: {} actions from a scripted agent ({} from an unregistered tool) for {} buyers:",
        s.actions,
        s.shadow_ai,
        s.accounts.len()
    )?;
    writeln!(out, "  {}", s.accounts.join(", "))?;
    writeln!(
        out,
        "  {} allowed, {} held, {} approved ({} after an edit), {} rejected, {} denied, {} draft only, {} expired",
        s.allowed, s.held, s.approved, s.edited, s.rejected, s.denied, s.draft_only, s.expired
    )?;
    let categories: Vec<String> = s
        .categories
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    writeln!(out, "  findings by category: {}", categories.join(", "))?;
    writeln!(
        out,
        "  pipeline: {} opportunities and {} activities imported from a Salesforce export ({}/), {} approved knowledge entries, {} drafts by the follow-up assistant",
        s.imported_opportunities,
        s.imported_activities,
        s.crm_export_dir,
        s.knowledge_entries,
        s.drafts.len()
    )?;
    writeln!(
        out,
        "  shadow AI: {} findings from the sent mail, CRM logins and extension inventory in {}/",
        s.shadow_findings, s.shadow_dir
    )?;
    writeln!(
        out,
        "  delivered: {} ({} e-mails as .eml, {} CRM changes as .json) in {}/",
        s.delivered,
        s.delivered_emails,
        s.delivered - s.delivered_emails,
        s.delivered_dir,
    )?;
    writeln!(
        out,
        "  review notifications: {} e-mails to reviewers as ntf_*.eml, same folder",
        s.notifications
    )?;
    if s.pending_delivery > 0 {
        writeln!(
            out,
            "  waiting to be delivered: {} (quiet hours in the buyer's time zone)",
            s.pending_delivery
        )?;
    }
    writeln!(
        out,
        "  audit chain: {} records, verified; policy {}",
        s.audit_records, s.policy_version
    )?;
    writeln!(out, "  database: {}", s.database_url)?;
    if serving.is_some() {
        writeln!(out, "\nPress Ctrl-C to stop.")?;
    } else {
        writeln!(
            out,
            "\nServe it with: countersign serve --database-url {}",
            s.database_url
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The first demo: decide the example actions in memory and print a table.
fn offline() -> anyhow::Result<Outcome> {
    let policy = countersign_engine::Policy::default_policy().clone();
    println!(
        "Countersign demo (offline): a scripted AI agent proposes {} actions.",
        OFFLINE_ACTIONS.lines().count()
    );
    println!(
        "Policy `{}` version {}\n",
        policy.config.name, policy.version
    );
    let mut gate = TimedGate::new(policy, std::time::Duration::from_secs(2));
    let mut records = Vec::new();
    for line in input::read_lines(OFFLINE_ACTIONS.as_bytes()) {
        let line = line?;
        if let Parsed::Action(pair) = line.parsed {
            let (action, ctx) = *pair;
            records.push(gate.decide(action, ctx));
        } else {
            bail!("demo action on line {} is malformed", line.number);
        }
    }
    let mut out = io::stdout().lock();
    print_table(&mut out, &records)?;
    let count =
        |d: countersign_engine::Decision| records.iter().filter(|r| r.decision == d).count();
    use countersign_engine::Decision::*;
    writeln!(
        out,
        "\n{} allowed, {} held for approval, {} returned as drafts, {} denied.",
        count(Allow),
        count(Hold),
        count(DraftOnly),
        count(Deny)
    )?;
    writeln!(
        out,
        "Try: countersign check --format json < your-actions.jsonl"
    )?;
    Ok(Outcome::Success)
}
