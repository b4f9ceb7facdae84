//! Every statement Earshot sends to ClickHouse, run on the two engines it supports: the
//! local 18.16 server and the current engine (chdb-core 26.9 behind its HTTP interface,
//! `tests/chdb/server.py`). Both get the same rows through the same Rust code, and every
//! read must return the same answer on both.

mod support;

use std::process::Stdio;

use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_model::Brand;
use earshot_processor::{KafkaPosition, mention_rows};
use earshot_storage::{
    AlertRow, ClickHouseConfig, Compression, Dimension, ExampleQuery, MIGRATIONS, MentionColumn,
    MentionRow, OriginFilter, RollupGrain, RollupTotals, Store, TotalsSource, schema_sql,
};

struct Engine {
    name: &'static str,
    store: Store,
}

fn config(url: &str, compression: Compression, database: &str) -> ClickHouseConfig {
    ClickHouseConfig {
        url: url.into(),
        compression,
        database: database.into(),
        ..ClickHouseConfig::default()
    }
}

/// One fresh database on each engine.
fn engines(test: &str) -> Vec<Engine> {
    support::start_stack();
    let current = support::current_clickhouse_url();
    let database = format!(
        "engines_{test}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis() % 100_000_000
    );
    vec![
        Engine {
            name: "ClickHouse 18.16",
            store: Store::new(&config(
                &ClickHouseConfig::default().url,
                Compression::Lz4,
                &database,
            ))
            .unwrap(),
        },
        Engine {
            name: "ClickHouse 26.9 (chdb)",
            store: Store::new(&config(&current, Compression::None, &database)).unwrap(),
        },
    ]
}

fn brands() -> Vec<Brand> {
    serde_json::from_str(
        r#"[
        {"name": "Orlen", "keywords": ["orlen"], "hashtags": ["orlen"]},
        {"name": "Żabka", "keywords": ["żabka"], "hashtags": ["zabka"]},
        {"name": "InPost", "keywords": ["inpost"], "hashtags": ["inpost"]},
        {"name": "Allegro", "keywords": ["allegro"], "hashtags": ["allegro"]}
    ]"#,
    )
    .unwrap()
}

/// Rows made the way the processor makes them: generated mentions, real enrichment,
/// spread over 150 days (several monthly partitions) and a few languages.
fn rows() -> Vec<MentionRow> {
    let enricher = Enricher::new(&brands(), &EnrichmentConfig::default()).unwrap();
    let mut mentions = support::mentions::generate(600, 60, 7, 1);
    for (i, m) in mentions.iter_mut().enumerate() {
        m.created_at -= chrono::Duration::days((i % 150) as i64);
        if i % 5 == 0 {
            m.origin = earshot_model::Origin::Backfill;
        }
    }
    mentions
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            let position = KafkaPosition {
                partition: (i % 4) as i32,
                offset: i as i64,
            };
            mention_rows(m, &enricher.enrich(m), position, 1_796_000_000)
        })
        .collect()
}

fn alert(id: &str, window_start: u32) -> AlertRow {
    AlertRow {
        alert_id: id.into(),
        brand: "Orlen".into(),
        dimension: "volume".into(),
        value: "all".into(),
        grain: "hour".into(),
        window_start,
        window_end: window_start + 3600,
        direction: "up".into(),
        score: 0.97,
        z: 5.5,
        baseline: 3.0,
        observed: 17.0,
        mentions: 17,
        denominator: 17,
        example_ids: vec!["mastodon:1".into()],
        example_urls: vec!["https://mastodon.example/1".into()],
        payload: "{}".into(),
        raised_at: 1_796_000_000,
        component: "level".into(),
        expected_low: 1.5,
        expected_high: 6.5,
        explanation: "Mentions of Orlen: 17 in the hour, expected 1.5–6.5".into(),
    }
}

