//! Mastodon: hashtag timelines, one job per (instance, hashtag), and where configured
//! status search, one job per (instance, brand keyword).
//!
//! Both read Status entities through one [`Instance`] per configured server (its poller,
//! rate budget and token) and share one mapping ([`to_mention`]), so a status found by
//! both a timeline and a search has one mention id. The endpoints, their paging and the
//! backfill live in [`timeline`], [`search`] and [`backfill`].
//!
//! Limits are 300 requests per 5 minutes per IP (and per account), reported in
//! `X-RateLimit-Limit/Remaining/Reset`; every job of an instance (or of a token) shares
//! one budget.

mod backfill;
mod search;
mod timeline;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use earshot_model::{Author, Brand, Engagement, Platform, RawMention};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smart_default::SmartDefault;
use url::Url;

pub use search::SearchCursor;
pub use timeline::{PagingBack, TimelineCursor};

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval, validate_range};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::PaginatedJob;
use crate::paging;
use crate::platforms::{brand_hashtags, brand_keywords};
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::text::html_to_text;

/// `[collectors.mastodon]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct MastodonConfig {
    #[default(true)]
    pub enabled: bool,
    /// Instance base URLs. Each sees the posts its users follow, so several instances
    /// per brand widen coverage; the same post seen twice has one mention id.
    #[default(_code = r#"vec!["https://mastodon.social".into(), "https://pol.social".into()]"#)]
    pub instances: Vec<String>,
    /// Hashtags to poll besides the brands' own (without `#`).
    pub extra_hashtags: Vec<String>,
    /// Statuses per page, 1..=40.
    #[default(40)]
    pub page_limit: u32,
    /// How many pages a job's first poll reads back into history (and how many pages
    /// one search sweep reads at most).
    #[default(5)]
    pub history_pages: u32,
    /// Also search statuses for the brands' keywords (`/api/v2/search`). Needs a user
    /// token: Mastodon answers an anonymous statuses search with nothing.
    pub search: bool,
    /// User tokens per instance, keyed by the instance's host as in its URL
    /// (`"mastodon.social"`, or `"host:port"`), each sent only to that host: a token is
    /// issued by one server and means nothing (or leaks) anywhere else. Optional for
    /// timelines (a token gets the per-account limit instead of the per-IP one);
    /// required for `search` on every instance.
    pub access_tokens: BTreeMap<String, Secret>,
    /// Like `access_tokens`, naming the environment variable that holds each token.
    pub access_tokens_env: BTreeMap<String, String>,
    /// One token for the only instance; a config error when more than one instance is
    /// configured (use `access_tokens`/`access_tokens_env` then).
    pub access_token: Option<Secret>,
    pub access_token_env: Option<String>,
    pub poll_interval_ms: Option<u64>,
}

