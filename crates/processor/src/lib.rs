//! `earshot process`: consumes `mentions.raw`, tags each mention, and writes batches
//! to ClickHouse so that the stored result equals the truth after any crash,
//! restart, rebalance or redelivery.
//!
//! Per batch, in this order:
//! 1. dead letters are produced to `mentions.dlq` and their delivery awaited;
//! 2. mentions already stored (a redelivery, or a mention collected twice) are dropped,
//!    by asking ClickHouse's `mention_ids` index;
//! 3. the rest are inserted, then every rollup bucket the batch touches is recomputed
//!    from the deduplicated mentions (a repeat replaces a bucket, never adds to it);
//! 4. only then are the offsets committed.
//!
//! A crash before 4 redelivers the batch; step 2 skips its stored mentions and step 3
//! recomputes its buckets again, so the repeat changes nothing. A mention
//! id is the Kafka key, so all copies of a mention meet on one partition and one
//! processor: no two processors race to insert it.

mod admit;
mod batch;
mod config;
mod context;
mod health;
mod internal_events;
mod rows;
mod source;
mod transform;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use earshot_enrichment::Enricher;
use earshot_kafka::KafkaConfig;
use earshot_model::topics;
use earshot_runtime::{Backoff, Retrying};
use earshot_storage::{Store, TouchedBuckets};
use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

pub use batch::{Batch, DeadLetter};
pub use config::{ConfigError, MAX_BATCH_ROWS, ProcessorConfig};
pub use context::ProcessorContext;
pub use health::{Health, Readiness};
pub use rows::{KafkaPosition, mention_rows};

