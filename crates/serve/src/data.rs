//! What the API reads, as a trait at the I/O edge: [`crate::ClickHouseData`] answers
//! from ClickHouse, tests answer from memory. Every type here is what a handler needs,
//! already validated; none carries caller text that has not passed [`crate::params`].

use async_trait::async_trait;
use serde::Serialize;

/// `[from, to)` in unix seconds, aligned to the grain it is read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: u32,
    pub to: u32,
}

impl Window {
    pub fn span(&self) -> u32 {
        self.to - self.from
    }

    /// The window of the same length just before this one, for "change vs previous".
    pub fn previous(&self) -> Window {
        Window {
            from: self.from.saturating_sub(self.span()),
            to: self.from,
        }
    }
}

/// Time bucket of a series; each reads its own rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Minute,
    Hour,
    Day,
}

impl Grain {
    pub fn step_secs(self) -> u32 {
        match self {
            Grain::Minute => 60,
            Grain::Hour => 3600,
            Grain::Day => 86_400,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
            Grain::Day => "day",
        }
    }

    /// Minutes for ranges of hours, hours for days, days for months.
    pub fn auto(window_secs: u32) -> Grain {
        if window_secs <= 12 * 3600 {
            Grain::Minute
        } else if window_secs <= 21 * 86_400 {
            Grain::Hour
        } else {
            Grain::Day
        }
    }

    /// `window` widened to whole buckets.
    pub fn align(self, window: Window) -> Window {
        let step = self.step_secs();
        Window {
            from: window.from / step * step,
            to: window.to.div_ceil(step).saturating_mul(step),
        }
    }
}

/// The sentiment tag (migration 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
    Unknown,
}

impl Sentiment {
    pub const ALL: [Sentiment; 4] = [
        Sentiment::Positive,
        Sentiment::Neutral,
        Sentiment::Negative,
        Sentiment::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
            Sentiment::Unknown => "unknown",
        }
    }
}

/// Filters every read accepts. Values are from closed sets (platforms, cohorts,
/// source types, sentiments, origins) or checked shapes (language codes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub platform: Option<&'static str>,
    pub language: Option<String>,
    pub cohort: Option<&'static str>,
    pub source_type: Option<&'static str>,
    pub sentiment: Option<Sentiment>,
    pub origin: Option<&'static str>,
}

/// Which mentions a read covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Configured brand names; empty means every brand.
    pub brands: Vec<String>,
    pub window: Window,
    pub grain: Grain,
    pub filters: Filters,
}

/// A brand with data, and the span of its data, so the dashboard opens on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrandActivity {
    pub brand: String,
    pub mentions: u64,
    pub first_hour: u32,
    pub last_hour: u32,
}

/// Measures of one brand (or one brand in one bucket).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, clickhouse::Row)]
pub struct Measures {
    pub mentions: u64,
    pub unique_authors: u64,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub reach: u64,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    /// Mentions the sentiment tagger marked as complaints (migration 5).
    pub complaints: u64,
}