impl MastodonConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        for (i, instance) in self.instances.iter().enumerate() {
            parse_base_url(&format!("collectors.mastodon.instances[{i}]"), instance)?;
        }
        validate_range(
            "collectors.mastodon.page_limit",
            self.page_limit,
            1..=40,
            "Mastodon",
        )?;
        validate_interval(
            "collectors.mastodon.poll_interval_ms",
            self.poll_interval_ms,
        )?;
        self.tokens()?;
        Ok(())
    }

    /// The configured instances' hosts, in config order.
    fn hosts(&self) -> Result<Vec<String>, Error> {
        self.instances
            .iter()
            .enumerate()
            .map(|(i, instance)| {
                parse_base_url(&format!("collectors.mastodon.instances[{i}]"), instance)
                    .map(|base| host_of(&base))
            })
            .collect()
    }

    /// The resolved tokens by instance host. Errors: a single `access_token` with more
    /// than one instance (it would go to servers that did not issue it), a token for a
    /// host that is not configured, and `search` on with an instance lacking a token.
    fn tokens(&self) -> Result<BTreeMap<String, Secret>, Error> {
        let hosts = self.hosts()?;
        let mut tokens = BTreeMap::new();
        let single = Secret::resolve(
            &self.access_token,
            &self.access_token_env,
            "collectors.mastodon.access_token",
        )?;
        if let Some(token) = single {
            let key = if self.access_token.is_some() {
                "collectors.mastodon.access_token"
            } else {
                "collectors.mastodon.access_token_env"
            };
            match hosts.as_slice() {
                [host] => {
                    tokens.insert(host.clone(), token);
                }
                _ => {
                    return Err(Error::config(
                        key,
                        format!(
                            "is one token for {} instances, but a token belongs to the \
                             instance that issued it: set collectors.mastodon.access_tokens_env \
                             (or access_tokens) per host instead",
                            hosts.len()
                        ),
                    ));
                }
            }
        }
        for (host, token) in &self.access_tokens {
            if !token.expose().is_empty() {
                tokens.insert(host.clone(), token.clone());
            }
        }
        for (host, var) in &self.access_tokens_env {
            match std::env::var(var) {
                Ok(value) if !value.is_empty() => {
                    tokens.insert(host.clone(), Secret::new(value));
                }
                _ => {
                    return Err(Error::config(
                        format!("collectors.mastodon.access_tokens_env.{host}"),
                        format!("environment variable `{var}` is not set"),
                    ));
                }
            }
        }
        let named = self
            .access_tokens
            .keys()
            .chain(self.access_tokens_env.keys());
        for host in named {
            if !hosts.contains(host) {
                let key = if self.access_tokens.contains_key(host) {
                    "access_tokens"
                } else {
                    "access_tokens_env"
                };
                return Err(Error::config(
                    format!("collectors.mastodon.{key}.{host}"),
                    format!("names no configured instance (hosts: {})", hosts.join(", ")),
                ));
            }
        }
        if self.search
            && let Some(host) = hosts.iter().find(|host| !tokens.contains_key(*host))
        {
            return Err(Error::config(
                "collectors.mastodon.search",
                format!(
                    "needs a user access token for {host}: Mastodon searches statuses only \
                     for a signed-in user (set collectors.mastodon.access_tokens_env.\"{host}\", \
                     scope read:search)"
                ),
            ));
        }
        Ok(tokens)
    }

    /// One [`Instance`] per configured server, each with its own token only.
    fn instances(&self, http: &HttpConfig, budgets: &RateBudgets) -> Result<Vec<Instance>, Error> {
        let mut tokens = self.tokens()?;
        self.instances
            .iter()
            .enumerate()
            .map(|(i, instance)| {
                let base =
                    parse_base_url(&format!("collectors.mastodon.instances[{i}]"), instance)?;
                let host = host_of(&base);
                let token = tokens.remove(&host);
                // Limits are per IP and per instance, or per account with a token.
                let budget_key = token.as_ref().map_or_else(
                    || host.clone(),
                    |token| format!("{host}/{}", token.fingerprint()),
                );
                let poller = HttpPoller::new(
                    http,
                    Platform::Mastodon,
                    RateLimitHeaders::Mastodon,
                    budgets.get(Platform::Mastodon, &budget_key),
                )?;
                Ok(Instance {
                    poller,
                    base,
                    host,
                    token,
                    page_limit: self.page_limit,
                })
            })
            .collect()
    }
}

/// Builds one job per (instance, hashtag), plus one per (instance, keyword) when
/// `search` is on.
pub(crate) fn jobs(
    config: &MastodonConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let tags = brand_hashtags(brands, &config.extra_hashtags);
    let keywords = if config.search {
        brand_keywords(brands)
    } else {
        Vec::new()
    };
    let history_pages = config.history_pages.max(1);
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for instance in config.instances(http, budgets)? {
        for tag in &tags {
            let id = format!("mastodon:{}#{tag}", instance.host);
            let timeline = timeline::TagTimeline {
                instance: instance.clone(),
                tag: tag.clone(),
                history_pages,
            };
            jobs.push(Arc::new(
                PaginatedJob::new(id, Platform::Mastodon, timeline)
                    .with_interval(config.poll_interval_ms),
            ));
        }
        for keyword in &keywords {
            let id = format!("mastodon:{}?q={keyword}", instance.host);
            let search = search::StatusSearch {
                instance: instance.clone(),
                job: id.clone(),
                query: search_query(keyword),
                history_pages,
            };
            jobs.push(Arc::new(
                PaginatedJob::new(id, Platform::Mastodon, search)
                    .with_interval(config.poll_interval_ms),
            ));
        }
    }
    Ok(jobs)
}

