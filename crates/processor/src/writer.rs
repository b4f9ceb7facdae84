//! The sink: one ordered writer for every partition this processor owns. It receives
//! transformed records in consumption order, batches them, and per batch makes dead
//! letters durable, drops mentions already stored, inserts the rest, recomputes the
//! touched rollup buckets and only then commits the offsets.
//!
//! Its three I/O edges are traits ([`MentionStore`], [`DeadLetterSink`],
//! [`OffsetCommitter`]) with the ClickHouse and Kafka implementations here and
//! in-memory fakes in the tests, so batching, retry, error classes, rebalances and
//! shutdown are unit-tested without a broker or a server.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use earshot_runtime::{Backoff, Retrying, produce_and_ack};
use earshot_storage::{MentionRow, Rejected, Store, TouchedBuckets};
use futures::FutureExt;
use futures::future::FusedFuture;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc;

use crate::RunReport;
use crate::batch::{Batch, DeadLetter};
use crate::context::ProcessorContext;
use crate::health::Health;
use crate::internal_events::*;
use crate::transform::TransformedRecord;

type StorageResult<T> = Result<T, earshot_storage::Error>;

/// Where mentions are stored: the dedup index, the rows, the rollups.
pub trait MentionStore: Send + Sync {
    /// Which of `ids` are stored already.
    fn stored_mention_ids(
        &self,
        ids: &[&str],
    ) -> impl Future<Output = StorageResult<HashSet<String>>> + Send;
    /// Writes rows (not the rollups); all or, on an error, possibly some of them.
    fn insert_mention_rows(
        &self,
        rows: &[MentionRow],
    ) -> impl Future<Output = StorageResult<()>> + Send;
    /// Recomputes every rollup bucket in `touched` from the stored mentions.
    fn refresh_rollups(
        &self,
        touched: &TouchedBuckets,
    ) -> impl Future<Output = StorageResult<()>> + Send;
}

impl MentionStore for Store {
    fn stored_mention_ids(
        &self,
        ids: &[&str],
    ) -> impl Future<Output = StorageResult<HashSet<String>>> + Send {
        Store::stored_mention_ids(self, ids)
    }

    fn insert_mention_rows(
        &self,
        rows: &[MentionRow],
    ) -> impl Future<Output = StorageResult<()>> + Send {
        Store::insert_mention_rows(self, rows)
    }

    fn refresh_rollups(
        &self,
        touched: &TouchedBuckets,
    ) -> impl Future<Output = StorageResult<()>> + Send {
        Store::refresh_rollups(self, touched)
    }
}

impl<T: MentionStore> MentionStore for Arc<T> {
    fn stored_mention_ids(
        &self,
        ids: &[&str],
    ) -> impl Future<Output = StorageResult<HashSet<String>>> + Send {
        (**self).stored_mention_ids(ids)
    }

    fn insert_mention_rows(
        &self,
        rows: &[MentionRow],
    ) -> impl Future<Output = StorageResult<()>> + Send {
        (**self).insert_mention_rows(rows)
    }

    fn refresh_rollups(
        &self,
        touched: &TouchedBuckets,
    ) -> impl Future<Output = StorageResult<()>> + Send {
        (**self).refresh_rollups(touched)
    }
}

/// Where refused records go.
pub trait DeadLetterSink: Send + Sync {
    /// Produces every letter; returns once the broker acknowledged all of them, or the
    /// first error (some may have landed: a dead letter repeated after a retry is
    /// harmless, one lost is not).
    fn send(&self, letters: &[DeadLetter]) -> impl Future<Output = Result<(), KafkaError>> + Send;
}

impl<T: DeadLetterSink> DeadLetterSink for Arc<T> {
    fn send(&self, letters: &[DeadLetter]) -> impl Future<Output = Result<(), KafkaError>> + Send {
        (**self).send(letters)
    }
}

