//! X (Twitter) API v2 search: live recent search, one job per brand keyword, and
//! backfills on full-archive or recent search.
//!
//! `GET https://api.x.com/2/tweets/search/recent?query=…&max_results=100&since_id=…
//! &next_token=…&tweet.fields=…&expansions=author_id&user.fields=…` with an app-only
//! bearer token returns posts of the last seven days newest first, authors in
//! `includes.users`, and `meta {newest_id, oldest_id, result_count, next_token}`
//! (docs.x.com/x-api/posts/search-recent-posts). Live polls sweep back to the newest
//! post produced before (`search.rs`).
//!
//! Backfills (`backfill.rs`) use `GET /2/tweets/search/all` (full-archive search, back to
//! 2006; Pro or Enterprise access; `max_results` up to 500; 1 request per second) when
//! `full_archive = true`, else recent search with `start_time`/`end_time`, which only
//! reaches seven days back. Both endpoints share the request, the paging and the
//! mapping (`post.rs`).
//!
//! Limits: 450 requests / 15 min per app for recent search (300 for full-archive, plus
//! 1 request/s) in `x-rate-limit-limit/remaining/reset` (reset in epoch seconds); 429s
//! carry no `Retry-After`, so the reset header sets the wait.

mod backfill;
pub(crate) mod post;
mod search;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use earshot_model::{Brand, Platform};
use serde::Deserialize;
use smart_default::SmartDefault;
use url::Url;

use crate::config::{
    HttpConfig, Secret, parse_base_url, validate_at_least_one, validate_interval, validate_range,
};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::PaginatedJob;
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};

pub use backfill::{BackfillCursor, EndTime};
pub use search::{RecentCursor, RecentSweep};

use backfill::RangeSearch;
use search::{Endpoint, Pacer, RecentSearch};

/// X rejects longer queries on recent search (self-serve plans)…
const MAX_QUERY_LEN: usize = 512;
/// … and on full-archive search.
const MAX_ARCHIVE_QUERY_LEN: usize = 1024;
/// How far back recent search reaches.
const RECENT_DAYS: i64 = 7;
/// Full-archive search allows 1 request per second; a little more keeps jitter on the
/// way from landing two in one second.
const ARCHIVE_INTERVAL: Duration = Duration::from_millis(1050);
/// The first post on the platform: full-archive search starts no earlier.
const FIRST_POST: &str = "2006-03-21T00:00:00Z";

/// `[collectors.x]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct XConfig {
    /// Unset: on when a bearer token is configured. `true` without one is an error.
    pub enabled: Option<bool>,
    #[default = "https://api.x.com"]
    pub base_url: String,
    /// The app-only bearer token (developer portal → Keys and tokens).
    pub bearer_token: Option<Secret>,
    pub bearer_token_env: Option<String>,
    /// Appended to every keyword query (X query operators).
    #[default = "-is:retweet"]
    pub query_suffix: String,
    /// Posts per page of recent search, 10..=100.
    #[default(100)]
    pub max_results: u32,
    /// How many pages one poll reads back at most.
    #[default(10)]
    pub history_pages: u32,
    /// Backfill through full-archive search (`/2/tweets/search/all`), which needs a Pro
    /// or Enterprise bearer token; otherwise backfills only reach the last 7 days.
    pub full_archive: bool,
    /// Posts per page of full-archive search, 10..=500.
    #[default(500)]
    pub full_archive_max_results: u32,
    pub poll_interval_ms: Option<u64>,
}

impl XConfig {
    /// Whether jobs run: as configured, else whenever a bearer token is configured.
    pub fn is_enabled(&self) -> bool {
        self.enabled
            .unwrap_or(self.bearer_token.is_some() || self.bearer_token_env.is_some())
    }

