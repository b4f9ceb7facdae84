//! Numbered schema migrations. Each statement is idempotent on its own (`IF NOT EXISTS`,
//! or checked against `system.columns` where 18.16 has no `IF NOT EXISTS`), so several
//! processes may migrate at once: the worst case is running a statement twice.
//!
//! `{db}` in a statement is replaced by the escaped database name.

/// One step of the schema's history. Never edit a released migration; add a new one.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    statements: &'static [&'static str],
    /// Statements generated per rollup grain, run after `statements`.
    per_grain: &'static [fn(&Grain) -> String],
    /// Statements run last, after the per-grain ones (views over the rollups' new
    /// columns).
    finally: &'static [&'static str],
}

impl Migration {
    /// The statements to run, with `{db}` still to be replaced.
    pub fn statements(&self) -> Vec<String> {
        let mut all: Vec<String> = self.statements.iter().map(|s| s.to_string()).collect();
        for generate in self.per_grain {
            all.extend(GRAINS.iter().map(generate));
        }
        all.extend(self.finally.iter().map(|s| s.to_string()));
        all
    }
}

/// A rollup granularity: the same dimensions and measures at another time bucket.
pub struct Grain {
    pub table: &'static str,
    /// The time column's name, which BI users see.
    pub column: &'static str,
    pub column_type: &'static str,
    /// Buckets `published_at`.
    pub bucket: &'static str,
    /// Partitions are what retention drops, so they follow each grain's lifetime.
    pub partition: &'static str,
    /// The finalized view over the rollup, for BI tools.
    pub view: &'static str,
    /// Since migration 7, the table that holds the rollup (ReplacingMergeTree, written
    /// by [`crate::Store::refresh_rollups`]); `table` is a view over it with `FINAL`.
    pub store: &'static str,
    /// Bucket length in seconds (a day: 25 h, for days with a DST change), which
    /// bounds the source rows a recomputed bucket can hold.
    pub max_bucket_secs: u32,
}

pub const GRAINS: [Grain; 3] = [
    Grain {
        table: "rollup_minute",
        column: "minute",
        column_type: "DateTime",
        bucket: "toStartOfMinute(published_at)",
        partition: "toYYYYMMDD(minute)",
        view: "mentions_per_minute",
        store: "rollup_minute_v2",
        max_bucket_secs: 60,
    },
    Grain {
        table: "rollup_hour",
        column: "hour",
        column_type: "DateTime",
        bucket: "toStartOfHour(published_at)",
        partition: "toYYYYMM(hour)",
        view: "mentions_per_hour",
        store: "rollup_hour_v2",
        max_bucket_secs: 3600,
    },
    Grain {
        table: "rollup_day",
        column: "day",
        column_type: "Date",
        bucket: "toDate(published_at)",
        partition: "toYear(day)",
        view: "mentions_per_day",
        store: "rollup_day_v2",
        max_bucket_secs: 90000,
    },
];

const DIMENSIONS: &str = "brand, platform, language, cohort, source_type, origin";

/// Counts and sums add up on merge (SummingMergeTree); the author set merges as an
/// aggregate state, so unique authors stay exact across inserts.
fn rollup_table(g: &Grain) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {{db}}.{table} (
            {column} {column_type},
            brand String, platform String, language String, cohort String, source_type String,
            origin Enum8('live' = 1, 'backfill' = 2),
            mentions UInt64,
            unique_authors_state AggregateFunction(uniqExact, String),
            likes UInt64, reposts UInt64, replies UInt64,
            potential_reach UInt64
        ) ENGINE = SummingMergeTree()
        PARTITION BY {partition}
        ORDER BY (brand, {column}, platform, language, cohort, source_type, origin)",
        table = g.table,
        column = g.column,
        column_type = g.column_type,
        partition = g.partition,
    )
}