/// The dead-letter topic, each record with headers saying why and where it came from.
pub struct KafkaDeadLetters {
    pub producer: FutureProducer,
    pub topic: String,
    /// The topic the records were consumed from (`earshot.source.topic`).
    pub source_topic: String,
}

impl DeadLetterSink for KafkaDeadLetters {
    async fn send(&self, letters: &[DeadLetter]) -> Result<(), KafkaError> {
        let deliveries = letters.iter().map(|letter| {
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
                    value: Some(&self.source_topic),
                })
                .insert(Header {
                    key: "earshot.source.partition",
                    value: Some(&partition),
                })
                .insert(Header {
                    key: "earshot.source.offset",
                    value: Some(&offset),
                });
            // An unkeyed record is dead-lettered with an empty key.
            let key = letter.key.as_deref().unwrap_or_default();
            produce_and_ack(
                &self.producer,
                &self.topic,
                key,
                &letter.payload,
                Some(headers),
            )
        });
        futures::future::join_all(deliveries)
            .await
            .into_iter()
            .collect()
    }
}

/// Where consumed positions are recorded, once what they cover is durable.
pub trait OffsetCommitter: Send + Sync {
    /// Commits `(partition, next offset)` pairs.
    fn commit(&self, offsets: &[(i32, i64)])
    -> impl Future<Output = Result<(), KafkaError>> + Send;
}

impl<T: OffsetCommitter> OffsetCommitter for Arc<T> {
    fn commit(
        &self,
        offsets: &[(i32, i64)],
    ) -> impl Future<Output = Result<(), KafkaError>> + Send {
        (**self).commit(offsets)
    }
}

/// The consumer group's committed offsets.
pub struct KafkaOffsets {
    pub consumer: Arc<StreamConsumer<ProcessorContext>>,
    pub topic: String,
}

impl OffsetCommitter for KafkaOffsets {
    async fn commit(&self, offsets: &[(i32, i64)]) -> Result<(), KafkaError> {
        let mut list = TopicPartitionList::new();
        for &(partition, next) in offsets {
            let _ = list.add_partition_offset(&self.topic, partition, Offset::Offset(next));
        }
        let consumer = self.consumer.clone();
        // A synchronous commit blocks its thread until the coordinator answers.
        tokio::task::spawn_blocking(move || consumer.commit(&list, CommitMode::Sync))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }
}

/// What one writer batches by and how it retries.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    pub max_batch_rows: usize,
    pub max_batch_bytes: usize,
    pub max_batch_wait: Duration,
    pub max_retry_backoff: Duration,
    /// Stop once nothing arrived for this long and nothing is pending.
    pub idle: Option<Duration>,
}

/// What reaches the writer, in consumption order.
#[derive(Debug)]
pub enum WriterInput {
    Records(Vec<TransformedRecord>),
    /// These partitions were taken away: their pending records go (the new owner
    /// re-reads them); every record after this marker was consumed after the revoke.
    Revoked(HashSet<i32>),
    /// The group assigned partitions: the idle clock starts.
    Joined,
}

pub struct Writer<S, D, C> {
    pub store: S,
    pub dead_letters: D,
    pub offsets: C,
    pub settings: WriterSettings,
    pub health: Health,
    /// Shared so the caller still has the counts when a drain is abandoned.
    pub report: Arc<Mutex<RunReport>>,
    /// Records in the pending batch, for the caller's log when a drain is abandoned.
    pub pending_records: Arc<AtomicUsize>,
}

