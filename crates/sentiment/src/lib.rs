//! Sentiment toward a brand in a social-media mention, and a text's overall sentiment:
//! pure logic, no I/O, every table and weight embedded at build time.
//!
//! Polish, English, German and Ukrainian are scored by lexicons and rules (VADER's
//! English lexicon and our own tables for the others: see `NOTICE`); each language adds a
//! small linear model that reads the rules' findings as features: English's trained on
//! TweetEval tweets (`examples/train_en.rs`), Polish, German and Ukrainian ones on the
//! brand-directed training corpus in `train/` (`examples/train.rs`). Other languages get
//! [`Polarity::Unknown`] with the reason, never a guess.
//!
//! ```
//! use earshot_sentiment::{Analyzer, Polarity};
//! let analyzer = Analyzer::new();
//! let text = "Tanio w Biedronce, ale obsługa to dramat.";
//! let brand = text.find("Biedronce").unwrap();
//! let s = analyzer.toward(text, "pl", &[brand..brand + "Biedronce".len()]);
//! assert_eq!(s.polarity, Polarity::Negative);
//! ```

mod lexicon;
pub mod model;
mod score;
mod text;

use std::cell::RefCell;
use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use lexicon::LexiconError;
pub use model::ModelError;

use lexicon::{Lexicon, Symbols};
use model::{Features, Model};
use score::{RuleAnalysis, Scorer, finish_evidence};
use text::Tokens;

/// Which way a text leans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    Positive,
    Neutral,
    Negative,
    /// The language has no lexicon: no guess is made.
    Unknown,
}

impl Polarity {
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Positive => "positive",
            Polarity::Neutral => "neutral",
            Polarity::Negative => "negative",
            Polarity::Unknown => "unknown",
        }
    }
}

/// Sentiment toward a brand (or overall), with what decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub polarity: Polarity,
    /// -1 (most negative) to 1 (most positive).
    pub score: f32,
    /// 0 to 1: how sure the verdict is.
    pub confidence: f32,
    /// The words, emoji and rules that decided, strongest first.
    pub evidence: Vec<String>,
    /// The speaker complains about the brand's product or service: customer care routes
    /// on it.
    pub complaint: bool,
}

/// Languages with lexicons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Pl,
    En,
    De,
    Uk,
}

