//! The consumer's view of the group: which partitions were taken away since the loop
//! last looked, and the lag librdkafka reports.

use std::collections::HashSet;
use std::sync::Mutex;

use earshot_kafka::KafkaConfig;
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::statistics::{Partition, Statistics};

use crate::internal_events::ConsumerLag;

/// Rebalance callbacks run inside `recv()` on the processor's own task, so by the time
/// the loop checks [`ProcessorContext::take_revoked`] no write is in flight: the loop
/// simply drops the revoked partitions' uncommitted records.
#[derive(Default)]
pub struct ProcessorContext {
    revoked: Mutex<HashSet<i32>>,
}

impl ProcessorContext {
    pub fn take_revoked(&self) -> HashSet<i32> {
        std::mem::take(&mut *self.revoked.lock().expect("revoked set poisoned"))
    }
}

impl ClientContext for ProcessorContext {
    fn stats(&self, statistics: Statistics) {
        for topic in statistics.topics.values() {
            for partition in topic.partitions.values() {
                if let Some(lag) = committed_lag(partition) {
                    ConsumerLag {
                        partition: partition.partition,
                        lag,
                    }
                    .emit();
                }
            }
        }
    }
}

/// How often librdkafka reports statistics, hence the lag gauge's resolution.
const STATISTICS_INTERVAL_MS: &str = "5000";

/// The consumer's Kafka settings: librdkafka calls [`ClientContext::stats`] only when
/// `statistics.interval.ms` is set, so the lag gauge needs it (a value the operator set
/// in `kafka.properties` wins).
pub fn with_lag_statistics(kafka: &KafkaConfig) -> KafkaConfig {
    let mut kafka = kafka.clone();
    kafka
        .properties
        .entry("statistics.interval.ms".into())
        .or_insert_with(|| STATISTICS_INTERVAL_MS.into());
    kafka
}

/// Records of an assigned partition not yet durable: from the committed offset (the
/// log start when nothing is committed, as `auto.offset.reset` is `earliest`) to the
/// high watermark. Offsets commit only after ClickHouse stored the batch, so this is
/// the backlog still to store. `None` for partitions this consumer does not own (their
/// owner reports them) and while the offsets are unknown.
pub fn committed_lag(partition: &Partition) -> Option<i64> {
    if partition.partition < 0 || !partition.desired || partition.hi_offset < 0 {
        return None;
    }
    let from = if partition.committed_offset >= 0 {
        partition.committed_offset
    } else if partition.lo_offset >= 0 {
        partition.lo_offset
    } else {
        return None;
    };
    Some((partition.hi_offset - from).max(0))
}

impl ConsumerContext for ProcessorContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let mut revoked = self.revoked.lock().expect("revoked set poisoned");
            revoked.extend(list.elements().iter().map(|e| e.partition()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned(committed_offset: i64, lo_offset: i64, hi_offset: i64) -> Partition {
        Partition {
            partition: 2,
            desired: true,
            committed_offset,
            lo_offset,
            hi_offset,
            ..Partition::default()
        }
    }

    #[test]
    fn lag_runs_from_the_committed_offset_to_the_high_watermark() {
        assert_eq!(committed_lag(&assigned(40, 0, 100)), Some(60));
        assert_eq!(committed_lag(&assigned(100, 0, 100)), Some(0));
        // Nothing committed yet: the whole retained log is still to store.
        assert_eq!(committed_lag(&assigned(-1001, 25, 100)), Some(75));
        // Offsets not known yet.
        assert_eq!(committed_lag(&assigned(-1001, -1001, 100)), None);
        assert_eq!(committed_lag(&assigned(40, 0, -1001)), None);
        // A high watermark seen before the commit landed never reads as negative lag.
        assert_eq!(committed_lag(&assigned(120, 0, 100)), Some(0));
    }

    #[test]
    fn partitions_owned_by_others_are_not_reported() {
        let not_ours = Partition {
            desired: false,
            ..assigned(40, 0, 100)
        };
        assert_eq!(committed_lag(&not_ours), None);
        let internal = Partition {
            partition: -1,
            ..assigned(40, 0, 100)
        };
        assert_eq!(committed_lag(&internal), None);
    }

    #[test]
    fn the_consumer_asks_librdkafka_for_statistics() {
        let kafka = with_lag_statistics(&KafkaConfig::default());
        assert_eq!(
            kafka
                .properties
                .get("statistics.interval.ms")
                .map(String::as_str),
            Some(STATISTICS_INTERVAL_MS)
        );
        let mut operator = KafkaConfig::default();
        operator
            .properties
            .insert("statistics.interval.ms".into(), "60000".into());
        let kafka = with_lag_statistics(&operator);
        assert_eq!(kafka.properties["statistics.interval.ms"], "60000");
    }
}
