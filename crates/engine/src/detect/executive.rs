//! Executive detector: is this message addressed to an executive, or pitched at one?
//!
//! A message to an executive is one of the protected moments (DESIGN §2): a human sends it.
//! Three independent bases, each its own subtopic of [`Category::Executive`]:
//!
//! * `title`: the recipient's job title names an executive: C-suite, president or VP,
//!   founder, owner, managing director, board level, general counsel, partner rank, in
//!   EN/DE/FR/ES/NL.
//! * `crm_role`: the CRM marks the recipient as executive sponsor, economic buyer or C-level.
//! * `framing`: the seller's own sentences address the reader as an executive ("as CEO you'll
//!   want…", "for your board meeting", "your leadership team").
//!
//! Title and CRM role describe the recipient, not a place in the text, so they are reported
//! once per action (with the `body` document) on the empty span `0..0`.
//!
//! Titles are judged with explicit word rules, not a regex: the hard part is telling
//! "Product Owner", "Account Executive", "Chief Engineer" or "Assistant to the CEO" from
//! the real thing, and each of those is a small check on the neighbouring words. A title is
//! split into segments ("CSO (Messe Kontakt)", "Founder / CEO") and is executive if any
//! segment is; an assistant or secretary marker anywhere overrides everything.
//!
//! What this module does not do: decide tiers (the policy does), or read quoted inbound text
//! for framing (a buyer writing "as CEO I need…" says nothing about how the seller pitches).

use std::collections::HashSet;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::{Detector, DetectorError, Document, Signals};
use crate::finding::{Category, Finding};

/// A title is a statement about the recipient, but a title field can be stale or loose.
const TITLE_CONFIDENCE: f32 = 0.9;
/// The CRM role is set by a human on the opportunity.
const CRM_CONFIDENCE: f32 = 0.9;
/// Framing is wording, which can be read more than one way.
const FRAMING_CONFIDENCE: f32 = 0.7;

/// Reports messages to executives: by recipient title, CRM role, or the seller's framing.
#[derive(Debug)]
pub struct ExecutiveDetector {
    /// The framing automaton, or why it could not be built (then every call fails, so the
    /// gate holds instead of silently missing executive framing).
    framing: Result<Framing, String>,
}

impl ExecutiveDetector {
    /// Builds the detector and its framing automaton.
    pub fn new() -> Self {
        Self {
            framing: Framing::build(),
        }
    }
}

impl Default for ExecutiveDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector for ExecutiveDetector {
    fn name(&self) -> &'static str {
        "executive"
    }

    fn detect(
        &self,
        doc: &Document<'_>,
        signals: &Signals<'_>,
        out: &mut Vec<Finding>,
    ) -> Result<(), DetectorError> {
        // Facts about the recipient are reported with one document only, so an action with
        // a subject, a body and payload fields still yields one title finding.
        if doc.field == "body" {
            if let Some(title) = signals.recipient_title
                && let Some(hit) = judge_title(title)
            {
                let evidence = title.get(hit.span.clone()).unwrap_or(title);
                out.push(context_finding(
                    "title",
                    "recipient_title",
                    evidence,
                    hit.kind.rule(),
                    TITLE_CONFIDENCE,
                ));
            }
            if let Some(role) = signals.recipient_crm_role
                && let Some(rule) = crm_role_rule(role)
            {
                out.push(context_finding(
                    "crm_role",
                    "recipient_crm_role",
                    role.trim(),
                    rule,
                    CRM_CONFIDENCE,
                ));
            }
        }
        let framing = self.framing.as_ref().map_err(|problem| DetectorError {
            detector: "executive",
            problem: problem.clone(),
        })?;
        framing.detect(doc, out);
        Ok(())
    }
}

/// A finding about the recipient rather than a place in the text.
fn context_finding(
    subtopic: &str,
    field: &str,
    evidence: &str,
    rule: &str,
    confidence: f32,
) -> Finding {
    Finding {
        category: Category::Executive,
        subtopic: subtopic.to_string(),
        start: 0,
        end: 0,
        field: field.to_string(),
        evidence: evidence.to_string(),
        confidence,
        rule: rule.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// CRM role
// ---------------------------------------------------------------------------------------

/// The rule for an executive CRM role, after normalising case, spaces and dashes.
fn crm_role_rule(role: &str) -> Option<&'static str> {
    let normalised = role
        .split(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_");
    Some(match normalised.as_str() {
        "executive_sponsor" => "executive.crm_role.executive_sponsor",
        "exec_sponsor" => "executive.crm_role.exec_sponsor",
        "economic_buyer" => "executive.crm_role.economic_buyer",
        "c_level" => "executive.crm_role.c_level",
        "c_suite" => "executive.crm_role.c_suite",
        "executive" => "executive.crm_role.executive",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Titles
// ---------------------------------------------------------------------------------------

/// Why a title counts as executive; names the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TitleKind {
    /// CEO, CFO, "Chief … Officer", C-level.
    CSuite,
    /// President, Vice President, VP/SVP/EVP.
    President,
    /// Founder, Gründer, Fondateur, Fundador, Oprichter.
    Founder,
    /// Owner, Inhaber, Eigenaar, Entrepreneur.
    Owner,
    /// Managing Director, General Manager, Geschäftsführer, Directeur Général, …
    Managing,
    /// Board members and chairs, Vorstand, Aufsichtsrat, Raad van Bestuur, …
    Board,
    /// General Counsel.
    Counsel,
    /// Partner as a rank.
    Partner,
}

impl TitleKind {
    fn rule(self) -> &'static str {
        match self {
            TitleKind::CSuite => "executive.title.c_suite",
            TitleKind::President => "executive.title.president",
            TitleKind::Founder => "executive.title.founder",
            TitleKind::Owner => "executive.title.owner",
            TitleKind::Managing => "executive.title.managing",
            TitleKind::Board => "executive.title.board",
            TitleKind::Counsel => "executive.title.general_counsel",
            TitleKind::Partner => "executive.title.partner",
        }
    }
}

/// An executive title: what kind, and the byte span in the title that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TitleHit {
    kind: TitleKind,
    span: Range<usize>,
}

/// One word of a title.
#[derive(Debug, Clone)]
struct Word {
    /// Range in [`Words::folded`].
    folded: Range<usize>,
    /// Byte span in the original title.
    span: Range<usize>,
}

/// A title split into lowercase, accent-folded words and segments.
#[derive(Debug)]
struct Words {
    /// All words, lowercased, umlauts spelled out (`ä` → `ae`), other accents dropped.
    folded: String,
    words: Vec<Word>,
    /// Word-index ranges of the segments.
    segments: Vec<Range<usize>>,
}

/// Characters that end a segment: "Founder / CEO", "CSO (Messe Kontakt)", "CEO & Founder".
fn is_segment_break(c: char) -> bool {
    matches!(
        c,
        '/' | '\\'
            | '|'
            | ','
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | ';'
            | ':'
            | '&'
            | '+'
            | '@'
            | '–'
            | '—'
            | '-'
            | '•'
            | '·'
            | '\n'
            | '\r'
            | '\t'
    )
}

/// Joins two words without breaking the segment: "Co-Founder", "President's".
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}' | '\'' | '\u{2019}')
}

/// Conjunctions separate two titles ("Chairman and CEO", "Fundador y CEO").
const CONJUNCTIONS: &[&str] = &["and", "und", "et", "y", "en"];

/// Lowercases `c` and folds it so "Präsident", "Praesident" and "PRÄSIDENT" all read
/// `praesident`, and "Président", "President" both read `president`.
fn fold_into(c: char, out: &mut String) {
    for lower in c.to_lowercase() {
        match lower {
            'ä' | 'æ' => out.push_str("ae"),
            'ö' | 'œ' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' => out.push('o'),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            other => out.push(other),
        }
    }
}

impl Words {
    fn new(title: &str) -> Self {
        let mut this = Self {
            folded: String::with_capacity(title.len() + 8),
            words: Vec::with_capacity(12),
            segments: Vec::with_capacity(4),
        };
        let mut segment_start = 0;
        // The word being read: (title offset, folded offset, follows an apostrophe).
        let mut current: Option<(usize, usize, bool)> = None;
        let mut prev_alnum = false;
        let mut apostrophe = false;
        let mut chars = title.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c.is_alphanumeric() {
                if current.is_none() {
                    current = Some((i, this.folded.len(), apostrophe));
                }
                fold_into(c, &mut this.folded);
                prev_alnum = true;
                continue;
            }
            if let Some((start, fstart, after_apostrophe)) = current.take() {
                this.finish_word(start..i, fstart, after_apostrophe, &mut segment_start);
            }
            let next_alnum = chars.peek().is_some_and(|(_, n)| n.is_alphanumeric());
            let joins = is_joiner(c) && prev_alnum && next_alnum;
            apostrophe = joins && matches!(c, '\'' | '\u{2019}');
            if is_segment_break(c) && !joins {
                this.close_segment(&mut segment_start);
            }
            prev_alnum = false;
        }
        if let Some((start, fstart, after_apostrophe)) = current.take() {
            this.finish_word(
                start..title.len(),
                fstart,
                after_apostrophe,
                &mut segment_start,
            );
        }
        this.close_segment(&mut segment_start);
        this
    }

    /// Ends the word at `span`, already folded from `fstart`. A conjunction closes the
    /// segment instead of becoming a word; an apostrophe-s becomes the possessive marker
    /// `'s` ("President's Club"), so it is not confused with the "S" of "S.p.A.".
    fn finish_word(
        &mut self,
        span: Range<usize>,
        fstart: usize,
        after_apostrophe: bool,
        segment_start: &mut usize,
    ) {
        let word = self.folded.get(fstart..).unwrap_or("");
        if CONJUNCTIONS.contains(&word) {
            self.folded.truncate(fstart);
            self.close_segment(segment_start);
            return;
        }
        if after_apostrophe && word == "s" {
            self.folded.truncate(fstart);
            self.folded.push_str(POSSESSIVE);
        }
        self.words.push(Word {
            folded: fstart..self.folded.len(),
            span,
        });
    }

    /// Ends the segment that started at word `start`, if it has words.
    fn close_segment(&mut self, start: &mut usize) {
        if self.words.len() > *start {
            self.segments.push(*start..self.words.len());
        }
        *start = self.words.len();
    }
}

