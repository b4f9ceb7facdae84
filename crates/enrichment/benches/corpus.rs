//! The benchmark corpora, shared by `benches/enrich.rs` and `examples/throughput.rs`.
//!
//! [`mentions`]: the language set's posts (with their platform hints), every third one
//! carrying a brand mention from the source set, each with a bio from the cohort and
//! source sets, kept when 50–300 characters long.
//!
//! [`realistic`]: what a processor sees, in pl, en, de and uk only, with the 13 brands
//! of the apart-written sets: their 400 dev-split mentions (real-style posts, authors
//! and bios, nearly all naming a brand), the language set's 440 posts in those
//! languages (most name no brand), 100 two-word posts cut from those, and 60 long
//! posts of about 2 KB (one dev mention followed by the language set's posts).

use std::path::Path;

use earshot_model::{Author, MentionId, Platform, RawMention, SCHEMA_VERSION};
use serde_json::Value;

fn lines(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("eval")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect()
}

fn mention(i: usize, platform: Platform, text: String, handle: String, bio: String) -> RawMention {
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(platform, &i.to_string()),
        platform,
        platform_id: i.to_string(),
        url: String::new(),
        text,
        created_at: "2026-05-20T12:00:00Z".parse().unwrap(),
        collected_at: "2026-05-20T12:00:05Z".parse().unwrap(),
        author: Author {
            id: i.to_string(),
            handle,
            bio,
            ..Author::default()
        },
        engagement: Default::default(),
        language_hint: None,
        origin: Default::default(),
        source: String::new(),
        raw: Default::default(),
    }
}

/// The configuration of a team listening in the realistic corpus's four markets: its
/// languages as `candidate_languages` (what `docs/enrichment.md` advises; the language
/// figures with candidates set are measured on the public set).
pub fn four_languages() -> earshot_enrichment::EnrichmentConfig {
    earshot_enrichment::EnrichmentConfig {
        candidate_languages: ["pl", "en", "de", "uk"].map(String::from).to_vec(),
        ..earshot_enrichment::EnrichmentConfig::default()
    }
}

/// The brands of the apart-written sets (13).
pub fn realistic_brands() -> Vec<earshot_model::Brand> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/apart/brands.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// See the module doc.
pub fn realistic() -> Vec<RawMention> {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let platform_of = |v: &Value| str_of(v, "platform").parse().unwrap_or(Platform::Mastodon);
    let mut out = Vec::new();
    let mut dev = Vec::new();
    for lang in ["pl", "en", "de", "uk"] {
        dev.extend(lines(&format!("apart/{lang}.dev.jsonl")));
    }
    for case in &dev {
        let author = case.get("author").cloned().unwrap_or(Value::Null);
        out.push(mention(
            out.len(),
            platform_of(case),
            str_of(case, "text"),
            str_of(&author, "handle"),
            str_of(&author, "bio"),
        ));
    }
    let bios: Vec<String> = lines("cohort.jsonl")
        .iter()
        .map(|c| str_of(c, "bio"))
        .filter(|b| !b.is_empty())
        .collect();
    let posts: Vec<Value> = lines("language.jsonl")
        .into_iter()
        .filter(|c| ["pl", "en", "de", "uk"].contains(&str_of(c, "lang").as_str()))
        .collect();
    for (i, case) in posts.iter().enumerate() {
        let mut m = mention(
            out.len(),
            platform_of(case),
            str_of(case, "text"),
            format!("user{i}"),
            bios[i % bios.len()].clone(),
        );
        m.language_hint = case.get("hint").and_then(Value::as_str).map(str::to_owned);
        out.push(m);
    }
    let two_words: Vec<RawMention> = out[dev.len()..]
        .iter()
        .filter_map(|m| {
            let words: Vec<&str> = m.text.split_whitespace().take(2).collect();
            (words.len() == 2).then(|| {
                let mut short = m.clone();
                short.text = words.join(" ");
                short
            })
        })
        .step_by(4)
        .take(100)
        .collect();
    out.extend(two_words);
    for i in 0..60 {
        let first = &out[i * 6 % dev.len()];
        let mut text = first.text.clone();
        let mut j = i;
        while text.len() < 2000 {
            text.push_str("\n\n");
            text.push_str(&str_of(&posts[j % posts.len()], "text"));
            j += 7;
        }
        let mut long = first.clone();
        long.text = text;
        out.push(long);
    }
    out
}

pub fn mentions() -> Vec<RawMention> {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let bios: Vec<String> = lines("cohort.jsonl")
        .iter()
        .chain(&lines("source.jsonl"))
        .map(|c| str_of(c, "bio"))
        .filter(|b| !b.is_empty())
        .collect();
    let brand_texts: Vec<String> = lines("source.jsonl")
        .iter()
        .map(|c| str_of(c, "text"))
        .collect();
    let mut out = Vec::new();
    for (i, case) in lines("language.jsonl").iter().enumerate() {
        let mut text = str_of(case, "text");
        if i % 3 == 0 {
            text = format!("{text} {}", brand_texts[i % brand_texts.len()]);
        }
        if !(50..=300).contains(&text.chars().count()) {
            continue;
        }
        let platform: Platform = str_of(case, "platform")
            .parse()
            .unwrap_or(Platform::Mastodon);
        let mut m = mention(
            i,
            platform,
            text,
            format!("user{i}"),
            bios[i % bios.len()].clone(),
        );
        m.language_hint = case.get("hint").and_then(Value::as_str).map(str::to_owned);
        out.push(m);
    }
    out
}

pub fn mean_chars(mentions: &[RawMention]) -> usize {
    mentions
        .iter()
        .map(|m| m.text.chars().count())
        .sum::<usize>()
        / mentions.len().max(1)
}

/// whatlang restricted to the ten languages of the evaluation.
pub fn ten_language_detector() -> whatlang::Detector {
    whatlang::Detector::with_allowlist(
        [
            "pol", "eng", "deu", "spa", "fra", "ita", "ces", "slk", "ukr", "rus",
        ]
        .into_iter()
        .filter_map(whatlang::Lang::from_code)
        .collect(),
    )
}

/// Two-word posts cut from the same corpus ("Tankowałam dziś", "дякую друзі"): the
/// short posts that send the language tag to lingua.
pub fn two_word_mentions() -> Vec<RawMention> {
    mentions()
        .into_iter()
        .filter_map(|mut m| {
            let words: Vec<&str> = m
                .text
                .split_whitespace()
                .filter(|w| w.chars().all(char::is_alphabetic))
                .take(2)
                .collect();
            let two = (words.len() == 2).then(|| words.join(" "))?;
            m.text = two;
            m.author.bio.clear();
            Some(m)
        })
        .collect()
}
