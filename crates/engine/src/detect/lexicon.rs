//! Topic detector for the protected moments (objection, commercial) and for commitment and
//! pressure: one Aho-Corasick pass over the text, then a judgement per sentence.
//!
//! Why per sentence and not per word: "security" alone is not an objection answer ("the
//! security desk will give you a badge"), but "security" next to a claim ("we are", "yes"),
//! a figure or a second security term is. So each term carries a weight, and a sentence
//! fires for a category when its evidence adds up to 1.0:
//! strong terms alone; medium terms with a claim, a figure or another term; weak terms only
//! together with more. Negation does not cancel anything: "no discount is possible" is
//! still pricing talk a human must own.
//!
//! Whose words count (DESIGN §2): quoted inbound sentences never fire by themselves. A
//! sentence that only hands the topic to a named human ("our security lead will answer
//! your questionnaire") with no claim, figure or strong term is routine. A short reply
//! that assents ("works for us") to a quoted ask takes the ask's category.

mod terms;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::text::{Document, Sentence};
use super::{Detector, DetectorError, Signals};
use crate::finding::{Category, Finding};
use terms::{Cue, GROUPS};

/// Categories this detector reports, in a fixed order.
const CATEGORIES: [Category; 4] = [
    Category::Objection,
    Category::Commercial,
    Category::Commitment,
    Category::Pressure,
];

/// Evidence needed for a sentence to fire.
const THRESHOLD: f32 = 1.0;
/// A named party under an obligation: nearly enough alone, enough with any other term.
const NAMED_PARTY: f32 = 0.8;
/// Evidence needed over several sentences when no single sentence fires.
const DOCUMENT_THRESHOLD: f32 = 2.4;
/// What a claim ("we are", "yes") or a figure adds to a sentence with topic terms.
const CLAIM_BONUS: f32 = 0.45;
/// Replies up to this many words count as "short" for assent to a quoted ask.
const SHORT_REPLY_WORDS: usize = 40;

/// One pattern of the automaton with everything it means.
#[derive(Debug)]
struct Pattern {
    cues: Vec<Cue>,
    /// Require a word boundary after the match (not a stem).
    whole_word: bool,
    /// Written in capitals: match only the exact case.
    exact: Option<String>,
}

/// The lexicon detector; build once, it compiles the automaton.
pub struct LexiconDetector {
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
}

impl std::fmt::Debug for LexiconDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexiconDetector")
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Default for LexiconDetector {
    fn default() -> Self {
        Self::new()
    }
}

/// A matched cue in the text.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    cue: Cue,
}

