//! Sensitive data in a text: payment data (cards, IBANs), US SSNs and other national ids,
//! third-party contact details, IP addresses, Bitcoin addresses and secrets (API keys,
//! private keys, JWTs, passwords).
//!
//! It reads the whole text, the seller's own words and quoted text alike: a secret pasted
//! into a quote is still being sent. It does not decide anything, the policy turns the
//! findings into tiers. Evidence is masked so a finding never leaks what it found (only
//! e-mail addresses, phone numbers and IP addresses are shown as written).
//!
//! Whose words and whose data: contact details that belong to the conversation are not
//! third-party data. The sender's own e-mail and phone, the recipients' addresses, and, in
//! a letter, everything but a third person's personal phone or mailbox (see `whose`) are
//! not reported; neither are phone numbers and addresses in quoted inbound text, which are
//! the buyer's signature, not the seller's disclosure. A number labelled as an order,
//! ticket, company or meeting number is not a phone number, a section number is not an IP
//! address, and a meeting's passcode is not a credential (see `labels`). Cards, IBANs,
//! national ids (see `national_id`) and secrets are reported whoever they belong to.
//!
//! The gate reads every message, so this detector is built for speed: hand-written byte
//! scanners, each started by a cheap trigger (a digit, `+`, `(`, `@`, `:`), and two
//! Aho-Corasick automata for fixed prefixes and keywords. Checksums (Luhn, mod-97,
//! Base58Check, Bech32) run only on candidates. Scanners run from the most to the least
//! specific and claim their spans, so a card number is not reported again as a phone
//! number, nor the IPv4 tail of an IPv6 address twice.

use aho_corasick::{AhoCorasick, MatchKind};
use sha2::{Digest, Sha256};

use super::{Detector, DetectorError, Document, Signals, ceil_boundary, floor_boundary};
use crate::finding::{Category, Finding};

mod labels;
mod national_id;
mod whose;

/// Finds payment data, personal data and secrets, and reports them with masked evidence.
#[derive(Debug)]
pub struct SensitiveDetector {
    /// Case-sensitive prefixes from [`PREFIXES`]; `None` if the automaton failed to build.
    prefixes: Option<AhoCorasick>,
    /// Keywords from [`KEYWORDS`] in their usual spellings; `None` if it failed to build.
    keywords: Option<AhoCorasick>,
    /// What each pattern of `keywords` announces, by pattern index.
    keyword_kinds: Vec<Keyword>,
}

impl SensitiveDetector {
    /// Builds the detector, compiling its automata once rather than per message.
    pub fn new() -> Self {
        let prefixes = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(PREFIXES.iter().map(|(p, _)| p))
            .ok();
        // Spelling variants rather than `ascii_case_insensitive`: the case-insensitive
        // automaton loses its SIMD prefilter and cost a microsecond per e-mail, more than
        // all the scanners together. Odd casings (`PassWord`) are the price.
        let mut variants: Vec<String> = Vec::new();
        let mut keyword_kinds = Vec::new();
        for &(word, kind) in KEYWORDS {
            for variant in spellings(word) {
                if !variants.contains(&variant) {
                    variants.push(variant);
                    keyword_kinds.push(kind);
                }
            }
        }
        let keywords = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&variants)
            .ok();
        Self {
            prefixes,
            keywords,
            keyword_kinds,
        }
    }
}

/// `word`, `Word`, `Word Word` and `WORD`: how labels are written in e-mails and config.
fn spellings(word: &str) -> [String; 4] {
    fn capitalized(w: &str) -> String {
        let mut chars = w.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
    let title = word
        .split(' ')
        .map(capitalized)
        .collect::<Vec<_>>()
        .join(" ");
    [
        word.to_owned(),
        capitalized(word),
        title,
        word.to_uppercase(),
    ]
}

impl Default for SensitiveDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector for SensitiveDetector {
    fn name(&self) -> &'static str {
        "sensitive"
    }

    fn detect(
        &self,
        doc: &Document<'_>,
        signals: &Signals<'_>,
        out: &mut Vec<Finding>,
    ) -> Result<(), DetectorError> {
        let (Some(prefixes), Some(keywords)) = (&self.prefixes, &self.keywords) else {
            return Err(DetectorError {
                detector: self.name(),
                problem: "pattern automata failed to build".to_owned(),
            });
        };
        let text = doc.text;
        let mut scan = Scan::new(text);

        // Provider prefixes first: they are the most certain, and a key's body must not be
        // read again as a phone number or a generic high-entropy token.
        for m in prefixes.find_iter(text) {
            if let Some(&(_, kind)) = PREFIXES.get(m.pattern().as_usize()) {
                scan.prefixed(kind, m.start(), m.end());
            }
        }
        let mut ssn_keywords = Vec::new();
        let mut assignments = Vec::new();
        for m in keywords.find_iter(text) {
            match self.keyword_kinds.get(m.pattern().as_usize()) {
                // `ssn`, not the end of `Assn.`
                Some(Keyword::Ssn)
                    if !prev_char(text, m.start()).is_some_and(char::is_alphabetic) =>
                {
                    ssn_keywords.push(m.end());
                }
                Some(Keyword::Ssn) => {}
                Some(&kind) => assignments.push((kind, m.start(), m.end())),
                None => {}
            }
        }
        // IPv6 before the digit scanners, so an embedded IPv4 tail is not reported twice;
        // e-mail before them, so digits in an address are not read as a number.
        scan.ipv6();
        scan.emails();
        scan.numbers(&ssn_keywords);
        for (kind, start, end) in assignments {
            match kind {
                Keyword::Password => scan.password(start, end),
                Keyword::Secret => scan.secret_assignment(start, end, false),
                Keyword::SpacedSecret => scan.secret_assignment(start, end, true),
                Keyword::Ssn => {}
            }
        }
        scan.high_entropy();

        // Whether the text is a letter is only worth reading when a contact turned up.
        let mut letter = None;
        for hit in scan.hits {
            if !disclosed(&hit, doc, signals, &mut letter) {
                continue;
            }
            out.push(Finding {
                category: Category::Sensitive,
                subtopic: hit.subtopic.to_owned(),
                start: floor_boundary(text, hit.start),
                end: ceil_boundary(text, hit.end),
                field: doc.field.to_owned(),
                evidence: hit.evidence,
                confidence: hit.confidence,
                rule: hit.rule.to_owned(),
            });
        }
        Ok(())
    }
}

/// What a fixed prefix announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Pem,
    Jwt,
    Bech32,
    Aws,
    Stripe,
    GitHubToken,
    GitHubPat,
    Slack,
    SlackWebhook,
    Google,
    OpenAi,
    GitLab,
    Npm,
    SendGrid,
    Twilio,
}

/// Case-sensitive prefixes: provider keys, PEM headers, JWT headers, Bech32 addresses.
const PREFIXES: &[(&str, Prefix)] = &[
    ("-----BEGIN", Prefix::Pem),
    ("eyJ", Prefix::Jwt),
    ("bc1", Prefix::Bech32),
    ("BC1", Prefix::Bech32),
    ("AKIA", Prefix::Aws),
    ("ASIA", Prefix::Aws),
    ("AGPA", Prefix::Aws),
    ("AIDA", Prefix::Aws),
    ("AROA", Prefix::Aws),
    ("ANPA", Prefix::Aws),
    ("ANVA", Prefix::Aws),
    ("AIPA", Prefix::Aws),
    ("sk_live_", Prefix::Stripe),
    ("sk_test_", Prefix::Stripe),
    ("rk_live_", Prefix::Stripe),
    ("rk_test_", Prefix::Stripe),
    ("pk_live_", Prefix::Stripe),
    ("ghp_", Prefix::GitHubToken),
    ("gho_", Prefix::GitHubToken),
    ("ghu_", Prefix::GitHubToken),
    ("ghs_", Prefix::GitHubToken),
    ("ghr_", Prefix::GitHubToken),
    ("github_pat_", Prefix::GitHubPat),
    ("xoxb-", Prefix::Slack),
    ("xoxp-", Prefix::Slack),
    ("xoxa-", Prefix::Slack),
    ("xoxr-", Prefix::Slack),
    ("xoxs-", Prefix::Slack),
    ("hooks.slack.com/services/", Prefix::SlackWebhook),
    ("AIza", Prefix::Google),
    ("sk-", Prefix::OpenAi),
    ("glpat-", Prefix::GitLab),
    ("npm_", Prefix::Npm),
    ("SG.", Prefix::SendGrid),
    ("SK", Prefix::Twilio),
];

/// What a keyword announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    /// A password label; the value follows `:`, `=` or `is`.
    Password,
    /// Makes a bare nine-digit number after it an SSN.
    Ssn,
    /// `key`, `apikey`: the value follows `:` or `=`.
    Secret,
    /// `token`, `secret`, `bearer`: the value may also follow a plain space.
    SpacedSecret,
}

/// Keywords, in lowercase; [`spellings`] adds the capitalized and uppercase forms.
const KEYWORDS: &[(&str, Keyword)] = &[
    ("password", Keyword::Password),
    ("passwd", Keyword::Password),
    ("pwd", Keyword::Password),
    ("passcode", Keyword::Password),
    ("passwort", Keyword::Password),
    ("kennwort", Keyword::Password),
    ("mot de passe", Keyword::Password),
    ("contraseña", Keyword::Password),
    ("wachtwoord", Keyword::Password),
    ("ssn", Keyword::Ssn),
    ("social security", Keyword::Ssn),
    ("key", Keyword::Secret),
    ("apikey", Keyword::Secret),
    ("token", Keyword::SpacedSecret),
    ("secret", Keyword::SpacedSecret),
    ("bearer", Keyword::SpacedSecret),
];

/// How far before a bare nine-digit number an SSN keyword may stand, in bytes.
const SSN_KEYWORD_REACH: usize = 30;

const INTL_PHONE: &str = "sensitive.phone_number.international";
const NANP_PHONE: &str = "sensitive.phone_number.nanp";
const NATIONAL_PHONE: &str = "sensitive.phone_number.national";

/// One item found, before the conversation's own contacts are filtered out.
#[derive(Debug)]
struct Hit {
    start: usize,
    end: usize,
    subtopic: &'static str,
    rule: &'static str,
    confidence: f32,
    evidence: String,
}

/// The state of one pass over a text: what was found and which bytes are taken.
struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// Spans already reported; later, less specific scanners skip them.
    claimed: Vec<(usize, usize)>,
    hits: Vec<Hit>,
}

