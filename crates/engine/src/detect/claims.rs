//! Factual claims in the seller's text, and whether the knowledge base backs them.
//!
//! A claim is a checkable statement about the product on an objection topic: an uptime
//! figure, a response time, a certification, a hosting region, an encryption standard, an
//! integration. [`extract`] finds them with regular expressions and normalises each to a
//! `kind` and a canonical `value`, so `99.90 % availability` and `uptime of 99.9%` compare
//! equal; [`check`] compares one claim with the claims of the approved
//! [`Entry`](crate::knowledge::Entry)s valid on a given day.
//!
//! What it does not do: decide. It reports claims and their support; the gate turns them into
//! findings and the policy into tiers. It does not know whose words are whose either: the
//! caller passes the seller's own text (see [`Document::own`](super::Document::own)).
//!
//! Only assertions count. A claim in a question (`Is 99.9% uptime enough?`), in a request
//! (`Could you confirm …`), negated or hedged just before it (`we are not SOC 2 certified
//! yet`, `we plan to add SSO via Okta`) or just after it (`ISO 27001 is in progress`) is
//! skipped. These rules are deliberately small word windows inside the clause, not a parser:
//! they miss some hedges and drop a few real claims (`no extra charge for SSO via Okta`).

use std::ops::Range;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Match, Regex};
use serde::Serialize;

use super::text::Document;
use crate::knowledge::Entry;

/// A checkable statement in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// `uptime`, `response_time`, `support_hours`, `certification`, `region`, `encryption`
    /// or `integration`.
    pub kind: &'static str,
    /// The canonical value: `99.99`, `240` (minutes), `24/7`, `SOC 2 Type II`, `eu`,
    /// `aes-256`, `salesforce`.
    pub value: String,
    /// The objection subtopic the claim is about: `sla`, `security`, `compliance`,
    /// `data_residency` or `integration`.
    pub topic: &'static str,
    /// Where the claim starts in the text: a byte offset on a UTF-8 boundary.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// The claim as written: `text[start..end]`.
    pub text: String,
}

/// What the knowledge base says about a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Support<'k> {
    /// A valid entry makes the same claim; `excerpt` is its sentence (at most 200 chars).
    Supported { entry: &'k Entry, excerpt: String },
    /// No entry makes the claim, and a valid entry on the same topic says otherwise:
    /// `says` is its claim as written.
    Contradicted {
        entry: &'k Entry,
        excerpt: String,
        says: String,
    },
    /// No valid entry says anything either way.
    Unsupported,
}

/// The claims asserted in `text`, sorted by start; claims of one kind never overlap.
pub fn extract(text: &str) -> Vec<Claim> {
    read(text).0
}

/// Whether the valid entries back `claim`. Only entries [`valid_on`](Entry::valid_on)
/// `today` count; their title and body are read with [`extract`].
///
/// - Supported: an entry has a claim of the same kind and value. Less specific claims are
///   backed by more specific ones: `SOC 2` by `SOC 2 Type II`, `tls` by `tls 1.2`, a
///   region by any place inside it (`eu` by `frankfurt`).
/// - Contradicted: none supports it, and an entry on the same topic (security and
///   compliance count as one, since certifications are filed under either) has a claim of
///   the same kind that cannot be true with it: another uptime or response time, a region
///   outside the claimed one (`us` against `frankfurt`, but not `germany` against `eu`),
///   another type of the same certification (`SOC 2 Type I` against `SOC 2 Type II`).
///   Integrations, encryption and support hours are never contradicted, only unsupported.
///
/// Supported wins over contradicted; among entries, the first in `entries` order wins.
pub fn check<'k>(claim: &Claim, entries: &'k [Entry], today: NaiveDate) -> Support<'k> {
    let mut contradicted = None;
    for entry in entries.iter().filter(|e| e.valid_on(today)) {
        for source in [entry.title.as_str(), entry.body.as_str()] {
            let (known, sentences) = read(source);
            for k in known.iter().filter(|k| k.kind == claim.kind) {
                if supports(k, claim) {
                    return Support::Supported {
                        entry,
                        excerpt: excerpt(source, &sentences, k),
                    };
                }
                if contradicted.is_none()
                    && same_topic(claim.topic, &entry.topic)
                    && contradicts(k, claim)
                {
                    contradicted = Some(Support::Contradicted {
                        entry,
                        excerpt: excerpt(source, &sentences, k),
                        says: k.text.clone(),
                    });
                }
            }
        }
    }
    contradicted.unwrap_or(Support::Unsupported)
}

// ---------------------------------------------------------------------------------------
// Extraction

/// The claims of `text` and its sentence ranges (shared with [`check`] for excerpts).
fn read(text: &str) -> (Vec<Claim>, Vec<Range<usize>>) {
    // The detectors' sentence splitter: it joins wrapped lines and knows `e.g.` and `U.S.`.
    let sentences: Vec<Range<usize>> = Document::new("claims", text, None)
        .sentences
        .into_iter()
        .map(|s| s.range)
        .collect();
    let mut found = Vec::new();
    uptime(text, &mut found);
    response(text, &mut found);
    certification(text, &mut found);
    region(text, &mut found);
    encryption(text, &sentences, &mut found);
    integration(text, &mut found);
    found.retain(|c| asserted(text, &sentences, c));
    // Longest first at each start, then drop what overlaps a kept claim of the same kind
    // (`hosted in our EU data centre` also matches `EU data centre`).
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Claim> = Vec::with_capacity(found.len());
    for c in found {
        if !kept
            .iter()
            .any(|k| k.kind == c.kind && k.start < c.end && c.start < k.end)
        {
            kept.push(c);
        }
    }
    (kept, sentences)
}

#[expect(
    clippy::expect_used,
    reason = "the patterns are constants; a unit test compiles every one"
)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("claim patterns compile")
}

/// Builds a pattern from a template, filling in the shared alternations.
fn pattern(template: &str) -> Regex {
    re(&template
        .replace("AMOUNT", AMOUNT)
        .replace("UNIT", UNIT)
        .replace("REGION", REGION)
        .replace("PRODUCT", PRODUCT)
        .replace("IDP", IDP)
        .replace("ISO_NUMBER", ISO_NUMBER)
        .replace("SOC_NUMBER", SOC_NUMBER)
        .replace("SOC_TYPE", SOC_TYPE))
}

fn push(
    out: &mut Vec<Claim>,
    text: &str,
    span: Range<usize>,
    kind: &'static str,
    topic: &'static str,
    value: String,
) {
    out.push(Claim {
        kind,
        value,
        topic,
        text: text[span.clone()].to_owned(),
        start: span.start,
        end: span.end,
    });
}

/// Follows a list after a claim (`HubSpot, SAP and Workday`, `the EU (Frankfurt)`): each
/// item that `more` (anchored at `^`) finds right after the previous one is a claim too.
fn follow_list(
    text: &str,
    mut end: usize,
    more: &Regex,
    out: &mut Vec<Claim>,
    mut item: impl FnMut(&str) -> Option<(&'static str, &'static str, String)>,
) {
    while let Some(caps) = more.captures(&text[end..]) {
        let Some(m) = caps.get(1) else { break };
        let Some((kind, topic, value)) = item(m.as_str()) else {
            break;
        };
        push(
            out,
            text,
            end + m.start()..end + m.end(),
            kind,
            topic,
            value,
        );
        end += m.end();
    }
}

// --- uptime -----------------------------------------------------------------------------

static UPTIME: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        // 99.99% uptime, 99.9 % monthly availability, 99.95% SLA
        re(
            r"(?i)\b([0-9]{2,3}(?:\.[0-9]{1,4})?)\s?%\s*(?:(?:monthly|annual|yearly|guaranteed|platform|service)\s+)?(?:uptime|up-time|availability|SLA)\b",
        ),
        // uptime of 99.95%, availability SLA: 99.9 %, uptime guarantee of at least 99.9%
        re(
            r"(?i)\b(?:uptime|up-time|availability)(?:\s+(?:SLA|guarantee|commitment|target|guaranteed))?(?:\s+(?:of|at|is)|\s*[:=])\s*(?:(?:at\s+least|over|above|guaranteed)\s+)?([0-9]{2,3}(?:\.[0-9]{1,4})?)\s?%",
        ),
        // five nines
        re(r"(?i)\b(three|four|five|six)\s+nines\b"),
    ]
});

