//! The `[collectors]` section of the config file.
//!
//! Credentials may be given inline (`access_token = "..."`) or, preferably, by naming
//! the environment variable that holds them (`access_token_env = "MASTODON_TOKEN"`).
//! They are wrapped in [`Secret`], whose `Debug` prints `[redacted]`, so logging a
//! config never leaks them.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::error::Error;

pub use crate::platforms::bluesky::BlueskyConfig;
pub use crate::platforms::hacker_news::HackerNewsConfig;
pub use crate::platforms::lemmy::LemmyConfig;
pub use crate::platforms::mastodon::MastodonConfig;
pub use crate::platforms::reddit::RedditConfig;
pub use crate::platforms::rss::RssConfig;
pub use crate::platforms::x::XConfig;
pub use crate::platforms::youtube::YoutubeConfig;

/// A credential. It has no `Display`, and its `Debug` is redacted; read it with
/// [`Secret::expose`] only where it goes onto the wire.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short, non-reversible tag for the credential, so rate-limit budgets and quota
    /// ledgers can be keyed per credential without keeping the credential itself as a
    /// key. The first 64 bits of its SHA-256, in hex: the same in every process and
    /// every build (processes share these keys through Kafka), which `std`'s
    /// `DefaultHasher` does not promise.
    pub fn fingerprint(&self) -> String {
        earshot_runtime::sha256_prefix_hex(self.0.as_bytes(), 8)
    }

    /// The inline value if set, else the named environment variable; `None` when neither
    /// is configured. `key` names the setting in errors.
    pub fn resolve(
        inline: &Option<Secret>,
        env: &Option<String>,
        key: &str,
    ) -> Result<Option<Secret>, Error> {
        if let Some(secret) = inline.as_ref().filter(|s| !s.0.is_empty()) {
            return Ok(Some(secret.clone()));
        }
        match env {
            None => Ok(None),
            Some(var) => match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(Some(Secret(value))),
                _ => Err(Error::config(
                    format!("{key}_env"),
                    format!("environment variable `{var}` is not set"),
                )),
            },
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// HTTP behaviour shared by every platform: timeouts, retries and backoff.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Whole-request timeout; a slower answer counts as a failed attempt.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Retries after a 5xx, a timeout, a connection error or an unreadable body.
    pub max_retries: u32,
    /// First backoff; it doubles per retry up to `backoff_max_ms`, with jitter.
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// How many 429 answers in a row one request tolerates before giving up for this poll.
    pub max_rate_limited_retries: u32,
    /// Sent on every request. Reddit throttles generic agents, so make it identify you.
    pub user_agent: String,
    /// The largest response body read; a bigger one fails the poll
    /// ([`Error::BodyTooLarge`]) instead of filling memory.
    pub max_body_bytes: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout_ms: 15_000,
            connect_timeout_ms: 5_000,
            max_retries: 5,
            backoff_initial_ms: 500,
            backoff_max_ms: 60_000,
            max_rate_limited_retries: 10,
            max_body_bytes: 32 * 1024 * 1024,
            user_agent: concat!(
                "earshot/",
                env!("CARGO_PKG_VERSION"),
                " (social listening; +https://github.com/earshot)"
            )
            .to_string(),
        }
    }
}

impl HttpConfig {
    /// The retry policy of every request (and of Jetstream reconnects).
    pub fn backoff(&self) -> earshot_runtime::Backoff {
        earshot_runtime::Backoff::new(
            Duration::from_millis(self.backoff_initial_ms),
            Duration::from_millis(self.backoff_max_ms),
        )
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    fn validate(&self) -> Result<(), Error> {
        for (key, value) in [
            ("timeout_ms", self.timeout_ms),
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("backoff_initial_ms", self.backoff_initial_ms),
            ("backoff_max_ms", self.backoff_max_ms),
            ("max_body_bytes", self.max_body_bytes),
        ] {
            if value == 0 {
                return Err(Error::config(
                    format!("collectors.http.{key}"),
                    "must be above 0",
                ));
            }
        }
        if self.backoff_max_ms < self.backoff_initial_ms {
            return Err(Error::config(
                "collectors.http.backoff_max_ms",
                "must be at least backoff_initial_ms",
            ));
        }
        if self.user_agent.trim().is_empty() {
            return Err(Error::config("collectors.http.user_agent", "is empty"));
        }
        Ok(())
    }
}

/// The `[collectors]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectorsConfig {
    /// How often each job polls for new items in `collect` (live) mode.
    pub poll_interval_ms: u64,
    /// How many jobs may poll at the same time in one process.
    pub concurrency: usize,
    /// The Kafka consumer group through which `earshot collect` processes split the
    /// jobs; processes started with `--platform` use `{group_id}.{platforms}`.
    pub group_id: String,
    /// The share (0 to below 1) of every rate-limit window an `earshot backfill` leaves
    /// unspent, so live collection on the same credential keeps polling meanwhile.
    pub backfill_reserve: f64,
    pub http: HttpConfig,
    pub mastodon: MastodonConfig,
    pub hacker_news: HackerNewsConfig,
    pub reddit: RedditConfig,
    pub x: XConfig,
    pub youtube: YoutubeConfig,
    pub rss: RssConfig,
    pub bluesky: BlueskyConfig,
    pub lemmy: LemmyConfig,
}

