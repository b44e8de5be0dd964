//! A candidate policy replayed over the stored history against the active one, for REST and
//! the inbox's simulate-before-activate step: decided off the async runtime, audited as a
//! simulation, nothing else written.

use chrono::{DateTime, Utc};
use countersign_engine::Policy;
use countersign_engine::policy::PolicySources;
use countersign_engine::simulate::{Observed, Past, Simulation, compare};
use countersign_store::SimulationRun;

use crate::error::ApiError;
use crate::state::AppState;

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
    let stored = state.store.history_for_simulation(since, None).await?;
    let observed = Observed {
        since,
        until: now,
        approvals: state.store.approvals_by_role(since, now).await?,
    };
    let gate = std::sync::Arc::clone(&state.gate);
    let candidate_version = candidate.version.to_string();
    let active_version = active.version.to_string();
    let sim = tokio::task::spawn_blocking(move || {
        let history: Vec<Past<'_>> = stored.iter().map(|s| s.past()).collect();
        compare(&history, &active, &candidate, &gate, &observed)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
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
