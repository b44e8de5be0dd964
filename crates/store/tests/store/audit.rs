//! The audit chain: intact after real work, one chain under concurrent writers, and any
//! tampered field or byte is found and named.

use countersign_store::{ChainCheck, StoreError};

use crate::harness::{DISCOUNT, ROUTINE, TestDb, email, now};

/// A small history: registrations, an allowed and a held e-mail, an approval, a send.
async fn some_history(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.store
        .propose(email("dana@acme.example", ROUTINE), &key, &t.policy, now())
        .await
        .unwrap();
    let held = t
        .store
        .propose(email("lee@acme.example", DISCOUNT), &key, &t.policy, now())
        .await
        .unwrap();
    t.store
        .approve(&held.action_id, 1, "dora.dealdesk", &t.policy, now())
        .await
        .unwrap();
    for item in t
        .store
        .claim_outbox("w1", std::time::Duration::from_secs(60), 10, now())
        .await
        .unwrap()
    {
        t.store
            .mark_sent(item.outbox_id, "w1", now())
            .await
            .unwrap();
    }
}

async fn the_chain_of_a_busy_store_verifies(t: &TestDb) {
    some_history(t).await;
    let verified = t.store.verify_audit().await.unwrap();
    let records = t.count("SELECT count(*) FROM audit_record").await;
    assert_eq!(verified.records, records);
    assert!(records >= 12, "{records}");
    let mut out = Vec::new();
    assert_eq!(t.store.export_audit(&mut out).await.unwrap(), records);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as i64, records);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["prev_hash"], "0".repeat(64));
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    assert_eq!(
        lines.last().unwrap()["hash"].as_str().unwrap(),
        verified.head_hash
    );
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    for e in [
        "policy_change",
        "tool_registration",
        "reviewer_registration",
        "proposal",
        "decision",
        "approval",
        "release",
        "send",
    ] {
        assert!(events.contains(&e), "no {e} in {events:?}");
    }
}
store_test!(the_chain_of_a_busy_store_verifies);

async fn concurrent_writers_append_to_one_chain(t: &TestDb) {
    let key = t.tool("outreach-agent").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = t.store.clone();
        let policy = t.policy.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let to = format!("buyer{i}@globex.example");
            store
                .propose(email(&to, ROUTINE), &key, &policy, now())
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let verified = t.store.verify_audit().await.unwrap();
    assert_eq!(
        verified.records,
        t.count("SELECT max(audit_record_id) FROM audit_record")
            .await
    );
}
store_test!(concurrent_writers_append_to_one_chain);

