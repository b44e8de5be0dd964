//! Policy simulation over stored history: each action's first revision read back as it
//! was decided, decided again under a candidate policy, and only one audit record written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::Duration;
use countersign_engine::policy::{DEFAULT_SOURCES, PolicySources};
use countersign_engine::simulate::{self, Observed, Pair};
use countersign_engine::{Decision, Gate, Policy};
use countersign_store::{ActionStatus, SimulationRun};

use crate::harness::{DISCOUNT, ROUTINE, TestDb, email, now};

/// `policies/default` copied to a temporary directory with `email.send` needing a
/// manager, loaded as `countersign simulate --policy DIR` would load it.
fn candidate_policy() -> (tempfile::TempDir, Policy) {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let toml_path = dir.path().join("policy.toml");
    let toml = std::fs::read_to_string(&toml_path).unwrap();
    let edited = toml.replace(
        "\"email.send\" = \"automation_safe\"",
        "\"email.send\" = \"manager_approved\"",
    );
    assert_ne!(
        edited, toml,
        "the shipped policy sets the tier of email.send"
    );
    std::fs::write(&toml_path, &edited).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let (cedar, schema) = (read("policy.cedar"), read("policy.cedarschema"));
    let policy = Policy::load(&PolicySources {
        toml: ("policy.toml", &edited),
        cedar: ("policy.cedar", &cedar),
        schema: ("policy.cedarschema", &schema),
    })
    .unwrap();
    (dir, policy)
}

async fn statuses(t: &TestDb, ids: &[&str]) -> Vec<ActionStatus> {
    let mut out = Vec::new();
    for id in ids {
        out.push(t.show(id).await.status);
    }
    out
}

