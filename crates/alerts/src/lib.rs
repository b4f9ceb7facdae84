//! `earshot detect`: preference-shift alerts from the ClickHouse rollups.
//!
//! Every run reads mention counts per bucket from a rollup (live mentions only; a
//! replay of history may include backfills), builds one series per brand and
//! dimension (volume, share of voice, and the cohort, source-type, language and
//! platform mix of the brand's mentions, see [`series`]), scores each with an
//! [`earshot_detection::Detector`], and delivers new alerts to the Kafka topic
//! `alerts`, Slack-compatible webhooks and the ClickHouse `alerts` table.
//!
//! Alerts have deterministic ids and runs are deterministic over the same data, so a
//! restarted detector raises nothing twice (see [`service`] and [`delivery`]).

mod alert;
mod config;
pub mod delivery;
mod internal_events;
pub mod series;
pub mod service;
mod sinks;

use chrono::{DateTime, Utc};

pub use alert::{Alert, Example, Window, alert_id};
pub use config::{ConfigError, DetectConfig, Dimension, WebhookConfig, redact_url};
pub use earshot_storage::RollupGrain;
pub use service::{AlertService, ReplayLine, RunReport};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("detect.detector: {0}")]
    Detector(#[from] earshot_detection::ConfigError),
    #[error(transparent)]
    Storage(#[from] earshot_storage::Error),
    #[error(transparent)]
    Kafka(#[from] earshot_kafka::Error),
    #[error("could not deliver alert {alert_id} to Kafka topic `{topic}`: {source}")]
    KafkaDelivery {
        alert_id: String,
        topic: String,
        /// Boxed: the error is large and rare.
        #[source]
        source: Box<rdkafka::error::KafkaError>,
    },
    #[error("could not encode an alert as JSON: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("could not build the webhook HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("nothing to replay: --from {from} is not a whole bucket before --to {to}")]
    EmptyRange {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    #[error("the replay would score {buckets} buckets; split it into ranges of at most {max}")]
    RangeTooLong { buckets: i64, max: i64 },
}
