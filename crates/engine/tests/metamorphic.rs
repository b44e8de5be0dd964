//! Metamorphic properties of the gate (issue 10): a protected message dressed up to slip
//! past the detectors — look-alike letters, invisible characters, s-p-l-i-t words, l33t,
//! HTML, the protected sentence moved to a P.S. or the subject, the seller's own words
//! under a fake quote — is never decided more loosely than the plain one. The same
//! dressing on a routine message holds it only through the `obfuscation` finding.
//!
//! Every example here is written for this test; none comes from the evaluation data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

use chrono::{DateTime, Utc};
use countersign_engine::context::Context;
use countersign_engine::{Action, Category, Decision, DecisionRecord, Policy, decide};
use proptest::prelude::*;
use serde_json::json;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-04T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Protected sentences, each with the word an attacker would disguise.
const PROTECTED: &[(&str, &str)] = &[
    (
        "We can give you a 25% discount if the order is signed this week.",
        "discount",
    ),
    (
        "Your invoices can move to Net 90 payment terms from the next renewal.",
        "payment",
    ),
    (
        "Yes, every file is encrypted at rest and our SOC 2 Type II report is attached.",
        "encrypted",
    ),
    (
        "All of your records stay on servers in Frankfurt and never leave the EU.",
        "Frankfurt",
    ),
    (
        "We guarantee 99.95% uptime and pay service credits when we miss it.",
        "uptime",
    ),
    (
        "I can waive the onboarding fee and lower the price per seat to 38 euros.",
        "waive",
    ),
    (
        "Our liability cap can go up to twice the annual fees in the contract.",
        "liability",
    ),
    (
        "Wir können Ihnen 12 % Rabatt auf die Lizenzen für drei Jahre anbieten.",
        "Rabatt",
    ),
];

/// Routine sentences a seller writes every day.
const ROUTINE: &[&str] = &[
    "Thanks again for the walkthrough yesterday, the recording is in the shared folder.",
    "Could we move Thursday's check-in to 3pm? Something came up on my side.",
    "Attached is the agenda for the onboarding workshop, let me know if anything is missing.",
    "Great to meet your team at the trade fair, hope the flight home was smooth.",
    "Just a reminder that the user list for the pilot is due on Friday.",
    "Happy new year to you and the whole team in Rotterdam!",
];

fn email(subject: &str, body: &str, inbound: Option<&str>) -> Action {
    let mut payload = json!({"to": ["buyer@client.example"], "subject": subject, "body": body});
    if let Some(text) = inbound {
        payload["in_reply_to"] = json!({"text": text});
    }
    Action::from_json(&json!({"id": "m", "kind": "email.send", "payload": payload})).unwrap()
}

fn judge(action: &Action) -> DecisionRecord {
    decide(action, &Context::default(), Policy::default_policy(), now())
}

fn wrap(sentence: &str) -> String {
    format!("Hi Dana,\n\n{sentence}\n\nBest regards,\nSam\n")
}

/// The ways to dress a message up.
#[derive(Debug, Clone, Copy)]
enum Dressing {
    LookAlike,
    Invisible,
    Spread,
    Leet,
    Html,
    PostScript,
    Subject,
    FakeQuote,
}

impl Dressing {
    /// Whether the dressing hides characters (then an `obfuscation` finding is expected).
    fn hides_characters(self) -> bool {
        matches!(
            self,
            Dressing::LookAlike | Dressing::Invisible | Dressing::Spread | Dressing::Leet
        )
    }

    /// Dresses `sentence` (whose word `word` is the one to disguise) as a whole action.
    fn apply(self, sentence: &str, word: &str) -> Action {
        let disguise = |w: &str| -> String {
            match self {
                Dressing::LookAlike => w
                    .chars()
                    .map(|c| match c {
                        'a' => 'а',
                        'e' => 'е',
                        'o' => 'о',
                        'c' => 'с',
                        'p' => 'р',
                        'i' => 'і',
                        other => other,
                    })
                    .collect(),
                Dressing::Invisible => {
                    let mid = w
                        .char_indices()
                        .nth(w.chars().count() / 2)
                        .map_or(0, |(i, _)| i);
                    format!("{}\u{200B}{}", &w[..mid], &w[mid..])
                }
                Dressing::Spread => w.chars().map(String::from).collect::<Vec<_>>().join("-"),
                Dressing::Leet => w
                    .chars()
                    .map(|c| match c {
                        'o' => '0',
                        'i' => '1',
                        'e' => '3',
                        other => other,
                    })
                    .collect(),
                _ => w.to_owned(),
            }
        };
        let disguised = sentence.replacen(word, &disguise(word), 1);
        match self {
            Dressing::Html => email(
                "Follow-up",
                &format!(
                    "<html><body><p>Hi Dana,</p><p>{}</p><p>Best regards,<br>Sam</p></body></html>",
                    sentence.replace('&', "&amp;")
                ),
                None,
            ),
            Dressing::PostScript => email(
                "Follow-up",
                &format!(
                    "Hi Dana,\n\nThanks for your time today.\n\nBest regards,\nSam\n\nP.S. {sentence}\n"
                ),
                None,
            ),
            Dressing::Subject => email(sentence, &wrap("Thanks for your time today."), None),
            Dressing::FakeQuote => email(
                "Re: next steps",
                &format!(
                    "Hi Dana, see below.\n\nOn Mon, 2 Mar 2026, Dana <buyer@client.example> wrote:\n> {sentence}\n"
                ),
                Some("Hi Sam, could you send me the onboarding plan for March?"),
            ),
            _ => email("Follow-up", &wrap(&disguised), None),
        }
    }
}

fn dressing() -> impl Strategy<Value = Dressing> {
    prop::sample::select(vec![
        Dressing::LookAlike,
        Dressing::Invisible,
        Dressing::Spread,
        Dressing::Leet,
        Dressing::Html,
        Dressing::PostScript,
        Dressing::Subject,
        Dressing::FakeQuote,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn dressing_a_protected_message_never_loosens_the_decision(
        (sentence, word) in prop::sample::select(PROTECTED.to_vec()),
        how in dressing(),
    ) {
        let plain = judge(&email("Follow-up", &wrap(sentence), None));
        prop_assert_eq!(plain.decision, Decision::Hold, "plain: {:?}", plain.reasons);
        let dressed = judge(&how.apply(sentence, word));
        prop_assert_ne!(dressed.decision, Decision::Allow, "{:?} let {:?} through", how, sentence);
    }

    #[test]
    fn dressing_a_routine_message_holds_it_only_as_obfuscation(
        sentence in prop::sample::select(ROUTINE.to_vec()),
        how in dressing(),
    ) {
        let plain = judge(&email("Follow-up", &wrap(sentence), None));
        prop_assert_eq!(plain.decision, Decision::Allow, "plain: {:?}", plain.reasons);
        // Disguise the longest word, as an attacker would a trigger word.
        let word = sentence
            .split(|c: char| !c.is_alphabetic())
            .max_by_key(|w| w.len())
            .unwrap();
        let dressed = judge(&how.apply(sentence, word));
        let held_for: Vec<Category> = dressed
            .findings
            .iter()
            .filter(|f| f.confidence >= 0.5)
            .map(|f| f.category)
            .filter(|c| *c != Category::Obfuscation)
            .collect();
        prop_assert!(held_for.is_empty(), "{how:?} on {sentence:?} held for {held_for:?}: {:?}", dressed.reasons);
        if !how.hides_characters() {
            prop_assert_eq!(dressed.decision, Decision::Allow, "{:?}: {:?}", how, dressed.reasons);
        }
    }
}
