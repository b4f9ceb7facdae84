//! Scores the analyser on labelled data it was not written from and prints per-class
//! precision and recall, macro-averaged recall and a confusion matrix (as Markdown).
//!
//! ```text
//! cargo run --release -p earshot-sentiment --example eval -- [--rules-only] \
//!     tweeteval ../shared/sentiment-dev/tweeteval val        # TweetEval validation split
//! cargo run --release -p earshot-sentiment --example eval -- [--rules-only] \
//!     apart crates/enrichment/eval/apart pl.test.jsonl        # toward each labelled brand
//! cargo run --release -p earshot-sentiment --example eval -- \
//!     apart /work/apart-v2 test               # every LANG.test.jsonl in the directory
//! ```
//!
//! `--brands FILE` gives the brands' keywords when the directory has no `brands.json`
//! (default then: `crates/enrichment/eval/apart/brands.json`).
//!
//! For the apart sets the brand's spans are found by a case-insensitive search of each
//! keyword, hashtag and handle from `brands.json`, cut to a prefix so that inflected
//! forms match ("Biedronk" finds "Biedronce"); the pipeline passes the matcher's spans.

use std::path::{Path, PathBuf};

use earshot_sentiment::{Analyzer, Polarity};

#[path = "common/apart.rs"]
mod apart;
use apart::{BrandConfig, Mention, brand_spans};

const CLASSES: [Polarity; 3] = [Polarity::Negative, Polarity::Neutral, Polarity::Positive];

#[derive(Default)]
struct Tally {
    /// confusion[gold][predicted], predicted including `unknown` as a 4th column.
    confusion: [[usize; 4]; 3],
    complaint: [[usize; 2]; 2],
}

fn index(p: Polarity) -> usize {
    match p {
        Polarity::Negative => 0,
        Polarity::Neutral => 1,
        Polarity::Positive => 2,
        Polarity::Unknown => 3,
    }
}

impl Tally {
    fn add(&mut self, gold: Polarity, predicted: Polarity) {
        if gold != Polarity::Unknown {
            self.confusion[index(gold)][index(predicted)] += 1;
        }
    }

    fn macro_recall(&self) -> f64 {
        let recalls: Vec<f64> = (0..3)
            .filter(|&g| self.confusion[g].iter().sum::<usize>() > 0)
            .map(|g| self.confusion[g][g] as f64 / self.confusion[g].iter().sum::<usize>() as f64)
            .collect();
        recalls.iter().sum::<f64>() / recalls.len().max(1) as f64
    }

    fn print(&self, title: &str) {
        let n: usize = self.confusion.iter().flatten().sum();
        println!("### {title}\n");
        println!(
            "{n} items; macro-averaged recall **{:.3}**\n",
            self.macro_recall()
        );
        println!("| class | precision | recall | support |\n| --- | --- | --- | --- |");
        for (g, class) in CLASSES.iter().enumerate() {
            let support: usize = self.confusion[g].iter().sum();
            let predicted: usize = (0..3).map(|x| self.confusion[x][g]).sum();
            let hit = self.confusion[g][g];
            println!(
                "| {} | {:.3} | {:.3} | {support} |",
                class.as_str(),
                hit as f64 / predicted.max(1) as f64,
                hit as f64 / support.max(1) as f64
            );
        }
        println!(
            "\n| gold \\ predicted | negative | neutral | positive | unknown |\n| --- | --- | --- | --- | --- |"
        );
        for (g, class) in CLASSES.iter().enumerate() {
            let row = self.confusion[g];
            println!(
                "| {} | {} | {} | {} | {} |",
                class.as_str(),
                row[0],
                row[1],
                row[2],
                row[3]
            );
        }
        let [[tn, fp], [fn_, tp]] = self.complaint;
        if tp + fn_ + fp > 0 {
            println!(
                "\ncomplaint flag: precision {:.3}, recall {:.3} ({} gold complaints; tn {tn})",
                tp as f64 / (tp + fp).max(1) as f64,
                tp as f64 / (tp + fn_).max(1) as f64,
                tp + fn_
            );
        }
        println!();
    }
}

/// The brands' keywords: `--brands FILE`, else `DIR/brands.json`, else the first apart
/// set's `crates/enrichment/eval/apart/brands.json` (a new set may reuse its brands).
fn load_brands(
    dir: &Path,
    given: Option<&Path>,
) -> Result<Vec<BrandConfig>, Box<dyn std::error::Error>> {
    let default =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../enrichment/eval/apart/brands.json");
    let path = match given {
        Some(p) => p.to_path_buf(),
        None if dir.join("brands.json").exists() => dir.join("brands.json"),
        None => default,
    };
    eprintln!("brands from {}", path.display());
    Ok(serde_json::from_str(&std::fs::read_to_string(&path)?)?)
}

