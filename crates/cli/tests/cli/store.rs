//! The store commands on a SQLite file: tools, propose, queue, approve, audit.

use serde_json::Value;

use crate::countersign;

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

struct Db {
    _dir: tempfile::TempDir,
    url: String,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("countersign.db").display());
    Db { _dir: dir, url }
}

/// `countersign ARGS --database-url URL`, succeeding, as JSON lines.
fn run_json(db: &Db, args: &[&str]) -> Vec<Value> {
    let out = countersign()
        .args(args)
        .args(["--format", "json", "--database-url", &db.url])
        .assert()
        .success();
    json_lines(&out.get_output().stdout)
}

/// The tool's API key; the rep its actions are on behalf of is registered with it.
fn tool_key(db: &Db) -> String {
    run_json(db, &["reviewers", "add", "sam.rep", "--roles", "rep"]);
    let added = run_json(
        db,
        &[
            "tools",
            "add",
            "outreach-agent",
            "--kinds",
            "email.send,crm.note.create",
            "--data-classes",
            "contact_details",
        ],
    );
    let key = added[0]["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("cs_"));
    key
}

const LINES: &str = concat!(
    "{\"kind\": \"email.send\", \"on_behalf_of\": \"sam.rep\", \"payload\": {\"to\": [\"dana@acme.example\"], \"subject\": \"Recap\", \"body\": \"Hi Dana, thanks for the call today. I've attached the recap and the slides. Talk soon, Sam\"}}\n",
    "{\"id\": \"crm-77\", \"kind\": \"email.send\", \"on_behalf_of\": \"sam.rep\", \"idempotency_key\": \"pricing-1\", \"payload\": {\"to\": [\"dana@acme.example\"], \"subject\": \"Pricing\", \"body\": \"Hi Dana, we can do 15% off if you sign by Friday. Best, Sam\"}}\n",
);

#[test]
fn a_held_discount_is_queued_approved_by_the_deal_desk_and_audited() {
    let db = db();
    let key = tool_key(&db);
    let dora = run_json(
        &db,
        &[
            "reviewers",
            "add",
            "dora.dealdesk",
            "--roles",
            "deal_desk",
            "--slack-user",
            "U0DORA",
            "--teams-user",
            "aad-dora-01",
        ],
    );
    // Known in Slack and Teams: her clicks and commands there act as her.
    assert_eq!(dora[0]["slack_user_id"], "U0DORA", "{dora:?}");
    assert_eq!(dora[0]["teams_user_id"], "aad-dora-01", "{dora:?}");
    run_json(
        &db,
        &["reviewers", "add", "sid.security", "--roles", "security"],
    );

    let out = countersign()
        .args(["propose", "--format", "json", "--database-url", &db.url])
        .env("COUNTERSIGN_TOOL_KEY", &key)
        .write_stdin(LINES)
        .assert()
        .success();
    let got = json_lines(&out.get_output().stdout);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["decision"], "allow");
    assert_eq!(got[0]["status"], "allowed");
    assert_eq!(got[1]["decision"], "hold");
    assert_eq!(got[1]["status"], "held");
    assert_eq!(got[1]["roles"], serde_json::json!(["deal_desk"]));
    assert_eq!(got[1]["findings"][0]["confidence"], 0.85);
    let held = got[1]["action_id"].as_str().unwrap().to_owned();
    assert_eq!(got[1]["id"], held);

    // The same line again is answered from the store.
    let again = countersign()
        .args([
            "propose",
            "--format",
            "json",
            "--database-url",
            &db.url,
            "--tool-key",
            &key,
        ])
        .write_stdin(LINES.lines().nth(1).unwrap())
        .assert()
        .success();
    let again = json_lines(&again.get_output().stdout);
    assert_eq!(again[0]["action_id"], held);
    assert_eq!(again[0]["replayed"], true);

    let queue = run_json(&db, &["queue"]);
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["action_id"], held);
    assert_eq!(queue[0]["missing_roles"], serde_json::json!(["deal_desk"]));
    assert!(run_json(&db, &["queue", "--role", "security"]).is_empty());

    // Security holds no required role: refused, exit 1, nothing changes.
    let refused = countersign()
        .args([
            "approve",
            &held,
            "--revision",
            "1",
            "--reviewer",
            "sid.security",
            "--database-url",
            &db.url,
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        stderr.contains("holds none of the required roles (deal_desk)"),
        "{stderr}"
    );
    assert_eq!(run_json(&db, &["queue"]).len(), 1);

    // An approval names the revision read: a stale one is refused with exit 1.
    let stale = countersign()
        .args([
            "approve",
            &held,
            "--revision",
            "2",
            "--reviewer",
            "dora.dealdesk",
        ])
        .args(["--database-url", &db.url])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&stale.get_output().stderr).into_owned();
    assert!(
        stderr.contains("is at revision 1; you reviewed revision 2"),
        "{stderr}"
    );
    let approved = run_json(
        &db,
        &[
            "approve",
            &held,
            "--revision",
            "1",
            "--reviewer",
            "dora.dealdesk",
        ],
    );
    assert_eq!(approved[0]["status"], "approved");
    assert!(run_json(&db, &["queue"]).is_empty());
    let shown = run_json(&db, &["show", &held]);
    assert_eq!(shown[0]["status"], "approved");
    assert_eq!(shown[0]["external_id"], "crm-77");
    assert_eq!(shown[0]["outbox"]["status"], "pending");

    let verified = run_json(&db, &["audit", "verify"]);
    assert_eq!(verified[0]["intact"], true);
    let export = countersign()
        .args(["audit", "export", "--database-url", &db.url])
        .assert()
        .success();
    let records = json_lines(&export.get_output().stdout);
    assert_eq!(
        records.len() as i64,
        verified[0]["records"].as_i64().unwrap()
    );
    assert!(records.iter().any(|r| r["event"] == "approval"));
    assert!(
        !String::from_utf8_lossy(&export.get_output().stdout).contains(&key),
        "the API key never reaches the audit log"
    );
}

