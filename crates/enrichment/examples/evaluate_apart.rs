//! Scores the enricher on labelled sets written apart from the rules
//! (`eval/apart/README.md` describes the format) and prints Markdown.
//!
//!     cargo run -p earshot-enrichment --release --example evaluate_apart -- DIR SPLIT [--brands FILE]
//!
//! `DIR` holds `LANG.SPLIT.jsonl` files (every language present is scored) and, unless
//! `--brands` names one, `brands.json`; `SPLIT` is a split name (`dev`, `test`) or a
//! comma-separated list of them (`dev,test` scores both together). Source type is
//! scored on the brands both gold and prediction name: precision per class over
//! definite answers (`unknown` abstains), recall over the gold class; cohort precision over definite answers and coverage over the
//! mentions whose cohort the labels give; brand precision and recall over
//! (mention, brand) pairs; language accuracy over all mentions, with coverage.

use std::collections::BTreeMap;
use std::path::Path;

use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::{Author, Brand, MentionId, Platform, RawMention, SCHEMA_VERSION};
use serde_json::Value;

fn main() {
    let mut positional = Vec::new();
    let mut brands_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--brands" => brands_file = Some(args.next().expect("--brands FILE")),
            _ => positional.push(arg),
        }
    }
    let dir = positional
        .first()
        .expect("usage: evaluate_apart DIR [SPLIT[,SPLIT...]] [--brands FILE]");
    let splits = positional.get(1).map_or("dev", String::as_str);
    let dir = Path::new(dir);
    let brands_path = brands_file.map_or_else(|| dir.join("brands.json"), Into::into);
    let brands: Vec<Brand> = serde_json::from_str(&read(&brands_path))
        .unwrap_or_else(|e| panic!("{}: {e}", brands_path.display()));
    let enricher = Enricher::new(&brands, &EnrichmentConfig::default()).expect("valid brands");
    let verbose = std::env::var_os("EVAL_VERBOSE").is_some();
    let mut per_lang = Vec::new();
    for lang in languages(dir, splits) {
        let mut score = Score::default();
        for split in splits.split(',') {
            let path = dir.join(format!("{lang}.{split}.jsonl"));
            if !path.exists() {
                continue;
            }
            for line in read(&path).lines().filter(|l| !l.trim().is_empty()) {
                let case: Value = serde_json::from_str(line).expect(line);
                score.add(&enricher, &case, verbose);
            }
        }
        per_lang.push((lang, score));
    }
    let mut all = ("all".to_string(), Score::default());
    for (_, score) in &per_lang {
        all.1.merge(score);
    }
    println!("## Apart-written sets ({splits}, {})\n", dir.display());
    println!(
        "| set | mentions | source P (min class) | employee R | cohort P | cohort coverage | brand P | brand R | language acc | language coverage |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (lang, s) in per_lang.iter().chain(std::iter::once(&all)) {
        s.row(lang);
    }
    println!();
    for (lang, s) in &per_lang {
        println!("### {lang}\n");
        s.source_table();
        println!();
    }
    println!("### all\n");
    all.1.source_table();
}

/// The languages with a `LANG.SPLIT.jsonl` file in `dir` for any of the splits, so a new
/// set with other languages is scored as it is laid out.
fn languages(dir: &Path, splits: &str) -> Vec<String> {
    let mut langs: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".jsonl")?;
            let (lang, split) = stem.split_once('.')?;
            splits
                .split(',')
                .any(|s| s == split)
                .then(|| lang.to_string())
        })
        .collect();
    langs.sort();
    langs.dedup();
    assert!(
        !langs.is_empty(),
        "no LANG.{splits}.jsonl files in {}",
        dir.display()
    );
    langs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn mention(case: &Value) -> RawMention {
    let platform: Platform = s(case, "platform").parse().unwrap_or(Platform::Mastodon);
    let at = "2026-12-01T12:00:00Z".parse().expect("date");
    let author = &case["author"];
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(platform, s(case, "id")),
        platform,
        platform_id: s(case, "id").into(),
        url: String::new(),
        text: s(case, "text").into(),
        created_at: at,
        collected_at: at,
        author: Author {
            id: s(author, "handle").into(),
            handle: s(author, "handle").into(),
            name: s(author, "name").into(),
            bio: s(author, "bio").into(),
            ..Author::default()
        },
        engagement: Default::default(),
        language_hint: None,
        origin: Default::default(),
        source: String::new(),
        raw: Default::default(),
    }
}

#[derive(Default)]
struct Score {
    mentions: u32,
    /// (gold, predicted) source types of brands both name.
    source: Vec<(String, String)>,
    /// (gold or "", predicted or "").
    cohort: Vec<(String, String)>,
    /// true positives, false positives, false negatives.
    brand: (u32, u32, u32),
    /// correct, answered.
    language: (u32, u32),
}

impl Score {
    /// Adds another language's tallies: "all" is the languages together, each mention
    /// enriched (and its verbose or evidence lines printed) once.
    fn merge(&mut self, other: &Score) {
        self.mentions += other.mentions;
        self.source.extend(other.source.iter().cloned());
        self.cohort.extend(other.cohort.iter().cloned());
        self.brand.0 += other.brand.0;
        self.brand.1 += other.brand.1;
        self.brand.2 += other.brand.2;
        self.language.0 += other.language.0;
        self.language.1 += other.language.1;
    }

