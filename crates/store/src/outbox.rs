//! The outbox (DESIGN §2): what is allowed or approved, waiting to be delivered exactly once.
//!
//! A released action gets one outbox row in the same transaction that released it (one
//! per action: a unique index on `action_id` for `purpose = 'release'`). Notifications to
//! reviewers (`purpose = 'notify'`, written by `notify.rs`) share the table and the worker. Workers claim rows with a lease: a claim
//! sets `lease_owner` and `lease_expires_at` and counts an attempt; a worker that crashes
//! loses nothing, its lease runs out and another worker claims the row again, with the same
//! Message-ID and idempotency key so the receiver can drop the duplicate.
//!
//! Not here: delivering (the connectors' worker) and the backoff schedule (it passes
//! `retry_at`).

use std::time::Duration as StdDuration;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use countersign_engine::Action;
use countersign_engine::action::{Payload, Target};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::{self, AuditEvent, Delivered, DeliveryFailed, Event};
use crate::db::{Backend, Lock, Row, Tx};
use crate::error::StoreError;
use crate::{Store, micros};

/// How an outbox item is delivered (the stored `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// Over SMTP: an [`OutgoingEmail`].
    Email,
    /// To the CRM webhook: a [`WebhookCall`].
    Webhook,
    /// To the Slack-compatible incoming webhook, notifications only: a [`SlackMessage`].
    Slack,
    /// To a Teams incoming webhook, notifications only: a [`TeamsCard`].
    Teams,
}

/// What an outbox item delivers, typed by how. The stored payload is its JSON, and the
/// connectors read its fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Delivery {
    Email(OutgoingEmail),
    Webhook(WebhookCall),
    Slack(SlackMessage),
    Teams(TeamsCard),
}

/// An e-mail to send: to a buyer (released) or to a reviewer (a notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    /// Checked when delivering: none is a permanent failure, not a corrupt row.
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// The sender when it is not the connector's (notifications come from Countersign).
    #[serde(default)]
    pub from: Option<String>,
    /// Where replies go (a notification's address that takes "approve" or "reject: why").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// A change for the CRM webhook: `changes` for an opportunity update, `subject` and
/// `body` for notes, tasks and notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookCall {
    /// The action's kind, e.g. `crm.opportunity.update`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub action_id: String,
    #[serde(default)]
    pub target: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<BTreeMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A message for a Slack channel: `text` for any Slack-compatible webhook, and Block Kit
/// `blocks` with buttons when Slack's interactivity is configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlackMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Value>,
}

/// A message for a Teams channel's incoming webhook: one Adaptive Card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamsCard {
    /// The card's summary, for notifications and screen readers.
    pub summary: String,
    /// The Adaptive Card (`{"type": "AdaptiveCard", …}`).
    pub card: Value,
}

impl Delivery {
    pub fn kind(&self) -> OutboxKind {
        match self {
            Self::Email(_) => OutboxKind::Email,
            Self::Webhook(_) => OutboxKind::Webhook,
            Self::Slack(_) => OutboxKind::Slack,
            Self::Teams(_) => OutboxKind::Teams,
        }
    }

    /// The payload as stored.
    pub(crate) fn to_json(&self) -> Result<Value, StoreError> {
        serde_json::to_value(self).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Reads a stored payload of `kind`.
    pub fn from_json(kind: OutboxKind, payload: Value) -> Result<Self, StoreError> {
        let corrupt = |e: serde_json::Error| {
            StoreError::Corrupt(format!("outbox payload of kind `{}`: {e}", kind.as_str()))
        };
        Ok(match kind {
            OutboxKind::Email => Self::Email(serde_json::from_value(payload).map_err(corrupt)?),
            OutboxKind::Webhook => Self::Webhook(serde_json::from_value(payload).map_err(corrupt)?),
            OutboxKind::Slack => Self::Slack(serde_json::from_value(payload).map_err(corrupt)?),
            OutboxKind::Teams => Self::Teams(serde_json::from_value(payload).map_err(corrupt)?),
        })
    }
}

impl OutboxKind {
    /// The name stored and shown: `email`, `webhook` or `slack`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Email => "email",
            OutboxKind::Webhook => "webhook",
            OutboxKind::Slack => "slack",
            OutboxKind::Teams => "teams",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "email" => Ok(OutboxKind::Email),
            "webhook" => Ok(OutboxKind::Webhook),
            "slack" => Ok(OutboxKind::Slack),
            "teams" => Ok(OutboxKind::Teams),
            other => Err(StoreError::Corrupt(format!(
                "unknown outbox kind `{other}`"
            ))),
        }
    }
}

