//! The template writer: shipped minijinja templates, one per intent, each overridable by a
//! deployment (`[assistant] templates`). Offline and deterministic, so the demo and the
//! tests draft without a model.
//!
//! A template cites what it uses with `cite(reference)` (a fact) and `cite_kb(id, text)` (a
//! knowledge entry): the draft's sources are exactly what the rendered text drew on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use countersign_engine::action::Source;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::{Brief, Draft, Fact, WriteError};

/// The intents a template exists for, with the words that choose each; the first is the
/// default.
pub const INTENTS: [(&str, &[&str]); 5] = [
    ("follow_up", &[]),
    (
        "recap",
        &[
            "recap",
            "summar",
            "after the demo",
            "after our call",
            "notes",
        ],
    ),
    (
        "answer_questions",
        &[
            "answer",
            "question",
            "security",
            "questionnaire",
            "sla",
            "uptime",
            "residency",
            "integration",
            "objection",
        ],
    ),
    (
        "re_engage",
        &[
            "re-engage",
            "reengage",
            "quiet",
            "check in",
            "checking in",
            "revive",
            "no reply",
            "no answer",
        ],
    ),
    (
        "next_step",
        &["next step", "schedule", "book", "meeting", "call"],
    ),
];

const SHIPPED: [(&str, &str); 5] = [
    ("follow_up", include_str!("../templates/follow_up.j2")),
    ("recap", include_str!("../templates/recap.j2")),
    (
        "answer_questions",
        include_str!("../templates/answer_questions.j2"),
    ),
    ("re_engage", include_str!("../templates/re_engage.j2")),
    ("next_step", include_str!("../templates/next_step.j2")),
];

/// Words that tie a buyer's text to a knowledge topic.
const TOPIC_WORDS: [(&str, &[&str]); 6] = [
    (
        "security",
        &[
            "security",
            "soc",
            "pen test",
            "pentest",
            "questionnaire",
            "encrypt",
        ],
    ),
    (
        "sla",
        &["sla", "uptime", "availability", "response time", "support"],
    ),
    (
        "data_residency",
        &[
            "residency",
            "hosted",
            "hosting",
            "region",
            "eu ",
            "data center",
            "data centre",
        ],
    ),
    (
        "integration",
        &[
            "integration",
            "integrate",
            "api",
            "sso",
            "scim",
            "salesforce",
            "hubspot",
        ],
    ),
    (
        "implementation",
        &[
            "implementation",
            "onboarding",
            "rollout",
            "go-live",
            "migration",
        ],
    ),
    (
        "compliance",
        &["compliance", "gdpr", "hipaa", "dpa", "audit"],
    ),
];

pub struct TemplateWriter {
    env: Environment<'static>,
}

impl TemplateWriter {
    /// The shipped templates, with `overrides` (intent → template text) replacing or adding
    /// intents. Each override is compiled now, so a broken one fails at start-up, by name.
    pub fn new(overrides: BTreeMap<String, String>) -> Result<Self, WriteError> {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .build()
            .map_err(|e| WriteError::Template {
                name: "syntax".to_owned(),
                problem: e.to_string(),
            })?;
        env.set_syntax(syntax);
        for (name, source) in SHIPPED {
            env.add_template(name, source)
                .map_err(|e| WriteError::Template {
                    name: name.to_owned(),
                    problem: e.to_string(),
                })?;
        }
        for (name, source) in overrides {
            env.add_template_owned(name.clone(), source)
                .map_err(|e| WriteError::Template {
                    name,
                    problem: e.to_string(),
                })?;
        }
        Ok(Self { env })
    }

    /// The template an intent chooses: its own name if a template has it, else the first
    /// intent whose words it contains, else `follow_up`.
    pub fn choose(&self, intent: &str) -> String {
        let lower = intent.trim().to_lowercase();
        let slug = lower.replace([' ', '-'], "_");
        if self.env.get_template(&slug).is_ok() {
            return slug;
        }
        INTENTS
            .iter()
            .find(|(_, words)| words.iter().any(|w| lower.contains(w)))
            .map_or("follow_up", |(name, _)| name)
            .to_owned()
    }