fn rollup_view(g: &Grain) -> String {
    format!(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{table}_mv TO {{db}}.{table} AS
        SELECT {bucket} AS {column}, {DIMENSIONS},
            count() AS mentions,
            uniqExactState(concat(platform, ':', author_id)) AS unique_authors_state,
            sum(likes) AS likes, sum(reposts) AS reposts, sum(replies) AS replies,
            sum(author_followers) AS potential_reach
        FROM {{db}}.mentions
        GROUP BY {column}, {DIMENSIONS}",
        table = g.table,
        column = g.column,
        bucket = g.bucket,
    )
}

fn finalized_view(g: &Grain) -> String {
    format!(
        "CREATE VIEW IF NOT EXISTS {{db}}.{view} AS
        SELECT {column}, {DIMENSIONS},
            sum(mentions) AS mentions,
            uniqExactMerge(unique_authors_state) AS unique_authors,
            sum(likes) AS likes, sum(reposts) AS reposts, sum(replies) AS replies,
            sum(potential_reach) AS potential_reach
        FROM {{db}}.{table}
        GROUP BY {column}, {DIMENSIONS}",
        view = g.view,
        table = g.table,
        column = g.column,
    )
}

/// Each brand's share of all mentions per day. Subqueries in a join need aliases on
/// current ClickHouse; 18.16 accepts them too.
const SHARE_OF_VOICE_DAILY: &str = "CREATE VIEW IF NOT EXISTS {db}.share_of_voice_daily AS
    SELECT day, brand, mentions, total_mentions,
        mentions / total_mentions AS share_of_voice
    FROM (
        SELECT day, brand, sum(mentions) AS mentions
        FROM {db}.rollup_day GROUP BY day, brand
    ) AS by_brand
    ANY LEFT JOIN (
        SELECT day, sum(mentions) AS total_mentions
        FROM {db}.rollup_day GROUP BY day
    ) AS by_day USING day";

/// Each cohort's share of a brand's mentions per week (weeks start on Monday).
const COHORT_MIX_WEEKLY: &str = "CREATE VIEW IF NOT EXISTS {db}.cohort_mix_weekly AS
    SELECT week, brand, cohort, mentions, brand_mentions,
        mentions / brand_mentions AS share_of_brand
    FROM (
        SELECT toMonday(day) AS week, brand, cohort, sum(mentions) AS mentions
        FROM {db}.rollup_day GROUP BY week, brand, cohort
    ) AS by_cohort
    ANY LEFT JOIN (
        SELECT toMonday(day) AS week, brand, sum(mentions) AS brand_mentions
        FROM {db}.rollup_day GROUP BY week, brand
    ) AS by_brand USING week, brand";

/// Sentiment counts per rollup row: migration 5 rewrites each rollup's view with them.
/// `mentions - positive - neutral - negative` are the mentions in languages without a
/// sentiment lexicon (`unknown`), and those stored before migration 5.
fn rollup_view_with_sentiment(g: &Grain) -> String {
    format!(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{table}_mv TO {{db}}.{table} AS
        SELECT {bucket} AS {column}, {DIMENSIONS},
            count() AS mentions,
            uniqExactState(concat(platform, ':', author_id)) AS unique_authors_state,
            sum(likes) AS likes, sum(reposts) AS reposts, sum(replies) AS replies,
            sum(author_followers) AS potential_reach,
            countIf(sentiment = 'positive') AS positive,
            countIf(sentiment = 'neutral') AS neutral,
            countIf(sentiment = 'negative') AS negative,
            sum(complaint) AS complaints
        FROM {{db}}.mentions
        GROUP BY {column}, {DIMENSIONS}",
        table = g.table,
        column = g.column,
        bucket = g.bucket,
    )
}

fn finalized_view_with_sentiment(g: &Grain) -> String {
    format!(
        "CREATE VIEW IF NOT EXISTS {{db}}.{view} AS
        SELECT {column}, {DIMENSIONS},
            sum(mentions) AS mentions,
            uniqExactMerge(unique_authors_state) AS unique_authors,
            sum(likes) AS likes, sum(reposts) AS reposts, sum(replies) AS replies,
            sum(potential_reach) AS potential_reach,
            sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative,
            sum(complaints) AS complaints
        FROM {{db}}.{table}
        GROUP BY {column}, {DIMENSIONS}",
        view = g.view,
        table = g.table,
        column = g.column,
    )
}

