//! No generic sequences (issue 13): a follow-up on an open opportunity should say something
//! only this buyer would recognise — their company, their question, the next step agreed —
//! not what any prospect could receive. Two checks, both pure:
//!
//! - [`is_specific`]: do the seller's own words share a telling word with the deal's facts
//!   (account and opportunity names, the next step, what the buyer wrote)? Greetings and the
//!   vocabulary of every sales e-mail ("demo", "call", "touch base") do not count.
//! - [`fingerprint`]: the text with what a mail merge fills in taken out (the greeting line,
//!   capitalised names, numbers), hashed, so the store can count how many buyers got the
//!   same text in a window — a sequence.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the store knows about the deal an e-mail belongs to, for the generic check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealFacts {
    /// Whether the opportunity is still open (closed deals get no generic finding).
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub opportunity: Option<String>,
    #[serde(default)]
    pub next_step: Option<String>,
    /// What the buyer wrote recently: subjects of their messages, newest first.
    #[serde(default)]
    pub buyer_wrote: Vec<String>,
}

/// Words any sales follow-up may use: sharing one with the deal says nothing specific.
const SALES_WORDS: &[&str] = &[
    "about",
    "after",
    "again",
    "agenda",
    "ahead",
    "align",
    "also",
    "any",
    "base",
    "before",
    "best",
    "better",
    "business",
    "call",
    "calls",
    "chat",
    "check",
    "checking",
    "circle",
    "company",
    "connect",
    "contract",
    "could",
    "customer",
    "customers",
    "date",
    "deal",
    "demo",
    "demos",
    "discuss",
    "discussion",
    "email",
    "follow",
    "following",
    "followup",
    "free",
    "from",
    "further",
    "great",
    "have",
    "hear",
    "help",
    "hope",
    "idea",
    "ideas",
    "info",
    "information",
    "just",
    "know",
    "last",
    "let",
    "like",
    "looking",
    "meet",
    "meeting",
    "meetings",
    "minutes",
    "month",
    "more",
    "need",
    "needs",
    "next",
    "note",
    "offer",
    "opportunity",
    "option",
    "options",
    "over",
    "plan",
    "platform",
    "please",
    "priority",
    "process",
    "product",
    "project",
    "proposal",
    "quarter",
    "question",
    "questions",
    "quick",
    "reach",
    "ready",
    "recap",
    "regards",
    "reply",
    "review",
    "schedule",
    "send",
    "sent",
    "session",
    "should",
    "since",
    "solution",
    "some",
    "soon",
    "still",
    "step",
    "steps",
    "sync",
    "team",
    "teams",
    "thank",
    "thanks",
    "that",
    "their",
    "them",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "time",
    "timing",
    "today",
    "tomorrow",
    "touch",
    "update",
    "useful",
    "value",
    "want",
    "week",
    "weeks",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "work",
    "would",
    "year",
    "your",
    "yours",
];

/// Company-name endings that say nothing about the company.
const COMPANY_SUFFIXES: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "gmbh",
    "corp",
    "corporation",
    "group",
    "holding",
    "holdings",
    "limited",
    "plc",
    "company",
    "co",
    "sa",
    "ag",
    "bv",
    "the",
    "and",
];

/// The telling words of a text: letters only, folded, at least four long (three for
/// all-capital acronyms such as `SSO`), not sales vocabulary; plurals folded to singular.
fn telling_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            let n = w.chars().count();
            n >= 4 || (n == 3 && w.chars().all(|c| c.is_uppercase()))
        })
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.chars().count() >= 3 && !stem.ends_with('s') => stem.to_owned(),
                _ => w,
            }
        })
        .filter(|w| {
            !w.chars().all(|c| c.is_ascii_digit())
                && !SALES_WORDS.contains(&w.as_str())
                && !COMPANY_SUFFIXES.contains(&w.as_str())
        })
        .collect()
}

/// Whether the seller's own words (`own`, quoted text already left out) name something of
/// this deal.
pub fn is_specific(own: &str, facts: &DealFacts) -> bool {
    let mut deal = BTreeSet::new();
    for text in facts
        .account
        .iter()
        .chain(&facts.opportunity)
        .chain(&facts.next_step)
        .chain(&facts.buyer_wrote)
    {
        deal.extend(telling_words(text));
    }
    let own = telling_words(&without_greeting(own));
    own.iter().any(|w| deal.contains(w))
}

