//! The reviewer queue (issue 6): role scope with partial and expired approvals, filters,
//! keyset pages, totals and counts, re-indexing on edit, and the migration's backfill.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use countersign_store::{
    ActionStatus, Edit, OpportunityUpsert, QueueCursor, QueueItem, QueuePage, QueueQuery, Store,
    StoreOptions,
};
use serde_json::json;

use crate::harness::{DISCOUNT, DISCOUNT_AND_SECURITY, TestDb, action, email, now};

/// Needs deal desk, legal and manager (commitment, objection and commercial findings).
const GUARANTEE: &str = "Hi Dana, we guarantee 99.99% uptime and will add unlimited liability to the contract. Best, Sam";
/// Needs finance (payment terms).
const PAYMENT_TERMS: &str = "Hi Dana, we can offer net 90 payment terms on this order. Best, Sam";

fn roles(list: &[&str]) -> Option<BTreeSet<String>> {
    Some(list.iter().map(|r| (*r).to_owned()).collect())
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|r| (*r).to_owned()).collect()
}

fn ids(page: &QueuePage) -> Vec<String> {
    page.items.iter().map(|i| i.action_id.clone()).collect()
}

async fn page(store: &Store, query: QueueQuery, at: chrono::DateTime<chrono::Utc>) -> QueuePage {
    store.queue_page(&query, at).await.unwrap()
}

/// Proposes `body` as an e-mail on behalf of `rep` with `key`, `minutes` after `now()`.
async fn held(t: &TestDb, key: &str, rep: &str, body: &str, minutes: i64) -> String {
    let mut a = email("dana@acme.example", body);
    a.on_behalf_of = Some(rep.to_owned());
    let p = t
        .store
        .propose(a, key, &t.policy, now() + Duration::minutes(minutes))
        .await
        .unwrap();
    assert_eq!(p.status, ActionStatus::Held);
    p.action_id
}

