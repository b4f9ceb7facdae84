//! Scores the labelled set under `data/` with the default configuration and prints
//! precision, recall and detection delay per category, per seasonality and overall.
//!
//! `cargo run -p earshot-detection --example evaluate_detector --release`
//!
//! An alert is a true positive when it starts within `WINDOW` points after a labelled
//! change (at the change itself included); only the first alert in a window counts,
//! later ones in the same window are reported as duplicates. Any other alert is a
//! false positive. Set `DETECTOR_CONFIG` to a JSON `DetectorConfig` to try other
//! settings. `--holdout` scores the same recipes regenerated with other seeds
//! instead of the shipped files (the defaults were tuned on the shipped files).
//! `--young` starts every series with a change seven days before its first change,
//! as if the brand had just been added: inside the seasonal baseline's warm-up, so
//! only the anomaly ensemble can alert (series without a change are kept whole).

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use earshot_detection::{Detector, DetectorConfig};

#[path = "../tests/common/synth.rs"]
mod synth;

/// Points after a change within which an alert counts as detecting it.
const WINDOW: usize = 48;

#[derive(Default)]
struct Tally {
    series: usize,
    changes: usize,
    detected: usize,
    false_alerts: usize,
    duplicates: usize,
    quiet_series: usize,
    noisy_quiet_series: usize,
    delays: Vec<usize>,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.series += other.series;
        self.changes += other.changes;
        self.detected += other.detected;
        self.false_alerts += other.false_alerts;
        self.duplicates += other.duplicates;
        self.quiet_series += other.quiet_series;
        self.noisy_quiet_series += other.noisy_quiet_series;
        self.delays.extend_from_slice(&other.delays);
    }

    fn row(&self, name: &str) -> String {
        let ratio = |a: usize, b: usize| {
            if b == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", a as f64 / b as f64)
            }
        };
        let mut delays = self.delays.clone();
        delays.sort_unstable();
        let mean = if delays.is_empty() {
            "-".to_string()
        } else {
            format!(
                "{:.1}",
                delays.iter().sum::<usize>() as f64 / delays.len() as f64
            )
        };
        let median = delays
            .get(delays.len() / 2)
            .map_or("-".to_string(), |d| d.to_string());
        format!(
            "| {name:<18} | {:>6} | {:>7} | {:>9} | {:>6} | {:>12} | {:>10} | {:>10} | {:>12} | {:>14} | {:>16} |",
            self.series,
            self.changes,
            ratio(self.detected, self.detected + self.false_alerts),
            ratio(self.detected, self.changes),
            self.false_alerts,
            self.duplicates,
            mean,
            median,
            if self.quiet_series == 0 {
                "-".to_string()
            } else {
                format!(
                    "{}/{}",
                    self.quiet_series - self.noisy_quiet_series,
                    self.quiet_series
                )
            },
            ratio(
                self.detected,
                self.detected + self.false_alerts + self.duplicates
            ),
        )
    }
}

/// One point of a series: count, or numerator and denominator.
struct Row {
    t: i64,
    value: Option<f64>,
    denominator: Option<f64>,
    label: bool,
}

fn load(path: &Path, kind: &str) -> Result<Vec<Row>, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)?;
    let number = |s: &str| s.parse::<f64>().ok();
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (value, denominator, label) = if kind == "share" {
            (number(f[1]), Some(number(f[2]).unwrap_or(0.0)), f[3])
        } else {
            (number(f[1]), None, f[2])
        };
        rows.push(Row {
            t: f[0].parse()?,
            value,
            denominator,
            label: label == "1",
        });
    }
    Ok(rows)
}

