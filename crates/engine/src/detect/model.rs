//! A compact linear classifier beside the rules: it reads the seller's own words, the
//! recipient's title and what the rule detectors found, and gives each protected category a
//! probability.
//!
//! Why a model at all: the rules know vocabulary, not sense. "The price of the conference
//! tickets" and "the price for your 40 seats" share a trigger word; "we'll make the numbers
//! work" has none. A logistic regression over word, word-pair and character n-grams, with the
//! rules' findings as features of their own, learns which contexts make a trigger word count
//! and which plain phrasings are protected. The rules stay: they give spans and evidence, and
//! the model decides between close calls (see `gate.rs`).
//!
//! What this module owns: feature extraction (shared by training and deciding, so they can
//! never drift apart), the weights' binary format, scoring, explanations and training. It is
//! pure like the rest of the engine: training is arithmetic on examples the caller read, in a
//! fixed order, so the same data gives the same bytes.
//!
//! Features are hashed (FNV-1a) into a fixed number of buckets; the weights of the three
//! labels sit side by side per bucket, so scoring touches one cache line per feature.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::finding::{Category, Finding};

use super::text::{Document, Segment};

/// The categories the model judges, in the order of the weights.
pub const LABELS: [Category; 3] = [
    Category::Objection,
    Category::Commercial,
    Category::Executive,
];
const L: usize = LABELS.len();

/// Magic and format version at the start of a weights file.
const MAGIC: &[u8; 8] = b"CSMODEL1";

/// The weights shipped with the engine, trained by `countersign train` (see `training/`).
static SHIPPED: &[u8] = include_bytes!("../../model/weights.bin");

/// A feature's namespace, so "price" in the title and in the body are different features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Word,
    Pair,
    Chars,
    Quoted,
    Title,
    Rule,
    Shape,
}

impl Space {
    fn tag(self) -> u8 {
        match self {
            Space::Word => b'w',
            Space::Pair => b'p',
            Space::Chars => b'c',
            Space::Quoted => b'q',
            Space::Title => b't',
            Space::Rule => b'r',
            Space::Shape => b's',
        }
    }
}

/// A message as hashed features: `(bucket, value)`, buckets unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub values: Vec<(u32, f32)>,
}

/// What a message gives the model to read.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The body, split into own and quoted sentences.
    pub body: &'a Document<'a>,
    /// The subject, read as the seller's own words.
    pub subject: Option<&'a Document<'a>>,
    pub recipient_title: Option<&'a str>,
    /// What the rule detectors found.
    pub findings: &'a [Finding],
}

/// Collects features for one group, then weighs them: sublinear counts, unit length.
#[derive(Default)]
struct Group {
    buckets: Vec<u32>,
}

impl Group {
    fn add(&mut self, bucket: u32) {
        self.buckets.push(bucket);
    }

    fn finish(mut self, scale: f32, out: &mut Vec<(u32, f32)>) {
        // Sorting and counting runs is cheaper than a hash map for a message's few thousand.
        self.buckets.sort_unstable();
        let first = out.len();
        let mut norm = 0.0f32;
        for run in self.buckets.chunk_by(|a, b| a == b) {
            let v = 1.0 + (run.len() as f32).ln();
            norm += v * v;
            out.push((run[0], v));
        }
        if norm > 0.0 {
            let k = scale / norm.sqrt();
            for (_, v) in &mut out[first..] {
                *v *= k;
            }
        }
    }
}

/// FNV-1a over a namespace tag and the feature's bytes, folded into `buckets` (a power of two).
fn bucket(space: Space, parts: &[&str], buckets: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(space.tag());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        for b in p.bytes() {
            eat(b);
        }
    }
    // Fold the high bits in: FNV's low bits are weak.
    ((h ^ (h >> 32)) as u32) & (buckets - 1)
}

/// Lower-cased tokens: letter/digit runs with every digit run shown as `0` (so "15%" and
/// "20%" are one feature), and `%`, currency signs as tokens of their own.
pub(crate) fn tokens(text: &str, out: &mut Vec<String>) {
    let mut cur = String::new();
    let mut in_digits = false;
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                cur.push('0');
                in_digits = true;
            }
        } else if c.is_alphanumeric() {
            in_digits = false;
            cur.extend(c.to_lowercase());
        } else {
            in_digits = false;
            flush(&mut cur, out);
            if matches!(c, '%' | '$' | '€' | '£' | '¥' | '₹' | '₣') {
                out.push(c.to_string());
            }
        }
    }
    flush(&mut cur, out);
}

