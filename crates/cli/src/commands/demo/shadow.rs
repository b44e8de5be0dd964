//! The demo's shadow-AI evidence (issue 14): a sent-mail export with rep mail sent around
//! the gate, through a personal account and by AI tools, a CRM login export and a browser
//! extension inventory, scanned as `countersign scan` would so the inbox's Shadow AI page
//! has a report.

use std::path::Path;

use anyhow::{Context as _, anyhow};
use chrono::Utc;
use countersign_engine::{Gate, Policy};
use countersign_store::Store;

use super::seed::ACTOR;

/// The demo's shadow-AI evidence: a sent-mail export with rep mail sent around the gate and
/// through a personal account, a CRM login export and an extension inventory.
const SHADOW: [(&str, &str); 3] = [
    ("sent.mbox", include_str!("../../../demo/shadow/sent.mbox")),
    (
        "LoginHistory.csv",
        include_str!("../../../demo/shadow/LoginHistory.csv"),
    ),
    (
        "extensions.csv",
        include_str!("../../../demo/shadow/extensions.csv"),
    ),
];

/// Writes the shadow-AI evidence into `dir` and scans it as `countersign scan` would; the
/// report is stored for the inbox's Shadow AI page. Returns the report's rows.
pub async fn scan(store: &Store, dir: &Path, policy: &Policy) -> anyhow::Result<usize> {
    use countersign_scan::run::{self, Inputs};
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    for (name, text) in SHADOW {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    let inputs = Inputs {
        mbox: vec![dir.join("sent.mbox")],
        crm_logins: vec![dir.join("LoginHistory.csv")],
        extensions: vec![dir.join("extensions.csv")],
        ..Inputs::default()
    };
    let report = run::scan(
        store,
        &inputs,
        &countersign_scan::Signatures::shipped(),
        &Gate::new(),
        policy,
        ACTOR,
        Utc::now(),
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    Ok(report.rows.len())
}
