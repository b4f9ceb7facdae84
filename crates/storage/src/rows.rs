use clickhouse::Row;
use serde::Serialize;

/// `Enum8('live' = 1, 'backfill' = 2)` in RowBinary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub enum Origin8 {
    Live = 1,
    Backfill = 2,
}

impl From<earshot_model::Origin> for Origin8 {
    fn from(origin: earshot_model::Origin) -> Self {
        match origin {
            earshot_model::Origin::Live => Origin8::Live,
            earshot_model::Origin::Backfill => Origin8::Backfill,
        }
    }
}

impl Serialize for Origin8 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i8(*self as i8)
    }
}

/// One row of `mentions`: a mention as it concerns one matched brand. Field names are
/// the column names (RowBinary without validation, so they must match the schema).
/// Times are Unix seconds, as ClickHouse's `DateTime` is.
#[derive(Debug, Clone, Row, Serialize)]
pub struct MentionRow {
    pub mention_id: String,
    pub brand: String,
    pub platform: &'static str,
    pub platform_id: String,
    pub url: String,
    pub text: String,
    pub published_at: u32,
    pub collected_at: u32,
    pub processed_at: u32,
    pub origin: Origin8,
    pub language: &'static str,
    pub language_confidence: f32,
    pub language_evidence: String,
    pub cohort: &'static str,
    pub cohort_confidence: f32,
    pub cohort_evidence: String,
    pub source_type: &'static str,
    pub source_type_confidence: f32,
    pub source_type_evidence: String,
    pub brand_confidence: f32,
    pub brand_evidence: String,
    pub author_id: String,
    pub author_handle: String,
    pub author_name: String,
    pub author_bio: String,
    pub author_followers: u64,
    pub author_verified: u8,
    pub author_created_at: u32,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub collector_source: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    /// `positive`, `neutral`, `negative` or `unknown`: toward this row's brand.
    pub sentiment: &'static str,
    pub sentiment_score: f32,
    pub sentiment_confidence: f32,
    /// The words, emoji and rules that decided, strongest first, `; `-separated.
    pub sentiment_evidence: String,
    pub complaint: u8,
}
