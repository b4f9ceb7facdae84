//! Producing to Kafka and waiting for the broker's acknowledgement: what every stage
//! does before it moves a cursor, commits an offset or reports an alert delivered.

use std::time::Duration;

use futures::future::join_all;
use rdkafka::error::KafkaError;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};

/// How long a record may wait in the producer's queue when it is full.
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(30);

/// Produces one record and returns once the broker has acknowledged it.
pub async fn produce_and_ack(
    producer: &FutureProducer,
    topic: &str,
    key: &[u8],
    payload: &[u8],
    headers: Option<OwnedHeaders>,
) -> Result<(), KafkaError> {
    let mut record = FutureRecord::to(topic).key(key).payload(payload);
    if let Some(headers) = headers {
        record = record.headers(headers);
    }
    producer
        .send(record, DEFAULT_QUEUE_TIMEOUT)
        .await
        .map(|_| ())
        .map_err(|(error, _)| error)
}

/// Produces every `(key, payload)` at once and returns once the broker has
/// acknowledged all of them, or the first error (the others may have landed: callers
/// must be idempotent, as a page re-sent after a crash is).
pub async fn produce_all_and_ack<K, P>(
    producer: &FutureProducer,
    topic: &str,
    records: &[(K, P)],
) -> Result<(), KafkaError>
where
    K: AsRef<[u8]>,
    P: AsRef<[u8]>,
{
    produce_each_and_ack(producer, topic, records)
        .await
        .into_iter()
        .collect()
}

/// Produces every `(key, payload)` at once and returns each one's acknowledgement, in
/// order: for callers that treat some refusals (a record too large for the broker)
/// apart from the rest.
pub async fn produce_each_and_ack<K, P>(
    producer: &FutureProducer,
    topic: &str,
    records: &[(K, P)],
) -> Vec<Result<(), KafkaError>>
where
    K: AsRef<[u8]>,
    P: AsRef<[u8]>,
{
    let deliveries = records.iter().map(|(key, payload)| {
        producer.send(
            FutureRecord::to(topic)
                .key(key.as_ref())
                .payload(payload.as_ref()),
            DEFAULT_QUEUE_TIMEOUT,
        )
    });
    join_all(deliveries)
        .await
        .into_iter()
        .map(|result| result.map(|_| ()).map_err(|(error, _)| error))
        .collect()
}
