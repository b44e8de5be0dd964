//! Group commit: many proposals in one durable transaction, each answered as if alone.

use std::sync::Arc;

use countersign_engine::{Decision, IdempotencyKey};
use countersign_store::{ActionStatus, GroupCommitter};

use crate::harness::{DISCOUNT, ROUTINE, TestDb, email, now};

async fn a_batch_stores_every_proposal_with_its_own_decision(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let batch: Vec<_> = (0..20)
        .map(|i| {
            let body = if i % 2 == 0 { ROUTINE } else { DISCOUNT };
            (
                email(&format!("buyer{i}@company{i}.example"), body),
                key.clone(),
            )
        })
        .collect();
    let answers = t.store.propose_batch(batch, &t.policy, now()).await;
    assert_eq!(answers.len(), 20);
    for (i, answer) in answers.into_iter().enumerate() {
        let p = answer.unwrap();
        let expected = if i % 2 == 0 {
            ActionStatus::Allowed
        } else {
            ActionStatus::Held
        };
        assert_eq!(p.status, expected, "proposal {i}");
    }
    assert_eq!(t.count("SELECT count(*) FROM action").await, 20);
    assert_eq!(t.count("SELECT count(*) FROM outbox").await, 10);
    t.store.verify_audit().await.unwrap();
}
store_test!(a_batch_stores_every_proposal_with_its_own_decision);

async fn one_bad_proposal_does_not_cost_the_others_their_answer(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let mut reused = email("dana@acme.example", DISCOUNT);
    reused.idempotency_key = Some(IdempotencyKey::parse("offer-1").unwrap());
    t.store
        .propose(reused.clone(), &key, &t.policy, now())
        .await
        .unwrap();
    let mut conflicting = email("dana@acme.example", ROUTINE);
    conflicting.idempotency_key = Some(IdempotencyKey::parse("offer-1").unwrap());
    let batch = vec![
        (email("ann@beta.example", ROUTINE), key.clone()),
        (conflicting, key.clone()),
        (email("bo@gamma.example", ROUTINE), key.clone()),
    ];
    let answers = t.store.propose_batch(batch, &t.policy, now()).await;
    assert!(
        answers[0]
            .as_ref()
            .is_ok_and(|p| p.decision.decision == Decision::Allow)
    );
    assert!(
        answers[1].is_err(),
        "the reused key with another action is refused"
    );
    assert!(answers[2].is_ok());
    assert_eq!(t.count("SELECT count(*) FROM action").await, 3);
    t.store.verify_audit().await.unwrap();
}
store_test!(one_bad_proposal_does_not_cost_the_others_their_answer);

async fn concurrent_proposers_share_commits_and_each_gets_a_durable_answer(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let (store, policy) = (t.store.clone(), Arc::new(t.policy.clone()));
    let committer = GroupCommitter::start(
        move |batch| {
            let (store, policy) = (store.clone(), Arc::clone(&policy));
            async move { store.propose_batch(batch, &policy, now()).await }
        },
        16,
    );
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (committer, key) = (committer.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            committer
                .propose(
                    email(&format!("buyer{i}@company{i}.example"), ROUTINE),
                    &key,
                )
                .await
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap().unwrap().action_id);
    }
    assert_eq!(ids.len(), 64);
    assert_eq!(t.count("SELECT count(*) FROM action").await, 64);
    t.store.verify_audit().await.unwrap();
}
store_test!(concurrent_proposers_share_commits_and_each_gets_a_durable_answer);
