//! `earshot process` against the real local stack: bad records go to the dead-letter
//! topic without stopping anything, and crashes or redelivery never lose or double a
//! mention in the table or in the rollups.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::mentions::{self, MINUTE_ROLLUP_SQL, parse_minute_rollup};
use support::{TestEnv, eventually, kill9};

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_are_dead_lettered_with_their_reason_and_the_rest_is_processed() {
    let env = TestEnv::new("dlq").await;
    let good = mentions::generate(3, 1, 7, 1);
    let mut wrong_version: serde_json::Value = serde_json::from_slice(&good[0].encode()).unwrap();
    wrong_version["schema_version"] = 99.into();
    wrong_version["id"] = "mastodon:x".into();
    let mut missing_field: serde_json::Value = serde_json::from_slice(&good[1].encode()).unwrap();
    missing_field.as_object_mut().unwrap().remove("text");
    missing_field["id"] = "mastodon:y".into();

    let key = |k: &str| k.as_bytes().to_vec();
    let records = vec![
        (key(good[0].id.as_str()), good[0].encode()),
        (
            key("bad-json"),
            b"{\"schema_version\": 1, \"id\": ".to_vec(),
        ),
        (key(good[1].id.as_str()), good[1].encode()),
        (
            key("missing-field"),
            serde_json::to_vec(&missing_field).unwrap(),
        ),
        (key("bad-utf8"), vec![b'{', b'"', 0xC3, 0x28, b'"', b'}']),
        (key("huge"), vec![b'x'; 5 * 1024 * 1024]),
        (key("version"), serde_json::to_vec(&wrong_version).unwrap()),
        (key(good[2].id.as_str()), good[2].encode()),
    ];
    env.produce_raw(&records).await;
    env.process_until_idle(&[]);

    let stored: BTreeSet<String> = env
        .query_rows("SELECT mention_id FROM {db}.mentions")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let expected: BTreeSet<String> = good.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(
        stored, expected,
        "every good record around the bad ones is stored"
    );

    let letters = env.read_topic(
        earshot_model::topics::MENTIONS_DLQ,
        5,
        Duration::from_secs(30),
    );
    let mut reasons: Vec<&str> = letters
        .iter()
        .map(|(h, _)| h["earshot.reason"].as_str())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "invalid_utf8",
            "malformed",
            "malformed",
            "too_large",
            "unsupported_schema_version"
        ]
    );
    for (headers, payload) in &letters {
        assert!(
            !headers["earshot.error"].is_empty(),
            "each dead letter says what is wrong"
        );
        assert!(headers.contains_key("earshot.source.offset"));
        assert!(payload.len() <= earshot_model::MAX_RAW_MENTION_BYTES);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_stream_then_redelivery_counts_every_mention_exactly_once() {
    let env = TestEnv::new("kill").await;
    let total = 20_000;
    let mut input = mentions::generate(total, 30, 42, 1_000_000);
    // A collector that produced some mentions twice (a retried page) must not double them.
    input.extend(input[..500].to_vec());
    env.produce_mentions(&input).await;

    let small_batches = [("EARSHOT_PROCESSOR__MAX_BATCH_ROWS", "700")];
    let mut last_count = 0;
    for round in 0..3 {
        let mut child = env.spawn_processor(&small_batches, &[]);
        eventually(
            "the processor to make progress",
            Duration::from_secs(120),
            || async { env.query_u64("SELECT count() FROM {db}.mentions").await > last_count },
        )
        .await;
        // Let it get into the middle of some batch, then crash it.
        tokio::time::sleep(Duration::from_millis(150 + 170 * round)).await;
        kill9(&mut child);
        last_count = env.query_u64("SELECT count() FROM {db}.mentions").await;
        assert!(
            last_count < total as u64,
            "round {round}: the kill should land mid-stream"
        );
    }
    env.process_until_idle(&[]);

    let truth = mentions::minute_truth(&input);
    let expected_rows: u64 = truth.values().map(|b| b.mentions).sum();
    assert_eq!(expected_rows, total as u64);
    assert_eq!(
        env.query_u64("SELECT count() FROM {db}.mentions").await,
        expected_rows,
        "raw rows"
    );
    assert_eq!(
        env.query_u64("SELECT uniqExact(mention_id) FROM {db}.mentions")
            .await,
        expected_rows
    );
    let rollup = parse_minute_rollup(env.query_rows(MINUTE_ROLLUP_SQL).await);
    assert_eq!(rollup, truth, "minute rollup equals the truth");

    // Redeliver everything (a new consumer group starts from offset 0): no effect.
    let replay = TestEnv {
        group_id: format!("{}.replay", env.group_id),
        ..env
    };
    replay.process_until_idle(&[]);
    assert_eq!(
        replay.query_u64("SELECT count() FROM {db}.mentions").await,
        expected_rows
    );
    let rollup = parse_minute_rollup(replay.query_rows(MINUTE_ROLLUP_SQL).await);
    assert_eq!(rollup, truth, "a redelivered stream must not count twice");
    for grain in ["rollup_hour", "rollup_day"] {
        let sum = replay
            .query_u64(&format!("SELECT sum(mentions) FROM {{db}}.{grain}"))
            .await;
        assert_eq!(sum, expected_rows, "{grain} agrees");
    }
}

/// A record ClickHouse itself refuses (here a constraint on `mentions`, which the current
/// engine enforces; 18.16 has no constraints, and the typed rows give it nothing to
/// refuse) is split off and dead-lettered with the server's message; every record
/// around it is stored, and every rollup grain equals the truth without it.
#[tokio::test(flavor = "multi_thread")]
async fn a_record_clickhouse_rejects_is_dead_lettered_and_the_records_around_it_are_stored() {
    let env = TestEnv::new("poison").await;
    let url = support::current_clickhouse_url();
    let current = earshot_storage::ClickHouseConfig {
        url: url.clone(),
        compression: earshot_storage::Compression::None,
        ..env.clickhouse.clone()
    };
    let store = earshot_storage::Store::new(&current).unwrap();
    store.migrate().await.unwrap();
    store
        .execute(
            "ALTER TABLE {db}.mentions ADD CONSTRAINT no_poison \
             CHECK position(text, 'POISON-PILL') = 0",
        )
        .await
        .unwrap();
    let mut input = mentions::generate(2_000, 20, 41, 1);
    input[777].text = format!("POISON-PILL {}", input[777].text);
    env.produce_mentions(&input).await;
    env.process_until_idle(&[
        ("EARSHOT_CLICKHOUSE__URL", url.as_str()),
        ("EARSHOT_CLICKHOUSE__COMPRESSION", "none"),
    ]);

    let letters = env.read_topic(
        earshot_model::topics::MENTIONS_DLQ,
        2,
        Duration::from_secs(20),
    );
    assert_eq!(
        letters.len(),
        1,
        "exactly the poison record is dead-lettered"
    );
    let (headers, payload) = &letters[0];
    assert_eq!(headers["earshot.reason"], "rejected_by_clickhouse");
    assert!(
        headers["earshot.error"].contains("no_poison"),
        "the server's message: {}",
        headers["earshot.error"]
    );
    assert_eq!(payload, &input[777].encode(), "the original bytes");

    let clean: Vec<_> = input
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 777)
        .map(|(_, m)| m.clone())
        .collect();
    let on_current = TestEnv {
        clickhouse: current,
        store,
        ..env
    };
    support::assert_matches_truth(&on_current, &clean).await;
}

