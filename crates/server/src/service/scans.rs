//! Shadow-AI scans for REST and the inbox: the uploaded inputs read against the signature
//! file off the async runtime, the server's sightings added, the report stored and audited.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use countersign_scan::run::{self, Inputs};
use countersign_scan::{Report, Signatures};

use crate::error::ApiError;
use crate::state::AppState;

/// The signature file: `signatures.toml` of `[policy] dir` when it has one, else the shipped.
pub fn signatures(state: &AppState) -> Result<Signatures, ApiError> {
    let Some(dir) = &state.config.policy.dir else {
        return Ok(Signatures::shipped());
    };
    let path = dir.join("signatures.toml");
    if !path.exists() {
        return Ok(Signatures::shipped());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ApiError::internal(&e))?;
    Signatures::parse(&path.display().to_string(), &text)
        .map_err(|e| ApiError::validation("signatures", e.to_string()))
}

/// Runs a scan of `inputs` as `actor` and stores its report.
pub async fn run(state: &AppState, inputs: Inputs, actor: &str) -> Result<Report, ApiError> {
    let signatures = signatures(state)?;
    let known = run::known(&state.store.scan_facts().await?);
    let gate = Arc::clone(&state.gate);
    let policy = state.policy();
    let read_inputs = inputs.clone();
    let mut folder = tokio::task::spawn_blocking(move || {
        run::read(&read_inputs, &known, &signatures, &gate, &policy)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let now = Utc::now();
    run::add_sightings(&state.store, &mut folder, now).await?;
    let report = folder.finish();
    run::save(&state.store, &report, &inputs, actor, now).await?;
    Ok(report)
}

/// Where an uploaded file goes in `dir` by the form field that carried it, and which input
/// list it joins. `None` for a field that is not an input.
pub fn place(
    inputs: &mut Inputs,
    dir: &Path,
    field: &str,
    file_name: &str,
) -> Option<std::path::PathBuf> {
    let path = dir.join(format!("{}-{file_name}", inputs.names().len()));
    match field {
        "mbox" => inputs.mbox.push(path.clone()),
        "eml" => {
            let eml = dir.join("eml");
            if !inputs.eml_dirs.contains(&eml) {
                inputs.eml_dirs.push(eml.clone());
            }
            return Some(eml.join(file_name));
        }
        "crm_logins" => inputs.crm_logins.push(path.clone()),
        "extensions" => inputs.extensions.push(path.clone()),
        _ => return None,
    }
    Some(path)
}
