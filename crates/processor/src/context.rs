//! The consumer's view of the group: which partitions were taken away since the loop
//! last looked, and the lag librdkafka reports.

use std::collections::HashSet;
use std::sync::Mutex;

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;

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
                if partition.partition >= 0 && partition.consumer_lag >= 0 {
                    ConsumerLag {
                        partition: partition.partition,
                        lag: partition.consumer_lag,
                    }
                    .emit();
                }
            }
        }
    }
}

impl ConsumerContext for ProcessorContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let mut revoked = self.revoked.lock().expect("revoked set poisoned");
            revoked.extend(list.elements().iter().map(|e| e.partition()));
        }
    }
}
