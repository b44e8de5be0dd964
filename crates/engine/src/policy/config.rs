//! The TOML half of a policy: base tiers, CRM fields, category rules, data classes, guards.
//!
//! Parsed with spans so that every problem, syntactic or semantic, is reported with its
//! line and column; all problems are collected, not just the first.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveTime;
use serde::Deserialize;
use toml::Spanned;

use super::PolicyProblem;
use crate::assess::AssessWeights;
use crate::finding::Category;
use crate::service_level::{BusinessHours, RoleLevel, ServiceLevels};
use crate::tier::Tier;
use crate::triage::TriageLimits;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    limits: Limits,
    tiers: BTreeMap<Spanned<String>, Tier>,
    #[serde(default)]
    crm_fields: BTreeMap<Spanned<String>, RawRule>,
    categories: BTreeMap<Spanned<String>, RawCategoryRule>,
    #[serde(default)]
    data_classes: BTreeMap<String, RawDataClass>,
    #[serde(default)]
    guards: RawGuards,
    #[serde(default)]
    model: ModelSettings,
    #[serde(default)]
    review: RawReview,
    #[serde(default)]
    triage: Option<Spanned<RawTriage>>,
    #[serde(default)]
    sequences: Option<Spanned<Sequences>>,
    #[serde(default)]
    assess: Option<Spanned<AssessWeights>>,
}

/// `[sequences]`: when one text sent to many buyers is a sequence (a `generic` finding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sequences {
    /// How far back the store looks for the same text.
    pub window_hours: u32,
    /// Buyers who got the same text in the window (this one included) that make it a
    /// sequence.
    pub min_recipients: u32,
}

impl Default for Sequences {
    fn default() -> Self {
        Self {
            window_hours: 24,
            min_recipients: 5,
        }
    }
}

/// `[triage]`: when an open opportunity's facts become reasons (see [`crate::triage`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriage {
    #[serde(default)]
    no_activity_days: BTreeMap<String, i64>,
    #[serde(default)]
    stuck_days: BTreeMap<String, i64>,
    next_step_days: Option<i64>,
    close_date_pushes: Option<u32>,
    executive_amount: Option<f64>,
    unanswered: Option<u32>,
}