/// The features of a message. `names`, when given, receives a readable name per bucket
/// (only explanations ask for it; deciding does not pay for the strings).
fn extract(
    input: &Input<'_>,
    buckets: u32,
    mut names: Option<&mut HashMap<u32, String>>,
) -> Features {
    let mut values: Vec<(u32, f32)> = Vec::new();
    let mut text_group = Group::default();
    let mut quoted_group = Group::default();
    let mut title_group = Group::default();
    let mut toks = Vec::new();
    let mut own_words = 0usize;
    let mut scratch = (String::new(), Vec::new());

    // Only the buckets asked for get a name: explanations want a handful, not thousands.
    let mut name = |b: u32, s: &dyn Fn() -> String| {
        if let Some(n) = names.as_deref_mut()
            && let Some(slot) = n.get_mut(&b)
            && slot.is_empty()
        {
            *slot = s();
        }
    };

    let mut own_sentence =
        |text: &str, group: &mut Group, name: &mut dyn FnMut(u32, &dyn Fn() -> String)| {
            toks.clear();
            tokens(text, &mut toks);
            own_words += toks.len();
            for (i, t) in toks.iter().enumerate() {
                let b = bucket(Space::Word, &[t], buckets);
                group.add(b);
                name(b, &|| t.clone());
                if let Some(next) = toks.get(i + 1) {
                    let b = bucket(Space::Pair, &[t, next], buckets);
                    group.add(b);
                    name(b, &|| format!("{t} {next}"));
                }
                char_grams(t, buckets, group, &mut scratch, name);
            }
        };

    let docs = std::iter::once(input.body).chain(input.subject);
    for doc in docs {
        for s in &doc.sentences {
            let text = &doc.text[s.range.clone()];
            match s.segment {
                Segment::Own if !doc.in_signature(s.range.start) => {
                    own_sentence(text, &mut text_group, &mut name);
                }
                Segment::Own => {}
                Segment::Quoted => {
                    let mut q = Vec::new();
                    tokens(text, &mut q);
                    for t in &q {
                        let b = bucket(Space::Quoted, &[t], buckets);
                        quoted_group.add(b);
                        name(b, &|| format!("quoted: {t}"));
                    }
                }
            }
        }
    }
    if let Some(title) = input.recipient_title {
        let mut t = Vec::new();
        tokens(title, &mut t);
        for (i, w) in t.iter().enumerate() {
            let b = bucket(Space::Title, &[w], buckets);
            title_group.add(b);
            name(b, &|| format!("title: {w}"));
            if let Some(next) = t.get(i + 1) {
                let b = bucket(Space::Title, &[w, next], buckets);
                title_group.add(b);
                name(b, &|| format!("title: {w} {next}"));
            }
        }
    } else {
        let b = bucket(Space::Title, &["(none)"], buckets);
        title_group.add(b);
        name(b, &|| "no title".to_owned());
    }
    text_group.finish(1.0, &mut values);
    quoted_group.finish(0.5, &mut values);
    title_group.finish(1.0, &mut values);

    // The rules' judgement, by category, subtopic and kind of rule ("term", "document",
    // "assent", "title", …): the model learns how far to trust each.
    let mut rules: Vec<(u32, f32)> = Vec::new();
    for f in input.findings {
        let kind = f.rule.rsplit('.').next().unwrap_or("");
        let cat = f.category.as_str();
        for parts in [
            &[cat][..],
            &[cat, f.subtopic.as_str()][..],
            &[cat, kind][..],
        ] {
            let b = bucket(Space::Rule, parts, buckets);
            match rules.iter_mut().find(|(r, _)| *r == b) {
                Some((_, v)) => *v = v.max(f.confidence),
                None => rules.push((b, f.confidence)),
            }
            name(b, &|| format!("rule: {}", parts.join(".")));
        }
    }
    values.extend(rules);
    let shape = match own_words {
        0..=12 => "very short",
        13..=40 => "short",
        41..=120 => "medium",
        _ => "long",
    };
    let b = bucket(Space::Shape, &[shape], buckets);
    values.push((b, 1.0));
    name(b, &|| format!("{shape} message"));
    values.push((bucket(Space::Shape, &["bias"], buckets), 1.0));

    // One entry per bucket: groups add up (a collision), a rule keeps its surest finding.
    values.sort_unstable_by_key(|(b, _)| *b);
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(values.len());
    for (b, v) in values {
        match merged.last_mut() {
            Some((last, total)) if *last == b => *total += v,
            _ => merged.push((b, v)),
        }
    }
    Features { values: merged }
}

