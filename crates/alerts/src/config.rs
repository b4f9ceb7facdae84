//! The `[detect]` section: what `earshot detect` scores, how often, and where alerts go.
//! Checked at start so a mistake names the key to fix.

use std::fmt;

use earshot_detection::{Detector, DetectorConfig};
use earshot_storage::RollupGrain;
use serde::{Deserialize, Serialize};

/// The most buckets one run may score per series (twice the lookback at most): it
/// bounds each run's memory and time whatever the grain.
const MAX_LOOKBACK_BUCKETS: u64 = 50_000;

/// A preference-shift dimension: what a series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Mentions of a brand per bucket.
    Volume,
    /// A brand's mentions over all configured brands' mentions.
    ShareOfVoice,
    /// Mentions of a brand by one generation cohort over all its mentions.
    Cohort,
    /// Likewise by source type (consumer, employee, press...).
    SourceType,
    /// Likewise by language.
    Language,
    /// Likewise by platform.
    Platform,
    /// Sentiment toward the brand, as two shares: `negative_share` (negative over the
    /// mentions with a verdict) and `net_sentiment` (positive over positive plus
    /// negative: net sentiment is twice it minus one). Both are judged with their
    /// sampling noise like every share.
    Sentiment,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Volume,
        Dimension::ShareOfVoice,
        Dimension::Cohort,
        Dimension::SourceType,
        Dimension::Language,
        Dimension::Platform,
        Dimension::Sentiment,
    ];

    /// The name stored in `alerts.dimension` and used in the alert id.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Volume => "volume",
            Dimension::ShareOfVoice => "share_of_voice",
            Dimension::Cohort => "cohort",
            Dimension::SourceType => "source_type",
            Dimension::Language => "language",
            Dimension::Platform => "platform",
            Dimension::Sentiment => "sentiment",
        }
    }

    /// Whether the series are one per value of a column (the mix of a brand's mentions).
    pub fn has_values(self) -> bool {
        !matches!(
            self,
            Dimension::Volume | Dimension::ShareOfVoice | Dimension::Sentiment
        )
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[detect]` section of the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Rollup to score: `hour` (default) or `minute`.
    pub grain: RollupGrain,
    /// Seconds between runs of the service.
    pub interval_secs: u64,
    /// Seconds to wait after a bucket closes before scoring it, so late mentions land.
    pub settle_secs: u64,
    /// History each run rebuilds the detectors from, in seconds. Runs start from a
    /// point aligned to multiples of it, so consecutive runs replay identical history
    /// and find identical alerts; the history is therefore 1-2 times this long.
    pub lookback_secs: u64,
    /// The service delivers alerts whose window started at most this long ago; older
    /// ones (found after downtime, or on the first run) are only counted.
    pub max_alert_age_secs: u64,
    /// Which series to score; all by default.
    pub dimensions: Vec<Dimension>,
    /// Example mentions attached to each alert.
    pub examples: u32,
    /// Where Prometheus metrics are served (`/metrics`); empty disables them.
    pub metrics_listen: String,
    /// Tuning of every series' detector; `step_secs` follows `grain`.
    pub detector: DetectorConfig,
    /// Slack-compatible incoming webhooks each alert is posted to.
    pub webhooks: Vec<WebhookConfig>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            grain: RollupGrain::Hour,
            interval_secs: 300,
            settle_secs: 120,
            lookback_secs: 35 * 86_400,
            max_alert_age_secs: 6 * 3600,
            dimensions: Dimension::ALL.to_vec(),
            examples: 5,
            metrics_listen: "127.0.0.1:9465".into(),
            detector: DetectorConfig::default(),
            webhooks: Vec::new(),
        }
    }
}

/// One webhook. The URL usually embeds a token, so only [`WebhookConfig::label`]
/// appears in logs and metrics.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Name for logs and metrics; defaults to the URL's host.
    pub name: String,
    /// Usually embeds a token: prefer `url_env`. Never logged whole.
    pub url: String,
    /// The environment variable holding the URL, used when `url` is empty, so the token
    /// stays out of the config file.
    pub url_env: Option<String>,
    /// Timeout of one attempt.
    pub timeout_ms: u64,
    /// Attempts before giving up on one alert (1 = no retry).
    pub max_attempts: u32,
    /// Pause before the second attempt; it doubles for each further attempt.
    pub initial_backoff_ms: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            url: String::new(),
            url_env: None,
            timeout_ms: 5_000,
            max_attempts: 5,
            initial_backoff_ms: 500,
        }
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .field("url_env", &self.url_env)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff_ms", &self.initial_backoff_ms)
            .finish()
    }
}

impl WebhookConfig {
    /// What logs and metrics call this webhook: its name, or its URL without the path
    /// and query (where tokens live).
    pub fn label(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.clone();
        }
        match self.resolve_url() {
            Ok(url) => redact_url(&url),
            Err(_) => "<unresolved webhook>".into(),
        }
    }

    /// The URL: `url`, or else the value of the variable `url_env` names. The error says
    /// what to set, never the value.
    pub fn resolve_url(&self) -> Result<String, String> {
        if !self.url.is_empty() {
            return Ok(self.url.clone());
        }
        match &self.url_env {
            None => {
                Err("is empty; set url, or url_env to the environment variable holding it".into())
            }
            Some(var) => match std::env::var(var) {
                Ok(url) if !url.is_empty() => Ok(url),
                _ => Err(format!(
                    "is empty and the variable `{var}` (url_env) is not set"
                )),
            },
        }
    }
}

/// `scheme://host[:port]/…`: enough to tell webhooks apart, never the token.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(url) => {
            let host = url.host_str().unwrap_or("?");
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = url.path() != "/" || url.query().is_some() || !url.username().is_empty();
            let rest = if hidden { "/…" } else { "" };
            format!("{}://{host}{port}{rest}", url.scheme())
        }
        Err(_) => "<invalid url>".into(),
    }
}