impl<'t> Scan<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            claimed: Vec::new(),
            hits: Vec::new(),
        }
    }

    fn overlaps(&self, start: usize, end: usize) -> bool {
        self.claimed.iter().any(|&(s, e)| start < e && s < end)
    }

    fn claim_end(&self, i: usize) -> Option<usize> {
        self.claimed
            .iter()
            .find(|&&(s, e)| s <= i && i < e)
            .map(|&(_, e)| e)
    }

    fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or("")
    }

    /// Records a hit unless its span is empty or already taken; says whether it did.
    fn push(
        &mut self,
        (start, end): (usize, usize),
        subtopic: &'static str,
        rule: &'static str,
        confidence: f32,
        evidence: String,
    ) -> bool {
        if start >= end || end > self.bytes.len() || self.overlaps(start, end) {
            return false;
        }
        self.claimed.push((start, end));
        self.hits.push(Hit {
            start,
            end,
            subtopic,
            rule,
            confidence,
            evidence,
        });
        true
    }

    fn push_masked(
        &mut self,
        span: (usize, usize),
        subtopic: &'static str,
        rule: &'static str,
        confidence: f32,
    ) -> bool {
        let evidence = mask(self.slice(span.0, span.1));
        self.push(span, subtopic, rule, confidence, evidence)
    }

    fn push_plain(
        &mut self,
        span: (usize, usize),
        subtopic: &'static str,
        rule: &'static str,
        confidence: f32,
    ) -> bool {
        let evidence = self.slice(span.0, span.1).to_owned();
        self.push(span, subtopic, rule, confidence, evidence)
    }

    // ----- fixed prefixes -----

    fn prefixed(&mut self, kind: Prefix, start: usize, end: usize) {
        if self.overlaps(start, end) {
            return;
        }
        // A prefix glued to a word is the middle of something else (`risk-`, `ASKING`).
        let glued = prev_char(self.text, start).is_some_and(is_word);
        match kind {
            Prefix::Pem => self.private_key(start, end),
            Prefix::SlackWebhook => self.provider_key(kind, start, end),
            _ if glued => {}
            Prefix::Jwt => {
                if let Some(stop) = jwt_end(self.text, self.bytes, start) {
                    self.push_masked((start, stop), "jwt", "sensitive.jwt.structure", 0.85);
                }
            }
            Prefix::Bech32 => {
                if let Some(stop) = bech32_end(self.text, self.bytes, start) {
                    self.push_masked((start, stop), "crypto", "sensitive.crypto.bech32", 0.9);
                }
            }
            Prefix::SendGrid => {
                let first = run_end(self.bytes, end, is_b64url);
                let second = run_end(self.bytes, first + 1, is_b64url);
                if first - end >= 16
                    && self.bytes.get(first) == Some(&b'.')
                    && second - first > 30
                    && !next_char(self.text, second).is_some_and(is_word)
                {
                    self.push_masked(
                        (start, second),
                        "api_key",
                        "sensitive.api_key.sendgrid",
                        0.9,
                    );
                }
            }
            _ => self.provider_key(kind, start, end),
        }
    }

    /// A key made of a provider prefix and a body of a known alphabet and length.
    fn provider_key(&mut self, kind: Prefix, start: usize, end: usize) {
        let (allowed, min, max, rule): (fn(u8) -> bool, usize, usize, &'static str) = match kind {
            Prefix::Aws => (is_upper_alnum, 16, 16, "sensitive.api_key.aws"),
            Prefix::Stripe => (is_alnum, 16, 255, "sensitive.api_key.stripe"),
            Prefix::GitHubToken => (is_alnum, 30, 255, "sensitive.api_key.github"),
            Prefix::GitHubPat => (is_alnum_underscore, 30, 255, "sensitive.api_key.github"),
            Prefix::Slack => (is_alnum_dash, 10, 255, "sensitive.api_key.slack"),
            Prefix::SlackWebhook => (is_alnum_slash, 20, 255, "sensitive.api_key.slack_webhook"),
            Prefix::Google => (is_b64url, 35, 35, "sensitive.api_key.google"),
            Prefix::OpenAi => (is_b64url, 20, 255, "sensitive.api_key.openai"),
            Prefix::GitLab => (is_b64url, 20, 255, "sensitive.api_key.gitlab"),
            Prefix::Npm => (is_alnum, 30, 255, "sensitive.api_key.npm"),
            Prefix::Twilio => (is_lower_hex, 32, 32, "sensitive.api_key.twilio"),
            _ => return,
        };
        let stop = run_end(self.bytes, end, allowed);
        let body = self.bytes.get(end..stop).unwrap_or_default();
        if !(min..=max).contains(&body.len()) || next_char(self.text, stop).is_some_and(is_word) {
            return;
        }
        let mut rule = rule;
        match kind {
            // Short prefixes: demand what real keys have, so prose like `sk-` lists stay out.
            Prefix::Slack if !body.iter().any(u8::is_ascii_digit) => return,
            Prefix::OpenAi | Prefix::GitLab
                if !(body.iter().any(u8::is_ascii_digit)
                    && body.iter().any(u8::is_ascii_alphabetic)) =>
            {
                return;
            }
            Prefix::OpenAi if body.starts_with(b"ant-") => rule = "sensitive.api_key.anthropic",
            _ => {}
        }
        let start = if kind == Prefix::SlackWebhook && self.slice(0, start).ends_with("https://") {
            start - "https://".len()
        } else {
            start
        };
        self.push_masked((start, stop), "api_key", rule, 0.9);
    }

    /// `-----BEGIN … PRIVATE KEY-----`, through the matching END line when present.
    fn private_key(&mut self, start: usize, end: usize) {
        let rest = self.slice(end, self.bytes.len());
        let line = rest.split('\n').next().unwrap_or("");
        let Some(close) = line.find("-----").filter(|&c| c <= 60) else {
            return;
        };
        let label = line.get(..close).unwrap_or("").trim();
        let well_formed = label
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ');
        if !well_formed || !(label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
        {
            return;
        }
        let header_end = end + close + "-----".len();
        let footer = format!("-----END {label}-----");
        let stop = self
            .slice(header_end, self.bytes.len())
            .find(&footer)
            .map_or(header_end, |at| header_end + at + footer.len());
        let evidence = format!("-----BEGIN {label}-----");
        self.push(
            (start, stop),
            "private_key",
            "sensitive.private_key.pem",
            0.95,
            evidence,
        );
    }

    // ----- keywords -----

    /// `password: value`, `Passwort = value`, `the password is value`.
    fn password(&mut self, start: usize, end: usize) {
        if let Some(span) = password_value(self.text, self.bytes, start, end) {
            let first = self.slice(span.0, span.1).chars().next().unwrap_or('*');
            self.push(
                span,
                "password",
                "sensitive.password.assignment",
                0.75,
                format!("{first}***"),
            );
        }
    }

    /// `api_key = value`, `"token": "value"`, `Bearer value` with a long value.
    fn secret_assignment(&mut self, start: usize, end: usize, spaced: bool) {
        if let Some(span) = assigned_secret(self.text, self.bytes, start, end, spaced) {
            self.push_masked(span, "api_key", "sensitive.api_key.assignment", 0.7);
        }
    }

    // ----- byte-triggered scanners -----

    fn ipv6(&mut self) {
        let b = self.bytes;
        // Bytes before `floor` belong to a candidate already read; never walk back into it.
        let mut floor = 0;
        let mut from = 0;
        while let Some(colon) = find_byte(b, from, b':') {
            let mut start = colon;
            while start > floor && b.get(start - 1).is_some_and(u8::is_ascii_hexdigit) {
                start -= 1;
            }
            let run = run_end(b, colon, |c| {
                c.is_ascii_hexdigit() || c == b':' || c == b'.'
            });
            match ipv6_end(self.text, b, start) {
                Some(stop)
                    if self.push_plain(
                        (start, stop),
                        "ip_address",
                        "sensitive.ip_address.ipv6",
                        0.6,
                    ) =>
                {
                    floor = stop;
                    from = stop;
                }
                _ => {
                    floor = run;
                    from = run.max(colon + 1);
                }
            }
        }
    }

    fn emails(&mut self) {
        let mut from = 0;
        while let Some(at) = find_byte(self.bytes, from, b'@') {
            from = at + 1;
            if let Some(span) = email_span(self.text, self.bytes, at)
                && self.push_plain(
                    span,
                    "email_address",
                    "sensitive.email_address.pattern",
                    0.6,
                )
            {
                from = span.1;
            }
        }
    }

    /// Everything that starts at a digit, a `+` or a `(`: cards, IBANs, SSNs, IPv4,
    /// Base58 addresses, phone numbers.
    fn numbers(&mut self, ssn_keywords: &[usize]) {
        let b = self.bytes;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let starts = match c {
                b'0'..=b'9' => i == 0 || !b[i - 1].is_ascii_digit(),
                b'+' | b'(' => true,
                _ => false,
            };
            if !starts {
                i += 1;
                continue;
            }
            if let Some(end) = self.claim_end(i) {
                i = end;
                continue;
            }
            let next = match c {
                b'+' => self.try_phone(intl_phone_end(self.text, b, i), i, INTL_PHONE, 0.75),
                b'(' => self.try_phone(nanp_paren_end(self.text, b, i), i, NANP_PHONE, 0.7),
                _ => {
                    let keyword = ssn_keywords
                        .iter()
                        .any(|&k| k <= i && i - k <= SSN_KEYWORD_REACH);
                    self.number_at(i, keyword)
                }
            };
            i = match next {
                Some(end) => end.max(i + 1),
                None if c.is_ascii_digit() => digit_run_end(b, i),
                None => i + 1,
            };
        }
    }

    fn try_phone(
        &mut self,
        end: Option<usize>,
        start: usize,
        rule: &'static str,
        confidence: f32,
    ) -> Option<usize> {
        let end = end?;
        self.push_plain((start, end), "phone_number", rule, confidence)
            .then_some(end)
    }

    /// The scanners for a run of digits starting at `i`, most specific first.
    fn number_at(&mut self, i: usize, ssn_keyword: bool) -> Option<usize> {
        let (text, b) = (self.text, self.bytes);
        if i >= 2 && b[i - 2].is_ascii_uppercase() && b[i - 1].is_ascii_uppercase() {
            match iban_at(text, b, i - 2) {
                Iban::Valid(end) => {
                    if self.push_masked((i - 2, end), "iban_code", "sensitive.iban_code.mod97", 0.9)
                    {
                        return Some(end);
                    }
                }
                // IBAN-shaped but invalid: its digit groups are not a card number either.
                Iban::Shaped(end) => return Some(end),
                Iban::No => {}
            }
        }
        if let Some(end) = card_end(text, b, i)
            && self.push_masked((i, end), "credit_card", "sensitive.credit_card.luhn", 0.9)
        {
            return Some(end);
        }
        if let Some((end, confidence, rule)) = ssn_end(text, b, i, ssn_keyword) {
            let evidence = mask_digits(self.slice(i, end));
            if self.push((i, end), "us_ssn", rule, confidence, evidence) {
                return Some(end);
            }
        }
        if national_id::worth_a_look(b, i)
            && let Some(id) = national_id::at(text, b, i)
        {
            let evidence = mask_alphanumerics(self.slice(id.start, id.end));
            if self.push(
                (id.start, id.end),
                "national_id",
                id.rule,
                id.confidence,
                evidence,
            ) {
                return Some(id.end);
            }
        }
        if let Some(end) = ipv4_end(text, b, i)
            && self.push_plain((i, end), "ip_address", "sensitive.ip_address.ipv4", 0.6)
        {
            return Some(end);
        }
        if let Some(end) = base58check_end(text, b, i)
            && self.push_masked((i, end), "crypto", "sensitive.crypto.base58check", 0.9)
        {
            return Some(end);
        }
        if let Some(end) = self.try_phone(nanp_end(text, b, i), i, NANP_PHONE, 0.7) {
            return Some(end);
        }
        self.try_phone(national_end(text, b, i), i, NATIONAL_PHONE, 0.6)
    }

    /// Long random-looking tokens nothing more specific explained.
    fn high_entropy(&mut self) {
        let b = self.bytes;
        let mut i = 0;
        while i < b.len() {
            if !SECRET_BYTES[usize::from(b[i])] {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && SECRET_BYTES[usize::from(b[i])] {
                i += 1;
            }
            if i - start >= 24
                && let Some(span) = entropy_token(self.text, b, start, i)
                && !self.overlaps(span.0, span.1)
            {
                self.push_masked(span, "api_key", "sensitive.api_key.entropy", 0.6);
            }
        }
    }
}

/// Whether a hit is data the message gives away, rather than the conversation's own
/// contact details, the quoted buyer's, a reference number or a meeting's join code.
fn disclosed(
    hit: &Hit,
    doc: &Document<'_>,
    signals: &Signals<'_>,
    letter: &mut Option<bool>,
) -> bool {
    let value = doc.text.get(hit.start..hit.end).unwrap_or("");
    let email = match hit.subtopic {
        "email_address" => true,
        "phone_number" => false,
        "password" => return !labels::is_meeting_code(doc.text, hit.start),
        "ip_address" => return !labels::labelled_as_section(doc.text, hit.start),
        _ => return true,
    };
    // Quoted inbound text is the buyer's: their signature is not the seller's disclosure.
    if doc.in_signature(hit.start) || doc.is_quoted(hit.start) {
        return false;
    }
    let known = if email {
        signals.sender_email.is_some_and(|s| same_address(s, value))
            || signals.recipients.iter().any(|r| same_address(r, value))
    } else {
        signals.sender_phone.is_some_and(|p| same_phone(p, value))
    };
    // In a letter, only a third person's personal contact is given away; a fragment has
    // nobody to own its contacts, so they are reported as found.
    let given_away = !known
        && (!*letter.get_or_insert_with(|| whose::is_letter(doc, signals))
            || whose::third_party_personal(doc, signals, hit.start, hit.end, email));
    given_away && (email || !labels::labelled_as_reference(doc.text, hit.start))
}

/// Compares addresses case-insensitively; `Name <a@b.c>` counts as `a@b.c`.
fn same_address(known: &str, found: &str) -> bool {
    let bare = match (known.rfind('<'), known.rfind('>')) {
        (Some(open), Some(close)) if open < close => known.get(open + 1..close).unwrap_or(known),
        _ => known,
    };
    bare.trim().eq_ignore_ascii_case(found)
}

