//! [`ListeningData`] on ClickHouse. Reads without a sentiment filter come from the
//! rollup of the request's grain; a sentiment filter reads `mentions` itself, since
//! the rollups count sentiments but are not split by them. Every caller value is a
//! `?` bind; identifiers come from closed sets and are escaped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use clickhouse::Row;
use earshot_storage::{Store, escape_identifier};
use serde::Deserialize;

use crate::data::*;

/// A value bound to the next `?`.
#[derive(Debug, Clone)]
enum Bind {
    U32(u32),
    Str(String),
    Strs(Vec<String>),
}

/// SQL text with its binds, in order.
#[derive(Debug, Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, text: &str, value: Bind) -> &mut Self {
        debug_assert_eq!(text.matches('?').count(), 1);
        self.text.push_str(text);
        self.binds.push(value);
        self
    }
}

/// Where a scope's rows come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Rollup(Grain),
    Mentions(Grain),
}

impl Source {
    fn for_scope(scope: &Scope) -> Source {
        match scope.filters.sentiment {
            Some(_) => Source::Mentions(scope.grain),
            None => Source::Rollup(scope.grain),
        }
    }

    fn table(self) -> &'static str {
        match self {
            Source::Rollup(Grain::Minute) => "rollup_minute",
            Source::Rollup(Grain::Hour) => "rollup_hour",
            Source::Rollup(Grain::Day) => "rollup_day",
            // FINAL: rows not merged yet would otherwise count twice.
            Source::Mentions(_) => "mentions",
        }
    }

    fn bucket(self) -> &'static str {
        match self {
            Source::Rollup(Grain::Minute) => "toUInt32(minute)",
            Source::Rollup(Grain::Hour) => "toUInt32(hour)",
            Source::Rollup(Grain::Day) => "toUInt32(toDateTime(day))",
            Source::Mentions(Grain::Minute) => "toUInt32(toStartOfMinute(published_at))",
            Source::Mentions(Grain::Hour) => "toUInt32(toStartOfHour(published_at))",
            Source::Mentions(Grain::Day) => "toUInt32(toDateTime(toDate(published_at)))",
        }
    }

    /// The measures of [`Measures`], in its field order.
    fn measures(self, sentiment: bool) -> String {
        match self {
            Source::Rollup(_) => {
                let s = |c: &str| {
                    if sentiment {
                        format!("sum({c})")
                    } else {
                        "toUInt64(0)".into()
                    }
                };
                format!(
                    "sum(mentions) AS mentions, uniqExactMerge(unique_authors_state) AS unique_authors,
                     sum(likes) AS likes, sum(reposts) AS reposts, sum(replies) AS replies,
                     sum(potential_reach) AS reach, {} AS positive, {} AS neutral, {} AS negative,
                     {} AS complaints",
                    s("positive"),
                    s("neutral"),
                    s("negative"),
                    s("complaints")
                )
            }
            Source::Mentions(_) => "count() AS mentions,
                 uniqExact(concat(platform, ':', author_id)) AS unique_authors,
                 sum(likes) AS likes, sum(reposts) AS reposts, sum(replies) AS replies,
                 sum(author_followers) AS reach,
                 countIf(sentiment = 'positive') AS positive,
                 countIf(sentiment = 'neutral') AS neutral,
                 countIf(sentiment = 'negative') AS negative,
                 toUInt64(sum(complaint)) AS complaints"
                .into(),
        }
    }

    fn count(self) -> &'static str {
        match self {
            Source::Rollup(_) => "sum(mentions)",
            Source::Mentions(_) => "count()",
        }
    }
}

#[derive(Debug, Row, Deserialize)]
struct BrandMeasuresRow {
    brand: String,
    mentions: u64,
    unique_authors: u64,
    likes: u64,
    reposts: u64,
    replies: u64,
    reach: u64,
    positive: u64,
    neutral: u64,
    negative: u64,
    complaints: u64,
}

impl BrandMeasuresRow {
    fn measures(&self) -> Measures {
        Measures {
            mentions: self.mentions,
            unique_authors: self.unique_authors,
            likes: self.likes,
            reposts: self.reposts,
            replies: self.replies,
            reach: self.reach,
            positive: self.positive,
            neutral: self.neutral,
            negative: self.negative,
            complaints: self.complaints,
        }
    }
}

#[derive(Debug, Row, Deserialize)]
struct SeriesRow {
    bucket: u32,
    brand: String,
    mentions: u64,
    unique_authors: u64,
    likes: u64,
    reposts: u64,
    replies: u64,
    reach: u64,
    positive: u64,
    neutral: u64,
    negative: u64,
    complaints: u64,
}

