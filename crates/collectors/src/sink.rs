//! Where jobs deliver mentions: the [`Sink`] trait, its Kafka implementation
//! [`KafkaSink`] (the topic `mentions.raw`) and an in-memory one ([`MemorySink`], for
//! tests and the offline tier). Both store a post time outside the plausible window as
//! its collection time ([`with_plausible_time`]).

use std::sync::Mutex;

use async_trait::async_trait;

use earshot_kafka::KafkaConfig;
use earshot_model::{MAX_PLAUSIBLE_FOLLOWERS, MAX_RAW_MENTION_BYTES, Platform, RawMention, topics};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;

use crate::error::Error;
use crate::internal_events::{
    ImplausibleFollowers, ImplausibleTime, MentionOversized, MentionsProduced,
};
use earshot_runtime::InternalEvent;

/// Takes a page of mentions; `send` returns once every one of them is durable, and only
/// then may the caller advance the page's cursor.
#[async_trait]
pub trait Sink: Send + Sync {
    async fn send(&self, mentions: &[RawMention]) -> Result<(), Error>;
}

/// Keeps what it is sent, for tests and offline runs.
#[derive(Debug, Default)]
pub struct MemorySink {
    mentions: Mutex<Vec<RawMention>>,
}

impl MemorySink {
    /// Everything sent so far, in order.
    pub fn mentions(&self) -> Vec<RawMention> {
        self.mentions.lock().unwrap().clone()
    }
}

#[async_trait]
impl Sink for MemorySink {
    async fn send(&self, mentions: &[RawMention]) -> Result<(), Error> {
        // The same clamps and size cap as the Kafka sink, decoded back.
        let records = records(mentions);
        let stored = records.iter().map(|(_, _, payload)| {
            RawMention::decode(payload).expect("a record we encoded decodes")
        });
        self.mentions.lock().unwrap().extend(stored);
        count_produced(records.iter().map(|(m, _, _)| *m));
        Ok(())
    }
}

fn count_produced<'a>(mentions: impl Iterator<Item = &'a RawMention>) {
    let mentions: Vec<&RawMention> = mentions.collect();
    for platform in Platform::ALL {
        let count = mentions.iter().filter(|m| m.platform == platform).count() as u64;
        if count > 0 {
            MentionsProduced { platform, count }.emit();
        }
    }
}

/// Produces mentions keyed by their [`earshot_model::MentionId`], so every copy of a
/// mention lands on one partition and the processor can drop repeats.
#[derive(Clone)]
pub struct KafkaSink {
    producer: FutureProducer,
    topic: String,
}

impl KafkaSink {
    pub fn new(kafka: &KafkaConfig, producer: FutureProducer) -> Self {
        KafkaSink {
            producer,
            topic: kafka.topic(topics::MENTIONS_RAW),
        }
    }
}

#[async_trait]
impl Sink for KafkaSink {
    /// Produces a page of mentions and returns once the broker has acknowledged every
    /// one of them; only then may the caller advance the page's cursor.
    async fn send(&self, mentions: &[RawMention]) -> Result<(), Error> {
        let encoded = records(mentions);
        let keyed: Vec<(&str, &[u8])> = encoded
            .iter()
            .map(|(_, key, payload)| (key.as_str(), payload.as_slice()))
            .collect();
        let results =
            earshot_runtime::produce_each_and_ack(&self.producer, &self.topic, &keyed).await;
        let mut produced = Vec::with_capacity(encoded.len());
        let mut refused = Vec::new();
        for (record, result) in encoded.iter().zip(results) {
            match result {
                Ok(()) => produced.push(record.0),
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)) => {
                    refused.push(record);
                }
                Err(error) => return Err(Error::Kafka(error)),
            }
        }
        // The broker refuses a whole batch over its limit, so small records batched with
        // a large one are refused too: each goes again alone, and one still refused
        // alone is skipped. Failing instead would re-send the page every interval and
        // never move the cursor.
        for (mention, key, payload) in refused {
            let alone = earshot_runtime::produce_and_ack(
                &self.producer,
                &self.topic,
                key.as_bytes(),
                payload,
                None,
            )
            .await;
            match alone {
                Ok(()) => produced.push(mention),
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)) => {
                    oversized(mention, payload.len(), "broker");
                }
                Err(error) => return Err(Error::Kafka(error)),
            }
        }
        count_produced(produced.into_iter());
        Ok(())
    }
}

/// A page's records keyed by [`RawMention::id`] (so all copies of a mention share a
/// partition, which the processor checks), each with a plausible time. A mention
/// encoding to more than [`MAX_RAW_MENTION_BYTES`] is left out, logged and counted
/// (`earshot_collector_oversized_items_total`): the processor would refuse it, and
/// the rest of the page must still be produced.
fn records(mentions: &[RawMention]) -> Vec<(&RawMention, String, Vec<u8>)> {
    mentions
        .iter()
        .filter_map(|m| {
            let payload = match with_plausible_followers(with_plausible_time(m), m) {
                Some(clamped) => clamped.encode(),
                None => m.encode(),
            };
            if payload.len() > MAX_RAW_MENTION_BYTES {
                oversized(m, payload.len(), "collector");
                return None;
            }
            Some((m, m.id.as_str().to_string(), payload))
        })
        .collect()
}

fn oversized(mention: &RawMention, size: usize, refused_by: &'static str) {
    MentionOversized {
        platform: mention.platform,
        id: mention.id.as_str(),
        source: &mention.source,
        size,
        refused_by,
    }
    .emit();
}

