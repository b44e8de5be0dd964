//! National identity numbers: social-security, tax and identity-card numbers of people
//! (DESIGN §2, "sensitive"), in the languages the product reads.
//!
//! Two ways in. A number right after a national-id label ("BSN:", "his DNI is",
//! "numéro de sécurité sociale :") is reported whatever its format: ids are written with
//! odd groupings and typos, and the label says what they are. Without a label only the
//! formats with a check character or a rigid structure are reported (Spanish DNI/NIE, UK
//! National Insurance, French NIR, Belgian national register, Mexican CURP): a bare 9- or
//! 11-digit number is far more often an order or account reference.
//!
//! Company identifiers (VAT, USt-IdNr, KvK, SIRET, CIF) are not personal data and are not
//! labels here; US SSNs keep their own scanner (`us_ssn`), which runs first.

use super::{floor_boundary, is_word, next_char, prev_char};

/// A national id found in the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NationalId {
    pub start: usize,
    pub end: usize,
    pub rule: &'static str,
    pub confidence: f32,
}

/// Whether the digit run at `i` can start an id at all: six digits, or more groups or
/// letters after it. Most numbers are short and end in a space or a word (`150 seats`,
/// `2026 list`); the scanner asks this, inlined, before calling [`at`].
#[inline]
pub(super) fn worth_a_look(b: &[u8], i: usize) -> bool {
    let run_end = run(b, i, |c| c.is_ascii_digit());
    run_end - i >= 6
        || match (b.get(run_end), b.get(run_end + 1)) {
            (Some(b' ' | b'.' | b'-' | b'/'), Some(c)) => {
                c.is_ascii_digit() || c.is_ascii_uppercase()
            }
            (Some(c), _) => c.is_ascii_uppercase(),
            _ => false,
        }
}

/// The national id whose digits start at `i`, if there is one.
pub(super) fn at(text: &str, b: &[u8], i: usize) -> Option<NationalId> {
    let (start, end, digits) = value_span(text, b, i)?;
    // Cheap exit for the dates, prices and short references most numbers are. Identity
    // card and passport numbers mix letters in (`L01X00T47`): with a label, fewer digits do.
    let mixed = digits >= 3 && end - start >= 8 && digits < end - start;
    if digits > 20 || (digits < 6 && !mixed) {
        return None;
    }
    let start = nino_prefix(b, start).unwrap_or(start);
    let value = b.get(start..end)?;
    // No id has the shape of a date, whatever its label says.
    if date_shaped(value) {
        return None;
    }
    let found = |rule, confidence| {
        Some(NationalId {
            start,
            end,
            rule,
            confidence,
        })
    };
    match label_before(text, start) {
        Some(Label::Strict) if !dni(value) => {}
        Some(_) => return found("sensitive.national_id.keyword", 0.85),
        _ if digits < 6 => return None,
        _ => {}
    }
    if dni(value) {
        found("sensitive.national_id.dni", 0.8)
    } else if nino(value) {
        found("sensitive.national_id.nino", 0.8)
    } else if nir(value) {
        found("sensitive.national_id.nir", 0.8)
    } else if belgian_register(value) {
        found("sensitive.national_id.be_register", 0.8)
    } else if curp(value) {
        found("sensitive.national_id.curp", 0.8)
    } else {
        None
    }
}

/// The extent of an id-like value around the digit run at `i`: uppercase letters glued
/// in front (`X1234567L`, `GARM850314…`), then groups of digits and capitals joined by
/// single spaces, dots, dashes or slashes. Returns the span and its digit count.
fn value_span(text: &str, b: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    let mut start = i;
    while start > 0 && i - start < 4 && b.get(start - 1).is_some_and(u8::is_ascii_uppercase) {
        start -= 1;
    }
    if prev_char(text, start).is_some_and(is_word) {
        return None;
    }
    let mut j = i;
    let mut end = i;
    let mut digits = 0;
    loop {
        let group_end = run(b, j, |c| c.is_ascii_digit() || c.is_ascii_uppercase());
        if group_end == j {
            break;
        }
        digits += b
            .get(j..group_end)?
            .iter()
            .filter(|c| c.is_ascii_digit())
            .count();
        end = group_end;
        if end - start > 28 {
            return None;
        }
        match (b.get(end), b.get(end + 1), b.get(end + 2)) {
            (Some(b' ' | b'.' | b'-' | b'/'), Some(d), _) if d.is_ascii_digit() => j = end + 1,
            // One trailing capital: the suffix of `AB 12 34 56 C` or `12345678-Z`.
            (Some(b' ' | b'-'), Some(u), next)
                if u.is_ascii_uppercase() && !next.is_some_and(u8::is_ascii_alphanumeric) =>
            {
                j = end + 1;
            }
            _ => break,
        }
    }
    if next_char(text, end).is_some_and(is_word) {
        return None;
    }
    Some((start, end, digits))
}