/// A claimed outbox item, ready to deliver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    pub outbox_id: i64,
    pub action_id: String,
    pub delivery: Delivery,
    /// Stable per action: `<{action_id}@countersign.invalid>`.
    pub message_id: String,
    /// The action's idempotency key, or its id when it had none.
    pub idempotency_key: String,
    /// Claims so far, this one included.
    pub attempts: i32,
}

impl OutboxItem {
    pub fn kind(&self) -> OutboxKind {
        self.delivery.kind()
    }
}

/// An outbox row as `show` displays it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxView {
    pub outbox_id: i64,
    pub kind: OutboxKind,
    /// `pending`, `sent` or `failed` (parked).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub message_id: String,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The Message-ID of an action's e-mail: derived from the action id only, so every
/// delivery attempt of it carries the same one.
pub fn message_id(action_id: &str) -> String {
    format!("<{action_id}@countersign.invalid>")
}

/// What delivering `action` means, or `None` when there is nothing to deliver (reads,
/// drafts).
fn delivery(action_id: &str, action: &Action) -> Option<Delivery> {
    let kind = action.kind.as_str();
    if !action.kind.writes() || kind == countersign_engine::ActionKind::EMAIL_DRAFT {
        return None;
    }
    let call = |changes, subject, body| {
        Delivery::Webhook(WebhookCall {
            kind: kind.to_owned(),
            action_id: action_id.to_owned(),
            target: action.target.clone(),
            changes,
            subject,
            body,
        })
    };
    Some(match &action.payload {
        Payload::Email(e) if action.kind.is_outbound_email() => Delivery::Email(OutgoingEmail {
            to: e.to.iter().map(|a| a.as_str().to_owned()).collect(),
            cc: e.cc.iter().map(|a| a.as_str().to_owned()).collect(),
            subject: e.subject.clone(),
            body: e.body.clone(),
            from: None,
            reply_to: None,
        }),
        Payload::OpportunityUpdate(u) => call(Some(u.changes.clone()), None, None),
        _ => call(
            None,
            Some(action.subject().to_owned()),
            Some(action.body().to_owned()),
        ),
    })
}

/// Puts a released action into the outbox (inside the releasing transaction) and audits
/// the release. Returns the outbox id, or `None` when there is nothing to deliver.
pub(crate) async fn release(
    tx: &mut Tx,
    action_id: &str,
    action: &Action,
    not_before: Option<DateTime<Utc>>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let Some(delivery) = delivery(action_id, action) else {
        audit::append(
            tx,
            Event {
                what: AuditEvent::Release {
                    delivery: "none".to_owned(),
                    outbox_id: None,
                    message_id: None,
                    next_attempt_at: None,
                },
                action_id: Some(action_id),
                actor,
            },
            now,
        )
        .await?;
        return Ok(None);
    };
    let (kind, payload) = (delivery.kind(), delivery.to_json()?);
    let next_attempt_at = not_before.map_or(now, |t| micros(t).max(now));
    let key = action
        .idempotency_key
        .as_ref()
        .map_or_else(|| action_id.to_owned(), |k| k.as_str().to_owned());
    let row = tx
        .fetch_one(
            tx.query(
                "INSERT INTO outbox \
                 (action_id, kind, payload, message_id, idempotency_key, status, attempts, \
                  next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7) RETURNING outbox_id",
            )
            .bind(action_id.to_owned())
            .bind(kind.as_str())
            .bind(sqlx::types::Json(&payload))
            .bind(message_id(action_id))
            .bind(key)
            .bind(next_attempt_at)
            .bind(now),
        )
        .await?;
    let outbox_id: i64 = row.get("outbox_id")?;
    audit::append(
        tx,
        Event {
            what: AuditEvent::Release {
                delivery: kind.as_str().to_owned(),
                outbox_id: Some(outbox_id),
                message_id: Some(message_id(action_id)),
                next_attempt_at: Some(audit::format_at(next_attempt_at)),
            },
            action_id: Some(action_id),
            actor,
        },
        now,
    )
    .await?;
    Ok(Some(outbox_id))
}

