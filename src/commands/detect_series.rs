//! `earshot detect-series`: score a `timestamp,value` CSV with the shift detector.
//!
//! Reads the format of public anomaly benchmarks (NAB, Yahoo S5): a header row, a
//! timestamp as unix seconds or ISO-8601 (`2014-04-01 00:00:00`,
//! `2014-04-01T00:00:00Z`), a value, and optionally more columns that are ignored.
//! Rows are processed strictly as a stream (read a row, score it, write it), so a
//! score never depends on later rows. The output is
//! `timestamp,value,anomaly_score,label`: `anomaly_score` is the detector's alert
//! score ([`earshot_detection::Scored::score`]) and `label` is 1 on the row where an
//! alert starts: the same detector, hysteresis and cooldown as `earshot detect`.
//! With `--kind value` (the default, what NAB measures) a row is any real
//! measurement and the anomaly ensemble alone scores it; with `--kind count` it is
//! a mention count, judged with its Poisson noise and the volume gate as
//! `earshot detect` judges a brand's volume.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use earshot_detection::{Detector, DetectorConfig, Seasonality, series_csv};

/// What the values of a series are, which decides how their noise is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValueKind {
    /// Any real measurement: the anomaly ensemble alone, no sampling model.
    Value,
    /// Mention counts: Poisson noise, the volume gate and the seasonal baseline too.
    Count,
}

/// Score a `timestamp,value` CSV and write `timestamp,value,anomaly_score,label`.
#[derive(Debug, clap::Args)]
pub struct DetectSeriesArgs {
    /// Input CSV: header row, then `timestamp,value[,...]`.
    #[arg(long)]
    pub input: PathBuf,
    /// Output CSV.
    #[arg(long)]
    pub output: PathBuf,
    /// What the values are: `value` (any measurement) or `count` (mentions).
    #[arg(long, value_enum, default_value = "value")]
    pub kind: ValueKind,
    /// Spacing of points in seconds; inferred from the timestamps if not given.
    #[arg(long)]
    pub step: Option<u32>,
    /// Seasonal profiles to learn: none, daily, weekly, both, auto.
    #[arg(long, default_value = "auto", value_parser = parse_seasonality)]
    pub seasonality: Seasonality,
    /// Points learned before alerts may fire (default: from the seasonality).
    #[arg(long)]
    pub warmup: Option<u32>,
    /// Minimum volume (mentions) behind an alert; counts only.
    #[arg(long)]
    pub min_volume: Option<f64>,
    /// Score at which an alert starts, in (0, 1).
    #[arg(long)]
    pub enter_score: Option<f64>,
    /// Score below which an alert ends, in (0, enter-score].
    #[arg(long)]
    pub exit_score: Option<f64>,
    /// Points after an alert during which no new alert starts.
    #[arg(long)]
    pub cooldown: Option<u32>,
}

fn parse_seasonality(s: &str) -> Result<Seasonality, String> {
    match s.to_ascii_lowercase().as_str() {
        "none" => Ok(Seasonality::None),
        "daily" => Ok(Seasonality::Daily),
        "weekly" => Ok(Seasonality::Weekly),
        "both" | "daily_and_weekly" => Ok(Seasonality::DailyAndWeekly),
        "auto" => Ok(Seasonality::Auto),
        other => Err(format!(
            "unknown seasonality `{other}` (expected none, daily, weekly, both or auto)"
        )),
    }
}

impl DetectSeriesArgs {
    fn config(&self) -> DetectorConfig {
        let defaults = DetectorConfig::default();
        DetectorConfig {
            step_secs: self.step,
            seasonality: self.seasonality,
            warmup_points: self.warmup,
            min_volume: self.min_volume.unwrap_or(defaults.min_volume),
            enter_score: self.enter_score.unwrap_or(defaults.enter_score),
            exit_score: self.exit_score.unwrap_or(defaults.exit_score),
            cooldown_points: self.cooldown.unwrap_or(defaults.cooldown_points),
            ..defaults
        }
    }
}

/// Runs the command.
pub fn run(args: &DetectSeriesArgs) -> anyhow::Result<()> {
    let mut detector = Detector::new(args.config()).context("invalid detector settings")?;
    let input =
        File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let output = File::create(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let mut writer = BufWriter::new(output);
    let alerts = score_stream(BufReader::new(input), &mut writer, &mut detector, args.kind)
        .with_context(|| format!("while scoring {}", args.input.display()))?;
    writer
        .flush()
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "scored {} -> {} ({alerts} alerts)",
        args.input.display(),
        args.output.display()
    );
    Ok(())
}

/// Scores every data row of `reader` in order, writing one output row per input
/// row as soon as it is scored. Returns the number of alerts.
fn score_stream(
    reader: impl BufRead,
    writer: &mut impl Write,
    detector: &mut Detector,
    kind: ValueKind,
) -> anyhow::Result<u64> {
    writeln!(writer, "timestamp,value,anomaly_score,label")?;
    let mut alerts = 0;
    for row in series_csv::rows(reader) {
        let row = row?;
        let scored = match kind {
            ValueKind::Value => detector.push_value(row.timestamp, row.value),
            ValueKind::Count => detector.push_count(row.timestamp, row.value),
        };
        alerts += u64::from(scored.alert);
        writeln!(
            writer,
            "{},{},{:.6},{}",
            quote_if_needed(&row.raw_timestamp),
            row.raw_value,
            scored.score,
            u8::from(scored.alert)
        )
        .with_context(|| format!("line {}: cannot write output", row.line))?;
    }
    Ok(alerts)
}