impl LexiconDetector {
    pub fn new() -> Self {
        // Merge duplicate patterns: one word may mean several things ("deal").
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut texts: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for group in GROUPS {
            for (raw, cue) in group.iter() {
                let stem = raw.ends_with('*');
                let exact_case = raw.starts_with('=');
                let text = raw.trim_end_matches('*').trim_start_matches('=');
                let exact = (exact_case || is_acronym(text)).then(|| text.to_owned());
                let key = format!(
                    "{}{}",
                    text.to_lowercase(),
                    if exact.is_some() { "#" } else { "" }
                );
                let slot = *index.entry(key).or_insert_with(|| {
                    texts.push(text.to_owned());
                    patterns.push(Pattern {
                        cues: Vec::new(),
                        whole_word: !stem,
                        exact: exact.clone(),
                    });
                    patterns.len() - 1
                });
                patterns[slot].cues.push(*cue);
                // A stem anywhere makes the shared pattern a stem.
                patterns[slot].whole_word &= !stem;
            }
        }
        // Non-ASCII initial letters do not fold under ASCII case-insensitivity: add the
        // capitalised form ("Übernahme", "Échéance") as its own pattern.
        let extra: Vec<(String, usize)> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let first = t.chars().next()?;
                (!first.is_ascii() && first.is_lowercase()).then(|| {
                    let mut s: String = first.to_uppercase().collect();
                    s.push_str(&t[first.len_utf8()..]);
                    (s, i)
                })
            })
            .collect();
        for (text, i) in extra {
            texts.push(text);
            patterns.push(Pattern {
                cues: patterns[i].cues.clone(),
                whole_word: patterns[i].whole_word,
                exact: None,
            });
        }
        #[expect(
            clippy::expect_used,
            reason = "built from the static lexicon; a unit test builds it"
        )]
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(&texts)
            .expect("the lexicon builds");
        Self {
            automaton,
            patterns,
        }
    }

    /// All cue hits in `text`, respecting word boundaries and exact-case acronyms.
    fn hits(&self, text: &str) -> Vec<Hit> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        for m in self.automaton.find_iter(text) {
            let p = &self.patterns[m.pattern().as_usize()];
            let (start, end) = (m.start(), m.end());
            if start > 0 && is_word_byte(bytes[start - 1]) && is_word_byte(bytes[start]) {
                continue;
            }
            if p.whole_word
                && end < bytes.len()
                && is_word_byte(bytes[end])
                && is_word_byte(bytes[end - 1])
            {
                continue;
            }
            if let Some(exact) = &p.exact
                && &text[start..end] != exact
            {
                continue;
            }
            // "% off" reads better with its figure: "15% off".
            let start = if bytes[start] == b'%' {
                let figure = text[..start]
                    .bytes()
                    .rev()
                    .take_while(|b| b.is_ascii_digit() || *b == b' ' || *b == b'.')
                    .count();
                let from = start - figure;
                from + (text[from..start].len() - text[from..start].trim_start().len())
            } else {
                start
            };
            for cue in &p.cues {
                if *cue == Cue::Obligation {
                    if let Some(party) = named_party_before(text, start) {
                        out.push(Hit {
                            start: party,
                            end,
                            cue: Cue::Topic(Category::Commercial, "contract_terms", NAMED_PARTY),
                        });
                    }
                    continue;
                }
                out.push(Hit {
                    start,
                    end,
                    cue: *cue,
                });
            }
        }
        out
    }
}

/// The start of the word before `at` if it names a party: capitalised ("Distributor",
/// "ACME", "Bioamber"), not a pronoun. "I shall be there" is not contract language;
/// "Licensee shall pay" is.
fn named_party_before(text: &str, at: usize) -> Option<usize> {
    let before = text[..at].trim_end_matches([' ', '\t']);
    let word_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'))
        .map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
    let word = before[word_start..].trim_end_matches(['\'', '’', 's']);
    let first = word.chars().next()?;
    const PRONOUNS: [&str; 14] = [
        "I", "We", "You", "It", "They", "He", "She", "This", "That", "There", "Which", "Who",
        "What", "Everyone",
    ];
    (word.len() >= 2 && first.is_uppercase() && !PRONOUNS.contains(&word)).then_some(word_start)
}

/// Letters and digits continue a word; so do the bytes of multi-byte characters.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// `SLA`, `API`, `SOC 2`: two or more capitals and no lowercase letter.
fn is_acronym(s: &str) -> bool {
    s.chars().filter(|c| c.is_uppercase()).count() >= 2 && !s.chars().any(char::is_lowercase)
}

/// Evidence for one subtopic in one sentence.
#[derive(Debug, Clone, Copy)]
struct TopicEvidence {
    category: Category,
    subtopic: &'static str,
    /// The best term's weight plus `extra`: every further term counts half, at most 0.5 in all.
    best: f32,
    extra: f32,
    hit: Hit,
}

/// What one sentence says.
#[derive(Debug, Default, Clone)]
struct SentenceEvidence {
    topics: Vec<TopicEvidence>,
    claim: bool,
    figure: bool,
    handoff: bool,
    acknowledge: bool,
    assent: Option<Hit>,
}

