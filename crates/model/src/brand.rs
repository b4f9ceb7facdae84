use serde::{Deserialize, Serialize};

/// A brand and the query that decides which mentions are about it, in the style of
/// commercial listening tools: any-of terms, required terms, exclusions, hashtags,
/// handles and domains. Collectors use the hashtags and keywords to decide what to
/// poll; enrichment uses the whole query to decide what matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Brand {
    /// Display name, also the value stored in the `brand` column.
    pub name: String,
    /// Any of these words or phrases makes a match (case and diacritics insensitive).
    pub keywords: Vec<String>,
    /// When non-empty, at least one of these must also appear.
    pub required: Vec<String>,
    /// Any of these vetoes the match ("orlen" but not "borlänge").
    pub excluded: Vec<String>,
    /// Hashtags without `#`; collectors poll them, enrichment matches them.
    pub hashtags: Vec<String>,
    /// The brand's own accounts (`@orlen`, `orlen.bsky.social`).
    pub handles: Vec<String>,
    /// The brand's web domains; a link to one counts as a mention.
    pub domains: Vec<String>,
    /// Accounts known to belong to staff.
    pub employee_handles: Vec<String>,
    /// E-mail or web domains of the company; an author on one is staff.
    pub employee_domains: Vec<String>,
}

/// Birth-year boundaries of the generation cohorts. The defaults follow the article the
/// project grew from (`shared/seeds`): each field is the first birth year of a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CohortBoundaries {
    pub boomers_from: i32,
    pub gen_x_from: i32,
    pub millennials_from: i32,
    pub gen_z_from: i32,
}

impl Default for CohortBoundaries {
    fn default() -> Self {
        Self {
            boomers_from: 1946,
            gen_x_from: 1965,
            millennials_from: 1980,
            gen_z_from: 2003,
        }
    }
}