fn item_from(row: &Row) -> Result<OutboxItem, StoreError> {
    let kind = OutboxKind::parse(&row.get::<String>("kind")?)?;
    Ok(OutboxItem {
        outbox_id: row.get("outbox_id")?,
        action_id: row.get("action_id")?,
        delivery: Delivery::from_json(kind, row.json("payload")?)?,
        message_id: row.get("message_id")?,
        idempotency_key: row.get("idempotency_key")?,
        attempts: row.get("attempts")?,
    })
}

pub(crate) fn view_from(row: &Row) -> Result<OutboxView, StoreError> {
    Ok(OutboxView {
        outbox_id: row.get("outbox_id")?,
        kind: OutboxKind::parse(&row.get::<String>("kind")?)?,
        status: row.get("status")?,
        attempts: row.get("attempts")?,
        next_attempt_at: row.get("next_attempt_at")?,
        message_id: row.get("message_id")?,
        last_error: row.get("last_error")?,
        sent_at: row.get("sent_at")?,
    })
}

/// Delivery errors are kept short: they are for people, and must not carry content.
fn short(error: &str) -> String {
    let one_line = error.replace(['\r', '\n'], " ");
    if one_line.chars().count() <= 500 {
        one_line
    } else {
        one_line.chars().take(499).chain(['…']).collect()
    }
}