impl<S: MentionStore, D: DeadLetterSink, C: OffsetCommitter> Writer<S, D, C> {
    /// Writes what arrives until the input closes (then the last batches are written)
    /// or, with [`WriterSettings::idle`], until nothing arrived for that long.
    ///
    /// One batch is written while the next one fills (so consumption and enrichment
    /// overlap the dedup lookup, INSERT, recompute and commit), and batches are written
    /// one after another, in order, so offsets commit in order. A full next batch waits
    /// for the write: the channels behind it fill and the source pauses. Dropping this
    /// future at any await is safe: offsets are committed only after what they cover
    /// is durable, so an abandoned batch is redelivered and deduplicated.
    pub async fn run(self, mut input: mpsc::Receiver<WriterInput>) {
        let mut next = Batch::default();
        // Records of a chunk that did not fit `next` (it reached `max_batch_rows`
        // part-way), first in line for the batch after it: a batch never exceeds the
        // bound by more than one record's rows.
        let mut held: VecDeque<TransformedRecord> = VecDeque::new();
        let mut writing_records = 0;
        let mut writing = std::pin::pin!(futures::future::Fuse::terminated());
        let mut input_open = true;
        let mut last_activity: Option<Instant> = None;
        loop {
            let due = self.is_due(&next);
            if writing.is_terminated() {
                writing_records = 0;
                if due || (!input_open && !next.is_empty()) {
                    writing_records = next.records();
                    writing.set(self.flush(std::mem::take(&mut next)).fuse());
                    self.fill(&mut next, &mut held);
                    continue;
                }
                if !input_open {
                    return;
                }
                if let Some(idle) = self.settings.idle
                    && next.is_empty()
                    && last_activity.is_some_and(|t| t.elapsed() >= idle)
                {
                    tracing::info!(
                        idle_ms = idle.as_millis() as u64,
                        "no new records; stopping"
                    );
                    return;
                }
            }
            self.pending_records.store(
                writing_records + next.records() + held.len(),
                Ordering::Relaxed,
            );
            let deadline = next
                .started()
                .map(|s| s + self.settings.max_batch_wait)
                .unwrap_or_else(|| Instant::now() + Duration::from_millis(200));
            tokio::select! {
                () = &mut writing => {}
                // Nothing is taken while records are held, so a revoke never passes them.
                item = input.recv(), if input_open && !due && held.is_empty() => match item {
                    None => input_open = false,
                    Some(WriterInput::Records(records)) => {
                        last_activity = Some(Instant::now());
                        held.extend(records);
                        self.fill(&mut next, &mut held);
                    }
                    Some(WriterInput::Revoked(partitions)) => {
                        // The batch being written goes on: what it commits is durable.
                        let discarded = next.discard_partitions(&partitions);
                        PartitionsRevoked { partitions: partitions.len(), discarded }.emit();
                    }
                    Some(WriterInput::Joined) => {
                        last_activity.get_or_insert_with(Instant::now);
                    }
                },
                () = tokio::time::sleep_until(deadline.into()), if !due => {}
            }
        }
    }

    fn is_due(&self, batch: &Batch) -> bool {
        batch.is_due(
            self.settings.max_batch_rows,
            self.settings.max_batch_bytes,
            self.settings.max_batch_wait,
        )
    }

    /// Moves held records into `batch` until it is due.
    fn fill(&self, batch: &mut Batch, held: &mut VecDeque<TransformedRecord>) {
        while !self.is_due(batch)
            && let Some(record) = held.pop_front()
        {
            batch.push(record);
        }
    }

    /// Makes the batch durable, then commits it, retrying each step with capped,
    /// jittered backoff until it succeeds; records ClickHouse refuses are split off
    /// and dead-lettered so the rest flows. Consumption goes on meanwhile until the
    /// pipeline is full, then the source pauses its partitions.
    pub(crate) async fn flush(&self, mut batch: Batch) {
        let batch = &mut batch;
        if batch.is_empty() {
            return;
        }
        let started = Instant::now();
        let mut backoff = flush_backoff(self.settings.max_retry_backoff);
        // 1. Dead letters.
        self.send_dead_letters(batch, 0, &mut backoff).await;
        let dead_letters_sent = batch.dead_letters.len();
        // 2 and 3. Drop what is stored already, insert the rest, then recompute every
        // rollup bucket the batch touches, the dropped rows' included: their earlier
        // write may have stopped before its rollups.
        let mut touched = TouchedBuckets::default();
        let mut duplicates = 0;
        loop {
            touched.extend(&batch.rows);
            if touched.is_empty() {
                break;
            }
            match self.store_rows(batch, &touched, &mut duplicates).await {
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
                    tokio::time::sleep(retry_in).await;
                }
            }
        }
        // Records ClickHouse refused are dead letters now, durable before the commit.
        self.send_dead_letters(batch, dead_letters_sent, &mut backoff)
            .await;
        // 4. Commit. A failure here is harmless: redelivered records are dropped in step 2.
        let offsets: Vec<(i32, i64)> = batch.commit_offsets().collect();
        if !offsets.is_empty()
            && let Err(error) = self.offsets.commit(&offsets).await
        {
            KafkaUnavailable {
                action: "commit",
                error: &error,
                retry_in: Duration::ZERO,
            }
            .emit();
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
        {
            let mut report = self.report.lock().expect("report poisoned");
            report.records += batch.records() as u64;
            report.rows_written += batch.rows.len() as u64;
            report.duplicates_skipped += duplicates as u64;
            report.dead_lettered += batch.dead_letters.len() as u64;
            report.batches += 1;
        }
    }

