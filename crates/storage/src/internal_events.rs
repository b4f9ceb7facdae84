//! Every metric and log line the storage crate emits, as typed events
//! ([`earshot_runtime::InternalEvent`]): one place defines each metric name, label and
//! message. Statements and credentials never appear in an event; server messages do
//! (they name the table, not the data).

use earshot_runtime::InternalEvent;
use metrics::{counter, gauge, histogram};

/// A migration is about to run (logged first, so a migration that hangs is named).
#[derive(Debug)]
pub struct MigrationStarted {
    pub version: u32,
    pub name: &'static str,
}

impl InternalEvent for MigrationStarted {
    fn handle(self) {
        tracing::info!(
            version = self.version,
            name = self.name,
            "applying migration"
        );
    }
}

/// A schema statement lost a race with another migrator; its migration runs again.
#[derive(Debug)]
pub struct MigrationRaceRetried<'a> {
    pub version: u32,
    pub name: &'static str,
    pub attempt: u32,
    /// The server's message.
    pub error: &'a str,
}

impl InternalEvent for MigrationRaceRetried<'_> {
    fn handle(self) {
        tracing::warn!(
            version = self.version,
            name = self.name,
            attempt = self.attempt,
            error = %self.error,
            "a concurrent migration changed the schema; running this migration again"
        );
        counter!("earshot_storage_migration_race_retries_total").increment(1);
    }
}

/// `migrate` finished: the schema is at `version`, `applied` migrations of them by this
/// process (0 when another process or an earlier run had applied them all).
#[derive(Debug)]
pub struct SchemaMigrated {
    pub version: u32,
    pub applied: usize,
}

impl InternalEvent for SchemaMigrated {
    fn handle(self) {
        tracing::debug!(
            version = self.version,
            applied = self.applied,
            "schema up to date"
        );
        gauge!("earshot_storage_schema_version").set(f64::from(self.version));
        counter!("earshot_storage_migrations_applied_total").increment(self.applied as u64);
    }
}

/// A partition wholly past its table's retention was dropped.
#[derive(Debug)]
pub struct PartitionDropped<'a> {
    /// The table as ClickHouse names it (`_local` on a cluster).
    pub table: &'a str,
    pub partition: &'a str,
}

impl InternalEvent for PartitionDropped<'_> {
    fn handle(self) {
        tracing::info!(
            table = %self.table,
            partition = self.partition,
            "dropped partition past retention"
        );
        counter!("earshot_storage_partitions_dropped_total", "table" => self.table.to_owned())
            .increment(1);
    }
}

/// One step of writing a batch finished (or failed) after `elapsed`: where a slow
/// write spends its time, step by step.
#[derive(Debug)]
pub struct WriteStepTimed {
    /// `dedup_lookup`, `insert_rows`, `recompute_minute`, `recompute_hour` or
    /// `recompute_day`.
    pub step: &'static str,
    pub elapsed: std::time::Duration,
}

impl InternalEvent for WriteStepTimed {
    fn handle(self) {
        histogram!("earshot_storage_write_step_seconds", "step" => self.step)
            .record(self.elapsed.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_runtime::events::EventRecorder;
    use earshot_runtime::testing::capture_metrics;

    #[test]
    fn migration_events_count_races_and_set_the_schema_version() {
        let recorder = EventRecorder::start();
        let ((), metrics) = capture_metrics(|| {
            MigrationStarted {
                version: 7,
                name: "rollup_buckets",
            }
            .emit();
            for attempt in 1..=2 {
                MigrationRaceRetried {
                    version: 7,
                    name: "rollup_buckets",
                    attempt,
                    error: "Code: 218, e.displayText() = DB::Exception: Table is dropped",
                }
                .emit();
            }
            SchemaMigrated {
                version: 7,
                applied: 3,
            }
            .emit();
        });
        assert_eq!(
            recorder.names(),
            [
                "MigrationStarted",
                "MigrationRaceRetried",
                "MigrationRaceRetried",
                "SchemaMigrated"
            ]
        );
        assert_eq!(
            metrics.counter("earshot_storage_migration_race_retries_total", &[]),
            Some(2)
        );
        assert_eq!(
            metrics.gauge("earshot_storage_schema_version", &[]),
            Some(7.0)
        );
        assert_eq!(
            metrics.counter("earshot_storage_migrations_applied_total", &[]),
            Some(3)
        );
        assert_eq!(
            metrics.names(),
            [
                "earshot_storage_migration_race_retries_total",
                "earshot_storage_migrations_applied_total",
                "earshot_storage_schema_version"
            ],
            "starting a migration is a log line only"
        );
    }

    #[test]
    fn write_steps_are_timed_per_step() {
        let ((), metrics) = capture_metrics(|| {
            for (step, ms) in [
                ("dedup_lookup", 20),
                ("insert_rows", 120),
                ("dedup_lookup", 30),
            ] {
                WriteStepTimed {
                    step,
                    elapsed: std::time::Duration::from_millis(ms),
                }
                .emit();
            }
        });
        let seconds =
            |step| metrics.histogram("earshot_storage_write_step_seconds", &[("step", step)]);
        assert_eq!(seconds("dedup_lookup"), Some(vec![0.02, 0.03]));
        assert_eq!(seconds("insert_rows"), Some(vec![0.12]));
        assert_eq!(seconds("recompute_minute"), None);
    }

    #[test]
    fn dropped_partitions_count_per_table() {
        let ((), metrics) = capture_metrics(|| {
            for (table, partition) in [
                ("mentions", "20260101"),
                ("mentions", "20260102"),
                ("mentions_minute_local", "202601"),
            ] {
                PartitionDropped { table, partition }.emit();
            }
        });
        let dropped = |table| {
            metrics.counter(
                "earshot_storage_partitions_dropped_total",
                &[("table", table)],
            )
        };
        assert_eq!(dropped("mentions"), Some(2));
        assert_eq!(dropped("mentions_minute_local"), Some(1));
        assert_eq!(dropped("mentions_hour"), None);
    }
}