/// `[review]`: service levels (see [`crate::service_level`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    expire_after: Option<Spanned<String>>,
    business_hours: Option<RawBusinessHours>,
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, RawRoleLevel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBusinessHours {
    start: Spanned<String>,
    end: Spanned<String>,
    days: Vec<Spanned<String>>,
    timezone: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoleLevel {
    within: Spanned<String>,
    remind_after: Option<Spanned<String>>,
    #[serde(default)]
    escalate_to: Vec<Spanned<String>>,
}

/// A span of time as the policy writes it: `30m`, `4h`, `5d`.
fn span(text: &str) -> Option<chrono::Duration> {
    let text = text.trim();
    let (n, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    match unit.trim() {
        "m" | "min" => Some(chrono::Duration::minutes(n)),
        "h" => Some(chrono::Duration::hours(n)),
        "d" => Some(chrono::Duration::days(n)),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    tier: Tier,
    #[serde(default)]
    roles: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategoryRule {
    tier: Tier,
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    subtopics: BTreeMap<String, Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataClass {
    subtopics: Vec<String>,
    on_violation: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuards {
    contact_cap: Option<Cap>,
    account_cap: Option<Cap>,
    quiet_hours: Option<RawQuietHours>,
    automated_followups: Option<FollowupCap>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuietHours {
    start: Spanned<String>,
    end: Spanned<String>,
    #[serde(default)]
    weekends: bool,
}

/// How the trained model's judgement is used.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    #[serde(default)]
    pub sensitivity: Sensitivity,
}

/// An operating point on the escape / false-hold trade-off: the model probability at which
/// a protected category counts. `countersign eval --folds 5` prints what each point gives.
/// Written as a name (`strict`, `balanced`, `lenient`) or a probability (`0.2`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(try_from = "RawSensitivity")]
pub enum Sensitivity {
    /// Holds more: the fewest protected messages escape.
    Strict,
    /// The default: the point that met the escape goal under cross-validation.
    #[default]
    Balanced,
    /// Holds less: fewer routine messages wait for a human, more protected ones escape.
    Lenient,
    /// A probability chosen by the policy's author.
    Threshold(f32),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSensitivity {
    Name(String),
    Value(f32),
}

impl TryFrom<RawSensitivity> for Sensitivity {
    type Error = String;

    fn try_from(raw: RawSensitivity) -> Result<Self, String> {
        match raw {
            RawSensitivity::Name(name) => Self::NAMED
                .into_iter()
                .find(|s| s.as_str() == name)
                .ok_or_else(|| {
                    format!("sensitivity `{name}` must be `strict`, `balanced`, `lenient` or a probability")
                }),
            RawSensitivity::Value(v) if v > 0.0 && v < 1.0 => Ok(Self::Threshold(v)),
            RawSensitivity::Value(v) => Err(format!("sensitivity `{v}` must lie between 0 and 1")),
        }
    }
}

impl Sensitivity {
    /// The named operating points.
    pub const NAMED: [Sensitivity; 3] = [
        Sensitivity::Strict,
        Sensitivity::Balanced,
        Sensitivity::Lenient,
    ];

    /// The probability at or above which the model's category counts.
    pub fn threshold(self) -> f32 {
        match self {
            Sensitivity::Strict => 0.1,
            Sensitivity::Balanced => 0.2,
            Sensitivity::Lenient => 0.3,
            Sensitivity::Threshold(t) => t,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Strict => "strict",
            Sensitivity::Balanced => "balanced",
            Sensitivity::Lenient => "lenient",
            Sensitivity::Threshold(_) => "threshold",
        }
    }
}

/// Size and confidence limits.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body(),
            min_confidence: default_min_confidence(),
        }
    }
}

fn default_max_body() -> usize {
    1 << 20
}

fn default_min_confidence() -> f32 {
    0.5
}

/// A tier plus the roles it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub tier: Tier,
    pub roles: BTreeSet<String>,
}

/// What a category needs, with per-subtopic roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRule {
    pub tier: Tier,
    pub roles: BTreeSet<String>,
    pub subtopics: BTreeMap<String, BTreeSet<String>>,
}

impl CategoryRule {
    /// Roles for a finding of this category and subtopic.
    pub fn roles_for(&self, subtopic: &str) -> &BTreeSet<String> {
        self.subtopics.get(subtopic).unwrap_or(&self.roles)
    }
}

/// What happens when a tool receives data it is not cleared for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    Hold,
    Deny,
}

/// A data class: sensitive subtopics that belong to it and what a violation costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataClass {
    pub subtopics: BTreeSet<String>,
    pub on_violation: Violation,
}

/// At most `max` e-mails in a window of `window_hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    pub max: u32,
    pub window_hours: u32,
}

/// At most `max` automated follow-ups per opportunity in `window_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowupCap {
    pub max: u32,
    pub window_days: u32,
}

/// Local times in the recipient's zone when nothing is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub weekends: bool,
}

/// The guards of DESIGN §2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guards {
    pub contact_cap: Option<Cap>,
    pub account_cap: Option<Cap>,
    pub quiet_hours: Option<QuietHours>,
    pub automated_followups: Option<FollowupCap>,
}

/// The validated TOML policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    pub name: String,
    pub roles: BTreeSet<String>,
    pub limits: Limits,
    pub tiers: BTreeMap<String, Tier>,
    pub crm_fields: BTreeMap<String, Rule>,
    /// Each CRM field's name as CRMs match it ([`crate::names::crm_field`]) → the policy's
    /// name for it, so a decision looks a field up once.
    crm_keys: BTreeMap<String, String>,
    pub categories: BTreeMap<Category, CategoryRule>,
    pub data_classes: BTreeMap<String, DataClass>,
    pub guards: Guards,
    pub model: ModelSettings,
    /// How long each role has to decide, and what happens when it does not.
    pub review: ServiceLevels,
    /// When an open opportunity needs a human.
    pub triage: TriageLimits,
    /// When the same text to many buyers is a sequence.
    pub sequences: Sequences,
    /// How the AI Opportunity Score weighs its parts (see [`crate::assess`]).
    pub assess: AssessWeights,
}

