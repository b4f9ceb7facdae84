//! Loading and validating the whole configuration: a TOML file plus `EARSHOT_…`
//! environment overrides, checked at start so a mistake stops the program with the
//! key to fix instead of failing later.

use std::path::Path;

use anyhow::{Context, bail};
use earshot_collectors::CollectorsConfig;
use earshot_enrichment::EnrichmentConfig;
use earshot_kafka::KafkaConfig;
use earshot_model::Brand;
use earshot_processor::ProcessorConfig;
use earshot_storage::ClickHouseConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub kafka: KafkaConfig,
    pub clickhouse: ClickHouseConfig,
    pub processor: ProcessorConfig,
    pub enrichment: EnrichmentConfig,
    pub brands: Vec<Brand>,
    pub collectors: CollectorsConfig,
    pub detect: earshot_alerts::DetectConfig,
    pub serve: earshot_serve::ServeConfig,
}

impl Settings {
    /// Reads `path` (TOML), then applies `EARSHOT_SECTION__KEY=value` overrides.
    pub fn load(path: &Path) -> anyhow::Result<Settings> {
        // EARSHOT_CONFIG names the file (`--config`); it is not a setting.
        let overrides: config::Map<String, String> = std::env::vars()
            .filter(|(key, _)| key != "EARSHOT_CONFIG")
            .collect();
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("EARSHOT")
                    .source(Some(overrides))
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    // Lists from the environment are comma-separated.
                    .list_separator(",")
                    .with_list_parse_key("collectors.mastodon.instances")
                    .with_list_parse_key("collectors.mastodon.extra_hashtags")
                    .with_list_parse_key("serve.cors_origins"),
            )
            .build()
            .and_then(|c| c.try_deserialize())
            .with_context(|| {
                format!(
                    "invalid configuration in {} or EARSHOT_* environment",
                    path.display()
                )
            })?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.kafka.validate()?;
        self.clickhouse.validate()?;
        self.processor.validate()?;
        self.detect.validate()?;
        self.collectors.validate()?;
        if self.brands.is_empty() {
            bail!(
                "brands: no brand configured; add at least one [[brands]] entry with a name and keywords"
            );
        }
        for (index, brand) in self.brands.iter().enumerate() {
            if brand.name.trim().is_empty() {
                bail!("brands[{index}].name: is empty; every brand needs a name");
            }
            if brand.keywords.is_empty()
                && brand.hashtags.is_empty()
                && brand.handles.is_empty()
                && brand.domains.is_empty()
            {
                bail!(
                    "brands[{index}] ({}): give at least one of keywords, hashtags, handles or domains",
                    brand.name
                );
            }
        }
        // Builds the matchers once, which checks the brand queries and enrichment rules.
        earshot_enrichment::Enricher::new(&self.brands, &self.enrichment)?;
        Ok(())
    }
}
