//! Language accuracy on a public language-identification test set we did not write:
//! the `testdata/` that lingua's language-model crates ship (1,000 sentences and
//! 1,000 word pairs per language, drawn from the Leipzig Wortschatz corpora), for
//! pl, uk, ru, cs, sk, de, en, es, fr, it. The crates are dependencies of this crate,
//! so `cargo fetch` has put them in the Cargo registry.
//!
//!     cargo run -p earshot-enrichment --release --example evaluate_language_public -- SPLIT
//!
//! `SPLIT` is `dev` (the first 200 lines of each file: tuning may look at these),
//! `test` (the other 800: figures only) or `all`. Every detector sees the same text
//! without a platform hint. `ours` runs with the default candidate list (every language
//! the detector knows) and with `candidate_languages` set to the ten evaluated ones.
//! Accuracy counts `und` as wrong; coverage is the share answered at all. Time is
//! on-CPU time per item, the same for every detector.
//! `EVAL_CONFUSIONS=1` prints the most frequent mistakes of ours (dev only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use earshot_enrichment::{Enricher, EnrichmentConfig, raw_whatlang};

const LANGS: [(&str, &str); 10] = [
    ("pl", "polish"),
    ("uk", "ukrainian"),
    ("ru", "russian"),
    ("cs", "czech"),
    ("sk", "slovak"),
    ("de", "german"),
    ("en", "english"),
    ("es", "spanish"),
    ("fr", "french"),
    ("it", "italian"),
];
const DEV_LINES: usize = 200;

/// A detector under test: text in, ISO 639-1 code (or `und`) out.
type Detect<'a> = dyn Fn(&str) -> String + 'a;

fn main() {
    let split = std::env::args().nth(1).unwrap_or_else(|| "dev".into());
    let range = match split.as_str() {
        "dev" => 0..DEV_LINES,
        "test" => DEV_LINES..usize::MAX,
        "all" => 0..usize::MAX,
        other => panic!("SPLIT is dev, test or all, not `{other}`"),
    };
    let registry = registry_src();
    let open = Enricher::new(&[], &EnrichmentConfig::default()).expect("default config");
    let ten = Enricher::new(
        &[],
        &EnrichmentConfig {
            candidate_languages: LANGS.iter().map(|(c, _)| c.to_string()).collect(),
            ..EnrichmentConfig::default()
        },
    )
    .expect("ten languages");
    let lingua = lingua::LanguageDetectorBuilder::from_iso_codes_639_1(
        &LANGS
            .iter()
            .map(|(c, _)| c.parse().expect("lingua knows the code"))
            .collect::<Vec<_>>(),
    )
    .with_preloaded_language_models()
    .build();
    let confusions = std::env::var_os("EVAL_CONFUSIONS").is_some() && split == "dev";

    println!("## Public language-ID set ({split}): accuracy (coverage)\n");
    for kind in ["sentences", "word-pairs", "single-words"] {
        let mut sets: Vec<(&str, Vec<String>)> = Vec::new();
        for (code, name) in LANGS {
            let file = model_crate(&registry, name)
                .join("testdata")
                .join(format!("{kind}.txt"));
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let lines: Vec<String> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .filter(|(i, _)| range.contains(i))
                .map(|(_, l)| l.to_owned())
                .collect();
            sets.push((code, lines));
        }
        let detectors: [(&str, &Detect); 4] = [
            ("ours (all candidates)", &|t| {
                open.detect_language(t, None).value.to_owned()
            }),
            ("ours (10 candidates)", &|t| {
                ten.detect_language(t, None).value.to_owned()
            }),
            ("raw whatlang", &|t| raw_whatlang(t).to_owned()),
            ("lingua (10 languages)", &|t| {
                lingua
                    .detect_language_of(t)
                    .map_or("und".to_owned(), |l| l.iso_code_639_1().to_string())
            }),
        ];
        println!("### {kind}\n");
        print!("| detector | all |");
        for (code, _) in LANGS {
            print!(" {code} |");
        }
        println!(" CPU µs/item |");
        println!("|---|---|{}---|", "---|".repeat(LANGS.len()));
        for (name, detect) in detectors {
            let (mut right, mut answered, mut n) = (0usize, 0usize, 0usize);
            let mut cells = Vec::new();
            let mut mistakes: BTreeMap<(String, String), usize> = BTreeMap::new();
            let started = cpu_ns();
            for (code, lines) in &sets {
                let (mut r, mut a) = (0, 0);
                for line in lines {
                    let got = detect(line);
                    a += usize::from(got != "und");
                    r += usize::from(got == *code);
                    if got != *code {
                        *mistakes.entry((code.to_string(), got)).or_default() += 1;
                    }
                }
                cells.push(format!("{} ({})", pct(r, lines.len()), pct(a, lines.len())));
                (right, answered, n) = (right + r, answered + a, n + lines.len());
            }
            let micros = (cpu_ns() - started) as f64 / 1e3 / n.max(1) as f64;
            println!(
                "| {name} | **{}** ({}) | {} | {micros:.1} |",
                pct(right, n),
                pct(answered, n),
                cells.join(" | ")
            );
            if confusions && name.starts_with("ours") {
                let mut top: Vec<_> = mistakes.into_iter().collect();
                top.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
                let top: Vec<String> = top
                    .iter()
                    .take(12)
                    .map(|((g, p), c)| format!("{g}→{p} {c}"))
                    .collect();
                eprintln!("{kind} {name}: {}", top.join(", "));
            }
        }
        println!();
    }
}

/// Nanoseconds this thread has run on a CPU (Linux): stable on a shared machine.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("Linux /proc/thread-self/schedstat")
}

fn pct(part: usize, whole: usize) -> String {
    format!("{:.1}%", 100.0 * part as f64 / whole.max(1) as f64)
}

/// `$CARGO_HOME/registry/src`, where Cargo unpacks the crates it fetched.
fn registry_src() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    home.join("registry").join("src")
}

/// The unpacked `lingua-NAME-language-model` crate (newest version if several).
fn model_crate(registry: &Path, name: &str) -> PathBuf {
    let prefix = format!("lingua-{name}-language-model-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(registry)
        .unwrap_or_else(|e| panic!("{}: {e}", registry.display()))
        .flatten()
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
                && p.join("testdata").is_dir()
        })
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "{prefix}*/testdata not in {}: run `cargo fetch`",
            registry.display()
        )
    })
}
