//! Proposing: one transaction, idempotency keys with Stripe's semantics, shadow AI, replay.

use chrono::Duration;
use countersign_engine::{Decision, IdempotencyKey};
use countersign_store::{ActionStatus, OutboxKind, StoreError};
use serde_json::json;

use crate::harness::{DISCOUNT, ROUTINE, TestDb, action, email, now};

async fn routine_email_is_allowed_and_queued_for_delivery(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let p = t
        .store
        .propose(email("dana@acme.example", ROUTINE), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Allow);
    assert_eq!(p.status, ActionStatus::Allowed);
    assert_eq!(p.decision.id, p.action_id);
    assert!(p.action_id.starts_with("act_"));
    assert!(!p.replayed);

    let view = t.show(&p.action_id).await;
    assert_eq!(view.tool.as_deref(), Some("outreach-agent"));
    assert_eq!(view.revisions.len(), 1);
    assert_eq!(view.revisions[0].audit_seq, p.audit_seq);
    let outbox = view.outbox.unwrap();
    assert_eq!(outbox.status, "pending");
    assert_eq!(outbox.next_attempt_at, now());

    let items = t
        .store
        .claim_outbox("w1", std::time::Duration::from_secs(60), 10, now())
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind(), OutboxKind::Email);
    assert_eq!(
        serde_json::to_value(&items[0].delivery).unwrap(),
        json!({"to": ["dana@acme.example"], "cc": [], "subject": "Following up", "body": ROUTINE, "from": null})
    );
    assert_eq!(
        items[0].message_id,
        format!("<{}@countersign.invalid>", p.action_id)
    );
}
store_test!(routine_email_is_allowed_and_queued_for_delivery);