/// Compares phone numbers by digits, so `+1 415 555 0100` matches `(415) 555-0100` and
/// `+49 30 1234567` matches `030 1234567`.
fn same_phone(known: &str, found: &str) -> bool {
    let digits = |s: &str| -> String {
        let all: String = s.chars().filter(char::is_ascii_digit).collect();
        all.trim_start_matches('0').to_owned()
    };
    let (a, b) = (digits(known), digits(found));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && (short == long || (short.len() >= 8 && long.ends_with(&short)))
}

// ----- character classes -----

fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Letters, digits (any script) and `_`: what makes a match part of a longer word.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_upper_alnum(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn is_alnum_underscore(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_alnum_dash(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn is_alnum_slash(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'/'
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

fn is_lower_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}

/// Bytes a generic secret is made of: base64 and base64url.
const SECRET_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=');
        c += 1;
    }
    table
};

fn run_end(b: &[u8], from: usize, allowed: impl Fn(u8) -> bool) -> usize {
    let mut j = from;
    while j < b.len() && allowed(b[j]) {
        j += 1;
    }
    j
}

fn digit_run_end(b: &[u8], from: usize) -> usize {
    run_end(b, from, |c| c.is_ascii_digit())
}

fn find_byte(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|k| from + k)
}

/// Whether a number may start at `i`: not glued to a word, a currency sign, a `#` or `+`,
/// and not the tail of a code like `INV-2026` or `1,250`.
fn clean_number_start(text: &str, i: usize) -> bool {
    let mut before = text.get(..i).unwrap_or("").chars().rev();
    match before.next() {
        None => true,
        Some(c) if is_word(c) => false,
        Some('#' | '+' | '$' | '€' | '£' | '¥') => false,
        Some('-' | '.' | '/' | ',') => !before.next().is_some_and(is_word),
        _ => true,
    }
}

/// Whether a number may end at `end`: not glued to a word and not continued by `.5`,
/// `,000`, `-12`, `/27` or `:30`.
fn clean_number_end(text: &str, b: &[u8], end: usize) -> bool {
    match next_char(text, end) {
        None => true,
        Some(c) if is_word(c) => false,
        Some('.' | ',' | '-' | '/' | ':') => !b.get(end + 1).is_some_and(u8::is_ascii_digit),
        _ => true,
    }
}

// ----- credit cards -----

/// 13–19 digits, contiguous or grouped (`4-4-4-4`, `4-6-5`, …) by one kind of single
/// separator, starting 1–6, Luhn-valid. Returns the end.
fn card_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'1'..=b'6')) || !clean_number_start(text, i) {
        return None;
    }
    let mut groups = [(0, 0); 6];
    let mut count = 0;
    let mut sep = None;
    let mut j = i;
    while count < groups.len() {
        let end = digit_run_end(b, j);
        groups[count] = (j, end);
        count += 1;
        match (b.get(end), b.get(end + 1)) {
            (Some(&s @ (b' ' | b'-')), Some(d))
                if d.is_ascii_digit() && sep.is_none_or(|x| x == s) =>
            {
                sep = Some(s);
                j = end + 1;
            }
            _ => break,
        }
    }
    // Longest grouping first; a space-separated number may be followed by another number
    // (`4012 8888 8888 1881 12/27`), a dash-joined one may not.
    for k in (1..=count).rev() {
        let used = &groups[..k];
        let len = |g: &(usize, usize)| g.1 - g.0;
        let total: usize = used.iter().map(len).sum();
        if !(13..=19).contains(&total) || (k < count && sep != Some(b' ')) {
            continue;
        }
        if k > 1 && (len(&used[0]) != 4 || used[1..].iter().any(|g| !(3..=6).contains(&len(g)))) {
            continue;
        }
        let end = used[k - 1].1;
        if clean_number_end(text, b, end) && luhn_valid(b.get(i..end).unwrap_or_default()) {
            return Some(end);
        }
    }
    None
}

fn luhn_valid(number: &[u8]) -> bool {
    let mut sum = 0;
    let mut double = false;
    for &c in number.iter().rev().filter(|c| c.is_ascii_digit()) {
        let mut d = u32::from(c - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum % 10 == 0
}

// ----- IBAN -----

/// BBAN formats from the IBAN registry: `n` digits, `a` uppercase letters, `c` either.
/// The IBAN's length is 4 plus the BBAN's.
const IBAN_FORMATS: &[(&[u8; 2], &str)] = &[
    (b"AD", "8n12c"),
    (b"AE", "19n"),
    (b"AL", "8n16c"),
    (b"AT", "16n"),
    (b"AZ", "4a20c"),
    (b"BA", "16n"),
    (b"BE", "12n"),
    (b"BG", "4a6n8c"),
    (b"BH", "4a14c"),
    (b"BI", "23n"),
    (b"BR", "23n1a1c"),
    (b"BY", "4c4n16c"),
    (b"CH", "5n12c"),
    (b"CR", "18n"),
    (b"CY", "8n16c"),
    (b"CZ", "20n"),
    (b"DE", "18n"),
    (b"DJ", "23n"),
    (b"DK", "14n"),
    (b"DO", "4c20n"),
    (b"EE", "16n"),
    (b"EG", "25n"),
    (b"ES", "20n"),
    (b"FI", "14n"),
    (b"FK", "2a12n"),
    (b"FO", "14n"),
    (b"FR", "10n11c2n"),
    (b"GB", "4a14n"),
    (b"GE", "2a16n"),
    (b"GI", "4a15c"),
    (b"GL", "14n"),
    (b"GR", "7n16c"),
    (b"GT", "24c"),
    (b"HN", "4a20n"),
    (b"HR", "17n"),
    (b"HU", "24n"),
    (b"IE", "4c14n"),
    (b"IL", "19n"),
    (b"IQ", "4a15n"),
    (b"IS", "22n"),
    (b"IT", "1a10n12c"),
    (b"JO", "4a4n18c"),
    (b"KW", "4a22c"),
    (b"KZ", "3n13c"),
    (b"LB", "4n20c"),
    (b"LC", "4a24c"),
    (b"LI", "5n12c"),
    (b"LT", "16n"),
    (b"LU", "3n13c"),
    (b"LV", "4a13c"),
    (b"LY", "21n"),
    (b"MC", "10n11c2n"),
    (b"MD", "20c"),
    (b"ME", "18n"),
    (b"MK", "3n10c2n"),
    (b"MN", "16n"),
    (b"MR", "23n"),
    (b"MT", "4a5n18c"),
    (b"MU", "4a19n3a"),
    (b"NI", "4a20n"),
    (b"NL", "4a10n"),
    (b"NO", "11n"),
    (b"OM", "3n16c"),
    (b"PK", "4a16c"),
    (b"PL", "24n"),
    (b"PS", "4a21c"),
    (b"PT", "21n"),
    (b"QA", "4a21c"),
    (b"RO", "4a16c"),
    (b"RS", "18n"),
    (b"RU", "14n15c"),
    (b"SA", "2n18c"),
    (b"SC", "4a20n3a"),
    (b"SD", "14n"),
    (b"SE", "20n"),
    (b"SI", "15n"),
    (b"SK", "20n"),
    (b"SM", "1a10n12c"),
    (b"SO", "19n"),
    (b"ST", "21n"),
    (b"SV", "4a20n"),
    (b"TL", "19n"),
    (b"TN", "20n"),
    (b"TR", "6n16c"),
    (b"UA", "6n19c"),
    (b"VA", "18n"),
    (b"VG", "4a16n"),
    (b"XK", "16n"),
    (b"YE", "4a4n18c"),
];

/// The longest BBAN in [`IBAN_FORMATS`] plus the four leading characters.
const IBAN_MAX: usize = 34;

fn bban_len(format: &str) -> usize {
    let mut total = 0;
    let mut count = 0;
    for c in format.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
        } else {
            total += count;
            count = 0;
        }
    }
    total
}

fn bban_matches(format: &str, bban: &[u8]) -> bool {
    let mut pos = 0;
    let mut count = 0;
    for c in format.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
            continue;
        }
        let Some(part) = bban.get(pos..pos + count) else {
            return false;
        };
        let ok = match c {
            b'n' => part.iter().all(u8::is_ascii_digit),
            b'a' => part.iter().all(u8::is_ascii_uppercase),
            _ => part.iter().all(|&x| is_upper_alnum(x)),
        };
        if !ok {
            return false;
        }
        pos += count;
        count = 0;
    }
    pos == bban.len()
}

enum Iban {
    Valid(usize),
    /// Looks like an IBAN up to `.0` but fails the format or checksum.
    Shaped(usize),
    No,
}

/// An IBAN at `s`: country code, check digits and a BBAN of that country's length and
/// format, contiguous or in groups of four separated by single spaces, mod-97 == 1.
fn iban_at(text: &str, b: &[u8], s: usize) -> Iban {
    let Some(head) = b.get(s..s + 4) else {
        return Iban::No;
    };
    let Some(format) = IBAN_FORMATS
        .iter()
        .find(|(cc, _)| cc[..] == head[..2])
        .map(|f| f.1)
    else {
        return Iban::No;
    };
    if !head[2].is_ascii_digit()
        || !head[3].is_ascii_digit()
        || prev_char(text, s).is_some_and(is_word)
    {
        return Iban::No;
    }
    let total = 4 + bban_len(format);
    let mut chars = [0u8; IBAN_MAX];
    chars[..4].copy_from_slice(head);
    let mut n = 4;
    let mut j = s + 4;
    let grouped = b.get(j) == Some(&b' ');
    while n < total.min(IBAN_MAX) {
        if grouped && n % 4 == 0 {
            if b.get(j) != Some(&b' ') {
                return if n > 4 { Iban::Shaped(j) } else { Iban::No };
            }
            j += 1;
        }
        match b.get(j) {
            Some(&c) if is_upper_alnum(c) => chars[n] = c,
            _ => return if n > 8 { Iban::Shaped(j) } else { Iban::No },
        }
        n += 1;
        j += 1;
    }
    if next_char(text, j).is_some_and(is_word) {
        return Iban::Shaped(run_end(b, j, is_upper_alnum));
    }
    let chars = &chars[..n];
    if n != total || !bban_matches(format, &chars[4..]) || !iban_checksum_valid(chars) {
        return Iban::Shaped(j);
    }
    Iban::Valid(j)
}

fn iban_checksum_valid(iban: &[u8]) -> bool {
    let (head, bban) = iban.split_at(4.min(iban.len()));
    let mut rest = 0u32;
    for &c in bban.iter().chain(head) {
        rest = if c.is_ascii_digit() {
            (rest * 10 + u32::from(c - b'0')) % 97
        } else {
            (rest * 100 + u32::from(c - b'A') + 10) % 97
        };
    }
    rest == 1
}

// ----- US SSN -----

/// `AAA-GG-SSSS` (or `.`/space, the same both times), `AAA-GGSSSS`, `AAAGG-SSSS`, or nine
/// bare digits after an SSN keyword. Returns the end, a confidence and the rule.
fn ssn_end(text: &str, b: &[u8], i: usize, keyword: bool) -> Option<(usize, f32, &'static str)> {
    if !clean_number_start(text, i) {
        return None;
    }
    let mut sep = None;
    let end = match digit_run_end(b, i) - i {
        3 => {
            let s = *b.get(i + 3)?;
            let group = i + 4;
            let group_end = digit_run_end(b, group);
            match (s, group_end - group) {
                (b'-' | b'.' | b' ', 2) if b.get(group_end) == Some(&s) => {
                    let serial_end = digit_run_end(b, group_end + 1);
                    if serial_end - (group_end + 1) != 4 {
                        return None;
                    }
                    sep = Some(s);
                    serial_end
                }
                (b'-', 6) => group_end,
                _ => return None,
            }
        }
        5 if b.get(i + 5) == Some(&b'-') => {
            let serial_end = digit_run_end(b, i + 6);
            if serial_end - (i + 6) != 4 {
                return None;
            }
            serial_end
        }
        9 if keyword => i + 9,
        _ => return None,
    };
    if !clean_number_end(text, b, end)
        || sep.is_some_and(|s| {
            b.get(end) == Some(&s) && b.get(end + 1).is_some_and(u8::is_ascii_digit)
        })
    {
        return None;
    }
    let mut digits = [0u16; 9];
    let mut n = 0;
    for &c in b.get(i..end)?.iter().filter(|c| c.is_ascii_digit()) {
        *digits.get_mut(n)? = u16::from(c - b'0');
        n += 1;
    }
    let area = digits[0] * 100 + digits[1] * 10 + digits[2];
    let group = digits[3] * 10 + digits[4];
    let serial = digits[5] * 1000 + digits[6] * 100 + digits[7] * 10 + digits[8];
    if n != 9 || area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return None;
    }
    Some(if keyword {
        (end, 0.85, "sensitive.us_ssn.keyword")
    } else if sep.is_none_or(|s| s == b'-') {
        (end, 0.6, "sensitive.us_ssn.format")
    } else {
        (end, 0.5, "sensitive.us_ssn.format")
    })
}