impl SentenceEvidence {
    /// The category's score and the subtopics to report: every subtopic with a strong
    /// term, or else the best one.
    fn score(&self, category: Category) -> Option<(f32, Vec<TopicEvidence>)> {
        let mut topics: Vec<TopicEvidence> = self
            .topics
            .iter()
            .filter(|t| t.category == category)
            .copied()
            .collect();
        topics.sort_by(|a, b| {
            (b.best + b.extra)
                .total_cmp(&(a.best + a.extra))
                .then(a.hit.start.cmp(&b.hit.start))
        });
        let top = *topics.first()?;
        let rest: f32 = topics[1..]
            .iter()
            .map(|t| t.best.min(top.best) * 0.5)
            .sum::<f32>()
            .min(0.5);
        // Figures back up prices, terms and service levels; for other topics a number
        // ("section 4", "30 days") says nothing, so only a claim counts.
        let figure_counts = category != Category::Objection
            || matches!(top.subtopic, "sla" | "data_residency" | "implementation");
        let bonus = if self.claim || (self.figure && figure_counts) {
            CLAIM_BONUS
        } else {
            0.0
        };
        let report: Vec<TopicEvidence> = topics
            .iter()
            .enumerate()
            .filter(|(i, t)| *i == 0 || t.best >= terms::S)
            .map(|(_, t)| *t)
            .collect();
        Some((top.best + (top.extra + rest).min(0.5) + bonus, report))
    }

    /// Acknowledges or hands off, and asserts nothing about the topic: naming it ("your
    /// security questionnaire") is fine; a claim or a figure is an answer.
    fn is_neutral(&self, handoff_in_message: bool) -> bool {
        (self.handoff || (self.acknowledge && handoff_in_message)) && !self.claim && !self.figure
    }
}

fn evidence(text: &str, sentence: &Sentence, hits: &[Hit]) -> SentenceEvidence {
    let mut ev = SentenceEvidence {
        figure: text[sentence.range.clone()]
            .bytes()
            .any(|b| b.is_ascii_digit()),
        ..SentenceEvidence::default()
    };
    for hit in hits {
        match hit.cue {
            Cue::Topic(category, subtopic, w) => {
                match ev
                    .topics
                    .iter_mut()
                    .find(|t| t.category == category && t.subtopic == subtopic)
                {
                    Some(t) => {
                        if w > t.best {
                            t.extra += t.best * 0.5;
                            t.best = w;
                            t.hit = *hit;
                        } else {
                            t.extra += w * 0.5;
                        }
                        t.extra = t.extra.min(0.5);
                    }
                    None => ev.topics.push(TopicEvidence {
                        category,
                        subtopic,
                        best: w,
                        extra: 0.0,
                        hit: *hit,
                    }),
                }
            }
            Cue::Claim => ev.claim = true,
            Cue::Handoff => ev.handoff = true,
            Cue::Acknowledge => ev.acknowledge = true,
            Cue::Assent => ev.assent = ev.assent.or(Some(*hit)),
            Cue::Neutral | Cue::Obligation => {}
        }
    }
    ev
}

