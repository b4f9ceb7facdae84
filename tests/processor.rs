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
