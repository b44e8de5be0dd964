//! Sent mail read for shadow AI (issue 14): one hand-written sent folder with each planted
//! signal, clean mail that must say nothing, a broken message and a cut tail; read as an
//! mbox, as a directory of EML files and as a Maildir.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use countersign_engine::{Gate, Policy};
use countersign_scan::mail::MailScanner;
use countersign_scan::{Finding, Kind, Known, Signatures};

/// The seller `lumenfield.example`, two reps, two buyers, what the gate delivered and
/// decided, and one registered tool (Mixmax).
fn known() -> Known {
    let mut k = Known::default();
    for rep in ["sam.okafor", "jules.martin"] {
        k.rep_addresses
            .insert(format!("{rep}@lumenfield.example"), rep.to_owned());
        k.rep_names.insert(rep.to_owned(), rep.to_owned());
        k.rep_names.insert(rep.replace('.', " "), rep.to_owned());
    }
    k.company_domains.insert("lumenfield.example".to_owned());
    k.buyer_domains
        .extend(["acme.example".to_owned(), "globex.example".to_owned()]);
    k.gated_message_ids.extend([
        "cs-0001@lumenfield.example".to_owned(),
        "cs-0002@lumenfield.example".to_owned(),
        "cs-0003@lumenfield.example".to_owned(),
    ]);
    k.gated_pairs.insert((
        "dana@acme.example".to_owned(),
        "renewal timeline".to_owned(),
    ));
    // Kept as the store had it: compared after the same normalising as the mail's subject.
    k.gated_pairs.insert((
        "lee@globex.example".to_owned(),
        "RE: Onboarding  plan".to_owned(),
    ));
    k.registered_tools.insert("mixmax".to_owned());
    k
}

const PERSONAL: &str = "\
From: \"Sam Okafor\" <sam.okafor.sales@gmail.example>
To: Dana Reyes <dana@acme.example>
Subject: Quick question
Date: Mon, 2 Mar 2026 09:00:00 +0000
Message-ID: <CAF1234@mail.gmail.example>

Hi Dana, do you have ten minutes on Thursday for the rollout questions?
Sam
";

const LAVENDER: &str = "\
From: Jules Martin <jules.martin@lumenfield.example>
To: lee@globex.example
Subject: Following up
Date: Mon, 2 Mar 2026 10:00:00 +0000
Message-ID: <cs-0001@lumenfield.example>
X-Mailer: Lavender 2.1
 (Outlook add-in)

Hi Lee, following up on the onboarding checklist I sent last week.
";

const OUTREACH: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: dana@acme.example
Subject: Checking in
Date: Mon, 2 Mar 2026 11:00:00 +0000
Message-ID: <a1b2c3.4@mail.outreach.io>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi Dana, checking in on the pilot: anything blocking your team?
";

const YESWARE: &str = "\
From: Jules Martin <jules.martin@lumenfield.example>
To: lee@globex.example
Subject: Agenda for Tuesday
Date: Mon, 2 Mar 2026 12:00:00 +0000
Message-ID: <cs-0002@lumenfield.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=\"b-yes\"

--b-yes
Content-Type: text/plain; charset=utf-8

Hi Lee, the agenda for Tuesday is below.

--b-yes
Content-Type: text/html; charset=utf-8

<p>Hi Lee, the agenda for Tuesday is below.</p>
<img src=\"https://t.yesware.com/t/8f2a/open.gif\" width=\"1\" height=\"1\" alt=\"\">
--b-yes--
";

const DISCOUNT: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: dana@acme.example
Cc: cfo@acme.example
Subject: Pricing for next year
Date: Tue, 3 Mar 2026 09:30:00 +0100
Message-ID: <20260303.0930@lumenfield.example>

Hi Dana,

I can offer you a 20% discount on the annual licence if you sign by Friday.

Sam
";

/// A rep's company mail to a buyer that Countersign delivered (Message-ID in other case).
const CLEAN_GATED_BY_ID: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: dana@acme.example
Subject: Notes from today
Date: Wed, 4 Mar 2026 09:00:00 +0000
Message-ID: <CS-0003@Lumenfield.example>

Hi Dana, thanks for the time today; notes attached.
";

