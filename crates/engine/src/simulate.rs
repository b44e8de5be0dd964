//! Policy simulation (a backtest): the actions proposed over a window decided again under
//! the active policy and under a candidate one, and what would change.
//!
//! Pure like the rest of the engine: the caller reads the history (each action's first
//! revision as proposed, with the context the store assembled then and the time it was
//! decided, [`Past`]) and the approvals observed over the same window ([`Observed`]), and
//! gets a [`Simulation`] back. Both policies decide with the same gate and the same `now`
//! (the revision's time), so a difference comes from the policies alone.
//!
//! Deterministic: the same history, policies and observations give the same report, byte
//! for byte once serialized. Every grouping is a `BTreeMap` and every list is sorted, so
//! the order of the history does not matter either: a caller may decide parts of it on
//! several threads ([`tally`]) and [`Tally::merge`] the parts.
//!
//! Reviewer load, kept simple on purpose (DESIGN §1: the RevOps admin reads it before
//! activating a policy):
//! - *held per day*: the held actions a role must approve, divided by the window's days;
//! - *approvals per day*: the approvals that role gave over the same window, per day (the
//!   store's approval history, passed in): today's rate;
//! - *latency* ≈ held per day ÷ approvals per day, in days: how many days of the role's
//!   approvals, at today's rate, one day of held items takes. At or below 1 the role keeps
//!   up (an item waits about one daily pass); above 1 the queue grows every day. Not a
//!   queueing model: it assumes today's rate is what the role can do.
//! - *observed latency*: the median time from proposal to release of the actions that were
//!   approved, by the roles the active policy requires of them, for comparison.
//!
//! Not here: reading the store, loading policy files, the clock, output formats.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::action::Action;
use crate::context::Context;
use crate::decision::{Decision, DecisionRecord};
use crate::finding::Category;
use crate::gate::Gate;
use crate::policy::{Policy, PolicyVersion};
use crate::reason::{Reason, serialize_words};
use crate::tier::Tier;

/// One stored proposal as the simulation reads it: the first revision as it was decided.
#[derive(Debug, Clone, Copy)]
pub struct Past<'a> {
    pub action_id: &'a str,
    /// The registry's name of the proposing tool (`unknown` when none was resolved).
    pub tool: &'a str,
    /// When the revision was decided: the `now` both policies decide with.
    pub created_at: DateTime<Utc>,
    pub action: &'a Action,
    /// The context the store assembled then.
    pub context: &'a Context,
    /// When the last required approval released it, if it was approved.
    pub approved_at: Option<DateTime<Utc>>,
}

/// What the store saw over the window besides the proposals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Approvals given over the window, per role they covered.
    pub approvals: BTreeMap<String, u64>,
}

impl Observed {
    /// The window's length in days (at least one second, so rates stay finite).
    pub fn days(&self) -> f64 {
        let seconds = (self.until - self.since).num_seconds().max(1);
        seconds as f64 / 86_400.0
    }
}

/// A count under the active policy and under the candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub active: u64,
    pub candidate: u64,
}

/// Actions per decision, under each policy; a decision neither gave is absent.
pub type Breakdown = BTreeMap<Decision, Pair>;

/// The actions with findings of one category and subtopic (counted once per action).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicRow {
    pub category: Category,
    pub subtopic: String,
    pub decisions: Breakdown,
}

/// One role's review load under each policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleLoad {
    pub role: String,
    /// Held actions that need this role.
    pub held: Pair,
    pub active_per_day: f64,
    pub candidate_per_day: f64,
    /// Approvals covering this role per day over the window (today's rate).
    pub approvals_per_day: f64,
    /// Days of today's approvals that one day of held items takes (see the module's
    /// documentation); `None` when the role approved nothing in the window.
    pub active_latency_days: Option<f64>,
    pub candidate_latency_days: Option<f64>,
    /// Median hours from proposal to release of the approved actions that need this
    /// role under the active policy; `None` when there were none.
    pub observed_latency_hours: Option<f64>,
}

/// How one policy decided one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub decision: Decision,
    pub tier: Tier,
    /// The roles that must approve ([`required_roles`]).
    pub roles: BTreeSet<String>,
    /// In words.
    #[serde(serialize_with = "serialize_words")]
    pub reasons: Vec<Reason>,
    /// The same reasons as tagged objects.
    #[serde(rename = "reason_details")]
    pub details: Vec<Reason>,
}

