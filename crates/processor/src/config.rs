use std::time::Duration;

use serde::Deserialize;

/// Upper bound of `max_batch_rows`. The exactly-once argument needs every batch INSERT
/// to be a single insert block, i.e. fewer rows than ClickHouse's
/// `max_insert_block_size` (1,048,576 by default). A batch is cut at the first record
/// that reaches `max_batch_rows`, and that record may add one row per configured brand,
/// so the bound leaves a wide margin below the block size.
pub const MAX_BATCH_ROWS: usize = 100_000;

/// The `[processor]` section of the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessorConfig {
    /// Kafka consumer group; processors in one group share the partitions.
    pub group_id: String,
    /// A batch is written when it holds this many `mentions` rows (one per matched
    /// brand, so possibly more than records)... At most [`MAX_BATCH_ROWS`], so one
    /// batch is one ClickHouse insert block, which is applied whole or not at all.
    pub max_batch_rows: usize,
    /// ...or this many payload bytes (bounds memory whatever the backlog)...
    pub max_batch_bytes: usize,
    /// ...or when its oldest record has waited this long (bounds latency).
    pub max_batch_wait_ms: u64,
    /// Longest pause between retries while ClickHouse or Kafka is unavailable.
    pub max_retry_backoff_ms: u64,
    /// On SIGTERM the pending batch is written if that takes at most this long;
    /// otherwise (ClickHouse or Kafka down) it is left uncommitted, for redelivery.
    pub shutdown_grace_ms: u64,
    /// Where Prometheus metrics are served (`/metrics`); empty disables them.
    pub metrics_listen: String,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        Self {
            group_id: "earshot-process".into(),
            max_batch_rows: 20_000,
            max_batch_bytes: 32 * 1024 * 1024,
            max_batch_wait_ms: 250,
            max_retry_backoff_ms: 5_000,
            shutdown_grace_ms: 10_000,
            metrics_listen: "127.0.0.1:9464".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("processor.{key}: {problem}")]
pub struct ConfigError {
    pub key: &'static str,
    pub problem: String,
}

impl ProcessorConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key, problem: &str| {
            Err(ConfigError {
                key,
                problem: problem.into(),
            })
        };
        if self.group_id.trim().is_empty() {
            return fail(
                "group_id",
                "is empty; name the consumer group, e.g. earshot-process",
            );
        }
        if self.max_batch_rows == 0 {
            return fail(
                "max_batch_rows",
                "must be at least 1 (20000 is a good start)",
            );
        }
        if self.max_batch_rows > MAX_BATCH_ROWS {
            return fail(
                "max_batch_rows",
                "must be at most 100000, so a batch stays one ClickHouse insert block \
                 (max_insert_block_size, 1048576 rows) and is stored whole or not at all",
            );
        }
        if self.max_batch_bytes < 1024 * 1024 {
            return fail(
                "max_batch_bytes",
                "must be at least 1048576 (one maximal record)",
            );
        }
        if self.max_batch_wait_ms == 0 {
            return fail("max_batch_wait_ms", "must be at least 1");
        }
        if self.max_retry_backoff_ms < 10 {
            return fail("max_retry_backoff_ms", "must be at least 10");
        }
        if self.shutdown_grace_ms == 0 {
            return fail(
                "shutdown_grace_ms",
                "must be at least 1 (10000 is a good start)",
            );
        }
        if !self.metrics_listen.is_empty()
            && self.metrics_listen.parse::<std::net::SocketAddr>().is_err()
        {
            return fail(
                "metrics_listen",
                "must be host:port like 127.0.0.1:9464, or empty",
            );
        }
        Ok(())
    }

    pub fn max_batch_wait(&self) -> Duration {
        Duration::from_millis(self.max_batch_wait_ms)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    pub fn max_retry_backoff(&self) -> Duration {
        Duration::from_millis(self.max_retry_backoff_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_batch_rows_is_bounded_below_one_insert_block() {
        let ok = ProcessorConfig {
            max_batch_rows: MAX_BATCH_ROWS,
            ..ProcessorConfig::default()
        };
        assert!(ok.validate().is_ok());
        for rows in [MAX_BATCH_ROWS + 1, 2_000_000] {
            let too_big = ProcessorConfig {
                max_batch_rows: rows,
                ..ProcessorConfig::default()
            };
            let error = too_big.validate().expect_err("must be refused");
            assert_eq!(error.key, "max_batch_rows");
            assert!(error.to_string().starts_with("processor.max_batch_rows:"));
        }
    }
}
