//! Whose contact details: whether a phone number or e-mail address in a letter is a third
//! person's personal contact (sensitive) or belongs to the conversation (DESIGN §2).
//!
//! A sales e-mail is full of contact details that are meant to be there: the sender's own
//! ("call me on my mobile", the sign-off), the recipient's, a colleague's work line in a
//! hand-off, role addresses (billing@). What must not travel is someone else's *personal*
//! contact: a reference's private mobile, a former employee's personal mailbox. The
//! detector cannot ask whose a number is, so it reads what a person reads:
//! - a personal cue next to it ("her personal mobile", "privé bellen", "son numéro
//!   personnel", "Privatnummer") and whom the possessive points at (my / your / her);
//! - a work cue closer to it than the personal one ("her work mobile", "Büro");
//! - an address at a free-mail provider (gmail, gmx, outlook…), private by nature;
//! - whether it sits in the sender's sign-off block (their own details);
//! - the sender's and the recipient's names when the gate knows them.
//!
//! Without a personal cue or a free-mail domain a contact is the conversation's: the
//! labelling rules count a colleague's work phone in a hand-off as routine, and holding
//! every signature would bury the real cases. This judgement needs a letter, though: a
//! bare fragment ("my number is …" in a CRM field) has no sender to own it, so the
//! detector reports everything it finds there, as it always did.

use super::super::{Document, Signals, ceil_boundary, floor_boundary};

/// Whether the document reads as a letter between known parties, so that contact details
/// in it can belong to someone: a greeting, a sign-off, a quoted thread, an e-mail subject
/// or correspondents the gate knows.
pub(super) fn is_letter(doc: &Document<'_>, signals: &Signals<'_>) -> bool {
    let known = signals.sender_email.is_some()
        || signals.sender_phone.is_some()
        || signals.sender_name.is_some()
        || signals.recipient_name.is_some()
        || !signals.recipients.is_empty();
    known
        || doc.field == "subject"
        || doc.signature_start < doc.text.len()
        || doc.has_quote()
        || greets(doc)
        || ends_with_sign_off(doc, signals)
}

/// Whether the contact at `start..end` is a third person's personal phone or address.
/// Call only for letters (see [`is_letter`]) and for the seller's own text.
pub(super) fn third_party_personal(
    doc: &Document<'_>,
    signals: &Signals<'_>,
    start: usize,
    end: usize,
    email: bool,
) -> bool {
    let text = doc.text;
    let range = doc
        .sentences
        .iter()
        .find(|s| s.range.contains(&start))
        .map_or_else(|| line_range(text, start), |s| s.range.clone());
    let free_mail = email && is_free_mail(text.get(start..end).unwrap_or(""));
    // Most contacts have no personal cue near them: settle those without reading words.
    let near = floor_boundary(text, start.saturating_sub(CUE_REACH).max(range.start))
        ..ceil_boundary(text, (end + CUE_REACH / 2).min(range.end.max(end)));
    if !free_mail && !may_hold_cue(text.get(near).unwrap_or("")) {
        return false;
    }
    let words = words(text, range.start, range.end.max(end));
    // Index of the first word after the contact: words before it came before it.
    let at = words.partition_point(|w| w.at < start);
    let after = words.partition_point(|w| w.at < end);
    let names = Names::new(signals);

    if email && names.owns_address(text.get(start..end).unwrap_or("")) {
        return false;
    }
    let cue = personal_cue(&words, (at, after), (start, end));
    let owner = match cue {
        Some(c) => {
            // "her personal mobile is X, her office line Y": the nearer work cue wins for Y.
            if c < at && words[c + 1..at].iter().any(|w| is_work_cue(&w.lower)) {
                return false;
            }
            possessor(&words, c, 3, &names)
        }
        // A private mailbox needs no cue, but "my gmail" is still the sender's own.
        None if free_mail => possessor(&words, at, 4, &names),
        // No personal cue: the sender's, the recipient's or a work contact.
        None => return false,
    };
    match owner
        .or_else(|| sentence_person(&words))
        .unwrap_or(Person::Unknown)
    {
        Person::First | Person::Second | Person::Conversation => false,
        Person::Third => true,
        // A cue nobody owns ("Private: …") is the sender's in their sign-off, else a
        // third person's: better to ask than to let it go.
        Person::Unknown => !in_sign_off(doc, signals, start),
    }
}

