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
