//! The benchmark corpus, shared by `benches/enrich.rs` and `examples/throughput.rs`:
//! the language set's posts (with their platform hints), every third one carrying a
//! brand mention from the source set, each with a bio from the cohort and source sets,
//! kept when 50–300 characters long.

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
        out.push(RawMention {
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
                handle: format!("user{i}"),
                bio: bios[i % bios.len()].clone(),
                ..Author::default()
            },
            engagement: Default::default(),
            language_hint: case.get("hint").and_then(Value::as_str).map(str::to_owned),
            origin: Default::default(),
            source: String::new(),
            raw: Default::default(),
        });
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