/// Jobs that page through `brand`'s hashtags (and, with `search` on, its keywords) on
/// every instance over `[from, to)`; ids name the range, so a re-run resumes or does
/// nothing.
pub(crate) fn backfill_jobs(
    config: &MastodonConfig,
    http: &HttpConfig,
    brand: &Brand,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let brands = std::slice::from_ref(brand);
    let tags = brand_hashtags(brands, &[]);
    let keywords = if config.search {
        brand_keywords(brands)
    } else {
        Vec::new()
    };
    if config.instances.is_empty() {
        return Err(Error::config(
            "collectors.mastodon.instances",
            "is empty: there is no instance to backfill from",
        ));
    }
    if tags.is_empty() && keywords.is_empty() && !brand_keywords(brands).is_empty() {
        return Err(Error::config(
            "collectors.mastodon.search",
            format!(
                "brand `{}` has no hashtags, and its keywords need status search \
                 (set collectors.mastodon.search = true with an access token)",
                brand.name
            ),
        ));
    }
    let range = format!("{}..{}", from.timestamp(), to.timestamp());
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for instance in config.instances(http, budgets)? {
        let sources = tags
            .iter()
            .map(|tag| (format!("#{tag}"), backfill::Source::Hashtag(tag.clone())))
            .chain(keywords.iter().map(|keyword| {
                (
                    format!("?q={keyword}"),
                    backfill::Source::Search(search_query(keyword)),
                )
            }));
        for (label, source) in sources {
            let id = format!("backfill:mastodon:{}{label}:{range}", instance.host);
            let pages = backfill::RangeBackfill {
                instance: instance.clone(),
                source,
                from,
                to,
            };
            jobs.push(Arc::new(PaginatedJob::new(id, Platform::Mastodon, pages)));
        }
    }
    Ok(jobs)
}

/// A keyword as a search query: several words are quoted, so they match as a phrase.
fn search_query(keyword: &str) -> String {
    if keyword.contains(char::is_whitespace) {
        format!("\"{keyword}\"")
    } else {
        keyword.to_string()
    }
}

