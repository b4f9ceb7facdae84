//! Bluesky, from two sources that name posts alike.
//!
//! - [`jetstream`]: one WebSocket job reading every new post of the network and
//!   matching brand keywords locally (no account needed, no history).
//! - [`search`]: `app.bsky.feed.searchPosts`, one job per brand keyword, and the
//!   backfill; it needs an account ([`session`]: an app password).
//!
//! Every mention is built by [`post_mention`], so the id (`at://{did}/app.bsky.feed.post/{rkey}`),
//! URL, text, time and language are the same whichever source saw a post, and the
//! processor's dedup by id merges the two.

pub(crate) mod jetstream;
pub(crate) mod search;
mod session;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use earshot_model::{Author, Brand, Engagement, Platform, RawMention};
use serde::Deserialize;
use serde_json::Value;
use smart_default::SmartDefault;
use url::Url;

pub use jetstream::JetstreamCursor;
pub use search::{BackfillCursor, PostMark, SearchCursor};

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval, validate_range};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::PaginatedJob;
use crate::paging;
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};

const POST: &str = "app.bsky.feed.post";

/// `[collectors.bluesky]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct BlueskyConfig {
    /// Runs the Jetstream job.
    pub enabled: bool,
    /// A Jetstream instance (`wss://…`).
    #[default = "wss://jetstream2.us-east.bsky.network"]
    pub endpoint: String,
    /// How far before the stored cursor a connection starts.
    #[default(5)]
    pub rewind_secs: u64,
    /// A poll ends after this long without an event (caught up).
    #[default(5_000)]
    pub idle_ms: u64,
    /// A poll ends after this long whatever happens, so the cursor is stored and the
    /// scheduler keeps its rhythm.
    #[default(300)]
    pub max_poll_secs: u64,
    /// Events handled per produce + cursor store.
    #[default(500)]
    pub batch_size: usize,
    /// The Jetstream job's pause between polls (reconnects).
    #[default(Some(1_000))]
    pub poll_interval_ms: Option<u64>,
    /// Runs searchPosts jobs. Unset: on when `search_identifier(_env)` is set; `true`
    /// without credentials is an error.
    pub search: Option<bool>,
    /// The account's PDS (or the `bsky.social` entryway): it takes the login and proxies
    /// searchPosts to the Bluesky AppView.
    #[default = "https://bsky.social"]
    pub search_base_url: String,
    /// The account's handle or email, and an app password (bsky.app/settings/app-passwords).
    pub search_identifier: Option<Secret>,
    pub search_identifier_env: Option<String>,
    pub search_app_password: Option<Secret>,
    pub search_app_password_env: Option<String>,
    /// Posts per page, 1..=100.
    #[default(100)]
    pub search_page_limit: u32,
    /// How many pages one search sweep reads back at most.
    #[default(10)]
    pub search_history_pages: u32,
    /// The search jobs' poll interval; unset uses the global one.
    pub search_poll_interval_ms: Option<u64>,
}

impl BlueskyConfig {
    /// Whether any Bluesky job runs.
    pub fn is_enabled(&self) -> bool {
        self.enabled || self.search_enabled()
    }

    /// Whether searchPosts jobs run: as configured, else when an identifier is set.
    pub fn search_enabled(&self) -> bool {
        self.search
            .unwrap_or(self.search_identifier.is_some() || self.search_identifier_env.is_some())
    }