fn run(b: &[u8], from: usize, allowed: impl Fn(u8) -> bool) -> usize {
    let mut j = from;
    while j < b.len() && allowed(b[j]) {
        j += 1;
    }
    j
}

/// `AB ` before the digits of a National Insurance number written in groups.
fn nino_prefix(b: &[u8], start: usize) -> Option<usize> {
    let s = start.checked_sub(3)?;
    let head = b.get(s..start)?;
    let standalone = s == 0 || !b.get(s - 1).is_some_and(u8::is_ascii_alphanumeric);
    (standalone && head[0].is_ascii_uppercase() && head[1].is_ascii_uppercase() && head[2] == b' ')
        .then_some(s)
}

/// `14.03.1983`, `1983-03-14`, `14/03/83`: a date, whatever its label says.
fn date_shaped(value: &[u8]) -> bool {
    let mut lens = [0usize; 3];
    for (k, group) in value
        .split(|c| matches!(c, b'.' | b'-' | b'/' | b' '))
        .enumerate()
    {
        if k >= 3 || !group.iter().all(u8::is_ascii_digit) {
            return false;
        }
        lens[k] = group.len();
    }
    matches!(lens, [1 | 2, 1 | 2, 2 | 4] | [4, 2, 2])
}

// ----- labels -----

/// How much a label proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// A personal id label: any value after it is one.
    Personal,
    /// A label shared with companies (`NIF`): only a personal-format value counts.
    Strict,
}

/// Labels of personal ids, lowercase, matched without regard to case.
const LABELS: &[&str] = &[
    // en
    "national insurance number",
    "national insurance no",
    "national insurance",
    "social insurance number",
    "social security number",
    "social security no",
    "national id number",
    "national identity number",
    "national id",
    "identity card number",
    "id card number",
    "passport number",
    "passport no",
    "passport",
    "driving licence number",
    "driver's license number",
    "driver license number",
    "tax file number",
    "personal public service number",
    // de
    "sozialversicherungsnummer",
    "sozialversicherungs-nr",
    "versicherungsnummer",
    "sv-nummer",
    "sv-nr",
    "steuer-id",
    "steuer-idnr",
    "steueridentifikationsnummer",
    "steuer-identifikationsnummer",
    "identifikationsnummer",
    "personalausweisnummer",
    "personalausweis",
    "ausweisnummer",
    "reisepassnummer",
    "reisepass",
    "passnummer",
    "ahv-nummer",
    "ahv-nr",
    // fr
    "numéro de sécurité sociale",
    "sécurité sociale",
    "numéro de registre national",
    "registre national",
    "numéro national",
    "numéro d'identification national",
    "numéro de passeport",
    "passeport",
    "carte d'identité",
    "numéro fiscal de référence",
    "numéro d'assurance sociale",
    // es
    "número de la seguridad social",
    "número de seguridad social",
    "seguridad social",
    "número de afiliación",
    "documento nacional de identidad",
    "documento de identidad",
    "número de identidad",
    "cédula de identidad",
    "cédula",
    "número de pasaporte",
    "pasaporte",
    // nl
    "burgerservicenummer",
    "bsn-nummer",
    "sofinummer",
    "sofi-nummer",
    "rijksregisternummer",
    "paspoortnummer",
    "paspoort",
    "identiteitskaartnummer",
    "identiteitsnummer",
    // it
    "codice fiscale",
];

/// Acronyms, matched as written: in lowercase several are ordinary words (`sin`, `nie`).
const ACRONYMS: &[&str] = &[
    "NINO",
    "NI number",
    "NI No",
    "NI no",
    "SIN",
    "NAS",
    "NIR",
    "NISS",
    "INSZ",
    "DNI",
    "NIE",
    "NUSS",
    "NSS",
    "CURP",
    "CUIL",
    "BSN",
    "AHV",
    "PESEL",
    "PPSN",
    "PPS",
    "TFN",
    "SVNR",
    "SV",
];

