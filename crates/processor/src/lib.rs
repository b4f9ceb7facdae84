//! `earshot process`: consumes `mentions.raw`, tags each mention, and writes batches
//! to ClickHouse so that the stored result equals the truth after any crash,
//! restart, rebalance or redelivery.
//!
//! Three stages, like Vector's source / transform / sink, joined by bounded channels:
//! - the [source](source) owns the consumer, its rebalances and pauses, and sends
//!   chunks of records (and revoke markers) in consumption order;
//! - the [transform](transform) (decode, admit, enrich, rows: pure) runs chunks on the
//!   blocking pool, one per core at a time, and passes them on in the same order;
//! - the [writer](writer), one per processor, batches them and per batch: produces
//!   dead letters and awaits their delivery; drops mentions already stored (asking
//!   ClickHouse's `mention_ids`); inserts the rest and recomputes every rollup bucket
//!   the batch touches from the deduplicated mentions; and only then commits offsets.
//!
//! While the writer writes one batch, the next one fills (the source and the
//! transform go on); once it is full too, the channels fill and the source pauses its
//! partitions (and keeps polling, so the group keeps it). A crash before the commit redelivers the batch; the dedup lookup skips
//! its stored mentions and the recompute replaces its buckets, so the repeat changes
//! nothing. A mention id is the Kafka key, so all copies of a mention meet on one
//! partition and one processor.

mod admit;
mod batch;
mod config;
mod context;
mod health;
mod internal_events;
mod rows;
mod source;
mod transform;
pub mod writer;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use earshot_enrichment::Enricher;
use earshot_kafka::KafkaConfig;
use earshot_model::topics;
use earshot_storage::Store;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use tokio::sync::mpsc;

pub use batch::{Batch, DeadLetter};
pub use config::{ConfigError, MAX_BATCH_ROWS, ProcessorConfig};
pub use context::ProcessorContext;
pub use health::{Health, Readiness};
pub use rows::{KafkaPosition, mention_rows};
pub use transform::{Outcome, TransformedRecord};
pub use writer::{
    DeadLetterSink, KafkaDeadLetters, KafkaOffsets, MentionStore, OffsetCommitter, Writer,
    WriterInput, WriterSettings,
};

use internal_events::*;
use source::SourceSettings;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Kafka(#[from] earshot_kafka::Error),
    #[error("could not subscribe to `{topic}`: {source}")]
    Subscribe {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("the processor's {stage} stopped: {source}")]
    Stage {
        stage: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
}

/// When the processor returns on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopWhen {
    /// Only on shutdown (the service).
    Shutdown,
    /// Also after this long with no new record and nothing pending (demo, batch jobs).
    IdleFor(Duration),
}

/// What one run did, for the caller's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub records: u64,
    pub rows_written: u64,
    pub duplicates_skipped: u64,
    pub dead_lettered: u64,
    pub batches: u64,
}

pub struct Processor {
    config: ProcessorConfig,
    kafka: KafkaConfig,
    store: Store,
    enricher: Arc<Enricher>,
    consumer: Arc<StreamConsumer<ProcessorContext>>,
    dead_letters: KafkaDeadLetters,
    raw_topic: String,
    health: Health,
}

impl Processor {
    pub fn new(
        config: ProcessorConfig,
        kafka: KafkaConfig,
        store: Store,
        enricher: Arc<Enricher>,
    ) -> Result<Self, Error> {
        let consumer = context::with_lag_statistics(&kafka)
            .consumer_with_context(&config.group_id, ProcessorContext::default())?;
        let raw_topic = kafka.topic(topics::MENTIONS_RAW);
        let dead_letters = KafkaDeadLetters {
            producer: kafka.producer()?,
            topic: kafka.topic(topics::MENTIONS_DLQ),
            source_topic: raw_topic.clone(),
        };
        consumer
            .subscribe(&[&raw_topic])
            .map_err(|source| Error::Subscribe {
                topic: raw_topic.clone(),
                source,
            })?;
        Ok(Self {
            config,
            kafka,
            store,
            enricher,
            consumer: Arc::new(consumer),
            dead_letters,
            raw_topic,
            health: Health::default(),
        })
    }

    /// Reports to `health` (see [`Health::readiness`]), which may have been serving
    /// probes since before the processor existed (not ready: no partitions yet).
    pub fn with_health(mut self, health: Health) -> Self {
        self.health = health;
        self
    }