    /// One try of steps 2 and 3; the records the server refuses on their own.
    async fn store_rows(
        &self,
        batch: &mut Batch,
        touched: &TouchedBuckets,
        duplicates: &mut usize,
    ) -> StorageResult<Vec<Rejected<(i32, i64)>>> {
        let mut rejected = Vec::new();
        if !batch.rows.is_empty() {
            let ids: Vec<&str> = batch.rows.iter().map(|r| r.mention_id.as_str()).collect();
            let stored = self.store.stored_mention_ids(&ids).await?;
            *duplicates += batch.drop_stored(&stored);
            rejected = self.insert_isolating_rejects(batch).await?;
        }
        self.store.refresh_rollups(touched).await?;
        Ok(rejected)
    }

    /// Writes the batch's rows; when the server refuses rows (an error it will repeat
    /// whatever the retry), splits the batch down to the records it refuses and
    /// returns those, having written all the others.
    async fn insert_isolating_rejects(
        &self,
        batch: &Batch,
    ) -> StorageResult<Vec<Rejected<(i32, i64)>>> {
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

    /// Sends `batch.dead_letters[from..]`, retrying until the broker acknowledged all.
    async fn send_dead_letters(&self, batch: &Batch, from: usize, backoff: &mut Retrying) {
        if from >= batch.dead_letters.len() {
            return;
        }
        while let Err(error) = self.dead_letters.send(&batch.dead_letters[from..]).await {
            let retry_in = backoff.next_delay();
            KafkaUnavailable {
                action: "dead_letter",
                error: &error,
                retry_in,
            }
            .emit();
            tokio::time::sleep(retry_in).await;
        }
    }
}

/// The flush's retry timing: the shared policy (one jitter, one cap), starting at
/// 100 ms or the cap if lower.
pub(crate) fn flush_backoff(max: Duration) -> Retrying {
    Backoff::new(Duration::from_millis(100).min(max), max).start()
}

#[cfg(test)]
pub(crate) mod fakes {
    //! In-memory stand-ins for ClickHouse and Kafka, scripted to fail.

    use std::collections::{BTreeMap, VecDeque};

    use earshot_storage::Error;

    use super::*;

    /// A server error as the client reports it.
    pub(crate) fn server_error(message: &str) -> Error {
        Error::ClickHouse {
            action: "fake".into(),
            source: clickhouse::error::Error::BadResponse(message.into()),
        }
    }

    pub(crate) fn unreachable() -> Error {
        server_error("Code: 210. DB::NetException: Connection refused")
    }

    /// ClickHouse: `mentions` rows and the dedup index, rollup refreshes counted;
    /// failures scripted per call, and mention ids it always refuses (poison).
    #[derive(Default)]
    pub(crate) struct FakeStore {
        pub rows: Mutex<Vec<MentionRow>>,
        pub refreshes: AtomicUsize,
        pub lookups: AtomicUsize,
        /// Errors returned by the next calls, whatever the call.
        pub failures: Mutex<VecDeque<Error>>,
        /// Fail every call, for good (a server that never comes back).
        pub down: std::sync::atomic::AtomicBool,
        pub poison: HashSet<String>,
        /// When set, every INSERT waits for a permit (a slow server).
        pub gate: Option<tokio::sync::Semaphore>,
    }

