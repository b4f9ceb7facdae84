use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::Error;
use crate::schema::SchemaTarget;

/// The `[clickhouse]` section of the config file.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouseConfig {
    /// HTTP interface, e.g. `http://127.0.0.1:8123`; `https://` is spoken with rustls,
    /// trusting the system's CA certificates (the image installs `ca-certificates`).
    pub url: String,
    pub database: String,
    pub user: String,
    /// Set it through `EARSHOT_CLICKHOUSE__PASSWORD`; it is never logged.
    pub password: String,
    /// How long one ClickHouse call may take (an INSERT, a rollup recompute, a lookup
    /// or a read) before it is abandoned; the processor then retries the batch.
    pub insert_timeout_secs: u64,
    /// Compression of request and response bodies: `lz4` (default) or `none`.
    pub compression: Compression,
    /// A cluster name from the servers' `remote_servers` config: tables become
    /// replicated tables on every node with `Distributed` tables over them, and every
    /// DDL statement runs `ON CLUSTER` (see docs/deploy.md). Unset: one server.
    pub cluster: Option<String>,
    pub retention: RetentionConfig,
}

/// How request and response bodies are compressed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    Lz4,
    None,
}

impl fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClickHouseConfig")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("user", &self.user)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("insert_timeout_secs", &self.insert_timeout_secs)
            .field("compression", &self.compression)
            .field("cluster", &self.cluster)
            .field("retention", &self.retention)
            .finish()
    }
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8123".into(),
            database: "earshot".into(),
            user: "default".into(),
            password: String::new(),
            insert_timeout_secs: 30,
            compression: Compression::Lz4,
            cluster: None,
            retention: RetentionConfig::default(),
        }
    }
}

/// How long each table keeps data, enforced by `earshot retention` dropping whole
/// partitions (TTL is not available on every ClickHouse we support). Zero keeps forever.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Mention rows, partitioned by month.
    pub mentions_days: u32,
    /// Minute rollup, partitioned by day.
    pub minute_rollup_days: u32,
    /// Hour rollup, partitioned by month.
    pub hour_rollup_days: u32,
    /// Day rollup, partitioned by year.
    pub day_rollup_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            mentions_days: 395,
            minute_rollup_days: 14,
            hour_rollup_days: 400,
            day_rollup_days: 0,
        }
    }
}

impl ClickHouseConfig {
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(Error::Config {
                key: "url",
                problem: format!(
                    "`{}` is not an HTTP URL; use e.g. http://127.0.0.1:8123",
                    self.url
                ),
            });
        }
        if self.database.is_empty()
            || !self
                .database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::Config {
                key: "database",
                problem: format!(
                    "`{}` must be non-empty and use only letters, digits and _",
                    self.database
                ),
            });
        }
        if let Some(cluster) = &self.cluster
            && (cluster.is_empty()
                || !cluster
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(Error::Config {
                key: "cluster",
                problem: format!("`{cluster}` must be a cluster name from remote_servers"),
            });
        }
        if self.insert_timeout_secs == 0 {
            return Err(Error::Config {
                key: "insert_timeout_secs",
                problem: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// Where the schema goes: this database, on one server or on the cluster.
    pub fn schema_target(&self) -> SchemaTarget<'_> {
        SchemaTarget {
            database: &self.database,
            cluster: self.cluster.as_deref(),
        }
    }

    pub(crate) fn insert_timeout(&self) -> Duration {
        Duration::from_secs(self.insert_timeout_secs)
    }
}
