//! Two tricks that hide a word in plain ASCII, and the words worth hiding.
//!
//! Letters spread out ("d i s c o u n t", "d.i.s.c.o.u.n.t") are joined when four or more
//! single letters follow each other with the same separator; three only when they make a
//! known word ("S O C"). Digits for letters ("d1sc0unt") are undone only in a token that
//! mixes letters and digits and then reads as a known word, so "B2B", "SOC2", "Q3",
//! "24x7", "4.2.1" and "10:30" stay as written. The known words are the gate's own: the
//! terms a seller would hide from it, in the five languages it reads.

use super::{Ch, LEET, REMOVE, SPREAD};

/// Lower-case ASCII and sorted, for `binary_search` (a test checks both).
const KNOWN: &[&str] = &[
    "aanbieding",
    "angebot",
    "approval",
    "approved",
    "audit",
    "betaling",
    "beveiliging",
    "boete",
    "bonus",
    "breach",
    "budget",
    "cashback",
    "cheap",
    "cheaper",
    "cifrado",
    "classify",
    "compliance",
    "compliant",
    "confidential",
    "confidentiel",
    "contract",
    "contrat",
    "contrato",
    "cost",
    "coupon",
    "credit",
    "datenschutz",
    "deal",
    "descuento",
    "devis",
    "discount",
    "encrypt",
    "encrypted",
    "encryption",
    "factura",
    "facture",
    "factuur",
    "fee",
    "fees",
    "free",
    "garantia",
    "garantie",
    "gdpr",
    "gratis",
    "gratuit",
    "gratuite",
    "gratuito",
    "guarantee",
    "guaranteed",
    "haftung",
    "hipaa",
    "ignore",
    "indemnification",
    "indemnity",
    "instruction",
    "instructions",
    "invoice",
    "iso",
    "korting",
    "kosten",
    "kostenlos",
    "legal",
    "liability",
    "licence",
    "license",
    "markdown",
    "nachlass",
    "oferta",
    "offer",
    "opzegging",
    "override",
    "pago",
    "paiement",
    "password",
    "payment",
    "penalite",
    "penalizacion",
    "penalties",
    "penalty",
    "pentest",
    "precio",
    "precios",
    "preis",
    "preise",
    "preisnachlass",
    "previous",
    "price",
    "prices",
    "pricing",
    "prijs",
    "prijzen",
    "prix",
    "procurement",
    "promo",
    "promotion",
    "prompt",
    "quotation",
    "quote",
    "rabais",
    "rabatt",
    "rebaja",
    "rebate",
    "rechnung",
    "redline",
    "reduction",
    "reembolso",
    "refund",
    "remise",
    "renewal",
    "resiliation",
    "routine",
    "secure",
    "securite",
    "security",
    "seguridad",
    "sicherheit",
    "skonto",
    "sla",
    "soc",
    "system",
    "tarief",
    "tarif",
    "terms",
    "uptime",
    "vertrag",
    "vertragsstrafe",
    "vulnerability",
    "waive",
    "waiver",
    "zahlung",
    "zahlungsziel",
];

/// Whether `lower` (lower-case) is a known word, alone or with a plural or past ending.
pub(super) fn is_known(lower: &str) -> bool {
    if KNOWN.binary_search(&lower).is_ok() {
        return true;
    }
    ["s", "es", "ed", "d", "ing"].iter().any(|suffix| {
        lower
            .strip_suffix(suffix)
            .is_some_and(|stem| stem.len() >= 3 && KNOWN.binary_search(&stem).is_ok())
    })
}

/// What a digit or sign may stand for.
fn stands_for(c: char) -> &'static [char] {
    match c {
        '0' => &['o'],
        '1' => &['i', 'l'],
        '3' => &['e'],
        '4' => &['a'],
        '5' => &['s'],
        '7' => &['t'],
        '@' => &['a'],
        '$' => &['s'],
        _ => &[],
    }
}

/// Whether `c` can be part of a l33t token.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '@' || c == '$'
}