async fn a_partly_approved_item_stays_only_in_the_queues_still_missing(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let both = held(t, &key, "sam.rep", DISCOUNT_AND_SECURITY, 0).await;
    let discount = held(t, &key, "sam.rep", DISCOUNT, 1).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.store
        .approve(
            &both,
            1,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    let at = now() + Duration::minutes(10);

    let deal_desk = page(
        &t.store,
        QueueQuery {
            roles: roles(&["deal_desk"]),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert_eq!(ids(&deal_desk), [discount.as_str()]);
    assert_eq!((deal_desk.total, deal_desk.queue_total), (1, 1));

    let security = page(
        &t.store,
        QueueQuery {
            roles: roles(&["security"]),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert_eq!(ids(&security), [both.as_str()]);
    let item = &security.items[0];
    assert_eq!(item.required_roles, set(&["deal_desk", "security"]));
    assert_eq!(item.approved_roles, set(&["deal_desk"]));
    assert_eq!(item.missing_roles, set(&["security"]));
    assert_eq!(item.subject, "Following up");
    assert!(
        item.findings
            .iter()
            .any(|f| f.category.as_str() == "objection")
    );

    // A reviewer with both roles sees both; the counts are per role still missing.
    let everyone = page(
        &t.store,
        QueueQuery {
            roles: roles(&["deal_desk", "security"]),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert_eq!(ids(&everyone), [both.as_str(), discount.as_str()]);
    assert_eq!(
        everyone.counts,
        BTreeMap::from([("deal_desk".to_owned(), 1), ("security".to_owned(), 1)])
    );
    // One of the reviewer's roles narrows the list, not the counts.
    let narrowed = page(
        &t.store,
        QueueQuery {
            roles: roles(&["deal_desk", "security"]),
            role: Some("security".into()),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert_eq!(ids(&narrowed), [both.as_str()]);
    assert_eq!((narrowed.total, narrowed.queue_total), (1, 2));
    assert_eq!(narrowed.counts, everyone.counts);
    // A role with nothing waiting is counted as zero, not left out.
    let legal = page(
        &t.store,
        QueueQuery {
            roles: roles(&["legal"]),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert!(legal.items.is_empty());
    assert_eq!(legal.counts, BTreeMap::from([("legal".to_owned(), 0)]));
    // The old entry point is the same query.
    let old: Vec<String> = t
        .store
        .queue(Some("security"), at)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.action_id)
        .collect();
    assert_eq!(old, [both]);
    assert_eq!(
        t.store.queue_depth(at).await.unwrap(),
        BTreeMap::from([("deal_desk".to_owned(), 1), ("security".to_owned(), 1)])
    );
}
store_test!(a_partly_approved_item_stays_only_in_the_queues_still_missing);

async fn an_expired_approval_puts_the_item_back_in_the_queue(t: &TestDb) {
    let short = Store::open_with(
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
    short
        .approve(&p.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    let deal_desk = QueueQuery {
        roles: roles(&["deal_desk"]),
        ..QueueQuery::default()
    };
    let within = page(&short, deal_desk.clone(), now() + Duration::minutes(59)).await;
    assert!(within.items.is_empty());
    assert_eq!(within.counts["deal_desk"], 0);
    // One hour on, the approval no longer counts: the deal desk must look again.
    let after = page(&short, deal_desk, now() + Duration::minutes(61)).await;
    assert_eq!(ids(&after), [p.action_id.as_str()]);
    assert_eq!(after.counts["deal_desk"], 1);
    assert_eq!(
        after.items[0].missing_roles,
        set(&["deal_desk", "security"])
    );
    assert!(after.items[0].approved_roles.is_empty());
    short.close().await;
}
store_test!(an_expired_approval_puts_the_item_back_in_the_queue);

async fn an_opportunity_change_puts_the_item_back_in_the_queue(t: &TestDb) {
    let deal = |amount: f64| OpportunityUpsert {
        opportunity_id: "opp-acme-2027".into(),
        account_id: Some("acc-acme".into()),
        stage: Some("Proposal".into()),
        amount: Some(amount),
        close_date: NaiveDate::from_ymd_opt(2026, 12, 18),
        owner: Some("sam.rep".into()),
        ..Default::default()
    };
    t.store
        .upsert_opportunity(&deal(48_000.0), now())
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
    // Without an opportunity in the store, an approval counts only while there is none.
    let loose = held(t, &key, "sam.rep", DISCOUNT, 1).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    for id in [&p.action_id, &loose] {
        t.store
            .approve(
                id,
                1,
                "dora.dealdesk",
                &t.policy,
                now() + Duration::minutes(2),
            )
            .await
            .unwrap();
    }
    let deal_desk = QueueQuery {
        roles: roles(&["deal_desk"]),
        ..QueueQuery::default()
    };
    let at = now() + Duration::minutes(3);
    assert!(page(&t.store, deal_desk.clone(), at).await.items.is_empty());

    t.store
        .upsert_opportunity(&deal(36_000.0), now() + Duration::minutes(4))
        .await
        .unwrap();
    let at = now() + Duration::minutes(5);
    let back = page(&t.store, deal_desk, at).await;
    assert_eq!(ids(&back), [p.action_id.as_str()]);
    assert_eq!(back.items[0].missing_roles, set(&["deal_desk", "security"]));
    // Released actions are never listed; the discount without a deal was released.
    assert_eq!(t.show(&loose).await.status, ActionStatus::Approved);
    let all = page(&t.store, QueueQuery::default(), at).await;
    assert_eq!(ids(&all), [p.action_id]);
}
store_test!(an_opportunity_change_puts_the_item_back_in_the_queue);

async fn filters_narrow_by_category_subtopic_tool_rep_and_age(t: &TestDb) {
    let outreach = t.tool("outreach-agent").await;
    let renewals = t.tool("renewals-agent").await;
    let a = held(t, &outreach, "sam.rep", DISCOUNT, 0).await;
    let b = held(t, &renewals, "rita.rep", DISCOUNT_AND_SECURITY, 60).await;
    let c = held(t, &outreach, "rita.rep", PAYMENT_TERMS, 120).await;
    let d = held(t, &renewals, "sam.rep", GUARANTEE, 180).await;
    let at = now() + Duration::hours(4);
    let run = |q: QueueQuery| async move { ids(&page(&t.store, q, at).await) };

    let by_category = run(QueueQuery {
        category: Some("objection".into()),
        ..QueueQuery::default()
    })
    .await;
    assert_eq!(by_category, [b.as_str(), d.as_str()]);
    let by_subtopic = run(QueueQuery {
        subtopic: Some("discount".into()),
        ..QueueQuery::default()
    })
    .await;
    assert_eq!(by_subtopic, [a.as_str(), b.as_str()]);
    // Category and subtopic must hold for the same finding.
    let mismatched = run(QueueQuery {
        category: Some("objection".into()),
        subtopic: Some("discount".into()),
        ..QueueQuery::default()
    })
    .await;
    assert!(mismatched.is_empty());
    let by_tool = run(QueueQuery {
        tool: Some("renewals-agent".into()),
        ..QueueQuery::default()
    })
    .await;
    assert_eq!(by_tool, [b.as_str(), d.as_str()]);
    let by_rep = run(QueueQuery {
        on_behalf_of: Some("rita.rep".into()),
        ..QueueQuery::default()
    })
    .await;
    assert_eq!(by_rep, [b.as_str(), c.as_str()]);
    // Older than two hours at `at`: created before `now() + 2 h`.
    let by_age = run(QueueQuery {
        created_before: Some(at - Duration::hours(2)),
        ..QueueQuery::default()
    })
    .await;
    assert_eq!(by_age, [a.as_str(), b.as_str()]);
    // Filters combine, and with a role.
    let combined = page(
        &t.store,
        QueueQuery {
            roles: roles(&["deal_desk"]),
            tool: Some("outreach-agent".into()),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert_eq!(ids(&combined), [a.as_str()]);
    assert_eq!((combined.total, combined.queue_total), (1, 3));

    // The pickers offer what the role's items have, and nothing from other roles' items.
    let finance = page(
        &t.store,
        QueueQuery {
            roles: roles(&["finance"]),
            ..QueueQuery::default()
        },
        at,
    )
    .await;
    assert_eq!(finance.facets.tools, set(&["outreach-agent"]));
    assert_eq!(finance.facets.reps, set(&["rita.rep"]));
    assert_eq!(finance.facets.categories, set(&["commercial"]));
    assert!(finance.facets.subtopics.contains("payment_terms"));
    assert!(!finance.facets.subtopics.contains("discount"));

    // Each filter agrees with filtering every held item in memory.
    let every: Vec<QueueItem> = t.store.queue(None, at).await.unwrap();
    assert_eq!(every.len(), 4);
    for subtopic in every
        .iter()
        .flat_map(|i| i.findings.iter().map(|f| f.subtopic.clone()))
    {
        let expected: Vec<String> = every
            .iter()
            .filter(|i| i.findings.iter().any(|f| f.subtopic == subtopic))
            .map(|i| i.action_id.clone())
            .collect();
        let got = page(
            &t.store,
            QueueQuery {
                subtopic: Some(subtopic.clone()),
                ..QueueQuery::default()
            },
            at,
        )
        .await;
        assert_eq!(ids(&got), expected, "subtopic {subtopic}");
        assert_eq!(usize::try_from(got.total).unwrap(), expected.len());
    }
}
store_test!(filters_narrow_by_category_subtopic_tool_rep_and_age);

async fn pages_cover_the_queue_without_gaps_or_repeats(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    // 23 held actions; a batch shares one `created_at`, so ties are broken by id.
    let mut expected = Vec::new();
    for i in 0..3 {
        expected.push(held(t, &key, "sam.rep", DISCOUNT, i).await);
    }
    let batch: Vec<_> = (0..20)
        .map(|_| (email("dana@acme.example", DISCOUNT), key.clone()))
        .collect();
    let mut tied: Vec<String> = t
        .store
        .propose_batch(batch, &t.policy, now() + Duration::minutes(10))
        .await
        .into_iter()
        .map(|p| p.unwrap().action_id)
        .collect();
    tied.sort();
    expected.extend(tied);
    let at = now() + Duration::minutes(30);

    let mut forward = Vec::new();
    let mut pages = Vec::new();
    let mut query = QueueQuery {
        limit: 5,
        ..QueueQuery::default()
    };
    loop {
        let p = page(&t.store, query.clone(), at).await;
        assert_eq!(p.total, 23);
        assert_eq!(p.prev.is_some(), !pages.is_empty(), "page {}", pages.len());
        forward.extend(ids(&p));
        pages.push(ids(&p));
        match p.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    assert_eq!(forward, expected);
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 5, 5, 5, 3]
    );

    // Back again from the last page by `prev`, page for page.
    let mut cursor = page(
        &t.store,
        QueueQuery {
            limit: 5,
            after: query.after.clone(),
            ..QueueQuery::default()
        },
        at,
    )
    .await
    .prev;
    let mut back = vec![pages[4].clone()];
    while let Some(before) = cursor {
        let p = page(
            &t.store,
            QueueQuery {
                limit: 5,
                before: Some(before),
                ..QueueQuery::default()
            },
            at,
        )
        .await;
        assert!(p.next.is_some());
        back.push(ids(&p));
        cursor = p.prev;
    }
    back.reverse();
    assert_eq!(back, pages);

    // A cursor survives its URL form.
    let cursor: QueueCursor = pages_cursor(&t.store, at).await;
    let parsed: QueueCursor = cursor.to_string().parse().unwrap();
    assert_eq!(parsed, cursor);
}
store_test!(pages_cover_the_queue_without_gaps_or_repeats);

async fn pages_cursor(store: &Store, at: chrono::DateTime<chrono::Utc>) -> QueueCursor {
    page(
        store,
        QueueQuery {
            limit: 1,
            ..QueueQuery::default()
        },
        at,
    )
    .await
    .next
    .unwrap()
}

async fn bad_page_requests_name_the_field(t: &TestDb) {
    for (query, field) in [
        (
            QueueQuery {
                limit: 0,
                ..QueueQuery::default()
            },
            "limit",
        ),
        (
            QueueQuery {
                limit: 101,
                ..QueueQuery::default()
            },
            "limit",
        ),
    ] {
        let err = t.store.queue_page(&query, now()).await.unwrap_err();
        assert!(err.to_string().starts_with(field), "{err}");
    }
    let c = QueueCursor {
        created_at: now(),
        action_id: "act_x".into(),
    };
    let err = t
        .store
        .queue_page(
            &QueueQuery {
                after: Some(c.clone()),
                before: Some(c),
                ..QueueQuery::default()
            },
            now(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("before"), "{err}");
    for bad in ["", "act_x", "12x_act_x", "123_"] {
        let err = bad.parse::<QueueCursor>().unwrap_err();
        assert!(err.to_string().starts_with("cursor"), "{err}");
    }
}
store_test!(bad_page_requests_name_the_field);

async fn an_edit_reindexes_the_roles_and_findings(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let id = held(t, &key, "sam.rep", GUARANTEE, 0).await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.store
        .approve(
            &id,
            1,
            "dora.dealdesk",
            &t.policy,
            now() + Duration::minutes(1),
        )
        .await
        .unwrap();
    let deal_desk = QueueQuery {
        roles: roles(&["deal_desk"]),
        ..QueueQuery::default()
    };
    let security = QueueQuery {
        roles: roles(&["security"]),
        ..QueueQuery::default()
    };
    let at = now() + Duration::minutes(2);
    assert!(page(&t.store, deal_desk.clone(), at).await.items.is_empty());
    assert!(page(&t.store, security.clone(), at).await.items.is_empty());

    let out = t
        .store
        .edit(
            &id,
            "dora.dealdesk",
            &Edit {
                subject: None,
                body: format!(
                    "{GUARANTEE} On security: we are SOC 2 Type II certified and encrypt all \
                     customer data at rest with AES-256."
                ),
            },
            &t.policy,
            at,
        )
        .await
        .unwrap();
    assert_eq!(out.added_roles, set(&["security"]));
    let after = now() + Duration::minutes(3);
    // The new finding's role has it in its queue…
    let p = page(&t.store, security, after).await;
    assert_eq!(ids(&p), [id.as_str()]);
    assert_eq!(p.items[0].revision, 2);
    assert_eq!(
        p.items[0].missing_roles,
        set(&["deal_desk", "legal", "manager", "security"])
    );
    // …and the deal desk's approval of revision 1 no longer counts.
    assert_eq!(ids(&page(&t.store, deal_desk, after).await), [id.as_str()]);
    let objection = page(
        &t.store,
        QueueQuery {
            subtopic: Some("security".into()),
            ..QueueQuery::default()
        },
        after,
    )
    .await;
    assert_eq!(ids(&objection), [id]);
    // One requirement row per role per revision.
    assert_eq!(
        t.count("SELECT count(*) FROM requirement WHERE role = 'deal_desk'")
            .await,
        2
    );
    assert_eq!(t.count("SELECT count(*) FROM requirement").await, 3 + 4);
}
store_test!(an_edit_reindexes_the_roles_and_findings);

async fn the_migration_backfills_the_queue_index(t: &TestDb) {
    let outreach = t.tool("outreach-agent").await;
    held(t, &outreach, "sam.rep", DISCOUNT, 0).await;
    held(t, &outreach, "rita.rep", DISCOUNT_AND_SECURITY, 1).await;
    held(t, &outreach, "rita.rep", PAYMENT_TERMS, 2).await;
    held(t, &outreach, "sam.rep", GUARANTEE, 3).await;
    let at = now() + Duration::minutes(10);
    let queries = [
        QueueQuery::default(),
        QueueQuery {
            roles: roles(&["security", "legal"]),
            ..QueueQuery::default()
        },
        QueueQuery {
            category: Some("commercial".into()),
            subtopic: Some("payment_terms".into()),
            ..QueueQuery::default()
        },
    ];
    let mut before = Vec::new();
    for q in &queries {
        before.push(page(&t.store, q.clone(), at).await);
    }
    let rows = t.count("SELECT count(*) FROM requirement").await;
    let tags = t.count("SELECT count(*) FROM finding_tag").await;
    assert_eq!(rows, 1 + 2 + 1 + 3);

    // Back to the schema before 0003, with the same rows: the migration runs again on
    // reopening and must rebuild the index from `revision` alone.
    t.store.close().await;
    for sql in [
        "DROP TABLE requirement",
        "DROP TABLE finding_tag",
        "DROP INDEX action_held_queue",
        "DROP INDEX action_held_tool",
        "DROP INDEX action_held_rep",
        "DELETE FROM _sqlx_migrations WHERE version = 3",
    ] {
        t.exec(sql).await;
    }
    let reopened = Store::open(&t.url).await.unwrap();
    assert_eq!(t.count("SELECT count(*) FROM requirement").await, rows);
    assert_eq!(t.count("SELECT count(*) FROM finding_tag").await, tags);
    for (q, was) in queries.iter().zip(before) {
        assert_eq!(page(&reopened, q.clone(), at).await, was);
    }
    reopened.close().await;
}
store_test!(the_migration_backfills_the_queue_index);
