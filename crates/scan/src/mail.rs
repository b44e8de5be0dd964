//! Sent mail read for shadow AI (issue 14): mbox files (streamed), directories of `.eml`
//! files and Maildirs. Each message is parsed with `mail-parser` and read against the
//! signatures and what the store knows ([`Known`]); what it shows becomes [`Finding`]s,
//! handed to a sink as they come so that a mailbox of any size is read in bounded memory.
//!
//! Per message, only the seller's own mail counts (From one of the company's domains, or a
//! rep recognised by name writing from elsewhere); inbound mail in the same export is
//! skipped, so a buyer's own tracker is never reported as ours.
//!
//! - `ai_tool`: a header of an AI writing tool or sequencer (X-Mailer, User-Agent, its own
//!   headers), its domain in the Message-ID, or a link or image on its domains.
//! - `unsanctioned_tracker`: a link or image on a tracker's domains, a sequencer's tracked
//!   link or image, a 1×1 pixel on any known tool's domains, or a tracker's own header.
//! - `personal_account` and `ungated_send`: only for mail to buyers (a recipient whose
//!   domain, or a parent of it, is a buyer domain).
//!
//! Tools the registry knows (`known.registered_tools`) are governed, not shadow: their
//! mail is not reported as `ai_tool` or `unsanctioned_tracker`; if it went around the gate
//! it is an `ungated_send`. For mail to buyers with a finding, the gate reads the text once
//! and what it would have stopped (protected moments and sensitive data) goes into the
//! findings' `touched`.
//!
//! A message that cannot be read is one [`Finding::unreadable`] and the next one is read.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use countersign_engine::{Action, Category, Context, Decision, Gate, Policy};
use mail_parser::mailbox::mbox::MessageIterator;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use crate::{Finding, Kind, Known, Signatures, ToolSignature, subject_key};

/// The most of one message that is kept in memory; a larger message is skipped and
/// reported (large attachments are the usual cause, and nothing here reads attachments).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Reads mail against the signatures, what the store knows, and the gate.
pub struct MailScanner<'a> {
    /// Reps, the seller's and buyers' domains, what the gate delivered and decided.
    pub known: &'a Known,
    pub signatures: &'a Signatures,
    /// Reads the text of mail to buyers that has a finding, for `touched`.
    pub gate: &'a Gate,
    pub policy: &'a Policy,
}

impl<'a> MailScanner<'a> {
    /// Streams an mbox file (never loads it whole; a truncated or garbled tail gives one
    /// `Finding::unreadable` with where it stopped, and everything before is still
    /// reported). Returns messages read, the unreadable ones included.
    ///
    /// Sources are `<file name> message <n>`, counting from 1.
    pub fn mbox(&self, path: &Path, sink: &mut dyn FnMut(Finding)) -> Result<u64, io::Error> {
        let name = file_name(path);
        let track = Rc::new(RefCell::new(Track::default()));
        let lines = Lines {
            inner: BufReader::with_capacity(1 << 18, File::open(path)?),
            track: Rc::clone(&track),
        };
        let parser = MessageParser::default();
        let mut n = 0u64;
        for item in MessageIterator::new(lines) {
            let message = match item {
                Ok(message) => message,
                Err(e) => {
                    let line = track.borrow().line;
                    sink(Finding::unreadable(
                        format!("{name} line {line}"),
                        format!("cannot read on from here: {e}"),
                    ));
                    return Ok(n);
                }
            };
            n += 1;
            let source = format!("{name} message {n}");
            let (start, at_end, ends_mid_line, last_line) = {
                let mut t = track.borrow_mut();
                let start = t.starts.pop_front().unwrap_or_default();
                (start, t.starts.is_empty() && t.eof, t.ends_mid_line, t.line)
            };
            if start.cut {
                sink(Finding::unreadable(
                    source,
                    format!(
                        "over {} MiB from line {}: skipped",
                        MAX_MESSAGE_BYTES >> 20,
                        start.line
                    ),
                ));
                continue;
            }
            let raw = message.contents();
            match self.read(&parser, raw, &source, sink) {
                Ok(()) if at_end && ends_mid_line => sink(Finding::unreadable(
                    source,
                    format!(
                        "the file ends mid-line at line {last_line}: the rest of this message is missing"
                    ),
                )),
                Ok(()) => {}
                Err(why) => {
                    let last = if at_end {
                        ", the file's last message"
                    } else {
                        ""
                    };
                    sink(Finding::unreadable(
                        source,
                        format!("{why}; from line {}{last}", start.line),
                    ));
                }
            }
        }
        let t = track.borrow();
        if n == 0 && t.line > 0 {
            sink(Finding::unreadable(
                format!("{name} line 1"),
                "not an mbox: no line starts with `From `",
            ));
        } else if t.text_before_first > 0 {
            sink(Finding::unreadable(
                format!("{name} line 1"),
                format!(
                    "{} lines before the first `From ` line are not mail: skipped",
                    t.text_before_first
                ),
            ));
        }
        Ok(n)
    }

