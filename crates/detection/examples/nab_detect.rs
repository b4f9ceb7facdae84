//! `nab_detect detect-series --input F --output G`: the scoring half of
//! `earshot detect-series` without the rest of the `earshot` binary (Kafka,
//! ClickHouse), so the NAB scorer (`../shared/nab-dev/score.sh`) can be run against
//! the detector after a build of this crate alone. Same CLI contract and output
//! format (`timestamp,value,anomaly_score,label`), same library code as the default
//! `--kind value`: the score is [`Scored::score`](earshot_detection::Scored) of
//! [`Detector::push_value`](earshot_detection::Detector::push_value), the label marks
//! alert starts.

use std::io::{BufRead, BufReader, BufWriter, Write};

use anyhow::Context;
use earshot_detection::{Detector, DetectorConfig};

fn flag<'a>(args: &'a [String], name: &str) -> anyhow::Result<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
        .with_context(|| format!("missing {name}"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let input = flag(&args, "--input")?;
    let output = flag(&args, "--output")?;
    let mut detector = Detector::new(DetectorConfig::default())?;
    let reader = BufReader::new(std::fs::File::open(input).context("open input")?);
    let mut writer = BufWriter::new(std::fs::File::create(output).context("create output")?);
    writeln!(writer, "timestamp,value,anomaly_score,label")?;
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        if index == 0 || line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, ',');
        let raw_time = fields.next().unwrap_or("").trim_matches('"');
        let raw_value = fields.next().unwrap_or("").trim().trim_matches('"');
        let t = chrono::NaiveDateTime::parse_from_str(raw_time, "%Y-%m-%d %H:%M:%S")
            .with_context(|| format!("line {}: timestamp {raw_time:?}", index + 1))?
            .and_utc()
            .timestamp();
        let value = raw_value.parse::<f64>().ok().filter(|v| v.is_finite());
        let scored = detector.push_value(t, value);
        writeln!(
            writer,
            "{raw_time},{raw_value},{:.6},{}",
            scored.score,
            u8::from(scored.alert)
        )?;
    }
    writer.flush()?;
    Ok(())
}
