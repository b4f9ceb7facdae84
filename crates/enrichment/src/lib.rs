//! Enrichment: the tags every dashboard slice and alert is cut by. Each tag carries a
//! value, a confidence in [0, 1] and the rule that produced it, so an analyst can see
//! why a mention was called "press" or "Gen Z". No I/O: the processor calls
//! [`Enricher::enrich_matched`] once per mention (the brand scan first, and nothing
//! more for a mention no brand matches); `earshot enrich` calls [`Enricher::enrich`].
//!
//! Everything expensive happens once, in [`Enricher::new`]: brand queries and the
//! phrase rules of every language are compiled into Aho-Corasick automata and lookup
//! tables. Per mention, the text and bio are folded into thread-local buffers and
//! scanned once each; whatlang runs only when cheaper evidence cannot decide.

mod brand;
mod cohort;
mod fold;
mod hash;
mod language;
mod model;
mod morph;
mod press;
mod rules;
mod source;
mod tags;

pub use earshot_sentiment::{Polarity, Sentiment};
pub use language::raw_whatlang;
#[doc(hidden)]
pub use model::SourceSample;
pub use tags::{BrandMatch, Cohort, Enrichment, SourceType, Tag};

use std::cell::RefCell;

use chrono::Datelike;
use earshot_model::{Brand, CohortBoundaries, RawMention};
use serde::Deserialize;

use brand::{BrandHit, BrandMatcher, TermKind};
use cohort::{Found, Place, PostDate};
use language::{LanguageDetector, LanguageScratch, LanguageSettings};
use press::PressDirectory;
use rules::{RuleHit, RuleSet};

/// Settings for [`Enricher`]; the `[enrichment]` section of the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichmentConfig {
    pub cohorts: CohortBoundaries,
    /// ISO 639-1 codes the language detector may answer; empty means all it knows.
    /// Fewer candidates make detection faster and stop rare-language false positives.
    pub candidate_languages: Vec<String>,
    /// Letters of a post the language detector reads; the rest adds time, not accuracy.
    pub language_max_chars: usize,
    /// Below this many letters the language is `und` rather than a guess.
    pub language_min_letters: u32,
    /// Ask lingua-rs about short posts and close language pairs (ru/uk/bg/be, cs/sk,
    /// es/pt): two-word posts go from mostly `und` to about 93% right, for about a third
    /// of the enrichment's throughput. Off: markers and whatlang alone, faster.
    pub language_lingua: bool,
    /// Match inflected brand keywords ("Orlenu", "Orlenem"); see `data/inflection.txt`.
    pub brand_inflection: bool,
    pub press: PressConfig,
}

impl Default for EnrichmentConfig {
    fn default() -> Self {
        Self {
            cohorts: CohortBoundaries::default(),
            candidate_languages: Vec::new(),
            language_max_chars: 200,
            language_min_letters: 8,
            language_lingua: true,
            brand_inflection: true,
            press: PressConfig::default(),
        }
    }
}

/// Media outlets for the press rule; `[enrichment.press]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PressConfig {
    /// Extra media domains (`tvn24.pl`): authors with handles on them are press.
    pub domains: Vec<String>,
    /// Extra outlet handles (`tvn24`), without instance.
    pub accounts: Vec<String>,
    /// Keep the built-in list of major Polish and international outlets.
    pub builtin_defaults: bool,
}

impl Default for PressConfig {
    fn default() -> Self {
        Self {
            domains: Vec::new(),
            accounts: Vec::new(),
            builtin_defaults: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("enrichment.candidate_languages: `{0}` is not a language code the detector knows")]
    UnknownLanguage(String),
    #[error("brands[{index}].name is empty: every brand needs a name")]
    UnnamedBrand { index: usize },
    #[error("brands[{brand}].{field}[{index}] is empty after removing case, accents, `#` and `@`")]
    EmptyBrandTerm {
        brand: usize,
        field: &'static str,
        index: usize,
    },
    #[error("brands[{index}]: no keywords, hashtags, handles or domains, so it can never match")]
    BrandMatchesNothing { index: usize },
    #[error("brands: cannot compile the brand queries: {0}")]
    BrandAutomaton(String),
    #[error(
        "enrichment.cohorts: boundaries must rise: boomers_from ({boomers_from}) < gen_x_from \
         ({gen_x_from}) < millennials_from ({millennials_from}) < gen_z_from ({gen_z_from})"
    )]
    CohortBoundaries {
        boomers_from: i32,
        gen_x_from: i32,
        millennials_from: i32,
        gen_z_from: i32,
    },
    #[error("enrichment.language_max_chars: {0} is too few to tell a language; use at least 40")]
    LanguageMaxChars(usize),
    #[error(
        "enrichment.press.domains[{index}]: `{value}` is not a bare domain; write it like `tvn24.pl`"
    )]
    PressDomain { index: usize, value: String },
    #[error("enrichment.press.accounts[{index}]: `{value}` is not a handle; write it like `tvn24`")]
    PressAccount { index: usize, value: String },
    /// A bug in a table shipped with this crate, caught by its tests.
    #[error("built-in table {table}:{line}: {why}")]
    BuiltinTable {
        table: &'static str,
        line: usize,
        why: String,
    },
}

