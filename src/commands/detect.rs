//! `earshot detect`: the shift-alert service, one run of it, or a replay of history.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, Utc};
use earshot_alerts::{AlertService, ReplayLine};
use earshot_kafka::PIPELINE_TOPICS;
use earshot_model::topics;
use earshot_storage::Store;

use crate::settings::Settings;
use crate::telemetry;

/// Detect preference shifts in the rollups and deliver alerts (Kafka `alerts`, the
/// ClickHouse `alerts` table, `[[detect.webhooks]]`).
#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Run once and exit, instead of every `detect.interval_secs` (for cron and tests).
    #[arg(long, conflicts_with = "from")]
    pub once: bool,
    /// Replay history from this time (RFC 3339 or unix seconds) and print, one JSON
    /// object a line, the alerts that would have fired; backfilled mentions count.
    #[arg(long, requires = "to", value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// End of the replay (exclusive).
    #[arg(long, requires = "from", value_parser = parse_time)]
    pub to: Option<DateTime<Utc>>,
    /// With --from/--to: also deliver the alerts not delivered before.
    #[arg(long, requires = "from")]
    pub deliver: bool,
}

fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(secs) = raw.parse::<i64>() {
        return DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("`{raw}` is out of range"));
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{raw}` is neither unix seconds nor RFC 3339 ({e})"))
}

pub async fn run(args: &DetectArgs, settings: &Settings) -> anyhow::Result<()> {
    settings.detect.validate()?;
    let store = Store::new(&settings.clickhouse)?;
    store
        .migrate()
        .await
        .context("preparing the ClickHouse schema")?;
    let brands = settings.brands.iter().map(|b| b.name.clone()).collect();
    let delivers = args.from.is_none() || args.deliver;
    if delivers {
        let alerts_topic: Vec<_> = PIPELINE_TOPICS
            .iter()
            .filter(|t| t.name == topics::ALERTS)
            .copied()
            .collect();
        settings.kafka.ensure_topics(&alerts_topic).await?;
    }
    let service = AlertService::new(settings.detect.clone(), brands, &settings.kafka, store)?;
    if let (Some(from), Some(to)) = (args.from, args.to) {
        let report = service.replay(from, to, args.deliver).await?;
        let mut out = std::io::stdout().lock();
        for (alert, verdict) in &report.alerts {
            let line = ReplayLine {
                alert,
                replay_status: verdict.as_str(),
            };
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        }
        out.flush()?;
        let new = report.new_alerts().count();
        eprintln!(
            "replayed {} series from {from} to {to}: {} alerts, {new} not raised before{}",
            report.series,
            report.alerts.len(),
            if args.deliver { " (delivered now)" } else { "" }
        );
        return Ok(());
    }
    if args.once {
        let report = service.run_once(Utc::now()).await?;
        println!(
            "scored {} series: {} alerts found, {} raised",
            report.series,
            report.alerts.len(),
            report.new_alerts().count()
        );
        return Ok(());
    }
    telemetry::serve_metrics(&settings.detect.metrics_listen)?;
    service.run(telemetry::shutdown_signal()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_are_unix_seconds_or_rfc3339() {
        let t = parse_time("1700000000").map(|t| t.timestamp());
        assert_eq!(t, Ok(1_700_000_000));
        let t = parse_time("2023-11-14T23:13:20+01:00").map(|t| t.timestamp());
        assert_eq!(t, Ok(1_700_000_000));
        assert!(parse_time("yesterday").is_err());
    }
}
