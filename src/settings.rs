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

/// The setting an `EARSHOT_…` variable names when that setting holds a credential
/// (its last part ends in `password`, `token`, `secret` or `api_key`), so its value is
/// kept as the string given; `None` for every other variable.
fn secret_key(var: &str) -> Option<String> {
    let key = var
        .strip_prefix("EARSHOT_")?
        .to_lowercase()
        .replace("__", ".");
    let last = key.rsplit('.').next()?;
    ["password", "token", "secret", "api_key"]
        .iter()
        .any(|suffix| last.ends_with(suffix))
        .then_some(key)
}

/// Whether an environment variable overrides a setting: `EARSHOT_<SECTION>__<KEY>`.
/// Other `EARSHOT_…` variables belong to the scripts and the binary's flags
/// (`EARSHOT_CONFIG` names the file, `EARSHOT_LOCAL_DIR` and `EARSHOT_DEMO_SERVE` steer
/// `deploy/local/`), so they are not read as settings.
fn is_setting_variable(var: &str) -> bool {
    var.strip_prefix("EARSHOT_")
        .is_some_and(|rest| rest.contains("__"))
}

impl Settings {
    /// Reads `path` (TOML), then applies `EARSHOT_SECTION__KEY=value` overrides.
    pub fn load(path: &Path) -> anyhow::Result<Settings> {
        Self::load_with_env(path, std::env::vars())
    }

    /// [`Settings::load`] with the environment given, so tests need not mutate the
    /// process's own.
    pub fn load_with_env(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        let overrides: config::Map<String, String> = env
            .into_iter()
            .filter(|(key, _)| is_setting_variable(key))
            .collect();
        let mut builder = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("EARSHOT")
                    .source(Some(overrides.clone()))
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    // Lists from the environment are comma-separated.
                    .list_separator(",")
                    .with_list_parse_key("collectors.mastodon.instances")
                    .with_list_parse_key("collectors.mastodon.extra_hashtags")
                    .with_list_parse_key("serve.cors_origins"),
            );
        // `try_parsing` turns `EARSHOT_CLICKHOUSE__PASSWORD=007` into the number 7; a
        // credential is set again as the exact string it was given.
        for (var, value) in &overrides {
            if let Some(key) = secret_key(var) {
                builder = builder
                    .set_override(key, value.clone())
                    .context("setting a credential from the environment")?;
            }
        }
        let settings: Settings = builder
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_section_key_variables_are_settings() {
        assert!(super::is_setting_variable("EARSHOT_KAFKA__BROKERS"));
        assert!(super::is_setting_variable(
            "EARSHOT_COLLECTORS__MASTODON__INSTANCES"
        ));
        for script_variable in [
            "EARSHOT_CONFIG",
            "EARSHOT_DEMO_SERVE",
            "EARSHOT_LOCAL_DIR",
            "OTHER__X",
        ] {
            assert!(
                !super::is_setting_variable(script_variable),
                "{script_variable}"
            );
        }
    }

    use super::*;

    fn settings_with_env(env: &[(&str, &str)]) -> Settings {
        let dir = std::env::temp_dir().join(format!("earshot-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.toml", env.len()));
        std::fs::write(
            &path,
            "[[brands]]\nname = \"Orlen\"\nkeywords = [\"orlen\"]\n",
        )
        .unwrap();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let settings = Settings::load_with_env(&path, env).unwrap();
        std::fs::remove_file(&path).unwrap();
        settings
    }

    #[test]
    fn numeric_looking_secrets_stay_strings() {
        let settings = settings_with_env(&[
            ("EARSHOT_CLICKHOUSE__PASSWORD", "007"),
            ("EARSHOT_SERVE__ADMIN_TOKEN", "0012345"),
            ("EARSHOT_KAFKA__PARTITIONS", "8"),
        ]);
        assert_eq!(settings.clickhouse.password, "007");
        assert_eq!(settings.serve.admin_token, "0012345");
        assert_eq!(settings.kafka.partitions, 8);
        assert_eq!(
            secret_key("EARSHOT_SERVE__READ_TOKEN").as_deref(),
            Some("serve.read_token")
        );
        assert_eq!(
            secret_key("EARSHOT_COLLECTORS__YOUTUBE__API_KEY").as_deref(),
            Some("collectors.youtube.api_key")
        );
        assert_eq!(secret_key("EARSHOT_KAFKA__PARTITIONS"), None);
    }

    #[test]
    fn mastodon_tokens_are_keyed_by_host_in_toml() {
        let path = std::env::temp_dir().join(format!("earshot-masto-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "[[brands]]\nname = \"Orlen\"\nkeywords = [\"orlen\"]\n\
             [collectors.mastodon.access_tokens]\n\"mastodon.social\" = \"social-token\"\n\
             \"pol.social\" = \"pol-token\"\n",
        )
        .unwrap();
        let settings = Settings::load_with_env(&path, []).unwrap();
        std::fs::remove_file(&path).unwrap();
        let tokens = &settings.collectors.mastodon.access_tokens;
        assert_eq!(tokens["mastodon.social"].expose(), "social-token");
        assert_eq!(tokens["pol.social"].expose(), "pol-token");
    }

    #[test]
    fn debug_prints_no_secret() {
        let mut settings = settings_with_env(&[
            ("EARSHOT_CLICKHOUSE__PASSWORD", "hunter2-ch"),
            (
                "EARSHOT_SERVE__READ_TOKEN",
                "hunter2-read-token-long-enough",
            ),
        ]);
        settings
            .kafka
            .properties
            .insert("sasl.password".into(), "hunter2-sasl".into());
        settings.collectors.mastodon.access_token =
            Some(earshot_collectors::config::Secret::new("hunter2-masto"));
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }
}
