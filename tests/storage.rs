//! Schema and retention on the real ClickHouse: migrations are safe to run from several
//! processes at once, and retention drops exactly the partitions past their age.

mod support;

use chrono::{Duration, Utc};
use earshot_runtime::events::EventRecorder;
use earshot_storage::{ClickHouseConfig, MIGRATIONS, RetentionConfig, Store};
use support::TestEnv;

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrations_converge_on_the_latest_schema() {
    let env = TestEnv::new("migrate").await;
    // A database nobody migrated yet, migrated by six racing processes at once.
    let config = ClickHouseConfig {
        database: format!("{}_race", env.clickhouse.database),
        ..env.clickhouse.clone()
    };
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let mut command = env.earshot();
            command
                .arg("migrate")
                .env("EARSHOT_CLICKHOUSE__DATABASE", &config.database);
            command
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            command.spawn().expect("starting earshot migrate")
        })
        .collect();
    let racers: Vec<_> = racers
        .into_iter()
        .map(|c| c.wait_with_output().expect("migrate exit"))
        .collect();
    // And six clients in this process, racing each other on the migrated schema.
    let recorder = EventRecorder::start();
    let store = Store::new(&config).unwrap();
    let results = futures::future::join_all((0..6).map(|_| {
        let store = store.clone();
        async move { store.migrate().await }
    }))
    .await;
    for output in &racers {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for result in results {
        result.expect("a concurrent migration");
    }
    let latest = MIGRATIONS.last().unwrap().version;
    let finished = recorder.find("SchemaMigrated");
    assert_eq!(
        finished.len(),
        6,
        "each migrate reports its end: {finished:?}"
    );
    assert!(
        finished
            .iter()
            .all(|e| e.starts_with(&format!("SchemaMigrated {{ version: {latest},"))),
        "{finished:?}"
    );
    assert_eq!(store.schema_version().await.unwrap(), latest);
    let tables = env
        .query_rows(&format!(
            "SELECT count() FROM system.tables WHERE database = '{}' AND name IN \
             ('mentions','mention_ids','rollup_minute','rollup_hour','rollup_day','mentions_per_minute','share_of_voice_daily','cohort_mix_weekly')",
            config.database
        ))
        .await;
    assert_eq!(tables[0][0], "8");
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_drops_only_partitions_past_their_age() {
    let env = TestEnv::new("retention").await;
    let now = Utc::now();
    let mut old = support::mentions::generate(10, 10, 5, 1);
    let mut recent = support::mentions::generate(10, 10, 6, 100);
    for m in &mut old {
        m.created_at = now - Duration::days(200) + (m.created_at - support::mentions::start_time());
    }
    for m in &mut recent {
        m.created_at = now - Duration::hours(2) + (m.created_at - support::mentions::start_time());
    }
    env.produce_mentions(&old).await;
    env.produce_mentions(&recent).await;
    env.process_until_idle(&[]);
    assert_eq!(env.query_u64("SELECT count() FROM {db}.mentions").await, 20);

    let store = Store::new(&ClickHouseConfig {
        retention: RetentionConfig {
            mentions_days: 90,
            minute_rollup_days: 7,
            hour_rollup_days: 90,
            day_rollup_days: 0,
        },
        ..env.clickhouse.clone()
    })
    .unwrap();
    let recorder = EventRecorder::start();
    let report = store.enforce_retention(now).await.unwrap();
    assert_eq!(
        recorder.count("PartitionDropped"),
        report.dropped.len(),
        "each dropped partition is logged and counted"
    );
    assert!(
        report.dropped.iter().any(|p| p.starts_with("mentions/")),
        "{report:?}"
    );
    assert!(
        report
            .dropped
            .iter()
            .any(|p| p.starts_with("rollup_minute_v2/")),
        "{report:?}"
    );
    assert!(
        !report
            .dropped
            .iter()
            .any(|p| p.starts_with("rollup_day_v2/")),
        "day rollups are kept forever"
    );

    assert_eq!(
        env.query_u64("SELECT count() FROM {db}.mentions").await,
        10,
        "only recent mentions remain"
    );
    assert_eq!(
        env.query_u64("SELECT sum(mentions) FROM {db}.rollup_minute")
            .await,
        10
    );
    assert_eq!(
        env.query_u64("SELECT sum(mentions) FROM {db}.rollup_hour")
            .await,
        10
    );
    assert_eq!(
        env.query_u64("SELECT sum(mentions) FROM {db}.rollup_day")
            .await,
        20
    );
    // Idempotent: nothing more to drop.
    let recorder = EventRecorder::start();
    assert!(
        store
            .enforce_retention(now)
            .await
            .unwrap()
            .dropped
            .is_empty()
    );
    assert_eq!(recorder.count("PartitionDropped"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn dedup_lookup_answers_a_whole_batch_of_ids_in_one_query() {
    let env = TestEnv::new("lookup").await;
    let stored = support::mentions::generate(30, 5, 8, 1);
    env.produce_mentions(&stored).await;
    env.process_until_idle(&[]);
    // 25,000 ids (~600 KB of SQL, past the server's default query size), 30 stored.
    let mut ids: Vec<String> = (0..25_000)
        .map(|i| format!("mastodon:absent-{i}"))
        .collect();
    ids.extend(stored.iter().map(|m| m.id.to_string()));
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let found = env.store.stored_mention_ids(&refs).await.expect("lookup");
    let expected: std::collections::HashSet<String> =
        stored.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(found, expected);
}
