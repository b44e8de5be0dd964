//! `countersign demo`: the seeded organisation, checked through other commands, and the
//! served inbox, checked over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use countersign_testkit::{Kind, TestDatabase};
use serde_json::Value;

use crate::countersign;

/// Seeds a demo into `dir` without serving and returns the printed JSON summary.
fn seed(dir: &Path) -> Value {
    let out = countersign()
        .args(["demo", "--no-serve", "--format", "json", "--dir"])
        .arg(dir)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("countersign.db").display())
}

#[test]
fn demo_seeds_every_category_every_queue_and_delivers_mail() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let started = Instant::now();
    let summary = seed(&dir);
    let seconds = started.elapsed().as_secs_f64();
    assert!(seconds < 20.0, "seeding took {seconds:.1} s");

    assert!(summary["actions"].as_u64().unwrap() >= 50, "{summary}");
    for category in [
        "objection",
        "commercial",
        "executive",
        "commitment",
        "sensitive",
        "pressure",
        "injection",
    ] {
        assert!(
            summary["categories"][category].as_u64().unwrap_or(0) > 0,
            "no `{category}` finding: {summary}"
        );
    }
    for status in [
        "allowed",
        "held",
        "approved",
        "edited",
        "rejected",
        "denied",
        "draft_only",
        "shadow_ai",
        "delivered",
    ] {
        assert!(
            summary[status].as_u64().unwrap() > 0,
            "no `{status}`: {summary}"
        );
    }

    // Every reviewing role has something waiting, as the queue command sees it.
    for role in ["manager", "deal_desk", "legal", "finance", "security"] {
        let out = countersign()
            .args([
                "queue",
                "--format",
                "json",
                "--role",
                role,
                "--database-url",
            ])
            .arg(url(&dir))
            .assert()
            .success();
        let held = String::from_utf8_lossy(&out.get_output().stdout)
            .lines()
            .count();
        assert!(held > 0, "nothing waits for {role}");
    }

    // The hash chain the demo wrote verifies.
    let out = countersign()
        .args(["audit", "verify", "--database-url"])
        .arg(url(&dir))
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("intact"));

    // Released e-mail is on disk, one .eml per delivered e-mail, with the outbox Message-ID;
    // reviewers' notifications beside it.
    let eml = |prefix: &str| -> Vec<String> {
        std::fs::read_dir(dir.join("delivered"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    };
    let emails = eml("act_");
    let notes = eml("ntf_");
    assert_eq!(
        notes.len() as u64,
        summary["notifications"].as_u64().unwrap()
    );
    assert!(notes.len() >= summary["held"].as_u64().unwrap() as usize);
    // Held items are announced, then reminded and escalated by the policy's service levels.
    for kind in ["Review needed", "Reminder", "Overdue"] {
        assert!(
            notes
                .iter()
                .any(|n| n.contains(&format!("Subject: [Countersign] {kind} ("))),
            "no `{kind}` notification"
        );
    }
    for note in &notes {
        assert!(note.contains("Subject: [Countersign] "), "{note}");
        // From Countersign itself, not from the sales team's sender.
        assert!(note.contains("From: Countersign <countersign@"), "{note}");
        assert!(note.contains("@lumenfield.example"), "{note}");
    }
    assert_eq!(
        emails.len() as u64,
        summary["delivered_emails"].as_u64().unwrap()
    );
    for text in &emails {
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap_or_else(|| panic!("no Message-ID in {text}"));
        assert!(
            id.starts_with("<act_") && id.ends_with("@countersign.invalid>"),
            "{id}"
        );
        assert!(text.contains("From: \"Lumenfield Sales\""), "{text}");
    }
}

#[test]
fn a_second_run_recreates_the_demo_instead_of_adding_to_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let first = seed(&dir);
    let second = seed(&dir);
    assert_eq!(first["actions"], second["actions"]);
    assert_eq!(first["audit_records"], second["audit_records"]);
    assert_eq!(first["delivered"], second["delivered"]);
}

#[test]
fn the_demo_never_wipes_a_database_it_did_not_make() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("countersign.db");
    std::fs::write(&db, b"someone's data").unwrap();
    let out = countersign()
        .args(["demo", "--no-serve", "--dir"])
        .arg(tmp.path())
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("was not made by `countersign demo`"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), b"someone's data");
}

