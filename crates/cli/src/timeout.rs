//! The decision deadline for the CLI's synchronous commands (`check`, the offline demo):
//! the server's one deadline ([`countersign_server::decide::decide_within`]) driven from a
//! small runtime of our own, so a slow decision is held with the same reason everywhere.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use countersign_engine::context::Context;
use countersign_engine::decision::Failure;
use countersign_engine::{Action, DecisionRecord, Gate, Policy};
use countersign_server::decide::decide_within;

/// Decides with a deadline; an overrun or a failed runtime is a hold (fail closed).
pub struct TimedGate {
    gate: Arc<Gate>,
    policy: Arc<Policy>,
    limit: Duration,
    runtime: std::io::Result<tokio::runtime::Runtime>,
}

impl TimedGate {
    pub fn new(policy: Policy, limit: Duration) -> Self {
        Self {
            gate: Arc::new(Gate::new()),
            policy: Arc::new(policy),
            limit,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decides `action`, or holds it if the decision does not finish in time.
    pub fn decide(&mut self, action: Action, ctx: Context) -> DecisionRecord {
        let Ok(runtime) = &self.runtime else {
            return DecisionRecord::fail_closed(
                &action.id,
                &self.policy.version,
                &Failure::WorkerStopped,
            );
        };
        let decision = decide_within(
            Arc::clone(&self.gate),
            Arc::clone(&self.policy),
            action,
            ctx,
            Utc::now(),
            self.limit,
        );
        runtime.block_on(decision).record
    }
}
