//! A small multinomial logistic regression over hashed word features and the rules'
//! findings, for English: trained by `examples/train_en.rs` on TweetEval tweets that the
//! project may use, shipped as `data/en_model.bin` and embedded in the binary.
//!
//! Words and word pairs are hashed into 2^bits buckets (no vocabulary to ship or look
//! up), a word after a negator gets its own feature ("not good" is not "good"), and the
//! rules' score and sums are dense features, so the model learns how far to trust them.
//! Weights are stored as `i16` with one scale: a quarter of `f32`'s size, no loss that
//! changes a decision.
//!
//! The same model serves Polish, German and Ukrainian (`examples/train.rs`, trained on
//! the brand-directed corpus in `train/`), with two more feature kinds that help inflected
//! languages and sentiment toward a brand: word prefixes ("polecam"/"polecają" share
//! "polec") and one placeholder for the brand's own words, so a model learns how people
//! write about *a* brand rather than which brands its corpus happened to praise.

use std::hash::Hasher;
use std::ops::Range;

use rustc_hash::FxHasher;

use crate::score::RuleAnalysis;
use crate::text::{Kind, Tokens};

/// Classes in TweetEval's order.
pub const CLASSES: usize = 3;
pub const NEGATIVE: usize = 0;
pub const NEUTRAL: usize = 1;
pub const POSITIVE: usize = 2;

/// Dense features after the hashed ones: the rules' view of the text.
pub const DENSE: usize = 8;

const MAGIC_V1: &[u8; 4] = b"ESM1";
/// Version 2 adds a `u32` of [`flags`] after the dense count.
const MAGIC: &[u8; 4] = b"ESM2";

/// Which optional feature kinds a model was trained with (stored in the model file).
pub mod flags {
    /// The first [`super::PREFIX_CHARS`] characters of each longer word.
    pub const PREFIXES: u32 = 1;
    /// Words inside the brand's spans become one `<brand>` feature.
    pub const BRAND_PLACEHOLDER: u32 = 2;
    /// No dense rule features: the model alone, to measure what the rules add.
    pub const NO_RULES: u32 = 4;
    /// Character trigrams of each word (with its boundaries), for misspellings and
    /// inflection.
    pub const CHAR_TRIGRAMS: u32 = 8;
    /// Words within [`super::BRAND_WINDOW`] tokens of the brand get a second, "near the
    /// brand" feature: "Lidl super, Biedronka dramat" puts "super" next to Lidl.
    pub const BRAND_WINDOW: u32 = 16;
}

/// Tokens either side of a brand token that count as near it ([`flags::BRAND_WINDOW`]).
pub const BRAND_WINDOW: usize = 3;

/// Characters a word-prefix feature keeps.
pub const PREFIX_CHARS: usize = 5;

/// Why model bytes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model bytes do not start with {MAGIC:?} or {MAGIC_V1:?}")]
    BadMagic,
    #[error("model bytes end early: expected {expected} bytes, found {found}")]
    Truncated { expected: usize, found: usize },
    #[error("model has {found} dense features, this build reads {DENSE}")]
    DenseMismatch { found: usize },
}

/// Sparse features of one text: (index, value), hashed indices below `1 << bits`,
/// dense ones after.
pub type Features = Vec<(u32, f32)>;