/// A `[detect]` key with a bad value; the message starts with the full key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("detect.{key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

fn fail(key: impl Into<String>, problem: impl Into<String>) -> Result<(), ConfigError> {
    Err(ConfigError {
        key: key.into(),
        problem: problem.into(),
    })
}

impl DetectConfig {
    /// Seconds per bucket.
    pub fn step_secs(&self) -> u32 {
        self.grain.step_secs()
    }

    /// The detector configuration every series uses, with the step of the grain.
    pub fn detector_config(&self) -> DetectorConfig {
        DetectorConfig {
            step_secs: Some(self.step_secs()),
            ..self.detector.clone()
        }
    }

    /// The lookback rounded up to whole buckets, in seconds.
    pub fn lookback_aligned_secs(&self) -> i64 {
        let step = u64::from(self.step_secs());
        (self.lookback_secs.div_ceil(step) * step) as i64
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let step = u64::from(self.step_secs());
        if self.interval_secs == 0 {
            return fail("interval_secs", "must be at least 1");
        }
        if let Some(configured) = self.detector.step_secs
            && u64::from(configured) != step
        {
            return fail(
                "detector.step_secs",
                format!(
                    "is {configured} but detect.grain `{}` has {step}-second buckets; leave it out",
                    self.grain.as_str()
                ),
            );
        }
        let detector = self.detector_config();
        if let Err(earshot_detection::ConfigError::OutOfRange {
            field,
            value,
            expected,
        }) = detector.validate()
        {
            return fail(
                format!("detector.{field}"),
                format!("is {value}; it must be {expected}"),
            );
        }
        let lookback_buckets = self.lookback_secs.div_ceil(step);
        if lookback_buckets > MAX_LOOKBACK_BUCKETS {
            return fail(
                "lookback_secs",
                format!(
                    "covers {lookback_buckets} {} buckets; at most {MAX_LOOKBACK_BUCKETS} are allowed (shorten it or use a coarser grain)",
                    self.grain.as_str()
                ),
            );
        }
        if !warms_up_within(&detector, lookback_buckets) {
            return fail(
                "lookback_secs",
                format!(
                    "{} seconds ({lookback_buckets} buckets) is shorter than the detector's warm-up; lengthen it or lower detect.detector.warmup_points",
                    self.lookback_secs
                ),
            );
        }
        let newest_age = step + self.settle_secs + self.interval_secs;
        if self.max_alert_age_secs < newest_age {
            return fail(
                "max_alert_age_secs",
                format!(
                    "is {}; it must be at least grain + settle_secs + interval_secs = {newest_age}, or alerts could be skipped",
                    self.max_alert_age_secs
                ),
            );
        }
        if self.dimensions.is_empty() {
            return fail(
                "dimensions",
                "is empty; list some of volume, share_of_voice, cohort, source_type, language, platform",
            );
        }
        if self.examples > 100 {
            return fail("examples", "must be at most 100");
        }
        if !self.metrics_listen.is_empty()
            && self.metrics_listen.parse::<std::net::SocketAddr>().is_err()
        {
            return fail(
                "metrics_listen",
                "must be host:port like 127.0.0.1:9465, or empty",
            );
        }
        for (index, hook) in self.webhooks.iter().enumerate() {
            hook.validate(index)?;
        }
        Ok(())
    }
}