use internal_events::*;
use source::{poll_until, resume_paused};
use transform::Transformed;

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
    consumer: StreamConsumer<ProcessorContext>,
    producer: FutureProducer,
    raw_topic: String,
    dlq_topic: String,
    report: RunReport,
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
        let producer = kafka.producer()?;
        let raw_topic = kafka.topic(topics::MENTIONS_RAW);
        let dlq_topic = kafka.topic(topics::MENTIONS_DLQ);
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
            consumer,
            producer,
            raw_topic,
            dlq_topic,
            report: RunReport::default(),
            health: Health::default(),
        })
    }

    /// Reports to `health` (see [`Health::readiness`]), which may have been serving
    /// probes since before the processor existed (not ready: no partitions yet).
    pub fn with_health(mut self, health: Health) -> Self {
        self.health = health;
        self
    }

    fn note_assignment(&self) {
        let assigned = self.consumer.assignment().map_or(0, |a| a.count());
        self.health.assigned(assigned);
    }

    /// Runs until `shutdown` resolves (then drains: the current batch is written and
    /// committed if that takes at most `shutdown_grace_ms`, else left uncommitted for
    /// redelivery) or, with [`StopWhen::IdleFor`], until the topic has been quiet.
    pub async fn run(
        mut self,
        stop: StopWhen,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<RunReport, Error> {
        // Shared, so both the loop and a flush in progress can watch it.
        let shutdown = shutdown.shared();
        let grace = self.config.shutdown_grace();
        let mut batch = Batch::default();
        // The idle clock starts once the group gave us partitions: joining takes a while.
        let mut last_record: Option<Instant> = None;
        tracing::info!(topic = %self.raw_topic, group = %self.config.group_id, brokers = %self.kafka.brokers, "processor started");
        loop {
            let deadline = batch
                .started()
                .map(|s| s + self.config.max_batch_wait())
                .unwrap_or_else(|| Instant::now() + Duration::from_millis(200));
            tokio::select! {
                biased;
                () = shutdown.clone() => {
                    tracing::info!(pending = batch.records(), grace_ms = grace.as_millis() as u64, "shutting down: draining the current batch");
                    self.discard_revoked(&mut batch);
                    if finish_within(self.flush(&mut batch), std::future::ready(()), grace).await.is_none() {
                        DrainAbandoned { records: batch.records(), grace }.emit();
                    }
                    break;
                }
                received = self.consumer.recv() => {
                    self.discard_revoked(&mut batch);
                    match received {
                        Ok(message) => {
                            last_record = Some(Instant::now());
                            let position = KafkaPosition { partition: message.partition(), offset: message.offset() };
                            let payload = message.payload().unwrap_or_default();
                            let key = message.key().map(<[u8]>::to_vec);
                            self.accept(&mut batch, position, key, payload);
                        }
                        Err(error) => KafkaUnavailable { action: "consume", error: &error, retry_in: Duration::ZERO }.emit(),
                    }
                }
                () = tokio::time::sleep_until(deadline.into()) => {
                    self.discard_revoked(&mut batch);
                    self.note_assignment();
                    if last_record.is_none() && self.consumer.assignment().is_ok_and(|a| a.count() > 0) {
                        last_record = Some(Instant::now());
                    }
                }
            }
            let due = batch.is_due(
                self.config.max_batch_rows,
                self.config.max_batch_bytes,
                self.config.max_batch_wait(),
            );
            if due {
                if finish_within(self.flush(&mut batch), shutdown.clone(), grace)
                    .await
                    .is_none()
                {
                    DrainAbandoned {
                        records: batch.records(),
                        grace,
                    }
                    .emit();
                    break;
                }
            } else if let StopWhen::IdleFor(idle) = stop
                && batch.is_empty()
                && last_record.is_some_and(|t| t.elapsed() >= idle)
            {
                tracing::info!(
                    idle_ms = idle.as_millis() as u64,
                    "no new records; stopping"
                );
                break;
            }
        }
        Ok(self.report)
    }

    /// Decodes and tags one record into the batch (see [`transform`]).
    fn accept(
        &self,
        batch: &mut Batch,
        position: KafkaPosition,
        key: Option<Vec<u8>>,
        payload: &[u8],
    ) {
        batch.consumed(position.partition, position.offset, payload.len());
        RecordsConsumed {
            count: 1,
            bytes: payload.len(),
        }
        .emit();
        let now = chrono::Utc::now().timestamp() as u32;
        match transform::transform(&self.enricher, position, key.as_deref(), payload, now) {
            Transformed::Rows(rows) => {
                if rows.is_empty() {
                    MentionUnmatched.emit();
                } else {
                    // Kept until the batch is stored: ClickHouse may refuse its rows,
                    // and the dead letter carries the record as it was consumed.
                    batch.originals.insert(
                        (position.partition, position.offset),
                        (key, payload.to_vec()),
                    );
                }
                batch.rows.extend(rows);
            }
            Transformed::DeadLetter(letter) => {
                RecordDeadLettered::from(&letter).emit();
                batch.dead_letters.push(letter);
            }
        }
    }

    fn discard_revoked(&self, batch: &mut Batch) {
        source::discard_revoked(&self.consumer, batch);
    }

    /// Makes the batch durable, then commits it. Retries until it succeeds, polling the
    /// paused consumer meanwhile so the group sees us alive and rebalances reach us.
    /// Partitions are paused only once a retry is needed: pausing drops librdkafka's
    /// prefetched records, and re-fetching them after every batch would halve throughput.
    /// Dropping this future at any await is safe (it is what bounds shutdown): offsets
    /// are committed only after the INSERT returned, so an abandoned batch is redelivered
    /// and deduplicated like a crashed one.
    async fn flush(&mut self, batch: &mut Batch) {
        if batch.is_empty() {
            return;
        }
        let started = Instant::now();
        self.note_assignment();
        let mut backoff = flush_backoff(self.config.max_retry_backoff());
        let mut duplicates = 0;
        // Every partition paused during this flush, to resume them all at its end.
        let mut paused = BTreeSet::new();
        // 1. Dead letters.
        let mut dead_letters_sent = 0;
        while dead_letters_sent < batch.dead_letters.len() {
            match self.send_dead_letters(batch, 0).await {
                Ok(()) => dead_letters_sent = batch.dead_letters.len(),
                Err(error) => {
                    let retry_in = backoff.next_delay();
                    KafkaUnavailable {
                        action: "dead_letter",
                        error: &error,
                        retry_in,
                    }
                    .emit();
                    self.wait_polling(batch, &mut paused, retry_in).await;
                }
            }
        }
        // 2 and 3. Drop what is stored already, insert the rest, then recompute every
        // rollup bucket the batch touches, the dropped rows' included: their earlier
        // write may have stopped before its rollups.
        let mut touched = TouchedBuckets::default();
        loop {
            touched.extend(&batch.rows);
            if touched.is_empty() {
                break;
            }
            let result = async {
                let mut rejected = Vec::new();
                if !batch.rows.is_empty() {
                    let ids: Vec<&str> = batch.rows.iter().map(|r| r.mention_id.as_str()).collect();
                    let stored = self.store.stored_mention_ids(&ids).await?;
                    duplicates += batch.drop_stored(&stored);
                    rejected = self.insert_isolating_rejects(batch).await?;
                }
                self.store.refresh_rollups(&touched).await?;
                Ok::<_, earshot_storage::Error>(rejected)
            }
            .await;
            match result {
                Ok(rejected) => {
                    self.health.write_succeeded();
                    for refused in rejected {
                        RecordDeadLettered::from(batch.reject(refused.group, refused.message))
                            .emit();
                    }
                    break;
                }
                Err(error) => {
                    self.health.write_failed();
                    let retry_in = backoff.next_delay();
                    ClickHouseUnavailable {
                        error: &error,
                        class: error.class(),
                        retry_in,
                    }
                    .emit();
                    self.wait_polling(batch, &mut paused, retry_in).await;
                }
            }
        }
        // Records ClickHouse refused are dead letters now, durable before the commit.
        while dead_letters_sent < batch.dead_letters.len() {
            match self.send_dead_letters(batch, dead_letters_sent).await {
                Ok(()) => dead_letters_sent = batch.dead_letters.len(),
                Err(error) => {
                    let retry_in = backoff.next_delay();
                    KafkaUnavailable {
                        action: "dead_letter",
                        error: &error,
                        retry_in,
                    }
                    .emit();
                    self.wait_polling(batch, &mut paused, retry_in).await;
                }
            }
        }
        // 4. Commit. A failure here is harmless: redelivered records are dropped in step 2.
        let mut offsets = TopicPartitionList::new();
        for (partition, next) in batch.commit_offsets() {
            let _ = offsets.add_partition_offset(&self.raw_topic, partition, Offset::Offset(next));
        }
        if offsets.count() > 0
            && let Err(error) = self.consumer.commit(&offsets, CommitMode::Sync)
        {
            KafkaUnavailable {
                action: "commit",
                error: &error,
                retry_in: Duration::ZERO,
            }
            .emit();
        }
        if backoff.retried() {
            resume_paused(&self.consumer, &paused);
        }
        BatchWritten {
            rows: batch.rows.len(),
            duplicates,
            dead_letters: batch.dead_letters.len(),
            records: batch.records(),
            elapsed: started.elapsed(),
            latency: batch.started().map_or(Duration::ZERO, |s| s.elapsed()),
        }
        .emit();
        self.report.records += batch.records() as u64;
        self.report.rows_written += batch.rows.len() as u64;
        self.report.duplicates_skipped += duplicates as u64;
        self.report.dead_lettered += batch.dead_letters.len() as u64;
        self.report.batches += 1;
        *batch = Batch::default();
    }

    /// Writes the batch's rows; on an error the server will repeat whatever the retry
    /// (a row it refuses), splits the batch down to the records it refuses and returns
    /// those, having written all the others.
    async fn insert_isolating_rejects(
        &self,
        batch: &Batch,
    ) -> Result<Vec<earshot_storage::Rejected<(i32, i64)>>, earshot_storage::Error> {
        match self.store.insert_mention_rows(&batch.rows).await {
            Ok(()) => return Ok(Vec::new()),
            Err(error) if !error.is_row_rejection() => return Err(error),
            Err(error) => {
                tracing::warn!(%error, records = batch.records(), "ClickHouse refused the batch; looking for the records it refuses")
            }
        }
        let store = &self.store;
        earshot_storage::write_isolating_rejects(batch.records_with_rows(), |records| {
            let rows = batch.rows_of(&records.into_iter().collect());
            async move { store.insert_mention_rows(&rows).await }
        })
        .await
    }

    async fn send_dead_letters(&self, batch: &Batch, from: usize) -> Result<(), KafkaError> {
        let deliveries: Vec<_> = batch.dead_letters[from..]
            .iter()
            .map(|letter| {
                let partition = letter.partition.to_string();
                let offset = letter.offset.to_string();
                let headers = OwnedHeaders::new()
                    .insert(Header {
                        key: "earshot.reason",
                        value: Some(letter.reason),
                    })
                    .insert(Header {
                        key: "earshot.error",
                        value: Some(&letter.error),
                    })
                    .insert(Header {
                        key: "earshot.source.topic",
                        value: Some(&self.raw_topic),
                    })
                    .insert(Header {
                        key: "earshot.source.partition",
                        value: Some(&partition),
                    })
                    .insert(Header {
                        key: "earshot.source.offset",
                        value: Some(&offset),
                    });
                let mut record = FutureRecord::<Vec<u8>, Vec<u8>>::to(&self.dlq_topic)
                    .payload(&letter.payload)
                    .headers(headers);
                if let Some(key) = &letter.key {
                    record = record.key(key);
                }
                self.producer.send(record, Duration::from_secs(30))
            })
            .collect();
        let mut first_error = None;
        for delivery in futures::future::join_all(deliveries).await {
            if let Err((error, _)) = delivery {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sleeps for `duration` while polling the paused consumer (see [`poll_until`]).
    async fn wait_polling(
        &self,
        batch: &mut Batch,
        paused: &mut BTreeSet<i32>,
        duration: Duration,
    ) {
        let until = tokio::time::Instant::now() + duration;
        poll_until(&self.consumer, batch, paused, until, |batch, record| {
            self.accept(batch, record.position, record.key, &record.payload)
        })
        .await;
    }
}

/// Runs `work` to its end, unless `shutdown` resolves and `work` then needs longer than
/// `grace`: `None` when it gave up and dropped `work`. This is what keeps SIGTERM
/// bounded while ClickHouse or Kafka is down (the flush retries forever otherwise).
async fn finish_within<T>(
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

/// The flush's retry timing: the shared policy (one jitter, one cap), starting at
/// 100 ms or the cap if lower. [`Retrying::retried`] says whether any retry happened,
/// because a retry pauses the partitions and the flush must then resume them (whatever
/// the cap is: a cap of 100 ms or less used to look like "never retried").
fn flush_backoff(max: Duration) -> Retrying {
    Backoff::new(Duration::from_millis(100).min(max), max).start()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn backoff_reports_a_retry_whatever_its_cap() {
        for max_ms in [10, 50, 100, 101, 5_000] {
            let mut backoff = flush_backoff(Duration::from_millis(max_ms));
            assert!(!backoff.retried(), "cap {max_ms} ms: no retry yet");
            let wait = backoff.next_delay();
            assert!(backoff.retried(), "cap {max_ms} ms: one retry must be seen");
            assert!(
                wait <= Duration::from_millis(max_ms),
                "cap {max_ms} ms: waited {wait:?}"
            );
        }
    }
}
