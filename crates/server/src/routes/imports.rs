//! `POST /v1/imports` (admins): a CRM export uploaded as multipart form data — a `crm`
//! field (`salesforce` or `hubspot`), the CSV files, and optionally a `mapping` file —
//! imported like `countersign import`. Files are streamed to a private temporary directory
//! (never held in memory) and read from there; the answer is the import's report.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::routing::post;
use chrono::Utc;
use countersign_import::{Mapping, Report, Source, import_dir};
use tokio::io::AsyncWriteExt;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

pub const PATH: &str = "/v1/imports";

/// The largest upload: a whole export.
const LIMIT: usize = 2 * 1024 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(import).layer(DefaultBodyLimit::max(LIMIT)))
}

/// Import a CRM export (multipart: `crm`, CSV files, optional `mapping`).
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> Result<ApiJson<Report>, ApiError> {
    let admin = caller.principal.admin()?;
    let dir = tempfile::tempdir().map_err(|e| ApiError::internal(&e))?;
    let mut source = None;
    let mut mapping = Mapping::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!(
            "body: not a complete multipart upload: {}",
            e.body_text()
        ))
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "crm" => {
                let text = field.text().await.map_err(bad)?;
                source = Some(match text.trim() {
                    "salesforce" => Source::Salesforce,
                    "hubspot" => Source::Hubspot,
                    other => {
                        return Err(ApiError::validation(
                            "crm",
                            format!("`{other}` is not salesforce or hubspot"),
                        ));
                    }
                });
            }
            "mapping" => {
                let text = field.text().await.map_err(bad)?;
                mapping = Mapping::parse(&text).map_err(|e| ApiError::validation("mapping", e))?;
            }
            _ => {
                // Only the file's own name, never a path from the client.
                let file_name = field
                    .file_name()
                    .and_then(|n| std::path::Path::new(n).file_name())
                    .and_then(|n| n.to_str())
                    .filter(|n| n.to_ascii_lowercase().ends_with(".csv"))
                    .ok_or_else(|| {
                        ApiError::validation(
                            name.clone(),
                            "each file must be a .csv with a file name",
                        )
                    })?
                    .to_owned();
                let mut out = tokio::fs::File::create(dir.path().join(&file_name))
                    .await
                    .map_err(|e| ApiError::internal(&e))?;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| ApiError::internal(&e))?;
                }
                out.flush().await.map_err(|e| ApiError::internal(&e))?;
            }
        }
    }
    let source =
        source.ok_or_else(|| ApiError::validation("crm", "missing: salesforce or hubspot"))?;
    let report = import_dir(
        &state.store,
        source,
        dir.path(),
        &mapping,
        &format!("reviewer:{}", admin.name),
        Utc::now(),
        |_, _| {},
    )
    .await
    .map_err(|e| ApiError::unavailable(&e))?;
    Ok(ApiJson(report))
}