/// Net sentiment ((positive − negative) / mentions with a verdict) and the negative
/// share per brand and day, for BI. Days without any verdict show 0 for both.
const SENTIMENT_DAILY: &str = "CREATE VIEW IF NOT EXISTS {db}.sentiment_daily AS
    SELECT day, brand, mentions, positive, neutral, negative, complaints,
        if(positive + neutral + negative = 0, 0,
            (positive - negative) / (positive + neutral + negative)) AS net_sentiment,
        if(positive + neutral + negative = 0, 0,
            negative / (positive + neutral + negative)) AS negative_share
    FROM (
        SELECT day, brand, sum(mentions) AS mentions,
            sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative,
            sum(complaints) AS complaints
        FROM {db}.rollup_day GROUP BY day, brand
    ) AS by_day";

/// Every column of a rollup after the time bucket, in table order (migration 7).
pub(crate) const ROLLUP_COLUMNS: &str = "brand, platform, language, cohort, source_type, origin, \
    mentions, unique_authors_state, likes, reposts, replies, potential_reach, \
    positive, neutral, negative, complaints";

/// Migration 7: a rollup that is *replaced*, not added to. Each row is a whole bucket
/// recomputed from the deduplicated mentions (or from the finer grain), so writing it
/// again, from a retry or from a second processor, changes nothing. `version` decides
/// between two computations of one bucket: the one that saw more mentions wins, and
/// every recomputed row (2^40 + mentions) wins over one copied from the old table.
fn replaced_rollup_table(g: &Grain) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {{db}}.{store} (
            {column} {column_type},
            brand String, platform String, language String, cohort String, source_type String,
            origin Enum8('live' = 1, 'backfill' = 2),
            mentions UInt64,
            unique_authors_state AggregateFunction(uniqExact, String),
            likes UInt64, reposts UInt64, replies UInt64,
            potential_reach UInt64,
            positive UInt64, neutral UInt64, negative UInt64, complaints UInt64,
            version UInt64
        ) ENGINE = ReplacingMergeTree(version)
        PARTITION BY {partition}
        ORDER BY (brand, {column}, platform, language, cohort, source_type, origin)",
        store = g.store,
        column = g.column,
        column_type = g.column_type,
        partition = g.partition,
    )
}

/// Carries the old (summing) rollup's rows over, summed per bucket, with the lowest
/// versions. Run again after the old table became the view below, it re-copies rows
/// that the replacing table already holds with the same or a higher version.
fn copy_summed_rollup(g: &Grain) -> String {
    format!(
        "INSERT INTO {{db}}.{store} ({column}, {ROLLUP_COLUMNS}, version)
        SELECT {column}, {DIMENSIONS},
            sum(mentions), uniqExactMergeState(unique_authors_state),
            sum(likes), sum(reposts), sum(replies), sum(potential_reach),
            sum(positive), sum(neutral), sum(negative), sum(complaints),
            sum(mentions)
        FROM {{db}}.{table}
        GROUP BY {column}, {DIMENSIONS}",
        store = g.store,
        table = g.table,
        column = g.column,
    )
}

/// The old name, now a view that shows each bucket once: every reader (BI views,
/// `earshot summary`, detect, serve) keeps its SQL and reads exact rows.
fn rollup_compat_view(g: &Grain) -> String {
    format!(
        "CREATE VIEW IF NOT EXISTS {{db}}.{table} AS
        SELECT {column}, {ROLLUP_COLUMNS}
        FROM {{db}}.{store} FINAL",
        table = g.table,
        store = g.store,
        column = g.column,
    )
}

