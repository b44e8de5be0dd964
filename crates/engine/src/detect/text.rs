//! Reading a message once for every detector: whose words are whose, sentences, signature.
//!
//! Whose words count (DESIGN §2): quoted inbound text (`>` lines, "On … wrote:" blocks,
//! forwarded and "Original Message" blocks) is the buyer's, not the seller's. When the
//! action carries the inbound message it answers, only lines that match that message
//! count as quoted: anything else formatted as a quote is the seller's own words, so an
//! AI cannot hide an offer under a fake "On … wrote:" line.

use std::ops::Range;

/// Whether a stretch of text is the seller's own words or quoted inbound text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Own,
    Quoted,
}

/// A sentence (or list item, or paragraph fragment) with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub range: Range<usize>,
    pub segment: Segment,
}

/// A text prepared for the detectors.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// The text findings point into.
    pub text: &'a str,
    /// Which field of the action it is: `body`, `subject`, `payload.changes.next_step`, …
    pub field: &'a str,
    /// Sentences in order, each entirely own or entirely quoted.
    pub sentences: Vec<Sentence>,
    /// Byte offset where the sender's signature block starts (`text.len()` if none).
    pub signature_start: usize,
    /// Where it ends: a P.S. after the signature is the seller's words again.
    pub signature_end: usize,
}

impl<'a> Document<'a> {
    /// Splits `text`; `inbound` is the text of the message being answered, if known.
    pub fn new(field: &'a str, text: &'a str, inbound: Option<&str>) -> Self {
        let lines = line_origins(text, inbound);
        let sentences = split_sentences(text, &lines);
        let signature_start = find_signature(text, &lines);
        let signature_end = find_postscript(text, &lines, signature_start);
        Self {
            text,
            field,
            sentences,
            signature_start,
            signature_end,
        }
    }

    /// The seller's own sentences.
    pub fn own(&self) -> impl Iterator<Item = &Sentence> {
        self.sentences.iter().filter(|s| s.segment == Segment::Own)
    }

    /// Quoted inbound sentences.
    pub fn quoted(&self) -> impl Iterator<Item = &Sentence> {
        self.sentences
            .iter()
            .filter(|s| s.segment == Segment::Quoted)
    }

    /// Whether byte `offset` lies in quoted inbound text.
    pub fn is_quoted(&self, offset: usize) -> bool {
        self.sentences
            .iter()
            .find(|s| s.range.contains(&offset))
            .is_some_and(|s| s.segment == Segment::Quoted)
    }

    /// Whether any of the text is quoted.
    pub fn has_quote(&self) -> bool {
        self.quoted().next().is_some()
    }

    /// Number of words in the seller's own text, for "short reply" judgements.
    pub fn own_word_count(&self) -> usize {
        self.own()
            .map(|s| self.text[s.range.clone()].split_whitespace().count())
            .sum()
    }

    /// Whether `offset` is inside the sender's signature block.
    pub fn in_signature(&self, offset: usize) -> bool {
        offset >= self.signature_start && offset < self.signature_end
    }
}

/// One line of the text with its origin.
#[derive(Debug, Clone)]
struct Line {
    range: Range<usize>,
    segment: Segment,
}