async fn held_discount_writes_no_outbox_row(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let p = t
        .store
        .propose(email("dana@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Held);
    assert_eq!(
        p.decision.roles.iter().cloned().collect::<Vec<_>>(),
        ["deal_desk"]
    );
    assert!(t.show(&p.action_id).await.outbox.is_none());
    assert_eq!(t.count("SELECT count(*) FROM outbox").await, 0);
}
store_test!(held_discount_writes_no_outbox_row);

fn keyed(body: &str, key: &str) -> countersign_engine::Action {
    let mut a = email("dana@acme.example", body);
    a.idempotency_key = Some(IdempotencyKey::parse(key).unwrap());
    a
}

async fn same_key_and_same_action_returns_the_first_answer_and_writes_nothing(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let first = t
        .store
        .propose(keyed(DISCOUNT, "followup-4411"), &key, &t.policy, now())
        .await
        .unwrap();
    let before = t.footprint().await;
    let again = t
        .store
        .propose(
            keyed(DISCOUNT, "followup-4411"),
            &key,
            &t.policy,
            now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.action_id, first.action_id);
    assert_eq!(again.decision, first.decision);
    assert_eq!(again.audit_seq, first.audit_seq);
    assert_eq!(t.footprint().await, before, "a replay must not write");
}
store_test!(same_key_and_same_action_returns_the_first_answer_and_writes_nothing);

async fn same_key_with_a_different_action_is_refused(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    t.store
        .propose(keyed(ROUTINE, "followup-4412"), &key, &t.policy, now())
        .await
        .unwrap();
    let before = t.footprint().await;
    let err = t
        .store
        .propose(keyed(DISCOUNT, "followup-4412"), &key, &t.policy, now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::IdempotencyConflict), "{err:?}");
    assert_eq!(
        err.to_string(),
        "idempotency_key: already used for a different action"
    );
    assert_eq!(t.footprint().await, before);
}
store_test!(same_key_with_a_different_action_is_refused);

async fn keys_belong_to_their_tool(t: &TestDb) {
    let a = t.tool("outreach-agent").await;
    let b = t.tool("crm-copilot").await;
    let first = t
        .store
        .propose(keyed(ROUTINE, "k-1"), &a, &t.policy, now())
        .await
        .unwrap();
    let second = t
        .store
        .propose(keyed(DISCOUNT, "k-1"), &b, &t.policy, now())
        .await
        .unwrap();
    assert_ne!(first.action_id, second.action_id);
    assert!(!second.replayed);
}
store_test!(keys_belong_to_their_tool);

async fn concurrent_proposals_with_one_key_store_one_action(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = t.store.clone();
        let policy = t.policy.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            store
                .propose(keyed(DISCOUNT, "retry-storm-1"), &key, &policy, now())
                .await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().action_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every caller gets the first answer: {ids:?}");
    assert_eq!(t.count("SELECT count(*) FROM action").await, 1);
    assert_eq!(t.count("SELECT count(*) FROM idempotency_key").await, 1);
    t.store.verify_audit().await.unwrap();
}
store_test!(concurrent_proposals_with_one_key_store_one_action);

async fn keys_are_kept_seven_days_then_pruned(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let old = t
        .store
        .propose(keyed(ROUTINE, "old-key"), &key, &t.policy, now())
        .await
        .unwrap();
    let later = now() + Duration::days(6);
    t.store
        .propose(keyed(ROUTINE, "new-key"), &key, &t.policy, later)
        .await
        .unwrap();
    assert_eq!(t.store.prune_idempotency_keys(later).await.unwrap(), 0);
    let again = t
        .store
        .propose(keyed(ROUTINE, "old-key"), &key, &t.policy, later)
        .await
        .unwrap();
    assert_eq!(
        again.action_id, old.action_id,
        "six days on, still the first answer"
    );

    let pruned = t
        .store
        .prune_idempotency_keys(now() + Duration::days(7) + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(t.count("SELECT count(*) FROM idempotency_key").await, 1);
}
store_test!(keys_are_kept_seven_days_then_pruned);

async fn unknown_key_is_denied_and_audited_as_shadow_ai(t: &TestDb) {
    t.tool("outreach-agent").await;
    let mut a = email("dana@acme.example", ROUTINE);
    a.tool = Some("browser-extension-gpt".to_owned());
    let p = t
        .store
        .propose(a, "cs_notARealKeyAtAll000000000000000", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Deny);
    assert_eq!(p.status, ActionStatus::Denied);
    assert!(
        p.decision.reasons.iter().any(
            |r| r.to_string().contains("not registered") && r.to_string().contains("shadow AI")
        ),
        "{:?}",
        p.decision.reasons
    );
    let events = t.store.audit_for_action(&p.action_id).await.unwrap();
    let shadow = events.iter().find(|e| e.event == "shadow_ai").unwrap();
    assert_eq!(shadow.data["claimed_tool"], "browser-extension-gpt");
    assert!(shadow.actor.starts_with("unknown-tool:"));
    assert!(t.show(&p.action_id).await.outbox.is_none());
}
store_test!(unknown_key_is_denied_and_audited_as_shadow_ai);

async fn revoked_key_is_denied_and_audited_as_shadow_ai(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    t.store
        .revoke_tool("outreach-agent", "cli:admin", now())
        .await
        .unwrap();
    let p = t
        .store
        .propose(email("dana@acme.example", ROUTINE), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Deny);
    let events = t.store.audit_for_action(&p.action_id).await.unwrap();
    let shadow = events.iter().find(|e| e.event == "shadow_ai").unwrap();
    assert_eq!(shadow.data["revoked_tool"], "outreach-agent");
}
store_test!(revoked_key_is_denied_and_audited_as_shadow_ai);

async fn a_tool_may_only_propose_its_granted_kinds(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let task = action(json!({
        "kind": "crm.task.create",
        "payload": {"subject": "Call Dana", "body": "Call Dana on Thursday about the rollout."},
    }));
    let p = t.store.propose(task, &key, &t.policy, now()).await.unwrap();
    assert_eq!(p.decision.decision, Decision::Deny);
    assert!(
        p.decision
            .reasons
            .iter()
            .any(|r| r.to_string().contains("may not propose"))
    );
}
store_test!(a_tool_may_only_propose_its_granted_kinds);

async fn crm_update_is_held_and_goes_out_as_a_webhook_once_approved(t: &TestDb) {
    let key = t.tool("crm-copilot").await;
    t.reviewer("maria.manager", &["manager"]).await;
    let mut a = action(json!({
        "kind": "crm.opportunity.update",
        "on_behalf_of": "sam.rep",
        "target": {"opportunity_id": "opp-acme-2027"},
        "payload": {"changes": {"stage": "Negotiation", "next_step": "Book the onboarding call for Thursday"}},
    }));
    a.idempotency_key = Some(IdempotencyKey::parse("crm-sync-77").unwrap());
    let p = t.store.propose(a, &key, &t.policy, now()).await.unwrap();
    assert_eq!(p.status, ActionStatus::Held);
    let out = t
        .store
        .approve(&p.action_id, 1, "maria.manager", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Approved);
    let items = t
        .store
        .claim_outbox("w1", std::time::Duration::from_secs(60), 10, now())
        .await
        .unwrap();
    assert_eq!(items[0].kind(), OutboxKind::Webhook);
    assert_eq!(items[0].idempotency_key, "crm-sync-77");
    assert_eq!(
        serde_json::to_value(&items[0].delivery).unwrap()["changes"],
        json!({"stage": "Negotiation", "next_step": "Book the onboarding call for Thursday"})
    );
    assert_eq!(
        serde_json::to_value(&items[0].delivery).unwrap()["target"]["opportunity_id"],
        "opp-acme-2027"
    );
}
store_test!(crm_update_is_held_and_goes_out_as_a_webhook_once_approved);

async fn a_stored_decision_replays_to_the_same_decision(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    t.store
        .upsert_contact(
            &countersign_store::ContactRecord {
                contact_id: "c-dana".into(),
                email: Some("dana@acme.example".into()),
                title: Some("VP Finance".into()),
                timezone: Some("Europe/Berlin".into()),
                account_id: Some("acc-acme".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    for body in [ROUTINE, DISCOUNT] {
        let p = t
            .store
            .propose(email("dana@acme.example", body), &key, &t.policy, now())
            .await
            .unwrap();
        let replay = t.store.replay(&p.action_id, 1).await.unwrap();
        assert!(replay.matches(), "{replay:#?}");
        assert_eq!(replay.stored, p.decision);
        assert_eq!(replay.stored.policy_version, t.policy.version);
    }
}
store_test!(a_stored_decision_replays_to_the_same_decision);
