//! Kafka topic names. Every name can carry a prefix (see `earshot-kafka`), so several
//! pipelines or test runs can share one broker without seeing each other's data.

/// Raw mentions as the collectors fetched them, keyed by [`crate::MentionId`].
pub const MENTIONS_RAW: &str = "mentions.raw";
/// Records `earshot process` could not accept, with the reason in a header.
pub const MENTIONS_DLQ: &str = "mentions.dlq";
/// Collector cursors, one compacted record per (platform, job) key.
pub const COLLECTOR_CURSORS: &str = "collector.cursors";
/// The (platform, query) jobs that collector instances share through a consumer group.
pub const COLLECTOR_JOBS: &str = "collector.jobs";
/// Preference-shift alerts raised by `earshot detect`.
pub const ALERTS: &str = "alerts";
