//! The decision deadline: the one place a slow or failed decision becomes a hold (fail
//! closed), for the server's handlers and the CLI's `check` alike.
//!
//! The engine is pure and synchronous and cannot be interrupted, so each decision runs
//! on tokio's blocking pool and the handler waits for it at most the configured time. If
//! the time passes (or the decision task dies), the action is held for a manager with a
//! reason saying what happened, and that hold is what the store records — in the same
//! transaction as the proposal. A decision still running after its deadline finishes on
//! its thread and is thrown away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use countersign_engine::decision::Failure;
use countersign_engine::{Action, Context, DecisionRecord, Gate, Policy};

/// A decision and how it was reached.
#[derive(Debug, Clone)]
pub struct Timed {
    pub record: DecisionRecord,
    /// How long the engine took on its thread (or the time waited, when it ran out or
    /// failed).
    pub took: Duration,
    /// Whether the deadline passed and the record is the fail-closed hold.
    pub timed_out: bool,
}

/// Decides `action` with `gate` and `policy`, or holds it if that takes longer than `limit`.
pub async fn decide_within(
    gate: Arc<Gate>,
    policy: Arc<Policy>,
    action: Action,
    ctx: Context,
    now: DateTime<Utc>,
    limit: Duration,
) -> Timed {
    let id = action.id.clone();
    let version = policy.version.clone();
    let start = Instant::now();
    let task = tokio::task::spawn_blocking(move || {
        let engine = Instant::now();
        let record = gate.decide(&action, &ctx, &policy, now);
        (record, engine.elapsed())
    });
    let outcome = tokio::time::timeout(limit, task).await;
    let took = start.elapsed();
    match outcome {
        Ok(Ok((record, engine))) => Timed {
            record,
            took: engine,
            timed_out: false,
        },
        Ok(Err(_)) => Timed {
            record: DecisionRecord::fail_closed(&id, &version, &Failure::WorkerStopped),
            took,
            timed_out: false,
        },
        Err(_) => Timed {
            record: DecisionRecord::fail_closed(
                &id,
                &version,
                &Failure::TookLonger {
                    limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                },
            ),
            took,
            timed_out: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use countersign_engine::Decision;
    use countersign_engine::detect::{Detector, DetectorError, Document, Signals};
    use countersign_engine::finding::Finding;

    /// A detector that takes far longer than any deadline.
    struct Stuck;

    impl Detector for Stuck {
        fn name(&self) -> &'static str {
            "stuck"
        }

        fn detect(
            &self,
            _doc: &Document<'_>,
            _signals: &Signals<'_>,
            _out: &mut Vec<Finding>,
        ) -> Result<(), DetectorError> {
            std::thread::sleep(Duration::from_millis(500));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_decision_over_the_deadline_is_held_with_the_reason() {
        let gate = Arc::new(Gate::with_detectors(vec![Box::new(Stuck)]));
        let policy = Arc::new(Policy::default_policy().clone());
        let action = Action::email("a-1", "Hello", "Thanks for the call.");
        let t = decide_within(
            gate,
            policy,
            action,
            Context::default(),
            Utc::now(),
            Duration::from_millis(20),
        )
        .await;
        assert!(t.timed_out);
        assert_eq!(t.record.decision, Decision::Hold);
        assert_eq!(
            t.record.reasons,
            [countersign_engine::Reason::FailClosed {
                failure: Failure::TookLonger { limit_ms: 20 }
            }]
        );
        assert_eq!(
            t.record.reasons[0].to_string(),
            "fail closed: deciding took longer than 20 ms"
        );
    }
}