/// Tags mentions for a fixed set of brands. Build once, share across threads.
#[derive(Debug)]
pub struct Enricher {
    brands: BrandMatcher,
    language: LanguageDetector,
    rules: RuleSet,
    press: PressDirectory,
    cohorts: CohortBoundaries,
    sentiment: SentimentAnalyzer,
}

/// [`earshot_sentiment::Analyzer`] holds lexicons worth no `Debug` output.
struct SentimentAnalyzer(earshot_sentiment::Analyzer);

impl std::fmt::Debug for SentimentAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SentimentAnalyzer")
    }
}

/// Most hits kept per text: enough for any real post, a cap for adversarial ones.
const MAX_HITS: usize = 256;
/// Cohort and source rules read at most this much of a post; brand terms read it all.
const MAX_RULE_TEXT: usize = 4096;
const MAX_BIO: usize = 2048;

/// Per-thread buffers, so `enrich` allocates only what it returns.
#[derive(Default)]
struct Scratch {
    post: String,
    bio: String,
    post_brands: Vec<BrandHit>,
    bio_brands: Vec<BrandHit>,
    post_rules: Vec<RuleHit>,
    bio_rules: Vec<RuleHit>,
    /// Brands the author speaks for (see [`Enricher::affiliations`]), with confidence
    /// and evidence, and scratch space for finding them.
    affiliated: Vec<(u32, f32, &'static str)>,
    author_words: String,
    author_folded: String,
    author_hits: Vec<BrandHit>,
    author_brands: Vec<u32>,
    /// Folded post → original text, for sentiment's brand spans.
    post_map: fold::FoldMap,
    language: LanguageScratch,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Enricher {
    pub fn new(brands: &[Brand], config: &EnrichmentConfig) -> Result<Self, ConfigError> {
        let c = config.cohorts;
        if !(c.boomers_from < c.gen_x_from
            && c.gen_x_from < c.millennials_from
            && c.millennials_from < c.gen_z_from)
        {
            return Err(ConfigError::CohortBoundaries {
                boomers_from: c.boomers_from,
                gen_x_from: c.gen_x_from,
                millennials_from: c.millennials_from,
                gen_z_from: c.gen_z_from,
            });
        }
        if config.language_max_chars < 40 {
            return Err(ConfigError::LanguageMaxChars(config.language_max_chars));
        }
        let settings = LanguageSettings {
            max_chars: config.language_max_chars,
            min_letters: config.language_min_letters,
            lingua: config.language_lingua,
        };
        model::warm();
        Ok(Self {
            brands: BrandMatcher::new(brands, config.brand_inflection)?,
            language: LanguageDetector::new(&config.candidate_languages, settings)?,
            rules: RuleSet::parse(rules::BUILTIN)?,
            press: PressDirectory::new(&config.press)?,
            cohorts: config.cohorts,
            sentiment: SentimentAnalyzer(earshot_sentiment::Analyzer::new()),
        })
    }

    /// The language tag alone, as [`Enricher::enrich`] computes it for a post with this
    /// text and platform hint; for language-only scoring and tools.
    pub fn detect_language(&self, text: &str, hint: Option<&str>) -> Tag<&'static str> {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.language.detect(text, hint, &mut scratch.language),
            Err(_) => self
                .language
                .detect(text, hint, &mut LanguageScratch::default()),
        })
    }

    /// Every tag of `mention`: language and cohort always, the brands it matches (empty
    /// when none does) with each one's source type and sentiment.
    pub fn enrich(&self, mention: &RawMention) -> Enrichment {
        self.with_scratch(|this, scratch| this.enrich_with(mention, scratch, false))
            .expect("enrich_with answers every mention when not only_matched")
    }

    /// [`Enricher::enrich`] for a mention some brand matches, `None` for one no brand
    /// matches, at the cost of the brand scan alone. Unmatched mentions produce no row,
    /// so the processor calls this: it skips language, cohort, source type and sentiment
    /// for the (usually) most mentions a collector's query lets through. Where it answers,
    /// the tags are exactly `enrich`'s.
    pub fn enrich_matched(&self, mention: &RawMention) -> Option<Enrichment> {
        self.with_scratch(|this, scratch| this.enrich_with(mention, scratch, true))
    }

    fn with_scratch<T>(&self, f: impl FnOnce(&Self, &mut Scratch) -> T) -> T {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => f(self, &mut scratch),
            Err(_) => f(self, &mut Scratch::default()),
        })
    }

    /// The brand scan comes first: it is cheap (one automaton pass over the folded
    /// post), and with `only_matched` a post it finds no brand in is done.
    fn enrich_with(
        &self,
        mention: &RawMention,
        s: &mut Scratch,
        only_matched: bool,
    ) -> Option<Enrichment> {
        fold::fold_into(&mention.text, &mut s.post);
        s.post_brands.clear();
        s.bio_brands.clear();
        self.brands.scan(&s.post, MAX_HITS, &mut s.post_brands);
        // A brand's own account answering someone often does not name the brand.
        let own_account = self.brands.own_account(&mention.author.handle);
        let named = matched_brands(&self.brands, &s.post_brands)
            .next()
            .is_some();
        fold::fold_into(prefix(&mention.author.bio, MAX_BIO), &mut s.bio);
        s.bio_brands.clear();
        self.brands.scan(&s.bio, MAX_HITS, &mut s.bio_brands);
        s.bio_rules.clear();
        s.affiliated.clear();
        // The bio's rules are needed this early only to see a role at a brand the bio
        // names: a mention that matches nothing skips them on the processor's path.
        let early_bio_rules = !named && own_account.is_none() && !s.bio_brands.is_empty();
        if early_bio_rules {
            self.scan_bio_rules(mention, s);
        }
        if !named && own_account.is_none() {
            self.affiliations(mention, s);
        }
        let unmatched = !named && own_account.is_none() && s.affiliated.is_empty();
        if only_matched && unmatched {
            return None;
        }
        if !early_bio_rules {
            self.scan_bio_rules(mention, s);
        }

        let date = PostDate {
            year: mention.created_at.year(),
            month: mention.created_at.month(),
        };
        let language = self.language.detect(
            &mention.text,
            mention.language_hint.as_deref(),
            &mut s.language,
        );

        s.post_rules.clear();
        self.rules
            .scan(prefix(&s.post, MAX_RULE_TEXT), date.year, &mut s.post_rules);
        s.post_rules.truncate(MAX_HITS);

        let found = [
            Found {
                place: Place::Bio,
                text: &s.bio,
                hits: &s.bio_rules,
            },
            Found {
                place: Place::Post,
                text: &s.post,
                hits: &s.post_rules,
            },
        ];
        let cohort = cohort::infer(&found, date, &self.cohorts);

        let brands = if unmatched {
            Vec::new()
        } else {
            // Sentiment reads the original text: map folded hits back to it, in one pass.
            s.post_map.build(prefix(&mention.text, MAX_RULE_TEXT));
            let evidence = source::Evidence {
                mention,
                bio: &s.bio,
                post: &s.post,
                bio_rules: &s.bio_rules,
                post_rules: &s.post_rules,
                bio_brands: &s.bio_brands,
                post_brands: &s.post_brands,
                press: &self.press,
            };
            self.matches(
                &evidence,
                &s.post_map,
                own_account.map(|id| id as u32),
                &s.affiliated,
                language.value,
            )
        };
        Some(Enrichment {
            language,
            cohort,
            brands,
        })
    }

    fn scan_bio_rules(&self, mention: &RawMention, s: &mut Scratch) {
        self.rules
            .scan(&s.bio, mention.created_at.year(), &mut s.bio_rules);
        s.bio_rules.truncate(MAX_HITS);
    }

    /// Brands a post that names none is still about, because of who wrote it: an
    /// account named after the brand ("TescoHelp", "Zalando Hilfe": support and shop
    /// accounts answering people) or an author whose bio states a role there
    /// ("Kassierer bei Lidl", "SRE @ Zalando": staff posting about the job). Brand teams
    /// listen to both; their evidence (`author.named_after_brand`,
    /// `author.bio_role_at_brand`) and a lower confidence keep them apart from posts
    /// naming the brand. Reads `s.bio`, `s.bio_brands` and `s.bio_rules`; fills
    /// `s.affiliated`.
    fn affiliations(&self, mention: &RawMention, s: &mut Scratch) {
        s.author_brands.clear();
        self.brands.named_by_author(
            &mention.author.handle,
            &mention.author.name,
            &mut s.author_words,
            &mut s.author_folded,
            &mut s.author_hits,
            &mut s.author_brands,
        );
        for &id in &s.author_brands {
            s.affiliated.push((id, 0.6, "author.named_after_brand"));
        }
        for (id, _, _) in matched_brands(&self.brands, &s.bio_brands) {
            if !s.affiliated.iter().any(|a| a.0 == id)
                && source::bio_role_at(&s.bio, &s.bio_rules, &s.bio_brands, id).is_some()
            {
                s.affiliated.push((id, 0.55, "author.bio_role_at_brand"));
            }
        }
    }

    /// The brands the post's hits match, each with who is speaking about it.
    fn matches(
        &self,
        ev: &source::Evidence<'_>,
        post_map: &fold::FoldMap,
        own_account: Option<u32>,
        affiliated: &[(u32, f32, &'static str)],
        language: &str,
    ) -> Vec<BrandMatch> {
        let named = matched_brands(&self.brands, ev.post_brands);
        let mut seen_own = false;
        let own = own_account.map(|id| (id, 0.9, "author.own_account"));
        named
            .inspect(|&(id, _, _)| seen_own |= Some(id) == own_account)
            .collect::<Vec<_>>()
            .into_iter()
            .chain(own.filter(|_| !seen_own))
            .chain(affiliated.iter().copied())
            .map(|(id, confidence, evidence)| {
                let entry = &self.brands.brands[id as usize];
                BrandMatch {
                    brand: entry.name.clone(),
                    confidence,
                    evidence: evidence.into(),
                    source_type: source::classify(ev, id, entry),
                    sentiment: self.sentiment_toward(ev, post_map, id, language),
                }
            })
            .collect()
    }
}

impl Enricher {
    /// The text's overall sentiment in its detected language, for a mention no brand
    /// matched (`earshot enrich --text` scores sentiment sets this way).
    pub fn overall_sentiment(&self, text: &str, tags: &Enrichment) -> Sentiment {
        self.sentiment
            .0
            .overall(prefix(text, MAX_RULE_TEXT), tags.language.value)
    }

    /// Sentiment toward one matched brand, read from the original text (case, emoji and
    /// punctuation carry sentiment) around the places the brand's terms matched. A brand
    /// matched only by its own account posting has no span: the post's overall
    /// sentiment stands for it.
    fn sentiment_toward(
        &self,
        ev: &source::Evidence<'_>,
        post_map: &fold::FoldMap,
        id: u32,
        language: &str,
    ) -> Sentiment {
        // Like the rules, sentiment reads a bounded prefix: a megabyte post costs no more.
        let text = prefix(&ev.mention.text, MAX_RULE_TEXT);
        let mut spans: Vec<_> = ev
            .post_brands
            .iter()
            .filter(|h| h.brand == id && h.kind != TermKind::Excluded)
            .filter_map(|h| post_map.source_range(h.start..h.end))
            .collect();
        let window = sentiment_window(text, &spans);
        for span in &mut spans {
            *span = span.start - window.start..span.end - window.start;
        }
        self.sentiment.0.toward(&text[window], language, &spans)
    }
}

/// Bytes of text sentiment toward a brand reads on each side of the places the brand is
/// named. What people think of a brand is said near its name; in a long Reddit body or
/// article the rest is about other things, and reading it for every matched brand made
/// long posts cost several times a short one.
const SENTIMENT_CONTEXT: usize = 600;

/// The part of `text` sentiment toward a brand named at `spans` reads: from
/// [`SENTIMENT_CONTEXT`] bytes before the first span to as many after the last, widened to
/// whole words; the whole text when it is short or the brand has no span.
fn sentiment_window(text: &str, spans: &[std::ops::Range<usize>]) -> std::ops::Range<usize> {
    let (Some(first), Some(last)) = (
        spans.iter().map(|r| r.start).min(),
        spans.iter().map(|r| r.end).max(),
    ) else {
        return 0..text.len();
    };
    let mut start = first.saturating_sub(SENTIMENT_CONTEXT);
    let mut end = (last + SENTIMENT_CONTEXT).min(text.len());
    // Back to the start of the word cut, forward to the end of the word cut.
    while start > 0
        && !(text.is_char_boundary(start) && text[..start].ends_with(char::is_whitespace))
    {
        start -= 1;
    }
    while end < text.len()
        && !(text.is_char_boundary(end) && text[end..].starts_with(char::is_whitespace))
    {
        end += 1;
    }
    start..end
}

/// Applies each brand's query to a text's hits: any-of terms, required terms,
/// exclusions. Yields each matched brand once, with the confidence and evidence of its
/// strongest hit. Shared by [`Enricher`] and [`BrandFilter`], so a collector's
/// pre-filter keeps exactly the mentions enrichment would tag.
fn matched_brands<'a>(
    matcher: &'a BrandMatcher,
    hits: &'a [BrandHit],
) -> impl Iterator<Item = (u32, f32, &'static str)> + 'a {
    let mut seen: u64 = 0; // brands already decided, for the common case of < 64
    hits.iter().enumerate().filter_map(move |(i, first)| {
        let id = first.brand;
        if id < 64 && seen & (1 << id) != 0 || id >= 64 && hits[..i].iter().any(|h| h.brand == id) {
            return None;
        }
        if id < 64 {
            seen |= 1 << id;
        }
        let of_brand = || hits.iter().filter(move |h| h.brand == id);
        if of_brand().any(|h| h.kind == TermKind::Excluded) {
            return None;
        }
        let entry = &matcher.brands[id as usize];
        if entry.has_required && !of_brand().any(|h| h.kind == TermKind::Required) {
            return None;
        }
        let (confidence, evidence) = of_brand()
            .filter_map(|h| match_strength(h.kind, h.inflected))
            .max_by(|a, b| a.0.total_cmp(&b.0))?;
        let kinds = of_brand()
            .filter(|h| match_strength(h.kind, false).is_some())
            .map(|h| h.kind as u8)
            .fold(0u8, |m, k| m | 1 << k);
        let confidence = if kinds.count_ones() > 1 {
            (confidence + 0.05).min(0.99)
        } else {
            confidence
        };
        Some((id, confidence, evidence))
    })
}

/// The brand queries alone, for collectors that must pick mentions out of a stream
/// (Bluesky's Jetstream, Reddit listings) before enrichment sees them. It is the same
/// matcher as [`Enricher`]'s, with the same folding and Polish and Ukrainian
/// inflection, so a pre-filter never drops a mention enrichment would tag.
#[derive(Debug)]
pub struct BrandFilter {
    brands: BrandMatcher,
}

impl BrandFilter {
    /// Matches inflected forms, as the default [`EnrichmentConfig`] does.
    pub fn new(brands: &[Brand]) -> Result<Self, ConfigError> {
        Self::with_inflection(brands, EnrichmentConfig::default().brand_inflection)
    }

    pub fn with_inflection(brands: &[Brand], inflect: bool) -> Result<Self, ConfigError> {
        Ok(Self {
            brands: BrandMatcher::new(brands, inflect)?,
        })
    }

    /// The configured names of the brands `text` matches, in order of first mention.
    pub fn matching_brands(&self, text: &str) -> Vec<&str> {
        let folded = fold::fold(text);
        let mut hits = Vec::new();
        self.brands.scan(&folded, MAX_HITS, &mut hits);
        matched_brands(&self.brands, &hits)
            .map(|(id, _, _)| self.brands.brands[id as usize].name.as_str())
            .collect()
    }

    /// Whether `text` matches any brand's query.
    pub fn matches(&self, text: &str) -> bool {
        !self.matching_brands(text).is_empty()
    }

    /// Whether a post by this author is one enrichment would tag: its text matches a
    /// brand's query, or the author is a brand's configured account or named after a
    /// brand ("TescoHelp", "zalando_hilfe"), whose replies seldom name the brand. For
    /// collectors that know the author's handle and name but not the bio (enrichment
    /// also matches staff through the bio).
    pub fn matches_post(&self, text: &str, author_handle: &str, author_name: &str) -> bool {
        if self.matches(text) || self.brands.own_account(author_handle).is_some() {
            return true;
        }
        let (mut words, mut folded) = (String::new(), String::new());
        let (mut hits, mut found) = (Vec::new(), Vec::new());
        self.brands.named_by_author(
            author_handle,
            author_name,
            &mut words,
            &mut folded,
            &mut hits,
            &mut found,
        );
        !found.is_empty()
    }
}

/// How sure a hit of this kind makes a match; `None` for terms that cannot match alone.
fn match_strength(kind: TermKind, inflected: bool) -> Option<(f32, &'static str)> {
    Some(match kind {
        TermKind::Handle => (0.95, "handle"),
        TermKind::Hashtag => (0.95, "hashtag"),
        TermKind::Domain => (0.9, "domain"),
        TermKind::Keyword if inflected => (0.75, "keyword.inflected"),
        TermKind::Keyword => (0.9, "keyword"),
        TermKind::Required | TermKind::Excluded | TermKind::StaffTag => return None,
    })
}

/// At most `max` bytes of `s`, cut on a char boundary.
fn prefix(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max.min(s.len()))]
}

#[cfg(test)]
mod tests;