/// First look at ASCII text, on its bytes: could anything here be spread out or l33t?
pub(super) fn ascii_may_hide(b: &[u8]) -> bool {
    let alnum = |k: usize| b.get(k).is_some_and(u8::is_ascii_alphanumeric);
    // Three single letters or digits with one separator, two of them letters: maybe
    // spread out ("4.2.1" is a version).
    let spread = (0..b.len()).any(|i| {
        alnum(i)
            && (i == 0 || !alnum(i - 1))
            && b.get(i + 1).is_some_and(|s| b" .-_".contains(s))
            && alnum(i + 2)
            && b.get(i + 3) == b.get(i + 1)
            && alnum(i + 4)
            && !alnum(i + 5)
            && [i, i + 2, i + 4]
                .iter()
                .filter(|&&k| b[k].is_ascii_alphabetic())
                .count()
                >= 2
    });
    if spread {
        return true;
    }
    b.split(|&c| !is_token_char(char::from(c))).any(|token| {
        may_be_leet(token.iter().map(|&c| char::from(c))) && {
            let token: Vec<char> = token.iter().map(|&c| char::from(c)).collect();
            resolve_leet(&token).is_some()
        }
    })
}

/// Whether a token mixes ASCII letters with digits or signs that stand for letters, and
/// nothing else: only then can it be l33t.
fn may_be_leet(token: impl Iterator<Item = char>) -> bool {
    let (mut len, mut letter, mut sign) = (0, false, false);
    for c in token {
        len += 1;
        if c.is_ascii_alphabetic() {
            letter = true;
        } else if stands_for(c).is_empty() {
            return false;
        } else {
            sign = true;
        }
    }
    len >= 3 && letter && sign
}

/// The letters `token` stands for, if its digits and signs turn it into a known word.
fn resolve_leet(token: &[char]) -> Option<Vec<char>> {
    if !may_be_leet(token.iter().copied()) {
        return None;
    }
    let upper = token
        .iter()
        .filter(|c| c.is_ascii_alphabetic())
        .all(char::is_ascii_uppercase);
    // `1` reads as `i` or `l`: try both for up to four of them.
    let ambiguous: Vec<usize> = (0..token.len())
        .filter(|&k| stands_for(token[k]).len() > 1)
        .take(4)
        .collect();
    for choice in 0..(1u32 << ambiguous.len()) {
        let lower: String = token
            .iter()
            .enumerate()
            .map(|(k, &c)| match stands_for(c) {
                [] => c.to_ascii_lowercase(),
                options => {
                    let pick = ambiguous
                        .iter()
                        .position(|&a| a == k)
                        .map_or(0, |bit| ((choice >> bit) & 1) as usize);
                    options[pick.min(options.len() - 1)]
                }
            })
            .collect();
        if is_known(&lower) {
            return Some(
                lower
                    .chars()
                    .map(|c| if upper { c.to_ascii_uppercase() } else { c })
                    .zip(token)
                    .map(|(new, &old)| if old.is_ascii_alphabetic() { old } else { new })
                    .collect(),
            );
        }
    }
    None
}

/// Undoes digit-for-letter substitutions in place (one character for one).
pub(super) fn undo_leet(chars: &mut [Ch]) {
    let n = chars.len();
    let mut i = 0;
    while i < n {
        if !is_token_char(chars[i].c) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && is_token_char(chars[j].c) {
            j += 1;
        }
        // A token glued to letters of another alphabet belongs to a longer word.
        let glued = (i > 0 && chars[i - 1].c.is_alphanumeric())
            || chars.get(j).is_some_and(|c| c.c.is_alphanumeric());
        if !glued && may_be_leet(chars[i..j].iter().map(|c| c.c)) {
            let token: Vec<char> = chars[i..j].iter().map(|c| c.c).collect();
            if let Some(word) = resolve_leet(&token) {
                for (ch, new) in chars[i..j].iter_mut().zip(word) {
                    if ch.c != new {
                        ch.c = new;
                        ch.flags |= LEET;
                    }
                }
            }
        }
        i = j;
    }
}

/// Characters that may separate spread-out letters.
const SEPARATORS: [char; 4] = [' ', '.', '-', '_'];