/// Who a personal cue or contact points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Person {
    /// The sender: "my", "mein", "mon", "mi", "mijn".
    First,
    /// The recipient: "your", "Ihr", "votre", "tu", "uw".
    Second,
    /// Someone else: "her", "sein", "son", "su", "haar".
    Third,
    /// The sender or the recipient by name: "Dana's mobile".
    Conversation,
    Unknown,
}

/// A word of a sentence with its byte offset and its lowercase form.
#[derive(Debug)]
struct Word<'t> {
    at: usize,
    text: &'t str,
    lower: String,
    /// Followed by `'s`: `Dana's mobile` is Dana's.
    possessive: bool,
}

/// The words of `text[from..to]`. Addresses and URLs are skipped whole, so the parts of
/// `private-equity.example` are not read as words.
fn words(text: &str, from: usize, to: usize) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let Some(slice) = text.get(from..to) else {
        return out;
    };
    let mut offset = from;
    for chunk in slice.split_inclusive(char::is_whitespace) {
        let chunk_at = offset;
        offset += chunk.len();
        if chunk.contains('@') || chunk.contains("://") || chunk.contains("www.") {
            // Keep a placeholder: the item still counts as a word between cues.
            out.push(Word {
                at: chunk_at,
                text: "",
                lower: String::new(),
                possessive: false,
            });
            continue;
        }
        let mut k = 0;
        let mut separator = ' ';
        for piece in chunk.split(|c: char| !(c.is_alphanumeric() || c == '-')) {
            let piece_at = chunk_at + k;
            let before = separator;
            k += piece.len();
            separator = chunk.get(k..).and_then(|t| t.chars().next()).unwrap_or(' ');
            k += next_len(chunk, k);
            let trimmed = piece.trim_matches('-');
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.eq_ignore_ascii_case("s")
                && matches!(before, '\'' | '’')
                && let Some(owner) = out.last_mut()
            {
                owner.possessive = true;
                continue;
            }
            let lead = piece.len() - piece.trim_start_matches('-').len();
            out.push(Word {
                at: piece_at + lead,
                text: trimmed,
                lower: trimmed.to_lowercase(),
                possessive: false,
            });
        }
    }
    out
}

/// Byte length of the char at `i` in `s` (0 at the end).
fn next_len(s: &str, i: usize) -> usize {
    s.get(i..)
        .and_then(|t| t.chars().next())
        .map_or(0, char::len_utf8)
}

fn line_range(text: &str, at: usize) -> std::ops::Range<usize> {
    let start = text
        .get(..at)
        .and_then(|h| h.rfind('\n'))
        .map_or(0, |k| k + 1);
    let end = text
        .get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |k| at + k);
    start..end
}

// ----- cues -----

/// Words that make a contact private by themselves, used as adverbs: "reach her
/// privately", "privat erreichen Sie sie", "je kunt haar privé bellen".
const PRIVATE_ADVERBS: &[&str] = &["privately", "privat", "privé"];

/// Adjectives that make the contact noun next to them private: "her personal mobile",
/// "son numéro personnel", "su móvil personal", "ihre private Nummer".
const PERSONAL_ADJECTIVES: &[&str] = &[
    "personal",
    "private",
    "privat",
    "privaten",
    "privater",
    "privates",
    "privé",
    "privée",
    "privado",
    "privada",
    "persönlich",
    "persönliche",
    "persönlichen",
    "persönlicher",
    "persönliches",
    "persoonlijk",
    "persoonlijke",
    "personnel",
    "personnelle",
    "perso",
    "particulier",
    "particulière",
    "particular",
];

/// "Her own mobile", "seine eigene Nummer", "son propre numéro": private only with a
/// possessive in front, which also says whose.
const OWN: &[&str] = &[
    "own", "eigen", "eigene", "eigenen", "eigener", "propre", "propio", "propia",
];

/// Words after "personal" that make it about something else: "personal data".
const NOT_CONTACT_AFTER: &[&str] = &[
    "data",
    "daten",
    "données",
    "datos",
    "gegevens",
    "information",
    "informationen",
    "informations",
    "información",
    "informatie",
];