#[derive(Debug, Row, Deserialize)]
struct ActivityRow {
    brand: String,
    mentions: u64,
    first_hour: u32,
    last_hour: u32,
}

#[derive(Debug, Row, Deserialize)]
struct MentionRow {
    mention_id: String,
    brand: String,
    platform: String,
    url: String,
    text: String,
    published_at: u32,
    origin: String,
    author_handle: String,
    author_name: String,
    author_followers: u64,
    likes: u64,
    reposts: u64,
    replies: u64,
    brand_confidence: f32,
    brand_evidence: String,
    language: String,
    language_confidence: f32,
    language_evidence: String,
    cohort: String,
    cohort_confidence: f32,
    cohort_evidence: String,
    source_type: String,
    source_type_confidence: f32,
    source_type_evidence: String,
    sentiment: String,
    sentiment_confidence: f32,
    sentiment_evidence: String,
    complaint: u8,
}

#[derive(Debug, Row, Deserialize)]
struct AlertRow {
    alert_id: String,
    brand: String,
    dimension: String,
    value: String,
    grain: String,
    window_start: u32,
    window_end: u32,
    direction: String,
    score: f64,
    z: f64,
    baseline: f64,
    observed: f64,
    mentions: u64,
    denominator: u64,
    example_ids: Vec<String>,
    example_urls: Vec<String>,
    payload: String,
    raised_at: u32,
}

#[derive(Debug, Row, Deserialize)]
struct ExampleRow {
    mention_id: String,
    text: String,
    author_handle: String,
}

/// Reads Earshot's database for the API.
#[derive(Clone)]
pub struct ClickHouseData {
    store: Store,
    /// Whether the sentiment columns (migration 5) exist; rechecked on readiness.
    sentiment: Arc<AtomicBool>,
}

impl ClickHouseData {
    /// Connects lazily; checks which optional columns the schema has.
    pub async fn new(store: Store) -> Result<Self, DataError> {
        let data = Self {
            store,
            sentiment: Arc::new(AtomicBool::new(false)),
        };
        data.refresh_schema().await?;
        Ok(data)
    }

    fn db(&self) -> String {
        escape_identifier(&self.store.config().database)
    }

    fn has_sentiment(&self) -> bool {
        self.sentiment.load(Ordering::Relaxed)
    }

    async fn refresh_schema(&self) -> Result<bool, DataError> {
        let found: u64 = self
            .store
            .client()
            .query(
                "SELECT count() FROM system.columns
                 WHERE database = ? AND table = 'mentions' AND name = 'sentiment'",
            )
            .bind(self.store.config().database.as_str())
            .fetch_one()
            .await
            .map_err(|source| storage_error("reading the schema's columns", source))?;
        self.sentiment.store(found > 0, Ordering::Relaxed);
        Ok(found > 0)
    }

    fn require_sentiment(&self, filters: &Filters) -> Result<(), DataError> {
        if filters.sentiment.is_some() && !self.has_sentiment() {
            return Err(DataError::Unsupported(
                "this database has no sentiment columns yet (migration 5); run `earshot migrate`"
                    .into(),
            ));
        }
        Ok(())
    }

    /// `WHERE …` for a scope read from `source`.
    fn conditions(&self, sql: &mut Sql, source: Source, scope: &Scope) {
        let window = scope.window;
        match source {
            Source::Rollup(Grain::Day) => {
                sql.bind(
                    " WHERE day >= toDate(toDateTime(?))",
                    Bind::U32(window.from),
                )
                .bind(" AND day < toDate(toDateTime(?))", Bind::U32(window.to));
            }
            Source::Rollup(grain) => {
                let column = grain.as_str();
                sql.bind(
                    &format!(" WHERE {column} >= toDateTime(?)"),
                    Bind::U32(window.from),
                )
                .bind(
                    &format!(" AND {column} < toDateTime(?)"),
                    Bind::U32(window.to),
                );
            }
            Source::Mentions(_) => {
                sql.bind(
                    " WHERE published_at >= toDateTime(?)",
                    Bind::U32(window.from),
                )
                .bind(" AND published_at < toDateTime(?)", Bind::U32(window.to));
            }
        }
        if !scope.brands.is_empty() {
            sql.bind(
                " AND brand IN (SELECT arrayJoin(?))",
                Bind::Strs(scope.brands.clone()),
            );
        }
        let f = &scope.filters;
        for (column, value) in [
            ("platform", f.platform.map(str::to_string)),
            ("language", f.language.clone()),
            ("cohort", f.cohort.map(str::to_string)),
            ("source_type", f.source_type.map(str::to_string)),
            ("origin", f.origin.map(str::to_string)),
            ("sentiment", f.sentiment.map(|s| s.as_str().to_string())),
        ] {
            if let Some(value) = value {
                sql.bind(&format!(" AND {column} = ?"), Bind::Str(value));
            }
        }
    }

