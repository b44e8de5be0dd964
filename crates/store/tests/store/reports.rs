//! Reports: the audit page's filters and keyset pages, and the dashboard's figures over a
//! known history made through the store's own API (propose, approve, edit, reject, send).

use std::collections::BTreeMap;
use std::time::Duration as Lease;

use chrono::{Duration, NaiveDate};
use countersign_store::{ActionStatus, AuditQuery, Edit, StoreError};

use crate::harness::{DISCOUNT, DISCOUNT_AND_SECURITY, ROUTINE, TestDb, at, email, now};

/// The ids of the four actions of [`history`].
struct History {
    routine: String,
    approved: String,
    edited: String,
    rejected: String,
}

/// On 2026-11-24 at 15:00: a routine e-mail (allowed, sent at 16:00); a discount approved
/// after 20 minutes (sent the next morning); a discount edited then approved after 60
/// minutes (not sent yet); a discount with a security claim rejected.
async fn history(t: &TestDb) -> History {
    let key = t.tool("outreach-agent").await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.reviewer("sid.security", &["security"]).await;
    let propose = async |to: &str, body: &str| {
        t.store
            .propose(email(to, body), &key, &t.policy, now())
            .await
            .unwrap()
    };
    let routine = propose("dana@acme.example", ROUTINE).await;
    assert_eq!(routine.status, ActionStatus::Allowed);
    let approved = propose("lee@globex.example", DISCOUNT).await;
    let edited = propose("kim@initech.example", DISCOUNT).await;
    let rejected = propose("max@umbrella.example", DISCOUNT_AND_SECURITY).await;
    for p in [&approved, &edited, &rejected] {
        assert_eq!(p.status, ActionStatus::Held);
    }
    t.store
        .approve(
            &approved.action_id,
            1,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(20),
        )
        .await
        .unwrap();
    t.store
        .edit(
            &edited.action_id,
            "dora.dealdesk",
            &Edit {
                subject: None,
                body: "Hi Kim, we can do 10% off if you sign by Friday. Best, Sam".to_owned(),
            },
            &t.policy,
            now() + Duration::minutes(30),
        )
        .await
        .unwrap();
    t.store
        .approve(
            &edited.action_id,
            2,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(60),
        )
        .await
        .unwrap();
    t.store
        .reject(
            &rejected.action_id,
            "sid.security",
            "we do not quote certifications in e-mail",
            now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    // Deliver the routine e-mail the same afternoon and the approved one the next morning
    // (a claim holds its lease for two hours, so the send may come later than the claim).
    for (id, claimed_at, sent_at) in [
        (
            &routine.action_id,
            at(2026, 11, 24, 15, 10),
            at(2026, 11, 24, 16, 0),
        ),
        (
            &approved.action_id,
            at(2026, 11, 25, 9, 0),
            at(2026, 11, 25, 9, 5),
        ),
    ] {
        let claimed = t
            .store
            .claim_outbox("w1", Lease::from_secs(7200), 10, claimed_at)
            .await
            .unwrap();
        let item = claimed
            .iter()
            .find(|i| &i.action_id == id)
            .expect("the released action is claimable");
        t.store
            .mark_sent(item.outbox_id, "w1", sent_at)
            .await
            .unwrap();
    }
    History {
        routine: routine.action_id,
        approved: approved.action_id,
        edited: edited.action_id,
        rejected: rejected.action_id,
    }
}

fn query(limit: i64) -> AuditQuery {
    AuditQuery {
        limit,
        ..AuditQuery::default()
    }
}

async fn the_audit_page_lists_newest_first_and_pages_by_sequence_number(t: &TestDb) {
    history(t).await;
    let all = t.store.verify_audit().await.unwrap().records;
    assert!(all > 10, "the history wrote {all} records");
    let mut seen = Vec::new();
    let mut q = query(4);
    loop {
        let page = t.store.audit_page(&q).await.unwrap();
        assert!(page.records.len() <= 4);
        seen.extend(page.records.iter().map(|r| r.seq));
        match page.next_before_seq {
            Some(cursor) => q.before_seq = Some(cursor),
            None => break,
        }
    }
    // Every record once, newest first, across pages.
    let expected: Vec<i64> = (1..=all).rev().collect();
    assert_eq!(seen, expected);
}
store_test!(the_audit_page_lists_newest_first_and_pages_by_sequence_number);

async fn audit_filters_narrow_by_event_action_actor_and_time(t: &TestDb) {
    let h = history(t).await;
    let by_event = t
        .store
        .audit_page(&AuditQuery {
            event: Some("rejection".into()),
            ..query(50)
        })
        .await
        .unwrap();
    assert_eq!(by_event.records.len(), 1);
    assert_eq!(
        by_event.records[0].action_id.as_deref(),
        Some(h.rejected.as_str())
    );
    assert!(by_event.events.contains(&"approval".to_owned()));

    let by_action = t
        .store
        .audit_page(&AuditQuery {
            action_id: Some(h.edited.clone()),
            ..query(50)
        })
        .await
        .unwrap();
    let events: Vec<&str> = by_action.records.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "release", "approval", "decision", "edit", "decision", "proposal"
        ]
    );

    // A bare name finds the actor whatever its kind; the full form works too.
    for actor in ["dora.dealdesk", "reviewer:dora.dealdesk"] {
        let page = t
            .store
            .audit_page(&AuditQuery {
                actor: Some(actor.into()),
                ..query(50)
            })
            .await
            .unwrap();
        assert!(!page.records.is_empty());
        assert!(
            page.records
                .iter()
                .all(|r| r.actor == "reviewer:dora.dealdesk"),
            "{actor}"
        );
    }
    // `_` in a name is not a wildcard.
    let none = t
        .store
        .audit_page(&AuditQuery {
            actor: Some("dora_dealdesk".into()),
            ..query(50)
        })
        .await
        .unwrap();
    assert!(none.records.is_empty());

    // The next morning holds only the second delivery.
    let morning = t
        .store
        .audit_page(&AuditQuery {
            from: Some(at(2026, 11, 25, 0, 0)),
            until: Some(at(2026, 11, 26, 0, 0)),
            ..query(50)
        })
        .await
        .unwrap();
    assert_eq!(morning.records.len(), 1, "{:?}", morning.records);
    assert_eq!(morning.records[0].event, "send");
    assert_eq!(
        morning.records[0].action_id.as_deref(),
        Some(h.approved.as_str())
    );
    let _ = h.routine;
}
store_test!(audit_filters_narrow_by_event_action_actor_and_time);

