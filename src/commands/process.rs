use std::sync::Arc;
use std::time::Duration;

use earshot_enrichment::Enricher;
use earshot_kafka::PIPELINE_TOPICS;
use earshot_processor::{Health, Processor, StopWhen};
use earshot_runtime::{Backoff, InternalEvent, retry_until_ok};
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

/// How long the processor waits between tries of a dependency that is not up yet.
const WAIT_FOR_DEPENDENCY: Backoff =
    Backoff::new(Duration::from_millis(250), Duration::from_secs(10));

/// Retries `attempt` under [`WAIT_FOR_DEPENDENCY`] until it succeeds, reporting each
/// failure; an error that `transient` says retrying cannot fix is returned at once.
async fn retry_until_ready<T, E, F, Fut>(
    what: &'static str,
    attempt: F,
    transient: impl Fn(&E) -> bool,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    retry_until_ok(WAIT_FOR_DEPENDENCY, attempt, transient, |error, wait| {
        DependencyNotReady {
            what,
            error: error.to_string(),
            retry_in: wait,
        }
        .emit()
    })
    .await
}

/// A dependency (ClickHouse, Kafka) refused the processor's start-up step.
#[derive(Debug)]
struct DependencyNotReady {
    what: &'static str,
    error: String,
    retry_in: Duration,
}

impl InternalEvent for DependencyNotReady {
    fn handle(self) {
        tracing::warn!(error = %self.error, retry_in_ms = self.retry_in.as_millis() as u64,
            "{} not ready; waiting", self.what);
    }
}