/// Everything a read returns, as text, so answers from the two engines can be compared.
async fn every_read(store: &Store, rows: &[MentionRow]) -> Vec<String> {
    let mut out = Vec::new();
    let ids: Vec<&str> = rows.iter().map(|r| r.mention_id.as_str()).collect();
    let mut stored: Vec<String> = store
        .stored_mention_ids(&ids)
        .await
        .unwrap()
        .into_iter()
        .collect();
    stored.sort();
    out.push(format!("stored ids: {} {:?}", stored.len(), &stored[..5]));
    out.push(format!(
        "rows: {}",
        store.mention_row_count().await.unwrap()
    ));
    store.ping().await.unwrap();
    out.push(format!(
        "schema version: {}",
        store.schema_version().await.unwrap()
    ));
    out.push(format!(
        "per language minute: {:?}",
        store.mentions_per_language_minute().await.unwrap()
    ));
    for source in [
        TotalsSource::Mentions,
        TotalsSource::Rollup("rollup_minute"),
        TotalsSource::Rollup("rollup_hour"),
        TotalsSource::Rollup("rollup_day"),
    ] {
        out.push(format!(
            "totals {source:?}: {:?}",
            store.brand_totals(source).await.unwrap()
        ));
    }
    for dimension in [
        Dimension::Language,
        Dimension::Cohort,
        Dimension::SourceType,
        Dimension::Platform,
    ] {
        out.push(format!(
            "mix {dimension:?}: {:?}",
            store.brand_mix(dimension).await.unwrap()
        ));
    }
    let (from, to) = (
        rows.iter().map(|r| r.published_at).min().unwrap(),
        rows.iter().map(|r| r.published_at).max().unwrap() + 1,
    );
    for grain in [RollupGrain::Minute, RollupGrain::Hour] {
        for origins in [OriginFilter::LiveOnly, OriginFilter::All] {
            out.push(format!(
                "rollup counts {grain:?} {origins:?}: {:?}",
                store.rollup_counts(grain, from, to, origins).await.unwrap()
            ));
        }
    }
    for filter in [
        None,
        Some((MentionColumn::Language, "pl")),
        Some((MentionColumn::Platform, "mastodon")),
        Some((MentionColumn::Cohort, "unknown")),
        Some((MentionColumn::SourceType, "customer")),
        // A value that would break out of a string literal if it were not bound.
        Some((MentionColumn::Language, "pl' OR 1=1 --")),
    ] {
        let examples = store
            .example_mentions(&ExampleQuery {
                brand: "Orlen",
                from,
                to,
                filter,
                origins: OriginFilter::All,
                limit: 5,
            })
            .await
            .unwrap();
        out.push(format!("examples {filter:?}: {examples:?}"));
    }
    out.push(format!(
        "raised alerts: {:?}",
        store.raised_alerts(RollupGrain::Hour, 0).await.unwrap()
    ));
    // The views BI tools read, with times as text so both engines' types compare.
    for sql in [
        "SELECT toString(day), brand, mentions, total_mentions, round(share_of_voice, 6) \
         FROM {db}.share_of_voice_daily ORDER BY day, brand",
        "SELECT toString(week), brand, cohort, mentions, brand_mentions, round(share_of_brand, 6) \
         FROM {db}.cohort_mix_weekly ORDER BY week, brand, cohort",
        "SELECT toString(minute), brand, platform, language, cohort, source_type, toString(origin), \
         mentions, unique_authors, likes, reposts, replies, potential_reach \
         FROM {db}.mentions_per_minute \
         ORDER BY minute, brand, platform, language, cohort, source_type, origin",
        "SELECT toString(hour), brand, platform, language, cohort, source_type, toString(origin), \
         mentions, unique_authors, likes, reposts, replies, potential_reach \
         FROM {db}.mentions_per_hour \
         ORDER BY hour, brand, platform, language, cohort, source_type, origin",
        "SELECT toString(day), brand, platform, language, cohort, source_type, toString(origin), \
         mentions, unique_authors, likes, reposts, replies, potential_reach \
         FROM {db}.mentions_per_day \
         ORDER BY day, brand, platform, language, cohort, source_type, origin",
    ] {
        out.push(format!("{sql}: {:?}", text_rows(store, sql).await));
    }
    out
}

