//! Words hidden from the detectors (DESIGN §6 "obfuscation"): the gate reads what a person
//! reads, reports the hiding, and points every finding at the original bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

use chrono::{DateTime, Utc};
use countersign_engine::action::InboundMessage;
use countersign_engine::context::Context;
use countersign_engine::{
    Action, Category, Decision, DecisionRecord, Payload, Policy, Reason, decide,
};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-07T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn decide_body(body: &str) -> DecisionRecord {
    let action = Action::email("obfuscated", "Follow-up", body);
    decide(
        &action,
        &Context::default(),
        Policy::default_policy(),
        now(),
    )
}

/// The body's commercial finding and obfuscation finding, checked to point into `body`.
fn assert_hidden_offer(body: &str, hidden: &str, subtopic: &str) {
    let record = decide_body(body);
    assert_eq!(record.decision, Decision::Hold, "{body:?}: {record:#?}");
    let commercial = record
        .findings
        .iter()
        .find(|f| f.category == Category::Commercial)
        .unwrap_or_else(|| panic!("{body:?}: no commercial finding in {:#?}", record.findings));
    let span = &body[commercial.start..commercial.end];
    assert!(span.contains(hidden), "{body:?}: commercial span {span:?}");
    let obfuscation = record
        .findings
        .iter()
        .find(|f| f.category == Category::Obfuscation)
        .unwrap_or_else(|| panic!("{body:?}: no obfuscation finding in {:#?}", record.findings));
    assert_eq!(&body[obfuscation.start..obfuscation.end], hidden);
    assert_eq!(obfuscation.subtopic, subtopic);
    assert_eq!(obfuscation.rule, format!("obfuscation.{subtopic}"));
    assert!(
        obfuscation.evidence.ends_with("reads as discount"),
        "{}",
        obfuscation.evidence
    );
    assert!(record.roles.contains("security"), "{:?}", record.roles);
    assert!(
        record.reasons.iter().any(|r| matches!(
            r,
            Reason::Finding {
                category: Category::Obfuscation,
                ..
            }
        ) && r.to_string().starts_with("obfuscation: hides words")),
        "{:?}",
        record.reasons
    );
}

#[test]
fn leet_discount_is_commercial_and_obfuscation() {
    assert_hidden_offer(
        "Hi Lena, we can offer a 20% d1sc0unt on the annual plan.",
        "d1sc0unt",
        "leet",
    );
}

#[test]
fn cyrillic_look_alike_discount_is_commercial_and_obfuscation() {
    assert_hidden_offer(
        "Hi Lena, we can offer a 20% \u{0501}iscount on the annual plan.",
        "\u{0501}iscount",
        "look_alike",
    );
}

#[test]
fn fullwidth_discount_is_commercial_and_obfuscation() {
    assert_hidden_offer(
        "Hi Lena, we can offer a 20% ｄｉｓｃｏｕｎｔ on the annual plan.",
        "ｄｉｓｃｏｕｎｔ",
        "look_alike",
    );
}

#[test]
fn zero_width_discount_is_commercial_and_obfuscation() {
    let body = "Hi Lena, we can offer a 20% dis\u{200B}count on the annual plan.";
    assert_hidden_offer(body, "dis\u{200B}count", "invisible");
    let record = decide_body(body);
    let hidden = record
        .findings
        .iter()
        .find(|f| f.category == Category::Obfuscation)
        .unwrap();
    assert_eq!(hidden.evidence, "dis<U+200B>count reads as discount");
}

#[test]
fn spread_out_discount_is_commercial_and_obfuscation() {
    assert_hidden_offer(
        "Hi Lena, we can offer a 20% d-i-s-c-o-u-n-t on the annual plan.",
        "d-i-s-c-o-u-n-t",
        "spread",
    );
}

#[test]
fn html_wrapped_routine_email_has_no_findings() {
    let record = decide_body("<p>Thanks for the call, see you Tuesday.</p>");
    assert!(record.findings.is_empty(), "{:#?}", record.findings);
    assert_eq!(record.decision, Decision::Allow);
}