/// The word an apostrophe-s becomes.
const POSSESSIVE: &str = "'s";

/// Whether `title` names an executive ("Chief Financial Officer", "Geschäftsführerin"),
/// as the executive detector judges recipients' titles.
pub fn is_executive_title(title: &str) -> bool {
    judge_title(title).is_some()
}

/// Whether `title` names an executive, and which part of it does.
fn judge_title(title: &str) -> Option<TitleHit> {
    let parsed = Words::new(title);
    let words: Vec<&str> = parsed
        .words
        .iter()
        .map(|w| parsed.folded.get(w.folded.clone()).unwrap_or(""))
        .collect();
    // Someone who assists, minutes or runs the office of an executive is not one, wherever
    // the marker stands: "Executive Assistant", "Assistenz der Geschäftsführung",
    // "Vorstandssekretärin", "PA to the CEO".
    if words
        .iter()
        .enumerate()
        .any(|(i, w)| is_support_role(w, words.get(i + 1).copied()))
    {
        return None;
    }
    let student = words.iter().any(|w| TRAINEE.contains(w));
    for segment in &parsed.segments {
        let Some(seg) = words.get(segment.clone()) else {
            continue;
        };
        if let Some((kind, range)) = judge_segment(seg, student) {
            let first = parsed.words.get(segment.start + range.start)?;
            let last = parsed.words.get(segment.start + range.end - 1)?;
            return Some(TitleHit {
                kind,
                span: first.span.start..last.span.end,
            });
        }
    }
    None
}

/// Assistant and secretary markers in EN/DE/FR/ES/NL, including compounds.
fn is_support_role(word: &str, next: Option<&str>) -> bool {
    ["assistan", "assisten", "asistent", "secreta", "sekreta"]
        .iter()
        .any(|m| word.contains(m))
        || word == "asst"
        || (matches!(word, "pa" | "ea") && next == Some("to"))
}

/// A segment containing one of these is a trainee's title, whatever else it says.
const TRAINEE: &[&str] = &[
    "student",
    "studentin",
    "students",
    "studente",
    "estudiante",
    "etudiant",
    "etudiante",
    "intern",
    "internship",
    "praktikant",
    "praktikantin",
    "werkstudent",
    "werkstudentin",
    "trainee",
    "stagiaire",
    "stagiair",
    "becario",
    "becaria",
    "azubi",
    "auszubildender",
    "auszubildende",
    "apprentice",
    "apprenti",
    "apprentie",
];

/// Words after which the rest of a segment names an organisation or area, not the rank:
/// "Partner at CFO Services", "Office of the CEO", "Head of Board Relations".
const PREPOSITIONS: &[&str] = &[
    "of", "to", "at", "for", "in", "with", "from", "on", "by", "bei", "von", "vom", "fuer", "der",
    "des", "dem", "den", "im", "am", "zum", "zur", "de", "du", "d", "a", "au", "aux", "chez",
    "pour", "par", "del", "al", "para", "con", "van", "bij", "voor", "te", "di", "della", "dello",
    "per", "presso", "hos",
];

/// Words allowed between a membership noun and the body: "Member of the Board".
const LINK_WORDS: &[&str] = &[
    "of", "the", "on", "to", "at", "in", "des", "der", "dem", "den", "im", "vom", "du", "de", "la",
    "le", "les", "l", "d", "del", "della", "van", "het",
];

/// Person nouns that turn a neighbouring executive word into an attribute: "CEO Office
/// Manager", "Referent Vorstand", "Founder Relations Manager", "CEO Coach".
const ROLE_NOUNS: &[&str] = &[
    "manager",
    "managerin",
    "coordinator",
    "coordinatrice",
    "coordinador",
    "coordinadora",
    "koordinator",
    "koordinatorin",
    "specialist",
    "spezialist",
    "spezialistin",
    "analyst",
    "analystin",
    "consultant",
    "consultante",
    "berater",
    "beraterin",
    "referent",
    "referentin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "engineer",
    "developer",
    "designer",
    "planner",
    "administrator",
    "clerk",
    "mitarbeiter",
    "mitarbeiterin",
    "medewerker",
    "medewerkster",
    "employee",
    "associate",
    "advisor",
    "adviser",
    "coach",
    "mentor",
    "recruiter",
    "headhunter",
    "liaison",
    "representative",
];

/// "Former CEO", "Ex-Geschäftsführer", "Ancien PDG": no longer an executive.
const FORMER: &[&str] = &[
    "former",
    "ex",
    "retired",
    "past",
    "formerly",
    "previously",
    "ehemaliger",
    "ehemalige",
    "ehem",
    "ancien",
    "ancienne",
    "antiguo",
    "antigua",
    "voormalig",
    "voormalige",
    "oud",
];

/// C-suite acronyms, matched as whole words.
const C_SUITE: &[&str] = &[
    "ceo", "cfo", "coo", "cto", "cio", "ciso", "cmo", "cro", "cpo", "cdo", "cso", "chro", "cco",
    "cao", "clo", "cxo", "cdao", "caio", "cbo", "cgo", "cno",
];

/// After a C-suite acronym these make it the name of something else: "CIO Forum",
/// "CFO Services Ltd", "CEO's Office", "CEO Staff".
const ACRONYM_MODIFIES: &[&str] = &[
    POSSESSIVE,
    "office",
    "staff",
    "team",
    "forum",
    "club",
    "circle",
    "council",
    "summit",
    "network",
    "roundtable",
    "community",
    "magazine",
    "academy",
    "program",
    "programme",
    "services",
    "solutions",
    "consulting",
    "search",
    "advisory",
    "award",
    "awards",
];

/// What may follow "Chief" to make an executive without "Officer": "Chief Executive",
/// "Chief Financial". Deliberately function adjectives: "Chief Engineer", "Chief Editor",
/// "Chief Architect", "Chief Accountant" are senior specialists, not officers.
const CHIEF_FUNCTIONS: &[&str] = &[
    "executive",
    "financial",
    "finance",
    "operating",
    "operations",
    "technology",
    "technical",
    "information",
    "marketing",
    "revenue",
    "product",
    "data",
    "digital",
    "security",
    "people",
    "legal",
    "commercial",
    "customer",
    "strategy",
    "strategic",
    "growth",
    "innovation",
    "sales",
    "human",
    "hr",
    "procurement",
    "purchasing",
    "risk",
    "compliance",
    "medical",
    "scientific",
    "business",
    "administrative",
    "investment",
    "transformation",
    "sustainability",
    "experience",
    "privacy",
    "analytics",
    "ai",
    "it",
    "brand",
    "communications",
    "creative",
    "diversity",
    "learning",
    "supply",
    "talent",
    "trust",
    "accounting",
    "audit",
    "nursing",
    "content",
    "design",
    "quality",
    "client",
    "partnership",
    "partnerships",
    "development",
    "culture",
    "impact",
];

/// "Product Owner", "Process Owner": a responsibility for a thing, not owning the company.
const RESPONSIBILITIES: &[&str] = &[
    "product",
    "process",
    "service",
    "system",
    "systems",
    "data",
    "account",
    "business",
    "content",
    "application",
    "app",
    "platform",
    "solution",
    "technical",
    "technology",
    "tech",
    "risk",
    "control",
    "budget",
    "asset",
    "channel",
    "feature",
    "domain",
    "release",
    "module",
    "tool",
    "project",
    "program",
    "programme",
    "change",
    "test",
    "quality",
    "information",
    "incident",
    "problem",
    "capability",
    "stream",
    "backlog",
    "requirement",
    "requirements",
    "area",
    "topic",
    "community",
    "relationship",
    "knowledge",
    "policy",
    "model",
    "api",
    "integration",
    "interface",
    "component",
    "workstream",
    "site",
    "page",
    "case",
    "task",
    "category",
    "brand",
    "market",
    "segment",
    "journey",
    "metric",
    "kpi",
];

/// Ranks that may precede "Partner" when it is the person's rank: "Senior Partner".
const PARTNER_RANKS: &[&str] = &[
    "senior",
    "equity",
    "managing",
    "founding",
    "name",
    "general",
    "salaried",
    "full",
    "co",
    "lead",
    "global",
    "regional",
    "country",
    "national",
    "executive",
];

