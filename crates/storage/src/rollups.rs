//! Rollups derived from the deduplicated mentions, so that they are exact whatever
//! fails (migration 7, `docs/architecture.md` "Exactly-once effect").
//!
//! After a batch's mentions are stored, every bucket the batch touches is recomputed
//! whole and written as one row per bucket and dimensions into a ReplacingMergeTree:
//! minutes from `mentions FINAL`, hours from the minutes, days from the hours (each
//! from `mentions` instead where the finer grain's retention may have dropped part of
//! the bucket). Writing a bucket twice replaces it, so a retry after any partial
//! failure, an INSERT that timed out but completed, or two processors doing the same
//! batch all end with the same rows. A bucket computed from fewer mentions (a processor
//! that read before another's INSERT landed) has the lower `version` and loses.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::migrations::{GRAINS, Grain, ROLLUP_COLUMNS};
use crate::{Error, MentionRow, RetentionConfig, Store};

/// Distinct UTC days one statement's buckets may span: every grain's partitions are a
/// day or coarser, and ClickHouse refuses an INSERT into more than 100 partitions (a
/// bucket can fall on the neighbouring day in the server's time zone, hence the room).
const MAX_DAYS_PER_STATEMENT: usize = 80;
/// Time ranges per statement, which keeps the query text and its AST small.
const MAX_RANGES_PER_STATEMENT: usize = 200;
/// A source is trusted for a bucket only this long before its retention could have
/// dropped part of it (buckets and partitions are cut in the server's time zone).
const RETENTION_MARGIN_SECS: i64 = 2 * 86_400;
/// Rows computed by `refresh_rollups` win over rows copied from the old summing tables.
pub(crate) const DERIVED_VERSION_BASE: u64 = 1 << 40;

/// What a batch touched: its brands and its distinct `published_at` times. Recomputing
/// a bucket is idempotent, so the cross product (a brand at another brand's minute) is
/// at worst work, never a wrong count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TouchedBuckets {
    brands: BTreeSet<String>,
    times: BTreeSet<u32>,
}

impl TouchedBuckets {
    pub fn of(rows: &[MentionRow]) -> Self {
        let mut touched = Self::default();
        touched.extend(rows);
        touched
    }

    /// Adds rows; kept across a batch's retries, so rows found stored (and dropped from
    /// the insert) still have their buckets recomputed.
    pub fn extend(&mut self, rows: &[MentionRow]) {
        for row in rows {
            if !self.brands.contains(&row.brand) {
                self.brands.insert(row.brand.clone());
            }
            self.times.insert(row.published_at);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// Where one grain's buckets are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    Mentions,
    /// The next finer grain (index into [`GRAINS`]).
    Finer(usize),
}

impl Source {
    fn table(self) -> &'static str {
        match self {
            Source::Mentions => "mentions",
            Source::Finer(i) => GRAINS[i].store,
        }
    }

    fn time_column(self) -> &'static str {
        match self {
            Source::Mentions => "published_at",
            Source::Finer(i) => GRAINS[i].column,
        }
    }
}

/// How long a table keeps rows (days; 0 = forever), per source.
fn retention_days(source: Source, retention: &RetentionConfig) -> u32 {
    match source {
        Source::Mentions => retention.mentions_days,
        Source::Finer(0) => retention.minute_rollup_days,
        Source::Finer(1) => retention.hour_rollup_days,
        Source::Finer(_) => retention.day_rollup_days,
    }
}

fn holds(source: Source, time: u32, now: i64, retention: &RetentionConfig) -> bool {
    match retention_days(source, retention) {
        0 => true,
        days => i64::from(time) - RETENTION_MARGIN_SECS >= now - i64::from(days) * 86_400,
    }
}

/// The source for grain `grain` at `time`: the finer grain where it surely holds the
/// whole bucket, else the mentions, else none (the bucket is older than every source's
/// retention and is left as it is: recomputing it would undercount).
pub(crate) fn source_for(
    grain: usize,
    time: u32,
    now: i64,
    retention: &RetentionConfig,
) -> Option<Source> {
    let finer = (grain > 0).then(|| Source::Finer(grain - 1));
    finer
        .into_iter()
        .chain([Source::Mentions])
        .find(|s| holds(*s, time, now, retention))
}

/// One recompute statement's share of the batch: times in a run of at most
/// [`MAX_DAYS_PER_STATEMENT`] days and [`MAX_RANGES_PER_STATEMENT`] ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub times: Vec<u32>,
    /// `[from, to)` ranges of the source's time column that cover every bucket.
    pub ranges: Vec<(u32, u32)>,
}

