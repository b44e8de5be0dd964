//! The AI Opportunity Score (issue 14, part 3): where in the sales process AI should start.
//!
//! Pure: the store counts what happened over a window ([`AssessFacts`]) and the policy's
//! `[assess]` section weighs the parts ([`AssessWeights`]). Each candidate workflow gets five
//! parts, each normalised to 0..1 with a line of words saying where the number came from:
//!
//! - `volume`: how often the workflow happens (more is a bigger opportunity);
//! - `risk`: the share of protected moments in it (counted inverted, as safety);
//! - `readiness`: whether the data the workflow needs is there;
//! - `capacity`: reviewers per role against the holds a day the workflow would create;
//! - `exposure`: shadow AI already doing the workflow outside the gate (counted inverted).
//!
//! Shadow AI is counted once on each side for follow-up e-mail: messages an AI writing
//! tool or a personal account sent are follow-ups that already happen, so they add to its
//! volume (urgency), and the exposure part takes them off as lost safety (readiness to
//! govern). Data readiness itself only measures the CRM and the knowledge base.
//!
//! The score is `100 × Σ weight·part / Σ weight` with `1 − risk` and `1 − exposure` in
//! place of risk and exposure; [`Assessment::formula`] prints it with the weights.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Follow-up e-mail to buyers.
pub const FOLLOWUP_EMAIL: &str = "followup_email";
/// CRM hygiene: next steps, stages, close dates.
pub const CRM_HYGIENE: &str = "crm_hygiene";
pub const ACCOUNT_RESEARCH: &str = "account_research";
pub const MEETING_PREP: &str = "meeting_prep";
pub const KNOWLEDGE_RETRIEVAL: &str = "knowledge_retrieval";

/// Every candidate workflow, in the order ties are broken.
pub const WORKFLOWS: [&str; 5] = [
    FOLLOWUP_EMAIL,
    CRM_HYGIENE,
    ACCOUNT_RESEARCH,
    MEETING_PREP,
    KNOWLEDGE_RETRIEVAL,
];

/// Holds one reviewer can decide in a day.
pub const HOLDS_PER_REVIEWER_DAY: f64 = 10.0;
/// Share of open deals with a next step (and titles on contacts) that counts as ready.
const READY_SHARE: f64 = 0.8;
/// Share of follow-ups held for a protected moment below which follow-up is safe to start.
const SAFE_HELD_SHARE: f64 = 0.2;
/// Approved knowledge entries that make retrieval worth it.
const KNOWLEDGE_WANTED: u64 = 10;
/// Assumed risk when nothing of a workflow was decided in the window.
const UNKNOWN_RISK: f64 = 0.5;
/// Risk of a read-only workflow: nothing it produces reaches a buyer or the CRM.
const READ_ONLY_RISK: f64 = 0.1;

/// Shadow-AI kinds (the scan's `kind`) that write or send buyer mail around the gate.
const MAIL_SHADOW: [&str; 5] = [
    "ai_tool",
    "personal_account",
    "ungated_send",
    "ai_extension",
    "unsanctioned_tracker",
];
/// Kinds that change the CRM around the gate.
const CRM_SHADOW: [&str; 2] = ["unknown_integration", "unknown_tool_key"];
/// Kinds that read pages and mail (research and meeting notes done by extensions).
const READ_SHADOW: [&str; 1] = ["ai_extension"];

/// What the store counted over the window (see `Store::assess_facts`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssessFacts {
    /// Days the counts of actions, activities and meetings cover.
    pub window_days: u32,
    /// `email.send` actions proposed in the window.
    pub email_actions: u64,
    /// …whose first decision was `hold`.
    pub email_held: u64,
    /// …held with a protected finding (any category but `obfuscation` and `generic`).
    pub email_protected_holds: u64,
    /// Held e-mail actions per role they needed.
    pub email_holds_by_role: BTreeMap<String, u64>,
    /// Outbound e-mail activities the CRM logged in the window.
    pub outbound_emails: u64,
    /// CRM actions (`crm.*`) proposed in the window.
    pub crm_updates: u64,
    /// …whose first decision was `hold`.
    pub crm_updates_held: u64,
    /// Held CRM actions per role they needed.
    pub crm_holds_by_role: BTreeMap<String, u64>,
    pub open_opportunities: u64,
    /// Open opportunities without a next step.
    pub missing_next_step: u64,
    /// Open opportunities whose close date has passed.
    pub past_close_date: u64,
    /// Open opportunities missing a next step or past their close date (each once).
    pub needing_update: u64,
    /// Open opportunities with an activity in the last 30 days.
    pub recent_activity: u64,
    pub accounts: u64,
    pub contacts: u64,
    pub contacts_with_title: u64,
    /// Meetings (CRM events and meetings) in the window.
    pub meetings: u64,
    /// Actions in the window with an `objection` finding: questions answered.
    pub objection_actions: u64,
    /// Actions in the window with a claim unsupported or contradicted by knowledge.
    pub unsupported_claims: u64,
    pub knowledge_entries: u64,
    /// Entries valid today.
    pub knowledge_valid: u64,
    /// Reviewers per role.
    pub reviewers_by_role: BTreeMap<String, u64>,
    /// The latest shadow-AI scan's finding counts per kind (`ai_tool`, …).
    pub shadow: BTreeMap<String, u64>,
    /// Whether a scan ever ran.
    pub scanned: bool,
}

