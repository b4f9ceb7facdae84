//! The consumer as the flush's retry wait sees it, behind a trait so the rebalance
//! handling during a wait gets unit tests without a broker.

use std::collections::{BTreeSet, HashSet};

use rdkafka::Message;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{Consumer, StreamConsumer};

use crate::batch::Batch;
use crate::context::ProcessorContext;
use crate::internal_events::{KafkaUnavailable, PartitionsRevoked};
use crate::rows::KafkaPosition;

/// A record copied out of the consumer's buffer.
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

/// Resumes every partition paused during a flush, assigned now or not. librdkafka keeps
/// an application pause on a partition across rebalances: a partition paused, lost
/// when the group expelled us (a long broker freeze) and assigned back later would stay
/// paused for good if only the assignment of the moment were resumed.
pub(crate) fn resume_paused(source: &impl RecordSource, paused: &BTreeSet<i32>) {
    let mut partitions = paused.clone();
    partitions.extend(source.assigned());
    source.resume(&partitions);
}

/// Drops the pending records of partitions revoked since the last look; true if any
/// partition was revoked.
pub(crate) fn discard_revoked(source: &impl RecordSource, batch: &mut Batch) -> bool {
    let revoked = source.take_revoked();
    if revoked.is_empty() {
        return false;
    }
    let discarded = batch.discard_partitions(&revoked);
    PartitionsRevoked {
        partitions: revoked.len(),
        discarded,
    }
    .emit();
    true
}

/// Polls the paused source until `until`, so the group keeps us and rebalances reach
/// us. Records already fetched before the pause join the batch. Revoked partitions are
/// discarded *before* the record polled with them is accepted: a partition revoked and
/// assigned back within one wait is re-read from its last commit, and those re-read
/// records must stay (discarding them afterwards, with the consumer past them, lost
/// them). Partitions assigned meanwhile are paused too, so the batch stays bounded.
pub(crate) async fn poll_until(
    source: &impl RecordSource,
    batch: &mut Batch,
    paused: &mut BTreeSet<i32>,
    until: tokio::time::Instant,
    mut accept: impl FnMut(&mut Batch, PolledRecord),
) {
    paused.extend(source.pause_assignment());
    loop {
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(until) => break,
            polled = source.poll_record() => {
                if discard_revoked(source, batch) {
                    paused.extend(source.pause_assignment());
                }
                if let Some(record) = polled {
                    accept(batch, record);
                }
            }
        }
    }
    if discard_revoked(source, batch) {
        paused.extend(source.pause_assignment());
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::time::Duration;

    use super::*;
    use crate::batch::tests::row;

    /// Plays a script of (partitions revoked during the poll, record returned), then
    /// has nothing more to give.
    #[derive(Default)]
    struct ScriptedSource {
        script: RefCell<VecDeque<(Vec<i32>, PolledRecord)>>,
        revoked: RefCell<HashSet<i32>>,
        assigned: RefCell<BTreeSet<i32>>,
        pauses: Cell<usize>,
        resumed: RefCell<BTreeSet<i32>>,
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

    fn record(partition: i32, offset: i64) -> PolledRecord {
        PolledRecord {
            position: KafkaPosition { partition, offset },
            key: None,
            payload: vec![b'x'; 10],
        }
    }

    fn accept(batch: &mut Batch, record: PolledRecord) {
        let KafkaPosition { partition, offset } = record.position;
        batch.consumed(partition, offset, record.payload.len());
        batch
            .rows
            .push(row(&format!("m{offset}"), "acme", partition, offset));
    }

    #[tokio::test]
    async fn records_re_read_after_a_partition_came_back_stay_in_the_batch() {
        // Pending before the wait: partition 3 up to offset 10, partition 1 at 4.
        let mut batch = Batch::default();
        accept(&mut batch, record(3, 10));
        accept(&mut batch, record(1, 4));
        // During the wait partition 3 is revoked and assigned back: its new
        // records are re-read from the last commit (offset 5).
        let source = ScriptedSource::default();
        source
            .script
            .borrow_mut()
            .extend([(vec![3], record(3, 5)), (vec![], record(3, 6))]);
        let until = tokio::time::Instant::now() + Duration::from_millis(50);
        poll_until(&source, &mut batch, &mut BTreeSet::new(), until, accept).await;

        let kept: Vec<(i32, i64)> = batch
            .rows
            .iter()
            .map(|r| (r.kafka_partition, r.kafka_offset))
            .collect();
        assert_eq!(kept, vec![(1, 4), (3, 5), (3, 6)]);
        assert_eq!(
            batch.commit_offsets().collect::<Vec<_>>(),
            vec![(1, 5), (3, 7)],
            "partition 3 commits just past what was re-read, not past offset 10"
        );
        assert_eq!(
            source.pauses.get(),
            2,
            "paused at the start and after the rebalance"
        );
    }

    #[tokio::test]
    async fn a_partition_revoked_for_good_leaves_the_batch() {
        let mut batch = Batch::default();
        accept(&mut batch, record(3, 10));
        accept(&mut batch, record(1, 4));
        let source = ScriptedSource::default();
        source
            .script
            .borrow_mut()
            .push_back((vec![3], record(1, 5)));
        let until = tokio::time::Instant::now() + Duration::from_millis(50);
        poll_until(&source, &mut batch, &mut BTreeSet::new(), until, accept).await;
        assert_eq!(batch.commit_offsets().collect::<Vec<_>>(), vec![(1, 6)]);
        assert_eq!(batch.rows.len(), 2);
    }

    #[tokio::test]
    async fn partitions_paused_then_lost_are_resumed_too() {
        // Paused while ClickHouse is down, then the group expels us: partition 3 is
        // revoked during the wait and, when the flush ends, nothing is assigned yet.
        let source = ScriptedSource::default();
        source.assigned.borrow_mut().extend([1, 3]);
        source
            .script
            .borrow_mut()
            .push_back((vec![3], record(1, 5)));
        let mut batch = Batch::default();
        let mut paused = BTreeSet::new();
        let until = tokio::time::Instant::now() + Duration::from_millis(50);
        poll_until(&source, &mut batch, &mut paused, until, accept).await;
        assert_eq!(paused, BTreeSet::from([1, 3]));
        source.assigned.borrow_mut().clear();
        resume_paused(&source, &paused);
        assert_eq!(
            *source.resumed.borrow(),
            BTreeSet::from([1, 3]),
            "partition 3 is resumed although not assigned now, so it flows once assigned back"
        );
    }
}