/// `clamped` (or `mention`, if nothing was clamped yet) with the author's followers at
/// most [`MAX_PLAUSIBLE_FOLLOWERS`]; a forged u64::MAX would poison `potential_reach`.
/// Logged and counted (`earshot_collector_implausible_followers_total`); the original
/// count stays in `raw`.
fn with_plausible_followers(
    clamped: Option<RawMention>,
    mention: &RawMention,
) -> Option<RawMention> {
    if mention.author.followers <= MAX_PLAUSIBLE_FOLLOWERS {
        return clamped;
    }
    ImplausibleFollowers {
        platform: mention.platform,
        id: mention.id.as_str(),
        source: &mention.source,
        followers: mention.author.followers,
    }
    .emit();
    let mut clamped = clamped.unwrap_or_else(|| mention.clone());
    clamped.author.followers = MAX_PLAUSIBLE_FOLLOWERS;
    Some(clamped)
}

/// How long before its collection a post may have been written: older than every
/// platform we read, so an earlier time is a forged or broken date.
pub const MAX_POST_AGE: chrono::TimeDelta = chrono::TimeDelta::days(30 * 365);

/// How far after its collection a post's time may lie (clock skew, a wrong time zone).
pub const MAX_POST_LEAD: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// `mention` with `created_at` set to its `collected_at` when the platform's time lies
/// outside [`MAX_POST_AGE`] before or [`MAX_POST_LEAD`] after collection (a post dated
/// 1971 or 2100 must not open a storage partition; anyone could create thousands with
/// odd dates). `None` when the time is plausible. The original time stays in `raw`,
/// the platform's item as received; each clamp is logged and counted
/// (`earshot_collector_implausible_times_total`).
pub fn with_plausible_time(mention: &RawMention) -> Option<RawMention> {
    let side = if mention.created_at < mention.collected_at - MAX_POST_AGE {
        "past"
    } else if mention.created_at > mention.collected_at + MAX_POST_LEAD {
        "future"
    } else {
        return None;
    };
    ImplausibleTime {
        platform: mention.platform,
        id: mention.id.as_str(),
        source: &mention.source,
        created_at: mention.created_at,
        side,
    }
    .emit();
    let mut clamped = mention.clone();
    clamped.created_at = mention.collected_at;
    Some(clamped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_model::{Author, MentionId, Platform, SCHEMA_VERSION};

    fn mention(created_at: &str) -> RawMention {
        RawMention {
            schema_version: SCHEMA_VERSION,
            id: MentionId::new(Platform::Bluesky, "3k1"),
            platform: Platform::Bluesky,
            platform_id: "3k1".into(),
            url: String::new(),
            text: "Orlen".into(),
            created_at: created_at.parse().unwrap(),
            collected_at: "2026-03-12T08:00:00Z".parse().unwrap(),
            author: Author::default(),
            engagement: Default::default(),
            language_hint: None,
            origin: Default::default(),
            source: String::new(),
            raw: serde_json::json!({"createdAt": created_at}).into(),
        }
    }

    #[test]
    fn far_past_and_future_times_become_the_collection_time() {
        for odd in ["1971-01-01T00:00:00Z", "2100-01-01T00:00:00Z"] {
            let clamped = with_plausible_time(&mention(odd)).unwrap();
            assert_eq!(clamped.created_at, clamped.collected_at, "{odd}");
            assert_eq!(clamped.raw.to_value()["createdAt"], odd);
        }
        // An old post a backfill finds, and a little clock skew, are kept as they are.
        assert!(with_plausible_time(&mention("2009-05-01T12:00:00Z")).is_none());
        assert!(with_plausible_time(&mention("2026-03-12T09:30:00Z")).is_none());
    }

    #[test]
    fn records_are_keyed_by_mention_id_and_an_oversized_one_is_left_out() {
        let small = mention("2026-03-12T07:00:00Z");
        let mut huge = mention("2026-03-12T07:00:00Z");
        huge.id = MentionId::new(Platform::Bluesky, "huge");
        huge.platform_id = "huge".into();
        huge.text = "x".repeat(MAX_RAW_MENTION_BYTES);
        let mut last = mention("2026-03-12T07:00:00Z");
        last.id = MentionId::new(Platform::Bluesky, "last");
        last.platform_id = "last".into();
        let page = [small, huge, last];
        let records = records(&page);
        let keys: Vec<&str> = records.iter().map(|(_, key, _)| key.as_str()).collect();
        assert_eq!(
            keys,
            ["bluesky:3k1", "bluesky:last"],
            "the rest of the page goes on"
        );
        for (mention, key, payload) in &records {
            assert_eq!(key, mention.id.as_str());
            assert_eq!(RawMention::decode(payload).unwrap().id.as_str(), key);
        }
    }

    #[test]
    fn forged_follower_counts_are_clamped_and_sum_without_overflow() {
        let mut page: Vec<RawMention> = (0..1000)
            .map(|i| {
                let mut m = mention("1971-01-01T00:00:00Z");
                m.id = MentionId::new(Platform::Bluesky, &i.to_string());
                m.platform_id = i.to_string();
                m.author.followers = u64::MAX;
                m
            })
            .collect();
        page[0].author.followers = 1_234;
        let reach = records(&page)
            .iter()
            .map(|(_, _, payload)| RawMention::decode(payload).unwrap())
            .try_fold(0u64, |sum, m| {
                // Both clamps at once: the time one must not undo the followers one.
                assert_eq!(m.created_at, m.collected_at);
                sum.checked_add(m.author.followers)
            });
        assert_eq!(reach, Some(1_234 + 999 * MAX_PLAUSIBLE_FOLLOWERS));
    }
}
