//! Notifications: an action that enters a role's queue is announced to that role's
//! reviewers through the outbox, in the transaction that held it; idle sessions end.

use chrono::Duration;
use countersign_store::{ActionStatus, Edit, Notifications, Store, StoreError, StoreOptions};
use serde_json::{Value, json};

use crate::harness::{DISCOUNT, DISCOUNT_AND_SECURITY, ROUTINE, TestDb, action, email, now};

/// The same database, opened with e-mail and Slack notifications on.
async fn notifying(t: &TestDb) -> Store {
    Store::open_with(
        &t.url,
        StoreOptions {
            notifications: Notifications {
                email: true,
                slack: true,
                inbox_url: Some("https://cs.example.com/".to_owned()),
                email_from: Some("Countersign <countersign@seller.example>".to_owned()),
                ..Notifications::default()
            },
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap()
}

async fn reviewer_with_email(t: &TestDb, name: &str, roles: &[&str], address: Option<&str>) {
    t.reviewer(name, roles).await;
    if let Some(address) = address {
        t.store
            .set_reviewer_email(name, Some(address), "cli:admin", now())
            .await
            .unwrap();
    }
}

/// Every notification row: (kind, payload, message_id).
async fn notifications(store: &Store) -> Vec<(String, Value, String)> {
    let mut out = Vec::new();
    for item in store
        .claim_outbox("reader", std::time::Duration::from_secs(1), 100, now())
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.message_id.starts_with("<ntf."))
    {
        out.push((
            item.kind().as_str().to_owned(),
            serde_json::to_value(&item.delivery).unwrap(),
            item.message_id.clone(),
        ));
    }
    out
}

async fn a_hold_is_announced_to_the_reviewers_of_its_roles_only(t: &TestDb) {
    let store = notifying(t).await;
    reviewer_with_email(
        t,
        "dora.dealdesk",
        &["deal_desk"],
        Some("dora@seller.example"),
    )
    .await;
    reviewer_with_email(t, "nick.nomail", &["deal_desk"], None).await;
    reviewer_with_email(t, "sid.security", &["security"], Some("sid@seller.example")).await;
    // The rep holds the role too, but never countersigns their own protected moment alone.
    reviewer_with_email(t, "sam.rep", &["deal_desk"], Some("sam@seller.example")).await;
    let key = t.tool("outreach-agent").await;
    let p = store
        .propose(email("dana@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Held);

    let sent = notifications(&store).await;
    let mail: Vec<&(String, Value, String)> = sent.iter().filter(|n| n.0 == "email").collect();
    assert_eq!(mail.len(), 1, "{sent:?}");
    let payload = &mail[0].1;
    assert_eq!(payload["to"], json!(["dora@seller.example"]));
    assert_eq!(payload["from"], "Countersign <countersign@seller.example>");
    let subject = payload["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("[Countersign] Review needed (deal desk)"),
        "{subject}"
    );
    let body = payload["body"].as_str().unwrap();
    let link = format!("https://cs.example.com/inbox/items/{}", p.action_id);
    assert!(body.contains(&link), "{body}");
    assert!(body.contains("on behalf of sam.rep"), "{body}");
    assert!(body.contains("discount negotiation"), "{body}");
    // The draft itself stays in the inbox.
    assert!(!body.contains("sign by Friday"), "{body}");

    let slack: Vec<&(String, Value, String)> = sent.iter().filter(|n| n.0 == "slack").collect();
    assert_eq!(slack.len(), 1);
    assert!(slack[0].1["text"].as_str().unwrap().contains(&link));
    // Nothing about the action itself was released.
    assert!(t.show(&p.action_id).await.outbox.is_none());

    let audit = store.audit_for_action(&p.action_id).await.unwrap();
    let note = audit.iter().find(|r| r.event == "notification").unwrap();
    assert_eq!(note.data["emailed"], json!(["dora.dealdesk"]));
    assert_eq!(note.data["roles"], json!(["deal_desk"]));
}
store_test!(a_hold_is_announced_to_the_reviewers_of_its_roles_only);

async fn nothing_is_announced_for_releases_replays_or_when_switched_off(t: &TestDb) {
    let store = notifying(t).await;
    reviewer_with_email(
        t,
        "dora.dealdesk",
        &["deal_desk"],
        Some("dora@seller.example"),
    )
    .await;
    let key = t.tool("outreach-agent").await;
    let routine = store
        .propose(email("dana@acme.example", ROUTINE), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(routine.status, ActionStatus::Allowed);
    let keyed = action(json!({
        "kind": "email.send", "on_behalf_of": "sam.rep", "idempotency_key": "follow-up-7",
        "payload": {"to": ["dana@acme.example"], "subject": "Offer", "body": DISCOUNT},
    }));
    let first = store
        .propose(keyed.clone(), &key, &t.policy, now())
        .await
        .unwrap();
    let replay = store.propose(keyed, &key, &t.policy, now()).await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.action_id, first.action_id);
    // The default store (no notifications configured) writes none.
    t.store
        .propose(email("dana@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE purpose = 'notify'")
            .await,
        2,
        "one e-mail and one Slack message, for the first keyed proposal only"
    );
}
store_test!(nothing_is_announced_for_releases_replays_or_when_switched_off);

async fn an_edit_puts_the_action_back_in_the_queues_whose_approval_it_voided(t: &TestDb) {
    let store = notifying(t).await;
    reviewer_with_email(
        t,
        "dora.dealdesk",
        &["deal_desk"],
        Some("dora@seller.example"),
    )
    .await;
    reviewer_with_email(t, "sid.security", &["security"], Some("sid@seller.example")).await;
    let key = t.tool("outreach-agent").await;
    let p = store
        .propose(
            email("dana@acme.example", DISCOUNT_AND_SECURITY),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    store
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    let before = t
        .count("SELECT count(*) FROM outbox WHERE purpose = 'notify' AND kind = 'email'")
        .await;
    assert_eq!(
        before, 2,
        "deal desk and security were told about revision 1"
    );
    store
        .edit(
            &p.action_id,
            "sid.security",
            &Edit {
                subject: None,
                body: "Hi Dana, we can do 15% off if you sign by Friday. On security, our \
                       SOC 2 Type II report is attached. Best, Sam"
                    .to_owned(),
            },
            &t.policy,
            now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    // Deal desk's approval no longer counts: dora is told again; sid, the editor, is not.
    let again = t
        .count(&format!(
            "SELECT count(*) FROM outbox WHERE purpose = 'notify' AND kind = 'email' \
             AND message_id = '<ntf.{}.r2.{}@countersign.invalid>'",
            p.action_id,
            dora_id(t).await
        ))
        .await;
    assert_eq!(again, 1);
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE purpose = 'notify' AND kind = 'email'")
            .await,
        3
    );
}
store_test!(an_edit_puts_the_action_back_in_the_queues_whose_approval_it_voided);

async fn dora_id(t: &TestDb) -> i64 {
    t.count("SELECT reviewer_id FROM reviewer WHERE name = 'dora.dealdesk'")
        .await
}

async fn a_delivered_notification_is_audited_apart_from_the_action(t: &TestDb) {
    let store = notifying(t).await;
    reviewer_with_email(
        t,
        "dora.dealdesk",
        &["deal_desk"],
        Some("dora@seller.example"),
    )
    .await;
    let key = t.tool("outreach-agent").await;
    let p = store
        .propose(email("dana@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    let items = store
        .claim_outbox("w1", std::time::Duration::from_secs(60), 10, now())
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    for item in &items {
        store.mark_sent(item.outbox_id, "w1", now()).await.unwrap();
    }
    let events: Vec<String> = store
        .audit_for_action(&p.action_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert!(
        events.iter().any(|e| e == "notification_sent"),
        "{events:?}"
    );
    // `send` only ever means the buyer's e-mail left; it has not.
    assert!(!events.iter().any(|e| e == "send"), "{events:?}");
    assert_eq!(t.show(&p.action_id).await.status, ActionStatus::Held);
    // Releasing it later still gets its one delivery row.
    let out = store
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    assert!(out.outbox_id.is_some());
    assert_eq!(t.show(&p.action_id).await.outbox.unwrap().status, "pending");
    store.verify_audit().await.unwrap();
}
store_test!(a_delivered_notification_is_audited_apart_from_the_action);

async fn a_reviewer_email_must_be_an_address(t: &TestDb) {
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    for bad in ["dora", "dora@localhost", "a b@seller.example", "<x@y.z>"] {
        let err = t
            .store
            .set_reviewer_email("dora.dealdesk", Some(bad), "cli:admin", now())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "email"),
            "{bad}: {err}"
        );
    }
    let r = t
        .store
        .set_reviewer_email(
            "dora.dealdesk",
            Some(" dora@seller.example "),
            "cli:admin",
            now(),
        )
        .await
        .unwrap();
    assert_eq!(r.email.as_deref(), Some("dora@seller.example"));
    let r = t
        .store
        .set_reviewer_email("dora.dealdesk", None, "cli:admin", now())
        .await
        .unwrap();
    assert_eq!(r.email, None);
    let err = t
        .store
        .set_reviewer_email("nobody", Some("n@seller.example"), "cli:admin", now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}
store_test!(a_reviewer_email_must_be_an_address);

/// A syntactically valid argon2id PHC string (the store never checks the password).
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn a_session_left_idle_for_30_minutes_ends(t: &TestDb) {
    let account = t
        .store
        .create_account(
            "dora.dealdesk",
            &["deal_desk".to_owned()],
            false,
            HASH,
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap();
    let session = t
        .store
        .create_session(&account, Duration::hours(12), now())
        .await
        .unwrap();
    let live = async |minutes: i64| {
        t.store
            .session_account(&session.token, now() + Duration::minutes(minutes))
            .await
            .unwrap()
            .is_some()
    };
    // Each use moves the idle deadline: 25 + 25 + 25 minutes apart is fine...
    assert!(live(25).await);
    assert!(live(50).await);
    assert!(live(75).await);
    // ...31 minutes without a request is not, although the 12-hour expiry is far away.
    assert!(!live(106).await);
    assert!(!live(107).await, "an idle session stays ended");
}
store_test!(a_session_left_idle_for_30_minutes_ends);

/// Notification rows for `action_id` whose Message-ID carries `marker`.
async fn told(t: &TestDb, action_id: &str, marker: &str) -> i64 {
    t.count(&format!(
        "SELECT count(*) FROM outbox WHERE purpose = 'notify' AND action_id = '{action_id}' \
         AND message_id LIKE '%{marker}%'"
    ))
    .await
}

async fn an_approval_that_runs_out_puts_its_role_back_in_the_queue_once(t: &TestDb) {
    let store = Store::open_with(
        &t.url,
        StoreOptions {
            approval_ttl: Duration::hours(1),
            notifications: Notifications {
                email: true,
                ..Notifications::default()
            },
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    reviewer_with_email(
        t,
        "dora.dealdesk",
        &["deal_desk"],
        Some("dora@seller.example"),
    )
    .await;
    reviewer_with_email(t, "sid.security", &["security"], Some("sid@seller.example")).await;
    let key = t.tool("outreach-agent").await;
    let p = store
        .propose(
            email("dana@acme.example", DISCOUNT_AND_SECURITY),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    store
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    // Within the hour nothing lapsed.
    let written = store
        .notify_lapsed_approvals(now(), now() + Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(written, 0);
    // After it, deal desk is needed again and dora is told; security never approved, so
    // sid hears nothing new.
    let window = (now(), now() + Duration::minutes(61));
    assert_eq!(
        store
            .notify_lapsed_approvals(window.0, window.1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(told(t, &p.action_id, ".l1.").await, 1);
    let row = t
        .count(&format!(
            "SELECT count(*) FROM outbox WHERE message_id = '<ntf.{}.r1.l1.{}@countersign.invalid>'",
            p.action_id,
            dora_id(t).await
        ))
        .await;
    assert_eq!(row, 1);
    // The same window again (overlapping sweeps, a second instance): told once.
    assert_eq!(
        store
            .notify_lapsed_approvals(window.0, window.1)
            .await
            .unwrap(),
        0
    );
    assert_eq!(told(t, &p.action_id, ".l1.").await, 1);
    let audit = store.audit_for_action(&p.action_id).await.unwrap();
    let lapse = audit
        .iter()
        .find(|r| r.event == "notification" && r.data["occasion"] == "l1")
        .unwrap();
    assert_eq!(lapse.data["roles"], json!(["deal_desk"]));
    store.verify_audit().await.unwrap();
}
store_test!(an_approval_that_runs_out_puts_its_role_back_in_the_queue_once);

async fn a_deal_change_puts_the_roles_it_voided_back_in_the_queue(t: &TestDb) {
    let store = notifying(t).await;
    let deal = |stage: &str| countersign_store::OpportunityUpsert {
        opportunity_id: "opp-acme".into(),
        stage: Some(stage.into()),
        amount: Some(48_000.0),
        ..Default::default()
    };
    store
        .upsert_opportunity(&deal("Proposal"), now())
        .await
        .unwrap();
    reviewer_with_email(
        t,
        "dora.dealdesk",
        &["deal_desk"],
        Some("dora@seller.example"),
    )
    .await;
    let key = t.tool("outreach-agent").await;
    let p = store
        .propose(
            action(json!({
                "kind": "email.send",
                "on_behalf_of": "sam.rep",
                "target": {"opportunity_id": "opp-acme"},
                "payload": {"to": ["dana@acme.example"], "subject": "Pricing", "body": DISCOUNT_AND_SECURITY},
            })),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    store
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(told(t, &p.action_id, ".l1.").await, 0);
    // The stage moves: dora's approval was given on the old deal.
    store
        .upsert_opportunity(&deal("Negotiation"), now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        told(t, &p.action_id, ".l1.").await,
        2,
        "dora by e-mail and the Slack channel"
    );
}
store_test!(a_deal_change_puts_the_roles_it_voided_back_in_the_queue);
