//! The facts pipeline triage judges (issue 13), gathered in a few set-based queries: the
//! open opportunities, their stage history, and the activities on them. The judging is the
//! engine's ([`countersign_engine::triage`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use countersign_engine::detect::executive::is_executive_title;
use countersign_engine::triage::DealFacts;

use serde::de::DeserializeOwned;

use crate::db::{Backend, Query, Tx};
use crate::{Store, StoreError, micros};

/// Activities older than this do not count as engagement.
const ENGAGEMENT_DAYS: i64 = 90;

/// A query's rows as one JSON array in one row (`rows`), on either backend: a hundred
/// thousand rows cross from the database thread as one value instead of one each, which
/// was most of triage's time. `$cols` are the inner query's columns, in order.
macro_rules! as_json {
    ($backend:expr, $cols:literal, $inner:literal) => {
        match $backend {
            Backend::Sqlite => concat!(
                "SELECT json_group_array(json_array(",
                $cols,
                ")) AS rows FROM (",
                $inner,
                ") t"
            ),
            Backend::Postgres => concat!(
                "SELECT COALESCE(json_agg(json_build_array(",
                $cols,
                "))::text, '[]') AS rows \
                 FROM (",
                $inner,
                ") t"
            ),
        }
    };
}

/// An open opportunity's row: id, name, account, owner, stage, amount, close date, next
/// step, last activity, when the CRM (or this store) last changed it.
type OpportunityRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<NaiveDate>,
    Option<String>,
    Option<NaiveDate>,
    Option<DateTime<Utc>>,
);

async fn json_rows<T: DeserializeOwned>(tx: &mut Tx, q: Query) -> Result<Vec<T>, StoreError> {
    let text: Option<String> = tx.fetch_one(q).await?.get("rows")?;
    serde_json::from_str(text.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("triage facts: {e}")))
}

impl Store {
    /// Every open opportunity (of `owner`, when given) with its facts on `now`.
    pub async fn triage_facts(
        &self,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DealFacts>, StoreError> {
        let mut tx = self.pool.read().await?;
        let backend = tx.backend();
        let q = tx
            .query(as_json!(
                backend,
                "t.opportunity_id, t.name, t.account, t.owner, t.stage, t.amount, t.close_date, \
                 t.next_step, t.last_activity, t.changed",
                "SELECT o.opportunity_id, o.name, COALESCE(a.name, o.account_id) AS account, \
                        o.owner, o.stage, o.amount, o.close_date, o.next_step, o.last_activity, \
                        COALESCE(o.crm_modified_at, o.updated_at) AS changed \
                 FROM opportunity o LEFT JOIN crm_account a ON a.account_id = o.account_id \
                 WHERE (o.is_closed IS NULL OR o.is_closed = $2) \
                   AND (o.stage IS NULL OR lower(o.stage) NOT LIKE 'closed%') \
                   AND ($1 IS NULL OR o.owner = $1)"
            ))
            .bind(owner.map(str::to_owned))
            .bind(false);
        let mut rows: Vec<OpportunityRow> = json_rows(&mut tx, q).await?;
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deals: Vec<DealFacts> = Vec::with_capacity(rows.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for (id, name, account, owner, stage, amount, close_date, next_step, last, changed) in rows
        {
            index.insert(id.clone(), deals.len());
            deals.push(DealFacts {
                opportunity_id: id,
                name,
                account,
                owner,
                stage,
                amount,
                close_date,
                next_step,
                next_step_since: changed.map(|t| t.date_naive()),
                last_activity: last,
                ..DealFacts::default()
            });
        }
        if deals.is_empty() {
            return Ok(deals);
        }
        // Each fact is one aggregate per opportunity, so memory stays flat however long the
        // history: when the current stage began, how often the close date moved later…
        let q = tx.query(as_json!(
            backend,
            "t.id, t.since, t.pushes",
            "SELECT id, MIN(CASE WHEN stage = current THEN at END) AS since, \
                    SUM(CASE WHEN close_date > prev THEN 1 ELSE 0 END) AS pushes \
             FROM (SELECT h.opportunity_id AS id, h.at, h.stage, o.stage AS current, \
                          h.close_date, \
                          LAG(h.close_date) OVER (PARTITION BY h.opportunity_id ORDER BY h.at) AS prev \
                   FROM opportunity_history h \
                   JOIN opportunity o ON o.opportunity_id = h.opportunity_id) moves \
             GROUP BY id"
        ));
        let moves: Vec<(String, Option<DateTime<Utc>>, Option<i64>)> =
            json_rows(&mut tx, q).await?;
        for (id, since, pushes) in moves {
            if let Some(&i) = index.get(&id) {
                deals[i].stage_since = since.map(|t| t.date_naive());
                deals[i].close_date_pushes = u32::try_from(pushes.unwrap_or(0)).unwrap_or(u32::MAX);
            }
        }
        // …who took part lately, and whether one of them is an executive (titles judged by
        // the executive detector, once per distinct title), in one pass over the window.
        let since = micros(now - Duration::days(ENGAGEMENT_DAYS));
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
        let q = match backend {
            Backend::Sqlite => tx.query(as_json!(
                backend,
                "t.id, t.n, t.exec",
                "WITH exec (title) AS (SELECT value FROM json_each($2)) \
                 SELECT act.what_id AS id, COUNT(DISTINCT act.who_id) AS n, \
                        COUNT(e.title) AS exec \
                 FROM crm_activity act LEFT JOIN contact c ON c.contact_id = act.who_id \
                 LEFT JOIN exec e ON e.title = c.title \
                 WHERE act.at >= $1 AND act.what_id IS NOT NULL AND act.who_id IS NOT NULL \
                 GROUP BY act.what_id"
            )),
            Backend::Postgres => tx.query(as_json!(
                backend,
                "t.id, t.n, t.exec",
                "WITH exec (title) AS (SELECT jsonb_array_elements_text($2::jsonb)) \
                 SELECT act.what_id AS id, COUNT(DISTINCT act.who_id) AS n, \
                        COUNT(e.title) AS exec \
                 FROM crm_activity act LEFT JOIN contact c ON c.contact_id = act.who_id \
                 LEFT JOIN exec e ON e.title = c.title \
                 WHERE act.at >= $1 AND act.what_id IS NOT NULL AND act.who_id IS NOT NULL \
                 GROUP BY act.what_id"
            )),
        };
        let engaged: Vec<(String, i64, i64)> = json_rows(
            &mut tx,
            q.bind(since)
                .bind(serde_json::json!(executive_titles).to_string()),
        )
        .await?;
        for (id, n, exec) in engaged {
            if let Some(&i) = index.get(&id) {
                deals[i].contacts_engaged = u32::try_from(n).unwrap_or(u32::MAX);
                deals[i].executive_engaged = exec > 0;
            }
        }
        // …and our e-mails the buyer has not answered (none of theirs came after).
        let q = tx.query(as_json!(
            backend,
            "t.id, t.n",
            "SELECT a.what_id AS id, COUNT(*) AS n FROM crm_activity a \
             WHERE a.kind = 'email' AND a.direction = 'outbound' AND a.what_id IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM crm_activity b WHERE b.what_id = a.what_id \
                 AND b.direction = 'inbound' AND b.at > a.at) \
             GROUP BY a.what_id"
        ));
        let unanswered: Vec<(String, i64)> = json_rows(&mut tx, q).await?;
        for (id, n) in unanswered {
            if let Some(&i) = index.get(&id) {
                deals[i].unanswered = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
        Ok(deals)
    }
}
