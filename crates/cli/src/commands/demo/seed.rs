//! Seeding the demo database through the real store API, back-dated: the organisation two
//! weeks ago, then every scripted proposal and reviewer step at its own time, in time
//! order, then the real outbox worker delivering what was released into the pickup
//! directory. Nothing is written behind the store's back, so the audit chain verifies.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use countersign_connectors::{PickupConfig, Worker, WorkerConfig};
use countersign_engine::Policy;
use countersign_engine::policy::DEFAULT_SOURCES;
use countersign_store::{ActionStatus, ContactRecord, Edit, OpportunityUpsert, OutboxKind, Store};
use serde::Serialize;

use super::data::{self, Entry, Org, StepKind};
use crate::database::flat;

/// Who the audit log names for the demo's own set-up.
pub(super) const ACTOR: &str = "demo:setup";

/// What the demo seeded, as printed (and as `--format json` prints it).
#[derive(Debug, Serialize)]
pub struct Summary {
    pub database_url: String,
    pub delivered_dir: String,
    pub policy_version: String,
    /// The buyer companies.
    pub accounts: Vec<String>,
    /// Scripted proposals, over this many days.
    pub actions: usize,
    pub days: i64,
    /// Where the actions stand now.
    pub allowed: usize,
    pub held: usize,
    pub approved: usize,
    /// Approved after a reviewer edited them (also counted in `approved`).
    pub edited: usize,
    pub rejected: usize,
    pub denied: usize,
    pub draft_only: usize,
    /// Held until nobody could decide any more (the policy's service levels).
    pub expired: usize,
    /// Proposals from a tool the registry does not know (denied as shadow AI).
    pub shadow_ai: usize,
    /// Outbox items delivered (written to the pickup directory) and still waiting
    /// (quiet hours in the buyer's zone).
    pub delivered: usize,
    pub delivered_emails: usize,
    pub pending_delivery: usize,
    /// Review notifications e-mailed to reviewers (`ntf_*.eml` in the same folder).
    pub notifications: usize,
    /// Finding categories across the actions' latest revisions, with how many actions
    /// have each.
    pub categories: BTreeMap<String, usize>,
    pub logins: Vec<Login>,
    pub audit_records: i64,
    /// The sample Salesforce export the pipeline was imported from, and what it brought.
    pub crm_export_dir: String,
    pub imported_opportunities: u64,
    pub imported_activities: u64,
    /// Approved knowledge entries, and the assistant's drafts (action ids).
    pub knowledge_entries: usize,
    pub drafts: Vec<String>,
    /// The shadow-AI evidence scanned (sent mail, CRM logins, extensions) and the report's
    /// findings (per kind, rep and tool).
    pub shadow_dir: String,
    pub shadow_findings: usize,
}

/// A demo login and what waits for it.
#[derive(Debug, Serialize)]
pub struct Login {
    pub name: String,
    pub full_name: String,
    pub title: String,
    pub roles: Vec<String>,
    pub admin: bool,
    pub password: String,
    /// Held actions that still need one of this person's roles.
    pub waiting: usize,
    /// Held actions proposed on this person's behalf (a rep's own deals).
    pub own_held: usize,
}

/// The calendar day the script's `-0d` falls on: today in the seller's zone, or
/// yesterday when today's scripted moments are still ahead (the history never lies in
/// the future).
fn day0(tz: Tz, now: DateTime<Utc>) -> anyhow::Result<NaiveDate> {
    let today = now.with_timezone(&tz).date_naive();
    let latest = |day| -> anyhow::Result<DateTime<Utc>> {
        let entries = data::script(tz, day)?;
        Ok(entries
            .iter()
            .flat_map(|e| std::iter::once(e.at).chain(e.steps.iter().map(|s| s.at)))
            .max()
            .unwrap_or(now))
    };
    if latest(today)? < now - Duration::minutes(1) {
        Ok(today)
    } else {
        today
            .pred_opt()
            .ok_or_else(|| anyhow!("the calendar has no day before {today}"))
    }
}