#[test]
fn a_malformed_line_is_reported_by_number_and_the_others_are_stored() {
    let db = db();
    let key = tool_key(&db);
    let input = format!(
        "{}this is not json\n{{\"kind\": \"email.send\", \"payload\": {{\"to\": \"bob@\", \"body\": \"hi\"}}}}\n",
        LINES.lines().next().unwrap().to_owned() + "\n"
    );
    let out = countersign()
        .args([
            "propose",
            "--format",
            "json",
            "--database-url",
            &db.url,
            "--tool-key",
            &key,
        ])
        .write_stdin(input)
        .assert()
        .code(1);
    let got = json_lines(&out.get_output().stdout);
    assert_eq!(got[0]["decision"], "allow");
    assert_eq!(got[1]["line"], 2);
    assert!(
        got[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("not valid JSON")
    );
    assert_eq!(got[2]["line"], 3);
    assert_eq!(
        got[2]["error"],
        "payload.to: `bob@` is not an email address"
    );
    assert_eq!(run_json(&db, &["audit", "verify"])[0]["intact"], true);
}

#[test]
fn an_unknown_tool_key_is_denied_as_shadow_ai() {
    let db = db();
    tool_key(&db);
    let out = countersign()
        .args(["propose", "--format", "json", "--database-url", &db.url])
        .env(
            "COUNTERSIGN_TOOL_KEY",
            "cs_stolenOrMadeUp000000000000000000",
        )
        .write_stdin(LINES.lines().next().unwrap())
        .assert()
        .success();
    let got = json_lines(&out.get_output().stdout);
    assert_eq!(got[0]["decision"], "deny");
    let export = countersign()
        .args(["audit", "export", "--database-url", &db.url])
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&export.get_output().stdout).contains("\"event\":\"shadow_ai\"")
    );
}

#[test]
fn a_bad_database_url_is_a_clear_usage_error() {
    let out = countersign()
        .args(["queue", "--database-url", "mysql://localhost/countersign"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        stderr.trim(),
        "error: --database-url: `mysql://localhost/countersign` is not a `sqlite://PATH` or `postgres://…` URL"
    );
    let missing_dir = countersign()
        .args([
            "audit",
            "verify",
            "--database-url",
            "sqlite:///no/such/dir/countersign.db",
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&missing_dir.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with(
            "error: failed to connect to the database at `sqlite:///no/such/dir/countersign.db`"
        ),
        "{stderr}"
    );
}

#[test]
fn a_rejection_without_a_reason_is_a_usage_error() {
    let db = db();
    let out = countersign()
        .args([
            "reject",
            "act_x",
            "--reviewer",
            "dora",
            "--reason",
            " ",
            "--database-url",
            &db.url,
        ])
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&out.get_output().stderr).contains("reason: must not be empty")
    );
}