/// Stems of contact nouns, in the five languages.
const CONTACT_STEMS: &[&str] = &[
    "mobile",
    "mobil",
    "mobiel",
    "cell",
    "phone",
    "telephone",
    "telefon",
    "teléfon",
    "telefoon",
    "handy",
    "portable",
    "móvil",
    "movil",
    "celular",
    "gsm",
    "whatsapp",
    "number",
    "nummer",
    "numéro",
    "número",
    "numero",
    "rufnummer",
    "anschluss",
    "line",
    "ligne",
    "línea",
    "email",
    "e-mail",
    "mail",
    "courriel",
    "correo",
    "address",
    "adresse",
    "adres",
    "dirección",
    "contact",
    "kontakt",
    "coordonn",
    "details",
    "inbox",
    "gmail",
];

/// Words that make a contact a work one: "work mobile", "office line", "Bürotelefon".
const WORK_WORDS: &[&str] = &[
    "work",
    "office",
    "business",
    "company",
    "corporate",
    "desk",
    "direct",
    "switchboard",
    "support",
    "hotline",
    "arbeit",
    "zentrale",
    "bureau",
    "professionnel",
    "professionnelle",
    "pro",
    "trabajo",
    "oficina",
    "empresa",
    "corporativo",
    "corporativa",
    "werk",
];

/// Stems of work compounds: `Diensthandy`, `Firmenhandy`, `geschäftlich`, `kantoornummer`.
const WORK_STEMS: &[&str] = &[
    "dienst",
    "büro",
    "geschäft",
    "firmen",
    "zakelijk",
    "kantoor",
    "bedrijf",
    "werknummer",
];

/// How far before a contact its personal cue may stand, in bytes (half that after it):
/// "She asked me to pass on her personal mobile so you can text her: +1 …".
const CUE_REACH: usize = 120;

/// Fragments every personal cue contains: a sentence with none of them has no cue and is
/// not worth splitting into words.
const CUE_FRAGMENTS: &[&str] = &["priv", "pers", "particul", "own", "eigen", "propr", "propi"];

fn may_hold_cue(sentence: &str) -> bool {
    // One folded copy and the standard library's substring search: comparing windows byte
    // by byte cost more than the whole scan of the message.
    let folded = sentence.to_ascii_lowercase();
    CUE_FRAGMENTS.iter().any(|f| folded.contains(f))
}

fn is_contact_noun(lower: &str) -> bool {
    lower == "no" || CONTACT_STEMS.iter().any(|s| lower.starts_with(s))
}

fn is_work_cue(lower: &str) -> bool {
    WORK_WORDS.contains(&lower) || WORK_STEMS.iter().any(|s| lower.starts_with(s))
}