/// Character 4-grams of a word with its edges marked, for inflections and compounds
/// ("Preisnachlass", "remises", "descuentos") the word features cannot share.
fn char_grams(
    word: &str,
    buckets: u32,
    group: &mut Group,
    scratch: &mut (String, Vec<usize>),
    name: &mut dyn FnMut(u32, &dyn Fn() -> String),
) {
    const N: usize = 4;
    if word.chars().count() < N {
        return;
    }
    // Slices of one marked string: the same bytes as collecting each window, without the
    // allocations (the shipped weights hash these bytes).
    let (marked, starts) = scratch;
    marked.clear();
    marked.push('^');
    marked.push_str(word);
    marked.push('$');
    starts.clear();
    starts.extend(marked.char_indices().map(|(i, _)| i));
    starts.push(marked.len());
    for w in starts.windows(N + 1) {
        let gram = &marked[w[0]..w[N]];
        let b = bucket(Space::Chars, &[gram], buckets);
        group.add(b);
        name(b, &|| format!("chars: {gram}"));
    }
}

/// Why a weights file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the model's weights are not a Countersign model (bad header)")]
    Header,
    #[error("the model's weights are truncated: expected {expected} bytes, found {found}")]
    Truncated { expected: usize, found: usize },
    #[error("the model's bucket count `{0}` is not a power of two")]
    Buckets(u32),
}

/// Trained weights: one bias per label and, per bucket, one weight per label.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    buckets: u32,
    bias: [f32; L],
    /// `weights[bucket * L + label]`.
    weights: Vec<f32>,
}

/// The model's reading of one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Probability per label, in the order of [`LABELS`].
    pub probability: [f32; L],
}

impl Scores {
    pub fn of(&self, category: Category) -> Option<f32> {
        LABELS
            .iter()
            .position(|c| *c == category)
            .map(|i| self.probability[i])
    }
}

