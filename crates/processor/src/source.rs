//! The source: owns the consumer, its rebalances and its pauses, and sends chunks of
//! records down the pipeline in consumption order. The consumer sits behind a trait,
//! so rebalances and backpressure get unit tests without a broker.
//!
//! A revoke becomes a marker in the same ordered stream, sent *before* any record
//! polled after it: the writer drops the revoked partitions' pending records at the
//! marker, and records re-read after the partition came back (from its last commit)
//! come after it and stay. Offsets are the writer's to commit, once durable.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{Consumer, StreamConsumer};
use tokio::sync::mpsc;

use crate::context::ProcessorContext;
use crate::health::Health;
use crate::internal_events::{ConsumptionPaused, KafkaUnavailable};
use crate::rows::KafkaPosition;

/// A record copied out of the consumer's buffer.
#[derive(Debug)]
pub(crate) struct PolledRecord {
    pub position: KafkaPosition,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

pub(crate) trait RecordSource {
    /// The next record; `None` after a consumer error (already reported). Rebalance
    /// callbacks run inside this call.
    async fn poll_record(&self) -> Option<PolledRecord>;
    /// Partitions taken away since the last call.
    fn take_revoked(&self) -> HashSet<i32>;
    /// Pauses every assigned partition, returning them.
    fn pause_assignment(&self) -> Vec<i32>;
    /// The partitions assigned now.
    fn assigned(&self) -> Vec<i32>;
    fn resume(&self, partitions: &BTreeSet<i32>);
}

impl RecordSource for StreamConsumer<ProcessorContext> {
    async fn poll_record(&self) -> Option<PolledRecord> {
        match self.recv().await {
            Ok(message) => Some(PolledRecord {
                position: KafkaPosition {
                    partition: message.partition(),
                    offset: message.offset(),
                },
                key: message.key().map(<[u8]>::to_vec),
                payload: message.payload().unwrap_or_default().to_vec(),
            }),
            Err(error) => {
                KafkaUnavailable {
                    action: "consume",
                    error: &error,
                    retry_in: std::time::Duration::ZERO,
                }
                .emit();
                None
            }
        }
    }

    fn take_revoked(&self) -> HashSet<i32> {
        self.context().take_revoked()
    }

    fn pause_assignment(&self) -> Vec<i32> {
        let assignment = self.assignment().unwrap_or_default();
        let _ = self.pause(&assignment);
        assignment
            .elements()
            .iter()
            .map(|e| e.partition())
            .collect()
    }

    fn assigned(&self) -> Vec<i32> {
        let assignment = self.assignment().unwrap_or_default();
        assignment
            .elements()
            .iter()
            .map(|e| e.partition())
            .collect()
    }

    fn resume(&self, partitions: &BTreeSet<i32>) {
        let Some(topic) = self
            .subscription()
            .ok()
            .and_then(|s| s.elements().first().map(|e| e.topic().to_owned()))
        else {
            return;
        };
        let mut list = TopicPartitionList::new();
        for &partition in partitions {
            list.add_partition(&topic, partition);
        }
        let _ = Consumer::resume(self, &list);
    }
}

/// Resumes every partition paused, assigned now or not. librdkafka keeps an
/// application pause on a partition across rebalances: a partition paused, lost when
/// the group expelled us (a long broker freeze) and assigned back later would stay
/// paused for good if only the assignment of the moment were resumed.
pub(crate) fn resume_paused(source: &impl RecordSource, paused: &BTreeSet<i32>) {
    let mut partitions = paused.clone();
    partitions.extend(source.assigned());
    source.resume(&partitions);
}

/// What the source sends down the pipeline, in consumption order.
#[derive(Debug)]
pub(crate) enum SourceItem {
    Records(Vec<PolledRecord>),
    /// Partitions revoked; every record after this was polled after the revoke.
    Revoked(HashSet<i32>),
    /// The group assigned partitions for the first time.
    Joined,
}

/// How the source cuts chunks and when it pauses.
#[derive(Debug, Clone)]
pub(crate) struct SourceSettings {
    /// A chunk is sent at this many records...
    pub chunk_records: usize,
    /// ...or payload bytes...
    pub chunk_bytes: usize,
    /// ...or once its first record waited this long.
    pub linger: Duration,
    /// With the pipeline full this long, the partitions are paused and the consumer
    /// polled (so the group keeps us and rebalances reach us) until it has room.
    /// Shorter stalls just wait: pausing drops librdkafka's prefetched records.
    pub pause_after: Duration,
}

impl Default for SourceSettings {
    fn default() -> Self {
        Self {
            chunk_records: 512,
            chunk_bytes: 4 << 20,
            linger: Duration::from_millis(5),
            pause_after: Duration::from_secs(1),
        }
    }
}

#[derive(Default)]
struct Chunk {
    records: Vec<PolledRecord>,
    bytes: usize,
    started: Option<Instant>,
}

impl Chunk {
    fn push(&mut self, record: PolledRecord) {
        self.started.get_or_insert_with(Instant::now);
        self.bytes += record.payload.len();
        self.records.push(record);
    }

