//! The source-type model: a multinomial logistic regression over hashed features of
//! one (mention, brand) pair, trained on the apart-written labelled mentions by
//! `examples/train_source_model.rs` and shipped as `data/source_model.txt`.
//!
//! Why a model: phrase tables fit the phrasings their author saw (issue 11's second
//! round: employee recall 0.88 on the read set, 0.47 on the unread one). The rule
//! answer stays the strongest feature, and the words around it (the post's, the
//! bio's, the handle's and name's) let the model learn how staff, bystanders and
//! customers write from 1,680 labelled mentions instead of one author's lists. The
//! brand's own words are replaced by a placeholder, so nothing is learnt about a
//! particular brand.
//!
//! Cost: one pass over at most `MAX_POST_FEATURES` bytes of the (already folded) post
//! and the bio, one hash-map probe per word and word pair, no allocation; only for
//! mentions that matched a brand.

use std::hash::Hasher;
use std::sync::LazyLock;

use crate::brand::{BrandHit, TermKind};
use crate::hash::{FxHasher, FxMap};
use crate::rules::{RuleHit, RuleKind};
use crate::source::Evidence;
use crate::tags::{SourceType, Tag};

/// The classes the model answers, in the order of the weights in the data file.
pub(crate) const CLASSES: [SourceType; 5] = [
    SourceType::Customer,
    SourceType::Employee,
    SourceType::BrandAccount,
    SourceType::Press,
    SourceType::Other,
];

/// Evidence when the model answers a class the rules did not.
const MODEL_EVIDENCE: [&str; 5] = [
    "model.customer",
    "model.employee",
    "model.brand_account",
    "model.press",
    "model.other",
];

/// Bytes of the folded post and bio the features read. Who is speaking shows early in a
/// post ("I work at", a support reply's greeting); a longer body (Reddit, articles) cost
/// one word pass per matched brand for little evidence. Almost every labelled post is
/// shorter, so the figures do not move with it.
const MAX_POST_FEATURES: usize = 1024;
const MAX_BIO_FEATURES: usize = 1024;

const SHIPPED: &str = include_str!("../data/source_model.txt");

static MODEL: LazyLock<Option<SourceModel>> = LazyLock::new(|| {
    SourceModel::parse(SHIPPED).unwrap_or_else(|e| panic!("data/source_model.txt: {e}"))
});

/// `data/staff_lexicon.txt`: word key (see [`word_key`]) → section index.
static STAFF_LEXICON: LazyLock<FxMap<u64, u8>> = LazyLock::new(|| {
    let mut map = FxMap::default();
    let mut section = 0u8;
    for line in include_str!("../data/staff_lexicon.txt").lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section += 1;
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        for word in line.split_whitespace() {
            let folded = crate::fold::fold(word);
            map.insert(hash_parts(b'x', &[word_key(&folded)]), section);
        }
    }
    map
});

/// Parses the shipped model and lexicon once (called from `Enricher::new`, so no
/// mention pays it).
pub(crate) fn warm() {
    LazyLock::force(&MODEL);
    LazyLock::force(&STAFF_LEXICON);
}

/// A word's lexicon key: its first five letters when it has more than six, so that
/// inflected forms share it ("kurierem" → "kurie"), otherwise the word.
fn word_key(word: &str) -> &[u8] {
    if word.chars().count() > 6 {
        let cut = word.char_indices().nth(5).map_or(word.len(), |(i, _)| i);
        &word.as_bytes()[..cut]
    } else {
        word.as_bytes()
    }
}

pub(crate) struct SourceModel {
    weights: FxMap<u64, [f32; 5]>,
    bias: [f32; 5],
    /// The least probability at which each class is answered; below it, `unknown`.
    thresholds: [f32; 5],
}

