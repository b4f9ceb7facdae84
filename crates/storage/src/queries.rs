//! Reads of the rollups for people: the demo summary and totals that tests compare
//! against what was produced.

use clickhouse::Row;
use serde::Deserialize;

use crate::{Error, Store};

/// Mentions of one language in one minute, summed over brands and platforms.
#[derive(Debug, Clone, PartialEq, Row, Deserialize)]
pub struct LanguageMinute {
    /// Unix seconds of the minute's start.
    pub minute: u32,
    pub language: String,
    pub mentions: u64,
    pub unique_authors: u64,
}

/// Totals of one brand from a rollup grain, for reconciling grains with each other
/// and with the mentions table.
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct RollupTotals {
    pub brand: String,
    pub mentions: u64,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub potential_reach: u64,
    /// Mentions positive, neutral and negative toward the brand; the rest are `unknown`
    /// (languages without a sentiment lexicon).
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    pub complaints: u64,
}

impl RollupTotals {
    /// (positive − negative) / mentions with a verdict; 0 without any.
    pub fn net_sentiment(&self) -> f64 {
        let judged = self.positive + self.neutral + self.negative;
        if judged == 0 {
            0.0
        } else {
            (self.positive as f64 - self.negative as f64) / judged as f64
        }
    }
}

impl Store {
    /// Mentions per language per minute from the minute rollup, oldest first.
    pub async fn mentions_per_language_minute(&self) -> Result<Vec<LanguageMinute>, Error> {
        self.fetch_all(
            "SELECT toUInt32(minute) AS minute, language,
                sum(mentions) AS mentions,
                uniqExactMerge(unique_authors_state) AS unique_authors
             FROM {db}.rollup_minute
             GROUP BY minute, language
             ORDER BY minute, language",
        )
        .await
    }

    /// Per-brand totals of one grain's rollup table (`rollup_minute`, `rollup_hour`,
    /// `rollup_day`) or, with `mentions`, of the mention rows themselves.
    pub async fn brand_totals(&self, table: TotalsSource) -> Result<Vec<RollupTotals>, Error> {
        let sql = match table {
            TotalsSource::Mentions => {
                "SELECT brand, count() AS mentions, sum(likes) AS likes, sum(reposts) AS reposts,
                    sum(replies) AS replies, sum(author_followers) AS potential_reach,
                    countIf(sentiment = 'positive') AS positive,
                    countIf(sentiment = 'neutral') AS neutral,
                    countIf(sentiment = 'negative') AS negative,
                    toUInt64(sum(complaint)) AS complaints
                 FROM {db}.mentions FINAL GROUP BY brand ORDER BY brand"
            }
            TotalsSource::Rollup(grain) => match grain {
                "rollup_minute" | "rollup_hour" | "rollup_day" => {
                    return self
                        .fetch_all(&format!(
                            "SELECT brand, sum(mentions) AS mentions, sum(likes) AS likes,
                                sum(reposts) AS reposts, sum(replies) AS replies,
                                sum(potential_reach) AS potential_reach,
                                sum(positive) AS positive, sum(neutral) AS neutral,
                                sum(negative) AS negative, sum(complaints) AS complaints
                             FROM {{db}}.{grain} GROUP BY brand ORDER BY brand"
                        ))
                        .await;
                }
                other => {
                    return Err(Error::Config {
                        key: "rollup",
                        problem: format!("`{other}` is not a rollup table"),
                    });
                }
            },
        };
        self.fetch_all(sql).await
    }

    /// Rows in `mentions` including not-yet-merged duplicates (which should be none).
    pub async fn mention_row_count(&self) -> Result<u64, Error> {
        Ok(self
            .fetch_all::<u64>("SELECT count() FROM {db}.mentions")
            .await?
            .first()
            .copied()
            .unwrap_or(0))
    }
}

/// Mentions of one brand with one value of a tag dimension.
#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct BrandMix {
    pub brand: String,
    pub value: String,
    pub mentions: u64,
}

/// A tag dimension of the rollups, named by an enum so no caller text reaches SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Cohort,
    SourceType,
    Language,
    Platform,
}

impl Dimension {
    pub fn column(self) -> &'static str {
        match self {
            Dimension::Cohort => "cohort",
            Dimension::SourceType => "source_type",
            Dimension::Language => "language",
            Dimension::Platform => "platform",
        }
    }
}

impl Store {
    /// Per brand, how its mentions split over the values of `dimension` (all time).
    pub async fn brand_mix(&self, dimension: Dimension) -> Result<Vec<BrandMix>, Error> {
        let column = dimension.column();
        self.fetch_all(&format!(
            "SELECT brand, {column} AS value, sum(mentions) AS mentions
             FROM {{db}}.rollup_day GROUP BY brand, value ORDER BY brand, mentions DESC, value"
        ))
        .await
    }
}

/// Where [`Store::brand_totals`] reads from.
#[derive(Debug, Clone, Copy)]
pub enum TotalsSource {
    Mentions,
    Rollup(&'static str),
}
