//! Actions, once for every door: REST, MCP, the inbox and the group committer propose,
//! read, approve, edit and reject through these functions, so the deadline, visibility,
//! metrics and the store's checks are the same whichever way a request came in.

use std::future::Future;
use std::sync::Arc;

use chrono::Utc;
use countersign_engine::{Action, Context, DecisionRecord, Policy};
use countersign_store::{
    ActionStatus, ActionView, ApprovalOutcome, Edit, Proposal, StoreError, Via,
};

use crate::auth::Principal;
use crate::decide::decide_within;
use crate::error::ApiError;
use crate::state::AppState;

/// Proposes with the decision deadline, through group commit when it is on: shared by
/// REST and MCP.
pub async fn propose(state: &AppState, action: Action, key: &str) -> Result<Proposal, ApiError> {
    if let Some(committer) = &state.committer {
        return Ok(committer.propose(action, key).await?);
    }
    let policy = state.policy();
    // One clock read: the decision and the stored record carry the same time.
    let now = Utc::now();
    let decider = decider(state, policy.clone(), now);
    Ok(state
        .store
        .propose_with(action, key, &policy, now, decider)
        .await?)
}

/// Proposes as the tool whose key hashes to `key_hash` (a tool the server runs itself: the
/// assistant), with the decision deadline; not through group commit, which batches keys.
pub async fn propose_as(
    state: &AppState,
    action: Action,
    key_hash: &str,
) -> Result<Proposal, ApiError> {
    let policy = state.policy();
    let now = Utc::now();
    let decider = decider(state, policy.clone(), now);
    Ok(state
        .store
        .propose_as_with(action, key_hash, &policy, now, decider)
        .await?)
}

/// Proposes a batch in one transaction (the group committer's call).
pub async fn propose_batch(
    state: &AppState,
    batch: Vec<(Action, String)>,
) -> Vec<Result<Proposal, StoreError>> {
    let policy = state.policy();
    let now = Utc::now();
    let decider = decider(state, policy.clone(), now);
    state
        .store
        .propose_batch_with(batch, &policy, now, decider)
        .await
}

/// The store's decider: the engine under the deadline, with its metrics.
fn decider(
    state: &AppState,
    policy: Arc<Policy>,
    now: chrono::DateTime<Utc>,
) -> impl Fn(Action, Context) -> std::pin::Pin<Box<dyn Future<Output = DecisionRecord> + Send>>
+ Send
+ Sync
+ 'static {
    let gate = state.gate.clone();
    let limit = state.decision_timeout();
    move |action, ctx| {
        let gate = gate.clone();
        let policy = policy.clone();
        Box::pin(async move {
            let timed = decide_within(gate, policy, action, ctx, now, limit).await;
            crate::metrics::decision(&timed.record, timed.took, timed.timed_out);
            if timed.timed_out {
                tracing::warn!(
                    limit_ms = limit.as_millis(),
                    "decision over its deadline: held"
                );
            }
            timed.record
        })
    }
}

/// Loads an action and checks the caller may see it.
pub async fn visible(
    state: &AppState,
    principal: &Principal,
    action_id: &str,
) -> Result<ActionView, ApiError> {
    let account = match principal {
        Principal::Tool(t) => {
            // Tools see their own proposals only — by registry id, as a revoked tool's
            // name may be registered again — and others' ids stay unconfirmed.
            let owner = state.store.action_tool_id(action_id).await;
            if !matches!(owner, Ok(Some(id)) if id == t.tool_id) {
                return Err(ApiError::not_found(format!(
                    "action `{action_id}` not found"
                )));
            }
            return Ok(state.store.show(action_id, Utc::now()).await?);
        }
        Principal::Account(a) => a,
    };
    let view = state.store.show(action_id, Utc::now()).await?;
    let allowed = account.admin
        || view.on_behalf_of.as_deref() == Some(account.name.as_str())
        || view.revisions.iter().any(|r| {
            r.required_roles
                .iter()
                .any(|role| account.roles.contains(role))
        });
    // The owner of the deal answers for it: they see what is proposed on it.
    let owns_deal = !allowed
        && match &view.opportunity_id {
            Some(id) => state
                .store
                .opportunity(id)
                .await?
                .and_then(|o| o.owner)
                .is_some_and(|owner| owner == account.name),
            None => false,
        };
    if allowed || owns_deal {
        Ok(view)
    } else {
        Err(ApiError::forbidden(format!(
            "action `{action_id}` needs none of your roles, is not on your behalf and not on a deal you own"
        )))
    }
}

