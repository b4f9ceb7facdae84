//! The walking skeleton end to end on the real stack: a local server in Mastodon's API
//! shape -> `earshot collect` -> Kafka -> `earshot process` -> ClickHouse, checked
//! against row counts and per-minute rollups computed independently from the input.

mod support;

use std::process::Stdio;

use support::TestEnv;
use support::mentions::{self, MINUTE_ROLLUP_SQL, parse_minute_rollup};

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_to_clickhouse_with_exact_rows_and_minute_rollups() {
    let env = TestEnv::new("e2e").await;
    let input = mentions::generate(300, 20, 99, 100);
    let server = mentions::mastodon_replay_server(&input).await;

    let collect = || {
        let output = env
            .earshot()
            .args(["collect", "--once", "--platform", "mastodon"])
            .env("EARSHOT_COLLECTORS__MASTODON__INSTANCES", server.base_url())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("running earshot collect");
        assert!(
            output.status.success(),
            "collect failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = collect();
    assert!(
        first.contains("collected 300 mentions"),
        "first collection: {first}"
    );
    env.process_until_idle(&[]);

    let truth = mentions::minute_truth(&input);
    assert_eq!(
        env.query_u64("SELECT count() FROM {db}.mentions").await,
        300
    );
    assert_eq!(
        env.query_u64("SELECT uniqExact(mention_id) FROM {db}.mentions")
            .await,
        300
    );
    assert_eq!(
        parse_minute_rollup(env.query_rows(MINUTE_ROLLUP_SQL).await),
        truth
    );
    let languages = env
        .query_rows("SELECT DISTINCT language FROM {db}.mentions ORDER BY language")
        .await;
    assert!(
        !languages.is_empty() && languages.iter().all(|l| l[0].len() >= 2),
        "languages tagged: {languages:?}"
    );
    // Sentiment toward each brand is stored with its evidence, and every rollup grain
    // counts it exactly.
    support::assert_sentiment_counts_match_mentions(&env).await;
    assert_eq!(
        env.query_u64(
            "SELECT count() FROM {db}.mentions \
             WHERE sentiment IN ('positive', 'negative') AND sentiment_evidence = ''"
        )
        .await,
        0,
        "every verdict names its evidence"
    );

    // The cursor survived the first process: a second collection finds nothing new.
    let second = collect();
    assert!(
        second.contains("collected 0 mentions"),
        "second collection: {second}"
    );
    env.process_until_idle(&[]);
    assert_eq!(
        env.query_u64("SELECT count() FROM {db}.mentions").await,
        300
    );
    assert_eq!(
        parse_minute_rollup(env.query_rows(MINUTE_ROLLUP_SQL).await),
        truth
    );
}
