//! Delivery through the real binary to a real SMTP server (aiosmtpd, from the repo's
//! `.venv`; `scripts/python-tools` creates it): two worker processes draining one outbox
//! never deliver twice, temporary failures are retried and then parked, permanent ones are
//! parked at once. Runs on SQLite, and on PostgreSQL when `COUNTERSIGN_TEST_POSTGRES_URL`
//! names a server (under `CI` its absence fails the test).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::countersign;

/// The test SMTP server: a child process writing a Maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts the SMTP server, or `None` (outside CI) when the Python tools are missing.
fn smtp_server() -> Option<SmtpServer> {
    let python = repo().join(".venv/bin/python");
    if !python.exists() {
        assert!(
            std::env::var_os("COUNTERSIGN_SKIP_SMTP").is_some(),
            "missing: the Python tools venv with aiosmtpd (run scripts/python-tools, or set \
             COUNTERSIGN_SKIP_SMTP=1 to skip)"
        );
        eprintln!("note: skipping SMTP delivery tests, run scripts/python-tools first");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let mut child = Command::new(python)
        .arg(repo().join("scripts/support/smtp_server.py"))
        .arg(&maildir)
        .arg("0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("READY ")
        .expect("smtp server did not start")
        .parse()
        .unwrap();
    Some(SmtpServer {
        child,
        port,
        maildir,
        _dir: dir,
    })
}

impl SmtpServer {
    /// Message-ID → number of copies received.
    fn received(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        let new = self.maildir.join("new");
        for entry in std::fs::read_dir(new).into_iter().flatten() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or("(none)")
                .trim()
                .to_owned();
            *out.entry(id).or_insert(0) += 1;
        }
        out
    }
}

/// The databases to run on: a SQLite file, plus a fresh PostgreSQL database if configured.
fn databases(dir: &Path) -> Vec<String> {
    let mut out = vec![format!("sqlite://{}", dir.join("delivery.db").display())];
    match std::env::var("COUNTERSIGN_TEST_POSTGRES_URL") {
        Ok(server) => {
            let name = format!("delivery_{}_{}", std::process::id(), fastrand_suffix());
            let status = Command::new("psql")
                .args([
                    server.as_str(),
                    "-q",
                    "-c",
                    &format!("CREATE DATABASE {name}"),
                ])
                .status()
                .expect("psql runs");
            assert!(status.success(), "could not create database {name}");
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            out.push(format!("{base}/{name}"));
        }
        Err(_) => assert!(
            std::env::var_os("COUNTERSIGN_SKIP_POSTGRES").is_some(),
            "missing: COUNTERSIGN_TEST_POSTGRES_URL (run under scripts/with-postgres, or set \
             COUNTERSIGN_SKIP_POSTGRES=1 to skip)"
        ),
    }
    out
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 % 1_000_000_007)
        .unwrap_or(0)
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
    let Some(smtp) = smtp_server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut expected = 0;
    for db in databases(dir.path()) {
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
    let Some(smtp) = smtp_server() else { return };
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
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
    }
    assert!(smtp.received().is_empty());
}
