//! `countersign deliver`: run the outbox worker — e-mail to the SMTP relay, CRM changes to
//! the webhook, reviewer notifications to a Slack-compatible webhook — until the outbox is drained (`--drain`, the default) or forever (`--watch`,
//! stopping cleanly on Ctrl-C after the round in progress).

use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use countersign_connectors::{ChatConfig, SmtpConfig, WebhookConfig, Worker, WorkerConfig};
use countersign_store::Store;

use crate::Outcome;
use crate::commands::check::Format;
use crate::database::{self, DatabaseArgs};

#[derive(Debug, Args)]
pub struct DeliverArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// SMTP relay host (no relay: e-mail items wait).
    #[arg(long, env = "COUNTERSIGN_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "COUNTERSIGN_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// Sender address of released e-mail.
    #[arg(
        long,
        env = "COUNTERSIGN_SMTP_FROM",
        default_value = "Countersign <countersign@localhost.localdomain>"
    )]
    pub smtp_from: String,
    /// CRM webhook URL (no webhook: CRM items wait).
    #[arg(long, env = "COUNTERSIGN_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Shared secret for the webhook's HMAC signature.
    #[arg(long, env = "COUNTERSIGN_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Slack-compatible incoming webhook for reviewer notifications (none: they wait).
    #[arg(long, env = "COUNTERSIGN_SLACK_WEBHOOK_URL", hide_env_values = true)]
    pub slack_webhook_url: Option<String>,
    /// Keep running and poll for new items instead of stopping when the outbox is empty.
    #[arg(long)]
    pub watch: bool,
    /// Seconds a claimed item stays leased to this worker.
    #[arg(long, default_value_t = 60)]
    pub lease_secs: u64,
    /// Attempts before an item is parked as failed.
    #[arg(long, default_value_t = 8)]
    pub max_attempts: i32,
    /// First retry delay in seconds (doubles per attempt, with jitter).
    #[arg(long, default_value_t = 30)]
    pub backoff_secs: u64,
    /// Names this worker in leases and audit records.
    #[arg(long)]
    pub worker_id: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: DeliverArgs) -> anyhow::Result<Outcome> {
    database::block_on(deliver(args))?
}

async fn deliver(args: DeliverArgs) -> anyhow::Result<Outcome> {
    let smtp = match &args.smtp_host {
        Some(host) => Some(
            SmtpConfig {
                host: host.clone(),
                port: args.smtp_port,
                from: args.smtp_from.clone(),
                timeout: Duration::from_secs(30),
            }
            .build()
            .map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    let webhook = match (&args.webhook_url, &args.webhook_secret) {
        (Some(url), Some(secret)) => Some(
            WebhookConfig {
                url: url.clone(),
                secret: secret.clone(),
                timeout: Duration::from_secs(30),
            }
            .build()
            .map_err(anyhow::Error::msg)?,
        ),
        (Some(_), None) => anyhow::bail!("--webhook-secret: required with --webhook-url"),
        _ => None,
    };
    let slack = match &args.slack_webhook_url {
        Some(url) => Some(
            ChatConfig {
                url: url.clone(),
                timeout: Duration::from_secs(30),
                field: "--slack-webhook-url",
            }
            .build()
            .map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    let store = Store::open(&args.db.database_url).await.with_context(|| {
        format!(
            "failed to open the store at {}",
            redact(&args.db.database_url)
        )
    })?;
    let defaults = WorkerConfig::default();
    let config = WorkerConfig {
        worker_id: args.worker_id.clone().unwrap_or(defaults.worker_id),
        lease: Duration::from_secs(args.lease_secs.max(1)),
        max_attempts: args.max_attempts.max(1),
        base_backoff: Duration::from_secs(args.backoff_secs),
        ..defaults
    };
    let worker = Worker::new(store.clone(), smtp, webhook, config).with_slack(slack);
    let report = if args.watch {
        worker
            .run(Duration::from_millis(500), async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?
    } else {
        worker.drain().await?
    };
    store.close().await;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"claimed": report.claimed, "sent": report.sent, "retried": report.retried, "parked": report.parked})
        ),
        Format::Human => println!(
            "{} delivered, {} to retry, {} parked as failed",
            report.sent, report.retried, report.parked
        ),
    }
    Ok(if report.parked > 0 {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}
