//! Throughput of the whole enrichment (brand match + language + cohort + source) on
//! realistic 50–300 character mentions with bios, against raw whatlang on the same
//! texts. Criterion reports elements/s = mentions/s on one core.
//!
//!     cargo bench -p earshot-enrichment --bench enrich
//!
//! The corpus is built from the labelled sets in `eval/`: the language set's posts
//! (with their platform hints), every third one carrying a brand mention, each with a
//! bio from the cohort and source sets. `two_word_posts` runs the same on two-word
//! posts cut from that corpus, where lingua decides the language.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::Brand;

mod corpus;

fn bench(c: &mut Criterion) {
    let brands: Vec<Brand> = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/brands.json"))
            .unwrap(),
    )
    .unwrap();
    let enricher = Enricher::new(&brands, &EnrichmentConfig::default()).unwrap();
    let mentions = corpus::mentions();
    eprintln!(
        "corpus: {} mentions, mean {} chars",
        mentions.len(),
        corpus::mean_chars(&mentions)
    );

    let mut group = c.benchmark_group("per_mention");
    group.throughput(Throughput::Elements(mentions.len() as u64));
    group.sample_size(20);
    group.bench_function("enrich", |b| {
        b.iter(|| {
            for m in &mentions {
                black_box(enricher.enrich(black_box(m)));
            }
        })
    });
    let without_lingua = Enricher::new(
        &brands,
        &EnrichmentConfig {
            language_lingua: false,
            ..EnrichmentConfig::default()
        },
    )
    .unwrap();
    group.bench_function("enrich_without_lingua", |b| {
        b.iter(|| {
            for m in &mentions {
                black_box(without_lingua.enrich(black_box(m)));
            }
        })
    });
    group.bench_function("raw_whatlang", |b| {
        b.iter(|| {
            for m in &mentions {
                black_box(whatlang::detect(black_box(&m.text)));
            }
        })
    });
    let ten = corpus::ten_language_detector();
    group.bench_function("whatlang_allowlist_10", |b| {
        b.iter(|| {
            for m in &mentions {
                black_box(ten.detect(black_box(&m.text)));
            }
        })
    });
    group.finish();

    // Short posts are where lingua decides the language: their cost, apart.
    let short = corpus::two_word_mentions();
    eprintln!("two-word corpus: {} mentions", short.len());
    let mut group = c.benchmark_group("two_word_posts");
    group.throughput(Throughput::Elements(short.len() as u64));
    group.sample_size(10);
    group.bench_function("enrich", |b| {
        b.iter(|| {
            for m in &short {
                black_box(enricher.enrich(black_box(m)));
            }
        })
    });
    group.bench_function("raw_whatlang", |b| {
        b.iter(|| {
            for m in &short {
                black_box(whatlang::detect(black_box(&m.text)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
