//! The outbox worker inside `serve`: [`countersign_connectors::Worker`] rounds until
//! shutdown, with each round's results counted in the metrics.
//!
//! It runs the worker's own `run_once` in a loop (rather than `Worker::run`) so that every
//! round's report reaches `/metrics`. Like `Worker::run`, a round in progress finishes
//! before shutdown returns: no item is left claimed but unsettled, and an item whose
//! delivery was cut short is claimed again when its lease runs out.

use std::time::Duration;

use chrono::Utc;
use countersign_connectors::{Worker, WorkerConfig};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::metrics::{OUTBOX_DELIVERIES, OUTBOX_WORKER_ERRORS};
use crate::state::AppState;

/// Builds the worker from `[outbox]` and `[notifications]`, or `None` when there is
/// nowhere to deliver to.
pub fn build(state: &AppState, config: &Config) -> Result<Option<Worker>, String> {
    let smtp = match &config.outbox.smtp {
        Some(s) => Some(config.smtp_config(s).build()?),
        None => None,
    };
    let webhook = match &config.outbox.webhook {
        Some(w) => Some(config.webhook_config(w).build()?),
        None => None,
    };
    let slack = match config.slack_config() {
        Some(s) => Some(s.build()?),
        None => None,
    };
    let teams = match config.teams_config() {
        Some(t) => Some(t.build()?),
        None => None,
    };
    let pickup = match config.pickup_config() {
        Some(p) => Some(p.build()?),
        None => None,
    };
    if smtp.is_none() && webhook.is_none() && slack.is_none() && teams.is_none() && pickup.is_none()
    {
        return Ok(None);
    }
    let worker_config = WorkerConfig {
        max_attempts: config.outbox.max_attempts,
        ..WorkerConfig::default()
    };
    Ok(Some(
        Worker::new(state.store.clone(), smtp, webhook, worker_config)
            .with_slack(slack)
            .with_teams(teams)
            .with_pickup(pickup),
    ))
}

/// Delivers until `cancel` fires.
pub async fn run(worker: Worker, interval: Duration, cancel: CancellationToken) {
    tracing::info!("outbox worker started");
    loop {
        match worker.run_once(Utc::now()).await {
            Ok(report) => {
                metrics::counter!(OUTBOX_DELIVERIES, "result" => "sent")
                    .increment(report.sent as u64);
                metrics::counter!(OUTBOX_DELIVERIES, "result" => "retried")
                    .increment(report.retried as u64);
                metrics::counter!(OUTBOX_DELIVERIES, "result" => "parked")
                    .increment(report.parked as u64);
                if report.parked > 0 {
                    tracing::error!(
                        parked = report.parked,
                        "outbox items parked: a human must act"
                    );
                }
                if report.claimed > 0 && !cancel.is_cancelled() {
                    continue;
                }
            }
            Err(e) => {
                metrics::counter!(OUTBOX_WORKER_ERRORS).increment(1);
                tracing::warn!(error = %e, "outbox round failed, will retry");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
    tracing::info!("outbox worker stopped");
}
