//! Delivery through the real binary to a real SMTP server (aiosmtpd, from the repo's
//! `.venv`; `scripts/python-tools` creates it): two worker processes draining one outbox
//! never deliver twice, temporary failures are retried and then parked, permanent ones are
//! parked at once. Runs on SQLite and on PostgreSQL (the test kit's databases).

use std::process::{Command, Stdio};

use countersign_testkit::{Kind, SmtpServer, TestDatabase};
use serde_json::Value;

use crate::countersign;

/// The databases to run on: a SQLite file and a fresh PostgreSQL database.
fn databases() -> Vec<TestDatabase> {
    [Kind::Sqlite, Kind::Postgres]
        .into_iter()
        .filter_map(|kind| TestDatabase::create_blocking(kind, "cs_delivery"))
        .collect()
}

fn cs_json(db: &str, args: &[&str], stdin: Option<&str>) -> Vec<Value> {
    let mut cmd = countersign();
    cmd.args(args)
        .args(["--format", "json", "--database-url", db]);
    if let Some(s) = stdin {
        cmd.write_stdin(s.to_owned());
    }
    let out = cmd.assert().success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The tool's API key; the rep its e-mails are on behalf of is registered with it.
fn tool_key(db: &str) -> String {
    cs_json(db, &["reviewers", "add", "sam.rep", "--roles", "rep"], None);
    let added = cs_json(
        db,
        &["tools", "add", "agent", "--kinds", "email.send"],
        None,
    );
    added[0]["api_key"].as_str().unwrap().to_owned()
}

/// `n` routine e-mails, each to its own buyer at its own company, so that no frequency cap
/// holds them; `local` is the recipients' local part (`tempfail` makes the server refuse).
fn emails(n: usize, local: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"kind\": \"email.send\", \"on_behalf_of\": \"sam.rep\", \"payload\": {{\"to\": \"{local}{i}@buyer{i}.example\", \"subject\": \"Agenda {i}\", \"body\": \"Hi, here is the agenda for session {i}.\"}}}}\n"
            )
        })
        .collect()
}

fn deliver(db: &str, smtp: &SmtpServer, worker: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_countersign"));
    cmd.args([
        "deliver",
        "--database-url",
        db,
        "--smtp-host",
        "127.0.0.1",
        "--format",
        "json",
    ])
    .args(["--smtp-port", &smtp.port.to_string(), "--worker-id", worker])
    .args(extra)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

#[test]
fn two_worker_processes_draining_one_outbox_never_deliver_twice() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let mut expected = 0;
    for database in databases() {
        let db = database.url.clone();
        let key = tool_key(&db);
        let proposed = cs_json(
            &db,
            &["propose", "-", "--tool-key", &key],
            Some(&emails(60, "dana")),
        );
        let held: Vec<&Value> = proposed
            .iter()
            .filter(|p| p["decision"] != "allow")
            .collect();
        assert!(held.is_empty(), "not allowed: {:?}", held.first());
        expected += proposed.len();
        let a = deliver(&db, &smtp, "worker-a", &[]).spawn().unwrap();
        let b = deliver(&db, &smtp, "worker-b", &[]).spawn().unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
        let sent = |o: &std::process::Output| -> u64 {
            serde_json::from_slice::<Value>(&o.stdout).unwrap()["sent"]
                .as_u64()
                .unwrap()
        };
        assert_eq!(
            sent(&a) + sent(&b),
            60,
            "{db}: the two workers together send each item once"
        );
        database.drop_blocking();
    }
    let received = smtp.received();
    assert_eq!(received.len(), expected, "one message per released action");
    assert!(
        received.values().all(|n| *n == 1),
        "a message arrived twice: {received:?}"
    );
}

#[test]
fn temporary_failures_are_retried_then_parked_and_permanent_ones_parked_at_once() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    for database in databases() {
        let db = database.url.clone();
        let key = tool_key(&db);
        let temp = cs_json(
            &db,
            &["propose", "-", "--tool-key", &key],
            Some(&emails(1, "tempfail")),
        );
        let perm = cs_json(
            &db,
            &["propose", "-", "--tool-key", &key],
            Some(&emails(1, "permfail")),
        );
        let out = deliver(
            &db,
            &smtp,
            "w",
            &["--max-attempts", "3", "--backoff-secs", "0"],
        )
        .output()
        .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "parked items make deliver exit 1: {out:?}"
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["parked"], 2, "{report}");
        assert_eq!(
            report["retried"], 2,
            "the temporary failure was tried 3 times: {report}"
        );
        for (proposal, attempts) in [(&temp[0], 3), (&perm[0], 1)] {
            let id = proposal["action_id"].as_str().unwrap();
            let shown = cs_json(&db, &["show", id], None);
            assert_eq!(shown[0]["outbox"]["status"], "failed", "{}", shown[0]);
            assert_eq!(shown[0]["outbox"]["attempts"], attempts);
        }
        let verified = countersign()
            .args(["audit", "verify", "--database-url", &db])
            .assert()
            .success();
        let _ = verified;
        let mut exported = Vec::new();
        let out = countersign()
            .args(["audit", "export", "--database-url", &db])
            .assert()
            .success();
        exported.extend_from_slice(&out.get_output().stdout);
        let events: Vec<String> = String::from_utf8_lossy(&exported)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(events.iter().any(|e| e == "delivery_failure"), "{events:?}");
        assert_eq!(
            events.iter().filter(|e| *e == "parked").count(),
            2,
            "{events:?}"
        );
        database.drop_blocking();
    }
    assert!(smtp.received().is_empty());
}
