//! The write path under failure, on the real ClickHouse 18.16: a rollup target that fails
//! after the others were written, an INSERT that timed out on the client but went on on
//! the server, and two processors writing the same partition's batch at once. Each ends
//! with the mentions and every rollup grain equal to the truth computed from the input.
//! (A batch over 150 days on the current engine is in `tests/engines.rs`; SIGKILLs of
//! the client and of ClickHouse in `tests/resilience.rs`.)

mod support;

use std::collections::HashSet;
use std::time::Duration;

use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::{Brand, RawMention};
use earshot_processor::{KafkaPosition, mention_rows};
use earshot_storage::{ClickHouseConfig, MIGRATIONS, MentionRow, Store, TouchedBuckets};
use support::{TestEnv, assert_matches_truth, mentions};

fn enricher() -> Enricher {
    let brands: Vec<Brand> = mentions::BRANDS
        .iter()
        .map(|(name, tag)| {
            serde_json::from_value(serde_json::json!({
                "name": name,
                "keywords": [],
                "hashtags": [tag.trim_start_matches('#')],
            }))
            .unwrap()
        })
        .collect();
    Enricher::new(&brands, &EnrichmentConfig::default()).unwrap()
}

/// The rows the processor makes of `input`, one per mention and matched brand.
fn rows_of(input: &[RawMention]) -> Vec<MentionRow> {
    let enricher = enricher();
    let rows: Vec<MentionRow> = input
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            let position = KafkaPosition {
                partition: 0,
                offset: i as i64,
            };
            mention_rows(m, &enricher.enrich(m), position, 1_796_000_000)
        })
        .collect();
    assert_eq!(
        rows.len(),
        input.len(),
        "each generated mention matches one brand"
    );
    rows
}