fn uptime(text: &str, out: &mut Vec<Claim>) {
    for (i, pattern) in UPTIME.iter().enumerate() {
        for caps in pattern.captures_iter(text) {
            let (Some(all), Some(number)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let value = if i == 2 {
                let nines = match number.as_str().to_ascii_lowercase().as_str() {
                    "three" => "99.9",
                    "four" => "99.99",
                    "five" => "99.999",
                    _ => "99.9999",
                };
                nines.to_owned()
            } else {
                // `$99.99% uptime` is not a thing; `1.99.9%` is a version or a typo.
                if text[..number.start()].ends_with(['.', '$', '€', '£']) {
                    continue;
                }
                let Some(value) = percent(number.as_str()) else {
                    continue;
                };
                value
            };
            push(out, text, all.range(), "uptime", "sla", value);
        }
    }
}

/// `99.90` → `99.9`, `100.0` → `100`; `None` above 100.
fn percent(number: &str) -> Option<String> {
    let parsed: f64 = number.parse().ok()?;
    if !(0.0..=100.0).contains(&parsed) {
        return None;
    }
    let trimmed = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    Some(trimmed.to_owned())
}

// --- response time and support hours ----------------------------------------------------

/// An amount of time: digits or a number word; `a`/`an` as in `within an hour`.
const AMOUNT: &str = r"(?:[0-9]{1,3}(?:\.[0-9]{1,2})?|twenty[\s-]four|forty[\s-]eight|seventy[\s-]two|forty[\s-]five|half\s+an?|an?|one|two|three|four|five|six|eight|ten|twelve|fifteen|twenty|thirty|sixty|ninety)";
const UNIT: &str = r"(?:business\s+days?|working\s+days?|days?|hours?|hrs?|h|minutes?|mins?)";

static RESPONSE: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        // 4-hour response, 30-minute initial response time, 1 business day resolution
        pattern(
            r"(?i)\b(AMOUNT)[\s-]*(UNIT)\b[\s-]+(?:(?:initial|first|guaranteed|maximum|max|target|support|SLA|P1|Sev(?:erity)?[\s-]*1)[\s-]+){0,2}(?:response|resolution|reaction|turnaround)(?:\s+times?)?\b",
        ),
        // respond within 2 hours, response time of 30 minutes, resolve P1 tickets in a day
        pattern(
            r"(?i)\b(?:respond|responds|responding|response|responses|resolve|resolves|resolved|resolution|resolutions|reply|replies|acknowledge|acknowledges|acknowledged|reaction|turnaround)\b(?:\s+times?)?(?:\s+[A-Za-z0-9'’-]+){0,5}?\s+(?:within|in|under|of|is|are)\s+(?:(?:less\s+than|fewer\s+than|at\s+most|no\s+more\s+than|no\s+later\s+than|under|just|about|around|roughly|max(?:imum)?|a\s+maximum\s+of)\s+)?(AMOUNT)[\s-]*(UNIT)\b",
        ),
    ]
});

static SUPPORT_HOURS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        re(
            r"(?i)\b24\s*[/x×]\s*7(?:\s*[/x×]\s*365)?\b(?:\s+[A-Za-z-]+){0,2}?\s+(?:support|coverage|help\s*desk|service\s+desk|on[\s-]call|monitoring|assistance|SOC|NOC|team|engineers?)\b",
        ),
        re(
            r"(?i)\b(?:support|coverage|help\s*desk|service\s+desk|on[\s-]call|monitoring|available|availability|reachable)\b(?:\s+[A-Za-z'’-]+){0,4}?\s+24\s*[/x×]\s*7\b",
        ),
        re(r"(?i)\b(?:a)?round[\s-]the[\s-]clock\s+(?:support|coverage|monitoring)\b"),
    ]
});

/// Only response, resolution and support times count: `2 hours of onboarding training` or
/// `a 30-minute call` say nothing about the service level.
fn response(text: &str, out: &mut Vec<Claim>) {
    for pattern in RESPONSE.iter() {
        for caps in pattern.captures_iter(text) {
            let (Some(all), Some(amount), Some(unit)) = (caps.get(0), caps.get(1), caps.get(2))
            else {
                continue;
            };
            if let Some(minutes) = minutes(amount.as_str(), unit.as_str()) {
                push(out, text, all.range(), "response_time", "sla", minutes);
            }
        }
    }
    for pattern in SUPPORT_HOURS.iter() {
        for m in pattern.find_iter(text) {
            push(
                out,
                text,
                m.range(),
                "support_hours",
                "sla",
                "24/7".to_owned(),
            );
        }
    }
}

/// `4`, `hour` → `240`. Days count 24 hours, business days too: the knowledge base is
/// expected to use the same words as the seller, and exact comparison is what matters.
fn minutes(amount: &str, unit: &str) -> Option<String> {
    let amount = amount.to_ascii_lowercase().replace(['-', '\n', '\t'], " ");
    let amount = amount.split_whitespace().collect::<Vec<_>>().join(" ");
    let n: f64 = match amount.as_str() {
        "a" | "an" | "one" => 1.0,
        "half a" | "half an" => 0.5,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "eight" => 8.0,
        "ten" => 10.0,
        "twelve" => 12.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        "twenty four" => 24.0,
        "thirty" => 30.0,
        "forty five" => 45.0,
        "forty eight" => 48.0,
        "sixty" => 60.0,
        "seventy two" => 72.0,
        "ninety" => 90.0,
        digits => digits.parse().ok()?,
    };
    let unit = unit.to_ascii_lowercase();
    // `4h` yes, `eighth` no.
    if unit == "h" && !amount.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let per = if unit.starts_with('m') {
        1.0
    } else if unit.starts_with('h') {
        60.0
    } else {
        1440.0
    };
    let total = (n * per).round();
    (total.is_finite() && total > 0.0).then(|| format!("{total:.0}"))
}

// --- certifications ---------------------------------------------------------------------

const SOC_NUMBER: &str = r"(?:1|2|3|III|II|I|one|two|three)";
const SOC_TYPE: &str = r"(?:II|2|two|I|1|one)";
const ISO_NUMBER: &str = r"(?:27001|27701|27017|27018|42001|22301|9001)";

static CERTIFICATION: LazyLock<[Regex; 6]> = LazyLock::new(|| {
    [
        // SOC 2, SOC2 Type II, SOC 2 (Type 2), SOC 1
        pattern(r"(?i)\bSOC[\s-]*(SOC_NUMBER)\b(?:[\s,]*\(?\s*Type[\s-]*(SOC_TYPE)\b\)?)?"),
        // Type II SOC 2
        pattern(r"(?i)\bType[\s-]*(SOC_TYPE)\s+SOC[\s-]*(SOC_NUMBER)\b"),
        // ISO 27001, ISO/IEC 27001:2022, ISO27701
        pattern(r"(?i)\bISO(?:\s*/\s*IEC)?[\s/-]*(ISO_NUMBER)(?:\s*:\s*(?:19|20)[0-9]{2})?\b"),
        re(r"(?i)\b(HIPAA|GDPR|HITRUST|TISAX|FedRAMP)\b(?:\s+(Low|Moderate|High)\b)?"),
        re(
            r"(?i)\bPCI[\s-]*DSS\b(?:\s*(?:v|version\s*)?[0-9](?:\.[0-9])?\b)?|\bPCI\s+(?:compliant|compliance|certified|certification|Level\s*[1-4])\b",
        ),
        // BSI C5; a bare `C5` is a spreadsheet cell or a vertebra.
        re(
            r"(?i)\bBSI[\s-]+C5\b(?::20[0-9]{2})?|\bC5(?::20[0-9]{2})?[\s-]+(?:attestation|attested|testat|certified|certification|compliant|compliance|report|audit)\b",
        ),
    ]
});

