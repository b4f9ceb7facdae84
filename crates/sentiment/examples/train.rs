//! Trains a language's model on the brand-directed training corpus in `train/` and
//! writes `data/LANG_model.bin`. Hyper-parameters and feature kinds are chosen by 5-fold
//! cross-validation, with folds split by `group` (every example made from one
//! hand-written sentence, or one apart mention, lands in one fold, so the figure is not
//! inflated by near-copies).
//!
//! ```text
//! cargo run --release -p earshot-sentiment --example train -- \
//!     pl crates/sentiment/train/pl.jsonl crates/sentiment/data/pl_model.bin \
//!     --apart crates/enrichment/eval/apart:dev,test:3 \
//!     --apart crates/enrichment/eval/apart-v2:test:3 --offsets
//! ```
//!
//! `--no-rules` trains without the rules' dense features (the model alone), to measure
//! what the rules add; the shipped models keep them. `--with-others` adds the other
//! languages' examples (they teach the weights no language owns: the rules' features,
//! emoji, the brand placeholder). `--apart DIR[:SPLITS[:WEIGHT]]` (repeatable) adds the
//! apart-written `LANG.SPLIT.jsonl` files of a directory, toward each labelled brand as
//! `eval` scores them, each counted WEIGHT times; a bare `--apart DIR` takes
//! `--apart-splits` (default `dev`) and `--apart-weight` (default 1), the flags of the
//! single-directory trainer. WEIGHT 0 puts a set in the scored pool without training on
//! it (to measure a model trained without it on the same pool). The grid is then chosen
//! by cross-validated macro recall on the target language's apart examples of every
//! directory pooled, the only in-domain labels there are; each directory's own figure is
//! printed too. `--kinds 0x3,0xb` limits the feature kinds tried; `--offsets` tunes class
//! offsets for macro recall, kept only if nested CV says so.

use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

use earshot_sentiment::model::{self, Features, TrainParams, flags};
use earshot_sentiment::{Analyzer, Polarity};
use serde::Deserialize;

#[path = "common/apart.rs"]
mod apart;

/// One training example: sentiment toward the brand at `spans` (byte ranges).
#[derive(Deserialize)]
struct Example {
    text: String,
    language: String,
    spans: Vec<[usize; 2]>,
    sentiment: Polarity,
    /// The hand-written sentence (or pair) this example was made from.
    group: String,
    /// From an apart-written file rather than our corpus.
    #[serde(default)]
    apart: bool,
    /// The apart label's complaint flag (the corpus has none: never scored for it).
    #[serde(default)]
    complaint: bool,
    /// The apart label's speaker (`customer`, `employee`, …), for error dumps.
    #[serde(skip)]
    source_type: Option<String>,
    /// Which `--apart` directory (index into the sources) it came from.
    #[serde(skip)]
    source: usize,
    /// Copies of it in training: 1 for the corpus, the directory's weight for apart
    /// examples (0: scored in cross-validation, never trained on).
    #[serde(skip, default = "one")]
    weight: usize,
}

fn one() -> usize {
    1
}