/// Scores one apart-style file: toward each labelled brand, and overall where labelled.
/// A labelled brand missing from the brands file is searched for by its own name (and
/// counted on stderr), never skipped: a skipped label would flatter the figure.
fn score_apart(
    analyzer: &Analyzer,
    path: &Path,
    brands: &[BrandConfig],
    verbose: bool,
    dump: bool,
) -> Result<(Tally, Tally), Box<dyn std::error::Error>> {
    let mut toward = Tally::default();
    let mut overall = Tally::default();
    let mut unconfigured = 0usize;
    for line in std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let m: Mention = serde_json::from_str(line)?;
        if let Some(gold) = m.overall_sentiment {
            overall.add(gold, analyzer.overall(&m.text, &m.language).polarity);
        }
        for label in &m.brands {
            let by_name;
            let config = match brands.iter().find(|b| b.name == label.brand) {
                Some(c) => c,
                None => {
                    unconfigured += 1;
                    by_name = BrandConfig {
                        name: label.brand.clone(),
                        keywords: vec![label.brand.clone()],
                        hashtags: Vec::new(),
                        handles: Vec::new(),
                    };
                    &by_name
                }
            };
            let spans = brand_spans(&m.text, config);
            let s = if spans.is_empty() {
                analyzer.overall(&m.text, &m.language)
            } else {
                analyzer.toward(&m.text, &m.language, &spans)
            };
            if dump {
                eprintln!("{}", serde_json::to_string(&s)?);
            }
            toward.add(label.sentiment, s.polarity);
            toward.complaint[usize::from(label.complaint)][usize::from(s.complaint)] += 1;
            if verbose && (s.polarity != label.sentiment || s.complaint != label.complaint) {
                eprintln!(
                    "{} gold {:?}/{} got {:?}/{} {:?} | {}",
                    label.brand,
                    label.sentiment,
                    label.complaint,
                    s.polarity,
                    s.complaint,
                    s.evidence,
                    m.text
                );
            }
        }
    }
    if unconfigured > 0 {
        eprintln!(
            "{}: {unconfigured} labels name a brand missing from the brands file; searched by name",
            path.display()
        );
    }
    Ok((toward, overall))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let rules_only = args.first().is_some_and(|a| a == "--rules-only");
    if rules_only {
        args.remove(0);
    }
    // `--model LANG=PATH`: score with another model file for one language (a variant
    // written by `train`, e.g. the model alone), to compare on the dev files.
    let mut replaced: Vec<(String, earshot_sentiment::model::Model)> = Vec::new();
    while args.first().is_some_and(|a| a == "--model") {
        let spec = args.get(1).ok_or("--model needs LANG=PATH")?.clone();
        let (lang, path) = spec.split_once('=').ok_or("--model needs LANG=PATH")?;
        let model = earshot_sentiment::model::Model::from_bytes(&std::fs::read(path)?)?;
        replaced.push((lang.to_string(), model));
        args.drain(..2);
    }
    // `--brands FILE`: the brands' keywords, when DIR has no `brands.json` of its own.
    let mut brands_path = None;
    if args.first().is_some_and(|a| a == "--brands") {
        brands_path = Some(PathBuf::from(args.get(1).ok_or("--brands needs FILE")?));
        args.drain(..2);
    }
    let verbose = std::env::var_os("EVAL_VERBOSE").is_some();
    // Every answer as a JSON line on stderr: to check that a speed change changes no answer.
    let dump = std::env::var_os("EVAL_DUMP").is_some();
    let mut analyzer = if rules_only {
        Analyzer::rules_only()
    } else {
        Analyzer::new()
    };
    for (lang, model) in replaced {
        analyzer = analyzer.with_model(&lang, Some(model));
    }
    let mode = if rules_only {
        "rules only"
    } else {
        "rules + model"
    };
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["tweeteval", dir, split] => {
            let dir = PathBuf::from(dir);
            let texts = std::fs::read_to_string(dir.join(format!("{split}_text.txt")))?;
            let labels = std::fs::read_to_string(dir.join(format!("{split}_labels.txt")))?;
            let mut tally = Tally::default();
            for (text, label) in texts.lines().zip(labels.lines()) {
                let gold = CLASSES[label.trim().parse::<usize>()?];
                let s = analyzer.overall(text, "en");
                if dump {
                    eprintln!("{}", serde_json::to_string(&s)?);
                }
                tally.add(gold, s.polarity);
            }
            tally.print(&format!("TweetEval {split} ({mode})"));
        }
        ["apart", dir, which] => {
            let dir = PathBuf::from(dir);
            let brands = load_brands(&dir, brands_path.as_deref())?;
            // `LANG.SPLIT.jsonl` names one file; a bare split (`test`, `dev`) scores every
            // `*.SPLIT.jsonl` in the directory, one table per file and one for all.
            let files: Vec<String> = if which.ends_with(".jsonl") {
                vec![which.to_string()]
            } else {
                let suffix = format!(".{which}.jsonl");
                let mut found: Vec<String> = std::fs::read_dir(&dir)?
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| n.ends_with(&suffix))
                    .collect();
                found.sort();
                if found.is_empty() {
                    return Err(format!("no *{suffix} in {}", dir.display()).into());
                }
                found
            };
            let mut summary = Vec::new();
            for file in &files {
                let (toward, overall) =
                    score_apart(&analyzer, &dir.join(file), &brands, verbose, dump)?;
                toward.print(&format!("{file}: toward each labelled brand ({mode})"));
                overall.print(&format!("{file}: overall sentiment ({mode})"));
                summary.push((file.clone(), toward));
            }
            if summary.len() > 1 {
                println!("### Summary ({mode})\n");
                println!(
                    "| file | items | toward-brand macro recall | complaint precision / recall |\n| --- | --- | --- | --- |"
                );
                for (file, t) in &summary {
                    let [[_, fp], [fn_, tp]] = t.complaint;
                    println!(
                        "| {file} | {} | **{:.3}** | {:.3} / {:.3} ({} gold) |",
                        t.confusion.iter().flatten().sum::<usize>(),
                        t.macro_recall(),
                        tp as f64 / (tp + fp).max(1) as f64,
                        tp as f64 / (tp + fn_).max(1) as f64,
                        tp + fn_
                    );
                }
                println!();
            }
        }
        _ => {
            return Err(
                "usage: eval [--rules-only] [--model LANG=PATH]... [--brands FILE] \
                 (tweeteval DIR SPLIT | apart DIR (LANG.SPLIT.jsonl | SPLIT))"
                    .into(),
            );
        }
    }
    Ok(())
}
