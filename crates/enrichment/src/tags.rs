use std::borrow::Cow;

/// A tag's value with how sure we are and what produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag<T> {
    pub value: T,
    /// In [0, 1].
    pub confidence: f32,
    /// Compact, stable rule id(s), e.g. `bio.birth_year` or `hint+whatlang`.
    pub evidence: Cow<'static, str>,
}

impl<T> Tag<T> {
    pub fn new(value: T, confidence: f32, evidence: impl Into<Cow<'static, str>>) -> Self {
        Self {
            value,
            confidence,
            evidence: evidence.into(),
        }
    }
}

/// Generation cohorts by birth year (boundaries in [`earshot_model::CohortBoundaries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cohort {
    GenZ,
    Millennials,
    GenX,
    Boomers,
    Silent,
    Unknown,
}

impl Cohort {
    /// Every cohort, in the order of [`Cohort::as_str`]'s match.
    pub const ALL: [Cohort; 6] = [
        Cohort::GenZ,
        Cohort::Millennials,
        Cohort::GenX,
        Cohort::Boomers,
        Cohort::Silent,
        Cohort::Unknown,
    ];

    /// The value stored in ClickHouse and shown in dashboards.
    pub fn as_str(self) -> &'static str {
        match self {
            Cohort::GenZ => "gen_z",
            Cohort::Millennials => "millennials",
            Cohort::GenX => "gen_x",
            Cohort::Boomers => "boomers",
            Cohort::Silent => "silent",
            Cohort::Unknown => "unknown",
        }
    }
}

/// Who is speaking, relative to one brand, as a brand team means it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceType {
    /// Buys, uses, has used or considers the brand's products or service.
    Customer,
    /// Current staff speaking about their employer (in the bio or the post).
    Employee,
    /// The brand's own official, support or shop account speaking.
    BrandAccount,
    /// A journalist or news outlet in its professional role.
    Press,
    /// Evidence of someone else: recruiters, investors, bots, organisations,
    /// bystanders commenting on news, marketing re-posters.
    Other,
    /// No evidence either way: the tag abstains.
    Unknown,
}

impl SourceType {
    pub const ALL: [SourceType; 6] = [
        SourceType::Customer,
        SourceType::Employee,
        SourceType::BrandAccount,
        SourceType::Press,
        SourceType::Other,
        SourceType::Unknown,
    ];

    /// The value stored in ClickHouse (a string column: new values need no migration).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Customer => "customer",
            SourceType::Employee => "employee",
            SourceType::BrandAccount => "brand_account",
            SourceType::Press => "press",
            SourceType::Other => "other",
            SourceType::Unknown => "unknown",
        }
    }
}

/// One brand a mention matched, and who the author is relative to that brand.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandMatch {
    /// The brand's configured name.
    pub brand: String,
    pub confidence: f32,
    pub evidence: Cow<'static, str>,
    pub source_type: Tag<SourceType>,
    /// Sentiment toward this brand, not the post's mood.
    pub sentiment: earshot_sentiment::Sentiment,
}

/// All tags of one mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    /// ISO 639-1 code, or `und` when the text is too short or mixed to tell.
    pub language: Tag<&'static str>,
    pub cohort: Tag<Cohort>,
    /// Empty when no brand matched: such a mention is not stored as a brand mention.
    pub brands: Vec<BrandMatch>,
}