fn broken(err: StoreError) -> countersign_store::ChainBreak {
    match err {
        StoreError::AuditBroken(b) => b,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

async fn tampering_with_any_field_is_found_and_named(t: &TestDb) {
    some_history(t).await;
    let victim = 7;
    let cases: [(&str, ChainCheck); 8] = [
        ("event = 'approval'", ChainCheck::Hash),
        ("actor = 'reviewer:mallory'", ChainCheck::Hash),
        ("action_id = 'act_forged'", ChainCheck::Hash),
        ("action_id = NULL", ChainCheck::Hash),
        (
            "created_at = '2026-11-24T15:00:00.000001Z'",
            ChainCheck::Hash,
        ),
        ("created_at = '2026-11-24T15:00:00Z'", ChainCheck::At),
        (
            "prev_hash = '0000000000000000000000000000000000000000000000000000000000000000'",
            ChainCheck::PrevHash,
        ),
        (
            "hash = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'",
            ChainCheck::Hash,
        ),
    ];
    for (set, check) in cases {
        let saved = t
            .count(&format!(
                "SELECT count(*) FROM audit_record WHERE audit_record_id = {victim}"
            ))
            .await;
        assert_eq!(saved, 1);
        // Keep the row to restore it afterwards.
        t.exec("CREATE TABLE IF NOT EXISTS audit_backup AS SELECT * FROM audit_record WHERE 1 = 0")
            .await;
        t.exec("DELETE FROM audit_backup").await;
        t.exec(&format!(
            "INSERT INTO audit_backup SELECT * FROM audit_record WHERE audit_record_id = {victim}"
        ))
        .await;
        assert_eq!(
            t.exec(&format!(
                "UPDATE audit_record SET {set} WHERE audit_record_id = {victim}"
            ))
            .await,
            1
        );
        let b = broken(t.store.verify_audit().await.unwrap_err());
        assert_eq!((b.seq, b.check), (victim, check), "after SET {set}: {b}");
        assert!(
            b.to_string()
                .starts_with(&format!("audit record {victim} is broken"))
        );
        t.exec(&format!(
            "DELETE FROM audit_record WHERE audit_record_id = {victim}"
        ))
        .await;
        t.exec("INSERT INTO audit_record SELECT * FROM audit_backup")
            .await;
        t.store.verify_audit().await.unwrap();
    }
}
store_test!(tampering_with_any_field_is_found_and_named);

async fn changing_any_byte_of_the_data_is_found(t: &TestDb) {
    some_history(t).await;
    let records = t.count("SELECT count(*) FROM audit_record").await;
    // For every record: flip one character of `data` (a different position each time),
    // or add a space, which keeps the JSON value but not the canonical bytes.
    for seq in 1..=records {
        let len = t
            .count(&format!(
                "SELECT CAST(length(data) AS BIGINT) FROM audit_record WHERE audit_record_id = {seq}"
            ))
            .await;
        let pos = 1 + (seq * 7) % len;
        let set = if seq % 3 == 0 {
            format!("data = substr(data, 1, {pos}) || ' ' || substr(data, {pos} + 1)")
        } else {
            format!(
                "data = substr(data, 1, {p0}) || CASE WHEN substr(data, {pos}, 1) = 'x' THEN 'y' ELSE 'x' END || substr(data, {pos} + 1)",
                p0 = pos - 1
            )
        };
        t.exec("CREATE TABLE IF NOT EXISTS data_backup (audit_record_id BIGINT, data TEXT)")
            .await;
        t.exec("DELETE FROM data_backup").await;
        t.exec(&format!(
            "INSERT INTO data_backup SELECT audit_record_id, data FROM audit_record WHERE audit_record_id = {seq}"
        ))
        .await;
        t.exec(&format!(
            "UPDATE audit_record SET {set} WHERE audit_record_id = {seq}"
        ))
        .await;
        let b = broken(t.store.verify_audit().await.unwrap_err());
        assert_eq!(b.seq, seq, "{b}");
        assert!(
            matches!(b.check, ChainCheck::Data | ChainCheck::Hash),
            "{b}"
        );
        t.exec(&format!(
            "UPDATE audit_record SET data = (SELECT data FROM data_backup) WHERE audit_record_id = {seq}"
        ))
        .await;
    }
    t.store.verify_audit().await.unwrap();
}
store_test!(changing_any_byte_of_the_data_is_found);

async fn a_deleted_record_is_found(t: &TestDb) {
    some_history(t).await;
    t.exec("DELETE FROM audit_record WHERE audit_record_id = 5")
        .await;
    let b = broken(t.store.verify_audit().await.unwrap_err());
    assert_eq!((b.seq, b.check), (6, ChainCheck::Seq), "{b}");
}
store_test!(a_deleted_record_is_found);

async fn a_checkpoint_lets_later_checks_read_only_what_was_appended(t: &TestDb) {
    some_history(t).await;
    let checkpoint = t.store.verify_audit().await.unwrap();
    // Nothing new: the same verdict.
    let again = t.store.verify_audit_from(Some(&checkpoint)).await.unwrap();
    assert_eq!(again, checkpoint);
    // More history: checked from the checkpoint on, same verdict as a full check.
    let key = t.tool("second-agent").await;
    for to in ["a@acme.example", "b@acme.example", "c@acme.example"] {
        t.store
            .propose(email(to, DISCOUNT), &key, &t.policy, now())
            .await
            .unwrap();
    }
    let incremental = t.store.verify_audit_from(Some(&checkpoint)).await.unwrap();
    assert_eq!(incremental, t.store.verify_audit().await.unwrap());
    assert!(incremental.records > checkpoint.records);
    // A record appended after the checkpoint and then altered is found.
    let after = checkpoint.records + 2;
    t.exec(&format!(
        "UPDATE audit_record SET actor = 'someone-else' WHERE audit_record_id = {after}"
    ))
    .await;
    let b = broken(
        t.store
            .verify_audit_from(Some(&checkpoint))
            .await
            .unwrap_err(),
    );
    assert_eq!((b.seq, b.check), (after, ChainCheck::Hash), "{b}");
    // The checkpoint's own record cut off or rewritten is found too.
    t.exec(&format!(
        "DELETE FROM audit_record WHERE audit_record_id >= {}",
        checkpoint.records
    ))
    .await;
    let b = broken(
        t.store
            .verify_audit_from(Some(&checkpoint))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (b.seq, b.check),
        (checkpoint.records, ChainCheck::Hash),
        "{b}"
    );
}
store_test!(a_checkpoint_lets_later_checks_read_only_what_was_appended);