#[allow(clippy::too_many_arguments)]
pub(crate) fn features(
    tokens: &Tokens,
    rules: &RuleAnalysis,
    bits: u32,
    feature_flags: u32,
    text: &str,
    brand: &[Range<usize>],
    out: &mut Features,
) {
    out.clear();
    let mask = (1u32 << bits) - 1;
    let mut prev: Option<u64> = None;
    let placeholder = feature_flags & flags::BRAND_PLACEHOLDER != 0;
    let touches_brand = |span: &Range<usize>| {
        brand
            .iter()
            .any(|b| b.start < span.end && span.start < b.end)
    };
    // The first few brand tokens' positions, for the window features (no allocation:
    // a post names its brand a handful of times at most).
    let mut brand_at = [usize::MAX; 8];
    if feature_flags & flags::BRAND_WINDOW != 0 && !brand.is_empty() {
        let mut k = 0;
        for (i, tok) in tokens.list.iter().enumerate() {
            if k < brand_at.len() && touches_brand(&tok.span) {
                brand_at[k] = i;
                k += 1;
            }
        }
    }
    let near_brand = |i: usize| {
        brand_at
            .iter()
            .any(|&b| b != usize::MAX && b != i && b.abs_diff(i) <= BRAND_WINDOW)
    };
    for (i, tok) in tokens.list.iter().enumerate() {
        let w = rules.clause_weight_of_token.get(i).copied().unwrap_or(1.0);
        match tok.kind {
            Kind::Word | Kind::Hashtag => {
                let is_brand = placeholder && touches_brand(&tok.span);
                let word = if is_brand {
                    "<brand>"
                } else {
                    tokens.folded(tok)
                };
                let negated = rules.in_negation_scope.get(i).copied().unwrap_or(false);
                let h = hash(if negated { 2 } else { 1 }, word.as_bytes());
                out.push(((h as u32) & mask, w));
                if !is_brand {
                    word_parts(word, negated, feature_flags, mask, w, out);
                    if brand_at[0] != usize::MAX && near_brand(i) {
                        let near = hash(if negated { 32 } else { 31 }, word.as_bytes());
                        out.push(((near as u32) & mask, w));
                    }
                }
                if let Some(p) = prev {
                    let pair = p.rotate_left(17) ^ h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    out.push(((pair as u32 ^ (pair >> 32) as u32) & mask, w));
                }
                prev = Some(h);
            }
            Kind::Emoji(_) => {
                let h = hash(3, text[tok.span.clone()].as_bytes());
                out.push(((h as u32) & mask, w));
                prev = None;
            }
            Kind::Handle => {}
            Kind::Punct(mark) => {
                if mark == b'!' || mark == b'?' {
                    out.push(((hash(4, &[mark]) as u32) & mask, w));
                }
                prev = None;
            }
        }
    }
    if feature_flags & flags::NO_RULES != 0 {
        return;
    }
    let base = 1u32 << bits;
    let dense: [f32; DENSE] = [
        rules.score,
        (rules.positive / 4.0).min(2.0),
        (rules.negative / 4.0).min(2.0),
        f32::from(u8::from(rules.question)),
        f32::from(u8::from(rules.request)),
        f32::from(u8::from(rules.irony)),
        f32::from(u8::from(rules.complaint_marker)),
        (rules.negations as f32 / 2.0).min(1.0),
    ];
    for (k, v) in dense.into_iter().enumerate() {
        if v != 0.0 {
            out.push((base + k as u32, v));
        }
    }
}

/// Prefix and character-trigram features of one word, as the model's flags ask. No
/// allocation: a word's character starts go into a stack array (trigrams of the first
/// 64 characters only; longer "words" are noise).
fn word_parts(
    word: &str,
    negated: bool,
    feature_flags: u32,
    mask: u32,
    w: f32,
    out: &mut Features,
) {
    let prefixes = feature_flags & flags::PREFIXES != 0;
    let trigrams = feature_flags & flags::CHAR_TRIGRAMS != 0;
    if !prefixes && !trigrams {
        return;
    }
    let neg = u8::from(negated);
    if prefixes && let Some((end, _)) = word.char_indices().nth(PREFIX_CHARS) {
        out.push((
            (hash(6 + 16 * neg, &word.as_bytes()[..end]) as u32) & mask,
            w,
        ));
    }
    if trigrams {
        const MAX: usize = 64;
        let mut starts = [0u16; MAX];
        let (mut chars, mut end) = (0, word.len());
        for (o, _) in word.char_indices() {
            let Ok(o16) = u16::try_from(o) else {
                end = o;
                break;
            };
            if chars == MAX {
                end = o;
                break;
            }
            starts[chars] = o16;
            chars += 1;
        }
        if chars < 3 {
            return;
        }
        let at = |k: usize| {
            if k < chars {
                usize::from(starts[k])
            } else {
                end
            }
        };
        let bytes = word.as_bytes();
        let scale = w / (chars as f32).sqrt();
        for k in 0..chars - 2 {
            // One tag byte: the kind, negation, and whether the gram starts or ends the word.
            let tag = 100 + neg + 2 * u8::from(k == 0) + 4 * u8::from(k + 3 == chars);
            out.push(((hash(tag, &bytes[at(k)..at(k + 3)]) as u32) & mask, scale));
        }
    }
}

