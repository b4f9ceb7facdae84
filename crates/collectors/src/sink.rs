//! Producing raw mentions to `mentions.raw`.

use std::time::Duration;

use earshot_kafka::KafkaConfig;
use earshot_model::{RawMention, topics};
use futures::future::join_all;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::error::Error;

/// Produces mentions keyed by their [`earshot_model::MentionId`], so every copy of a
/// mention lands on one partition and the processor can drop repeats.
#[derive(Clone)]
pub struct MentionSink {
    producer: FutureProducer,
    topic: String,
    queue_timeout: Duration,
}

impl MentionSink {
    pub fn new(kafka: &KafkaConfig, producer: FutureProducer) -> Self {
        MentionSink {
            producer,
            topic: kafka.topic(topics::MENTIONS_RAW),
            queue_timeout: Duration::from_secs(30),
        }
    }

    /// Produces a page of mentions and returns once the broker has acknowledged every
    /// one of them; only then may the caller advance the page's cursor.
    pub async fn send(&self, mentions: &[RawMention]) -> Result<(), Error> {
        let encoded: Vec<(String, Vec<u8>)> = mentions
            .iter()
            .map(|m| (m.id.as_str().to_string(), m.encode()))
            .collect();
        let deliveries = encoded.iter().map(|(key, payload)| {
            self.producer.send(
                FutureRecord::to(&self.topic).key(key).payload(payload),
                self.queue_timeout,
            )
        });
        for result in join_all(deliveries).await {
            result.map_err(|(error, _)| Error::Kafka(error))?;
        }
        for mention in mentions {
            metrics::counter!("earshot_collector_mentions_total", "platform" => mention.platform.as_str())
                .increment(1);
        }
        Ok(())
    }
}
