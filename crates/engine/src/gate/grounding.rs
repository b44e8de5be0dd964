//! What an e-mail says measured against what the store knows (issue 13): its claims against
//! the approved knowledge, and whether it says anything specific to the deal it belongs
//! to. Both read only the seller's own words (quoted text is the buyer's) and run after the
//! model's judgement, which neither can loosen.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::action::{Action, ActionKind, Payload};
use crate::context::Context;
use crate::detect::claims::{self, Support};
use crate::detect::{Document, normalize};
use crate::finding::{Category, Finding};
use crate::policy::Policy;
use crate::reason::Reason;
use crate::specificity;

/// Rule ids of claim findings: their reasons are their own, not the category's.
pub(super) const UNSUPPORTED: &str = "unsupported_claim";
pub(super) const CONTRADICTED: &str = "contradicted_claim";

/// Findings and the reasons that go with the claim findings.
#[derive(Default)]
pub(super) struct Grounding {
    pub findings: Vec<Finding>,
    pub reasons: Vec<Reason>,
}

pub(super) fn check(
    action: &Action,
    ctx: &Context,
    policy: &Policy,
    today: NaiveDate,
) -> Grounding {
    let mut out = Grounding::default();
    let kind = action.kind.as_str();
    let Payload::Email(email) = &action.payload else {
        return out;
    };
    if kind != ActionKind::EMAIL_SEND && kind != ActionKind::EMAIL_DRAFT {
        return out;
    }
    let body = normalize::normalize(&email.body);
    let inbound = email
        .in_reply_to
        .as_ref()
        .map(|m| normalize::normalize(&m.text));
    let doc = Document::new(
        "body",
        &body.text,
        inbound.as_ref().map(|n| n.text.as_str()),
    );

    claims_in(&doc, &body, ctx, policy, today, &mut out);

    if ctx.history.same_text_recipients >= policy.config.sequences.min_recipients {
        out.findings.push(Finding {
            category: Category::Generic,
            subtopic: "sequence".to_owned(),
            start: 0,
            end: 0,
            field: "body".to_owned(),
            evidence: format!(
                "the same text to {} buyers within {} h",
                ctx.history.same_text_recipients, policy.config.sequences.window_hours
            ),
            confidence: 1.0,
            rule: "generic.sequence".to_owned(),
        });
    }
    if let Some(deal) = ctx.deal.as_ref().filter(|d| d.open) {
        let own: Vec<&str> = doc.own().map(|s| &body.text[s.range.clone()]).collect();
        if !specificity::is_specific(
            &own.join("\n"),
            deal,
            inbound.as_ref().map(|n| n.text.as_str()),
        ) {
            out.findings.push(Finding {
                category: Category::Generic,
                subtopic: "no_specifics".to_owned(),
                start: 0,
                end: 0,
                field: "body".to_owned(),
                evidence: format!(
                    "names nothing of {}: no company, question or next step of theirs",
                    deal.account.as_deref().unwrap_or("this buyer's deal")
                ),
                confidence: 1.0,
                rule: "generic.no_specifics".to_owned(),
            });
        }
    }
    out
}

/// Each claim in the seller's own words, once, against the approved knowledge.
fn claims_in(
    doc: &Document<'_>,
    body: &normalize::Normalized,
    ctx: &Context,
    policy: &Policy,
    today: NaiveDate,
    out: &mut Grounding,
) {
    let mut seen = BTreeSet::new();
    let objection = policy.config.categories.get(&Category::Objection);
    for claim in claims::extract(doc.text) {
        if doc.is_quoted(claim.start) || !seen.insert((claim.kind, claim.value.clone())) {
            continue;
        }
        let range = body.original_range(claim.start..claim.end);
        let mut finding = Finding {
            category: Category::Objection,
            subtopic: claim.topic.to_owned(),
            start: range.start,
            end: range.end,
            field: "body".to_owned(),
            evidence: claim.text.clone(),
            confidence: 0.9,
            rule: String::new(),
        };
        let mut roles: BTreeSet<String> = objection
            .map(|r| r.roles_for(claim.topic).clone())
            .unwrap_or_default();
        match claims::check(&claim, &ctx.knowledge, today) {
            Support::Supported { entry, excerpt } => {
                out.reasons.push(Reason::ClaimSupported {
                    claim: claim.text,
                    entry: entry.id.clone(),
                    excerpt,
                });
                continue;
            }
            Support::Contradicted { entry, says, .. } => {
                roles.insert(entry.owner.clone());
                finding.rule = CONTRADICTED.to_owned();
                out.reasons.push(Reason::ClaimContradicted {
                    claim: claim.text,
                    entry: entry.id.clone(),
                    says,
                    roles,
                });
            }
            Support::Unsupported => {
                finding.rule = UNSUPPORTED.to_owned();
                out.reasons.push(Reason::ClaimUnsupported {
                    claim: claim.text,
                    topic: claim.topic.to_owned(),
                    roles,
                });
            }
        }
        out.findings.push(finding);
    }
}
