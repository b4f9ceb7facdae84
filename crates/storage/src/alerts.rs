//! What `earshot detect` reads and writes: mention counts per rollup bucket and
//! dimension (the series it scores), example mentions that explain an alert, and the
//! `alerts` table, which is both the alert history and the record that makes delivery
//! idempotent across detector restarts.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::store::escape_identifier;
use crate::{Context, Error, Store};

/// The rollup a detector reads. The day rollup is left out: its `Date` buckets follow
/// the server's time zone, which the detector's UTC clock cannot assume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollupGrain {
    Minute,
    Hour,
}

impl RollupGrain {
    pub fn step_secs(self) -> u32 {
        match self {
            RollupGrain::Minute => 60,
            RollupGrain::Hour => 3600,
        }
    }

    /// The name stored in `alerts.grain` and shown to people.
    pub fn as_str(self) -> &'static str {
        match self {
            RollupGrain::Minute => "minute",
            RollupGrain::Hour => "hour",
        }
    }

    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            RollupGrain::Minute => ("rollup_minute", "minute"),
            RollupGrain::Hour => ("rollup_hour", "hour"),
        }
    }
}

/// Which mentions count: the live service ignores backfills, so importing history
/// never raises a live alert; replays of history may include them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFilter {
    LiveOnly,
    All,
}

impl OriginFilter {
    /// A fixed SQL condition (no user input).
    fn condition(self) -> &'static str {
        match self {
            OriginFilter::LiveOnly => "AND origin = 'live'",
            OriginFilter::All => "",
        }
    }
}

/// Mentions of one brand in one bucket for one combination of dimension values.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct RollupCount {
    /// Unix seconds of the bucket's start, aligned to the grain's step.
    pub bucket: u32,
    pub brand: String,
    pub platform: String,
    pub language: String,
    pub cohort: String,
    pub source_type: String,
    pub mentions: u64,
    /// Of `mentions`, those positive, neutral and negative toward the brand.
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
}

/// A column of `mentions` an alert's examples can be filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionColumn {
    Platform,
    Language,
    Cohort,
    SourceType,
    Sentiment,
}

impl MentionColumn {
    fn name(self) -> &'static str {
        match self {
            MentionColumn::Platform => "platform",
            MentionColumn::Language => "language",
            MentionColumn::Cohort => "cohort",
            MentionColumn::SourceType => "source_type",
            MentionColumn::Sentiment => "sentiment",
        }
    }
}

/// Which mentions illustrate an alert: one brand's, in the alert's window, optionally
/// only those with one dimension value.
#[derive(Debug, Clone, Copy)]
pub struct ExampleQuery<'a> {
    pub brand: &'a str,
    /// Unix seconds, inclusive.
    pub from: u32,
    /// Unix seconds, exclusive.
    pub to: u32,
    pub filter: Option<(MentionColumn, &'a str)>,
    pub origins: OriginFilter,
    pub limit: u32,
}

/// A mention shown as evidence for an alert.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct ExampleMention {
    pub mention_id: String,
    pub url: String,
}

/// One row of `alerts`. Field names are the column names (RowBinary without
/// validation, so they must match the schema in migration 3).
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct AlertRow {
    pub alert_id: String,
    pub brand: String,
    pub dimension: String,
    pub value: String,
    pub grain: String,
    pub window_start: u32,
    pub window_end: u32,
    pub direction: String,
    pub score: f64,
    pub z: f64,
    pub baseline: f64,
    pub observed: f64,
    /// Mentions behind the observed value: the count, or the share's numerator.
    pub mentions: u64,
    /// The share's denominator; 0 for counts.
    pub denominator: u64,
    pub example_ids: Vec<String>,
    pub example_urls: Vec<String>,
    /// The alert as delivered (JSON).
    pub payload: String,
    pub raised_at: u32,
    /// Migration 6: which detector component fired (`level`, `spike`, ...), the band
    /// it expected, and the alert in words an analyst reads.
    pub component: String,
    pub expected_low: f64,
    pub expected_high: f64,
    pub explanation: String,
}