    /// Every *.eml file of a directory (sorted), each one message. Sources are
    /// `<directory name>/<file name>`.
    pub fn eml_dir(&self, dir: &Path, sink: &mut dyn FnMut(Finding)) -> Result<u64, io::Error> {
        let files = sorted_files(dir, |name| {
            Path::new(name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
        })?;
        Ok(self.files(&file_name(dir), &files, sink))
    }

    /// A Maildir (cur/ and new/, each sorted by file name; sub-folders are not read).
    /// Sources are `<maildir name>/cur/<file name>`.
    ///
    /// Files are listed here rather than with `mail_parser::mailbox::maildir`, whose order
    /// is the directory's (unspecified), so that two scans of one Maildir report alike.
    pub fn maildir(&self, dir: &Path, sink: &mut dyn FnMut(Finding)) -> Result<u64, io::Error> {
        let (cur, new) = (dir.join("cur"), dir.join("new"));
        if !cur.is_dir() && !new.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "not a Maildir: it has neither cur/ nor new/",
            ));
        }
        let base = file_name(dir);
        let mut n = 0;
        for (sub, path) in [("cur", cur), ("new", new)] {
            if path.is_dir() {
                let files = sorted_files(&path, |name| !name.starts_with('.'))?;
                n += self.files(&format!("{base}/{sub}"), &files, sink);
            }
        }
        Ok(n)
    }

    /// One raw RFC 5322 message; `source` says where it came from (`sent.mbox message 17`).
    pub fn message(&self, raw: &[u8], source: &str, sink: &mut dyn FnMut(Finding)) {
        if let Err(why) = self.read(&MessageParser::default(), raw, source, sink) {
            sink(Finding::unreadable(source, why));
        }
    }

    /// Reads each file as one message; a file that cannot be read is reported and skipped.
    fn files(
        &self,
        base: &str,
        files: &[(String, std::path::PathBuf)],
        sink: &mut dyn FnMut(Finding),
    ) -> u64 {
        let parser = MessageParser::default();
        let mut raw = Vec::new();
        for (name, path) in files {
            let source = format!("{base}/{name}");
            raw.clear();
            let read = File::open(path)
                .and_then(|f| f.take(MAX_MESSAGE_BYTES as u64 + 1).read_to_end(&mut raw));
            match read {
                Err(e) => sink(Finding::unreadable(
                    source,
                    format!("cannot read this file: {e}"),
                )),
                Ok(len) if len > MAX_MESSAGE_BYTES => sink(Finding::unreadable(
                    source,
                    format!("over {} MiB: skipped", MAX_MESSAGE_BYTES >> 20),
                )),
                Ok(_) => {
                    if let Err(why) = self.read(&parser, &raw, &source, sink) {
                        sink(Finding::unreadable(source, why));
                    }
                }
            }
        }
        files.len() as u64
    }

    /// Reads one message; `Err` says why it could not be read.
    fn read(
        &self,
        parser: &MessageParser,
        raw: &[u8],
        source: &str,
        sink: &mut dyn FnMut(Finding),
    ) -> Result<(), String> {
        // mail-parser accepts a header without its end (it flags the part and reads on), so a
        // message cut off inside its header would otherwise look whole.
        if !has_header_end(raw) {
            return Err("cut off inside its header (no blank line ends it)".to_owned());
        }
        let m = parser.parse(raw).ok_or("no mail headers")?;
        check_mime(&m)?;
        let sender = m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| Some((a.address()?.trim().to_lowercase(), a.name())))
            .filter(|(address, _)| address.contains('@'))
            .ok_or("no From address")?;
        let mail = Mail::read(self.known, &m, sender);
        let Some(rep) = mail.seller(self.known) else {
            return Ok(()); // Not the seller's mail (a reply received, a notification).
        };
        let at = m
            .date()
            .filter(|d| d.is_valid())
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
        let new = |kind, tool: Option<String>, evidence: String| Finding {
            kind,
            rep: Some(rep.clone()),
            tool,
            evidence,
            source: source.to_owned(),
            at,
            touched: BTreeSet::new(),
        };
        let mut found = Vec::new();
        let buyer = mail.buyers.first();

        if let Some(buyer) = buyer
            && mail.rep.is_some()
            && !in_domains(&mail.from_domain, &self.known.company_domains)
        {
            found.push(new(
                Kind::PersonalAccount,
                Some(mail.from_domain.clone()),
                format!("from {} to {buyer}", mail.from),
            ));
        }
        for (tool, kind, evidence) in self.tools(&m) {
            found.push(new(kind, Some(tool.name.clone()), evidence));
        }
        if let Some(buyer) = buyer
            && self.known.rep_addresses.contains_key(&mail.from)
            && !self.gated(&m, &mail.buyers)
        {
            let subject = m.subject().unwrap_or_default().trim();
            found.push(new(
                Kind::UngatedSend,
                None,
                format!("to {buyer}: “{subject}”"),
            ));
        }

        let read_by_gate = |f: &Finding| {
            matches!(
                f.kind,
                Kind::PersonalAccount | Kind::AiTool | Kind::UngatedSend
            )
        };
        if buyer.is_some() && found.iter().any(read_by_gate) {
            let touched = self.touched(&m, source, at);
            for f in found.iter_mut().filter(|f| read_by_gate(f)) {
                f.touched.clone_from(&touched);
            }
        }
        found.into_iter().for_each(sink);
        Ok(())
    }

    /// The tools a message shows, each once per kind (headers first, then the Message-ID,
    /// then links and images), with the kind of finding and the evidence. Registered tools
    /// are left out.
    fn tools(&self, m: &Message<'_>) -> Vec<(&'a ToolSignature, Kind, String)> {
        let signatures: &'a Signatures = self.signatures;
        let mut seen: Vec<(&'a ToolSignature, Kind, String)> = Vec::new();
        let raw = m.raw_message();
        for h in m.headers() {
            let start = (h.offset_start() as usize).min(raw.len());
            let end = (h.offset_end() as usize).clamp(start, raw.len());
            let value = String::from_utf8_lossy(&raw[start..end]);
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some((tool, evidence)) = signatures.by_header(h.name(), &value) {
                // A tracker's own mailer is a tracker in the mail, not an AI tool.
                let kind = if tool.category == "tracker" {
                    Kind::UnsanctionedTracker
                } else {
                    Kind::AiTool
                };
                seen.push((tool, kind, evidence));
            }
        }
        if let Some(domain) = m
            .message_id()
            .and_then(|id| id.rsplit_once('@'))
            .map(|(_, d)| d.trim().trim_end_matches('>').to_lowercase())
            && let Some(tool) = signatures.by_domain(&domain)
            && tool.category != "tracker"
        {
            seen.push((tool, Kind::AiTool, format!("Message-ID domain {domain}")));
        }
        let mut refs = Vec::new();
        for part in m.text_bodies().chain(m.html_bodies()) {
            match &part.body {
                PartType::Html(html) => html_refs(html, &mut refs),
                PartType::Text(text) => text_refs(text, &mut refs),
                _ => {}
            }
        }
        for r in &refs {
            let Some(tool) = signatures.by_domain(&r.domain) else {
                continue;
            };
            let said = match r.what {
                Element::Link => format!("link to {}", r.domain),
                Element::Image => format!("image from {}", r.domain),
                Element::Pixel => format!("tracking pixel from {}", r.domain),
            };
            if matches!(
                tool.category.as_str(),
                "ai_writing" | "sequencer" | "ai_assistant"
            ) {
                seen.push((tool, Kind::AiTool, said.clone()));
            }
            // A sequencer's links and images are tracked; an AI writer's or assistant's link
            // (a shared chat, an image it hosts) is not a tracker unless it is a pixel.
            if matches!(tool.category.as_str(), "tracker" | "sequencer") || r.what == Element::Pixel
            {
                seen.push((tool, Kind::UnsanctionedTracker, said));
            }
        }
        let mut out: Vec<(&'a ToolSignature, Kind, String)> = Vec::new();
        for (tool, kind, evidence) in seen {
            let registered = self
                .known
                .registered_tools
                .contains(&tool.name.to_lowercase());
            if !registered
                && !out
                    .iter()
                    .any(|(t, k, _)| t.name == tool.name && *k == kind)
            {
                out.push((tool, kind, evidence));
            }
        }
        out
    }

    /// Whether Countersign accounts for this message: its Message-ID was delivered by the
    /// outbox, or an e-mail action to one of its buyer recipients had the same subject.
    ///
    /// Subjects compare by [`subject_key`] on both sides (lower case, `Re:`/`Fwd:`/`AW:`…
    /// prefixes removed, spaces collapsed), so a reply sent by hand to a gated thread with an
    /// extra `Re:` still counts as that action, and a store that kept the subject as written
    /// still matches.
    fn gated(&self, m: &Message<'_>, buyers: &[String]) -> bool {
        let id = m.message_id().map(|id| {
            id.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_lowercase()
        });
        if id.is_some_and(|id| self.known.gated_message_ids.contains(&id)) {
            return true;
        }
        let key = subject_key(m.subject().unwrap_or_default());
        buyers.iter().any(|to| {
            self.known
                .gated_pairs
                .range((to.clone(), String::new())..)
                .take_while(|(r, _)| r == to)
                .any(|(_, s)| subject_key(s) == key)
        })
    }

    /// What the gate would have stopped in this message: its protected and sensitive
    /// findings as `category/subtopic`, when the decision is anything but `allow`.
    fn touched(
        &self,
        m: &Message<'_>,
        source: &str,
        at: Option<DateTime<Utc>>,
    ) -> BTreeSet<String> {
        let subject = m.subject().unwrap_or_default();
        // mail-parser gives the HTML part as text when there is no text part.
        let body = m.body_text(0).unwrap_or_default();
        let action = Action::email(source, subject, &body);
        let record = self.gate.decide(
            &action,
            &Context::default(),
            self.policy,
            at.unwrap_or_else(Utc::now),
        );
        if record.decision == Decision::Allow {
            return BTreeSet::new();
        }
        record
            .findings
            .iter()
            .filter(|f| f.category.is_protected() || f.category == Category::Sensitive)
            .map(|f| format!("{}/{}", f.category, f.subtopic))
            .collect()
    }
}

/// Who sent a message and to whom, as the findings need it.
struct Mail {
    /// The From address, lower case.
    from: String,
    from_domain: String,
    /// The rep the sender is, by company address, display name or local part.
    rep: Option<String>,
    /// To and Cc addresses at buyer domains, lower case, in header order.
    buyers: Vec<String>,
}

impl Mail {
    fn read(known: &Known, m: &Message<'_>, (from, display): (String, Option<&str>)) -> Self {
        let from_domain = domain_of(&from).to_owned();
        let rep = known.rep_for(&from, display).map(str::to_owned);
        let mut buyers: Vec<String> = Vec::new();
        for address in m.all_to().chain(m.all_cc()).flat_map(|a| a.iter()) {
            if let Some(a) = address.address() {
                let a = a.trim().to_lowercase();
                if in_domains(domain_of(&a), &known.buyer_domains) && !buyers.contains(&a) {
                    buyers.push(a);
                }
            }
        }
        Self {
            from,
            from_domain,
            rep,
            buyers,
        }
    }

    /// The rep (their name, else the address) when this is the seller's mail: from a
    /// company domain, or from a rep recognised by name at a domain that is not a buyer's.
    fn seller(&self, known: &Known) -> Option<String> {
        let company = in_domains(&self.from_domain, &known.company_domains);
        let buyer = in_domains(&self.from_domain, &known.buyer_domains);
        match &self.rep {
            Some(rep) if company || !buyer => Some(rep.clone()),
            None if company => Some(self.from.clone()),
            _ => None,
        }
    }
}

/// The domain of an address (after the last `@`).
fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map_or("", |(_, d)| d.trim_end_matches('.'))
}