    pub fn write(&self, brief: &Brief) -> Result<Draft, WriteError> {
        let name = self.choose(&brief.intent);
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| WriteError::Template {
                name: name.clone(),
                problem: e.to_string(),
            })?;
        let cited: Arc<Mutex<Vec<Source>>> = Arc::default();
        let facts: BTreeMap<String, Fact> = brief
            .facts
            .iter()
            .map(|f| (f.reference.clone(), f.clone()))
            .collect();
        let cite = {
            let cited = Arc::clone(&cited);
            move |reference: String| -> String {
                if let Some(f) = facts.get(&reference) {
                    push(&cited, f.source());
                }
                String::new()
            }
        };
        let knowledge = relevant_knowledge(brief);
        let cite_kb = {
            let cited = Arc::clone(&cited);
            let entries = brief.knowledge.clone();
            move |id: String, excerpt: String| -> String {
                if let Some(k) = entries.iter().find(|k| k.id == id) {
                    push(&cited, k.source(&excerpt));
                }
                String::new()
            }
        };
        let by_kind = |kind: &str| brief.facts.iter().find(|f| f.kind == kind);
        let deal_fact = brief
            .facts
            .iter()
            .find(|f| f.kind == "crm" && f.reference == brief.deal.opportunity_id);
        let greeting = match brief.recipient.as_ref().and_then(|p| p.first_name()) {
            Some(first) => format!("Hi {first}"),
            None => "Hello".to_owned(),
        };
        let next_step = brief
            .deal
            .next_step
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let questions: Vec<&Fact> = brief
            .facts
            .iter()
            .filter(|f| f.kind == "inbound" && f.text.contains('?'))
            .take(3)
            .collect();
        let data = Facts {
            deal: &brief.deal,
            deal_fact,
            greeting,
            sender: brief.sender.as_deref(),
            next_step,
            last_inbound: by_kind("inbound"),
            last_outbound: by_kind("outbound"),
            last_touch: brief
                .facts
                .iter()
                .find(|f| matches!(f.kind.as_str(), "inbound" | "outbound" | "activity")),
            questions,
            knowledge,
        };
        let rendered = template
            .render(context! {
                cite => Value::from_function(cite),
                cite_kb => Value::from_function(cite_kb),
                ..Value::from(Serde(&data))
            })
            .map_err(|e| WriteError::Template {
                name: name.clone(),
                problem: e.to_string(),
            })?;
        let (subject, body) = split_subject(&rendered).ok_or_else(|| WriteError::Template {
            name: name.clone(),
            problem: "the first line must be `Subject: …`".to_owned(),
        })?;
        let sources = std::mem::take(&mut *cited.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(Draft {
            subject,
            body,
            sources,
            writer: format!("template:{name}"),
        })
    }
}

/// Adds a source once.
fn push(cited: &Mutex<Vec<Source>>, source: Source) {
    let mut cited = cited.lock().unwrap_or_else(|p| p.into_inner());
    if !cited
        .iter()
        .any(|s| s.kind == source.kind && s.reference == source.reference)
    {
        cited.push(source);
    }
}

/// What a template reads besides its two functions.
#[derive(Serialize)]
struct Facts<'a> {
    deal: &'a crate::Deal,
    deal_fact: Option<&'a Fact>,
    greeting: String,
    sender: Option<&'a str>,
    next_step: Option<&'a str>,
    last_inbound: Option<&'a Fact>,
    last_outbound: Option<&'a Fact>,
    last_touch: Option<&'a Fact>,
    questions: Vec<&'a Fact>,
    knowledge: Vec<Answer<'a>>,
}

/// An approved entry a template may quote: its id, and its answer's first paragraph.
#[derive(Serialize)]
struct Answer<'a> {
    id: &'a str,
    answer: String,
}

/// The entries whose topic the intent or the buyer's latest message raises.
fn relevant_knowledge(brief: &Brief) -> Vec<Answer<'_>> {
    let mut text = brief.intent.to_lowercase();
    if let Some(f) = brief.facts.iter().find(|f| f.kind == "inbound") {
        text.push(' ');
        text.push_str(&f.text.to_lowercase());
    }
    text.push(' ');
    brief
        .knowledge
        .iter()
        .filter(|k| {
            TOPIC_WORDS
                .iter()
                .any(|(topic, words)| *topic == k.topic && words.iter().any(|w| text.contains(w)))
        })
        .map(|k| Answer {
            id: &k.id,
            answer: first_paragraph(&k.body),
        })
        .collect()
}

