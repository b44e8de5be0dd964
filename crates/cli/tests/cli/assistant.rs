//! The follow-up assistant from the command line on a SQLite file: approved knowledge
//! (`knowledge add|list|show`) and drafts (`draft`) over the sample Salesforce export.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::countersign;

/// A database file and a working folder with no `countersign.toml` in it, so `draft`
/// reads only the built-in configuration and the flags.
struct Db {
    dir: tempfile::TempDir,
    url: String,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
    Db { dir, url }
}

impl Db {
    /// `countersign ARGS --database-url URL`, run in the database's folder.
    fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        countersign()
            .current_dir(self.dir.path())
            .env_remove("COUNTERSIGN_DATABASE_URL")
            .args(args)
            .args(["--database-url", &self.url])
            .assert()
    }

    /// The sample Salesforce export, imported as a user would.
    fn import_samples(&self) {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/samples/salesforce");
        self.run(&["import", "salesforce", samples.to_str().unwrap()])
            .success();
    }

    fn register_assistant(&self) {
        self.run(&[
            "tools",
            "add",
            "countersign-assistant",
            "--kinds",
            "email.draft",
            "--data-classes",
            "contact_details",
        ])
        .success();
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// An entry the security lead approved, answering security questionnaires.
const SOC2: &str = "---\ntitle: SOC 2 report\ntopic: security\nowner: security\napproved_by: Priya Shah\nvalid_until: 2099-06-30\n---\nWe are SOC 2 Type II certified and encrypt customer data at rest with AES-256.\n\nThe report is shared under NDA.\n";

/// `knowledge/` with the good entry and `bad` as `uptime.md`.
fn knowledge_dir(db: &Db, bad: &str) -> PathBuf {
    let dir = db.dir.path().join("knowledge");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("soc2.md"), SOC2).unwrap();
    std::fs::write(dir.join("uptime.md"), bad).unwrap();
    // Not Markdown: not read.
    std::fs::write(dir.join("notes.txt"), "scratch").unwrap();
    dir
}

#[test]
fn knowledge_add_stores_the_good_file_and_names_the_bad_one_by_file_and_field() {
    for (bad, field, problem) in [
        (
            "---\ntitle: Uptime\ntopic: sla\nowner: deal_desk\napproved_by: Priya Shah\n---\nOur SLA is 99.9% monthly uptime.\n",
            "valid_until",
            "missing",
        ),
        (
            "---\ntitle: Uptime\ntopic: sla\nowner: deal_desk\napproved_by: Priya Shah\nvalid_until: 31/12/2027\n---\nOur SLA is 99.9% monthly uptime.\n",
            "valid_until",
            "`31/12/2027` is not a date; expected YYYY-MM-DD",
        ),
    ] {
        let db = db();
        let dir = knowledge_dir(&db, bad);
        let added = db.run(&["knowledge", "add", dir.to_str().unwrap()]).code(1);
        let err = stderr(&added);
        let line = err
            .lines()
            .find(|l| l.contains("uptime.md"))
            .unwrap_or_else(|| panic!("the bad file is not named: {err}"));
        assert!(
            line.contains(field) && line.contains(problem),
            "expected `{field}` and `{problem}` in: {line}"
        );
        assert!(
            !err.contains("soc2"),
            "the good file is not an error: {err}"
        );
        assert!(
            !err.contains("notes.txt"),
            "only Markdown files are read: {err}"
        );
        let out = stdout(&added);
        assert!(out.contains("soc2: added, revision 1"), "{out}");

        // The good file is stored, the bad one is not.
        let listed = db.run(&["knowledge", "list", "--format", "json"]).success();
        let entries: Vec<Value> = stdout(&listed)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        let e = &entries[0];
        assert_eq!(e["id"], "soc2");
        assert_eq!(e["topic"], "security");
        assert_eq!(e["owner"], "security");
        assert_eq!(e["approved_by"], "Priya Shah");
        assert_eq!(e["valid_until"], "2099-06-30");
        assert_eq!(e["valid"], true);
        assert_eq!(e["revision"], 1);

        // `show` prints the file as approved, byte for byte.
        let shown = db.run(&["knowledge", "show", "soc2"]).success();
        assert_eq!(stdout(&shown), SOC2);

        // The good file again: nothing to do, and said so.
        let again = db
            .run(&["knowledge", "add", dir.join("soc2.md").to_str().unwrap()])
            .success();
        assert!(
            stdout(&again).contains("soc2: unchanged, revision 1"),
            "{}",
            stdout(&again)
        );
    }
}