    fn credentials(&self) -> Result<session::Credentials, Error> {
        let identifier = Secret::resolve(
            &self.search_identifier,
            &self.search_identifier_env,
            "collectors.bluesky.search_identifier",
        )?
        .ok_or_else(|| {
            Error::config(
                "collectors.bluesky.search_identifier",
                "is not set: searchPosts needs an account (set search_identifier_env to the \
                 variable holding its handle or email)",
            )
        })?;
        let password = Secret::resolve(
            &self.search_app_password,
            &self.search_app_password_env,
            "collectors.bluesky.search_app_password",
        )?
        .ok_or_else(|| {
            Error::config(
                "collectors.bluesky.search_app_password",
                "is not set (set search_app_password_env to the variable holding an app \
                 password from bsky.app/settings/app-passwords)",
            )
        })?;
        Ok(session::Credentials {
            identifier,
            password,
        })
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let url = Url::parse(&self.endpoint).map_err(|e| {
            Error::config(
                "collectors.bluesky.endpoint",
                format!("not a URL ({e}): `{}`", self.endpoint),
            )
        })?;
        if !matches!(url.scheme(), "ws" | "wss" | "http" | "https") || url.host_str().is_none() {
            return Err(Error::config(
                "collectors.bluesky.endpoint",
                format!("not a ws(s) URL: `{}`", self.endpoint),
            ));
        }
        for (key, value) in [
            ("idle_ms", self.idle_ms),
            ("max_poll_secs", self.max_poll_secs),
            ("batch_size", self.batch_size as u64),
            ("search_history_pages", u64::from(self.search_history_pages)),
        ] {
            if value == 0 {
                return Err(Error::config(
                    format!("collectors.bluesky.{key}"),
                    "must be above 0",
                ));
            }
        }
        validate_interval("collectors.bluesky.poll_interval_ms", self.poll_interval_ms)?;
        parse_base_url("collectors.bluesky.search_base_url", &self.search_base_url)?;
        validate_range(
            "collectors.bluesky.search_page_limit",
            self.search_page_limit,
            1..=100,
            "searchPosts",
        )?;
        validate_interval(
            "collectors.bluesky.search_poll_interval_ms",
            self.search_poll_interval_ms,
        )?;
        if self.search_enabled() {
            self.credentials()?;
        }
        Ok(())
    }

    /// The searchPosts client of the configured account.
    fn search_client(
        &self,
        http: &HttpConfig,
        budgets: &RateBudgets,
    ) -> Result<Arc<search::SearchClient>, Error> {
        let credentials = self.credentials()?;
        let base = parse_base_url("collectors.bluesky.search_base_url", &self.search_base_url)?;
        let fingerprint = credentials.identifier.fingerprint();
        let poller = |budget: &str| {
            HttpPoller::new(
                http,
                Platform::Bluesky,
                RateLimitHeaders::IetfEpoch,
                budgets.get(Platform::Bluesky, budget),
            )
        };
        let session = session::Session::new(
            poller(&format!("auth/{fingerprint}"))?,
            base.clone(),
            credentials,
        );
        Ok(Arc::new(search::SearchClient::new(
            poller(&fingerprint)?,
            &base,
            session,
            self.search_page_limit,
        )))
    }
}

/// The Jetstream job (when `enabled`) and one searchPosts job per brand keyword (when
/// search is on), if the brands have keywords.
pub(crate) fn jobs(
    config: &BlueskyConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let keywords = brand_keywords(brands);
    if keywords.is_empty() {
        return Ok(Vec::new());
    }
    let mut jobs = Vec::new();
    if config.enabled {
        jobs.push(jetstream::job(
            config,
            http,
            crate::text::brand_filter(brands)?,
        )?);
    }
    if config.search_enabled() {
        let client = config.search_client(http, budgets)?;
        for keyword in keywords {
            let id = format!("bluesky:search?q={keyword}");
            let search = search::PostSearch {
                client: client.clone(),
                job: id.clone(),
                query: search_query(&keyword),
                history_pages: config.search_history_pages,
            };
            jobs.push(Arc::new(
                PaginatedJob::new(id, Platform::Bluesky, search)
                    .with_interval(config.search_poll_interval_ms),
            ) as Arc<dyn Job>);
        }
    }
    Ok(jobs)
}

