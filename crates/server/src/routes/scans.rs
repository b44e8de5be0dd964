//! `POST /v1/scans` (admins): a shadow-AI scan of uploaded files — multipart fields `mbox`,
//! `eml` (one or more `.eml` files), `crm_logins` and `extensions`, each a file — read like
//! `countersign scan`, with the server's sightings of unknown keys. Files are streamed to a
//! private temporary directory. The answer is the report; `GET /v1/scans/latest` returns
//! the newest one (admins, managers, security and legal).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::routing::{get, post};
use countersign_scan::Report;
use countersign_scan::run::Inputs;
use tokio::io::AsyncWriteExt;

use crate::auth::{Caller, Principal};
use crate::error::{ApiError, ApiJson};
use crate::service::scans;
use crate::state::AppState;

/// The largest upload: a mailbox export.
const LIMIT: usize = 4 * 1024 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/scans", post(scan).layer(DefaultBodyLimit::max(LIMIT)))
        .route("/v1/scans/latest", get(latest))
}

/// Reads a multipart upload's files into `dir`, by field, and its `csrf` field (the inbox's
/// form carries one). Shared with the inbox.
pub async fn receive(
    form: &mut Multipart,
    dir: &std::path::Path,
) -> Result<(Inputs, String), ApiError> {
    let mut inputs = Inputs::default();
    let mut csrf = String::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!(
            "body: not a complete multipart upload: {}",
            e.body_text()
        ))
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf" {
            csrf = field.text().await.map_err(bad)?;
            continue;
        }
        // Only the file's own name, never a path from the client.
        let file_name = field
            .file_name()
            .and_then(|n| std::path::Path::new(n).file_name())
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let Some(file_name) = file_name else {
            if field.bytes().await.map_err(bad)?.is_empty() {
                continue;
            }
            return Err(ApiError::validation(
                name,
                "must be a file with a file name",
            ));
        };
        let Some(path) = scans::place(&mut inputs, dir, &name, &file_name) else {
            return Err(ApiError::validation(
                name,
                "not an input: use mbox, eml, crm_logins or extensions",
            ));
        };
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| ApiError::internal(&e))?;
        }
        let mut out = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            out.write_all(&chunk)
                .await
                .map_err(|e| ApiError::internal(&e))?;
        }
        out.flush().await.map_err(|e| ApiError::internal(&e))?;
    }
    Ok((inputs, csrf))
}

/// Scan uploaded mail, CRM exports and extension inventories for shadow AI.
pub async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> Result<ApiJson<Report>, ApiError> {
    let admin = caller.principal.admin()?;
    let dir = tempfile::tempdir().map_err(|e| ApiError::internal(&e))?;
    let (inputs, _) = receive(&mut form, dir.path()).await?;
    let report = scans::run(&state, inputs, &format!("reviewer:{}", admin.name)).await?;
    Ok(ApiJson(report))
}

/// The newest scan's report.
pub async fn latest(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<serde_json::Value>, ApiError> {
    may_read(&caller.principal)?;
    match state.store.latest_scan().await? {
        Some(s) => Ok(ApiJson(serde_json::json!({
            "scan_id": s.scan_id, "created_at": s.created_at, "actor": s.actor, "report": s.report,
        }))),
        None => Err(ApiError::not_found("no scan has run yet")),
    }
}

/// Those who may read the audit log read scan reports: admins, managers, security, legal.
pub fn may_read(principal: &Principal) -> Result<(), ApiError> {
    match principal {
        Principal::Account(a) if crate::inbox::audit::may_see(a) => Ok(()),
        _ => Err(ApiError::forbidden(
            "scan reports are for admins, managers, security and legal",
        )),
    }
}