/// A hand-written reply to a thread whose first message went through the gate.
const CLEAN_GATED_BY_PAIR: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: Dana Reyes <dana@acme.example>
Subject: Re: Re: Renewal  timeline
Date: Wed, 4 Mar 2026 10:00:00 +0000
Message-ID: <reply-77@lumenfield.example>
In-Reply-To: <cs-0000@lumenfield.example>

Works for me, talk then.

> On Tue, Dana wrote:
> Can we discuss the renewal timeline on Friday?
";

/// The stored pair says `RE: Onboarding  plan`; the mail `Fwd: onboarding plan`.
const CLEAN_GATED_BY_STORED_PAIR: &str = "\
From: Jules Martin <jules.martin@lumenfield.example>
To: lee@globex.example
Subject: Fwd: onboarding plan
Date: Wed, 4 Mar 2026 10:30:00 +0000
Message-ID: <fwd-12@lumenfield.example>

Forwarding the plan again, as asked.
";

const CLEAN_INTERNAL: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: jules.martin@lumenfield.example
Subject: Acme renewal
Date: Wed, 4 Mar 2026 11:00:00 +0000
Message-ID: <int-5@lumenfield.example>

Jules, can you cover the Acme call? Deck: https://drive.lumenfield.example/deck
";

const CLEAN_NEWSLETTER: &str = "\
From: Lumenfield News <news@lumenfield.example>
To: dana@acme.example
Subject: What's new in March
Date: Wed, 4 Mar 2026 12:00:00 +0000
Message-ID: <news-2026-03@lumenfield.example>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<h1>March release</h1><p>Read <a href=\"https://click.mailer-unknown.example/r/1\">the notes</a>.</p>
<img src=\"https://click.mailer-unknown.example/o/1.gif\" width=\"1\" height=\"1\">
";

/// Mixmax is a registered tool: its mail is governed, and this one was gated.
const CLEAN_REGISTERED_TOOL: &str = "\
From: Jules Martin <jules.martin@lumenfield.example>
To: lee@globex.example
Subject: Onboarding plan
Date: Wed, 4 Mar 2026 13:00:00 +0000
Message-ID: <mm-9@mixmax.com>
X-Mailer: Mixmax

Here is the onboarding plan.
";

/// The buyer's own mail in the export, with their own tracker: not ours to report.
const CLEAN_INBOUND: &str = "\
From: Dana Reyes <dana@acme.example>
To: sam.okafor@lumenfield.example
Subject: Re: Pricing for next year
Date: Wed, 4 Mar 2026 14:00:00 +0000
Message-ID: <dana-1@acme.example>
X-Mailer: Yesware
Content-Type: text/html

<p>Thanks Sam.</p><img src=\"https://t.yesware.com/t/x.gif\" width=1 height=1>
";

const BROKEN_MIME: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: dana@acme.example
Subject: Contract draft
Date: Thu, 5 Mar 2026 09:00:00 +0000
Message-ID: <broken-1@lumenfield.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"never-seen\"

This text was meant to be in parts, but no boundary line follows.
";

/// What the mbox's last message left, cut inside its header.
const CUT_TAIL: &str = "\
From: Sam Okafor <sam.okafor@lumenfield.example>
To: dana@acme.example
Subject: Last one
X-Mai";

const PLANTED: [&str; 5] = [PERSONAL, LAVENDER, OUTREACH, YESWARE, DISCOUNT];
const CLEAN: [&str; 7] = [
    CLEAN_GATED_BY_ID,
    CLEAN_GATED_BY_PAIR,
    CLEAN_GATED_BY_STORED_PAIR,
    CLEAN_INTERNAL,
    CLEAN_NEWSLETTER,
    CLEAN_REGISTERED_TOOL,
    CLEAN_INBOUND,
];

/// The messages as one mbox: a `From ` line before each, a blank line after each but the
/// last (a cut file has no tidy end).
fn mbox(messages: &[&str]) -> String {
    let mut out = String::new();
    for (i, m) in messages.iter().enumerate() {
        out.push_str("From MAILER-DAEMON Mon Mar  2 09:00:00 2026\n");
        out.push_str(m);
        if i + 1 < messages.len() {
            out.push('\n');
        }
    }
    out
}

struct Setup {
    known: Known,
    signatures: Signatures,
    gate: Gate,
}

impl Setup {
    fn new() -> Self {
        Self {
            known: known(),
            signatures: Signatures::shipped(),
            gate: Gate::new(),
        }
    }

