//! Keeping data from a tool that is not cleared for it (the policy's data classes): the
//! text a tool is given with every sensitive span of an uncleared class replaced by
//! `[withheld: class]`. The gate refuses such data in what a tool proposes; this keeps it
//! out of what a tool is shown (the assistant's briefs).

use std::collections::BTreeSet;

use crate::detect::sensitive::SensitiveDetector;
use crate::detect::{Detector, Document, Signals};
use crate::policy::Policy;

/// `text` with the spans of data classes outside `cleared` withheld. Sensitive data the
/// policy puts in no class is withheld too: what is not granted is not given.
pub fn withhold(
    detector: &SensitiveDetector,
    text: &str,
    policy: &Policy,
    cleared: &BTreeSet<String>,
) -> String {
    let doc = Document::new("body", text, None);
    let mut found = Vec::new();
    // A detector error withholds the whole text rather than risk giving it.
    if detector
        .detect(&doc, &Signals::default(), &mut found)
        .is_err()
    {
        return "[withheld]".to_owned();
    }
    let mut spans: Vec<(usize, usize, String)> = found
        .into_iter()
        .filter_map(|f| {
            let class = policy
                .config
                .data_class_of(&f.subtopic)
                .map_or_else(|| f.subtopic.clone(), |(c, _)| c.to_owned());
            (!cleared.contains(&class) && f.start < f.end).then_some((f.start, f.end, class))
        })
        .collect();
    spans.sort();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, class) in spans {
        if start < at || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&format!("[withheld: {class}]"));
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncleared_classes_are_withheld_and_cleared_ones_kept() {
        let policy = Policy::default_policy();
        let d = SensitiveDetector::new();
        let text =
            "Call Dana on +44 20 7946 0958 or dana.k@fjord.example; card 4111 1111 1111 1111.";
        let none = withhold(&d, text, policy, &BTreeSet::new());
        assert!(!none.contains("7946"), "{none}");
        assert!(!none.contains("dana.k@"), "{none}");
        assert!(!none.contains("4111"), "{none}");
        assert!(none.contains("[withheld: contact_details]"), "{none}");
        assert!(none.contains("[withheld: financial]"), "{none}");
        let contact = withhold(
            &d,
            text,
            policy,
            &BTreeSet::from(["contact_details".to_owned()]),
        );
        assert!(contact.contains("dana.k@fjord.example"), "{contact}");
        assert!(!contact.contains("4111"), "{contact}");
        assert_eq!(
            withhold(&d, "Pilot kickoff on Monday", policy, &BTreeSet::new()),
            "Pilot kickoff on Monday"
        );
    }
}