impl PolicyConfig {
    /// The policy's rule for a CRM field, matched as the CRM matches names
    /// ([`crate::names::crm_field`]), with the name the policy gives it.
    #[must_use]
    pub fn crm_field(&self, field: &str) -> Option<(&str, &Rule)> {
        let name = self.crm_keys.get(&crate::names::crm_field(field))?;
        Some((name.as_str(), self.crm_fields.get(name)?))
    }

    /// Parses and validates; on failure returns every problem found, each with a position.
    pub fn parse(file: &str, src: &str) -> Result<Self, Vec<PolicyProblem>> {
        let raw: RawPolicy = toml::from_str(src).map_err(|e| {
            vec![PolicyProblem::at(
                file,
                src,
                e.span().map_or(0, |s| s.start),
                e.message().trim(),
            )]
        })?;
        let mut problems = Vec::new();
        let mut problem = |offset: usize, msg: String| {
            problems.push(PolicyProblem::at(file, src, offset, &msg));
        };

        let roles: BTreeSet<String> = raw.roles.iter().map(|r| r.get_ref().clone()).collect();
        let check_roles = |list: &[Spanned<String>], problem: &mut dyn FnMut(usize, String)| {
            list.iter()
                .filter_map(|r| {
                    if roles.contains(r.get_ref()) {
                        Some(r.get_ref().clone())
                    } else {
                        problem(
                            r.span().start,
                            format!("role `{}` is not declared in `roles`", r.get_ref()),
                        );
                        None
                    }
                })
                .collect::<BTreeSet<_>>()
        };

        let mut tiers = BTreeMap::new();
        for (kind, tier) in raw.tiers {
            if crate::action::ActionKind::parse(kind.get_ref()).is_err() {
                problem(
                    kind.span().start,
                    format!(
                        "`{}` is not an action kind (expected e.g. `email.send`)",
                        kind.get_ref()
                    ),
                );
            }
            tiers.insert(kind.into_inner(), tier);
        }

        let mut crm_fields: BTreeMap<String, Rule> = BTreeMap::new();
        let mut crm_keys: BTreeMap<String, String> = BTreeMap::new();
        for (field, rule) in raw.crm_fields {
            let roles = check_roles(&rule.roles, &mut problem);
            let key = crate::names::crm_field(field.get_ref());
            if let Some(other) = crm_keys.insert(key, field.get_ref().clone()) {
                problem(
                    field.span().start,
                    format!(
                        "`{}` and `{other}` are one CRM field (CRMs match names without case \
                         or separators)",
                        field.get_ref()
                    ),
                );
            }
            crm_fields.insert(
                field.into_inner(),
                Rule {
                    tier: rule.tier,
                    roles,
                },
            );
        }

        let mut categories = BTreeMap::new();
        for (name, rule) in raw.categories {
            let Some(category) = Category::parse(name.get_ref()) else {
                problem(
                    name.span().start,
                    format!(
                        "`{}` is not a category (expected one of {})",
                        name.get_ref(),
                        Category::ALL.map(Category::as_str).join(", ")
                    ),
                );
                continue;
            };
            if rule.tier > crate::tier::Tier::AutomationSafe && rule.roles.is_empty() {
                problem(
                    name.span().start,
                    format!(
                        "category `{}` raises the tier but names no `roles`",
                        name.get_ref()
                    ),
                );
            }
            let roles = check_roles(&rule.roles, &mut problem);
            let mut subtopics = BTreeMap::new();
            for (sub, list) in rule.subtopics {
                if !crate::detect::known_subtopic(category, &sub) {
                    let at = list.first().map_or(name.span().start, |r| r.span().start);
                    problem(at, format!("`{sub}` is not a subtopic of `{category}`"));
                }
                subtopics.insert(sub, check_roles(&list, &mut problem));
            }
            categories.insert(
                category,
                CategoryRule {
                    tier: rule.tier,
                    roles,
                    subtopics,
                },
            );
        }
        // Policies written before the generic check keep working: follow-ups that say
        // nothing specific become drafts for the rep, which is the shipped default.
        categories
            .entry(Category::Generic)
            .or_insert_with(|| CategoryRule {
                tier: crate::tier::Tier::DraftOnly,
                roles: BTreeSet::from(["manager".to_owned()]),
                subtopics: BTreeMap::new(),
            });
        for category in Category::ALL {
            if !categories.contains_key(&category) {
                problem(
                    0,
                    format!("`[categories.{category}]` is missing: every category needs a rule"),
                );
            }
        }

        let mut data_classes = BTreeMap::new();
        for (class, dc) in raw.data_classes {
            let on_violation = match dc.on_violation.get_ref().as_str() {
                "hold" => Violation::Hold,
                "deny" => Violation::Deny,
                other => {
                    problem(
                        dc.on_violation.span().start,
                        format!("on_violation `{other}` must be `hold` or `deny`"),
                    );
                    Violation::Deny
                }
            };
            data_classes.insert(
                class,
                DataClass {
                    subtopics: dc.subtopics.into_iter().collect(),
                    on_violation,
                },
            );
        }

        let quiet_hours = raw.guards.quiet_hours.map(|q| {
            let mut time = |s: &Spanned<String>| {
                NaiveTime::parse_from_str(s.get_ref(), "%H:%M").unwrap_or_else(|_| {
                    problem(
                        s.span().start,
                        format!("`{}` is not a time like `20:00`", s.get_ref()),
                    );
                    NaiveTime::MIN
                })
            };
            QuietHours {
                start: time(&q.start),
                end: time(&q.end),
                weekends: q.weekends,
            }
        });

        let review = parse_review(&raw.review, &roles, &mut problem);
        let triage = parse_triage(raw.triage.as_ref(), &mut problem);
        let sequences = match &raw.sequences {
            Some(s) => {
                let v = *s.get_ref();
                if v.window_hours == 0 {
                    problem(
                        s.span().start,
                        "sequences.window_hours: must be at least 1".to_owned(),
                    );
                }
                if v.min_recipients < 2 {
                    problem(
                        s.span().start,
                        "sequences.min_recipients: must be at least 2".to_owned(),
                    );
                }
                v
            }
            None => Sequences::default(),
        };
        let assess = parse_assess(raw.assess.as_ref(), &mut problem);

        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            name: raw.name,
            roles,
            limits: raw.limits,
            tiers,
            crm_fields,
            crm_keys,
            categories,
            data_classes,
            guards: Guards {
                contact_cap: raw.guards.contact_cap,
                account_cap: raw.guards.account_cap,
                quiet_hours,
                automated_followups: raw.guards.automated_followups,
            },
            model: raw.model,
            review,
            triage,
            sequences,
            assess,
        })
    }

    /// The data class a sensitive subtopic belongs to.
    pub fn data_class_of(&self, subtopic: &str) -> Option<(&str, &DataClass)> {
        self.data_classes
            .iter()
            .find(|(_, dc)| dc.subtopics.contains(subtopic))
            .map(|(name, dc)| (name.as_str(), dc))
    }
}

