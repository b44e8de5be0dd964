//! `/v1/audit` (admins): export and verify the hash-chained audit log.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audit/export", get(export))
        .route("/v1/audit/verify", get(verify))
}

/// Export every audit record as JSON Lines, oldest first.
#[utoipa::path(
    get, path = "/v1/audit/export", tag = "audit",
    responses(
        (status = 200, description = "One record per line: `{seq, at, event, action_id, actor, data, prev_hash, hash}`", content_type = "application/x-ndjson", body = String),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.principal.admin()?;
    let mut out = Vec::new();
    state.store.export_audit(&mut out).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out))
}

/// The verdict on the chain.
#[derive(Serialize, ToSchema)]
pub struct VerifyBody {
    /// Whether every record checks out.
    pub intact: bool,
    /// Records checked (intact chains).
    pub records: Option<i64>,
    /// The last record's hash: keep it elsewhere to detect records cut off the end.
    pub head_hash: Option<String>,
    /// The first broken record, when broken.
    pub broken_seq: Option<i64>,
    /// Which check it failed: `seq`, `at`, `data`, `prev_hash` or `hash`.
    pub broken_check: Option<String>,
    pub detail: Option<String>,
}

/// Verify the audit chain: recompute every hash and name the first broken record.
#[utoipa::path(
    get, path = "/v1/audit/verify", tag = "audit",
    responses(
        (status = 200, description = "The verdict (a broken chain is `intact: false`)", body = VerifyBody),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 429, response = crate::openapi::RateLimited),
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<VerifyBody>, ApiError> {
    caller.principal.admin()?;
    match state.store.verify_audit().await {
        Ok(v) => Ok(ApiJson(VerifyBody {
            intact: true,
            records: Some(v.records),
            head_hash: Some(v.head_hash),
            broken_seq: None,
            broken_check: None,
            detail: None,
        })),
        Err(countersign_store::StoreError::AuditBroken(b)) => {
            let check = serde_json::to_value(b.check)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            Ok(ApiJson(VerifyBody {
                intact: false,
                records: None,
                head_hash: None,
                broken_seq: Some(b.seq),
                broken_check: check,
                detail: Some(b.detail),
            }))
        }
        Err(e) => Err(e.into()),
    }
}
