//! Account context for a caller: what the store knows around a contact, opportunity or
//! account, with contact details hidden from tools not cleared for them.

use countersign_store::{AccountContext, ContextQuery};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// Reads the context for a caller (REST and MCP).
pub async fn gather(
    state: &AppState,
    principal: &Principal,
    query: ContextQuery,
) -> Result<AccountContext, ApiError> {
    if query.contact_id.is_none()
        && query.email.is_none()
        && query.opportunity_id.is_none()
        && query.account_id.is_none()
    {
        return Err(ApiError::validation(
            "query",
            "give at least one of contact_id, email, opportunity_id, account_id",
        ));
    }
    let mut ctx = state.store.account_context(&query, 20).await?;
    let cleared = match principal {
        Principal::Tool(t) => t.data_classes.contains("contact_details"),
        Principal::Account(_) => true,
    };
    if !cleared && let Some(contact) = &mut ctx.contact {
        contact.email = None;
        contact.name = None;
    }
    Ok(ctx)
}

/// One deal's context with its summary, for a caller (REST, MCP, the CLI): contact names
/// hidden from tools not cleared for contact details, as above.
pub async fn deal(
    state: &AppState,
    principal: &Principal,
    opportunity_id: &str,
) -> Result<serde_json::Value, ApiError> {
    let Some(mut ctx) = state.store.deal_context(opportunity_id).await? else {
        return Err(ApiError::not_found(format!(
            "opportunity `{opportunity_id}` not found"
        )));
    };
    let cleared = match principal {
        Principal::Tool(t) => t.data_classes.contains("contact_details"),
        Principal::Account(_) => true,
    };
    if !cleared {
        for m in &mut ctx.committee {
            m.name = None;
        }
    }
    let summary = ctx.summary(chrono::Utc::now().date_naive());
    Ok(serde_json::json!({"summary": summary, "facts": ctx}))
}
