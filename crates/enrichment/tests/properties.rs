//! Any UTF-8 input returns, without panicking and in bounded time: empty strings,
//! megabyte posts, adversarial repetitions of rule and brand fragments, any hint.

use std::time::{Duration, Instant};

use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::{Author, Brand, MentionId, Platform, RawMention, SCHEMA_VERSION};
use proptest::prelude::*;

fn enricher() -> Enricher {
    let brands = vec![Brand {
        name: "Orlen".into(),
        keywords: vec!["Orlen".into(), "stacja".into()],
        required: vec![],
        excluded: vec!["Orlen Cup".into()],
        hashtags: vec!["orlen".into()],
        handles: vec!["@orlen".into()],
        domains: vec!["orlen.pl".into()],
        employee_handles: vec!["jan".into()],
        employee_domains: vec!["orlen.pl".into()],
    }];
    Enricher::new(&brands, &EnrichmentConfig::default()).unwrap()
}

fn mention(text: String, bio: String, hint: Option<String>, handle: String) -> RawMention {
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::X, "1"),
        platform: Platform::X,
        platform_id: "1".into(),
        url: String::new(),
        text,
        created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        collected_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        author: Author {
            id: "1".into(),
            handle,
            bio,
            ..Author::default()
        },
        engagement: Default::default(),
        language_hint: hint,
        origin: Default::default(),
        source: String::new(),
        raw: Default::default(),
    }
}

fn check(e: &Enricher, m: &RawMention) {
    let out = e.enrich(m);
    for c in [out.language.confidence, out.cohort.confidence] {
        assert!((0.0..=1.0).contains(&c), "confidence {c}");
    }
    for b in &out.brands {
        assert!(
            (0.0..=1.0).contains(&b.confidence) && (0.0..=1.0).contains(&b.source_type.confidence)
        );
    }
    assert!(out.language.value == "und" || out.language.value.len() == 2);
    // The processor's fast path answers exactly the matched mentions, with the same tags.
    let matched = (!out.brands.is_empty()).then_some(out);
    assert_eq!(e.enrich_matched(m), matched);
}

/// Fragments that drive every matcher: rule phrases, slots, brand terms, scripts.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("born in '".to_owned()),
        Just("i'm ".to_owned()),
        Just("mam ".to_owned()),
        Just(" lat".to_owned()),
        Just("yo".to_owned()),
        Just("9".to_owned()),
        Just("@orlen".to_owned()),
        Just("#orlen".to_owned()),
        Just("orlen.pl".to_owned()),
        Just("Orlenu".to_owned()),
        Just("Ż".to_owned()),
        Just("ї".to_owned()),
        Just("😭".to_owned()),
        Just("\u{0307}".to_owned()),
        Just("https://".to_owned()),
        Just(" ".to_owned()),
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_bio_hint_and_handle(text in "\\PC{0,300}", bio in "\\PC{0,160}", hint in proptest::option::of("\\PC{0,8}"), handle in "\\PC{0,30}") {
        check(&enricher(), &mention(text, bio, hint, handle));
    }

    #[test]
    fn adversarial_concatenations(parts in proptest::collection::vec(fragment(), 0..200), bio_parts in proptest::collection::vec(fragment(), 0..50)) {
        check(&enricher(), &mention(parts.concat(), bio_parts.concat(), Some("pl".into()), "jan".into()));
    }
}

#[test]
fn empty_mention() {
    check(
        &enricher(),
        &mention(String::new(), String::new(), None, String::new()),
    );
}

#[test]
fn megabyte_inputs_return_quickly() {
    let e = enricher();
    let cases = [
        "Orlen ".repeat(180_000),
        "a".repeat(1 << 20),
        "😭".repeat(1 << 18),
        "i'm 24 ".repeat(150_000),
        "@orlen #orlen orlen.pl mam 30 lat born in '98 ".repeat(25_000),
        "ł".repeat(1 << 19),
    ];
    for text in cases {
        let bio = text.clone();
        let start = Instant::now();
        check(&e, &mention(text, bio, Some("en".into()), "x".into()));
        // Generous for a debug build on a busy machine; real posts take microseconds.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
    }
}