    async fn fetch<T>(&self, sql: Sql, action: &str) -> Result<Vec<T>, DataError>
    where
        T: clickhouse::RowOwned + clickhouse::RowRead,
    {
        let text = sql.text.replace("{db}", &self.db());
        let mut query = self.store.client().query(&text);
        for bind in sql.binds {
            query = match bind {
                Bind::U32(v) => query.bind(v),
                Bind::Str(v) => query.bind(v),
                Bind::Strs(v) => query.bind(v),
            };
        }
        query
            .fetch_all::<T>()
            .await
            .map_err(|source| storage_error(action, source))
    }

    fn from(source: Source) -> String {
        let table = escape_identifier(source.table());
        match source {
            Source::Mentions(_) => format!(" FROM {{db}}.{table} FINAL"),
            Source::Rollup(_) => format!(" FROM {{db}}.{table}"),
        }
    }
}

fn storage_error(action: &str, source: clickhouse::error::Error) -> DataError {
    DataError::Storage(earshot_storage::Error::ClickHouse {
        action: action.to_string(),
        source,
    })
}

/// The detector's explanation if its payload has one, else one from the numbers.
fn explanation(row: &AlertRow) -> String {
    let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
    let written = ["explanation", "summary"].iter().find_map(|key| {
        payload
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    });
    written.unwrap_or_else(|| {
        let what = if row.dimension.is_empty() || row.dimension == "total" {
            "mentions".to_string()
        } else {
            format!("{} = {}", row.dimension, row.value)
        };
        let measure = if row.denominator > 0 {
            format!(
                "{:.1}% of mentions vs a usual {:.1}%",
                100.0 * row.observed,
                100.0 * row.baseline
            )
        } else {
            format!("{:.0} vs a usual {:.1}", row.observed, row.baseline)
        };
        format!(
            "{what} went {} per {}: {measure} (z {:.1})",
            row.direction, row.grain, row.z
        )
    })
}

#[async_trait]
impl ListeningData for ClickHouseData {
    async fn brand_activity(&self) -> Result<Vec<BrandActivity>, DataError> {
        let mut sql = Sql::default();
        sql.push(
            "SELECT brand, sum(mentions) AS mentions, toUInt32(min(hour)) AS first_hour,
                toUInt32(max(hour)) AS last_hour
             FROM {db}.rollup_hour GROUP BY brand ORDER BY brand",
        );
        let rows: Vec<ActivityRow> = self.fetch(sql, "reading brand activity").await?;
        Ok(rows
            .into_iter()
            .map(|r| BrandActivity {
                brand: r.brand,
                mentions: r.mentions,
                first_hour: r.first_hour,
                last_hour: r.last_hour,
            })
            .collect())
    }

    async fn totals(&self, scope: &Scope) -> Result<Vec<BrandMeasures>, DataError> {
        self.require_sentiment(&scope.filters)?;
        let source = Source::for_scope(scope);
        let mut sql = Sql::default();
        sql.push("SELECT brand, ")
            .push(&source.measures(self.has_sentiment()))
            .push(&Self::from(source));
        self.conditions(&mut sql, source, scope);
        sql.push(" GROUP BY brand ORDER BY mentions DESC, brand");
        let rows: Vec<BrandMeasuresRow> = self.fetch(sql, "reading totals").await?;
        Ok(rows
            .into_iter()
            .map(|r| BrandMeasures {
                measures: r.measures(),
                brand: r.brand,
            })
            .collect())
    }

    async fn series(&self, scope: &Scope) -> Result<Vec<SeriesPoint>, DataError> {
        self.require_sentiment(&scope.filters)?;
        let source = Source::for_scope(scope);
        let mut sql = Sql::default();
        sql.push(&format!("SELECT {} AS bucket, brand, ", source.bucket()))
            .push(&source.measures(self.has_sentiment()))
            .push(&Self::from(source));
        self.conditions(&mut sql, source, scope);
        sql.push(" GROUP BY bucket, brand ORDER BY bucket, brand");
        let rows: Vec<SeriesRow> = self.fetch(sql, "reading a series").await?;
        Ok(rows
            .into_iter()
            .map(|r| SeriesPoint {
                bucket: r.bucket,
                measures: Measures {
                    mentions: r.mentions,
                    unique_authors: r.unique_authors,
                    likes: r.likes,
                    reposts: r.reposts,
                    replies: r.replies,
                    reach: r.reach,
                    positive: r.positive,
                    neutral: r.neutral,
                    negative: r.negative,
                    complaints: r.complaints,
                },
                brand: r.brand,
            })
            .collect())
    }

