//! Every metric and log line the processor emits, as typed events (after Vector's
//! `internal_events`): one place defines each name, label and message.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

pub struct RecordsConsumed {
    pub count: usize,
    pub bytes: usize,
}

impl RecordsConsumed {
    pub fn emit(self) {
        counter!("earshot_processor_records_consumed_total").increment(self.count as u64);
        counter!("earshot_processor_bytes_consumed_total").increment(self.bytes as u64);
    }
}

pub struct RecordDeadLettered<'a> {
    pub partition: i32,
    pub offset: i64,
    pub reason: &'static str,
    pub error: &'a str,
}

impl<'a> From<&'a crate::batch::DeadLetter> for RecordDeadLettered<'a> {
    fn from(letter: &'a crate::batch::DeadLetter) -> Self {
        RecordDeadLettered {
            partition: letter.partition,
            offset: letter.offset,
            reason: letter.reason,
            error: &letter.error,
        }
    }
}

impl RecordDeadLettered<'_> {
    pub fn emit(self) {
        tracing::warn!(
            partition = self.partition,
            offset = self.offset,
            reason = self.reason,
            error = self.error,
            "record sent to dead-letter topic"
        );
        counter!("earshot_processor_dead_lettered_total", "reason" => self.reason).increment(1);
    }
}

pub struct MentionUnmatched;

impl MentionUnmatched {
    pub fn emit(self) {
        counter!("earshot_processor_unmatched_total").increment(1);
    }
}

pub struct BatchWritten {
    pub rows: usize,
    pub duplicates: usize,
    pub dead_letters: usize,
    pub records: usize,
    pub elapsed: Duration,
    /// From the batch's first record consumed to its commit: how late rows show.
    pub latency: Duration,
}

impl BatchWritten {
    pub fn emit(self) {
        tracing::debug!(
            rows = self.rows,
            duplicates = self.duplicates,
            dead_letters = self.dead_letters,
            records = self.records,
            elapsed_ms = self.elapsed.as_millis() as u64,
            "batch written and committed"
        );
        counter!("earshot_processor_rows_written_total").increment(self.rows as u64);
        counter!("earshot_processor_duplicates_skipped_total").increment(self.duplicates as u64);
        histogram!("earshot_processor_batch_records").record(self.records as f64);
        histogram!("earshot_processor_batch_write_seconds").record(self.elapsed.as_secs_f64());
        histogram!("earshot_processor_batch_latency_seconds").record(self.latency.as_secs_f64());
    }
}

pub struct ClickHouseUnavailable<'a> {
    pub error: &'a dyn std::error::Error,
    /// `transient` (down, slow, busy, out of memory: retrying helps), `rejected`
    /// (rows it refuses; those were split off) or `statement` (needs an operator).
    pub class: &'static str,
    pub retry_in: Duration,
}

impl ClickHouseUnavailable<'_> {
    pub fn emit(self) {
        let class = self.class;
        tracing::warn!(
            error = %self.error,
            class,
            retry_in_ms = self.retry_in.as_millis() as u64,
            "ClickHouse write failed; pausing consumption and retrying"
        );
        counter!("earshot_processor_clickhouse_errors_total", "class" => class).increment(1);
    }
}

pub struct KafkaUnavailable<'a> {
    pub action: &'static str,
    pub error: &'a dyn std::error::Error,
    pub retry_in: Duration,
}

impl KafkaUnavailable<'_> {
    pub fn emit(self) {
        tracing::warn!(
            action = self.action,
            error = %self.error,
            retry_in_ms = self.retry_in.as_millis() as u64,
            "Kafka operation failed; retrying"
        );
        counter!("earshot_processor_kafka_errors_total", "action" => self.action).increment(1);
    }
}

pub struct PartitionsRevoked {
    pub partitions: usize,
    pub discarded: usize,
}

impl PartitionsRevoked {
    pub fn emit(self) {
        tracing::info!(
            partitions = self.partitions,
            discarded_records = self.discarded,
            "partitions revoked; their uncommitted records are left to the new owner"
        );
        counter!("earshot_processor_rebalances_total").increment(1);
    }
}

pub struct ConsumerLag {
    pub partition: i32,
    pub lag: i64,
}

impl ConsumerLag {
    pub fn emit(self) {
        gauge!("earshot_processor_consumer_lag", "partition" => self.partition.to_string())
            .set(self.lag as f64);
    }
}

pub struct DrainAbandoned {
    pub records: usize,
    pub grace: Duration,
}

impl DrainAbandoned {
    pub fn emit(self) {
        tracing::warn!(
            records = self.records,
            grace_ms = self.grace.as_millis() as u64,
            "shutdown: the pending batch could not be written within the grace; \
             it is left uncommitted and will be redelivered"
        );
        counter!("earshot_processor_drains_abandoned_total").increment(1);
    }
}

/// The pipeline stayed full (the writer is slow or retrying): consumption paused.
pub struct ConsumptionPaused {
    pub partitions: usize,
}

impl ConsumptionPaused {
    pub fn emit(self) {
        tracing::info!(
            partitions = self.partitions,
            "pipeline full; pausing consumption until the writer catches up"
        );
        counter!("earshot_processor_consumption_pauses_total").increment(1);
    }
}
