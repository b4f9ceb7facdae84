use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use earshot_enrichment::Enricher;
use earshot_kafka::PIPELINE_TOPICS;
use earshot_processor::{Processor, StopWhen};
use earshot_storage::Store;

use crate::settings::Settings;
use crate::telemetry;

#[derive(Debug, clap::Args)]
pub struct ProcessArgs {
    /// Exit once no new record has arrived for this many seconds (for batch runs and
    /// the demo); by default the processor runs until SIGTERM or Ctrl-C.
    #[arg(long, value_name = "SECONDS")]
    pub exit_when_idle: Option<u64>,
}

pub async fn run(args: &ProcessArgs, settings: &Settings) -> anyhow::Result<()> {
    telemetry::serve_metrics(&settings.processor.metrics_listen)?;
    let store = Store::new(&settings.clickhouse)?;
    store
        .migrate()
        .await
        .context("preparing the ClickHouse schema")?;
    settings.kafka.ensure_topics(PIPELINE_TOPICS).await?;
    let enricher = Arc::new(Enricher::new(&settings.brands, &settings.enrichment)?);
    let processor = Processor::new(
        settings.processor.clone(),
        settings.kafka.clone(),
        store,
        enricher,
    )?;
    let stop = match args.exit_when_idle {
        Some(seconds) => StopWhen::IdleFor(Duration::from_secs(seconds)),
        None => StopWhen::Shutdown,
    };
    let report = processor.run(stop, telemetry::shutdown_signal()).await?;
    tracing::info!(
        records = report.records,
        rows_written = report.rows_written,
        duplicates_skipped = report.duplicates_skipped,
        dead_lettered = report.dead_lettered,
        batches = report.batches,
        "processor stopped"
    );
    println!(
        "processed {} records: {} mention rows written, {} duplicates skipped, {} dead-lettered",
        report.records, report.rows_written, report.duplicates_skipped, report.dead_lettered
    );
    Ok(())
}
