//! What a writer is given. The server fills it from the deal's context, already cut down
//! to what the assistant's tool grant may see, so a writer cannot leak what it never had.

use chrono::NaiveDate;
use countersign_engine::action::Source;
use serde::Serialize;

/// Everything a writer may use for one draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Brief {
    /// What the rep wants, in their words ("recap the demo and confirm the pilot").
    pub intent: String,
    pub deal: Deal,
    /// Who the message is for (the buyer contact), when known.
    pub recipient: Option<Person>,
    /// The rep it goes out as.
    pub sender: Option<String>,
    /// CRM records, activities and earlier messages, newest first, each citable.
    pub facts: Vec<Fact>,
    /// Approved, unexpired knowledge-base entries the draft may quote.
    pub knowledge: Vec<Knowledge>,
}

/// The opportunity as the CRM has it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Deal {
    pub opportunity_id: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    pub next_step: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Person {
    /// `None` when the grant does not cover contact details.
    pub name: Option<String>,
    pub title: Option<String>,
}

impl Person {
    /// The first name to greet, when the name is known.
    pub fn first_name(&self) -> Option<&str> {
        self.name.as_deref()?.split_whitespace().next()
    }
}

/// One citable fact: where it lives and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// `crm` (an opportunity or account field), `activity`, `email` (an earlier message).
    pub kind: String,
    /// The record's id, so a reviewer can find it: `006O…`, `00T…`, `act_…`.
    pub reference: String,
    /// What it says, as short as it can be.
    pub text: String,
}

impl Fact {
    pub fn source(&self) -> Source {
        Source {
            kind: self.kind.clone(),
            reference: self.reference.clone(),
            excerpt: self.text.clone(),
            approved: false,
        }
    }
}

/// An approved answer a draft may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Knowledge {
    pub id: String,
    pub title: String,
    /// The objection topic it answers: `security`, `sla`, `data_residency`, …
    pub topic: String,
    /// The approved answer (Markdown).
    pub body: String,
}

impl Knowledge {
    pub fn source(&self, excerpt: &str) -> Source {
        Source {
            kind: "kb".to_owned(),
            reference: self.id.clone(),
            excerpt: excerpt.to_owned(),
            approved: true,
        }
    }
}
