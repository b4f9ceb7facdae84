//! X (Twitter) API v2 recent search, one job per brand keyword.
//!
//! `GET https://api.x.com/2/tweets/search/recent?query=…&max_results=100&since_id=…
//! &next_token=…&tweet.fields=…&expansions=author_id&user.fields=…` with an app-only
//! bearer token returns posts of the last seven days newest first, authors in
//! `includes.users`, and `meta {newest_id, oldest_id, result_count, next_token}`
//! (docs.x.com/x-api/posts/search-recent-posts). A poll asks for posts newer than the
//! newest one produced (`since_id`) and pages back through them with `next_token`,
//! storing the token after every page so a restart resumes the sweep; once the sweep
//! ends, its newest id becomes the next `since_id`. A job's first poll reads
//! `history_pages` pages back.
//!
//! Limits: 450 requests / 15 min per app (300 per user) in
//! `x-rate-limit-limit/remaining/reset` (reset in epoch seconds); 429s carry no
//! `Retry-After`, so the reset header sets the wait.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::{
    Author, Brand, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};

const TWEET_FIELDS: &str = "created_at,lang,public_metrics,author_id";
const USER_FIELDS: &str = "description,public_metrics,verified,created_at,username,name";
/// X rejects longer queries (Basic/Pro recent search).
const MAX_QUERY_LEN: usize = 512;

/// `[collectors.x]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XConfig {
    /// Unset: on when a bearer token is configured. `true` without one is an error.
    pub enabled: Option<bool>,
    pub base_url: String,
    /// The app-only bearer token (developer portal → Keys and tokens).
    pub bearer_token: Option<Secret>,
    pub bearer_token_env: Option<String>,
    /// Appended to every keyword query (X query operators).
    pub query_suffix: String,
    /// Posts per page, 10..=100.
    pub max_results: u32,
    /// How many pages one poll reads back at most.
    pub history_pages: u32,
    pub poll_interval_ms: Option<u64>,
}

impl Default for XConfig {
    fn default() -> Self {
        XConfig {
            enabled: None,
            base_url: "https://api.x.com".into(),
            bearer_token: None,
            bearer_token_env: None,
            query_suffix: "-is:retweet".into(),
            max_results: 100,
            history_pages: 10,
            poll_interval_ms: None,
        }
    }
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