fn hash(kind: u8, bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(kind);
    h.write(bytes);
    h.finish()
}

/// The trained weights.
#[derive(Debug, Clone)]
pub struct Model {
    pub bits: u32,
    /// The [`flags`] the model's features were made with.
    pub flags: u32,
    /// `(1 << bits) + DENSE` rows of one weight per class.
    pub weights: Vec<[f32; CLASSES]>,
    pub bias: [f32; CLASSES],
    /// Added to the logits before the argmax: tuned (by cross-validation on the training
    /// tweets) so that no class is starved, which is what macro-averaged recall rewards.
    pub offsets: [f32; CLASSES],
}

impl Model {
    pub fn logits(&self, features: &Features) -> [f32; CLASSES] {
        let mut z = self.bias;
        for &(i, v) in features {
            let w = &self.weights[i as usize];
            for c in 0..CLASSES {
                z[c] += w[c] * v;
            }
        }
        z
    }

    pub fn probabilities(&self, features: &Features) -> [f32; CLASSES] {
        softmax(self.logits(features))
    }

    /// The class the model decides, after the macro-recall offsets.
    pub fn decide(&self, logits: [f32; CLASSES]) -> usize {
        let mut best = 0;
        for c in 1..CLASSES {
            if logits[c] + self.offsets[c] > logits[best] + self.offsets[best] {
                best = c;
            }
        }
        best
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self
            .weights
            .iter()
            .flat_map(|w| w.iter())
            .fold(0f32, |m, &w| m.max(w.abs()))
            .max(1e-6);
        let scale = max / f32::from(i16::MAX);
        let mut out = Vec::with_capacity(32 + self.weights.len() * 6);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&(DENSE as u32).to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for v in self.bias.iter().chain(&self.offsets) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for w in &self.weights {
            for &v in w {
                let q = (v / scale)
                    .round()
                    .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16;
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let v2 = match bytes.get(..4) {
            Some(m) if m == MAGIC => true,
            Some(m) if m == MAGIC_V1 => false,
            _ => return Err(ModelError::BadMagic),
        };
        let extra = if v2 { 4 } else { 0 };
        let header = 4 + 4 * 3 + extra + 4 * 6;
        if bytes.len() < header {
            return Err(ModelError::Truncated {
                expected: header,
                found: bytes.len(),
            });
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let f32_at = |o: usize| f32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let bits = u32_at(4);
        let dense = u32_at(8) as usize;
        if dense != DENSE {
            return Err(ModelError::DenseMismatch { found: dense });
        }
        let feature_flags = if v2 { u32_at(12) } else { 0 };
        let o = 12 + extra;
        let scale = f32_at(o);
        let bias = [f32_at(o + 4), f32_at(o + 8), f32_at(o + 12)];
        let offsets = [f32_at(o + 16), f32_at(o + 20), f32_at(o + 24)];
        let rows = (1usize << bits) + DENSE;
        let expected = header + rows * CLASSES * 2;
        if bytes.len() < expected {
            return Err(ModelError::Truncated {
                expected,
                found: bytes.len(),
            });
        }
        let weights = bytes[header..expected]
            .chunks_exact(CLASSES * 2)
            .map(|row| {
                let mut w = [0f32; CLASSES];
                for (c, q) in row.chunks_exact(2).enumerate() {
                    w[c] = f32::from(i16::from_le_bytes([q[0], q[1]])) * scale;
                }
                w
            })
            .collect();
        Ok(Model {
            bits,
            flags: feature_flags,
            weights,
            bias,
            offsets,
        })
    }
}

pub fn softmax(z: [f32; CLASSES]) -> [f32; CLASSES] {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - max).exp());
    let sum: f32 = e.iter().sum();
    e.map(|v| v / sum)
}

/// How a model is trained: multinomial logistic regression by AdaGrad, with each class
/// weighted by the inverse of its frequency (macro recall counts every class equally).
#[derive(Debug, Clone, Copy)]
pub struct TrainParams {
    pub bits: u32,
    pub flags: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            bits: 17,
            flags: 0,
            epochs: 12,
            learning_rate: 0.2,
            l2: 1e-5,
            seed: 7,
        }
    }
}