/// Reads `[review]`, reporting each problem at its place.
fn parse_review(
    raw: &RawReview,
    roles: &BTreeSet<String>,
    problem: &mut dyn FnMut(usize, String),
) -> ServiceLevels {
    let mut duration = |s: &Spanned<String>| {
        span(s.get_ref()).or_else(|| {
            problem(
                s.span().start,
                format!(
                    "`{}` is not a time span like `30m`, `4h` or `5d`",
                    s.get_ref()
                ),
            );
            None
        })
    };
    let expire_after = raw.expire_after.as_ref().and_then(&mut duration);
    let mut levels = BTreeMap::new();
    let mut later = Vec::new();
    for (role, level) in &raw.roles {
        let within = duration(&level.within);
        let remind_after = level.remind_after.as_ref().and_then(&mut duration);
        if let (Some(w), Some(r), Some(at)) = (within, remind_after, &level.remind_after)
            && r >= w
        {
            later.push((
                at.span().start,
                format!(
                    "remind_after `{}` must be shorter than within `{}`",
                    at.get_ref(),
                    level.within.get_ref()
                ),
            ));
        }
        if !roles.contains(role.get_ref()) {
            later.push((
                role.span().start,
                format!("`{}` is not a role of the policy", role.get_ref()),
            ));
        }
        for to in &level.escalate_to {
            if to.get_ref().trim().is_empty() {
                later.push((
                    to.span().start,
                    "escalate_to: a role or a reviewer's name, not empty".to_owned(),
                ));
            }
        }
        if let Some(within) = within {
            levels.insert(
                role.get_ref().clone(),
                RoleLevel {
                    within,
                    remind_after,
                    escalate_to: level
                        .escalate_to
                        .iter()
                        .map(|t| t.get_ref().trim().to_owned())
                        .collect(),
                },
            );
        }
    }
    let business_hours = raw.business_hours.as_ref().and_then(|b| {
        let mut time = |s: &Spanned<String>| {
            NaiveTime::parse_from_str(s.get_ref(), "%H:%M")
                .ok()
                .or_else(|| {
                    later.push((
                        s.span().start,
                        format!("`{}` is not a time like `09:00`", s.get_ref()),
                    ));
                    None
                })
        };
        let (start, end) = (time(&b.start), time(&b.end));
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            later.push((b.end.span().start, "end must be after start".to_owned()));
        }
        let days: Vec<chrono::Weekday> = b
            .days
            .iter()
            .filter_map(|d| {
                d.get_ref().parse().ok().or_else(|| {
                    later.push((
                        d.span().start,
                        format!("`{}` is not a day like `mon`", d.get_ref()),
                    ));
                    None
                })
            })
            .collect();
        let timezone = b.timezone.get_ref().parse().ok().or_else(|| {
            later.push((
                b.timezone.span().start,
                format!(
                    "`{}` is not a time zone like `Europe/London`",
                    b.timezone.get_ref()
                ),
            ));
            None
        });
        Some(BusinessHours {
            start: start?,
            end: end?,
            days,
            timezone: timezone?,
        })
    });
    for (at, message) in later {
        problem(at, message);
    }
    ServiceLevels {
        business_hours,
        roles: levels,
        expire_after,
    }
}

