//! A client generated from `/openapi.json` (openapi-python-client, in the tools venv)
//! proposes an e-mail and a CRM update with its generated types and reads both back: the
//! document describes what the server accepts and answers, well enough for a typed client.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{Kind, TestApp, python, repo_root};

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn a_generated_client_proposes_an_email_and_a_crm_update(kind: Kind) {
    let Some(python) = python() else { return };
    let Some(app) = TestApp::spawn(kind).await else {
        return;
    };
    let key = app.tool("generated-client").await;
    let document = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    let document = document.text().await.unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("openapi.json"), document).unwrap();
    let generator = python.with_file_name("openapi-python-client");
    let script = repo_root().join("scripts/support/generated_client.py");
    let dir = work.path().to_path_buf();
    let base = app.base.clone();
    let seen = tokio::task::spawn_blocking(move || {
        run(
            Command::new(generator)
                .current_dir(&dir)
                .args(["generate", "--path", "openapi.json", "--meta", "none"])
                .args(["--output-path", "countersign_client"]),
            "openapi-python-client generate",
        );
        run(
            Command::new(python)
                .arg(script)
                .arg(&dir)
                .args([&base, &key]),
            "generated_client.py",
        )
    })
    .await
    .unwrap();
    let line = seen.lines().last().unwrap_or_default();
    let seen: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {seen}"));
    assert_eq!(seen["email"]["status_code"], 201, "{seen}");
    assert_eq!(seen["email"]["decision"], "allow", "{seen}");
    assert_eq!(seen["email"]["kind"], "email.send", "{seen}");
    assert_eq!(
        seen["email"]["payload"]["to"],
        json!(["dana@acme.example"]),
        "{seen}"
    );
    assert_eq!(seen["crm"]["status_code"], 201, "{seen}");
    assert_eq!(seen["crm"]["decision"], "hold", "{seen}");
    assert_eq!(seen["crm"]["kind"], "crm.opportunity.update", "{seen}");
    assert_eq!(
        seen["crm"]["payload"]["changes"]["stage"], "Negotiation",
        "{seen}"
    );
    app.stop().await;
}
api_test!(a_generated_client_proposes_an_email_and_a_crm_update);
