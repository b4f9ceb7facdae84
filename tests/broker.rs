//! What a durable broker makes testable, on the local Apache Kafka: the broker
//! SIGKILLed in the middle of a stream and restarted, with `earshot collect` and
//! `earshot process` left running to recover by themselves; and `collector.cursors`
//! really compacted, its cursors still read back after compaction and after a restart.
//!
//! These tests kill the shared broker, so they run one at a time.

mod support;

use std::process::{Child, Stdio};
use std::time::Duration;

use earshot_collectors::{CursorStoreExt, KafkaCursorStore};
use earshot_model::topics;
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use support::mentions;
use support::{TestEnv, assert_matches_truth, eventually, rows};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

/// SIGKILLs the broker (no flush, no clean shutdown), waits, and starts it again.
async fn kill_and_restart_broker(down_for: Duration) {
    let broker = support::broker_pid();
    support::signal(broker, "KILL");
    eventually("the broker to die", Duration::from_secs(30), || async {
        !std::path::Path::new(&format!("/proc/{broker}")).exists()
    })
    .await;
    tokio::time::sleep(down_for).await;
    support::restart_stack();
}

/// A child process that is SIGKILLed if the test fails before it stops it.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn spawn(env: &TestEnv, args: &[&str], settings: &[(&str, &str)], log: &str) -> Guard {
    let mut command = env.earshot();
    command.args(args);
    for (key, value) in settings {
        command.env(key, value);
    }
    command
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(support::log_file(&format!(
            "{}-{log}.log",
            env.name
        ))))
        .spawn()
        .map(Guard)
        .expect("starting earshot")
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_sigkilled_mid_stream_collectors_and_processor_recover_nothing_lost_or_doubled() {
    let _serial = SERIAL.lock().await;
    let env = TestEnv::new("brokerkill").await;
    // Mentions over 60 minutes; the platform shows the first half, then the rest while
    // the broker is down, so the collector has new pages to deliver across the outage.
    // Few enough that a tag's first poll reaches back to its first mention. Mastodon's
    // ids grow with time (collectors page by `since_id`), so ids follow `created_at`.
    let mut input = mentions::generate(600, 60, 21, 21_000_000);
    input.sort_by_key(|m| m.created_at);
    for (i, m) in input.iter_mut().enumerate() {
        m.platform_id = (21_000_000 + i).to_string();
        m.id = earshot_model::MentionId::new(earshot_model::Platform::Mastodon, &m.platform_id);
        m.url = format!(
            "https://mastodon.example/@user{}/{}",
            m.author.id, m.platform_id
        );
    }
    let server = mentions::mastodon_replay_server(&input).await;
    let half = mentions::start_time() + chrono::Duration::minutes(30);
    server.set_visible_until(Some(half));
    let first_half = input.iter().filter(|m| m.created_at <= half).count() as u64;

    let base_url = server.base_url();
    let collect_settings = [
        ("EARSHOT_COLLECTORS__MASTODON__INSTANCES", base_url.as_str()),
        ("EARSHOT_COLLECTORS__POLL_INTERVAL_MS", "1000"),
    ];
    let mut collector = spawn(
        &env,
        &["collect", "--metrics-listen", "", "--platform", "mastodon"],
        &collect_settings,
        "collect",
    );
    let mut processor = spawn(
        &env,
        &["process"],
        &[
            ("EARSHOT_PROCESSOR__MAX_BATCH_ROWS", "500"),
            ("EARSHOT_PROCESSOR__MAX_RETRY_BACKOFF_MS", "1000"),
        ],
        "process",
    );
    eventually(
        "the first half to be stored",
        Duration::from_secs(180),
        || async { rows(&env).await >= first_half },
    )
    .await;

    server.set_visible_until(None);
    kill_and_restart_broker(Duration::from_secs(5)).await;

    eventually(
        "every mention to be stored after the restart",
        Duration::from_secs(300),
        || async { rows(&env).await >= input.len() as u64 },
    )
    .await;
    // Give a redelivered tail time to arrive before judging.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for (name, Guard(child)) in [("collector", &mut collector), ("processor", &mut processor)] {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the {name} must survive the broker's death (logs in target/test-logs/{}-*.log)",
            env.name
        );
        support::signal(child.id() as i32, "TERM");
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "the {name} exits cleanly on SIGTERM: {status}"
        );
    }
    assert_matches_truth(&env, &input).await;
}

