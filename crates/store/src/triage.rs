//! The facts pipeline triage judges (issue 13), gathered in a few set-based queries: the
//! open opportunities, their stage history, and the activities on them. The judging is the
//! engine's ([`countersign_engine::triage`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use countersign_engine::detect::executive::is_executive_title;
use countersign_engine::triage::DealFacts;

use crate::db::Backend;
use crate::{Store, StoreError, micros};

/// Activities older than this do not count as engagement.
const ENGAGEMENT_DAYS: i64 = 90;

impl Store {
    /// Every open opportunity (of `owner`, when given) with its facts on `now`.
    pub async fn triage_facts(
        &self,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DealFacts>, StoreError> {
        let mut tx = self.pool.read().await?;
        let rows = tx
            .fetch_all(
                tx.query(
                    "SELECT o.opportunity_id, o.name, COALESCE(a.name, o.account_id) AS account, \
                            o.owner, o.stage, o.amount, o.close_date, o.next_step, \
                            o.last_activity, o.crm_modified_at, o.updated_at \
                     FROM opportunity o LEFT JOIN crm_account a ON a.account_id = o.account_id \
                     WHERE (o.is_closed IS NULL OR o.is_closed = $2) \
                       AND (o.stage IS NULL OR lower(o.stage) NOT LIKE 'closed%') \
                       AND ($1 IS NULL OR o.owner = $1) \
                     ORDER BY o.opportunity_id",
                )
                .bind(owner.map(str::to_owned))
                .bind(false),
            )
            .await?;
        let mut deals: Vec<DealFacts> = Vec::with_capacity(rows.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.get("opportunity_id")?;
            let modified: Option<DateTime<Utc>> = r.get("crm_modified_at")?;
            let updated: DateTime<Utc> = r.get("updated_at")?;
            index.insert(id.clone(), deals.len());
            deals.push(DealFacts {
                opportunity_id: id,
                name: r.get("name")?,
                account: r.get("account")?,
                owner: r.get("owner")?,
                stage: r.get("stage")?,
                amount: r.get("amount")?,
                close_date: r.get("close_date")?,
                next_step: r.get("next_step")?,
                next_step_since: Some(modified.unwrap_or(updated).date_naive()),
                last_activity: r.get("last_activity")?,
                ..DealFacts::default()
            });
        }
        if deals.is_empty() {
            return Ok(deals);
        }
        // Each fact is one aggregate per opportunity, so memory stays flat however long the
        // history: when the current stage began, how often the close date moved later…
        let stage_since = tx
            .fetch_all(tx.query(
                "SELECT h.opportunity_id AS id, MIN(h.at) AS since FROM opportunity_history h \
                 JOIN opportunity o ON o.opportunity_id = h.opportunity_id AND h.stage = o.stage \
                 GROUP BY h.opportunity_id",
            ))
            .await?;
        for r in &stage_since {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                let since: DateTime<Utc> = r.get("since")?;
                deals[i].stage_since = Some(since.date_naive());
            }
        }
        let pushes = tx
            .fetch_all(tx.query(
                "SELECT id, COUNT(*) AS n FROM ( \
                   SELECT opportunity_id AS id, close_date, \
                          LAG(close_date) OVER (PARTITION BY opportunity_id ORDER BY at) AS prev \
                   FROM opportunity_history) moves \
                 WHERE close_date > prev GROUP BY id",
            ))
            .await?;
        for r in &pushes {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                deals[i].close_date_pushes = u32::try_from(r.get::<i64>("n")?).unwrap_or(u32::MAX);
            }
        }
        // …who took part lately, and whether one of them is an executive (titles judged by
        // the executive detector, once per distinct title)…
        let since = micros(now - Duration::days(ENGAGEMENT_DAYS));
        let engaged = tx
            .fetch_all(
                tx.query(
                    "SELECT what_id AS id, COUNT(DISTINCT who_id) AS n FROM crm_activity \
                     WHERE at >= $1 AND what_id IS NOT NULL AND who_id IS NOT NULL \
                     GROUP BY what_id",
                )
                .bind(since),
            )
            .await?;
        for r in &engaged {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                deals[i].contacts_engaged = u32::try_from(r.get::<i64>("n")?).unwrap_or(u32::MAX);
            }
        }
        let titles = tx
            .fetch_all(tx.query("SELECT DISTINCT title FROM contact WHERE title IS NOT NULL"))
            .await?;
        let mut executive_titles = Vec::new();
        for r in &titles {
            let title: String = r.get("title")?;
            if is_executive_title(&title) {
                executive_titles.push(title);
            }
        }
        let q = match tx.backend() {
            Backend::Sqlite => tx.query(
                "SELECT DISTINCT act.what_id AS id FROM crm_activity act \
                 JOIN contact c ON c.contact_id = act.who_id \
                 WHERE act.at >= $1 AND c.title IN (SELECT value FROM json_each($2))",
            ),
            Backend::Postgres => tx.query(
                "SELECT DISTINCT act.what_id AS id FROM crm_activity act \
                 JOIN contact c ON c.contact_id = act.who_id \
                 WHERE act.at >= $1 AND c.title IN (SELECT jsonb_array_elements_text($2::jsonb))",
            ),
        };
        let executives = tx
            .fetch_all(
                q.bind(since)
                    .bind(serde_json::json!(executive_titles).to_string()),
            )
            .await?;
        for r in &executives {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                deals[i].executive_engaged = true;
            }
        }
        // …and our e-mails the buyer has not answered (none of theirs came after).
        let unanswered = tx
            .fetch_all(tx.query(
                "SELECT a.what_id AS id, COUNT(*) AS n FROM crm_activity a \
                 WHERE a.kind = 'email' AND a.direction = 'outbound' AND a.what_id IS NOT NULL \
                   AND NOT EXISTS (SELECT 1 FROM crm_activity b WHERE b.what_id = a.what_id \
                     AND b.direction = 'inbound' AND b.at > a.at) \
                 GROUP BY a.what_id",
            ))
            .await?;
        for r in &unanswered {
            if let Some(&i) = index.get(&r.get::<String>("id")?) {
                deals[i].unanswered = u32::try_from(r.get::<i64>("n")?).unwrap_or(u32::MAX);
            }
        }
        Ok(deals)
    }
}