impl Detector for LexiconDetector {
    fn name(&self) -> &'static str {
        "lexicon"
    }

    fn detect(
        &self,
        doc: &Document<'_>,
        _signals: &Signals<'_>,
        out: &mut Vec<Finding>,
    ) -> Result<(), DetectorError> {
        let text = doc.text;
        let hits = self.hits(text);
        if hits.is_empty() {
            return Ok(());
        }
        // Neutral phrases ("security badge") swallow the topic terms they contain.
        let neutral: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| h.cue == Cue::Neutral)
            .map(|h| (h.start, h.end))
            .collect();
        let hits: Vec<Hit> = hits
            .into_iter()
            .filter(|h| {
                !matches!(h.cue, Cue::Topic(..))
                    || !neutral.iter().any(|(s, e)| h.start >= *s && h.end <= *e)
            })
            .collect();

        // Hits per sentence (both are sorted by offset).
        let mut per_sentence: Vec<SentenceEvidence> = Vec::with_capacity(doc.sentences.len());
        let mut i = 0;
        for s in &doc.sentences {
            while i < hits.len() && hits[i].start < s.range.start {
                i += 1;
            }
            let mut j = i;
            while j < hits.len() && hits[j].start < s.range.end {
                j += 1;
            }
            per_sentence.push(evidence(text, s, &hits[i..j]));
            i = j;
        }

        let handoff_in_message = doc
            .sentences
            .iter()
            .zip(&per_sentence)
            .any(|(s, ev)| s.segment == super::Segment::Own && ev.handoff);

        let mut own_fired: Vec<Category> = Vec::new();
        for (s, ev) in doc.sentences.iter().zip(&per_sentence) {
            // What falls short of a finding is still a cue for the model (`gate/judgement.rs`
            // reads and then drops every `cue-*`): a weak term, a hand-off, a quoted ask.
            let cue = if s.segment == super::Segment::Quoted {
                Some("cue-quoted")
            } else if ev.is_neutral(handoff_in_message) {
                Some("cue-handoff")
            } else {
                None
            };
            for cat in CATEGORIES {
                let Some((score, report)) = ev.score(cat) else {
                    continue;
                };
                let top = report[0];
                match cue {
                    Some(kind) => {
                        out.push(cue_finding(doc, cat, top.subtopic, top.hit, score, kind));
                    }
                    None if score >= THRESHOLD => {
                        own_fired.push(cat);
                        for t in report {
                            out.push(finding(doc, cat, t.subtopic, t.hit, score, "term"));
                        }
                    }
                    None => {
                        out.push(cue_finding(
                            doc,
                            cat,
                            top.subtopic,
                            top.hit,
                            score,
                            "cue-weak",
                        ));
                    }
                }
            }
        }

        // A long answer can spread its evidence over several sentences, none enough alone.
        for cat in CATEGORIES {
            if own_fired.contains(&cat) {
                continue;
            }
            let mut total = 0.0;
            let mut sentences = 0;
            let mut best: Option<(f32, TopicEvidence)> = None;
            for (s, ev) in doc.sentences.iter().zip(&per_sentence) {
                if s.segment != super::Segment::Own || ev.is_neutral(handoff_in_message) {
                    continue;
                }
                if let Some((score, report)) = ev.score(cat) {
                    total += score;
                    sentences += 1;
                    if let Some(top) = report.first()
                        && best.is_none_or(|(b, _)| top.best > b)
                    {
                        best = Some((top.best, *top));
                    }
                }
            }
            if let Some((weight, top)) = best
                && sentences >= 2
                && total >= DOCUMENT_THRESHOLD
                && weight >= terms::M
            {
                own_fired.push(cat);
                out.push(finding(
                    doc,
                    cat,
                    top.subtopic,
                    top.hit,
                    total - DOCUMENT_THRESHOLD + THRESHOLD,
                    "document",
                ));
            }
        }

        // Implied acceptance: a short own reply that assents to a protected ask in the quote.
        if doc.has_quote() && doc.own_word_count() <= SHORT_REPLY_WORDS {
            let assent = doc.sentences.iter().zip(&per_sentence).find_map(|(s, ev)| {
                (s.segment == super::Segment::Own)
                    .then_some(ev.assent)
                    .flatten()
            });
            if let Some(assent) = assent {
                for cat in [Category::Objection, Category::Commercial] {
                    if own_fired.contains(&cat) {
                        continue;
                    }
                    let ask = doc
                        .sentences
                        .iter()
                        .zip(&per_sentence)
                        .filter(|(s, _)| s.segment == super::Segment::Quoted)
                        .filter_map(|(_, ev)| ev.score(cat))
                        .filter(|(score, _)| *score >= THRESHOLD - CLAIM_BONUS)
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                        .and_then(|(_, report)| report.first().map(|t| (t.hit, t.subtopic)));
                    if let Some((ask_hit, sub)) = ask {
                        out.push(Finding {
                            category: cat,
                            subtopic: sub.to_owned(),
                            start: assent.start,
                            end: assent.end,
                            field: doc.field.to_owned(),
                            evidence: format!(
                                "{} (accepting the quoted \"{}\")",
                                &text[assent.start..assent.end],
                                &text[ask_hit.start..ask_hit.end]
                            ),
                            confidence: 0.8,
                            rule: format!("{cat}.{sub}.assent"),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// A cue below the threshold: its confidence is its score, scaled under any finding's.
fn cue_finding(
    doc: &Document<'_>,
    cat: Category,
    sub: &str,
    hit: Hit,
    score: f32,
    kind: &str,
) -> Finding {
    Finding {
        confidence: (score * 0.4).clamp(0.0, 0.49),
        ..finding(doc, cat, sub, hit, score, kind)
    }
}

fn finding(
    doc: &Document<'_>,
    cat: Category,
    sub: &str,
    hit: Hit,
    score: f32,
    how: &str,
) -> Finding {
    Finding {
        category: cat,
        subtopic: sub.to_owned(),
        start: hit.start,
        end: hit.end,
        field: doc.field.to_owned(),
        evidence: doc.text[hit.start..hit.end].to_owned(),
        confidence: (0.5 + (score - THRESHOLD) * 0.4 + 0.1).clamp(0.5, 0.95),
        rule: format!("{cat}.{sub}.{how}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        LexiconDetector::new()
            .detect(
                &Document::new("body", text, None),
                &Signals::default(),
                &mut out,
            )
            .unwrap();
        // Cues are the model's input, not findings.
        out.retain(|f| !f.rule.contains(".cue-"));
        out
    }

    fn cats(text: &str) -> Vec<(Category, String)> {
        let mut v: Vec<_> = run(text)
            .into_iter()
            .map(|f| (f.category, f.subtopic))
            .collect();
        v.dedup();
        v
    }

    fn fires(text: &str, cat: Category, sub: &str) {
        let got = cats(text);
        assert!(
            got.iter().any(|(c, s)| *c == cat && s == sub),
            "expected {cat}/{sub} in {text:?}, got {got:?}"
        );
    }

    fn silent(text: &str) {
        let got = cats(text);
        assert!(
            got.iter().all(|(c, _)| !c.is_protected()),
            "expected nothing protected in {text:?}, got {got:?}"
        );
    }

    #[test]
    fn plain_discount_offer_is_commercial() {
        fires(
            "Hi Dana, we can do 15% off if you sign by Friday.",
            Category::Commercial,
            "discount",
        );
    }

    #[test]
    fn negated_discount_is_still_pricing_talk() {
        fires(
            "Unfortunately no discount is possible at this stage.",
            Category::Commercial,
            "discount",
        );
    }

    #[test]
    fn security_claim_is_an_objection_answer() {
        fires(
            "Yes, all customer data is encrypted at rest with AES-256.",
            Category::Objection,
            "security",
        );
        fires(
            "We are SOC 2 Type II certified and can share the report.",
            Category::Objection,
            "security",
        );
    }

    #[test]
    fn security_badge_at_reception_is_not_security() {
        silent("Please pick up your security badge at reception when you arrive on Tuesday.");
    }

    #[test]
    fn handing_off_to_a_named_human_is_routine() {
        silent(
            "Thanks for raising the security questions. Our security lead, Priya, will get back to you on the questionnaire.",
        );
        silent("Good question on SSO; I'm looping in our solutions engineer who will answer.");
    }

    #[test]
    fn handoff_with_a_claim_is_still_protected() {
        fires(
            "Our security lead will follow up, but yes, we are SOC 2 certified.",
            Category::Objection,
            "security",
        );
    }

    #[test]
    fn payment_terms_in_each_language() {
        fires(
            "We can agree to Net 60 on this order.",
            Category::Commercial,
            "payment_terms",
        );
        fires(
            "Ein Zahlungsziel von 60 Tagen ist für uns in Ordnung.",
            Category::Commercial,
            "payment_terms",
        );
        fires(
            "Les conditions de paiement à 60 jours nous conviennent.",
            Category::Commercial,
            "payment_terms",
        );
        fires(
            "Podemos aceptar un plazo de pago de 60 días.",
            Category::Commercial,
            "payment_terms",
        );
        fires(
            "Een betalingstermijn van 60 dagen is akkoord.",
            Category::Commercial,
            "payment_terms",
        );
    }

    #[test]
    fn discounts_in_each_language() {
        fires(
            "Wir können Ihnen 10 % Rabatt anbieten.",
            Category::Commercial,
            "discount",
        );
        fires(
            "Nous pouvons vous accorder une remise de 10 %.",
            Category::Commercial,
            "discount",
        );
        fires(
            "Le ofrecemos un descuento del 10 %.",
            Category::Commercial,
            "discount",
        );
        fires(
            "We kunnen 10% korting geven.",
            Category::Commercial,
            "discount",
        );
    }

    #[test]
    fn contract_clause_is_commercial() {
        fires(
            "Either party may terminate this Agreement upon thirty days prior written notice.",
            Category::Commercial,
            "contract_terms",
        );
        fires(
            "In no event shall either party's liability exceed the fees paid in the prior twelve months.",
            Category::Commercial,
            "legal",
        );
    }

    #[test]
    fn quoted_ask_alone_does_not_protect_the_reply() {
        let text = "Thanks, I'll pass this along.\n\nOn Mon, Nov 2, 2026 Dana <d@acme.example> wrote:\n> Can you do a 20% discount and Net 60?\n";
        silent(text);
    }

    #[test]
    fn short_assent_takes_the_quoted_category() {
        let text = "Works for us.\n\nOn Mon, Nov 2, 2026 Dana <d@acme.example> wrote:\n> Can we move to Net 60 payment terms?\n";
        let got = run(text);
        let f = got
            .iter()
            .find(|f| f.category == Category::Commercial)
            .expect("assent finding");
        assert_eq!(f.rule, "commercial.payment_terms.assent");
        assert_eq!(&text[f.start..f.end], "Works for us");
    }

    #[test]
    fn logistics_mail_is_routine() {
        silent("Molly, thanks. I shall join you at 7pm, see you at the restaurant.");
        silent("2 meetings on monday 8 & 9:30 and 2 on friday, 9 & 10.");
        silent("Please add the onboarding call to my calendar for Thursday at 10.");
        silent("Can you book the board room on the 3rd floor for Tuesday?");
    }

    #[test]
    fn everyday_seller_follow_ups_are_routine() {
        silent(
            "Hi John, great speaking with you today! As promised, I've attached the deck. Let me know if Thursday 2pm works.",
        );
        silent("Just checking in to see if you had a chance to review the proposal.");
        silent("Can we set up a call next week to discuss your integration requirements?");
        silent("Thanks for your time today, Sarah. I'll send over the recap shortly.");
        silent("Bedankt voor het gesprek. Ik stuur u morgen de samenvatting.");
        silent(
            "Hi Mark, congrats on the Series B! Would love to show you how we help teams like yours.",
        );
        silent("Reminder: your webinar starts in 30 minutes.");
    }

    #[test]
    fn everyday_seller_answers_and_offers_are_protected() {
        fires(
            "Following up on the pricing we discussed - the quote is attached.",
            Category::Commercial,
            "pricing",
        );
        fires(
            "We integrate natively with HubSpot and Salesforce.",
            Category::Objection,
            "integration",
        );
        fires(
            "Our platform is GDPR compliant and all data is hosted in Frankfurt.",
            Category::Objection,
            "compliance",
        );
        fires(
            "I've attached the MSA for your legal team to review.",
            Category::Commercial,
            "contract_terms",
        );
        fires(
            "Happy to extend the trial by two weeks so your team can finish testing.",
            Category::Commercial,
            "fee_waiver",
        );
        fires(
            "Sure, we can sign your NDA - please send it over.",
            Category::Commercial,
            "contract_terms",
        );
        fires(
            "We'd be happy to match the competitor's offer if you commit to a 3-year term.",
            Category::Commercial,
            "contract_terms",
        );
        fires(
            "Our implementation typically takes 6 weeks.",
            Category::Objection,
            "implementation",
        );
        fires(
            "Nous pouvons démarrer l'implémentation dès lundi.",
            Category::Objection,
            "implementation",
        );
        fires(
            "Le confirmo que podemos ofrecer un descuento del 15 %.",
            Category::Commercial,
            "discount",
        );
    }

    #[test]
    fn objection_answers_sellers_give_are_protected() {
        use Category::Objection as O;
        fires(
            "Yes, we support SAML SSO with Okta and Azure AD out of the box.",
            O,
            "security",
        );
        fires(
            "We can have your team live within two weeks of signing.",
            O,
            "implementation",
        );
        fires(
            "Migrating from your old CRM usually takes about a week.",
            O,
            "implementation",
        );
        fires(
            "Your data is deleted within 30 days of termination.",
            O,
            "compliance",
        );
        fires(
            "We never train our AI models on customer data.",
            O,
            "compliance",
        );
        fires(
            "All data is backed up daily and retained for 35 days.",
            O,
            "sla",
        );
        fires(
            "Admins can set role-based permissions for every workspace.",
            O,
            "security",
        );
        fires(
            "Nothing to worry about on security, it's all locked down.",
            O,
            "security",
        );
        fires("Data never leaves the EU.", O, "data_residency");
        fires(
            "Ja, wir hosten alle Daten in Frankfurt und sind ISO 27001 zertifiziert.",
            O,
            "security",
        );
        fires(
            "Oui, nous sommes conformes au RGPD et les données restent en France.",
            O,
            "compliance",
        );
    }

    #[test]
    fn commercial_concessions_in_plain_words_are_protected() {
        use Category::Commercial as C;
        fires("We can knock 10k off the first year.", C, "discount");
        fires(
            "If you sign this quarter, I'll throw in premium support at no cost.",
            C,
            "fee_waiver",
        );
        fires(
            "I've sent the contract over in DocuSign.",
            C,
            "contract_terms",
        );
        fires("We'd need a PO before we can start.", C, "procurement");
        fires(
            "The renewal will be at the same rate as this year.",
            C,
            "pricing",
        );
        fires(
            "We'll cover the first three months for you.",
            C,
            "fee_waiver",
        );
        fires(
            "Nous pouvons prolonger l'essai gratuit d'un mois.",
            C,
            "fee_waiver",
        );
        silent("I'll be in town next week, are you free for coffee?");
        silent("Can you share who else should join the demo next week?");
    }

    #[test]
    fn guarantee_is_a_commitment() {
        fires(
            "We guarantee you will be live by March 1.",
            Category::Commitment,
            "guarantee",
        );
    }

    #[test]
    fn manufactured_urgency_is_pressure() {
        fires(
            "Last chance: this offer expires today, sign now!",
            Category::Pressure,
            "urgency",
        );
    }

    #[test]
    fn spans_are_inside_the_text_on_char_boundaries() {
        let text = "Ünser Preis: 10 € pro Nutzer — Rabatt möglich. 日本語のテキスト discount";
        for f in run(text) {
            assert!(
                f.end <= text.len()
                    && text.is_char_boundary(f.start)
                    && text.is_char_boundary(f.end)
            );
        }
    }
}
