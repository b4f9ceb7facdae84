//! Kafka settings and clients with the options Earshot relies on, in one place:
//! idempotent producers, consumers that never auto-commit, and topics created
//! explicitly (the local broker, like locked-down clusters, does not auto-create them).

mod internal_events;

use std::collections::BTreeMap;
use std::time::Duration;

use earshot_model::topics;
use earshot_runtime::InternalEvent;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::StreamConsumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;
use serde::Deserialize;

use crate::internal_events::TopicCreated;

/// The `[kafka]` section of the config file. Its `Debug` prints `properties` values
/// only for keys known to hold no credential ([`PUBLIC_PROPERTIES`]); every other value
/// (`sasl.password`, `sasl.oauthbearer.config`, `ssl.key.pem`…) prints `[redacted]`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// `host:port` list. Use `127.0.0.1`, not `localhost`, for the local broker (IPv4 only).
    pub brokers: String,
    /// Prepended to every topic name, so several pipelines can share a cluster.
    pub topic_prefix: String,
    /// Partitions for topics Earshot creates; the unit of processor parallelism.
    pub partitions: i32,
    pub replication_factor: i32,
    pub session_timeout_ms: u32,
    /// Extra librdkafka properties (`security.protocol`, `sasl.*`…), applied last.
    /// Values may hold credentials, so they are never logged.
    pub properties: BTreeMap<String, String>,
}

/// librdkafka properties whose values are safe to print. Anything else may be a
/// credential (and librdkafka has many spellings of them), so it is redacted.
pub const PUBLIC_PROPERTIES: &[&str] = &[
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "ssl.ca.location",
    "ssl.endpoint.identification.algorithm",
    "client.id",
    "compression.type",
    "acks",
    "linger.ms",
    "batch.size",
    "message.max.bytes",
    "socket.timeout.ms",
];

impl std::fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: BTreeMap<&str, &str> = self
            .properties
            .iter()
            .map(|(key, value)| {
                let shown = if PUBLIC_PROPERTIES.contains(&key.as_str()) {
                    value.as_str()
                } else {
                    "[redacted]"
                };
                (key.as_str(), shown)
            })
            .collect();
        f.debug_struct("KafkaConfig")
            .field("brokers", &self.brokers)
            .field("topic_prefix", &self.topic_prefix)
            .field("partitions", &self.partitions)
            .field("replication_factor", &self.replication_factor)
            .field("session_timeout_ms", &self.session_timeout_ms)
            .field("properties", &properties)
            .finish()
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            topic_prefix: String::new(),
            partitions: 4,
            replication_factor: 1,
            session_timeout_ms: 6000,
            properties: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kafka.{key}: {problem}")]
    Config { key: &'static str, problem: String },
    #[error("could not create Kafka client: {0}")]
    Client(#[source] KafkaError),
    #[error("could not create topic `{topic}`: {source}")]
    CreateTopic {
        topic: String,
        #[source]
        source: KafkaError,
    },
}

/// How a topic is created by [`KafkaConfig::ensure_topics`].
#[derive(Debug, Clone, Copy)]
pub struct TopicSpec {
    pub name: &'static str,
    /// Keep only the latest record per key (cursors); otherwise delete by age.
    pub compacted: bool,
    /// `None` uses `kafka.partitions`; single-partition topics keep a global order.
    pub partitions: Option<i32>,
}

/// Every topic the pipeline uses.
pub const PIPELINE_TOPICS: &[TopicSpec] = &[
    TopicSpec {
        name: topics::MENTIONS_RAW,
        compacted: false,
        partitions: None,
    },
    TopicSpec {
        name: topics::MENTIONS_DLQ,
        compacted: false,
        partitions: None,
    },
    TopicSpec {
        name: topics::COLLECTOR_CURSORS,
        compacted: true,
        partitions: Some(1),
    },
    TopicSpec {
        name: topics::COLLECTOR_JOBS,
        compacted: true,
        // The unit of job ownership among `earshot collect` processes: enough to spread
        // jobs over a dozen processes.
        partitions: Some(12),
    },
    TopicSpec {
        name: topics::ALERTS,
        compacted: false,
        partitions: Some(1),
    },
];

impl KafkaConfig {
    /// Checks values a broker would only reject later with a vaguer message.
    pub fn validate(&self) -> Result<(), Error> {
        if self.brokers.trim().is_empty() {
            return Err(Error::Config {
                key: "brokers",
                problem: "is empty; set it to host:port, e.g. 127.0.0.1:9092".into(),
            });
        }
        if self.partitions < 1 {
            return Err(Error::Config {
                key: "partitions",
                problem: format!("is {}; it must be at least 1", self.partitions),
            });
        }
        if self.replication_factor < 1 {
            return Err(Error::Config {
                key: "replication_factor",
                problem: format!("is {}; it must be at least 1", self.replication_factor),
            });
        }
        if !(1000..=300_000).contains(&self.session_timeout_ms) {
            return Err(Error::Config {
                key: "session_timeout_ms",
                problem: format!(
                    "is {}; use 1000..=300000 (6000 suits the local broker)",
                    self.session_timeout_ms
                ),
            });
        }
        Ok(())
    }

    /// The full name of one of the [`earshot_model::topics`].
    pub fn topic(&self, name: &str) -> String {
        format!("{}{}", self.topic_prefix, name)
    }

    fn base(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("broker.address.family", "v4")
            .set("client.id", "earshot");
        config
    }

    fn finish(&self, mut config: ClientConfig) -> ClientConfig {
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }

    /// An idempotent producer: retries after a lost ack do not duplicate records.
    pub fn producer(&self) -> Result<FutureProducer, Error> {
        let mut config = self.base();
        config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("compression.type", "none")
            .set("message.max.bytes", "8000000");
        self.finish(config).create().map_err(Error::Client)
    }

    /// A consumer in `group` that commits only when told to: offsets move after the
    /// effect of a record is durable, never before.
    pub fn consumer(&self, group: &str) -> Result<StreamConsumer, Error> {
        self.consumer_config(group).create().map_err(Error::Client)
    }

    /// Like [`KafkaConfig::consumer`], with a context that sees rebalances.
    pub fn consumer_with_context<C: rdkafka::consumer::ConsumerContext + 'static>(
        &self,
        group: &str,
        context: C,
    ) -> Result<StreamConsumer<C>, Error> {
        self.consumer_config(group)
            .create_with_context(context)
            .map_err(Error::Client)
    }

    fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = self.base();
        config
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", self.session_timeout_ms.to_string())
            .set(
                "heartbeat.interval.ms",
                (self.session_timeout_ms / 3).to_string(),
            )
            .set("fetch.wait.max.ms", "100")
            .set("partition.assignment.strategy", "range");
        self.finish(config)
    }

    /// Creates the given topics (with the prefix) if they do not exist yet.
    pub async fn ensure_topics(&self, specs: &[TopicSpec]) -> Result<(), Error> {
        let admin: AdminClient<DefaultClientContext> =
            self.finish(self.base()).create().map_err(Error::Client)?;
        let names: Vec<String> = specs.iter().map(|s| self.topic(s.name)).collect();
        let new_topics: Vec<NewTopic<'_>> = specs
            .iter()
            .zip(&names)
            .map(|(spec, name)| {
                let topic = NewTopic::new(
                    name,
                    spec.partitions.unwrap_or(self.partitions),
                    TopicReplication::Fixed(self.replication_factor),
                );
                if spec.compacted {
                    topic.set("cleanup.policy", "compact")
                } else {
                    topic
                }
            })
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = admin
            .create_topics(&new_topics, &options)
            .await
            .map_err(|source| Error::CreateTopic {
                topic: names.join(","),
                source,
            })?;
        for result in results {
            match result {
                Ok(topic) => TopicCreated { topic: &topic }.emit(),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => {
                    return Err(Error::CreateTopic {
                        topic,
                        source: KafkaError::AdminOp(code),
                    });
                }
            }
        }
        wait_for_leaders(admin, names).await
    }
}

