//! Read-only views the server needs besides [`Store::show`] and [`Store::queue`]: single
//! contacts and opportunities, the suppression list, what an agent may know about an
//! account (its context and recent actions), a liveness ping, and the figures behind the
//! server's gauges (queue depth per role, outbox state).
//!
//! Nothing here writes, so nothing here is audited.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::crm::{self, ContactRecord, OpportunityRecord};
use crate::error::StoreError;
use crate::{ActionStatus, Store, micros};

/// One suppressed address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionRecord {
    pub email: String,
    /// `opt_out`, `do_not_contact` or `legal_hold`.
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// An action as listed in an account's history: no content, only what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionSummary {
    pub action_id: String,
    pub kind: String,
    pub tool: Option<String>,
    pub status: ActionStatus,
    pub contact_id: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
}

/// Which records to gather context for; any combination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextQuery {
    pub contact_id: Option<String>,
    pub email: Option<String>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
}

/// What the store knows around a contact, opportunity or account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountContext {
    pub contact: Option<ContactRecord>,
    /// The suppression of the contact's address, if any.
    pub suppression: Option<String>,
    pub opportunity: Option<OpportunityRecord>,
    /// The account, from the query or from the contact or opportunity.
    pub account_id: Option<String>,
    /// The account's name, when a CRM import brought it.
    pub account_name: Option<String>,
    /// Recent actions on the contact, the opportunity or the account, newest first.
    pub recent_actions: Vec<ActionSummary>,
    /// The account's contacts (the buying committee as the CRM knows it), by name.
    pub committee: Vec<ContactRecord>,
}

/// Outbox figures for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct OutboxStats {
    /// Items waiting to be delivered.
    pub pending: i64,
    /// Pending items whose last attempt failed (they will be retried).
    pub retrying: i64,
    /// Items parked after their last attempt: a human must act.
    pub parked: i64,
    /// Seconds the oldest due item has waited past its time (0 when none is due).
    pub lag_seconds: f64,
}