#[test]
fn a_suppressed_contact_is_denied_and_bad_contact_fields_are_named() {
    let db = db();
    let key = tool_key(&db);
    let bad = countersign()
        .args([
            "contacts",
            "upsert",
            "c-dana",
            "--timezone",
            "Mars/Olympus",
            "--database-url",
            &db.url,
        ])
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&bad.get_output().stderr)
            .contains("timezone: `Mars/Olympus` is not an IANA time zone")
    );
    run_json(
        &db,
        &[
            "contacts",
            "upsert",
            "c-dana",
            "--email",
            "dana@acme.example",
            "--timezone",
            "Europe/Berlin",
        ],
    );
    run_json(
        &db,
        &[
            "opportunities",
            "upsert",
            "opp-1",
            "--stage",
            "Proposal",
            "--amount",
            "48000",
        ],
    );
    let changed = run_json(
        &db,
        &["opportunities", "upsert", "opp-1", "--stage", "Negotiation"],
    );
    assert_eq!(changed[0]["version"], 2);
    run_json(
        &db,
        &[
            "suppress",
            "dana@acme.example",
            "--reason",
            "do_not_contact",
        ],
    );
    let out = countersign()
        .args([
            "propose",
            "--format",
            "json",
            "--database-url",
            &db.url,
            "--tool-key",
            &key,
        ])
        .write_stdin(LINES.lines().next().unwrap())
        .assert()
        .success();
    let got = json_lines(&out.get_output().stdout);
    assert_eq!(got[0]["decision"], "deny");
    assert!(got[0]["reasons"].to_string().contains("do-not-contact"));
}

/// `countersign import`: the sample Salesforce export, then again (nothing changes), then a
/// file with a bad row (exit code 1, the row named, the rest imported).
#[test]
fn a_crm_export_imports_and_reimports_without_changes() {
    let db = db();
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../import/samples/salesforce");
    let first = run_json(&db, &["import", "salesforce", samples]);
    assert_eq!(
        first[0]["counts"]["opportunity"]["written"], 60,
        "{first:?}"
    );
    assert_eq!(first[0]["problem_count"], 0);
    let again = run_json(&db, &["import", "salesforce", samples]);
    for (kind, c) in again[0]["counts"].as_object().unwrap() {
        assert_eq!(c["written"], 0, "{kind} changed on re-import");
    }
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(
        bad.path().join("Opportunity.csv"),
        "Id,Name,CloseDate\n006X,Fine,2026-12-24\n006Y,Bad date,24.12.2026\n",
    )
    .unwrap();
    let out = countersign()
        .args(["import", "salesforce"])
        .arg(bad.path())
        .args(["--database-url", &db.url])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("Opportunity.csv:3 column `CloseDate`: `24.12.2026` is not a date"),
        "{text}"
    );
    assert!(
        text.contains("opportunity: 2 read, 1 new or changed")
            || text.contains("opportunity: 1 read, 1 new or changed"),
        "{text}"
    );
}

/// `countersign triage` over the imported sample: ranked, with codes, words and a
/// suggestion; `--owner` keeps one rep's deals; CSV has a header.
#[test]
fn triage_ranks_the_imported_pipeline() {
    let db = db();
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../import/samples/salesforce");
    run_json(&db, &["import", "salesforce", samples]);
    let ranked = run_json(&db, &["triage", "--limit", "500"]);
    assert!(!ranked.is_empty());
    let scores: Vec<f64> = ranked
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for r in &ranked {
        for key in [
            "opportunity_id",
            "account",
            "owner",
            "stage",
            "amount",
            "score",
            "reasons",
            "explanation",
            "suggested_action",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        assert!(!r["reasons"].as_array().unwrap().is_empty());
        assert!(
            r["stage"].as_str().is_none_or(|s| !s.starts_with("Closed")),
            "{r}"
        );
    }
    let sams = run_json(&db, &["triage", "--owner", "sam.okafor", "--limit", "500"]);
    assert!(!sams.is_empty() && sams.len() < ranked.len());
    assert!(sams.iter().all(|r| r["owner"] == "sam.okafor"));
    let out = countersign()
        .args([
            "triage",
            "--format",
            "csv",
            "--limit",
            "3",
            "--database-url",
            &db.url,
        ])
        .assert()
        .success();
    let csv = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        csv.starts_with("opportunity_id,account,owner,stage,amount,score,reasons"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
}