/// Nouns that, followed by a governing body, make a board-level title: "Member of the
/// Supervisory Board", "Mitglied der Geschäftsleitung", "Lid van de Raad van Bestuur".
const MEMBERSHIP: &[&str] = &[
    "member",
    "members",
    "mitglied",
    "lid",
    "membre",
    "miembro",
    "membro",
    "ledamot",
    "sprecher",
    "sprecherin",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "chair",
    "chairman",
    "chairwoman",
    "chairperson",
    "vorsitzender",
    "vorsitzende",
    "president",
    "presidente",
    "presidenta",
    "voorzitter",
    "director",
    "trustee",
];

/// German person nouns, matched as word endings so compounds count: "Finanzvorstand",
/// "Mitgründerin", "Hauptgeschäftsführer", "Verwaltungsratspräsident".
const GERMAN_TITLES: &[(&str, TitleKind)] = &[
    ("geschaeftsfuehrer", TitleKind::Managing),
    ("geschaeftsfuehrerin", TitleKind::Managing),
    ("geschaeftsfuehrender", TitleKind::Managing),
    ("geschaeftsfuehrende", TitleKind::Managing),
    ("geschaeftsleiter", TitleKind::Managing),
    ("geschaeftsleiterin", TitleKind::Managing),
    ("generaldirektor", TitleKind::Managing),
    ("generaldirektorin", TitleKind::Managing),
    ("generalbevollmaechtigter", TitleKind::Managing),
    ("generalbevollmaechtigte", TitleKind::Managing),
    ("vorstand", TitleKind::Board),
    ("vorstandsvorsitzender", TitleKind::Board),
    ("vorstandsvorsitzende", TitleKind::Board),
    ("vorstandsmitglied", TitleKind::Board),
    ("vorstandssprecher", TitleKind::Board),
    ("vorstandssprecherin", TitleKind::Board),
    ("aufsichtsrat", TitleKind::Board),
    ("aufsichtsraetin", TitleKind::Board),
    ("aufsichtsratsvorsitzender", TitleKind::Board),
    ("aufsichtsratsvorsitzende", TitleKind::Board),
    ("aufsichtsratsmitglied", TitleKind::Board),
    ("verwaltungsrat", TitleKind::Board),
    ("verwaltungsraetin", TitleKind::Board),
    ("verwaltungsratsvorsitzender", TitleKind::Board),
    ("verwaltungsratsvorsitzende", TitleKind::Board),
    ("verwaltungsratsmitglied", TitleKind::Board),
    ("beiratsvorsitzender", TitleKind::Board),
    ("beiratsvorsitzende", TitleKind::Board),
    ("beiratsmitglied", TitleKind::Board),
    ("geschaeftsfuehrungsmitglied", TitleKind::Board),
    ("geschaeftsleitungsmitglied", TitleKind::Board),
    ("praesident", TitleKind::President),
    ("praesidentin", TitleKind::President),
    ("gruender", TitleKind::Founder),
    ("gruenderin", TitleKind::Founder),
    ("inhaber", TitleKind::Owner),
    ("inhaberin", TitleKind::Owner),
    ("unternehmer", TitleKind::Owner),
    ("unternehmerin", TitleKind::Owner),
    ("gesellschafter", TitleKind::Owner),
    ("gesellschafterin", TitleKind::Owner),
];

/// The executive title in one segment, as (kind, word range within the segment).
/// `student`: the title elsewhere names a student or trainee.
fn judge_segment(seg: &[&str], student: bool) -> Option<(TitleKind, Range<usize>)> {
    if seg.iter().any(|w| TRAINEE.contains(w)) {
        return None;
    }
    // The head is the part before the first preposition; only it names the person's rank.
    let head_end = seg
        .iter()
        .skip(1)
        .position(|w| PREPOSITIONS.contains(w))
        .map_or(seg.len(), |p| p + 1);
    let accept = |range: &Range<usize>| {
        let former = seg[..range.start]
            .iter()
            .enumerate()
            .any(|(k, w)| FORMER.contains(w) && seg.get(k + 1) != Some(&"officio"));
        let attribute = seg[..head_end]
            .iter()
            .enumerate()
            .any(|(k, w)| !range.contains(&k) && ROLE_NOUNS.contains(w));
        // "Owner's Representative", "Chairman's Office": something of the executive's.
        let possessive = seg.get(range.end) == Some(&POSSESSIVE);
        !former && !attribute && !possessive
    };

    for i in 0..head_end {
        if let Some((end, kind)) = title_at(seg, i, head_end)
            // "President, Student Council" is a student office. Other titles next to a
            // student marker stand ("Founder & CEO | MBA Student").
            && !(student && kind == TitleKind::President)
            && accept(&(i..end))
        {
            return Some((kind, i..end));
        }
    }
    // A governing body named first: "Geschäftsführung", "Board of Directors", "Vorstand".
    if let Some(end) = body_at(seg, 0) {
        let end = if seg.get(end).is_some_and(|w| MEMBERSHIP.contains(w)) {
            end + 1
        } else {
            end
        };
        if accept(&(0..end)) {
            return Some((TitleKind::Board, 0..end));
        }
    }
    membership(seg)
        .filter(&accept)
        .map(|r| (TitleKind::Board, r))
}

/// An executive title starting at word `i` of the segment: (end word, kind).
fn title_at(seg: &[&str], i: usize, head_end: usize) -> Option<(usize, TitleKind)> {
    use TitleKind::*;
    let w = *seg.get(i)?;
    let next = if i + 1 < head_end {
        seg.get(i + 1).copied()
    } else {
        None
    };
    let next_in = |set: &[&str]| next.is_some_and(|n| set.contains(&n));
    let before = &seg[..i];
    let hit = |len: usize, kind: TitleKind| Some((i + len, kind));
    match w {
        _ if C_SUITE.contains(&w) => {
            if next_in(ACRONYM_MODIFIES) {
                None
            } else {
                hit(1, CSuite)
            }
        }
        "c" if next_in(&["level", "levels", "suite"]) => hit(2, CSuite),
        "v" if next == Some("p") => president_like(seg, i, 2, President),
        "chief" => chief_title(seg, i, head_end),
        "vice" if next.is_some_and(is_president_word) => president_like(seg, i, 2, President),
        "vice" if next.is_some_and(is_chair_word) => president_like(seg, i, 2, Board),
        "vp" | "svp" | "evp" | "gvp" | "rvp" | "cvp" => president_like(seg, i, 1, President),
        _ if is_president_word(w) => president_like(seg, i, 1, President),
        _ if is_chair_word(w) => president_like(seg, i, 1, Board),
        // "Chair" alone is a board chair; "Program Chair" or "Chair of Physics" is not.
        "chair" => {
            let modifiers = [
                "co",
                "vice",
                "deputy",
                "executive",
                "non",
                "board",
                "independent",
            ];
            let alone = i + 1 == seg.len() && before.iter().all(|b| modifiers.contains(b));
            if alone { hit(1, Board) } else { None }
        }
        "founder" | "cofounder" | "fondateur" | "fondatrice" | "cofondateur" | "cofondatrice"
        | "fundador" | "fundadora" | "cofundador" | "cofundadora" | "oprichter" | "oprichtster"
        | "medeoprichter" | "fondatore" | "cofondatore" | "grundare" | "medgrundare" => {
            hit(1, Founder)
        }
        "owner" | "coowner" | "proprietor" | "eigenaar" | "eigenares" | "proprietaire"
        | "coproprietaire" | "propietario" | "propietaria" | "dueno" | "duena" | "proprietario"
        | "proprietaria" | "titolare" => {
            // "Business Owner" alone owns a business; "Business Owner CRM" owns a process.
            let owns_a_business = before == ["business"] && i + 1 == seg.len();
            if before.last().is_some_and(|b| RESPONSIBILITIES.contains(b)) && !owns_a_business {
                None
            } else {
                hit(1, Owner)
            }
        }
        "entrepreneur" | "entrepreneuse" | "ondernemer" | "ondernemster" | "empresario"
        | "empresaria" | "emprendedor" | "emprendedora" | "imprenditore" | "imprenditrice" => {
            hit(1, Owner)
        }
        "managing" if next_in(&["director", "directors", "partner", "member", "principal"]) => {
            hit(2, Managing)
        }
        "general" if next_in(&["manager", "partner", "director"]) => hit(2, Managing),
        // Associate, Assistant and Deputy General Counsel are the lawyers under the GC.
        "general" if next == Some("counsel") => {
            let junior = ["associate", "assoc", "deputy", "assistant", "asst"];
            if before.iter().any(|b| junior.contains(b)) {
                None
            } else {
                hit(2, Counsel)
            }
        }
        "executive" if next_in(&["director", "directors", "sponsor", "officer"]) => {
            hit(2, Managing)
        }
        "executive"
            if next_in(&[
                "chairman",
                "chairwoman",
                "chair",
                "chairperson",
                "board",
                "committee",
            ]) =>
        {
            hit(2, Board)
        }
        "director" | "directora" | "directeur" | "directrice" | "direttore" => {
            let general = ["general", "generale", "gerente", "ejecutivo", "ejecutiva"];
            // "Director General Affairs" is an administration role in Asian companies.
            let admin =
                i + 2 < head_end && matches!(seg.get(i + 2), Some(&("affairs" | "services")));
            if next_in(&["associe", "associee"]) {
                hit(2, Partner)
            } else if next_in(&general) && !admin {
                hit(2, Managing)
            } else {
                None
            }
        }
        "algemeen" if next_in(&["directeur", "directrice"]) => hit(2, Managing),
        "gerente" if next == Some("general") => hit(2, Managing),
        "consejero" | "consejera" if next_in(&["delegado", "delegada"]) => hit(2, Managing),
        "amministratore" if next_in(&["delegato", "unico"]) => hit(2, Managing),
        "administrador" | "administradora"
            if next_in(&["unico", "unica", "delegado", "delegada"]) =>
        {
            hit(2, Managing)
        }
        "administrateur" | "administratrice" if next_in(&["delegue", "deleguee"]) => {
            hit(2, Managing)
        }
        "gedelegeerd" if next == Some("bestuurder") => hit(2, Managing),
        "verkstaellande" if next == Some("direktoer") => hit(2, Managing),
        "pdg" | "zaakvoerder" | "zaakvoerster" | "bestuurder" | "bestuurster" => hit(1, Managing),
        // Short forms that are also other things ("DG COMP", "GF" as initials) count only
        // when they stand alone.
        "dg" | "dga" | "gf"
            if seg.len() == 1 || next_in(&["adjoint", "adjointe", "delegue", "deleguee"]) =>
        {
            hit(1, Managing)
        }
        // A French gérant is the legal head of a SARL. A store's "Gérant de magasin" matches
        // too: an accepted cost, store managers rarely receive enterprise sales mail.
        "gerant" | "gerante" | "cogerant" | "cogerante" if i == 0 => hit(1, Managing),
        "bestuurslid" | "directielid" | "styrelseledamot" => hit(1, Board),
        "independent" if next == Some("director") => hit(2, Board),
        "ned" if seg.len() == 1 => hit(1, Board),
        "partner" | "partnerin" | "vennoot" | "socio" | "socia" | "associe" | "associee" => {
            partner_title(seg, i, head_end)
        }
        _ => GERMAN_TITLES
            .iter()
            .find(|(suffix, _)| w.ends_with(suffix))
            .map(|&(_, kind)| (i + 1, kind)),
    }
}