impl Store {
    /// Runs a trivial query: whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.read().await?;
        tx.fetch_one(tx.query("SELECT 1 AS one")).await?;
        Ok(())
    }

    /// The registry id of the tool that proposed an action (`None` for an unknown or
    /// revoked key's proposal); `NotFound` for an unknown action. Ownership checks use the
    /// id, not the name: a revoked tool's name may be registered again.
    pub async fn action_tool_id(&self, action_id: &str) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(
                tx.query("SELECT tool_id FROM action WHERE action_id = $1")
                    .bind(action_id.to_owned()),
            )
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "action",
                id: action_id.to_owned(),
            })?;
        row.get("tool_id")
    }

    /// When an action was proposed (for the time-to-approval metric).
    pub async fn action_created_at(&self, action_id: &str) -> Result<DateTime<Utc>, StoreError> {
        let mut tx = self.pool.read().await?;
        let q = tx
            .query("SELECT created_at FROM action WHERE action_id = $1")
            .bind(action_id.to_owned());
        match tx.fetch_optional(q).await? {
            Some(row) => row.get("created_at"),
            None => Err(StoreError::not_found("action", action_id)),
        }
    }

    /// One contact by its CRM id.
    pub async fn contact(&self, contact_id: &str) -> Result<Option<ContactRecord>, StoreError> {
        let mut tx = self.pool.read().await?;
        crm::contact_by_id(&mut tx, contact_id).await
    }

    /// One opportunity by its CRM id.
    pub async fn opportunity(
        &self,
        opportunity_id: &str,
    ) -> Result<Option<OpportunityRecord>, StoreError> {
        let mut tx = self.pool.read().await?;
        crm::opportunity_by_id(&mut tx, opportunity_id).await
    }

    /// Every suppressed address, by address.
    pub async fn list_suppressions(&self) -> Result<Vec<SuppressionRecord>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(tx.query("SELECT email, reason, created_at FROM suppression ORDER BY email"))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SuppressionRecord {
                    email: r.get("email")?,
                    reason: r.get("reason")?,
                    created_at: r.get("created_at")?,
                })
            })
            .collect()
    }

    /// The contact (by id or address), its suppression, the opportunity, and up to
    /// `limit` recent actions on any of them or on the account.
    pub async fn account_context(
        &self,
        q: &ContextQuery,
        limit: i64,
    ) -> Result<AccountContext, StoreError> {
        let mut tx = self.pool.read().await?;
        let contact = match (&q.contact_id, &q.email) {
            (Some(id), _) => crm::contact_by_id(&mut tx, id).await?,
            (None, Some(email)) => {
                crm::contact_by_email(&mut tx, &email.to_ascii_lowercase()).await?
            }
            (None, None) => None,
        };
        let address = contact
            .as_ref()
            .and_then(|c| c.email.clone())
            .or_else(|| q.email.clone());
        let suppression = match &address {
            Some(a) => {
                let row = tx
                    .fetch_optional(
                        tx.query("SELECT reason FROM suppression WHERE email = $1")
                            .bind(a.to_ascii_lowercase()),
                    )
                    .await?;
                row.map(|r| r.get::<String>("reason")).transpose()?
            }
            None => None,
        };
        let opportunity = match &q.opportunity_id {
            Some(id) => crm::opportunity_by_id(&mut tx, id).await?,
            None => None,
        };
        let account_id = q
            .account_id
            .clone()
            .or_else(|| contact.as_ref().and_then(|c| c.account_id.clone()))
            .or_else(|| opportunity.as_ref().and_then(|o| o.account_id.clone()));
        let account_name = match &account_id {
            Some(id) => tx
                .fetch_optional(
                    tx.query("SELECT name FROM crm_account WHERE account_id = $1")
                        .bind(id.clone()),
                )
                .await?
                .map(|r| r.get::<Option<String>>("name"))
                .transpose()?
                .flatten(),
            None => None,
        };
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT action_id, kind, tool_name, status, contact_id, opportunity_id, \
                            account_id, created_at, released_at \
                     FROM action \
                     WHERE ($1 IS NOT NULL AND contact_id = $1) \
                        OR ($2 IS NOT NULL AND recipient_email = $2) \
                        OR ($3 IS NOT NULL AND opportunity_id = $3) \
                        OR ($4 IS NOT NULL AND account_id = $4) \
                     ORDER BY created_at DESC, action_id DESC LIMIT $5",
                )
                .bind(contact.as_ref().map(|c| c.contact_id.clone()))
                .bind(address.map(|a| a.to_ascii_lowercase()))
                .bind(q.opportunity_id.clone())
                .bind(account_id.clone())
                .bind(limit.clamp(0, 200)),
            )
            .await?;
        let recent_actions = rows
            .iter()
            .map(|r| {
                Ok(ActionSummary {
                    action_id: r.get("action_id")?,
                    kind: r.get("kind")?,
                    tool: r.get("tool_name")?,
                    status: r.get::<String>("status")?.parse()?,
                    contact_id: r.get("contact_id")?,
                    opportunity_id: r.get("opportunity_id")?,
                    account_id: r.get("account_id")?,
                    created_at: r.get("created_at")?,
                    released_at: r.get("released_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let committee = match &account_id {
            Some(account) => tx
                .fetch_all(
                    tx.query(
                        "SELECT contact_id, email, name, title, crm_role, timezone, account_id \
                         FROM contact WHERE account_id = $1 ORDER BY name, contact_id LIMIT 12",
                    )
                    .bind(account.clone()),
                )
                .await?
                .iter()
                .map(crm::contact_from)
                .collect::<Result<Vec<_>, StoreError>>()?,
            None => Vec::new(),
        };
        Ok(AccountContext {
            contact,
            suppression,
            opportunity,
            account_id,
            account_name,
            recent_actions,
            committee,
        })
    }

    /// Held actions per role still missing, for the queue-depth gauge.
    pub async fn queue_depth(
        &self,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        self.queue_counts(now).await
    }

    /// The outbox's state now.
    pub async fn outbox_stats(&self, now: DateTime<Utc>) -> Result<OutboxStats, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_one(
                tx.query(
                    "SELECT \
                       COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
                       COALESCE(SUM(CASE WHEN status = 'pending' AND last_error IS NOT NULL \
                                         THEN 1 ELSE 0 END), 0) AS retrying, \
                       COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS parked \
                     FROM outbox",
                ),
            )
            .await?;
        let oldest = tx
            .fetch_optional(
                tx.query(
                    "SELECT next_attempt_at FROM outbox \
                     WHERE status = 'pending' AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at LIMIT 1",
                )
                .bind(now),
            )
            .await?;
        let lag_seconds = match oldest {
            Some(r) => {
                let due: DateTime<Utc> = r.get("next_attempt_at")?;
                #[allow(clippy::cast_precision_loss, reason = "a lag in seconds for a gauge")]
                let lag = (now - due).num_milliseconds().max(0) as f64 / 1000.0;
                lag
            }
            None => 0.0,
        };
        Ok(OutboxStats {
            pending: row.get("pending")?,
            retrying: row.get("retrying")?,
            parked: row.get("parked")?,
            lag_seconds,
        })
    }
}