impl Side {
    fn of(d: &DecisionRecord) -> Self {
        Self {
            decision: d.decision,
            tier: d.tier,
            roles: required_roles(d),
            reasons: d.reasons.clone(),
            details: d.reasons.clone(),
        }
    }
}

/// An action the candidate decides differently: another decision, or other roles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub action_id: String,
    pub tool: String,
    pub created_at: DateTime<Utc>,
    pub active: Side,
    pub candidate: Side,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub active_version: PolicyVersion,
    pub candidate_version: PolicyVersion,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub days: f64,
    /// Actions replayed.
    pub actions: u64,
    pub totals: Breakdown,
    /// By the findings' category and subtopic, sorted.
    pub by_topic: Vec<TopicRow>,
    /// By required role (an action needing two roles counts under each).
    pub by_role: BTreeMap<String, Breakdown>,
    pub by_tool: BTreeMap<String, Breakdown>,
    /// By the ISO week of the proposal, e.g. `2026-W48`.
    pub by_week: BTreeMap<String, Breakdown>,
    /// Per role that either policy holds for, or that approved anything.
    pub load: Vec<RoleLoad>,
    /// Sorted by time, then action id.
    pub changed: Vec<Change>,
}

/// The roles a decision needs approved: its roles, and a manager for a hold that names
/// none (as the store requires, so nothing is stuck unapprovable).
pub fn required_roles(d: &DecisionRecord) -> BTreeSet<String> {
    if d.decision == Decision::Hold && d.roles.is_empty() {
        return BTreeSet::from(["manager".to_owned()]);
    }
    d.roles.clone()
}

/// Whether the candidate's answer differs from the active one: another decision, or
/// other roles to approve it.
pub fn differs(active: &DecisionRecord, candidate: &DecisionRecord) -> bool {
    active.decision != candidate.decision || required_roles(active) != required_roles(candidate)
}

/// The ISO week of an instant, e.g. `2026-W48`.
pub fn iso_week(at: DateTime<Utc>) -> String {
    let week = at.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// Counts gathered so far; mergeable, so parts of a history can be decided apart.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    actions: u64,
    totals: Breakdown,
    by_topic: BTreeMap<(Category, String), Breakdown>,
    by_role: BTreeMap<String, Breakdown>,
    by_tool: BTreeMap<String, Breakdown>,
    by_week: BTreeMap<String, Breakdown>,
    /// Per role, seconds from proposal to release of approved actions.
    approved_after: BTreeMap<String, Vec<i64>>,
    changed: Vec<Change>,
}

fn bump(b: &mut Breakdown, active: Option<Decision>, candidate: Option<Decision>) {
    if let Some(d) = active {
        b.entry(d).or_default().active += 1;
    }
    if let Some(d) = candidate {
        b.entry(d).or_default().candidate += 1;
    }
}

fn merge_breakdown(into: &mut Breakdown, from: Breakdown) {
    for (d, p) in from {
        let e = into.entry(d).or_default();
        e.active += p.active;
        e.candidate += p.candidate;
    }
}

fn merge_map<K: Ord>(into: &mut BTreeMap<K, Breakdown>, from: BTreeMap<K, Breakdown>) {
    for (k, b) in from {
        merge_breakdown(into.entry(k).or_default(), b);
    }
}

/// Counts one key under each side it appears in.
fn bump_keys<K: Ord + Clone>(
    map: &mut BTreeMap<K, Breakdown>,
    active: (&BTreeSet<K>, Decision),
    candidate: (&BTreeSet<K>, Decision),
) {
    for k in active.0 {
        bump(map.entry(k.clone()).or_default(), Some(active.1), None);
    }
    for k in candidate.0 {
        bump(map.entry(k.clone()).or_default(), None, Some(candidate.1));
    }
}

fn topics(d: &DecisionRecord) -> BTreeSet<(Category, String)> {
    d.findings
        .iter()
        .map(|f| (f.category, f.subtopic.clone()))
        .collect()
}