    impl FakeStore {
        fn next_failure(&self) -> StorageResult<()> {
            if self.down.load(Ordering::Relaxed) {
                return Err(unreachable());
            }
            match self.failures.lock().unwrap().pop_front() {
                Some(error) => Err(error),
                None => Ok(()),
            }
        }

        pub(crate) fn stored(&self) -> Vec<(String, String)> {
            let mut stored: Vec<_> = self
                .rows
                .lock()
                .unwrap()
                .iter()
                .map(|r| (r.mention_id.clone(), r.brand.clone()))
                .collect();
            stored.sort();
            stored
        }
    }

    impl MentionStore for FakeStore {
        async fn stored_mention_ids(&self, ids: &[&str]) -> StorageResult<HashSet<String>> {
            self.lookups.fetch_add(1, Ordering::Relaxed);
            self.next_failure()?;
            let rows = self.rows.lock().unwrap();
            Ok(rows
                .iter()
                .filter(|r| ids.contains(&r.mention_id.as_str()))
                .map(|r| r.mention_id.clone())
                .collect())
        }

        async fn insert_mention_rows(&self, rows: &[MentionRow]) -> StorageResult<()> {
            if let Some(gate) = &self.gate {
                gate.acquire().await.expect("gate open").forget();
            }
            self.next_failure()?;
            if let Some(bad) = rows.iter().find(|r| self.poison.contains(&r.mention_id)) {
                return Err(server_error(&format!(
                    "Code: 53. DB::Exception: Type mismatch in row {}",
                    bad.mention_id
                )));
            }
            self.rows.lock().unwrap().extend(rows.iter().cloned());
            Ok(())
        }

        async fn refresh_rollups(&self, _touched: &TouchedBuckets) -> StorageResult<()> {
            self.next_failure()?;
            self.refreshes.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    /// The dead-letter topic.
    #[derive(Default)]
    pub(crate) struct FakeDeadLetters {
        pub sent: Mutex<Vec<DeadLetter>>,
        pub failures: AtomicUsize,
    }

    impl DeadLetterSink for FakeDeadLetters {
        async fn send(&self, letters: &[DeadLetter]) -> Result<(), KafkaError> {
            if self
                .failures
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(KafkaError::MessageProduction(
                    rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure,
                ));
            }
            self.sent.lock().unwrap().extend(letters.iter().cloned());
            Ok(())
        }
    }

    /// The group's committed offsets, and every commit in order.
    #[derive(Default)]
    pub(crate) struct FakeOffsets {
        pub committed: Mutex<BTreeMap<i32, i64>>,
        pub commits: Mutex<Vec<Vec<(i32, i64)>>>,
    }

    impl OffsetCommitter for FakeOffsets {
        async fn commit(&self, offsets: &[(i32, i64)]) -> Result<(), KafkaError> {
            self.commits.lock().unwrap().push(offsets.to_vec());
            self.committed
                .lock()
                .unwrap()
                .extend(offsets.iter().copied());
            Ok(())
        }
    }

    pub(crate) type FakeWriter = Writer<Arc<FakeStore>, Arc<FakeDeadLetters>, Arc<FakeOffsets>>;

