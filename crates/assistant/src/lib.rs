//! The follow-up assistant's writers (issue 13, DESIGN §1): given a [`Brief`] — one deal's
//! facts as the assistant's tool grant may see them, the rep's intent and the approved
//! knowledge — a writer returns a [`Draft`] with the sources it used. Two writers sit
//! behind one interface ([`Writer`]): the shipped templates (offline, deterministic) and
//! any OpenAI-compatible chat-completions endpoint.
//!
//! A writer only writes. Its draft is then proposed through the gate like any agent's, so
//! nothing a model returns can loosen a decision: model text is untrusted input.

pub mod brief;
pub mod chat;
pub mod templates;

pub use brief::{Brief, Deal, Fact, Knowledge, Person};
pub use chat::{ChatConfig, ChatWriter};
pub use templates::TemplateWriter;

use countersign_engine::action::Source;
use serde::Serialize;

/// What a writer returns: a subject, a body and the sources the text was written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub subject: String,
    pub body: String,
    /// Each fact and knowledge entry the draft used, with the excerpt.
    pub sources: Vec<Source>,
    /// Which writer wrote it: `template:recap`, `model:llama3.1`, …
    pub writer: String,
}

/// Why a writer gave no draft. Every variant names what failed; none is a panic.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("template `{name}`: {problem}")]
    Template { name: String, problem: String },
    #[error("the model endpoint could not be reached or failed: {0}")]
    Endpoint(String),
    #[error("the model did not answer within {0} s")]
    Timeout(u64),
    #[error("the model's answer is not a draft: {0}")]
    Malformed(String),
}

/// The writer a deployment configured: one interface over both kinds.
pub enum Writer {
    Templates(TemplateWriter),
    Chat(ChatWriter),
}

impl Writer {
    pub async fn write(&self, brief: &Brief) -> Result<Draft, WriteError> {
        match self {
            Writer::Templates(t) => t.write(brief),
            Writer::Chat(c) => c.write(brief).await,
        }
    }

    /// `templates` or `model:NAME`, for the audit record and the item page.
    pub fn name(&self) -> String {
        match self {
            Writer::Templates(_) => "templates".to_owned(),
            Writer::Chat(c) => format!("model:{}", c.model()),
        }
    }
}
