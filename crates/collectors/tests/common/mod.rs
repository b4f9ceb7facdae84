//! Shared test scaffolding: the local Kafka stack, a unique topic prefix per test, the
//! replay server, and reading back exactly what the collectors produced.
#![allow(dead_code)]

pub mod platforms;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use earshot_collectors::topic::TopicReader;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions, RunReport};
use earshot_kafka::KafkaConfig;
use earshot_model::{Brand, RawMention, topics};
use earshot_replay::{Dataset, ReplayServer};

static STACK: Once = Once::new();

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts the local stack once per test binary; fails loudly if it cannot.
pub fn ensure_stack() {
    STACK.call_once(|| {
        let status = std::process::Command::new("bash")
            .arg(repo_root().join("deploy/local/up.sh"))
            .status()
            .expect("could not run deploy/local/up.sh");
        assert!(
            status.success(),
            "deploy/local/up.sh failed ({status}); the tests need Kafka on 127.0.0.1:9092"
        );
    });
}

/// A Kafka config whose topics no other test sees, with the collector topics created.
pub async fn kafka(test: &str) -> KafkaConfig {
    ensure_stack();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let kafka = KafkaConfig {
        topic_prefix: format!("test-{test}-{}-{nanos}.", std::process::id()),
        partitions: 2,
        ..KafkaConfig::default()
    };
    kafka
        .ensure_topics(&earshot_collectors::collector_topics())
        .await
        .expect("create test topics");
    kafka
}

/// Every mention on the test's `mentions.raw`, in the order read.
pub async fn produced(kafka: &KafkaConfig) -> Vec<RawMention> {
    let mut reader = TopicReader::open(
        kafka,
        &kafka.topic(topics::MENTIONS_RAW),
        Duration::from_secs(20),
    )
    .await
    .expect("open mentions.raw");
    let records = reader.read_to_end().await.expect("read mentions.raw");
    records
        .into_iter()
        .map(|r| {
            let mention = RawMention::decode(r.payload.as_deref().expect("no tombstones"))
                .expect("valid raw mention");
            assert_eq!(
                r.key.as_deref(),
                Some(mention.id.as_str().as_bytes()),
                "keyed by mention id"
            );
            mention
        })
        .collect()
}

/// Asserts the produced ids are exactly `expected`, with at most `max_repeats` repeated
/// records (the one page a crash between produce and cursor store may repeat).
pub fn assert_exactly(mentions: &[RawMention], expected: &BTreeSet<String>, max_repeats: usize) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in mentions {
        *counts.entry(m.id.as_str()).or_default() += 1;
    }
    let got: BTreeSet<String> = counts.keys().map(|k| k.to_string()).collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(expected).collect();
    assert!(
        missing.is_empty(),
        "{} mentions missing (gap), e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(3)]
    );
    assert!(
        extra.is_empty(),
        "{} unexpected mentions, e.g. {:?}",
        extra.len(),
        &extra[..extra.len().min(3)]
    );
    let repeats = mentions.len() - got.len();
    assert!(
        repeats <= max_repeats,
        "{repeats} repeated records (allowed {max_repeats})"
    );
}

pub fn sample_dataset() -> Dataset {
    Dataset::from_files([repo_root().join("samples/mastodon/statuses.json")]).expect("sample data")
}

pub async fn replay() -> ReplayServer {
    earshot_replay::start(sample_dataset())
        .await
        .expect("start replay server")
}

pub fn brand(hashtags: &[&str]) -> Brand {
    Brand {
        name: "Test".into(),
        hashtags: hashtags.iter().map(|t| t.to_string()).collect(),
        ..Brand::default()
    }
}

/// A brand searched for by one keyword (Hacker News, Reddit).
pub fn keyword_brand(word: &str) -> Brand {
    Brand {
        name: word.into(),
        keywords: vec![word.into()],
        ..Brand::default()
    }
}

/// Short timeouts and backoffs, so fault tests take a second, not minutes.
pub fn fast_config() -> CollectorsConfig {
    let mut config = CollectorsConfig {
        poll_interval_ms: 300,
        ..CollectorsConfig::default()
    };
    config.http.timeout_ms = 400;
    config.http.connect_timeout_ms = 400;
    config.http.backoff_initial_ms = 20;
    config.http.backoff_max_ms = 200;
    config.http.max_retries = 4;
    config.mastodon.instances.clear();
    config
}

pub async fn run_once(
    config: &CollectorsConfig,
    brands: &[Brand],
    kafka: &KafkaConfig,
) -> RunReport {
    earshot_collectors::run(
        config,
        brands,
        kafka,
        &RunOptions::from(RunMode::Once),
        std::future::pending(),
    )
    .await
    .expect("collectors run")
}

/// Runs a backfill with its own (unshared) budgets until it is done or `stop` resolves:
/// a process killed at that moment.
pub async fn run_backfill(
    config: &CollectorsConfig,
    kafka: &KafkaConfig,
    request: &earshot_collectors::backfill::BackfillRequest,
    stop: impl std::future::Future<Output = ()>,
) -> RunReport {
    earshot_collectors::backfill::run(
        config,
        kafka,
        request,
        &earshot_collectors::RateBudgets::default(),
        None,
        stop,
    )
    .await
    .expect("backfill starts")
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("earshot_collectors=info")
        .try_init();
}

/// Resolves once the replay server has answered `n` requests: a "kill" for `run`.
pub async fn after_requests(server: &ReplayServer, n: usize) {
    while server.requests().len() < n {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
