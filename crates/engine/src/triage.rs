//! Pipeline triage (issue 13): which open opportunities need a human now, and why.
//!
//! Pure: the store gathers each opportunity's facts ([`DealFacts`]) and the policy's
//! `[triage]` limits ([`TriageLimits`]) say when a fact becomes a reason. Each reason has a
//! code, words and a weight; the score is the weights plus a little for the deal's size,
//! so a large deal with the same problems ranks first. What to do next is the top reason's
//! suggestion.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// The facts of one open opportunity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DealFacts {
    pub opportunity_id: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub owner: Option<String>,
    pub stage: Option<String>,
    pub amount: Option<f64>,
    pub close_date: Option<NaiveDate>,
    pub next_step: Option<String>,
    /// When the next step was last set (the record's last change when nothing better is known).
    pub next_step_since: Option<NaiveDate>,
    pub last_activity: Option<NaiveDate>,
    /// When the opportunity entered its current stage (from its history).
    pub stage_since: Option<NaiveDate>,
    /// How many times its close date moved later.
    pub close_date_pushes: u32,
    /// Contacts with an activity in the engagement window.
    pub contacts_engaged: u32,
    pub executive_engaged: bool,
    /// Our messages since the buyer's last one.
    pub unanswered: u32,
}

/// The policy's `[triage]` limits.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageLimits {
    /// Days without activity before `no_recent_activity`, per stage; `default` otherwise.
    pub no_activity_days: BTreeMap<String, i64>,
    /// Days in one stage before `stuck_in_stage`, per stage; `default` otherwise.
    pub stuck_days: BTreeMap<String, i64>,
    /// A next step older than this is as good as none.
    pub next_step_days: i64,
    /// Close date pushed this many times or more.
    pub close_date_pushes: u32,
    /// Above this amount an opportunity needs an executive engaged.
    pub executive_amount: f64,
    /// Our unanswered messages before `went_quiet`.
    pub unanswered: u32,
}

impl Default for TriageLimits {
    fn default() -> Self {
        Self {
            no_activity_days: BTreeMap::from([("default".to_owned(), 14)]),
            stuck_days: BTreeMap::from([("default".to_owned(), 30)]),
            next_step_days: 21,
            close_date_pushes: 2,
            executive_amount: 100_000.0,
            unanswered: 2,
        }
    }
}

impl TriageLimits {
    fn per_stage(map: &BTreeMap<String, i64>, stage: Option<&str>) -> i64 {
        stage
            .and_then(|s| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(s))
                    .map(|(_, v)| *v)
            })
            .or_else(|| map.get("default").copied())
            .unwrap_or(i64::MAX)
    }
}

/// One reason an opportunity needs a human.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriageReason {
    /// `no_recent_activity`, `close_date_passed`, `missing_next_step`, `stuck_in_stage`,
    /// `close_date_pushed`, `single_threaded`, `no_executive`, `went_quiet`.
    pub code: &'static str,
    pub words: String,
    #[serde(skip)]
    weight: f64,
    #[serde(skip)]
    suggestion: &'static str,
}

/// An opportunity's place in the triage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Triaged {
    pub facts: DealFacts,
    pub score: f64,
    pub reasons: Vec<TriageReason>,
    pub suggested_action: Option<&'static str>,
}

/// The reasons `d` needs a human on `today`, strongest first.
pub fn reasons(d: &DealFacts, limits: &TriageLimits, today: NaiveDate) -> Vec<TriageReason> {
    let mut out = Vec::new();
    let mut push = |code, weight, words: String, suggestion| {
        out.push(TriageReason {
            code,
            words,
            weight,
            suggestion,
        });
    };
    let stage = d.stage.as_deref();
    if let Some(close) = d.close_date
        && close < today
    {
        let days = (today - close).num_days();
        push(
            "close_date_passed",
            35.0 + (days.min(60) as f64) / 4.0,
            format!("the close date ({close}) passed {days} days ago"),
            "Agree a new close date with the buyer, or close the opportunity.",
        );
    }
    let quiet_limit = TriageLimits::per_stage(&limits.no_activity_days, stage);
    match d.last_activity {
        Some(last) if (today - last).num_days() > quiet_limit => {
            let days = (today - last).num_days();
            push(
                "no_recent_activity",
                20.0 + ((days - quiet_limit).min(60) as f64) / 3.0,
                format!("no activity for {days} days (the limit in this stage is {quiet_limit})"),
                "Reach out with something specific to where they are: their last question, the next step.",
            );
        }
        None => push(
            "no_recent_activity",
            20.0,
            "no activity on record".to_owned(),
            "Reach out with something specific to where they are: their last question, the next step.",
        ),
        _ => {}
    }
    if d.unanswered >= limits.unanswered {
        push(
            "went_quiet",
            20.0,
            format!(
                "the buyer has not answered our last {} messages",
                d.unanswered
            ),
            "Call, or ask someone else on their side, instead of sending another e-mail.",
        );
    }
    let stale_step = d
        .next_step_since
        .is_some_and(|since| (today - since).num_days() > limits.next_step_days);
    match d.next_step.as_deref().map(str::trim) {
        None | Some("") => push(
            "missing_next_step",
            15.0,
            "no next step".to_owned(),
            "Set the next step, with a date, agreed with the buyer.",
        ),
        Some(step) if stale_step => push(
            "missing_next_step",
            12.0,
            format!(
                "the next step (“{step}”) is older than {} days",
                limits.next_step_days
            ),
            "Set the next step, with a date, agreed with the buyer.",
        ),
        _ => {}
    }
    let stuck_limit = TriageLimits::per_stage(&limits.stuck_days, stage);
    if let Some(since) = d.stage_since {
        let days = (today - since).num_days();
        if days > stuck_limit {
            push(
                "stuck_in_stage",
                15.0 + ((days - stuck_limit).min(90) as f64) / 6.0,
                format!(
                    "{days} days in {} (the limit is {stuck_limit})",
                    stage.unwrap_or("its stage")
                ),
                "Find what blocks the next stage: ask the champion what would move it.",
            );
        }
    }
    if d.close_date_pushes >= limits.close_date_pushes {
        push(
            "close_date_pushed",
            10.0 + f64::from(d.close_date_pushes),
            format!("the close date was pushed {} times", d.close_date_pushes),
            "Qualify the timeline again: ask what has to happen on their side to sign.",
        );
    }
    if d.contacts_engaged <= 1 {
        push(
            "single_threaded",
            10.0,
            if d.contacts_engaged == 0 {
                "no contact engaged".to_owned()
            } else {
                "one contact engaged".to_owned()
            },
            "Meet a second person on their side: the economic buyer or a technical lead.",
        );
    }
    if d.amount.is_some_and(|a| a >= limits.executive_amount) && !d.executive_engaged {
        push(
            "no_executive",
            12.0,
            format!(
                "{} and no executive engaged",
                d.amount.map_or(String::new(), |a| format!("{a:.0}"))
            ),
            "Involve an executive sponsor on their side, with your own executive if needed.",
        );
    }
    out.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    out
}