impl Language {
    fn from_code(code: &str) -> Option<Language> {
        match code {
            "pl" => Some(Language::Pl),
            "en" => Some(Language::En),
            "de" => Some(Language::De),
            "uk" => Some(Language::Uk),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Normalised rule scores at or beyond which a text is positive or negative, per
/// language (pl, en, de, uk). English's were tuned on the 6,000 TweetEval training
/// tweets; the others' on the `*.dev.jsonl` sets only.
const THRESHOLDS: [f32; 4] = [0.05, 0.05, 0.05, 0.05];

/// Evidence items shown per verdict.
const EVIDENCE_SHOWN: usize = 5;

/// Builds the tables once; then scores any number of texts from any thread.
pub struct Analyzer {
    lexicons: [Lexicon; 4],
    symbols: Symbols,
    /// Per language (pl, en, de, uk): the model that decides, or the rules' threshold.
    models: [Option<Model>; 4],
}

thread_local! {
    static SCRATCH: RefCell<(Tokens, Features)> = RefCell::new((Tokens::default(), Vec::new()));
}

const VADER_LEXICON: &str = include_str!("../data/vader_lexicon.tsv");
const VADER_EMOJI: &str = include_str!("../data/vader_emoji_descriptions.tsv");
const EMOJI: &str = include_str!("../data/emoji.tsv");
const EN_RULES: &str = include_str!("../data/en.tsv");
const PL_RULES: &str = include_str!("../data/pl.tsv");
const DE_RULES: &str = include_str!("../data/de.tsv");
const UK_RULES: &str = include_str!("../data/uk.tsv");
const EN_MODEL: &[u8] = include_bytes!("../data/en_model.bin");
const PL_MODEL: &[u8] = include_bytes!("../data/pl_model.bin");
const DE_MODEL: &[u8] = include_bytes!("../data/de_model.bin");
const UK_MODEL: &[u8] = include_bytes!("../data/uk_model.bin");
/// Per language, in [`Language::index`] order.
const MODELS: [&[u8]; 4] = [PL_MODEL, EN_MODEL, DE_MODEL, UK_MODEL];

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

impl Analyzer {
    /// Lexicons, rules and each language's model.
    pub fn new() -> Analyzer {
        let mut analyzer = Analyzer::rules_only();
        for (slot, bytes) in analyzer.models.iter_mut().zip(MODELS) {
            *slot = Some(
                Model::from_bytes(bytes).expect("the embedded models are valid: a test reads them"),
            );
        }
        analyzer
    }

    /// Lexicons and rules alone, without the models: to measure what the models add,
    /// and what the training examples compute the models' features with.
    pub fn rules_only() -> Analyzer {
        Analyzer::try_rules_only().expect("the embedded tables are valid: a test reads them")
    }

    fn try_rules_only() -> Result<Analyzer, LexiconError> {
        let mut en = Lexicon::default();
        en.add_vader_words(VADER_LEXICON);
        en.add_rules("en.tsv", EN_RULES)?;
        let mut symbols = Symbols::default();
        symbols.add_vader_emoticons(VADER_LEXICON);
        symbols.add_described_emoji(VADER_EMOJI, &en);
        symbols.add_emoji_table(EMOJI);
        let mut pl = Lexicon::default();
        pl.add_rules("pl.tsv", PL_RULES)?;
        let mut de = Lexicon::default();
        de.add_rules("de.tsv", DE_RULES)?;
        let mut uk = Lexicon::default();
        uk.add_rules("uk.tsv", UK_RULES)?;
        Ok(Analyzer {
            lexicons: [pl, en, de, uk],
            symbols,
            models: [None, None, None, None],
        })
    }

    /// Replaces the English model (for training and evaluation tools).
    pub fn with_english_model(self, model: Option<Model>) -> Analyzer {
        self.with_model("en", model)
    }

    /// Replaces one language's model (for training and evaluation tools); a code without
    /// a lexicon is ignored.
    pub fn with_model(mut self, language: &str, model: Option<Model>) -> Analyzer {
        if let Some(l) = Language::from_code(language) {
            self.models[l.index()] = model;
        }
        self
    }

    /// Sentiment toward the brand mentioned at `brand_spans` (byte ranges of `text`):
    /// clauses near the brand weigh more than clauses far from it, and a comparison the
    /// brand loses counts against it. `language` is an ISO 639-1 code.
    pub fn toward(&self, text: &str, language: &str, brand_spans: &[Range<usize>]) -> Sentiment {
        self.analyse(text, language, brand_spans)
    }

    /// The text's overall sentiment (how TweetEval is labelled).
    pub fn overall(&self, text: &str, language: &str) -> Sentiment {
        self.analyse(text, language, &[])
    }

    /// The English model's features for a text, and the rules' findings: for training.
    pub fn english_features(&self, text: &str, bits: u32) -> Features {
        self.features(text, "en", &[], bits, 0)
            .expect("English has a lexicon")
    }

    /// A model's features for a text toward the brand at `brand_spans` (overall when
    /// empty), with the feature kinds of `feature_flags` ([`model::flags`]): for training.
    /// `None` for a language without a lexicon.
    pub fn features(
        &self,
        text: &str,
        language: &str,
        brand_spans: &[Range<usize>],
        bits: u32,
        feature_flags: u32,
    ) -> Option<Features> {
        let language = Language::from_code(language)?;
        Some(SCRATCH.with(|s| {
            let (tokens, features) = &mut *s.borrow_mut();
            let rules = self.scorer(language).analyse(text, brand_spans, tokens);
            model::features(
                tokens,
                &rules,
                bits,
                feature_flags,
                text,
                brand_spans,
                features,
            );
            features.clone()
        }))
    }

    fn scorer(&self, language: Language) -> Scorer<'_> {
        Scorer {
            lexicon: &self.lexicons[language.index()],
            symbols: &self.symbols,
        }
    }

    fn analyse(&self, text: &str, code: &str, brand: &[Range<usize>]) -> Sentiment {
        let Some(language) = Language::from_code(code) else {
            return Sentiment {
                polarity: Polarity::Unknown,
                score: 0.0,
                confidence: 0.0,
                evidence: vec![format!("no sentiment lexicon for language `{code}`")],
                complaint: false,
            };
        };
        SCRATCH.with(|s| {
            let (tokens, features) = &mut *s.borrow_mut();
            let mut rules = self.scorer(language).analyse(text, brand, tokens);
            match &self.models[language.index()] {
                Some(model) => {
                    model::features(
                        tokens,
                        &rules,
                        model.bits,
                        model.flags,
                        text,
                        brand,
                        features,
                    );
                    decide_with_model(model, features, rules, text)
                }
                None => decide_by_rules(&mut rules, text, THRESHOLDS[language.index()]),
            }
        })
    }
}

fn decide_by_rules(rules: &mut RuleAnalysis, text: &str, threshold: f32) -> Sentiment {
    let polarity = if rules.score >= threshold {
        Polarity::Positive
    } else if rules.score <= -threshold {
        Polarity::Negative
    } else {
        Polarity::Neutral
    };
    let confidence = match polarity {
        Polarity::Neutral => 1.0 - rules.score.abs() / (2.0 * threshold),
        _ => 0.5 + 0.5 * rules.score.abs(),
    };
    let sign = polarity_sign(polarity);
    let mut evidence = finish_evidence(&mut rules.evidence, text, sign, EVIDENCE_SHOWN);
    if polarity == Polarity::Neutral {
        if rules.question {
            evidence.insert(0, "question".to_string());
        } else if rules.request {
            evidence.insert(0, "service request".to_string());
        } else if rules.evidence.is_empty() {
            evidence.push("no sentiment words".to_string());
        }
    }
    Sentiment {
        polarity,
        score: rules.score.clamp(-1.0, 1.0),
        confidence: confidence.clamp(0.0, 1.0),
        evidence,
        complaint: polarity == Polarity::Negative && rules.complaint_marker,
    }
}

fn decide_with_model(
    model: &Model,
    features: &Features,
    mut rules: RuleAnalysis,
    text: &str,
) -> Sentiment {
    let logits = model.logits(features);
    let p = model::softmax(logits);
    let class = model.decide(logits);
    let polarity = match class {
        model::NEGATIVE => Polarity::Negative,
        model::POSITIVE => Polarity::Positive,
        _ => Polarity::Neutral,
    };
    let mut evidence = finish_evidence(
        &mut rules.evidence,
        text,
        polarity_sign(polarity),
        EVIDENCE_SHOWN - 1,
    );
    if polarity == Polarity::Neutral && rules.question {
        evidence.insert(0, "question".to_string());
    }
    evidence.push(format!(
        "model: negative {:.2}, neutral {:.2}, positive {:.2}",
        p[model::NEGATIVE],
        p[model::NEUTRAL],
        p[model::POSITIVE]
    ));
    Sentiment {
        polarity,
        score: (p[model::POSITIVE] - p[model::NEGATIVE]).clamp(-1.0, 1.0),
        confidence: p[class],
        evidence,
        complaint: polarity == Polarity::Negative && rules.complaint_marker,
    }
}

fn polarity_sign(polarity: Polarity) -> f32 {
    match polarity {
        Polarity::Positive => 1.0,
        Polarity::Negative => -1.0,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests;