/// Splits sorted times into chunks; a range around each time reaches `pad` seconds
/// either side (a bucket containing the time lies within it, in any time zone).
pub(crate) fn chunks(times: &[u32], pad: u32) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut days = BTreeSet::new();
    for &t in times {
        let (from, to) = (t.saturating_sub(pad), t.saturating_add(pad));
        let start_new = match out.last() {
            None => true,
            Some(chunk) => {
                let merges = chunk.ranges.last().is_some_and(|r| from <= r.1);
                let new_day = !days.contains(&(t / 86_400));
                (new_day && days.len() >= MAX_DAYS_PER_STATEMENT)
                    || (!merges && chunk.ranges.len() >= MAX_RANGES_PER_STATEMENT)
            }
        };
        if start_new {
            days.clear();
            out.push(Chunk {
                times: Vec::new(),
                ranges: Vec::new(),
            });
        }
        let chunk = out.last_mut().expect("a chunk");
        days.insert(t / 86_400);
        chunk.times.push(t);
        match chunk.ranges.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => chunk.ranges.push((from, to)),
        }
    }
    out
}

/// The measures of a bucket, from mention rows or from finer rollup rows.
fn measures(source: Source) -> String {
    match source {
        Source::Mentions => format!(
            "count(), uniqExactState(concat(platform, ':', author_id)),
            sum(likes), sum(reposts), sum(replies), sum(author_followers),
            countIf(sentiment = 'positive'), countIf(sentiment = 'neutral'),
            countIf(sentiment = 'negative'), toUInt64(sum(complaint)),
            {DERIVED_VERSION_BASE} + count()"
        ),
        Source::Finer(_) => format!(
            "sum(mentions), uniqExactMergeState(unique_authors_state),
            sum(likes), sum(reposts), sum(replies), sum(potential_reach),
            sum(positive), sum(neutral), sum(negative), sum(complaints),
            {DERIVED_VERSION_BASE} + sum(mentions)"
        ),
    }
}

