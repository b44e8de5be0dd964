//! Server accounts and sessions, policy activation, proposing with a caller's decider, and
//! the read-only views the server uses.

use chrono::Duration;
use countersign_engine::policy::DEFAULT_SOURCES;
use countersign_engine::{Decision, DecisionRecord};
use countersign_store::{ActionStatus, ContextQuery, StoreError, sha256_hex};

use crate::harness::{DISCOUNT, ROUTINE, TestDb, at, email, now};

/// A syntactically valid argon2id PHC string (the store never checks the password).
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn a_session_token_is_stored_as_a_hash_and_ends_at_logout(t: &TestDb) {
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
    let creds = t.store.credentials("dora.dealdesk").await.unwrap().unwrap();
    assert_eq!(creds.password_hash.as_deref(), Some(HASH));
    let session = t
        .store
        .create_session(&account, Duration::hours(1), now())
        .await
        .unwrap();
    assert!(session.token.starts_with("csr_"));
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM reviewer_session WHERE token_hash = '{}'",
            sha256_hex(&session.token)
        ))
        .await,
        1
    );
    let who = t
        .store
        .session_account(&session.token, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.name, "dora.dealdesk");
    // Expired, then logged out.
    assert!(
        t.store
            .session_account(&session.token, now() + Duration::hours(2))
            .await
            .unwrap()
            .is_none()
    );
    assert!(t.store.revoke_session(&session.token, now()).await.unwrap());
    assert!(
        t.store
            .session_account(&session.token, now())
            .await
            .unwrap()
            .is_none()
    );
    // The token never reaches the audit log; the log-in does.
    let mut export = Vec::new();
    t.store.export_audit(&mut export).await.unwrap();
    let export = String::from_utf8(export).unwrap();
    assert!(!export.contains(&session.token));
    assert!(export.contains("\"event\":\"login\""));
    assert!(export.contains("\"event\":\"account_registration\""));
}
store_test!(a_session_token_is_stored_as_a_hash_and_ends_at_logout);

async fn a_password_change_ends_every_session(t: &TestDb) {
    let account = t
        .store
        .create_account("ada.admin", &[], true, HASH, &t.policy, "cli:admin", now())
        .await
        .unwrap();
    assert!(account.admin && account.roles.is_empty());
    let session = t
        .store
        .create_session(&account, Duration::hours(1), now())
        .await
        .unwrap();
    t.store
        .set_password(
            "ada.admin",
            HASH,
            countersign_store::PasswordSet::Change,
            "reviewer:ada.admin",
            now(),
        )
        .await
        .unwrap();
    assert!(
        t.store
            .session_account(&session.token, now())
            .await
            .unwrap()
            .is_none()
    );
    let dup = t
        .store
        .create_account("ada.admin", &[], true, HASH, &t.policy, "cli:admin", now())
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Refused(_)), "{dup}");
    let bad = t
        .store
        .create_account("x", &[], true, "plaintext", &t.policy, "cli:admin", now())
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::Invalid { .. }), "{bad}");
}
store_test!(a_password_change_ends_every_session);

async fn an_activated_policy_is_the_active_one_and_is_audited(t: &TestDb) {
    let toml = DEFAULT_SOURCES
        .toml
        .1
        .replace("name = \"default\"", "name = \"stricter\"");
    let sources = countersign_engine::policy::PolicySources {
        toml: ("policy.toml", &toml),
        ..DEFAULT_SOURCES
    };
    let (policy, activation) = t
        .store
        .activate_policy(&sources, "reviewer:ada", now())
        .await
        .unwrap();
    assert_eq!(activation.version, policy.version.as_str());
    let active = t.store.active_policy().await.unwrap().unwrap();
    assert_eq!(active, activation);
    let texts = t
        .store
        .policy_texts(&active.version)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(texts.toml, toml);
    // Activating it again changes nothing.
    let (_, again) = t
        .store
        .activate_policy(&sources, "reviewer:ada", now())
        .await
        .unwrap();
    assert_eq!(again.audit_seq, activation.audit_seq);
    assert_eq!(t.count("SELECT count(*) FROM policy_activation").await, 1);
    t.store.verify_audit().await.unwrap();
}
store_test!(an_activated_policy_is_the_active_one_and_is_audited);

async fn proposing_with_a_decider_stores_what_it_decided(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    // The decider's hold is stored as the decision, under the store's action id.
    let p = t
        .store
        .propose_with(
            email("dana@acme.example", ROUTINE),
            &key,
            &t.policy,
            now(),
            |_action, _ctx| {
                let version = t.policy.version.clone();
                async move {
                    DecisionRecord::fail_closed(
                        "whatever",
                        &version,
                        &countersign_engine::decision::Failure::TookLonger { limit_ms: 5 },
                    )
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Held);
    assert_eq!(p.decision.id, p.action_id);
    let view = t.show(&p.action_id).await;
    assert_eq!(
        view.revisions[0].decision.reasons[0].to_string(),
        "fail closed: deciding took longer than 5 ms"
    );
    assert!(view.outbox.is_none());
    // The engine as decider gives what `propose` gives, outbox row included.
    let policy = t.policy.clone();
    let p = t
        .store
        .propose_with(
            email("dana@acme.example", ROUTINE),
            &key,
            &t.policy,
            now(),
            |action, ctx| async move { countersign_engine::decide(&action, &ctx, &policy, now()) },
        )
        .await
        .unwrap();
    assert_eq!(p.decision.decision, Decision::Allow);
    assert!(t.show(&p.action_id).await.outbox.is_some());
    t.store.verify_audit().await.unwrap();
}
store_test!(proposing_with_a_decider_stores_what_it_decided);

async fn account_context_lists_recent_actions_without_content(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    t.store
        .upsert_contact(
            &countersign_store::ContactRecord {
                contact_id: "c-1".into(),
                email: Some("dana@acme.example".into()),
                account_id: Some("acc-1".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    t.store
        .propose(email("dana@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    t.store
        .propose(
            email("other@acme.example", ROUTINE),
            &key,
            &t.policy,
            at(2026, 11, 24, 16, 0),
        )
        .await
        .unwrap();
    let ctx = t
        .store
        .account_context(
            &ContextQuery {
                contact_id: Some("c-1".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(ctx.account_id.as_deref(), Some("acc-1"));
    assert_eq!(ctx.recent_actions.len(), 1);
    assert_eq!(ctx.recent_actions[0].status, ActionStatus::Held);
    let depth = t.store.queue_depth(now()).await.unwrap();
    assert_eq!(depth.get("deal_desk"), Some(&1));
    let outbox = t.store.outbox_stats(at(2026, 11, 24, 17, 0)).await.unwrap();
    assert_eq!(outbox.pending, 1);
    assert!(outbox.lag_seconds >= 3600.0);
    t.store.ping().await.unwrap();
}
store_test!(account_context_lists_recent_actions_without_content);
