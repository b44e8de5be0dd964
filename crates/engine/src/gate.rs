//! The decision pipeline (DESIGN §3): detectors → findings → tier from policy → data
//! classes and tool authorization → guards → decision.
//!
//! This is the one place that fails closed: any detector error, panic, oversized body or
//! policy gap becomes `hold` with a reason that says what failed. Nothing here returns
//! `Allow` as a fallback.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Utc};

use crate::action::{Action, Payload};
use crate::context::Context;
use crate::decision::{Decision, DecisionRecord, Failure};
use crate::detect::model::{Features, Input, Model, ModelError, TrainConfig};
use crate::detect::normalize::Normalized;
use crate::detect::{self, Detector, DetectorError, Document, Signals};
use crate::finding::{Category, Finding};
use crate::guards::{self, GuardResult};
use crate::policy::{Policy, Principal, ProposalFacts, Verb, Violation};
use crate::reason::Reason;
use crate::tier::Tier;

/// Why the gate could not decide normally; each becomes a `hold`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("the {field} is {size} bytes, over the policy's limit of {limit} bytes: held unread")]
    TooLarge {
        field: String,
        size: usize,
        limit: usize,
    },
    #[error(transparent)]
    Detector(#[from] DetectorError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

mod grounding;
mod judgement;

pub use judgement::Judgement;

/// The detectors and the model, built once (lexicon automata are compiled at construction).
pub struct Gate {
    detectors: Vec<Box<dyn Detector>>,
    /// The trained model, or why it could not be read: then every decision holds.
    model: Result<Arc<Model>, ModelError>,
    judgement: Judgement,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    pub fn new() -> Self {
        Self::with_detectors(detect::default_detectors())
    }

    /// A gate with a chosen set of detectors (tests use this to inject failures).
    pub fn with_detectors(detectors: Vec<Box<dyn Detector>>) -> Self {
        Self {
            detectors,
            model: Model::shipped().map(Arc::new),
            judgement: Judgement::Both,
        }
    }

    /// The same detectors with another model (`eval --folds` trains one per fold).
    pub fn with_model(self, model: Model) -> Self {
        Self {
            model: Ok(Arc::new(model)),
            ..self
        }
    }

    /// The same gate judging with the rules, the model or both (`eval --detectors`).
    pub fn with_judgement(self, judgement: Judgement) -> Self {
        Self { judgement, ..self }
    }

    /// The rules' findings judged by the model: what the decision rests on.
    pub fn judged_findings(
        &self,
        action: &Action,
        ctx: &Context,
        policy: &Policy,
    ) -> Result<Vec<Finding>, GateError> {
        if self.judgement == Judgement::Rules {
            let findings = self.findings(action, ctx, policy)?;
            return Ok(findings
                .into_iter()
                .filter(|f| !judgement::is_cue(f))
                .collect());
        }
        let model = self
            .model
            .as_ref()
            .map_err(|e| GateError::Model(e.clone()))?;
        let threshold = policy.config.model.sensitivity.threshold();
        let mut judged = self.read(action, ctx, policy, |findings, reading| {
            let input = reading.input(&findings, self.judgement);
            let kept = match self.judgement {
                // The model alone: no rule speaks for a protected category.
                Judgement::Model => findings
                    .iter()
                    .filter(|f| !detect::model::LABELS.contains(&f.category))
                    .cloned()
                    .collect(),
                _ => findings.clone(),
            };
            let mut judged = judgement::apply(model, &input, kept, threshold);
            // The model's own findings point into the normalised text; the rules' already
            // point into the original.
            for f in judged.iter_mut().filter(|f| f.rule.starts_with("model.")) {
                let range = reading.original(&f.field, f.start..f.end);
                (f.start, f.end) = (range.start, range.end);
            }
            judged
        })?;
        judged.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Ok(judged)
    }

    /// The model's features for an action, as `cfg` hashes them: what training reads.
    pub fn features(
        &self,
        action: &Action,
        ctx: &Context,
        policy: &Policy,
        cfg: &TrainConfig,
    ) -> Result<Features, GateError> {
        self.read(action, ctx, policy, |findings, reading| {
            cfg.features(&reading.input(&findings, self.judgement))
        })
    }

    /// Decides, failing closed: never panics, never allows on error.
    pub fn decide(
        &self,
        action: &Action,
        ctx: &Context,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> DecisionRecord {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.try_decide(action, ctx, policy, now)
        }));
        match outcome {
            Ok(Ok(record)) => record,
            Ok(Err(e)) => DecisionRecord::fail_closed(
                &action.id,
                &policy.version,
                &Failure::Engine(e.to_string()),
            ),
            Err(_) => DecisionRecord::fail_closed(&action.id, &policy.version, &Failure::Panicked),
        }
    }

    /// Runs the detectors only: the findings for an action, sorted and de-duplicated.
    pub fn findings(
        &self,
        action: &Action,
        ctx: &Context,
        policy: &Policy,
    ) -> Result<Vec<Finding>, GateError> {
        self.read(action, ctx, policy, |findings, _| findings)
    }

    /// Normalises every field once, runs the detectors over it, and hands the findings
    /// (spans in the original bytes) and the model's view of the same reading to `then`.
    fn read<R>(
        &self,
        action: &Action,
        ctx: &Context,
        policy: &Policy,
        then: impl FnOnce(Vec<Finding>, &Reading<'_>) -> R,
    ) -> Result<R, GateError> {
        let limit = policy.config.limits.max_body_bytes;
        let texts = texts(action);
        for (field, text) in &texts {
            if text.len() > limit {
                return Err(GateError::TooLarge {
                    field: field.clone(),
                    size: text.len(),
                    limit,
                });
            }
        }
        let recipients: Vec<&str> = match &action.payload {
            Payload::Email(e) => e.to.iter().chain(&e.cc).map(|a| a.as_str()).collect(),
            _ => Vec::new(),
        };
        let contact = ctx.contact.as_ref();
        let signals = Signals {
            recipient_title: contact.and_then(|c| c.title.as_deref()),
            recipient_crm_role: contact.and_then(|c| c.crm_role.as_deref()),
            recipients: &recipients,
            sender_email: ctx.sender.as_ref().and_then(|s| s.email.as_deref()),
            sender_phone: ctx.sender.as_ref().and_then(|s| s.phone.as_deref()),
            sender_name: ctx.sender.as_ref().and_then(|s| s.name.as_deref()),
            recipient_name: contact.and_then(|c| c.name.as_deref()),
        };
        let inbound = match &action.payload {
            Payload::Email(e) => e.in_reply_to.as_ref().map(|m| m.text.as_str()),
            _ => None,
        };
        // Detectors read what a person reads: HTML as text, look-alike, invisible, spread-out
        // and l33t letters undone (`detect::normalize`), the inbound text too so quotes still
        // match it. Spans go back to the original bytes; evidence keeps the normalised words.
        let normalize = |text: &str| {
            catch_unwind(|| detect::normalize::normalize(text)).map_err(|_| {
                GateError::Detector(DetectorError {
                    detector: "normalize",
                    problem: "panicked".to_owned(),
                })
            })
        };
        let inbound = inbound.map(normalize).transpose()?;
        let normalized = texts
            .iter()
            .map(|(_, text)| normalize(text))
            .collect::<Result<Vec<_>, _>>()?;
        let docs: Vec<Document<'_>> = texts
            .iter()
            .zip(&normalized)
            .map(|((field, _), n)| {
                let quoted = match field.as_str() {
                    "body" => inbound.as_ref().map(|n| n.text.as_str()),
                    _ => None,
                };
                Document::new(field, &n.text, quoted)
            })
            .collect();
        let mut findings = Vec::new();
        for (((field, text), normalized), doc) in texts.iter().zip(&normalized).zip(&docs) {
            let first = findings.len();
            for detector in &self.detectors {
                let ran = catch_unwind(AssertUnwindSafe(|| {
                    detector.detect(doc, &signals, &mut findings)
                }));
                match ran {
                    Ok(result) => result?,
                    Err(_) => {
                        return Err(GateError::Detector(DetectorError {
                            detector: detector.name(),
                            problem: "panicked".to_owned(),
                        }));
                    }
                }
            }
            // Findings about context (the recipient's title) point into no text.
            for f in findings[first..].iter_mut().filter(|f| f.field == *field) {
                let range = normalized.original_range(f.start..f.end);
                (f.start, f.end) = (range.start, range.end);
            }
            for hidden in &normalized.obfuscations {
                let kind = hidden.kind.as_str();
                let original = text.get(hidden.start..hidden.end).unwrap_or_default();
                findings.push(Finding {
                    category: Category::Obfuscation,
                    subtopic: kind.to_owned(),
                    start: hidden.start,
                    end: hidden.end,
                    field: field.clone(),
                    evidence: format!(
                        "{} reads as {}",
                        detect::normalize::reveal(original),
                        hidden.word
                    ),
                    confidence: 0.9,
                    rule: format!("obfuscation.{kind}"),
                });
            }
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup();
        // Before the model reads them: a rule that fired on the company's name says nothing.
        grounding::drop_company_name_words(action, ctx, &mut findings);
        let reading = Reading {
            texts: &texts,
            normalized: &normalized,
            docs: &docs,
            recipient_title: signals.recipient_title,
        };
        Ok(then(findings, &reading))
    }

    fn try_decide(
        &self,
        action: &Action,
        ctx: &Context,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<DecisionRecord, GateError> {
        let mut findings = self.judged_findings(action, ctx, policy)?;
        let grounded = grounding::check(action, ctx, policy, now.date_naive());
        findings.extend(grounded.findings);
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let cfg = &policy.config;
        let mut roles = BTreeSet::new();
        let mut reasons = Vec::new();
        let mut denied = false;
        let mut not_before = None;

        let kind = action.kind.as_str();
        let mut tier = match cfg.tiers.get(kind) {
            Some(t) => {
                reasons.push(Reason::BaseTier {
                    kind: kind.to_owned(),
                    tier: *t,
                });
                *t
            }
            None => {
                roles.insert("manager".to_owned());
                reasons.push(Reason::UnknownKind {
                    kind: kind.to_owned(),
                });
                Tier::ManagerApproved
            }
        };

        // Findings: one reason per category and subtopic, in a stable order.
        let mut groups: BTreeMap<(Category, &str), Vec<&Finding>> = BTreeMap::new();
        let is_claim =
            |f: &Finding| f.rule == grounding::UNSUPPORTED || f.rule == grounding::CONTRADICTED;
        for f in &findings {
            if f.confidence >= cfg.limits.min_confidence && !is_claim(f) {
                groups
                    .entry((f.category, f.subtopic.as_str()))
                    .or_default()
                    .push(f);
            }
        }
        for ((category, subtopic), group) in &groups {
            let Some(rule) = cfg.categories.get(category) else {
                continue;
            };
            tier = tier.tighten(rule.tier);
            let needed = rule.roles_for(subtopic);
            roles.extend(needed.iter().cloned());
            // Two different quotes at most: the same words found twice say nothing more.
            let mut evidence: Vec<String> = Vec::new();
            for f in group {
                if evidence.len() < 2
                    && !evidence.iter().any(|e| e.eq_ignore_ascii_case(&f.evidence))
                {
                    evidence.push(f.evidence.clone());
                }
            }
            reasons.push(Reason::Finding {
                category: *category,
                subtopic: (*subtopic).to_owned(),
                evidence,
                roles: needed.clone(),
            });
        }

        // Claims: backed ones are named as sources; the rest hold for the topic's roles
        // (and, when an entry says otherwise, its owner).
        for reason in grounded.reasons {
            if reason.is_cause() {
                tier = tier.tighten(Tier::ManagerApproved);
                roles.extend(reason.roles());
            }
            reasons.push(reason);
        }

        // CRM field changes that need a human.
        if let Payload::OpportunityUpdate(update) = &action.payload {
            for field in update.changes.keys() {
                match cfg.crm_field(field) {
                    Some((_, rule)) if rule.tier == Tier::AutomationSafe => {}
                    Some((name, rule)) => {
                        tier = tier.tighten(rule.tier);
                        roles.extend(rule.roles.iter().cloned());
                        reasons.push(Reason::CrmField {
                            field: name.to_owned(),
                            tier: rule.tier,
                            roles: rule.roles.clone(),
                        });
                    }
                    // A field the policy does not name may be anything the CRM has.
                    None => {
                        tier = tier.tighten(Tier::ManagerApproved);
                        roles.insert("manager".to_owned());
                        reasons.push(Reason::UnlistedCrmField {
                            field: field.clone(),
                        });
                    }
                }
            }
        }

        // A rep no account has: separation of duties cannot know who must not approve.
        if let Some(rep) = ctx.rep.as_ref().filter(|r| !r.registered) {
            tier = tier.tighten(Tier::ManagerApproved);
            roles.insert("manager".to_owned());
            reasons.push(Reason::UnknownRep {
                name: rep.name.clone(),
            });
        }

        // The proposing tool: registered, allowed this kind, cleared for the data.
        if let Some(tool) = &ctx.tool {
            let authz = policy.authz.authorize(
                &Principal::Tool {
                    name: &tool.name,
                    kinds: &tool.kinds,
                    registered: tool.registered,
                },
                Verb::Propose,
                &ProposalFacts {
                    id: &action.id,
                    kind,
                    tool: &tool.name,
                    on_behalf_of: action.on_behalf_of.as_deref().unwrap_or(""),
                    protected: findings.iter().any(|f| f.category.is_protected()),
                    required_roles: &roles,
                },
            );
            if !authz.allowed {
                denied = true;
                reasons.push(if tool.registered {
                    Reason::KindNotAllowed {
                        tool: tool.name.clone(),
                        kind: kind.to_owned(),
                    }
                } else {
                    Reason::UnregisteredTool {
                        tool: tool.name.clone(),
                    }
                });
            }
            let mut seen = BTreeSet::new();
            for f in findings
                .iter()
                .filter(|f| f.category == Category::Sensitive)
            {
                let Some((class, dc)) = cfg.data_class_of(&f.subtopic) else {
                    continue;
                };
                if tool.data_classes.contains(class) || !seen.insert(class) {
                    continue;
                }
                let refused = dc.on_violation == Violation::Deny;
                if refused {
                    denied = true;
                } else {
                    tier = tier.tighten(Tier::ManagerApproved);
                    roles.insert("security".to_owned());
                }
                reasons.push(Reason::DataClass {
                    tool: tool.name.clone(),
                    class: class.to_owned(),
                    refused,
                });
            }
        }

        // Guards apply to what reaches a buyer's inbox.
        if kind == crate::action::ActionKind::EMAIL_SEND {
            for result in guards::check(&cfg.guards, ctx, now) {
                match result {
                    GuardResult::Deny(reason) => {
                        denied = true;
                        reasons.push(reason);
                    }
                    GuardResult::Hold { roles: r, reason } => {
                        tier = tier.tighten(Tier::ManagerApproved);
                        roles.extend(r);
                        reasons.push(reason);
                    }
                    GuardResult::Defer { until, reason } => {
                        not_before = Some(until);
                        reasons.push(reason);
                    }
                }
            }
        }

        let decision = if denied {
            Decision::Deny
        } else {
            match tier {
                Tier::AutomationSafe => Decision::Allow,
                Tier::ManagerApproved => Decision::Hold,
                Tier::DraftOnly => Decision::DraftOnly,
                Tier::ReadOnly if action.kind.writes() => {
                    reasons.push(Reason::ReadOnlyWrites {
                        kind: kind.to_owned(),
                    });
                    Decision::Deny
                }
                Tier::ReadOnly => Decision::Allow,
            }
        };
        if decision != Decision::Hold && decision != Decision::DraftOnly {
            roles.clear();
        }
        Ok(DecisionRecord {
            id: action.id.clone(),
            decision,
            tier,
            roles,
            reasons,
            findings,
            policy_version: policy.version.clone(),
            not_before: if decision == Decision::Allow {
                not_before
            } else {
                None
            },
        })
    }
}

/// One action as the detectors read it: each field's original, its normalised text and
/// its sentences, in the same order (body first).
struct Reading<'a> {
    texts: &'a [(String, &'a str)],
    normalized: &'a [Normalized],
    docs: &'a [Document<'a>],
    recipient_title: Option<&'a str>,
}