/// Every opportunity with its reasons, those that need a human most first; those with no
/// reason are left out.
pub fn triage(deals: Vec<DealFacts>, limits: &TriageLimits, today: NaiveDate) -> Vec<Triaged> {
    let mut out: Vec<Triaged> = deals
        .into_iter()
        .filter_map(|facts| {
            let reasons = reasons(&facts, limits, today);
            if reasons.is_empty() {
                return None;
            }
            // A little for size: a large deal with the same problems comes first.
            let size = facts
                .amount
                .map_or(0.0, |a| (a.max(1.0).log10() * 2.0).min(14.0));
            let score = reasons.iter().map(|r| r.weight).sum::<f64>() + size;
            Some(Triaged {
                suggested_action: reasons.first().map(|r| r.suggestion),
                score: (score * 10.0).round() / 10.0,
                reasons,
                facts,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.facts.opportunity_id.cmp(&b.facts.opportunity_id))
    });
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_stale_deal_gets_its_reasons_and_ranks_above_a_healthy_one() {
        let today = day("2026-12-01");
        let stale = DealFacts {
            opportunity_id: "006A".into(),
            stage: Some("Negotiation".into()),
            amount: Some(250_000.0),
            close_date: Some(day("2026-11-15")),
            last_activity: Some(day("2026-10-01")),
            stage_since: Some(day("2026-08-01")),
            close_date_pushes: 3,
            contacts_engaged: 1,
            unanswered: 3,
            ..DealFacts::default()
        };
        let healthy = DealFacts {
            opportunity_id: "006B".into(),
            stage: Some("Proposal".into()),
            amount: Some(20_000.0),
            close_date: Some(day("2027-01-15")),
            next_step: Some("Pricing call".into()),
            next_step_since: Some(day("2026-11-28")),
            last_activity: Some(day("2026-11-29")),
            stage_since: Some(day("2026-11-20")),
            contacts_engaged: 3,
            executive_engaged: true,
            ..DealFacts::default()
        };
        let ranked = triage(vec![healthy, stale], &TriageLimits::default(), today);
        assert_eq!(ranked.len(), 1, "the healthy deal needs nobody: {ranked:?}");
        let codes: Vec<&str> = ranked[0].reasons.iter().map(|r| r.code).collect();
        for code in [
            "close_date_passed",
            "no_recent_activity",
            "went_quiet",
            "missing_next_step",
            "stuck_in_stage",
            "close_date_pushed",
            "single_threaded",
            "no_executive",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        assert_eq!(codes[0], "close_date_passed");
        assert!(ranked[0].suggested_action.unwrap().contains("close date"));
    }

    #[test]
    fn limits_are_per_stage_with_a_default() {
        let mut limits = TriageLimits::default();
        limits.no_activity_days.insert("Commit".into(), 5);
        let today = day("2026-12-01");
        let d = |stage: &str| DealFacts {
            stage: Some(stage.into()),
            last_activity: Some(day("2026-11-23")),
            next_step: Some("x".into()),
            contacts_engaged: 2,
            ..DealFacts::default()
        };
        let codes = |d: &DealFacts| {
            reasons(d, &limits, today)
                .iter()
                .map(|r| r.code)
                .collect::<Vec<_>>()
        };
        assert!(codes(&d("commit")).contains(&"no_recent_activity"));
        assert!(!codes(&d("Proposal")).contains(&"no_recent_activity"));
    }
}
