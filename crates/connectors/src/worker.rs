//! The outbox worker: claim under a lease, deliver, then mark sent — or schedule a retry
//! with exponential backoff and jitter, or park the item after the last attempt.
//!
//! Several workers (threads or processes) may drain one outbox: the store's claim gives
//! each item to one lease holder at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and
//! `mark_sent` only succeeds for the holder of a live lease.

use std::time::Duration;

use chrono::{DateTime, Utc};
use countersign_store::{OutboxItem, OutboxKind, Store, StoreError};
use tracing::{info, warn};

use crate::{
    ChatConnector, Connector, DeliveryError, PickupConnector, SmtpConnector, WebhookConnector,
};

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in leases and audit records.
    pub worker_id: String,
    /// How long a claim is held; an item whose holder died becomes claimable after it.
    pub lease: Duration,
    /// Items claimed per round.
    pub batch: i64,
    /// Attempts before an item is parked for a human.
    pub max_attempts: i32,
    /// First retry delay; doubles each attempt up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}", std::process::id()),
            lease: Duration::from_secs(60),
            batch: 32,
            max_attempts: 8,
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub parked: usize,
}

impl std::ops::AddAssign for WorkerReport {
    fn add_assign(&mut self, o: Self) {
        self.claimed += o.claimed;
        self.sent += o.sent;
        self.retried += o.retried;
        self.parked += o.parked;
    }
}

/// Delivers what the store's outbox holds.
pub struct Worker {
    store: Store,
    smtp: Option<SmtpConnector>,
    webhook: Option<WebhookConnector>,
    slack: Option<ChatConnector>,
    teams: Option<ChatConnector>,
    /// Takes what no network connector is configured for (see [`Worker::with_pickup`]).
    pickup: Option<PickupConnector>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(
        store: Store,
        smtp: Option<SmtpConnector>,
        webhook: Option<WebhookConnector>,
        config: WorkerConfig,
    ) -> Self {
        Self {
            store,
            smtp,
            webhook,
            slack: None,
            teams: None,
            pickup: None,
            config,
        }
    }

    /// Writes e-mail (when no SMTP relay is set) and CRM changes (when no webhook is set)
    /// into a pickup directory instead of leaving them pending.
    pub fn with_pickup(mut self, pickup: Option<PickupConnector>) -> Self {
        self.pickup = pickup;
        self
    }

    /// Delivers reviewer notifications to this Slack-compatible webhook too.
    pub fn with_slack(mut self, slack: Option<ChatConnector>) -> Self {
        self.slack = slack;
        self
    }

    /// Delivers reviewer notifications to this Teams incoming webhook too.
    pub fn with_teams(mut self, teams: Option<ChatConnector>) -> Self {
        self.teams = teams;
        self
    }

    /// The delay before attempt `attempts + 1`: exponential, capped, with ±50 % jitter so
    /// that many failed items do not retry in lockstep.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exp = self
            .config
            .base_backoff
            .saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1));
        let capped = exp.min(self.config.max_backoff);
        capped.mul_f64(0.5 + fastrand::f64())
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        match item.kind() {
            OutboxKind::Email => match (&self.smtp, &self.pickup) {
                (Some(c), _) => c.deliver(item).await,
                (None, Some(p)) => p.deliver(item).await,
                (None, None) => Err(DeliveryError::Transient(
                    "no SMTP relay is configured".to_owned(),
                )),
            },
            OutboxKind::Webhook => match (&self.webhook, &self.pickup) {
                (Some(c), _) => c.deliver(item).await,
                (None, Some(p)) => p.deliver(item).await,
                (None, None) => Err(DeliveryError::Transient(
                    "no CRM webhook is configured".to_owned(),
                )),
            },
            OutboxKind::Slack => match &self.slack {
                Some(c) => c.deliver(item).await,
                None => Err(DeliveryError::Transient(
                    "no Slack webhook is configured ([notifications] slack_webhook_url)".to_owned(),
                )),
            },
            OutboxKind::Teams => match &self.teams {
                Some(c) => c.deliver(item).await,
                None => Err(DeliveryError::Transient(
                    "no Teams webhook is configured ([notifications] teams_webhook_url)".to_owned(),
                )),
            },
        }
    }

    /// Claims one batch and settles every item in it. Time runs from `now`: an item is
    /// marked sent at `now` plus the time its delivery took, so a caller replaying history
    /// (the demo) records deliveries when they would have happened.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<WorkerReport, StoreError> {
        let started = std::time::Instant::now();
        let clock = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let items = self
            .store
            .claim_outbox(
                &self.config.worker_id,
                self.config.lease,
                self.config.batch,
                now,
            )
            .await?;
        let mut report = WorkerReport {
            claimed: items.len(),
            ..WorkerReport::default()
        };
        for item in items {
            match self.deliver(&item).await {
                Ok(()) => {
                    let marked = self
                        .store
                        .mark_sent(item.outbox_id, &self.config.worker_id, clock())
                        .await;
                    match marked {
                        Ok(()) => {
                            info!(outbox_id = item.outbox_id, action_id = %item.action_id, "delivered");
                            report.sent += 1;
                        }
                        // Our lease ran out mid-delivery and another worker owns the item
                        // now: it will deliver and mark it (a duplicate with the same
                        // Message-ID). The rest of this batch is still ours to settle.
                        Err(e @ StoreError::LeaseLost { .. }) => {
                            warn!(outbox_id = item.outbox_id, error = %e, "lease lost after delivery");
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => {
                    let last = item.attempts >= self.config.max_attempts
                        || matches!(e, DeliveryError::Permanent(_));
                    let retry_at = (!last).then(|| {
                        clock()
                            + chrono::Duration::from_std(self.backoff(item.attempts))
                                .unwrap_or(chrono::Duration::seconds(60))
                    });
                    warn!(outbox_id = item.outbox_id, action_id = %item.action_id, attempts = item.attempts,
                          error = %e, parked = last, "delivery failed");
                    self.store
                        .mark_failed(
                            item.outbox_id,
                            &self.config.worker_id,
                            &e.to_string(),
                            retry_at,
                            clock(),
                        )
                        .await?;
                    if last {
                        report.parked += 1;
                    } else {
                        report.retried += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Runs rounds until nothing is claimable now (tests and `deliver --drain`).
    pub async fn drain(&self) -> Result<WorkerReport, StoreError> {
        let mut total = WorkerReport::default();
        loop {
            let report = self.run_once(Utc::now()).await?;
            total += report;
            if report.claimed == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown` resolves, polling every `interval` when idle. A round in
    /// progress finishes before it returns, so nothing is left half-done.
    pub async fn run(
        &self,
        interval: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<WorkerReport, StoreError> {
        let mut total = WorkerReport::default();
        tokio::pin!(shutdown);
        loop {
            let report = self.run_once(Utc::now()).await?;
            total += report;
            if report.claimed > 0 {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return Ok(total),
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}