/// A query's rows as tab-separated text lines.
async fn text_rows(store: &Store, sql: &str) -> Vec<String> {
    let db = earshot_storage::escape_identifier(&store.config().database);
    let mut cursor = store
        .client()
        .query(&sql.replace("{db}", &db))
        .fetch_bytes("TabSeparated")
        .unwrap();
    let bytes = cursor.collect().await.unwrap();
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_gives_the_same_answer_on_18_16_and_the_current_engine() {
    let rows = rows();
    assert!(rows.len() >= 600, "every generated mention matches a brand");
    let mut answers = Vec::new();
    for engine in engines("same_answer") {
        let store = &engine.store;
        let applied = store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", engine.name));
        let all: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(applied, all, "{}", engine.name);
        assert!(
            store.migrate().await.unwrap().is_empty(),
            "{}: migrate twice",
            engine.name
        );
        // 150 days in one batch: more daily partitions of rollup_minute than current
        // ClickHouse takes in one INSERT (100), so the write path must split it.
        store
            .insert_mentions(&rows)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", engine.name));
        assert_every_grain_matches(store, &rows, engine.name).await;
        // The whole batch again (a retry after a timeout that in fact completed):
        // buckets are recomputed, not added to.
        store
            .insert_mentions(&rows)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", engine.name));
        assert_every_grain_matches(store, &rows, engine.name).await;
        store
            .execute("OPTIMIZE TABLE {db}.mentions FINAL")
            .await
            .unwrap();
        store
            .insert_alerts(&[alert("a1", 1_795_000_000), alert("a1", 1_795_000_000)])
            .await
            .unwrap();
        let reads = every_read(store, &rows).await;
        // Retention as of one year on: mentions and minute/hour rollups are dropped.
        let report = store
            .enforce_retention(rows_latest(&rows) + chrono::Duration::days(500))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", engine.name));
        let mut dropped = report.dropped.clone();
        dropped.sort();
        assert!(
            dropped.iter().any(|d| d.starts_with("mentions/"))
                && dropped.iter().any(|d| d.starts_with("rollup_minute_v2/")),
            "{}: {dropped:?}",
            engine.name
        );
        assert_eq!(
            store.mention_row_count().await.unwrap(),
            0,
            "{}",
            engine.name
        );
        answers.push((engine.name, reads, dropped));
    }
    let (a, b) = (&answers[0], &answers[1]);
    assert_eq!(a.1.len(), b.1.len());
    for (left, right) in a.1.iter().zip(&b.1) {
        if left != right {
            let at = left
                .char_indices()
                .zip(right.chars())
                .find(|((_, l), r)| l != r)
                .map_or(left.len().min(right.len()), |((i, _), _)| i);
            let from = left.floor_char_boundary(at.saturating_sub(200));
            panic!(
                "{} and {} disagree on `{}` from byte {at}:\n  {}\n  {}",
                a.0,
                b.0,
                &left[..left.floor_char_boundary(80)],
                &left[from..left.floor_char_boundary(at + 200)],
                &right[right.floor_char_boundary(from)..right.floor_char_boundary(at + 200)],
            );
        }
    }
    assert_eq!(a.2, b.2, "retention dropped different partitions");
    // The reads saw real data, not two empty answers.
    assert!(
        a.1.iter()
            .any(|r| r.starts_with("rows: ") && r != "rows: 0")
    );
    assert!(
        a.1.iter()
            .any(|r| r.contains("share_of_voice_daily") && r.len() > 500)
    );
}

/// Per-brand totals computed here from the rows (each mention × brand once), which
/// every rollup grain and the mentions table must equal.
async fn assert_every_grain_matches(store: &Store, rows: &[MentionRow], engine: &str) {
    let mut truth: std::collections::BTreeMap<String, RollupTotals> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        if !seen.insert((r.mention_id.clone(), r.brand.clone())) {
            continue;
        }
        let t = truth
            .entry(r.brand.clone())
            .or_insert_with(|| RollupTotals {
                brand: r.brand.clone(),
                mentions: 0,
                likes: 0,
                reposts: 0,
                replies: 0,
                potential_reach: 0,
                positive: 0,
                neutral: 0,
                negative: 0,
                complaints: 0,
            });
        t.mentions += 1;
        t.likes += r.likes;
        t.reposts += r.reposts;
        t.replies += r.replies;
        t.potential_reach += r.author_followers;
        t.positive += u64::from(r.sentiment == "positive");
        t.neutral += u64::from(r.sentiment == "neutral");
        t.negative += u64::from(r.sentiment == "negative");
        t.complaints += u64::from(r.complaint);
    }
    let truth: Vec<RollupTotals> = truth.into_values().collect();
    assert!(truth.iter().any(|t| t.positive > 0 && t.negative > 0));
    for source in [
        TotalsSource::Mentions,
        TotalsSource::Rollup("rollup_minute"),
        TotalsSource::Rollup("rollup_hour"),
        TotalsSource::Rollup("rollup_day"),
    ] {
        assert_eq!(
            store.brand_totals(source).await.unwrap(),
            truth,
            "{engine}: {source:?}"
        );
    }
}