    /// Runs until `shutdown` resolves or, with [`StopWhen::IdleFor`], until the topic
    /// has been quiet. On shutdown consumption stops and what is in the pipeline is
    /// written and committed if that takes at most `shutdown_grace_ms`; otherwise it is
    /// left uncommitted, for redelivery.
    pub async fn run(
        self,
        stop: StopWhen,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<RunReport, Error> {
        let grace = self.config.shutdown_grace();
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        tracing::info!(topic = %self.raw_topic, group = %self.config.group_id, brokers = %self.kafka.brokers, workers, "processor started");
        let writer = Writer {
            store: self.store,
            dead_letters: self.dead_letters,
            offsets: KafkaOffsets {
                consumer: self.consumer.clone(),
                topic: self.raw_topic.clone(),
            },
            settings: WriterSettings {
                max_batch_rows: self.config.max_batch_rows,
                max_batch_bytes: self.config.max_batch_bytes,
                max_batch_wait: self.config.max_batch_wait(),
                max_retry_backoff: self.config.max_retry_backoff(),
                idle: match stop {
                    StopWhen::Shutdown => None,
                    StopWhen::IdleFor(idle) => Some(idle),
                },
            },
            health: self.health.clone(),
            report: Arc::new(Mutex::new(RunReport::default())),
            pending_records: Arc::new(AtomicUsize::new(0)),
        };
        run_pipeline(
            &*self.consumer,
            &SourceSettings::default(),
            writer,
            self.enricher,
            workers,
            grace,
            &self.health,
            shutdown,
        )
        .await
    }
}

/// Runs source → transform → writer until `shutdown` (then drains within `grace`) or
/// until the writer stops on its own (idle). The source runs on the caller's task, the
/// transform and the writer on their own.
#[allow(clippy::too_many_arguments)]
async fn run_pipeline<S, D, C>(
    consumer: &impl source::RecordSource,
    source_settings: &SourceSettings,
    writer: Writer<S, D, C>,
    enricher: Arc<Enricher>,
    workers: usize,
    grace: Duration,
    health: &Health,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<RunReport, Error>
where
    S: MentionStore + 'static,
    D: DeadLetterSink + 'static,
    C: OffsetCommitter + 'static,
{
    let report = writer.report.clone();
    let pending_records = writer.pending_records.clone();
    // Bounded in chunks: with the batch, at most a few chunks per core are in memory.
    let (source_tx, source_rx) = mpsc::channel(workers * 2);
    let (writer_tx, writer_rx) = mpsc::channel(workers * 2);
    let mut writer_task = tokio::spawn(writer.run(writer_rx));
    let mut transform_task = tokio::spawn(transform::run_stage(
        enricher, source_rx, writer_tx, workers,
    ));
    // Boxed so that dropping it drops the future, and with it the channel's sender.
    let mut source = Box::pin(source::run_source(
        consumer,
        source_tx,
        source_settings,
        health,
    ));
    tokio::pin!(shutdown);
    let stopped = tokio::select! {
        biased;
        () = &mut shutdown => {
            tracing::info!(grace_ms = grace.as_millis() as u64, "shutting down: draining the pipeline");
            Stopped::Drain
        }
        joined = &mut writer_task => Stopped::Writer(joined),
        // The source returns only once the pipeline behind it stopped.
        () = &mut source => Stopped::Drain,
    };
    // Dropping the source closes the pipeline: the transform finishes what it holds,
    // the writer writes its last batch and returns.
    drop(source);
    let outcome = match stopped {
        Stopped::Writer(joined) => Some(joined),
        Stopped::Drain => finish_within(&mut writer_task, std::future::ready(()), grace).await,
    };
    let result = match outcome {
        None => {
            DrainAbandoned {
                records: pending_records.load(Ordering::Relaxed),
                grace,
            }
            .emit();
            writer_task.abort();
            Ok(())
        }
        Some(Err(source)) => Err(Error::Stage {
            stage: "writer",
            source,
        }),
        Some(Ok(())) => Ok(()),
    };
    transform_task.abort();
    if let Err(source) = (&mut transform_task).await
        && source.is_panic()
    {
        return Err(Error::Stage {
            stage: "transform",
            source,
        });
    }
    result?;
    let report = report.lock().expect("report poisoned").clone();
    Ok(report)
}

/// Why the processor's main wait ended.
enum Stopped {
    /// The writer returned on its own (idle) or failed.
    Writer(Result<(), tokio::task::JoinError>),
    /// Shutdown, or the pipeline ended: drain within the grace.
    Drain,
}

/// Runs `work` to its end, unless `shutdown` resolves and `work` then needs longer than
/// `grace`: `None` when it gave up and dropped `work`. This is what keeps SIGTERM
/// bounded while ClickHouse or Kafka is down (the flush retries forever otherwise).
pub(crate) async fn finish_within<T>(
    work: impl std::future::Future<Output = T>,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) -> Option<T> {
    tokio::pin!(work);
    tokio::select! {
        biased;
        done = &mut work => return Some(done),
        () = shutdown => {}
    }
    tokio::time::timeout(grace, work).await.ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::source::PolledRecord;
    use crate::source::fakes::ScriptedSource;
    use crate::writer::fakes::{self, FakeStore};

    /// A source holding `matched` records of mentions naming the brand, then one
    /// unreadable record, all on partition 0 from offset 0.
    fn scripted(matched: i64) -> ScriptedSource {
        let source = ScriptedSource::default();
        source.assigned.borrow_mut().insert(0);
        let mut script = source.script.borrow_mut();
        for offset in 0..matched {
            let id = format!("s{offset}");
            script.push_back((
                vec![],
                PolledRecord {
                    position: KafkaPosition {
                        partition: 0,
                        offset,
                    },
                    key: Some(format!("mastodon:{id}").into_bytes()),
                    payload: transform::tests::payload_of(&id, "Tankowałam dziś na Orlenie"),
                },
            ));
        }
        script.push_back((
            vec![],
            PolledRecord {
                position: KafkaPosition {
                    partition: 0,
                    offset: matched,
                },
                key: None,
                payload: b"{not json".to_vec(),
            },
        ));
        drop(script);
        source
    }

    fn settings() -> SourceSettings {
        SourceSettings {
            chunk_records: 7,
            ..SourceSettings::default()
        }
    }

    #[tokio::test]
    async fn sigterm_drains_the_pipeline_and_commits_what_was_consumed() {
        let source = scripted(100);
        let mut writer = fakes::writer(FakeStore::default(), None);
        // No batch falls due by itself: only the drain writes it.
        writer.settings.max_batch_wait = Duration::from_secs(3600);
        let (store, offsets, letters) = (
            writer.store.clone(),
            writer.offsets.clone(),
            writer.dead_letters.clone(),
        );
        let health = writer.health.clone();
        let enricher = Arc::new(transform::tests::enricher());
        let sigterm = tokio::time::sleep(Duration::from_millis(300));
        let report = run_pipeline(
            &source,
            &settings(),
            writer,
            enricher,
            2,
            Duration::from_secs(2),
            &health,
            sigterm,
        )
        .await
        .unwrap();
        assert_eq!(store.stored().len(), 100);
        assert_eq!(letters.sent.lock().unwrap().len(), 1);
        assert_eq!(
            *offsets.committed.lock().unwrap(),
            BTreeMap::from([(0, 101)])
        );
        assert_eq!(
            (report.records, report.rows_written, report.dead_lettered),
            (101, 100, 1)
        );
    }

    #[tokio::test]
    async fn sigterm_while_clickhouse_is_down_ends_within_the_grace_committing_nothing() {
        let source = scripted(10);
        let store = FakeStore::default();
        store.down.store(true, std::sync::atomic::Ordering::Relaxed);
        let writer = fakes::writer(store, None);
        let offsets = writer.offsets.clone();
        let health = writer.health.clone();
        let enricher = Arc::new(transform::tests::enricher());
        let sigterm = tokio::time::sleep(Duration::from_millis(200));
        let ended = tokio::time::timeout(
            Duration::from_secs(5),
            run_pipeline(
                &source,
                &settings(),
                writer,
                enricher,
                2,
                Duration::from_millis(200),
                &health,
                sigterm,
            ),
        )
        .await;
        let report = ended.expect("SIGTERM must end the processor within the grace");
        assert_eq!(report.unwrap().records, 0, "nothing was written");
        assert!(offsets.commits.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_idle_pipeline_stops_on_its_own_after_writing_everything() {
        let source = scripted(20);
        let writer = fakes::writer(FakeStore::default(), Some(Duration::from_millis(300)));
        let (store, health) = (writer.store.clone(), writer.health.clone());
        let enricher = Arc::new(transform::tests::enricher());
        let report = tokio::time::timeout(
            Duration::from_secs(5),
            run_pipeline(
                &source,
                &settings(),
                writer,
                enricher,
                2,
                Duration::from_secs(10),
                &health,
                std::future::pending(),
            ),
        )
        .await
        .expect("idle for 300 ms: the run must end")
        .unwrap();
        assert_eq!(store.stored().len(), 20);
        assert_eq!(report.records, 21);
    }

    #[tokio::test]
    async fn a_flush_that_never_ends_is_abandoned_after_the_grace() {
        // ClickHouse down for good: the flush retries forever.
        let outcome = finish_within(
            std::future::pending::<()>(),
            std::future::ready(()),
            Duration::from_millis(20),
        )
        .await;
        assert_eq!(outcome, None);
        // Shutdown arriving in the middle of an endless flush ends it too.
        let outcome = finish_within(
            std::future::pending::<()>(),
            tokio::time::sleep(Duration::from_millis(10)),
            Duration::from_millis(20),
        )
        .await;
        assert_eq!(outcome, None);
    }

    #[tokio::test]
    async fn a_flush_that_ends_in_time_is_kept() {
        let no_shutdown = std::future::pending::<()>();
        let outcome = finish_within(async { 7 }, no_shutdown, Duration::ZERO).await;
        assert_eq!(outcome, Some(7), "without shutdown there is no deadline");
        let outcome = finish_within(
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                8
            },
            std::future::ready(()),
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(
            outcome,
            Some(8),
            "a drain that finishes within the grace is kept"
        );
    }
}