// ----- IP addresses -----

/// Four dotted octets 0–255 (no leading zeros) from `i`; returns the end.
fn dotted_quad_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for part in 0..4 {
        if part > 0 {
            if b.get(j) != Some(&b'.') {
                return None;
            }
            j += 1;
        }
        let end = digit_run_end(b, j);
        let octet = b.get(j..end)?;
        if octet.is_empty() || octet.len() > 3 || (octet.len() > 1 && octet[0] == b'0') {
            return None;
        }
        let value = octet
            .iter()
            .fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        if value > 255 {
            return None;
        }
        j = end;
    }
    Some(j)
}

/// An IPv4 address not glued to a word and not part of a longer dotted number.
fn ipv4_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    match prev_char(text, i) {
        Some(c) if is_word(c) => return None,
        Some('.') if i >= 2 && b[i - 2].is_ascii_digit() => return None,
        _ => {}
    }
    let end = dotted_quad_end(b, i)?;
    match next_char(text, end) {
        Some(c) if is_word(c) => None,
        Some('.') if b.get(end + 1).is_some_and(u8::is_ascii_digit) => None,
        _ => Some(end),
    }
}

/// Parses IPv6 text from `s`: returns the end and the number of 16-bit groups given.
fn parse_ipv6(b: &[u8], s: usize) -> Option<(usize, usize)> {
    let mut i = s;
    let mut groups = 0;
    let mut double = false;
    if b.get(i) == Some(&b':') {
        if b.get(i + 1) != Some(&b':') {
            return None;
        }
        double = true;
        i += 2;
        if b.get(i) == Some(&b':') {
            return None;
        }
    }
    loop {
        let hex_end = run_end(b, i, |c| c.is_ascii_hexdigit());
        if hex_end == i {
            break;
        }
        let piece = b.get(i..hex_end)?;
        let dotted =
            b.get(hex_end) == Some(&b'.') && b.get(hex_end + 1).is_some_and(u8::is_ascii_digit);
        if dotted && piece.iter().all(u8::is_ascii_digit) {
            // An embedded IPv4 address ends the address and stands for two groups.
            if groups == 0 && !double {
                return None;
            }
            i = dotted_quad_end(b, i)?;
            groups += 2;
            break;
        }
        if piece.len() > 4 {
            return None;
        }
        groups += 1;
        i = hex_end;
        if b.get(i) != Some(&b':') {
            break;
        }
        if b.get(i + 1) == Some(&b':') {
            if double || b.get(i + 2) == Some(&b':') {
                return None;
            }
            double = true;
            i += 2;
        } else if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        } else {
            // A colon ending the sentence, not the address.
            break;
        }
    }
    let complete = if double { groups <= 7 } else { groups == 8 };
    complete.then_some((i, groups))
}

/// An IPv6 address at `s` with its boundaries checked and its zone id (`%eth0`) included.
fn ipv6_end(text: &str, b: &[u8], s: usize) -> Option<usize> {
    let (mut end, groups) = parse_ipv6(b, s)?;
    let prev = prev_char(text, s);
    if groups == 0 {
        // The unspecified address `::` counts only as a word on its own.
        let prev_ok =
            prev.is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '"' | '\'' | '`'));
        let next_ok = match next_char(text, end) {
            None => true,
            Some(c)
                if c.is_whitespace() || matches!(c, ')' | ']' | '"' | '\'' | '`' | ',' | ';') =>
            {
                true
            }
            Some('.') => !next_char(text, end + 1).is_some_and(is_word),
            _ => false,
        };
        return (prev_ok && next_ok).then_some(end);
    }
    if b.get(s) == Some(&b':') {
        // `text::ffff:192.0.2.1` is an address after a word, `MyClass::add` is code.
        if prev.is_some_and(is_word) && groups < 2 {
            return None;
        }
    } else if prev.is_some_and(|c| is_word(c) || c == '.') {
        return None;
    }
    // Real addresses have a digit somewhere; `Cafe::bad` does not.
    if !b.get(s..end)?.iter().any(u8::is_ascii_digit) {
        return None;
    }
    if b.get(end) == Some(&b'%') {
        let zone_end = run_end(b, end + 1, is_b64url);
        if zone_end > end + 1 {
            end = zone_end;
        }
    }
    match next_char(text, end) {
        Some(c) if is_word(c) => None,
        Some('.') if b.get(end + 1).is_some_and(u8::is_ascii_digit) => None,
        Some(':') if next_char(text, end + 1).is_some_and(is_word) => None,
        _ => Some(end),
    }
}

// ----- e-mail -----

/// `local@domain.tld` around the `@` at `at`: a domain of at least two labels and a TLD
/// of two or more letters or punycode.
fn email_span(text: &str, b: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut start = at;
    for (k, c) in text.get(..at)?.char_indices().rev() {
        if c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'') {
            start = k;
        } else {
            break;
        }
    }
    while start < at && matches!(b.get(start), Some(b'.' | b'\'')) {
        start += 1;
    }
    if start == at || b.get(at - 1) == Some(&b'.') {
        return None;
    }
    let mut end = at + 1;
    for (k, c) in text.get(at + 1..)?.char_indices() {
        if c.is_alphanumeric() || c == '-' || c == '.' {
            end = at + 1 + k + c.len_utf8();
        } else {
            break;
        }
    }
    while end > at + 1 && matches!(b.get(end - 1), Some(b'.' | b'-')) {
        end -= 1;
    }
    let domain = text.get(at + 1..end)?;
    let mut labels = 0;
    let mut tld = "";
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
            return None;
        }
        labels += 1;
        tld = label;
    }
    let letters = tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic);
    let punycode = tld.len() > 4 && tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
    (labels >= 2 && (letters || punycode)).then_some((start, end))
}

// ----- phone numbers -----

/// `+` country code and 7–14 more digits in groups joined by single spaces, dashes, dots
/// or one pair of parentheses (`+44 (0)20 7946 0958`; the trunk `(0)` does not count).
fn intl_phone_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    if prev_char(text, i).is_some_and(is_word) || !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut j = i + 1;
    let mut digits = 0;
    let mut open = false;
    let mut used_paren = false;
    // Where the number could end if what follows a space turns out to be something else:
    // `+49 30 1234567 10.0.0.1`.
    let mut before_space = None;
    let end = loop {
        let group_end = digit_run_end(b, j);
        let trunk = open
            && group_end - j == 1
            && b.get(j) == Some(&b'0')
            && b.get(group_end) == Some(&b')');
        if !trunk {
            digits += group_end - j;
        }
        if digits > 15 {
            return before_space;
        }
        if !open && (8..=15).contains(&digits) && b.get(group_end) == Some(&b' ') {
            before_space = Some(group_end);
        }
        let mut k = group_end;
        let closing = open && b.get(k) == Some(&b')');
        if closing {
            k += 1;
        }
        if matches!(b.get(k), Some(b' ' | b'-' | b'.')) {
            k += 1;
        }
        let opening = !open && !used_paren && b.get(k) == Some(&b'(');
        if opening {
            k += 1;
        }
        if k == group_end || !b.get(k).is_some_and(u8::is_ascii_digit) {
            if open {
                return before_space;
            }
            break group_end;
        }
        if closing {
            open = false;
        }
        if opening {
            open = true;
            used_paren = true;
        }
        j = k;
    };
    if (8..=15).contains(&digits) && clean_number_end(text, b, end) {
        Some(end)
    } else {
        before_space
    }
}

/// Three digits, the first 2–9: a NANP area code or exchange. Returns the end.
fn nanp_triple(b: &[u8], j: usize) -> Option<usize> {
    (matches!(b.get(j), Some(b'2'..=b'9')) && digit_run_end(b, j) == j + 3).then_some(j + 3)
}

/// Four digits and a clean end, not followed by another group with the same separator.
fn nanp_line_end(text: &str, b: &[u8], line: usize, sep: u8) -> Option<usize> {
    let end = digit_run_end(b, line);
    let continued = b.get(end) == Some(&sep) && b.get(end + 1).is_some_and(u8::is_ascii_digit);
    (end - line == 4 && clean_number_end(text, b, end) && !continued).then_some(end)
}

/// `415-555-0132`, `415.555.0132`, `415 555 0132`, optionally after `1-`.
fn nanp_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    if !clean_number_start(text, i) {
        return None;
    }
    let mut j = i;
    let lead = b.get(i + 1).copied();
    if b.get(i) == Some(&b'1')
        && matches!(lead, Some(b'-' | b'.' | b' '))
        && digit_run_end(b, i + 2) == i + 5
    {
        j = i + 2;
    }
    let area = nanp_triple(b, j)?;
    let sep = *b.get(area)?;
    if !matches!(sep, b'-' | b'.' | b' ') || (j != i && lead != Some(sep)) {
        return None;
    }
    let exchange = nanp_triple(b, area + 1)?;
    if b.get(exchange) != Some(&sep) {
        return None;
    }
    nanp_line_end(text, b, exchange + 1, sep)
}

/// `(415) 555-0132`.
fn nanp_paren_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    if prev_char(text, i).is_some_and(is_word) {
        return None;
    }
    let area = nanp_triple(b, i + 1)?;
    if b.get(area) != Some(&b')') {
        return None;
    }
    let mut j = area + 1;
    if b.get(j) == Some(&b' ') {
        j += 1;
    }
    let exchange = nanp_triple(b, j)?;
    let sep = *b.get(exchange)?;
    if !matches!(sep, b'-' | b'.' | b' ') {
        return None;
    }
    nanp_line_end(text, b, exchange + 1, sep)
}

/// National numbers with a trunk `0` and separators (`030 1234567`, `052-5552606`,
/// `01 42 68 53 00`, `030/1234567`), 9–12 digits. Without a separator a number is more
/// likely an order or account number, so it is not read as a phone number.
fn national_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'0') || !clean_number_start(text, i) || follows_code_fragment(text, i) {
        return None;
    }
    let mut groups = [(0, 0); 8];
    let mut seps = [0u8; 8];
    let mut count = 0;
    let mut dotted = false;
    let mut j = i;
    while count < groups.len() {
        let end = digit_run_end(b, j);
        groups[count] = (j, end);
        count += 1;
        let (Some(&s), Some(d)) = (b.get(end), b.get(end + 1)) else {
            break;
        };
        // Dots only throughout (`01.42.68.53.00`); a slash only after the area code.
        let ok = d.is_ascii_digit()
            && match s {
                b'.' => count == 1 || dotted,
                b' ' | b'-' => !dotted,
                b'/' => count == 1,
                _ => false,
            };
        if !ok {
            break;
        }
        dotted = s == b'.';
        seps[count - 1] = s;
        j = end + 1;
    }
    let len = |g: &(usize, usize)| g.1 - g.0;
    for k in (2..=count).rev() {
        let used = &groups[..k];
        let total: usize = used.iter().map(len).sum();
        let shaped = (9..=12).contains(&total)
            && (2..=5).contains(&len(&used[0]))
            && used[1..].iter().all(|g| (2..=8).contains(&len(g)))
            && (!dotted || (k >= 3 && used.iter().all(|g| len(g) <= 4)));
        // `05-11-2026 14`: a date, not a phone number.
        let date = k >= 3 && len(&used[0]) == 2 && len(&used[1]) == 2 && len(&used[2]) == 4;
        // `078-05-0000`: the shape of an SSN (valid ones are reported as such), not a phone.
        let ssn_shaped = k == 3 && len(&used[0]) == 3 && len(&used[1]) == 2 && len(&used[2]) == 4;
        if !shaped || date || ssn_shaped || (k < count && seps[k - 1] != b' ') {
            continue;
        }
        let end = used[k - 1].1;
        if clean_number_end(text, b, end) {
            return Some(end);
        }
    }
    None
}