    pub(crate) fn validate(&self) -> Result<(), Error> {
        parse_base_url("collectors.x.base_url", &self.base_url)?;
        if !(10..=100).contains(&self.max_results) {
            return Err(Error::config(
                "collectors.x.max_results",
                format!("is {}; X allows 10..=100", self.max_results),
            ));
        }
        if self.history_pages == 0 {
            return Err(Error::config(
                "collectors.x.history_pages",
                "must be at least 1",
            ));
        }
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
}

/// One job per brand keyword, sharing the app's budget.
pub(crate) fn jobs(
    config: &XConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let token = config.token()?;
    let base = parse_base_url("collectors.x.base_url", &config.base_url)?;
    let poller = HttpPoller::new(
        http,
        Platform::X,
        RateLimitHeaders::X,
        budgets.get(Platform::X, &token.fingerprint()),
    )?;
    let mut url = base;
    url.path_segments_mut()
        .expect("validated http(s) base URL")
        .pop_if_empty()
        .extend(["2", "tweets", "search", "recent"]);
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for keyword in brand_keywords(brands) {
        let query = config.query(&keyword);
        if query.chars().count() > MAX_QUERY_LEN {
            return Err(Error::config(
                "brands.keywords",
                format!("the X query for `{keyword}` is over {MAX_QUERY_LEN} characters"),
            ));
        }
        let search = RecentSearch {
            poller: poller.clone(),
            url: url.clone(),
            token: token.clone(),
            query,
            max_results: config.max_results,
            history_pages: config.history_pages,
        };
        jobs.push(Arc::new(
            PaginatedJob::new(format!("x:{keyword}"), Platform::X, search)
                .with_interval(config.poll_interval_ms),
        ));
    }
    Ok(jobs)
}

/// Where a recent-search job stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentCursor {
    /// The newest post id of the last finished sweep: the next sweep's `since_id`.
    pub newest_id: Option<String>,
    /// A sweep still paging back.
    pub sweep: Option<RecentSweep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentSweep {
    pub next_token: String,
    pub pages_done: u32,
    /// The newest post id of this sweep, the next `newest_id` once it finishes.
    pub top_id: String,
}

struct RecentSearch {
    poller: HttpPoller,
    url: Url,
    token: Secret,
    query: String,
    max_results: u32,
    history_pages: u32,
}

#[derive(Deserialize)]
struct SearchResponse {
    #[serde(default)]
    data: Vec<Value>,
    #[serde(default)]
    includes: Includes,
    meta: Meta,
}

#[derive(Deserialize, Default)]
struct Includes {
    #[serde(default)]
    users: Vec<Value>,
}

#[derive(Deserialize)]
struct Meta {
    newest_id: Option<String>,
    next_token: Option<String>,
}

/// Post ids are numeric strings; compare them as numbers without parsing.
fn compare_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn newer_id(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if compare_ids(&a, &b) == Ordering::Less {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

#[async_trait]
impl Paginator for RecentSearch {
    type Cursor = RecentCursor;

    async fn fetch(&self, cursor: &RecentCursor) -> Result<Page<RecentCursor>, Error> {
        let max_results = self.max_results.to_string();
        let mut params = vec![
            ("query", self.query.as_str()),
            ("max_results", max_results.as_str()),
            ("tweet.fields", TWEET_FIELDS),
            ("expansions", "author_id"),
            ("user.fields", USER_FIELDS),
        ];
        if let Some(since) = &cursor.newest_id {
            params.push(("since_id", since));
        }
        let requested = cursor.sweep.as_ref().map(|s| s.next_token.as_str());
        if let Some(token) = requested {
            params.push(("next_token", token));
        }
        let response = self
            .poller
            .get_json::<SearchResponse>(|client| {
                client
                    .get(self.url.clone())
                    .query(&params)
                    .bearer_auth(self.token.expose())
            })
            .await?
            .body;
        let next_token = response.meta.next_token.filter(|t| !t.is_empty());
        // A token that points back at a page of this sweep would loop or repeat: fail
        // the poll before producing anything, so the next poll asks again.
        if next_token.is_some() && next_token.as_deref() == requested {
            metrics::counter!("earshot_collector_repeated_cursors_total", "platform" => "x")
                .increment(1);
            return Err(Error::Malformed {
                platform: Platform::X,
                reason: "next_token repeats the token of the request".into(),
            });
        }
        let users: HashMap<&str, &Value> = response
            .includes
            .users
            .iter()
            .filter_map(|u| Some((u["id"].as_str()?, u)))
            .collect();
        let mentions: Vec<RawMention> = response
            .data
            .iter()
            .filter(|p| {
                // `since_id` is exclusive on X; guard against a server that is not.
                match (p["id"].as_str(), &cursor.newest_id) {
                    (Some(id), Some(since)) => compare_ids(id, since) == Ordering::Greater,
                    _ => true,
                }
            })
            .filter_map(|p| {
                let user = p["author_id"].as_str().and_then(|a| users.get(a).copied());
                to_mention(p, user)
            })
            .collect();
        let page_newest = response.meta.newest_id.clone().or_else(|| {
            response
                .data
                .iter()
                .filter_map(|p| p["id"].as_str())
                .max_by(|a, b| compare_ids(a, b))
                .map(str::to_string)
        });
        let top = cursor
            .sweep
            .as_ref()
            .map(|s| s.top_id.clone())
            .or(page_newest);
        let pages_done = cursor.sweep.as_ref().map_or(0, |s| s.pages_done) + 1;
        let next = match (next_token, top) {
            (Some(next_token), Some(top_id)) if pages_done < self.history_pages => RecentCursor {
                newest_id: cursor.newest_id.clone(),
                sweep: Some(RecentSweep {
                    next_token,
                    pages_done,
                    top_id,
                }),
            },
            (next_token, top) => {
                if next_token.is_some() && cursor.newest_id.is_some() {
                    tracing::warn!(query = %self.query, pages = pages_done, "history_pages reached before since_id: older posts of this sweep are skipped");
                }
                RecentCursor {
                    newest_id: newer_id(cursor.newest_id.clone(), top),
                    sweep: None,
                }
            }
        };
        let more = next.sweep.is_some();
        Ok(Page {
            mentions,
            cursor: next,
            more,
            total_hint: None,
        })
    }
}

#[derive(Deserialize, Default)]
struct PublicMetrics {
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    quote_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    followers_count: u64,
}

#[derive(Deserialize)]
struct Post {
    id: String,
    text: String,
    created_at: DateTime<Utc>,
    lang: Option<String>,
    author_id: Option<String>,
    #[serde(default)]
    public_metrics: PublicMetrics,
}

#[derive(Deserialize, Default)]
struct User {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    verified: bool,
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    public_metrics: PublicMetrics,
}

/// Maps a post and its expanded author; `None` (and a warning) if the post lacks what
/// a mention needs. `raw` keeps both, as `{post, user}`.
pub(crate) fn to_mention(value: &Value, user_value: Option<&Value>) -> Option<RawMention> {
    let post: Post = match serde_json::from_value(value.clone()) {
        Ok(post) => post,
        Err(error) => {
            tracing::warn!(%error, "skipping an X post we cannot read");
            metrics::counter!("earshot_collector_unmapped_items_total", "platform" => "x")
                .increment(1);
            return None;
        }
    };
    let user: User = user_value
        .and_then(|u| serde_json::from_value(u.clone()).ok())
        .unwrap_or_default();
    let author_id = post.author_id.unwrap_or_default();
    let url = if user.username.is_empty() {
        format!("https://x.com/i/web/status/{}", post.id)
    } else {
        format!("https://x.com/{}/status/{}", user.username, post.id)
    };
    let metrics = post.public_metrics;
    Some(RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::X, &post.id),
        platform: Platform::X,
        platform_id: post.id,
        url,
        text: post.text,
        created_at: post.created_at,
        collected_at: Utc::now(),
        author: Author {
            id: author_id,
            handle: user.username,
            name: user.name,
            bio: user.description,
            followers: user.public_metrics.followers_count,
            verified: user.verified,
            created_at: user.created_at,
        },
        engagement: Engagement {
            likes: metrics.like_count,
            reposts: metrics.retweet_count + metrics.quote_count,
            replies: metrics.reply_count,
        },
        // `und` (undetermined) and `zxx` (no linguistic content) are no hint.
        language_hint: post
            .lang
            .filter(|l| !l.is_empty() && l != "und" && l != "zxx"),
        origin: Origin::Live,
        source: String::new(),
        raw: json!({ "post": value, "user": user_value }).into(),
    })
}

/// Jobs that page through `brand`'s history over `[from, to)`.
pub(crate) fn backfill_jobs(
    _config: &XConfig,
    _http: &HttpConfig,
    _brand: &earshot_model::Brand,
    _from: chrono::DateTime<chrono::Utc>,
    _to: chrono::DateTime<chrono::Utc>,
    _budgets: &crate::ratelimit::RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    Err(super::no_backfill(Platform::X, "not implemented yet"))
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
    fn maps_a_post_with_its_author() {
        let post = json!({
            "id": "2032048686002864487", "text": "Znowu drożej na Orlen.",
            "created_at": "2026-03-12T10:59:00.000Z", "lang": "pl",
            "author_id": "15",
            "public_metrics": {"like_count": 3, "retweet_count": 2, "quote_count": 1, "reply_count": 4}
        });
        let user = json!({
            "id": "15", "username": "marta_wawa", "name": "Marta",
            "description": "Rocznik 1991.", "verified": true,
            "created_at": "2015-06-01T10:00:00.000Z",
            "public_metrics": {"followers_count": 1820}
        });
        let m = to_mention(&post, Some(&user)).unwrap();
        assert_eq!(m.id.as_str(), "x:2032048686002864487");
        assert_eq!(m.url, "https://x.com/marta_wawa/status/2032048686002864487");
        assert_eq!(m.author.handle, "marta_wawa");
        assert_eq!(m.author.bio, "Rocznik 1991.");
        assert_eq!(m.author.followers, 1820);
        assert!(m.author.verified);
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 3,
                reposts: 3,
                replies: 4
            }
        );
        assert_eq!(m.language_hint.as_deref(), Some("pl"));
        let bare = to_mention(&post, None).unwrap();
        assert_eq!(bare.author.id, "15");
        assert!(bare.url.ends_with("/i/web/status/2032048686002864487"));
        assert!(to_mention(&json!({"id": "1"}), None).is_none());
    }
}