/// Whether word `k` makes a nearby contact private, and so is a cue.
fn is_personal_cue(words: &[Word<'_>], k: usize) -> bool {
    let w = &words[k].lower;
    let noun_near = |before: usize, after: usize| {
        (k.saturating_sub(before)..k)
            .chain(k + 1..(k + 1 + after).min(words.len()))
            .any(|j| is_contact_noun(&words[j].lower))
    };
    // `Privatnummer`, `privénummer`, `Privathandy`: the noun is in the word.
    for stem in ["privat", "privé"] {
        if let Some(rest) = w.strip_prefix(stem)
            && rest.len() > 3
            && CONTACT_STEMS.iter().any(|s| rest.contains(s))
        {
            return true;
        }
    }
    if PRIVATE_ADVERBS.contains(&w.as_str()) {
        return true;
    }
    if PERSONAL_ADJECTIVES.contains(&w.as_str()) {
        let about_data = words
            .get(k + 1)
            .is_some_and(|n| NOT_CONTACT_AFTER.contains(&n.lower.as_str()));
        // "in particular" is not "teléfono particular".
        let idiom = k > 0 && matches!(words[k - 1].lower.as_str(), "in" | "en");
        return !about_data && !idiom && noun_near(2, 2);
    }
    // "her own mobile": the possessive right before, the noun right after.
    OWN.contains(&w.as_str()) && k > 0 && person(&words[k - 1], k - 1).is_some() && noun_near(0, 2)
}

/// The personal cue that applies to the contact at bytes `start..end`, between words `at`
/// and `after`: the nearest one before it in the sentence and within [`CUE_REACH`], else
/// the nearest one after it ("0176 … is her private number").
fn personal_cue(
    words: &[Word<'_>],
    (at, after): (usize, usize),
    (start, end): (usize, usize),
) -> Option<usize> {
    (0..at.min(words.len()))
        .rev()
        .take_while(|&k| words[k].at + CUE_REACH >= start)
        .find(|&k| is_personal_cue(words, k))
        .or_else(|| {
            (after..words.len())
                .take_while(|&k| words[k].at <= end.saturating_add(CUE_REACH / 2))
                .find(|&k| is_personal_cue(words, k))
        })
}

// ----- who -----

const FIRST: &[&str] = &[
    "i", "me", "my", "mine", "myself", "ich", "mich", "mir", "mein", "meine", "meinem", "meinen",
    "meiner", "meines", "moi", "mon", "ma", "mes", "yo", "mí", "mi", "mis", "conmigo", "ik", "mij",
    "mijn",
];

/// Possessives of the person spoken to ("you" alone is usually who calls, not whose).
const SECOND: &[&str] = &[
    "your", "yours", "dein", "deine", "deinem", "deinen", "deiner", "euer", "eure", "votre", "vos",
    "ton", "ta", "tes", "tu", "tus", "vuestro", "vuestra", "uw", "jouw",
];

const THIRD: &[&str] = &[
    "he", "she", "him", "her", "his", "hers", "they", "them", "their", "sein", "seine", "seinem",
    "seinen", "seiner", "seines", "ihn", "ihm", "il", "elle", "lui", "son", "sa", "ses", "leur",
    "leurs", "él", "ella", "su", "sus", "hij", "zij", "ze", "hem", "haar", "zijn", "hun",
];

/// German `Ihr`/`sie`: capitalised mid-sentence it is the polite "your"/"you", lowercase
/// it is "her"/"their"/"she".
const GERMAN_IHR: &[&str] = &["ihr", "ihre", "ihrem", "ihren", "ihrer", "ihres"];

/// The person word `w` (the `k`-th of its sentence) names, if it is a pronoun.
fn person(w: &Word<'_>, k: usize) -> Option<Person> {
    let lower = w.lower.as_str();
    let capital = w.text.starts_with(char::is_uppercase);
    if GERMAN_IHR.contains(&lower) || lower == "sie" {
        return match (capital, k) {
            (false, _) => Some(Person::Third),
            // Sentence-initial: can be either.
            (true, 0) => None,
            (true, _) if lower == "sie" => None,
            (true, _) => Some(Person::Second),
        };
    }
    if FIRST.contains(&lower) {
        Some(Person::First)
    } else if SECOND.contains(&lower) {
        Some(Person::Second)
    } else if THIRD.contains(&lower) {
        Some(Person::Third)
    } else {
        None
    }
}

/// Whose the thing at word `k` is, from the pronoun or name just before it.
fn possessor(words: &[Word<'_>], k: usize, reach: usize, names: &Names) -> Option<Person> {
    (k.saturating_sub(reach)..k.min(words.len()))
        .rev()
        .find_map(|j| {
            let w = &words[j];
            if names.is_party(&w.lower) {
                Some(Person::Conversation)
            } else if w.possessive {
                // `Lee's private number`: someone named, not the sender or the recipient.
                Some(Person::Third)
            } else {
                person(w, j)
            }
        })
}

/// Who the sentence is about when no word points at the contact: anyone else named by a
/// pronoun wins ("he gave me …"), then the sender ("reach me privately").
fn sentence_person(words: &[Word<'_>]) -> Option<Person> {
    let mut first = false;
    for (k, w) in words.iter().enumerate() {
        match person(w, k) {
            Some(Person::Third) => return Some(Person::Third),
            Some(Person::First) => first = true,
            _ => {}
        }
    }
    first.then_some(Person::First)
}

/// The sender's and the recipient's names as lowercase words of three letters or more.
struct Names {
    words: Vec<String>,
}

impl Names {
    fn new(signals: &Signals<'_>) -> Self {
        let words = [signals.sender_name, signals.recipient_name]
            .into_iter()
            .flatten()
            .flat_map(|n| n.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect();
        Self { words }
    }

    fn is_party(&self, lower: &str) -> bool {
        self.words.iter().any(|n| n == lower)
    }

    /// `sam.seller@…`, `dana@…`: an address made of the sender's or recipient's name.
    fn owns_address(&self, address: &str) -> bool {
        let local = address.split('@').next().unwrap_or("").to_lowercase();
        self.words.iter().any(|n| local.contains(n.as_str()))
    }
}

// ----- free mail -----

/// Free-mail providers, by the first label of the domain: an address there is a person's
/// own mailbox, not a company's.
const FREE_MAIL: &[&str] = &[
    "gmail",
    "googlemail",
    "hotmail",
    "outlook",
    "yahoo",
    "ymail",
    "aol",
    "icloud",
    "gmx",
    "protonmail",
    "proton",
    "posteo",
    "tutanota",
    "tuta",
    "fastmail",
    "yandex",
    "t-online",
    "freenet",
    "wanadoo",
    "laposte",
    "ziggo",
    "kpnmail",
    "hetnet",
    "xs4all",
    "btinternet",
    "comcast",
];

/// Free-mail domains whose first label is too common a word to list alone.
const FREE_MAIL_DOMAINS: &[&str] = &[
    "web.de",
    "me.com",
    "mac.com",
    "live.com",
    "msn.com",
    "mail.com",
    "free.fr",
    "orange.fr",
    "sfr.fr",
    "pm.me",
    "aon.at",
    "bluewin.ch",
    "skynet.be",
    "telenet.be",
    "home.nl",
    "planet.nl",
    "telefonica.net",
    "terra.es",
    "libero.it",
];

fn is_free_mail(address: &str) -> bool {
    let Some((_, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let first = domain.split('.').next().unwrap_or("");
    FREE_MAIL.iter().any(|p| first.eq_ignore_ascii_case(p))
        || FREE_MAIL_DOMAINS
            .iter()
            .any(|d| domain.eq_ignore_ascii_case(d))
}

// ----- greeting and sign-off -----

/// Openings of a letter, lowercase, in the five languages.
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
    "morning",
    "afternoon",
    "greetings",
    "hallo",
    "liebe",
    "lieber",
    "sehr geehrte",
    "guten tag",
    "guten morgen",
    "moin",
    "servus",
    "grüß",
    "grüezi",
    "hoi",
    "bonjour",
    "bonsoir",
    "salut",
    "cher",
    "chère",
    "madame",
    "monsieur",
    "hola",
    "buenos",
    "buenas",
    "estimado",
    "estimada",
    "estimados",
    "estimadas",
    "querido",
    "querida",
    "beste",
    "geachte",
    "dag",
    "goedemorgen",
    "goedemiddag",
];

/// Whether the seller's text opens with a greeting.
fn greets(doc: &Document<'_>) -> bool {
    doc.own().next().is_some_and(|first| {
        let sentence = doc.text.get(first.range.clone()).unwrap_or("");
        greets_line(sentence.lines().next().unwrap_or("").trim())
    })
}

/// Lines of `text` with their byte ranges.
fn lines(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        out.push(start..start + piece.trim_end_matches(['\n', '\r']).len());
        start += piece.len();
    }
    out
}

/// Whether a line can belong to a sign-off block: short, not a question or a sentence,
/// and about nobody else.
fn signature_like(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    // Words, not the `|` between a title and a company or the groups of a phone number.
    let n = words
        .iter()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    if words.is_empty() || n > 10 || line.chars().count() > 100 || line.ends_with('?') {
        return false;
    }
    // A long line ending in a full stop is a sentence, unless the stop ends a company
    // suffix: `Fakturgo, S.L.`, `Vendor Inc.`.
    if line.ends_with('.') && n > 4 {
        let last = words.last().map_or("", |w| w.trim_end_matches('.'));
        let abbreviation = last.chars().count() <= 6
            && (last.contains('.') || last.starts_with(char::is_uppercase));
        if !abbreviation {
            return false;
        }
    }
    // Unambiguous pronouns only: `SA` and `Son` end company names.
    !words.iter().any(|w| {
        let w = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        matches!(
            w.as_str(),
            "he" | "she"
                | "her"
                | "his"
                | "him"
                | "their"
                | "sein"
                | "seine"
                | "il"
                | "elle"
                | "él"
                | "ella"
                | "hij"
                | "zij"
                | "haar"
        )
    })
}

/// Particles inside names: `Marieke van Wijk`, `Ana de la Cruz`.
const NAME_PARTICLES: &[&str] = &[
    "van", "de", "der", "den", "von", "la", "le", "da", "di", "del", "du", "y", "ten", "ter", "zu",
];

/// A line that is a name (1–4 capitalised words), or starts with one before `|` or `,`:
/// `Sam`, `Marieke van Wijk`, `Jamie Lau | Account Executive`.
fn name_like(line: &str, signals: &Signals<'_>) -> bool {
    if let Some(name) = signals.sender_name
        && !name.trim().is_empty()
        && line.to_lowercase().contains(&name.trim().to_lowercase())
    {
        return true;
    }
    let head = line.split(['|', ',', '–', '—']).next().unwrap_or("").trim();
    let words: Vec<&str> = head.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 4
        && words.iter().all(|w| {
            NAME_PARTICLES.contains(w)
                || (w.starts_with(char::is_uppercase)
                    && w.chars()
                        .all(|c| c.is_alphabetic() || matches!(c, '-' | '.' | '\'')))
        })
}

/// A short closing line: `Best,`, `See you on the 9th,`, `Your call!`, `--`.
fn closing_like(line: &str) -> bool {
    let n = line.split_whitespace().count();
    line == "--" || line == "—" || (n <= 6 && (line.ends_with(',') || line.ends_with('!')))
}

/// Whether the own text ends with a sign-off block (a name under a closing).
fn ends_with_sign_off(doc: &Document<'_>, signals: &Signals<'_>) -> bool {
    let text = doc.text;
    let last = lines(text).into_iter().rev().find(|r| {
        let line = text.get(r.clone()).unwrap_or("").trim();
        !line.is_empty() && !doc.is_quoted(r.start + leading_space(text, r.start))
    });
    last.is_some_and(|r| in_sign_off(doc, signals, r.start + leading_space(text, r.start)))
}

fn leading_space(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    rest.len() - rest.trim_start_matches([' ', '\t']).len()
}

/// Whether `offset` lies in the sender's sign-off: a paragraph of short lines holding a
/// name or a closing, followed by nothing but short lines to the end of the seller's text
/// (or to the quoted thread). The document's own signature test knows the usual closings;
/// this one also catches "See you on the 9th,\nBastian\n+49 …" and a bare name over a
/// phone number.
pub(super) fn in_sign_off(doc: &Document<'_>, signals: &Signals<'_>, offset: usize) -> bool {
    if doc.in_signature(offset) {
        return true;
    }
    let text = doc.text;
    let all = lines(text);
    let Some(k) = all
        .iter()
        .position(|r| r.start <= offset && offset <= r.end)
    else {
        return false;
    };
    let quoted = |r: &std::ops::Range<usize>| doc.is_quoted(r.start + leading_space(text, r.start));
    let line = |r: &std::ops::Range<usize>| text.get(r.clone()).unwrap_or("").trim();
    let mut content = 0;
    let mut signed = false;
    // Down to the end of the seller's run of text: every line must fit a sign-off.
    for r in &all[k..] {
        if quoted(r) {
            break;
        }
        let l = line(r);
        if l.is_empty() {
            continue;
        }
        if !signature_like(l) {
            return false;
        }
        content += 1;
        signed |= name_like(l, signals) || closing_like(l);
    }
    // Up to the top of its paragraph; a greeting means this is the body itself.
    let first_own = all
        .iter()
        .find(|r| !quoted(r) && !line(r).is_empty())
        .map(|r| r.start);
    for r in all[..k].iter().rev() {
        let l = line(r);
        if quoted(r) || l.is_empty() || !signature_like(l) {
            break;
        }
        if Some(r.start) == first_own && greets_line(l) {
            return false;
        }
        content += 1;
        signed |= name_like(l, signals) || closing_like(l);
    }
    signed && content <= 10
}

fn greets_line(line: &str) -> bool {
    let line = line.to_lowercase();
    GREETINGS.iter().any(|g| {
        line.strip_prefix(g)
            .is_some_and(|rest| !rest.starts_with(char::is_alphabetic))
    })
}

#[cfg(test)]
mod tests {
    use super::super::SensitiveDetector;
    use crate::detect::{Detector, Document, Signals};

    /// `(subtopic, covered text)` of every finding, with the conversation `signals`.
    fn found_with(text: &str, signals: &Signals<'_>) -> Vec<(String, String)> {
        let doc = Document::new("body", text, None);
        let mut out = Vec::new();
        SensitiveDetector::new()
            .detect(&doc, signals, &mut out)
            .expect("detect never fails once built");
        out.into_iter()
            .map(|f| (f.subtopic, text[f.start..f.end].to_owned()))
            .collect()
    }

    fn found(text: &str) -> Vec<(String, String)> {
        found_with(text, &Signals::default())
    }

    #[track_caller]
    fn assert_reported(text: &str, item: &str) {
        let all = found(text);
        assert!(
            all.iter().any(|(_, t)| t == item),
            "expected `{item}` in {text:?}, got {all:?}"
        );
    }

    #[track_caller]
    fn assert_clean(text: &str) {
        let all = found(text);
        assert!(all.is_empty(), "expected nothing in {text:?}, got {all:?}");
    }

    #[test]
    fn senders_own_mobile_in_body_is_not_sensitive() {
        for text in [
            "Hi Priya,\n\nI'm on the road all day, so call me on my mobile: +44 7700 900456.\n\nMaya",
            "Hallo Herr Roth,\n\nheute erreichen Sie mich am besten auf meinem Handy unter 0171 5550 123.\n\nViele Grüße\nJonas Weber",
            "Bonjour Claire,\n\nVous pouvez me joindre sur mon portable perso : 06 12 34 56 78.\n\nBien à vous,\nLéa Martin",
            "Hola Pablo:\n\nSi te surge algo, llámame a mi móvil personal, +34 612 345 678.\n\nUn saludo,\nNuria",
            "Hoi Sanne,\n\nJe kunt me vandaag privé bereiken op 06 12 34 56 78.\n\nGroet,\nDaan",
        ] {
            assert_clean(text);
        }
    }

    #[test]
    fn senders_sign_off_after_an_unusual_closing_is_not_sensitive() {
        assert_clean(
            "Hi Tom,\n\nThe revised agenda is attached; we moved the demo to the morning.\n\n\
             Catch you Thursday,\nMaya\nMaya Ortiz | Freelance consultant\nprivate mobile: +44 7700 900123\n\
             maya.ortiz.consulting@gmail.com",
        );
        assert_clean(
            "Buenos días Marta:\n\nAdjunto el acta de la reunión del martes.\n\nQuedo atenta,\nNuria Gil\n\
             Consultora independiente, S.L.\nnuria.gil.consultora@gmail.com",
        );
    }

    #[test]
    fn reference_private_mobile_is_sensitive() {
        for (text, phone) in [
            (
                "Hi Tom,\n\nDana, who ran the rollout at her last company, is happy to talk. \
                 She asked me to pass on her private mobile: +44 7700 900987.\n\nBest,\nMaya",
                "+44 7700 900987",
            ),
            (
                "Hallo Herr Roth,\n\nFrau Lindner hat die Einführung damals geleitet. \
                 Privat erreichen Sie sie unter 0171 5550 987.\n\nViele Grüße\nJonas Weber",
                "0171 5550 987",
            ),
            (
                "Bonjour Claire,\n\nM. Petit a quitté l'entreprise, mais il accepte d'en parler : \
                 voici son numéro personnel, 06 98 76 54 32.\n\nBien à vous,\nLéa",
                "06 98 76 54 32",
            ),
            (
                "Hola Pablo:\n\nLucía ya no trabaja allí, pero puedes llamarla a su móvil particular, \
                 +34 698 765 432.\n\nUn saludo,\nNuria",
                "+34 698 765 432",
            ),
            (
                "Hoi Sanne,\n\nPiet werkt daar niet meer; je kunt hem het beste privé bellen op \
                 06 98 76 54 32.\n\nGroet,\nDaan",
                "06 98 76 54 32",
            ),
        ] {
            assert_reported(text, phone);
        }
    }

    #[test]
    fn third_persons_own_mobile_is_sensitive() {
        assert_reported(
            "Hi Tom,\n\nThe trainer is a freelancer with no company phone. Her own mobile is \
             07700 900321 if she gets lost on site.\n\nMaya",
            "07700 900321",
        );
    }

    #[test]
    fn former_employees_personal_email_is_sensitive() {
        assert_reported(
            "Hi Tom,\n\nThat was Arun, who left in spring. His personal address is \
             arun.k.1984@mailbox-home.example, and he's glad to help.\n\nBest,\nMaya",
            "arun.k.1984@mailbox-home.example",
        );
    }

    #[test]
    fn third_party_address_at_a_free_mail_provider_is_sensitive() {
        assert_reported(
            "Hi Tom,\n\nThe auditor prefers to be reached at jane.auditor77@gmail.com.\n\nBest,\nMaya",
            "jane.auditor77@gmail.com",
        );
    }

    #[test]
    fn senders_own_free_mail_address_is_not_sensitive() {
        assert_clean(
            "Hi Tom,\n\nOur mail server is down today, so you can reach me at maya.ortiz.work@gmail.com.\n\nMaya",
        );
        assert_clean("Hi Tom,\n\nSee you there.\n\nBest,\nMaya Ortiz\nmaya.o@outlook.com");
    }

    #[test]
    fn recipients_own_private_address_is_not_sensitive() {
        assert_clean(
            "Hi Tom,\n\nI've sent the invite to your personal address, tom.b@gmail.com, as you asked.\n\nMaya",
        );
    }

    #[test]
    fn colleagues_work_contact_in_a_hand_off_is_not_sensitive() {
        for text in [
            "Hi Tom,\n\nLet me introduce Kofi, your new account manager. You can reach him at \
             kofi.mensah@vendorly.example or on +44 20 7946 0555.\n\nBest,\nMaya",
            "Hallo Herr Roth,\n\nab Montag betreut Sie meine Kollegin Frau Albers, erreichbar unter \
             a.albers@vendorly.example oder 040 5550 1234.\n\nViele Grüße\nJonas Weber",
            "Bonjour Claire,\n\nJe vous présente Hugo, notre chef de projet : hugo.roux@vendorly.example, \
             01 45 67 89 10.\n\nBien à vous,\nLéa",
            "Hola Pablo:\n\nTe presento a Marta, que llevará la implantación: marta.ruiz@vendorly.example, \
             +34 912 345 600.\n\nUn saludo,\nNuria",
            "Hoi Sanne,\n\nMijn collega Bram neemt het over: bram@vendorly.example, 020 555 1234.\n\nGroet,\nDaan",
            "Hi Tom,\n\nKofi's details: kofi@partner.example, work mobile +44 7700 900222.\n\nMaya",
        ] {
            assert_clean(text);
        }
    }

    #[test]
    fn a_work_cue_nearer_than_the_personal_cue_makes_it_a_work_contact() {
        let all = found(
            "Hi Tom,\n\nHer personal mobile is off at weekends, but her office line is 020 7946 0777.\n\nMaya",
        );
        assert!(all.is_empty(), "{all:?}");
    }

    #[test]
    fn generic_role_addresses_are_not_sensitive() {
        assert_clean(
            "Hi Tom,\n\nPlease send invoices to invoices@vendorly.example, questions to \
             support@vendorly.example or billing@vendorly.example; replies to noreply@vendorly.example \
             are not read.\n\nBest,\nMaya",
        );
    }

    #[test]
    fn buyers_signature_in_quoted_text_is_not_reported() {
        assert_clean(
            "Thanks Dana, that works.\n\nMaya\n\nOn Mon, 2 Mar 2026, Dana Buyer <dana@acme.example> wrote:\n\
             > Can we move the call?\n> Dana Buyer | Head of IT | Acme\n> +1 415 555 0188 | dana.private@gmail.com\n",
        );
    }

    #[test]
    fn personal_data_wording_is_not_a_personal_contact() {
        assert_clean(
            "Hi Tom,\n\nFor personal data requests, write to our privacy team at privacy@vendorly.example.\n\nMaya",
        );
    }

    #[test]
    fn contacts_in_a_fragment_that_is_not_a_letter_are_still_reported() {
        // No greeting, sign-off or correspondents: nobody to own the number.
        assert_reported("My number is +49 30 1234567", "+49 30 1234567");
        assert_reported("ops@partner.example", "ops@partner.example");
    }

    #[test]
    fn the_recipient_named_by_the_gate_owns_their_contact() {
        let text = "Hi,\n\nAs agreed, I'll text Dana's private mobile, 07700 900654, when we land.\n\nMaya";
        assert_eq!(found(text).len(), 1);
        let signals = Signals {
            recipient_name: Some("Dana Buyer"),
            ..Signals::default()
        };
        assert!(found_with(text, &signals).is_empty());
    }

    #[test]
    fn a_sign_off_under_the_senders_name_is_theirs() {
        let text = "Hi Tom,\n\nAll set for Tuesday.\n\nMAYA ORTIZ · VENDORLY\nprivate mobile: 07700 900111";
        assert_eq!(found(text).len(), 1);
        let signals = Signals {
            sender_name: Some("Maya Ortiz"),
            ..Signals::default()
        };
        assert!(found_with(text, &signals).is_empty());
    }
}
