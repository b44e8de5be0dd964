//! The facts the AI Opportunity Score weighs (issue 14, part 3), counted in a few set-based
//! aggregates over the last [`WINDOW_DAYS`] days: actions and their first decisions, the
//! roles their holds needed, the pipeline's gaps, contacts, meetings, approved knowledge,
//! reviewers and the latest shadow-AI scan. The scoring is the engine's
//! ([`countersign_engine::assess`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use countersign_engine::assess::AssessFacts;

use crate::{Store, StoreError, micros};

/// Days of actions, activities and meetings the facts cover.
pub const WINDOW_DAYS: u32 = 28;

/// Days an open opportunity's last activity counts as recent.
const RECENT_DAYS: i64 = 30;

fn count(n: Option<i64>) -> u64 {
    u64::try_from(n.unwrap_or(0)).unwrap_or(0)
}

impl Store {
    /// What `countersign assess` scores, as of `now`.
    pub async fn assess_facts(&self, now: DateTime<Utc>) -> Result<AssessFacts, StoreError> {
        let now = micros(now);
        let since = now - Duration::days(i64::from(WINDOW_DAYS));
        let today = now.date_naive();
        let mut facts = AssessFacts {
            window_days: WINDOW_DAYS,
            ..AssessFacts::default()
        };
        let mut tx = self.pool.read().await?;

        // Actions by workflow, with their first decision and whether a protected finding
        // held them. `generic` and `obfuscation` findings are not protected moments.
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT CASE WHEN a.kind = 'email.send' THEN 'email' ELSE 'crm' END AS k, \
                            COUNT(*) AS total, \
                            SUM(CASE WHEN r.decision = 'hold' THEN 1 ELSE 0 END) AS held, \
                            SUM(CASE WHEN r.decision = 'hold' AND EXISTS (SELECT 1 FROM finding_tag f \
                                WHERE f.revision_id = r.revision_id \
                                  AND f.category NOT IN ('obfuscation', 'generic')) \
                                THEN 1 ELSE 0 END) AS protected \
                     FROM action a \
                     JOIN revision r ON r.action_id = a.action_id AND r.number = 1 \
                     WHERE a.created_at >= $1 AND a.created_at <= $2 \
                       AND (a.kind = 'email.send' OR a.kind LIKE 'crm.%') \
                     GROUP BY 1",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        for r in &rows {
            let kind: String = r.get("k")?;
            let total = count(r.get("total")?);
            let held = count(r.get("held")?);
            if kind == "email" {
                facts.email_actions = total;
                facts.email_held = held;
                facts.email_protected_holds = count(r.get("protected")?);
            } else {
                facts.crm_updates = total;
                facts.crm_updates_held = held;
            }
        }