fn first_paragraph(markdown: &str) -> String {
    let para = markdown
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or_default();
    para.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Subject: …` on the first line, the body after it (blank lines around it trimmed, the
/// trailing whitespace of each line removed).
fn split_subject(rendered: &str) -> Option<(String, String)> {
    let rendered = rendered.trim_start();
    let (first, rest) = rendered.split_once('\n').unwrap_or((rendered, ""));
    let subject = first.strip_prefix("Subject:")?.trim().to_owned();
    let mut body = String::new();
    let mut blank = 0;
    for line in rest.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !body.is_empty() {
            body.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        body.push_str(line);
    }
    Some((subject, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Deal, Knowledge, Person};

    fn brief(intent: &str) -> Brief {
        Brief {
            intent: intent.to_owned(),
            deal: Deal {
                opportunity_id: "006A".to_owned(),
                name: Some("Fjord Freight — Fleet rollout".to_owned()),
                account: Some("Fjord Freight".to_owned()),
                stage: Some("Proposal".to_owned()),
                next_step: Some("Pilot kickoff with the ops team".to_owned()),
                ..Deal::default()
            },
            recipient: Some(Person {
                name: Some("Ingrid Berg".to_owned()),
                title: Some("Head of Operations".to_owned()),
            }),
            sender: Some("Sam Seller".to_owned()),
            facts: vec![
                Fact {
                    kind: "crm".to_owned(),
                    reference: "006A".to_owned(),
                    text: "Proposal, next step: Pilot kickoff".to_owned(),
                },
                Fact {
                    kind: "inbound".to_owned(),
                    reference: "00T1".to_owned(),
                    text: "Where is our data hosted?".to_owned(),
                },
                Fact {
                    kind: "outbound".to_owned(),
                    reference: "00T2".to_owned(),
                    text: "Pilot plan".to_owned(),
                },
            ],
            knowledge: vec![Knowledge {
                id: "residency".to_owned(),
                title: "Where data is hosted".to_owned(),
                topic: "data_residency".to_owned(),
                body: "Customer data is hosted in the EU (Frankfurt).\n\nMore detail.".to_owned(),
            }],
        }
    }

    fn writer() -> TemplateWriter {
        TemplateWriter::new(BTreeMap::new()).unwrap()
    }

    #[test]
    fn intents_choose_templates_by_their_words() {
        let w = writer();
        assert_eq!(w.choose("Recap the demo"), "recap");
        assert_eq!(
            w.choose("answer their hosting question"),
            "answer_questions"
        );
        assert_eq!(w.choose("they went quiet"), "re_engage");
        assert_eq!(w.choose("next_step"), "next_step");
        assert_eq!(w.choose("anything at all"), "follow_up");
    }

    #[test]
    fn a_follow_up_cites_what_it_used() {
        let d = writer().write(&brief("follow up")).unwrap();
        assert_eq!(d.writer, "template:follow_up");
        assert!(
            d.subject.starts_with("Fjord Freight: following up"),
            "{}",
            d.subject
        );
        assert!(d.body.starts_with("Hi Ingrid,"), "{}", d.body);
        assert!(d.body.contains("“Where is our data hosted?”"), "{}", d.body);
        assert!(
            d.body.contains("Pilot kickoff with the ops team"),
            "{}",
            d.body
        );
        // Paragraphs stay paragraphs; the sign-off is the sender's.
        assert!(d.body.contains("?”.\n\nAs agreed"), "{}", d.body);
        assert!(
            d.body.ends_with("\n\nBest regards,\nSam Seller"),
            "{}",
            d.body
        );
        let refs: Vec<&str> = d.sources.iter().map(|s| s.reference.as_str()).collect();
        assert_eq!(refs, ["00T1", "006A"]);
    }

    #[test]
    fn an_answer_quotes_approved_knowledge_and_cites_it() {
        let d = writer().write(&brief("answer the question")).unwrap();
        assert!(
            d.body.contains("hosted in the EU (Frankfurt)"),
            "{}",
            d.body
        );
        let kb = d.sources.iter().find(|s| s.kind == "kb").unwrap();
        assert_eq!(kb.reference, "residency");
        assert!(kb.approved);
    }

    #[test]
    fn without_a_name_it_greets_without_one() {
        let mut b = brief("re-engage");
        b.recipient = Some(Person::default());
        let d = writer().write(&b).unwrap();
        assert!(d.body.starts_with("Hello,"), "{}", d.body);
        assert!(d.body.contains("“Pilot plan”"), "{}", d.body);
    }

    #[test]
    fn a_broken_override_is_refused_by_name_and_a_good_one_wins() {
        let bad = BTreeMap::from([("recap".to_owned(), "Subject: {{ x".to_owned())]);
        let err = TemplateWriter::new(bad).err().unwrap();
        assert!(err.to_string().starts_with("template `recap`"), "{err}");
        let good = BTreeMap::from([(
            "recap".to_owned(),
            "Subject: Our recap for {{ deal.account }}\n\nShort: {{ next_step }}{{ cite(deal_fact.reference) }}".to_owned(),
        )]);
        let d = TemplateWriter::new(good)
            .unwrap()
            .write(&brief("recap"))
            .unwrap();
        assert_eq!(d.subject, "Our recap for Fjord Freight");
        assert_eq!(d.body, "Short: Pilot kickoff with the ops team");
        assert_eq!(d.sources.len(), 1);
    }

    #[test]
    fn a_template_without_a_subject_line_is_an_error() {
        let t = BTreeMap::from([("plain".to_owned(), "Hello".to_owned())]);
        let err = TemplateWriter::new(t)
            .unwrap()
            .write(&brief("plain"))
            .unwrap_err();
        assert!(err.to_string().contains("Subject:"), "{err}");
    }
}