    async fn mix(&self, scope: &Scope, dimension: MixDimension) -> Result<Vec<MixRow>, DataError> {
        self.require_sentiment(&scope.filters)?;
        if dimension == MixDimension::Sentiment {
            let totals = self.totals(scope).await?;
            let mut rows = Vec::new();
            for t in totals {
                let m = &t.measures;
                let unknown = m
                    .mentions
                    .saturating_sub(m.positive + m.neutral + m.negative);
                for (value, mentions) in [
                    ("positive", m.positive),
                    ("neutral", m.neutral),
                    ("negative", m.negative),
                    ("unknown", unknown),
                ] {
                    if mentions > 0 {
                        rows.push(MixRow {
                            brand: t.brand.clone(),
                            value: value.into(),
                            mentions,
                        });
                    }
                }
            }
            return Ok(rows);
        }
        let source = Source::for_scope(scope);
        let column = escape_identifier(dimension.as_str());
        let mut sql = Sql::default();
        sql.push(&format!(
            "SELECT brand, {column} AS value, {} AS mentions",
            source.count()
        ))
        .push(&Self::from(source));
        self.conditions(&mut sql, source, scope);
        sql.push(" GROUP BY brand, value ORDER BY brand, mentions DESC, value");
        self.fetch(sql, "reading a mix").await
    }

    async fn top_authors(&self, scope: &Scope, limit: u32) -> Result<Vec<TopAuthor>, DataError> {
        self.require_sentiment(&scope.filters)?;
        let source = Source::Mentions(scope.grain);
        let mut sql = Sql::default();
        sql.push(
            "SELECT platform, author_handle, any(author_name) AS author_name,
                max(author_followers) AS followers, count() AS mentions,
                sum(likes + reposts + replies) AS engagement",
        )
        .push(&Self::from(source));
        self.conditions(&mut sql, source, scope);
        sql.push(" GROUP BY platform, author_handle ORDER BY mentions DESC, engagement DESC, author_handle")
            .bind(" LIMIT ?", Bind::U32(limit));
        self.fetch(sql, "reading top authors").await
    }