/// Joins letters spread out by one repeated separator.
pub(super) fn join_spread(chars: &mut Vec<Ch>) {
    let n = chars.len();
    let unit = |chars: &[Ch], k: usize| {
        chars
            .get(k)
            .is_some_and(|c| is_token_char(c.c) || c.c.is_alphabetic())
    };
    let mut changed = false;
    let mut i = 0;
    while i < n {
        let starts = unit(chars, i)
            && !(i > 0 && unit(chars, i - 1))
            && chars.get(i + 1).is_some_and(|c| SEPARATORS.contains(&c.c));
        if !starts {
            i += 1;
            continue;
        }
        let sep = chars[i + 1].c;
        let mut units = vec![i];
        let mut k = i;
        while chars.get(k + 1).is_some_and(|c| c.c == sep)
            && unit(chars, k + 2)
            && !unit(chars, k + 3)
        {
            k += 2;
            units.push(k);
        }
        if units.len() < 3 {
            i = k + 1;
            continue;
        }
        if let Some((units, word, report)) = judge_spread(chars, &units) {
            for (&u, new) in units.iter().zip(word) {
                let ch = &mut chars[u];
                if ch.c != new {
                    ch.c = new;
                    ch.flags |= LEET;
                }
                if report {
                    ch.flags |= SPREAD;
                }
            }
            for w in units.windows(2) {
                chars[w[0] + 1].flags |= REMOVE;
            }
            changed = true;
        }
        i = k + 1;
    }
    if changed {
        chars.retain(|c| c.flags & REMOVE == 0);
    }
}

/// Which of the spread-out `units` to join, what they read as, and whether that is a known
/// word (then it is reported). A known word inside the run wins, longest first, so the
/// article in "a d i s c o u n t" stays a word of its own; without one, four or more
/// letters are joined but not reported ("A B C D" is a list, not a secret).
fn judge_spread<'u>(chars: &[Ch], units: &'u [usize]) -> Option<(&'u [usize], Vec<char>, bool)> {
    let n = units.len();
    // Long runs are art or tables, not a hidden word: join them without looking inside.
    let shortest = if n > 40 { n } else { 3 };
    for len in (shortest..=n).rev() {
        for from in 0..=n - len {
            let part = &units[from..from + len];
            let letters: Vec<char> = part.iter().map(|&u| chars[u].c).collect();
            if letters.iter().all(|c| c.is_alphabetic()) {
                let lower: String = letters.iter().flat_map(|c| c.to_lowercase()).collect();
                if is_known(&lower) {
                    return Some((part, letters, true));
                }
            } else if let Some(word) = resolve_leet(&letters) {
                return Some((part, word, true));
            }
        }
    }
    let letters: Vec<char> = units.iter().map(|&u| chars[u].c).collect();
    (n >= 4 && letters.iter().all(|c| c.is_alphabetic())).then_some((units, letters, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_words_are_sorted_lower_case_ascii() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(
            KNOWN
                .iter()
                .all(|w| w.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn known_words_take_plural_and_past_endings() {
        assert!(is_known("discounts"));
        assert!(is_known("waived"));
        assert!(is_known("rabatt"));
        assert!(!is_known("discourse"));
        assert!(!is_known("hi"));
    }

    fn leet(s: &str) -> Option<String> {
        let chars: Vec<char> = s.chars().collect();
        resolve_leet(&chars).map(|w| w.into_iter().collect())
    }

    #[test]
    fn leet_becomes_the_known_word() {
        assert_eq!(leet("d1sc0unt").as_deref(), Some("discount"));
        assert_eq!(leet("pr1c1ng").as_deref(), Some("pricing"));
        assert_eq!(leet("R4B4TT").as_deref(), Some("RABATT"));
        assert_eq!(leet("r3fund$").as_deref(), Some("refunds"));
        assert_eq!(leet("S0C").as_deref(), Some("SOC"));
        assert_eq!(leet("f33").as_deref(), Some("fee"));
    }

    #[test]
    fn codes_numbers_and_versions_are_not_leet() {
        for token in [
            "B2B", "SOC2", "ISO27001", "24x7", "Q3", "h1", "1st", "4th", "10am", "mp3", "P1",
            "win10", "1234", "x86",
        ] {
            assert_eq!(leet(token), None, "{token}");
        }
    }
}
