//! The demo's follow-up assistant (issue 13): the organisation's pipeline imported from the
//! sample Salesforce export, the approved knowledge its claims are checked against, and a
//! few drafts written by the assistant's templates, which wait in the reviewers' queues
//! and the rep's deals with their sources.
//!
//! The sample export and the knowledge files are written as of 2026-12-01; the demo moves
//! every date in them by the days since, so the pipeline is always as fresh as on that day.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Days, NaiveDate, Utc};
use countersign_engine::{Gate, Policy, knowledge};
use countersign_import::{Mapping, Report, Source, import_dir};
use countersign_server::auth::Principal;
use countersign_server::config::Config;
use countersign_server::service::drafts::{self, DraftRequest};
use countersign_store::{Account, Store};

use super::seed::ACTOR;

/// The day the sample files were written as of.
const WRITTEN_AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2026, 12, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

macro_rules! sample {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../../import/samples/salesforce/", $name)),
        )
    };
}

const EXPORT: [(&str, &str); 7] = [
    sample!("User.csv"),
    sample!("Account.csv"),
    sample!("Contact.csv"),
    sample!("Opportunity.csv"),
    sample!("OpportunityHistory.csv"),
    sample!("Task.csv"),
    sample!("Event.csv"),
];

const KNOWLEDGE: [(&str, &str); 4] = [
    (
        "encryption",
        include_str!("../../../demo/knowledge/encryption.md"),
    ),
    (
        "data-residency",
        include_str!("../../../demo/knowledge/data-residency.md"),
    ),
    ("sso", include_str!("../../../demo/knowledge/sso.md")),
    ("uptime", include_str!("../../../demo/knowledge/uptime.md")),
];

/// Drafts the assistant writes once the history is seeded: (opportunity, the rep's words,
/// propose for sending). Sent ones are held for the roles their answers need.
const DRAFTS: [(&str, &str, bool); 3] = [
    (
        "006O000000000003",
        "answer their security questionnaire",
        true,
    ),
    (
        "006O000000000057",
        "answer their questions about uptime and support",
        true,
    ),
    ("006O000000000019", "recap the discovery call", false),
];

/// Every `YYYY-MM-DD` in `text` moved by `days`.
fn shifted(text: &str, days: i64) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = text.get(i..i + 10).filter(|s| {
            s.bytes().enumerate().all(|(k, b)| match k {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            })
        });
        let date = candidate.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        let standalone = i == 0 || !bytes[i - 1].is_ascii_digit();
        match date.filter(|_| standalone) {
            Some(d) => {
                let moved = if days >= 0 {
                    d.checked_add_days(Days::new(days.unsigned_abs()))
                } else {
                    d.checked_sub_days(Days::new(days.unsigned_abs()))
                };
                out.push_str(&moved.unwrap_or(d).format("%Y-%m-%d").to_string());
                i += 10;
            }
            None => {
                let ch = text[i..].chars().next().unwrap_or_default();
                out.push(ch);
                i += ch.len_utf8().max(1);
            }
        }
    }
    out
}

/// Days from the sample's day to `today`.
fn age(today: NaiveDate) -> i64 {
    (today - WRITTEN_AS_OF).num_days()
}

/// Writes the sample export, its dates moved to `today`, into `dir` and imports it with the
/// real importer.
pub async fn import_crm(
    store: &Store,
    dir: &Path,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> anyhow::Result<Report> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    for (name, text) in EXPORT {
        let path = dir.join(name);
        std::fs::write(&path, shifted(text, age(today)))
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    let report = import_dir(
        store,
        Source::Salesforce,
        dir,
        &Mapping::default(),
        ACTOR,
        at,
        |_, _| {},
    )
    .await
    .map_err(|e| anyhow!("the demo's CRM export: {e}"))?;
    if report.problem_count > 0 {
        return Err(anyhow!(
            "the demo's CRM export has {} problems: {:?}",
            report.problem_count,
            report.problems
        ));
    }
    Ok(report)
}

/// Stores the approved knowledge, its dates moved to `today`.
pub async fn add_knowledge(
    store: &Store,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> anyhow::Result<usize> {
    for (stem, text) in KNOWLEDGE {
        let text = shifted(text, age(today));
        let entry =
            knowledge::parse(stem, &text).map_err(|e| anyhow!("demo/knowledge/{stem}.md: {e}"))?;
        store
            .put_knowledge(&entry, &text, ACTOR, at)
            .await
            .map_err(|e| anyhow!("demo/knowledge/{stem}.md: {e}"))?;
    }
    Ok(KNOWLEDGE.len())
}

/// Has the assistant write the demo's drafts, as a rep pressing "Draft" would.
pub async fn write_drafts(store: &Store, policy: &Policy) -> anyhow::Result<Vec<String>> {
    let mut config = Config::default();
    config.server.group_commit = false;
    let state = countersign_server::AppState::new(
        store.clone(),
        policy.clone(),
        Arc::new(Gate::new()),
        config,
    );
    let operator = Principal::Account(Account {
        reviewer_id: 0,
        name: ACTOR.to_owned(),
        roles: Default::default(),
        admin: true,
        has_password: false,
        email: None,
        disabled_at: None,
        created_at: Utc::now(),
    });
    let mut ids = Vec::new();
    for (opportunity, intent, send) in DRAFTS {
        let drafted = drafts::draft(
            &state,
            &operator,
            DraftRequest {
                opportunity_id: opportunity.to_owned(),
                intent: intent.to_owned(),
                contact_id: None,
                send,
                idempotency_key: Some(format!("demo-draft-{opportunity}")),
            },
        )
        .await
        .map_err(|e| anyhow!("demo draft for {opportunity}: {}", e.message))?;
        ids.push(drafted.proposal.action_id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_move_and_nothing_else_does() {
        let text =
            "Id,CloseDate,CreatedDate,Amount\n006,2026-12-20,2026-11-01T09:30:00Z,20261201\n";
        assert_eq!(
            shifted(text, 31),
            "Id,CloseDate,CreatedDate,Amount\n006,2027-01-20,2026-12-02T09:30:00Z,20261201\n"
        );
        assert_eq!(
            shifted("valid_until: 2027-06-30 — ok", -30),
            "valid_until: 2027-05-31 — ok"
        );
    }
}