async fn bad_audit_queries_name_the_field(t: &TestDb) {
    let err = t.store.audit_page(&query(0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid { ref field, .. } if field == "limit"));
    let err = t
        .store
        .audit_page(&AuditQuery {
            from: Some(at(2026, 11, 25, 0, 0)),
            until: Some(at(2026, 11, 24, 0, 0)),
            ..query(10)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { ref field, .. } if field == "from"));
    let err = t.store.dashboard(now(), 0).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid { ref field, .. } if field == "days"));
}
store_test!(bad_audit_queries_name_the_field);

async fn the_dashboard_counts_a_known_history(t: &TestDb) {
    let h = history(t).await;
    let d = t.store.dashboard(at(2026, 11, 25, 12, 0), 7).await.unwrap();
    assert_eq!(d.since, at(2026, 11, 19, 0, 0));
    assert_eq!(d.actions, 4);

    // One of four e-mails ran by itself: the routine one.
    assert_eq!(d.by_kind.len(), 1);
    let email = &d.by_kind[0];
    assert_eq!(
        (email.label.as_str(), email.total, email.allowed, email.held),
        ("email.send", 4, 1, 3)
    );
    assert!((email.automation_rate() - 0.25).abs() < 1e-9);
    let tiers: BTreeMap<&str, (i64, i64)> = d
        .by_tier
        .iter()
        .map(|r| (r.label.as_str(), (r.total, r.allowed)))
        .collect();
    assert_eq!(tiers["automation_safe"], (1, 1));
    assert_eq!(tiers["manager_approved"], (3, 0));

    // Three holds, all commercial; the security claim adds its category once.
    assert_eq!(d.held, 3);
    let reasons: BTreeMap<&str, i64> = d
        .hold_reasons
        .iter()
        .map(|r| (r.category.as_str(), r.actions))
        .collect();
    assert_eq!(reasons["commercial"], 3);
    assert_eq!(reasons["objection"], 1);
    assert_eq!(
        d.hold_reasons[0].category, "commercial",
        "most frequent first"
    );

    // Two approvals, after 20 and 60 minutes.
    assert_eq!(d.latency.approved, 2);
    assert_eq!(d.latency.p50_seconds, Some(20 * 60));
    assert_eq!(d.latency.p90_seconds, Some(60 * 60));

    // Three reviewed (two approved, one rejected): one edited, one rejected.
    assert_eq!(
        (
            d.overrides.reviewed,
            d.overrides.edited,
            d.overrides.rejected,
            d.overrides.overridden
        ),
        (3, 1, 1, 2)
    );

    // Seven days, one delivery on each of the last two.
    let days: Vec<(NaiveDate, i64)> = d.deliveries.iter().map(|c| (c.day, c.sent)).collect();
    assert_eq!(days.len(), 7);
    assert_eq!(days[0], (NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(), 0));
    assert_eq!(days[5], (NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), 1));
    assert_eq!(days[6], (NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), 1));

    // A window that ends before the proposals sees none of them.
    let before = t.store.dashboard(at(2026, 11, 23, 12, 0), 7).await.unwrap();
    assert_eq!(before.actions, 0);
    assert_eq!(before.overrides.reviewed, 0);
    assert!(before.deliveries.iter().all(|c| c.sent == 0));

    // The context an edit was decided with is kept per revision.
    let ctx = t.store.revision_context(&h.edited, 2).await.unwrap();
    assert!(ctx.tool.is_some());
    let missing = t.store.revision_context(&h.edited, 9).await.unwrap_err();
    assert!(missing.is_refusal());
}
store_test!(the_dashboard_counts_a_known_history);
