//! Mentions per second of *on-CPU* time for the enricher and for raw whatlang on the
//! same corpus as `benches/enrich.rs`. Criterion measures wall time, which on a busy
//! shared machine counts time spent waiting for a core; this counts only time running
//! (Linux `/proc/thread-self/schedstat`), so the figure and the ratio are stable.
//!
//!     cargo run -p earshot-enrichment --release --example throughput

use std::hint::black_box;
use std::path::Path;

use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::Brand;

#[path = "../benches/corpus.rs"]
mod corpus;

/// Nanoseconds this thread has run on a CPU.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("Linux /proc/thread-self/schedstat")
}

fn per_second(mut f: impl FnMut(), items: usize) -> f64 {
    f(); // warm up caches and thread-local buffers
    let (start, mut rounds) = (cpu_ns(), 0u64);
    while cpu_ns() - start < 3_000_000_000 {
        f();
        rounds += 1;
    }
    (rounds as f64 * items as f64) / ((cpu_ns() - start) as f64 / 1e9)
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let brands: Vec<Brand> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("brands.json")).unwrap()).unwrap();
    let enricher = Enricher::new(&brands, &EnrichmentConfig::default()).unwrap();
    let without_lingua = Enricher::new(
        &brands,
        &EnrichmentConfig {
            language_lingua: false,
            ..EnrichmentConfig::default()
        },
    )
    .unwrap();
    let mentions = corpus::mentions();
    let ten = corpus::ten_language_detector();
    let enrich = per_second(
        || {
            mentions.iter().for_each(|m| {
                black_box(enricher.enrich(m));
            })
        },
        mentions.len(),
    );
    let enrich_without_lingua = per_second(
        || {
            mentions.iter().for_each(|m| {
                black_box(without_lingua.enrich(m));
            })
        },
        mentions.len(),
    );
    let raw = per_second(
        || {
            mentions.iter().for_each(|m| {
                black_box(whatlang::detect(&m.text));
            })
        },
        mentions.len(),
    );
    let allow = per_second(
        || {
            mentions.iter().for_each(|m| {
                black_box(ten.detect(&m.text));
            })
        },
        mentions.len(),
    );
    let short = corpus::two_word_mentions();
    let short_enrich = per_second(
        || {
            short.iter().for_each(|m| {
                black_box(enricher.enrich(m));
            })
        },
        short.len(),
    );
    let short_raw = per_second(
        || {
            short.iter().for_each(|m| {
                black_box(whatlang::detect(&m.text));
            })
        },
        short.len(),
    );
    println!(
        "corpus: {} mentions, mean {} chars",
        mentions.len(),
        corpus::mean_chars(&mentions)
    );
    println!("| what | mentions per CPU-second | vs raw whatlang |\n|---|---:|---:|");
    println!(
        "| enrich (all four tags) | {enrich:.0} | {:.1}x |",
        enrich / raw
    );
    println!(
        "| enrich, language_lingua = false | {enrich_without_lingua:.0} | {:.1}x |",
        enrich_without_lingua / raw
    );
    println!("| raw whatlang::detect | {raw:.0} | 1.0x |");
    println!(
        "| whatlang, 10-language allowlist | {allow:.0} | {:.1}x |",
        allow / raw
    );
    println!(
        "| two-word posts ({}): enrich | {short_enrich:.0} | {:.2}x |",
        short.len(),
        short_enrich / short_raw
    );
    println!("| two-word posts: raw whatlang::detect | {short_raw:.0} | 1.0x |");
}
