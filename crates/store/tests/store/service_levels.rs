//! The policy's service levels (issue 12): a reminder, then an escalation to the manager,
//! then expiry — each once, counted in business hours, and an expired item can never be
//! approved. Also: the migration that added `expired` kept every foreign key.

use chrono::Duration;
use countersign_engine::Policy;
use countersign_store::{ActionStatus, Notifications, Store, StoreError, StoreOptions};
use serde_json::Value;

use crate::harness::{DISCOUNT, TestDb, at, email};

async fn notifying(t: &TestDb) -> Store {
    Store::open_with(
        &t.url,
        StoreOptions {
            notifications: Notifications {
                email: true,
                inbox_url: Some("https://cs.example.com/".to_owned()),
                ..Notifications::default()
            },
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap()
}

/// The e-mails in the outbox, oldest first: (to, subject, body).
async fn mail(store: &Store, now: chrono::DateTime<chrono::Utc>) -> Vec<(String, String, String)> {
    store
        .claim_outbox("reader", std::time::Duration::from_secs(1), 100, now)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.message_id.starts_with("<ntf."))
        .map(|i| {
            let v: Value = serde_json::to_value(&i.delivery).unwrap();
            (
                v["to"][0].as_str().unwrap_or_default().to_owned(),
                v["subject"].as_str().unwrap_or_default().to_owned(),
                v["body"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_held_item_is_reminded_escalated_then_expires(t: &TestDb) {
    let store = notifying(t).await;
    let policy = Policy::default_policy().clone();
    for (name, roles, address) in [
        ("dora.dealdesk", &["deal_desk"][..], "dora@seller.example"),
        ("max.manager", &["manager"][..], "max@seller.example"),
    ] {
        t.reviewer(name, roles).await;
        store
            .set_reviewer_email(name, Some(address), "cli:admin", at(2026, 11, 24, 8, 0))
            .await
            .unwrap();
    }
    let key = t.tool("outreach-agent").await;
    // Tuesday 15:00 UTC; the default policy gives the deal desk 4 business hours (09–17).
    let proposed = at(2026, 11, 24, 15, 0);
    let p = store
        .propose(
            email("dana@acme.example", DISCOUNT),
            &key,
            &policy,
            proposed,
        )
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Held);
    let first = mail(&store, proposed).await;
    assert_eq!(first.len(), 1, "{first:?}");

    let sweep = |h: i64| {
        let (store, policy) = (store.clone(), policy.clone());
        async move {
            store
                .sweep_service_levels(&policy, proposed + Duration::hours(h))
                .await
                .unwrap()
        }
    };
    assert_eq!(sweep(1).await.reminded, 0);
    // 17:00: two of the four business hours used, the reminder goes to the deal desk.
    let r = sweep(2).await;
    assert_eq!((r.reminded, r.escalated), (1, 0));
    assert_eq!(sweep(3).await.reminded, 0, "a step is taken once");
    let reminder = mail(&store, proposed + Duration::hours(2)).await;
    let (to, subject, body) = reminder.last().unwrap();
    assert_eq!(to, "dora@seller.example");
    assert!(
        subject.starts_with("[Countersign] Reminder (deal desk)"),
        "{subject}"
    );
    assert!(body.contains("has until Wed 25 Nov 11:00 UTC"), "{body}");
    // Overnight does not count: Wednesday 10:59 is still in time, 11:00 is not.
    assert_eq!(sweep(19).await.escalated, 0);
    let r = sweep(20).await;
    assert_eq!(r.escalated, 1, "{r:?}");
    let escalated = mail(&store, proposed + Duration::hours(20)).await;
    let (to, subject, body) = escalated.last().unwrap();
    assert_eq!(to, "max@seller.example");
    assert!(
        subject.starts_with("[Countersign] Overdue (deal desk)"),
        "{subject}"
    );
    assert!(
        body.contains("did not decide this by Wed 25 Nov 11:00 UTC"),
        "{body}"
    );
    // The manager cannot approve for the deal desk: no approve link for them.
    assert!(!body.contains("/inbox/act/"), "{body}");

    // Ten days after the proposal, nobody decided: expired, never sent, never approvable.
    let r = sweep(24 * 10).await;
    assert_eq!(r.expired, 1);
    let view = t.show(&p.action_id).await;
    assert_eq!(view.status, ActionStatus::Expired);
    assert!(view.outbox.is_none());
    let refused = store
        .approve(
            &p.action_id,
            1,
            "dora.dealdesk",
            &policy,
            proposed + Duration::hours(241),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotHeld { .. }), "{refused}");
    assert!(refused.to_string().contains("is expired"), "{refused}");
    let audit = store.audit_for_action(&p.action_id).await.unwrap();
    let events: Vec<&str> = audit.iter().map(|r| r.event.as_str()).collect();
    assert!(events.contains(&"service_level"), "{events:?}");
    assert!(events.contains(&"expiry"), "{events:?}");
    assert!(store.verify_audit().await.is_ok());
}
store_test!(a_held_item_is_reminded_escalated_then_expires);

async fn the_rebuilt_action_table_keeps_its_foreign_keys(t: &TestDb) {
    // A revision of an action that does not exist is refused, as before the migration.
    let orphan = "INSERT INTO review_step (action_id, revision, step, due_at, created_at) \
                  VALUES ('act_none', 1, 'expire', '2026-11-24T15:00:00.000000Z', '2026-11-24T15:00:00.000000Z')";
    let refused = t.try_exec(orphan).await.unwrap_err();
    assert!(refused.to_lowercase().contains("foreign key"), "{refused}");
    // And `expired` is a status the table takes, while the CHECK still refuses others.
    let insert = |id: &str, status: &str| {
        format!(
            "INSERT INTO action (action_id, kind, status, latest_revision, created_at, updated_at) \
             VALUES ('{id}', 'email.send', '{status}', 1, '2026-11-24T15:00:00.000000Z', '2026-11-24T15:00:00.000000Z')"
        )
    };
    assert_eq!(t.try_exec(&insert("act_expired", "expired")).await, Ok(1));
    let refused = t.try_exec(&insert("act_bogus", "bogus")).await.unwrap_err();
    assert!(refused.to_lowercase().contains("check"), "{refused}");
}
store_test!(the_rebuilt_action_table_keeps_its_foreign_keys);
