//! `countersign simulate` on a SQLite file: a candidate policy replayed over stored
//! proposals, in each output format, and a candidate that cannot be read.

use std::path::Path;

use serde_json::Value;

use crate::countersign;

struct Db {
    dir: tempfile::TempDir,
    url: String,
}

/// A store with a routine e-mail (allowed) and a discount (held for the deal desk),
/// proposed through the real binary.
fn db_with_two_proposals() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
    let db = Db { dir, url };
    let run = |args: &[&str]| -> Value {
        let out = countersign()
            .args(args)
            .args(["--format", "json", "--database-url", &db.url])
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    run(&["reviewers", "add", "sam.rep", "--roles", "rep"]);
    let tool = run(&["tools", "add", "outreach-agent", "--kinds", "email.send"]);
    let key = tool["api_key"].as_str().unwrap();
    countersign()
        .args(["propose", "--database-url", &db.url, "--tool-key", key])
        .write_stdin(concat!(
            "{\"kind\": \"email.send\", \"on_behalf_of\": \"sam.rep\", \"payload\": {\"to\": [\"dana@acme.example\"], \"subject\": \"Recap\", \"body\": \"Hi Dana, thanks for the call today. I've attached the recap and the slides. Talk soon, Sam\"}}\n",
            "{\"kind\": \"email.send\", \"on_behalf_of\": \"sam.rep\", \"payload\": {\"to\": [\"lee@globex.example\"], \"subject\": \"Pricing\", \"body\": \"Hi Lee, we can do 15% off if you sign by Friday. Best, Sam\"}}\n",
        ))
        .assert()
        .success();
    db
}

/// `policies/default` copied into `dir` with the tier of `email.send` set to `tier`.
fn candidate(dir: &Path, tier: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let toml = std::fs::read_to_string(dir.join("policy.toml")).unwrap();
    let edited = toml.replace(
        "\"email.send\" = \"automation_safe\"",
        &format!("\"email.send\" = {tier}"),
    );
    assert_ne!(edited, toml);
    std::fs::write(dir.join("policy.toml"), edited).unwrap();
}

fn audit_events(db: &Db) -> Vec<String> {
    let out = countersign()
        .args(["audit", "export", "--database-url", &db.url])
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["event"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn a_stricter_email_tier_is_simulated_as_json_human_and_html() {
    let db = db_with_two_proposals();
    let dir = db.dir.path().join("candidate");
    candidate(&dir, "\"manager_approved\"");
    let before = audit_events(&db);
    let policy = dir.to_str().unwrap();

    let out = countersign()
        .args([
            "simulate", "--policy", policy, "--since", "7d", "--format", "json",
        ])
        .args(["--database-url", &db.url])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    let sim: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sim["actions"], 2);
    assert_eq!(
        sim["totals"]["allow"],
        serde_json::json!({"active": 1, "candidate": 0})
    );
    assert_eq!(
        sim["totals"]["hold"],
        serde_json::json!({"active": 1, "candidate": 2})
    );
    let changed = sim["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{sim}");
    assert_eq!(changed[0]["tool"], "outreach-agent");
    assert_eq!(changed[0]["active"]["decision"], "allow");
    assert_eq!(changed[0]["candidate"]["decision"], "hold");
    assert_eq!(
        changed[0]["candidate"]["roles"],
        serde_json::json!(["manager"])
    );
    assert_eq!(
        changed[0]["candidate"]["reasons"][0],
        "`email.send` actions are manager_approved by policy"
    );
    let manager = sim["load"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["role"] == "manager")
        .unwrap();
    assert_eq!(
        manager["held"],
        serde_json::json!({"active": 0, "candidate": 1})
    );
    assert_eq!(manager["candidate_latency_days"], Value::Null);
    assert!(
        sim["by_week"]
            .as_object()
            .unwrap()
            .keys()
            .all(|w| w.contains("-W"))
    );
    assert_eq!(sim["by_tool"]["outreach-agent"]["hold"]["candidate"], 2);
    assert!(
        sim["by_topic"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| { t["category"] == "commercial" && t["subtopic"] == "discount" })
    );

    let out = countersign()
        .args(["simulate", "--policy", policy, "--database-url", &db.url])
        .assert()
        .success();
    let human = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for expected in [
        "against the built-in policy `default`",
        "2 actions proposed from",
        "1 would be decided differently",
        "Reviewer load",
        "Changed actions (1 of 1, oldest first)",
        "allow → hold (manager)",
        "outreach-agent",
    ] {
        assert!(human.contains(expected), "`{expected}` in:\n{human}");
    }

    let out = countersign()
        .args(["simulate", "--policy", policy, "--format", "html"])
        .args(["--database-url", &db.url])
        .assert()
        .success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.trim_end().ends_with("</html>"));
    assert!(
        page.contains(
            "<td>hold (manager): `email.send` actions are manager_approved by policy</td>"
        ),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">commercial/discount</th>"),
        "{page}"
    );

    // The oldest one only: the routine e-mail, which changes.
    let out = countersign()
        .args([
            "simulate", "--policy", policy, "--limit", "1", "--format", "json",
        ])
        .args(["--database-url", &db.url])
        .assert()
        .success();
    let oldest: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(oldest["actions"], 1);
    assert_eq!(oldest["changed"][0]["action_id"], changed[0]["action_id"]);

    // Four runs, four `simulation` records, nothing else.
    let after = audit_events(&db);
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()..], ["simulation"; 4]);
    let verified = countersign()
        .args([
            "audit",
            "verify",
            "--format",
            "json",
            "--database-url",
            &db.url,
        ])
        .assert()
        .success();
    let verified: Value = serde_json::from_slice(&verified.get_output().stdout).unwrap();
    assert_eq!(verified["intact"], true);
}