/// One searchPosts job per brand keyword over `[from, to)`. Jetstream keeps no history,
/// so a backfill needs the search account whether or not live search is on.
pub(crate) fn backfill_jobs(
    config: &BlueskyConfig,
    http: &HttpConfig,
    brand: &Brand,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let keywords = brand_keywords(std::slice::from_ref(brand));
    if keywords.is_empty() {
        return Ok(Vec::new());
    }
    let client = config.search_client(http, budgets)?;
    let range = format!("{}..{}", from.timestamp(), to.timestamp());
    Ok(keywords
        .into_iter()
        .map(|keyword| {
            let search = search::RangeSearch {
                client: client.clone(),
                query: search_query(&keyword),
                from,
                to,
            };
            Arc::new(PaginatedJob::new(
                format!("backfill:bluesky:{keyword}:{range}"),
                Platform::Bluesky,
                search,
            )) as Arc<dyn Job>
        })
        .collect())
}

/// A keyword as a search query: several words are quoted, so they match as a phrase
/// (searchPosts recommends Lucene syntax).
fn search_query(keyword: &str) -> String {
    if keyword.contains(char::is_whitespace) {
        format!("\"{keyword}\"")
    } else {
        keyword.to_string()
    }
}

/// What both sources know of a post.
pub(crate) struct PostParts<'a> {
    pub did: &'a str,
    pub rkey: &'a str,
    /// The `app.bsky.feed.post` record.
    pub record: &'a Value,
    pub author: Author,
    pub engagement: Engagement,
    /// When the source saw the post, for a record without a readable `createdAt`.
    pub seen_at: Option<DateTime<Utc>>,
    pub raw: &'a Value,
}

/// Builds a Bluesky mention; `None` for a record without text.
pub(crate) fn post_mention(post: PostParts<'_>) -> Option<RawMention> {
    let record = post.record;
    let text = record["text"].as_str()?;
    let created_at = record["createdAt"]
        .as_str()
        .and_then(|c| c.parse::<DateTime<Utc>>().ok())
        .or(post.seen_at)?;
    let platform_id = format!("at://{}/{POST}/{}", post.did, post.rkey);
    Some(RawMention {
        url: format!("https://bsky.app/profile/{}/post/{}", post.did, post.rkey),
        text: text.to_string(),
        author: post.author,
        engagement: post.engagement,
        language_hint: record["langs"][0]
            .as_str()
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        ..paging::mention(Platform::Bluesky, platform_id, created_at, post.raw.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_is_on_with_credentials_and_validated() {
        let config = BlueskyConfig::default();
        assert!(!config.is_enabled());
        config.validate().unwrap();

        let mut config = BlueskyConfig {
            search_identifier: Some(Secret::new("earshot.bsky.social")),
            ..BlueskyConfig::default()
        };
        assert!(config.search_enabled() && config.is_enabled());
        assert_eq!(
            config.validate().unwrap_err().to_string(),
            "collectors.bluesky.search_app_password: is not set (set search_app_password_env \
             to the variable holding an app password from bsky.app/settings/app-passwords)"
        );
        config.search_app_password = Some(Secret::new("abcd-efgh-ijkl-mnop"));
        config.validate().unwrap();
        assert!(!format!("{config:?}").contains("abcd"));
        config.search_page_limit = 101;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.bluesky.search_page_limit")
        );

        let forced = BlueskyConfig {
            search: Some(true),
            ..BlueskyConfig::default()
        };
        assert!(
            forced
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.bluesky.search_identifier: is not set")
        );
        let env = BlueskyConfig {
            search_identifier_env: Some("EARSHOT_TEST_UNSET_BSKY_ID".into()),
            ..BlueskyConfig::default()
        };
        assert_eq!(
            env.validate().unwrap_err().to_string(),
            "collectors.bluesky.search_identifier_env: environment variable \
             `EARSHOT_TEST_UNSET_BSKY_ID` is not set"
        );
        assert_eq!(search_query("allegro smart"), "\"allegro smart\"");
    }
}
