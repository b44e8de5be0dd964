//! A candidate policy replayed over the stored history against the active one, for REST and
//! the inbox's simulate-before-activate step: decided off the async runtime, audited as a
//! simulation, nothing else written.

use chrono::{DateTime, Utc};
use countersign_engine::Policy;
use countersign_engine::policy::PolicySources;
use countersign_engine::simulate::{Observed, Past, Simulation, Tally, tally};
use countersign_store::SimulationRun;

use crate::error::ApiError;
use crate::state::AppState;

/// Actions decided per batch.
const BATCH: i64 = 10_000;

/// Simulates `candidate` over the actions proposed since `since`, as `actor`.
pub async fn run(
    state: &AppState,
    candidate: &PolicySources<'_>,
    since: DateTime<Utc>,
    actor: &str,
) -> Result<Simulation, ApiError> {
    let candidate =
        Policy::load(candidate).map_err(|e| ApiError::validation("policy", e.to_string()))?;
    let active = state.policy();
    let now = Utc::now();
    if since >= now {
        return Err(ApiError::validation("since", "must be in the past"));
    }
    let observed = Observed {
        since,
        until: now,
        approvals: state.store.approvals_by_role(since, now).await?,
    };
    let candidate_version = candidate.version.to_string();
    let active_version = active.version.to_string();
    let candidate = std::sync::Arc::new(candidate);
    // A batch of history in memory at a time, decided off the async runtime.
    let mut all = Tally::default();
    let mut after = None;
    loop {
        let batch = state.store.history_batch(since, now, after, BATCH).await?;
        let (gate, active, candidate) = (
            std::sync::Arc::clone(&state.gate),
            std::sync::Arc::clone(&active),
            std::sync::Arc::clone(&candidate),
        );
        let proposals = batch.proposals;
        let part = tokio::task::spawn_blocking(move || {
            let history: Vec<Past<'_>> = proposals.iter().map(|s| s.past()).collect();
            tally(&history, &active, &candidate, &gate)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
        all.merge(part);
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let sim = all.finish(&active.version, &candidate.version, &observed);
    state
        .store
        .audit_simulation(
            &SimulationRun {
                candidate_version,
                active_version,
                since,
                actions: sim.actions,
                changed: sim.changed.len() as u64,
            },
            actor,
            now,
        )
        .await?;
    Ok(sim)
}
