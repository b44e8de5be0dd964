//! Guards get the right context from the store: suppression, caps across tools, quiet
//! hours in the recipient's zone, automated follow-ups per opportunity.

use chrono::Duration;
use countersign_engine::Decision;
use countersign_engine::context::Suppression;
use countersign_store::{ActionStatus, ContactRecord};
use serde_json::json;

use crate::harness::{ROUTINE, TestDb, action, at, email, now};

async fn contact(t: &TestDb, id: &str, address: &str, tz: &str) {
    t.store
        .upsert_contact(
            &ContactRecord {
                contact_id: id.into(),
                email: Some(address.into()),
                name: Some("Dana Whitfield".into()),
                title: Some("IT Manager".into()),
                timezone: Some(tz.into()),
                account_id: Some("acc-acme".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
}

async fn suppressed_recipient_is_denied(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    t.store
        .suppress("Dana@Acme.example", Suppression::OptOut, "cli:admin", now())
        .await
        .unwrap();
    let p = t
        .store
        .propose(email("dana@acme.example", ROUTINE), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Deny);
    assert!(
        p.decision
            .reasons
            .iter()
            .any(|r| r.to_string().contains("opted out"))
    );

    // A suppressed address in cc counts too; legal hold is the strictest reason.
    t.store
        .suppress(
            "counsel@acme.example",
            Suppression::LegalHold,
            "cli:admin",
            now(),
        )
        .await
        .unwrap();
    let cc = action(json!({
        "kind": "email.send",
        "payload": {"to": ["lee@acme.example"], "cc": ["counsel@acme.example"], "body": ROUTINE},
    }));
    let p = t.store.propose(cc, &key, &t.policy, now()).await.unwrap();
    assert_eq!(p.decision.decision, Decision::Deny);
    assert!(
        p.decision
            .reasons
            .iter()
            .any(|r| r.to_string().contains("legal hold"))
    );
}
store_test!(suppressed_recipient_is_denied);

async fn fourth_email_to_a_contact_in_three_days_is_held_whoever_sends_it(t: &TestDb) {
    contact(t, "c-dana", "dana@acme.example", "Europe/London").await;
    let tools = [
        t.tool("outreach-agent").await,
        t.tool("crm-copilot").await,
        t.tool("sequencer").await,
    ];
    // Three e-mails from three different tools on Monday, Tuesday and Wednesday.
    for (i, key) in tools.iter().enumerate() {
        let when = now() + Duration::hours(24 * i as i64);
        let p = t
            .store
            .propose(email("dana@acme.example", ROUTINE), key, &t.policy, when)
            .await
            .unwrap();
        assert_eq!(p.decision.decision, Decision::Allow, "e-mail {i}");
    }
    let fourth = now() + Duration::hours(48) + Duration::minutes(30);
    let p = t
        .store
        .propose(
            email("dana@acme.example", ROUTINE),
            &tools[0],
            &t.policy,
            fourth,
        )
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Hold);
    assert!(
        p.decision.reasons.iter().any(|r| r
            .to_string()
            .contains("frequency cap: 3 e-mails to this contact")),
        "{:?}",
        p.decision.reasons
    );
    // Once the first e-mail leaves the 72-hour window, the contact may be e-mailed again.
    let later = now() + Duration::hours(72) + Duration::minutes(1);
    let p = t
        .store
        .propose(
            email("dana@acme.example", ROUTINE),
            &tools[1],
            &t.policy,
            later,
        )
        .await
        .unwrap();
    assert_eq!(
        p.decision.decision,
        Decision::Allow,
        "{:?}",
        p.decision.reasons
    );
}
store_test!(fourth_email_to_a_contact_in_three_days_is_held_whoever_sends_it);

async fn account_cap_counts_every_contact_of_the_account(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    for i in 0..10 {
        let address = format!("buyer{i}@acme.example");
        contact(t, &format!("c-{i}"), &address, "Europe/London").await;
        let p = t
            .store
            .propose(email(&address, ROUTINE), &key, &t.policy, now())
            .await
            .unwrap();
        assert_eq!(p.decision.decision, Decision::Allow);
    }
    contact(t, "c-10", "buyer10@acme.example", "Europe/London").await;
    let p = t
        .store
        .propose(
            email("buyer10@acme.example", ROUTINE),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Hold);
    assert!(
        p.decision
            .reasons
            .iter()
            .any(|r| r.to_string().contains("to this account"))
    );
}
store_test!(account_cap_counts_every_contact_of_the_account);

async fn third_automated_follow_up_on_an_opportunity_is_held(t: &TestDb) {
    let key = t.tool("sequencer").await;
    let follow_up = |to: &str| {
        action(json!({
            "kind": "email.send",
            "target": {"opportunity_id": "opp-acme-2027"},
            "payload": {"to": [to], "subject": "Checking in", "body": ROUTINE},
        }))
    };
    for (i, to) in ["dana@acme.example", "lee@acme.example"].iter().enumerate() {
        let p = t
            .store
            .propose(
                follow_up(to),
                &key,
                &t.policy,
                now() + Duration::days(i as i64),
            )
            .await
            .unwrap();
        assert_eq!(p.decision.decision, Decision::Allow);
    }
    let p = t
        .store
        .propose(
            follow_up("kim@acme.example"),
            &key,
            &t.policy,
            now() + Duration::days(2),
        )
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Hold);
    assert!(
        p.decision
            .reasons
            .iter()
            .any(|r| r.to_string().contains("no unsupervised pressure"))
    );
}
store_test!(third_automated_follow_up_on_an_opportunity_is_held);

async fn late_evening_email_waits_for_the_recipients_morning(t: &TestDb) {
    contact(t, "c-dana", "dana@acme.example", "Europe/Berlin").await;
    let key = t.tool("outreach-agent").await;
    // Tuesday 21:30 in Berlin.
    let evening = at(2026, 11, 24, 20, 30);
    let p = t
        .store
        .propose(
            email("dana@acme.example", ROUTINE),
            &key,
            &t.policy,
            evening,
        )
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Allowed);
    let morning = at(2026, 11, 25, 7, 0);
    assert_eq!(p.decision.not_before, Some(morning));
    assert_eq!(
        t.show(&p.action_id).await.outbox.unwrap().next_attempt_at,
        morning
    );
    let lease = std::time::Duration::from_secs(60);
    assert!(
        t.store
            .claim_outbox("w1", lease, 10, evening)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t.store
            .claim_outbox("w1", lease, 10, morning)
            .await
            .unwrap()
            .len(),
        1
    );
}
store_test!(late_evening_email_waits_for_the_recipients_morning);

async fn contact_fields_are_checked_and_merged(t: &TestDb) {
    let err = t
        .store
        .upsert_contact(
            &ContactRecord {
                contact_id: "c-dana".into(),
                timezone: Some("Mars/Olympus".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "timezone: `Mars/Olympus` is not an IANA time zone (e.g. `Europe/Berlin`)"
    );
    contact(t, "c-dana", "dana@acme.example", "Europe/Berlin").await;
    let merged = t
        .store
        .upsert_contact(
            &ContactRecord {
                contact_id: "c-dana".into(),
                title: Some("CFO".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(merged.email.as_deref(), Some("dana@acme.example"));
    assert_eq!(merged.title.as_deref(), Some("CFO"));
    assert_eq!(merged.timezone.as_deref(), Some("Europe/Berlin"));
}
store_test!(contact_fields_are_checked_and_merged);