#[test]
fn a_candidate_that_cannot_be_read_is_named_and_nothing_is_audited() {
    let db = db_with_two_proposals();
    let before = audit_events(&db);

    // A tier that is not a tier: named by file and line.
    let dir = db.dir.path().join("broken");
    candidate(&dir, "\"sometimes\"");
    let out = countersign()
        .args(["simulate", "--policy", dir.to_str().unwrap()])
        .args(["--database-url", &db.url])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("the candidate policy at"), "{stderr}");
    assert!(stderr.contains("policy.toml:20:"), "{stderr}");

    // No such directory; and JSON errors are JSON.
    let missing = db.dir.path().join("nowhere");
    let out = countersign()
        .args([
            "simulate",
            "--policy",
            missing.to_str().unwrap(),
            "--format",
            "json",
        ])
        .args(["--database-url", &db.url])
        .assert()
        .code(2);
    let error: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let message = error["error"].as_str().unwrap();
    assert!(message.contains("nowhere: no such directory"), "{message}");

    // A directory without its schema names the missing file.
    let partial = db.dir.path().join("partial");
    candidate(&partial, "\"manager_approved\"");
    std::fs::remove_file(partial.join("policy.cedarschema")).unwrap();
    let out = countersign()
        .args(["simulate", "--policy", partial.to_str().unwrap()])
        .args(["--database-url", &db.url])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("policy.cedarschema"), "{stderr}");

    let out = countersign()
        .args([
            "simulate",
            "--policy",
            partial.to_str().unwrap(),
            "--since",
            "soon",
        ])
        .args(["--database-url", &db.url])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("`soon` is not a duration"), "{stderr}");

    assert_eq!(
        audit_events(&db),
        before,
        "a failed simulation audits nothing"
    );
}

/// A history of sent mail replayed instead of the store's proposals: an mbox, and the same
/// mail as JSON Lines, give the same changes; a line that is no action is named.
#[test]
fn a_sent_mail_history_is_replayed_from_an_mbox_or_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
    let cand = dir.path().join("candidate");
    candidate(&cand, "\"manager_approved\"");
    let mbox = dir.path().join("sent.mbox");
    std::fs::write(
        &mbox,
        "From sam@seller.example Tue Dec  1 09:00:00 2026\n\
         From: Sam <sam@seller.example>\nTo: Dana <dana@acme.example>\nSubject: Recap\n\
         Date: Tue, 1 Dec 2026 09:00:00 +0000\nMessage-ID: <r1@seller.example>\n\n\
         Hi Dana, thanks for the call today. The recap and the slides are attached.\n\n\
         From sam@seller.example Wed Dec  2 09:00:00 2026\n\
         From: Sam <sam@seller.example>\nTo: Lee <lee@globex.example>\nSubject: Pricing\n\
         Date: Wed, 2 Dec 2026 09:00:00 +0000\nMessage-ID: <p1@seller.example>\n\n\
         Hi Lee, we can do 15% off if you sign by Friday.\n",
    )
    .unwrap();
    let jsonl = dir.path().join("sent.jsonl");
    std::fs::write(
        &jsonl,
        "{\"action\": {\"kind\": \"email.send\", \"id\": \"r1\", \"payload\": {\"to\": [\"dana@acme.example\"], \"subject\": \"Recap\", \"body\": \"Hi Dana, thanks for the call today. The recap and the slides are attached.\"}}, \"at\": \"2026-12-01T09:00:00Z\"}\n\
         {\"action\": {\"kind\": \"email.send\", \"id\": \"p1\", \"payload\": {\"to\": [\"lee@globex.example\"], \"subject\": \"Pricing\", \"body\": \"Hi Lee, we can do 15% off if you sign by Friday.\"}}, \"at\": \"2026-12-02T09:00:00Z\"}\n\
         {\"kind\": \"no.such\"}\n",
    )
    .unwrap();
    let simulate = |history: &Path| {
        countersign()
            .args(["simulate", "--policy", cand.to_str().unwrap(), "--history"])
            .arg(history)
            .args([
                "--since",
                "2026-11-01",
                "--format",
                "json",
                "--database-url",
                &url,
            ])
            .assert()
            .success()
    };
    let from_mbox = simulate(&mbox);
    let sim: Value = serde_json::from_slice(&from_mbox.get_output().stdout).unwrap();
    assert_eq!(sim["actions"], 2, "{sim}");
    // Routine mail becomes a hold under the stricter tier; the discount was held already.
    let changed = sim["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{sim}");
    assert_eq!(changed[0]["active"]["decision"], "allow");
    assert_eq!(changed[0]["candidate"]["decision"], "hold");
    let from_lines = simulate(&jsonl);
    let lines: Value = serde_json::from_slice(&from_lines.get_output().stdout).unwrap();
    assert_eq!(lines["actions"], 2);
    assert_eq!(lines["changed"].as_array().unwrap().len(), 1);
    let err = String::from_utf8_lossy(&from_lines.get_output().stderr).into_owned();
    assert!(err.contains("line 3"), "{err}");
}
