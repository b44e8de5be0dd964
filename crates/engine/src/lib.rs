//! Countersign's decision engine: `decide(&Action, &Context, &Policy, now) -> DecisionRecord`.
//!
//! Pure by design: no I/O, no async runtime, no clock, no randomness, no logging. Callers
//! pass the time and the policy; the engine returns findings and reasons instead of logging
//! them. Everything else in the workspace depends on this crate, never the reverse.
//!
//! - [`action`], [`context`]: what is proposed and what is known around it (DESIGN §2).
//! - [`detect`]: detectors turn text and context into [`Finding`]s.
//! - [`policy`]: the TOML rules and Cedar authorization, versioned by content hash.
//! - [`gate`]: findings + policy + guards → [`DecisionRecord`], failing closed.

pub mod action;
pub mod assess;
pub mod context;
pub mod decision;
pub mod detect;
pub mod finding;
pub mod gate;
pub mod guards;
pub mod knowledge;
pub mod names;
pub mod payload;
pub mod policy;
pub mod reason;
pub mod review;
pub mod service_level;
pub mod simulate;
pub mod specificity;
pub mod tier;
pub mod triage;
pub mod withhold;

pub use action::{Action, ActionError, ActionKind, EmailAddress, IdempotencyKey, Payload};
pub use context::Context;
pub use decision::{Decision, DecisionRecord};
pub use finding::{Category, Finding};
pub use gate::{Gate, decide};
pub use policy::{Policy, PolicyVersion};
pub use reason::Reason;
pub use tier::Tier;
