//! The trained model's word on what the rules found (DESIGN §3: rules give spans and
//! evidence, a small model decides the close calls).
//!
//! Per protected category the model gives a probability, reading the seller's own words,
//! the recipient's title and the rules' findings (including the lexicon's sub-threshold
//! cues). At or above the policy's sensitivity threshold the category counts: the rules'
//! findings stay, or, when no rule fired, the model reports the sentence that weighs most
//! and the features behind it. It never drops a rule's finding: a probability over the whole
//! message can fall when routine sentences are added, and content must never loosen a
//! decision.

use crate::detect::model::{Input, LABELS, Model, describe_features};
use crate::finding::{Category, Finding};

/// Which judgement decides the protected categories (`eval --detectors` compares them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Judgement {
    /// The rules alone, as before the model.
    Rules,
    /// The model alone: the rules' findings are neither features nor kept.
    Model,
    /// The model over the rules' findings (the default).
    #[default]
    Both,
}

/// A rule's sub-threshold cue (`….cue-weak`, `….cue-quoted`, `….cue-handoff`): input for
/// the model, never a finding of its own.
pub(crate) fn is_cue(f: &Finding) -> bool {
    f.rule
        .rsplit('.')
        .next()
        .is_some_and(|kind| kind.starts_with("cue-"))
}

/// Applies the model to the rules' findings for one message.
pub(crate) fn apply(
    model: &Model,
    input: &Input<'_>,
    findings: Vec<Finding>,
    threshold: f32,
) -> Vec<Finding> {
    let scores = model.score(&model.features(input));
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut cues: Vec<Finding> = Vec::new();
    for f in findings {
        if is_cue(&f) {
            cues.push(f);
        } else {
            // The model never drops a rule's finding: its probability reads the whole
            // message, so routine sentences added around an offer could lower it, and
            // content must never loosen a decision (tests/properties.rs).
            out.push(f);
        }
    }
    for category in LABELS {
        let Some(p) = scores.of(category) else {
            continue;
        };
        if p < threshold || out.iter().any(|f| f.category == category) {
            continue;
        }
        let Some(why) = model.explain(input, category) else {
            continue;
        };
        // The subtopic decides who reviews: take the rules' strongest cue for it.
        let subtopic = cues
            .iter()
            .filter(|c| c.category == category)
            .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
            .map_or_else(
                || match category {
                    Category::Executive => "framing".to_owned(),
                    _ => "general".to_owned(),
                },
                |c| c.subtopic.clone(),
            );
        let text = if why.field == input.body.field {
            input.body.text
        } else {
            input.subject.map_or("", |d| d.text)
        };
        let sentence = text.get(why.start..why.end).unwrap_or("");
        out.push(Finding {
            category,
            subtopic,
            start: why.start,
            end: why.end,
            field: why.field,
            evidence: format!(
                "{} (model: {})",
                excerpt(sentence, 90),
                describe_features(&why.features)
            ),
            // At the policy's threshold the finding must count, whatever the threshold:
            // [threshold, 1] maps onto [0.5, 1], 0.5 being the policy's `min_confidence`.
            confidence: 0.5 + 0.5 * (p - threshold) / (1.0 - threshold).max(f32::EPSILON),
            rule: format!("model.{category}"),
        });
    }
    out
}

/// The first `max` characters of a sentence on one line, with an ellipsis when cut.
fn excerpt(sentence: &str, max: usize) -> String {
    let one_line: String = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}
