//! Approvals: the right roles release, separation of duties, edits, rejections, expiry.

use chrono::{Duration, NaiveDate};
use countersign_engine::Policy;
use countersign_engine::policy::{DEFAULT_SOURCES, PolicySources};
use countersign_store::{ActionStatus, Edit, OpportunityUpsert, StoreError, StoreOptions};
use serde_json::json;

use crate::harness::{DISCOUNT, DISCOUNT_AND_SECURITY, TestDb, action, email, now};

/// Proposes the discount e-mail on behalf of `sam.rep`; returns its id.
async fn held_discount(t: &TestDb) -> String {
    let key = t.tool("outreach-agent").await;
    let p = t
        .store
        .propose(email("dana@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Held);
    p.action_id
}

async fn deal_desk_approval_releases_the_discount_to_the_outbox(t: &TestDb) {
    let id = held_discount(t).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    let out = t
        .store
        .approve(
            &id,
            1,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(20),
        )
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Approved);
    assert!(out.missing_roles.is_empty());
    assert!(out.outbox_id.is_some());
    let view = t.show(&id).await;
    assert_eq!(view.status, ActionStatus::Approved);
    assert_eq!(view.outbox.unwrap().status, "pending");
    let events: Vec<String> = t
        .store
        .audit_for_action(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["proposal", "decision", "approval", "release"]);
    // A released action is not approved twice.
    let err = t
        .store
        .approve(&id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("action `{id}` is approved, not held")
    );
}
store_test!(deal_desk_approval_releases_the_discount_to_the_outbox);

async fn reviewer_without_a_required_role_is_refused(t: &TestDb) {
    let id = held_discount(t).await;
    t.reviewer("sid.security", &["security"]).await;
    let before = t.footprint().await;
    let err = t
        .store
        .approve(&id, 1, "sid.security", &t.policy, now())
        .await
        .unwrap_err();
    assert!(err.is_refusal());
    assert_eq!(
        err.to_string(),
        format!(
            "reviewer `sid.security` may not approve action `{id}`: holds none of the required roles (deal_desk)"
        )
    );
    assert_eq!(t.footprint().await, before);
    let err = t
        .store
        .approve(&id, 1, "nobody", &t.policy, now())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "reviewer `nobody` not found");
}
store_test!(reviewer_without_a_required_role_is_refused);

async fn the_rep_cannot_approve_their_own_protected_moment(t: &TestDb) {
    let id = held_discount(t).await;
    // The rep also sits on the deal desk: Cedar's separation-of-duties rule still refuses.
    t.reviewer("sam.rep", &["rep", "deal_desk"]).await;
    let err = t
        .store
        .approve(&id, 1, "sam.rep", &t.policy, now())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is the rep the action is on behalf of, and it is a protected moment"),
        "{err}"
    );
    assert_eq!(t.show(&id).await.status, ActionStatus::Held);
}
store_test!(the_rep_cannot_approve_their_own_protected_moment);

/// The default policy without Cedar's self-approval rule.
fn policy_without_self_approval_rule() -> Policy {
    let cedar = DEFAULT_SOURCES.cedar.1;
    let start = cedar.find("// Separation of duties").unwrap();
    let cut = &cedar[..start];
    Policy::load(&PolicySources {
        cedar: ("policy.cedar", cut),
        ..DEFAULT_SOURCES
    })
    .unwrap()
}

async fn the_rep_alone_never_releases_a_protected_moment_even_if_the_policy_allows(t: &TestDb) {
    let lax = policy_without_self_approval_rule();
    let id = held_discount(t).await;
    t.reviewer("sam.rep", &["rep", "deal_desk"]).await;
    let out = t
        .store
        .approve(&id, 1, "sam.rep", &lax, now())
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Held);
    assert!(out.missing_roles.is_empty());
    assert!(out.waiting_for.unwrap().contains("besides `sam.rep`"));
    assert!(t.show(&id).await.outbox.is_none());

    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    let out = t
        .store
        .approve(&id, 1, "dora.dealdesk", &lax, now())
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Approved);
}
store_test!(the_rep_alone_never_releases_a_protected_moment_even_if_the_policy_allows);

