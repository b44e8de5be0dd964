//! Proposing an action: resolve the tool, assemble the context, decide, and store the
//! action, its first revision, the audit records and (when allowed) the outbox row in one
//! transaction.
//!
//! Idempotency keys follow Stripe: a key is remembered with a hash of the request that
//! first used it. The same key with the same request returns the stored answer and writes
//! nothing; with a different request it is refused. Keys are per API key (per tool) and
//! kept at least [`IDEMPOTENCY_KEY_RETENTION`](crate::IDEMPOTENCY_KEY_RETENTION).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::{Action, Decision, DecisionRecord, Policy};
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::canonical::json_value;
use crate::db::{Lock, Tx};
use crate::error::StoreError;
use crate::{ActionStatus, IDEMPOTENCY_KEY_RETENTION, Store, micros};

/// The store's answer to a proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// The store's id for the action (`act_…`).
    pub action_id: String,
    /// Where the action stands after this proposal.
    pub status: ActionStatus,
    /// The engine's decision; its `id` is `action_id`.
    pub decision: DecisionRecord,
    /// Sequence number of the `decision` audit record.
    pub audit_seq: i64,
    /// True when an idempotency key returned the answer stored by an earlier request.
    pub replayed: bool,
}

/// The roles a decision requires. A hold that names no role (which a valid policy never
/// produces) needs a manager, so nothing is stuck unapprovable.
pub(crate) fn required_roles(decision: &DecisionRecord) -> BTreeSet<String> {
    if decision.decision == Decision::Hold && decision.roles.is_empty() {
        return BTreeSet::from(["manager".to_owned()]);
    }
    decision.roles.clone()
}

impl Store {
    /// Decides `action`, proposed with the API key `tool_key`, and stores it.
    ///
    /// The action's `id`, if any, is kept as its external id; the store assigns its own.
    /// Its `tool` is replaced by the registry's name for the key's tool. An unknown or
    /// revoked key is decided as an unregistered tool (so denied) and audited as
    /// `shadow_ai`. The one implementation is [`Store::propose_with`]; this is it with the
    /// engine's shared gate as the decider.
    pub async fn propose(
        &self,
        action: Action,
        tool_key: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<Proposal, StoreError> {
        let now = micros(now);
        self.propose_with(action, tool_key, policy, now, |a, ctx| {
            std::future::ready(countersign_engine::decide(&a, &ctx, policy, now))
        })
        .await
    }

    /// Group commit: decides and stores every proposal in ONE transaction, so one durable
    /// commit (one fsync with `synchronous=FULL`) covers the whole batch. If any of them
    /// fails, the batch is rolled back and each is proposed on its own, so one bad
    /// proposal never costs the others their answer. See [`Store::propose_batch_with`].
    pub async fn propose_batch(
        &self,
        batch: Vec<(Action, String)>,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Vec<Result<Proposal, StoreError>> {
        let now = micros(now);
        self.propose_batch_with(batch, policy, now, |a, ctx| {
            std::future::ready(countersign_engine::decide(&a, &ctx, policy, now))
        })
        .await
    }
}

impl Store {
    /// Deletes idempotency keys older than the retention; returns how many.
    pub async fn prune_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = micros(now);
        let mut tx = self.pool.write(Lock::Rows).await?;
        let q = tx
            .query("DELETE FROM idempotency_key WHERE created_at < $1")
            .bind(now - IDEMPOTENCY_KEY_RETENTION);
        let n = tx.execute(q).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Appends the revision's `decision` audit record and inserts the revision; returns the
/// record's sequence number.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_revision(
    tx: &mut Tx,
    action_id: &str,
    number: i64,
    author: &str,
    action_json: &serde_json::Value,
    ctx: &countersign_engine::Context,
    decision: &DecisionRecord,
    roles: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let decision_json = json_value(decision)?;
    let audit_seq = audit::append(
        tx,
        Event {
            what: AuditEvent::Decision {
                revision: number,
                decision: Box::new(decision.clone()),
                required_roles: roles.clone(),
            },
            action_id: Some(action_id),
            actor: author,
        },
        now,
    )
    .await?;
    let q = tx
        .query(
            "INSERT INTO revision \
             (action_id, number, author, action_json, context_json, decision_json, decision, \
              required_roles, policy_version, audit_seq, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(action_id.to_owned())
        .bind(number)
        .bind(author.to_owned())
        .bind(sqlx::types::Json(action_json))
        .bind(sqlx::types::Json(ctx))
        .bind(sqlx::types::Json(&decision_json))
        .bind(decision.decision.as_str())
        .bind(sqlx::types::Json(roles))
        .bind(decision.policy_version.as_str().to_owned())
        .bind(audit_seq)
        .bind(now);
    tx.execute(q).await?;
    Ok(audit_seq)
}
