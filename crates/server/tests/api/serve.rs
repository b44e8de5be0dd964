//! The `countersign serve` binary: configuration from a file, the environment and flags
//! (later wins), the bound address on stdout, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::helpers::countersign_binary;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn countersign_serve_layers_its_configuration_and_stops_on_sigterm() {
    let Some(bin) = tokio::task::spawn_blocking(countersign_binary)
        .await
        .unwrap()
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("countersign.toml");
    // The file says one port, the environment another, the flag wins.
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:1\"\n[log]\nformat = \"json\"\n",
    )
    .unwrap();
    let mut child = Command::new(&bin)
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .env("COUNTERSIGN_SERVER__LISTEN", "127.0.0.1:2")
        .env(
            "COUNTERSIGN_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("cs.db").display()),
        )
        .env("COUNTERSIGN_SERVER__REQUEST_TIMEOUT_MS", "4000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let health: serde_json::Value = reqwest::get(format!("{base}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["database"], "ok");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs = String::from_utf8_lossy(&out.stderr);
    // JSON logs (from the file), and the shutdown was the graceful one.
    assert!(logs.lines().all(|l| l.starts_with('{')), "{logs}");
    assert!(logs.contains("\"stopped\""), "{logs}");

    // An unknown key fails at start, naming it.
    let bad = Command::new(&bin)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("COUNTERSIGN_SERVER__LISTN", "x")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("listn"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