/// Where and why the model sees a category: the sentence that weighs most and its features.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Field (`body` or `subject`) and byte range of the sentence.
    pub field: String,
    pub start: usize,
    pub end: usize,
    /// The features that pushed the score up most, in words.
    pub features: Vec<String>,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// The weights that ship with the engine.
    pub fn shipped() -> Result<Self, ModelError> {
        Self::from_bytes(SHIPPED)
    }

    /// Reads the binary format written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let header = 8 + 4 + 4 * L;
        if bytes.len() < header || &bytes[..8] != MAGIC {
            return Err(ModelError::Header);
        }
        let word = |at: usize| -> [u8; 4] {
            let mut w = [0u8; 4];
            w.copy_from_slice(&bytes[at..at + 4]);
            w
        };
        let buckets = u32::from_le_bytes(word(8));
        if !buckets.is_power_of_two() {
            return Err(ModelError::Buckets(buckets));
        }
        let mut bias = [0.0; L];
        for (i, b) in bias.iter_mut().enumerate() {
            *b = f32::from_le_bytes(word(12 + 4 * i));
        }
        let n = buckets as usize * L;
        let expected = header + 2 * n + 4 * L;
        if bytes.len() != expected {
            return Err(ModelError::Truncated {
                expected,
                found: bytes.len(),
            });
        }
        // Weights are stored as i16 with one scale per label: half the size of f32 and
        // no measurable loss (checked by `eval --folds` on both).
        let scales_at = header + 2 * n;
        let mut scale = [0.0f32; L];
        for (i, s) in scale.iter_mut().enumerate() {
            *s = f32::from_le_bytes(word(scales_at + 4 * i));
        }
        let weights = bytes[header..scales_at]
            .chunks_exact(2)
            .enumerate()
            .map(|(i, c)| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale[i % L])
            .collect();
        Ok(Self {
            buckets,
            bias,
            weights,
        })
    }

    /// The binary format: magic, bucket count, biases, i16 weights, per-label scales.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.weights.len() * 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.buckets.to_le_bytes());
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        let mut scale = [0.0f32; L];
        for (i, w) in self.weights.iter().enumerate() {
            scale[i % L] = scale[i % L].max(w.abs());
        }
        for s in &mut scale {
            *s = if *s > 0.0 {
                *s / f32::from(i16::MAX)
            } else {
                1.0
            };
        }
        for (i, w) in self.weights.iter().enumerate() {
            let q = (w / scale[i % L]).round().clamp(-32767.0, 32767.0) as i16;
            out.extend_from_slice(&q.to_le_bytes());
        }
        for s in scale {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    /// The features of a message, as this model hashes them.
    pub fn features(&self, input: &Input<'_>) -> Features {
        extract(input, self.buckets, None)
    }

    /// Probabilities for a message's features.
    pub fn score(&self, features: &Features) -> Scores {
        let mut z = self.bias;
        for &(b, v) in &features.values {
            let at = b as usize * L;
            if let Some(w) = self.weights.get(at..at + L) {
                for (zi, wi) in z.iter_mut().zip(w) {
                    *zi += wi * v;
                }
            }
        }
        Scores {
            probability: z.map(sigmoid),
        }
    }

    /// The own sentence that weighs most for `category`, and the features behind it.
    pub fn explain(&self, input: &Input<'_>, category: Category) -> Option<Explanation> {
        let label = LABELS.iter().position(|c| *c == category)?;
        let whole = extract(input, self.buckets, None);
        let weight = |b: u32| {
            self.weights
                .get(b as usize * L + label)
                .copied()
                .unwrap_or(0.0)
        };
        let mut best: Option<(f32, &Document<'_>, std::ops::Range<usize>)> = None;
        for doc in std::iter::once(input.body).chain(input.subject) {
            for s in doc.own() {
                if doc.in_signature(s.range.start) {
                    continue;
                }
                let mut toks = Vec::new();
                tokens(&doc.text[s.range.clone()], &mut toks);
                let score: f32 = toks
                    .iter()
                    .map(|t| weight(bucket(Space::Word, &[t], self.buckets)))
                    .chain(
                        toks.windows(2)
                            .map(|p| weight(bucket(Space::Pair, &[&p[0], &p[1]], self.buckets))),
                    )
                    .sum();
                if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                    best = Some((score, doc, s.range.clone()));
                }
            }
        }
        let mut contributions: Vec<(f32, u32)> = whole
            .values
            .iter()
            .map(|&(b, v)| (weight(b) * v, b))
            .filter(|(c, _)| *c > 0.0)
            .collect();
        contributions.sort_by(|a, b| b.0.total_cmp(&a.0));
        contributions.truncate(5);
        // A second pass names just those five.
        let mut names: HashMap<u32, String> = contributions
            .iter()
            .map(|(_, b)| (*b, String::new()))
            .collect();
        extract(input, self.buckets, Some(&mut names));
        let features = contributions
            .iter()
            .filter_map(|(_, b)| names.get(b).filter(|n| !n.is_empty()).cloned())
            .collect();
        let (field, range) = match best {
            Some((_, doc, range)) => (doc.field.to_owned(), range),
            None => (input.body.field.to_owned(), 0..0),
        };
        Some(Explanation {
            field,
            start: range.start,
            end: range.end,
            features,
        })
    }
}

/// One labelled message for training.
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Features,
    /// Whether each of [`LABELS`] applies.
    pub labels: [bool; L],
}

/// Training settings. The defaults are what `countersign train` ships.
#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    pub buckets: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            buckets: 1 << 18,
            epochs: 12,
            learning_rate: 0.5,
            l2: 1e-6,
        }
    }
}

impl TrainConfig {
    /// Hashes a message's features for this configuration's bucket count.
    pub fn features(&self, input: &Input<'_>) -> Features {
        extract(input, self.buckets, None)
    }
}

/// Logistic regression per label by AdaGrad, over the examples in a fixed shuffled order
/// (a deterministic generator: the same examples always give the same weights).
pub fn train(examples: &[Example], cfg: &TrainConfig) -> Model {
    let n = cfg.buckets as usize * L;
    let mut weights = vec![0.0f32; n];
    let mut grad_sq = vec![1e-6f32; n];
    let mut bias = [0.0f32; L];
    let mut bias_sq = [1e-6f32; L];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..cfg.epochs {
        // Fisher–Yates with a xorshift generator.
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let ex = &examples[i];
            let mut z = bias;
            for &(b, v) in &ex.features.values {
                let at = b as usize * L;
                for (l, zl) in z.iter_mut().enumerate() {
                    *zl += weights[at + l] * v;
                }
            }
            for l in 0..L {
                let err = sigmoid(z[l]) - if ex.labels[l] { 1.0 } else { 0.0 };
                bias_sq[l] += err * err;
                bias[l] -= cfg.learning_rate * err / bias_sq[l].sqrt();
                for &(b, v) in &ex.features.values {
                    let at = b as usize * L + l;
                    let g = err * v + cfg.l2 * weights[at];
                    grad_sq[at] += g * g;
                    weights[at] -= cfg.learning_rate * g / grad_sq[at].sqrt();
                }
            }
        }
    }
    Model {
        buckets: cfg.buckets,
        bias,
        weights,
    }
}

