//! Durable collector cursors on the compacted topic `collector.cursors`.
//!
//! Key = job id, value = the job's cursor as JSON. Compaction keeps the latest value per
//! key, so loading is "read the topic to its end and keep the last value per key". A
//! cursor is stored only after the mentions of its page are acknowledged by Kafka, so a
//! crash repeats at most one page (the processor drops the repeats by mention id) and
//! never skips one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use earshot_kafka::KafkaConfig;
use earshot_model::topics;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::topic::TopicReader;

pub struct CursorStore {
    producer: FutureProducer,
    topic: String,
    reader: tokio::sync::Mutex<TopicReader>,
    latest: Mutex<HashMap<String, Value>>,
}

impl CursorStore {
    /// Opens the store and loads every job's latest cursor.
    pub async fn open(kafka: &KafkaConfig, producer: FutureProducer) -> Result<Self, Error> {
        let topic = kafka.topic(topics::COLLECTOR_CURSORS);
        let reader = TopicReader::open(kafka, &topic, Duration::from_secs(30)).await?;
        let store = CursorStore {
            producer,
            topic,
            reader: tokio::sync::Mutex::new(reader),
            latest: Mutex::default(),
        };
        store.refresh().await?;
        Ok(store)
    }

    /// Reads cursors other processes stored since the last read; call it before taking
    /// over a job another process ran.
    pub async fn refresh(&self) -> Result<(), Error> {
        let records = self.reader.lock().await.read_to_end().await?;
        let mut latest = self.latest.lock().unwrap();
        for record in records {
            let Some(key) = record.key.and_then(|k| String::from_utf8(k).ok()) else {
                continue;
            };
            match record.payload.map(|p| serde_json::from_slice::<Value>(&p)) {
                Some(Ok(value)) => {
                    latest.insert(key, value);
                }
                Some(Err(error)) => {
                    tracing::warn!(job = %key, %error, "ignoring unreadable cursor record");
                }
                None => {
                    latest.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// The job's latest cursor, or `None` if it never stored one.
    pub fn get<C: DeserializeOwned>(&self, job: &str) -> Result<Option<C>, Error> {
        let latest = self.latest.lock().unwrap();
        latest
            .get(job)
            .map(|value| {
                serde_json::from_value(value.clone()).map_err(|e| Error::Cursor {
                    job: job.to_string(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// Every stored value whose key starts with `prefix` (unreadable ones are skipped).
    pub fn with_prefix<C: DeserializeOwned>(&self, prefix: &str) -> Vec<(String, C)> {
        let latest = self.latest.lock().unwrap();
        latest
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .filter_map(|(key, value)| {
                Some((key.clone(), serde_json::from_value(value.clone()).ok()?))
            })
            .collect()
    }

    /// Stores the job's cursor and waits until Kafka has it.
    pub async fn put<C: Serialize>(&self, job: &str, cursor: &C) -> Result<(), Error> {
        let value = serde_json::to_value(cursor).expect("cursors serialize");
        let payload = serde_json::to_vec(&value).expect("JSON values serialize");
        self.producer
            .send(
                FutureRecord::to(&self.topic).key(job).payload(&payload),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(error, _)| Error::Kafka(error))?;
        self.latest.lock().unwrap().insert(job.to_string(), value);
        Ok(())
    }

    /// Deletes `key` (a tombstone, which compaction then drops) and waits until Kafka
    /// has it: keys that only ever matter for a while must not pile up in the topic.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.producer
            .send(
                FutureRecord::<str, [u8]>::to(&self.topic).key(key),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(error, _)| Error::Kafka(error))?;
        self.latest.lock().unwrap().remove(key);
        Ok(())
    }
}
