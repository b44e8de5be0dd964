//! The OpenAPI 3.1 document served at `/openapi.json`, generated from the handlers'
//! `#[utoipa::path]` annotations and the response types, plus the error responses every
//! endpoint shares (all with the one error shape, [`ErrorBody`]).

#![allow(
    dead_code,
    reason = "response types exist for the document; they are never built"
)]

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToResponse};

use crate::error::ErrorBody;
use crate::routes;

/// Malformed request: the body is not JSON, or a path or query value cannot be read.
#[derive(ToResponse)]
#[response(description = "Malformed request: not JSON, or a bad path or query value")]
pub struct BadRequest(ErrorBody);

/// No valid bearer token.
#[derive(ToResponse)]
#[response(
    description = "Missing or invalid bearer token",
    headers(("WWW-Authenticate" = String, description = "`Bearer`"))
)]
pub struct Unauthorized(ErrorBody);

/// Authenticated, but not allowed.
#[derive(ToResponse)]
#[response(description = "Not allowed for this caller (role, ownership, separation of duties)")]
pub struct Forbidden(ErrorBody);

/// No such record (or not visible to this tool).
#[derive(ToResponse)]
#[response(description = "Not found")]
pub struct NotFound(ErrorBody);

/// The state does not allow it.
#[derive(ToResponse)]
#[response(
    description = "Conflict: not held any more, already exists, or an idempotency key reused for another action"
)]
pub struct Conflict(ErrorBody);

/// A precondition the request must carry.
#[derive(ToResponse)]
#[response(description = "Precondition required: say which revision you reviewed")]
pub struct PreconditionRequired(ErrorBody);

/// Body over the limit.
#[derive(ToResponse)]
#[response(description = "The request body is over the server's limit")]
pub struct TooLarge(ErrorBody);

/// Not JSON.
#[derive(ToResponse)]
#[response(description = "The body must be `application/json`")]
pub struct UnsupportedMediaType(ErrorBody);

/// Valid JSON, invalid content.
#[derive(ToResponse)]
#[response(description = "Invalid content: `field` names what is wrong")]
pub struct Invalid(ErrorBody);

/// Rate limited.
#[derive(ToResponse)]
#[response(
    description = "Too many requests for this key, account or address",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct RateLimited(ErrorBody);

/// Database down or request too slow.
#[derive(ToResponse)]
#[response(
    description = "The database is unavailable or the request took too long; retry with the same Idempotency-Key"
)]
pub struct Unavailable(ErrorBody);

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Countersign",
        description = "The governance gate between AI and buyers. Tools propose actions with their API key; the gate decides allow, hold, draft_only or deny, records everything in a hash-chained audit log, and holds protected moments for the right human. Reviewers and admins log in with POST /v1/sessions. Every error is `{\"error\": {\"code\", \"message\", \"field\"}}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        routes::actions::propose,
        routes::actions::read,
        routes::actions::approve,
        routes::actions::edit,
        routes::actions::reject,
        routes::queue::queue,
        routes::sessions::login,
        routes::sessions::logout,
        routes::sessions::me,
        routes::accounts::list,
        routes::accounts::create,
        routes::accounts::set_password,
        routes::accounts::set_chat,
        routes::triage::list,
        routes::drafts::create,
        routes::opportunities::context,
        routes::tools::list,
        routes::tools::create,
        routes::tools::revoke,
        routes::policy::read,
        routes::policy::validate,
        routes::policy::activate,
        routes::policy::check,
        routes::policy::simulate,
        routes::audit::export,
        routes::audit::verify,
        routes::contacts::read,
        routes::contacts::upsert,
        routes::opportunities::read,
        routes::opportunities::upsert,
        routes::suppressions::list,
        routes::suppressions::add,
        routes::context::context,
        routes::health::ready,
        routes::health::live,
        routes::health::metrics,
    ),
    components(schemas(ErrorBody, crate::error::ErrorDetail), responses(
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionRequired, TooLarge,
        UnsupportedMediaType, Invalid, RateLimited, Unavailable
    )),
    modifiers(&Bearer),
    tags(
        (name = "actions", description = "Propose actions and read decisions"),
        (name = "reviews", description = "The approval queue: approve, edit, reject"),
        (name = "sessions", description = "Log in and out"),
        (name = "accounts", description = "Reviewer and admin accounts (admins)"),
        (name = "tools", description = "The tool registry and API keys (admins)"),
        (name = "policy", description = "The active policy; validate and activate (admins)"),
        (name = "audit", description = "The hash-chained audit log (admins)"),
        (name = "crm", description = "Contacts, opportunities, suppressions, account context"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme: a tool's API key or a session token.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A tool's API key (`cs_…`) or a session token from POST /v1/sessions (`csr_…`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use countersign_engine::Action;
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::document()).unwrap_or_default()
    }

    #[test]
    fn propose_request_is_one_of_by_kind_and_every_example_parses() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let request = &schemas["ProposeRequest"];
        assert_eq!(
            request["discriminator"]["propertyName"], "kind",
            "{request}"
        );
        let variants = request["oneOf"].as_array().cloned().unwrap_or_default();
        assert_eq!(variants.len(), 3, "{request}");
        for (kind, reference) in request["discriminator"]["mapping"]
            .as_object()
            .cloned()
            .unwrap_or_default()
        {
            let name = reference
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            let variant = &schemas[name];
            assert!(
                variant["properties"]["kind"]["enum"]
                    .as_array()
                    .is_some_and(|kinds| kinds.contains(&Value::from(kind.clone()))),
                "{kind} → {variant}"
            );
            for example in variant["examples"].as_array().cloned().unwrap_or_default() {
                if let Err(e) = Action::from_json(&example) {
                    panic!("the {name} example does not parse: {e}");
                }
            }
        }
        for payload in [
            "EmailPayload",
            "OpportunityUpdate",
            "TextPayload",
            "Target",
            "Source",
        ] {
            assert_eq!(
                schemas[payload]["additionalProperties"], false,
                "{payload}: {}",
                schemas[payload]
            );
        }
        assert!(
            schemas["EmailPayload"]["required"]
                .as_array()
                .is_some_and(|r| r.contains(&Value::from("body"))),
            "{}",
            schemas["EmailPayload"]
        );
    }

    #[test]
    #[ignore = "prints the document, for a look by hand"]
    fn print() {
        println!("{:#}", document());
    }
}