#[test]
fn demo_offline_decides_the_shipped_examples() {
    let out = countersign().args(["demo", "--offline"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("held for approval") && text.contains("shadow AI"),
        "{text}"
    );
}

/// Kills the served demo even when an assertion fails.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request; returns the status code and the body.
fn http(addr: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_served_demo_answers_health_the_inbox_and_a_demo_login() {
    let tmp = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("countersign"))
        .args(["demo", "--listen", "127.0.0.1:0", "--dir"])
        .arg(tmp.path().join("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut served = Served(child);
    let stdout = served.0.stdout.take().unwrap();

    // The banner names the bound address; read until it does (or the demo exits).
    let mut addr = None;
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.trim().strip_prefix("Inbox") {
            let url = rest.trim();
            addr = url
                .strip_prefix("http://")
                .and_then(|u| u.strip_suffix("/inbox"))
                .map(str::to_owned);
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("no inbox URL printed:\n{printed}"));
    assert!(printed.contains("maria.chen") && printed.contains("demo-maria-lumenfield"));

    let (status, _) = http(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);

    let (status, page) = http(
        &addr,
        "GET /inbox/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("<form") && page.contains("password"),
        "{page}"
    );

    let body = r#"{"name":"maria.chen","password":"demo-maria-lumenfield"}"#;
    let (status, answer) = http(
        &addr,
        &format!(
            "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(status == 200 || status == 201, "{status}: {answer}");
    assert!(answer.contains("csr_"), "{answer}");

    // The VP approves the deal-desk half of the Acme stage change the manager already
    // approved; the server's own worker writes the released CRM change into the pickup
    // folder.
    let dir = tmp.path().join("demo");
    let out = countersign()
        .args([
            "queue",
            "--format",
            "json",
            "--role",
            "deal_desk",
            "--database-url",
        ])
        .arg(url(&dir))
        .assert()
        .success();
    let waiting = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let crm_change: Value = waiting
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|q| {
            q["kind"] == "crm.opportunity.update"
                && q["missing_roles"] == serde_json::json!(["deal_desk"])
        })
        .unwrap_or_else(|| panic!("no half-approved CRM change waits for deal_desk:\n{waiting}"));
    let action_id = crm_change["action_id"].as_str().unwrap();
    let approval = serde_json::json!({ "revision": crm_change["revision"] }).to_string();
    let body = r#"{"name":"alex.romero","password":"demo-alex-lumenfield"}"#;
    let (_, answer) = http(
        &addr,
        &format!(
            "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let token: Value = serde_json::from_str(&answer).unwrap();
    let token = token["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    let (status, answer) = http(
        &addr,
        &format!(
            "POST /v1/actions/{action_id}/approve HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{approval}",
            approval.len()
        ),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"approved\""), "{answer}");
    let file = dir.join("delivered").join(format!("{action_id}.json"));
    let deadline = Instant::now() + Duration::from_secs(15);
    while !file.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["action_id"], action_id);
    assert_eq!(written["changes"]["changes"]["stage"], "Commit");
}

/// On PostgreSQL the demo seeds an empty database, and refuses one that is not: it never
/// wipes a server database.
#[test]
fn demo_seeds_an_empty_postgresql_database_and_refuses_a_used_one() {
    let Some(database) = TestDatabase::create_blocking(Kind::Postgres, "cs_demo") else {
        return;
    };
    let db = database.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let seeded = |expect_ok: bool| {
        let mut cmd = countersign();
        cmd.args([
            "demo",
            "--no-serve",
            "--format",
            "json",
            "--database-url",
            &db,
            "--dir",
        ])
        .arg(tmp.path());
        if expect_ok {
            let out = cmd.assert().success();
            serde_json::from_slice::<Value>(&out.get_output().stdout).unwrap()
        } else {
            let out = cmd.assert().code(2);
            Value::String(String::from_utf8_lossy(&out.get_output().stderr).into_owned())
        }
    };
    let summary = seeded(true);
    assert!(summary["actions"].as_u64().unwrap() >= 50, "{summary}");
    assert!(summary["held"].as_u64().unwrap() > 0, "{summary}");
    countersign()
        .args(["audit", "verify", "--database-url", &db])
        .assert()
        .success();
    let refused = seeded(false);
    assert!(
        refused.as_str().unwrap().contains("needs an empty one"),
        "{refused}"
    );
    database.drop_blocking();
}