    /// A writer over fresh fakes (shared, to look at after a run), retrying every
    /// 10 ms at most.
    pub(crate) fn writer(store: FakeStore, idle: Option<Duration>) -> FakeWriter {
        Writer {
            store: Arc::new(store),
            dead_letters: Arc::default(),
            offsets: Arc::default(),
            settings: WriterSettings {
                max_batch_rows: 1_000,
                max_batch_bytes: usize::MAX,
                max_batch_wait: Duration::from_millis(20),
                max_retry_backoff: Duration::from_millis(10),
                idle,
            },
            health: Health::default(),
            report: Arc::default(),
            pending_records: Arc::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::fakes::*;
    use super::*;
    use crate::batch::tests::row;
    use crate::rows::KafkaPosition;
    use crate::transform::Outcome;

    /// A record at `partition`/`offset` whose mention `m{offset}` matched one brand.
    fn matched(partition: i32, offset: i64) -> TransformedRecord {
        TransformedRecord {
            position: KafkaPosition { partition, offset },
            bytes: 10,
            outcome: Outcome::Rows {
                rows: vec![row(&format!("m{offset}"), "acme", partition, offset)],
                original: (Some(format!("m{offset}").into_bytes()), vec![b'x'; 10]),
            },
        }
    }

    fn unreadable(partition: i32, offset: i64) -> TransformedRecord {
        let payload = b"{not json";
        TransformedRecord {
            position: KafkaPosition { partition, offset },
            bytes: payload.len(),
            outcome: Outcome::DeadLetter(crate::admit::dead_letter(
                partition,
                offset,
                None,
                payload,
                crate::admit::Rejection {
                    reason: "malformed",
                    error: "expected value".into(),
                },
            )),
        }
    }

    fn batch_of(records: impl IntoIterator<Item = TransformedRecord>) -> Batch {
        let mut batch = Batch::default();
        for record in records {
            batch.push(record);
        }
        batch
    }

    #[tokio::test]
    async fn transient_errors_are_retried_and_offsets_commit_only_after_the_write() {
        let store = FakeStore::default();
        store
            .failures
            .lock()
            .unwrap()
            .extend([unreachable(), unreachable(), unreachable()]);
        let writer = writer(store, None);
        writer
            .flush(batch_of([matched(0, 0), matched(0, 1), matched(1, 7)]))
            .await;
        assert_eq!(
            writer.store.stored(),
            [("m0", "acme"), ("m1", "acme"), ("m7", "acme")].map(|(m, b)| (m.into(), b.into()))
        );
        assert_eq!(
            *writer.offsets.commits.lock().unwrap(),
            vec![vec![(0, 2), (1, 8)]],
            "one commit, after the rows were stored"
        );
        assert!(
            writer
                .health
                .readiness()
                .detail
                .contains("not yet assigned")
        );
        assert!(
            !writer.health.readiness().detail.contains("failing"),
            "the write went through in the end"
        );
    }

    #[tokio::test]
    async fn a_poison_record_is_dead_lettered_with_the_servers_message_and_the_rest_stored() {
        let store = FakeStore {
            poison: HashSet::from(["m3".to_string()]),
            ..FakeStore::default()
        };
        let writer = writer(store, None);
        writer
            .flush(batch_of((0..6).map(|offset| matched(2, offset))))
            .await;
        let stored: Vec<String> = writer.store.stored().into_iter().map(|(m, _)| m).collect();
        assert_eq!(stored, ["m0", "m1", "m2", "m4", "m5"]);
        let sent = writer.dead_letters.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].partition, sent[0].offset), (2, 3));
        assert_eq!(sent[0].reason, crate::batch::REJECTED_BY_CLICKHOUSE);
        assert!(
            sent[0].error.contains("Type mismatch in row m3"),
            "{}",
            sent[0].error
        );
        assert_eq!(sent[0].payload, vec![b'x'; 10], "the record as consumed");
        assert_eq!(
            *writer.offsets.committed.lock().unwrap(),
            BTreeMap::from([(2, 6)]),
            "committed past the poison record: the partition flows on"
        );
        assert_eq!(writer.report.lock().unwrap().dead_lettered, 1);
    }

