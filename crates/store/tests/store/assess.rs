//! The AI Opportunity Score's facts (issue 14, part 3): actions and their holds in the
//! window, the pipeline's gaps, contacts, meetings, knowledge, reviewers and the latest scan,
//! counted the same on both backends.

use std::collections::BTreeMap;

use chrono::Duration;
use countersign_engine::assess::{AssessWeights, assess};
use countersign_engine::knowledge;
use serde_json::json;

use crate::harness::{DISCOUNT, DISCOUNT_AND_SECURITY, ROUTINE, TestDb, action, email, now};

const SOC2: &str = "---\ntitle: SOC 2 report\ntopic: security\nowner: security\napproved_by: Priya Shah\nvalid_until: 2027-06-30\n---\nWe are SOC 2 Type II certified; the report is shared under NDA.\n";
const OLD_PRICES: &str = "---\ntitle: 2025 prices\ntopic: security\nowner: security\napproved_by: Priya Shah\nvalid_until: 2025-12-31\n---\nList prices for 2025.\n";

/// Three open deals (one without a next step and past its close date, one without a next
/// step, one fine) and a closed one; contacts with and without titles; CRM activities in
/// and out of the window.
async fn crm(t: &TestDb) {
    t.exec(
        "INSERT INTO crm_account (account_id, name, created_at, updated_at) VALUES \
         ('acc-1', 'Acme', '2026-11-01T09:00:00Z', '2026-11-01T09:00:00Z'), \
         ('acc-2', 'Globex', '2026-11-01T09:00:00Z', '2026-11-01T09:00:00Z')",
    )
    .await;
    t.exec(
        "INSERT INTO opportunity (opportunity_id, account_id, name, stage, close_date, next_step, \
           last_activity, is_closed, created_at, updated_at) VALUES \
         ('opp-1', 'acc-1', 'Acme renewal', 'Negotiation', '2026-11-01', NULL, '2026-11-20', \
          NULL, '2026-10-01T09:00:00Z', '2026-10-01T09:00:00Z'), \
         ('opp-2', 'acc-1', 'Acme expansion', 'Discovery', '2027-02-01', '  ', NULL, \
          NULL, '2026-10-01T09:00:00Z', '2026-10-01T09:00:00Z'), \
         ('opp-3', 'acc-2', 'Globex pilot', 'Proposal', '2027-01-15', 'Send the order form', NULL, \
          NULL, '2026-10-01T09:00:00Z', '2026-10-01T09:00:00Z'), \
         ('opp-4', 'acc-2', 'Globex 2025', 'Closed Won', '2025-06-01', NULL, NULL, \
          TRUE, '2025-01-01T09:00:00Z', '2025-01-01T09:00:00Z')",
    )
    .await;
    t.exec(
        "INSERT INTO contact (contact_id, email, name, title, account_id, created_at, updated_at) VALUES \
         ('c-1', 'dana@acme.example', 'Dana', 'VP Operations', 'acc-1', '2026-11-01T09:00:00Z', '2026-11-01T09:00:00Z'), \
         ('c-2', 'lee@acme.example', 'Lee', NULL, 'acc-1', '2026-11-01T09:00:00Z', '2026-11-01T09:00:00Z'), \
         ('c-3', 'kim@initech.example', 'Kim', 'CFO', 'acc-3', '2026-11-01T09:00:00Z', '2026-11-01T09:00:00Z')",
    )
    .await;
    t.exec(
        "INSERT INTO crm_activity (activity_id, kind, what_id, who_id, at, direction) VALUES \
         ('a-1', 'email', 'opp-3', 'c-1', '2026-11-18T10:00:00Z', 'outbound'), \
         ('a-2', 'email', 'opp-3', 'c-1', '2026-11-19T10:00:00Z', 'inbound'), \
         ('a-3', 'event', 'opp-3', 'c-1', '2026-11-20T10:00:00Z', NULL), \
         ('a-4', 'meeting', 'opp-2', 'c-2', '2026-11-21T10:00:00Z', NULL), \
         ('a-5', 'email', 'opp-2', 'c-2', '2026-09-01T10:00:00Z', 'outbound'), \
         ('a-6', 'event', 'opp-2', 'c-2', '2026-09-02T10:00:00Z', NULL)",
    )
    .await;
}

