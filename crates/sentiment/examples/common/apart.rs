//! Reading the apart-written sets (`crates/enrichment/eval/apart/`, `apart-v2/`): shared
//! by `eval` (which scores them) and `train`/`train_en` (which train on the sets that have
//! been promoted to training data: the first set's dev and test files, the v2 test files).

// Each example reads a different part of these.
#![allow(dead_code)]

use std::ops::Range;
use std::path::PathBuf;

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
    /// Who speaks about the brand (`customer`, `employee`, `press`, …).
    #[serde(default)]
    pub source_type: Option<String>,
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

/// One directory of apart-written files to read for training or cross-validation, from
/// `--apart DIR[:SPLITS[:WEIGHT]]` (repeatable): the `LANG.SPLIT.jsonl` files of `splits`
/// in `dir`, each labelled brand counted `weight` times in training. Weight 0 keeps a
/// set in cross-validation's scored pool without ever training on it, which is how a
/// model trained without a set is measured on the same pool as one trained with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub dir: PathBuf,
    pub splits: Vec<String>,
    pub weight: usize,
}

impl Source {
    /// A short name for reports and fold groups: the directory's last component
    /// (`apart`, `apart-v2`).
    pub fn name(&self) -> String {
        self.dir.file_name().map_or_else(
            || self.dir.display().to_string(),
            |n| n.to_string_lossy().into(),
        )
    }
}

/// Every `--apart` of `args`, in order. `DIR` alone takes `default_splits` and
/// `default_weight` (the old single-directory flags `--apart-splits` and
/// `--apart-weight`, so old command lines keep their meaning).
pub fn sources(
    args: &[String],
    default_splits: &[&str],
    default_weight: usize,
) -> Result<Vec<Source>, String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if a != "--apart" {
            continue;
        }
        let spec = args
            .get(i + 1)
            .ok_or("--apart needs DIR[:SPLITS[:WEIGHT]]")?;
        out.push(parse_source(spec, default_splits, default_weight)?);
    }
    Ok(out)
}

/// `DIR`, `DIR:dev,test` or `DIR:test:3` (an empty SPLITS, `DIR::3`, keeps the default).
pub fn parse_source(
    spec: &str,
    default_splits: &[&str],
    default_weight: usize,
) -> Result<Source, String> {
    let mut parts = spec.splitn(3, ':');
    let dir = parts.next().unwrap_or_default();
    if dir.is_empty() {
        return Err(format!("`--apart {spec}`: no directory"));
    }
    let splits: Vec<String> = match parts.next() {
        Some(s) if !s.is_empty() => s.split(',').map(str::to_string).collect(),
        _ => default_splits.iter().map(|s| s.to_string()).collect(),
    };
    let weight = match parts.next() {
        Some(w) => w
            .parse()
            .map_err(|e| format!("`--apart {spec}`: weight `{w}`: {e}"))?,
        None => default_weight,
    };
    Ok(Source {
        dir: PathBuf::from(dir),
        splits,
        weight,
    })
}