    fn token(&self) -> Result<Secret, Error> {
        Secret::resolve(
            &self.bearer_token,
            &self.bearer_token_env,
            "collectors.x.bearer_token",
        )?
        .ok_or_else(|| {
            Error::config(
                "collectors.x.bearer_token",
                "is not set (set bearer_token_env to the variable holding it)",
            )
        })
    }

    fn query(&self, keyword: &str) -> String {
        let keyword = if keyword.contains(char::is_whitespace) {
            format!("\"{keyword}\"")
        } else {
            keyword.to_string()
        };
        match self.query_suffix.trim() {
            "" => keyword,
            suffix => format!("{keyword} {suffix}"),
        }
    }

    /// The query for `keyword`, unless it is longer than the endpoint takes.
    fn checked_query(&self, keyword: &str, max_len: usize) -> Result<String, Error> {
        let query = self.query(keyword);
        if query.chars().count() > max_len {
            return Err(Error::config(
                "brands.keywords",
                format!("the X query for `{keyword}` is over {max_len} characters"),
            ));
        }
        Ok(query)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        parse_base_url("collectors.x.base_url", &self.base_url)?;
        validate_range("collectors.x.max_results", self.max_results, 10..=100, "X")?;
        validate_range(
            "collectors.x.full_archive_max_results",
            self.full_archive_max_results,
            10..=500,
            "full-archive search",
        )?;
        validate_at_least_one("collectors.x.history_pages", self.history_pages)?;
        if self.query_suffix.len() > MAX_QUERY_LEN / 2 {
            return Err(Error::config(
                "collectors.x.query_suffix",
                format!("is longer than {} characters", MAX_QUERY_LEN / 2),
            ));
        }
        validate_interval("collectors.x.poll_interval_ms", self.poll_interval_ms)?;
        if self.is_enabled() {
            self.token()?;
        }
        Ok(())
    }

    /// `{base_url}/2/tweets/search/{endpoint}`.
    fn search_url(&self, endpoint: &str) -> Result<Url, Error> {
        let url = crate::paging::join_url(
            &parse_base_url("collectors.x.base_url", &self.base_url)?,
            ["2", "tweets", "search", endpoint],
        );
        Ok(url)
    }
}

/// One job per brand keyword, sharing the app's budget.
pub(crate) fn jobs(
    config: &XConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let token = config.token()?;
    let poller = HttpPoller::new(
        http,
        Platform::X,
        RateLimitHeaders::X,
        budgets.get(Platform::X, &token.fingerprint()),
    )?;
    let url = config.search_url("recent")?;
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for keyword in brand_keywords(brands) {
        let search = RecentSearch {
            endpoint: Endpoint {
                poller: poller.clone(),
                url: url.clone(),
                token: token.clone(),
                query: config.checked_query(&keyword, MAX_QUERY_LEN)?,
                max_results: config.max_results,
                archive: None,
            },
            history_pages: config.history_pages,
        };
        jobs.push(Arc::new(
            PaginatedJob::new(format!("x:{keyword}"), Platform::X, search)
                .with_interval(config.poll_interval_ms),
        ));
    }
    Ok(jobs)
}

