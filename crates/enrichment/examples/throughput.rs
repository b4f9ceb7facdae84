//! Mentions per second of *on-CPU* time for the enricher and for raw whatlang on the
//! corpora of `benches/enrich.rs`, and the enricher's memory. Criterion measures wall
//! time, which on a busy shared machine counts time spent waiting for a core; this
//! counts only time running (Linux `/proc/thread-self/schedstat`), so the figure and the
//! ratio are stable.
//!
//!     cargo run -p earshot-enrichment --release --example throughput
//!
//! Memory is resident set growth (`VmRSS`) while building: the enricher with the 13
//! brands of the apart sets without lingua, then with 1,000 brands (the 13 and 987
//! generated ones, each with keywords, a hashtag, a handle and a domain), then lingua's
//! models (loaded once per process, shared by every enricher).

use std::hint::black_box;
use std::path::Path;

use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::{Brand, RawMention};

// Shared with the bench, which uses all of it.
#[allow(dead_code)]
#[path = "../benches/corpus.rs"]
mod corpus;

/// Nanoseconds this thread has run on a CPU.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("Linux /proc/thread-self/schedstat")
}

/// Resident memory of this process, in MB.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc/self/status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS");
    kb / 1024.0
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

fn enrich_rate(e: &Enricher, mentions: &[RawMention]) -> f64 {
    per_second(
        || mentions.iter().for_each(|m| drop(black_box(e.enrich(m)))),
        mentions.len(),
    )
}

fn matched_rate(e: &Enricher, mentions: &[RawMention]) -> f64 {
    per_second(
        || {
            mentions
                .iter()
                .for_each(|m| drop(black_box(e.enrich_matched(m))))
        },
        mentions.len(),
    )
}

fn whatlang_rate(mentions: &[RawMention]) -> f64 {
    per_second(
        || {
            mentions.iter().for_each(|m| {
                black_box(whatlang::detect(&m.text));
            })
        },
        mentions.len(),
    )
}

/// `n` brands that match nothing in the corpora: names built from syllables, so their
/// keywords inflect like real ones ("Kalomira" → "Kalomirze").
fn generated_brands(n: usize) -> Vec<Brand> {
    const SYLLABLES: [&str; 10] = ["ka", "lo", "mi", "ra", "zu", "be", "to", "ni", "ve", "da"];
    (0..n)
        .map(|i| {
            let name: String = [i / 100 % 10, i / 10 % 10, i % 10]
                .iter()
                .map(|&s| SYLLABLES[s])
                .collect::<String>()
                + "x";
            Brand {
                name: format!("{name} {i}"),
                keywords: vec![name.clone(), format!("{name} sklep")],
                hashtags: vec![format!("#{name}")],
                handles: vec![format!("@{name}")],
                domains: vec![format!("{name}.pl")],
                ..Brand::default()
            }
        })
        .collect()
}

fn main() {
    let no_lingua = EnrichmentConfig {
        language_lingua: false,
        ..EnrichmentConfig::default()
    };
    let apart_brands = corpus::realistic_brands();
    let mut thousand = apart_brands.clone();
    thousand.extend(generated_brands(1_000 - apart_brands.len()));

    let base = rss_mb();
    let small_no_lingua = Enricher::new(&apart_brands, &no_lingua).unwrap();
    let after_small = rss_mb();
    let thousand_no_lingua = Enricher::new(&thousand, &no_lingua).unwrap();
    let after_thousand = rss_mb();
    let apart = Enricher::new(&apart_brands, &EnrichmentConfig::default()).unwrap();
    let after_lingua = rss_mb();
    let apart_thousand = Enricher::new(&thousand, &EnrichmentConfig::default()).unwrap();

    let realistic = corpus::realistic();
    let matched = realistic
        .iter()
        .filter(|m| apart.enrich_matched(m).is_some())
        .count();
    let r_enrich = enrich_rate(&apart, &realistic);
    let r_matched = matched_rate(&apart, &realistic);
    let r_no_lingua = enrich_rate(&small_no_lingua, &realistic);
    let four = Enricher::new(&apart_brands, &corpus::four_languages()).unwrap();
    let r_four = enrich_rate(&four, &realistic);
    let r_four_matched = matched_rate(&four, &realistic);
    drop(four);
    let r_thousand = enrich_rate(&apart_thousand, &realistic);
    let r_thousand_matched = matched_rate(&apart_thousand, &realistic);
    drop(thousand_no_lingua);
    let r_raw = whatlang_rate(&realistic);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let brands: Vec<Brand> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("brands.json")).unwrap()).unwrap();
    let enricher = Enricher::new(&brands, &EnrichmentConfig::default()).unwrap();
    let mentions = corpus::mentions();
    let p_enrich = enrich_rate(&enricher, &mentions);
    let p_matched = matched_rate(&enricher, &mentions);
    let p_raw = whatlang_rate(&mentions);
    let short = corpus::two_word_mentions();
    let s_enrich = enrich_rate(&enricher, &short);
    let s_raw = whatlang_rate(&short);

    println!(
        "realistic corpus: {} mentions ({matched} matched), mean {} chars; \
         per_mention corpus: {} mentions, mean {} chars",
        realistic.len(),
        corpus::mean_chars(&realistic),
        mentions.len(),
        corpus::mean_chars(&mentions)
    );
    println!("| what | mentions per CPU-second | vs raw whatlang |\n|---|---:|---:|");
    let row = |what: &str, rate: f64, raw: f64| {
        println!("| {what} | {rate:.0} | {:.1}x |", rate / raw);
    };
    row("realistic: enrich (every tag)", r_enrich, r_raw);
    row(
        "realistic: enrich_matched (the processor's path)",
        r_matched,
        r_raw,
    );
    row(
        "realistic: enrich, language_lingua = false",
        r_no_lingua,
        r_raw,
    );
    row(
        "realistic: enrich, candidate_languages = pl, en, de, uk",
        r_four,
        r_raw,
    );
    row(
        "realistic: enrich_matched, candidate_languages = pl, en, de, uk",
        r_four_matched,
        r_raw,
    );
    row("realistic: enrich, 1,000 brands", r_thousand, r_raw);
    row(
        "realistic: enrich_matched, 1,000 brands",
        r_thousand_matched,
        r_raw,
    );
    row("realistic: raw whatlang::detect", r_raw, r_raw);
    row("per_mention: enrich", p_enrich, p_raw);
    row("per_mention: enrich_matched", p_matched, p_raw);
    row("per_mention: raw whatlang::detect", p_raw, p_raw);
    row("two-word posts: enrich", s_enrich, s_raw);
    row("two-word posts: raw whatlang::detect", s_raw, s_raw);
    println!(
        "\nmemory (VmRSS growth): enricher with 13 brands, no lingua {:.1} MB; \
         with 1,000 brands {:.1} MB; lingua's models {:.1} MB; whole process now {:.1} MB",
        after_small - base,
        after_thousand - after_small,
        after_lingua - after_thousand,
        rss_mb()
    );
}