    fn add(&mut self, enricher: &Enricher, case: &Value, verbose: bool) {
        let m = mention(case);
        let e = enricher.enrich(&m);
        self.mentions += 1;
        let gold_lang = s(case, "language");
        if e.language.value != "und" {
            self.language.1 += 1;
        }
        if e.language.value == gold_lang {
            self.language.0 += 1;
        } else if verbose {
            println!(
                "LANG {} gold={gold_lang} got={} ({}) {:?}",
                s(case, "id"),
                e.language.value,
                e.language.evidence,
                m.text
            );
        }
        let gold_cohort = case["cohort"].as_str().unwrap_or("");
        let got_cohort = match e.cohort.value.as_str() {
            "unknown" => "",
            c => c,
        };
        if verbose && gold_cohort != got_cohort {
            println!(
                "COHORT {} gold={gold_cohort:?} got={got_cohort:?} ({}) ev={:?} bio={:?} text={:?}",
                s(case, "id"),
                e.cohort.evidence,
                case["cohort_evidence"],
                m.author.bio,
                m.text
            );
        }
        if std::env::var_os("EVAL_EVIDENCE").is_some() && !got_cohort.is_empty() {
            // Per-rule tallies: `COHORT-EVIDENCE rule gold got` (gold `-` when unlabelled).
            let gold = if gold_cohort.is_empty() {
                "-"
            } else {
                gold_cohort
            };
            println!("COHORT-EVIDENCE {} {gold} {got_cohort}", e.cohort.evidence);
        }
        self.cohort.push((gold_cohort.into(), got_cohort.into()));
        let gold: BTreeMap<&str, &str> = case["brands"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| (s(b, "brand"), s(b, "source_type")))
            .collect();
        for b in &e.brands {
            match gold.get(b.brand.as_str()) {
                Some(&gold_type) => {
                    self.brand.0 += 1;
                    // `unknown` abstains: scored as coverage, not as a wrong class.
                    let got = b.source_type.value.as_str();
                    if verbose && got != gold_type {
                        println!(
                            "SOURCE {} {} gold={gold_type} got={got} ({}) handle={:?} bio={:?} text={:?}",
                            s(case, "id"),
                            b.brand,
                            b.source_type.evidence,
                            m.author.handle,
                            m.author.bio,
                            m.text
                        );
                    }
                    if std::env::var_os("EVAL_EVIDENCE").is_some() {
                        // Per-rule tallies for the dev split: `EVIDENCE rule gold got`.
                        println!("EVIDENCE {} {gold_type} {got}", b.source_type.evidence);
                    }
                    self.source.push((gold_type.into(), got.into()));
                }
                None => {
                    self.brand.1 += 1;
                    if verbose {
                        println!(
                            "BRAND-FP {} {} ({}) {:?}",
                            s(case, "id"),
                            b.brand,
                            b.evidence,
                            m.text
                        );
                    }
                }
            }
        }
        for name in gold.keys() {
            if !e.brands.iter().any(|b| b.brand == *name) {
                self.brand.2 += 1;
                if verbose {
                    println!("BRAND-FN {} {name} {:?}", s(case, "id"), m.text);
                }
            }
        }
    }

    fn class(&self, class: &str) -> (f64, f64, u32, u32) {
        let predicted = self.source.iter().filter(|(_, p)| p == class).count() as f64;
        let gold = self.source.iter().filter(|(g, _)| g == class).count() as f64;
        let hit = self
            .source
            .iter()
            .filter(|(g, p)| g == class && p == class)
            .count() as f64;
        (
            ratio(hit, predicted),
            ratio(hit, gold),
            predicted as u32,
            gold as u32,
        )
    }

    fn row(&self, name: &str) {
        let classes = ["customer", "employee", "brand_account", "press", "other"];
        let min_p = classes
            .iter()
            .map(|c| self.class(c))
            .filter(|c| c.2 > 0)
            .map(|c| c.0)
            .fold(1.0, f64::min);
        let definite: Vec<_> = self.cohort.iter().filter(|(_, p)| !p.is_empty()).collect();
        let cohort_p = ratio(
            definite.iter().filter(|(g, p)| g == p).count() as f64,
            definite.len() as f64,
        );
        let bearing: Vec<_> = self.cohort.iter().filter(|(g, _)| !g.is_empty()).collect();
        let coverage = ratio(
            bearing.iter().filter(|(_, p)| !p.is_empty()).count() as f64,
            bearing.len() as f64,
        );
        let (tp, fp, fn_) = self.brand;
        println!(
            "| {name} | {} | {min_p:.2} | {:.2} | {cohort_p:.2} ({} answers) | {coverage:.2} of {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            self.mentions,
            self.class("employee").1,
            definite.len(),
            bearing.len(),
            ratio(tp as f64, (tp + fp) as f64),
            ratio(tp as f64, (tp + fn_) as f64),
            ratio(self.language.0 as f64, self.mentions as f64),
            ratio(self.language.1 as f64, self.mentions as f64),
        );
    }

    fn source_table(&self) {
        let abstained = self.source.iter().filter(|(_, p)| p == "unknown").count();
        println!(
            "Source type answered for {} of {} matched brands ({} `unknown`).\n",
            self.source.len() - abstained,
            self.source.len(),
            abstained
        );
        println!("| source type | precision | recall | predicted | gold |");
        println!("|---|---|---|---|---|");
        for c in ["customer", "employee", "brand_account", "press", "other"] {
            let (p, r, np, ng) = self.class(c);
            println!("| {c} | {p:.2} | {r:.2} | {np} | {ng} |");
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}