impl SourceModel {
    /// `None` for a file without weights (the rules then answer alone).
    fn parse(text: &str) -> Result<Option<Self>, String> {
        let mut model = SourceModel {
            weights: FxMap::default(),
            bias: [0.0; 5],
            thresholds: [1.1; 5],
        };
        let mut any = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_ascii_whitespace();
            let key = parts.next().unwrap_or("");
            let values: Vec<f32> = parts
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            let row: [f32; 5] = values
                .try_into()
                .map_err(|_| format!("line {}: expected 5 numbers after the key", n + 1))?;
            match key {
                "bias" => model.bias = row,
                "thresholds" => model.thresholds = row,
                hex => {
                    let hash = u64::from_str_radix(hex, 16)
                        .map_err(|e| format!("line {}: feature {hex:?}: {e}", n + 1))?;
                    model.weights.insert(hash, row);
                    any = true;
                }
            }
        }
        Ok(any.then_some(model))
    }

    fn probabilities(
        &self,
        ev: &Evidence<'_>,
        brand_id: u32,
        brand_name: &str,
        rule: &Tag<SourceType>,
    ) -> [f32; 5] {
        let mut z = self.bias;
        features(ev, brand_id, brand_name, rule, &mut |f| {
            if let Some(w) = self.weights.get(&f) {
                for (z, w) in z.iter_mut().zip(w) {
                    *z += w;
                }
            }
        });
        softmax(z)
    }
}

pub(crate) fn softmax(z: [f32; 5]) -> [f32; 5] {
    let max = z.iter().copied().fold(f32::MIN, f32::max);
    let e = z.map(|v| (v - max).exp());
    let sum: f32 = e.iter().sum();
    e.map(|v| v / sum)
}

/// The model's answer, or the rules' when no model is shipped.
pub(crate) fn decide(
    ev: &Evidence<'_>,
    brand_id: u32,
    brand_name: &str,
    rule: Tag<SourceType>,
) -> Tag<SourceType> {
    let Some(model) = MODEL.as_ref() else {
        return rule;
    };
    let p = model.probabilities(ev, brand_id, brand_name, &rule);
    let (best, &prob) = p
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("five classes");
    let class = CLASSES[best];
    if prob < model.thresholds[best] {
        let evidence = if rule.value == SourceType::Unknown {
            rule.evidence
        } else {
            "model.unsure".into()
        };
        return Tag::new(SourceType::Unknown, 0.3, evidence);
    }
    let evidence = if class == rule.value {
        rule.evidence
    } else {
        MODEL_EVIDENCE[best].into()
    };
    Tag::new(class, prob.clamp(0.0, 0.99), evidence)
}

/// A (mention, brand) pair as the training example sees it.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SourceSample {
    pub brand: String,
    /// The hand-written rules' answer.
    pub rule: Tag<SourceType>,
    /// The rules' answer is an account fact, which the model never overrides.
    pub account_fact: bool,
    /// Hashed features, as `decide` computes them.
    pub features: Vec<u64>,
}

impl crate::Enricher {
    /// Features and rule answers of every brand `enrich` would match, for training the
    /// source-type model (`examples/train_source_model.rs`); not for the hot path.
    #[doc(hidden)]
    pub fn source_samples(&self, mention: &earshot_model::RawMention) -> Vec<SourceSample> {
        let tags = self.enrich(mention);
        let fold = |s: &str| crate::fold::fold(s);
        let post = fold(&mention.text);
        let bio = fold(&mention.author.bio);
        let date_year = chrono::Datelike::year(&mention.created_at);
        let (mut post_rules, mut bio_rules) = (Vec::new(), Vec::new());
        self.rules.scan(
            crate::prefix(&post, crate::MAX_RULE_TEXT),
            date_year,
            &mut post_rules,
        );
        self.rules.scan(&bio, date_year, &mut bio_rules);
        let (mut post_brands, mut bio_brands) = (Vec::new(), Vec::new());
        self.brands.scan(&post, crate::MAX_HITS, &mut post_brands);
        self.brands.scan(&bio, crate::MAX_HITS, &mut bio_brands);
        let ev = Evidence {
            mention,
            bio: &bio,
            post: &post,
            bio_rules: &bio_rules,
            post_rules: &post_rules,
            bio_brands: &bio_brands,
            post_brands: &post_brands,
            press: &self.press,
        };
        tags.brands
            .iter()
            .filter_map(|m| {
                let id = self.brands.brands.iter().position(|b| b.name == m.brand)? as u32;
                let entry = &self.brands.brands[id as usize];
                let rule = crate::source::classify_by_rules(&ev, id, entry);
                let mut features = Vec::new();
                crate::model::features(&ev, id, &entry.name, &rule, &mut |f| features.push(f));
                Some(SourceSample {
                    brand: m.brand.clone(),
                    account_fact: crate::source::is_account_fact(&rule),
                    rule,
                    features,
                })
            })
            .collect()
    }
}