/// Approves `revision` of a held action as `reviewer` (who must see it); the store checks
/// the revision is the latest and the reviewer may approve.
pub async fn approve(
    state: &AppState,
    principal: &Principal,
    action_id: &str,
    revision: i64,
) -> Result<ApprovalOutcome, ApiError> {
    let reviewer = principal.account()?;
    let view = visible(state, principal, action_id).await?;
    let outcome = store_approval(state, &reviewer.name, action_id, revision, None).await?;
    record_approval(&outcome, view.created_at);
    Ok(outcome)
}

/// Approves as the reviewer a link, a reply or a chat vouched for (`via`; `None` for the
/// inbox and the API, whose callers checked visibility). The store checks the rest, as for
/// every approval: the revision is the latest, the reviewer holds a needed role,
/// separation of duties.
pub async fn approve_via(
    state: &AppState,
    reviewer: &str,
    action_id: &str,
    revision: i64,
    via: Option<Via>,
) -> Result<ApprovalOutcome, ApiError> {
    let outcome = store_approval(state, reviewer, action_id, revision, via).await?;
    if outcome.status == ActionStatus::Approved
        && let Ok(created) = state.store.action_created_at(action_id).await
    {
        record_approval(&outcome, created);
    }
    Ok(outcome)
}

async fn store_approval(
    state: &AppState,
    reviewer: &str,
    action_id: &str,
    revision: i64,
    via: Option<Via>,
) -> Result<ApprovalOutcome, ApiError> {
    let outcome = state
        .store
        .approve_via(
            action_id,
            revision,
            reviewer,
            &state.policy(),
            via,
            Utc::now(),
        )
        .await?;
    metrics::counter!(crate::metrics::REVIEWS, "outcome" => "approval").increment(1);
    Ok(outcome)
}

/// The time from proposal to release, for an approval that released the action.
fn record_approval(outcome: &ApprovalOutcome, created: chrono::DateTime<Utc>) {
    if outcome.status == ActionStatus::Approved {
        let waited = (Utc::now() - created).num_milliseconds().max(0);
        #[allow(clippy::cast_precision_loss, reason = "a latency for a histogram")]
        metrics::histogram!(crate::metrics::APPROVAL_SECONDS).record(waited as f64 / 1000.0);
    }
}

/// A new revision of a held action, decided again.
pub async fn edit(
    state: &AppState,
    principal: &Principal,
    action_id: &str,
    edit: &Edit,
) -> Result<(), ApiError> {
    let reviewer = principal.account()?;
    visible(state, principal, action_id).await?;
    let policy = state.policy();
    state
        .store
        .edit(action_id, &reviewer.name, edit, &policy, Utc::now())
        .await?;
    metrics::counter!(crate::metrics::REVIEWS, "outcome" => "edit").increment(1);
    Ok(())
}

/// Rejects a held action with a reason.
pub async fn reject(
    state: &AppState,
    principal: &Principal,
    action_id: &str,
    reason: &str,
) -> Result<(), ApiError> {
    let reviewer = principal.account()?;
    visible(state, principal, action_id).await?;
    reject_via(state, &reviewer.name, action_id, reason, None).await
}

/// Rejects as the reviewer a link, a reply or a chat vouched for (see [`approve_via`]).
pub async fn reject_via(
    state: &AppState,
    reviewer: &str,
    action_id: &str,
    reason: &str,
    via: Option<Via>,
) -> Result<(), ApiError> {
    state
        .store
        .reject_via(action_id, reviewer, reason, via, Utc::now())
        .await?;
    metrics::counter!(crate::metrics::REVIEWS, "outcome" => "rejection").increment(1);
    Ok(())
}