/// One thing to do at one time.
enum Event<'a> {
    Propose(&'a Entry),
    Step(&'a Entry, usize),
}

/// Seeds an empty store with the history that ends at `now`; delivered items go to
/// `pickup_dir`.
pub async fn seed(
    store: &Store,
    database_url: &str,
    pickup_dir: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Summary> {
    if !store.list_accounts().await.map_err(flat)?.is_empty() {
        bail!(
            "the database already has accounts: the demo needs an empty one (it never wipes PostgreSQL)"
        );
    }
    let org = data::org()?;
    let tz: Tz = org
        .timezone
        .parse()
        .map_err(|_| anyhow!("org timezone `{}` is not an IANA zone", org.timezone))?;
    let day0 = day0(tz, now)?;
    let entries = data::script(tz, day0)?;
    let first = entries
        .iter()
        .map(|e| e.at)
        .min()
        .ok_or_else(|| anyhow!("demo/script.toml has no actions"))?;
    // The organisation exists an hour before the agent's first proposal.
    let setup = first - Duration::hours(1);

    let (policy, _) = store
        .activate_policy(&DEFAULT_SOURCES, ACTOR, setup)
        .await
        .map_err(flat)?;
    create_people(store, &org, &policy, setup).await?;
    let keys = register_tools(store, &org, &policy, setup).await?;
    crm(store, &org, now, setup).await?;
    let export_dir = pickup_dir
        .parent()
        .unwrap_or(pickup_dir)
        .join("salesforce-export");
    let imported =
        super::assistant::import_crm(store, &export_dir, now.date_naive(), setup).await?;
    let knowledge_entries = super::assistant::add_knowledge(store, now.date_naive(), setup).await?;

    // Every proposal and step at its own time, oldest first; a step never precedes its
    // proposal because every delay is positive.
    let mut events: Vec<(DateTime<Utc>, Event)> = Vec::new();
    for e in &entries {
        events.push((e.at, Event::Propose(e)));
        for (i, s) in e.steps.iter().enumerate() {
            events.push((s.at, Event::Step(e, i)));
        }
    }
    events.sort_by_key(|(at, _)| *at);
    // The real worker delivers what was released into the pickup directory, as the
    // history unfolds: the dashboard's deliveries per day are real days.
    let pickup = PickupConfig {
        dir: pickup_dir.to_path_buf(),
        from: org.from.clone(),
    }
    .build()
    .map_err(|e| anyhow!("{e}"))?;
    let worker = Worker::new(
        store.clone(),
        None,
        None,
        WorkerConfig {
            worker_id: "demo-worker".to_owned(),
            ..WorkerConfig::default()
        },
    )
    .with_pickup(Some(pickup));
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    // Each entry's latest revision, so an approval names the revision its reviewer read.
    let mut revisions: BTreeMap<&str, i64> = BTreeMap::new();
    // Everything that went differently from the script, reported together.
    let mut surprises = Vec::new();
    let mut failed: BTreeSet<&str> = BTreeSet::new();
    for (at, event) in &events {
        match event {
            Event::Propose(e) => {
                let key = keys
                    .get(e.tool.as_str())
                    .ok_or_else(|| anyhow!("entry `{}`: no tool `{}` in org.toml", e.id, e.tool))?;
                let p = store
                    .propose(e.action.clone(), key, &policy, *at)
                    .await
                    .map_err(|err| anyhow!("entry `{}`: proposing failed: {err}", e.id))?;
                if !e.expect.matches(p.decision.decision) {
                    failed.insert(e.id.as_str());
                    surprises.push(format!(
                        "`{}`: expected {:?}, the gate decided {} ({})",
                        e.id,
                        e.expect,
                        p.decision.decision.as_str(),
                        p.decision
                            .reasons
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                ids.insert(e.id.as_str(), p.action_id);
            }
            Event::Step(e, i) => {
                let Some(id) = ids.get(e.id.as_str()) else {
                    continue;
                };
                // The entry already went wrong: its later steps would only add noise.
                if failed.contains(e.id.as_str()) {
                    continue;
                }
                let step = &e.steps[*i];
                let done = match &step.kind {
                    StepKind::Approve => {
                        // The script's reviewer read the latest revision, as the inbox shows it.
                        let revision = revisions.get(e.id.as_str()).copied().unwrap_or(1);
                        store
                            .approve(id, revision, &step.by, &policy, *at)
                            .await
                            .map(|_| ())
                    }
                    StepKind::Edit { subject, body } => store
                        .edit(
                            id,
                            &step.by,
                            &Edit {
                                subject: subject.clone(),
                                body: body.clone(),
                            },
                            &policy,
                            *at,
                        )
                        .await
                        .map(|o| {
                            revisions.insert(e.id.as_str(), o.revision);
                        }),
                    StepKind::Reject { reason } => store.reject(id, &step.by, reason, *at).await,
                };
                if let Err(err) = done {
                    failed.insert(e.id.as_str());
                    surprises.push(format!(
                        "`{}`: step {} by `{}` failed: {err}",
                        e.id,
                        i + 1,
                        step.by
                    ));
                }
            }
        }
        // Service levels as the history unfolds: reminders, escalations, expiry.
        store
            .sweep_service_levels(&policy, *at)
            .await
            .map_err(flat)?;
        deliver_until(&worker, *at).await?;
    }
    store
        .sweep_service_levels(&policy, now)
        .await
        .map_err(flat)?;
    // Every story must end where the script says: an edit can add roles the script's
    // approvers do not hold, and a policy change can make one approval too few.
    for e in &entries {
        let Some(id) = ids.get(e.id.as_str()) else {
            continue;
        };
        if failed.contains(e.id.as_str()) {
            continue;
        }
        let view = store.show(id, now).await.map_err(flat)?;
        if view.status.as_str() != e.outcome {
            let required: Vec<&str> = view
                .revisions
                .last()
                .map(|r| r.required_roles.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let approvers: Vec<&str> = view.approvals.iter().map(|a| a.reviewer.as_str()).collect();
            surprises.push(format!(
                "`{}`: ends {}, not {}: needs {}, approved by {}",
                e.id,
                view.status,
                e.outcome,
                required.join(", "),
                approvers.join(", ")
            ));
        }
    }
    if !surprises.is_empty() {
        bail!(
            "the demo script no longer runs as written (update crates/cli/demo/script.toml):\n  {}",
            surprises.join("\n  ")
        );
    }

    // Whatever is still due (quiet hours that ended since) goes out now.
    deliver_until(&worker, now).await?;
    let drafts = super::assistant::write_drafts(store, &policy).await?;
    let shadow_dir = pickup_dir.parent().unwrap_or(pickup_dir).join("shadow-ai");
    let shadow_findings = super::shadow::scan(store, &shadow_dir, &policy).await?;

    let mut summary = summarize(
        store,
        &org,
        &entries,
        &ids,
        database_url,
        pickup_dir,
        &policy,
        now,
    )
    .await?;
    let count = |kind: &str| imported.counts.get(kind).map_or(0, |c| c.written);
    summary.crm_export_dir = export_dir.display().to_string();
    summary.imported_opportunities = count("opportunity");
    summary.imported_activities = count("task") + count("event") + count("activity");
    summary.knowledge_entries = knowledge_entries;
    summary.drafts = drafts;
    summary.shadow_dir = shadow_dir.display().to_string();
    summary.shadow_findings = shadow_findings;
    Ok(summary)
}

/// Runs the worker at time `at` until nothing more is due then.
async fn deliver_until(worker: &Worker, at: DateTime<Utc>) -> anyhow::Result<()> {
    while worker.run_once(at).await.map_err(flat)?.claimed > 0 {}
    Ok(())
}

async fn create_people(
    store: &Store,
    org: &Org,
    policy: &Policy,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    // argon2id is deliberately slow: hash every password at once on the blocking pool.
    let mut hashing = tokio::task::JoinSet::new();
    for (i, p) in org.people.iter().enumerate() {
        let password = p.password.clone();
        hashing.spawn(async move { (i, countersign_server::auth::hash_password(password).await) });
    }
    let mut hashes = vec![String::new(); org.people.len()];
    while let Some(done) = hashing.join_next().await {
        let (i, hash) = done.context("password hashing stopped")?;
        hashes[i] =
            hash.map_err(|e| anyhow!("demo/org.toml: people[{i}].password: {}", e.message))?;
    }
    for (p, hash) in org.people.iter().zip(&hashes) {
        store
            .create_account(&p.name, &p.roles, p.admin, hash, policy, ACTOR, at)
            .await
            .map_err(|e| anyhow!("demo/org.toml: person `{}`: {e}", p.name))?;
        if let Some(email) = &p.email {
            store
                .set_reviewer_email(&p.name, Some(email), ACTOR, at)
                .await
                .map_err(|e| anyhow!("demo/org.toml: person `{}`: {e}", p.name))?;
        }
    }
    Ok(())
}

/// Registers the sanctioned tools; returns every tool's API key by name (an unregistered
/// tool gets a key the registry never issued).
async fn register_tools(
    store: &Store,
    org: &Org,
    policy: &Policy,
    at: DateTime<Utc>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut keys = BTreeMap::new();
    for t in &org.tools {
        let key = if t.registered {
            store
                .add_tool(&t.name, &t.kinds, &t.data_classes, policy, ACTOR, at)
                .await
                .map_err(|e| anyhow!("demo/org.toml: tool `{}`: {e}", t.name))?
                .api_key
        } else {
            format!("sk-{}-pasted-into-a-browser-extension", t.name)
        };
        keys.insert(t.name.clone(), key);
    }
    Ok(keys)
}

async fn crm(
    store: &Store,
    org: &Org,
    now: DateTime<Utc>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let today = now.date_naive();
    for a in &org.accounts {
        for c in &a.contacts {
            store
                .upsert_contact(
                    &ContactRecord {
                        contact_id: c.contact_id.clone(),
                        email: Some(c.email.clone()),
                        name: Some(c.name.clone()),
                        title: Some(c.title.clone()),
                        crm_role: c.crm_role.clone(),
                        timezone: Some(c.timezone.clone()),
                        account_id: Some(a.account_id.clone()),
                    },
                    at,
                )
                .await
                .map_err(|e| anyhow!("demo/org.toml: contact `{}`: {e}", c.contact_id))?;
        }
        for o in &a.opportunities {
            store
                .upsert_opportunity(
                    &OpportunityUpsert {
                        opportunity_id: o.opportunity_id.clone(),
                        account_id: Some(a.account_id.clone()),
                        name: Some(o.name.clone()),
                        stage: Some(o.stage.clone()),
                        amount: Some(o.amount),
                        close_date: today.checked_add_days(chrono::Days::new(o.close_in_days)),
                        owner: Some(o.owner.clone()),
                    },
                    at,
                )
                .await
                .map_err(|e| anyhow!("demo/org.toml: opportunity `{}`: {e}", o.opportunity_id))?;
        }
    }
    for s in &org.suppressions {
        store
            .suppress(&s.email, s.reason, ACTOR, at)
            .await
            .map_err(|e| anyhow!("demo/org.toml: suppression: {e}"))?;
    }
    Ok(())
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`: the summary is printed.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn summarize(
    store: &Store,
    org: &Org,
    entries: &[Entry],
    ids: &BTreeMap<&str, String>,
    database_url: &str,
    pickup_dir: &Path,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<Summary> {
    let registered: BTreeSet<&str> = org
        .tools
        .iter()
        .filter(|t| t.registered)
        .map(|t| t.name.as_str())
        .collect();
    let mut s = Summary {
        database_url: without_password(database_url),
        delivered_dir: pickup_dir.display().to_string(),
        policy_version: policy.version.to_string(),
        accounts: org.accounts.iter().map(|a| a.name.clone()).collect(),
        actions: entries.len(),
        days: 0,
        allowed: 0,
        held: 0,
        approved: 0,
        edited: 0,
        rejected: 0,
        denied: 0,
        draft_only: 0,
        expired: 0,
        shadow_ai: entries
            .iter()
            .filter(|e| !registered.contains(e.tool.as_str()))
            .count(),
        delivered: 0,
        delivered_emails: 0,
        pending_delivery: 0,
        notifications: std::fs::read_dir(pickup_dir)
            .map(|dir| {
                dir.flatten()
                    .filter(|f| f.file_name().to_string_lossy().starts_with("ntf_"))
                    .count()
            })
            .unwrap_or(0),
        categories: BTreeMap::new(),
        logins: Vec::new(),
        audit_records: 0,
        crm_export_dir: String::new(),
        imported_opportunities: 0,
        imported_activities: 0,
        knowledge_entries: 0,
        drafts: Vec::new(),
        shadow_dir: String::new(),
        shadow_findings: 0,
    };
    if let (Some(first), Some(last)) = (
        entries.iter().map(|e| e.at).min(),
        entries.iter().map(|e| e.at).max(),
    ) {
        s.days = (last - first).num_days() + 1;
    }
    for id in ids.values() {
        let view = store.show(id, now).await.map_err(flat)?;
        match view.status {
            ActionStatus::Allowed => s.allowed += 1,
            ActionStatus::Held => s.held += 1,
            ActionStatus::Expired => s.expired += 1,
            ActionStatus::Approved => {
                s.approved += 1;
                if view.revisions.len() > 1 {
                    s.edited += 1;
                }
            }
            ActionStatus::Rejected => s.rejected += 1,
            ActionStatus::Denied => s.denied += 1,
            ActionStatus::DraftOnly => s.draft_only += 1,
        }
        if let Some(o) = &view.outbox {
            if o.status == "sent" {
                s.delivered += 1;
                if o.kind == OutboxKind::Email {
                    s.delivered_emails += 1;
                }
            } else {
                s.pending_delivery += 1;
            }
        }
        let categories: BTreeSet<String> = view
            .revisions
            .last()
            .map(|r| {
                r.decision
                    .findings
                    .iter()
                    .map(|f| f.category.to_string())
                    .collect()
            })
            .unwrap_or_default();
        for c in categories {
            *s.categories.entry(c).or_default() += 1;
        }
    }
    let queue = store.queue(None, now).await.map_err(flat)?;
    for p in &org.people {
        let roles: BTreeSet<&String> = p.roles.iter().collect();
        s.logins.push(Login {
            name: p.name.clone(),
            full_name: p.full_name.clone(),
            title: p.title.clone(),
            roles: p.roles.clone(),
            admin: p.admin,
            password: p.password.clone(),
            waiting: queue
                .iter()
                .filter(|q| q.missing_roles.iter().any(|r| roles.contains(r)))
                .count(),
            own_held: queue
                .iter()
                .filter(|q| q.on_behalf_of.as_deref() == Some(p.name.as_str()))
                .count(),
        });
    }
    s.audit_records = store
        .verify_audit()
        .await
        .map_err(|e| anyhow!("the demo's audit chain does not verify: {e}"))?
        .records;
    Ok(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_password_in_the_database_url_is_never_printed() {
        assert_eq!(
            without_password("postgres://cs:hunter2@db.internal:5432/cs"),
            "postgres://cs:***@db.internal:5432/cs"
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            without_password("sqlite://demo/countersign.db"),
            "sqlite://demo/countersign.db"
        );
    }

    /// The guards count over windows, and quiet hours know weekends and DST: the script
    /// must tell the same story whatever day the demo runs.
    #[tokio::test]
    async fn the_script_runs_as_written_across_weekends_and_dst_changes() {
        let moments = [
            (2026, 3, 9, 15),  // the Monday after the US clocks go forward
            (2026, 3, 30, 9),  // after Europe's change, before 11:00 in New York
            (2026, 11, 2, 16), // the Monday after the US clocks go back
            (2026, 11, 8, 20), // a Sunday evening
            (2027, 1, 1, 12),  // a holiday, on a Friday
        ];
        let mut first = None;
        for (y, m, d, h) in moments {
            let now = Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
            let tmp = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", tmp.path().join("demo.db").display());
            let store = Store::open(&url).await.unwrap();
            let summary = seed(&store, &url, &tmp.path().join("delivered"), now)
                .await
                .unwrap_or_else(|e| panic!("at {now}: {e:#}"));
            store.close().await;
            // The same number of actions in every status on every day.
            let counts = (
                summary.allowed,
                summary.held,
                summary.approved,
                summary.edited,
                summary.rejected,
                summary.denied,
                summary.draft_only,
                summary.expired,
            );
            assert_eq!(*first.get_or_insert(counts), counts, "at {now}");
        }
    }
}