fn quote_if_needed(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        let cfg = DetectorConfig {
            warmup_points: Some(48),
            ..DetectorConfig::default()
        };
        Detector::new(cfg).unwrap_or_else(|e| panic!("{e}"))
    }

    fn score(input: &str) -> anyhow::Result<(String, u64)> {
        score_as(input, ValueKind::Count)
    }

    fn score_as(input: &str, kind: ValueKind) -> anyhow::Result<(String, u64)> {
        let mut out = Vec::new();
        let alerts = score_stream(input.as_bytes(), &mut out, &mut detector(), kind)?;
        Ok((String::from_utf8(out)?, alerts))
    }

    #[test]
    fn plain_values_score_and_alert_from_the_ensemble() -> anyhow::Result<()> {
        // A value series (negative, no mentions behind it): 400 quiet points, then
        // one far off. Only the ensemble can see it, and the alert is its row.
        let mut csv = String::from("timestamp,value\n");
        for i in 0..420_i64 {
            let value = if i == 400 {
                9.5
            } else {
                -2.0 + 0.01 * ((i * 7) % 11) as f64
            };
            csv.push_str(&format!("{},{value}\n", 1_396_310_400 + i * 300));
        }
        let (out, alerts) = score_as(&csv, ValueKind::Value)?;
        let rows: Vec<&str> = out.lines().collect();
        assert_eq!(alerts, 1);
        assert!(rows[401].ends_with(",1"), "{}", rows[401]);
        let score: f64 = rows[401].split(',').nth(2).unwrap_or("").parse()?;
        assert!(score >= 0.5, "{}", rows[401]);
        Ok(())
    }

    #[test]
    fn parses_timestamps_in_common_formats() {
        let t = 1_396_310_400; // 2014-04-01T00:00:00Z
        assert_eq!(series_csv::parse_timestamp("1396310400"), Some(t));
        assert_eq!(series_csv::parse_timestamp("1396310400.0"), Some(t));
        assert_eq!(series_csv::parse_timestamp("2014-04-01 00:00:00"), Some(t));
        assert_eq!(series_csv::parse_timestamp("2014-04-01T00:00:00"), Some(t));
        assert_eq!(series_csv::parse_timestamp("2014-04-01T00:00:00Z"), Some(t));
        assert_eq!(
            series_csv::parse_timestamp("2014-04-01T02:00:00+02:00"),
            Some(t)
        );
        assert_eq!(series_csv::parse_timestamp("2014-04-01 00:00"), Some(t));
        assert_eq!(series_csv::parse_timestamp("2014-04-01"), Some(t));
        assert_eq!(series_csv::parse_timestamp("timestamp"), None);
        assert_eq!(series_csv::parse_timestamp("2014-13-01 00:00:00"), None);
    }

    #[test]
    fn splits_quoted_fields() {
        use series_csv::split_row;
        assert_eq!(split_row("a,b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(
            split_row("\"2014-04-01 00:00:00\",\"1,5\""),
            Some(vec!["2014-04-01 00:00:00".into(), "1,5".into()])
        );
        assert_eq!(
            split_row("\"say \"\"hi\"\"\",2"),
            Some(vec!["say \"hi\"".into(), "2".into()])
        );
        assert_eq!(split_row("x,"), Some(vec!["x".into(), String::new()]));
        assert!(split_row("\"open,1").is_none());
    }

    #[test]
    fn writes_one_row_per_input_row_and_flags_a_shift() -> anyhow::Result<()> {
        let mut csv = String::from("timestamp,value\n");
        for i in 0..300_i64 {
            let value = if i < 200 { 100 + (i * 7) % 11 } else { 250 };
            csv.push_str(&format!("{},{value}\n", 1_396_310_400 + i * 300));
        }
        let (out, alerts) = score(&csv)?;
        let rows: Vec<&str> = out.lines().collect();
        assert_eq!(rows[0], "timestamp,value,anomaly_score,label");
        assert_eq!(rows.len(), 301);
        assert_eq!(alerts, 1);
        let alert_row = rows.iter().position(|r| r.ends_with(",1")).unwrap_or(0);
        // Row 201 holds point 200, the first of the new level.
        assert!((201..=204).contains(&alert_row), "alert on row {alert_row}");
        Ok(())
    }

    #[test]
    fn keeps_iso_timestamps_and_missing_values() -> anyhow::Result<()> {
        let csv = "\"timestamp\",\"value\"\n\"2014-04-01 00:00:00\",\"5\"\n2014-04-01 00:05:00,\n";
        let (out, _) = score(csv)?;
        assert_eq!(
            out,
            "timestamp,value,anomaly_score,label\n2014-04-01 00:00:00,5,0.000000,0\n2014-04-01 00:05:00,,0.000000,0\n"
        );
        Ok(())
    }

    #[test]
    fn bad_rows_name_their_line() {
        let err = score("timestamp,value\n1,2\nyesterday,3\n").err();
        assert!(err.is_some_and(|e| e.to_string().contains("line 3")));
        let err = score("timestamp,value\n1,2\n2,abc\n").err();
        assert!(err.is_some_and(|e| format!("{e:#}").contains("line 3")));
        let err = score("1\n").err();
        assert!(err.is_some_and(|e| e.to_string().contains("line 1")));
    }

    #[test]
    fn rejects_unknown_seasonality() {
        assert_eq!(parse_seasonality("Both"), Ok(Seasonality::DailyAndWeekly));
        assert!(parse_seasonality("hourly").is_err());
    }
}