    fn is_full(&self, settings: &SourceSettings) -> bool {
        self.records.len() >= settings.chunk_records || self.bytes >= settings.chunk_bytes
    }

    /// Moves a non-empty chunk to the outbox.
    fn ship(&mut self, outbox: &mut VecDeque<SourceItem>) {
        if !self.records.is_empty() {
            outbox.push_back(SourceItem::Records(std::mem::take(&mut self.records)));
        }
        *self = Chunk::default();
    }
}

/// How often the assignment is looked at.
const ASSIGNMENT_CHECK: Duration = Duration::from_millis(200);

/// Polls `source` and sends its records to `output` until `output` closes (the
/// pipeline stopped). Memory stays bounded: nothing is polled while the pipeline is
/// full, except after a pause, when only records fetched before it can arrive.
pub(crate) async fn run_source(
    source: &impl RecordSource,
    output: mpsc::Sender<SourceItem>,
    settings: &SourceSettings,
    health: &Health,
) {
    let mut outbox: VecDeque<SourceItem> = VecDeque::new();
    let mut chunk = Chunk::default();
    let mut paused: BTreeSet<i32> = BTreeSet::new();
    let mut is_paused = false;
    let mut full_since: Option<Instant> = None;
    let mut joined = false;
    let mut assignment_noted: Option<Instant> = None;
    loop {
        note_revoked(source, &mut chunk, &mut outbox);
        // For `/ready`, and to start the idle clock, however busy the consumer is.
        if assignment_noted.is_none_or(|at| at.elapsed() >= ASSIGNMENT_CHECK) {
            assignment_noted = Some(Instant::now());
            let assigned = source.assigned().len();
            health.assigned(assigned);
            if is_paused {
                // Partitions assigned while paused (a rebalance) are paused too.
                paused.extend(source.pause_assignment());
            }
            if !joined && assigned > 0 {
                joined = true;
                outbox.push_back(SourceItem::Joined);
            }
        }
        while !outbox.is_empty() {
            match output.try_reserve() {
                Ok(permit) => permit.send(outbox.pop_front().expect("not empty")),
                Err(mpsc::error::TrySendError::Full(())) => break,
                Err(mpsc::error::TrySendError::Closed(())) => return,
            }
        }
        if output.is_closed() {
            return;
        }
        if outbox.is_empty() {
            full_since = None;
            if is_paused {
                resume_paused(source, &paused);
                paused.clear();
                is_paused = false;
            }
        }
        let backlogged = !outbox.is_empty();
        let full_since_at = *full_since.get_or_insert_with(Instant::now);
        if backlogged && !is_paused && full_since_at.elapsed() >= settings.pause_after {
            paused.extend(source.pause_assignment());
            is_paused = true;
            ConsumptionPaused {
                partitions: paused.len(),
            }
            .emit();
        }
        if backlogged && !is_paused {
            // A short stall: wait for room without polling.
            tokio::select! {
                permit = output.reserve() => match permit {
                    Ok(permit) => permit.send(outbox.pop_front().expect("backlogged")),
                    Err(_) => return,
                },
                () = tokio::time::sleep_until((full_since_at + settings.pause_after).into()) => {}
            }
            continue;
        }
        let linger = chunk.started.map_or_else(
            || Instant::now() + ASSIGNMENT_CHECK,
            |s| s + settings.linger,
        );
        let polled = tokio::select! {
            biased;
            permit = output.reserve(), if backlogged => {
                match permit {
                    Ok(permit) => permit.send(outbox.pop_front().expect("backlogged")),
                    Err(_) => return,
                }
                continue;
            }
            polled = source.poll_record() => polled,
            () = tokio::time::sleep_until(linger.into()) => {
                chunk.ship(&mut outbox);
                continue;
            }
        };
        // Rebalance callbacks ran inside the poll: the revoke goes before the record.
        note_revoked(source, &mut chunk, &mut outbox);
        if is_paused {
            // Partitions assigned while paused are paused too, so the outbox stays small.
            paused.extend(source.pause_assignment());
        }
        if let Some(record) = polled {
            chunk.push(record);
            if chunk.is_full(settings) {
                chunk.ship(&mut outbox);
            }
        }
    }
}

/// Puts a marker for partitions revoked since the last look into the outbox, after
/// everything polled before.
fn note_revoked(source: &impl RecordSource, chunk: &mut Chunk, outbox: &mut VecDeque<SourceItem>) {
    let revoked = source.take_revoked();
    if !revoked.is_empty() {
        chunk.ship(outbox);
        outbox.push_back(SourceItem::Revoked(revoked));
    }
}

#[cfg(test)]
pub(crate) mod fakes {
    //! A consumer that plays a script.

