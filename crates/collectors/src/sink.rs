//! Where jobs deliver mentions: the [`Sink`] trait, its Kafka implementation
//! [`KafkaSink`] (the topic `mentions.raw`) and an in-memory one ([`MemorySink`], for
//! tests and the offline tier). Both store a post time outside the plausible window as
//! its collection time ([`with_plausible_time`]).

use std::sync::Mutex;

use async_trait::async_trait;

use earshot_kafka::KafkaConfig;
use earshot_model::{Platform, RawMention, topics};
use rdkafka::producer::FutureProducer;

use crate::error::Error;
use crate::internal_events::{ImplausibleTime, MentionsProduced};
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
        let stored = mentions
            .iter()
            .map(|m| with_plausible_time(m).unwrap_or_else(|| m.clone()));
        self.mentions.lock().unwrap().extend(stored);
        count_produced(mentions);
        Ok(())
    }
}

fn count_produced(mentions: &[RawMention]) {
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
        let encoded: Vec<(String, Vec<u8>)> = mentions
            .iter()
            .map(|m| {
                let payload = match with_plausible_time(m) {
                    Some(clamped) => clamped.encode(),
                    None => m.encode(),
                };
                (m.id.as_str().to_string(), payload)
            })
            .collect();
        earshot_runtime::produce_all_and_ack(&self.producer, &self.topic, &encoded)
            .await
            .map_err(Error::Kafka)?;
        count_produced(mentions);
        Ok(())
    }
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
}