#[test]
fn knowledge_show_of_an_unknown_id_fails_naming_it() {
    let db = db();
    let shown = db.run(&["knowledge", "show", "nope"]).failure();
    assert!(
        stderr(&shown).contains("`nope` not found"),
        "{}",
        stderr(&shown)
    );
}

/// The deal of sam.okafor's whose next step is a security review call.
const DEAL: &str = "006O000000000019";

#[test]
fn draft_writes_a_follow_up_from_an_imported_deal_with_its_sources() {
    let db = db();
    db.import_samples();
    db.register_assistant();
    let dir = db.dir.path().join("knowledge");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("soc2.md"), SOC2).unwrap();
    db.run(&["knowledge", "add", dir.to_str().unwrap()])
        .success();

    let drafted = db
        .run(&["draft", DEAL, "--intent", "answer their security questions"])
        .success();
    let out = stdout(&drafted);
    let first = out.lines().next().unwrap();
    // `ACTION_ID: DECISION (written by WRITER)`
    assert!(
        first.contains("template:answer_questions")
            && ["allow", "hold", "draft_only", "deny"]
                .iter()
                .any(|d| first.contains(&format!(": {d} (written by "))),
        "no decision on the first line: {out}"
    );
    assert!(out.contains("\nSubject: "), "{out}");
    assert!(
        out.contains("SOC 2 Type II"),
        "the approved answer is quoted: {out}"
    );
    let sources = out
        .split("Sources:")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    assert!(sources.contains(&format!("[crm {DEAL}]")), "{out}");
    assert!(sources.contains("[kb soc2]"), "{out}");

    let json = db
        .run(&[
            "draft",
            DEAL,
            "--intent",
            "answer their security questions",
            "--format",
            "json",
            "--idempotency-key",
            "cli-draft-1",
        ])
        .success();
    let body: Value = serde_json::from_str(stdout(&json).trim()).unwrap();
    let id = body["proposal"]["action_id"].as_str().unwrap().to_owned();
    assert!(!id.is_empty());
    assert!(!body["subject"].as_str().unwrap().is_empty(), "{body}");
    assert!(body["body"].as_str().unwrap().contains("AES-256"), "{body}");
    assert_eq!(body["writer"], "template:answer_questions");
    let kinds: Vec<&str> = body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"crm") && kinds.contains(&"kb"), "{kinds:?}");
    let kb = body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "kb")
        .unwrap();
    assert_eq!(kb["reference"], "soc2");
    assert_eq!(kb["approved"], true);

    // The same key again: the first draft, not a second one.
    let again = db
        .run(&[
            "draft",
            DEAL,
            "--intent",
            "answer their security questions",
            "--format",
            "json",
            "--idempotency-key",
            "cli-draft-1",
        ])
        .success();
    let again: Value = serde_json::from_str(stdout(&again).trim()).unwrap();
    assert_eq!(again["proposal"]["action_id"], id.as_str());
    assert_eq!(again["subject"], body["subject"]);

    // It is in the store like any proposal, with its sources.
    let shown = db.run(&["show", &id, "--format", "json"]).success();
    let shown = stdout(&shown);
    assert!(shown.contains("countersign-assistant"), "{shown}");
    assert!(shown.contains("soc2"), "{shown}");
}

#[test]
fn draft_says_how_to_register_the_assistant_and_names_an_unknown_opportunity() {
    let db = db();
    db.import_samples();

    let off = db.run(&["draft", DEAL, "--intent", "follow up"]).failure();
    let err = stderr(&off);
    assert!(
        err.contains("countersign tools add countersign-assistant --kinds email.draft"),
        "{err}"
    );
    assert!(stdout(&off).is_empty(), "{}", stdout(&off));

    db.register_assistant();
    let unknown = db
        .run(&["draft", "006NOPE", "--intent", "follow up"])
        .failure();
    let err = stderr(&unknown);
    assert!(err.contains("`006NOPE` not found"), "{err}");
    assert!(stdout(&unknown).is_empty(), "{}", stdout(&unknown));
}