impl Store {
    /// Claims up to `limit` pending items whose time has come and whose lease is free or
    /// expired, leasing them to `worker` until `now + lease` and counting an attempt.
    ///
    /// Two callers never get the same item: on PostgreSQL the candidate rows are locked
    /// with `FOR UPDATE SKIP LOCKED`, so a concurrent claimer skips them instead of
    /// waiting and then claiming them too; on SQLite the claim runs under the database's
    /// single write lock.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        lease: StdDuration,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let now = micros(now);
        if worker.is_empty() {
            return Err(StoreError::invalid("worker", "must not be empty"));
        }
        let lease =
            Duration::from_std(lease).map_err(|_| StoreError::invalid("lease", "is too long"))?;
        let mut tx = self.pool.write(Lock::Rows).await?;
        let sql = match tx.backend() {
            Backend::Postgres => {
                "UPDATE outbox SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1, updated_at = $3 \
                 WHERE outbox_id IN ( \
                   SELECT outbox_id FROM outbox \
                   WHERE status = 'pending' AND next_attempt_at <= $3 \
                     AND (lease_owner IS NULL OR lease_expires_at <= $3) \
                   ORDER BY next_attempt_at, outbox_id LIMIT $4 \
                   FOR UPDATE SKIP LOCKED) \
                 RETURNING outbox_id, action_id, kind, payload, message_id, idempotency_key, attempts"
            }
            Backend::Sqlite => {
                "UPDATE outbox SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1, updated_at = $3 \
                 WHERE outbox_id IN ( \
                   SELECT outbox_id FROM outbox \
                   WHERE status = 'pending' AND next_attempt_at <= $3 \
                     AND (lease_owner IS NULL OR lease_expires_at <= $3) \
                   ORDER BY next_attempt_at, outbox_id LIMIT $4) \
                 RETURNING outbox_id, action_id, kind, payload, message_id, idempotency_key, attempts"
            }
        };
        let q = tx
            .query(sql)
            .bind(worker.to_owned())
            .bind(now + lease)
            .bind(now)
            .bind(limit.max(0));
        let rows = tx.fetch_all(q).await?;
        let mut items = rows.iter().map(item_from).collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        items.sort_by_key(|i| i.outbox_id);
        Ok(items)
    }

    /// Marks a claimed item sent and audits the `send`, in one transaction. Marking an
    /// item that is already sent is a no-op.
    pub async fn mark_sent(
        &self,
        outbox_id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let row = tx
            .fetch_optional(
                tx.query(
                    "UPDATE outbox SET status = 'sent', sent_at = $1, lease_expires_at = NULL, \
                     last_error = NULL, updated_at = $1 \
                     WHERE outbox_id = $2 AND status = 'pending' AND lease_owner = $3 \
                     RETURNING action_id, purpose, kind, message_id, attempts",
                )
                .bind(now)
                .bind(outbox_id)
                .bind(worker.to_owned()),
            )
            .await?;
        let Some(row) = row else {
            return match lease_state(&mut tx, outbox_id).await? {
                Some(status) if status == "sent" => Ok(()),
                Some(_) => Err(StoreError::LeaseLost {
                    outbox_id,
                    worker: worker.to_owned(),
                }),
                None => Err(StoreError::not_found("outbox item", outbox_id.to_string())),
            };
        };
        let action_id: String = row.get("action_id")?;
        let purpose: String = row.get("purpose")?;
        audit::append(
            &mut tx,
            Event {
                what: {
                    let delivered = Delivered {
                        outbox_id,
                        delivery: row.get::<String>("kind")?,
                        message_id: row.get::<String>("message_id")?,
                        attempts: i64::from(row.get::<i32>("attempts")?),
                    };
                    // A notification's steps are named apart, so the action's own `send`
                    // always means the action itself went out.
                    if purpose == "notify" {
                        AuditEvent::NotificationSent(delivered)
                    } else {
                        AuditEvent::Send(delivered)
                    }
                },
                action_id: Some(&action_id),
                actor: &format!("worker:{worker}"),
            },
            now,
        )
        .await?;
        tx.commit().await
    }

    /// Records a failed delivery. With `retry_at` the item is pending again from then
    /// (audit `delivery_failure`); without, it is parked as failed (audit `parked`) and
    /// needs a human.
    pub async fn mark_failed(
        &self,
        outbox_id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = micros(now);
        let error = short(error);
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let (status, next) = match retry_at {
            Some(t) => ("pending", micros(t)),
            None => ("failed", now),
        };
        let row = tx
            .fetch_optional(
                tx.query(
                    "UPDATE outbox SET status = $1, next_attempt_at = $2, lease_owner = NULL, \
                     lease_expires_at = NULL, last_error = $3, updated_at = $4 \
                     WHERE outbox_id = $5 AND status = 'pending' AND lease_owner = $6 \
                     RETURNING action_id, purpose, attempts",
                )
                .bind(status)
                .bind(next)
                .bind(error.clone())
                .bind(now)
                .bind(outbox_id)
                .bind(worker.to_owned()),
            )
            .await?;
        let Some(row) = row else {
            return match lease_state(&mut tx, outbox_id).await? {
                Some(_) => Err(StoreError::LeaseLost {
                    outbox_id,
                    worker: worker.to_owned(),
                }),
                None => Err(StoreError::not_found("outbox item", outbox_id.to_string())),
            };
        };
        let action_id: String = row.get("action_id")?;
        let attempts: i32 = row.get("attempts")?;
        let purpose: String = row.get("purpose")?;
        let failed = DeliveryFailed {
            outbox_id,
            attempts: i64::from(attempts),
            error: error.clone(),
            retry_at: retry_at.map(|_| audit::format_at(next)),
        };
        let what = match (purpose.as_str(), retry_at) {
            ("notify", Some(_)) => AuditEvent::NotificationFailure(failed),
            ("notify", None) => AuditEvent::NotificationParked(failed),
            (_, Some(_)) => AuditEvent::DeliveryFailure(failed),
            (_, None) => AuditEvent::Parked(failed),
        };
        audit::append(
            &mut tx,
            Event {
                what,
                action_id: Some(&action_id),
                actor: &format!("worker:{worker}"),
            },
            now,
        )
        .await?;
        tx.commit().await
    }
}

async fn lease_state(tx: &mut Tx, outbox_id: i64) -> Result<Option<String>, StoreError> {
    let row = tx
        .fetch_optional(
            tx.query("SELECT status FROM outbox WHERE outbox_id = $1")
                .bind(outbox_id),
        )
        .await?;
    row.map(|r| r.get::<String>("status")).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_depends_on_the_action_id_only() {
        assert_eq!(message_id("act_7Qh2"), "<act_7Qh2@countersign.invalid>");
    }

    #[test]
    fn long_errors_are_cut_to_one_line() {
        let e = short(&format!("550 mailbox unavailable\r\n{}", "x".repeat(600)));
        assert!(!e.contains('\n'));
        assert_eq!(e.chars().count(), 500);
    }
}