/// Labels that companies carry too; see [`Label::Strict`].
const STRICT_ACRONYMS: &[&str] = &["NIF"];

/// Words between a label and its value: `DNI: …`, `his DNI is …`, `n° …`, `est le …`.
const JOINERS: &[&str] = &[
    "is", "ist", "lautet", "est", "es", "le", "el", "la", "nr", "no", "n", "nº", "n°",
];

/// The national-id label before `start` on its line, if any: right before the value
/// (`BSN: …`, `his DNI is …`) or a few words earlier in the same clause (`BSN van de
/// medewerker: …`, `die Ausweisnummer unseres Technikers: …`).
fn label_before(text: &str, start: usize) -> Option<Label> {
    let window = floor_boundary(text, start.saturating_sub(64));
    let mut tail = text.get(window..start)?;
    if let Some(newline) = tail.rfind('\n') {
        tail = tail.get(newline + 1..)?;
    }
    let mut head = strip_joiners(tail);
    // The label itself, then up to three words between it and the value.
    for _ in 0..4 {
        let word = last_word(head);
        if word.is_empty() {
            return None;
        }
        if LAST_WORDS.contains(word.to_lowercase().as_str())
            && let Some(label) = label_at_end(head)
        {
            return Some(label);
        }
        // A filler may be any word but a number or a reference's label (`order`,
        // `ticket`): "Passport photos, order 12345678" names no passport number.
        if !word.chars().all(char::is_alphabetic) || super::labels::is_reference_word(word) {
            return None;
        }
        let rest = head.get(..head.len() - word.len())?.trim_end_matches(' ');
        if rest.ends_with([',', ';', '.', '!', '?', ':']) {
            return None;
        }
        head = rest;
    }
    None
}

/// `tail` without the separators and copulas between a label and its value.
fn strip_joiners(mut tail: &str) -> &str {
    loop {
        let trimmed = tail.trim_end_matches(|c: char| {
            c.is_whitespace()
                || matches!(c, ':' | '=' | '#' | '.' | '-' | '(' | ')' | '/' | 'º' | '°')
        });
        let trimmed = JOINERS
            .iter()
            .find_map(|j| {
                let cut = trimmed.len().checked_sub(j.len())?;
                let word = trimmed.get(cut..)?;
                let bounded = !prev_char(trimmed, cut).is_some_and(is_word);
                (bounded && word.eq_ignore_ascii_case(j)).then(|| trimmed.get(..cut))?
            })
            .unwrap_or(trimmed);
        if trimmed.len() == tail.len() {
            return tail;
        }
        tail = trimmed;
    }
}

/// The last word of `s`: letters, digits, `-` and `'` (`SV-Nummer`, `driver's`).
fn last_word(s: &str) -> &str {
    let cut = s
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || c == '-' || c == '\'')
        .last()
        .map_or(s.len(), |(k, _)| k);
    s.get(cut..).unwrap_or("")
}

/// The last words of every label, lowercase: a cheap test before the full comparison,
/// which most numbers (after `Tel`, `at`, `pilot on`) never need.
static LAST_WORDS: std::sync::LazyLock<std::collections::HashSet<String>> =
    std::sync::LazyLock::new(|| {
        LABELS
            .iter()
            .chain(ACRONYMS)
            .chain(STRICT_ACRONYMS)
            .filter_map(|l| l.rsplit(' ').next())
            .map(str::to_lowercase)
            .collect()
    });

/// The label `head` ends with, as a whole word.
fn label_at_end(head: &str) -> Option<Label> {
    let ends_with = |tail: &str, label: &str| {
        tail.len()
            .checked_sub(label.len())
            .is_some_and(|cut| tail.ends_with(label) && !prev_char(tail, cut).is_some_and(is_word))
    };
    if STRICT_ACRONYMS.iter().any(|l| ends_with(head, l)) {
        return Some(Label::Strict);
    }
    if ACRONYMS.iter().any(|l| ends_with(head, l)) {
        return Some(Label::Personal);
    }
    let lower = head.to_lowercase();
    LABELS
        .iter()
        .any(|l| ends_with(&lower, l))
        .then_some(Label::Personal)
}

