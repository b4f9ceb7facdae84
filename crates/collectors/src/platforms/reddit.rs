//! Reddit: OAuth application-only search, one job per brand keyword.
//!
//! Auth: `POST https://www.reddit.com/api/v1/access_token` with HTTP basic auth (client id
//! and secret) and `grant_type=client_credentials` returns a bearer token valid for
//! `expires_in` seconds; it is cached, shared by every job of the credential, refreshed a
//! minute before it expires and fetched anew after a 401
//! (github.com/reddit-archive/reddit/wiki/OAuth2).
//!
//! Search: `GET https://oauth.reddit.com/search?q=…&sort=new&limit=100&after=…` (or
//! `/r/a+b/search?restrict_sr=1` for configured subreddits) returns a Listing of `t3`
//! links, newest first; `after` is the fullname of the page's last link. A poll sweeps
//! from the newest page back until it reaches the newest link produced before (or the
//! end, or `history_pages`), storing `after` after every page ([`crate::sweep`]), so a
//! restart resumes the sweep where it stopped.
//!
//! Limits: 100 queries per minute per OAuth client (averaged over 10 minutes), reported
//! in `X-Ratelimit-Used/Remaining/Reset` (reset in seconds). Reddit throttles generic
//! user agents, so a `<platform>:<app id>:<version> (by /u/<name>)` agent is required.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::{
    Author, Brand, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION,
};
use reqwest::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::sweep::{self, SweepCursor};

/// `[collectors.reddit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedditConfig {
    /// Unset: on when a client id is configured. `true` without credentials is an error.
    pub enabled: Option<bool>,
    /// The OAuth API host.
    pub base_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The "script"/"web app" client id and secret (reddit.com/prefs/apps).
    pub client_id: Option<Secret>,
    pub client_id_env: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_secret_env: Option<String>,
    /// Required: `<platform>:<app id>:<version> (by /u/<reddit user>)`.
    pub user_agent: Option<String>,
    /// Search only these subreddits (`restrict_sr`); empty searches all of Reddit.
    pub subreddits: Vec<String>,
    /// Links per page, 1..=100.
    pub page_limit: u32,
    /// How many pages one poll reads back at most (listings end near 1,000 items).
    pub history_pages: u32,
    pub poll_interval_ms: Option<u64>,
}

impl Default for RedditConfig {
    fn default() -> Self {
        RedditConfig {
            enabled: None,
            base_url: "https://oauth.reddit.com".into(),
            token_url: "https://www.reddit.com/api/v1/access_token".into(),
            client_id: None,
            client_id_env: None,
            client_secret: None,
            client_secret_env: None,
            user_agent: None,
            subreddits: Vec::new(),
            page_limit: 100,
            history_pages: 10,
            poll_interval_ms: None,
        }
    }
}

/// The resolved client credentials.
#[derive(Clone)]
struct Credentials {
    id: Secret,
    secret: Secret,
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
        if !(1..=100).contains(&self.page_limit) {
            return Err(Error::config(
                "collectors.reddit.page_limit",
                format!("is {}; Reddit allows 1..=100", self.page_limit),
            ));
        }
        if self.history_pages == 0 {
            return Err(Error::config(
                "collectors.reddit.history_pages",
                "must be at least 1",
            ));
        }
        for (i, sub) in self.subreddits.iter().enumerate() {
            let name = sub.trim().trim_start_matches("r/");
            if !(2..=21).contains(&name.len())
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(Error::config(
                    format!("collectors.reddit.subreddits[{i}]"),
                    format!("`{sub}` is not a subreddit name"),
                ));
            }
        }
        validate_interval("collectors.reddit.poll_interval_ms", self.poll_interval_ms)?;
        if self.is_enabled() {
            self.credentials()?;
            self.user_agent()?;
        }
        Ok(())
    }
}

