//! Nothing waits unseen (issue 12): what the policy's service levels
//! ([`countersign_engine::service_level`]) do for held items — remind a role's reviewers,
//! escalate what they did not decide in time, expire what nobody decided.
//!
//! `serve` sweeps every minute. Each step is recorded in `review_step` (once per revision:
//! an edit starts the clock again) in the transaction that takes it, with its notification
//! in the outbox and its audit record, so a step is neither lost nor repeated however many
//! instances sweep.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::Policy;
use countersign_engine::service_level::Step;
use serde::Serialize;

use crate::audit::{self, AuditEvent, Event};
use crate::db::Lock;
use crate::notify::{self, Chase};
use crate::{Store, StoreError, approvals, micros};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub reminded: usize,
    pub escalated: usize,
    pub expired: usize,
}

impl Store {
    /// Takes every service-level step due at `now` for held items.
    pub async fn sweep_service_levels(
        &self,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<SweepReport, StoreError> {
        let levels = &policy.config.review;
        let mut report = SweepReport::default();
        if levels.roles.is_empty() && levels.expire_after.is_none() {
            return Ok(report);
        }
        let now = micros(now);
        let held = {
            let mut read = self.pool.read().await?;
            let q = read.query(
                "SELECT a.action_id, a.created_at, a.latest_revision, r.created_at AS since \
                 FROM action a JOIN revision r \
                   ON r.action_id = a.action_id AND r.number = a.latest_revision \
                 WHERE a.status = 'held' ORDER BY a.created_at",
            );
            let mut out = Vec::new();
            for row in read.fetch_all(q).await? {
                let id: String = row.get("action_id")?;
                let proposed: DateTime<Utc> = row.get("created_at")?;
                let since: DateTime<Utc> = row.get("since")?;
                let revision: i64 = row.get("latest_revision")?;
                // Without the write lock first: most items have nothing due, or had it done.
                let due: BTreeSet<String> = levels
                    .steps(proposed, since, levels.roles.keys(), now)
                    .iter()
                    .map(Step::key)
                    .collect();
                if due.is_empty() {
                    continue;
                }
                let taken = read
                    .fetch_all(
                        read.query(
                            "SELECT step FROM review_step WHERE action_id = $1 AND revision = $2",
                        )
                        .bind(id.clone())
                        .bind(revision),
                    )
                    .await?
                    .iter()
                    .map(|r| r.get::<String>("step"))
                    .collect::<Result<BTreeSet<String>, _>>()?;
                if !due.is_subset(&taken) {
                    out.push((id, proposed, since));
                }
            }
            out
        };
        for (id, proposed, since) in held {
            let mut tx = self.pool.write(Lock::AuditChain).await?;
            let (action, decision, revision, missing) =
                approvals::still_needed(&mut tx, &id, now).await?;
            let status: String = tx
                .fetch_optional(
                    tx.query("SELECT status FROM action WHERE action_id = $1")
                        .bind(id.clone()),
                )
                .await?
                .map(|r| r.get("status"))
                .transpose()?
                .unwrap_or_default();
            if status != "held" {
                continue;
            }
            for step in levels.steps(proposed, since, &missing, now) {
                let key = step.key();
                let due = match &step {
                    Step::Remind { due, .. } | Step::Escalate { due, .. } => *due,
                    Step::Expire { at } => *at,
                };
                let q = tx
                    .query(
                        "INSERT INTO review_step (action_id, revision, step, due_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(id.clone())
                    .bind(revision)
                    .bind(key.clone())
                    .bind(micros(due))
                    .bind(now);
                if tx.execute(q).await? == 0 {
                    continue; // Taken already.
                }
                match &step {
                    Step::Remind { role, due } | Step::Escalate { role, due, .. } => {
                        let roles = BTreeSet::from([role.clone()]);
                        let chase = match &step {
                            Step::Escalate { to, .. } => Chase::Escalation { due: *due, to },
                            _ => Chase::Reminder { due: *due },
                        };
                        let entered = notify::Entered {
                            action_id: &id,
                            revision,
                            roles: &roles,
                            action: &action,
                            decision: &decision,
                            editor: None,
                            occasion: Some(&key),
                            chase: Some(chase),
                        };
                        notify::entered_queue(&mut tx, &self.options.notifications, entered, now)
                            .await?;
                        audit::append(
                            &mut tx,
                            Event {
                                what: AuditEvent::ServiceLevel {
                                    revision,
                                    step: key.clone(),
                                    due_at: *due,
                                },
                                action_id: Some(&id),
                                actor: "countersign",
                            },
                            now,
                        )
                        .await?;
                        if matches!(step, Step::Escalate { .. }) {
                            report.escalated += 1;
                        } else {
                            report.reminded += 1;
                        }
                    }
                    Step::Expire { at } => {
                        let q = tx
                            .query(
                                "UPDATE action SET status = 'expired', updated_at = $1 \
                                 WHERE action_id = $2 AND status = 'held'",
                            )
                            .bind(now)
                            .bind(id.clone());
                        tx.execute(q).await?;
                        audit::append(
                            &mut tx,
                            Event {
                                what: AuditEvent::Expiry {
                                    revision,
                                    deadline: *at,
                                    waiting_for: missing.clone(),
                                },
                                action_id: Some(&id),
                                actor: "countersign",
                            },
                            now,
                        )
                        .await?;
                        report.expired += 1;
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }
}