// ----- formats strong enough without a label -----

/// The value without its separators.
fn compact(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect()
}

/// Spanish DNI (`12345678Z`) or NIE (`X1234567L`) whose control letter matches.
fn dni(value: &[u8]) -> bool {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    // Separators only before the letter: `12345678-Z`, `12345678 Z`.
    if value.len() > 10 || value.iter().filter(|c| !c.is_ascii_alphanumeric()).count() > 1 {
        return false;
    }
    let v = compact(value);
    let (lead, body) = match v.first() {
        Some(b'X') => (0u64, v.get(1..)),
        Some(b'Y') => (1, v.get(1..)),
        Some(b'Z') => (2, v.get(1..)),
        _ => (0, Some(&v[..])),
    };
    let Some(body) = body else {
        return false;
    };
    let nie = body.len() != v.len();
    let Some((&letter, digits)) = body.split_last() else {
        return false;
    };
    if digits.len() != if nie { 7 } else { 8 } || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = digits
        .iter()
        .fold(lead, |n, &d| n * 10 + u64::from(d - b'0'));
    usize::try_from(n % 23).is_ok_and(|k| LETTERS[k] == letter)
}

/// UK National Insurance number: two letters from the allowed series, six digits, A–D.
fn nino(value: &[u8]) -> bool {
    let v = compact(value);
    let [a, b2, rest @ .., suffix] = v.as_slice() else {
        return false;
    };
    let prefix_ok = !b"DFIQUV".contains(a)
        && !b"DFIOQUV".contains(b2)
        && a.is_ascii_uppercase()
        && b2.is_ascii_uppercase()
        && !matches!(
            [*a, *b2],
            [b'B', b'G']
                | [b'G', b'B']
                | [b'K', b'N']
                | [b'N', b'K']
                | [b'N', b'T']
                | [b'T', b'N']
                | [b'Z', b'Z']
        );
    prefix_ok
        && rest.len() == 6
        && rest.iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(suffix)
}

/// French NIR (numéro de sécurité sociale): 13 digits and a key of 97 minus their
/// remainder, the first giving the sex, the fourth and fifth the birth month.
fn nir(value: &[u8]) -> bool {
    let v = compact(value);
    if v.len() != 15 || !v.iter().all(u8::is_ascii_digit) || !b"1278".contains(&v[0]) {
        return false;
    }
    let number = |s: &[u8]| s.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    // Months 20–99 stand for unknown or provisional birth months.
    let month = number(&v[3..5]);
    let month_ok = (1..=12).contains(&month) || (20..=99).contains(&month);
    month_ok && number(&v[13..]) == 97 - number(&v[..13]) % 97
}

