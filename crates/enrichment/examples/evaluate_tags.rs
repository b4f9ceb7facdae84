//! Scores the enricher against the labelled sets in `eval/` and prints Markdown:
//! precision, recall and coverage per class and a confusion matrix for each tag, and
//! for language the same accuracy for raw whatlang on the same texts.
//!
//!     cargo run -p earshot-enrichment --release --example evaluate_tags
//!
//! Coverage is the share of a class's mentions that got a definite answer (not
//! `unknown`/`und`): it shows how much a tag abstains, which precision hides.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use earshot_enrichment::{Enricher, EnrichmentConfig, raw_whatlang};
use earshot_model::{Author, Brand, MentionId, Platform, RawMention, SCHEMA_VERSION};
use serde_json::Value;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let brands: Vec<Brand> =
        serde_json::from_str(&read(&dir.join("brands.json"))).expect("eval/brands.json");
    let enricher = Enricher::new(&brands, &EnrichmentConfig::default()).expect("valid eval config");
    language(&enricher, &cases(&dir.join("language.jsonl")));
    cohort(&enricher, &cases(&dir.join("cohort.jsonl")));
    source(&enricher, &cases(&dir.join("source.jsonl")));
    brand_match(&enricher, &cases(&dir.join("brands.jsonl")));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases(path: &Path) -> Vec<Value> {
    read(path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect(l))
        .collect()
}

fn s<'a>(case: &'a Value, key: &str) -> &'a str {
    case.get(key).and_then(Value::as_str).unwrap_or("")
}

fn mention(case: &Value) -> RawMention {
    let platform: Platform = s(case, "platform").parse().unwrap_or(Platform::Mastodon);
    let created = case
        .get("created_at")
        .and_then(Value::as_str)
        .unwrap_or("2026-05-20T12:00:00Z");
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(platform, "1"),
        platform,
        platform_id: "1".into(),
        url: s(case, "url").into(),
        text: s(case, "text").into(),
        created_at: created.parse().expect("created_at"),
        collected_at: created.parse().expect("created_at"),
        author: Author {
            id: "1".into(),
            handle: s(case, "handle").into(),
            bio: s(case, "bio").into(),
            ..Author::default()
        },
        engagement: Default::default(),
        language_hint: case.get("hint").and_then(Value::as_str).map(str::to_owned),
        origin: Default::default(),
        source: String::new(),
        raw: Default::default(),
    }
}

/// Gold and predicted labels, and the metrics over them.
#[derive(Default)]
struct Confusion {
    pairs: Vec<(String, String)>,
}

impl Confusion {
    fn add(&mut self, gold: &str, predicted: &str) {
        self.pairs.push((gold.to_owned(), predicted.to_owned()));
    }

    fn accuracy(&self) -> f64 {
        ratio(
            self.pairs.iter().filter(|(g, p)| g == p).count(),
            self.pairs.len(),
        )
    }