fn rows_latest(rows: &[MentionRow]) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(rows.iter().map(|r| r.published_at).max().unwrap() as i64, 0)
        .unwrap()
}

/// What migration 2 created before it was fixed: these views fail on current
/// ClickHouse (Code 206), and are what every 18.16 install made before migration 4.
const RELEASED_MIGRATION_2_VIEWS: [&str; 2] = [
    "CREATE VIEW IF NOT EXISTS {db}.share_of_voice_daily AS
    SELECT day, brand, mentions, total_mentions, mentions / total_mentions AS share_of_voice
    FROM (SELECT day, brand, sum(mentions) AS mentions FROM {db}.rollup_day GROUP BY day, brand)
    ANY LEFT JOIN (SELECT day, sum(mentions) AS total_mentions FROM {db}.rollup_day GROUP BY day)
    USING day",
    "CREATE VIEW IF NOT EXISTS {db}.cohort_mix_weekly AS
    SELECT week, brand, cohort, mentions, brand_mentions, mentions / brand_mentions AS share_of_brand
    FROM (SELECT toMonday(day) AS week, brand, cohort, sum(mentions) AS mentions
          FROM {db}.rollup_day GROUP BY week, brand, cohort)
    ANY LEFT JOIN (SELECT toMonday(day) AS week, brand, sum(mentions) AS brand_mentions
          FROM {db}.rollup_day GROUP BY week, brand)
    USING week, brand",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_made_with_the_released_migration_2_upgrades_to_the_fixed_views() {
    let engines = engines("upgrade");
    let old = &engines[0].store; // 18.16: where the released migration 2 ran
    old.migrate().await.unwrap();
    for view in ["share_of_voice_daily", "cohort_mix_weekly"] {
        old.execute(&format!("DROP TABLE {{db}}.{view}"))
            .await
            .unwrap();
    }
    for sql in RELEASED_MIGRATION_2_VIEWS {
        old.execute(sql).await.unwrap();
    }
    old.execute("ALTER TABLE {db}.schema_migrations DELETE WHERE version = 4")
        .await
        .unwrap();
    old.execute("OPTIMIZE TABLE {db}.schema_migrations FINAL")
        .await
        .unwrap();
    // The current engine refuses what migration 2 used to be.
    let current = &engines[1].store;
    current.migrate().await.unwrap();
    let refused = current
        .execute(
            RELEASED_MIGRATION_2_VIEWS[0]
                .replace("share_of_voice_daily", "share_of_voice_daily_released")
                .as_str(),
        )
        .await;
    let message = refused
        .expect_err("current ClickHouse rejects the released view")
        .to_string();
    assert!(
        message.contains("206") || message.to_lowercase().contains("alias"),
        "{message}"
    );
    // Upgrading the old install applies migration 4 and replaces the views.
    wait_for_mutation(old).await;
    assert_eq!(old.migrate().await.unwrap(), vec![4]);
    for view in ["share_of_voice_daily", "cohort_mix_weekly"] {
        let definition = text_rows(
            old,
            &format!(
                "SELECT create_table_query FROM system.tables \
                 WHERE database = '{}' AND name = '{view}'",
                old.config().database
            ),
        )
        .await;
        assert_eq!(definition.len(), 1, "{view}");
        assert!(
            definition[0].contains("AS by_"),
            "{view} was not replaced: {}",
            definition[0]
        );
    }
}

