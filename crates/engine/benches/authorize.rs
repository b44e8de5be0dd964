//! Cedar authorization and full decisions, measured with criterion.
//! Run: `cargo bench -p countersign-engine --bench authorize`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use countersign_engine::context::Context;
use countersign_engine::policy::{Principal, ProposalFacts, Verb};
use countersign_engine::{Action, Gate, Policy};
use criterion::{Criterion, criterion_group, criterion_main};

fn authorization(c: &mut Criterion) {
    let policy = Policy::default_policy();
    let kinds: BTreeSet<String> = ["email.send".to_owned(), "crm.note.create".to_owned()].into();
    let roles: BTreeSet<String> = ["deal_desk".to_owned()].into();
    let reviewer_roles: BTreeSet<String> = ["deal_desk".to_owned(), "manager".to_owned()].into();
    let facts = ProposalFacts {
        id: "a-1",
        kind: "email.send",
        tool: "sequencer-ai",
        on_behalf_of: "sam.rep",
        protected: true,
        required_roles: &roles,
    };
    c.bench_function("cedar_tool_may_propose", |b| {
        let tool = Principal::Tool {
            name: "sequencer-ai",
            kinds: &kinds,
            registered: true,
        };
        b.iter(|| policy.authz.authorize(&tool, Verb::Propose, &facts));
    });
    c.bench_function("cedar_reviewer_may_approve", |b| {
        let reviewer = Principal::Reviewer {
            name: "dee.desk",
            roles: &reviewer_roles,
        };
        b.iter(|| policy.authz.authorize(&reviewer, Verb::Approve, &facts));
    });
}

fn decision(c: &mut Criterion) {
    let policy = Policy::default_policy();
    let gate = Gate::new();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-07T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let body = "Hi Dana,\n\nThanks for the call today. As discussed, we can do 15% off the annual licence if you \
                sign by Friday, and all data stays encrypted at rest in our Frankfurt data center.\n\n\
                Best regards,\nSam Seller\n+1 415 555 0100";
    let action = Action::email("a-1", "Follow-up", body);
    c.bench_function("decide_typical_email", |b| {
        b.iter(|| gate.decide(&action, &Context::default(), policy, now));
    });
}

criterion_group!(benches, authorization, decision);
criterion_main!(benches);