/// One job per brand keyword; all share one token and one budget per client id.
pub(crate) fn jobs(
    config: &RedditConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let credentials = config.credentials()?;
    let base = parse_base_url("collectors.reddit.base_url", &config.base_url)?;
    let token_url = parse_base_url("collectors.reddit.token_url", &config.token_url)?;
    let http = HttpConfig {
        user_agent: config.user_agent()?,
        ..http.clone()
    };
    let fingerprint = credentials.id.fingerprint();
    let api = HttpPoller::new(
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
    let tokens = Arc::new(TokenSource {
        poller: auth,
        url: token_url,
        credentials,
        cached: tokio::sync::Mutex::default(),
    });
    let subreddits: Vec<String> = config
        .subreddits
        .iter()
        .map(|s| s.trim().trim_start_matches("r/").to_string())
        .collect();
    let scope = if subreddits.is_empty() {
        String::new()
    } else {
        format!("r/{}:", subreddits.join("+"))
    };
    Ok(brand_keywords(brands)
        .into_iter()
        .map(|query| {
            let search = Search {
                poller: api.clone(),
                tokens: tokens.clone(),
                url: search_url(&base, &subreddits),
                restrict: !subreddits.is_empty(),
                query: query.clone(),
                page_limit: config.page_limit,
                history_pages: config.history_pages,
            };
            Arc::new(
                PaginatedJob::new(format!("reddit:{scope}{query}"), Platform::Reddit, search)
                    .with_interval(config.poll_interval_ms),
            ) as Arc<dyn Job>
        })
        .collect())
}

fn search_url(base: &Url, subreddits: &[String]) -> Url {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().expect("validated http(s) base URL");
        path.pop_if_empty();
        if !subreddits.is_empty() {
            path.extend(["r", &subreddits.join("+")]);
        }
        path.push("search");
    }
    url
}

/// A cached application-only bearer token.
struct TokenSource {
    poller: HttpPoller,
    url: Url,
    credentials: Credentials,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<Secret>,
    expires_in: Option<u64>,
    error: Option<String>,
}

/// Tokens are renewed this long before Reddit says they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl TokenSource {
    async fn token(&self) -> Result<Secret, Error> {
        let mut cached = self.cached.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && Instant::now() + TOKEN_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let Credentials { id, secret } = &self.credentials;
        let fetched = self
            .poller
            .get_json::<TokenResponse>(|client| {
                client
                    .post(self.url.clone())
                    .basic_auth(id.expose(), Some(secret.expose()))
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
            })
            .await?;
        let Some(token) = fetched.body.access_token.filter(|t| !t.expose().is_empty()) else {
            return Err(Error::Refused {
                platform: Platform::Reddit,
                status: fetched.status.as_u16(),
                body: format!(
                    "no access token: {}",
                    fetched.body.error.as_deref().unwrap_or("no error given")
                ),
            });
        };
        let lifetime = Duration::from_secs(fetched.body.expires_in.unwrap_or(3600));
        tracing::info!(
            expires_in_s = lifetime.as_secs(),
            "fetched a Reddit application token"
        );
        *cached = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    /// Forgets `stale` (after a 401) unless another job already replaced it.
    async fn invalidate(&self, stale: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|(token, _)| token == stale) {
            *cached = None;
        }
    }
}

/// A link's place in `sort=new` order: creation time, then id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub created_utc: i64,
    /// The fullname, `t3_…`.
    pub name: String,
}

impl Mark {
    fn of(link: &Value) -> Option<Mark> {
        Some(Mark {
            created_utc: link["created_utc"].as_f64()? as i64,
            name: link["name"].as_str()?.to_string(),
        })
    }
}