/// Reads `[assess]` over the defaults: every weight a number ≥ 0, and not all of them 0.
fn parse_assess(
    raw: Option<&Spanned<AssessWeights>>,
    problem: &mut dyn FnMut(usize, String),
) -> AssessWeights {
    let Some(raw) = raw else {
        return AssessWeights::default();
    };
    let at = raw.span().start;
    let w = *raw.get_ref();
    let mut sum = 0.0;
    for (name, weight) in w.parts() {
        if !(weight.is_finite() && weight >= 0.0) {
            problem(
                at,
                format!("assess.{name}: `{weight}` must be a number of 0 or more"),
            );
        } else {
            sum += weight;
        }
    }
    if sum <= 0.0 {
        problem(at, "assess: the weights must not all be 0".to_owned());
    }
    w
}

/// Reads `[triage]` over the defaults; every limit must be positive.
fn parse_triage(
    raw: Option<&Spanned<RawTriage>>,
    problem: &mut dyn FnMut(usize, String),
) -> TriageLimits {
    let mut limits = TriageLimits::default();
    let Some(raw) = raw else {
        return limits;
    };
    let at = raw.span().start;
    let t = raw.get_ref();
    for (name, map, into) in [
        (
            "no_activity_days",
            &t.no_activity_days,
            &mut limits.no_activity_days,
        ),
        ("stuck_days", &t.stuck_days, &mut limits.stuck_days),
    ] {
        for (stage, days) in map {
            if *days <= 0 {
                problem(
                    at,
                    format!("triage.{name}.{stage}: `{days}` must be more than 0 days"),
                );
            }
            into.insert(stage.clone(), *days);
        }
    }
    if let Some(d) = t.next_step_days {
        if d <= 0 {
            problem(
                at,
                format!("triage.next_step_days: `{d}` must be more than 0"),
            );
        }
        limits.next_step_days = d;
    }
    if let Some(n) = t.close_date_pushes {
        if n == 0 {
            problem(
                at,
                "triage.close_date_pushes: must be at least 1".to_owned(),
            );
        }
        limits.close_date_pushes = n;
    }
    if let Some(a) = t.executive_amount {
        if !(a.is_finite() && a >= 0.0) {
            problem(
                at,
                format!("triage.executive_amount: `{a}` is not an amount"),
            );
        }
        limits.executive_amount = a;
    }
    if let Some(n) = t.unanswered {
        if n == 0 {
            problem(at, "triage.unanswered: must be at least 1".to_owned());
        }
        limits.unanswered = n;
    }
    limits
}
