//! Approved knowledge: entries stored whole, revised only when their file changes, and
//! each change audited in the chain.

use countersign_engine::knowledge;

use crate::harness::{TestDb, at, now};

/// An entry as a seller's security lead would write it (Windows line ends and a trailing
/// blank line included, to prove the file comes back byte for byte).
const SOC2: &str = "---\r\ntitle: SOC 2 report\r\ntopic: security\r\nowner: security\r\napproved_by: Priya Shah\r\nvalid_until: 2027-06-30\r\n---\r\nWe are SOC 2 Type II certified; the report is shared under NDA.\r\n\r\n";

/// The same entry with a new sentence.
const SOC2_REVISED: &str = "---\ntitle: SOC 2 report\ntopic: security\nowner: security\napproved_by: Priya Shah\nvalid_until: 2027-06-30\n---\nWe are SOC 2 Type II certified; the report is shared under NDA.\n\nWe encrypt customer data at rest with AES-256.\n";

async fn knowledge_records(t: &TestDb) -> i64 {
    t.count("SELECT count(*) FROM audit_record WHERE event = 'knowledge'")
        .await
}

async fn an_entry_is_revised_only_when_its_file_changes_and_each_change_is_audited(t: &TestDb) {
    let entry = knowledge::parse("soc2", SOC2).unwrap();
    assert_eq!(entry.id, "soc2");
    let before = t.count("SELECT count(*) FROM audit_record").await;

    let first = t
        .store
        .put_knowledge(&entry, SOC2, "cli:priya", at(2026, 11, 20, 9, 0))
        .await
        .unwrap();
    assert_eq!(first.revision, 1);
    assert!(first.changed);
    assert_eq!(knowledge_records(t).await, 1);
    assert_eq!(
        t.count("SELECT count(*) FROM audit_record").await,
        before + 1,
        "one record for one new entry"
    );
    let mut export = Vec::new();
    t.store.export_audit(&mut export).await.unwrap();
    let export = String::from_utf8(export).unwrap();
    let record = export
        .lines()
        .find(|l| l.contains("\"event\":\"knowledge\""))
        .unwrap();
    for part in [
        "\"entry_id\":\"soc2\"",
        "\"revision\":1",
        "\"topic\":\"security\"",
        "\"approved_by\":\"Priya Shah\"",
        "\"valid_until\":\"2027-06-30\"",
        "cli:priya",
        &countersign_store::sha256_hex(SOC2.as_bytes()),
    ] {
        assert!(record.contains(part), "{part} missing from {record}");
    }

    // The same file again: nothing changes, nothing is audited.
    let again = t
        .store
        .put_knowledge(&entry, SOC2, "cli:someone-else", at(2026, 11, 21, 9, 0))
        .await
        .unwrap();
    assert_eq!(
        again,
        countersign_store::KnowledgeWrite {
            revision: 1,
            changed: false
        }
    );
    assert_eq!(knowledge_records(t).await, 1);
    let stored = t.store.knowledge_entry("soc2").await.unwrap().unwrap();
    assert_eq!(
        stored.updated_by, "cli:priya",
        "an unchanged file keeps its author"
    );
    assert_eq!(stored.updated_at, at(2026, 11, 20, 9, 0));

    // A changed file is revision 2, audited once more.
    let revised = knowledge::parse("soc2", SOC2_REVISED).unwrap();
    let second = t
        .store
        .put_knowledge(&revised, SOC2_REVISED, "cli:priya", now())
        .await
        .unwrap();
    assert_eq!(second.revision, 2);
    assert!(second.changed);
    assert_eq!(knowledge_records(t).await, 2);

    let listed = t.store.knowledge().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entry, revised);
    assert_eq!(listed[0].revision, 2);
    assert_eq!(listed[0].updated_at, now());
    let stored = t.store.knowledge_entry("soc2").await.unwrap().unwrap();
    assert_eq!(
        stored.source_text, SOC2_REVISED,
        "the file exactly as given"
    );
    assert!(stored.entry.body.contains("AES-256"));
    assert!(t.store.knowledge_entry("nope").await.unwrap().is_none());

    let verified = t.store.verify_audit().await.unwrap();
    assert_eq!(
        verified.records,
        t.count("SELECT count(*) FROM audit_record").await
    );
}
store_test!(an_entry_is_revised_only_when_its_file_changes_and_each_change_is_audited);

/// `knowledge()` lists every entry, expired ones too, by topic then id; each file comes
/// back exactly as it was given (Windows line ends and all).
async fn entries_are_listed_by_topic_and_returned_as_written(t: &TestDb) {
    let files = [
        (
            "uptime",
            "---\ntitle: Uptime\ntopic: sla\nowner: deal_desk\napproved_by: Priya Shah\nvalid_until: 2027-06-30\n---\nOur standard SLA is 99.9% monthly uptime.\n",
        ),
        ("soc2", SOC2),
        (
            "old-region",
            "---\nid: hosting\ntitle: Hosting\ntopic: data_residency\nowner: security\napproved_by: Priya Shah\nvalid_until: 2025-01-31\n---\nCustomer data is hosted in Frankfurt.\n",
        ),
    ];
    for (stem, text) in files {
        let entry = knowledge::parse(stem, text).unwrap();
        let w = t
            .store
            .put_knowledge(&entry, text, "cli:priya", now())
            .await
            .unwrap();
        assert_eq!((w.revision, w.changed), (1, true), "{stem}");
    }
    let listed: Vec<(String, String)> = t
        .store
        .knowledge()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.entry.topic, s.entry.id))
        .collect();
    assert_eq!(
        listed,
        [
            ("data_residency".to_owned(), "hosting".to_owned()),
            ("security".to_owned(), "soc2".to_owned()),
            ("sla".to_owned(), "uptime".to_owned()),
        ]
    );
    let expired = t.store.knowledge_entry("hosting").await.unwrap().unwrap();
    assert!(!expired.entry.valid_on(now().date_naive()));
    let soc2 = t.store.knowledge_entry("soc2").await.unwrap().unwrap();
    assert_eq!(soc2.source_text, SOC2);
    assert_eq!(
        soc2.entry.body,
        "We are SOC 2 Type II certified; the report is shared under NDA."
    );
    assert_eq!(knowledge_records(t).await, 3);
    t.store.verify_audit().await.unwrap();
}
store_test!(entries_are_listed_by_topic_and_returned_as_written);