/// The policy's `[assess]` weights: how much each part counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssessWeights {
    pub volume: f64,
    pub risk: f64,
    pub readiness: f64,
    pub capacity: f64,
    pub exposure: f64,
}

impl Default for AssessWeights {
    fn default() -> Self {
        Self {
            volume: 0.25,
            risk: 0.25,
            readiness: 0.2,
            capacity: 0.15,
            exposure: 0.15,
        }
    }
}

impl AssessWeights {
    /// `(part, weight)` in the formula's order.
    #[must_use]
    pub fn parts(&self) -> [(&'static str, f64); 5] {
        [
            ("volume", self.volume),
            ("risk", self.risk),
            ("readiness", self.readiness),
            ("capacity", self.capacity),
            ("exposure", self.exposure),
        ]
    }

    fn sum(&self) -> f64 {
        self.parts().iter().map(|(_, w)| w).sum()
    }
}

/// One part of a workflow's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    /// The measure, 0..1 (for `risk` and `exposure`, higher is worse).
    pub value: f64,
    pub weight: f64,
    /// Points this part adds to the score (0..100 over all parts).
    pub points: f64,
    /// Where the value came from, in a line.
    pub words: String,
}

/// One workflow's score with its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowScore {
    pub workflow: String,
    /// 0..100, one decimal.
    pub score: f64,
    pub parts: BTreeMap<String, Part>,
}

/// The ranked workflows and what to do about them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Highest score first; ties by the order of [`WORKFLOWS`].
    pub workflows: Vec<WorkflowScore>,
    /// Where to start and why, in plain words.
    pub recommendation: String,
    /// What would have to be true for follow-up e-mail to rank higher.
    pub to_move_followup_up: Vec<String>,
    /// The formula with its weights.
    pub formula: String,
    pub weights: AssessWeights,
    pub window_days: u32,
}