/// Belgian national register number as printed: `yy.mm.dd-sss.cc`, where `cc` is 97
/// minus the remainder of the first nine digits (with a leading 2 for births from 2000).
fn belgian_register(value: &[u8]) -> bool {
    let shape = value.len() == 15
        && value.iter().enumerate().all(|(k, c)| match k {
            2 | 5 | 12 => *c == b'.',
            8 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return false;
    }
    let v = compact(value);
    let number = |s: &[u8]| s.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    let (body, key) = (number(&v[..9]), number(&v[9..]));
    key == 97 - body % 97 || key == 97 - (2_000_000_000 + body) % 97
}

/// Mexican CURP: four letters, a birth date, sex, state, three consonants, two checks.
fn curp(value: &[u8]) -> bool {
    let Ok(v): Result<&[u8; 18], _> = value.try_into() else {
        return false;
    };
    let upper = |r: std::ops::Range<usize>| v[r].iter().all(u8::is_ascii_uppercase);
    if !upper(0..4) || !v[4..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let consonants = v[13..16]
        .iter()
        .all(|c| c.is_ascii_uppercase() && !b"AEIOU".contains(c));
    let month = (v[6] - b'0') * 10 + (v[7] - b'0');
    let day = (v[8] - b'0') * 10 + (v[9] - b'0');
    b"HMX".contains(&v[10])
        && upper(11..13)
        && consonants
        && v[16].is_ascii_alphanumeric()
        && v[17].is_ascii_digit()
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::super::SensitiveDetector;
    use crate::detect::{Detector, Document, Signals};
    use crate::finding::Finding;

    fn run(text: &str) -> Vec<Finding> {
        let doc = Document::new("body", text, None);
        let mut out = Vec::new();
        SensitiveDetector::new()
            .detect(&doc, &Signals::default(), &mut out)
            .expect("detect never fails once built");
        out
    }

    #[track_caller]
    fn assert_id(text: &str, id: &str) {
        let all: Vec<(String, &str)> = run(text)
            .into_iter()
            .map(|f| (f.subtopic, &text[f.start..f.end]))
            .collect();
        assert!(
            all.iter().any(|(s, t)| s == "national_id" && *t == id),
            "expected national id `{id}` in {text:?}, got {all:?}"
        );
    }

    #[track_caller]
    fn assert_no_id(text: &str) {
        let all = run(text);
        assert!(
            all.iter().all(|f| f.subtopic != "national_id"),
            "expected no national id in {text:?}, got {all:?}"
        );
    }

    #[test]
    fn labelled_national_ids_are_sensitive() {
        for (text, id) in [
            ("National Insurance number: AB 12 34 56 C", "AB 12 34 56 C"),
            ("Her SIN is 046 454 286.", "046 454 286"),
            ("Steuer-ID: 12 345 678 901", "12 345 678 901"),
            ("SV-Nummer: 1234 010180", "1234 010180"),
            (
                "numéro de sécurité sociale : 2 90 05 75 123 456 11",
                "2 90 05 75 123 456 11",
            ),
            ("Su DNI es 12.345.678.", "12.345.678"),
            ("BSN: 123456782", "123456782"),
            ("Rijksregisternummer 85.07.30-033.10", "85.07.30-033.10"),
        ] {
            assert_id(text, id);
        }
    }

    #[test]
    fn a_label_a_few_words_before_the_value_counts() {
        assert_id("Het BSN van de medewerker is 123456782.", "123456782");
        assert_id(
            "Der Empfang braucht die Ausweisnummer unseres Technikers: L01X00T47.",
            "L01X00T47",
        );
        assert_id("El DNI del técnico: 12.345.678", "12.345.678");
        assert_no_id("Passport photos are attached, order 12345678");
        assert_no_id("Passport photos and order 12345678");
    }

    #[test]
    fn dni_and_nie_with_a_valid_control_letter_need_no_label() {
        assert_id("El técnico es 12345678Z y llega a las 8.", "12345678Z");
        assert_id("Acompañante: X1234567L", "X1234567L");
        assert_no_id("El técnico es 12345678A y llega a las 8.");
    }

    #[test]
    fn national_insurance_number_format_needs_no_label() {
        assert_id("Payroll shows AB 12 34 56 C twice.", "AB 12 34 56 C");
        assert_no_id("Payroll shows QQ 12 34 56 C twice.");
    }

    #[test]
    fn nir_and_belgian_register_with_valid_keys_need_no_label() {
        assert_id(
            "Le dossier porte le 2 90 05 75 123 456 69.",
            "2 90 05 75 123 456 69",
        );
        assert_no_id("Le dossier porte le 2 90 05 75 123 456 11.");
        assert_id("Dossier 85.07.30-033.28 bijgewerkt.", "85.07.30-033.28");
    }

    #[test]
    fn curp_format_needs_no_label() {
        assert_id(
            "Viene como BADD110313HCMLNS09 en el layout.",
            "BADD110313HCMLNS09",
        );
    }

    #[test]
    fn company_vat_and_registration_numbers_are_not_national_ids() {
        for text in [
            "USt-IdNr.: DE123456789",
            "VAT: GB 123 4567 89",
            "KvK: 12345678",
            "SIRET : 123 456 789 00012",
            "CIF: B12345678",
            "NIF: B12345678",
            "Company number 01234567",
        ] {
            assert_no_id(text);
        }
    }

    #[test]
    fn employee_order_and_date_numbers_are_not_national_ids() {
        for text in [
            "Personalnummer 40817123",
            "Employee ID 1234567",
            "Order 45001234567",
            "Geburtsdatum: 14.03.1983",
            "Passport expiry: 12.05.2030",
        ] {
            assert_no_id(text);
        }
    }

    #[test]
    fn national_id_evidence_is_masked() {
        let text = "BSN: 123456782";
        let findings = run(text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].evidence, "*******82");
    }
}
