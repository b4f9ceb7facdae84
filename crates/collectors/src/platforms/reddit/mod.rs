//! Reddit: OAuth application-only search per brand keyword, listings of configured
//! subreddits matched locally, and backfills through search.
//!
//! - **Auth** (`auth.rs`): an application-only bearer token, cached and shared by every
//!   job of the client id.
//! - **Search** (`search.rs`): `GET https://oauth.reddit.com/search?q=…&sort=new&t=all
//!   &limit=100&after=…` (or `/r/a+b/search?restrict_sr=1` for `subreddits`), one job per
//!   brand keyword, swept newest first back to the previous sweep's newest link
//!   ([`crate::sweep`]).
//! - **Listings** (`listing.rs`): `GET https://oauth.reddit.com/r/{subreddit}/new?limit=100
//!   &after=…`, one job per `listing_subreddits` entry, swept the same way; every link is
//!   read and those matching a brand's query (enrichment's `BrandFilter`) are produced.
//!   Search is lossy (its index lags and drops links); a listing holds every link.
//! - **Backfill** (`backfill.rs`): search with `sort=new&t=all`, paged back with `after`
//!   until links are older than `--from`. Listings have no time parameter and stop at
//!   about 1,000 links, so older links are out of reach (a warning says so).
//!
//! Limits: 100 queries per minute per OAuth client (averaged over 10 minutes), reported
//! in `X-Ratelimit-Used/Remaining/Reset` (reset in seconds). Reddit throttles generic
//! user agents, so a `<platform>:<app id>:<version> (by /u/<name>)` agent is required.

mod auth;
mod backfill;
pub(crate) mod links;
mod listing;
mod search;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use earshot_model::{Brand, Platform};
use serde::Deserialize;
use smart_default::SmartDefault;

use crate::config::{
    HttpConfig, Secret, parse_base_url, validate_at_least_one, validate_interval, validate_range,
};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};

use auth::{Api, Credentials, TokenSource};
pub use backfill::{BackfillCursor, Listed};
pub use links::Mark;
pub use search::SearchCursor;

/// Reddit listings stop after about this many items, whatever the query matches.
const LISTING_CAP: u64 = 1000;

/// `[collectors.reddit]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct RedditConfig {
    /// Unset: on when a client id is configured. `true` without credentials is an error.
    pub enabled: Option<bool>,
    /// The OAuth API host.
    #[default = "https://oauth.reddit.com"]
    pub base_url: String,
    /// The token endpoint.
    #[default = "https://www.reddit.com/api/v1/access_token"]
    pub token_url: String,
    /// The "script"/"web app" client id and secret (reddit.com/prefs/apps).
    pub client_id: Option<Secret>,
    pub client_id_env: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_secret_env: Option<String>,
    /// Required: `<platform>:<app id>:<version> (by /u/<reddit user>)`.
    pub user_agent: Option<String>,
    /// Search only these subreddits (`restrict_sr`), live and in backfills; empty
    /// searches all of Reddit.
    pub subreddits: Vec<String>,
    /// Subreddits whose every new link (`/r/{name}/new`) is read and matched locally
    /// against the brands' keywords: complete, where search misses links.
    pub listing_subreddits: Vec<String>,
    /// Links per page, 1..=100.
    #[default(100)]
    pub page_limit: u32,
    /// How many pages one poll reads back at most (listings end near 1,000 items).
    #[default(10)]
    pub history_pages: u32,
    pub poll_interval_ms: Option<u64>,
}

/// A configured subreddit name without `r/` or surrounding spaces.
fn subreddit_name(configured: &str) -> String {
    configured.trim().trim_start_matches("r/").to_string()
}

fn subreddit_names(configured: &[String]) -> Vec<String> {
    configured.iter().map(|s| subreddit_name(s)).collect()
}

impl RedditConfig {
    /// Whether jobs run: as configured, else whenever a client id is configured.
    pub fn is_enabled(&self) -> bool {
        self.enabled
            .unwrap_or(self.client_id.is_some() || self.client_id_env.is_some())
    }

    fn credentials(&self) -> Result<Credentials, Error> {
        let id = Secret::resolve(
            &self.client_id,
            &self.client_id_env,
            "collectors.reddit.client_id",
        )?
        .ok_or_else(|| {
            Error::config(
                "collectors.reddit.client_id",
                "is not set (set client_id_env to the variable holding it)",
            )
        })?;
        let secret = Secret::resolve(
            &self.client_secret,
            &self.client_secret_env,
            "collectors.reddit.client_secret",
        )?
        .ok_or_else(|| {
            Error::config(
                "collectors.reddit.client_secret",
                "is not set (set client_secret_env to the variable holding it)",
            )
        })?;
        Ok(Credentials { id, secret })
    }