/// Whether `domain` or one of its parents is in `domains`.
fn in_domains(domain: &str, domains: &BTreeSet<String>) -> bool {
    let mut d = domain;
    loop {
        if domains.contains(d) {
            return true;
        }
        match d.split_once('.') {
            Some((_, parent)) if parent.contains('.') => d = parent,
            _ => return false,
        }
    }
}

/// Whether a blank line ends the header (a message without one is cut off inside it).
fn has_header_end(raw: &[u8]) -> bool {
    let mut line_start = 0;
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' {
            let line = &raw[line_start..i];
            if line.is_empty() || line == b"\r" {
                return true;
            }
            line_start = i + 1;
        }
    }
    false
}

/// A message that says it is multipart but whose boundary never appears has lost its
/// structure: mail-parser would read it as one opaque text.
fn check_mime(m: &Message<'_>) -> Result<(), String> {
    let Some(ct) = m.content_type() else {
        return Ok(());
    };
    if !ct.ctype().eq_ignore_ascii_case("multipart")
        || matches!(m.root_part().body, PartType::Multipart(_))
    {
        return Ok(());
    }
    let subtype = ct.subtype().unwrap_or_default();
    Err(match ct.attribute("boundary") {
        Some(b) => format!("broken MIME: multipart/{subtype} whose boundary `{b}` never appears"),
        None => format!("broken MIME: multipart/{subtype} without a boundary"),
    })
}