    #[tokio::test]
    async fn dead_letters_are_retried_until_acknowledged_before_the_commit() {
        let writer = writer(FakeStore::default(), None);
        writer.dead_letters.failures.store(3, Ordering::Relaxed);
        writer
            .flush(batch_of([matched(0, 0), unreadable(0, 1)]))
            .await;
        assert_eq!(writer.dead_letters.sent.lock().unwrap().len(), 1);
        assert_eq!(writer.dead_letters.failures.load(Ordering::Relaxed), 0);
        assert_eq!(
            *writer.offsets.committed.lock().unwrap(),
            BTreeMap::from([(0, 2)])
        );
    }

    #[tokio::test]
    async fn a_redelivered_batch_is_not_stored_twice_but_its_buckets_are_recomputed() {
        let writer = writer(FakeStore::default(), None);
        writer.flush(batch_of([matched(0, 0), matched(0, 1)])).await;
        writer.flush(batch_of([matched(0, 0), matched(0, 1)])).await;
        assert_eq!(writer.store.stored().len(), 2);
        assert_eq!(writer.store.refreshes.load(Ordering::Relaxed), 2);
        assert_eq!(writer.report.lock().unwrap().duplicates_skipped, 2);
    }

    #[tokio::test]
    async fn a_statement_the_server_cannot_run_is_retried_not_dead_lettered() {
        let store = FakeStore::default();
        store.failures.lock().unwrap().extend([
            server_error("Code: 60. DB::Exception: Table db.mentions doesn't exist"),
            server_error("Code: 62. DB::Exception: Syntax error"),
        ]);
        let writer = writer(store, None);
        writer.flush(batch_of([matched(0, 0)])).await;
        assert!(writer.dead_letters.sent.lock().unwrap().is_empty());
        assert_eq!(writer.store.stored().len(), 1);
    }

    #[tokio::test]
    async fn revoked_partitions_leave_the_batch_before_later_records_and_are_not_committed() {
        let writer = writer(FakeStore::default(), None);
        let (store, offsets) = (writer.store.clone(), writer.offsets.clone());
        let (tx, rx) = mpsc::channel(8);
        tx.send(WriterInput::Records(vec![matched(3, 10), matched(1, 4)]))
            .await
            .unwrap();
        tx.send(WriterInput::Revoked(HashSet::from([3])))
            .await
            .unwrap();
        // Partition 3 came back: re-read from its last commit, offset 5.
        tx.send(WriterInput::Records(vec![matched(3, 5)]))
            .await
            .unwrap();
        drop(tx);
        writer.run(rx).await;
        assert_eq!(
            store.stored(),
            vec![
                ("m4".to_string(), "acme".to_string()),
                ("m5".into(), "acme".into())
            ],
            "offset 10 of partition 3 left with the revoke; what was re-read stays"
        );
        assert_eq!(
            *offsets.commits.lock().unwrap(),
            vec![vec![(1, 5), (3, 6)]],
            "partition 3 commits just past what was re-read, not past offset 10"
        );
    }

    #[tokio::test]
    async fn an_idle_writer_stops_once_joined_and_quiet_and_not_before() {
        let writer = writer(FakeStore::default(), Some(Duration::from_millis(30)));
        let store = writer.store.clone();
        let (tx, rx) = mpsc::channel(8);
        tx.send(WriterInput::Records(vec![matched(0, 0)]))
            .await
            .unwrap();
        // The sender stays open: only the idle rule can end the run.
        let ended = tokio::time::timeout(Duration::from_secs(5), writer.run(rx)).await;
        assert!(ended.is_ok(), "an idle writer must stop on its own");
        assert_eq!(
            store.stored().len(),
            1,
            "the pending batch was written first"
        );
        drop(tx);
        // Never joined, nothing received: the idle clock has not started.
        let writer = fakes::writer(FakeStore::default(), Some(Duration::from_millis(10)));
        let (_tx, rx) = mpsc::channel(8);
        let waited = tokio::time::timeout(Duration::from_millis(300), writer.run(rx)).await;
        assert!(
            waited.is_err(),
            "a processor still joining its group is not idle"
        );
    }