/// This test's `collector.cursors` (made by `TestEnv::new` as the collectors make it),
/// reconfigured so segments roll every 100 ms and the cleaner compacts as soon as
/// anything is dirty.
async fn make_compaction_eager(env: &TestEnv) -> String {
    let topic = env.kafka.topic(topics::COLLECTOR_CURSORS);
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &env.kafka.brokers)
        .create()
        .unwrap();
    // AlterConfigs replaces the topic's dynamic configs, so the policy is restated.
    let change = AlterConfig::new(ResourceSpecifier::Topic(&topic))
        .set("cleanup.policy", "compact")
        .set("segment.ms", "100")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("min.compaction.lag.ms", "0")
        .set("delete.retention.ms", "100");
    for result in admin
        .alter_configs([&change], &AdminOptions::new())
        .await
        .unwrap()
    {
        result.unwrap_or_else(|(resource, code)| panic!("altering {resource:?}: {code}"));
    }
    topic
}

/// How many records the topic holds now, read from its beginning, and the offset after
/// its last one (what was written, whatever compaction removed).
async fn records_on(env: &TestEnv, topic: &str) -> (usize, i64) {
    let mut reader =
        earshot_collectors::topic::TopicReader::open(&env.kafka, topic, Duration::from_secs(30))
            .await
            .unwrap();
    let records = reader.read_to_end().await.unwrap();
    let end = records.iter().map(|r| r.offset + 1).max().unwrap_or(0);
    (records.len(), end)
}

#[tokio::test(flavor = "multi_thread")]
async fn cursors_read_back_after_compaction_and_after_a_broker_restart() {
    let _serial = SERIAL.lock().await;
    let env = TestEnv::new("compaction").await;
    let topic = make_compaction_eager(&env).await;
    let jobs: Vec<String> = (0..5).map(|i| format!("mastodon:job{i}")).collect();
    let store = KafkaCursorStore::open(&env.kafka, env.kafka.producer().unwrap())
        .await
        .unwrap();
    // 60 rounds of updates to 5 jobs, spread over more than one segment's lifetime.
    const ROUNDS: u64 = 60;
    for round in 1..=ROUNDS {
        for job in &jobs {
            store
                .put(job, &serde_json::json!({ "since_id": round }))
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let written = (ROUNDS as usize) * jobs.len();
    // Every update was stored (the cleaner may already have begun on closed segments).
    assert_eq!(records_on(&env, &topic).await.1, written as i64);

    // The cleaner only compacts closed segments: keep touching one extra key so the
    // segment holding the updates rolls, until the old values are gone.
    eventually(
        "the log cleaner to compact the cursors",
        Duration::from_secs(120),
        || async {
            store
                .put("roll", &serde_json::json!({ "at": 0 }))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            records_on(&env, &topic).await.0 < written / 4
        },
    )
    .await;

    let check = |store: KafkaCursorStore, when: &'static str| {
        let jobs = jobs.clone();
        async move {
            for job in &jobs {
                let cursor: Option<serde_json::Value> = store.get(job).unwrap();
                assert_eq!(
                    cursor,
                    Some(serde_json::json!({ "since_id": ROUNDS })),
                    "{job} {when}"
                );
            }
        }
    };
    let reopened = KafkaCursorStore::open(&env.kafka, env.kafka.producer().unwrap())
        .await
        .unwrap();
    check(reopened, "after compaction").await;

    kill_and_restart_broker(Duration::from_secs(1)).await;
    let after_restart = KafkaCursorStore::open(&env.kafka, env.kafka.producer().unwrap())
        .await
        .unwrap();
    check(after_restart, "after a broker SIGKILL and restart").await;
    assert!(
        records_on(&env, &topic).await.0 < written / 4,
        "compaction is durable"
    );
}