/// `/27701`, `and ISO 27017` after an ISO number.
static ISO_MORE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"(?i)^\s*(?:/|,|and|&)\s*(?:ISO(?:\s*/\s*IEC)?[\s/-]*)?(ISO_NUMBER\b)")
});

fn certification(text: &str, out: &mut Vec<Claim>) {
    for (i, pattern) in CERTIFICATION.iter().enumerate() {
        for caps in pattern.captures_iter(text) {
            let Some(all) = caps.get(0) else { continue };
            let value = match i {
                0 => soc(caps.get(1), caps.get(2)),
                1 => soc(caps.get(2), caps.get(1)),
                2 => caps.get(1).map(|n| format!("ISO {}", n.as_str())),
                3 => named(caps.get(1), caps.get(2)),
                4 => Some("PCI DSS".to_owned()),
                _ => Some("C5".to_owned()),
            };
            let Some(value) = value else { continue };
            let topic = if value == "GDPR" {
                "compliance"
            } else {
                "security"
            };
            push(out, text, all.range(), "certification", topic, value);
            if i == 2 {
                follow_list(text, all.end(), &ISO_MORE, out, |n| {
                    Some(("certification", "security", format!("ISO {n}")))
                });
            }
        }
    }
}

/// `SOC 2 Type II`, `SOC 2 Type I` or `SOC 2`.
fn soc(number: Option<Match<'_>>, kind: Option<Match<'_>>) -> Option<String> {
    let number = match number?.as_str().to_ascii_lowercase().as_str() {
        "1" | "i" | "one" => 1,
        "2" | "ii" | "two" => 2,
        _ => 3,
    };
    let kind = kind.map(|k| match k.as_str().to_ascii_lowercase().as_str() {
        "ii" | "2" | "two" => "II",
        _ => "I",
    });
    Some(match kind {
        Some(kind) => format!("SOC {number} Type {kind}"),
        None => format!("SOC {number}"),
    })
}

fn named(name: Option<Match<'_>>, level: Option<Match<'_>>) -> Option<String> {
    let name = match name?.as_str().to_ascii_uppercase().as_str() {
        "HIPAA" => "HIPAA",
        "GDPR" => "GDPR",
        "HITRUST" => "HITRUST",
        "TISAX" => "TISAX",
        _ => "FedRAMP",
    };
    // Only FedRAMP has levels; `GDPR High` is not one.
    let level = level
        .filter(|_| name == "FedRAMP")
        .map(|l| capitalised(l.as_str()));
    Some(match level {
        Some(level) => format!("{name} {level}"),
        None => name.to_owned(),
    })
}

fn capitalised(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A certification's family and type: `SOC 2 Type II` → (`SOC 2`, `II`),
/// `FedRAMP Moderate` → (`FedRAMP`, `Moderate`), `ISO 27001` → (`ISO 27001`, none).
fn family(value: &str) -> (&str, Option<&str>) {
    if let Some((family, kind)) = value.split_once(" Type ") {
        return (family, Some(kind));
    }
    match value.split_once(' ') {
        Some(("FedRAMP", level)) => ("FedRAMP", Some(level)),
        _ => (value, None),
    }
}

// --- regions ----------------------------------------------------------------------------

/// Places, longest spelling first. `EU`, `US`, `UK` only in capitals: `us` is a pronoun.
const REGION: &str = r"(?:(?-i:U\.S\.(?:A\.)?|U\.K\.)|(?:(?-i:EU|EEA|USA|US|UK)|European\s+Union|European|Europe|Germany|German|Frankfurt|France|French|Paris|Ireland|Irish|Dublin|Netherlands|Dutch|Amsterdam|Sweden|Stockholm|Switzerland|Swiss|Z[uü]rich|United\s+Kingdom|Great\s+Britain|British|Britain|London|United\s+States(?:\s+of\s+America)?|Canada|Canadian|Toronto|Montr[eé]al|Australia|Australian|Sydney|Japan|Tokyo|Singapore|India|Mumbai|Brazil|S[aã]o\s+Paulo|Virginia|Oregon|Ohio|California)\b)";

static REGIONS: LazyLock<[Regex; 5]> = LazyLock::new(|| {
    [
        // hosted in the EU, stored exclusively in Germany, hosted on AWS in Frankfurt
        pattern(
            r"(?i)\b(?:hosted|host|hosts|hosting|stored|stores|storing|storage|housed|processed|processing|resides|reside|residing|persisted)\b(?:\s+[A-Za-z'’-]+){0,3}?\s+(?:in|within|inside)\s+(?:the\s+|our\s+)?(REGION)(?:[\s-]+(?:region|data\s*cent(?:er|re)s?|cloud\s+region))?",
        ),
        // data stays in Frankfurt, your data is in the EU, servers are located in Germany
        pattern(
            r"(?i)\b(?:data|servers?|infrastructure|instances?|backups?|environment|tenants?|everything|databases?|workloads?)\b(?:\s+[A-Za-z'’-]+){0,4}?\s+(?:located|remains?|stays?|kept|lives?|sits?|is|are|runs?|running)\s+(?:[A-Za-z]+\s+)?(?:in|within|inside)\s+(?:the\s+|our\s+)?(REGION)(?:[\s-]+(?:region|data\s*cent(?:er|re)s?))?",
        ),
        // EU data centre, US-based servers, Frankfurt region, EU data residency
        pattern(
            r"(?i)\b(REGION)(?:[\s-]+based)?[\s-]+(?:data\s*cent(?:er|re)s?|hosting|region|data\s+residency|servers?|cloud|instances?|tenants?|data\s+storage|infrastructure)\b",
        ),
        // data residency in Germany
        pattern(r"(?i)\bdata\s+residency\s+(?:in|within|for)\s+(?:the\s+)?(REGION)"),
        // data never leaves the EU: the negation is the claim here
        pattern(
            r"(?i)\b(?:never|not|doesn't|doesn’t|won't|won’t|cannot|can't|can’t)\s+(?:ever\s+)?leaves?\s+(?:the\s+)?(REGION)",
        ),
    ]
});

/// `, Germany`, ` (Frankfurt`, ` and the UK`, ` in Frankfurt` after a region.
static REGION_MORE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)^\s*(?:,\s*(?:and\s+|or\s+)?|\(\s*|/\s*|(?:and|or|&)\s+|in\s+)(?:the\s+|in\s+(?:the\s+)?)?(REGION)",
    )
});

fn region(text: &str, out: &mut Vec<Claim>) {
    for pattern in REGIONS.iter() {
        for caps in pattern.captures_iter(text) {
            let (Some(all), Some(place)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let Some(value) = place_name(place.as_str()) else {
                continue;
            };
            push(
                out,
                text,
                all.range(),
                "region",
                "data_residency",
                value.to_owned(),
            );
            follow_list(text, all.end(), &REGION_MORE, out, |p| {
                place_name(p).map(|v| ("region", "data_residency", v.to_owned()))
            });
        }
    }
}

/// The canonical lower-case name of a place the pattern matched.
fn place_name(written: &str) -> Option<&'static str> {
    let lower = written.to_lowercase().replace('.', "");
    let name = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match name.as_str() {
        "eu" | "european union" => "eu",
        "eea" => "eea",
        "europe" | "european" => "europe",
        "germany" | "german" => "germany",
        "frankfurt" => "frankfurt",
        "france" | "french" => "france",
        "paris" => "paris",
        "ireland" | "irish" => "ireland",
        "dublin" => "dublin",
        "netherlands" | "dutch" => "netherlands",
        "amsterdam" => "amsterdam",
        "sweden" => "sweden",
        "stockholm" => "stockholm",
        "switzerland" | "swiss" => "switzerland",
        "zurich" | "zürich" => "zurich",
        "uk" | "united kingdom" | "great britain" | "britain" | "british" => "uk",
        "london" => "london",
        "us" | "usa" | "united states" | "united states of america" => "us",
        "canada" | "canadian" => "canada",
        "toronto" => "toronto",
        "montreal" | "montréal" => "montreal",
        "australia" | "australian" => "australia",
        "sydney" => "sydney",
        "japan" => "japan",
        "tokyo" => "tokyo",
        "singapore" => "singapore",
        "india" => "india",
        "mumbai" => "mumbai",
        "brazil" => "brazil",
        "sao paulo" | "são paulo" => "sao paulo",
        "virginia" => "virginia",
        "oregon" => "oregon",
        "ohio" => "ohio",
        "california" => "california",
        _ => return None,
    })
}