/// Every labelled brand of the apart-written files of one `--apart` source, as an
/// example.
fn apart_examples(
    source: &apart::Source,
    index: usize,
) -> Result<Vec<Example>, Box<dyn std::error::Error>> {
    let dir = &source.dir;
    let brands: Vec<apart::BrandConfig> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("brands.json"))?)?;
    let mut out = Vec::new();
    for (language, split) in ["pl", "en", "de", "uk"]
        .iter()
        .flat_map(|l| source.splits.iter().map(move |s| (l, s)))
    {
        let file = format!("{language}.{split}.jsonl");
        let text = std::fs::read_to_string(dir.join(&file))
            .map_err(|e| format!("{}: {e}", dir.join(&file).display()))?;
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            let m: apart::Mention = serde_json::from_str(line)?;
            for label in &m.brands {
                let Some(config) = brands.iter().find(|b| b.name == label.brand) else {
                    continue;
                };
                out.push(Example {
                    spans: apart::brand_spans(&m.text, config)
                        .into_iter()
                        .map(|r| [r.start, r.end])
                        .collect(),
                    text: m.text.clone(),
                    language: m.language.clone(),
                    sentiment: label.sentiment,
                    complaint: label.complaint,
                    source_type: label.source_type.clone(),
                    // One mention, one group: its brands stay in one fold. Grouped by
                    // the text itself, so the few posts two sets share word for word
                    // (short ones: "Żabka 👍") never sit on both sides of a fold.
                    group: format!("apart:{}", m.text),
                    apart: true,
                    source: index,
                    weight: source.weight,
                });
            }
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let no_rules = args.iter().any(|a| a == "--no-rules");
    let with_others = args.iter().any(|a| a == "--with-others");
    // `--apart-splits dev,test` and `--apart-weight N`: the defaults of a bare
    // `--apart DIR` (the single-directory flags of the previous trainer).
    let splits_arg = args
        .iter()
        .position(|a| a == "--apart-splits")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| "dev".to_string());
    let splits: Vec<&str> = splits_arg.split(',').collect();
    let apart_weight: usize = args
        .iter()
        .position(|a| a == "--apart-weight")
        .and_then(|i| args.get(i + 1))
        .map_or(Ok(1), |w| w.parse())?;
    let sources = apart::sources(&args, &splits, apart_weight)?;
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--")
                && (*i == 0 || !(args[i - 1].starts_with("--apart") || args[i - 1] == "--kinds"))
        })
        .map(|(_, a)| a)
        .collect();
    let [language, corpus, out] = positional.as_slice() else {
        return Err(
            "usage: train LANG CORPUS.jsonl[,MORE.jsonl] OUT.bin [--no-rules] [--with-others] [--apart DIR[:SPLITS[:WEIGHT]]]..."
                .into(),
        );
    };
    let mut examples: Vec<Example> = Vec::new();
    for file in corpus.split(',') {
        for line in std::fs::read_to_string(PathBuf::from(file))?.lines() {
            if !line.trim().is_empty() {
                examples.push(serde_json::from_str(line)?);
            }
        }
    }
    for (index, source) in sources.iter().enumerate() {
        // Mentions in a language without a lexicon (a few Dutch or Spanish ones) are
        // `unknown` whatever the model says: nothing to learn from.
        examples.extend(
            apart_examples(source, index)?
                .into_iter()
                .filter(|e| ["pl", "en", "de", "uk"].contains(&e.language.as_str())),
        );
        eprintln!(
            "apart source {index}: {} splits {:?}, weight {}",
            source.dir.display(),
            source.splits,
            source.weight
        );
    }
    // The target language's examples first; with `--with-others` the other languages'
    // follow (they teach the language-independent weights: rules, emoji, the brand).
    examples.sort_by_key(|e| e.language != **language);
    if !with_others {
        examples.retain(|e| e.language == **language);
    }
    let own = examples.iter().filter(|e| e.language == **language).count();
    if own == 0 {
        return Err(format!("no `{language}` examples in {corpus}").into());
    }
    let gold: Vec<usize> = examples
        .iter()
        .map(|e| match e.sentiment {
            Polarity::Negative => Ok(model::NEGATIVE),
            Polarity::Neutral => Ok(model::NEUTRAL),
            Polarity::Positive => Ok(model::POSITIVE),
            Polarity::Unknown => Err(format!("`unknown` label in {}", e.group)),
        })
        .collect::<Result<_, _>>()?;
    // Folds by group: a hash of the group's name and the repetition, so that a dev
    // example's fold does not move when the corpus grows, and the CV figure is the mean
    // of REPEATS differently-split runs (one 5-fold split of ~100 dev posts varies by
    // several points of macro recall on its own).
    let folds = 5;
    let groups: HashSet<&str> = examples.iter().map(|e| e.group.as_str()).collect();
    let fold_of = |e: &Example, repeat: u64| -> usize {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&(repeat, e.group.as_str()), &mut h);
        (std::hash::Hasher::finish(&h) % folds as u64) as usize
    };
    eprintln!(
        "{} `{language}` examples from {} groups; negative {}, neutral {}, positive {}",
        examples.len(),
        groups.len(),
        gold.iter().filter(|&&g| g == 0).count(),
        gold.iter().filter(|&&g| g == 1).count(),
        gold.iter().filter(|&&g| g == 2).count()
    );
    let copies = |e: &Example| e.weight;
    let rules = Analyzer::rules_only();
    let extra = if no_rules { flags::NO_RULES } else { 0 };
    let base = TrainParams {
        bits: 16,
        ..TrainParams::default()
    };
    // `--kinds 0x2,0x3`: the feature kinds to try (default: the three below).
    let kinds: Vec<u32> = match args.iter().position(|a| a == "--kinds") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--kinds needs HEX,HEX")?
            .split(',')
            .map(|k| u32::from_str_radix(k.trim_start_matches("0x"), 16))
            .collect::<Result<_, _>>()?,
        None => vec![
            flags::BRAND_PLACEHOLDER,
            flags::BRAND_PLACEHOLDER | flags::PREFIXES,
            flags::BRAND_PLACEHOLDER | flags::PREFIXES | flags::CHAR_TRIGRAMS,
        ],
    };
    let mut grid = Vec::new();
    for kind in kinds {
        for (epochs, learning_rate, l2) in [
            (5, 0.1, 1e-5),
            (10, 0.1, 1e-5),
            (10, 0.05, 1e-4),
            (20, 0.05, 1e-4),
        ] {
            grid.push(TrainParams {
                flags: kind | extra,
                epochs,
                learning_rate,
                l2,
                ..base
            });
        }
    }
    let mut best: Option<(TrainParams, f32)> = None;
    for params in grid {
        let features = featurise(&rules, &examples, params)?;
        let (mut corpus, mut dev) = (0.0, None::<f32>);
        let mut per_source = vec![0.0f32; sources.len()];
        // The complaint flag as `Analyzer` sets it (negative and the rules' complaint
        // marker), on the out-of-fold predictions: true positives, flagged, gold.
        let mut complaint = [0usize; 3];
        for repeat in 0..REPEATS {
            let fold: Vec<usize> = examples.iter().map(|e| fold_of(e, repeat)).collect();
            let logits = cv_logits(&examples, &features, &gold, &fold, folds, params);
            // Scored on the target language's examples only: the corpus's, and the
            // apart files' when given (which then choose), pooled and per directory.
            let recall_of = |keep: &dyn Fn(&Example) -> bool| {
                let (p, g): (Vec<usize>, Vec<usize>) = (0..own)
                    .filter(|&i| keep(&examples[i]))
                    .map(|i| (argmax(&logits[i]), gold[i]))
                    .unzip();
                (!g.is_empty()).then(|| model::macro_recall(&p, &g))
            };
            corpus += recall_of(&|e| !e.apart).unwrap_or(0.0) / REPEATS as f32;
            if let Some(d) = recall_of(&|e| e.apart) {
                dev = Some(dev.unwrap_or(0.0) + d / REPEATS as f32);
            }
            for i in (0..own).filter(|&i| examples[i].apart) {
                let flagged = argmax(&logits[i]) == model::NEGATIVE
                    && has_complaint_marker(&features[i], params.bits);
                complaint[0] += usize::from(flagged && examples[i].complaint);
                complaint[1] += usize::from(flagged);
                complaint[2] += usize::from(examples[i].complaint);
            }
            for (k, r) in per_source.iter_mut().enumerate() {
                *r += recall_of(&|e| e.apart && e.source == k).unwrap_or(0.0) / REPEATS as f32;
            }
        }
        let by_source: Vec<String> = sources
            .iter()
            .zip(&per_source)
            .map(|(s, r)| format!("{} {r:.4}", s.name()))
            .collect();
        eprintln!(
            "flags {:#x} epochs {} lr {} l2 {:e}: CV macro recall corpus {corpus:.4}, apart pooled {} ({}); complaint P {:.3} R {:.3}",
            params.flags,
            params.epochs,
            params.learning_rate,
            params.l2,
            dev.map_or("-".to_string(), |d| format!("{d:.4}")),
            by_source.join(", "),
            complaint[0] as f32 / complaint[1].max(1) as f32,
            complaint[0] as f32 / complaint[2].max(1) as f32,
        );
        let score = dev.unwrap_or(corpus);
        if best.as_ref().is_none_or(|b| score > b.1) {
            best = Some((params, score));
        }
    }
    let (params, recall) = best.expect("a grid point");
    eprintln!(
        "chosen: flags {:#x} epochs {} lr {} l2 {:e} (CV {recall:.4})",
        params.flags, params.epochs, params.learning_rate, params.l2
    );
    let features = featurise(&rules, &examples, params)?;
    // `TRAIN_DUMP=FILE`: the chosen point's out-of-fold answers on the target language's
    // apart examples (first split), one JSON line each, to read the errors by.
    if let Ok(path) = std::env::var("TRAIN_DUMP") {
        let fold: Vec<usize> = examples.iter().map(|e| fold_of(e, 0)).collect();
        let logits = cv_logits(&examples, &features, &gold, &fold, folds, params);
        let mut out = String::new();
        for i in (0..own).filter(|&i| examples[i].apart) {
            let e = &examples[i];
            let predicted = ["negative", "neutral", "positive"][argmax(&logits[i])];
            let line = serde_json::json!({
                "source": sources[e.source].name(),
                "gold": e.sentiment,
                "predicted": predicted,
                "complaint": e.complaint,
                "source_type": e.source_type,
                "marker": has_complaint_marker(&features[i], params.bits),
                "text": e.text,
            });
            out += &format!("{line}\n");
        }
        std::fs::write(&path, out)?;
        eprintln!("wrote out-of-fold answers to {path}");
    }
    // Class offsets for macro recall (`--offsets`): tuned on the chosen point's
    // cross-validated logits of the target language's apart examples. Their worth is
    // measured nested (offsets tuned on four folds' logits, applied to the fifth), and
    // they ship only when that beats no offsets by a point.
    let mut offsets = [0.0f32; 3];
    if args.iter().any(|a| a == "--offsets") {
        let (mut raw, mut nested) = (0.0, 0.0);
        let mut pooled_logits = Vec::new();
        let mut pooled_gold = Vec::new();
        for repeat in 0..REPEATS {
            let fold: Vec<usize> = examples.iter().map(|e| fold_of(e, repeat)).collect();
            let logits = cv_logits(&examples, &features, &gold, &fold, folds, params);
            let scored: Vec<usize> = (0..own).filter(|&i| examples[i].apart).collect();
            let mut predicted = vec![0; scored.len()];
            for f in 0..folds {
                let (tl, tg): (Vec<[f32; 3]>, Vec<usize>) = scored
                    .iter()
                    .filter(|&&i| fold[i] != f)
                    .map(|&i| (logits[i], gold[i]))
                    .unzip();
                let o = model::tune_offsets(&tl, &tg);
                for (k, &i) in scored.iter().enumerate() {
                    if fold[i] == f {
                        predicted[k] = argmax_with(&logits[i], o);
                    }
                }
            }
            let g: Vec<usize> = scored.iter().map(|&i| gold[i]).collect();
            let p0: Vec<usize> = scored.iter().map(|&i| argmax(&logits[i])).collect();
            raw += model::macro_recall(&p0, &g) / REPEATS as f32;
            nested += model::macro_recall(&predicted, &g) / REPEATS as f32;
            pooled_logits.extend(scored.iter().map(|&i| logits[i]));
            pooled_gold.extend(g);
        }
        let tuned = model::tune_offsets(&pooled_logits, &pooled_gold);
        eprintln!(
            "offsets: CV without {raw:.4}, nested CV with {nested:.4}; tuned on all folds {tuned:?}"
        );
        // A point of macro recall at least: smaller gains are within the noise of
        // ~400 examples, and offsets fitted to noise cost on new data.
        if nested > raw + 0.01 {
            offsets = tuned;
        }
    }
    let all: Vec<(Features, usize)> = (0..examples.len())
        .flat_map(|i| std::iter::repeat_n(i, copies(&examples[i])))
        .map(|i| (features[i].clone(), gold[i]))
        .collect();
    let mut m = averaged(&all, params);
    // Offsets only from the apart examples (`--offsets`): the corpus's class mix and its
    // easy neutrals (support replies written to be neutral) are not real traffic's.
    m.offsets = offsets;
    let bytes = m.to_bytes();
    std::fs::write(out.as_str(), &bytes)?;
    eprintln!("wrote {out} ({} bytes)", bytes.len());
    Ok(())
}