impl Reading<'_> {
    /// What the model reads: the body and subject, the title, and the rules' findings
    /// (none when the model judges alone).
    fn input<'f>(&'f self, findings: &'f [Finding], judgement: Judgement) -> Input<'f> {
        Input {
            body: &self.docs[0],
            subject: self.docs.iter().find(|d| d.field == "subject"),
            recipient_title: self.recipient_title,
            findings: if judgement == Judgement::Model {
                &[]
            } else {
                findings
            },
        }
    }

    /// A span of a field's normalised text, in its original bytes.
    fn original(&self, field: &str, range: Range<usize>) -> Range<usize> {
        match self.texts.iter().position(|(f, _)| f == field) {
            Some(i) => self.normalized[i].original_range(range),
            None => range,
        }
    }
}

/// The texts detectors read, by field: body, subject, and the text values of CRM changes.
fn texts(action: &Action) -> Vec<(String, &str)> {
    let mut out = vec![("body".to_owned(), action.body())];
    if !action.subject().is_empty() {
        out.push(("subject".to_owned(), action.subject()));
    }
    if let Payload::OpportunityUpdate(update) = &action.payload {
        for (k, v) in &update.changes {
            if let Some(s) = v.as_str() {
                out.push((format!("payload.changes.{k}"), s));
            }
        }
    }
    out
}

/// Decides with the shared default detectors.
pub fn decide(
    action: &Action,
    ctx: &Context,
    policy: &Policy,
    now: DateTime<Utc>,
) -> DecisionRecord {
    static GATE: LazyLock<Gate> = LazyLock::new(Gate::new);
    GATE.decide(action, ctx, policy, now)
}