/// President, Präsident, Président(e), Presidente, Vicepresidente.
fn is_president_word(w: &str) -> bool {
    matches!(
        w,
        "president"
            | "presidente"
            | "presidenta"
            | "vicepresident"
            | "vicepresidente"
            | "vicepresidenta"
    ) || w.ends_with("praesident")
        || w.ends_with("praesidentin")
}

/// Chairman, Vorsitzender, Voorzitter, Ordförande (but not a bare "Chair": see above).
fn is_chair_word(w: &str) -> bool {
    matches!(
        w,
        "chairman" | "chairwoman" | "chairperson" | "vorsitzender" | "vorsitzende" | "vorsitz"
    ) || w.ends_with("voorzitter")
        || w.ends_with("ordfoerande")
}

/// President-like titles at word `i`, `len` words long, unless they name something else.
fn president_like(
    seg: &[&str],
    i: usize,
    len: usize,
    kind: TitleKind,
) -> Option<(usize, TitleKind)> {
    // "Associate Vice President" is a mid-level bank and university rank; "Class President"
    // is a school office.
    if seg[..i]
        .iter()
        .any(|w| matches!(*w, "associate" | "assoc" | "class" | "avp"))
    {
        return None;
    }
    // "President's Club", "Chairman's Award": a sales award, not an office.
    if seg
        .get(i + len)
        .is_some_and(|w| matches!(*w, POSSESSIVE | "club" | "circle" | "award" | "awards"))
    {
        return None;
    }
    // Works council chairs are elected by the employees; they do not run the company.
    let works_council = seg.iter().any(|w| {
        w.starts_with("betriebsrat")
            || w.starts_with("personalrat")
            || w.starts_with("ondernemingsraad")
            || *w == "works"
    });
    if works_council {
        return None;
    }
    Some((i + len, kind))
}

/// "Chief … Officer", or "Chief" followed by a function ("Chief Executive").
fn chief_title(seg: &[&str], i: usize, head_end: usize) -> Option<(usize, TitleKind)> {
    let rest = seg.get(i + 1..head_end)?;
    if let Some(k) = rest
        .iter()
        .position(|w| matches!(*w, "officer" | "officers"))
        && k > 0
    {
        return Some((i + k + 2, TitleKind::CSuite));
    }
    rest.first()
        .filter(|w| CHIEF_FUNCTIONS.contains(w))
        .map(|_| (i + 2, TitleKind::CSuite))
}

/// Partner as a rank ("Partner", "Senior Partner", "Partner at X") but not "Partner
/// Manager" or "HR Business Partner", where a function noun follows or precedes it.
fn partner_title(seg: &[&str], i: usize, head_end: usize) -> Option<(usize, TitleKind)> {
    if !seg[..i].iter().all(|w| PARTNER_RANKS.contains(w)) {
        return None;
    }
    if i + 1 == head_end {
        return Some((i + 1, TitleKind::Partner));
    }
    // "Socio Director", "Associé gérant", "Partner & Founder" without the ampersand.
    let leading = [
        "director",
        "directora",
        "fundador",
        "fundadora",
        "gerente",
        "gerant",
        "gerante",
        "fondateur",
        "fondatrice",
        "administrador",
        "founder",
    ];
    seg.get(i + 1)
        .filter(|w| leading.contains(w))
        .map(|_| (i + 2, TitleKind::Partner))
}

/// A governing body starting at word `j`: returns the word after it.
fn body_at(seg: &[&str], j: usize) -> Option<usize> {
    let at = |k: usize| seg.get(k).copied();
    let w = at(j)?;
    match w {
        "board" => board_end(seg, j),
        "advisory" | "supervisory" | "corporate" | "group" | "company" | "holding"
            if at(j + 1) == Some("board") =>
        {
            board_end(seg, j + 1)
        }
        "executive" => match at(j + 1) {
            Some("board") => board_end(seg, j + 1),
            Some("committee" | "team") => Some(j + 2),
            Some("leadership") if at(j + 2) == Some("team") => Some(j + 3),
            Some("leadership") => Some(j + 2),
            _ => None,
        },
        "management" => match at(j + 1) {
            Some("board") => board_end(seg, j + 1),
            Some("committee") => Some(j + 2),
            _ => None,
        },
        "senior" if at(j + 1) == Some("leadership") && at(j + 2) == Some("team") => Some(j + 3),
        "comex" | "codir" | "exco" | "excom" | "directoire" | "directie" | "bestuur" => Some(j + 1),
        "conseil" | "consejo" | "consiglio" => match (at(j + 1), at(j + 2)) {
            (None, _) => Some(j + 1),
            (
                Some("d" | "de" | "di"),
                Some(
                    "administration" | "administracion" | "amministrazione" | "surveillance"
                    | "direction" | "direccion" | "direzione",
                ),
            ) => Some(j + 3),
            (Some("directivo" | "executif" | "ejecutivo" | "esecutivo"), _) => Some(j + 2),
            _ => None,
        },
        "comite" | "comitato" => match (at(j + 1), at(j + 2)) {
            (Some("executif" | "ejecutivo" | "esecutivo" | "direction" | "direccion"), _) => {
                Some(j + 2)
            }
            (Some("de" | "di"), Some("direction" | "direccion" | "direzione")) => Some(j + 3),
            _ => None,
        },
        "junta" if at(j + 1) == Some("directiva") => Some(j + 2),
        "raad"
            if at(j + 1) == Some("van")
                && matches!(at(j + 2), Some("bestuur" | "commissarissen" | "toezicht")) =>
        {
            Some(j + 3)
        }
        _ if is_german_body(w) => Some(j + 1),
        _ => None,
    }
}

/// "Board" as a governing body: not "Board Game", "Board Room", "Editorial Board".
fn board_end(seg: &[&str], j: usize) -> Option<usize> {
    let not_governing = ["editorial", "review", "student", "school", "exam", "works"];
    if j > 0 && seg.get(j - 1).is_some_and(|w| not_governing.contains(w)) {
        return None;
    }
    match seg.get(j + 1).copied() {
        None => Some(j + 1),
        Some("of") => match seg.get(j + 2).copied() {
            Some("directors" | "trustees" | "governors" | "management") => Some(j + 3),
            _ => Some(j + 1),
        },
        Some(n) if MEMBERSHIP.contains(&n) || LINK_WORDS.contains(&n) || n == "directors" => {
            Some(j + 1)
        }
        _ => None,
    }
}

/// German governing bodies and their genitive forms: "des Vorstands", "der Geschäftsleitung".
fn is_german_body(w: &str) -> bool {
    [
        "vorstand",
        "aufsichtsrat",
        "verwaltungsrat",
        "beirat",
        "praesidium",
        "geschaeftsfuehrung",
        "geschaeftsleitung",
        "konzernleitung",
        "unternehmensleitung",
        "direktorium",
    ]
    .iter()
    .any(|stem| {
        w.strip_prefix(stem)
            .is_some_and(|rest| matches!(rest, "" | "s" | "es"))
    })
}

