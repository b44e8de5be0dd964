//! Proposing with a caller-supplied decider: [`Store::propose_with`].
//!
//! [`Store::propose`] calls the engine inline. The server needs one more thing: a deadline
//! on the decision, with a hold recorded when it passes (fail closed). The engine is pure
//! and synchronous, so the deadline lives in the caller; this entry point hands the caller
//! the action and the context the store assembled — under the chain lock, inside the
//! transaction — and stores whatever decision comes back, in the same transaction as
//! everything else. What it writes is exactly what `propose` writes.
//!
//! This is the one implementation of proposing: [`Store::propose`] and
//! [`Store::propose_batch`] call it with the engine's shared gate as the decider.

use std::future::Future;

use chrono::{DateTime, Utc};
use countersign_engine::action::Payload;
use countersign_engine::context::{Rep, ToolGrant};
use countersign_engine::{Action, ActionKind, Context, DecisionRecord, Policy};

use crate::audit::{self, AuditEvent, Event, ShadowAi};
use crate::canonical::{canonical_json, json_value, random_base62, sha256_hex};
use crate::db::{Lock, Row, Tx};
use crate::error::StoreError;
use crate::propose::{Proposal, insert_revision, required_roles};
use crate::{ActionStatus, Store, context, micros, notify, outbox, policies, registry};

impl Store {
    /// [`Store::propose`], with the decision made by `decider` instead of the engine's
    /// shared gate. `decider` gets the action (with the store's id and the registry's tool
    /// name) and the assembled context, and must return a decision for that action; it
    /// runs while the chain lock is held, so it should be quick or bounded by a deadline.
    pub async fn propose_with<D, F>(
        &self,
        action: Action,
        tool_key: &str,
        policy: &Policy,
        now: DateTime<Utc>,
        decider: D,
    ) -> Result<Proposal, StoreError>
    where
        D: FnOnce(Action, Context) -> F,
        F: Future<Output = DecisionRecord>,
    {
        self.propose_as_with(action, &sha256_hex(tool_key), policy, now, decider)
            .await
    }