/// A link or image in a message body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ref {
    what: Element,
    /// Lower case, without port or user.
    domain: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Link,
    Image,
    /// An image of at most 1×1 pixels (by its `width`/`height` attributes or style).
    Pixel,
}

/// `<a href>`, `<area href>` and `<img src>` of an HTML body, read by a forgiving scan
/// (mail HTML is rarely well-formed; comments are skipped, anything unclosed ends the scan).
fn html_refs(html: &str, out: &mut Vec<Ref>) {
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(p) = html[i..].find('<').map(|p| p + i) {
        if html[p..].starts_with("<!--") {
            match html[p..].find("-->") {
                Some(e) => i = p + e + 3,
                None => return,
            }
            continue;
        }
        let name_end = bytes[p + 1..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |e| p + 1 + e);
        let name = &html[p + 1..name_end];
        let wanted = ["a", "area", "img"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n));
        let (attrs, end) = attributes(html, name_end);
        i = end.max(p + 1);
        if !wanted {
            continue;
        }
        let get = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| *v)
        };
        let (url, what) = if name.eq_ignore_ascii_case("img") {
            let style: String = get("style")
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase();
            let tiny = |key: &str| {
                get(key).is_some_and(|v| {
                    v.trim()
                        .trim_end_matches("px")
                        .trim()
                        .parse::<f32>()
                        .is_ok_and(|n| n <= 1.0)
                }) || style.contains(&format!("{key}:1px"))
                    || style.contains(&format!("{key}:0"))
            };
            let what = if tiny("width") && tiny("height") {
                Element::Pixel
            } else {
                Element::Image
            };
            (get("src"), what)
        } else {
            (get("href"), Element::Link)
        };
        if let Some(domain) = url.and_then(url_host) {
            out.push(Ref { what, domain });
        }
    }
}