impl Measures {
    /// (positive − negative) / mentions with a positive, neutral or negative tag; none
    /// when no mention has one.
    pub fn net_sentiment(&self) -> Option<f64> {
        let tagged = self.positive + self.neutral + self.negative;
        (tagged > 0).then(|| (self.positive as f64 - self.negative as f64) / tagged as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandMeasures {
    pub brand: String,
    #[serde(flatten)]
    pub measures: Measures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    /// Unix seconds of the bucket's start.
    pub bucket: u32,
    pub brand: String,
    #[serde(flatten)]
    pub measures: Measures,
}

/// A tag dimension to split mentions by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MixDimension {
    Cohort,
    SourceType,
    Language,
    Platform,
    Sentiment,
}

impl MixDimension {
    pub const ALL: [MixDimension; 5] = [
        MixDimension::Cohort,
        MixDimension::SourceType,
        MixDimension::Language,
        MixDimension::Platform,
        MixDimension::Sentiment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MixDimension::Cohort => "cohort",
            MixDimension::SourceType => "source_type",
            MixDimension::Language => "language",
            MixDimension::Platform => "platform",
            MixDimension::Sentiment => "sentiment",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, clickhouse::Row)]
pub struct MixRow {
    pub brand: String,
    pub value: String,
    pub mentions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, clickhouse::Row)]
pub struct TopAuthor {
    pub platform: String,
    pub author_handle: String,
    pub author_name: String,
    pub followers: u64,
    pub mentions: u64,
    pub engagement: u64,
}

/// Order of a mention search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionSort {
    Recent,
    /// Most likes + reposts + replies first: the mentions most people saw.
    Engagement,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionSearch {
    pub scope: Scope,
    /// Case-insensitive substring of the text.
    pub text: Option<String>,
    pub author_handle: Option<String>,
    pub mention_id: Option<String>,
    pub sort: MentionSort,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

/// One tag on a mention, with why it was given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tag {
    pub value: String,
    pub confidence: f32,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mention {
    pub mention_id: String,
    pub brand: String,
    pub platform: String,
    pub url: String,
    pub text: String,
    pub published_at: u32,
    pub origin: String,
    pub author_handle: String,
    pub author_name: String,
    pub author_followers: u64,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub brand_tag: Tag,
    pub language: Tag,
    pub cohort: Tag,
    pub source_type: Tag,
    /// None before migration 5.
    pub sentiment: Option<Tag>,
    pub complaint: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentionPage {
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
    pub mentions: Vec<Mention>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertQuery {
    pub brands: Vec<String>,
    pub window: Window,
    pub limit: u32,
}

/// A mention that illustrates an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertExample {
    pub mention_id: String,
    pub url: String,
    pub text: Option<String>,
    pub author_handle: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
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
    pub mentions: u64,
    pub denominator: u64,
    /// What an analyst reads: the detector's own explanation when it wrote one,
    /// otherwise one made from the numbers.
    pub explanation: String,
    pub examples: Vec<AlertExample>,
    pub raised_at: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub schema_version: u32,
    pub sentiment: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Storage(#[from] earshot_storage::Error),
    /// The request needs a part of the schema this database does not have yet.
    #[error("{0}")]
    Unsupported(String),
}

/// The reads behind the API.
#[async_trait]
pub trait ListeningData: Send + Sync + 'static {
    async fn brand_activity(&self) -> Result<Vec<BrandActivity>, DataError>;
    /// Measures per brand in `scope`.
    async fn totals(&self, scope: &Scope) -> Result<Vec<BrandMeasures>, DataError>;
    /// Measures per brand per `scope.grain` bucket, oldest first.
    async fn series(&self, scope: &Scope) -> Result<Vec<SeriesPoint>, DataError>;
    async fn mix(&self, scope: &Scope, dimension: MixDimension) -> Result<Vec<MixRow>, DataError>;
    async fn top_authors(&self, scope: &Scope, limit: u32) -> Result<Vec<TopAuthor>, DataError>;
    async fn mentions(&self, search: &MentionSearch) -> Result<MentionPage, DataError>;
    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, DataError>;
    async fn readiness(&self) -> Result<Readiness, DataError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grain_follows_the_range_and_windows_widen_to_whole_buckets() {
        assert_eq!(Grain::auto(6 * 3600), Grain::Minute);
        assert_eq!(Grain::auto(7 * 86_400), Grain::Hour);
        assert_eq!(Grain::auto(90 * 86_400), Grain::Day);
        let w = Grain::Hour.align(Window {
            from: 3_700,
            to: 7_201,
        });
        assert_eq!(
            w,
            Window {
                from: 3_600,
                to: 10_800
            }
        );
        assert_eq!(w.previous(), Window { from: 0, to: 3_600 });
    }

    #[test]
    fn net_sentiment_counts_only_tagged_mentions() {
        let m = Measures {
            mentions: 10,
            positive: 6,
            neutral: 2,
            negative: 2,
            ..Measures::default()
        };
        assert_eq!(m.net_sentiment(), Some(0.4));
        assert_eq!(Measures::default().net_sentiment(), None);
    }
}