/// Waits until every partition of `topics` has a leader. Apache Kafka answers
/// CreateTopics before the partitions are led, and a reader that asks for watermarks in
/// between gets `NotLeaderForPartition`.
async fn wait_for_leaders(
    admin: AdminClient<DefaultClientContext>,
    topics: Vec<String>,
) -> Result<(), Error> {
    tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        for topic in &topics {
            loop {
                let metadata = admin
                    .inner()
                    .fetch_metadata(Some(topic), Duration::from_secs(5));
                let led = metadata.as_ref().is_ok_and(|m| {
                    m.topics().iter().all(|t| {
                        t.error().is_none()
                            && !t.partitions().is_empty()
                            && t.partitions()
                                .iter()
                                .all(|p| p.leader() >= 0 && p.error().is_none())
                    })
                });
                if led {
                    break;
                }
                if std::time::Instant::now() >= deadline {
                    return Err(Error::CreateTopic {
                        topic: format!("{topic} (partitions without a leader after 30 s)"),
                        source: metadata
                            .err()
                            .unwrap_or(KafkaError::AdminOp(RDKafkaErrorCode::LeaderNotAvailable)),
                    });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    })
    .await
    .expect("the metadata task does not panic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_credential_properties() {
        let mut config = KafkaConfig::default();
        for (key, value) in [
            ("security.protocol", "SASL_SSL"),
            ("sasl.username", "earshot"),
            ("sasl.password", "hunter2-sasl"),
            ("sasl.oauthbearer.config", "clientSecret=hunter2-oauth"),
            ("ssl.key.pem", "-----BEGIN PRIVATE KEY----- hunter2-pem"),
        ] {
            config.properties.insert(key.into(), value.into());
        }
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains(r#""sasl.password": "[redacted]""#),
            "{printed}"
        );
        assert!(
            printed.contains(r#""security.protocol": "SASL_SSL""#),
            "{printed}"
        );
        assert!(
            printed.contains(r#""sasl.username": "earshot""#),
            "{printed}"
        );
        assert!(printed.contains("127.0.0.1:9092"), "{printed}");
    }
}
