//! The outbox API the delivery worker uses: claims with leases, sent, failed and parked.

use std::collections::BTreeSet;
use std::time::Duration as Lease;

use chrono::Duration;
use countersign_store::StoreError;

use crate::harness::{ROUTINE, TestDb, email, now};

/// `n` allowed e-mails to different buyers; returns nothing, they wait in the outbox.
async fn released(t: &TestDb, n: usize) {
    let key = t.tool("outreach-agent").await;
    for i in 0..n {
        let to = format!("buyer{i}@initech.example");
        t.store
            .propose(email(&to, ROUTINE), &key, &t.policy, now())
            .await
            .unwrap();
    }
}

async fn two_concurrent_claimers_never_get_the_same_item(t: &TestDb) {
    released(t, 40).await;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = t.store.clone();
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_outbox(&worker, Lease::from_secs(300), 3, now())
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                for item in batch {
                    assert_eq!(item.attempts, 1);
                    store
                        .mark_sent(item.outbox_id, &worker, now())
                        .await
                        .unwrap();
                    mine.push(item.outbox_id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "every item claimed once");
    assert_eq!(unique.len(), 40, "no item claimed twice");
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE status = 'sent'")
            .await,
        40
    );
    assert_eq!(
        t.count("SELECT count(*) FROM audit_record WHERE event = 'send'")
            .await,
        40
    );
    t.store.verify_audit().await.unwrap();
}
store_test!(two_concurrent_claimers_never_get_the_same_item);

async fn an_expired_lease_makes_an_item_claimable_again(t: &TestDb) {
    released(t, 1).await;
    let lease = Lease::from_secs(60);
    let first = t.store.claim_outbox("w1", lease, 10, now()).await.unwrap();
    assert_eq!(first.len(), 1);
    // Still leased: nobody else gets it.
    let during = now() + Duration::seconds(59);
    assert!(
        t.store
            .claim_outbox("w2", lease, 10, during)
            .await
            .unwrap()
            .is_empty()
    );
    // w1 crashed; its lease runs out and w2 takes over, same Message-ID, second attempt.
    let after = now() + Duration::seconds(60);
    let second = t.store.claim_outbox("w2", lease, 10, after).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].outbox_id, first[0].outbox_id);
    assert_eq!(second[0].message_id, first[0].message_id);
    assert_eq!(second[0].attempts, 2);
    // The old owner can no longer report on it.
    let err = t
        .store
        .mark_sent(first[0].outbox_id, "w1", after)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err:?}");
    t.store
        .mark_sent(second[0].outbox_id, "w2", after)
        .await
        .unwrap();
    // Marking twice is harmless; nothing is left to claim.
    t.store
        .mark_sent(second[0].outbox_id, "w2", after)
        .await
        .unwrap();
    assert!(
        t.store
            .claim_outbox("w3", lease, 10, after + Duration::hours(1))
            .await
            .unwrap()
            .is_empty()
    );
}
store_test!(an_expired_lease_makes_an_item_claimable_again);

async fn a_failed_delivery_is_retried_then_parked(t: &TestDb) {
    released(t, 1).await;
    let lease = Lease::from_secs(60);
    let item = t.store.claim_outbox("w1", lease, 10, now()).await.unwrap()[0].clone();
    let retry_at = now() + Duration::minutes(2);
    t.store
        .mark_failed(
            item.outbox_id,
            "w1",
            "421 4.7.0 try again later",
            Some(retry_at),
            now(),
        )
        .await
        .unwrap();
    let view = t.show(&item.action_id).await.outbox.unwrap();
    assert_eq!(view.status, "pending");
    assert_eq!(view.next_attempt_at, retry_at);
    assert_eq!(
        view.last_error.as_deref(),
        Some("421 4.7.0 try again later")
    );
    assert!(
        t.store
            .claim_outbox("w1", lease, 10, retry_at - Duration::seconds(1))
            .await
            .unwrap()
            .is_empty(),
        "not before retry_at"
    );
    let again = t
        .store
        .claim_outbox("w1", lease, 10, retry_at)
        .await
        .unwrap();
    assert_eq!(again[0].attempts, 2);
    t.store
        .mark_failed(
            item.outbox_id,
            "w1",
            "550 5.1.1 mailbox unavailable",
            None,
            retry_at,
        )
        .await
        .unwrap();
    let view = t.show(&item.action_id).await.outbox.unwrap();
    assert_eq!(view.status, "failed");
    assert!(
        t.store
            .claim_outbox("w1", lease, 10, retry_at + Duration::days(1))
            .await
            .unwrap()
            .is_empty(),
        "a parked item is not claimed again"
    );
    let events: Vec<String> = t
        .store
        .audit_for_action(&item.action_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        [
            "proposal",
            "decision",
            "release",
            "delivery_failure",
            "parked"
        ]
    );
    t.store.verify_audit().await.unwrap();
}
store_test!(a_failed_delivery_is_retried_then_parked);