fn hash_parts(namespace: u8, parts: &[&[u8]]) -> u64 {
    let mut h = FxHasher::default();
    h.write(&[namespace]);
    for p in parts {
        h.write(p);
        h.write(&[0xff]);
    }
    h.finish()
}

fn pair(namespace: u8, a: u64, b: u64) -> u64 {
    let mut h = FxHasher::default();
    h.write(&[namespace]);
    h.write(&a.to_le_bytes());
    h.write(&b.to_le_bytes());
    h.finish()
}

/// Placeholders for words that are not themselves features.
const BRAND_WORD: &[u8] = b"<brand>";
const OTHER_BRAND_WORD: &[u8] = b"<other_brand>";
const NUMBER_WORD: &[u8] = b"<number>";
const STEM_NAMESPACE: u8 = b's';

/// Every feature of one (mention, brand) pair, passed to `emit`.
pub(crate) fn features(
    ev: &Evidence<'_>,
    brand_id: u32,
    brand_name: &str,
    rule: &Tag<SourceType>,
    emit: &mut impl FnMut(u64),
) {
    emit(hash_parts(b'r', &[rule.evidence.as_bytes()]));
    emit(hash_parts(b'c', &[&[rule.value as u8]]));
    emit(hash_parts(b'P', &[&[ev.mention.platform as u8]]));
    rule_kinds(b'k', ev.post_rules, emit);
    rule_kinds(b'K', ev.bio_rules, emit);
    let post = crate::prefix(ev.post, MAX_POST_FEATURES);
    let (n, post_lexicon) = text_words(b'w', b'2', post, ev.post_brands, brand_id, emit);
    emit(hash_parts(b'L', &[&[n.min(40).div_ceil(4) as u8]]));
    let bio = crate::prefix(ev.bio, MAX_BIO_FEATURES);
    let (b, bio_lexicon) = text_words(b'b', b'B', bio, ev.bio_brands, brand_id, emit);
    if b == 0 {
        emit(hash_parts(b'b', &[b"<empty>"]));
    }
    // Conjunctions a linear model cannot form itself: a job word with the author
    // speaking of themselves ("Ich bin Lokführerin", "jako kurier"), and job words in
    // the bio with the rules' answer.
    let first_person = ev
        .post_rules
        .iter()
        .any(|r| r.kind == RuleKind::FirstPerson);
    emit(hash_parts(b'C', &[&[post_lexicon, u8::from(first_person)]]));
    emit(hash_parts(b'D', &[&[bio_lexicon, rule.value as u8]]));
    emit(hash_parts(b'E', &[&[post_lexicon, rule.value as u8]]));
    // The brand named by hashtag, handle or domain, or in the bio.
    for hit in crate::source::of_brand(ev.post_brands, brand_id) {
        emit(hash_parts(b't', &[&[hit.kind as u8, hit.inflected as u8]]));
    }
    if crate::source::of_brand(ev.bio_brands, brand_id)
        .next()
        .is_some()
    {
        emit(hash_parts(b't', &[b"bio"]));
    }
    if crate::source::named_after(ev.mention, brand_name) {
        emit(hash_parts(b'A', &[b"named_after_brand"]));
    }
    let handle = ev.mention.author.handle.trim_start_matches('@');
    let handle = handle.split(['@', '.']).next().unwrap_or("");
    with_folded(handle, |h| {
        name_words(b'h', h, emit);
    });
    with_folded(&ev.mention.author.name, |n| {
        name_words(b'n', n, emit);
    });
}

fn rule_kinds(namespace: u8, hits: &[RuleHit], emit: &mut impl FnMut(u64)) {
    let mut seen = 0u32;
    for hit in hits {
        let code = match hit.kind {
            RuleKind::PressRole => 0,
            RuleKind::PressNegation => 1,
            RuleKind::PressBio => 2,
            RuleKind::WorkAt => 3,
            RuleKind::StaffDisclaimer => 4,
            RuleKind::Purchase => 5,
            RuleKind::Bot => 6,
            RuleKind::Organization => 7,
            RuleKind::Fan => 8,
            RuleKind::StaffVoice => 9,
            RuleKind::BrandVoice => 10,
            RuleKind::OtherRole => 11,
            RuleKind::FirstPerson => 12,
            RuleKind::Guard => 13,
            RuleKind::Generation(_) | RuleKind::GenerationWord(_) => 14,
            RuleKind::BirthYear
            | RuleKind::Age
            | RuleKind::AgeExact
            | RuleKind::AgeLoose
            | RuleKind::AgeSpan { .. } => 15,
            RuleKind::RetiredSince | RuleKind::LifeStage { .. } | RuleKind::LeftSchool => 16,
            RuleKind::Slang => 17,
        };
        if seen & (1 << code) == 0 {
            seen |= 1 << code;
            emit(hash_parts(namespace, &[&[code]]));
        }
    }
}