/// Whether the digits at `i` continue a chain of short code groups joined by single spaces
/// (`HR12 001 0051 …`, `GI75 aWBK 0000 …`, a tracking number's `9405 5036 9930 0012 …`):
/// they belong to an account, tracking or reference code, not to a phone number.
fn follows_code_fragment(text: &str, i: usize) -> bool {
    let mut rest = text.get(..i).unwrap_or("");
    for _ in 0..6 {
        let Some(before) = rest.strip_suffix(' ') else {
            return false;
        };
        let word = before
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        if word.is_empty() || word.len() > 6 || !word.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        if word.bytes().any(|c| c.is_ascii_digit()) {
            return true;
        }
        // Capitals after the first letter (`aWBK`, `TRAJ`) are a code group; `Tel` or
        // `on` is prose, and the number after it may well be a phone.
        if !word.bytes().skip(1).any(|c| c.is_ascii_uppercase()) {
            return false;
        }
        rest = before.get(..before.len() - word.len()).unwrap_or("");
    }
    false
}

// ----- crypto -----

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A Base58Check P2PKH (`1…`) or P2SH (`3…`) address whose double-SHA-256 checksum
/// verifies.
fn base58check_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    let version = match b.get(i)? {
        b'1' => 0,
        b'3' => 5,
        _ => return None,
    };
    if prev_char(text, i).is_some_and(is_word) {
        return None;
    }
    let end = run_end(b, i, is_alnum);
    let token = b.get(i..end)?;
    if !(25..=34).contains(&token.len()) || next_char(text, end).is_some_and(is_word) {
        return None;
    }
    let mut raw = [0u8; 25];
    for &c in token {
        let mut carry = u32::try_from(BASE58.iter().position(|&x| x == c)?).ok()?;
        for byte in raw.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return None;
        }
    }
    // Leading `1`s encode leading zero bytes; the decoded address is exactly 25 bytes.
    let ones = token.iter().take_while(|&&c| c == b'1').count();
    let zeros = raw.iter().take_while(|&&x| x == 0).count();
    if zeros != ones || raw[0] != version {
        return None;
    }
    let check = Sha256::digest(Sha256::digest(&raw[..21]));
    (check[..4] == raw[21..]).then_some(end)
}

const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bech32_polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk = 1u32;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (k, g) in GEN.iter().enumerate() {
            if (top >> k) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A `bc1…` SegWit address whose Bech32 (v0) or Bech32m (v1+) checksum verifies.
fn bech32_end(text: &str, b: &[u8], i: usize) -> Option<usize> {
    let end = run_end(b, i, is_alnum);
    let token = b.get(i..end)?;
    if !(14..=74).contains(&token.len()) || next_char(text, end).is_some_and(is_word) {
        return None;
    }
    if token.iter().any(u8::is_ascii_lowercase) && token.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    let mut data = [0u8; 71];
    for (slot, &c) in data.iter_mut().zip(&token[3..]) {
        let value = BECH32_CHARSET
            .iter()
            .position(|&x| x == c.to_ascii_lowercase())?;
        *slot = u8::try_from(value).ok()?;
    }
    let data = &data[..token.len() - 3];
    let version = *data.first()?;
    // The human-readable part `bc`, expanded as BIP-173 prescribes.
    let hrp = [3, 3, 0, 2, 3];
    let checksum = bech32_polymod(hrp.into_iter().chain(data.iter().copied()));
    let valid = match version {
        0 => checksum == 1 && (token.len() == 42 || token.len() == 62),
        1..=16 => checksum == 0x2bc8_30a3,
        _ => false,
    };
    valid.then_some(end)
}

// ----- JWT -----

fn b64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'-' | b'+' => Some(62),
        b'_' | b'/' => Some(63),
        _ => None,
    }
}

fn b64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in input {
        acc = (acc << 6) | b64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `header.payload.signature` in base64url, header and payload decoding to JSON objects.
fn jwt_end(text: &str, b: &[u8], start: usize) -> Option<usize> {
    let header_end = run_end(b, start, is_b64url);
    let payload = header_end + 1;
    let payload_end = run_end(b, payload, is_b64url);
    let signature = payload_end + 1;
    let end = run_end(b, signature, is_b64url);
    if header_end - start < 10
        || b.get(header_end) != Some(&b'.')
        || payload_end - payload < 10
        || b.get(payload_end) != Some(&b'.')
        || end - signature < 8
        || next_char(text, end).is_some_and(is_word)
    {
        return None;
    }
    let header = b64_decode(b.get(start..header_end)?)?;
    let header = String::from_utf8_lossy(&header);
    let payload_head = b64_decode(b.get(payload..payload + 4)?)?;
    let json = header.trim_start().starts_with('{') && header.trim_end().ends_with('}');
    (json && payload_head.first() == Some(&b'{')).then_some(end)
}

// ----- passwords and secret assignments -----

/// Words between a password label and its `:` that mean the text is about passwords, not
/// giving one: "Password reset: done", "Password policy: 12 characters".
const PASSWORD_TOPICS: &[&str] = &[
    "reset",
    "manager",
    "policy",
    "change",
    "changed",
    "expired",
    "expires",
    "expiry",
    "hint",
    "length",
    "strength",
    "protected",
    "link",
    "page",
    "recovery",
    "rules",
    "field",
    "update",
    "updated",
    "requirements",
    "requirement",
    "required",
];

/// How a password label introduces its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordSep {
    Colon,
    Equals,
    /// `is`, `ist`, `est`, `es`: prose, so the value must look like a password.
    Copula,
}

const COPULAS: &[&str] = &["is", "ist", "est", "es"];

/// Values after a password label that are not passwords.
const NOT_PASSWORDS: &[&str] = &[
    "required",
    "none",
    "unchanged",
    "same",
    "hidden",
    "redacted",
    "protected",
    "provided",
    "sent",
    "separately",
    "below",
    "above",
    "attached",
    "empty",
    "blank",
    "optional",
];

/// The value after a password keyword at `start..end`, if one is given.
fn password_value(text: &str, b: &[u8], start: usize, end: usize) -> Option<(usize, usize)> {
    // Meeting links carry their passcode by design (`zoom.us/j/…?pwd=…`) and are sent to
    // every invitee; holding each one would hold most scheduling e-mails.
    if prev_char(text, start).is_some_and(char::is_alphabetic) || in_url(text, start, end) {
        return None;
    }
    // The separator must come within a few characters: "Password for the VPN: …".
    let limit = (end + 24).min(b.len());
    let mut j = end;
    let sep = loop {
        let c = *b.get(j).filter(|_| j < limit)?;
        match c {
            b':' => {
                j += 1;
                break PasswordSep::Colon;
            }
            b'=' => {
                j += 1;
                break PasswordSep::Equals;
            }
            b' ' | b'\t' | b'(' | b')' | b'"' | b'\'' | b'_' | b'-' => j += 1,
            c if c.is_ascii_alphabetic() => {
                let word_end = run_end(b, j, |x| x.is_ascii_alphabetic());
                let word = text.get(j..word_end)?;
                if PASSWORD_TOPICS.iter().any(|t| word.eq_ignore_ascii_case(t)) {
                    return None;
                }
                let after_space = b.get(j - 1) == Some(&b' ');
                j = word_end;
                if after_space && COPULAS.iter().any(|w| word.eq_ignore_ascii_case(w)) {
                    if b.get(j) == Some(&b':') {
                        j += 1;
                    }
                    break PasswordSep::Copula;
                }
            }
            _ => return None,
        }
    };
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    let quote = b
        .get(j)
        .copied()
        .filter(|c| matches!(c, b'"' | b'\'' | b'`'));
    if quote.is_some() {
        j += 1;
    }
    let value_start = j;
    let rest = text.get(value_start..)?;
    let mut value_end = value_start + rest.find(char::is_whitespace).unwrap_or(rest.len());
    if let Some(q) = quote
        && let Some(close) = find_byte(b, value_start, q).filter(|&c| c < value_end)
    {
        value_end = close;
    }
    while value_end > value_start
        && matches!(
            b.get(value_end - 1),
            Some(b'.' | b',' | b';' | b'"' | b'\'' | b'`')
        )
    {
        value_end -= 1;
    }
    let value = text.get(value_start..value_end)?;
    if value.ends_with(')') && !value.contains('(') {
        value_end -= 1;
    }
    let value = text.get(value_start..value_end)?;
    if value.chars().count() < 4
        || value
            .chars()
            .all(|c| matches!(c, '*' | '•' | 'x' | 'X' | '.' | '_' | '-'))
        || value.starts_with(['<', '{', '[', '$', '%'])
        || value
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("http"))
        || NOT_PASSWORDS.iter().any(|w| value.eq_ignore_ascii_case(w))
    {
        return None;
    }
    // Prose after a label ("Password: please reset it", "the password is correct") is
    // plain words; a password given in words alone must end its line after a colon.
    let secret_like =
        value.chars().any(|c| !c.is_alphabetic()) || value.chars().skip(1).any(char::is_uppercase);
    let line_ends = text
        .get(value_end..)?
        .split('\n')
        .next()
        .is_none_or(|tail| tail.trim().is_empty());
    let accepted = match sep {
        PasswordSep::Equals => true,
        PasswordSep::Colon => secret_like || line_ends,
        PasswordSep::Copula => secret_like,
    };
    accepted.then_some((value_start, value_end))
}

/// The value of `key = …`, `"api_token": "…"`, `secret …`, `Bearer …` at `start..end`,
/// when it is long (16+) and mixes letters and digits.
fn assigned_secret(
    text: &str,
    b: &[u8],
    start: usize,
    end: usize,
    spaced: bool,
) -> Option<(usize, usize)> {
    // Not inside a word, except camelCase: `apiKey`, `clientSecret`.
    if let Some(p) = prev_char(text, start)
        && p.is_alphabetic()
        && !(p.is_lowercase() && b.get(start).is_some_and(u8::is_ascii_uppercase))
    {
        return None;
    }
    // The rest of an identifier: `key_id`, `token_value`, `secretAccessKey`.
    let mut j = run_end(b, end, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
    });
    if j - end > 20 {
        return None;
    }
    if matches!(b.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    let gap = j;
    while matches!(b.get(j), Some(b' ' | b'\t')) && j - gap < 3 {
        j += 1;
    }
    let strong = match b.get(j) {
        Some(b':' | b'=') => {
            j += 1;
            if matches!(b.get(j), Some(b'=' | b'>')) {
                j += 1;
            }
            true
        }
        _ if spaced && j > gap => false,
        _ => return None,
    };
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    if matches!(b.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    let value_start = j;
    // After `:` or `=` a value may hold the symbols generated passwords and pre-shared keys
    // use (`psk: 9vR#t4Lq!…`); after a plain space only key alphabets count.
    let mut value_end = run_end(b, value_start, |c| {
        c.is_ascii_alphanumeric()
            || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'~')
            || (strong && matches!(c, b'#' | b'!' | b'$' | b'%' | b'&' | b'*' | b'^'))
    });
    while value_end > value_start && b.get(value_end - 1) == Some(&b'.') {
        value_end -= 1;
    }
    let value = b.get(value_start..value_end)?;
    let min = if strong { 16 } else { 20 };
    let mixed = value.iter().any(u8::is_ascii_digit) && value.iter().any(u8::is_ascii_alphabetic);
    // Followed by `@` it is an e-mail address, by `:` a URL or a time.
    let next = b.get(value_end).copied();
    let url_or_mail = matches!(next, Some(b'@' | b':'));
    (value.len() >= min
        && mixed
        && !url_or_mail
        && !next_char(text, value_end).is_some_and(is_word))
    .then_some((value_start, value_end))
}

/// A run of base64 characters that looks like a generated secret: 24+ characters mixing
/// upper, lower and digits, entropy ≥ 4 bits per character, not hex, not words, not part
/// of an address, a URL or a file name.
fn entropy_token(text: &str, b: &[u8], run_start: usize, run_end: usize) -> Option<(usize, usize)> {
    let mut start = run_start;
    while start < run_end && matches!(b.get(start), Some(b'-' | b'_' | b'/' | b'+' | b'=')) {
        start += 1;
    }
    let mut end = run_end;
    while end > start && matches!(b.get(end - 1), Some(b'-' | b'_' | b'/' | b'+')) {
        end -= 1;
    }
    let token = b.get(start..end)?;
    if token.len() < 24 {
        return None;
    }
    let (mut upper, mut lower, mut digit, mut hex) = (0, 0, 0, 0);
    for &c in token {
        upper += usize::from(c.is_ascii_uppercase());
        lower += usize::from(c.is_ascii_lowercase());
        digit += usize::from(c.is_ascii_digit());
        hex += usize::from(c.is_ascii_hexdigit() || c == b'-');
    }
    if upper == 0 || lower == 0 || digit == 0 || hex == token.len() {
        return None;
    }
    // A Bitcoin-shaped string whose checksum failed is a mistyped address, not a secret.
    let bitcoin_shaped = matches!(token.first(), Some(b'1' | b'3'))
        && (25..=36).contains(&token.len())
        && token.iter().all(|c| BASE58.contains(c));
    if bitcoin_shaped {
        return None;
    }
    let prev = prev_char(text, run_start);
    let next = next_char(text, run_end);
    if matches!(prev, Some('@' | '.' | ':')) || next == Some('@') {
        return None;
    }
    if next == Some('.') && next_char(text, run_end + 1).is_some_and(is_word) {
        return None;
    }
    if in_url(text, run_start, run_end) || wordy_share(token) >= 0.5 || shannon_entropy(token) < 4.0
    {
        return None;
    }
    Some((start, end))
}