/// The attributes of a tag whose name ends at `i`, and where the tag ends.
fn attributes(html: &str, mut i: usize) -> (Vec<(&str, &str)>, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    loop {
        i = skip_space(i);
        match bytes.get(i) {
            None => return (attrs, bytes.len()),
            Some(b'>') => return (attrs, i + 1),
            Some(b'/') => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        let key_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let key = &html[key_start..i];
        i = skip_space(i);
        if bytes.get(i) != Some(&b'=') {
            attrs.push((key, ""));
            continue;
        }
        i = skip_space(i + 1);
        let value = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = html[i + 1..]
                    .find(q as char)
                    .map_or(bytes.len(), |e| i + 1 + e);
                let v = &html[i + 1..end];
                i = (end + 1).min(bytes.len());
                v
            }
            _ => {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                &html[start..i]
            }
        };
        attrs.push((key, value));
    }
}

/// The hosts of bare `http://` and `https://` URLs in a text body.
fn text_refs(text: &str, out: &mut Vec<Ref>) {
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    while let Some(p) = lower[i..].find("http").map(|p| p + i) {
        i = p + 4;
        let rest = &lower[i..];
        let after = rest
            .strip_prefix("s://")
            .or_else(|| rest.strip_prefix("://"));
        if let Some(domain) = after.and_then(host) {
            out.push(Ref {
                what: Element::Link,
                domain,
            });
        }
    }
}

