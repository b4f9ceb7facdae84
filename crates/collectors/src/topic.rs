//! Reading a Kafka topic up to its current end: how the cursor store loads state, how
//! job ownership is learnt, and how tests see exactly what was produced.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use earshot_kafka::KafkaConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::error::Error;

/// Keeps librdkafka's end-of-partition notices, which this reader waits for, out of
/// the error log; every other client error is logged as usual.
pub struct QuietEof;

impl ClientContext for QuietEof {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::PartitionEOF) {
            tracing::error!(%error, reason, "kafka client error");
        }
    }
}

impl ConsumerContext for QuietEof {}

/// One record as read.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    /// `None` for a tombstone.
    pub payload: Option<Vec<u8>>,
}

/// Reads every partition of one topic from the beginning, one "to the end" at a time:
/// each [`TopicReader::read_to_end`] returns the records that arrived since the last.
///
/// "The end" is where the broker reports end-of-partition while fetching, and at least
/// the high watermark from `ListOffsets`. The watermark alone is not enough: Tansu's
/// `ListOffsets` can lag a few records behind what it has acknowledged and serves.
pub struct TopicReader {
    consumer: Arc<StreamConsumer<QuietEof>>,
    topic: String,
    /// Next offset to read per partition.
    positions: HashMap<i32, i64>,
    timeout: Duration,
}

impl TopicReader {
    /// `topic` is the full name (prefix applied). Uses manual assignment, so the group
    /// id only labels the client: nothing is committed and no group is joined.
    pub async fn open(kafka: &KafkaConfig, topic: &str, timeout: Duration) -> Result<Self, Error> {
        let mut kafka = kafka.clone();
        kafka
            .properties
            .insert("enable.partition.eof".into(), "true".into());
        let consumer = Arc::new(kafka.consumer_with_context("earshot-topic-reader", QuietEof)?);
        let partitions = {
            let consumer = consumer.clone();
            let topic = topic.to_string();
            tokio::task::spawn_blocking(move || {
                let metadata = consumer.fetch_metadata(Some(&topic), timeout)?;
                Ok::<_, rdkafka::error::KafkaError>(
                    metadata
                        .topics()
                        .iter()
                        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                        .collect::<Vec<_>>(),
                )
            })
            .await
            .expect("metadata task does not panic")?
        };
        if partitions.is_empty() {
            return Err(Error::ReadTimeout {
                topic: format!("{topic} (no partitions; was it created?)"),
            });
        }
        Ok(TopicReader {
            consumer,
            topic: topic.to_string(),
            positions: partitions.into_iter().map(|p| (p, 0)).collect(),
            timeout,
        })
    }

    /// Reads until every partition reaches the high watermark it had when called.
    pub async fn read_to_end(&mut self) -> Result<Vec<Record>, Error> {
        let ends = {
            let consumer = self.consumer.clone();
            let topic = self.topic.clone();
            let partitions: Vec<i32> = self.positions.keys().copied().collect();
            let timeout = self.timeout;
            tokio::task::spawn_blocking(move || {
                partitions
                    .into_iter()
                    .map(|p| {
                        fetch_watermark_while_leaderless(&consumer, &topic, p, timeout)
                            .map(|high| (p, high))
                    })
                    .collect::<Result<HashMap<i32, i64>, _>>()
            })
            .await
            .expect("watermark task does not panic")?
        };
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut records = Vec::new();
        let mut at_end: HashSet<i32> = HashSet::new();
        while at_end.len() < self.positions.len() {
            // Re-assigning at our positions resets the fetch state, so the consumer
            // reports end-of-partition afresh, even where it did on an earlier call or
            // where a notice got lost while the broker was busy.
            self.assign_at_positions()?;
            let idle = tokio::time::Instant::now() + Duration::from_secs(2);
            loop {
                if at_end.len() == self.positions.len() {
                    break;
                }
                let next =
                    match tokio::time::timeout_at(idle.min(deadline), self.consumer.recv()).await {
                        Ok(next) => next,
                        Err(_) if tokio::time::Instant::now() >= deadline => {
                            return Err(Error::ReadTimeout {
                                topic: self.topic.clone(),
                            });
                        }
                        Err(_) => break,
                    };
                match next {
                    Ok(message)
                        if message.offset()
                            < self
                                .positions
                                .get(&message.partition())
                                .copied()
                                .unwrap_or(0) =>
                    {
                        // Buffered before a re-assignment; already read.
                    }
                    Ok(message) => {
                        at_end.remove(&message.partition());
                        self.positions
                            .insert(message.partition(), message.offset() + 1);
                        records.push(Record {
                            partition: message.partition(),
                            offset: message.offset(),
                            key: message.key().map(<[u8]>::to_vec),
                            payload: message.payload().map(<[u8]>::to_vec),
                        });
                    }
                    Err(KafkaError::PartitionEOF(partition)) => {
                        let position = self.positions.get(&partition).copied().unwrap_or(0);
                        if position >= ends.get(&partition).copied().unwrap_or(0) {
                            at_end.insert(partition);
                        }
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(records)
    }

    fn assign_at_positions(&self) -> Result<(), Error> {
        let mut assignment = TopicPartitionList::new();
        for (partition, position) in &self.positions {
            assignment.add_partition_offset(&self.topic, *partition, Offset::Offset(*position))?;
        }
        self.consumer.assign(&assignment)?;
        Ok(())
    }
}

/// The high watermark of one partition, asked again while the partition has no leader.
/// A broker that has just restarted (or just created the topic) answers
/// `NotLeaderForPartition` until it leads its partitions again, which is a wait, not an
/// error.
fn fetch_watermark_while_leaderless<C: ConsumerContext>(
    consumer: &StreamConsumer<C>,
    topic: &str,
    partition: i32,
    timeout: Duration,
) -> rdkafka::error::KafkaResult<i64> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match consumer.fetch_watermarks(topic, partition, timeout) {
            Ok((_, high)) => return Ok(high),
            Err(KafkaError::MetadataFetch(
                RDKafkaErrorCode::NotLeaderForPartition | RDKafkaErrorCode::LeaderNotAvailable,
            )) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => return Err(error),
        }
    }
}