impl Default for CollectorsConfig {
    fn default() -> Self {
        CollectorsConfig {
            poll_interval_ms: 60_000,
            concurrency: 8,
            group_id: "earshot-collectors".into(),
            backfill_reserve: 0.5,
            http: HttpConfig::default(),
            mastodon: MastodonConfig::default(),
            hacker_news: HackerNewsConfig::default(),
            reddit: RedditConfig::default(),
            x: XConfig::default(),
            youtube: YoutubeConfig::default(),
            rss: RssConfig::default(),
            bluesky: BlueskyConfig::default(),
            lemmy: LemmyConfig::default(),
        }
    }
}

impl CollectorsConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// Checks every value and that every named credential variable is set; the error
    /// names the offending key.
    pub fn validate(&self) -> Result<(), Error> {
        if self.poll_interval_ms == 0 {
            return Err(Error::config(
                "collectors.poll_interval_ms",
                "must be above 0",
            ));
        }
        validate_at_least_one("collectors.concurrency", self.concurrency)?;
        if self.group_id.trim().is_empty() {
            return Err(Error::config(
                "collectors.group_id",
                "is empty; name the consumer group collectors share, e.g. earshot-collectors",
            ));
        }
        if !(0.0..1.0).contains(&self.backfill_reserve) {
            return Err(Error::config(
                "collectors.backfill_reserve",
                format!(
                    "is {}; use a share from 0 (backfills may spend whole windows) to below 1",
                    self.backfill_reserve
                ),
            ));
        }
        self.http.validate()?;
        self.mastodon.validate()?;
        self.hacker_news.validate()?;
        self.reddit.validate()?;
        self.x.validate()?;
        self.youtube.validate()?;
        self.rss.validate()?;
        self.bluesky.validate()?;
        self.lemmy.validate()?;
        Ok(())
    }
}

/// Checks that `value` is an absolute http(s) URL; `key` names the setting in the error.
pub(crate) fn parse_base_url(key: &str, value: &str) -> Result<url::Url, Error> {
    let url = url::Url::parse(value)
        .map_err(|e| Error::config(key, format!("not a URL ({e}): `{value}`")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::config(key, format!("not an http(s) URL: `{value}`")));
    }
    Ok(url)
}

/// Checks that a platform's optional poll interval override is above zero.
/// A page size (or other count) within what the platform's API accepts: `who` names
/// the API in the message (`is 0; Reddit allows 1..=100`), so the fix is plain.
pub(crate) fn validate_range(
    key: &str,
    value: u32,
    allowed: std::ops::RangeInclusive<u32>,
    who: &str,
) -> Result<(), Error> {
    if !allowed.contains(&value) {
        return Err(Error::config(
            key,
            format!(
                "is {value}; {who} allows {}..={}",
                allowed.start(),
                allowed.end()
            ),
        ));
    }
    Ok(())
}

/// A count that must not be zero (pages per poll, ids kept, workers).
pub(crate) fn validate_at_least_one<T: PartialEq + Default>(
    key: &str,
    value: T,
) -> Result<(), Error> {
    if value == T::default() {
        return Err(Error::config(key, "must be at least 1"));
    }
    Ok(())
}

pub(crate) fn validate_interval(key: &str, interval_ms: Option<u64>) -> Result<(), Error> {
    if interval_ms == Some(0) {
        return Err(Error::config(key, "must be above 0"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key() {
        let mut config = CollectorsConfig::default();
        config.mastodon.instances = vec!["https://mastodon.social".into(), "nope".into()];
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with("collectors.mastodon.instances[1]: not a URL"),
            "{error}"
        );

        let toml_error = serde_json::from_str::<CollectorsConfig>(r#"{"mastodn": {}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            toml_error.contains("unknown field `mastodn`"),
            "{toml_error}"
        );
    }

    #[test]
    fn secrets_never_print() {
        let mut config = CollectorsConfig::default();
        config.mastodon.access_token = Some(Secret::new("hunter2-token"));
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn fingerprints_are_stable_across_builds() {
        // SHA-256("hunter2") starts f52fbd32b2b3b86f: fixed by the algorithm, not by std.
        assert_eq!(Secret::new("hunter2").fingerprint(), "f52fbd32b2b3b86f");
        assert_ne!(Secret::new("hunter3").fingerprint(), "f52fbd32b2b3b86f");
    }

    #[test]
    fn a_missing_env_credential_names_the_key() {
        let error = Secret::resolve(
            &None,
            &Some("EARSHOT_TEST_UNSET_VAR_42".into()),
            "collectors.x.bearer_token",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "collectors.x.bearer_token_env: environment variable `EARSHOT_TEST_UNSET_VAR_42` is not set"
        );
    }
}
