//! What REST, MCP, the inbox and the group committer all do, written once. Handler files
//! (`routes/`, `mcp.rs`, `inbox/`) only translate their protocol to these calls and back;
//! the service calls the store and the engine's deadline, and never imports a handler.

pub mod actions;
pub mod context;
pub mod drafts;
pub mod scans;
pub mod sessions;
pub mod simulate;
pub mod triage;