    fn scanner(&self) -> MailScanner<'_> {
        MailScanner {
            known: &self.known,
            signatures: &self.signatures,
            gate: &self.gate,
            policy: Policy::default_policy(),
        }
    }

    fn scan_mbox(&self, messages: &[&str]) -> (u64, Vec<Finding>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sent.mbox");
        std::fs::write(&path, mbox(messages)).unwrap();
        let mut found = Vec::new();
        let n = self.scanner().mbox(&path, &mut |f| found.push(f)).unwrap();
        (n, found)
    }
}

/// A finding without where it was seen: what must be alike across mailbox formats.
fn what(f: &Finding) -> (Kind, Option<&str>, Option<&str>, &str, Vec<&str>) {
    (
        f.kind,
        f.rep.as_deref(),
        f.tool.as_deref(),
        f.evidence.as_str(),
        f.touched.iter().map(String::as_str).collect(),
    )
}

/// Kind, rep, tool, evidence and source: a finding as the planted-signal test pins it.
type Seen<'a> = (Kind, Option<&'a str>, Option<&'a str>, &'a str, &'a str);

fn of_kind(found: &[Finding], kind: Kind) -> Vec<&Finding> {
    found.iter().filter(|f| f.kind == kind).collect()
}

#[test]
fn every_planted_signal_is_found_with_its_rep_tool_and_evidence() {
    let setup = Setup::new();
    let (n, found) = setup.scan_mbox(&PLANTED);
    assert_eq!(n, 5);
    let got: BTreeSet<Seen<'_>> = found
        .iter()
        .map(|f| {
            (
                f.kind,
                f.rep.as_deref(),
                f.tool.as_deref(),
                f.evidence.as_str(),
                f.source.as_str(),
            )
        })
        .collect();
    let want: BTreeSet<Seen<'_>> = [
        (
            Kind::PersonalAccount,
            Some("sam.okafor"),
            Some("gmail.example"),
            "from sam.okafor.sales@gmail.example to dana@acme.example",
            "sent.mbox message 1",
        ),
        (
            Kind::AiTool,
            Some("jules.martin"),
            Some("Lavender"),
            "x-mailer: Lavender 2.1 (Outlook add-in)",
            "sent.mbox message 2",
        ),
        (
            Kind::AiTool,
            Some("sam.okafor"),
            Some("Outreach"),
            "Message-ID domain mail.outreach.io",
            "sent.mbox message 3",
        ),
        (
            Kind::UngatedSend,
            Some("sam.okafor"),
            None,
            "to dana@acme.example: “Checking in”",
            "sent.mbox message 3",
        ),
        (
            Kind::UnsanctionedTracker,
            Some("jules.martin"),
            Some("Yesware"),
            "tracking pixel from t.yesware.com",
            "sent.mbox message 4",
        ),
        (
            Kind::UngatedSend,
            Some("sam.okafor"),
            None,
            "to dana@acme.example: “Pricing for next year”",
            "sent.mbox message 5",
        ),
    ]
    .into();
    assert_eq!(got, want, "{found:#?}");
    let at = of_kind(&found, Kind::PersonalAccount)[0].at.unwrap();
    assert_eq!(at.to_rfc3339(), "2026-03-02T09:00:00+00:00");
}

#[test]
fn the_gate_marks_the_discount_it_would_have_held() {
    let setup = Setup::new();
    let (_, found) = setup.scan_mbox(&[DISCOUNT]);
    let [ungated] = of_kind(&found, Kind::UngatedSend)[..] else {
        panic!("one ungated send expected: {found:#?}");
    };
    assert!(
        ungated.touched.contains("commercial/discount"),
        "{ungated:#?}"
    );
    assert_eq!(
        ungated.at.unwrap().to_rfc3339(),
        "2026-03-03T08:30:00+00:00"
    );
    // Mail with nothing protected in it touches nothing.
    let (_, found) = setup.scan_mbox(&[PERSONAL]);
    assert!(found.iter().all(|f| f.touched.is_empty()), "{found:#?}");
}

#[test]
fn clean_mail_gives_no_finding() {
    let setup = Setup::new();
    let (n, found) = setup.scan_mbox(&CLEAN);
    assert_eq!(n, CLEAN.len() as u64);
    assert!(found.is_empty(), "{found:#?}");
    for one in CLEAN {
        let mut found = Vec::new();
        setup
            .scanner()
            .message(one.as_bytes(), "one", &mut |f| found.push(f));
        assert!(found.is_empty(), "{one}\n{found:#?}");
    }
}