async fn a_stricter_email_tier_holds_routine_mail_and_only_audits_the_run(t: &TestDb) {
    let (active, _) = t
        .store
        .activate_policy(&DEFAULT_SOURCES, "cli:admin", now() - Duration::days(1))
        .await
        .unwrap();
    let key = t.tool("outreach-agent").await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    let mut ids = Vec::new();
    for (i, (to, body)) in [
        ("dana@acme.example", ROUTINE),
        ("lee@globex.example", DISCOUNT),
        ("kim@initech.example", ROUTINE),
        ("max@umbrella.example", DISCOUNT),
    ]
    .into_iter()
    .enumerate()
    {
        let at = now() + Duration::minutes(i as i64);
        let p = t
            .store
            .propose(email(to, body), &key, &active, at)
            .await
            .unwrap();
        ids.push(p.action_id);
    }
    // The first discount (proposed at 15:01) is approved at 17:00.
    t.store
        .approve(
            &ids[1],
            1,
            "dora.dealdesk",
            &active,
            now() + Duration::hours(2),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let before = t.footprint().await;
    let statuses_before = statuses(t, &ids).await;
    assert_eq!(
        statuses_before,
        [
            ActionStatus::Allowed,
            ActionStatus::Approved,
            ActionStatus::Allowed,
            ActionStatus::Held
        ]
    );

    // What `countersign simulate --since 90d` does at 18:00.
    let until = now() + Duration::hours(3);
    let since = until - Duration::days(90);
    let stored = t.store.history_for_simulation(since, None).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|s| s.action_id.as_str())
            .collect::<Vec<_>>(),
        ids,
        "oldest first"
    );
    assert_eq!(stored[1].approved_at, Some(now() + Duration::hours(2)));
    assert_eq!(stored[1].status, ActionStatus::Approved);
    assert_eq!(stored[0].approved_at, None);
    assert_eq!(stored[0].tool_name.as_deref(), Some("outreach-agent"));
    assert_eq!(
        t.store
            .history_for_simulation(since, Some(2))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        t.store
            .history_for_simulation(until, None)
            .await
            .unwrap()
            .is_empty()
    );
    // In batches: the same proposals, each once, and nothing from `until` on.
    let first = t.store.history_batch(since, until, None, 3).await.unwrap();
    assert_eq!(first.proposals.len(), 3);
    let second = t
        .store
        .history_batch(since, until, first.next, 3)
        .await
        .unwrap();
    assert_eq!(second.next, None);
    let mut batched: Vec<_> = first
        .proposals
        .into_iter()
        .chain(second.proposals)
        .collect();
    batched.sort_by(|a, b| a.action_id.cmp(&b.action_id));
    let mut sorted = stored.clone();
    sorted.sort_by(|a, b| a.action_id.cmp(&b.action_id));
    assert_eq!(batched, sorted);
    let early = t
        .store
        .history_batch(since, now() + Duration::minutes(2), None, 10)
        .await
        .unwrap();
    assert_eq!(early.proposals.len(), 2, "15:00 and 15:01, not 15:02");
    assert_eq!(early.next, None);

    let approvals = t.store.approvals_by_role(since, until).await.unwrap();
    assert_eq!(approvals, BTreeMap::from([("deal_desk".to_owned(), 1)]));

    let (_dir, candidate) = candidate_policy();
    let history: Vec<_> = stored.iter().map(|s| s.past()).collect();
    let sim = simulate::compare(
        &history,
        &active,
        &candidate,
        &Gate::new(),
        &Observed {
            since,
            until,
            approvals,
        },
    );

    // The routine e-mails are now held for a manager; the discounts stay with the desk.
    let changed: Vec<(&str, Decision, Decision)> = sim
        .changed
        .iter()
        .map(|c| {
            (
                c.action_id.as_str(),
                c.active.decision,
                c.candidate.decision,
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            (ids[0], Decision::Allow, Decision::Hold),
            (ids[2], Decision::Allow, Decision::Hold)
        ]
    );
    for c in &sim.changed {
        assert_eq!(c.candidate.roles, BTreeSet::from(["manager".to_owned()]));
        assert_eq!(c.tool, "outreach-agent");
        assert!(
            c.candidate
                .reasons
                .iter()
                .any(|r| r.to_string() == "`email.send` actions are manager_approved by policy"),
            "{:?}",
            c.candidate.reasons
        );
    }
    assert_eq!(sim.actions, 4);
    assert_eq!(
        sim.totals[&Decision::Hold],
        Pair {
            active: 2,
            candidate: 4
        }
    );

    // Load: two more held items for managers, who approved nothing (no latency to
    // speak of); the desk's load is unchanged, at one approval in 90 days.
    let load: BTreeMap<&str, _> = sim.load.iter().map(|l| (l.role.as_str(), l)).collect();
    assert_eq!(
        load.keys().copied().collect::<Vec<_>>(),
        ["deal_desk", "manager"]
    );
    let manager = load["manager"];
    assert_eq!(
        manager.held,
        Pair {
            active: 0,
            candidate: 2
        }
    );
    assert_eq!(manager.candidate_latency_days, None);
    assert!((manager.candidate_per_day - 2.0 / 90.0).abs() < 1e-9);
    let desk = load["deal_desk"];
    assert_eq!(
        desk.held,
        Pair {
            active: 2,
            candidate: 2
        }
    );
    assert!((desk.approvals_per_day - 1.0 / 90.0).abs() < 1e-9);
    assert!((desk.active_latency_days.unwrap() - 2.0).abs() < 1e-9);
    assert_eq!(desk.active_latency_days, desk.candidate_latency_days);
    // Proposed at 15:01, approved at 17:00.
    assert_eq!(desk.observed_latency_hours, Some(119.0 / 60.0));

    let seq = t
        .store
        .audit_simulation(
            &SimulationRun {
                candidate_version: candidate.version.to_string(),
                active_version: active.version.to_string(),
                since,
                actions: sim.actions,
                changed: sim.changed.len() as u64,
            },
            "cli:admin",
            until,
        )
        .await
        .unwrap();

    // Nothing changed but one `simulation` record at the end of an intact chain.
    let mut after = t.footprint().await;
    assert_eq!(after.pop(), Some(before[5] + 1), "one more audit record");
    assert_eq!(
        after,
        before[..5],
        "actions, revisions, approvals, outbox, keys"
    );
    assert_eq!(statuses(t, &ids).await, statuses_before);
    assert_eq!(
        t.count("SELECT count(*) FROM audit_record WHERE event = 'simulation'")
            .await,
        1
    );
    assert_eq!(
        t.count("SELECT max(audit_record_id) FROM audit_record")
            .await,
        seq
    );
    assert_eq!(
        t.count("SELECT count(*) FROM policy").await,
        1,
        "the candidate is not recorded as a policy"
    );
    t.store.verify_audit().await.unwrap();
}
store_test!(a_stricter_email_tier_holds_routine_mail_and_only_audits_the_run);