/// Out-of-fold logits of every example: for each fold, a model trained on the other
/// folds (each example repeated by its weight) scores the fold's examples.
fn cv_logits(
    examples: &[Example],
    features: &[Features],
    gold: &[usize],
    fold: &[usize],
    folds: usize,
    params: TrainParams,
) -> Vec<[f32; 3]> {
    let mut logits = vec![[0f32; 3]; examples.len()];
    for f in 0..folds {
        let train: Vec<(Features, usize)> = (0..examples.len())
            .filter(|&i| fold[i] != f)
            .flat_map(|i| std::iter::repeat_n(i, examples[i].weight))
            .map(|i| (features[i].clone(), gold[i]))
            .collect();
        let m = averaged(&train, params);
        for i in (0..examples.len()).filter(|&i| fold[i] == f) {
            logits[i] = m.logits(&features[i]);
        }
    }
    logits
}

/// Seeds averaged per model: one shuffle order's luck would otherwise decide a few
/// borderline posts (and the CV figure) differently from run to run.
const SEEDS: u64 = 5;

/// Differently-split cross-validation runs averaged per grid point.
const REPEATS: u64 = 3;

/// The weights of [`SEEDS`] models trained in different example orders, averaged (the
/// models are linear, so this averages their logits).
fn averaged(examples: &[(Features, usize)], params: TrainParams) -> model::Model {
    let mut sum = model::train(examples, TrainParams { seed: 1, ..params });
    for seed in 2..=SEEDS {
        let m = model::train(examples, TrainParams { seed, ..params });
        for (w, v) in sum.weights.iter_mut().zip(&m.weights) {
            for c in 0..3 {
                w[c] += v[c];
            }
        }
        for c in 0..3 {
            sum.bias[c] += m.bias[c];
        }
    }
    let k = SEEDS as f32;
    for w in &mut sum.weights {
        for v in w.iter_mut() {
            *v /= k;
        }
    }
    for b in &mut sum.bias {
        *b /= k;
    }
    sum
}

