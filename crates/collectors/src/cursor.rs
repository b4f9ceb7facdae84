//! Where jobs keep their cursors: the [`CursorStore`] trait, its Kafka implementation
//! [`KafkaCursorStore`] and an in-memory one ([`MemoryCursorStore`], for tests and the
//! offline tier).
//!
//! Durable collector cursors live on the compacted topic `collector.cursors`.
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

use async_trait::async_trait;

use crate::error::Error;
use crate::topic::TopicReader;

/// A job's cursors, by key, as JSON. `put` returns once the value is durable: a job
/// stores its cursor only after the page's mentions are acknowledged.
#[async_trait]
pub trait CursorStore: Send + Sync {
    /// Reads values other processes stored since the last read (call it before taking
    /// over a job another process ran).
    async fn refresh(&self) -> Result<(), Error>;
    /// The latest value under `key`.
    fn value(&self, key: &str) -> Option<Value>;
    /// Every latest value whose key starts with `prefix`.
    fn values_with_prefix(&self, prefix: &str) -> Vec<(String, Value)>;
    /// Stores `value` under `key` and waits until it is durable.
    async fn put_value(&self, key: &str, value: Value) -> Result<(), Error>;
    /// Deletes `key` and waits until that is durable: keys that only matter for a
    /// while (a day's quota ledger) must not pile up.
    async fn delete(&self, key: &str) -> Result<(), Error>;
}

/// A shared store is a store (what [`crate::JobContext`] holds).
#[async_trait]
impl<T: CursorStore + ?Sized> CursorStore for std::sync::Arc<T> {
    async fn refresh(&self) -> Result<(), Error> {
        (**self).refresh().await
    }

    fn value(&self, key: &str) -> Option<Value> {
        (**self).value(key)
    }

    fn values_with_prefix(&self, prefix: &str) -> Vec<(String, Value)> {
        (**self).values_with_prefix(prefix)
    }

    async fn put_value(&self, key: &str, value: Value) -> Result<(), Error> {
        (**self).put_value(key, value).await
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        (**self).delete(key).await
    }
}

/// Typed access to any [`CursorStore`].
#[async_trait]
pub trait CursorStoreExt: CursorStore {
    /// The job's latest cursor, or `None` if it never stored one.
    fn get<C: DeserializeOwned>(&self, job: &str) -> Result<Option<C>, Error> {
        self.value(job)
            .map(|value| {
                serde_json::from_value(value).map_err(|e| Error::Cursor {
                    job: job.to_string(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// Every stored value whose key starts with `prefix` (unreadable ones are skipped).
    fn with_prefix<C: DeserializeOwned>(&self, prefix: &str) -> Vec<(String, C)> {
        self.values_with_prefix(prefix)
            .into_iter()
            .filter_map(|(key, value)| Some((key, serde_json::from_value(value).ok()?)))
            .collect()
    }

    /// Stores the job's cursor and waits until it is durable.
    async fn put<C: Serialize + Sync>(&self, job: &str, cursor: &C) -> Result<(), Error> {
        let value = serde_json::to_value(cursor).expect("cursors serialize");
        self.put_value(job, value).await
    }
}

impl<T: CursorStore + ?Sized> CursorStoreExt for T {}

/// Cursors in memory: what a test or a one-off offline run needs. Nothing survives the
/// process, so it is never what `earshot collect` uses.
#[derive(Debug, Default)]
pub struct MemoryCursorStore {
    values: Mutex<HashMap<String, Value>>,
}

#[async_trait]
impl CursorStore for MemoryCursorStore {
    async fn refresh(&self) -> Result<(), Error> {
        Ok(())
    }

    fn value(&self, key: &str) -> Option<Value> {
        self.values.lock().unwrap().get(key).cloned()
    }

    fn values_with_prefix(&self, prefix: &str) -> Vec<(String, Value)> {
        let values = self.values.lock().unwrap();
        values
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }

    async fn put_value(&self, key: &str, value: Value) -> Result<(), Error> {
        self.values.lock().unwrap().insert(key.to_string(), value);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.values.lock().unwrap().remove(key);
        Ok(())
    }
}

pub struct KafkaCursorStore {
    producer: FutureProducer,
    topic: String,
    reader: tokio::sync::Mutex<TopicReader>,
    latest: Mutex<HashMap<String, Value>>,
}

impl KafkaCursorStore {
    /// Opens the store and loads every job's latest cursor.
    pub async fn open(kafka: &KafkaConfig, producer: FutureProducer) -> Result<Self, Error> {
        let topic = kafka.topic(topics::COLLECTOR_CURSORS);
        let reader = TopicReader::open(kafka, &topic, Duration::from_secs(30)).await?;
        let store = KafkaCursorStore {
            producer,
            topic,
            reader: tokio::sync::Mutex::new(reader),
            latest: Mutex::default(),
        };
        store.refresh().await?;
        Ok(store)
    }
}

#[async_trait]
impl CursorStore for KafkaCursorStore {
    /// Reads cursors other processes stored since the last read; call it before taking
    /// over a job another process ran.
    async fn refresh(&self) -> Result<(), Error> {
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

    fn value(&self, key: &str) -> Option<Value> {
        self.latest.lock().unwrap().get(key).cloned()
    }

    fn values_with_prefix(&self, prefix: &str) -> Vec<(String, Value)> {
        let latest = self.latest.lock().unwrap();
        latest
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }

    async fn put_value(&self, key: &str, value: Value) -> Result<(), Error> {
        let payload = serde_json::to_vec(&value).expect("JSON values serialize");
        earshot_runtime::produce_and_ack(
            &self.producer,
            &self.topic,
            key.as_bytes(),
            &payload,
            None,
        )
        .await
        .map_err(Error::Kafka)?;
        self.latest.lock().unwrap().insert(key.to_string(), value);
        Ok(())
    }

    /// A tombstone, which compaction then drops.
    async fn delete(&self, key: &str) -> Result<(), Error> {
        self.producer
            .send(
                FutureRecord::<str, [u8]>::to(&self.topic).key(key),
                earshot_runtime::produce::DEFAULT_QUEUE_TIMEOUT,
            )
            .await
            .map_err(|(error, _)| Error::Kafka(error))?;
        self.latest.lock().unwrap().remove(key);
        Ok(())
    }
}
