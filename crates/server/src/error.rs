//! The server's one error type, [`ApiError`], and its JSON shape:
//! `{"error": {"code": "…", "message": "…", "field": "…" | null}}`.
//!
//! Every failure a client can see goes through here: store errors ([`From<StoreError>`]),
//! rejected JSON bodies, paths and queries ([`ApiJson`], [`ApiPath`], [`ApiQuery`]),
//! authentication, rate limits and timeouts. Database and internal causes are logged with
//! the request's span (which carries the request id) and never sent to the client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use countersign_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// What went wrong, for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when there is one (`payload.to`, `Idempotency-Key`).
    pub field: Option<String>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// One error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `idempotency_conflict`, `precondition_required`, `payload_too_large`,
    /// `unsupported_media_type`, `validation_failed`, `rate_limited`, `timeout`,
    /// `unavailable`, `internal`.
    pub code: String,
    /// What is wrong, in plain words (lowercase, one line).
    pub message: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Names the field at fault.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
        .field(field)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests: retry after {retry_after} s"),
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn timeout() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long and was abandoned: nothing was changed unless a retry with the same idempotency key says so",
        )
    }

    /// An internal failure: `cause` is logged, the client sees a generic message.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error: the request failed on the server (see its log)",
        )
    }

    /// The database cannot be reached or failed: logged, 503 for the client.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "database error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is unavailable: retry later",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    /// Maps the store's errors to statuses in one place: refusals are 403, missing records
    /// 404, state and key conflicts 409, bad input 422, anything else is logged and hidden.
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Invalid { field, problem } => {
                Self::validation(field.clone(), problem.clone())
            }
            StoreError::NotFound { .. } => Self::not_found(e.to_string()),
            StoreError::IdempotencyConflict => Self::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "idempotency key already used for a different action",
            )
            .field("Idempotency-Key"),
            StoreError::NotHeld { .. } => Self::conflict(e.to_string()),
            StoreError::StaleRevision { .. } => Self::conflict(e.to_string()).field("revision"),
            StoreError::Refused(_) => Self::forbidden(e.to_string()),
            StoreError::LeaseLost { .. } => Self::conflict(e.to_string()),
            StoreError::AuditBroken(_) => Self::conflict(e.to_string()),
            StoreError::Policy(p) => Self::validation("policy", p.to_string()),
            StoreError::Url { .. }
            | StoreError::Connect { .. }
            | StoreError::Migrate(_)
            | StoreError::Database(_) => Self::unavailable(&e),
            StoreError::Corrupt(_) => Self::internal(&e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field path; keep it, without the Rust type.
                Self::validation("body", body_problem(&e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => Self::bad_request(format!(
                "body is not valid JSON: {}",
                body_problem(&e.body_text())
            ))
            .field("body"),
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected `Content-Type: application/json`",
            )
            .field("Content-Type"),
            JsonRejection::BytesRejection(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Self::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the request body is over the server's limit",
                    )
                    .field("body")
                } else {
                    Self::bad_request("the request body could not be read").field("body")
                }
            }
            other => Self::bad_request(other.body_text()).field("body"),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::bad_request(format!("path: {}", r.body_text())).field("path")
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request(format!("query: {}", body_problem(&r.body_text()))).field("query")
    }
}

/// axum's rejection texts start with a generic sentence ("Failed to deserialize the JSON
/// body into the target type: "); the useful part follows the last ": " prefix.
fn body_problem(text: &str) -> String {
    let text = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .or_else(|| text.strip_prefix("Failed to parse the request body as JSON: "))
        .or_else(|| text.strip_prefix("Failed to deserialize query string: "))
        .unwrap_or(text);
    text.lines().next().unwrap_or_default().to_owned()
}

/// `Json<T>` whose rejections are [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `Path<T>` whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query<T>` whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_refusals_are_forbidden_and_conflicts_are_409() {
        let e = ApiError::from(StoreError::Refused("reviewer `x` may not approve".into()));
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        let e = ApiError::from(StoreError::IdempotencyConflict);
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(e.field.as_deref(), Some("Idempotency-Key"));
        let e = ApiError::from(StoreError::Invalid {
            field: "payload.to".into(),
            problem: "needs at least one recipient".into(),
        });
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field.as_deref(), Some("payload.to"));
    }

    #[test]
    fn rate_limits_carry_retry_after() {
        let r = ApiError::rate_limited(3).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "3");
    }
}