async fn wait_for_mutation(store: &Store) {
    for _ in 0..100 {
        let versions = text_rows(store, "SELECT version FROM {db}.schema_migrations FINAL").await;
        if !versions.iter().any(|v| v == "4") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the DELETE mutation on schema_migrations did not finish");
}

#[test]
fn print_sql_needs_no_server_and_installs_the_schema_on_both_engines() {
    support::start_stack();
    let database = format!("print_sql_{}", std::process::id());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["migrate", "--print-sql"])
        .env("EARSHOT_CLICKHOUSE__DATABASE", &database)
        // Nothing listens there: printing must not connect.
        .env("EARSHOT_CLICKHOUSE__URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let statements: Vec<&str> = text
        .split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let expected = schema_sql(&ClickHouseConfig {
        database: database.clone(),
        ..ClickHouseConfig::default()
    });
    assert_eq!(statements.len(), expected.len());
    assert!(text.trim_end().ends_with(';'));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for (url, compression) in [
            (ClickHouseConfig::default().url, Compression::Lz4),
            (support::current_clickhouse_url(), Compression::None),
        ] {
            let store = Store::new(&config(&url, compression, &database)).unwrap();
            for sql in &statements {
                store
                    .client()
                    .query(sql)
                    .execute()
                    .await
                    .unwrap_or_else(|e| panic!("{url}: {sql}: {e}"));
            }
            let tables = text_rows(
                &store,
                &format!(
                    "SELECT name FROM system.tables WHERE database = '{database}' ORDER BY name"
                ),
            )
            .await;
            for table in [
                "mentions",
                "mention_ids",
                "rollup_minute",
                "alerts",
                "share_of_voice_daily",
            ] {
                assert!(
                    tables.iter().any(|t| t == table),
                    "{url}: no {table} in {tables:?}"
                );
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_ddl_parses_on_the_current_engine() {
    let current = support::current_clickhouse_url();
    let store = Store::new(&config(&current, Compression::None, "default")).unwrap();
    let cluster = ClickHouseConfig {
        cluster: Some("earshot".into()),
        ..ClickHouseConfig::default()
    };
    let statements = schema_sql(&cluster);
    assert!(
        statements
            .iter()
            .any(|s| s.contains("ReplicatedSummingMergeTree"))
    );
    assert!(
        statements
            .iter()
            .any(|s| s.contains("ENGINE = Distributed('earshot'"))
    );
    for sql in &statements {
        // formatQuery parses a statement without running it: no cluster needed.
        let escaped = sql.replace('\\', "\\\\").replace('\'', "\\'");
        let formatted = text_rows(&store, &format!("SELECT formatQuery('{escaped}')")).await;
        assert_eq!(formatted.len(), 1, "{sql}");
        // Data statements (migration 7's copies) run once through the Distributed
        // tables; every DDL statement runs on the whole cluster.
        assert!(
            sql.starts_with("INSERT INTO ") || formatted[0].contains("ON CLUSTER earshot"),
            "{sql} -> {formatted:?}"
        );
    }
}

#[test]
fn process_stops_with_the_statement_and_the_message_when_the_schema_cannot_apply() {
    support::start_stack();
    let database = format!("unappliable_{}", std::process::id());
    let started = std::time::Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_earshot"))
        .arg("process")
        .env("EARSHOT_CLICKHOUSE__DATABASE", &database)
        // A cluster the server does not have: a real statement it always rejects.
        .env("EARSHOT_CLICKHOUSE__CLUSTER", "no_such_cluster")
        .env("EARSHOT_PROCESSOR__METRICS_LISTEN", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "earshot process must fail");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "it must stop, not wait"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CREATE DATABASE IF NOT EXISTS"), "{stderr}");
    assert!(stderr.contains("no_such_cluster"), "{stderr}");
    assert!(stderr.contains("Code: "), "the server's message: {stderr}");
}