    fn print(&self, abstain: &str) {
        let golds: BTreeSet<&str> = self.pairs.iter().map(|(g, _)| g.as_str()).collect();
        let labels: BTreeSet<&str> = self
            .pairs
            .iter()
            .flat_map(|(g, p)| [g.as_str(), p.as_str()])
            .collect();
        println!(
            "\naccuracy {:.3} over {} mentions\n",
            self.accuracy(),
            self.pairs.len()
        );
        println!("| class | n | precision | recall | coverage |\n|---|---:|---:|---:|---:|");
        for &label in &labels {
            let gold = self.pairs.iter().filter(|(g, _)| g == label).count();
            let predicted = self.pairs.iter().filter(|(_, p)| p == label).count();
            let hits = self
                .pairs
                .iter()
                .filter(|(g, p)| g == label && p == label)
                .count();
            let answered = self
                .pairs
                .iter()
                .filter(|(g, p)| g == label && p != abstain)
                .count();
            let coverage = if label == abstain {
                "–".to_owned()
            } else {
                format!("{:.3}", ratio(answered, gold))
            };
            println!(
                "| {label} | {gold} | {:.3} | {:.3} | {coverage} |",
                ratio(hits, predicted),
                ratio(hits, gold)
            );
        }
        println!("\nconfusion (rows: labelled, columns: predicted)\n");
        println!(
            "| | {} |",
            labels.iter().copied().collect::<Vec<_>>().join(" | ")
        );
        println!("|---|{}", "---:|".repeat(labels.len()));
        for &g in &golds {
            let row: Vec<String> = labels
                .iter()
                .map(|&p| {
                    self.pairs
                        .iter()
                        .filter(|(a, b)| a == g && b == p)
                        .count()
                        .to_string()
                })
                .collect();
            println!("| **{g}** | {} |", row.join(" | "));
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn language(enricher: &Enricher, cases: &[Value]) {
    println!("## Language\n");
    let mut ours = Confusion::default();
    let mut raw = Confusion::default();
    let mut misses = Vec::new();
    let mut decided_by: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for case in cases {
        let gold = s(case, "lang");
        let m = mention(case);
        let got = enricher.enrich(&m).language;
        let d = decided_by.entry(got.evidence.to_string()).or_default();
        d.0 += 1;
        d.1 += usize::from(got.value == gold);
        ours.add(gold, got.value);
        raw.add(gold, raw_whatlang(&m.text));
        if gold != got.value && std::env::var_os("EVAL_VERBOSE").is_some() {
            misses.push(format!(
                "{gold} -> {} ({}) {:?} {}",
                got.value, got.evidence, m.language_hint, m.text
            ));
        }
    }
    println!(
        "Accuracy per labelled language, this enricher vs raw `whatlang::detect` on the same text:\n"
    );
    println!("| language | n | enricher | raw whatlang |\n|---|---:|---:|---:|");
    let mut per: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for ((g, p), (_, r)) in ours.pairs.iter().zip(&raw.pairs) {
        let e = per.entry(g.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(g == p);
        e.2 += usize::from(g == r);
    }
    for (lang, (n, o, r)) in &per {
        println!(
            "| {lang} | {n} | {:.3} | {:.3} |",
            ratio(*o, *n),
            ratio(*r, *n)
        );
    }
    println!(
        "| **all** | {} | {:.3} | {:.3} |",
        ours.pairs.len(),
        ours.accuracy(),
        raw.accuracy()
    );
    println!("\nWhat decided, with the accuracy of those decisions:\n");
    println!("| evidence | mentions | accuracy |\n|---|---:|---:|");
    for (evidence, (n, ok)) in &decided_by {
        println!("| {evidence} | {n} | {:.3} |", ratio(*ok, *n));
    }
    ours.print("und");
    for m in misses {
        eprintln!("{m}");
    }
}

fn cohort(enricher: &Enricher, cases: &[Value]) {
    println!("\n## Cohort\n");
    let mut c = Confusion::default();
    for case in cases {
        let got = enricher.enrich(&mention(case)).cohort;
        if s(case, "cohort") != got.value.as_str() && std::env::var_os("EVAL_VERBOSE").is_some() {
            eprintln!(
                "{} -> {} ({}) bio={:?} text={:?}",
                s(case, "cohort"),
                got.value.as_str(),
                got.evidence,
                s(case, "bio"),
                s(case, "text")
            );
        }
        c.add(s(case, "cohort"), got.value.as_str());
    }
    c.print("unknown");
}

fn source(enricher: &Enricher, cases: &[Value]) {
    println!("\n## Source type\n");
    let mut c = Confusion::default();
    for case in cases {
        let e = enricher.enrich(&mention(case));
        let want_brand = s(case, "brand");
        let got = e.brands.iter().find(|b| b.brand == want_brand);
        let predicted = got.map_or("(no brand match)", |b| b.source_type.value.as_str());
        if s(case, "source") != predicted && std::env::var_os("EVAL_VERBOSE").is_some() {
            let ev = got.map_or("", |b| b.source_type.evidence.as_ref());
            eprintln!(
                "{} -> {predicted} ({ev}) @{} bio={:?} text={:?}",
                s(case, "source"),
                s(case, "handle"),
                s(case, "bio"),
                s(case, "text")
            );
        }
        c.add(s(case, "source"), predicted);
    }
    c.print("unknown");
}

fn brand_match(enricher: &Enricher, cases: &[Value]) {
    println!("\n## Brand match\n");
    let (mut tp, mut fp, mut fn_, mut exact) = (0, 0, 0, 0);
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for case in cases {
        let want: BTreeSet<&str> = case["brands"]
            .as_array()
            .expect("brands")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let e = enricher.enrich(&mention(case));
        let got: BTreeSet<&str> = e.brands.iter().map(|b| b.brand.as_str()).collect();
        tp += want.intersection(&got).count();
        fp += got.difference(&want).count();
        fn_ += want.difference(&got).count();
        let ok = want == got;
        exact += usize::from(ok);
        let r = per_rule.entry(s(case, "rule").to_owned()).or_default();
        r.0 += 1;
        r.1 += usize::from(ok);
        if !ok && std::env::var_os("EVAL_VERBOSE").is_some() {
            eprintln!("want {want:?} got {got:?}: {}", s(case, "text"));
        }
    }
    println!(
        "{} cases; (mention, brand) pairs: precision {:.3}, recall {:.3}; exact brand set {:.3}\n",
        cases.len(),
        ratio(tp, tp + fp),
        ratio(tp, tp + fn_),
        ratio(exact, cases.len())
    );
    println!("| rule | cases | exact |\n|---|---:|---:|");
    for (rule, (n, ok)) in per_rule {
        println!("| {rule} | {n} | {:.3} |", ratio(ok, n));
    }
}
