//! Read-only reports for the reviewer inbox: a filtered, paginated page of the audit log
//! ([`Store::audit_page`]), the dashboard's figures over a window ([`Store::dashboard`]),
//! and the context a revision was decided with ([`Store::revision_context`], so the item
//! page can show what each guard counted).
//!
//! Everything here only reads, in one snapshot per call. Filters and counts run in SQL;
//! what needs the engine's JSON (the categories of a hold) or an order statistic (latency
//! percentiles) is finished in Rust over the window's rows.
//!
//! Not here: drawing (the server's `inbox/charts.rs`) or who may see a report (the server).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use countersign_engine::{Context, DecisionRecord};
use serde::Serialize;

use crate::audit::{AuditRecord, format_at, record_from};
use crate::db::Backend;
use crate::error::StoreError;
use crate::{Store, micros};

/// The most records one audit page holds.
pub const AUDIT_PAGE_MAX: i64 = 200;
/// The longest dashboard window, in days.
pub const DASHBOARD_MAX_DAYS: u32 = 366;

/// Which audit records to list: every filter is optional, all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Exactly this event (`proposal`, `approval`, …).
    pub event: Option<String>,
    /// Records about this action.
    pub action_id: Option<String>,
    /// This actor, written in full (`reviewer:dee.desk`) or by name alone (`dee.desk`).
    pub actor: Option<String>,
    /// Records at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Records strictly before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Keyset cursor: only records with a smaller sequence number (the next page).
    pub before_seq: Option<i64>,
    /// Records per page, 1 to [`AUDIT_PAGE_MAX`].
    pub limit: i64,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    /// The cursor of the next (older) page, when there is one.
    pub next_before_seq: Option<i64>,
    /// Every event name in the log, for the filter's choices.
    pub events: Vec<String>,
}

/// How the actions of one tier or kind were first decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AutomationRow {
    /// The tier or action kind.
    pub label: String,
    pub total: i64,
    pub allowed: i64,
    pub held: i64,
    pub draft_only: i64,
    pub denied: i64,
}

impl AutomationRow {
    /// The share decided `allow` on proposal (0 for no actions).
    pub fn automation_rate(&self) -> f64 {
        ratio(self.allowed, self.total)
    }
}

/// Held actions whose findings include one category (an action counts once per category).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldReason {
    /// A finding category, or [`HoldReason::NO_FINDING`].
    pub category: String,
    pub actions: i64,
}

impl HoldReason {
    /// The bucket of holds without a finding: the kind's tier, a CRM field rule, a guard
    /// or the tool's data clearance held them.
    pub const NO_FINDING: &'static str = "no finding";
}

/// How long approved actions waited, from proposal to release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Latency {
    /// Approved actions in the window.
    pub approved: i64,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// What reviewers changed: of the actions a human acted on (approved, rejected or
/// edited), how many were edited or rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Overrides {
    pub reviewed: i64,
    pub edited: i64,
    pub rejected: i64,
    /// Edited or rejected (an action both edited and rejected counts once).
    pub overridden: i64,
}

impl Overrides {
    /// The share of reviewed actions that were edited or rejected.
    pub fn override_rate(&self) -> f64 {
        ratio(self.overridden, self.reviewed)
    }
}

/// Deliveries on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub sent: i64,
}

/// The dashboard's figures over the actions proposed in a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Midnight UTC of the window's first day.
    pub since: DateTime<Utc>,
    /// The `now` the figures were computed at.
    pub until: DateTime<Utc>,
    pub days: u32,
    /// Actions proposed in the window.
    pub actions: i64,
    /// By the first revision's tier, most actions first.
    pub by_tier: Vec<AutomationRow>,
    /// By action kind, most actions first.
    pub by_kind: Vec<AutomationRow>,
    /// Actions held on proposal.
    pub held: i64,
    /// Their categories, most frequent first.
    pub hold_reasons: Vec<HoldReason>,
    pub latency: Latency,
    pub overrides: Overrides,
    /// One entry per day of the window, oldest first, days without deliveries included.
    pub deliveries: Vec<DayCount>,
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let r = part as f64 / whole as f64;
    r
}