/// Word and word-pair features of a folded text; returns the number of words and the
/// staff-lexicon sections seen (bit per section).
fn text_words(
    unigram: u8,
    bigram: u8,
    text: &str,
    hits: &[BrandHit],
    brand_id: u32,
    emit: &mut impl FnMut(u64),
) -> (usize, u8) {
    let mut previous = hash_parts(unigram, &[b"<start>"]);
    let mut count = 0;
    let mut sections = 0u8;
    for (start, word) in words(text) {
        let end = start + word.len();
        let covering = hits
            .iter()
            .find(|h| h.kind != TermKind::Excluded && h.start < end && h.end > start);
        let token: &[u8] = match covering {
            Some(h) if h.brand == brand_id => BRAND_WORD,
            Some(_) => OTHER_BRAND_WORD,
            None if word.bytes().all(|b| b.is_ascii_digit()) => NUMBER_WORD,
            None => word.as_bytes(),
        };
        let h = hash_parts(unigram, &[token]);
        emit(h);
        if token.len() == word.len() {
            let key = word_key(word);
            // The first five letters stand for the word's inflected forms too
            // ("pracuję", "pracujemy", "pracuje" → "pracu").
            if key.len() < word.len() {
                emit(hash_parts(STEM_NAMESPACE, &[key]));
            }
            if let Some(&section) = STAFF_LEXICON.get(&hash_parts(b'x', &[key])) {
                emit(hash_parts(b'X', &[&[unigram, section]]));
                sections |= 1 << section;
            }
        }
        emit(pair(bigram, previous, h));
        previous = h;
        count += 1;
    }
    (count, sections)
}

thread_local! {
    static FOLDED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// `f` of the folded `text`, in a reused buffer.
fn with_folded(text: &str, f: impl FnOnce(&str)) {
    FOLDED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            crate::fold::fold_into(text, &mut buf);
            f(&buf);
        }
        Err(_) => f(&crate::fold::fold(text)),
    });
}

/// Words of a handle or display name ("berlin_news", "Lidl Kundenservice"), and of
/// their letters alone ("kasia_k93" → "kasia", "k").
fn name_words(namespace: u8, text: &str, emit: &mut impl FnMut(u64)) {
    for part in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|p| p.len() > 1)
    {
        emit(hash_parts(namespace, &[part.as_bytes()]));
    }
}

/// (byte offset, word) of the letters-and-digits runs of `text`; an apostrophe inside
/// a word ("i'm", "don't") belongs to it.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let is_word = |c: char| c.is_alphanumeric();
        let rest = &text[i..];
        let skip = rest.find(is_word)?;
        let start = i + skip;
        let mut end = start;
        let mut chars = text[start..].char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let inner_apostrophe =
                c == '\'' && chars.peek().is_some_and(|&(_, n)| is_word(n)) && at > 0;
            if is_word(c) || inner_apostrophe {
                end = start + at + c.len_utf8();
            } else {
                break;
            }
        }
        i = end;
        debug_assert!(end <= bytes.len());
        Some((start, &text[start..end]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_inner_apostrophes() {
        let got: Vec<_> = words("i'm at żabka, 'quoted' 24/7").map(|w| w.1).collect();
        assert_eq!(got, ["i'm", "at", "żabka", "quoted", "24", "7"]);
    }

    #[test]
    fn shipped_model_parses() {
        let model = SourceModel::parse(SHIPPED).expect("parses");
        let model = model.expect("the shipped file has weights");
        assert!(model.weights.len() > 100);
        assert!(model.thresholds.iter().all(|t| (0.0..=1.0).contains(t)));
    }

    #[test]
    fn malformed_rows_are_errors() {
        assert!(SourceModel::parse("bias 1 2 3").is_err());
        assert!(SourceModel::parse("zz 1 2 3 4 5").is_err());
        assert!(SourceModel::parse("# only a comment").unwrap().is_none());
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax([1.0, 2.0, 3.0, -1.0, 0.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p[2] > p[1] && p[1] > p[0]);
    }
}