    #[tokio::test]
    async fn a_drain_while_clickhouse_is_down_is_abandoned_after_the_grace_uncommitted() {
        let store = FakeStore::default();
        store.down.store(true, Ordering::Relaxed);
        let writer = writer(store, None);
        let (health, offsets) = (writer.health.clone(), writer.offsets.clone());
        let (tx, rx) = mpsc::channel(8);
        tx.send(WriterInput::Records(vec![matched(0, 0)]))
            .await
            .unwrap();
        // SIGTERM: the input closes, the writer tries its last batch.
        drop(tx);
        let drained = crate::finish_within(
            writer.run(rx),
            std::future::ready(()),
            Duration::from_millis(100),
        )
        .await;
        assert!(
            drained.is_none(),
            "abandoned after the grace, not retried forever"
        );
        assert!(
            offsets.commits.lock().unwrap().is_empty(),
            "nothing committed that is not durable"
        );
        assert!(health.readiness().detail.contains("failing"));
    }

    #[tokio::test]
    async fn a_chunk_larger_than_max_batch_rows_is_cut_between_records() {
        let mut writer = writer(FakeStore::default(), None);
        writer.settings.max_batch_rows = 2;
        writer.settings.max_batch_wait = Duration::from_secs(3600);
        let offsets = writer.offsets.clone();
        let (tx, rx) = mpsc::channel(4);
        tx.send(WriterInput::Records(
            (0..5).map(|o| matched(0, o)).collect(),
        ))
        .await
        .unwrap();
        drop(tx);
        writer.run(rx).await;
        assert_eq!(
            *offsets.commits.lock().unwrap(),
            vec![vec![(0, 2)], vec![(0, 4)], vec![(0, 5)]],
            "batches of at most max_batch_rows rows, in order"
        );
    }

    #[tokio::test]
    async fn the_next_batch_fills_while_one_is_written_and_no_further() {
        let store = FakeStore {
            gate: Some(tokio::sync::Semaphore::new(0)),
            ..FakeStore::default()
        };
        let mut writer = writer(store, None);
        writer.settings.max_batch_rows = 2;
        writer.settings.max_batch_wait = Duration::from_secs(3600);
        let (store, offsets) = (writer.store.clone(), writer.offsets.clone());
        let (tx, rx) = mpsc::channel(1);
        let run = tokio::spawn(writer.run(rx));
        let settle = || tokio::time::sleep(Duration::from_millis(50));
        // Batch 1 is due and its INSERT hangs.
        tx.send(WriterInput::Records(vec![matched(0, 0), matched(0, 1)]))
            .await
            .unwrap();
        settle().await;
        // Batch 2 fills meanwhile...
        tx.send(WriterInput::Records(vec![matched(0, 2)]))
            .await
            .unwrap();
        tx.send(WriterInput::Records(vec![matched(0, 3)]))
            .await
            .unwrap();
        settle().await;
        assert!(
            tx.try_send(WriterInput::Records(vec![matched(0, 4)]))
                .is_ok(),
            "the writer took batch 2's records while batch 1 was being written"
        );
        settle().await;
        // ...but with batch 2 full, nothing more is taken: memory stays bounded.
        assert!(
            tx.try_send(WriterInput::Records(vec![matched(0, 5)]))
                .is_err(),
            "a full next batch waits for the write"
        );
        assert!(store.stored().is_empty() && offsets.commits.lock().unwrap().is_empty());
        store.gate.as_ref().unwrap().add_permits(100);
        tx.send(WriterInput::Records(vec![matched(0, 5)]))
            .await
            .unwrap();
        drop(tx);
        run.await.unwrap();
        assert_eq!(store.stored().len(), 6);
        assert_eq!(
            *offsets.commits.lock().unwrap(),
            vec![vec![(0, 2)], vec![(0, 4)], vec![(0, 6)]],
            "batches are written and committed one after another, in order"
        );
    }

    #[test]
    fn backoff_reports_a_retry_whatever_its_cap() {
        // A cap of 100 ms or less used to look like "never retried", and partitions
        // paused for the retry were never resumed.
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