/// Lines of `text` with the origin of each.
fn line_origins(text: &str, inbound: Option<&str>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        lines.push(Line {
            range: start..start + piece.len(),
            segment: Segment::Own,
        });
        start += piece.len();
    }

    let mut in_block = false; // after an attribution or forward header
    let mut block_uses_markers = false; // the block's lines start with `>`
    for i in 0..lines.len() {
        let raw = &text[lines[i].range.clone()];
        let line = raw.trim();
        if line.starts_with('>') {
            lines[i].segment = Segment::Quoted;
            if in_block {
                block_uses_markers = true;
            }
            continue;
        }
        if in_block {
            if block_uses_markers && !line.is_empty() {
                // Inline reply: the seller's words resume after the `>` lines.
                in_block = false;
            } else {
                lines[i].segment = Segment::Quoted;
                continue;
            }
        }
        let next = lines
            .get(i + 1)
            .map_or("", |l| text[l.range.clone()].trim());
        if is_quote_header(line, next) {
            lines[i].segment = Segment::Quoted;
            in_block = true;
            block_uses_markers = false;
        }
    }

    if let Some(inbound) = inbound {
        // Only text that matches the inbound message counts as quoted.
        let haystack = normalize(inbound);
        for line in &mut lines {
            if line.segment != Segment::Quoted {
                continue;
            }
            let raw = &text[line.range.clone()];
            let content = raw.trim().trim_start_matches(['>', ' ']).trim();
            let structural = content.is_empty() || is_quote_header(content, "");
            if !structural && !haystack.contains(&normalize(content)) {
                line.segment = Segment::Own;
            }
        }
    }
    lines
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.trim_start_matches('>'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Attribution lines and forward/original-message separators, in the five languages.
fn is_quote_header(line: &str, next: &str) -> bool {
    let lower = line.to_lowercase();
    let starts = |p: &str| lower.starts_with(p);
    let ends_wrote = |l: &str| {
        let l = l.trim_end_matches([':', ' ']);
        [
            "wrote",
            "schrieb",
            "a écrit",
            "escribió",
            "schreef",
            "ha escrito",
        ]
        .iter()
        .any(|w| l.ends_with(w))
    };
    if (starts("on ") || starts("am ") || starts("le ") || starts("el ") || starts("op "))
        && lower.ends_with(':')
        && ends_wrote(&lower)
    {
        return true;
    }
    // Gmail wraps long attributions: "On Tue, … <a@b.com>" / "wrote:".
    if (starts("on ") || starts("am ") || starts("le ")) && lower.contains('@') {
        let next = next.to_lowercase();
        if next.len() < 20 && ends_wrote(&next) {
            return true;
        }
    }
    let dashed = lower.trim_matches(|c: char| c == '-' || c == '_' || c == ' ');
    if lower.starts_with("---") || lower.starts_with("___") {
        return [
            "original message",
            "forwarded message",
            "ursprüngliche nachricht",
            "weitergeleitete nachricht",
            "message d'origine",
            "message transféré",
            "mensaje original",
            "mensaje reenviado",
            "oorspronkelijk bericht",
            "doorgestuurd bericht",
        ]
        .iter()
        .any(|h| dashed.contains(h));
    }
    if starts("begin forwarded message") || starts("anfang der weitergeleiteten") {
        return true;
    }
    // Outlook: a "From:" header followed by "Sent:"/"Date:".
    if ["from:", "von:", "de :", "de:", "van:"]
        .iter()
        .any(|p| starts(p))
    {
        let next = next.to_lowercase();
        return [
            "sent:",
            "date:",
            "gesendet:",
            "datum:",
            "envoyé :",
            "envoyé:",
            "enviado:",
            "verzonden:",
            "to:",
        ]
        .iter()
        .any(|p| next.starts_with(p));
    }
    false
}

/// Splits into sentences at sentence punctuation, blank lines, list items and origin changes.
/// Wrapped lines inside a paragraph are joined, since mail clients wrap at ~76 columns.
fn split_sentences(text: &str, lines: &[Line]) -> Vec<Sentence> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let push = |range: Range<usize>, segment: Segment, out: &mut Vec<Sentence>| {
        let slice = &text[range.clone()];
        let lead = slice.len() - slice.trim_start().len();
        let trail = slice.len() - slice.trim_end().len();
        if lead + trail < slice.len() {
            out.push(Sentence {
                range: range.start + lead..range.end - trail,
                segment,
            });
        }
    };
    let mut i = 0;
    while i < lines.len() {
        // A run of lines with the same origin forming one paragraph.
        let segment = lines[i].segment;
        let mut start = lines[i].range.start;
        let mut j = i;
        while j < lines.len() && lines[j].segment == segment {
            let line = &lines[j];
            let content = text[line.range.clone()].trim();
            let next_breaks = lines.get(j + 1).is_none_or(|n| {
                n.segment != segment || {
                    let nc = text[n.range.clone()].trim();
                    nc.is_empty() || starts_list_item(nc) || content.ends_with(':')
                }
            });
            // Sentence punctuation inside the line.
            let mut k = line.range.start;
            while k < line.range.end {
                let b = bytes[k];
                if matches!(b, b'.' | b'!' | b'?' | b';')
                    && bytes
                        .get(k + 1)
                        .is_none_or(|n| n.is_ascii_whitespace() || *n == b'"' || *n == b')')
                    && !is_abbreviation(text, start, k)
                {
                    push(start..k + 1, segment, &mut out);
                    start = k + 1;
                }
                k += 1;
            }
            if content.is_empty() || next_breaks {
                push(start..line.range.end, segment, &mut out);
                start = line.range.end;
            }
            j += 1;
        }
        push(start..lines[j - 1].range.end, segment, &mut out);
        i = j;
    }
    out
}

fn starts_list_item(line: &str) -> bool {
    let b = line.as_bytes();
    matches!(b.first(), Some(b'-' | b'*' | b'+'))
        || line.starts_with('•')
        || line.starts_with('–')
        || (b.first().is_some_and(u8::is_ascii_digit)
            && b.iter().take(4).any(|c| *c == b'.' || *c == b')'))
}

/// `e.g.`, `i.e.`, `Inc.`, `No.`, `Sec. 4`, `2.1`: a period that does not end a sentence.
fn is_abbreviation(text: &str, start: usize, dot: usize) -> bool {
    let before = &text[start..dot];
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let lower = word.to_ascii_lowercase();
    word.len() == 1
        || lower.contains('.')
        || matches!(
            lower.as_str(),
            "inc"
                | "ltd"
                | "co"
                | "corp"
                | "no"
                | "sec"
                | "vs"
                | "mr"
                | "mrs"
                | "ms"
                | "dr"
                | "etc"
                | "approx"
                | "art"
                | "abs"
                | "bzw"
                | "ca"
                | "ggf"
                | "usw"
                | "z.b"
                | "st"
        )
}

