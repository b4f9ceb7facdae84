use std::sync::Arc;
use std::time::Duration;

use earshot_enrichment::Enricher;
use earshot_kafka::PIPELINE_TOPICS;
use earshot_processor::{Health, Processor, StopWhen};
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
    // Served from the start: while the processor waits for ClickHouse or Kafka, its
    // metrics show why and `/ready` says it is not ready.
    let health = Health::default();
    let probe = health.clone();
    telemetry::serve_metrics_and_readiness(&settings.processor.metrics_listen, move || {
        let readiness = probe.readiness();
        (readiness.ready, readiness.detail)
    })?;
    let enricher = Arc::new(Enricher::new(&settings.brands, &settings.enrichment)?);
    let store = Store::new(&settings.clickhouse)?;
    // A processor started before its dependencies waits for them instead of failing;
    // a schema the server rejects is not something waiting fixes.
    retry_until_ready(
        "ClickHouse schema",
        || store.migrate(),
        |e| e.is_transient(),
    )
    .await?;
    retry_until_ready(
        "Kafka topics",
        || settings.kafka.ensure_topics(PIPELINE_TOPICS),
        |_| true,
    )
    .await?;
    let processor = Processor::new(
        settings.processor.clone(),
        settings.kafka.clone(),
        store,
        enricher,
    )?
    .with_health(health);
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

/// Retries `attempt` with capped backoff until it succeeds, logging each failure; an
/// error that `transient` says retrying cannot fix is returned at once.
async fn retry_until_ready<T, E, F, Fut>(
    what: &str,
    mut attempt: F,
    transient: impl Fn(&E) -> bool,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut wait = Duration::from_millis(250);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) if !transient(&error) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "{what} not ready; waiting");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}