impl Tally {
    /// Counts one action decided under both policies.
    pub fn add(&mut self, past: &Past<'_>, active: &DecisionRecord, candidate: &DecisionRecord) {
        let (a, c) = (active.decision, candidate.decision);
        self.actions += 1;
        bump(&mut self.totals, Some(a), Some(c));
        bump(
            self.by_tool.entry(past.tool.to_owned()).or_default(),
            Some(a),
            Some(c),
        );
        bump(
            self.by_week.entry(iso_week(past.created_at)).or_default(),
            Some(a),
            Some(c),
        );
        bump_keys(
            &mut self.by_topic,
            (&topics(active), a),
            (&topics(candidate), c),
        );
        let (active_roles, candidate_roles) = (required_roles(active), required_roles(candidate));
        bump_keys(&mut self.by_role, (&active_roles, a), (&candidate_roles, c));
        if let Some(at) = past.approved_at
            && a == Decision::Hold
        {
            let seconds = (at - past.created_at).num_seconds().max(0);
            for role in &active_roles {
                self.approved_after
                    .entry(role.clone())
                    .or_default()
                    .push(seconds);
            }
        }
        if differs(active, candidate) {
            self.changed.push(Change {
                action_id: past.action_id.to_owned(),
                tool: past.tool.to_owned(),
                created_at: past.created_at,
                active: Side::of(active),
                candidate: Side::of(candidate),
            });
        }
    }

    /// Adds another part's counts to these.
    pub fn merge(&mut self, other: Tally) {
        self.actions += other.actions;
        merge_breakdown(&mut self.totals, other.totals);
        merge_map(&mut self.by_topic, other.by_topic);
        merge_map(&mut self.by_role, other.by_role);
        merge_map(&mut self.by_tool, other.by_tool);
        merge_map(&mut self.by_week, other.by_week);
        for (role, mut secs) in other.approved_after {
            self.approved_after
                .entry(role)
                .or_default()
                .append(&mut secs);
        }
        self.changed.extend(other.changed);
    }

    /// The report for these counts.
    pub fn finish(
        mut self,
        active: &PolicyVersion,
        candidate: &PolicyVersion,
        observed: &Observed,
    ) -> Simulation {
        let days = observed.days();
        self.changed
            .sort_by(|x, y| (x.created_at, &x.action_id).cmp(&(y.created_at, &y.action_id)));
        let mut roles: BTreeSet<&String> = observed.approvals.keys().collect();
        for (role, b) in &self.by_role {
            if b.get(&Decision::Hold)
                .is_some_and(|p| p.active + p.candidate > 0)
            {
                roles.insert(role);
            }
        }
        let load = roles
            .into_iter()
            .map(|role| {
                let held = self
                    .by_role
                    .get(role)
                    .and_then(|b| b.get(&Decision::Hold))
                    .copied()
                    .unwrap_or_default();
                let approved = observed.approvals.get(role).copied().unwrap_or(0);
                let approvals_per_day = approved as f64 / days;
                let (active_per_day, candidate_per_day) =
                    (held.active as f64 / days, held.candidate as f64 / days);
                let latency = |per_day: f64| (approved > 0).then(|| per_day / approvals_per_day);
                let observed_latency_hours = self.approved_after.get_mut(role).and_then(|s| {
                    s.sort_unstable();
                    median(s).map(|secs| secs / 3600.0)
                });
                RoleLoad {
                    role: role.clone(),
                    held,
                    active_per_day,
                    candidate_per_day,
                    approvals_per_day,
                    active_latency_days: latency(active_per_day),
                    candidate_latency_days: latency(candidate_per_day),
                    observed_latency_hours,
                }
            })
            .collect();
        Simulation {
            active_version: active.clone(),
            candidate_version: candidate.clone(),
            since: observed.since,
            until: observed.until,
            days,
            actions: self.actions,
            totals: self.totals,
            by_topic: self
                .by_topic
                .into_iter()
                .map(|((category, subtopic), decisions)| TopicRow {
                    category,
                    subtopic,
                    decisions,
                })
                .collect(),
            by_role: self.by_role,
            by_tool: self.by_tool,
            by_week: self.by_week,
            load,
            changed: self.changed,
        }
    }
}

/// The median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => sorted.get(n / 2).map(|v| *v as f64),
        _ => Some((sorted.get(n / 2 - 1)? + sorted.get(n / 2)?) as f64 / 2.0),
    }
}