/// An alert already in the table, as much as deduplication needs.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct RaisedAlert {
    pub alert_id: String,
    pub brand: String,
    pub dimension: String,
    pub value: String,
    pub window_start: u32,
}

impl Store {
    /// Mentions per aligned bucket in `[from, to)` (unix seconds) and per combination
    /// of brand, platform, language, cohort and source type, oldest bucket first.
    pub async fn rollup_counts(
        &self,
        grain: RollupGrain,
        from: u32,
        to: u32,
        origins: OriginFilter,
    ) -> Result<Vec<RollupCount>, Error> {
        let (table, column) = grain.table_and_column();
        let sql = format!(
            "SELECT toUInt32(intDiv(toUInt32({column}), ?) * ?) AS bucket,
                brand, platform, language, cohort, source_type,
                sum(mentions) AS mentions,
                sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative
             FROM {db}.{table}
             WHERE {column} >= toDateTime(?) AND {column} < toDateTime(?) {origin}
             GROUP BY bucket, brand, platform, language, cohort, source_type
             ORDER BY bucket, brand, platform, language, cohort, source_type",
            db = self.db(),
            column = escape_identifier(column),
            table = escape_identifier(table),
            origin = origins.condition(),
        );
        let read = self
            .client()
            .query(&sql)
            .bind(grain.step_secs())
            .bind(grain.step_secs())
            .bind(from)
            .bind(to)
            .fetch_all();
        crate::rollups::with_timeout(self.config().insert_timeout(), read)
            .await
            .context(|| format!("reading {table} from {from} to {to}"))
    }

    /// Up to `limit` distinct mentions matching `query`, most engaged first (they are
    /// the ones most people saw), ties broken by id so the answer is stable.
    pub async fn example_mentions(
        &self,
        query: &ExampleQuery<'_>,
    ) -> Result<Vec<ExampleMention>, Error> {
        let filter = match query.filter {
            Some((column, _)) => format!("AND {} = ?", escape_identifier(column.name())),
            None => String::new(),
        };
        let sql = format!(
            "SELECT mention_id, url FROM {db}.mentions
             WHERE brand = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
                {filter} {origin}
             ORDER BY likes + reposts + replies DESC, mention_id
             LIMIT 1 BY mention_id
             LIMIT ?",
            db = self.db(),
            origin = query.origins.condition(),
        );
        let mut q = self
            .client()
            .query(&sql)
            .bind(query.brand)
            .bind(query.from)
            .bind(query.to);
        if let Some((_, value)) = query.filter {
            q = q.bind(value);
        }
        let read = q.bind(query.limit).fetch_all();
        crate::rollups::with_timeout(self.config().insert_timeout(), read)
            .await
            .context(|| format!("reading example mentions of {}", query.brand))
    }

    /// Alerts of `grain` whose window starts at or after `since` (unix seconds).
    pub async fn raised_alerts(
        &self,
        grain: RollupGrain,
        since: u32,
    ) -> Result<Vec<RaisedAlert>, Error> {
        let sql = format!(
            "SELECT DISTINCT alert_id, brand, dimension, value,
                toUInt32(window_start) AS window_start
             FROM {db}.alerts
             WHERE grain = ? AND window_start >= toDateTime(?)
             ORDER BY window_start, alert_id",
            db = self.db(),
        );
        let read = self
            .client()
            .query(&sql)
            .bind(grain.as_str())
            .bind(since)
            .fetch_all();
        crate::rollups::with_timeout(self.config().insert_timeout(), read)
            .await
            .context(|| "reading raised alerts".into())
    }

    /// Records alerts in one INSERT. The table is a ReplacingMergeTree keyed by
    /// `alert_id`, so writing an alert twice leaves one row after merges.
    pub async fn insert_alerts(&self, rows: &[AlertRow]) -> Result<(), Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let table = format!("{}.alerts", self.db());
        let write = async {
            let mut insert = self.client().insert_unescaped::<AlertRow>(&table).await?;
            for row in rows {
                insert.write(row).await?;
            }
            insert.end().await
        };
        write
            .await
            .context(|| format!("inserting {} alerts", rows.len()))
    }
}
