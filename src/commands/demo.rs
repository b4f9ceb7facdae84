//! `earshot demo`: the whole pipeline on the bundled sample, with no internet. A local
//! server replays recorded Mastodon statuses in the API's own shape, so the real
//! collector, Kafka, the processor and ClickHouse all do their real work.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use earshot_collectors::{RunMode, RunOptions};
use earshot_enrichment::Enricher;
use earshot_kafka::PIPELINE_TOPICS;
use earshot_model::Platform;
use earshot_processor::{Processor, StopWhen};
use earshot_replay::Dataset;
use earshot_storage::Store;

use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Recorded platform responses to replay (the file's folder names the platform).
    #[arg(long, default_value = "samples/mastodon/statuses.json")]
    pub data: Vec<PathBuf>,
}

pub async fn run(args: &DemoArgs, settings: &Settings) -> anyhow::Result<()> {
    let store = Store::new(&settings.clickhouse)?;
    store
        .migrate()
        .await
        .context("preparing ClickHouse (is the stack up? run deploy/local/up.sh)")?;
    settings
        .kafka
        .ensure_topics(PIPELINE_TOPICS)
        .await
        .context("preparing Kafka topics (is the stack up? run deploy/local/up.sh)")?;

    let dataset = Dataset::from_files(&args.data).context("loading the sample data")?;
    let server = earshot_replay::start(dataset)
        .await
        .context("starting the replay server")?;
    println!(
        "1/3 replaying the sample as a Mastodon instance at {}",
        server.base_url()
    );

    let mut collectors = settings.collectors.clone();
    collectors.mastodon.instances = vec![server.base_url()];
    let options = RunOptions {
        mode: RunMode::Once,
        platforms: vec![Platform::Mastodon],
    };
    let collected = earshot_collectors::run(
        &collectors,
        &settings.brands,
        &settings.kafka,
        &options,
        std::future::pending(),
    )
    .await
    .context("collecting from the replay server")?;
    println!(
        "2/3 collected {} mentions ({} pages, {} hashtag jobs) into Kafka `{}`",
        collected.mentions(),
        collected.pages(),
        collected.jobs.len(),
        settings.kafka.topic(earshot_model::topics::MENTIONS_RAW)
    );

    let enricher = Arc::new(Enricher::new(&settings.brands, &settings.enrichment)?);
    let processor = Processor::new(
        settings.processor.clone(),
        settings.kafka.clone(),
        store.clone(),
        enricher,
    )?;
    let processed = processor
        .run(
            StopWhen::IdleFor(Duration::from_secs(3)),
            crate::telemetry::shutdown_signal(),
        )
        .await?;
    println!(
        "3/3 processed {} records into ClickHouse `{}`: {} mention rows, {} duplicates skipped, {} dead-lettered",
        processed.records,
        settings.clickhouse.database,
        processed.rows_written,
        processed.duplicates_skipped,
        processed.dead_lettered
    );

    print!(
        "{}",
        super::summary::render(&store, &settings.clickhouse.database).await?
    );
    let db = &settings.clickhouse.database;
    println!(
        "\nWhere to look next:\n  \
         clickhouse-client --query \"SELECT * FROM {db}.share_of_voice_daily\"\n  \
         clickhouse-client --query \"SELECT brand, cohort, mentions FROM {db}.cohort_mix_weekly ORDER BY brand, mentions DESC\"\n  \
         clickhouse-client --query \"SELECT brand, source_type, author_handle, substring(text, 1, 80) FROM {db}.mentions LIMIT 10\"\n  \
         The dashboard: EARSHOT_SERVE__READ_TOKEN=<a token of 16+ characters> earshot serve, then open http://127.0.0.1:8480/#token=<the token>\n    (deploy/local/demo.sh starts it for you).\n  \
         Point a BI tool (Grafana, Metabase, Superset) at {} and the `{db}` views.\n  \
         Running `earshot demo` again adds nothing: cursors and the dedup index remember what was seen.",
        settings.clickhouse.url
    );
    Ok(())
}