    /// [`Store::propose_with`] for the tool whose key hashes to `key_hash`: how the server
    /// proposes as a tool it runs itself (the assistant), which it knows by name, not key.
    pub async fn propose_as_with<D, F>(
        &self,
        action: Action,
        key_hash: &str,
        policy: &Policy,
        now: DateTime<Utc>,
        decider: D,
    ) -> Result<Proposal, StoreError>
    where
        D: FnOnce(Action, Context) -> F,
        F: Future<Output = DecisionRecord>,
    {
        let now = micros(now);
        validate(&action)?;
        let scope = key_hash.to_owned();
        let request_hash = sha256_hex(canonical_json(&json_value(&action)?));
        let key = action.idempotency_key.clone();
        match self
            .try_propose_with(action, &scope, &request_hash, policy, now, decider)
            .await
        {
            // Two requests with one key raced past the lookup: the loser answers with the
            // winner's stored result.
            Err(e) if e.is_unique_violation() => {
                let Some(key) = &key else {
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

    async fn try_propose_with<D, F>(
        &self,
        action: Action,
        scope: &str,
        request_hash: &str,
        policy: &Policy,
        now: DateTime<Utc>,
        decider: D,
    ) -> Result<Proposal, StoreError>
    where
        D: FnOnce(Action, Context) -> F,
        F: Future<Output = DecisionRecord>,
    {
        let mut tx = self.pool.write(Lock::AuditChain).await?;
        let request = Request {
            scope,
            hash: request_hash,
        };
        let notifications = &self.options.notifications;
        let proposal = propose_with_in(
            &mut tx,
            action,
            request,
            policy,
            notifications,
            now,
            decider,
        )
        .await?;
        tx.commit().await?;
        Ok(proposal)
    }

    /// Group commit with a decider: decides and stores every proposal of `batch` in ONE
    /// transaction, so one durable commit (one fsync with `synchronous=FULL`) answers the
    /// whole batch; nothing is answered before that commit. If any proposal fails, the
    /// batch is rolled back and each is proposed on its own with [`Store::propose_with`],
    /// so one bad proposal never costs the others their answer.
    pub async fn propose_batch_with<D, F>(
        &self,
        batch: Vec<(Action, String)>,
        policy: &Policy,
        now: DateTime<Utc>,
        decider: D,
    ) -> Vec<Result<Proposal, StoreError>>
    where
        D: Fn(Action, Context) -> F,
        F: Future<Output = DecisionRecord>,
    {
        let now = micros(now);
        let together = async {
            let mut tx = self.pool.write(Lock::AuditChain).await?;
            let mut out = Vec::with_capacity(batch.len());
            for (action, key) in &batch {
                validate(action)?;
                let scope = sha256_hex(key);
                let request_hash = sha256_hex(canonical_json(&json_value(action)?));
                let request = Request {
                    scope: &scope,
                    hash: &request_hash,
                };
                let proposal = propose_with_in(
                    &mut tx,
                    action.clone(),
                    request,
                    policy,
                    &self.options.notifications,
                    now,
                    &decider,
                )
                .await?;
                out.push(proposal);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        };
        match together.await {
            Ok(all) => all.into_iter().map(Ok).collect(),
            Err(_) => {
                let mut out = Vec::with_capacity(batch.len());
                for (action, key) in batch {
                    out.push(self.propose_with(action, &key, policy, now, &decider).await);
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

/// Who asks and what: the hash of the tool's API key (idempotency keys are per key) and
/// the hash of the canonical request.
struct Request<'a> {
    scope: &'a str,
    hash: &'a str,
}

/// Everything a proposal writes, inside the caller's transaction (which holds the audit
/// chain lock), including the notifications of a hold.
async fn propose_with_in<D, F>(
    tx: &mut Tx,
    mut action: Action,
    request: Request<'_>,
    policy: &Policy,
    notifications: &notify::Notifications,
    now: DateTime<Utc>,
    decider: D,
) -> Result<Proposal, StoreError>
where
    D: FnOnce(Action, Context) -> F,
    F: Future<Output = DecisionRecord>,
{
    let Request {
        scope,
        hash: request_hash,
    } = request;
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
    let actor = if grant.registered {
        format!("tool:{}", grant.name)
    } else {
        format!("unknown-tool:{}", &scope[..12.min(scope.len())])
    };
    policies::ensure(tx, policy, None, &actor, now).await?;

    let external_id = (!action.id.is_empty()).then(|| action.id.clone());
    let action_id = format!("act_{}", random_base62(20)?);
    action.id.clone_from(&action_id);
    if grant.registered {
        action.tool = Some(grant.name.clone());
    }
    let registered = grant.registered;
    // The rep as an account: `Dev.Patel` is dev.patel, and a name no account has is held.
    let rep = match &action.on_behalf_of {
        Some(named) => Some(match registry::reviewer_named(tx, named).await? {
            Some(account) => {
                action.on_behalf_of = Some(account.name.clone());
                Rep {
                    name: account.name,
                    registered: true,
                }
            }
            None => Rep {
                name: named.clone(),
                registered: false,
            },
        }),
        None => None,
    };
    let (mut ctx, resolved) = context::assemble(tx, &action, grant, policy, now).await?;
    ctx.rep = rep;
    let mut decision = decider(action.clone(), ctx.clone()).await;
    // INVARIANT: the stored decision names the stored action, whatever the decider did.
    decision.id.clone_from(&action_id);
    let status = ActionStatus::of(decision.decision);
    let released = status == ActionStatus::Allowed;

    let q = tx
        .query(
            "INSERT INTO action \
             (action_id, external_id, kind, tool_id, tool_name, on_behalf_of, contact_id, \
              recipient_email, opportunity_id, account_id, status, latest_revision, \
              idempotency_key, released_at, created_at, updated_at, text_fingerprint) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $14, $14, $15)",
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
        .bind(now)
        .bind(resolved.text_fingerprint.clone());
    tx.execute(q).await?;

    let action_json = json_value(&action)?;
    if !registered {
        audit::append(
            tx,
            Event {
                what: AuditEvent::ShadowAi(ShadowAi {
                    key_fingerprint: scope[..12].to_owned(),
                    kind: Some(action.kind.as_str().to_owned()),
                    claimed_tool: claimed.clone(),
                    revoked_tool: tool.as_ref().map(|t| t.name.clone()),
                    source: None,
                    recipient_domain: None,
                }),
                action_id: Some(&action_id),
                actor: &actor,
            },
            now,
        )
        .await?;
    }
    audit::append(
        tx,
        Event {
            what: AuditEvent::Proposal {
                revision: 1,
                kind: action.kind.as_str().to_owned(),
                external_id: external_id.clone(),
                on_behalf_of: action.on_behalf_of.clone(),
                target: action.target.clone(),
                idempotency_key: action
                    .idempotency_key
                    .as_ref()
                    .map(|k| k.as_str().to_owned()),
                content_sha256: sha256_hex(canonical_json(&action_json)),
            },
            action_id: Some(&action_id),
            actor: &actor,
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
    crate::queue::record_revision_index(tx, &action_id, 1, &decision, &roles, now).await?;

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
    if status == ActionStatus::Held {
        let entered = notify::Entered {
            action_id: &action_id,
            revision: 1,
            roles: &roles,
            action: &action,
            decision: &decision,
            editor: None,
            occasion: None,
            chase: None,
        };
        notify::entered_queue(tx, notifications, entered, now).await?;
    }
    Ok(Proposal {
        action_id,
        status,
        decision,
        audit_seq,
        replayed: false,
    })
}

/// The answer stored for an idempotency key (as in `propose.rs`).
impl Store {
    /// The first answer to idempotency key `key` of the tool whose key hashes to
    /// `key_hash`, with the action as it was proposed: callers that write before proposing
    /// (the assistant) look here first, so a retry returns the first draft instead of
    /// writing another.
    pub async fn replay_for_key(
        &self,
        key_hash: &str,
        key: &str,
    ) -> Result<Option<(Proposal, Action)>, StoreError> {
        let mut tx = self.pool.read().await?;
        let Some(row) = first_answer(&mut tx, key_hash, key).await? else {
            return Ok(None);
        };
        let action: serde_json::Value = row.json("action_json")?;
        let action = Action::from_json(&action)
            .map_err(|e| StoreError::Corrupt(format!("stored action: {e}")))?;
        Ok(Some((replayed(&row)?, action)))
    }
}

/// The stored first revision a key answered with.
async fn first_answer(tx: &mut Tx, scope: &str, key: &str) -> Result<Option<Row>, StoreError> {
    tx.fetch_optional(
        tx.query(
            "SELECT k.request_hash, k.action_id, r.action_json, r.decision_json, r.audit_seq \
             FROM idempotency_key k \
             JOIN revision r ON r.action_id = k.action_id AND r.number = 1 \
             WHERE k.scope = $1 AND k.client_key = $2",
        )
        .bind(scope.to_owned())
        .bind(key.to_owned()),
    )
    .await
}

/// The proposal a stored first answer was, told as a replay.
fn replayed(row: &Row) -> Result<Proposal, StoreError> {
    let decision: DecisionRecord = row.json("decision_json")?;
    Ok(Proposal {
        action_id: row.get("action_id")?,
        status: ActionStatus::of(decision.decision),
        decision,
        audit_seq: row.get("audit_seq")?,
        replayed: true,
    })
}

async fn stored_answer(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Proposal>, StoreError> {
    let Some(row) = first_answer(tx, scope, key).await? else {
        return Ok(None);
    };
    if row.get::<String>("request_hash")? != request_hash {
        return Err(StoreError::IdempotencyConflict);
    }
    replayed(&row).map(Some)
}