/// `/ready` on the metrics listener: 503 with the reason while the processor cannot
/// work (ClickHouse unreachable at start), 200 once it owns partitions and writes go
/// through; `/metrics` then shows batch latency.
#[tokio::test(flavor = "multi_thread")]
async fn the_readiness_endpoint_tells_a_working_processor_from_a_waiting_one() {
    let env = TestEnv::new("ready").await;
    env.produce_mentions(&mentions::generate(200, 2, 43, 1))
        .await;
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let get = |url: String| async move {
        match reqwest::get(&url).await {
            Ok(response) => Some((response.status().as_u16(), response.text().await.unwrap())),
            Err(_) => None,
        }
    };

    let waiting_port = free_port().to_string();
    let waiting_listen = format!("127.0.0.1:{waiting_port}");
    let mut waiting = env.spawn_processor(
        &[
            ("EARSHOT_PROCESSOR__METRICS_LISTEN", waiting_listen.as_str()),
            ("EARSHOT_CLICKHOUSE__URL", "http://127.0.0.1:9"),
        ],
        &[],
    );
    let url = format!("http://{waiting_listen}/ready");
    eventually(
        "a 503 from the waiting processor",
        Duration::from_secs(30),
        || {
            let url = url.clone();
            async move {
                matches!(get(url).await, Some((503, body)) if body.contains("not yet assigned"))
            }
        },
    )
    .await;
    kill9(&mut waiting);

    let listen = format!("127.0.0.1:{}", free_port());
    let mut working = env.spawn_processor(
        &[("EARSHOT_PROCESSOR__METRICS_LISTEN", listen.as_str())],
        &[],
    );
    let url = format!("http://{listen}/ready");
    eventually(
        "a 200 from the working processor",
        Duration::from_secs(60),
        || {
            let url = url.clone();
            async move { matches!(get(url).await, Some((200, body)) if body.trim() == "ready") }
        },
    )
    .await;
    let metrics = format!("http://{listen}/metrics");
    eventually("batch latency in /metrics", Duration::from_secs(60), || {
        let url = metrics.clone();
        async move {
            get(url)
                .await
                .is_some_and(|(_, body)| body.contains("earshot_processor_batch_latency_seconds"))
        }
    })
    .await;
    kill9(&mut working);
}