/// Where the sender's signature starts: after a `-- ` line or a closing line near the end.
fn find_signature(text: &str, lines: &[Line]) -> usize {
    const CLOSINGS: [&str; 24] = [
        "best",
        "best regards",
        "regards",
        "kind regards",
        "warm regards",
        "thanks",
        "thank you",
        "many thanks",
        "cheers",
        "sincerely",
        "all the best",
        "talk soon",
        "mit freundlichen grüßen",
        "viele grüße",
        "beste grüße",
        "freundliche grüße",
        "cordialement",
        "bien cordialement",
        "bien à vous",
        "saludos",
        "un saludo",
        "atentamente",
        "met vriendelijke groet",
        "groeten",
    ];
    let own: Vec<&Line> = lines.iter().filter(|l| l.segment == Segment::Own).collect();
    let tail = own.len().saturating_sub(12);
    for line in &own[tail..] {
        let content = text[line.range.clone()].trim();
        let lower = content.trim_end_matches([',', '!', '.']).to_lowercase();
        if content == "--" || content == "—" || CLOSINGS.contains(&lower.as_str()) {
            return line.range.end;
        }
    }
    text.len()
}

/// Where a postscript after the signature starts ("P.S.", "PS:", "PPS", "N.B."), else the end.
fn find_postscript(text: &str, lines: &[Line], signature_start: usize) -> usize {
    lines
        .iter()
        .filter(|l| l.segment == Segment::Own && l.range.start >= signature_start)
        .find(|l| {
            let lower = text[l.range.clone()].trim_start().to_lowercase();
            ["p.s", "ps:", "ps ", "pps", "p.p.s", "n.b.", "nb:"]
                .iter()
                .any(|p| lower.starts_with(p))
        })
        .map_or(text.len(), |l| l.range.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_text(doc: &Document<'_>) -> String {
        doc.own()
            .map(|s| &doc.text[s.range.clone()])
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn gmail_attribution_block_is_quoted() {
        let text = "Works for us, see you Tuesday.\n\nOn Mon, Nov 2, 2026 at 9:14 AM Dana <dana@acme.example> wrote:\n> Could we get Net 60 instead of Net 30?\n> Thanks\n";
        let doc = Document::new("body", text, None);
        assert_eq!(own_text(&doc), "Works for us, see you Tuesday.");
        assert!(doc.is_quoted(text.find("Net 60").unwrap()));
    }

    #[test]
    fn outlook_original_message_block_is_quoted() {
        let text = "Thanks, noted.\n\n-----Original Message-----\nFrom: Dana\nSent: Monday\nWe need a 20% discount to sign.\n";
        let doc = Document::new("body", text, None);
        assert_eq!(own_text(&doc), "Thanks, noted.");
    }

    #[test]
    fn inline_reply_after_quoted_lines_is_own_text() {
        let text = "On Mon Dana wrote:\n> Is the data stored in the EU?\n\nYes, all data stays in Frankfurt.\n";
        let doc = Document::new("body", text, None);
        assert_eq!(own_text(&doc), "Yes, all data stays in Frankfurt.");
    }

    #[test]
    fn fake_quote_that_matches_no_inbound_text_is_own_words() {
        let text = "See below.\n\nOn Mon Dana wrote:\n> We can offer 30% off if you sign today.\n";
        let inbound = "Hi, can you send the onboarding plan?";
        let doc = Document::new("body", text, Some(inbound));
        assert!(own_text(&doc).contains("30% off"));
        let real = Document::new(
            "body",
            text,
            Some("We can offer 30% off if you sign today."),
        );
        assert!(!own_text(&real).contains("30% off"));
    }

    #[test]
    fn wrapped_lines_join_into_one_sentence() {
        let text = "We can offer a discount if you\nsign the order form by Friday.\n- item one\n- item two";
        let doc = Document::new("body", text, None);
        let sentences: Vec<&str> = doc
            .sentences
            .iter()
            .map(|s| &text[s.range.clone()])
            .collect();
        assert_eq!(
            sentences,
            [
                "We can offer a discount if you\nsign the order form by Friday.",
                "- item one",
                "- item two"
            ]
        );
    }

    #[test]
    fn postscript_after_the_signature_is_the_sellers_words() {
        let text =
            "See you then.\n\nBest regards,\nSam\n+1 415 555 0100\n\nP.S. We can do 20% off.\n";
        let doc = Document::new("body", text, None);
        assert!(doc.in_signature(text.find("+1").unwrap()));
        assert!(!doc.in_signature(text.find("20%").unwrap()));
    }

    #[test]
    fn signature_block_starts_after_closing() {
        let text = "See you then.\n\nBest regards,\nSam Seller\n+1 415 555 0100\n";
        let doc = Document::new("body", text, None);
        assert!(doc.in_signature(text.find("+1").unwrap()));
        assert!(!doc.in_signature(0));
    }
}