impl Ord for Mark {
    fn cmp(&self, other: &Self) -> Ordering {
        // Base-36 ids: a longer one is a larger number.
        self.created_utc
            .cmp(&other.created_utc)
            .then_with(|| self.name.len().cmp(&other.name.len()))
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for Mark {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a search job stands: the next page's `after` and the newest links.
pub type SearchCursor = SweepCursor<Mark>;

struct Search {
    poller: HttpPoller,
    tokens: Arc<TokenSource>,
    url: Url,
    restrict: bool,
    query: String,
    page_limit: u32,
    history_pages: u32,
}

#[derive(Deserialize)]
struct Listing {
    data: ListingData,
}

#[derive(Deserialize)]
struct ListingData {
    after: Option<String>,
    #[serde(default)]
    children: Vec<Thing>,
}

#[derive(Deserialize)]
struct Thing {
    kind: String,
    data: Value,
}

impl Search {
    async fn get(&self, after: Option<&str>) -> Result<ListingData, Error> {
        let limit = self.page_limit.to_string();
        let mut params = vec![
            ("q", self.query.as_str()),
            ("sort", "new"),
            ("t", "all"),
            ("type", "link"),
            ("limit", limit.as_str()),
            // Without it Reddit HTML-escapes `&`, `<` and `>` in every string.
            ("raw_json", "1"),
        ];
        if self.restrict {
            params.push(("restrict_sr", "1"));
        }
        if let Some(after) = after {
            params.push(("after", after));
        }
        let mut renewed = false;
        loop {
            let token = self.tokens.token().await?;
            let result = self
                .poller
                .get_json::<Listing>(|client| {
                    client
                        .get(self.url.clone())
                        .query(&params)
                        .bearer_auth(token.expose())
                })
                .await;
            match result {
                Ok(fetched) => return Ok(fetched.body.data),
                // The token expired early or was revoked: fetch a new one, once.
                Err(Error::Refused { status: 401, .. }) if !renewed => {
                    tracing::warn!("Reddit refused the token (401); fetching a new one");
                    self.tokens.invalidate(&token).await;
                    renewed = true;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

#[async_trait]
impl Paginator for Search {
    type Cursor = SearchCursor;

    async fn fetch(&self, cursor: &SearchCursor) -> Result<Page<SearchCursor>, Error> {
        let requested = cursor.sweep.as_ref().map(|s| s.next_page.as_str());
        let listing = self.get(requested).await?;
        let links: Vec<Value> = listing
            .children
            .into_iter()
            .filter(|t| t.kind == "t3")
            .map(|t| t.data)
            .collect();
        let marks: Vec<Option<Mark>> = links.iter().map(Mark::of).collect();
        // Reddit's `after` is the page's last link; follow the link, not a cursor that
        // points elsewhere (back at the request, say), and stop where `after` is null.
        let last = links.last().and_then(|l| l["name"].as_str());
        if let (Some(after), Some(last)) = (listing.after.as_deref(), last)
            && after != last
        {
            tracing::warn!(query = %self.query, "Reddit's `after` is not the page's last link; following the link");
        }
        let next_page = listing.after.and(last.map(str::to_string));
        let step = sweep::step(
            Platform::Reddit,
            &self.query,
            cursor,
            &marks,
            next_page,
            self.history_pages,
        )?;
        let mentions = links
            .iter()
            .zip(&step.is_new)
            .filter(|(_, new)| **new)
            .filter_map(|(link, _)| to_mention(link))
            .collect();
        Ok(Page {
            mentions,
            cursor: step.cursor,
            more: step.more,
            total_hint: None,
        })
    }
}

#[derive(Deserialize)]
struct Link {
    id: String,
    name: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    selftext: String,
    #[serde(default)]
    author: String,
    author_fullname: Option<String>,
    created_utc: f64,
    permalink: Option<String>,
    url: Option<String>,
    #[serde(default)]
    score: i64,
    #[serde(default)]
    num_comments: u64,
    #[serde(default)]
    num_crossposts: u64,
}

/// Maps a `t3` link; `None` (and a warning) if it lacks what a mention needs.
pub(crate) fn to_mention(value: &Value) -> Option<RawMention> {
    let link: Link = match serde_json::from_value(value.clone()) {
        Ok(link) => link,
        Err(error) => {
            tracing::warn!(%error, "skipping a Reddit link we cannot read");
            metrics::counter!("earshot_collector_unmapped_items_total", "platform" => "reddit")
                .increment(1);
            return None;
        }
    };
    let created_at = DateTime::from_timestamp(link.created_utc as i64, 0)?;
    let platform_id = link.name.unwrap_or_else(|| format!("t3_{}", link.id));
    let text = match link.selftext.trim() {
        "" => link.title.trim().to_string(),
        body => format!("{}\n{body}", link.title.trim()),
    };
    let url = link
        .permalink
        .map(|p| format!("https://www.reddit.com{p}"))
        .or(link.url)
        .unwrap_or_default();
    Some(RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Reddit, &platform_id),
        platform: Platform::Reddit,
        platform_id,
        url,
        text,
        created_at,
        collected_at: Utc::now(),
        author: Author {
            id: link.author_fullname.unwrap_or_else(|| link.author.clone()),
            handle: link.author.clone(),
            name: link.author,
            // Karma and account age need `/user/{name}/about`, a call per author.
            bio: String::new(),
            followers: 0,
            verified: false,
            created_at: None,
        },
        engagement: Engagement {
            likes: link.score.max(0) as u64,
            reposts: link.num_crossposts,
            replies: link.num_comments,
        },
        language_hint: None,
        origin: Origin::Live,
        source: String::new(),
        raw: value.clone().into(),
    })
}

/// Jobs that page through `brand`'s history over `[from, to)`.
pub(crate) fn backfill_jobs(
    _config: &RedditConfig,
    _http: &HttpConfig,
    _brand: &earshot_model::Brand,
    _from: chrono::DateTime<chrono::Utc>,
    _to: chrono::DateTime<chrono::Utc>,
    _budgets: &crate::ratelimit::RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    Err(super::no_backfill(Platform::Reddit, "not implemented yet"))
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
    fn maps_a_link() {
        let link = serde_json::json!({
            "id": "1b2c3d", "name": "t3_1b2c3d",
            "title": "Orlen raised prices again?", "selftext": "6,89 & rising",
            "author": "kasia_waw", "author_fullname": "t2_abc",
            "created_utc": 1773302400.0,
            "permalink": "/r/poland/comments/1b2c3d/orlen/",
            "url": "https://www.reddit.com/r/poland/comments/1b2c3d/orlen/",
            "score": 12, "num_comments": 4, "subreddit": "poland"
        });
        let m = to_mention(&link).unwrap();
        assert_eq!(m.id.as_str(), "reddit:t3_1b2c3d");
        assert_eq!(m.text, "Orlen raised prices again?\n6,89 & rising");
        assert_eq!(m.author.id, "t2_abc");
        assert_eq!(m.author.handle, "kasia_waw");
        assert_eq!(m.created_at.timestamp(), 1_773_302_400);
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 12,
                reposts: 0,
                replies: 4
            }
        );
        assert_eq!(
            m.url,
            "https://www.reddit.com/r/poland/comments/1b2c3d/orlen/"
        );
        assert!(to_mention(&serde_json::json!({"id": "x"})).is_none());
    }

    #[test]
    fn marks_order_like_sort_new() {
        let mark = |t, n: &str| Mark {
            created_utc: t,
            name: n.into(),
        };
        assert!(mark(2, "t3_a") > mark(1, "t3_zz"));
        assert!(mark(1, "t3_zz") > mark(1, "t3_z"));
        assert!(mark(1, "t3_b") > mark(1, "t3_a"));
    }

    #[test]
    fn search_urls() {
        let base = Url::parse("https://oauth.reddit.com").unwrap();
        assert_eq!(
            search_url(&base, &[]).as_str(),
            "https://oauth.reddit.com/search"
        );
        assert_eq!(
            search_url(&base, &["poland".into(), "Polska".into()]).as_str(),
            "https://oauth.reddit.com/r/poland+Polska/search"
        );
    }
}