/// The next larger region: Frankfurt is in Germany, Germany in the EU, the EU in the EEA.
fn parent(place: &str) -> Option<&'static str> {
    Some(match place {
        "frankfurt" => "germany",
        "paris" => "france",
        "dublin" => "ireland",
        "amsterdam" => "netherlands",
        "stockholm" => "sweden",
        "germany" | "france" | "ireland" | "netherlands" | "sweden" => "eu",
        "eu" => "eea",
        "eea" | "switzerland" | "uk" => "europe",
        "zurich" => "switzerland",
        "london" => "uk",
        "virginia" | "oregon" | "ohio" | "california" => "us",
        "toronto" | "montreal" => "canada",
        "sydney" => "australia",
        "tokyo" => "japan",
        "mumbai" => "india",
        "sao paulo" => "brazil",
        _ => return None,
    })
}

/// Whether `inner` lies in `outer` (a place lies in itself).
fn within(inner: &str, outer: &str) -> bool {
    let mut place = Some(inner);
    while let Some(p) = place {
        if p == outer {
            return true;
        }
        place = parent(p);
    }
    false
}

// --- encryption -------------------------------------------------------------------------

static AES: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bAES[\s-]?(128|192|256)\b|\b(128|192|256)[\s-]bit\s+AES\b"));
static TLS: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bTLS(?:\s*v?(1\.[0-3]))?\b"));
/// `/1.3`, ` and TLS 1.3` after a TLS version.
static TLS_MORE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:/|,|and|or|&)\s*(?:TLS\s*)?v?(1\.[0-3])\b"));
static STATE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(?:at[\s-]rest|in[\s-]transit)\b"));
static ENCRYPT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bencrypt(?:ed|s|ion|ing)?\b"));

/// How far `at rest` may be from `encrypted` in the same sentence, in bytes.
const ENCRYPT_REACH: usize = 80;

fn encryption(text: &str, sentences: &[Range<usize>], out: &mut Vec<Claim>) {
    for caps in AES.captures_iter(text) {
        let (Some(all), Some(bits)) = (caps.get(0), caps.get(1).or(caps.get(2))) else {
            continue;
        };
        push(
            out,
            text,
            all.range(),
            "encryption",
            "security",
            format!("aes-{}", bits.as_str()),
        );
    }
    for caps in TLS.captures_iter(text) {
        let Some(all) = caps.get(0) else { continue };
        let value = caps
            .get(1)
            .map_or("tls".to_owned(), |v| format!("tls {}", v.as_str()));
        push(out, text, all.range(), "encryption", "security", value);
        if caps.get(1).is_some() {
            follow_list(text, all.end(), &TLS_MORE, out, |v| {
                Some(("encryption", "security", format!("tls {v}")))
            });
        }
    }
    // `at rest` is a claim only next to `encrypted`: `data at rest` alone says nothing.
    let states: Vec<Range<usize>> = STATE.find_iter(text).map(|m| m.range()).collect();
    let encrypts: Vec<Range<usize>> = ENCRYPT.find_iter(text).map(|m| m.range()).collect();
    for state in &states {
        let sentence = sentence_of(sentences, state.start, text.len());
        let nearest = encrypts
            .iter()
            .filter(|e| sentence.start <= e.start && e.end <= sentence.end.max(state.end))
            .map(|e| (gap(e, state), e))
            .filter(|(d, _)| *d <= ENCRYPT_REACH)
            .min_by_key(|(d, _)| *d);
        let Some((_, e)) = nearest else { continue };
        // The span reaches `encrypted` over a few plain words only (`encrypted both at
        // rest`), never over another claim (`encrypted with AES-256 at rest`, `encrypted at
        // rest and in transit`): spans of one kind never overlap.
        let span = if e.start < state.start {
            e.start..state.end
        } else {
            state.start..e.end
        };
        let between = &text[e.end.min(state.end)..e.start.max(state.start)];
        let plain = between
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace())
            && between.split_whitespace().count() <= 2;
        let crossed = states
            .iter()
            .any(|s| s != state && span.start <= s.start && s.end <= span.end);
        let span = if plain && !crossed {
            span
        } else {
            state.clone()
        };
        let value = if text[state.clone()].to_ascii_lowercase().starts_with("at") {
            "at rest"
        } else {
            "in transit"
        };
        push(out, text, span, "encryption", "security", value.to_owned());
    }
}

fn gap(a: &Range<usize>, b: &Range<usize>) -> usize {
    if a.end <= b.start {
        b.start - a.end
    } else {
        a.start.saturating_sub(b.end)
    }
}

// --- integrations -----------------------------------------------------------------------

const PRODUCT: &str = r"(?:Salesforce|HubSpot|SAP|Workday|NetSuite|Slack|Microsoft\s+Teams|MS\s+Teams|Teams|Zendesk|Jira|ServiceNow|Snowflake|Marketo|Microsoft\s+Dynamics(?:\s+365)?|Dynamics\s+365|Okta|Zapier|Google\s+Workspace|Gmail|Outlook|Pipedrive|Zoho(?:\s+CRM)?|Intercom|Gong|Salesloft|Outreach|Shopify|Stripe|QuickBooks|Xero|Oracle|BambooHR|Greenhouse|Confluence|Asana|Tableau|Power\s*BI|Looker|BigQuery|Databricks)\b";
const IDP: &str = r"(?:Okta|Azure\s+(?:AD|Active\s+Directory)|(?:Microsoft\s+)?Entra(?:\s+ID)?|Google(?:\s+Workspace)?|OneLogin|Ping\s*(?:Identity|Federate|One)?|Auth0|JumpCloud|ADFS|Active\s+Directory|Keycloak|Duo)\b";

static INTEGRATIONS: LazyLock<[Regex; 4]> = LazyLock::new(|| {
    [
        // native integration with Salesforce, integrates natively with HubSpot
        pattern(
            r"(?i)\b(?:(?:native|built-in|out-of-the-box|bi-?directional|two-way|direct|deep|certified)\s+)*(?:integrat(?:ion|ions|es|ed|e)|connectors?|syncs?|connects?)(?:\s+(?:natively|directly|seamlessly|out\s+of\s+the\s+box|bi-?directionally))?\s+(?:with|to|into|for)\s+(?:your\s+|the\s+)?(PRODUCT)",
        ),
        // Salesforce integration, Slack app
        pattern(r"(?i)\b(PRODUCT)\s+(?:integration|connector|app|plugin|plug-in)s?\b"),
        // SSO via Okta, single sign-on (SSO) with Azure AD
        pattern(
            r"(?i)\b(?:SSO|single\s+sign[\s-]on)(?:\s*\(SSO\))?(?:\s+[A-Za-z'’-]+){0,2}?\s+(?:via|with|through|using|from|for)\s+(IDP)",
        ),
        re(r"(?i)\b(SAML(?:\s*2\.0)?|SCIM(?:\s*2\.0)?|OIDC|OpenID\s+Connect)\b"),
    ]
});

static PRODUCT_MORE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)^\s*(?:,\s*(?:and\s+|or\s+)?|/\s*|(?:and|or|&)\s+)(PRODUCT)"));
static IDP_MORE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)^\s*(?:,\s*(?:and\s+|or\s+)?|/\s*|(?:and|or|&)\s+)(IDP)"));