/// Decides every action of `history` under both policies and counts the answers.
pub fn tally(history: &[Past<'_>], active: &Policy, candidate: &Policy, gate: &Gate) -> Tally {
    let mut t = Tally::default();
    for past in history {
        let a = gate.decide(past.action, past.context, active, past.created_at);
        // The same policy decides the same way: decide once.
        let c = if candidate.version == active.version {
            a.clone()
        } else {
            gate.decide(past.action, past.context, candidate, past.created_at)
        };
        t.add(past, &a, &c);
    }
    t
}

/// The whole simulation on one thread: [`tally`] then [`Tally::finish`].
pub fn compare(
    history: &[Past<'_>],
    active: &Policy,
    candidate: &Policy,
    gate: &Gate,
    observed: &Observed,
) -> Simulation {
    tally(history, active, candidate, gate).finish(&active.version, &candidate.version, observed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::policy::{DEFAULT_SOURCES, PolicySources};

    /// The default policy with one line of its TOML replaced.
    fn edited(from: &str, to: &str) -> Policy {
        let toml = DEFAULT_SOURCES.toml.1.replace(from, to);
        assert_ne!(
            toml, DEFAULT_SOURCES.toml.1,
            "`{from}` is in the default policy"
        );
        Policy::load(&PolicySources {
            toml: ("policy.toml", &toml),
            ..DEFAULT_SOURCES
        })
        .unwrap()
    }

    /// The default policy with `email.send` needing a manager.
    fn stricter() -> Policy {
        edited(
            "\"email.send\" = \"automation_safe\"",
            "\"email.send\" = \"manager_approved\"",
        )
    }

    /// The candidates the property test draws from: the default itself, a stricter base
    /// tier, and discounts needing finance too (other roles, same decision).
    fn candidates() -> [Policy; 3] {
        [
            Policy::default_policy().clone(),
            stricter(),
            edited(
                "discount = [\"deal_desk\"]",
                "discount = [\"deal_desk\", \"finance\"]",
            ),
        ]
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn email(body: &str) -> Action {
        Action::from_json(&serde_json::json!({
            "kind": "email.send",
            "payload": {"to": ["dana@acme.example"], "subject": "Follow-up", "body": body},
        }))
        .unwrap()
    }

    const ROUTINE: &str = "Hi Dana, thanks for the call today. I've attached the recap. Talk soon";
    const DISCOUNT: &str = "Hi Dana, we can do 15% off if you sign by Friday.";

    fn observed(approvals: &[(&str, u64)]) -> Observed {
        Observed {
            since: at(1, 0),
            until: at(11, 0),
            approvals: approvals
                .iter()
                .map(|(r, n)| ((*r).to_owned(), *n))
                .collect(),
        }
    }

    #[test]
    fn a_stricter_base_tier_holds_routine_mail_for_a_manager() {
        let (routine, discount) = (email(ROUTINE), email(DISCOUNT));
        let ctx = Context::default();
        let history = [
            Past {
                action_id: "act_1",
                tool: "outreach",
                created_at: at(2, 9),
                action: &routine,
                context: &ctx,
                approved_at: None,
            },
            Past {
                action_id: "act_2",
                tool: "outreach",
                created_at: at(3, 9),
                action: &discount,
                context: &ctx,
                approved_at: Some(at(3, 11)),
            },
        ];
        let sim = compare(
            &history,
            Policy::default_policy(),
            &stricter(),
            &Gate::new(),
            &observed(&[("deal_desk", 10), ("manager", 5)]),
        );
        assert_eq!(sim.actions, 2);
        assert_eq!(
            sim.totals[&Decision::Allow],
            Pair {
                active: 1,
                candidate: 0
            }
        );
        assert_eq!(
            sim.totals[&Decision::Hold],
            Pair {
                active: 1,
                candidate: 2
            }
        );
        assert_eq!(sim.changed.len(), 1);
        let change = &sim.changed[0];
        assert_eq!(change.action_id, "act_1");
        assert_eq!(change.active.decision, Decision::Allow);
        assert_eq!(change.candidate.decision, Decision::Hold);
        assert_eq!(
            change.candidate.roles,
            BTreeSet::from(["manager".to_owned()])
        );
        let manager = sim.load.iter().find(|l| l.role == "manager").unwrap();
        assert_eq!(
            manager.held,
            Pair {
                active: 0,
                candidate: 1
            }
        );
        // One held a day over ten days against half an approval a day.
        assert!((manager.candidate_per_day - 0.1).abs() < 1e-9);
        assert!((manager.candidate_latency_days.unwrap() - 0.2).abs() < 1e-9);
        let desk = sim.load.iter().find(|l| l.role == "deal_desk").unwrap();
        assert_eq!(desk.observed_latency_hours, Some(2.0));
        assert_eq!(sim.by_week.keys().collect::<Vec<_>>(), ["2026-W45"]);
        let discount_row = sim
            .by_topic
            .iter()
            .find(|r| r.category == Category::Commercial)
            .unwrap();
        assert_eq!(discount_row.decisions[&Decision::Hold].candidate, 1);
    }

    #[test]
    fn a_role_that_approved_nothing_has_no_latency() {
        let routine = email(ROUTINE);
        let ctx = Context::default();
        let history = [Past {
            action_id: "act_1",
            tool: "outreach",
            created_at: at(2, 9),
            action: &routine,
            context: &ctx,
            approved_at: None,
        }];
        let sim = compare(
            &history,
            Policy::default_policy(),
            &stricter(),
            &Gate::new(),
            &observed(&[]),
        );
        let manager = sim.load.iter().find(|l| l.role == "manager").unwrap();
        assert_eq!(manager.candidate_latency_days, None);
        assert_eq!(manager.approvals_per_day, 0.0);
    }

    #[test]
    fn iso_weeks_use_the_iso_year() {
        assert_eq!(iso_week(at(24, 15)), "2026-W48");
        let new_year = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(iso_week(new_year), "2026-W53");
    }

    #[test]
    fn medians_of_even_counts_are_the_middle_mean() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3]), Some(3.0));
        assert_eq!(median(&[1, 2, 4, 10]), Some(3.0));
    }

    const WORDS: [&str; 10] = [
        "thanks", "for", "the", "call", "recap", "attached", "see", "you", "Tuesday", "slides",
    ];
    const PROTECTED: [&str; 4] = [
        "we can do 15% off if you sign by Friday",
        "we are SOC 2 Type II certified",
        "payment terms of net 90 are fine",
        "I guarantee delivery by March",
    ];

    /// A body of plain words, with one protected phrase or none.
    fn body() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(0..WORDS.len(), 3..12),
            proptest::option::of(0..PROTECTED.len()),
        )
            .prop_map(|(words, phrase)| {
                let mut text: Vec<&str> = words.into_iter().map(|i| WORDS[i]).collect();
                if let Some(p) = phrase {
                    text.insert(text.len() / 2, PROTECTED[p]);
                }
                format!("Hi Dana, {}.", text.join(" "))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The changed list is exactly the actions whose decision or roles differ when
        /// each is decided by hand under both policies, in time order; and deciding the
        /// history in two parts and merging gives the same report.
        #[test]
        fn the_changed_list_is_what_deciding_by_hand_changes(
            bodies in proptest::collection::vec((body(), 0u32..20, 0usize..3), 1..8),
            which in 0usize..3,
        ) {
            let gate = Gate::new();
            let active = Policy::default_policy();
            let candidate = candidates().into_iter().nth(which).unwrap();
            let ctx = Context::default();
            let actions: Vec<Action> = bodies.iter().map(|(b, _, _)| email(b)).collect();
            let ids: Vec<String> = (0..bodies.len()).map(|i| format!("act_{i:02}")).collect();
            let history: Vec<Past<'_>> = bodies
                .iter()
                .zip(&actions)
                .zip(&ids)
                .map(|(((_, hours, tool), action), id)| Past {
                    action_id: id,
                    tool: ["outreach", "copilot", "agent"][*tool],
                    created_at: at(2, 0) + chrono::Duration::hours(i64::from(*hours)),
                    action,
                    context: &ctx,
                    approved_at: None,
                })
                .collect();
            let observed = observed(&[("manager", 3)]);
            let sim = compare(&history, active, &candidate, &gate, &observed);

            let mut by_hand: Vec<(DateTime<Utc>, String)> = history
                .iter()
                .filter(|p| {
                    let a = gate.decide(p.action, p.context, active, p.created_at);
                    let c = gate.decide(p.action, p.context, &candidate, p.created_at);
                    a.decision != c.decision || required_roles(&a) != required_roles(&c)
                })
                .map(|p| (p.created_at, p.action_id.to_owned()))
                .collect();
            by_hand.sort();
            let listed: Vec<(DateTime<Utc>, String)> = sim
                .changed
                .iter()
                .map(|c| (c.created_at, c.action_id.clone()))
                .collect();
            prop_assert_eq!(listed, by_hand);
            prop_assert_eq!(sim.actions, history.len() as u64);
            let total = |f: fn(&Pair) -> u64| sim.totals.values().map(f).sum::<u64>();
            prop_assert_eq!(total(|p| p.active), history.len() as u64);
            prop_assert_eq!(total(|p| p.candidate), history.len() as u64);

            let (first, second) = history.split_at(history.len() / 2);
            let mut parts = tally(second, active, &candidate, &gate);
            parts.merge(tally(first, active, &candidate, &gate));
            let merged = parts.finish(&active.version, &candidate.version, &observed);
            prop_assert_eq!(
                serde_json::to_string(&merged).unwrap(),
                serde_json::to_string(&sim).unwrap()
            );
        }
    }
}