/// `INSERT … SELECT` recomputing every bucket of `grain` that contains one of the
/// chunk's times, for the batch's brands. Binds: brands, then times. The ranges are
/// integers formatted here; nothing else from data reaches the text.
pub(crate) fn recompute_sql(db: &str, grain: &Grain, source: Source, chunk: &Chunk) -> String {
    let time = source.time_column();
    let bucket_of = |column: &str| grain.bucket.replace("published_at", column);
    let ranges = chunk
        .ranges
        .iter()
        .map(|(from, to)| format!("({time} >= toDateTime({from}) AND {time} < toDateTime({to}))"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "INSERT INTO {db}.{store} ({column}, {ROLLUP_COLUMNS}, version)
        SELECT {bucket} AS {column}, brand, platform, language, cohort, source_type, origin,
            {measures}
        FROM {db}.{source_table} FINAL
        WHERE brand IN (SELECT arrayJoin(?))
            AND ({ranges})
            AND {bucket} IN (SELECT DISTINCT {touched} FROM (SELECT toDateTime(arrayJoin(?)) AS t))
        GROUP BY {column}, brand, platform, language, cohort, source_type, origin",
        store = grain.store,
        column = grain.column,
        bucket = bucket_of(time),
        touched = bucket_of("t"),
        measures = measures(source),
        source_table = source.table(),
    )
}

impl Store {
    /// Recomputes every rollup bucket that `touched` reaches, minute, then hour, then
    /// day. Call it after the batch's mentions are stored, and before committing.
    pub async fn refresh_rollups(&self, touched: &TouchedBuckets) -> Result<(), Error> {
        self.refresh_rollups_at(touched, Utc::now()).await
    }

    /// [`Store::refresh_rollups`] as of `now` (which decides what retention may have
    /// dropped).
    pub async fn refresh_rollups_at(
        &self,
        touched: &TouchedBuckets,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if touched.is_empty() {
            return Ok(());
        }
        let retention = self.config().retention;
        let brands: Vec<&str> = touched.brands.iter().map(String::as_str).collect();
        let db = self.db();
        for (index, grain) in GRAINS.iter().enumerate() {
            let _timed = crate::store::StepTimer::start(RECOMPUTE_STEPS[index]);
            let mut by_source: BTreeMap<Source, Vec<u32>> = BTreeMap::new();
            for &t in &touched.times {
                if let Some(source) = source_for(index, t, now.timestamp(), &retention) {
                    by_source.entry(source).or_default().push(t);
                }
            }
            for (source, times) in by_source {
                for chunk in chunks(&times, 2 * grain.max_bucket_secs) {
                    let sql = recompute_sql(&db, grain, source, &chunk);
                    let run = self
                        .client()
                        .query(&sql)
                        .bind(&brands)
                        .bind(&chunk.times)
                        .with_setting("max_query_size", "16777216")
                        .execute();
                    with_timeout(self.config().insert_timeout(), run)
                        .await
                        .map_err(|error| Error::ClickHouse {
                            action: format!(
                                "recomputing the {} buckets of {} mention times from {}",
                                grain.store,
                                chunk.times.len(),
                                source.table()
                            ),
                            source: error,
                        })?;
                }
            }
        }
        Ok(())
    }
}

/// The `step` label of each grain's recompute in `earshot_storage_write_step_seconds`.
const RECOMPUTE_STEPS: [&str; GRAINS.len()] =
    ["recompute_minute", "recompute_hour", "recompute_day"];

/// Runs a ClickHouse call with a deadline; a call past it is dropped (which closes its
/// connection) and reported as a timeout, which is transient.
pub(crate) async fn with_timeout<T>(
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, clickhouse::error::Error>>,
) -> Result<T, clickhouse::error::Error> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(clickhouse::error::Error::TimedOut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retention() -> RetentionConfig {
        RetentionConfig {
            mentions_days: 395,
            minute_rollup_days: 14,
            hour_rollup_days: 400,
            day_rollup_days: 0,
        }
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_is_a_transient_timeout() {
        let hung = std::future::pending::<Result<(), clickhouse::error::Error>>();
        let error = with_timeout(Duration::from_millis(10), hung)
            .await
            .expect_err("a call that never answers times out");
        assert!(matches!(error, clickhouse::error::Error::TimedOut));
        let error = Error::ClickHouse {
            action: "reading".into(),
            source: error,
        };
        assert!(error.is_transient(), "a timeout is retried");
    }

    #[test]
    fn each_grain_reads_the_finest_source_that_still_holds_the_bucket() {
        let now = 2_000_000_000;
        let days_ago = |d: i64| (now - d * 86_400) as u32;
        let r = retention();
        assert_eq!(source_for(0, days_ago(0), now, &r), Some(Source::Mentions));
        assert_eq!(source_for(1, days_ago(1), now, &r), Some(Source::Finer(0)));
        // Minutes are kept 14 days: an hour 13 days back might have lost some.
        assert_eq!(source_for(1, days_ago(13), now, &r), Some(Source::Mentions));
        assert_eq!(
            source_for(2, days_ago(300), now, &r),
            Some(Source::Finer(1))
        );
        // Hours are kept 400 days, mentions 395: a day 399 days back has neither whole.
        assert_eq!(source_for(2, days_ago(399), now, &r), None);
        let long_mentions = RetentionConfig {
            mentions_days: 800,
            ..r
        };
        assert_eq!(
            source_for(2, days_ago(399), now, &long_mentions),
            Some(Source::Mentions)
        );
        // Older than every source: left alone rather than undercounted.
        assert_eq!(source_for(2, days_ago(500), now, &r), None);
        assert_eq!(source_for(0, days_ago(500), now, &r), None);
        let forever = RetentionConfig {
            mentions_days: 0,
            ..r
        };
        assert_eq!(
            source_for(0, days_ago(5000), now, &forever),
            Some(Source::Mentions)
        );
    }

    #[test]
    fn chunks_cover_every_time_and_respect_the_partition_limit() {
        // 150 days, four mentions a day.
        let times: Vec<u32> = (0..600u32).map(|i| 1_700_000_000 + i * 21_600).collect();
        let out = chunks(&times, 120);
        assert!(out.len() >= 2);
        let mut seen = Vec::new();
        for chunk in &out {
            let days: BTreeSet<u32> = chunk.times.iter().map(|t| t / 86_400).collect();
            assert!(days.len() <= MAX_DAYS_PER_STATEMENT, "{}", days.len());
            assert!(chunk.ranges.len() <= MAX_RANGES_PER_STATEMENT);
            for t in &chunk.times {
                assert!(
                    chunk
                        .ranges
                        .iter()
                        .any(|(from, to)| from + 120 <= *t && t + 120 <= *to),
                    "{t} outside its chunk's ranges"
                );
            }
            seen.extend(chunk.times.iter().copied());
        }
        assert_eq!(seen, times, "every time once, in order");
    }

    #[test]
    fn close_times_share_one_range_and_many_scattered_ones_split() {
        let out = chunks(&[100, 130, 200], 60);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].ranges, vec![(40, 260)]);
        let scattered: Vec<u32> = (0..450u32).map(|i| 1_000_000 + i * 1_000).collect();
        let out = chunks(&scattered, 60);
        assert_eq!(out.len(), 3, "200 + 200 + 50 ranges");
        assert_eq!(out[2].ranges.len(), 50);
    }

    #[test]
    fn the_recompute_binds_brands_and_times_and_formats_only_integers() {
        let chunk = Chunk {
            times: vec![1_700_000_030],
            ranges: vec![(1_699_999_910, 1_700_000_150)],
        };
        let sql = recompute_sql("`db`", &GRAINS[1], Source::Finer(0), &chunk);
        assert!(sql.starts_with("INSERT INTO `db`.rollup_hour_v2 (hour, brand,"));
        assert!(sql.contains("FROM `db`.rollup_minute_v2 FINAL"));
        assert!(sql.contains("toStartOfHour(minute) AS hour"));
        assert!(
            sql.contains("minute >= toDateTime(1699999910) AND minute < toDateTime(1700000150)")
        );
        assert!(sql.contains("toStartOfHour(t)"));
        assert_eq!(sql.matches('?').count(), 2);
        let sql = recompute_sql("`db`", &GRAINS[0], Source::Mentions, &chunk);
        assert!(sql.contains("FROM `db`.mentions FINAL"));
        assert!(sql.contains("toStartOfMinute(published_at) AS minute"));
    }
}