fn integration(text: &str, out: &mut Vec<Claim>) {
    for (i, pattern) in INTEGRATIONS.iter().enumerate() {
        for caps in pattern.captures_iter(text) {
            let (Some(all), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let Some(value) = product(name.as_str()) else {
                continue;
            };
            push(out, text, all.range(), "integration", "integration", value);
            let more: Option<&Regex> = match i {
                0 | 1 => Some(&*PRODUCT_MORE),
                2 => Some(&*IDP_MORE),
                _ => None,
            };
            if let Some(more) = more {
                follow_list(text, all.end(), more, out, |n| {
                    product(n).map(|v| ("integration", "integration", v))
                });
            }
        }
    }
}

/// The canonical lower-case product name. Names that are also English words (`Teams`,
/// `Slack`, `Outreach`, …) count only capitalised: `integrates with teams of any size`.
fn product(written: &str) -> Option<String> {
    let name = written
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    const WORDS: [&str; 11] = [
        "teams",
        "slack",
        "outreach",
        "oracle",
        "gong",
        "stripe",
        "looker",
        "greenhouse",
        "duo",
        "ping",
        "google",
    ];
    if WORDS.contains(&name.as_str()) && !written.starts_with(|c: char| c.is_uppercase()) {
        return None;
    }
    Some(
        match name.as_str() {
            "teams" | "ms teams" => "microsoft teams",
            "microsoft dynamics" | "microsoft dynamics 365" => "dynamics 365",
            "zoho crm" => "zoho",
            "powerbi" => "power bi",
            "azure ad"
            | "azure active directory"
            | "entra"
            | "microsoft entra"
            | "microsoft entra id" => "entra id",
            "ping" | "pingidentity" | "pingfederate" | "ping federate" | "pingone" | "ping one" => {
                "ping identity"
            }
            "saml 2.0" | "saml2.0" => "saml",
            "scim 2.0" | "scim2.0" => "scim",
            "openid connect" => "oidc",
            other => return Some(other.to_owned()),
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// Assertion: questions, requests, negations and hedges

/// Words that, just before a claim in its clause, mean it is not asserted.
/// `ask`, `check`, `question`: `I'll ask our security lead about HITRUST`.
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "nor",
    "neither",
    "none",
    "without",
    "cannot",
    "lack",
    "lacks",
    "lacking",
    "whether",
    "if",
    "unless",
    "pursuing",
    "toward",
    "towards",
    "considering",
    "evaluating",
    "ask",
    "asking",
    "asked",
    "check",
    "checking",
    "question",
    "questions",
    "regarding",
];
/// Two-word hedges just before a claim: `yet to`, `plan to`, `working on`.
const HEDGES: &[(&str, &str)] = &[
    ("yet", "to"),
    ("plan", "to"),
    ("plans", "to"),
    ("planning", "to"),
    ("planning", "for"),
    ("aim", "to"),
    ("aiming", "to"),
    ("aiming", "for"),
    ("hope", "to"),
    ("hoping", "to"),
    ("expect", "to"),
    ("expecting", "to"),
    ("working", "on"),
    ("process", "of"),
    ("looking", "into"),
    ("roadmap", "for"),
];
/// Words just after a claim that take it back: `ISO 27001 is in progress`.
const AFTERWARDS: &[&str] = &[
    "not",
    "pending",
    "planned",
    "underway",
    "roadmap",
    "scheduled",
    "upcoming",
    "expected",
    "soon",
    "eventually",
];
/// Words that end a clause for the negation windows.
const CLAUSE_WORDS: &[&str] = &[
    "but", "however", "although", "though", "whereas", "and", "or", "while",
];
/// Openings of a request: `Could you confirm …`, `Please send …`.
const REQUESTS: &[(&str, &str)] = &[
    ("could", "you"),
    ("can", "you"),
    ("would", "you"),
    ("will", "you"),
    ("do", "you"),
    ("does", "your"),
    ("are", "you"),
    ("is", "your"),
    ("let", "me"),
    ("let", "us"),
    ("please", "send"),
    ("please", "share"),
];
const PLEASE: &[&str] = &[
    "confirm", "provide", "let", "advise", "check", "tell", "clarify",
];

fn asserted(text: &str, sentences: &[Range<usize>], c: &Claim) -> bool {
    let sentence = sentence_of(sentences, c.start, text.len());
    let start = sentence.start.min(c.start);
    let end = sentence.end.clamp(c.end, text.len());
    let (head, tail) = (&text[start..c.start], &text[c.end..end]);
    // `data never leaves the EU` carries its negation inside the claim on purpose.
    let double_negative = c.kind == "region" && c.text.to_lowercase().contains("leave");
    !question(tail)
        && !request(&text[start..c.start])
        && (double_negative || !negated_before(head, c.kind))
        && (double_negative || !negated_inside(&c.text))
        && !negated_after(tail)
}

/// The sentence holding byte `at`, or the whole text.
fn sentence_of(sentences: &[Range<usize>], at: usize, len: usize) -> Range<usize> {
    sentences
        .iter()
        .find(|s| s.start <= at && at < s.end)
        .cloned()
        .unwrap_or(0..len)
}

/// The rest of the sentence after a claim ends in `?` without a dash or semicolon between:
/// `SOC 2 Type II — would the report help?` still asserts the certification.
fn question(tail: &str) -> bool {
    if tail.contains(['—', '–', ';']) || tail.contains(" - ") {
        return false;
    }
    tail.trim_end_matches(|c: char| c.is_whitespace() || ")]\"'”’»".contains(c))
        .ends_with(['?', '？'])
}

fn request(head: &str) -> bool {
    let words = words(head);
    let (Some(first), Some(second)) = (words.first(), words.get(1)) else {
        return false;
    };
    let (first, second) = (first.as_str(), second.as_str());
    REQUESTS.contains(&(first, second))
        || first == "kindly"
        || (first == "please" && PLEASE.contains(&second))
}

/// The last words of the clause before a claim (at most five).
fn negated_before(head: &str, kind: &str) -> bool {
    let clause = head
        .rsplit(|c: char| ",;:(—–".contains(c))
        .next()
        .unwrap_or(head);
    let mut words = words(clause);
    if let Some(cut) = words
        .iter()
        .rposition(|w| CLAUSE_WORDS.contains(&w.as_str()))
    {
        words.drain(..=cut);
    }
    let window = &words[words.len().saturating_sub(5)..];
    // `I'll respond within 2 hours` is a seller's own promise, not the service level.
    if kind == "response_time"
        && window
            .iter()
            .rev()
            .take(3)
            .any(|w| matches!(w.as_str(), "i" | "i'll" | "i'd" | "i'm" | "me"))
    {
        return true;
    }
    negative(window)
}

fn negated_inside(claim: &str) -> bool {
    words(claim)
        .iter()
        .any(|w| w == "not" || w == "never" || w.ends_with("n't"))
}

/// The first words of the clause after a claim (at most four).
fn negated_after(tail: &str) -> bool {
    let clause = tail
        .split(|c: char| ",;(—–".contains(c))
        .next()
        .unwrap_or(tail);
    let words = words(clause);
    let cut = words
        .iter()
        .position(|w| CLAUSE_WORDS.contains(&w.as_str()))
        .unwrap_or(words.len());
    let window = &words[..cut.min(4)];
    window
        .iter()
        .any(|w| AFTERWARDS.contains(&w.as_str()) || w.ends_with("n't"))
        || window
            .windows(2)
            .any(|p| p[0] == "in" && p[1] == "progress")
}

fn negative(window: &[String]) -> bool {
    window.iter().enumerate().any(|(i, w)| {
        let next = window.get(i + 1).map(String::as_str);
        (NEGATIONS.contains(&w.as_str()) && !(w == "not" && next == Some("only")))
            || w.ends_with("n't")
    }) || window
        .windows(2)
        .any(|p| HEDGES.contains(&(p[0].as_str(), p[1].as_str())))
}

/// Lower-case words with their apostrophes (`don't`, `i'll`), curly ones made straight.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(['\'', '’']).replace('’', "'").to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Checking

fn supports(known: &Claim, claim: &Claim) -> bool {
    match claim.kind {
        "region" => within(&known.value, &claim.value),
        "certification" | "encryption" => {
            known.value == claim.value
                || known
                    .value
                    .strip_prefix(claim.value.as_str())
                    .is_some_and(|rest| rest.starts_with(' '))
        }
        _ => known.value == claim.value,
    }
}

fn contradicts(known: &Claim, claim: &Claim) -> bool {
    match claim.kind {
        "uptime" | "response_time" => known.value != claim.value,
        "region" => !within(&known.value, &claim.value) && !within(&claim.value, &known.value),
        "certification" => {
            let (known_family, known_type) = family(&known.value);
            let (claim_family, claim_type) = family(&claim.value);
            known_family == claim_family
                && known_type.is_some()
                && claim_type.is_some()
                && known_type != claim_type
        }
        _ => false,
    }
}

/// Security and compliance are one topic here: a SOC 2 entry is filed under either.
fn same_topic(claim: &str, entry: &str) -> bool {
    let merged = |t: &str| {
        if t == "compliance" {
            "security".to_owned()
        } else {
            t.to_owned()
        }
    };
    merged(claim) == merged(entry)
}

/// At most this many chars of an entry's sentence.
const EXCERPT_CHARS: usize = 200;

/// The sentence of `source` holding `known`, trimmed, cut around the claim if too long.
fn excerpt(source: &str, sentences: &[Range<usize>], known: &Claim) -> String {
    let range = sentence_of(sentences, known.start, source.len());
    let sentence = source[range.clone()].trim();
    let chars: Vec<char> = sentence.chars().collect();
    if chars.len() <= EXCERPT_CHARS {
        return sentence.to_owned();
    }
    // Keep room for an ellipsis on each side.
    let room = EXCERPT_CHARS - 2;
    let offset = source[range.start..known.start.max(range.start)]
        .trim_start()
        .chars()
        .count();
    let from = offset.saturating_sub(40).min(chars.len() - room);
    let to = from + room;
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.extend(&chars[from..to]);
    if to < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(kind, value, text)` of each claim, checking every span slices the input.
    fn claims(text: &str) -> Vec<(&'static str, String, String)> {
        extract(text)
            .into_iter()
            .map(|c| {
                assert_eq!(&text[c.start..c.end], c.text, "span of {c:?}");
                (c.kind, c.value, c.text)
            })
            .collect()
    }

    fn values(text: &str) -> Vec<(&'static str, String)> {
        claims(text).into_iter().map(|(k, v, _)| (k, v)).collect()
    }

    fn one(kind: &'static str, value: &str) -> Vec<(&'static str, String)> {
        vec![(kind, value.to_owned())]
    }

    // --- extraction: uptime --------------------------------------------------------------

    #[test]
    fn uptime_percentages_are_claims() {
        assert_eq!(
            claims("We guarantee 99.99% uptime on the Enterprise plan."),
            vec![("uptime", "99.99".into(), "99.99% uptime".into())]
        );
        assert_eq!(
            values("Our SLA is 99.9 % monthly availability."),
            one("uptime", "99.9")
        );
        assert_eq!(
            values("The contract includes an uptime of 99.95% for production."),
            one("uptime", "99.95")
        );
        assert_eq!(
            values("Availability SLA: 99.90% measured monthly."),
            one("uptime", "99.9")
        );
        assert_eq!(values("We run at five nines."), one("uptime", "99.999"));
    }

    #[test]
    fn prices_and_other_percentages_are_not_uptime() {
        assert!(claims("It is $99.99 per seat per month.").is_empty());
        assert!(claims("99.9% of our customers renew every year.").is_empty());
        assert!(claims("You save 20% with annual billing.").is_empty());
    }

    // --- extraction: response times ----------------------------------------------------

    #[test]
    fn response_times_are_normalised_to_minutes() {
        assert_eq!(
            claims("Severity 1 incidents get a 4-hour response."),
            vec![("response_time", "240".into(), "4-hour response".into())]
        );
        assert_eq!(
            values("Our support team will respond within 2 hours."),
            one("response_time", "120")
        );
        assert_eq!(
            values("The response time of 30 minutes applies to P1 tickets."),
            one("response_time", "30")
        );
        assert_eq!(
            values("We respond to Severity 1 incidents within an hour."),
            one("response_time", "60")
        );
        assert_eq!(
            values("Standard tickets have a 1 business day resolution."),
            one("response_time", "1440")
        );
    }

    #[test]
    fn training_meetings_and_clock_times_are_not_response_times() {
        // Only response, resolution and support times count.
        assert!(claims("The package includes 2 hours of onboarding training.").is_empty());
        assert!(claims("Call me at 4 pm, or at +1 415 555 0199.").is_empty());
        assert!(claims("Can we book a 30-minute call on 24/7/2025?").is_empty());
        assert!(claims("Implementation takes about 6 weeks.").is_empty());
    }

    #[test]
    fn a_sellers_own_reply_time_is_not_the_service_level() {
        assert!(claims("I'll respond within 2 hours with the numbers.").is_empty());
    }

    #[test]
    fn round_the_clock_support_is_support_hours() {
        assert_eq!(
            claims("You also get 24/7 support from our team in Dublin."),
            vec![("support_hours", "24/7".into(), "24/7 support".into())]
        );
        assert_eq!(
            values("Our help desk is available 24x7."),
            one("support_hours", "24/7")
        );
    }

    // --- extraction: certifications ----------------------------------------------------

    #[test]
    fn certifications_get_canonical_names() {
        let cases = [
            ("We are SOC 2 Type II audited.", "SOC 2 Type II"),
            ("Our SOC2 Type 2 report is ready.", "SOC 2 Type II"),
            ("We completed SOC 2 (Type I) last year.", "SOC 2 Type I"),
            ("We hold a Type II SOC 2 attestation.", "SOC 2 Type II"),
            ("We are SOC 2 compliant.", "SOC 2"),
            ("We are certified to ISO/IEC 27001:2022.", "ISO 27001"),
            ("We are ISO27701 certified.", "ISO 27701"),
            ("The platform is HIPAA compliant.", "HIPAA"),
            ("We are PCI-DSS Level 1.", "PCI DSS"),
            (
                "We hold FedRAMP Moderate authorization.",
                "FedRAMP Moderate",
            ),
            ("We are HITRUST CSF certified.", "HITRUST"),
            ("Our TISAX label covers the Munich site.", "TISAX"),
            ("We have a BSI C5 attestation.", "C5"),
        ];
        for (text, value) in cases {
            assert_eq!(values(text), one("certification", value), "{text}");
        }
    }

    #[test]
    fn gdpr_is_a_compliance_claim_and_the_rest_security() {
        let found = extract("We are GDPR compliant and ISO 27001 certified.");
        let topics: Vec<_> = found.iter().map(|c| (c.value.as_str(), c.topic)).collect();
        assert_eq!(topics, [("GDPR", "compliance"), ("ISO 27001", "security")]);
    }

    #[test]
    fn a_list_of_iso_standards_is_one_claim_each() {
        assert_eq!(
            values("We are certified to ISO 27001/27701."),
            vec![
                ("certification", "ISO 27001".into()),
                ("certification", "ISO 27701".into())
            ]
        );
    }

    #[test]
    fn a_bare_c5_or_soc_is_not_a_certification() {
        assert!(claims("See cell C5 in the sheet.").is_empty());
        assert!(
            claims("Our 24/7 SOC watches every alert.")
                .iter()
                .all(|c| c.0 != "certification")
        );
    }

    // --- extraction: regions -----------------------------------------------------------

    #[test]
    fn the_soc_and_hosting_sentence_yields_certification_and_regions() {
        let text = "Our platform is SOC 2 Type II audited and all data is hosted in the EU \
                    (Frankfurt).";
        assert_eq!(
            claims(text),
            vec![
                (
                    "certification",
                    "SOC 2 Type II".into(),
                    "SOC 2 Type II".into()
                ),
                ("region", "eu".into(), "data is hosted in the EU".into()),
                ("region", "frankfurt".into(), "Frankfurt".into()),
            ]
        );
    }

    #[test]
    fn hosting_regions_are_claims() {
        let cases = [
            ("Your data stays in Frankfurt.", "frankfurt"),
            ("We run everything from our EU data centre.", "eu"),
            ("We offer data residency in Germany.", "germany"),
            ("All customer files are stored in the US.", "us"),
            ("We are hosted on AWS in Ireland.", "ireland"),
            ("Customer data never leaves the EU.", "eu"),
            ("We use UK-based servers for British customers.", "uk"),
            ("We host in Switzerland.", "switzerland"),
            ("Data is stored in the U.S. today.", "us"),
        ];
        for (text, value) in cases {
            assert_eq!(values(text), one("region", value), "{text}");
        }
    }

    #[test]
    fn the_pronoun_us_is_not_a_region() {
        assert!(claims("Data you share with us is stored securely.").is_empty());
        assert!(claims("Send us your data in the format you prefer.").is_empty());
    }

    // --- extraction: encryption --------------------------------------------------------

    #[test]
    fn encryption_standards_are_claims() {
        assert_eq!(
            claims("Everything is encrypted with AES-256 at rest and TLS 1.2/1.3 in transit."),
            vec![
                ("encryption", "aes-256".into(), "AES-256".into()),
                ("encryption", "at rest".into(), "at rest".into()),
                ("encryption", "tls 1.2".into(), "TLS 1.2".into()),
                ("encryption", "tls 1.3".into(), "1.3".into()),
                ("encryption", "in transit".into(), "in transit".into()),
            ]
        );
        assert_eq!(
            values("Backups are encrypted at rest."),
            one("encryption", "at rest")
        );
        assert_eq!(
            values("We use 256-bit AES keys."),
            one("encryption", "aes-256")
        );
    }

    #[test]
    fn at_rest_without_encryption_is_not_a_claim() {
        assert!(claims("Data at rest lives in S3.").is_empty());
    }

    // --- extraction: integrations ------------------------------------------------------

    #[test]
    fn integrations_are_claims_in_lower_case() {
        assert_eq!(
            claims("We have a native integration with Salesforce."),
            vec![(
                "integration",
                "salesforce".into(),
                "native integration with Salesforce".into()
            )]
        );
        assert_eq!(
            values("It integrates with HubSpot, SAP and Workday."),
            vec![
                ("integration", "hubspot".into()),
                ("integration", "sap".into()),
                ("integration", "workday".into())
            ]
        );
        assert_eq!(
            values("Provisioning uses SSO via Okta, SAML and SCIM."),
            vec![
                ("integration", "okta".into()),
                ("integration", "saml".into()),
                ("integration", "scim".into())
            ]
        );
        assert_eq!(
            values("Single sign-on with Azure AD is included."),
            one("integration", "entra id")
        );
        assert_eq!(
            values("Our Slack app posts the summary."),
            one("integration", "slack")
        );
    }

    #[test]
    fn product_names_that_are_words_count_only_capitalised() {
        assert!(claims("It integrates with teams of any size.").is_empty());
        assert_eq!(
            values("It integrates with Teams and Slack."),
            vec![
                ("integration", "microsoft teams".into()),
                ("integration", "slack".into())
            ]
        );
    }

    // --- extraction: what is not asserted ----------------------------------------------

    #[test]
    fn questions_are_not_claims() {
        assert!(claims("Could you share your uptime target?").is_empty());
        assert!(claims("Is 99.9% uptime enough for your team?").is_empty());
        assert!(claims("Do you need SOC 2 Type II or is ISO 27001 fine?").is_empty());
    }

    #[test]
    fn a_claim_before_a_dash_and_a_question_is_still_a_claim() {
        assert_eq!(
            values("We are SOC 2 Type II certified — would a copy of the report help?"),
            one("certification", "SOC 2 Type II")
        );
    }

    #[test]
    fn requests_are_not_claims() {
        assert!(claims("Could you confirm that 99.9% uptime works for you.").is_empty());
        assert!(claims("Please send your SOC 2 Type II questionnaire.").is_empty());
        assert!(claims("I'll ask our security lead.").is_empty());
        assert!(
            claims("I'll ask our security lead whether we are ISO 27001 certified.").is_empty()
        );
    }

    #[test]
    fn negated_claims_are_not_claims() {
        let cases = [
            "We are not ISO 27001 certified yet.",
            "we are not SOC 2 certified yet",
            "We don’t currently offer 24/7 support.",
            "We have yet to complete our SOC 2 Type II audit.",
            "There is no native integration with NetSuite.",
            "Your data isn't hosted in the US.",
            "We plan to add SSO via Okta next quarter.",
            "We are working towards HIPAA.",
        ];
        for text in cases {
            assert!(claims(text).is_empty(), "{text}: {:?}", claims(text));
        }
    }

    #[test]
    fn claims_taken_back_after_the_fact_are_not_claims() {
        assert!(claims("Our ISO 27001 certification is in progress.").is_empty());
        assert!(claims("FedRAMP is on our roadmap.").is_empty());
        assert!(claims("SOC 2 Type II isn't something we have.").is_empty());
    }

    #[test]
    fn a_negation_in_another_clause_does_not_spread() {
        assert_eq!(
            values("We don't resell data, but we are SOC 2 Type II certified."),
            one("certification", "SOC 2 Type II")
        );
        assert_eq!(
            values("We are SOC 2 Type II certified, not ISO 27001."),
            one("certification", "SOC 2 Type II")
        );
        assert_eq!(
            values("We are not only SOC 2 Type II audited but also ISO 27001 certified."),
            vec![
                ("certification", "SOC 2 Type II".into()),
                ("certification", "ISO 27001".into())
            ]
        );
    }

    #[test]
    fn a_realistic_reply_yields_its_claims_in_order() {
        let text = "Hi Dana,\n\nThanks for the questions. We guarantee 99.99% uptime and \
                    respond to Sev 1 incidents within 30 minutes. Our platform is SOC 2 Type \
                    II audited and all data is hosted in the EU (Frankfurt).\n\nWe're not \
                    FedRAMP authorized. Could you share your uptime target? I'll ask our \
                    security lead about HITRUST.\n\nBest,\nSam";
        assert_eq!(
            values(text),
            vec![
                ("uptime", "99.99".into()),
                ("response_time", "30".into()),
                ("certification", "SOC 2 Type II".into()),
                ("region", "eu".into()),
                ("region", "frankfurt".into()),
            ]
        );
    }

    #[test]
    fn spans_slice_the_input_exactly_in_any_script() {
        let text = "Grüße aus München — 我们 guarantee 99.9 % uptime, données hosted in the EU \
                    (Zürich), SSO via Okta 🙂, AES‑256 ok, encrypted at rest.";
        let found = extract(text);
        assert!(found.len() >= 4, "{found:?}");
        for c in &found {
            assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
            assert_eq!(&text[c.start..c.end], c.text);
        }
        assert!(found.windows(2).all(|w| w[0].start <= w[1].start));
    }

    #[test]
    fn odd_input_never_panics() {
        let long_digits = "9".repeat(10_000);
        let long_percent = format!("{long_digits}.{long_digits}% uptime");
        let nasty = [
            String::new(),
            "🙂🙂🙂".to_owned(),
            "🙂".repeat(5_000),
            long_digits.clone(),
            long_percent,
            format!("respond within {long_digits} hours"),
            "respond within 999.99 days".to_owned(),
            "uptime of 100%".to_owned(),
            "uptime of 999%".to_owned(),
            "Мы hosted in the EU, 数据 stored in Frankfurt, بيانات 24/7 support".to_owned(),
            "?".to_owned(),
            "\u{0}\u{feff}\u{200b}SOC\u{200b}2".to_owned(),
            "encrypted".repeat(100) + " at rest",
            " at rest encrypted at rest in transit".to_owned(),
            "hosted in the EU (".to_owned(),
            "TLS 1.2/".to_owned(),
            "\n\n\n".to_owned(),
        ];
        for text in &nasty {
            for c in extract(text) {
                assert_eq!(&text[c.start..c.end], c.text);
            }
        }
    }

    #[test]
    fn every_pattern_compiles() {
        LazyLock::force(&UPTIME);
        LazyLock::force(&RESPONSE);
        LazyLock::force(&SUPPORT_HOURS);
        LazyLock::force(&CERTIFICATION);
        LazyLock::force(&ISO_MORE);
        LazyLock::force(&REGIONS);
        LazyLock::force(&REGION_MORE);
        LazyLock::force(&AES);
        LazyLock::force(&TLS);
        LazyLock::force(&TLS_MORE);
        LazyLock::force(&STATE);
        LazyLock::force(&ENCRYPT);
        LazyLock::force(&INTEGRATIONS);
        LazyLock::force(&PRODUCT_MORE);
        LazyLock::force(&IDP_MORE);
    }

    // --- checking ----------------------------------------------------------------------

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn entry(id: &str, topic: &str, body: &str) -> Entry {
        Entry {
            id: id.into(),
            title: format!("{id} answer"),
            topic: topic.into(),
            owner: "deal_desk".into(),
            approved_by: "Priya Shah".into(),
            valid_until: day(2027, 6, 30),
            body: body.into(),
        }
    }

    fn kb() -> Vec<Entry> {
        vec![
            entry(
                "sla",
                "sla",
                "Our standard SLA is 99.9 % monthly uptime, with a 4-hour response for \
                 Severity 1 incidents. Support is available 24/7.",
            ),
            entry(
                "soc2",
                "compliance",
                "We hold a SOC 2 Type II report, renewed every year. Ask legal for the NDA.",
            ),
            entry(
                "hosting",
                "data_residency",
                "Customer data is hosted in the EU (Frankfurt). Backups are encrypted at rest \
                 with AES-256.",
            ),
            entry(
                "crm",
                "integration",
                "We ship a native integration with Salesforce.",
            ),
        ]
    }

    fn first(text: &str) -> Claim {
        extract(text).into_iter().next().unwrap()
    }

    fn today() -> NaiveDate {
        day(2026, 3, 1)
    }

    #[test]
    fn a_claim_the_knowledge_base_makes_is_supported_with_its_sentence() {
        let kb = kb();
        let claim = first("We offer 99.90% availability.");
        let Support::Supported { entry, excerpt } = check(&claim, &kb, today()) else {
            panic!("expected supported");
        };
        assert_eq!(entry.id, "sla");
        assert_eq!(
            excerpt,
            "Our standard SLA is 99.9 % monthly uptime, with a 4-hour response for Severity 1 \
             incidents."
        );
    }

    #[test]
    fn a_different_uptime_is_contradicted_with_what_the_entry_says() {
        let kb = kb();
        let claim = first("We guarantee 99.99% uptime.");
        assert_eq!(
            check(&claim, &kb, today()),
            Support::Contradicted {
                entry: &kb[0],
                excerpt: "Our standard SLA is 99.9 % monthly uptime, with a 4-hour response \
                          for Severity 1 incidents."
                    .into(),
                says: "99.9 % monthly uptime".into(),
            }
        );
    }

    #[test]
    fn a_different_response_time_is_contradicted() {
        let kb = kb();
        let claim = first("We respond to P1 tickets within 1 hour.");
        assert!(matches!(
            check(&claim, &kb, today()),
            Support::Contradicted { says, .. } if says == "4-hour response"
        ));
        let claim = first("Severity 1 incidents get a four-hour response.");
        assert!(matches!(
            check(&claim, &kb, today()),
            Support::Supported { .. }
        ));
    }

    #[test]
    fn a_certification_type_the_entry_does_not_hold_is_contradicted() {
        let kb = kb();
        let claim = first("We are SOC 2 Type I certified.");
        let Support::Contradicted { entry, says, .. } = check(&claim, &kb, today()) else {
            panic!("expected contradicted");
        };
        assert_eq!(
            (entry.id.as_str(), says.as_str()),
            ("soc2", "SOC 2 Type II")
        );
    }

    #[test]
    fn a_less_specific_claim_is_supported_by_a_more_specific_entry() {
        let kb = kb();
        for text in [
            "We are SOC 2 compliant.",
            "All data is hosted in Germany.",
            "Your data stays in Europe.",
        ] {
            assert!(
                matches!(check(&first(text), &kb, today()), Support::Supported { .. }),
                "{text}"
            );
        }
    }

    #[test]
    fn a_region_outside_the_entrys_is_contradicted_but_a_finer_one_is_only_unsupported() {
        let kb = kb();
        let Support::Contradicted {
            entry: by, says, ..
        } = check(&first("All data is stored in the US."), &kb, today())
        else {
            panic!("expected contradicted");
        };
        assert_eq!(by.id, "hosting");
        assert_eq!(says, "data is hosted in the EU");
        // Frankfurt is in the entry, Paris is not: another city in the same union.
        assert!(matches!(
            check(&first("Data stays in Paris."), &kb, today()),
            Support::Contradicted { .. }
        ));
        let only_eu = [entry("eu", "data_residency", "Data is hosted in the EU.")];
        assert_eq!(
            check(&first("Data is hosted in Germany."), &only_eu, today()),
            Support::Unsupported
        );
    }

    #[test]
    fn integrations_and_encryption_are_never_contradicted() {
        let kb = kb();
        assert_eq!(
            check(&first("It integrates with HubSpot."), &kb, today()),
            Support::Unsupported
        );
        assert_eq!(
            check(&first("Everything uses AES-128."), &kb, today()),
            Support::Unsupported
        );
        assert!(matches!(
            check(&first("We have a Salesforce integration."), &kb, today()),
            Support::Supported { entry, .. } if entry.id == "crm"
        ));
        assert!(matches!(
            check(&first("Data is encrypted at rest."), &kb, today()),
            Support::Supported { entry, .. } if entry.id == "hosting"
        ));
    }

    #[test]
    fn an_unknown_claim_is_unsupported() {
        let kb = kb();
        assert_eq!(
            check(&first("We are HIPAA compliant."), &kb, today()),
            Support::Unsupported
        );
    }

    #[test]
    fn expired_entries_do_not_count() {
        let kb = kb();
        let claim = first("We offer 99.9% uptime.");
        assert!(matches!(
            check(&claim, &kb, day(2027, 6, 30)),
            Support::Supported { .. }
        ));
        assert_eq!(check(&claim, &kb, day(2027, 7, 1)), Support::Unsupported);
    }

    #[test]
    fn an_entry_on_another_topic_does_not_contradict() {
        let other = [entry(
            "onboarding",
            "implementation",
            "Our implementation team has a 2-day response for configuration requests.",
        )];
        let claim = first("We respond within 4 hours.");
        assert_eq!(check(&claim, &other, today()), Support::Unsupported);
    }

    #[test]
    fn support_wins_over_contradiction_in_any_order() {
        let mut kb = vec![
            entry("old", "sla", "Enterprise customers get 99.95% uptime."),
            entry("new", "sla", "We guarantee 99.99% uptime on every plan."),
        ];
        let claim = first("Our platform offers 99.99% uptime.");
        assert!(
            matches!(check(&claim, &kb, today()), Support::Supported { entry, .. } if entry.id == "new")
        );
        kb.reverse();
        assert!(
            matches!(check(&claim, &kb, today()), Support::Supported { entry, .. } if entry.id == "new")
        );
    }

    #[test]
    fn the_title_can_support_a_claim() {
        let mut e = entry("x", "security", "Ask the security team for the report.");
        e.title = "ISO 27001 certificate".into();
        let entries = [e];
        let Support::Supported { excerpt, .. } =
            check(&first("We are ISO 27001 certified."), &entries, today())
        else {
            panic!("expected supported");
        };
        assert_eq!(excerpt, "ISO 27001 certificate");
    }

    #[test]
    fn a_long_sentence_is_cut_around_the_claim() {
        let filler = "and our platform keeps getting better every single quarter ".repeat(6);
        let body = format!("Since launch {filler}we have delivered 99.9% uptime {filler}.");
        let entries = [entry("long", "sla", &body)];
        let Support::Supported { excerpt, .. } =
            check(&first("We deliver 99.9% uptime."), &entries, today())
        else {
            panic!("expected supported");
        };
        assert!(
            excerpt.chars().count() <= 200,
            "{}",
            excerpt.chars().count()
        );
        assert!(excerpt.contains("99.9% uptime"));
        assert!(excerpt.starts_with('…') && excerpt.ends_with('…'));
    }
}