    use std::cell::{Cell, RefCell};

    use super::*;

    /// Plays a script of (partitions revoked during the poll, record returned), then
    /// has nothing more to give.
    #[derive(Default)]
    pub(crate) struct ScriptedSource {
        pub script: RefCell<VecDeque<(Vec<i32>, PolledRecord)>>,
        pub revoked: RefCell<HashSet<i32>>,
        pub assigned: RefCell<BTreeSet<i32>>,
        pub pauses: Cell<usize>,
        pub resumed: RefCell<BTreeSet<i32>>,
    }

    impl RecordSource for ScriptedSource {
        async fn poll_record(&self) -> Option<PolledRecord> {
            let next = self.script.borrow_mut().pop_front();
            match next {
                Some((revoked, record)) => {
                    self.assigned.borrow_mut().retain(|p| !revoked.contains(p));
                    self.revoked.borrow_mut().extend(revoked);
                    Some(record)
                }
                None => std::future::pending().await,
            }
        }

        fn take_revoked(&self) -> HashSet<i32> {
            std::mem::take(&mut *self.revoked.borrow_mut())
        }

        fn pause_assignment(&self) -> Vec<i32> {
            self.pauses.set(self.pauses.get() + 1);
            self.assigned()
        }

        fn assigned(&self) -> Vec<i32> {
            self.assigned.borrow().iter().copied().collect()
        }

