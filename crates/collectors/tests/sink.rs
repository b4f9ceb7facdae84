//! The mention sink against the local Kafka: a mention the broker refuses for its size
//! is skipped and the rest of the page is produced, even the small mentions the broker
//! refused along with it in one batch.

mod common;

use std::time::Duration;

use common::*;
use earshot_collectors::{KafkaSink, Sink};
use earshot_model::{Author, MentionId, Platform, RawMention, SCHEMA_VERSION, topics};
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;

fn mention(id: &str, text: String) -> RawMention {
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Mastodon, id),
        platform: Platform::Mastodon,
        platform_id: id.into(),
        url: String::new(),
        text,
        created_at: chrono::Utc::now(),
        collected_at: chrono::Utc::now(),
        author: Author::default(),
        engagement: Default::default(),
        language_hint: None,
        origin: Default::default(),
        source: "test".into(),
        raw: serde_json::json!({}).into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_the_broker_refuses_is_skipped_and_the_page_goes_on() {
    let kafka = kafka("sink-too-large").await;
    let topic = kafka.topic(topics::MENTIONS_RAW);
    // A broker whose limit is below ours: 20 kB per record batch on this topic.
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .set("broker.address.family", "v4")
        .create()
        .unwrap();
    let alter =
        AlterConfig::new(ResourceSpecifier::Topic(&topic)).set("max.message.bytes", "20000");
    let results = admin
        .alter_configs(
            &[alter],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let mut page: Vec<RawMention> = (0..5)
        .map(|i| mention(&format!("a{i}"), "Orlen".into()))
        .collect();
    page.push(mention("huge", "x".repeat(100_000)));
    page.extend((0..5).map(|i| mention(&format!("b{i}"), "Orlen".into())));
    let sink = KafkaSink::new(&kafka, kafka.producer().unwrap());
    sink.send(&page)
        .await
        .expect("one refused mention does not fail the page");

    let mut ids: Vec<String> = produced(&kafka)
        .await
        .into_iter()
        .map(|m| m.id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    let mut want: Vec<String> = page
        .iter()
        .filter(|m| m.platform_id != "huge")
        .map(|m| m.id.to_string())
        .collect();
    want.sort();
    assert_eq!(ids, want);
}