        // The roles those holds needed.
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT CASE WHEN a.kind = 'email.send' THEN 'email' ELSE 'crm' END AS k, \
                            q.role, COUNT(DISTINCT q.action_id) AS n \
                     FROM requirement q \
                     JOIN revision r ON r.revision_id = q.revision_id AND r.number = 1 \
                     JOIN action a ON a.action_id = q.action_id \
                     WHERE r.decision = 'hold' AND a.created_at >= $1 AND a.created_at <= $2 \
                       AND (a.kind = 'email.send' OR a.kind LIKE 'crm.%') \
                     GROUP BY 1, 2",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        for r in &rows {
            let kind: String = r.get("k")?;
            let role: String = r.get("role")?;
            let n = count(r.get("n")?);
            let into = if kind == "email" {
                &mut facts.email_holds_by_role
            } else {
                &mut facts.crm_holds_by_role
            };
            into.insert(role, n);
        }

        // Buyer questions answered (objection findings), and answers whose claims the
        // approved knowledge did not back (the grounding step's rules).
        let r = tx
            .fetch_one(
                tx.query(
                    "SELECT SUM(CASE WHEN EXISTS (SELECT 1 FROM finding_tag f \
                                WHERE f.revision_id = r.revision_id AND f.category = 'objection') \
                                THEN 1 ELSE 0 END) AS objections, \
                            SUM(CASE WHEN CAST(r.decision_json AS TEXT) LIKE '%unsupported_claim%' \
                                  OR CAST(r.decision_json AS TEXT) LIKE '%contradicted_claim%' \
                                THEN 1 ELSE 0 END) AS unsupported \
                     FROM action a \
                     JOIN revision r ON r.action_id = a.action_id AND r.number = 1 \
                     WHERE a.created_at >= $1 AND a.created_at <= $2",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        facts.objection_actions = count(r.get("objections")?);
        facts.unsupported_claims = count(r.get("unsupported")?);

        // The open pipeline's gaps (open as triage counts it).
        let r = tx
            .fetch_one(
                tx.query(
                    "SELECT COUNT(*) AS open, \
                            SUM(CASE WHEN o.next_step IS NULL OR trim(o.next_step) = '' \
                                THEN 1 ELSE 0 END) AS missing, \
                            SUM(CASE WHEN o.close_date < $2 THEN 1 ELSE 0 END) AS past, \
                            SUM(CASE WHEN o.next_step IS NULL OR trim(o.next_step) = '' \
                                  OR o.close_date < $3 THEN 1 ELSE 0 END) AS needing, \
                            SUM(CASE WHEN o.last_activity >= $4 OR EXISTS (SELECT 1 \
                                FROM crm_activity c WHERE c.what_id = o.opportunity_id \
                                  AND c.at >= $5) THEN 1 ELSE 0 END) AS recent \
                     FROM opportunity o \
                     WHERE (o.is_closed IS NULL OR o.is_closed = $1) \
                       AND (o.stage IS NULL OR lower(o.stage) NOT LIKE 'closed%')",
                )
                .bind(false)
                .bind(today)
                .bind(today)
                .bind(today - Duration::days(RECENT_DAYS))
                .bind(now - Duration::days(RECENT_DAYS)),
            )
            .await?;
        facts.open_opportunities = count(r.get("open")?);
        facts.missing_next_step = count(r.get("missing")?);
        facts.past_close_date = count(r.get("past")?);
        facts.needing_update = count(r.get("needing")?);
        facts.recent_activity = count(r.get("recent")?);

        // Accounts (the CRM's, and those only contacts name), contacts and their titles.
        let r = tx
            .fetch_one(tx.query(
                "SELECT (SELECT COUNT(*) FROM (SELECT account_id FROM crm_account \
                         UNION SELECT account_id FROM contact WHERE account_id IS NOT NULL) t) \
                          AS accounts, \
                        (SELECT COUNT(*) FROM contact) AS contacts, \
                        (SELECT COUNT(*) FROM contact \
                         WHERE title IS NOT NULL AND trim(title) <> '') AS titled",
            ))
            .await?;
        facts.accounts = count(r.get("accounts")?);
        facts.contacts = count(r.get("contacts")?);
        facts.contacts_with_title = count(r.get("titled")?);

        // Outbound e-mail and meetings the CRM logged in the window.
        let r = tx
            .fetch_one(
                tx.query(
                    "SELECT SUM(CASE WHEN kind = 'email' AND direction = 'outbound' \
                                THEN 1 ELSE 0 END) AS outbound, \
                            SUM(CASE WHEN kind IN ('event', 'meeting') THEN 1 ELSE 0 END) \
                              AS meetings \
                     FROM crm_activity WHERE at >= $1 AND at <= $2",
                )
                .bind(since)
                .bind(now),
            )
            .await?;
        facts.outbound_emails = count(r.get("outbound")?);
        facts.meetings = count(r.get("meetings")?);

        let r = tx
            .fetch_one(
                tx.query(
                    "SELECT COUNT(*) AS n, \
                            SUM(CASE WHEN valid_until >= $1 THEN 1 ELSE 0 END) AS valid \
                     FROM knowledge_entry",
                )
                .bind(today),
            )
            .await?;
        facts.knowledge_entries = count(r.get("n")?);
        facts.knowledge_valid = count(r.get("valid")?);
        drop(tx);

        let mut reviewers: BTreeMap<String, u64> = BTreeMap::new();
        for r in self.list_reviewers().await? {
            for role in r.roles {
                *reviewers.entry(role).or_default() += 1;
            }
        }
        facts.reviewers_by_role = reviewers;

        if let Some(scan) = self.latest_scan().await? {
            facts.scanned = true;
            let rows = scan.report["rows"].as_array().cloned().unwrap_or_default();
            for row in rows {
                if let Some(kind) = row["kind"].as_str() {
                    *facts.shadow.entry(kind.to_owned()).or_default() +=
                        row["count"].as_u64().unwrap_or(0);
                }
            }
        }
        Ok(facts)
    }
}