fn host_of(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

/// Mastodon ids are numeric strings; compare them as numbers without parsing.
fn compare_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A status id, ordered as the number it is (ids are strings by contract; comparing by
/// length, then text, orders numeric ones without parsing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusId(pub String);

impl StatusId {
    fn of(status: &Value) -> Option<StatusId> {
        status["id"].as_str().map(|id| StatusId(id.to_string()))
    }
}

impl Ord for StatusId {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_ids(&self.0, &other.0)
    }
}

impl PartialOrd for StatusId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One instance's API as every Mastodon job reads it.
#[derive(Clone)]
pub(crate) struct Instance {
    poller: HttpPoller,
    base: Url,
    host: String,
    token: Option<Secret>,
    page_limit: u32,
}

#[derive(Deserialize)]
struct SearchResults {
    #[serde(default)]
    statuses: Vec<Value>,
}

impl Instance {
    fn url(&self, segments: &[&str]) -> Url {
        crate::paging::join_url(&self.base, segments)
    }

    /// GETs `url` with `limit`, `params` and the token; returns the body and `Link`.
    async fn get<T: DeserializeOwned>(
        &self,
        url: Url,
        params: &[(&'static str, String)],
    ) -> Result<(T, Option<String>), Error> {
        let limit = self.page_limit.to_string();
        let fetched = self
            .poller
            .get_json::<T>(|client| {
                let mut request = client
                    .get(url.clone())
                    .query(params)
                    .query(&[("limit", limit.as_str())]);
                if let Some(token) = &self.token {
                    request = request.bearer_auth(token.expose());
                }
                request
            })
            .await?;
        let link = fetched
            .headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((fetched.body, link))
    }

    /// One page of `#tag`'s timeline, and its `Link` header.
    async fn tag_timeline(
        &self,
        tag: &str,
        params: &[(&'static str, String)],
    ) -> Result<(Vec<Value>, Option<String>), Error> {
        self.get(self.url(&["api", "v1", "timelines", "tag", tag]), params)
            .await
    }

    /// One page of statuses matching `query`, newest first.
    async fn search_statuses(
        &self,
        query: &str,
        params: &[(&'static str, String)],
    ) -> Result<Vec<Value>, Error> {
        let mut all = vec![
            ("q", query.to_string()),
            ("type", "statuses".to_string()),
            ("resolve", "false".to_string()),
        ];
        all.extend_from_slice(params);
        let (results, _) = self
            .get::<SearchResults>(self.url(&["api", "v2", "search"]), &all)
            .await?;
        Ok(results.statuses)
    }

    fn mentions<'a>(&self, statuses: impl Iterator<Item = &'a Value>) -> Vec<RawMention> {
        statuses.filter_map(|s| to_mention(s, &self.host)).collect()
    }
}

#[derive(Deserialize)]
struct Status {
    id: String,
    uri: Option<String>,
    url: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    created_at: DateTime<Utc>,
    language: Option<String>,
    #[serde(default)]
    favourites_count: u64,
    #[serde(default)]
    reblogs_count: u64,
    #[serde(default)]
    replies_count: u64,
    account: Account,
}

#[derive(Deserialize)]
struct Account {
    id: String,
    acct: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    followers_count: u64,
    created_at: Option<String>,
    url: Option<String>,
}

/// Account creation times are midnight timestamps, but some servers send bare dates.
fn parse_account_created(value: &str) -> Option<DateTime<Utc>> {
    value.parse::<DateTime<Utc>>().ok().or_else(|| {
        let date = NaiveDate::parse_from_str(value.get(..10)?, "%Y-%m-%d").ok()?;
        Some(date.and_hms_opt(0, 0, 0)?.and_utc())
    })
}

/// Maps a Status entity; `None` (and a warning) if it lacks what a mention needs.
///
/// The mention id uses the status `uri`, the ActivityPub id that is the same on every
/// instance, not the instance-local `id`: polling several instances then yields one
/// mention per post, and the processor's dedup removes the copies.
pub(crate) fn to_mention(value: &Value, host: &str) -> Option<RawMention> {
    let status: Status = crate::paging::read_item(Platform::Mastodon, "Mastodon status", value)?;
    let platform_id = status
        .uri
        .clone()
        .unwrap_or_else(|| format!("{host}/{}", status.id));
    let text = match (status.spoiler_text.trim(), html_to_text(&status.content)) {
        ("", content) => content,
        (warning, content) => format!("{warning}\n{content}"),
    };
    let account = status.account;
    let handle = if account.acct.contains('@') {
        account.acct.clone()
    } else {
        format!(
            "{}@{}",
            account.acct,
            host.split(':').next().unwrap_or(host)
        )
    };
    Some(RawMention {
        url: status.url.or(status.uri).unwrap_or_default(),
        text,
        author: Author {
            id: account
                .url
                .unwrap_or_else(|| format!("{host}/accounts/{}", account.id)),
            handle,
            name: account.display_name,
            bio: html_to_text(&account.note),
            followers: account.followers_count,
            // Mastodon has no account verification; profile-link checks are not identity.
            verified: false,
            created_at: account
                .created_at
                .as_deref()
                .and_then(parse_account_created),
        },
        engagement: Engagement {
            likes: status.favourites_count,
            reposts: status.reblogs_count,
            replies: status.replies_count,
        },
        language_hint: status.language.filter(|l| !l.is_empty()),
        ..paging::mention(
            Platform::Mastodon,
            platform_id,
            status.created_at,
            value.clone(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_status() {
        let status = serde_json::json!({
            "id": "116215614634131855",
            "uri": "https://pol.social/users/ala/statuses/116215614634131855",
            "url": "https://pol.social/@ala/116215614634131855",
            "created_at": "2026-03-12T09:58:00.000Z",
            "language": "pl",
            "content": "<p>Tankowałam na <a href=\"https://pol.social/tags/orlen\" class=\"mention hashtag\">#<span>orlen</span></a> &amp; jest ok</p>",
            "spoiler_text": "",
            "favourites_count": 3, "reblogs_count": 1, "replies_count": 2,
            "account": {
                "id": "42", "username": "ala", "acct": "ala",
                "display_name": "Ala", "note": "<p>Rocznik 1987.</p>",
                "followers_count": 120, "created_at": "2022-11-05T00:00:00.000Z",
                "bot": false, "url": "https://pol.social/@ala"
            }
        });
        let m = to_mention(&status, "pol.social").unwrap();
        assert_eq!(
            m.id.as_str(),
            "mastodon:https://pol.social/users/ala/statuses/116215614634131855"
        );
        assert_eq!(m.text, "Tankowałam na #orlen & jest ok");
        assert_eq!(m.author.handle, "ala@pol.social");
        assert_eq!(m.author.bio, "Rocznik 1987.");
        assert_eq!(m.author.followers, 120);
        assert_eq!(
            m.author.created_at.unwrap().to_rfc3339(),
            "2022-11-05T00:00:00+00:00"
        );
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 3,
                reposts: 1,
                replies: 2
            }
        );
        assert_eq!(m.language_hint.as_deref(), Some("pl"));
        assert_eq!(m.raw.to_value(), status);
        assert!(to_mention(&serde_json::json!({"id": "1"}), "pol.social").is_none());
    }

    #[test]
    fn a_token_is_sent_only_to_the_instance_that_issued_it() {
        let mut config = MastodonConfig {
            access_token: Some(Secret::new("social-token")),
            ..MastodonConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with("collectors.mastodon.access_token: is one token for 2 instances"),
            "{error}"
        );

        config.access_token = None;
        config
            .access_tokens
            .insert("mastodon.social".into(), Secret::new("social-token"));
        let instances = config
            .instances(&HttpConfig::default(), &RateBudgets::default())
            .unwrap();
        let tokens: Vec<(&str, Option<&str>)> = instances
            .iter()
            .map(|i| (i.host.as_str(), i.token.as_ref().map(Secret::expose)))
            .collect();
        assert_eq!(
            tokens,
            [
                ("mastodon.social", Some("social-token")),
                ("pol.social", None)
            ]
        );

        config
            .access_tokens
            .insert("mastodon.sociall".into(), Secret::new("typo"));
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with(
                "collectors.mastodon.access_tokens.mastodon.sociall: names no configured instance"
            ),
            "{error}"
        );

        let single = MastodonConfig {
            instances: vec!["https://pol.social".into()],
            access_token: Some(Secret::new("pol-token")),
            ..MastodonConfig::default()
        };
        let instances = single
            .instances(&HttpConfig::default(), &RateBudgets::default())
            .unwrap();
        assert_eq!(
            instances[0].token.as_ref().map(Secret::expose),
            Some("pol-token")
        );
    }

    #[test]
    fn search_needs_a_token() {
        let mut config = MastodonConfig {
            search: true,
            instances: vec!["https://pol.social".into()],
            ..MastodonConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with("collectors.mastodon.search: needs a user access token"),
            "{error}"
        );
        config.access_token = Some(Secret::new("t0ken"));
        config.validate().unwrap();
        assert_eq!(search_query("orlen"), "orlen");
        assert_eq!(search_query("stacja orlen"), "\"stacja orlen\"");
    }
}