async fn facts_are_counted_over_the_window(t: &TestDb) {
    let empty = t.store.assess_facts(now()).await.unwrap();
    assert_eq!(empty.window_days, 28);
    assert_eq!(empty.email_actions, 0);
    assert_eq!(empty.open_opportunities, 0);
    assert!(!empty.scanned);

    crm(t).await;
    let key = t.tool("outreach-agent").await;
    t.reviewer("dora.desk", &["deal_desk"]).await;
    t.reviewer("max.manager", &["manager", "deal_desk"]).await;
    // Dana is an executive (every mail to her is protected); the routine one goes to
    // someone the CRM does not know.
    for (to, body, minutes) in [
        ("pat@elsewhere.example", ROUTINE, 0),
        ("dana@acme.example", DISCOUNT, 1),
        ("dana@acme.example", DISCOUNT_AND_SECURITY, 2),
    ] {
        t.store
            .propose(
                email(to, body),
                &key,
                &t.policy,
                now() - Duration::days(2) + Duration::minutes(minutes),
            )
            .await
            .unwrap();
    }
    // Forty days ago: outside the window.
    t.store
        .propose(
            email("dana@acme.example", DISCOUNT),
            &key,
            &t.policy,
            now() - Duration::days(40),
        )
        .await
        .unwrap();
    t.store
        .propose(
            action(json!({
                "kind": "crm.opportunity.update",
                "on_behalf_of": "sam.rep",
                "target": {"opportunity_id": "opp-1"},
                "payload": {"changes": {"stage": "Closed Won"}},
            })),
            &key,
            &t.policy,
            now() - Duration::days(1),
        )
        .await
        .unwrap();
    for (id, text) in [("soc2", SOC2), ("prices-2025", OLD_PRICES)] {
        let entry = knowledge::parse(id, text).unwrap();
        t.store
            .put_knowledge(&entry, text, "cli:priya", now() - Duration::days(1))
            .await
            .unwrap();
    }
    t.store
        .save_scan(
            &json!({"rows": [
                {"kind": "ai_tool", "count": 4},
                {"kind": "ai_tool", "count": 2},
                {"kind": "personal_account", "count": 3},
            ]}),
            vec!["sent.mbox".to_owned()],
            BTreeMap::from([
                ("ai_tool".to_owned(), 6),
                ("personal_account".to_owned(), 3),
            ]),
            "cli:admin",
            now() - Duration::hours(1),
        )
        .await
        .unwrap();

    let f = t.store.assess_facts(now()).await.unwrap();
    assert_eq!(f.email_actions, 3, "{f:#?}");
    assert_eq!(f.email_held, 2, "{f:#?}");
    assert_eq!(f.email_protected_holds, 2, "{f:#?}");
    assert_eq!(f.email_holds_by_role.get("deal_desk"), Some(&2), "{f:#?}");
    assert_eq!(f.email_holds_by_role.get("security"), Some(&1), "{f:#?}");
    assert_eq!(f.crm_updates, 1, "{f:#?}");
    assert_eq!(f.crm_updates_held, 1, "{f:#?}");
    assert_eq!(f.crm_holds_by_role.get("manager"), Some(&1), "{f:#?}");
    // The security claim, with no entry backing it in the window's decisions.
    assert_eq!(f.objection_actions, 1, "{f:#?}");
    assert_eq!(f.unsupported_claims, 1, "{f:#?}");
    assert_eq!(f.open_opportunities, 3, "{f:#?}");
    assert_eq!(f.missing_next_step, 2, "{f:#?}");
    assert_eq!(f.past_close_date, 1, "{f:#?}");
    assert_eq!(f.needing_update, 2, "{f:#?}");
    // opp-1 by its last activity date, opp-2 and opp-3 by activities in the CRM.
    assert_eq!(f.recent_activity, 3, "{f:#?}");
    assert_eq!(f.accounts, 3, "{f:#?}");
    assert_eq!(f.contacts, 3);
    assert_eq!(f.contacts_with_title, 2);
    assert_eq!(f.outbound_emails, 1, "{f:#?}");
    assert_eq!(f.meetings, 2, "{f:#?}");
    assert_eq!(f.knowledge_entries, 2);
    assert_eq!(f.knowledge_valid, 1);
    assert_eq!(f.reviewers_by_role.get("deal_desk"), Some(&2));
    assert_eq!(f.reviewers_by_role.get("manager"), Some(&1));
    assert_eq!(f.reviewers_by_role.get("rep"), Some(&2));
    assert!(f.scanned);
    assert_eq!(
        f.shadow,
        BTreeMap::from([
            ("ai_tool".to_owned(), 6),
            ("personal_account".to_owned(), 3)
        ])
    );

    // The server's call: facts from the store, weights from the policy.
    let a = assess(&f, &t.policy.config.assess);
    assert_eq!(t.policy.config.assess, AssessWeights::default());
    assert_eq!(a.workflows.len(), 5);
    assert!(!a.recommendation.is_empty());
}
store_test!(facts_are_counted_over_the_window);
