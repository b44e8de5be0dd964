//! A decision deadline for the CLI: the engine is pure and has no clock, so the caller
//! enforces the time limit. Decisions run on a worker thread; if one overruns, the action
//! is held (fail closed) and a fresh worker takes the next action.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread;
use std::time::Duration;

use chrono::Utc;
use countersign_engine::context::Context;
use countersign_engine::decision::Failure;
use countersign_engine::{Action, DecisionRecord, Gate, Policy};

type Job = (Action, Context);

/// Decides on a worker thread with a deadline.
pub struct TimedGate {
    gate: Arc<Gate>,
    policy: Arc<Policy>,
    limit: Duration,
    worker: Option<(SyncSender<Job>, Receiver<DecisionRecord>)>,
}

impl TimedGate {
    pub fn new(policy: Policy, limit: Duration) -> Self {
        Self {
            gate: Arc::new(Gate::new()),
            policy: Arc::new(policy),
            limit,
            worker: None,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn spawn(&self) -> (SyncSender<Job>, Receiver<DecisionRecord>) {
        let (job_tx, job_rx) = sync_channel::<Job>(1);
        let (out_tx, out_rx) = sync_channel::<DecisionRecord>(1);
        let gate = Arc::clone(&self.gate);
        let policy = Arc::clone(&self.policy);
        thread::spawn(move || {
            for (action, ctx) in job_rx {
                let record = gate.decide(&action, &ctx, &policy, Utc::now());
                if out_tx.send(record).is_err() {
                    break;
                }
            }
        });
        (job_tx, out_rx)
    }

    /// Decides `action`, or holds it if the decision does not finish in time.
    pub fn decide(&mut self, action: Action, ctx: Context) -> DecisionRecord {
        let id = action.id.clone();
        let (tx, rx) = match self.worker.take() {
            Some(w) => w,
            None => self.spawn(),
        };
        let fail =
            |failure: Failure| DecisionRecord::fail_closed(&id, &self.policy.version, &failure);
        if tx.send((action, ctx)).is_err() {
            return fail(Failure::WorkerStopped);
        }
        match rx.recv_timeout(self.limit) {
            Ok(record) => {
                self.worker = Some((tx, rx));
                record
            }
            // The stuck worker is abandoned; it exits when it finishes and finds no receiver.
            Err(RecvTimeoutError::Timeout) => fail(Failure::TookLonger {
                limit_ms: self.limit.as_millis(),
            }),
            Err(RecvTimeoutError::Disconnected) => fail(Failure::WorkerStopped),
        }
    }
}