impl WebhookConfig {
    fn validate(&self, index: usize) -> Result<(), ConfigError> {
        let key = |field: &str| format!("webhooks[{index}].{field}");
        let url = match self.resolve_url() {
            Ok(url) => url,
            Err(problem) => return fail(key("url"), problem),
        };
        match url::Url::parse(&url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {}
            Ok(_) => {
                return fail(
                    key("url"),
                    format!("`{}` is not an http(s) URL with a host", redact_url(&url)),
                );
            }
            // The parser's message never quotes the input, which may hold a token.
            Err(error) => return fail(key("url"), format!("is not a URL ({error})")),
        }
        if self.timeout_ms == 0 {
            return fail(key("timeout_ms"), "must be at least 1");
        }
        if !(1..=20).contains(&self.max_attempts) {
            return fail(key("max_attempts"), "must be in 1..=20");
        }
        if self.initial_backoff_ms > 60_000 {
            return fail(key("initial_backoff_ms"), "must be at most 60000");
        }
        Ok(())
    }
}

/// Whether a series with a point in every bucket is warm after `buckets` points.
/// Asks the detector itself, so it stays right if its warm-up rule changes.
fn warms_up_within(config: &DetectorConfig, buckets: u64) -> bool {
    let Ok(mut detector) = Detector::new(config.clone()) else {
        return false;
    };
    let step = i64::from(config.step_secs.unwrap_or(1));
    for i in 0..buckets as i64 {
        if detector.is_warm() {
            return true;
        }
        detector.push_count(i * step, Some(1.0));
    }
    detector.is_warm()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            ..WebhookConfig::default()
        }
    }

    #[test]
    fn a_webhook_url_can_come_from_the_environment() {
        let from_env = WebhookConfig {
            url_env: Some("EARSHOT_TEST_WEBHOOK_URL_UNSET".into()),
            ..WebhookConfig::default()
        };
        let config = DetectConfig {
            webhooks: vec![from_env.clone()],
            ..DetectConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.contains("webhooks[0].url") && error.contains("EARSHOT_TEST_WEBHOOK_URL_UNSET"),
            "{error}"
        );
        let with_var = WebhookConfig {
            url_env: Some("PATH".into()), // set, but not a URL: the value is never quoted
            ..from_env
        };
        let error = with_var.validate(0).unwrap_err().to_string();
        assert!(error.contains("is not a URL"), "{error}");
        assert!(!error.contains("/usr"), "leaks the value: {error}");
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(DetectConfig::default().validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_key() {
        let config = DetectConfig {
            webhooks: vec![hook("https://example.com/a"), hook("ftp://x/secret-token")],
            ..DetectConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with("detect.webhooks[1].url: "),
            "unexpected: {error}"
        );
        assert!(!error.contains("secret-token"), "leaks the URL: {error}");

        let mut config = DetectConfig::default();
        config.detector.exit_score = 0.9;
        let error = config.validate().unwrap_err();
        assert_eq!(error.key, "detector.exit_score");

        let config = DetectConfig {
            lookback_secs: 3 * 86_400,
            ..DetectConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().key, "lookback_secs");
    }

    #[test]
    fn short_warmup_allows_short_lookback() {
        let mut config = DetectConfig {
            grain: RollupGrain::Minute,
            lookback_secs: 3600,
            max_alert_age_secs: 3600,
            interval_secs: 60,
            settle_secs: 0,
            ..DetectConfig::default()
        };
        config.detector.warmup_points = Some(10);
        config.detector.seasonality = earshot_detection::Seasonality::None;
        assert_eq!(config.validate(), Ok(()));
        config.detector.step_secs = Some(3600);
        assert_eq!(config.validate().unwrap_err().key, "detector.step_secs");
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T0/B0/XYZ"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/?token=abc"),
            "http://127.0.0.1:8080/…"
        );
        assert_eq!(redact_url("http://example.com/"), "http://example.com");
        assert_eq!(redact_url("not a url"), "<invalid url>");
        assert!(!format!("{:?}", hook("https://h.example/secret")).contains("secret"));
        assert_eq!(
            hook("https://h.example/secret").label(),
            "https://h.example/…"
        );
    }
}