/// The backfill batch that used to stall the pipeline: 600 mentions over 150 days in
/// one batch, through `earshot process` on the current engine, which refuses an INSERT
/// into more than 100 partitions. It is written (not retried forever) and every grain
/// equals the truth; hours and days older than the minutes' retention come from
/// `mentions`.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_over_150_days_is_written_exactly_on_the_current_engine() {
    let env = TestEnv::new("days150").await;
    let url = support::current_clickhouse_url();
    let current = earshot_storage::ClickHouseConfig {
        url: url.clone(),
        compression: earshot_storage::Compression::None,
        ..env.clickhouse.clone()
    };
    let store = earshot_storage::Store::new(&current).unwrap();
    let mut input = mentions::generate(600, 60, 44, 1);
    for (i, m) in input.iter_mut().enumerate() {
        m.created_at -= chrono::Duration::days((i % 150) as i64);
    }
    env.produce_mentions(&input).await;
    env.process_until_idle(&[
        ("EARSHOT_CLICKHOUSE__URL", url.as_str()),
        ("EARSHOT_CLICKHOUSE__COMPRESSION", "none"),
        ("EARSHOT_PROCESSOR__MAX_BATCH_ROWS", "5000"),
        ("EARSHOT_PROCESSOR__MAX_BATCH_WAIT_MS", "3000"),
    ]);
    let log = std::fs::read_to_string(
        support::repo_root().join(format!("target/test-logs/{}-process.log", env.name)),
    )
    .unwrap();
    assert!(
        !log.contains("ClickHouse write failed"),
        "no write was refused and retried:\n{log}"
    );
    let on_current = TestEnv {
        clickhouse: current,
        store,
        ..env
    };
    assert_eq!(
        on_current
            .query_u64("SELECT uniqExact(toDate(minute)) FROM {db}.rollup_minute")
            .await,
        150,
        "150 days of minute buckets"
    );
    support::assert_matches_truth(&on_current, &input).await;
}