async fn every_required_role_must_approve(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let p = t
        .store
        .propose(
            email("dana@acme.example", DISCOUNT_AND_SECURITY),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.reviewer("sid.security", &["security"]).await;
    let first = t
        .store
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(first.status, ActionStatus::Held);
    assert_eq!(first.missing_roles.iter().collect::<Vec<_>>(), ["security"]);
    let queue = t.store.queue(Some("security"), now()).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!(
        t.store
            .queue(Some("deal_desk"), now())
            .await
            .unwrap()
            .is_empty()
    );
    let second = t
        .store
        .approve(&p.action_id, 1, "sid.security", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(second.status, ActionStatus::Approved);
    assert!(t.store.queue(None, now()).await.unwrap().is_empty());
}
store_test!(every_required_role_must_approve);

async fn an_edit_adds_its_findings_roles_and_resets_approvals(t: &TestDb) {
    // A discount to a CFO needs the deal desk and a manager.
    t.store
        .upsert_contact(
            &countersign_store::ContactRecord {
                contact_id: "c-dana".into(),
                email: Some("dana@acme.example".into()),
                title: Some("Chief Financial Officer".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    let id = held_discount(t).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.reviewer("sid.security", &["security"]).await;
    t.reviewer("maria.manager", &["manager"]).await;
    let first = t
        .store
        .approve(&id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(first.status, ActionStatus::Held);
    assert_eq!(first.missing_roles.iter().collect::<Vec<_>>(), ["manager"]);

    let edited = t
        .store
        .edit(
            &id,
            "zed.stranger",
            &Edit {
                subject: Some("Pricing and security".into()),
                body: DISCOUNT_AND_SECURITY.into(),
            },
            &t.policy,
            now() + Duration::minutes(5),
        )
        .await;
    // A name no reviewer has may not edit.
    assert!(matches!(edited, Err(StoreError::NotFound { .. })));
    t.reviewer("sam.rep", &["rep"]).await;
    let edited = t
        .store
        .edit(
            &id,
            "sam.rep",
            &Edit {
                subject: Some("Pricing and security".into()),
                body: DISCOUNT_AND_SECURITY.into(),
            },
            &t.policy,
            now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(edited.revision, 2);
    assert_eq!(edited.status, ActionStatus::Held);
    assert_eq!(edited.added_roles.iter().collect::<Vec<_>>(), ["security"]);

    let view = t.show(&id).await;
    assert_eq!(view.revisions.len(), 2);
    assert_eq!(
        view.missing_roles.iter().collect::<Vec<_>>(),
        ["deal_desk", "manager", "security"],
        "the deal desk approved revision 1, which no longer counts"
    );
    assert!(!view.approvals[0].counts);

    // Editing back to something routine does not loosen: deal desk is still needed.
    let calmer = t
        .store
        .edit(
            &id,
            "dora.dealdesk",
            &Edit {
                subject: None,
                body: "Hi Dana, thanks for your time today. Talk soon, Sam".into(),
            },
            &t.policy,
            now() + Duration::minutes(10),
        )
        .await
        .unwrap();
    assert_eq!(calmer.status, ActionStatus::Held);
    assert!(calmer.required_roles.contains("deal_desk"));
    assert!(calmer.required_roles.contains("security"));

    t.store
        .approve(&id, calmer.revision, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    t.store
        .approve(&id, calmer.revision, "maria.manager", &t.policy, now())
        .await
        .unwrap();
    let done = t
        .store
        .approve(&id, calmer.revision, "sid.security", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(done.status, ActionStatus::Approved);
    let item = &t
        .store
        .claim_outbox("w1", std::time::Duration::from_secs(60), 1, now())
        .await
        .unwrap()[0];
    assert_eq!(
        serde_json::to_value(&item.delivery).unwrap()["subject"],
        "Pricing and security"
    );
    assert_eq!(
        serde_json::to_value(&item.delivery).unwrap()["body"],
        "Hi Dana, thanks for your time today. Talk soon, Sam"
    );

    // A CRM update has no body to edit.
    let key = t.tool("crm-copilot").await;
    let crm = t
        .store
        .propose(
            action(json!({"kind": "crm.opportunity.update", "payload": {"changes": {"stage": "Closed Won"}}})),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    let err = t
        .store
        .edit(
            &crm.action_id,
            "maria.manager",
            &Edit {
                subject: None,
                body: "x".into(),
            },
            &t.policy,
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("body: a CRM update has no body")
    );
}
store_test!(an_edit_adds_its_findings_roles_and_resets_approvals);

async fn a_rejection_needs_a_reason(t: &TestDb) {
    let id = held_discount(t).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    let before = t.footprint().await;
    let err = t
        .store
        .reject(&id, "dora.dealdesk", "   ", now())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "reason: must not be empty: say why it is rejected"
    );
    assert_eq!(t.footprint().await, before);
    t.store
        .reject(
            &id,
            "dora.dealdesk",
            "15% needs VP sign-off this quarter",
            now(),
        )
        .await
        .unwrap();
    let view = t.show(&id).await;
    assert_eq!(view.status, ActionStatus::Rejected);
    assert_eq!(
        view.rejection_reason.as_deref(),
        Some("15% needs VP sign-off this quarter")
    );
    let events = t.store.audit_for_action(&id).await.unwrap();
    assert_eq!(events.last().unwrap().event, "rejection");
}
store_test!(a_rejection_needs_a_reason);

async fn an_approval_expires_when_the_opportunity_changes(t: &TestDb) {
    t.store
        .upsert_opportunity(
            &OpportunityUpsert {
                opportunity_id: "opp-acme-2027".into(),
                account_id: Some("acc-acme".into()),
                stage: Some("Proposal".into()),
                amount: Some(48_000.0),
                close_date: NaiveDate::from_ymd_opt(2026, 12, 18),
                owner: Some("sam.rep".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    let key = t.tool("outreach-agent").await;
    let p = t
        .store
        .propose(
            action(json!({
                "kind": "email.send",
                "on_behalf_of": "sam.rep",
                "target": {"opportunity_id": "opp-acme-2027"},
                "payload": {"to": ["dana@acme.example"], "subject": "Pricing", "body": DISCOUNT_AND_SECURITY},
            })),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.reviewer("sid.security", &["security"]).await;
    t.store
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();

    // A name change is not a deal change: the approval still counts.
    let same = t
        .store
        .upsert_opportunity(
            &OpportunityUpsert {
                opportunity_id: "opp-acme-2027".into(),
                name: Some("Acme — 2027 renewal".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(same.version, 1);
    assert!(t.show(&p.action_id).await.approvals[0].counts);

    // The amount changes underneath the approval.
    let changed = t
        .store
        .upsert_opportunity(
            &OpportunityUpsert {
                opportunity_id: "opp-acme-2027".into(),
                amount: Some(36_000.0),
                ..Default::default()
            },
            now() + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(changed.version, 2);
    let out = t
        .store
        .approve(
            &p.action_id,
            1,
            "sid.security",
            &t.policy,
            now() + Duration::minutes(2),
        )
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Held);
    assert_eq!(out.missing_roles.iter().collect::<Vec<_>>(), ["deal_desk"]);

    // The deal desk approves again, on the new version.
    let out = t
        .store
        .approve(
            &p.action_id,
            1,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(3),
        )
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Approved);
}
store_test!(an_approval_expires_when_the_opportunity_changes);

async fn an_approval_expires_after_its_ttl(t: &TestDb) {
    // A store whose approvals last one hour, on the same database.
    let short = countersign_store::Store::open_with(
        &t.url,
        StoreOptions {
            approval_ttl: Duration::hours(1),
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let key = t.tool("outreach-agent").await;
    let p = short
        .propose(
            email("dana@acme.example", DISCOUNT_AND_SECURITY),
            &key,
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.reviewer("sid.security", &["security"]).await;
    short
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    let out = short
        .approve(
            &p.action_id,
            1,
            "sid.security",
            &t.policy,
            now() + Duration::minutes(61),
        )
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Held);
    assert_eq!(out.missing_roles.iter().collect::<Vec<_>>(), ["deal_desk"]);
    // Within the TTL of the second approval, a fresh deal-desk approval releases it.
    let out = short
        .approve(
            &p.action_id,
            1,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(90),
        )
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Approved);
    short.close().await;
}
store_test!(an_approval_expires_after_its_ttl);

async fn an_email_approved_at_night_waits_for_the_recipients_morning(t: &TestDb) {
    t.store
        .upsert_contact(
            &countersign_store::ContactRecord {
                contact_id: "c-dana".into(),
                email: Some("dana@acme.example".into()),
                timezone: Some("Europe/Berlin".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    let id = held_discount(t).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    // Approved on Tuesday at 21:30 in Berlin: released, but not sent before 08:00.
    let evening = crate::harness::at(2026, 11, 24, 20, 30);
    let out = t
        .store
        .approve(&id, 1, "dora.dealdesk", &t.policy, evening)
        .await
        .unwrap();
    assert_eq!(out.status, ActionStatus::Approved);
    assert_eq!(
        t.show(&id).await.outbox.unwrap().next_attempt_at,
        crate::harness::at(2026, 11, 25, 7, 0)
    );
}
store_test!(an_email_approved_at_night_waits_for_the_recipients_morning);

/// A reviewer approves what they read: once the rep edits, an approval of the earlier
/// revision is refused and records nothing.
async fn an_approval_of_an_earlier_revision_is_refused(t: &TestDb) {
    let id = held_discount(t).await;
    t.reviewer("sam.rep", &["rep"]).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    let edited = t
        .store
        .edit(
            &id,
            "sam.rep",
            &Edit {
                subject: None,
                body: "Hi Dana, we can do 60% off and a free year. Best, Sam".into(),
            },
            &t.policy,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(edited.revision, 2);
    let stale = t
        .store
        .approve(&id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            StoreError::StaleRevision {
                latest: 2,
                reviewed: 1,
                ..
            }
        ),
        "{stale}"
    );
    assert!(t.show(&id).await.approvals.is_empty());
    let ok = t
        .store
        .approve(&id, 2, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    assert_eq!(ok.revision, 2);
}
store_test!(an_approval_of_an_earlier_revision_is_refused);