#[test]
fn a_broken_message_and_a_cut_tail_are_unreadable_and_the_rest_is_read() {
    let setup = Setup::new();
    let mut messages = vec![PERSONAL, BROKEN_MIME];
    messages.extend(CLEAN);
    messages.extend([DISCOUNT, CUT_TAIL]);
    let (n, found) = setup.scan_mbox(&messages);
    assert_eq!(n, messages.len() as u64);
    let from_line = |i: usize| {
        let text = mbox(&messages);
        let starts = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("From "))
            .map(|(n, _)| n + 1);
        starts.clone().nth(i).unwrap()
    };
    let unreadable: Vec<(&str, String)> = of_kind(&found, Kind::Unreadable)
        .iter()
        .map(|f| (f.source.as_str(), f.evidence.clone()))
        .collect();
    assert_eq!(
        unreadable,
        [
            (
                "sent.mbox message 2",
                format!(
                    "broken MIME: multipart/mixed whose boundary `never-seen` never appears; from line {}",
                    from_line(1)
                )
            ),
            (
                "sent.mbox message 11",
                format!(
                    "cut off inside its header (no blank line ends it); from line {}, the file's last message",
                    from_line(10)
                )
            ),
        ],
        "{found:#?}"
    );
    // Everything before the cut and around the broken message is still reported.
    assert_eq!(of_kind(&found, Kind::PersonalAccount).len(), 1);
    let ungated = of_kind(&found, Kind::UngatedSend);
    assert_eq!(ungated.len(), 1);
    assert_eq!(ungated[0].source, "sent.mbox message 10");
}

#[test]
fn a_file_cut_inside_the_last_body_reports_the_message_and_where_it_stopped() {
    let setup = Setup::new();
    let cut = &DISCOUNT[..DISCOUNT.find("if you sign").unwrap()];
    let (n, found) = setup.scan_mbox(&[PERSONAL, cut]);
    assert_eq!(n, 2);
    assert_eq!(of_kind(&found, Kind::UngatedSend).len(), 1, "{found:#?}");
    let unreadable = of_kind(&found, Kind::Unreadable);
    assert_eq!(unreadable.len(), 1, "{found:#?}");
    assert_eq!(unreadable[0].source, "sent.mbox message 2");
    assert!(
        unreadable[0]
            .evidence
            .starts_with("the file ends mid-line at line 21"),
        "{found:#?}"
    );
}

#[test]
fn a_file_that_is_not_an_mbox_is_one_unreadable_finding() {
    let setup = Setup::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, PERSONAL).unwrap();
    let mut found = Vec::new();
    let n = setup.scanner().mbox(&path, &mut |f| found.push(f)).unwrap();
    assert_eq!(n, 0);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, Kind::Unreadable);
    assert_eq!(
        found[0].evidence,
        "not an mbox: no line starts with `From `"
    );
    assert!(
        setup
            .scanner()
            .mbox(&dir.path().join("missing.mbox"), &mut |_| {})
            .is_err()
    );
}