/// The host of an absolute or scheme-relative http(s) URL, lower case.
fn url_host(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8.min(url.len()))?.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else if lower.starts_with("//") {
        &url[2..]
    } else {
        return None;
    };
    host(rest)
}

/// The host at the start of a URL's authority (user and port dropped), if it looks like one.
fn host(authority: &str) -> Option<String> {
    let end = authority
        .find(|c: char| {
            matches!(c, '/' | '?' | '#' | '\\')
                || c.is_whitespace()
                || c == '"'
                || c == '<'
                || c == '>'
        })
        .unwrap_or(authority.len());
    let authority = &authority[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let h: String = authority
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect::<String>()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (h.contains('.') && !h.starts_with('.')).then_some(h)
}

/// A path's last component, for sources.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The files of a directory whose names `keep` accepts, sorted by name.
fn sorted_files(
    dir: &Path,
    keep: impl Fn(&str) -> bool,
) -> io::Result<Vec<(String, std::path::PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if keep(&name) && entry.path().is_file() {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// Where the mbox reader is, shared between [`Lines`] (inside mail-parser's iterator) and
/// the loop that reads the messages it yields.
#[derive(Debug, Default)]
struct Track {
    /// Lines read so far.
    line: u64,
    /// The `From ` lines not yet matched to a yielded message. The iterator yields message
    /// k when it reads the `From ` line of k + 1, so this holds at most two.
    starts: VecDeque<Start>,
    /// Bytes of the current message passed on to the iterator.
    kept: usize,
    /// Non-blank lines before the first `From ` line (the iterator drops them silently).
    text_before_first: u64,
    eof: bool,
    /// The last line read had no newline: the file was cut.
    ends_mid_line: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Start {
    line: u64,
    /// Over [`MAX_MESSAGE_BYTES`]: the rest of it was not passed on.
    cut: bool,
}

/// The mbox file as mail-parser's `MessageIterator` reads it (line by line through
/// `read_until`), counting lines and keeping at most [`MAX_MESSAGE_BYTES`] of one message.
struct Lines<R> {
    inner: R,
    track: Rc<RefCell<Track>>,
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
    }

    fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        loop {
            // One line, of which at most MAX_MESSAGE_BYTES are copied.
            let (mut read, mut newline) = (0usize, false);
            while !newline {
                let available = match self.inner.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if available.is_empty() {
                    break;
                }
                let take = match available.iter().position(|&b| b == byte) {
                    Some(i) => {
                        newline = true;
                        i + 1
                    }
                    None => available.len(),
                };
                let room = MAX_MESSAGE_BYTES.saturating_sub(buf.len() - start);
                buf.extend_from_slice(&available[..take.min(room)]);
                self.inner.consume(take);
                read += take;
            }
            let mut t = self.track.borrow_mut();
            if read == 0 {
                t.eof = true;
                return Ok(0);
            }
            t.line += 1;
            t.ends_mid_line = !newline;
            let line = &buf[start..];
            if line.starts_with(b"From ") {
                let line = t.line;
                t.starts.push_back(Start { line, cut: false });
                t.kept = 0;
                return Ok(buf.len() - start);
            }
            if t.starts.is_empty() {
                if !line.iter().all(u8::is_ascii_whitespace) {
                    t.text_before_first += 1;
                }
                return Ok(buf.len() - start);
            }
            if t.kept + read > MAX_MESSAGE_BYTES {
                // Too large: drop the line (and the rest of this message), read on.
                if let Some(s) = t.starts.back_mut() {
                    s.cut = true;
                }
                buf.truncate(start);
                continue;
            }
            t.kept += read;
            return Ok(buf.len() - start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(html: &str) -> Vec<(Element, String)> {
        let mut out = Vec::new();
        html_refs(html, &mut out);
        out.into_iter().map(|r| (r.what, r.domain)).collect()
    }

    #[test]
    fn links_images_and_pixels_are_read_from_untidy_html() {
        let html = r#"<p>Hi<a class=x HREF='https://T.Outreach.io/c?u=1'>here</a>
            <!-- <a href="https://commented.example/"> -->
            <img src=https://t.yesware.com/t/abc.gif width=1 height="1px">
            <IMG alt="logo" src="//cdn.lumenfield.example/logo.png" width="120">
            <img src="https://mailtrack.io/trace" style="width: 1px; height:1px">
            <a href="mailto:dana@acme.example">mail</a><a href="https://user@host.example:8080/x">x</a>
            <img src="https://unclosed.example/"#;
        assert_eq!(
            refs(html),
            vec![
                (Element::Link, "t.outreach.io".to_owned()),
                (Element::Pixel, "t.yesware.com".to_owned()),
                (Element::Image, "cdn.lumenfield.example".to_owned()),
                (Element::Pixel, "mailtrack.io".to_owned()),
                (Element::Link, "host.example".to_owned()),
                (Element::Image, "unclosed.example".to_owned()),
            ]
        );
    }

    #[test]
    fn odd_and_cut_html_neither_panics_nor_invents_links() {
        for html in [
            "<",
            "<a",
            "<a href",
            "<a href=",
            "<a href='",
            "<img src=\"",
            "<a =x>",
            "<!--",
            "<a/ href=//x.example>",
            "<a hréf=ü href=\"https://ü.example/\">",
            "<<a href=https://é.example>>",
            "<a href=\"https://\">",
        ] {
            let got = refs(html);
            assert!(got.iter().all(|(_, d)| d == "x.example"), "{html}: {got:?}");
        }
        assert_eq!(url_host("https://ü.example/"), None);
        assert_eq!(url_host("javascript:https://x.example"), None);
    }

    #[test]
    fn bare_urls_in_text_give_their_hosts() {
        let mut out = Vec::new();
        text_refs(
            "See HTTPS://app.Lavender.ai/x, or http://a.example. Not httpx://b.example or http:/c",
            &mut out,
        );
        let hosts: Vec<&str> = out.iter().map(|r| r.domain.as_str()).collect();
        assert_eq!(hosts, ["app.lavender.ai", "a.example"]);
    }

    #[test]
    fn a_domain_matches_itself_and_its_subdomains_only() {
        let set: BTreeSet<String> = ["acme.example".to_owned()].into();
        assert!(in_domains("acme.example", &set));
        assert!(in_domains("eu.mail.acme.example", &set));
        assert!(!in_domains("notacme.example", &set));
        assert!(!in_domains("example", &set));
    }

    #[test]
    fn a_header_without_its_blank_line_is_cut_off() {
        assert!(has_header_end(b"From: a@b.example\r\n\r\nbody"));
        assert!(has_header_end(b"From: a@b.example\n\n"));
        assert!(!has_header_end(b"From: a@b.example\nSubject: x\n"));
        assert!(!has_header_end(b"From: a@b.example\nX-Mai"));
    }

    #[test]
    fn the_mbox_reader_counts_lines_and_drops_the_excess_of_a_huge_message() {
        let big = "x".repeat(MAX_MESSAGE_BYTES / 2 + 10);
        let text = format!("junk\nFrom a\nl1\n{big}\n{big}\nFrom b\nl2");
        let track = Rc::new(RefCell::new(Track::default()));
        let lines = Lines {
            inner: io::Cursor::new(text.into_bytes()),
            track: Rc::clone(&track),
        };
        let messages: Vec<Vec<u8>> = MessageIterator::new(lines)
            .map(|m| m.map(|m| m.unwrap_contents()).unwrap_or_default())
            .collect();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].len(), 3 + big.len() + 1);
        assert_eq!(messages[1], b"l2");
        let t = track.borrow();
        assert_eq!(
            (t.line, t.text_before_first, t.ends_mid_line, t.eof),
            (7, 1, true, true)
        );
    }
}