        fn resume(&self, partitions: &BTreeSet<i32>) {
            self.resumed.borrow_mut().extend(partitions);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fakes::ScriptedSource;
    use super::*;

    fn record(partition: i32, offset: i64) -> PolledRecord {
        PolledRecord {
            position: KafkaPosition { partition, offset },
            key: None,
            payload: vec![b'x'; 10],
        }
    }

    fn settings() -> SourceSettings {
        SourceSettings {
            chunk_records: 2,
            chunk_bytes: usize::MAX,
            linger: Duration::from_millis(1),
            pause_after: Duration::from_millis(20),
        }
    }

    /// What reached the pipeline: positions, and `-1, p` for a revoke of `p`.
    fn flatten(items: &[SourceItem]) -> Vec<(i32, i64)> {
        items
            .iter()
            .flat_map(|item| match item {
                SourceItem::Records(records) => records
                    .iter()
                    .map(|r| (r.position.partition, r.position.offset))
                    .collect(),
                SourceItem::Revoked(partitions) => {
                    let mut p: Vec<_> = partitions.iter().map(|p| (-1, *p as i64)).collect();
                    p.sort();
                    p
                }
                SourceItem::Joined => vec![],
            })
            .collect()
    }

    /// Runs the source until it has nothing more to poll and the receiver took `want`
    /// items (or a second passed), then stops it.
    async fn run_for(source: &ScriptedSource, capacity: usize, hold: Duration) -> Vec<SourceItem> {
        let (tx, mut rx) = mpsc::channel(capacity);
        let health = Health::default();
        let settings = settings();
        let consumer = async {
            // A slow writer: nothing is taken for `hold`.
            tokio::time::sleep(hold).await;
            let mut got = Vec::new();
            while let Ok(Some(item)) =
                tokio::time::timeout(Duration::from_millis(400), rx.recv()).await
            {
                got.push(item);
            }
            got
        };
        tokio::select! {
            () = run_source(source, tx, &settings, &health) => panic!("the source stops only when the pipeline does"),
            got = consumer => got,
        }
    }

    #[tokio::test]
    async fn a_revoke_goes_down_the_pipeline_before_the_records_re_read_after_it() {
        let source = ScriptedSource::default();
        // Partition 3 up to offset 10 polled; then during one poll partition 3 is
        // revoked and assigned back, and its records are re-read from offset 5.
        source.script.borrow_mut().extend([
            (vec![], record(3, 10)),
            (vec![], record(1, 4)),
            (vec![], record(3, 11)),
            (vec![3], record(3, 5)),
            (vec![], record(3, 6)),
        ]);
        let got = run_for(&source, 16, Duration::ZERO).await;
        assert_eq!(
            flatten(&got),
            vec![(3, 10), (1, 4), (3, 11), (-1, 3), (3, 5), (3, 6)],
            "the revoke of 3 sits between what was polled before it and after it"
        );
    }

    #[tokio::test]
    async fn a_full_pipeline_pauses_the_partitions_and_resumes_them_once_it_drains() {
        let source = ScriptedSource::default();
        source.assigned.borrow_mut().extend([0, 1]);
        source
            .script
            .borrow_mut()
            .extend((0..12).map(|offset| (vec![], record((offset % 2) as i32, offset))));
        // A channel of one chunk, and a writer that takes nothing for 100 ms (ClickHouse
        // down), more than `pause_after`.
        let got = run_for(&source, 1, Duration::from_millis(100)).await;
        assert!(
            source.pauses.get() >= 1,
            "paused while the pipeline was full"
        );
        assert_eq!(
            *source.resumed.borrow(),
            BTreeSet::from([0, 1]),
            "resumed once it drained (whatever the retry backoff)"
        );
        let offsets: Vec<i64> = flatten(&got).into_iter().map(|(_, o)| o).collect();
        assert_eq!(
            offsets,
            (0..12).collect::<Vec<_>>(),
            "nothing lost or reordered"
        );
    }

    #[tokio::test]
    async fn partitions_paused_then_lost_are_resumed_too() {
        // Paused while the pipeline is full, then the group expels us: partition 3 is
        // revoked meanwhile and, when the pipeline drains, nothing is assigned.
        let source = ScriptedSource::default();
        source.assigned.borrow_mut().extend([1, 3]);
        source.script.borrow_mut().extend([
            (vec![], record(1, 1)),
            (vec![], record(1, 2)),
            (vec![], record(1, 3)),
            (vec![], record(1, 4)),
            (vec![], record(1, 5)),
            (vec![], record(1, 6)),
        ]);
        let revoke_later = async {
            tokio::time::sleep(Duration::from_millis(60)).await;
            source.assigned.borrow_mut().clear();
        };
        let (got, ()) = tokio::join!(
            run_for(&source, 1, Duration::from_millis(120)),
            revoke_later
        );
        assert!(!got.is_empty());
        assert_eq!(
            *source.resumed.borrow(),
            BTreeSet::from([1, 3]),
            "partition 3 is resumed although not assigned now, so it flows once assigned back"
        );
    }

    #[tokio::test]
    async fn the_first_assignment_is_announced_once() {
        let source = ScriptedSource::default();
        source.assigned.borrow_mut().insert(0);
        let got = run_for(&source, 4, Duration::ZERO).await;
        let joins = got
            .iter()
            .filter(|i| matches!(i, SourceItem::Joined))
            .count();
        assert_eq!(joins, 1);
    }
}