#[test]
fn eml_directory_and_maildir_give_the_same_findings_as_the_mbox() {
    let setup = Setup::new();
    let mut messages: Vec<&str> = PLANTED.to_vec();
    messages.extend(CLEAN);
    messages.push(BROKEN_MIME);
    let (_, from_mbox) = setup.scan_mbox(&messages);
    // Where a message is unreadable is said differently per format; what it says first is not.
    let normal = |found: &[Finding]| -> Vec<String> {
        found
            .iter()
            .map(|f| {
                let mut w = format!("{:?}", what(f));
                if f.kind == Kind::Unreadable {
                    w = f
                        .evidence
                        .split("; from line")
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                }
                w
            })
            .collect()
    };

    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("sent");
    std::fs::create_dir(&eml).unwrap();
    std::fs::write(eml.join("README.txt"), "not a message").unwrap();
    for (i, m) in messages.iter().enumerate() {
        std::fs::write(eml.join(format!("{:02}.eml", i + 1)), m).unwrap();
    }
    let mut from_eml = Vec::new();
    let n = setup
        .scanner()
        .eml_dir(&eml, &mut |f| from_eml.push(f))
        .unwrap();
    assert_eq!(n, messages.len() as u64);
    assert_eq!(normal(&from_eml), normal(&from_mbox));
    assert!(
        from_eml.iter().any(|f| f.source == "sent/03.eml"),
        "{from_eml:#?}"
    );

    let maildir = dir.path().join("Sent");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (i, m) in messages.iter().enumerate() {
        let (sub, name) = if i < 6 {
            ("cur", format!("17726{i:02}.M1P1.host:2,S"))
        } else {
            ("new", format!("17727{i:02}.M1P1.host"))
        };
        std::fs::write(maildir.join(sub).join(name), m).unwrap();
    }
    std::fs::write(maildir.join("cur").join(".hidden"), PERSONAL).unwrap();
    let mut from_maildir = Vec::new();
    let n = setup
        .scanner()
        .maildir(&maildir, &mut |f| from_maildir.push(f))
        .unwrap();
    assert_eq!(n, messages.len() as u64);
    assert_eq!(normal(&from_maildir), normal(&from_mbox));
    assert!(
        from_maildir[0].source.starts_with("Sent/cur/"),
        "{from_maildir:#?}"
    );
    assert!(
        setup.scanner().maildir(&eml, &mut |_| {}).is_err(),
        "a folder without cur/ or new/"
    );
}

/// Measures a large generated mbox (`scripts/generate-mbox`): messages per second and
/// findings by kind. Run in release:
///
/// ```text
/// scripts/generate-mbox /tmp/sent.mbox --messages 200000
/// COUNTERSIGN_SCAN_MBOX=/tmp/sent.mbox cargo test -p countersign-scan --release --test mail -- --ignored --nocapture
/// ```
///
/// The generator's sidecar `<file>.gated` (one Message-ID a line) is what the gate
/// delivered; the reps and buyers are the generator's.
#[test]
#[ignore = "needs COUNTERSIGN_SCAN_MBOX, a generated mbox; run in release"]
fn a_large_generated_mbox_is_read_within_a_minute() {
    let Ok(path) = std::env::var("COUNTERSIGN_SCAN_MBOX") else {
        panic!("set COUNTERSIGN_SCAN_MBOX to an mbox made by scripts/generate-mbox");
    };
    let path = Path::new(&path);
    let mut known = Known::default();
    for rep in [
        "sam.okafor",
        "jules.martin",
        "priya.nair",
        "tom.becker",
        "ana.silva",
        "lee.wong",
    ] {
        known
            .rep_addresses
            .insert(format!("{rep}@lumenfield.example"), rep.to_owned());
        known.rep_names.insert(rep.to_owned(), rep.to_owned());
        known
            .rep_names
            .insert(rep.replace('.', " "), rep.to_owned());
    }
    known
        .company_domains
        .insert("lumenfield.example".to_owned());
    for buyer in [
        "acme",
        "globex",
        "initech",
        "umbrella",
        "hooli",
        "vandelay",
        "stark",
        "wayne",
        "tyrell",
        "soylent",
        "cyberdyne",
        "wonka",
    ] {
        known.buyer_domains.insert(format!("{buyer}.example"));
    }
    let gated = format!("{}.gated", path.display());
    if let Ok(text) = std::fs::read_to_string(&gated) {
        known
            .gated_message_ids
            .extend(text.lines().map(|l| l.trim().to_lowercase()));
    }
    let setup = Setup {
        known,
        signatures: Signatures::shipped(),
        gate: Gate::new(),
    };
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut touched: BTreeMap<String, u64> = BTreeMap::new();
    let started = std::time::Instant::now();
    let n = setup
        .scanner()
        .mbox(path, &mut |f| {
            *by_kind.entry(f.kind.as_str()).or_default() += 1;
            for t in f.touched {
                *touched.entry(t).or_default() += 1;
            }
        })
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} messages in {secs:.1} s: {:.0} messages/s",
        n as f64 / secs
    );
    println!(
        "gated Message-IDs known: {}",
        setup.known.gated_message_ids.len()
    );
    for (kind, count) in &by_kind {
        println!("  {kind:<22} {count}");
    }
    for (t, count) in &touched {
        println!("  touched {t:<30} {count}");
    }
    assert!(n > 0);
}