    fn user_agent(&self) -> Result<String, Error> {
        let key = "collectors.reddit.user_agent";
        let agent = self
            .user_agent
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                Error::config(
                    key,
                    "is not set; Reddit requires `<platform>:<app id>:<version> (by /u/<name>)`",
                )
            })?;
        let well_formed = agent.split_once(" (by /u/").is_some_and(|(head, tail)| {
            head.split(':').filter(|p| !p.trim().is_empty()).count() >= 3
                && tail.len() > 1
                && tail.ends_with(')')
        });
        if !well_formed {
            return Err(Error::config(
                key,
                format!(
                    "`{agent}` is not `<platform>:<app id>:<version> (by /u/<name>)`; Reddit throttles other agents"
                ),
            ));
        }
        Ok(agent.to_string())
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        parse_base_url("collectors.reddit.base_url", &self.base_url)?;
        parse_base_url("collectors.reddit.token_url", &self.token_url)?;
        validate_range(
            "collectors.reddit.page_limit",
            self.page_limit,
            1..=100,
            "Reddit",
        )?;
        validate_at_least_one("collectors.reddit.history_pages", self.history_pages)?;
        for (list, subs) in [
            ("subreddits", &self.subreddits),
            ("listing_subreddits", &self.listing_subreddits),
        ] {
            for (i, sub) in subs.iter().enumerate() {
                let name = subreddit_name(sub);
                if !(2..=21).contains(&name.len())
                    || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(Error::config(
                        format!("collectors.reddit.{list}[{i}]"),
                        format!("`{sub}` is not a subreddit name"),
                    ));
                }
            }
        }
        validate_interval("collectors.reddit.poll_interval_ms", self.poll_interval_ms)?;
        if self.is_enabled() {
            self.credentials()?;
            self.user_agent()?;
        }
        Ok(())
    }

    /// The OAuth API for this client id: one token and one budget for all its jobs.
    fn api(&self, http: &HttpConfig, budgets: &RateBudgets) -> Result<Api, Error> {
        let credentials = self.credentials()?;
        let base = parse_base_url("collectors.reddit.base_url", &self.base_url)?;
        let token_url = parse_base_url("collectors.reddit.token_url", &self.token_url)?;
        let http = HttpConfig {
            user_agent: self.user_agent()?,
            ..http.clone()
        };
        let fingerprint = credentials.id.fingerprint();
        let poller = HttpPoller::new(
            &http,
            Platform::Reddit,
            RateLimitHeaders::Reddit,
            budgets.get(Platform::Reddit, &fingerprint),
        )?;
        // The token endpoint is on another host and outside the API quota.
        let auth = HttpPoller::new(
            &http,
            Platform::Reddit,
            RateLimitHeaders::None,
            budgets.get(Platform::Reddit, &format!("auth/{fingerprint}")),
        )?;
        Ok(Api {
            poller,
            tokens: TokenSource {
                poller: auth,
                url: token_url,
                credentials,
                cached: tokio::sync::Mutex::default(),
            },
            base,
        })
    }
}

/// One search job per brand keyword and one listing job per listing subreddit; all
/// share one token and one budget per client id.
pub(crate) fn jobs(
    config: &RedditConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let api = Arc::new(config.api(http, budgets)?);
    let keywords = brand_keywords(brands);
    let mut jobs = search::jobs(&api, config, &keywords);
    if !keywords.is_empty() {
        let filter = crate::text::brand_filter(brands)?;
        jobs.extend(listing::jobs(&api, config, &filter));
    }
    Ok(jobs)
}

/// One backfill job per keyword of `brand`, searching `[from, to)` (within
/// `subreddits` if configured).
pub(crate) fn backfill_jobs(
    config: &RedditConfig,
    http: &HttpConfig,
    brand: &Brand,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    if !config.is_enabled() {
        return Err(Error::config(
            "collectors.reddit.client_id",
            "Reddit is not configured: set client_id_env, client_secret_env and user_agent",
        ));
    }
    let api = Arc::new(config.api(http, budgets)?);
    Ok(backfill::jobs(
        &api,
        config,
        &brand_keywords(std::slice::from_ref(brand)),
        from,
        to,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured() -> RedditConfig {
        RedditConfig {
            client_id: Some(Secret::new("id")),
            client_secret: Some(Secret::new("secret")),
            user_agent: Some("linux:earshot:0.1.0 (by /u/earshot_bot)".into()),
            ..RedditConfig::default()
        }
    }

    #[test]
    fn disabled_until_credentials_are_configured() {
        assert!(!RedditConfig::default().is_enabled());
        RedditConfig::default().validate().unwrap();
        assert!(configured().is_enabled());
        configured().validate().unwrap();

        let mut config = configured();
        config.client_secret = None;
        assert_eq!(
            config.validate().unwrap_err().to_string(),
            "collectors.reddit.client_secret: is not set (set client_secret_env to the variable holding it)"
        );
        let mut config = configured();
        config.user_agent = Some("earshot/0.1".into());
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with("collectors.reddit.user_agent: "),
            "{error}"
        );
        let mut config = configured();
        config.page_limit = 101;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.reddit.page_limit")
        );
        let mut config = configured();
        config.subreddits = vec!["poland".into(), "no spaces".into()];
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.reddit.subreddits[1]")
        );
        let unknown = serde_json::from_str::<RedditConfig>(r#"{"clientid": "x"}"#)
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("unknown field `clientid`"), "{unknown}");
        assert!(!format!("{:?}", configured()).contains("secret\""));
    }

    #[test]
    fn listing_subreddits_are_validated_and_backfills_need_credentials() {
        let mut config = configured();
        config.listing_subreddits = vec!["r/poland".into(), "x".into()];
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.reddit.listing_subreddits[1]")
        );
        let brand = Brand {
            keywords: vec!["orlen".into()],
            ..Brand::default()
        };
        let budgets = RateBudgets::default();
        let (from, to) = (DateTime::UNIX_EPOCH, Utc::now());
        let error = backfill_jobs(
            &RedditConfig::default(),
            &HttpConfig::default(),
            &brand,
            from,
            to,
            &budgets,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(error.starts_with("collectors.reddit.client_id"), "{error}");
        let jobs = backfill_jobs(
            &configured(),
            &HttpConfig::default(),
            &brand,
            from,
            to,
            &budgets,
        )
        .unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            jobs[0].id(),
            format!("backfill:reddit:orlen:0..{}", to.timestamp())
        );
    }
}
