//! The queue page: held actions that still need one of the reviewer's roles, oldest first,
//! with a count per role, filters (role, category, subtopic, tool, rep, age) and pages.
//!
//! The rows come from the store's queue (the same as `GET /v1/queue`); filtering and
//! paging happen here, on the rows the reviewer may see.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use countersign_store::QueueItem;
use serde::{Deserialize, Serialize};

use super::{PageError, Reviewer, render};
use crate::state::AppState;

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// The filters, from the query string; an empty value means "any".
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Filters {
    pub role: String,
    pub category: String,
    pub subtopic: String,
    pub tool: String,
    pub rep: String,
    /// Only items older than this many hours.
    pub older_than_hours: String,
    pub page: usize,
}

impl Filters {
    fn keeps(&self, item: &QueueItem, now: DateTime<Utc>) -> bool {
        let is = |want: &str, have: Option<&str>| want.is_empty() || have == Some(want);
        (self.role.is_empty() || item.missing_roles.contains(&self.role))
            && is(&self.tool, item.tool.as_deref())
            && is(&self.rep, item.on_behalf_of.as_deref())
            && self.finding_matches(item)
            && self.age_matches(item, now)
    }

    fn finding_matches(&self, item: &QueueItem) -> bool {
        (self.category.is_empty() && self.subtopic.is_empty())
            || item.findings.iter().any(|f| {
                (self.category.is_empty() || f.category.as_str() == self.category)
                    && (self.subtopic.is_empty() || f.subtopic == self.subtopic)
            })
    }

    fn age_matches(&self, item: &QueueItem, now: DateTime<Utc>) -> bool {
        match self.older_than_hours.trim().parse::<i64>() {
            Ok(h) => (now - item.created_at).num_hours() >= h,
            Err(_) => true,
        }
    }
}

/// One row of the queue.
#[derive(Debug, Serialize)]
struct Row {
    action_id: String,
    subject: String,
    kind: String,
    tool: Option<String>,
    rep: Option<String>,
    recipient: Option<String>,
    missing_roles: Vec<String>,
    approved_roles: Vec<String>,
    reason: Option<String>,
    categories: Vec<String>,
    age: String,
    created_at: String,
}

/// "3 min", "5 h", "2 d".
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let m = (now - then).num_minutes().max(0);
    if m < 60 {
        format!("{m} min")
    } else if m < 48 * 60 {
        format!("{} h", m / 60)
    } else {
        format!("{} d", m / (24 * 60))
    }
}

/// `GET /inbox`.
pub async fn page(
    State(state): State<AppState>,
    reviewer: Reviewer,
    Query(f): Query<Filters>,
) -> Result<Html<String>, PageError> {
    let account = &reviewer.account;
    if !f.role.is_empty() && !account.admin && !account.roles.contains(&f.role) {
        return Err(PageError::forbidden(format!(
            "you do not hold the role `{}`: you hold {}",
            f.role,
            list(&account.roles)
        )));
    }
    let now = Utc::now();
    let items: Vec<QueueItem> = state
        .store
        .queue(None, now)
        .await?
        .into_iter()
        .filter(|i| account.admin || i.missing_roles.iter().any(|r| account.roles.contains(r)))
        .collect();

    // Counts per role the reviewer holds (an admin: every role that has items).
    let mut counts: BTreeMap<String, usize> =
        account.roles.iter().map(|r| (r.clone(), 0)).collect();
    let (mut categories, mut subtopics, mut tools, mut reps) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for i in &items {
        for r in &i.missing_roles {
            if account.admin || account.roles.contains(r) {
                *counts.entry(r.clone()).or_default() += 1;
            }
        }
        for finding in &i.findings {
            categories.insert(finding.category.as_str().to_owned());
            subtopics.insert(finding.subtopic.clone());
        }
        tools.extend(i.tool.clone());
        reps.extend(i.on_behalf_of.clone());
    }

    let kept: Vec<&QueueItem> = items.iter().filter(|i| f.keeps(i, now)).collect();
    let pages = kept.len().div_ceil(PAGE_SIZE).max(1);
    let page = f.page.clamp(1, pages);
    let rows: Vec<Row> = kept
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|i| Row {
            action_id: i.action_id.clone(),
            subject: if i.subject.is_empty() {
                "(no subject)".to_owned()
            } else {
                i.subject.clone()
            },
            kind: i.kind.clone(),
            tool: i.tool.clone(),
            rep: i.on_behalf_of.clone(),
            recipient: i.recipient.clone(),
            missing_roles: i.missing_roles.iter().cloned().collect(),
            approved_roles: i.approved_roles.iter().cloned().collect(),
            // The first reason states the kind's base tier; the ones after it say why
            // the action is held.
            reason: i.reasons.get(1).or(i.reasons.first()).cloned(),
            categories: i
                .findings
                .iter()
                .map(|x| x.category.as_str().to_owned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            age: age(i.created_at, now),
            created_at: i.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    let query = |p: usize| {
        let mut q = vec![("page".to_owned(), p.to_string())];
        for (k, v) in [
            ("role", &f.role),
            ("category", &f.category),
            ("subtopic", &f.subtopic),
            ("tool", &f.tool),
            ("rep", &f.rep),
            ("older_than_hours", &f.older_than_hours),
        ] {
            if !v.is_empty() {
                q.push((k.to_owned(), v.clone()));
            }
        }
        q.iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    render(
        "queue.html",
        minijinja::context! {
            account => account.name.clone(),
            roles => account.roles.iter().cloned().collect::<Vec<_>>(),
            csrf => reviewer.csrf(),
            counts => counts,
            total => items.len(),
            shown => kept.len(),
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
            f => minijinja::Value::from(minijinja::value::Serde(&f)),
            categories, subtopics, tools, reps,
            page, pages,
            prev => (page > 1).then(|| query(page - 1)),
            next => (page < pages).then(|| query(page + 1)),
        },
    )
}

/// `a`, `b` and `c` as "a, b, c", or "no roles".
pub fn list(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "no roles".to_owned()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_minutes_hours_and_days() {
        let now = Utc::now();
        assert_eq!(age(now - chrono::Duration::minutes(3), now), "3 min");
        assert_eq!(age(now - chrono::Duration::hours(5), now), "5 h");
        assert_eq!(age(now - chrono::Duration::days(3), now), "3 d");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(urlencode("deal desk&x"), "deal%20desk%26x");
    }
}