/// A short readable list of the features, for a finding's evidence.
pub fn describe_features(features: &[String]) -> String {
    let mut out = String::new();
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{f}\"");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(doc: &'a Document<'a>) -> Input<'a> {
        Input {
            body: doc,
            subject: None,
            recipient_title: None,
            findings: &[],
        }
    }

    #[test]
    fn tokens_fold_digits_and_keep_money_signs() {
        let mut t = Vec::new();
        tokens("We can do 15% off, $1,200 per Seat.", &mut t);
        assert_eq!(
            t,
            [
                "we", "can", "do", "0", "%", "off", "$", "0", "0", "per", "seat"
            ]
        );
    }

    #[test]
    fn char_grams_are_whole_characters_with_edges_marked() {
        let mut group = Group::default();
        let mut named = HashMap::new();
        let mut scratch = (String::new(), Vec::new());
        let grams = ["^réd", "rédu", "éduc", "duc$"];
        for g in grams {
            named.insert(bucket(Space::Chars, &[g], 1 << 20), String::new());
        }
        let mut name = |b: u32, s: &dyn Fn() -> String| {
            if let Some(slot) = named.get_mut(&b) {
                *slot = s();
            }
        };
        char_grams("réduc", 1 << 20, &mut group, &mut scratch, &mut name);
        assert_eq!(group.buckets.len(), grams.len());
        for g in grams {
            assert!(named.values().any(|n| n == &format!("chars: {g}")), "{g}");
        }
    }

    #[test]
    fn weights_round_trip_through_bytes() {
        let doc = Document::new("body", "We can offer a discount on the renewal.", None);
        let cfg = TrainConfig {
            buckets: 1 << 10,
            epochs: 3,
            ..TrainConfig::default()
        };
        let ex = Example {
            features: cfg.features(&input(&doc)),
            labels: [false, true, false],
        };
        let model = train(std::slice::from_ref(&ex), &cfg);
        let back = Model::from_bytes(&model.to_bytes()).unwrap();
        let (a, b) = (model.score(&ex.features), back.score(&ex.features));
        for l in 0..L {
            assert!((a.probability[l] - b.probability[l]).abs() < 1e-3);
        }
    }

    #[test]
    fn training_is_deterministic_and_learns_a_separable_set() {
        let texts = [
            (
                "We can take 15% off the licence if you sign this month.",
                true,
            ),
            ("Happy to knock the onboarding fee off the order.", true),
            ("The price per seat drops to 40 euros at 200 seats.", true),
            ("Thanks for the call, see you Tuesday at 10.", false),
            ("Here is the recording of today's demo.", false),
            ("Could you send me the list of pilot users?", false),
        ];
        let cfg = TrainConfig {
            buckets: 1 << 12,
            ..TrainConfig::default()
        };
        let examples: Vec<Example> = texts
            .iter()
            .map(|(t, commercial)| {
                let doc = Document::new("body", t, None);
                Example {
                    features: cfg.features(&input(&doc)),
                    labels: [false, *commercial, false],
                }
            })
            .collect();
        let a = train(&examples, &cfg);
        let b = train(&examples, &cfg);
        assert_eq!(a.to_bytes(), b.to_bytes());
        for ex in &examples {
            let p = a.score(&ex.features).probability[1];
            assert_eq!(p > 0.5, ex.labels[1], "{p}");
        }
    }

    #[test]
    fn bad_weights_are_an_error_not_a_panic() {
        assert_eq!(Model::from_bytes(b"nope"), Err(ModelError::Header));
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&3u32.to_le_bytes());
        bytes.extend_from_slice(&[0u8; 4 * L]);
        assert_eq!(Model::from_bytes(&bytes), Err(ModelError::Buckets(3)));
    }

    #[test]
    fn shipped_weights_load() {
        assert!(Model::shipped().is_ok());
    }
}
