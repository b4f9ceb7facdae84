//! Enrichment: the tags every dashboard slice and alert is cut by. Each tag carries a
//! value, a confidence in [0, 1] and the rule that produced it, so an analyst can see
//! why a mention was called "press" or "Gen Z". No I/O: the processor calls
//! [`Enricher::enrich`] once per mention.

mod tags;

pub use tags::{BrandMatch, Cohort, Enrichment, SourceType, Tag};

use earshot_model::{Brand, CohortBoundaries, RawMention};
use serde::Deserialize;

/// Settings for [`Enricher`]; the `[enrichment]` section of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichmentConfig {
    pub cohorts: CohortBoundaries,
    /// ISO 639-1 codes the language detector may answer; empty means all it knows.
    pub candidate_languages: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("enrichment.candidate_languages: `{0}` is not a language code the detector knows")]
    UnknownLanguage(String),
    #[error("brands[{index}].name is empty: every brand needs a name")]
    UnnamedBrand { index: usize },
}

/// Tags mentions for a fixed set of brands. Build once, share across threads.
#[derive(Debug)]
pub struct Enricher {
    brands: Vec<(Brand, Vec<String>)>,
}

impl Enricher {
    pub fn new(brands: &[Brand], config: &EnrichmentConfig) -> Result<Self, ConfigError> {
        let _ = config;
        let brands = brands
            .iter()
            .enumerate()
            .map(|(index, b)| {
                if b.name.trim().is_empty() {
                    return Err(ConfigError::UnnamedBrand { index });
                }
                let terms = b
                    .keywords
                    .iter()
                    .chain(&b.hashtags)
                    .map(|t| t.to_lowercase())
                    .collect();
                Ok((b.clone(), terms))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { brands })
    }

    pub fn enrich(&self, mention: &RawMention) -> Enrichment {
        let lower = mention.text.to_lowercase();
        let brands = self
            .brands
            .iter()
            .filter(|(_, terms)| terms.iter().any(|t| lower.contains(t.as_str())))
            .map(|(brand, _)| BrandMatch {
                brand: brand.name.clone(),
                confidence: 1.0,
                evidence: "keyword".into(),
                source_type: Tag::new(SourceType::Unknown, 0.0, ""),
            })
            .collect();
        let language = match whatlang::detect(&mention.text) {
            Some(info) if info.is_reliable() => {
                Tag::new(info.lang().code(), info.confidence() as f32, "whatlang")
            }
            _ => Tag::new("und", 0.0, "too_short"),
        };
        Enrichment {
            language,
            cohort: Tag::new(Cohort::Unknown, 0.0, ""),
            brands,
        }
    }
}