/// A workflow's name in words.
#[must_use]
pub fn label(workflow: &str) -> &str {
    match workflow {
        FOLLOWUP_EMAIL => "follow-up e-mail",
        CRM_HYGIENE => "CRM hygiene",
        ACCOUNT_RESEARCH => "account research",
        MEETING_PREP => "meeting prep",
        KNOWLEDGE_RETRIEVAL => "knowledge retrieval",
        other => other,
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// `count` against `target`, capped at 1.
fn towards(count: f64, target: f64) -> f64 {
    (count / target).clamp(0.0, 1.0)
}

struct Measure {
    value: f64,
    words: String,
}

fn measure(value: f64, words: String) -> Measure {
    Measure {
        value: value.clamp(0.0, 1.0),
        words,
    }
}

impl AssessFacts {
    fn weeks(&self) -> f64 {
        f64::from(self.window_days.max(1)) / 7.0
    }

    fn days(&self) -> f64 {
        f64::from(self.window_days.max(1))
    }

    fn shadow_of(&self, kinds: &[&str]) -> u64 {
        kinds
            .iter()
            .map(|k| self.shadow.get(*k).copied().unwrap_or(0))
            .sum()
    }

    fn next_steps_filled(&self) -> f64 {
        share(
            self.open_opportunities
                .saturating_sub(self.missing_next_step),
            self.open_opportunities,
        )
    }

    fn titled(&self) -> f64 {
        share(self.contacts_with_title, self.contacts)
    }

    fn active(&self) -> f64 {
        share(self.recent_activity, self.open_opportunities)
    }

    fn knowledge_ready(&self) -> f64 {
        share(
            self.knowledge_valid,
            self.knowledge_entries.max(KNOWLEDGE_WANTED),
        )
    }

    fn volume(&self, workflow: &str) -> Measure {
        let weeks = self.weeks();
        match workflow {
            FOLLOWUP_EMAIL => {
                let shadow = self.shadow_of(&MAIL_SHADOW);
                let per_week = (self.email_actions + self.outbound_emails + shadow) as f64 / weeks;
                measure(
                    towards(per_week, 50.0),
                    format!(
                        "{per_week:.0} follow-ups a week ({} proposed, {} logged in the CRM, {shadow} seen by the scan); 50 a week counts as full",
                        self.email_actions, self.outbound_emails
                    ),
                )
            }
            CRM_HYGIENE => measure(
                towards(self.needing_update as f64, 50.0),
                format!(
                    "{} of {} open deals need an update ({} without a next step, {} past their close date); 50 counts as full",
                    self.needing_update,
                    self.open_opportunities,
                    self.missing_next_step,
                    self.past_close_date
                ),
            ),
            ACCOUNT_RESEARCH => measure(
                towards((self.accounts + self.contacts) as f64, 200.0),
                format!(
                    "{} accounts and {} contacts to research; 200 together count as full",
                    self.accounts, self.contacts
                ),
            ),
            MEETING_PREP => {
                let per_week = self.meetings as f64 / weeks;
                measure(
                    towards(per_week, 20.0),
                    format!("{per_week:.0} meetings a week; 20 a week counts as full"),
                )
            }
            _ => {
                let per_week = self.objection_actions as f64 / weeks;
                measure(
                    towards(per_week, 20.0),
                    format!(
                        "{per_week:.0} buyer questions a week answered from knowledge (objections); 20 a week counts as full"
                    ),
                )
            }
        }
    }

    fn risk(&self, workflow: &str) -> Measure {
        let decided = |held: u64, of: u64, noun: &str, what: &str| {
            if of == 0 {
                measure(
                    UNKNOWN_RISK,
                    format!(
                        "no {noun} decided in the window: assumed {}",
                        pct(UNKNOWN_RISK)
                    ),
                )
            } else {
                measure(
                    share(held, of),
                    format!("{held} of {of} {what} ({})", pct(share(held, of))),
                )
            }
        };
        match workflow {
            FOLLOWUP_EMAIL => decided(
                self.email_protected_holds,
                self.email_actions,
                "follow-ups",
                "follow-ups held for a protected moment",
            ),
            CRM_HYGIENE => decided(
                self.crm_updates_held,
                self.crm_updates,
                "CRM updates",
                "CRM updates held",
            ),
            ACCOUNT_RESEARCH | MEETING_PREP => measure(
                READ_ONLY_RISK,
                format!(
                    "read-only: nothing reaches a buyer or the CRM ({})",
                    pct(READ_ONLY_RISK)
                ),
            ),
            _ => decided(
                self.unsupported_claims,
                self.objection_actions,
                "answers",
                "answers with an unsupported or contradicted claim",
            ),
        }
    }

    fn readiness(&self, workflow: &str) -> Measure {
        let steps = self.next_steps_filled();
        let titled = self.titled();
        let active = self.active();
        let knowledge = self.knowledge_ready();
        let k_words = format!(
            "{} of {} knowledge entries valid today ({KNOWLEDGE_WANTED} wanted)",
            self.knowledge_valid, self.knowledge_entries
        );
        match workflow {
            FOLLOWUP_EMAIL => measure(
                (steps + titled + active + knowledge) / 4.0,
                format!(
                    "next steps on {} of open deals, titles on {} of contacts, activity in 30 days on {} of open deals, {k_words}",
                    pct(steps),
                    pct(titled),
                    pct(active)
                ),
            ),
            CRM_HYGIENE => measure(
                active,
                format!(
                    "activity in 30 days on {} of open deals to infer next steps from",
                    pct(active)
                ),
            ),
            ACCOUNT_RESEARCH => measure(titled, format!("titles on {} of contacts", pct(titled))),
            MEETING_PREP => measure(
                (titled + active) / 2.0,
                format!(
                    "titles on {} of contacts, activity in 30 days on {} of open deals",
                    pct(titled),
                    pct(active)
                ),
            ),
            _ => measure(knowledge, k_words),
        }
    }

    fn capacity(&self, workflow: &str) -> Measure {
        let holds = match workflow {
            FOLLOWUP_EMAIL => &self.email_holds_by_role,
            CRM_HYGIENE => &self.crm_holds_by_role,
            _ => {
                return measure(
                    1.0,
                    "creates no holds: nothing it produces waits for a reviewer".to_owned(),
                );
            }
        };
        match self.bottleneck(holds) {
            None => measure(1.0, "no holds in the window".to_owned()),
            Some((role, per_day, reviewers, coverage)) => measure(
                coverage,
                format!(
                    "tightest role {role}: {reviewers} reviewer(s) for {per_day:.1} holds a day ({HOLDS_PER_REVIEWER_DAY:.0} a day each)"
                ),
            ),
        }
    }

    /// The role whose reviewers cover the smallest share of its holds a day:
    /// `(role, holds a day, reviewers, coverage 0..1)`; ties by role name.
    fn bottleneck(&self, holds: &BTreeMap<String, u64>) -> Option<(String, f64, u64, f64)> {
        let mut worst: Option<(String, f64, u64, f64)> = None;
        for (role, &n) in holds {
            if n == 0 {
                continue;
            }
            let per_day = n as f64 / self.days();
            let reviewers = self.reviewers_by_role.get(role).copied().unwrap_or(0);
            let coverage = (reviewers as f64 * HOLDS_PER_REVIEWER_DAY / per_day).min(1.0);
            if worst.as_ref().is_none_or(|w| coverage < w.3) {
                worst = Some((role.clone(), per_day, reviewers, coverage));
            }
        }
        worst
    }

    fn exposure(&self, workflow: &str) -> Measure {
        if !self.scanned {
            return measure(
                0.0,
                "no shadow-AI scan yet: nothing known around the gate".to_owned(),
            );
        }
        let (kinds, what): (&[&str], &str) = match workflow {
            FOLLOWUP_EMAIL => (
                &MAIL_SHADOW,
                "AI writing tools, personal accounts and ungated sends",
            ),
            CRM_HYGIENE => (&CRM_SHADOW, "unknown CRM integrations and tool keys"),
            ACCOUNT_RESEARCH | MEETING_PREP => (&READ_SHADOW, "AI browser extensions"),
            _ => (
                &["ai_tool"],
                "AI writing tools answering from their own sources",
            ),
        };
        let n = self.shadow_of(kinds);
        measure(
            towards(n as f64, 20.0),
            format!("{n} findings of {what} in the latest scan; 20 counts as full"),
        )
    }
}

/// Scores every workflow, ranks them and says where to start.
#[must_use]
pub fn assess(facts: &AssessFacts, weights: &AssessWeights) -> Assessment {
    let total = weights.sum();
    let mut workflows: Vec<WorkflowScore> = WORKFLOWS
        .iter()
        .map(|&w| {
            let measures = [
                facts.volume(w),
                facts.risk(w),
                facts.readiness(w),
                facts.capacity(w),
                facts.exposure(w),
            ];
            let mut parts = BTreeMap::new();
            let mut score = 0.0;
            for ((name, weight), m) in weights.parts().into_iter().zip(measures) {
                let counted = if matches!(name, "risk" | "exposure") {
                    1.0 - m.value
                } else {
                    m.value
                };
                let points = if total > 0.0 {
                    100.0 * weight * counted / total
                } else {
                    0.0
                };
                score += points;
                parts.insert(
                    name.to_owned(),
                    Part {
                        value: round(m.value, 3),
                        weight,
                        points: round(points, 1),
                        words: m.words,
                    },
                );
            }
            WorkflowScore {
                workflow: w.to_owned(),
                score: round(score, 1),
                parts,
            }
        })
        .collect();
    // Stable: equal scores keep the order of WORKFLOWS.
    workflows.sort_by(|a, b| b.score.total_cmp(&a.score));

    let to_move_followup_up = followup_conditions(facts);
    let recommendation = recommend(&workflows, &to_move_followup_up);
    Assessment {
        formula: formula(weights),
        weights: *weights,
        window_days: facts.window_days,
        workflows,
        recommendation,
        to_move_followup_up,
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The formula with the weights in it.
#[must_use]
pub fn formula(w: &AssessWeights) -> String {
    format!(
        "score = 100 × ({:.2}·volume + {:.2}·(1 − risk) + {:.2}·readiness + {:.2}·capacity + {:.2}·(1 − exposure)) / {:.2}; every part is 0..1",
        w.volume,
        w.risk,
        w.readiness,
        w.capacity,
        w.exposure,
        w.sum()
    )
}

/// The conditions follow-up e-mail does not meet yet, each as something that could be true.
fn followup_conditions(f: &AssessFacts) -> Vec<String> {
    let mut out = Vec::new();
    let steps = f.next_steps_filled();
    if f.open_opportunities == 0 || steps < READY_SHARE {
        out.push(format!(
            "next steps filled on ≥ 80 % of open deals (now {} of {} open)",
            pct(steps),
            f.open_opportunities
        ));
    }
    let titled = f.titled();
    if f.contacts == 0 || titled < READY_SHARE {
        out.push(format!(
            "titles on ≥ 80 % of contacts (now {})",
            pct(titled)
        ));
    }
    let active = f.active();
    if f.open_opportunities == 0 || active < READY_SHARE {
        out.push(format!(
            "an activity in the last 30 days on ≥ 80 % of open deals (now {})",
            pct(active)
        ));
    }
    let held = share(f.email_protected_holds, f.email_actions);
    if f.email_actions > 0 && held >= SAFE_HELD_SHARE {
        out.push(format!(
            "fewer than 20 % of follow-ups held for a protected moment (now {})",
            pct(held)
        ));
    }
    for (role, &n) in &f.email_holds_by_role {
        let per_day = n as f64 / f.days();
        let reviewers = f.reviewers_by_role.get(role).copied().unwrap_or(0);
        let needed = (per_day / HOLDS_PER_REVIEWER_DAY).ceil() as u64;
        if reviewers < needed {
            out.push(format!(
                "a {role} reviewer for every 10 holds a day ({needed} for {per_day:.1} a day; now {reviewers})"
            ));
        }
    }
    if f.knowledge_valid < KNOWLEDGE_WANTED {
        out.push(format!(
            "at least {KNOWLEDGE_WANTED} approved knowledge entries valid today, so claims are backed (now {})",
            f.knowledge_valid
        ));
    }
    let shadow = f.shadow_of(&MAIL_SHADOW);
    if shadow > 0 {
        out.push(format!(
            "the {shadow} AI writing tools, personal accounts and ungated sends of the latest scan brought under the gate"
        ));
    }
    if !f.scanned {
        out.push("a shadow-AI scan run, so mail written around the gate is known".to_owned());
    }
    out
}

fn recommend(ranked: &[WorkflowScore], conditions: &[String]) -> String {
    let Some(top) = ranked.first() else {
        return String::new();
    };
    // Its two strongest parts are the why.
    let mut strong: Vec<(&String, &Part)> = top.parts.iter().collect();
    strong.sort_by(|a, b| b.1.points.total_cmp(&a.1.points).then(a.0.cmp(b.0)));
    let why: Vec<String> = strong
        .iter()
        .take(2)
        .map(|(name, p)| format!("{name}: {}", p.words))
        .collect();
    let mut text = format!(
        "Start with {} (score {:.1}): {}.",
        label(&top.workflow),
        top.score,
        why.join("; ")
    );
    if top.workflow != FOLLOWUP_EMAIL
        && let Some((i, f)) = ranked
            .iter()
            .enumerate()
            .find(|(_, w)| w.workflow == FOLLOWUP_EMAIL)
    {
        // Held back most by the parts that lose the most points.
        let total: f64 = f.parts.values().map(|p| p.weight).sum();
        let mut weak: Vec<(&String, &Part)> = f.parts.iter().collect();
        weak.sort_by(|a, b| {
            let lost = |p: &Part| {
                if total > 0.0 {
                    100.0 * p.weight / total - p.points
                } else {
                    0.0
                }
            };
            lost(b.1).total_cmp(&lost(a.1)).then(a.0.cmp(b.0))
        });
        let held_back: Vec<&str> = weak.iter().take(2).map(|(n, _)| n.as_str()).collect();
        text.push_str(&format!(
            " Follow-up e-mail ranks {} of {} (score {:.1}), held back most by {}",
            i + 1,
            ranked.len(),
            f.score,
            held_back.join(" and ")
        ));
        if conditions.is_empty() {
            text.push('.');
        } else {
            text.push_str(&format!(
                "; it moves up once {} condition(s) below are true.",
                conditions.len()
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// A team whose CRM is a mess and whose follow-ups are often protected moments.
    fn messy_crm() -> AssessFacts {
        AssessFacts {
            window_days: 28,
            email_actions: 120,
            email_held: 70,
            email_protected_holds: 60,
            email_holds_by_role: BTreeMap::from([
                ("deal_desk".to_owned(), 40),
                ("legal".to_owned(), 20),
            ]),
            outbound_emails: 80,
            crm_updates: 40,
            crm_updates_held: 8,
            crm_holds_by_role: BTreeMap::from([("manager".to_owned(), 4)]),
            open_opportunities: 60,
            missing_next_step: 40,
            past_close_date: 15,
            needing_update: 45,
            recent_activity: 45,
            accounts: 30,
            contacts: 90,
            contacts_with_title: 60,
            meetings: 20,
            objection_actions: 12,
            unsupported_claims: 4,
            knowledge_entries: 4,
            knowledge_valid: 3,
            reviewers_by_role: BTreeMap::from([("manager".to_owned(), 2), ("legal".to_owned(), 1)]),
            shadow: BTreeMap::from([
                ("ai_tool".to_owned(), 7),
                ("personal_account".to_owned(), 3),
            ]),
            scanned: true,
        }
    }

    fn rank(a: &Assessment) -> Vec<&str> {
        a.workflows.iter().map(|w| w.workflow.as_str()).collect()
    }

    #[test]
    fn a_messy_crm_with_risky_followups_starts_with_crm_hygiene() {
        let a = assess(&messy_crm(), &AssessWeights::default());
        assert_eq!(rank(&a)[0], CRM_HYGIENE, "{a:#?}");
        assert!(
            a.recommendation.starts_with("Start with CRM hygiene"),
            "{}",
            a.recommendation
        );
        assert!(
            a.recommendation.contains("Follow-up e-mail ranks"),
            "{}",
            a.recommendation
        );
        let followup = a
            .workflows
            .iter()
            .find(|w| w.workflow == FOLLOWUP_EMAIL)
            .unwrap();
        assert_eq!(followup.parts["risk"].value, 0.5);
        assert_eq!(followup.parts["capacity"].value, 0.0, "nobody on deal desk");
        for wanted in [
            "next steps filled on ≥ 80 % of open deals (now 33 %",
            "fewer than 20 % of follow-ups held for a protected moment (now 50 %)",
            "a deal_desk reviewer for every 10 holds a day (1 for 1.4 a day; now 0)",
            "at least 10 approved knowledge entries",
            "the 10 AI writing tools",
        ] {
            assert!(
                a.to_move_followup_up.iter().any(|c| c.contains(wanted)),
                "{wanted} missing from {:#?}",
                a.to_move_followup_up
            );
        }
        // Legal has one reviewer for 0.7 holds a day: enough, so not a condition.
        assert!(!a.to_move_followup_up.iter().any(|c| c.contains("legal")));
    }

    #[test]
    fn every_part_is_shown_with_words_and_points_add_up_to_the_score() {
        let a = assess(&messy_crm(), &AssessWeights::default());
        assert_eq!(a.workflows.len(), 5);
        for w in &a.workflows {
            assert_eq!(
                w.parts.keys().collect::<Vec<_>>(),
                ["capacity", "exposure", "readiness", "risk", "volume"]
            );
            for p in w.parts.values() {
                assert!((0.0..=1.0).contains(&p.value), "{w:#?}");
                assert!(!p.words.is_empty());
            }
            let sum: f64 = w.parts.values().map(|p| p.points).sum();
            assert!((sum - w.score).abs() < 0.3, "{sum} vs {}", w.score);
            assert!((0.0..=100.0).contains(&w.score));
        }
        assert!(a.formula.contains("0.25·volume"), "{}", a.formula);
        assert!(a.formula.contains("(1 − risk)"), "{}", a.formula);
    }

    #[test]
    fn weights_change_the_ranking() {
        let facts = messy_crm();
        // Only volume counts: follow-up e-mail happens most often.
        let volume = AssessWeights {
            volume: 1.0,
            risk: 0.0,
            readiness: 0.0,
            capacity: 0.0,
            exposure: 0.0,
        };
        let a = assess(&facts, &volume);
        assert_eq!(rank(&a)[0], FOLLOWUP_EMAIL, "{:#?}", a.workflows);
        // Only risk counts: the read-only workflows are safest.
        let risk = AssessWeights {
            volume: 0.0,
            risk: 1.0,
            readiness: 0.0,
            capacity: 0.0,
            exposure: 0.0,
        };
        let a = assess(&facts, &risk);
        assert_eq!(rank(&a)[..2], [ACCOUNT_RESEARCH, MEETING_PREP]);
        assert_eq!(*rank(&a).last().unwrap(), FOLLOWUP_EMAIL);
        // Scaling every weight changes nothing.
        let d = AssessWeights::default();
        let doubled = AssessWeights {
            volume: d.volume * 2.0,
            risk: d.risk * 2.0,
            readiness: d.readiness * 2.0,
            capacity: d.capacity * 2.0,
            exposure: d.exposure * 2.0,
        };
        assert_eq!(
            assess(&facts, &d).workflows,
            assess(&facts, &doubled)
                .workflows
                .into_iter()
                .map(|mut w| {
                    for p in w.parts.values_mut() {
                        p.weight /= 2.0;
                    }
                    w
                })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_ready_safe_team_starts_with_followup_and_is_told_so() {
        let facts = AssessFacts {
            window_days: 28,
            email_actions: 300,
            email_held: 20,
            email_protected_holds: 15,
            email_holds_by_role: BTreeMap::from([("manager".to_owned(), 15)]),
            outbound_emails: 200,
            open_opportunities: 50,
            missing_next_step: 2,
            needing_update: 3,
            recent_activity: 48,
            accounts: 20,
            contacts: 40,
            contacts_with_title: 38,
            knowledge_entries: 12,
            knowledge_valid: 12,
            reviewers_by_role: BTreeMap::from([("manager".to_owned(), 1)]),
            scanned: true,
            ..AssessFacts::default()
        };
        let a = assess(&facts, &AssessWeights::default());
        assert_eq!(rank(&a)[0], FOLLOWUP_EMAIL, "{:#?}", a.workflows);
        assert!(
            a.to_move_followup_up.is_empty(),
            "{:?}",
            a.to_move_followup_up
        );
        assert!(!a.recommendation.contains("ranks"));
    }

    #[test]
    fn no_data_scores_deterministically_and_asks_for_a_scan() {
        let a = assess(&AssessFacts::default(), &AssessWeights::default());
        let b = assess(&AssessFacts::default(), &AssessWeights::default());
        assert_eq!(a, b);
        assert!(a.to_move_followup_up.iter().any(|c| c.contains("scan")));
        let zero = AssessWeights {
            volume: 0.0,
            risk: 0.0,
            readiness: 0.0,
            capacity: 0.0,
            exposure: 0.0,
        };
        assert!(
            assess(&AssessFacts::default(), &zero)
                .workflows
                .iter()
                .all(|w| w.score == 0.0)
        );
    }

    #[test]
    fn the_policy_reads_assess_weights_and_refuses_bad_ones() {
        use crate::policy::DEFAULT_SOURCES;
        use crate::policy::config::PolicyConfig;

        let default = PolicyConfig::parse("p.toml", DEFAULT_SOURCES.toml.1).unwrap();
        assert_eq!(default.assess, AssessWeights::default());

        let toml = format!(
            "{}\n[assess]\nvolume = 1.0\nexposure = 0\n",
            DEFAULT_SOURCES.toml.1
        );
        let config = PolicyConfig::parse("p.toml", &toml).unwrap();
        assert_eq!(config.assess.volume, 1.0);
        assert_eq!(config.assess.exposure, 0.0);
        assert_eq!(config.assess.risk, AssessWeights::default().risk);

        let toml = format!("{}\n[assess]\nvolume = -1.0\n", DEFAULT_SOURCES.toml.1);
        let err = PolicyConfig::parse("p.toml", &toml).unwrap_err();
        assert!(
            err.iter()
                .any(|p| p.message == "assess.volume: `-1` must be a number of 0 or more"),
            "{err:?}"
        );
        let toml = format!(
            "{}\n[assess]\nvolume = 0\nrisk = 0\nreadiness = 0\ncapacity = 0\nexposure = 0\n",
            DEFAULT_SOURCES.toml.1
        );
        let err = PolicyConfig::parse("p.toml", &toml).unwrap_err();
        assert!(
            err.iter().any(|p| p.message.contains("must not all be 0")),
            "{err:?}"
        );
        let toml = format!("{}\n[assess]\nvolum = 1\n", DEFAULT_SOURCES.toml.1);
        assert!(PolicyConfig::parse("p.toml", &toml).is_err());
    }
}