/// Whether `start..end` lies in a whitespace-delimited word that is a URL.
fn in_url(text: &str, start: usize, end: usize) -> bool {
    let word_start = text
        .get(..start)
        .and_then(|h| h.rfind(char::is_whitespace))
        .map_or(0, |k| k + 1);
    let word_end = text
        .get(end..)
        .and_then(|t| t.find(char::is_whitespace))
        .map_or(text.len(), |k| end + k);
    let word = text.get(word_start..word_end).unwrap_or("");
    word.contains("://") || word.contains("www.")
}

/// The share of a token made of word-like pieces (`Data`, `report`): high for
/// identifiers and file names, low for random keys.
fn wordy_share(token: &[u8]) -> f64 {
    let mut covered = 0;
    let mut k = 0;
    while k < token.len() {
        let start = k;
        if token[k].is_ascii_uppercase() {
            k += 1;
        }
        let lower = k;
        while k < token.len() && token[k].is_ascii_lowercase() {
            k += 1;
        }
        if k - lower >= 3 && k - start >= 4 {
            covered += k - start;
        }
        if k == start {
            k += 1;
        }
    }
    covered as f64 / token.len() as f64
}

fn shannon_entropy(token: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in token {
        counts[usize::from(c)] += 1;
    }
    let n = token.len() as f64;
    counts
        .iter()
        .filter(|&&k| k > 0)
        .map(|&k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

// ----- evidence -----

/// Keeps the first four and last two characters of long values, less of short ones.
fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let keep =
        |r: std::ops::Range<usize>| chars.get(r).unwrap_or_default().iter().collect::<String>();
    if n >= 10 {
        format!("{}***{}", keep(0..4), keep(n - 2..n))
    } else if n >= 6 {
        format!("{}***", keep(0..2))
    } else {
        "***".to_owned()
    }
}

/// Stars every letter and digit but the last two, keeping the separators: `** ** ** *1 B`.
/// National ids carry initials and birth dates in their letters, so those go too.
fn mask_alphanumerics(value: &str) -> String {
    let total = value.chars().filter(char::is_ascii_alphanumeric).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                seen += 1;
                if seen + 2 <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

/// Stars every digit but the last two, keeping the separators: `***-**-**20`.
fn mask_digits(value: &str) -> String {
    let total = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 2 <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(text: &str) -> Vec<Finding> {
        run_with(text, &Signals::default())
    }

    fn run_with(text: &str, signals: &Signals<'_>) -> Vec<Finding> {
        let doc = Document::new("body", text, None);
        let mut out = Vec::new();
        SensitiveDetector::new()
            .detect(&doc, signals, &mut out)
            .expect("detect never fails once built");
        out
    }

    /// `(subtopic, covered text)` of every finding.
    fn found(text: &str) -> Vec<(String, String)> {
        run(text)
            .into_iter()
            .map(|f| (f.subtopic, text[f.start..f.end].to_owned()))
            .collect()
    }

    #[track_caller]
    fn assert_found(text: &str, subtopic: &str, item: &str) {
        let all = found(text);
        assert!(
            all.iter().any(|(s, t)| s == subtopic && t == item),
            "expected {subtopic} `{item}` in {text:?}, got {all:?}"
        );
    }

    #[track_caller]
    fn assert_none(text: &str, subtopic: &str) {
        let all = found(text);
        assert!(
            all.iter().all(|(s, _)| s != subtopic),
            "expected no {subtopic} in {text:?}, got {all:?}"
        );
    }

    #[track_caller]
    fn assert_clean(text: &str) {
        let all = found(text);
        assert!(all.is_empty(), "expected nothing in {text:?}, got {all:?}");
    }

    // ----- credit cards -----

    #[test]
    fn card_numbers_of_every_brand_and_grouping_are_found() {
        for card in [
            "4012-8888-8888-1881",
            "4012 8888 8888 1881",
            "4012888888881881",
            "378282246310005",
            "3782 822463 10005",
            "5555555555554444",
            "2223003122003222",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "100000000000009",
            "6212345678901234569",
            "4111 1111 1111 1111",
        ] {
            assert_found(&format!("Card: {card}, exp 12/27."), "credit_card", card);
        }
    }

    #[test]
    fn card_followed_by_expiry_is_found_without_it() {
        assert_found(
            "pay with 4012888888881881 12/27",
            "credit_card",
            "4012888888881881",
        );
    }

    #[test]
    fn card_lookalikes_are_not_cards() {
        for text in [
            "4012888888881882",  // Luhn fails
            "x4012888888881881", // glued to a letter
            "4012888888881881x",
            "94012888888881881",     // glued to a digit
            "7012888888881884",      // no brand starts with 7 (Luhn-valid)
            "4012 8888-8888 1881",   // mixed separators
            "4012  8888 8888 1881",  // double space
            "4012-8888-8888-1881-2", // part of a longer code
            "#4012888888881881",     // a ticket number
        ] {
            assert_none(text, "credit_card");
        }
        assert!(luhn_valid(b"7012888888881884"));
    }

    #[test]
    fn card_evidence_is_masked() {
        let findings = run("Card 4012-8888-8888-1881 please");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].evidence, "4012***81");
        assert_eq!(findings[0].rule, "sensitive.credit_card.luhn");
        assert!(findings[0].confidence >= 0.8);
    }

    // ----- IBAN -----

    #[test]
    fn ibans_grouped_and_contiguous_are_found() {
        for iban in [
            "DE89 3704 0044 0532 0130 00",
            "DE89370400440532013000",
            "GB82 WEST 1234 5698 7654 32",
            "GB82WEST12345698765432",
            "FR14 2004 1010 0505 0001 3M02 606",
            "NL91ABNA0417164300",
            "CH93 0076 2011 6238 5295 7",
            "NO93 8601 1117 947",
            "AL47 2121 1009 0000 0002 3569 8741",
            "BE68 5390 0754 7034",
        ] {
            assert_found(&format!("IBAN: {iban}."), "iban_code", iban);
        }
    }

    #[test]
    fn iban_lookalikes_are_not_ibans() {
        for text in [
            "DE89 3704 0044 0532 0130 01",  // checksum
            "DE89 3704 0044 0532 0130 0",   // too short
            "DE89 3704 0044 0532 0130 001", // too long
            "DE05 3704 0044 0532 0130 0A",  // valid checksum, letter where DE has digits
            "GB25 1234 1234 5698 7654 32",  // valid checksum, digits where GB has a bank code
            "de89 3704 0044 0532 0130 00",  // lowercase
            "XX89 3704 0044 0532 0130 00",  // no such country
            "DE89 370 400 440 532 013 000", // groups of three
            "ADE89370400440532013000",      // glued to a letter
        ] {
            assert_none(text, "iban_code");
            assert_none(text, "credit_card");
        }
    }

    #[test]
    fn iban_lengths_match_the_registry() {
        let expected = [
            ("AL", 28),
            ("AD", 24),
            ("AT", 20),
            ("AZ", 28),
            ("BH", 22),
            ("BY", 28),
            ("BE", 16),
            ("BA", 20),
            ("BR", 29),
            ("BG", 22),
            ("CR", 22),
            ("HR", 21),
            ("CY", 28),
            ("CZ", 24),
            ("DK", 18),
            ("DO", 28),
            ("TL", 23),
            ("EE", 20),
            ("FO", 18),
            ("FI", 18),
            ("FR", 27),
            ("GE", 22),
            ("DE", 22),
            ("GI", 23),
            ("GR", 27),
            ("GL", 18),
            ("GT", 28),
            ("HU", 28),
            ("IS", 26),
            ("IQ", 23),
            ("IE", 22),
            ("IL", 23),
            ("IT", 27),
            ("JO", 30),
            ("KZ", 20),
            ("XK", 20),
            ("KW", 30),
            ("LV", 21),
            ("LB", 28),
            ("LI", 21),
            ("LT", 20),
            ("LU", 20),
            ("MK", 19),
            ("MT", 31),
            ("MR", 27),
            ("MU", 30),
            ("MD", 24),
            ("MC", 27),
            ("ME", 22),
            ("NL", 18),
            ("NO", 15),
            ("PK", 24),
            ("PS", 29),
            ("PL", 28),
            ("PT", 25),
            ("QA", 29),
            ("RO", 24),
            ("SM", 27),
            ("SA", 24),
            ("RS", 22),
            ("SK", 24),
            ("SI", 19),
            ("ES", 24),
            ("SE", 24),
            ("CH", 21),
            ("TN", 24),
            ("TR", 26),
            ("AE", 23),
            ("GB", 22),
            ("VG", 24),
            ("UA", 29),
            ("SC", 31),
            ("LC", 32),
            ("ST", 25),
            ("SV", 28),
            ("EG", 29),
            ("LY", 25),
            ("SD", 18),
            ("VA", 22),
        ];
        for (cc, len) in expected {
            let format = IBAN_FORMATS
                .iter()
                .find(|(c, _)| c[..] == *cc.as_bytes())
                .map(|f| f.1)
                .unwrap_or_else(|| panic!("{cc} missing"));
            assert_eq!(4 + bban_len(format), len, "{cc}");
            assert!(4 + bban_len(format) <= IBAN_MAX);
        }
    }

    #[test]
    fn iban_evidence_is_masked() {
        let findings = run("Please wire the deposit to DE89 3704 0044 0532 0130 00");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].evidence, "DE89***00");
    }

    // ----- US SSN -----

    #[test]
    fn ssns_in_every_format_are_found() {
        for ssn in [
            "078-05-1120",
            "078.05.1120",
            "078 05 1120",
            "078-051120",
            "07805-1120",
        ] {
            assert_found(&format!("Employee {ssn} on file"), "us_ssn", ssn);
        }
        assert_found("SSN: 078051120", "us_ssn", "078051120");
        assert_found(
            "his social security number is 078051120.",
            "us_ssn",
            "078051120",
        );
    }

    #[test]
    fn ssn_lookalikes_are_not_ssns() {
        for text in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "078-00-1120",
            "078-05-0000",
            "693-09.4444",
            "078051120",
            "1078-05-1120",
            "078-05-11201",
            "078-05-1120-7",
            "SSN 0780511209",
            "Assn 078051120",
        ] {
            assert_none(text, "us_ssn");
        }
        assert_none(
            "ssn was mentioned a long time ago in this very sentence, then 078051120",
            "us_ssn",
        );
    }

    #[test]
    fn ssn_evidence_shows_only_the_last_two_digits() {
        let findings = run("SSN 078-05-1120");
        assert_eq!(findings[0].evidence, "***-**-**20");
        assert!(findings[0].confidence >= 0.8);
    }

    // ----- e-mail -----

    #[test]
    fn email_addresses_are_found() {
        assert_found(
            "write to dana.lee+crm@acme-corp.com today",
            "email_address",
            "dana.lee+crm@acme-corp.com",
        );
        assert_found("x@xn--mller-kva.de", "email_address", "x@xn--mller-kva.de");
        assert_found(
            "user@example.xn--p1ai.",
            "email_address",
            "user@example.xn--p1ai",
        );
        assert_found(
            "(ops@sub.example.co.uk)",
            "email_address",
            "ops@sub.example.co.uk",
        );
        assert_found("müller@bücher.de", "email_address", "müller@bücher.de");
    }

    #[test]
    fn email_lookalikes_are_not_addresses() {
        for text in [
            "info@example.",
            "@handle",
            "user@localhost",
            "a@b.c",
            "me@host.123",
            "user@-x.com",
            ".@x.com",
        ] {
            assert_none(text, "email_address");
        }
    }

    // ----- phone numbers -----

    #[test]
    fn phone_numbers_in_common_formats_are_found() {
        for phone in [
            "+49 30 1234567",
            "+33 1 42 68 53 00",
            "+1-425-882-9090",
            "+44 (0)20 7946 0958",
            "+1 (415) 555-0132",
            "+14155550132",
            "(415) 555-0132",
            "415-555-0132",
            "415.555.0132",
            "1-800-555-0199",
            "052-5552606",
            "030 1234567",
            "030/1234567",
            "020 7946 0958",
            "01 42 68 53 00",
            "01.42.68.53.00",
        ] {
            assert_found(&format!("Call {phone}, thanks."), "phone_number", phone);
        }
    }

    #[test]
    fn numbers_that_are_not_phone_numbers_are_ignored() {
        for text in [
            "We met on 2026-11-25 at 10:30",
            "The budget is $120,000 this year",
            "$1,250,000",
            "version 1.2.3 and 10.0.19045",
            "Order 123456789012 shipped",
            "Our invoice INV-2026-00481 is attached",
            "0301234567",
            "030 1234",
            "01.02.2026",
            "on 05-11-2026 14 people",
            "+20% growth",
            "0.12345678 BTC",
            "Ref #0301234567-12",
            "+1 (415",
            "In 2025 we had 150 200 300 users",
        ] {
            assert_none(text, "phone_number");
        }
    }

    #[test]
    fn phone_already_read_as_card_is_not_a_phone() {
        let all = found("4012 8888 8888 1881");
        assert_eq!(
            all,
            [("credit_card".to_owned(), "4012 8888 8888 1881".to_owned())]
        );
    }

    // ----- IP addresses -----

    #[test]
    fn ipv4_addresses_are_found() {
        assert_found("server 192.168.1.1 is down", "ip_address", "192.168.1.1");
        assert_found("IP: 192.168.1.1.", "ip_address", "192.168.1.1");
        assert_found("ssh root@10.0.0.255", "ip_address", "10.0.0.255");
        assert_found("range 10.1.2.0/24", "ip_address", "10.1.2.0");
    }

    #[test]
    fn ipv4_lookalikes_are_not_addresses() {
        for text in [
            "text192.168.1.1",
            "192.168.1",
            "1.2.3.4.5",
            "256.1.1.1",
            "192.168.01.1",
            "192.168.1.1x",
            "v1.2.3.4",
        ] {
            assert_none(text, "ip_address");
        }
    }

    #[test]
    fn ipv6_addresses_are_found() {
        for (text, ip) in [
            ("at 2001:db8::1 now", "2001:db8::1"),
            ("fe80::1", "fe80::1"),
            ("ping ::1", "::1"),
            ("bind to :: please", "::"),
            ("::", "::"),
            ("mapped ::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("2001:db8:1::192.0.2.1", "2001:db8:1::192.0.2.1"),
            ("fe80::1%eth0 is the link", "fe80::1%eth0"),
            ("url http://[2001:db8::1]:8080/", "2001:db8::1"),
            ("ssh user@2001:db8::1", "2001:db8::1"),
            (
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            ),
            ("text::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("Reach fe80::1.", "fe80::1"),
        ] {
            assert_found(text, "ip_address", ip);
        }
    }

    #[test]
    fn ipv6_lookalikes_are_not_addresses() {
        for text in [
            "12345:db8::1",
            "2001::db8::1",
            ":::",
            "fe80::1text",
            "::ffff:999.0.2.1",
            "aa:bb:cc:dd:ee:ff",
            "1:2:3:4",
            "abc:def:ghi",
            "MyClass::toString",
            "We met at 10:30",
            "10:30:45",
            "Foo::add()",
            "std::vector",
            "Note:: this",
            "Cafe::bad",
        ] {
            assert_none(text, "ip_address");
        }
    }

    #[test]
    fn ipv4_inside_ipv6_is_reported_once() {
        assert_eq!(found("::ffff:192.0.2.1").len(), 1);
    }

    // ----- crypto -----

    #[test]
    fn bitcoin_addresses_with_valid_checksums_are_found() {
        for addr in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
            "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
        ] {
            assert_found(&format!("send to {addr}."), "crypto", addr);
        }
    }

    #[test]
    fn bitcoin_lookalikes_are_not_addresses() {
        for text in [
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2x",
            "x1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdqq",
            "bc1QAR0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert_none(text, "crypto");
        }
    }

    // ----- private keys and JWT -----

    #[test]
    fn private_key_block_is_found_through_its_end_line() {
        let text = "Here:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----\nthanks";
        let findings = run(text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let f = &findings[0];
        assert_eq!(f.subtopic, "private_key");
        assert!(text[f.start..f.end].ends_with("-----END RSA PRIVATE KEY-----"));
        assert_eq!(f.evidence, "-----BEGIN RSA PRIVATE KEY-----");
        assert_found(
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "private_key",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        );
        assert_found(
            "-----BEGIN PRIVATE KEY-----\nabc",
            "private_key",
            "-----BEGIN PRIVATE KEY-----",
        );
    }

    #[test]
    fn public_keys_and_certificates_are_not_private_keys() {
        assert_clean("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----");
        assert_clean("-----BEGIN CERTIFICATE-----");
    }

    #[test]
    fn jwt_is_found_and_masked() {
        let jwt = concat!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
            ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        );
        let text = format!("Authorization: Bearer {jwt}");
        assert_found(&text, "jwt", jwt);
        let findings = run(&text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].evidence, "eyJh***5c");
    }

    #[test]
    fn jwt_lookalikes_are_not_tokens() {
        assert_none(
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24gYXQgYWxs.c2lnbmF0dXJlaGVyZQ",
            "jwt",
        );
        assert_none("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "jwt");
    }

    // ----- API keys -----

    #[test]
    fn provider_keys_are_found() {
        let keys = [
            (concat!("AKIA", "IOSFODNN7EXAMPLE"), "sensitive.api_key.aws"),
            (concat!("ASIA", "Y34FZKBOKMUTVV7A"), "sensitive.api_key.aws"),
            (
                concat!("sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
                "sensitive.api_key.stripe",
            ),
            (
                concat!("sk_test_", "4eC39HqLyjWDarjtT1zdp7dc"),
                "sensitive.api_key.stripe",
            ),
            (
                concat!("rk_live_", "51H8dKzL2eZvKYlo2Cq7Ab"),
                "sensitive.api_key.stripe",
            ),
            (
                concat!("pk_live_", "TYooMQauvdEDq54NiTphI7jx"),
                "sensitive.api_key.stripe",
            ),
            (
                concat!("ghp_", "16C7e42F292c6912E7710c838347Ae178B4a"),
                "sensitive.api_key.github",
            ),
            (
                concat!("gho_", "16C7e42F292c6912E7710c838347Ae178B4a"),
                "sensitive.api_key.github",
            ),
            (
                concat!(
                    "github_pat_",
                    "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF"
                ),
                "sensitive.api_key.github",
            ),
            (
                concat!(
                    "xoxb-",
                    "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
                ),
                "sensitive.api_key.slack",
            ),
            (
                concat!("xoxp-", "123456789012-1234567890123"),
                "sensitive.api_key.slack",
            ),
            (
                concat!(
                    "https://hooks.slack.com/services/",
                    "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
                ),
                "sensitive.api_key.slack_webhook",
            ),
            (
                concat!("AIza", "SyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
                "sensitive.api_key.google",
            ),
            (
                concat!("sk-", "proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"),
                "sensitive.api_key.openai",
            ),
            (
                concat!("sk-", "ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w"),
                "sensitive.api_key.anthropic",
            ),
            (
                concat!("glpat-", "xY3kP9qR2sT5vW8zA1bC"),
                "sensitive.api_key.gitlab",
            ),
            (
                concat!("npm_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
                "sensitive.api_key.npm",
            ),
            (
                concat!(
                    "SG.",
                    "ngeVfQFYQlKU0ufo8x5d1A",
                    ".TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr"
                ),
                "sensitive.api_key.sendgrid",
            ),
            (
                concat!("SK", "0123456789abcdef0123456789abcdef"),
                "sensitive.api_key.twilio",
            ),
        ];
        for (key, rule) in keys {
            let text = format!("use {key} for the sandbox");
            let findings = run(&text);
            assert_eq!(findings.len(), 1, "{key}: {findings:?}");
            let f = &findings[0];
            assert_eq!(
                (f.subtopic.as_str(), f.rule.as_str()),
                ("api_key", rule),
                "{key}"
            );
            assert_eq!(&text[f.start..f.end], key);
            assert!(f.confidence >= 0.8);
            assert!(
                !f.evidence.contains(&key[6..]),
                "evidence must be masked: {}",
                f.evidence
            );
        }
    }

    #[test]
    fn prefix_lookalikes_are_not_keys() {
        for text in [
            "AKIA is the prefix",
            concat!("AKIA", "IOSFODNN7EXAMPLEX"),
            "ASIA PACIFIC REGION",
            "a risk-free trial with task-based pricing and desk-sharing",
            "sk-this-is-not-a-key-at-all-really",
            "ASKING about SKU SK1234",
            "SG. Singapore office",
            "npm_modules",
            "xoxb-abc",
            concat!("xAKIA", "IOSFODNN7EXAMPLE"),
        ] {
            assert_none(text, "api_key");
        }
    }

    #[test]
    fn high_entropy_secrets_are_found() {
        assert_found(
            "the secret is q8ZrT2vLx9PmK4sWn7YbC3dF, keep it",
            "api_key",
            "q8ZrT2vLx9PmK4sWn7YbC3dF",
        );
        assert_found(
            "blob: Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MA== end",
            "api_key",
            "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MA==",
        );
        let f = run("q8ZrT2vLx9PmK4sWn7YbC3dF");
        assert_eq!(f[0].rule, "sensitive.api_key.entropy");
        assert!(f[0].confidence >= 0.5);
    }

    #[test]
    fn shas_urls_addresses_and_identifiers_are_not_secrets() {
        for text in [
            "commit da39a3ee5e6b4b0d3255bfef95601890afd80709 fixed it",
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
            "id 123e4567-e89b-12d3-a456-426614174000",
            "see https://docs.example.com/Guides/Setup2026/GettingStartedWithAcme3 now",
            "Q4PlanningReviewMeeting2026Final",
            "file Quarterly_Business_Review_2026_v3.pdf attached",
            "InternationalizationFramework2026Handler",
            "write to q8ZrT2vLx9PmK4sWn7YbC3dF@example.com",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaA1",
            "/Users/Dana/Documents/Proposals/Acme2026/Final",
        ] {
            assert_none(text, "api_key");
        }
    }

    #[test]
    fn secret_assignments_are_found() {
        assert_found(
            "api_key = 'a1b2c3d4e5f6g7h8i9'",
            "api_key",
            "a1b2c3d4e5f6g7h8i9",
        );
        assert_found(
            "\"access_token\": \"abcd1234efgh5678ijkl\"",
            "api_key",
            "abcd1234efgh5678ijkl",
        );
        assert_found(
            "token: 9f86d081884c7d659a2feaa0c55ad015",
            "api_key",
            "9f86d081884c7d659a2feaa0c55ad015",
        );
        assert_found(
            "secret abcd1234efgh5678ijkl9",
            "api_key",
            "abcd1234efgh5678ijkl9",
        );
        assert_found("apiKey=abcd1234efgh5678", "api_key", "abcd1234efgh5678");
        let f = run("key=abcd1234efgh5678");
        assert_eq!(f[0].rule, "sensitive.api_key.assignment");
    }

    #[test]
    fn key_and_token_in_prose_are_not_secrets() {
        for text in [
            "The key takeaway: pricing matters.",
            "Key: Our goal for 2026",
            "a token of appreciation",
            "monkey=abcd1234efgh5678",
            "key: 1234567890123456",
            "token short1234",
        ] {
            assert_none(text, "api_key");
        }
    }

    // ----- passwords -----

    #[test]
    fn passwords_after_labels_are_found() {
        for (text, value) in [
            ("password: hunter22", "hunter22"),
            ("Passwort: Sommer2026!", "Sommer2026!"),
            ("pwd=abcd", "abcd"),
            ("mot de passe : Soleil#42", "Soleil#42"),
            ("la contraseña es Clave2026", "Clave2026"),
            ("wachtwoord: Geheim123", "Geheim123"),
            ("Kennwort = Xy7!abcd", "Xy7!abcd"),
            ("The password is Tr0ub4dor&3.", "Tr0ub4dor&3"),
            ("Password for the VPN: x9!kLm22", "x9!kLm22"),
            ("PASSCODE: 482913", "482913"),
            ("passwd=\"s3cr3t pass\"", "s3cr3t"),
            ("Password:\thunter", "hunter"),
        ] {
            assert_found(text, "password", value);
        }
        assert_eq!(run("password: hunter22")[0].evidence, "h***");
    }

    #[test]
    fn talk_about_passwords_is_not_a_password() {
        for text in [
            "Please reset your password",
            "We recommend a password manager.",
            "forgot password? click here",
            "Your password is required",
            "Password: ********",
            "the password is reset every 90 days",
            "Password reset: done",
            "Password: please reset it today",
            "password: <your password>",
            "Password: required",
            "passwords are stored hashed",
            "Password: see https://example.com/reset",
            "compassword: abcdef1",
            "Join: https://zoom.us/j/92345678901?pwd=QWxhZGRpbjpPcGVuU2VzYW1l",
        ] {
            assert_none(text, "password");
        }
    }

    #[test]
    fn a_realistic_renewal_email_full_of_numbers_reports_only_contacts() {
        let text = "Recap for Acme GmbH (customer ID 4471-2290, PO 4500123456).\n\
            Pricing: 1,250 seats x EUR 42.50 = EUR 53.125,00 per year, 8% uplift cap, $1,250,000 total.\n\
            Kickoff 2026-11-25 at 10:30 CET, go-live 01.03.2027, review 15/03/2027 14:00-15:30.\n\
            Ticket #48213, ACME-1234, build 2026.11.3, API v2.4.1, SDK 3.12.0-beta.2, 10.0.19045.2965.\n\
            Docs: https://docs.vendor.example/api/v2/Authentication/OAuth2ClientCredentialsFlow\n\
            Record 0065g00000XyZabAAB, commit 3f786850e387550fdab836ed7e6dc881de23001b.\n\
            Ratio 3:1, 24/7 support, 99.95% uptime; room 3.14; ZIP 94105; 12,345,678 events.\n\
            Promo SPRING2026, order AB-2026-000123, file Acme_Renewal_Proposal_2026_v3_FINAL.pdf.\n\
            C++ std::vector and foo::bar, 12:30:45, MAC 00:1A:2B:3C:4D:5E, session 7d9f4c2a-1b3e-4f5a-8c6d-9e0f1a2b3c4d.\n\
            Key dates: Nov 25. Password policy: 12 characters. The secret sauce is onboarding.\n\
            Call the office on 0800 123 4567.";
        assert_eq!(
            found(text),
            [("phone_number".to_owned(), "0800 123 4567".to_owned())]
        );
    }

    #[test]
    fn keywords_match_in_their_usual_spellings() {
        assert_found("PASSWORD: Xyz12345", "password", "Xyz12345");
        assert_found("Social Security Number 078051120", "us_ssn", "078051120");
        assert_found(
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
            "api_key",
            "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
        );
        assert_found(
            "clientSecret: abcd1234efgh5678ijkl",
            "api_key",
            "abcd1234efgh5678ijkl",
        );
    }

    #[test]
    fn keyword_automaton_stays_within_the_fast_prefilter() {
        // Aho-Corasick's SIMD prefilter handles up to 64 patterns; beyond that every
        // e-mail pays about a microsecond more.
        let detector = SensitiveDetector::new();
        assert!(
            detector.keyword_kinds.len() <= 64,
            "{}",
            detector.keyword_kinds.len()
        );
        assert!(PREFIXES.len() <= 64);
    }

    // ----- context: whose contact details -----

    #[test]
    fn signature_phone_and_address_are_not_reported() {
        let text = "Great talking today, I'll send the deck.\n\nBest regards,\nSam Seller\nsam@vendor.example\n+1 415 555 0100\n";
        assert_clean(text);
    }

    #[test]
    fn sender_phone_matches_by_digits_whatever_the_format() {
        let signals = Signals {
            sender_phone: Some("+1 (415) 555-0100"),
            ..Signals::default()
        };
        assert!(run_with("Call me at 415-555-0100 any time.", &signals).is_empty());
        assert!(run_with("Call me at +1-415-555-0100.", &signals).is_empty());
        let other = run_with("Call Dana on her private cell, 415-555-0199.", &signals);
        assert_eq!(other.len(), 1);
        let german = Signals {
            sender_phone: Some("+49 30 1234567"),
            ..Signals::default()
        };
        assert!(run_with("Tel. 030 1234567", &german).is_empty());
    }

    #[test]
    fn recipient_and_sender_addresses_are_not_reported_but_third_parties_are() {
        let recipients = ["Dana Buyer <Dana@Acme.example>"];
        let signals = Signals {
            recipients: &recipients,
            sender_email: Some("sam@vendor.example"),
            ..Signals::default()
        };
        // A third party's address counts when the text makes it personal: a work address
        // of someone else is routine in a hand-off (see `whose`).
        let text = "Hi dana@acme.example, cc sam@vendor.example; Lee's private address is lee.ops@other.example.";
        let findings = run_with(text, &signals);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(
            &text[findings[0].start..findings[0].end],
            "lee.ops@other.example"
        );
        assert_eq!(findings[0].evidence, "lee.ops@other.example");
    }

    #[test]
    fn iban_on_invoice_is_sensitive() {
        // The seller's own account, in their own sign-off: bank details still do not belong
        // in an e-mail (invoice-redirection fraud starts there).
        let text = "Hi Tom,\n\nThe invoice is attached.\n\nBest,\nMaya Ortiz\nVendorly Ltd\n\
            IBAN: GB82 WEST 1234 5698 7654 32";
        assert_found(text, "iban_code", "GB82 WEST 1234 5698 7654 32");
    }

    #[test]
    fn full_card_number_is_sensitive_whoever_it_belongs_to() {
        let text =
            "Hi Tom,\n\nFor the venue deposit, use my company card 4111 1111 1111 1111.\n\nMaya";
        assert_found(text, "credit_card", "4111 1111 1111 1111");
    }

    #[test]
    fn last_four_card_digits_are_not_sensitive() {
        assert_clean(
            "Hi Tom,\n\nWe charged the Visa ending in 1881 (**** **** **** 1881) this morning.\n\nMaya",
        );
    }

    #[test]
    fn tracking_number_tail_is_not_a_phone_number() {
        assert_none("Tracking: 9400 1234 5678 0012 3456 78", "phone_number");
        assert_none(
            "Sendung 9400 1234 5678 0301 234 567 unterwegs",
            "phone_number",
        );
    }

    #[test]
    fn pre_shared_key_with_symbols_is_a_secret() {
        assert_found(
            "Pre-shared key: 7tK#w2Lq!Vz9Mx4Pb8Rn",
            "api_key",
            "7tK#w2Lq!Vz9Mx4Pb8Rn",
        );
    }

    #[test]
    fn sensitive_data_in_quoted_text_is_still_reported() {
        let text = "See below.\n\nOn Mon, Dana wrote:\n> our card is 4012 8888 8888 1881\n";
        let findings = run(text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].subtopic, "credit_card");
    }

    // ----- sales e-mails -----

    #[test]
    fn sales_email_sentences() {
        assert_found(
            "Please wire the deposit to DE89 3704 0044 0532 0130 00",
            "iban_code",
            "DE89 3704 0044 0532 0130 00",
        );
        assert_found(
            "Call me at +44 20 7946 0958",
            "phone_number",
            "+44 20 7946 0958",
        );
        assert_clean("Our invoice INV-2026-00481 is attached");
        assert_clean("We met on 2026-11-25 at 10:30");
        assert_clean("The total is $1,250,000 over 3 years, with 20% off in Q4 2026.");
        assert_clean(
            "Hi Dana,\n\nThanks for the call. Our 2026 pricing: 150 seats at $85/seat/month, 99.9% SLA, go-live 2026-03-01.\nVersion 4.2.1 ships in March.\n\nBest,\nSam",
        );
    }

    #[test]
    fn findings_carry_field_category_and_rule() {
        let doc = Document::new("subject", "card 4012888888881881", None);
        let mut out = Vec::new();
        SensitiveDetector::new()
            .detect(&doc, &Signals::default(), &mut out)
            .expect("detect");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].field, "subject");
        assert_eq!(out[0].category, Category::Sensitive);
        assert!(super::super::known_subtopic(
            Category::Sensitive,
            &out[0].subtopic
        ));
        assert!(out[0].rule.starts_with("sensitive.credit_card."));
    }

    #[test]
    fn every_reported_subtopic_is_known() {
        let text = concat!(
            "4012888888881881 DE89370400440532013000 078-05-1120 a@b.example +49 30 1234567 ",
            "10.0.0.1 fe80::1 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 -----BEGIN PRIVATE KEY----- ",
            "password: hunter22 q8ZrT2vLx9PmK4sWn7YbC3dF ",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        );
        let findings = run(text);
        let subtopics: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| f.subtopic.as_str()).collect();
        assert_eq!(subtopics.len(), 11, "{findings:?}");
        for f in &findings {
            assert!(
                super::super::known_subtopic(Category::Sensitive, &f.subtopic),
                "{}",
                f.subtopic
            );
            assert!((0.0..=1.0).contains(&f.confidence));
        }
    }

    // ----- robustness -----

    fn assert_well_formed(text: &str) {
        for f in run(text) {
            assert!(f.start < f.end && f.end <= text.len(), "{f:?} in {text:?}");
            assert!(
                text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                "{f:?} in {text:?}"
            );
        }
    }

    #[test]
    fn awkward_inputs_do_not_panic() {
        let digits = "7".repeat(10_000);
        let grouped = "4012 ".repeat(2_000);
        let colons = ":".repeat(5_000);
        let hex_colons = "ab:".repeat(3_000);
        let ats = "a@".repeat(3_000);
        for text in [
            "",
            "1",
            "+",
            "(",
            "@",
            ":",
            "::",
            "€ü日本",
            "€4012888888881881€",
            "日本4012888888881881日本",
            "+€",
            "DE",
            "DE89",
            "DE89 ",
            "SSN",
            "ssn 12345678",
            "password:",
            "password: ",
            "key=",
            "eyJ",
            "eyJ.eyJ.",
            "-----BEGIN",
            "-----BEGIN PRIVATE KEY",
            "bc1",
            "SK",
            "sk-",
            "hooks.slack.com/services/",
            "fe80::1%",
            "::ffff:",
            "1.2.3.",
            "a@b.",
            "müller@",
            "@ü.de",
            "0 0 0 0 0 0 0 0 0 0 0 0",
            "+1 (",
            "+1 (4",
            "AKIA€",
            "Passwort ist ü",
            &digits,
            &grouped,
            &colons,
            &hex_colons,
            &ats,
        ] {
            assert_well_formed(text);
        }
    }

    proptest! {
        #[test]
        fn spans_lie_on_char_boundaries_inside_the_text(
            text in "[0-9a-fA-Z .:+@()=_/%#$-]{0,80}(€|ü|日本|\u{a0})?[0-9 .:@+-]{0,40}"
        ) {
            assert_well_formed(&text);
        }

        #[test]
        fn arbitrary_unicode_never_panics(text in "\\PC{0,200}") {
            assert_well_formed(&text);
        }

        #[test]
        fn detection_is_deterministic(text in "[0-9A-Za-z .:@+-]{0,120}") {
            prop_assert_eq!(run(&text), run(&text));
        }
    }

    /// Times `detect` on a typical 1 KB sales e-mail. Run with
    /// `cargo test --release -p countersign-engine --lib detect::sensitive -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, not a check"]
    fn timing_on_a_one_kilobyte_email() {
        let email = "Hi Dana,\n\nThanks again for the time on Tuesday. As promised, here is a summary of \
            where we landed. The team liked the reporting module and asked about the SSO setup; \
            our security whitepaper is attached and covers SAML, SCIM and the audit log. On \
            pricing, the 2026 list price for 150 seats is $85 per seat per month, billed annually, \
            and we can start the pilot on 2026-03-01 if the order form is signed by 2026-02-20. \
            Lee from our solutions team (lee.ops@vendor.example) will run the kickoff at 10:30, \
            and you can reach our support desk at +1 415 555 0199 in the meantime. Version 4.2.1 \
            ships in March with the Salesforce sync you asked about.\n\n\
            Let me know if anything is missing, and have a great weekend.\n\n\
            Best regards,\nSam Seller\nAccount Executive, Vendor Inc.\nsam@vendor.example\n+1 415 555 0100\n";
        let doc = Document::new("body", email, None);
        let detector = SensitiveDetector::new();
        let signals = Signals::default();
        let mut out = Vec::new();
        let rounds = 2_000;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            out.clear();
            detector.detect(&doc, &signals, &mut out).expect("detect");
        }
        let per = started.elapsed() / rounds;
        println!(
            "{} bytes, {} findings, {per:?} per e-mail",
            email.len(),
            out.len()
        );
    }
}