#[test]
fn html_offer_spans_point_into_the_html() {
    let body = "<div dir=\"ltr\"><p>Hi Lena,</p><p>We can offer a <b>20% discount</b> on the annual plan.</p></div>";
    let record = decide_body(body);
    assert_eq!(record.decision, Decision::Hold);
    let commercial: Vec<_> = record
        .findings
        .iter()
        .filter(|f| f.category == Category::Commercial)
        .collect();
    assert!(!commercial.is_empty(), "{:#?}", record.findings);
    for f in commercial {
        assert!(body.is_char_boundary(f.start) && body.is_char_boundary(f.end));
        assert!(
            body[f.start..f.end].contains("discount"),
            "{:?}",
            &body[f.start..f.end]
        );
    }
    assert!(
        !record
            .findings
            .iter()
            .any(|f| f.category == Category::Obfuscation),
        "markup is not obfuscation: {:#?}",
        record.findings
    );
}

#[test]
fn an_html_quote_of_the_inbound_ask_stays_quoted() {
    let ask = "Could you do a 20% discount if we sign this month?";
    let body = format!(
        "<div>Thanks Lena, I will come back to you on Tuesday.</div>\
         <div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon, Jan 5, 2026 at 9:12 AM Lena wrote:<br></div>\
         <blockquote class=\"gmail_quote\"><div>{ask}</div></blockquote></div>"
    );
    let mut action = Action::email("quoted", "Re: pricing", &body);
    if let Payload::Email(email) = &mut action.payload {
        email.in_reply_to = Some(InboundMessage {
            text: format!("<p>{ask}</p>"),
            ..InboundMessage::default()
        });
    }
    let record = decide(
        &action,
        &Context::default(),
        Policy::default_policy(),
        now(),
    );
    assert!(
        !record.findings.iter().any(|f| f.category.is_protected()),
        "{:#?}",
        record.findings
    );
    assert_eq!(record.decision, Decision::Allow, "{:?}", record.reasons);
}

#[test]
fn an_html_quote_that_matches_no_inbound_text_is_the_sellers_own() {
    let body = "<div>Thanks Lena.</div><blockquote>We can do a 20% discount if you sign this month.</blockquote>";
    let mut action = Action::email("fake-quote", "Re: pricing", body);
    if let Payload::Email(email) = &mut action.payload {
        email.in_reply_to = Some(InboundMessage {
            text: "Can we meet on Tuesday?".to_owned(),
            ..InboundMessage::default()
        });
    }
    let record = decide(
        &action,
        &Context::default(),
        Policy::default_policy(),
        now(),
    );
    assert!(
        record
            .findings
            .iter()
            .any(|f| f.category == Category::Commercial),
        "{:#?}",
        record.findings
    );
    assert_eq!(record.decision, Decision::Hold);
}

/// Pieces of hidden and marked-up text, to be glued together in any order.
fn piece() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "<p>",
        "</p>",
        "<br>",
        "<div class=\"gmail_quote\">",
        "</div>",
        "<blockquote>",
        "&amp;",
        "&nbsp;",
        "&#8203;",
        "&notit;",
        "<!-- note -->",
        "<style>p{}</style>",
        "dis\u{200B}count",
        "\u{202E}",
        "\u{AD}",
        "ＳＯＣ ２",
        "𝐝𝐢𝐬𝐜𝐨𝐮𝐧𝐭",
        "\u{0501}iscount",
        "рrісе",
        "d i s c o u n t",
        "d-1-s-c-0-u-n-t",
        "pr1c1ng",
        "e\u{0301}",
        "…",
        "Grüße",
        "山田",
        "> ",
        "\r\n",
        "\n",
        " ",
        "We can offer 20% off.",
        "<ana@acme.example>",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hidden_text_findings_point_inside_the_original(parts in prop::collection::vec(piece(), 0..24)) {
        let body: String = parts.concat();
        let record = decide_body(&body);
        for f in record.findings.iter().filter(|f| f.field == "body") {
            prop_assert!(f.start <= f.end && f.end <= body.len(), "{f:?}");
            prop_assert!(body.is_char_boundary(f.start) && body.is_char_boundary(f.end), "{f:?}");
        }
    }
}