/// The text without its first line when that line is a greeting ("Hi Dana,"): a mail merge
/// fills the name in, so it says nothing specific.
fn without_greeting(text: &str) -> String {
    let trimmed = text.trim_start();
    let first = trimmed.lines().next().unwrap_or_default();
    let lower = first.trim().to_lowercase();
    let greeting = [
        "hi",
        "hello",
        "hey",
        "dear",
        "good morning",
        "good afternoon",
        "hallo",
    ]
    .iter()
    .any(|g| lower.starts_with(g))
        && first.chars().count() <= 40;
    if greeting {
        trimmed[first.len()..].to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The text with mail-merge fields taken out, hashed (hex SHA-256, 32 digits): two e-mails
/// with one fingerprint differ only in names, numbers and the greeting. Quoted replies are
/// cut at the first `>` line or "On … wrote:" line. Empty for a text with fewer than eight
/// words left, which is too short to call a sequence.
pub fn fingerprint(body: &str) -> String {
    let mut words = Vec::new();
    for line in without_greeting(body).lines() {
        let t = line.trim();
        if t.starts_with('>') || (t.starts_with("On ") && t.ends_with("wrote:")) {
            break;
        }
        let mut first_in_sentence = words.is_empty();
        for raw in t.split_whitespace() {
            let word: String = raw.chars().filter(|c| c.is_alphabetic()).collect();
            let capitalised = word.chars().next().is_some_and(char::is_uppercase);
            if !word.is_empty() && (!capitalised || first_in_sentence) {
                words.push(word.to_lowercase());
            }
            first_in_sentence = raw.ends_with(['.', '!', '?']);
        }
    }
    if words.len() < 8 {
        return String::new();
    }
    let digest = Sha256::digest(words.join(" ").as_bytes());
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> DealFacts {
        DealFacts {
            open: true,
            account: Some("Fjord Freight AS".to_owned()),
            opportunity: Some("Fjord Freight — Fleet telematics rollout".to_owned()),
            next_step: Some("Pilot with the Bergen depot in January".to_owned()),
            buyer_wrote: vec!["Question about SSO and customs documents".to_owned()],
        }
    }

    #[test]
    fn a_template_anyone_could_get_is_not_specific() {
        for text in [
            "Hi Ingrid,\n\nJust checking in to see if you had any questions. Would you have time for a quick call next week?\n\nBest,\nSam",
            "Hello Ingrid,\n\nI wanted to follow up on our demo and see if there is a good time to connect and discuss next steps.",
            "Dear Ingrid, hope your quarter is going well! Let me know when you're free to touch base.",
        ] {
            assert!(!is_specific(text, &facts()), "{text}");
        }
    }

    #[test]
    fn naming_the_buyer_their_question_or_the_next_step_is_specific() {
        for text in [
            "Hi Ingrid, how did the team at Fjord Freight find the trial?",
            "Hi Ingrid, attached is the plan for the pilot at the Bergen depot.",
            "Hi Ingrid, on SSO: our admin guide covers the Okta setup.",
            "Hi Ingrid, here are the customs document templates you asked about.",
            "Hi Ingrid, a short update on the telematics rollout.",
        ] {
            assert!(is_specific(text, &facts()), "{text}");
        }
    }

    #[test]
    fn the_greeting_alone_does_not_count_nor_does_the_company_suffix() {
        let f = DealFacts {
            account: Some("Ingrid Holdings AS".to_owned()),
            ..facts()
        };
        assert!(!is_specific("Hi Ingrid,\n\nAny news on your side?", &f));
    }

    #[test]
    fn a_mail_merge_has_one_fingerprint_and_another_text_another() {
        let a = fingerprint(
            "Hi Dana,\n\nI noticed Acme is hiring 12 new reps this quarter. Teams like yours use us to cut ramp time in half. Worth a chat?",
        );
        let b = fingerprint(
            "Hello Bob,\n\nI noticed Globex is hiring 30 new reps this quarter. Teams like yours use us to cut ramp time in half. Worth a chat?",
        );
        let c = fingerprint(
            "Hi Dana,\n\nThanks for the questions on the pilot. The security pack and the SSO guide are attached for your IT team.",
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(a, c);
        assert_eq!(fingerprint("Hi Dana, thanks!"), "");
    }

    #[test]
    fn quoted_text_does_not_change_the_fingerprint() {
        let own = "Hi Dana,\n\nI noticed your team is hiring new reps this quarter and wanted to share how others cut ramp time.";
        let quoted = format!("{own}\n\nOn Mon, Dana wrote:\n> something entirely different here");
        assert_eq!(fingerprint(own), fingerprint(&quoted));
    }
}