pub fn train(examples: &[(Features, usize)], params: TrainParams) -> Model {
    let rows = (1usize << params.bits) + DENSE;
    let mut weights = vec![[0f32; CLASSES]; rows];
    let mut grad_sq = vec![[1e-8f32; CLASSES]; rows];
    let mut bias = [0f32; CLASSES];
    let mut bias_sq = [1e-8f32; CLASSES];
    let mut counts = [0usize; CLASSES];
    for (_, y) in examples {
        counts[*y] += 1;
    }
    let class_weight: [f32; CLASSES] =
        std::array::from_fn(|c| examples.len() as f32 / (CLASSES as f32 * counts[c].max(1) as f32));
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = params.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut model = Model {
        bits: params.bits,
        flags: params.flags,
        weights: Vec::new(),
        bias,
        offsets: [0.0; CLASSES],
    };
    for _ in 0..params.epochs {
        // Fisher–Yates with xorshift: reproducible without a dependency.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &e in &order {
            let (x, y) = &examples[e];
            let mut z = bias;
            for &(i, v) in x {
                for c in 0..CLASSES {
                    z[c] += weights[i as usize][c] * v;
                }
            }
            let p = softmax(z);
            let cw = class_weight[*y];
            for c in 0..CLASSES {
                let g = cw * (p[c] - if c == *y { 1.0 } else { 0.0 });
                bias_sq[c] += g * g;
                bias[c] -= params.learning_rate * g / bias_sq[c].sqrt();
                for &(i, v) in x {
                    let i = i as usize;
                    let gi = g * v + params.l2 * weights[i][c];
                    grad_sq[i][c] += gi * gi;
                    weights[i][c] -= params.learning_rate * gi / grad_sq[i][c].sqrt();
                }
            }
        }
    }
    model.weights = weights;
    model.bias = bias;
    model
}

/// Macro-averaged recall of predictions against labels.
pub fn macro_recall(predicted: &[usize], gold: &[usize]) -> f32 {
    let mut hit = [0usize; CLASSES];
    let mut total = [0usize; CLASSES];
    for (&p, &g) in predicted.iter().zip(gold) {
        total[g] += 1;
        if p == g {
            hit[g] += 1;
        }
    }
    let present = total.iter().filter(|&&t| t > 0).count().max(1);
    (0..CLASSES)
        .filter(|&c| total[c] > 0)
        .map(|c| hit[c] as f32 / total[c] as f32)
        .sum::<f32>()
        / present as f32
}

/// The offsets (neutral fixed at 0) that maximise macro recall of `logits` against
/// `gold`, by a grid search: applied to held-out folds, never to evaluation data.
pub fn tune_offsets(logits: &[[f32; CLASSES]], gold: &[usize]) -> [f32; CLASSES] {
    let grid: Vec<f32> = (-20..=20).map(|k| k as f32 * 0.1).collect();
    let mut best = ([0.0; CLASSES], -1.0);
    for &neg in &grid {
        for &pos in &grid {
            let offsets = [neg, 0.0, pos];
            let predicted: Vec<usize> = logits
                .iter()
                .map(|z| {
                    (0..CLASSES)
                        .max_by(|&a, &b| (z[a] + offsets[a]).total_cmp(&(z[b] + offsets[b])))
                        .expect("three classes")
                })
                .collect();
            let r = macro_recall(&predicted, gold);
            if r > best.1 {
                best = (offsets, r);
            }
        }
    }
    best.0
}
