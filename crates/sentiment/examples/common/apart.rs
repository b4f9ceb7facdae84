//! Reading the apart-written sets (`crates/enrichment/eval/apart/`): shared by `eval`
//! (which scores them) and `train` (which may train on the `*.dev.jsonl` files only).

// Each example reads a different part of these.
#![allow(dead_code)]

use std::ops::Range;

use earshot_sentiment::Polarity;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct BrandConfig {
    pub name: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    #[serde(default)]
    pub handles: Vec<String>,
}

#[derive(Deserialize)]
pub struct Mention {
    pub text: String,
    pub language: String,
    pub brands: Vec<BrandLabel>,
    pub overall_sentiment: Option<Polarity>,
}

#[derive(Deserialize)]
pub struct BrandLabel {
    pub brand: String,
    pub sentiment: Polarity,
    #[serde(default)]
    pub complaint: bool,
}

/// Every place the brand is named: keyword, hashtag or handle, case-insensitively, by a
/// prefix long enough to be the brand's and short enough to match inflected endings.
pub fn brand_spans(text: &str, brand: &BrandConfig) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let terms = brand
        .keywords
        .iter()
        .chain(&brand.hashtags)
        .chain(&brand.handles);
    for term in terms {
        let chars: Vec<char> = term.chars().flat_map(char::to_lowercase).collect();
        let keep = if chars.len() >= 5 {
            chars.len() - 2
        } else {
            chars.len().clamp(3, 4)
        };
        let prefix = &chars[..keep.min(chars.len())];
        for (start, _) in text.char_indices() {
            let mut matched = 0;
            let mut end = start;
            for c in text[start..].chars() {
                if matched == prefix.len() {
                    break;
                }
                if c.to_lowercase().next() != Some(prefix[matched]) {
                    break;
                }
                matched += 1;
                end += c.len_utf8();
            }
            if matched == prefix.len() {
                let word_end = text[end..]
                    .char_indices()
                    .find(|(_, c)| !c.is_alphanumeric())
                    .map_or(text.len(), |(o, _)| end + o);
                if !spans
                    .iter()
                    .any(|s: &Range<usize>| s.start <= start && start < s.end)
                {
                    spans.push(start..word_end);
                }
            }
        }
    }
    spans
}