/// Statements every migration run ends with, whatever was already applied: the objects
/// a migration drops and recreates under the same name (migration 7's compatibility
/// views), which a racing or killed migrator may have dropped without recreating yet.
/// Each is a no-op when the object is there.
pub fn reasserted_statements() -> Vec<String> {
    GRAINS.iter().map(rollup_compat_view).collect()
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "mentions, dedup index, minute/hour/day rollups",
        statements: &[
            "CREATE TABLE IF NOT EXISTS {db}.mentions (
                mention_id String,
                brand String,
                platform String,
                platform_id String,
                url String,
                text String,
                published_at DateTime,
                collected_at DateTime,
                processed_at DateTime,
                origin Enum8('live' = 1, 'backfill' = 2),
                language String,
                language_confidence Float32,
                language_evidence String,
                cohort String,
                cohort_confidence Float32,
                cohort_evidence String,
                source_type String,
                source_type_confidence Float32,
                source_type_evidence String,
                brand_confidence Float32,
                brand_evidence String,
                author_id String,
                author_handle String,
                author_name String,
                author_bio String,
                author_followers UInt64,
                author_verified UInt8,
                author_created_at DateTime,
                likes UInt64,
                reposts UInt64,
                replies UInt64,
                collector_source String,
                kafka_partition Int32,
                kafka_offset Int64
            ) ENGINE = ReplacingMergeTree(processed_at)
            PARTITION BY toYYYYMM(published_at)
            ORDER BY (brand, published_at, mention_id)",
            // The processor asks this table which mentions of a batch are already stored;
            // it is written by a view in the same INSERT as the mentions themselves.
            "CREATE TABLE IF NOT EXISTS {db}.mention_ids (
                mention_id String,
                published_at DateTime
            ) ENGINE = ReplacingMergeTree()
            PARTITION BY toYYYYMM(published_at)
            ORDER BY mention_id",
            "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mention_ids_mv TO {db}.mention_ids
            AS SELECT mention_id, published_at FROM {db}.mentions",
        ],
        per_grain: &[rollup_table, rollup_view],
        finally: &[],
    },
    Migration {
        version: 2,
        name: "views for BI: finalized rollups, share of voice, cohort mix",
        // Released with `share_of_voice_daily` and `cohort_mix_weekly` too, written as
        // `(subquery) ANY LEFT JOIN (subquery)` without aliases, which current ClickHouse
        // rejects (Code 206), so a fresh install there could not get past this migration.
        // Those two views now come from migration 4, which also replaces them where the
        // old migration 2 created them: the only edit of a released migration, and one
        // that leaves an old install and a new one with the same schema.
        statements: &[],
        per_grain: &[finalized_view],
        finally: &[],
    },
    Migration {
        version: 3,
        name: "alerts raised by earshot detect",
        statements: &[
            // Keyed by the deterministic alert id: `earshot detect` checks it before
            // delivering, and a repeated write merges away.
            "CREATE TABLE IF NOT EXISTS {db}.alerts (
                alert_id String,
                brand String,
                dimension String,
                value String,
                grain String,
                window_start DateTime,
                window_end DateTime,
                direction String,
                score Float64,
                z Float64,
                baseline Float64,
                observed Float64,
                mentions UInt64,
                denominator UInt64,
                example_ids Array(String),
                example_urls Array(String),
                payload String,
                raised_at DateTime
            ) ENGINE = ReplacingMergeTree()
            PARTITION BY toYYYYMM(window_start)
            ORDER BY alert_id",
        ],
        per_grain: &[],
        finally: &[],
    },
    Migration {
        version: 4,
        name: "share of voice and cohort mix views that current ClickHouse accepts",
        statements: &[
            "DROP TABLE IF EXISTS {db}.share_of_voice_daily",
            SHARE_OF_VOICE_DAILY,
            "DROP TABLE IF EXISTS {db}.cohort_mix_weekly",
            COHORT_MIX_WEEKLY,
        ],
        per_grain: &[],
        finally: &[],
    },
    Migration {
        version: 5,
        name: "sentiment toward each brand: mention columns, rollup counts, sentiment_daily",
        // Each ADD COLUMN is its own statement: 18.16 has no `ADD COLUMN IF NOT EXISTS`,
        // so the migration runner takes "already exists" (Code 44) as done.
        // Recreating a rollup's view leaves a moment in which an INSERT into `mentions`
        // by a processor of the previous version would miss that rollup: processors
        // migrate before they consume, so upgrade by restarting them, not alongside.
        statements: &[
            "ALTER TABLE {db}.mentions ADD COLUMN sentiment String DEFAULT 'unknown'",
            "ALTER TABLE {db}.mentions ADD COLUMN sentiment_score Float32",
            "ALTER TABLE {db}.mentions ADD COLUMN sentiment_confidence Float32",
            "ALTER TABLE {db}.mentions ADD COLUMN sentiment_evidence String",
            "ALTER TABLE {db}.mentions ADD COLUMN complaint UInt8",
        ],
        per_grain: &[
            |g| format!("ALTER TABLE {{db}}.{} ADD COLUMN positive UInt64", g.table),
            |g| format!("ALTER TABLE {{db}}.{} ADD COLUMN neutral UInt64", g.table),
            |g| format!("ALTER TABLE {{db}}.{} ADD COLUMN negative UInt64", g.table),
            |g| {
                format!(
                    "ALTER TABLE {{db}}.{} ADD COLUMN complaints UInt64",
                    g.table
                )
            },
            |g| format!("DROP TABLE IF EXISTS {{db}}.{}_mv", g.table),
            rollup_view_with_sentiment,
            |g| format!("DROP TABLE IF EXISTS {{db}}.{}", g.view),
            finalized_view_with_sentiment,
        ],
        finally: &[SENTIMENT_DAILY],
    },
    Migration {
        version: 6,
        name: "alerts explain themselves: the component that fired, its expected band, the sentence",
        statements: &[
            "ALTER TABLE {db}.alerts ADD COLUMN component String",
            "ALTER TABLE {db}.alerts ADD COLUMN expected_low Float64",
            "ALTER TABLE {db}.alerts ADD COLUMN expected_high Float64",
            "ALTER TABLE {db}.alerts ADD COLUMN explanation String",
        ],
        per_grain: &[],
        finally: &[],
    },
    Migration {
        version: 7,
        name: "rollups recomputed per bucket from the deduplicated mentions, exact under any failure",
        // The views that added every INSERT into `mentions` to the rollups go first, so
        // nothing writes the old tables while they are copied. A processor of an older
        // version inserting meanwhile would miss the rollups: upgrade by restarting
        // processors (each migrates before it consumes).
        statements: &[],
        per_grain: &[
            replaced_rollup_table,
            |g| format!("DROP TABLE IF EXISTS {{db}}.{}_mv", g.table),
            copy_summed_rollup,
            |g| format!("DROP TABLE IF EXISTS {{db}}.{}", g.table),
            rollup_compat_view,
        ],
        finally: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_in_order_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "migration {}", m.name);
        }
    }

    #[test]
    fn every_reasserted_statement_is_a_migrations_own() {
        // So it runs on both engines in the tests and `--print-sql` need not repeat it.
        let all: Vec<String> = MIGRATIONS.iter().flat_map(|m| m.statements()).collect();
        let reasserted = reasserted_statements();
        assert!(!reasserted.is_empty());
        for statement in reasserted {
            assert!(all.contains(&statement), "{statement}");
            assert!(statement.contains("IF NOT EXISTS"), "{statement}");
        }
    }

    #[test]
    fn every_create_is_idempotent() {
        for m in MIGRATIONS {
            for s in m.statements() {
                if s.trim_start().starts_with("CREATE") {
                    assert!(s.contains("IF NOT EXISTS"), "{}: {s}", m.name);
                }
                if s.trim_start().starts_with("DROP") {
                    assert!(s.contains("IF EXISTS"), "{}: {s}", m.name);
                }
            }
        }
    }
}