/// A membership noun next to a governing body: "Member of the Board", "Acme Board Member".
fn membership(seg: &[&str]) -> Option<Range<usize>> {
    for (i, w) in seg.iter().enumerate() {
        if !MEMBERSHIP.contains(w) {
            continue;
        }
        let mut j = i + 1;
        while seg.get(j).is_some_and(|w| LINK_WORDS.contains(w)) {
            j += 1;
        }
        if let Some(end) = body_at(seg, j) {
            return Some(i..end);
        }
        if let Some(k) = (i.saturating_sub(3)..i).find(|&k| body_at(seg, k) == Some(i)) {
            return Some(k..i + 1);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------

/// What must hold around a framing phrase for it to count.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// The phrase alone addresses the reader as an executive.
    Nothing,
    /// "as CEO" frames the reader only when "you" follows: "As CEO, you'll want…", not
    /// "she joined as CEO" or "as CEO I'd love your feedback".
    SecondPerson,
    /// German "Ihr/Ihre/Ihrer" is "your" only when capitalised; lowercase it is "her/their".
    CapitalI,
    /// "your board" but not "your board game".
    NotBefore(&'static [&'static str]),
}

/// One framing phrase's rule and condition.
#[derive(Debug, Clone, Copy)]
struct Frame {
    rule: &'static str,
    need: Need,
}

/// The framing automaton and what each pattern means.
#[derive(Debug)]
struct Framing {
    automaton: AhoCorasick,
    frames: Vec<Frame>,
}

const BOARD: &str = "executive.framing.board";
const LEADERSHIP: &str = "executive.framing.leadership";
const C_LEVEL: &str = "executive.framing.c_suite";
const PEER: &str = "executive.framing.peer";
const BRIEFING: &str = "executive.framing.briefing";
const STRATEGY: &str = "executive.framing.strategy";
const ROLE: &str = "executive.framing.role";

const NOT_A_BOARD: &[&str] = &["game", "games", "room", "rooms", "shorts", "gaming"];

/// Fixed phrases in the five languages. Each is addressed to the reader ("your", "Ihr",
/// "votre", "su", "uw") or names the executive level itself; "the board" alone is not here
/// because internal mail mentions "the board room" and "the board" in passing.
const PHRASES: &[(&str, &str, Need)] = &[
    // English
    ("your board", BOARD, Need::NotBefore(NOT_A_BOARD)),
    ("your executive board", BOARD, Need::Nothing),
    ("your supervisory board", BOARD, Need::Nothing),
    ("board-level", BOARD, Need::Nothing),
    ("board level", BOARD, Need::Nothing),
    ("board-ready", BOARD, Need::Nothing),
    ("your agm", BOARD, Need::Nothing),
    ("your annual general meeting", BOARD, Need::Nothing),
    ("your earnings call", STRATEGY, Need::Nothing),
    ("your leadership team", LEADERSHIP, Need::Nothing),
    ("your executive team", LEADERSHIP, Need::Nothing),
    ("your exec team", LEADERSHIP, Need::Nothing),
    ("your senior leadership", LEADERSHIP, Need::Nothing),
    ("your executive committee", LEADERSHIP, Need::Nothing),
    ("your c-suite", C_LEVEL, Need::Nothing),
    ("your c-level", C_LEVEL, Need::Nothing),
    ("c-suite", C_LEVEL, Need::Nothing),
    ("c suite", C_LEVEL, Need::Nothing),
    ("c-level", C_LEVEL, Need::Nothing),
    ("ceo-level", C_LEVEL, Need::Nothing),
    ("ceo-to-ceo", PEER, Need::Nothing),
    ("ceo to ceo", PEER, Need::Nothing),
    ("cfo-to-cfo", PEER, Need::Nothing),
    ("exec-to-exec", PEER, Need::Nothing),
    ("executive-to-executive", PEER, Need::Nothing),
    ("founder-to-founder", PEER, Need::Nothing),
    ("fellow ceo", PEER, Need::Nothing),
    ("fellow ceos", PEER, Need::Nothing),
    ("fellow cfos", PEER, Need::Nothing),
    ("fellow founder", PEER, Need::Nothing),
    ("fellow founders", PEER, Need::Nothing),
    ("fellow executive", PEER, Need::Nothing),
    ("fellow executives", PEER, Need::Nothing),
    ("ceos like you", PEER, Need::Nothing),
    ("cfos like you", PEER, Need::Nothing),
    ("founders like you", PEER, Need::Nothing),
    ("executives like you", PEER, Need::Nothing),
    ("executive briefing", BRIEFING, Need::Nothing),
    ("executive roundtable", BRIEFING, Need::Nothing),
    ("executive dinner", BRIEFING, Need::Nothing),
    ("executive summit", BRIEFING, Need::Nothing),
    ("your strategic priorities", STRATEGY, Need::Nothing),
    ("your strategic agenda", STRATEGY, Need::Nothing),
    ("your strategic goals", STRATEGY, Need::Nothing),
    ("your strategic objectives", STRATEGY, Need::Nothing),
    ("your strategic initiatives", STRATEGY, Need::Nothing),
    ("your strategic plan", STRATEGY, Need::Nothing),
    ("your strategic roadmap", STRATEGY, Need::Nothing),
    ("your strategic vision", STRATEGY, Need::Nothing),
    ("your transformation agenda", STRATEGY, Need::Nothing),
    // German
    ("ihre vorstandssitzung", BOARD, Need::CapitalI),
    ("ihrer vorstandssitzung", BOARD, Need::CapitalI),
    ("ihre aufsichtsratssitzung", BOARD, Need::CapitalI),
    ("ihrer aufsichtsratssitzung", BOARD, Need::CapitalI),
    ("ihr vorstand", BOARD, Need::CapitalI),
    ("ihren vorstand", BOARD, Need::CapitalI),
    ("ihrem vorstand", BOARD, Need::CapitalI),
    ("ihres vorstands", BOARD, Need::CapitalI),
    ("ihre vorstandskollegen", BOARD, Need::CapitalI),
    ("ihren vorstandskollegen", BOARD, Need::CapitalI),
    ("ihr aufsichtsrat", BOARD, Need::CapitalI),
    ("ihren aufsichtsrat", BOARD, Need::CapitalI),
    ("ihrem aufsichtsrat", BOARD, Need::CapitalI),
    ("deinem vorstand", BOARD, Need::Nothing),
    ("auf vorstandsebene", BOARD, Need::Nothing),
    ("ihr führungsteam", LEADERSHIP, Need::CapitalI),
    ("ihrem führungsteam", LEADERSHIP, Need::CapitalI),
    ("ihres führungsteams", LEADERSHIP, Need::CapitalI),
    ("ihre geschäftsführung", LEADERSHIP, Need::CapitalI),
    ("ihrer geschäftsführung", LEADERSHIP, Need::CapitalI),
    ("ihre geschäftsleitung", LEADERSHIP, Need::CapitalI),
    ("ihrer geschäftsleitung", LEADERSHIP, Need::CapitalI),
    ("dein führungsteam", LEADERSHIP, Need::Nothing),
    ("deinem führungsteam", LEADERSHIP, Need::Nothing),
    ("von ceo zu ceo", PEER, Need::Nothing),
    ("ihre strategischen prioritäten", STRATEGY, Need::CapitalI),
    ("ihrer strategischen prioritäten", STRATEGY, Need::CapitalI),
    ("ihre strategischen ziele", STRATEGY, Need::CapitalI),
    ("ihren strategischen zielen", STRATEGY, Need::CapitalI),
    ("ihre strategische agenda", STRATEGY, Need::CapitalI),
    ("ihrer strategischen agenda", STRATEGY, Need::CapitalI),
    ("deine strategischen prioritäten", STRATEGY, Need::Nothing),
    // French
    ("votre conseil d'administration", BOARD, Need::Nothing),
    ("votre conseil de surveillance", BOARD, Need::Nothing),
    ("votre board", BOARD, Need::NotBefore(NOT_A_BOARD)),
    ("votre comité de direction", LEADERSHIP, Need::Nothing),
    ("votre comité exécutif", LEADERSHIP, Need::Nothing),
    ("votre comex", LEADERSHIP, Need::Nothing),
    ("votre codir", LEADERSHIP, Need::Nothing),
    ("votre équipe de direction", LEADERSHIP, Need::Nothing),
    ("votre direction générale", LEADERSHIP, Need::Nothing),
    ("de dirigeant à dirigeant", PEER, Need::Nothing),
    ("de ceo à ceo", PEER, Need::Nothing),
    ("vos priorités stratégiques", STRATEGY, Need::Nothing),
    ("vos enjeux stratégiques", STRATEGY, Need::Nothing),
    ("vos objectifs stratégiques", STRATEGY, Need::Nothing),
    (
        "votre feuille de route stratégique",
        STRATEGY,
        Need::Nothing,
    ),
    // Spanish
    ("su consejo de administración", BOARD, Need::Nothing),
    ("tu consejo de administración", BOARD, Need::Nothing),
    ("su junta directiva", BOARD, Need::Nothing),
    ("tu junta directiva", BOARD, Need::Nothing),
    ("su reunión de consejo", BOARD, Need::Nothing),
    ("su reunión del consejo", BOARD, Need::Nothing),
    ("tu reunión de consejo", BOARD, Need::Nothing),
    ("su comité de dirección", LEADERSHIP, Need::Nothing),
    ("tu comité de dirección", LEADERSHIP, Need::Nothing),
    ("su comité ejecutivo", LEADERSHIP, Need::Nothing),
    ("su equipo directivo", LEADERSHIP, Need::Nothing),
    ("tu equipo directivo", LEADERSHIP, Need::Nothing),
    ("su equipo de dirección", LEADERSHIP, Need::Nothing),
    ("de ceo a ceo", PEER, Need::Nothing),
    ("sus prioridades estratégicas", STRATEGY, Need::Nothing),
    ("tus prioridades estratégicas", STRATEGY, Need::Nothing),
    ("sus objetivos estratégicos", STRATEGY, Need::Nothing),
    ("tus objetivos estratégicos", STRATEGY, Need::Nothing),
    // Dutch
    ("uw raad van bestuur", BOARD, Need::Nothing),
    ("jouw raad van bestuur", BOARD, Need::Nothing),
    ("uw raad van commissarissen", BOARD, Need::Nothing),
    ("uw raad van toezicht", BOARD, Need::Nothing),
    ("uw bestuur", BOARD, Need::Nothing),
    ("jouw bestuur", BOARD, Need::Nothing),
    ("uw bestuursvergadering", BOARD, Need::Nothing),
    ("jouw bestuursvergadering", BOARD, Need::Nothing),
    ("uw directie", LEADERSHIP, Need::Nothing),
    ("jouw directie", LEADERSHIP, Need::Nothing),
    ("uw directieteam", LEADERSHIP, Need::Nothing),
    ("jouw directieteam", LEADERSHIP, Need::Nothing),
    ("uw leiderschapsteam", LEADERSHIP, Need::Nothing),
    ("jouw leiderschapsteam", LEADERSHIP, Need::Nothing),
    ("van ceo tot ceo", PEER, Need::Nothing),
    ("uw strategische prioriteiten", STRATEGY, Need::Nothing),
    ("jouw strategische prioriteiten", STRATEGY, Need::Nothing),
    ("uw strategische doelen", STRATEGY, Need::Nothing),
    ("jouw strategische doelen", STRATEGY, Need::Nothing),
    ("uw strategische agenda", STRATEGY, Need::Nothing),
];

const EN_ROLES: &[&str] = &[
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "ciso",
    "cmo",
    "cro",
    "cpo",
    "chro",
    "founder",
    "co-founder",
    "cofounder",
    "managing director",
    "general manager",
    "president",
    "chairman",
    "chairwoman",
    "chair",
    "chief executive",
    "executive",
    "exec",
    "c-level executive",
    "board member",
    "business owner",
    "entrepreneur",
    "general counsel",
];

const DE_NL_ROLES: &[&str] = &[
    "ceo",
    "cfo",
    "coo",
    "cto",
    "cio",
    "cmo",
    "geschäftsführer",
    "geschäftsführerin",
    "vorstand",
    "vorstandsvorsitzender",
    "vorstandsvorsitzende",
    "gründer",
    "gründerin",
    "inhaber",
    "inhaberin",
    "unternehmer",
    "unternehmerin",
    "directeur",
    "algemeen directeur",
    "directeur-eigenaar",
    "eigenaar",
    "oprichter",
    "ondernemer",
    "bestuurder",
];

const FR_ROLES: &[&str] = &[
    "ceo",
    "cfo",
    "cto",
    "pdg",
    "dg",
    "dirigeant",
    "dirigeante",
    "fondateur",
    "fondatrice",
    "cofondateur",
    "cofondatrice",
    "directeur général",
    "directrice générale",
    "président",
    "présidente",
    "chef d'entreprise",
];

const ES_ROLES: &[&str] = &[
    "ceo",
    "cfo",
    "cto",
    "director general",
    "directora general",
    "fundador",
    "fundadora",
    "cofundador",
    "cofundadora",
    "consejero delegado",
    "consejera delegada",
    "presidente",
    "presidenta",
    "gerente general",
    "directivo",
    "directiva",
    "empresario",
    "empresaria",
    "dueño",
    "dueña",
];

/// Role phrases: prefix, the roles it combines with, and what must hold.
const ROLE_PHRASES: &[(&str, &[&str], Need)] = &[
    ("as ", EN_ROLES, Need::SecondPerson),
    ("as a ", EN_ROLES, Need::SecondPerson),
    ("as an ", EN_ROLES, Need::SecondPerson),
    ("as the ", EN_ROLES, Need::SecondPerson),
    ("your role as ", EN_ROLES, Need::Nothing),
    ("your role as a ", EN_ROLES, Need::Nothing),
    ("your role as the ", EN_ROLES, Need::Nothing),
    ("als ", DE_NL_ROLES, Need::SecondPerson),
    ("ihrer rolle als ", DE_NL_ROLES, Need::CapitalI),
    ("deiner rolle als ", DE_NL_ROLES, Need::Nothing),
    ("uw rol als ", DE_NL_ROLES, Need::Nothing),
    ("jouw rol als ", DE_NL_ROLES, Need::Nothing),
    ("en tant que ", FR_ROLES, Need::SecondPerson),
    ("comme ", FR_ROLES, Need::SecondPerson),
    ("dans votre rôle de ", FR_ROLES, Need::Nothing),
    ("en votre qualité de ", FR_ROLES, Need::Nothing),
    ("como ", ES_ROLES, Need::SecondPerson),
    ("en su rol de ", ES_ROLES, Need::Nothing),
    ("en tu rol de ", ES_ROLES, Need::Nothing),
];

/// Words that address the reader, lowercase (German formal "Sie/Ihr" are checked with case).
const SECOND_PERSON: &[&str] = &[
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "du",
    "dich",
    "dir",
    "dein",
    "deine",
    "deinen",
    "deinem",
    "deiner",
    "deines",
    "vous",
    "votre",
    "vos",
    "tu",
    "tú",
    "ton",
    "ta",
    "tes",
    "toi",
    "usted",
    "ustedes",
    "tus",
    "te",
    "ti",
    "u",
    "uw",
    "jij",
    "jouw",
    "jullie",
];

/// German formal address: capitalised, unlike "sie" (she/they) and "ihr" (her/their).
const GERMAN_FORMAL: &[&str] = &[
    "Sie", "Ihnen", "Ihr", "Ihre", "Ihren", "Ihrem", "Ihrer", "Ihres",
];

/// Words that show the sentence is about the writer: "As CEO, I…".
const FIRST_PERSON: &[&str] = &[
    "i", "me", "my", "we", "our", "us", "ich", "mir", "mich", "mein", "meine", "wir", "uns",
    "unser", "unsere", "je", "j", "moi", "nous", "notre", "nos", "mon", "ma", "mes", "yo", "mi",
    "mis", "nosotros", "nuestro", "nuestra", "ik", "mij", "mijn", "wij", "ons", "onze",
];

/// How many words after "as CEO" may come before "you".
const ADDRESS_WINDOW: usize = 4;

impl Framing {
    fn build() -> Result<Self, String> {
        let mut seen = HashSet::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut frames = Vec::new();
        let mut add = |pattern: String, frame: Frame| {
            // Mail clients write the typographic apostrophe as often as the ASCII one.
            let curly = pattern
                .contains('\'')
                .then(|| pattern.replace('\'', "\u{2019}"));
            for p in std::iter::once(pattern).chain(curly) {
                if seen.insert(p.clone()) {
                    patterns.push(p);
                    frames.push(frame);
                }
            }
        };
        for &(phrase, rule, need) in PHRASES {
            add(phrase.to_string(), Frame { rule, need });
        }
        for &(prefix, roles, need) in ROLE_PHRASES {
            for role in roles {
                add(format!("{prefix}{role}"), Frame { rule: ROLE, need });
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| format!("framing phrases do not compile: {e}"))?;
        Ok(Self { automaton, frames })
    }

    /// Framing phrases in the seller's own sentences of `doc`.
    fn detect(&self, doc: &Document<'_>, out: &mut Vec<Finding>) {
        let text = doc.text;
        // Only the seller's own sentences: a buyer's quoted "as CEO I need…" is not how the
        // seller framed the pitch.
        for sentence in doc.own() {
            let Some(slice) = text.get(sentence.range.clone()) else {
                continue;
            };
            for m in self.automaton.find_iter(slice) {
                let start = sentence.range.start + m.start();
                let end = sentence.range.start + m.end();
                let (Some(before), Some(phrase), Some(after)) = (
                    text.get(sentence.range.start..start),
                    text.get(start..end),
                    text.get(end..sentence.range.end),
                ) else {
                    continue;
                };
                let Some(frame) = self.frames.get(m.pattern().as_usize()) else {
                    continue;
                };
                if !is_whole_phrase(text, start, end) || !frame.need.holds(before, phrase, after) {
                    continue;
                }
                out.push(Finding {
                    category: Category::Executive,
                    subtopic: "framing".to_string(),
                    start,
                    end,
                    field: doc.field.to_string(),
                    evidence: phrase.to_string(),
                    confidence: FRAMING_CONFIDENCE,
                    rule: frame.rule.to_string(),
                });
            }
        }
    }
}

impl Need {
    /// Whether the condition holds for `phrase` between `before` and `after` in a sentence.
    fn holds(self, before: &str, phrase: &str, after: &str) -> bool {
        match self {
            Need::Nothing => true,
            Need::CapitalI => phrase.starts_with('I'),
            Need::SecondPerson => addresses_reader(before, after),
            Need::NotBefore(words) => next_words(after)
                .next()
                .is_none_or(|w| !words.contains(&w.to_lowercase().as_str())),
        }
    }
}

/// The words of `text`, with contractions cut at the apostrophe ("you'll" → "you").
fn next_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
        .map(|w| w.split(['\'', '\u{2019}']).next().unwrap_or(w))
        .filter(|w| !w.is_empty())
}

/// Whether a role phrase is said of the reader: "you as CEO", or "as CEO, you…" with the
/// reader named before the writer in the next few words.
fn addresses_reader(before: &str, after: &str) -> bool {
    if let Some(word) = next_words(before).last() {
        match person(word) {
            Some(Person::First) => return false,
            Some(Person::Second) => return true,
            None => {}
        }
    }
    for word in next_words(after).take(ADDRESS_WINDOW) {
        match person(word) {
            Some(Person::First) => return false,
            Some(Person::Second) => return true,
            None => {}
        }
    }
    false
}

/// Grammatical person of a pronoun or possessive.
enum Person {
    First,
    Second,
}

fn person(word: &str) -> Option<Person> {
    if GERMAN_FORMAL.contains(&word) {
        return Some(Person::Second);
    }
    let lower = word.to_lowercase();
    if FIRST_PERSON.contains(&lower.as_str()) {
        Some(Person::First)
    } else if SECOND_PERSON.contains(&lower.as_str()) {
        Some(Person::Second)
    } else {
        None
    }
}

/// Whether `start..end` is not part of a longer word ("leaderboard", "c-suites").
fn is_whole_phrase(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|t| t.chars().next_back());
    let after = text.get(end..).and_then(|t| t.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titled(title: &str) -> Vec<Finding> {
        let doc = Document::new("body", "Hi", None);
        let signals = Signals {
            recipient_title: Some(title),
            ..Signals::default()
        };
        let mut out = Vec::new();
        ExecutiveDetector::new()
            .detect(&doc, &signals, &mut out)
            .unwrap();
        out
    }

    fn with_role(role: &str) -> Vec<Finding> {
        let doc = Document::new("body", "Hi", None);
        let signals = Signals {
            recipient_crm_role: Some(role),
            ..Signals::default()
        };
        let mut out = Vec::new();
        ExecutiveDetector::new()
            .detect(&doc, &signals, &mut out)
            .unwrap();
        out
    }

    fn framed(text: &str) -> Vec<Finding> {
        let doc = Document::new("body", text, None);
        let mut out = Vec::new();
        ExecutiveDetector::new()
            .detect(&doc, &Signals::default(), &mut out)
            .unwrap();
        out
    }

    /// (title, is executive)
    const TITLES: &[(&str, bool)] = &[
        // C-suite
        ("CEO", true),
        ("ceo", true),
        ("Group CFO", true),
        ("Deputy CEO", true),
        ("CEO & Founder", true),
        ("Co-CEO", true),
        ("Interim CFO, Müller Logistik GmbH", true),
        ("CSO (Messe Kontakt)", true),
        ("CISO | Global Security", true),
        ("Chief Executive Officer", true),
        ("CHIEF FINANCIAL OFFICER", true),
        ("Chief Information Security Officer", true),
        ("Chief Revenue Officer at Northwind", true),
        ("Chief Executive", true),
        ("Chief Digital & Information Officer", true),
        ("Chief Operating Officer (COO)", true),
        ("C-Level Executive", true),
        ("Chief Buyer", false),
        ("Chief Engineer", false),
        ("Chief Editor", false),
        ("Chief Architect", false),
        ("Chief Accountant", false),
        ("Chief of Staff", false),
        ("Chief of Staff to the CEO", false),
        ("Chief Pilot", false),
        ("CEO Office Manager", false),
        ("Member, CIO Forum Europe", false),
        ("Ex-CEO, now Advisor", false),
        // Presidents and VPs
        ("President", true),
        ("President & CEO", true),
        ("Vice President Sales EMEA", true),
        ("Vice-President, Engineering", true),
        ("VP of Engineering", true),
        ("SVP Global Operations", true),
        ("EVP & General Manager", true),
        ("Senior Vice President - Procurement", true),
        ("Vizepräsident Vertrieb", true),
        ("Vice-Président Ventes", true),
        ("Vicepresidente Comercial", true),
        ("Président-Directeur Général", true),
        ("PDG", true),
        ("Presidente", true),
        ("Assistant Vice President", false),
        ("AVP, Treasury Operations", false),
        ("Associate Vice President Finance", false),
        ("Student Body President", false),
        ("Class President", false),
        ("Account Manager, President's Club 2023", false),
        ("President, Student Council", false),
        ("V.P. Sales", true),
        // Founders and owners
        ("Founder", true),
        ("Co-Founder & CTO", true),
        ("Cofounder", true),
        ("Gründerin", true),
        ("Mitgründer und Geschäftsführer", true),
        ("Fondatrice et Présidente", true),
        ("Cofondateur", true),
        ("Fundadora", true),
        ("Medeoprichter", true),
        ("Owner", true),
        ("Co-Owner", true),
        ("Owner | Bakery Schmidt", true),
        ("Inhaberin", true),
        ("Eigenaar", true),
        ("Directeur-eigenaar", true),
        ("Propriétaire", true),
        ("Dueña", true),
        ("Unternehmer", true),
        ("Entrepreneur", true),
        ("Product Owner", false),
        ("Senior Product Owner / Scrum Master", false),
        ("Process Owner Order-to-Cash", false),
        ("Service Owner", false),
        ("System Owner", false),
        ("Data Owner", false),
        ("Account Owner", false),
        ("Content Owner", false),
        ("Founding Engineer", false),
        ("Owner's Representative", false),
        ("Franchise Owner", true),
        ("NETWORKS IN REAL ESTATE / Owners Club", false),
        // Managing directors and general managers
        ("Managing Director", true),
        ("Managing Director, Accenture", true),
        ("Managing Partner", true),
        ("General Manager EMEA", true),
        ("Geschäftsführer", true),
        ("GESCHÄFTSFÜHRERIN", true),
        ("Geschaeftsfuehrer", true),
        ("Geschäftsführung / Business Development / Sales", true),
        ("Geschäftsführender Gesellschafter", true),
        ("Gesellschafter-Geschäftsführer", true),
        ("Geschäftsleitung", true),
        ("Directeur Général", true),
        ("Directrice Générale Adjointe", true),
        ("DG", true),
        ("Director General", true),
        ("Director Gerente", true),
        ("Consejero Delegado", true),
        ("Directora Ejecutiva", true),
        ("Gerente General", true),
        ("Algemeen Directeur", true),
        ("Bestuurder", true),
        ("Zaakvoerder", true),
        ("Amministratore Delegato", true),
        ("Executive Director", true),
        ("Co-Executive Director", true),
        ("Executive Sponsor", true),
        ("Executive Chairman", true),
        ("Executive Vice President", true),
        ("Assistant General Manager", false),
        ("Gerente de Ventas", false),
        ("Directeur Commercial", false),
        ("Director General Affairs", false),
        // Board level
        ("Chairman of the Board", true),
        ("Chair of the Board", true),
        ("Chairwoman", true),
        ("Board Member", true),
        ("Member of the Supervisory Board", true),
        ("Member of the Advisory Board", true),
        ("Board of Directors", true),
        ("Non-Executive Director", true),
        ("Vorstand", true),
        ("Vorstand Finanzen", true),
        ("Vorstandsvorsitzender", true),
        ("Stv. Vorstandsmitglied", true),
        ("Alleinvorstand", true),
        ("Vorsitzender des Aufsichtsrates", true),
        ("Vorsitzender des Präsidiums", true),
        ("Mitglied der Geschäftsleitung", true),
        ("Aufsichtsrat", true),
        ("Verwaltungsratspräsident", true),
        ("Président du conseil d'administration", true),
        ("Membre du Directoire", true),
        ("Presidente del Consejo", true),
        ("Miembro del Consejo de Administración", true),
        ("Styrelseordförande", true),
        ("Voorzitter Raad van Bestuur", true),
        ("Lid Raad van Bestuur", true),
        ("Raad van Bestuur", true),
        ("Board Trustee", true),
        ("Amministratore Delegato S.p.A.", true),
        ("Editorial Board Member", false),
        ("Board Room Coordinator", false),
        ("Director, Board Relations", false),
        ("Vorsitzender des Betriebsrats", false),
        ("Referent Vorstand", false),
        ("Leiter Vorstandsbüro", false),
        ("Keyboard Player", false),
        ("Member of Technical Staff", false),
        // Counsel and partners
        ("General Counsel", true),
        ("Group General Counsel & Company Director", true),
        ("Deputy General Counsel", false),
        ("Associate General Counsel", false),
        ("Assistant General Counsel", false),
        ("Partner", true),
        ("Partner, Attorney", true),
        ("Senior Partner", true),
        ("Equity Partner", true),
        ("Partner at McKinsey & Company", true),
        ("Partner bei Kanzlei Weber", true),
        ("Socio Director", true),
        ("Partner Manager", false),
        ("Channel Partner Manager DACH", false),
        ("Partner Account Manager", false),
        ("HR Business Partner", false),
        ("Business Partner HR", false),
        // Support roles and everyone else
        ("Account Executive", false),
        ("Senior Sales Executive", false),
        ("Executive Assistant to the CEO", false),
        ("Assistant to the CEO", false),
        ("Executive Secretary", false),
        ("Assistenz der Geschäftsführung", false),
        ("Vorstandssekretärin", false),
        ("Assistante de direction", false),
        ("PA to the Managing Director", false),
        ("Secretary", false),
        ("Office Manager", false),
        ("Executive Search Consultant", false),
        ("Head of Marketing", false),
        ("Head of Executive Office", false),
        ("Director of Sales", false),
        ("Director, Product", false),
        ("Leiterin Einkauf", false),
        ("Leitung IT", false),
        (
            "IT Manager Resopal GmbH / IT Infrastructure Leader EMEA",
            false,
        ),
        ("Senior Engineer", false),
        ("Manager", false),
        ("Intern", false),
        ("Student", false),
        ("Praktikant Geschäftsführung", false),
        ("Onboarding Specialist", false),
        ("Country Manager Iberia", false),
        ("Teamleider Inkoop", false),
        ("", false),
    ];

    #[test]
    fn titles_are_judged_like_a_human_would() {
        let wrong: Vec<String> = TITLES
            .iter()
            .filter(|(title, expected)| titled(title).is_empty() == *expected)
            .map(|(title, expected)| {
                let judged = if *expected { "missed" } else { "flagged" };
                format!("  {judged}: {title:?}")
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{} of {} titles judged wrongly:\n{}",
            wrong.len(),
            TITLES.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn title_finding_names_the_part_that_fired() {
        let found = titled("Group CFO at Acme");
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.category, Category::Executive);
        assert_eq!(f.subtopic, "title");
        assert_eq!(f.field, "recipient_title");
        assert_eq!((f.start, f.end), (0, 0));
        assert_eq!(f.evidence, "CFO");
        assert_eq!(f.rule, "executive.title.c_suite");

        assert_eq!(
            titled("Vice-Président Ventes")[0].evidence,
            "Vice-Président"
        );
        assert_eq!(
            titled("Mitglied der Geschäftsleitung")[0].evidence,
            "Mitglied der Geschäftsleitung"
        );
        assert_eq!(
            titled("Chief Information Security Officer")[0].rule,
            "executive.title.c_suite"
        );
        assert_eq!(
            titled("Managing Partner")[0].rule,
            "executive.title.managing"
        );
    }

    #[test]
    fn title_is_reported_only_with_the_body() {
        let signals = Signals {
            recipient_title: Some("CEO"),
            recipient_crm_role: Some("economic_buyer"),
            ..Signals::default()
        };
        let detector = ExecutiveDetector::new();
        for field in ["subject", "payload.changes.next_step"] {
            let doc = Document::new(field, "Quick question", None);
            let mut out = Vec::new();
            detector.detect(&doc, &signals, &mut out).unwrap();
            assert!(out.is_empty(), "{field}: {out:?}");
        }
        let doc = Document::new("body", "Quick question", None);
        let mut out = Vec::new();
        detector.detect(&doc, &signals, &mut out).unwrap();
        let subtopics: Vec<&str> = out.iter().map(|f| f.subtopic.as_str()).collect();
        assert_eq!(subtopics, ["title", "crm_role"]);
    }

    #[test]
    fn odd_titles_do_not_panic() {
        for title in [
            "",
            " ",
            "---",
            "/ | ,",
            "İSTANBUL CEO",
            "👔 CEO 👔",
            "a-",
            "-a",
            "'",
            "Co-",
            "&&&",
            "C-",
        ] {
            let _ = titled(title);
        }
        assert_eq!(titled("👔 CEO 👔")[0].evidence, "CEO");
        let long = "Manager / ".repeat(500) + "CEO";
        assert_eq!(titled(&long).len(), 1);
    }

    #[test]
    fn executive_crm_roles_fire_in_any_spelling() {
        for role in [
            "executive_sponsor",
            "Executive Sponsor",
            "EXECUTIVE-SPONSOR",
            "economic_buyer",
            "Economic Buyer",
            "exec sponsor",
            "C-Level",
            "c_level",
            "Executive",
            " executive  sponsor ",
        ] {
            let found = with_role(role);
            assert_eq!(found.len(), 1, "{role:?}");
            assert_eq!(found[0].subtopic, "crm_role");
            assert_eq!(found[0].field, "recipient_crm_role");
            assert_eq!((found[0].start, found[0].end), (0, 0));
            assert!(
                found[0].rule.starts_with("executive.crm_role."),
                "{}",
                found[0].rule
            );
        }
        assert_eq!(
            with_role("Economic-Buyer")[0].rule,
            "executive.crm_role.economic_buyer"
        );
    }

    #[test]
    fn other_crm_roles_do_not_fire() {
        for role in [
            "champion",
            "technical_buyer",
            "end_user",
            "influencer",
            "executive_assistant",
            "",
            "sponsor",
        ] {
            assert!(with_role(role).is_empty(), "{role:?}");
        }
    }

    #[test]
    fn framing_phrases_fire_in_five_languages() {
        let positives = [
            (
                "Here is a one-pager for your board meeting next week.",
                "your board",
            ),
            (
                "Happy to prepare material ahead of your board review.",
                "your board",
            ),
            (
                "As CEO, you'll want a clear view of the payback period.",
                "As CEO",
            ),
            ("As a CFO you know how fast costs compound.", "As a CFO"),
            (
                "Your leadership team will appreciate the summary.",
                "Your leadership team",
            ),
            ("This is built for the C-suite.", "C-suite"),
            (
                "Would you be open to a CEO-to-CEO conversation?",
                "CEO-to-CEO",
            ),
            (
                "We host an executive briefing in Munich on 12 May.",
                "executive briefing",
            ),
            (
                "It maps directly onto your strategic priorities for 2027.",
                "your strategic priorities",
            ),
            ("In your role as CFO this matters most.", "your role as CFO"),
            (
                "Gerne bereite ich eine Übersicht für Ihre Vorstandssitzung vor.",
                "Ihre Vorstandssitzung",
            ),
            (
                "Als Geschäftsführer wissen Sie, wie wichtig das ist.",
                "Als Geschäftsführer",
            ),
            (
                "Das passt zu Ihren strategischen Zielen.",
                "Ihren strategischen Zielen",
            ),
            (
                "Je peux préparer une note pour votre comité de direction.",
                "votre comité de direction",
            ),
            (
                "En tant que dirigeant, vous savez combien c'est important.",
                "En tant que dirigeant",
            ),
            (
                "Cela rejoint vos priorités stratégiques.",
                "vos priorités stratégiques",
            ),
            (
                "Puedo preparar un resumen para su consejo de administración.",
                "su consejo de administración",
            ),
            (
                "Como director general, usted sabe lo que cuesta.",
                "Como director general",
            ),
            (
                "Ik stuur een korte notitie voor uw raad van bestuur.",
                "uw raad van bestuur",
            ),
            ("Als eigenaar weet u hoe belangrijk dit is.", "Als eigenaar"),
            ("I know that you as CEO care about margins.", "as CEO"),
            ("Sie als Geschäftsführer kennen das.", "als Geschäftsführer"),
            ("Comme PDG, vous savez ce que cela coûte.", "Comme PDG"),
            (
                "Dit sluit aan bij jouw strategische prioriteiten.",
                "jouw strategische prioriteiten",
            ),
        ];
        for (text, phrase) in positives {
            let found = framed(text);
            assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            let f = &found[0];
            assert_eq!(f.subtopic, "framing");
            assert_eq!(f.field, "body");
            assert_eq!(&text[f.start..f.end], phrase, "{text:?}");
            assert_eq!(f.evidence, phrase);
            assert!((f.confidence - FRAMING_CONFIDENCE).abs() < f32::EPSILON);
        }
    }

    #[test]
    fn passing_mentions_and_other_people_are_not_framing() {
        let negatives = [
            "The board room on 3 is booked for our onboarding call.",
            "Our onboarding call is at 10.",
            "You are top of the leaderboard this month!",
            "Here are the keyboard shortcuts you asked for.",
            "The board approved the budget last week, so we can start.",
            "Dana joined as CEO last year.",
            "As CEO of Acme, I wanted to reach out personally.",
            "Als CEO hat sie das Projekt gestartet.",
            "Ich als CEO kann Ihnen sagen, dass es klappt.",
            "Merci pour votre conseil, très utile.",
            "Gracias por su consejo.",
            "As you know, our CEO visited last week.",
            "Das hat ihr Vorstand entschieden.",
            "Please share the deck with your team.",
            "Can we use your board room on Tuesday?",
            "Your board game night sounds fun.",
            "As a project manager, you will like the Gantt view.",
            "Our executive summary is attached.",
            "Thanks for the call, see you Tuesday.",
        ];
        for text in negatives {
            assert!(framed(text).is_empty(), "{text:?}: {:?}", framed(text));
        }
    }

    #[test]
    fn quoted_text_is_not_the_sellers_framing() {
        let text = "Thanks, noted.\n\n\
            On Mon, Nov 2, 2026 at 9:14 AM Dana <dana@acme.example> wrote:\n\
            > As CEO I need this for my board meeting.\n\
            > Your leadership team should see it too.\n";
        assert!(framed(text).is_empty(), "{:?}", framed(text));
    }

    #[test]
    fn framing_spans_point_into_the_field() {
        let text = "Subject line aside. For your board: a one-pager.";
        let doc = Document::new("subject", text, None);
        let mut out = Vec::new();
        ExecutiveDetector::new()
            .detect(&doc, &Signals::default(), &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].field, "subject");
        assert_eq!(&text[out[0].start..out[0].end], "your board");
    }

    #[test]
    fn framing_automaton_builds() {
        assert!(Framing::build().is_ok());
    }
}
