//! The official Python MCP SDK (`mcp` 2.3.0, in the tools venv) against both transports:
//! stdio (`countersign mcp`, started by the SDK) and streamable HTTP at `/mcp`. The client
//! script (`scripts/support/mcp_client.py`) initializes, lists the tools, proposes an
//! e-mail that is allowed and one that is held, and reads both decisions back.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Kind, TestApp, countersign_binary, python, repo_root};

fn run_client(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "mcp_client.py failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn check(seen: &Value) {
    assert_eq!(seen["server"], "countersign");
    assert_eq!(seen["proposals"]["allowed"]["decision"], "allow");
    assert_eq!(seen["proposals"]["allowed"]["status"], "allowed");
    assert_eq!(seen["proposals"]["held"]["decision"], "hold");
    assert_eq!(seen["proposals"]["held"]["status"], "held");
    assert_eq!(
        seen["proposals"]["held"]["roles"],
        serde_json::json!(["deal_desk"])
    );
}

async fn the_python_sdk_talks_to_mcp_over_http(kind: Kind) {
    let Some(python) = python() else { return };
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("mcp-agent").await;
    // Without a key the endpoint refuses before MCP starts.
    let anon = app
        .client
        .post(format!("{}/mcp", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let script = repo_root().join("scripts/support/mcp_client.py");
    let url = format!("{}/mcp", app.base);
    let seen = tokio::task::spawn_blocking(move || {
        run_client(Command::new(python).arg(script).args(["http", &url, &key]))
    })
    .await
    .unwrap();
    check(&seen);
    // What the client proposed is in the store like any REST proposal.
    let id = seen["proposals"]["held"]["action_id"].as_str().unwrap();
    let view = app.get(&format!("/v1/actions/{id}"), &app.admin).await;
    assert_eq!(view.body["tool"], "mcp-agent");
    app.stop().await;
}
api_test!(the_python_sdk_talks_to_mcp_over_http);

async fn the_python_sdk_talks_to_countersign_mcp_over_stdio(kind: Kind) {
    let Some(python) = python() else { return };
    let Some(bin) = tokio::task::spawn_blocking(countersign_binary)
        .await
        .unwrap()
    else {
        return;
    };
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("stdio-agent").await;
    let script = repo_root().join("scripts/support/mcp_client.py");
    let url = app.database_url.clone();
    let seen = tokio::task::spawn_blocking(move || {
        run_client(
            Command::new(python)
                .arg(script)
                .arg("stdio")
                .arg(bin)
                .arg("mcp")
                .env("COUNTERSIGN_TOOL_KEY", key)
                .env("COUNTERSIGN_DATABASE_URL", url),
        )
    })
    .await
    .unwrap();
    check(&seen);
    let id = seen["proposals"]["allowed"]["action_id"].as_str().unwrap();
    let view = app.get(&format!("/v1/actions/{id}"), &app.admin).await;
    assert_eq!(view.body["tool"], "stdio-agent");
    assert_eq!(view.body["outbox"]["status"], "pending");
    app.stop().await;
}
api_test!(the_python_sdk_talks_to_countersign_mcp_over_stdio);
