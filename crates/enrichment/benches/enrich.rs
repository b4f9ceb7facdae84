//! Throughput of the whole enrichment (brand match, language with the lingua backstop,
//! cohort, source type and sentiment) against raw whatlang on the same texts, in one
//! run. Criterion reports elements/s = mentions/s on one core.
//!
//!     cargo bench -p earshot-enrichment --bench enrich
//!
//! `realistic` is what a processor sees (see `corpus.rs`): pl, en, de and uk posts from
//! the apart-written dev sets and the language set, matched and unmatched, two-word and
//! 2 KB posts, with the 13 brands of the apart sets. `enrich` is every tag of every
//! mention (what `earshot enrich` prints); `enrich_matched` is the processor's path,
//! which stops after the brand scan when no brand matched; `realistic_four_languages`
//! is the same with `candidate_languages` set to the corpus's four. `per_mention` is the older
//! corpus of 50–300 character posts in ten languages with six brands; `two_word_posts`
//! the short posts where lingua decides the language.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::{Brand, RawMention};

mod corpus;

fn group(c: &mut Criterion, name: &str, mentions: &[RawMention], enricher: &Enricher) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(mentions.len() as u64));
    group.sample_size(10);
    group.bench_function("enrich", |b| {
        b.iter(|| {
            for m in mentions {
                black_box(enricher.enrich(black_box(m)));
            }
        })
    });
    group.bench_function("enrich_matched", |b| {
        b.iter(|| {
            for m in mentions {
                black_box(enricher.enrich_matched(black_box(m)));
            }
        })
    });
    group.bench_function("raw_whatlang", |b| {
        b.iter(|| {
            for m in mentions {
                black_box(whatlang::detect(black_box(&m.text)));
            }
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let realistic = corpus::realistic();
    let apart = Enricher::new(&corpus::realistic_brands(), &EnrichmentConfig::default()).unwrap();
    let matched = realistic
        .iter()
        .filter(|m| apart.enrich_matched(m).is_some())
        .count();
    eprintln!(
        "realistic corpus: {} mentions, {matched} matched, mean {} chars",
        realistic.len(),
        corpus::mean_chars(&realistic)
    );
    group(c, "realistic", &realistic, &apart);
    let four = Enricher::new(&corpus::realistic_brands(), &corpus::four_languages()).unwrap();
    group(c, "realistic_four_languages", &realistic, &four);

    let brands: Vec<Brand> = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/brands.json"))
            .unwrap(),
    )
    .unwrap();
    let enricher = Enricher::new(&brands, &EnrichmentConfig::default()).unwrap();
    let mentions = corpus::mentions();
    eprintln!(
        "per_mention corpus: {} mentions, mean {} chars",
        mentions.len(),
        corpus::mean_chars(&mentions)
    );
    group(c, "per_mention", &mentions, &enricher);

    let without_lingua = Enricher::new(
        &brands,
        &EnrichmentConfig {
            language_lingua: false,
            ..EnrichmentConfig::default()
        },
    )
    .unwrap();
    let ten = corpus::ten_language_detector();
    let mut other = c.benchmark_group("per_mention_variants");
    other.throughput(Throughput::Elements(mentions.len() as u64));
    other.sample_size(10);
    other.bench_function("enrich_without_lingua", |b| {
        b.iter(|| {
            for m in &mentions {
                black_box(without_lingua.enrich(black_box(m)));
            }
        })
    });
    other.bench_function("whatlang_allowlist_10", |b| {
        b.iter(|| {
            for m in &mentions {
                black_box(ten.detect(black_box(&m.text)));
            }
        })
    });
    other.finish();

    // Short posts are where lingua decides the language: their cost, apart.
    let short = corpus::two_word_mentions();
    eprintln!("two-word corpus: {} mentions", short.len());
    group(c, "two_word_posts", &short, &enricher);
}

criterion_group!(benches, bench);
criterion_main!(benches);
