//! CRM import end to end: the sample exports (written by `scripts/generate-crm-export`,
//! made up) into a real store on SQLite and PostgreSQL; importing again changes nothing;
//! bad files and rows are reported by file, line and column while good rows still import
//! and nothing stored is lost.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};

use chrono::Utc;
use countersign_import::{Mapping, Report, Source, import_dir};
use countersign_store::Store;
use countersign_testkit::database::{Kind, TestDatabase};

fn samples(crm: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(crm)
}

async fn import(store: &Store, source: Source, dir: &Path, mapping: &Mapping) -> Report {
    import_dir(store, source, dir, mapping, "test", Utc::now(), |_, _| {})
        .await
        .unwrap()
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(countersign_testkit::database::Kind::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(countersign_testkit::database::Kind::Postgres).await;
            }
        }
    };
}

async fn a_salesforce_export_imports_once_and_again_changes_nothing(kind: Kind) {
    let Some(db) = TestDatabase::create(kind, "cs_import").await else {
        return;
    };
    let store = Store::open(&db.url).await.unwrap();
    let dir = samples("salesforce");
    let first = import(&store, Source::Salesforce, &dir, &Mapping::default()).await;
    assert_eq!(first.problem_count, 0, "{:?}", first.problems);
    let count = |k: &str| first.counts.get(k).map(|c| (c.read, c.written));
    assert_eq!(count("user"), Some((4, 4)));
    assert_eq!(count("account"), Some((12, 12)));
    assert_eq!(count("contact"), Some((36, 36)));
    assert_eq!(count("opportunity"), Some((60, 60)));
    assert_eq!(count("opportunity_history"), Some((240, 240)));
    let activities = first.counts["task"].written + first.counts["event"].written;
    assert_eq!(activities, 571);
    // E-mails captured with Salesforce's ← / → marks have a direction: some deals went quiet.
    let facts = store.triage_facts(None, Utc::now()).await.unwrap();
    assert!(
        facts.iter().any(|d| d.unanswered > 0),
        "no deal has unanswered e-mails"
    );
    // Owners are reps, by the users' addresses.
    let o = store
        .opportunity("006O000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.owner.as_deref(), Some("jules.martin"), "{o:?}");
    assert!(o.amount.is_some() && o.close_date.is_some() && o.stage.is_some());
    let version = o.version;

    let again = import(&store, Source::Salesforce, &dir, &Mapping::default()).await;
    assert_eq!(again.written(), 0, "{:?}", again.counts);
    assert_eq!(again.problem_count, 0);

    // One stage moved in the CRM: one row written, and approvals on the old stage lapse.
    let copy = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, copy.path().join(f.file_name().unwrap())).unwrap();
    }
    let path = copy.path().join("Opportunity.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let stage = o.stage.clone().unwrap();
    lines[1] = lines[1].replacen(&format!(",{stage},"), ",Commit,", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let moved = import(&store, Source::Salesforce, copy.path(), &Mapping::default()).await;
    assert_eq!(moved.written(), 1, "{:?}", moved.counts);
    let after = store
        .opportunity("006O000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.stage.as_deref(), Some("Commit"));
    assert_eq!(after.version, version + 1);
    store.close().await;
    db.drop().await;
}
both!(a_salesforce_export_imports_once_and_again_changes_nothing);

async fn a_hubspot_export_imports_with_its_mapping(kind: Kind) {
    let Some(db) = TestDatabase::create(kind, "cs_import").await else {
        return;
    };
    let store = Store::open(&db.url).await.unwrap();
    let dir = samples("hubspot");
    let mapping =
        Mapping::parse(&std::fs::read_to_string(dir.join("mapping.toml")).unwrap()).unwrap();
    let r = import(&store, Source::Hubspot, &dir, &mapping).await;
    assert_eq!(r.problem_count, 0, "{:?}", r.problems);
    assert_eq!(r.counts["account"].written, 20);
    assert_eq!(r.counts["contact"].written, 60);
    assert_eq!(r.counts["opportunity"].written, 40);
    assert_eq!(r.counts["activity"].written, 211);
    let deal = store.opportunity("7000001").await.unwrap().unwrap();
    assert_eq!(deal.account_id.as_deref(), Some("9000001"));
    assert!(
        deal.owner.as_deref().is_some_and(|o| o.contains('.')),
        "{deal:?}"
    );
    store.close().await;
    db.drop().await;
}
both!(a_hubspot_export_imports_with_its_mapping);

async fn bad_files_and_rows_are_named_and_the_rest_imports(kind: Kind) {
    let Some(db) = TestDatabase::create(kind, "cs_import").await else {
        return;
    };
    let store = Store::open(&db.url).await.unwrap();
    // Something stored before the import.
    store
        .upsert_opportunity(
            &countersign_store::OpportunityUpsert {
                opportunity_id: "006KEEP".into(),
                name: Some("Kept".into()),
                stage: Some("Proposal".into()),
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write(
        "Opportunity.csv",
        b"Id,Name,StageName,Amount,CloseDate\n\
          006A,Good one,Proposal,\"$84,000.00\",2026-12-24\n\
          006B,Foreign date,Proposal,1000,24.12.2026\n\
          006C,Caf\xe9 in Latin-1,Proposal,1000,2026-12-24\n\
          ,No id,Proposal,1000,2026-12-24\n\
          006D,Also good,Negotiation,2000,12/31/2026\n",
    );
    write("Account.csv", b"Name,Website\nAcme,acme.example\n");
    write("Notes.csv", b"Anything\nx\n");
    let r = import(&store, Source::Salesforce, dir.path(), &Mapping::default()).await;
    let said: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
    let has = |needle: &str| said.iter().any(|p| p.contains(needle));
    assert!(
        has("Opportunity.csv:3 column `CloseDate`: `24.12.2026` is not a date"),
        "{said:#?}"
    );
    assert!(
        has("Opportunity.csv:4 column `Name`: is not UTF-8 text"),
        "{said:#?}"
    );
    assert!(has("Opportunity.csv:5: no id"), "{said:#?}");
    assert!(has("Account.csv: no `id` column"), "{said:#?}");
    assert!(has("Notes.csv: not a salesforce export"), "{said:#?}");
    assert_eq!(r.problem_count, 5);
    // The good rows are in, whole; the bad ones are not there at all; the old one stays.
    assert_eq!(r.counts["opportunity"].written, 2);
    let good = store.opportunity("006A").await.unwrap().unwrap();
    assert_eq!(good.amount, Some(84_000.0));
    assert!(store.opportunity("006D").await.unwrap().is_some());
    assert!(store.opportunity("006B").await.unwrap().is_none());
    assert!(store.opportunity("006C").await.unwrap().is_none());
    assert_eq!(
        store
            .opportunity("006KEEP")
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("Kept")
    );
    // The import is in the audit log.
    assert!(store.verify_audit().await.is_ok());
    store.close().await;
    db.drop().await;
}
both!(bad_files_and_rows_are_named_and_the_rest_imports);
