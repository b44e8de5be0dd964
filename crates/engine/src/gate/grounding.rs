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

    // Sequences are judged on follow-ups to opportunities, as the generic check is: a
    // routine text sent to many (a recording link, a reminder) is not a deal's follow-up.
    if ctx.opportunity.is_some()
        && ctx.history.same_text_recipients >= policy.config.sequences.min_recipients
    {
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
    // Judged only where there is something to be specific about (a next step, what the
    // buyer wrote) and the e-mail is not itself a reply, which answers the buyer's words.
    let judged = |d: &&specificity::DealFacts| {
        d.open && (d.next_step.is_some() || !d.buyer_wrote.is_empty()) && inbound.is_none()
    };
    if let Some(deal) = ctx.deal.as_ref().filter(judged) {
        let own: Vec<&str> = doc.own().map(|s| &body.text[s.range.clone()]).collect();
        if !specificity::is_specific(&own.join("\n"), deal) {
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

/// Drops topic findings that lie wholly inside the buyer's company name as the CRM has it:
/// "Copperleaf Payments" names a company, it does not negotiate payment terms. Only the
/// account's name (CRM data, not the tool's words) is trusted so; sensitive data,
/// injection and hidden characters are never dropped.
pub(super) fn drop_company_name_words(action: &Action, ctx: &Context, findings: &mut Vec<Finding>) {
    let Some(name) = ctx.deal.as_ref().and_then(|d| d.account.as_deref()) else {
        return;
    };
    let name = name.trim();
    if name.chars().count() < 4 {
        return;
    }
    let lower_name = name.to_lowercase();
    let spans = |text: &str| -> Vec<(usize, usize)> {
        // Lower-casing can change byte lengths outside ASCII: only match where it does not.
        let lower = text.to_lowercase();
        if lower.len() != text.len() {
            return Vec::new();
        }
        lower
            .match_indices(&lower_name)
            .map(|(at, m)| (at, at + m.len()))
            .collect()
    };
    let body = spans(action.body());
    let subject = spans(action.subject());
    findings.retain(|f| {
        let topical = matches!(
            f.category,
            Category::Objection | Category::Commercial | Category::Commitment | Category::Pressure
        );
        let within = match f.field.as_str() {
            "body" => &body,
            "subject" => &subject,
            _ => return true,
        };
        !(topical && f.start < f.end && within.iter().any(|&(s, e)| s <= f.start && f.end <= e))
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::specificity::DealFacts;

    fn deal(account: &str) -> Context {
        Context {
            deal: Some(DealFacts {
                open: true,
                account: Some(account.to_owned()),
                ..DealFacts::default()
            }),
            ..Context::default()
        }
    }

    #[test]
    fn a_company_name_is_not_a_negotiation_but_the_same_word_outside_it_is() {
        let policy = Policy::default_policy();
        let gate = crate::Gate::new();
        let named = Action::email(
            "a",
            "Copperleaf Payments pilot",
            "Hi Liam, great to meet the Copperleaf Payments team on Tuesday. The recording is attached.",
        );
        let ctx = deal("Copperleaf Payments");
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .to_utc();
        let d = gate.decide(&named, &ctx, policy, now);
        assert!(
            d.findings
                .iter()
                .all(|f| f.category != Category::Commercial),
            "{:?}",
            d.findings
        );
        let terms = Action::email(
            "a",
            "Copperleaf Payments pilot",
            "Hi Liam, we can move you to payment terms of net 60.",
        );
        let d = gate.decide(&terms, &ctx, policy, now);
        assert!(
            d.findings
                .iter()
                .any(|f| f.category == Category::Commercial),
            "{:?}",
            d.findings
        );
    }
}
