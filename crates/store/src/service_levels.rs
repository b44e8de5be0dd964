//! Nothing waits unseen (issue 12): what the policy's service levels
//! ([`countersign_engine::service_level`]) do for held items — remind a role's reviewers,
//! escalate what they did not decide in time, expire what nobody decided.
//!
//! `serve` sweeps every minute. Each step is recorded in `review_step` (once per revision:
//! an edit starts the clock again) in the transaction that takes it, with its notification
//! in the outbox and its audit record, so a step is neither lost nor repeated however many
//! instances sweep.

use std::collections::{BTreeSet, HashMap};

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
        // Without the write lock first: most items have nothing due, or had it done. The
        // roles an item needs bound what can be due; the steps already taken for the latest
        // revisions come in one query.
        let held = {
            let mut read = self.pool.read().await?;
            let mut taken: HashMap<String, BTreeSet<String>> = HashMap::new();
            for row in read
                .fetch_all(read.query(
                    "SELECT s.action_id, s.step FROM review_step s \
                     JOIN action a ON a.action_id = s.action_id AND s.revision = a.latest_revision \
                     WHERE a.status = 'held'",
                ))
                .await?
            {
                taken
                    .entry(row.get("action_id")?)
                    .or_default()
                    .insert(row.get("step")?);
            }
            let q = read.query(
                "SELECT a.action_id, a.created_at, r.created_at AS since, r.required_roles \
                 FROM action a JOIN revision r \
                   ON r.action_id = a.action_id AND r.number = a.latest_revision \
                 WHERE a.status = 'held' ORDER BY a.created_at",
            );
            let mut out = Vec::new();
            for row in read.fetch_all(q).await? {
                let id: String = row.get("action_id")?;
                let proposed: DateTime<Utc> = row.get("created_at")?;
                let since: DateTime<Utc> = row.get("since")?;
                let required: BTreeSet<String> = row.json("required_roles")?;
                let due: BTreeSet<String> = levels
                    .steps(proposed, since, &required, now)
                    .iter()
                    .map(Step::key)
                    .collect();
                let done = taken.get(&id);
                if !due.is_empty() && !done.is_some_and(|t| due.is_subset(t)) {
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

/// How one role keeps its service level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleService {
    pub role: String,
    /// The policy's time to decide (`4h`), `None` when the policy sets none.
    pub within_minutes: Option<i64>,
    /// Approvals the role gave in the window, and how long after the revision they
    /// approved entered the queues.
    pub approvals: i64,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    /// Approvals given after the role's deadline.
    pub late: i64,
    /// Held items that wait for the role now, and those past its deadline.
    pub waiting: i64,
    pub overdue: i64,
}

/// The service levels over a window: per role, and the items that expired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceReport {
    pub roles: Vec<RoleService>,
    pub expired: i64,
}

impl Store {
    /// Time to decision per role for approvals given since `since`, and what waits now.
    pub async fn service_report(
        &self,
        policy: &Policy,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ServiceReport, StoreError> {
        let levels = &policy.config.review;
        let mut tx = self.pool.read().await?;
        let mut waits: std::collections::BTreeMap<String, Vec<(i64, bool)>> = Default::default();
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT ap.roles, ap.created_at AS approved_at, r.created_at AS since \
                     FROM approval ap JOIN revision r ON r.revision_id = ap.revision_id \
                     WHERE ap.created_at >= $1 AND ap.created_at <= $2",
                )
                .bind(micros(since))
                .bind(micros(now)),
            )
            .await?;
        for row in &rows {
            let roles: BTreeSet<String> = row.json("roles")?;
            let approved: DateTime<Utc> = row.get("approved_at")?;
            let entered: DateTime<Utc> = row.get("since")?;
            for role in roles {
                let late = levels.due(&role, entered).is_some_and(|due| approved > due);
                waits
                    .entry(role)
                    .or_default()
                    .push(((approved - entered).num_seconds().max(0), late));
            }
        }
        let held = tx
            .fetch_all(tx.query(
                "SELECT a.action_id, r.created_at AS since FROM action a JOIN revision r \
                   ON r.action_id = a.action_id AND r.number = a.latest_revision \
                 WHERE a.status = 'held'",
            ))
            .await?;
        let mut waiting: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for row in &held {
            let id: String = row.get("action_id")?;
            let entered: DateTime<Utc> = row.get("since")?;
            let (_, _, _, missing) = approvals::still_needed(&mut tx, &id, now).await?;
            for role in missing {
                let overdue = levels.due(&role, entered).is_some_and(|due| now > due);
                let w = waiting.entry(role).or_default();
                w.0 += 1;
                w.1 += i64::from(overdue);
            }
        }
        let expired: i64 = tx
            .fetch_one(
                tx.query(
                    "SELECT COUNT(*) AS n FROM action WHERE status = 'expired' \
                     AND updated_at >= $1 AND updated_at <= $2",
                )
                .bind(micros(since))
                .bind(micros(now)),
            )
            .await?
            .get("n")?;
        let roles = policy
            .config
            .roles
            .iter()
            .filter(|r| {
                waits.contains_key(*r) || waiting.contains_key(*r) || levels.roles.contains_key(*r)
            })
            .map(|role| {
                let mut took: Vec<i64> = waits
                    .get(role)
                    .map(|w| w.iter().map(|(s, _)| *s).collect())
                    .unwrap_or_default();
                took.sort_unstable();
                let (now_waiting, overdue) = waiting.get(role).copied().unwrap_or_default();
                RoleService {
                    role: role.clone(),
                    within_minutes: levels.roles.get(role).map(|l| l.within.num_minutes()),
                    approvals: i64::try_from(took.len()).unwrap_or(i64::MAX),
                    p50_seconds: crate::percentile(&took, 0.5),
                    p90_seconds: crate::percentile(&took, 0.9),
                    late: waits.get(role).map_or(0, |w| {
                        i64::try_from(w.iter().filter(|(_, late)| *late).count())
                            .unwrap_or(i64::MAX)
                    }),
                    waiting: now_waiting,
                    overdue,
                }
            })
            .collect();
        Ok(ServiceReport { roles, expired })
    }
}