/// The quantile `q` (0 to 1) of `sorted` by nearest rank: the smallest value with at least
/// that share of the values at or below it. `None` for no values. The one percentile the
/// reports and the benches use.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank within a list's length"
    )]
    let rank = ((sorted.len() as f64 * q.clamp(0.0, 1.0)).ceil() as usize).max(1);
    sorted.get(rank.min(sorted.len()).checked_sub(1)?).copied()
}

/// `value` as a LIKE pattern that matches it literally.
fn like_literal(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn none_if_blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Store {
    /// One page of the audit log, newest first, filtered by `q`. Pages are cut by sequence
    /// number (keyset), so a page stays stable while records are appended.
    pub async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage, StoreError> {
        if !(1..=AUDIT_PAGE_MAX).contains(&q.limit) {
            return Err(StoreError::invalid(
                "limit",
                format!("must be between 1 and {AUDIT_PAGE_MAX}"),
            ));
        }
        if let (Some(from), Some(until)) = (q.from, q.until)
            && from >= until
        {
            return Err(StoreError::invalid("from", "must be before `until`"));
        }
        let actor = none_if_blank(&q.actor);
        // A bare name matches any actor kind: `dee.desk` finds `reviewer:dee.desk`.
        let actor_suffix = actor.as_ref().map(|a| format!("%:{}", like_literal(a)));
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT audit_record_id, created_at, event, action_id, actor, data, prev_hash, hash \
                     FROM audit_record \
                     WHERE ($1 IS NULL OR event = $1) \
                       AND ($2 IS NULL OR action_id = $2) \
                       AND ($3 IS NULL OR actor = $3 OR actor LIKE $4 ESCAPE '\\') \
                       AND ($5 IS NULL OR created_at >= $5) \
                       AND ($6 IS NULL OR created_at < $6) \
                       AND ($7 IS NULL OR audit_record_id < $7) \
                     ORDER BY audit_record_id DESC LIMIT $8",
                )
                .bind(none_if_blank(&q.event))
                .bind(none_if_blank(&q.action_id))
                .bind(actor)
                .bind(actor_suffix)
                // `at` is text in one canonical form on both backends, so text order is time order.
                .bind(q.from.map(format_at))
                .bind(q.until.map(format_at))
                .bind(q.before_seq)
                .bind(q.limit + 1),
            )
            .await?;
        let mut records = rows
            .iter()
            .map(record_from)
            .collect::<Result<Vec<_>, _>>()?;
        let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
        let next_before_seq = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|r| r.seq)
        } else {
            None
        };
        let events = tx
            .fetch_all(tx.query("SELECT DISTINCT event FROM audit_record ORDER BY event"))
            .await?
            .iter()
            .map(|r| r.get::<String>("event"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AuditPage {
            records,
            next_before_seq,
            events,
        })
    }

    /// The context revision `number` of `action_id` was decided with (the guards' counts,
    /// the recipient's time zone and suppression).
    pub async fn revision_context(
        &self,
        action_id: &str,
        number: i64,
    ) -> Result<Context, StoreError> {
        let mut tx = self.pool.read().await?;
        let row = tx
            .fetch_optional(
                tx.query("SELECT context_json FROM revision WHERE action_id = $1 AND number = $2")
                    .bind(action_id.to_owned())
                    .bind(number),
            )
            .await?
            .ok_or_else(|| StoreError::not_found("revision", format!("{action_id}/{number}")))?;
        row.json("context_json")
    }

    /// The dashboard over the actions proposed in the last `days` UTC days up to `now`
    /// (today counts as one).
    pub async fn dashboard(&self, now: DateTime<Utc>, days: u32) -> Result<Dashboard, StoreError> {
        if !(1..=DASHBOARD_MAX_DAYS).contains(&days) {
            return Err(StoreError::invalid(
                "days",
                format!("must be between 1 and {DASHBOARD_MAX_DAYS}"),
            ));
        }
        let now = micros(now);
        let first_day = now.date_naive() - Duration::days(i64::from(days) - 1);
        let since = first_day.and_time(NaiveTime::MIN).and_utc();
        let mut tx = self.pool.read().await?;

        // Automation: how each action was decided on proposal (its first revision).
        let sql = match tx.backend() {
            Backend::Sqlite => {
                "SELECT a.kind AS kind, json_extract(r.decision_json, '$.tier') AS tier, \
                        r.decision AS decision, COUNT(*) AS n \
                 FROM action a JOIN revision r ON r.action_id = a.action_id AND r.number = 1 \
                 WHERE a.created_at >= $1 AND a.created_at <= $2 \
                 GROUP BY a.kind, tier, r.decision"
            }
            Backend::Postgres => {
                "SELECT a.kind AS kind, r.decision_json->>'tier' AS tier, \
                        r.decision AS decision, COUNT(*) AS n \
                 FROM action a JOIN revision r ON r.action_id = a.action_id AND r.number = 1 \
                 WHERE a.created_at >= $1 AND a.created_at <= $2 \
                 GROUP BY a.kind, r.decision_json->>'tier', r.decision"
            }
        };
        let rows = tx.fetch_all(tx.query(sql).bind(since).bind(now)).await?;
        let mut by_tier: BTreeMap<String, AutomationRow> = BTreeMap::new();
        let mut by_kind: BTreeMap<String, AutomationRow> = BTreeMap::new();
        for r in &rows {
            let kind: String = r.get("kind")?;
            let tier: Option<String> = r.get("tier")?;
            let decision: String = r.get("decision")?;
            let n: i64 = r.get("n")?;
            for (map, label) in [
                (&mut by_tier, tier.unwrap_or_else(|| "unknown".to_owned())),
                (&mut by_kind, kind.clone()),
            ] {
                let row = map.entry(label.clone()).or_insert_with(|| AutomationRow {
                    label,
                    ..AutomationRow::default()
                });
                row.total += n;
                match decision.as_str() {
                    "allow" => row.allowed += n,
                    "hold" => row.held += n,
                    "draft_only" => row.draft_only += n,
                    _ => row.denied += n,
                }
            }
        }
        let most_first = |m: BTreeMap<String, AutomationRow>| {
            let mut v: Vec<AutomationRow> = m.into_values().collect();
            v.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.label.cmp(&b.label)));
            v
        };
        let by_tier = most_first(by_tier);
        let by_kind = most_first(by_kind);
        let actions = by_kind.iter().map(|r| r.total).sum();

        // Hold reasons: the finding categories of each action held on proposal.
        let held_rows = tx
            .fetch_all(
                tx.query(
                    "SELECT r.decision_json FROM action a \
                     JOIN revision r ON r.action_id = a.action_id AND r.number = 1 \
                     WHERE r.decision = 'hold' AND a.created_at >= $1 AND a.created_at <= $2",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        let mut categories: BTreeMap<String, i64> = BTreeMap::new();
        for r in &held_rows {
            let decision: DecisionRecord = r.json("decision_json")?;
            let mut seen: BTreeSet<String> = decision
                .findings
                .iter()
                .map(|f| f.category.as_str().to_owned())
                .collect();
            if seen.is_empty() {
                seen.insert(HoldReason::NO_FINDING.to_owned());
            }
            for c in seen {
                *categories.entry(c).or_insert(0) += 1;
            }
        }
        let mut hold_reasons: Vec<HoldReason> = categories
            .into_iter()
            .map(|(category, actions)| HoldReason { category, actions })
            .collect();
        hold_reasons.sort_by(|a, b| {
            b.actions
                .cmp(&a.actions)
                .then_with(|| a.category.cmp(&b.category))
        });

        // Latency: proposal to release of the approved actions.
        let approved = tx
            .fetch_all(
                tx.query(
                    "SELECT created_at, released_at FROM action \
                     WHERE status = 'approved' AND created_at >= $1 AND created_at <= $2",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        let mut waits = approved
            .iter()
            .map(|r| {
                let created: DateTime<Utc> = r.get("created_at")?;
                let released: Option<DateTime<Utc>> = r.get("released_at")?;
                Ok(released.map(|t| (t - created).num_seconds().max(0)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?
            .into_iter()
            .flatten()
            .collect::<Vec<i64>>();
        waits.sort_unstable();
        let latency = Latency {
            approved: i64::try_from(waits.len()).unwrap_or(i64::MAX),
            p50_seconds: percentile(&waits, 0.5),
            p90_seconds: percentile(&waits, 0.9),
        };

        // Overrides: a human acted (approved, rejected or edited); edited or rejected.
        let row = tx
            .fetch_one(
                tx.query(
                    "SELECT COUNT(*) AS reviewed, \
                       COALESCE(SUM(CASE WHEN latest_revision > 1 THEN 1 ELSE 0 END), 0) AS edited, \
                       COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0) AS rejected, \
                       COALESCE(SUM(CASE WHEN latest_revision > 1 OR status = 'rejected' \
                                         THEN 1 ELSE 0 END), 0) AS overridden \
                     FROM action \
                     WHERE created_at >= $1 AND created_at <= $2 \
                       AND (status IN ('approved', 'rejected') OR latest_revision > 1)",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        let overrides = Overrides {
            reviewed: row.get("reviewed")?,
            edited: row.get("edited")?,
            rejected: row.get("rejected")?,
            overridden: row.get("overridden")?,
        };

        // Deliveries per UTC day, by when they were sent. Only releases count: reviewer
        // notifications travel through the outbox too, but they are not deliveries to buyers.
        let sql = match tx.backend() {
            Backend::Sqlite => {
                "SELECT substr(sent_at, 1, 10) AS day, COUNT(*) AS n FROM outbox \
                 WHERE status = 'sent' AND purpose = 'release' AND sent_at >= $1 AND sent_at <= $2 \
                 GROUP BY substr(sent_at, 1, 10)"
            }
            Backend::Postgres => {
                "SELECT to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*) AS n \
                 FROM outbox WHERE status = 'sent' AND purpose = 'release' AND sent_at >= $1 AND sent_at <= $2 \
                 GROUP BY 1"
            }
        };
        let rows = tx.fetch_all(tx.query(sql).bind(since).bind(now)).await?;
        let mut sent: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for r in &rows {
            let day: String = r.get("day")?;
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(format!("outbox.sent_at day `{day}`: {e}")))?;
            sent.insert(day, r.get("n")?);
        }
        let deliveries = first_day
            .iter_days()
            .take_while(|d| *d <= now.date_naive())
            .map(|day| DayCount {
                day,
                sent: sent.get(&day).copied().unwrap_or(0),
            })
            .collect();

        Ok(Dashboard {
            since,
            until: now,
            days,
            actions,
            by_tier,
            by_kind,
            held: i64::try_from(held_rows.len()).unwrap_or(i64::MAX),
            hold_reasons,
            latency,
            overrides,
            deliveries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.5), Some(5));
        assert_eq!(percentile(&v, 0.9), Some(9));
        assert_eq!(percentile(&v, 1.0), Some(10));
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile::<i64>(&[], 0.5), None);
    }

    #[test]
    fn like_patterns_match_names_literally() {
        assert_eq!(like_literal("dee_desk%"), "dee\\_desk\\%");
    }

    #[test]
    fn rates_of_nothing_are_zero() {
        assert!(AutomationRow::default().automation_rate().abs() < f64::EPSILON);
        let o = Overrides {
            reviewed: 4,
            overridden: 1,
            ..Overrides::default()
        };
        assert!((o.override_rate() - 0.25).abs() < f64::EPSILON);
    }
}