/// One job per keyword of `brand` over `[from, to)`: full-archive search when
/// `full_archive` is set, else recent search, which is a config error for a range
/// starting more than 7 days ago. Ids name the endpoint and the range
/// (`backfill:x:all:orlen:FROM..TO`).
pub(crate) fn backfill_jobs(
    config: &XConfig,
    http: &HttpConfig,
    brand: &Brand,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let token = config.token()?;
    let recent_from = Utc::now() - ChronoDuration::days(RECENT_DAYS);
    if !config.full_archive && from < recent_from {
        return Err(Error::config(
            "collectors.x.full_archive",
            format!(
                "the range starts {}, more than {RECENT_DAYS} days ago, beyond recent search; \
                 set collectors.x.full_archive = true (full-archive search, needs a Pro or \
                 Enterprise bearer token) or start the range after {}",
                from.to_rfc3339(),
                recent_from.to_rfc3339()
            ),
        ));
    }
    let fingerprint = token.fingerprint();
    let (endpoint, budget, max_results, max_len, archive) = if config.full_archive {
        (
            "all",
            // X counts limits per endpoint.
            budgets.get(Platform::X, &format!("archive/{fingerprint}")),
            config.full_archive_max_results,
            MAX_ARCHIVE_QUERY_LEN,
            // Shared by this backfill's jobs: the 1 request/s is per app.
            Some(Arc::new(Pacer::new(ARCHIVE_INTERVAL))),
        )
    } else {
        (
            "recent",
            budgets.get(Platform::X, &fingerprint),
            config.max_results,
            MAX_QUERY_LEN,
            None,
        )
    };
    let poller = HttpPoller::new(http, Platform::X, RateLimitHeaders::X, budget)?;
    let url = config.search_url(endpoint)?;
    let first_post: DateTime<Utc> = FIRST_POST.parse().expect("a valid timestamp");
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for keyword in brand_keywords(std::slice::from_ref(brand)) {
        let search = RangeSearch {
            endpoint: Endpoint {
                poller: poller.clone(),
                url: url.clone(),
                token: token.clone(),
                query: config.checked_query(&keyword, max_len)?,
                max_results,
                archive: archive.clone(),
            },
            from: from.max(first_post),
            to,
        };
        let id = format!(
            "backfill:x:{endpoint}:{keyword}:{}..{}",
            from.timestamp(),
            to.timestamp()
        );
        jobs.push(Arc::new(PaginatedJob::new(id, Platform::X, search)));
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_off_until_a_token_is_set_and_names_its_keys() {
        assert!(!XConfig::default().is_enabled());
        XConfig::default().validate().unwrap();
        let config = XConfig {
            enabled: Some(true),
            ..XConfig::default()
        };
        assert_eq!(
            config.validate().unwrap_err().to_string(),
            "collectors.x.bearer_token: is not set (set bearer_token_env to the variable holding it)"
        );
        let config = XConfig {
            bearer_token: Some(Secret::new("AAAA-secret")),
            max_results: 5,
            ..XConfig::default()
        };
        assert!(config.is_enabled());
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.x.max_results")
        );
        assert!(!format!("{config:?}").contains("AAAA"));
        assert_eq!(config.query("orlen"), "orlen -is:retweet");
        assert_eq!(config.query("żabka sklep"), "\"żabka sklep\" -is:retweet");
        let unknown = serde_json::from_str::<XConfig>(r#"{"bearer": "x"}"#)
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("unknown field `bearer`"), "{unknown}");
    }

    #[test]
    fn backfills_pick_their_endpoint_and_refuse_old_ranges_without_full_archive() {
        let mut config = XConfig {
            bearer_token: Some(Secret::new("AAAA-secret")),
            ..XConfig::default()
        };
        let brand = Brand {
            keywords: vec!["Orlen".into()],
            ..Brand::default()
        };
        let (http, budgets) = (HttpConfig::default(), RateBudgets::default());
        let to = Utc::now();
        let recent = to - ChronoDuration::days(2);
        let jobs = backfill_jobs(&config, &http, &brand, recent, to, &budgets).unwrap();
        assert!(jobs[0].id().starts_with("backfill:x:recent:orlen:"));
        let old = to - ChronoDuration::days(30);
        let error = backfill_jobs(&config, &http, &brand, old, to, &budgets)
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.starts_with("collectors.x.full_archive: ") && error.contains("= true"),
            "{error}"
        );
        assert!(!error.contains("AAAA"));
        config.full_archive = true;
        let jobs = backfill_jobs(&config, &http, &brand, old, to, &budgets).unwrap();
        assert_eq!(
            jobs[0].id(),
            format!(
                "backfill:x:all:orlen:{}..{}",
                old.timestamp(),
                to.timestamp()
            )
        );
        config.full_archive_max_results = 501;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.x.full_archive_max_results")
        );
    }
}
