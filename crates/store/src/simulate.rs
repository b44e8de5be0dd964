//! What a policy simulation reads, and the one record it writes.
//!
//! A simulation (`countersign simulate`) decides the stored proposals of a window again
//! under a candidate policy and the active one ([`countersign_engine::simulate`]). The
//! store gives it each action's first revision exactly as it was decided — the action,
//! the context assembled then, the time — with where the action stands now, and the
//! approvals given per role over the window (today's approval rate). It writes nothing
//! but one `simulation` audit record: the candidate is not recorded as a policy, no
//! decision is stored, no status changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use countersign_engine::simulate::Past;
use countersign_engine::{Action, Context};
use serde::Serialize;
use sqlx::types::Json;

use crate::audit::{self, AuditEvent, Event};
use crate::db::{Lock, Row};
use crate::error::StoreError;
use crate::{ActionStatus, Store, micros};

/// One stored proposal as it was first decided, and where it stands now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredProposal {
    pub action_id: String,
    /// The registry's name for the proposing tool, or the name an unknown tool claimed.
    pub tool_name: Option<String>,
    /// When revision 1 was decided: the `now` the engine was given.
    pub created_at: DateTime<Utc>,
    /// Revision 1's action, as decided.
    pub action: Action,
    /// The context the store assembled for revision 1.
    pub context: Context,
    pub status: ActionStatus,
    /// When the last required approval released it (approved actions only).
    pub approved_at: Option<DateTime<Utc>>,
}

impl StoredProposal {
    /// The engine's view of it.
    pub fn past(&self) -> Past<'_> {
        Past {
            action_id: &self.action_id,
            tool: self.tool_name.as_deref().unwrap_or("unknown"),
            created_at: self.created_at,
            action: &self.action,
            context: &self.context,
            approved_at: self.approved_at,
        }
    }
}

/// What the audit record of a simulation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationRun {
    pub candidate_version: String,
    pub active_version: String,
    pub since: DateTime<Utc>,
    /// Actions replayed.
    pub actions: u64,
    /// Of those, the ones the candidate decides differently.
    pub changed: u64,
}

/// A slice of the history in storage order, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationBatch {
    pub proposals: Vec<StoredProposal>,
    /// Pass to [`Store::history_batch`] for the next batch; `None` after the last.
    pub next: Option<HistoryCursor>,
}

/// Where a [`SimulationBatch`] ended: after this revision (its id, opaque to callers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor(i64);

/// The columns both readers select: revision 1 of each action and the action now.
macro_rules! history_select {
    () => {
        "SELECT r.revision_id, a.action_id, a.tool_name, a.status, a.released_at, \
                r.action_json, r.context_json, r.created_at \
         FROM revision r JOIN action a ON a.action_id = r.action_id \
         WHERE r.number = 1 "
    };
}

fn proposal(row: &Row) -> Result<StoredProposal, StoreError> {
    let action_id: String = row.get("action_id")?;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("action `{action_id}` revision 1: {what}: {e}"))
    };
    let Json(action_json) = row.get::<Json<serde_json::Value>>("action_json")?;
    let action = Action::from_json(&action_json).map_err(|e| corrupt("action", &e))?;
    let Json(context) = row
        .get::<Json<Context>>("context_json")
        .map_err(|e| corrupt("context", &e))?;
    let status: ActionStatus = row.get::<String>("status")?.parse()?;
    let released_at: Option<DateTime<Utc>> = row.get("released_at")?;
    Ok(StoredProposal {
        tool_name: row.get("tool_name")?,
        created_at: row.get("created_at")?,
        action,
        context,
        status,
        approved_at: released_at.filter(|_| status == ActionStatus::Approved),
        action_id,
    })
}

impl Store {
    /// The actions proposed since `since` (at most `limit`, oldest first, then by id),
    /// each with its first revision as decided.
    ///
    /// One query; the JSON columns are parsed here rather than by the database, so both
    /// backends read the same way. A revision whose action no longer parses is a corrupt
    /// store, named by its action id: a simulation that skipped it would not be a replay.
    /// Everything is in memory at once (a few KB an action): for a whole window of any
    /// size, read it with [`Store::history_batch`] instead.
    pub async fn history_for_simulation(
        &self,
        since: DateTime<Utc>,
        limit: Option<i64>,
    ) -> Result<Vec<StoredProposal>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(concat!(
                    history_select!(),
                    "AND r.created_at >= $1 ORDER BY r.created_at, a.action_id LIMIT $2"
                ))
                .bind(micros(since))
                // No limit: the largest one both databases accept.
                .bind(limit.unwrap_or(i64::MAX).max(0)),
            )
            .await?;
        drop(tx);
        rows.iter().map(proposal).collect()
    }

    /// The same history in batches of at most `size`, in storage order (not by time: a
    /// simulation's counts do not depend on order), for `[since, until)`.
    ///
    /// Why not pages by time: no index orders revisions by time, so each such page would
    /// scan and sort the whole table again. Batches walk the revisions' primary key, so
    /// the whole window costs one pass however many batches it takes, and memory stays
    /// at one batch. Each batch is its own snapshot; `until` keeps proposals that arrive
    /// while a simulation runs out of it.
    pub async fn history_batch(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        after: Option<HistoryCursor>,
        size: i64,
    ) -> Result<SimulationBatch, StoreError> {
        let size = size.max(1);
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(concat!(
                    history_select!(),
                    "AND r.revision_id > $1 AND r.created_at >= $2 AND r.created_at < $3 \
                     ORDER BY r.revision_id LIMIT $4"
                ))
                .bind(after.map_or(0, |c| c.0))
                .bind(micros(since))
                .bind(micros(until))
                .bind(size),
            )
            .await?;
        drop(tx);
        let next = match rows.last() {
            Some(last) if rows.len() as i64 == size => {
                Some(HistoryCursor(last.get("revision_id")?))
            }
            _ => None,
        };
        Ok(SimulationBatch {
            proposals: rows.iter().map(proposal).collect::<Result<_, _>>()?,
            next,
        })
    }

    /// Approvals given in `[since, until)`, per role they covered: an approval covering
    /// two roles counts for each.
    pub async fn approvals_by_role(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query("SELECT roles FROM approval WHERE created_at >= $1 AND created_at < $2")
                    .bind(micros(since))
                    .bind(micros(until)),
            )
            .await?;
        let mut out = BTreeMap::new();
        for row in rows {
            let Json(roles) = row.get::<Json<Vec<String>>>("roles")?;
            for role in roles {
                *out.entry(role).or_insert(0) += 1;
            }
        }
        Ok(out)
    }

    /// Appends the `simulation` audit record; returns its sequence number. The only
    /// write a simulation makes.
    pub async fn audit_simulation(
        &self,
        run: &SimulationRun,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let seq = audit::append(
            &mut tx,
            Event {
                what: AuditEvent::Simulation {
                    candidate_version: run.candidate_version.clone(),
                    active_version: run.active_version.clone(),
                    since: micros(run.since),
                    actions: run.actions,
                    changed: run.changed,
                },
                action_id: None,
                actor,
            },
            micros(now),
        )
        .await?;
        tx.commit().await?;
        Ok(seq)
    }
}