/// What the processor does with one batch: drop the rows already stored, insert the
/// rest, recompute every bucket the whole batch touches.
async fn write_like_the_processor(store: &Store, rows: &[MentionRow]) -> Result<(), String> {
    let ids: Vec<&str> = rows.iter().map(|r| r.mention_id.as_str()).collect();
    let stored = store
        .stored_mention_ids(&ids)
        .await
        .map_err(|e| e.to_string())?;
    let fresh: Vec<MentionRow> = rows
        .iter()
        .filter(|r| !stored.contains(&r.mention_id))
        .cloned()
        .collect();
    store
        .insert_mention_rows(&fresh)
        .await
        .map_err(|e| e.to_string())?;
    store
        .refresh_rollups(&TouchedBuckets::of(rows))
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollup_target_failing_after_the_others_were_written_is_repaired_by_the_retry() {
    let env = TestEnv::new("target_fails").await;
    let input = mentions::generate(4_000, 90, 31, 1);
    let rows = rows_of(&input);
    // The day rollup's table goes away: mentions, minutes and hours get written, then
    // the day recompute fails, as a view's target failing part-way did.
    env.store
        .execute("RENAME TABLE {db}.rollup_day_v2 TO {db}.rollup_day_v2_away")
        .await
        .unwrap();
    let failed = write_like_the_processor(&env.store, &rows).await;
    assert!(failed.is_err(), "the day rollup cannot be written");
    assert_eq!(
        env.query_u64("SELECT sum(mentions) FROM {db}.rollup_minute")
            .await,
        input.len() as u64,
        "minutes were written before the failure"
    );
    env.store
        .execute("RENAME TABLE {db}.rollup_day_v2_away TO {db}.rollup_day_v2")
        .await
        .unwrap();
    // Stale, too-small rows in the hour grain (a bucket computed before part of the
    // batch landed) lose to the recompute.
    env.store
        .execute(
            "INSERT INTO {db}.rollup_hour_v2 (hour, brand, platform, language, cohort, \
             source_type, origin, mentions, version) \
             SELECT hour, brand, platform, language, cohort, source_type, origin, 1, 1 \
             FROM {db}.rollup_hour_v2",
        )
        .await
        .unwrap();
    // The retry: every mention is found stored, and the buckets are recomputed.
    write_like_the_processor(&env.store, &rows).await.unwrap();
    assert_matches_truth(&env, &input).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_insert_that_timed_out_but_completed_is_counted_once() {
    let env = TestEnv::new("timed_out").await;
    let input = mentions::generate(20_000, 60, 32, 1);
    let rows = rows_of(&input);
    // The client gives up long before the server is done; the server may finish it.
    let first = tokio::time::timeout(
        Duration::from_millis(20),
        write_like_the_processor(&env.store, &rows),
    )
    .await;
    assert!(
        first.is_err(),
        "20,000 rows in 20 ms: the write must time out"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Worst case of a timed-out INSERT: the lookup ran before it landed, so the same
    // rows are inserted again by the retry.
    env.store.insert_mention_rows(&rows).await.unwrap();
    write_like_the_processor(&env.store, &rows).await.unwrap();
    assert_matches_truth(&env, &input).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processors_briefly_owning_one_partition_count_each_mention_once() {
    let env = TestEnv::new("two_owners").await;
    let input = mentions::generate(12_000, 30, 33, 1);
    let rows = rows_of(&input);
    // The old owner (stalled, not dead) and the new one write overlapping batches of
    // the same partition at the same time, batch after batch.
    let third = rows.len() / 3;
    for round in 0..3 {
        let (old_owner, new_owner) = (&rows[..2 * third], &rows[third..]);
        let (a, b) = tokio::join!(
            write_like_the_processor(&env.store, old_owner),
            write_like_the_processor(&env.store, new_owner),
        );
        a.unwrap_or_else(|e| panic!("round {round}: {e}"));
        b.unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
    let ids: HashSet<&str> = rows.iter().map(|r| r.mention_id.as_str()).collect();
    assert_eq!(ids.len(), input.len());
    assert_matches_truth(&env, &input).await;
}

/// An install at migration 6 (summing rollups fed by views) upgraded to 7: the rollups'
/// rows are carried over whole, and later batches into the same buckets replace them
/// with recomputed ones, so every grain stays equal to the truth across the upgrade.
#[tokio::test(flavor = "multi_thread")]
async fn upgrading_to_migration_7_keeps_every_grain_and_later_batches_stay_exact() {
    let env = TestEnv::new("upgrade7").await;
    let config = ClickHouseConfig {
        database: format!("{}_v6", env.clickhouse.database),
        ..env.clickhouse.clone()
    };
    let store = Store::new(&config).unwrap();
    let target = config.schema_target();
    store.execute(&target.create_database()).await.unwrap();
    store
        .execute(
            "CREATE TABLE IF NOT EXISTS {db}.schema_migrations (version UInt32, name String, \
             applied_at DateTime) ENGINE = ReplacingMergeTree() ORDER BY version",
        )
        .await
        .unwrap();
    for migration in &MIGRATIONS[..6] {
        for statement in migration.statements() {
            for sql in target.render(&statement) {
                store.execute(&sql).await.unwrap();
            }
        }
        store
            .execute(&format!(
                "INSERT INTO {{db}}.schema_migrations VALUES ({}, 'before 7', now())",
                migration.version
            ))
            .await
            .unwrap();
    }
    let input = mentions::generate(3_000, 30, 34, 1);
    let (before, after) = input.split_at(2_000);
    // Version 6 writes: the views add these rows to the summing rollups.
    store.insert_mention_rows(&rows_of(before)).await.unwrap();
    let on_v6 = TestEnv {
        clickhouse: config,
        store: store.clone(),
        ..env
    };
    assert_eq!(
        on_v6
            .query_u64("SELECT sum(mentions) FROM {db}.rollup_hour")
            .await,
        before.len() as u64
    );

    assert_eq!(store.migrate().await.unwrap(), vec![7]);
    assert_matches_truth(&on_v6, before).await;
    // Version 7 writes into the same hours and day: recomputed buckets replace copied
    // ones (whose version has no 2^40), instead of adding to them.
    store.insert_mentions(&rows_of(after)).await.unwrap();
    assert_matches_truth(&on_v6, &input).await;
}
