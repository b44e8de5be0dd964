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
use countersign_engine::action::Payload;
use countersign_engine::context::ToolGrant;
use countersign_engine::{Action, ActionKind, Decision, DecisionRecord, Policy};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Event};
use crate::canonical::{canonical_json, json_value, random_base62, sha256_hex};
use crate::db::{Lock, Tx};
use crate::error::StoreError;
use crate::{
    ActionStatus, IDEMPOTENCY_KEY_RETENTION, Store, context, micros, outbox, policies, registry,
};

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

/// Who proposed: `tool:NAME`, or `unknown-tool:FINGERPRINT` for a key the registry lacks.
fn proposer(grant: &ToolGrant, key_hash: &str) -> String {
    if grant.registered {
        format!("tool:{}", grant.name)
    } else {
        format!("unknown-tool:{}", &key_hash[..12.min(key_hash.len())])
    }
}

impl Store {
    /// Decides `action`, proposed with the API key `tool_key`, and stores it.
    ///
    /// The action's `id`, if any, is kept as its external id; the store assigns its own.
    /// Its `tool` is replaced by the registry's name for the key's tool. An unknown or
    /// revoked key is decided as an unregistered tool (so denied) and audited as
    /// `shadow_ai`.
    pub async fn propose(
        &self,
        action: Action,
        tool_key: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<Proposal, StoreError> {
        let now = micros(now);
        validate(&action)?;
        let scope = sha256_hex(tool_key);
        let request_hash = sha256_hex(canonical_json(&json_value(&action)?));
        match self
            .try_propose(action.clone(), &scope, &request_hash, policy, now)
            .await
        {
            // Two requests with one key raced past the lookup (which the chain lock makes
            // rare): the loser answers with the winner's stored result.
            Err(e) if e.is_unique_violation() => {
                let Some(key) = &action.idempotency_key else {
                    return Err(e);
                };
                let mut tx = self.pool.read().await?;
                match stored_answer(&mut tx, &scope, key.as_str(), &request_hash).await? {
                    Some(answer) => Ok(answer),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    async fn try_propose(
        &self,
        action: Action,
        scope: &str,
        request_hash: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<Proposal, StoreError> {
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let proposal = propose_in(&mut tx, action, scope, request_hash, policy, now).await?;
        tx.commit().await?;
        Ok(proposal)
    }

    /// Group commit: decides and stores every proposal in ONE transaction, so one durable
    /// commit (one fsync with `synchronous=FULL`) covers the whole batch. If any of them
    /// fails, the batch is rolled back and each is proposed on its own, so one bad
    /// proposal never costs the others their answer.
    pub async fn propose_batch(
        &self,
        batch: Vec<(Action, String)>,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Vec<Result<Proposal, StoreError>> {
        let now = micros(now);
        let together = async {
            let mut tx = self.pool.write(Lock::AuditChain).await?;
            let mut out = Vec::with_capacity(batch.len());
            for (action, key) in &batch {
                validate(action)?;
                let scope = sha256_hex(key);
                let request_hash = sha256_hex(canonical_json(&json_value(action)?));
                out.push(
                    propose_in(&mut tx, action.clone(), &scope, &request_hash, policy, now).await?,
                );
            }
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        };
        match together.await {
            Ok(all) => all.into_iter().map(Ok).collect(),
            Err(_) => {
                let mut out = Vec::with_capacity(batch.len());
                for (action, key) in batch {
                    out.push(self.propose(action, &key, policy, now).await);
                }
                out
            }
        }
    }
}

/// A proposal must have somebody to send to.
fn validate(action: &Action) -> Result<(), StoreError> {
    if let Payload::Email(e) = &action.payload
        && e.to.is_empty()
        && action.kind.as_str() == ActionKind::EMAIL_SEND
    {
        return Err(StoreError::invalid(
            "payload.to",
            "needs at least one recipient",
        ));
    }
    Ok(())
}

/// Everything a proposal writes, inside the caller's transaction (which holds the audit
/// chain lock).
async fn propose_in(
    tx: &mut Tx,
    mut action: Action,
    scope: &str,
    request_hash: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Proposal, StoreError> {
    if let Some(key) = &action.idempotency_key
        && let Some(answer) = stored_answer(tx, scope, key.as_str(), request_hash).await?
    {
        return Ok(answer);
    }

    let tool = registry::tool_by_key_hash(tx, scope).await?;
    let claimed = action.tool.clone();
    let grant = match &tool {
        Some(t) if t.revoked_at.is_none() => t.grant(),
        Some(t) => ToolGrant {
            registered: false,
            ..t.grant()
        },
        None => ToolGrant {
            name: claimed.clone().unwrap_or_else(|| "unknown".to_owned()),
            registered: false,
            ..ToolGrant::default()
        },
    };
    let actor = proposer(&grant, scope);
    policies::ensure(tx, policy, None, &actor, now).await?;

    let external_id = (!action.id.is_empty()).then(|| action.id.clone());
    let action_id = format!("act_{}", random_base62(20)?);
    action.id.clone_from(&action_id);
    if grant.registered {
        action.tool = Some(grant.name.clone());
    }
    let registered = grant.registered;
    let (ctx, resolved) = context::assemble(tx, &action, grant, policy, now).await?;
    let decision = countersign_engine::decide(&action, &ctx, policy, now);
    let status = ActionStatus::of(decision.decision);
    let released = status == ActionStatus::Allowed;

    let q = tx
        .query(
            "INSERT INTO action \
                 (action_id, external_id, kind, tool_id, tool_name, on_behalf_of, contact_id, \
                  recipient_email, opportunity_id, account_id, status, latest_revision, \
                  idempotency_key, released_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $14, $14)",
        )
        .bind(action_id.clone())
        .bind(external_id.clone())
        .bind(action.kind.as_str().to_owned())
        .bind(tool.as_ref().map(|t| t.tool_id))
        .bind(action.tool.clone())
        .bind(action.on_behalf_of.clone())
        .bind(resolved.contact_id.clone())
        .bind(resolved.recipient_email.clone())
        .bind(resolved.opportunity_id.clone())
        .bind(resolved.account_id.clone())
        .bind(status.as_str())
        .bind(
            action
                .idempotency_key
                .as_ref()
                .map(|k| k.as_str().to_owned()),
        )
        .bind(released.then_some(now))
        .bind(now);
    tx.execute(q).await?;

    let action_json = json_value(&action)?;
    if !registered {
        audit::append(
            tx,
            Event {
                event: "shadow_ai",
                action_id: Some(&action_id),
                actor: &actor,
                data: json!({
                    "claimed_tool": claimed,
                    "revoked_tool": tool.as_ref().map(|t| t.name.clone()),
                    "key_fingerprint": &scope[..12],
                    "kind": action.kind.as_str(),
                }),
            },
            now,
        )
        .await?;
    }
    audit::append(
        tx,
        Event {
            event: "proposal",
            action_id: Some(&action_id),
            actor: &actor,
            data: json!({
                "revision": 1,
                "kind": action.kind.as_str(),
                "external_id": external_id,
                "on_behalf_of": action.on_behalf_of,
                "target": action.target,
                "idempotency_key": action.idempotency_key,
                "content_sha256": sha256_hex(canonical_json(&action_json)),
            }),
        },
        now,
    )
    .await?;
    let roles = required_roles(&decision);
    let audit_seq = insert_revision(
        tx,
        &action_id,
        1,
        &actor,
        &action_json,
        &ctx,
        &decision,
        &roles,
        now,
    )
    .await?;

    if let Some(key) = &action.idempotency_key {
        let q = tx
                .query(
                    "INSERT INTO idempotency_key (scope, client_key, request_hash, action_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(scope.to_owned())
                .bind(key.as_str().to_owned())
                .bind(request_hash.to_owned())
                .bind(action_id.clone())
                .bind(now);
        tx.execute(q).await?;
    }
    if released {
        outbox::release(tx, &action_id, &action, decision.not_before, &actor, now).await?;
    }
    Ok(Proposal {
        action_id,
        status,
        decision,
        audit_seq,
        replayed: false,
    })
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
            event: "decision",
            action_id: Some(action_id),
            actor: author,
            data: json!({
                "revision": number,
                "decision": decision_json,
                "required_roles": roles,
            }),
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

/// The answer stored for an idempotency key, `None` if the key is new, or the conflict
/// error if it was used for another request.
async fn stored_answer(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Proposal>, StoreError> {
    let row = tx
        .fetch_optional(
            tx.query(
                "SELECT k.request_hash, k.action_id, r.decision_json, r.audit_seq \
                 FROM idempotency_key k \
                 JOIN revision r ON r.action_id = k.action_id AND r.number = 1 \
                 WHERE k.scope = $1 AND k.client_key = $2",
            )
            .bind(scope.to_owned())
            .bind(key.to_owned()),
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.get::<String>("request_hash")? != request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    let decision: DecisionRecord = row.json("decision_json")?;
    Ok(Some(Proposal {
        action_id: row.get("action_id")?,
        status: ActionStatus::of(decision.decision),
        decision,
        audit_seq: row.get("audit_seq")?,
        replayed: true,
    }))
}