    async fn mentions(&self, search: &MentionSearch) -> Result<MentionPage, DataError> {
        self.require_sentiment(&search.scope.filters)?;
        let source = Source::Mentions(search.scope.grain);
        let sentiment = if self.has_sentiment() {
            "sentiment, sentiment_confidence, sentiment_evidence, complaint"
        } else {
            "'' AS sentiment, toFloat32(0) AS sentiment_confidence, '' AS sentiment_evidence,
             toUInt8(0) AS complaint"
        };
        let conditions = |sql: &mut Sql| {
            self.conditions(sql, source, &search.scope);
            if let Some(text) = &search.text {
                sql.bind(
                    " AND positionCaseInsensitiveUTF8(text, ?) > 0",
                    Bind::Str(text.clone()),
                );
            }
            if let Some(handle) = &search.author_handle {
                sql.bind(" AND author_handle = ?", Bind::Str(handle.clone()));
            }
            if let Some(id) = &search.mention_id {
                sql.bind(" AND mention_id = ?", Bind::Str(id.clone()));
            }
        };
        let mut count = Sql::default();
        count.push("SELECT count()").push(&Self::from(source));
        conditions(&mut count);
        let total: Vec<u64> = self.fetch(count, "counting mentions").await?;

        let mut sql = Sql::default();
        sql.push(&format!(
            "SELECT mention_id, brand, platform, url, text, toUInt32(published_at) AS published_at,
                toString(origin) AS origin, author_handle, author_name, author_followers,
                likes, reposts, replies, brand_confidence, brand_evidence,
                language, language_confidence, language_evidence,
                cohort, cohort_confidence, cohort_evidence,
                source_type, source_type_confidence, source_type_evidence, {sentiment}"
        ))
        .push(&Self::from(source));
        conditions(&mut sql);
        sql.push(match search.sort {
            MentionSort::Recent => " ORDER BY published_at DESC, mention_id, brand",
            MentionSort::Engagement => {
                " ORDER BY likes + reposts + replies DESC, published_at DESC, mention_id, brand"
            }
        });
        let offset = (search.page - 1).saturating_mul(search.page_size);
        // `LIMIT offset, n`: both 18.16 and current ClickHouse accept it.
        sql.bind(" LIMIT ?", Bind::U32(offset))
            .bind(", ?", Bind::U32(search.page_size));
        let rows: Vec<MentionRow> = self.fetch(sql, "searching mentions").await?;
        let has_sentiment = self.has_sentiment();
        let tag = |value: String, confidence: f32, evidence: String| Tag {
            value,
            confidence,
            evidence,
        };
        Ok(MentionPage {
            total: total.first().copied().unwrap_or(0),
            page: search.page,
            page_size: search.page_size,
            mentions: rows
                .into_iter()
                .map(|r| Mention {
                    brand_tag: tag(r.brand.clone(), r.brand_confidence, r.brand_evidence),
                    language: tag(r.language, r.language_confidence, r.language_evidence),
                    cohort: tag(r.cohort, r.cohort_confidence, r.cohort_evidence),
                    source_type: tag(
                        r.source_type,
                        r.source_type_confidence,
                        r.source_type_evidence,
                    ),
                    sentiment: has_sentiment
                        .then(|| tag(r.sentiment, r.sentiment_confidence, r.sentiment_evidence)),
                    complaint: r.complaint > 0,
                    mention_id: r.mention_id,
                    brand: r.brand,
                    platform: r.platform,
                    url: r.url,
                    text: r.text,
                    published_at: r.published_at,
                    origin: r.origin,
                    author_handle: r.author_handle,
                    author_name: r.author_name,
                    author_followers: r.author_followers,
                    likes: r.likes,
                    reposts: r.reposts,
                    replies: r.replies,
                })
                .collect(),
        })
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, DataError> {
        let mut sql = Sql::default();
        sql.push(
            "SELECT alert_id, brand, dimension, value, grain,
                toUInt32(window_start) AS window_start, toUInt32(window_end) AS window_end,
                direction, score, z, baseline, observed, mentions, denominator,
                example_ids, example_urls, payload, toUInt32(raised_at) AS raised_at
             FROM {db}.alerts FINAL",
        )
        .bind(
            " WHERE window_start >= toDateTime(?)",
            Bind::U32(query.window.from),
        )
        .bind(
            " AND window_start < toDateTime(?)",
            Bind::U32(query.window.to),
        );
        if !query.brands.is_empty() {
            sql.bind(
                " AND brand IN (SELECT arrayJoin(?))",
                Bind::Strs(query.brands.clone()),
            );
        }
        sql.push(" ORDER BY window_start DESC, alert_id")
            .bind(" LIMIT ?", Bind::U32(query.limit));
        let rows: Vec<AlertRow> = self.fetch(sql, "reading alerts").await?;
        let ids: Vec<String> = rows
            .iter()
            .flat_map(|r| r.example_ids.iter().cloned())
            .collect();
        let mut examples: HashMap<String, ExampleRow> = HashMap::new();
        if !ids.is_empty() {
            let mut sql = Sql::default();
            sql.push("SELECT mention_id, text, author_handle FROM {db}.mentions")
                .bind(
                    " WHERE mention_id IN (SELECT arrayJoin(?))",
                    Bind::Strs(ids),
                )
                .push(" LIMIT 1 BY mention_id");
            let found: Vec<ExampleRow> = self.fetch(sql, "reading alert examples").await?;
            examples.extend(found.into_iter().map(|e| (e.mention_id.clone(), e)));
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let explanation = explanation(&r);
                let examples = r
                    .example_ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let found = examples.get(id);
                        AlertExample {
                            mention_id: id.clone(),
                            url: r.example_urls.get(i).cloned().unwrap_or_default(),
                            text: found.map(|e| e.text.clone()),
                            author_handle: found.map(|e| e.author_handle.clone()),
                        }
                    })
                    .collect();
                Alert {
                    alert_id: r.alert_id,
                    brand: r.brand,
                    dimension: r.dimension,
                    value: r.value,
                    grain: r.grain,
                    window_start: r.window_start,
                    window_end: r.window_end,
                    direction: r.direction,
                    score: r.score,
                    z: r.z,
                    baseline: r.baseline,
                    observed: r.observed,
                    mentions: r.mentions,
                    denominator: r.denominator,
                    explanation,
                    examples,
                    raised_at: r.raised_at,
                }
            })
            .collect())
    }

    async fn readiness(&self) -> Result<Readiness, DataError> {
        self.store.ping().await?;
        let schema_version = self.store.schema_version().await?;
        let sentiment = self.refresh_schema().await?;
        Ok(Readiness {
            schema_version,
            sentiment,
        })
    }
}