fn featurise(
    rules: &Analyzer,
    examples: &[Example],
    params: TrainParams,
) -> Result<Vec<Features>, String> {
    examples
        .iter()
        .map(|e| {
            let spans: Vec<Range<usize>> = e.spans.iter().map(|&[s, t]| s..t).collect();
            if spans
                .iter()
                .any(|s| s.end > e.text.len() || !e.text.is_char_boundary(s.start))
            {
                return Err(format!("bad span in {}", e.group));
            }
            rules
                .features(&e.text, &e.language, &spans, params.bits, params.flags)
                .ok_or_else(|| format!("no lexicon for `{}`", e.language))
        })
        .collect()
}

/// Whether the rules found a complaint marker: the dense feature `model::features`
/// writes for it (the seventh), present only when set.
fn has_complaint_marker(features: &Features, bits: u32) -> bool {
    let marker = (1u32 << bits) + 6;
    features.iter().any(|&(k, v)| k == marker && v != 0.0)
}

fn argmax_with(z: &[f32; 3], o: [f32; 3]) -> usize {
    (0..3)
        .max_by(|&a, &b| (z[a] + o[a]).total_cmp(&(z[b] + o[b])))
        .expect("3")
}

fn argmax(z: &[f32; 3]) -> usize {
    (0..3).max_by(|&a, &b| z[a].total_cmp(&z[b])).expect("3")
}