fn evaluate(name: &str, rows: &[Row], cfg: &DetectorConfig) -> Result<Tally, Box<dyn Error>> {
    let mut detector = Detector::new(cfg.clone())?;
    let mut changes = Vec::new();
    let mut alerts = Vec::new();
    let mut components = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let scored = match row.denominator {
            Some(n) => detector.push_share(row.t, row.value.unwrap_or(0.0), n),
            None => detector.push_count(row.t, row.value),
        };
        if row.label {
            changes.push(index);
        }
        if scored.alert {
            alerts.push(index);
            components.push(scored.component.as_str());
        }
    }
    let mut tally = Tally {
        series: 1,
        changes: changes.len(),
        ..Tally::default()
    };
    let mut detected = vec![false; changes.len()];
    for &a in &alerts {
        // The latest change at or before the alert, if the alert falls in its window.
        match changes.iter().rposition(|&c| c <= a && a <= c + WINDOW) {
            Some(i) if !detected[i] => {
                detected[i] = true;
                tally.detected += 1;
                tally.delays.push(a - changes[i]);
            }
            Some(_) => tally.duplicates += 1,
            None => tally.false_alerts += 1,
        }
    }
    if changes.is_empty() {
        tally.quiet_series = 1;
        tally.noisy_quiet_series = usize::from(!alerts.is_empty());
    }
    if std::env::var_os("VERBOSE").is_some()
        && (std::env::var_os("VERBOSE_ALL").is_some()
            || tally.false_alerts > 0
            || tally.detected < tally.changes
            || tally.duplicates > 0)
    {
        eprintln!("{name}: changes {changes:?} alerts {alerts:?} by {components:?}");
    }
    Ok(tally)
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let cfg: DetectorConfig = match std::env::var("DETECTOR_CONFIG") {
        Ok(json) => serde_json::from_str(&json)?,
        Err(_) => DetectorConfig::default(),
    };
    let manifest = std::fs::read_to_string(dir.join("manifest.csv"))?;
    let mut by_category: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_season: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_noise: BTreeMap<String, Tally> = BTreeMap::new();
    let mut overall = Tally::default();
    let holdout = std::env::args().any(|a| a == "--holdout");
    let young = std::env::args().any(|a| a == "--young");
    let specs = synth::dataset();
    for (line, spec) in manifest.lines().skip(1).zip(&specs) {
        let f: Vec<&str> = line.split(',').collect();
        let (file, kind, category, season, noise) = (f[0], f[1], f[2], f[3], f[4]);
        let rows = if holdout {
            // Same recipes, fresh noise: figures on data the settings were not tuned on.
            let spec = synth::Spec {
                seed: spec.seed + 10_000,
                ..spec.clone()
            };
            synth::generate(&spec)
                .into_iter()
                .map(|p| Row {
                    t: p.t,
                    value: p.value,
                    denominator: p.denominator,
                    label: p.label,
                })
                .collect()
        } else {
            load(&dir.join(file), kind)?
        };
        let rows = if young {
            let step = rows.get(1).map_or(3600, |r| r.t - rows[0].t).max(1);
            let keep = usize::try_from(7 * 86_400 / step).unwrap_or(usize::MAX);
            let first_change = rows.iter().position(|r| r.label);
            let from = first_change.map_or(0, |c| c.saturating_sub(keep));
            rows.into_iter().skip(from).collect()
        } else {
            rows
        };
        let tally = evaluate(file, &rows, &cfg)?;
        by_category
            .entry(category.to_string())
            .or_default()
            .add(&tally);
        by_season.entry(season.to_string()).or_default().add(&tally);
        by_noise
            .entry(format!("{kind} noise {noise}"))
            .or_default()
            .add(&tally);
        overall.add(&tally);
    }
    let header = "| group              | series | changes | precision | recall | false alerts | duplicates | mean delay | median delay | quiet no-shift | strict precision |";
    let rule = "|--------------------|-------:|--------:|----------:|-------:|-------------:|-----------:|-----------:|-------------:|---------------:|-----------------:|";
    let source = match (holdout, young) {
        (true, false) => "hold-out regeneration (seeds + 10000)",
        (true, true) => {
            "hold-out regeneration (seeds + 10000), from 7 days before the first change"
        }
        (false, false) => "data/series",
        (false, true) => "data/series, from 7 days before the first change",
    };
    println!("Series: {source}. Window W = {WINDOW} points after each change; delays in points.\n");
    for (title, groups) in [
        ("category", &by_category),
        ("seasonality", &by_season),
        ("noise", &by_noise),
    ] {
        println!("By {title}:\n\n{header}\n{rule}");
        for (name, t) in groups {
            println!("{}", t.row(name));
        }
        println!();
    }
    println!("Overall:\n\n{header}\n{rule}\n{}", overall.row("all"));
    Ok(())
}
