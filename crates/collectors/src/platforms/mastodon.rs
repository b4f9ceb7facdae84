//! Mastodon: hashtag timelines, one job per (instance, hashtag).
//!
//! `GET {instance}/api/v1/timelines/tag/{hashtag}` returns statuses newest first, at most
//! 40 per page, with a `Link` header: `rel="next"` carries the `max_id` of the older page,
//! `rel="prev"` the `min_id` of the newer one (docs.joinmastodon.org/methods/timelines,
//! /api/guidelines/#pagination). A job's first poll takes the newest page and pages back
//! up to `history_pages`; later polls page forward with `min_id`, so they fetch only what
//! is new. Limits are 300 requests per 5 minutes per IP (and per account), reported in
//! `X-RateLimit-Limit/Remaining/Reset`.

use std::cmp::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use earshot_model::{
    Author, Brand, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::platforms::{brand_hashtags, link_header};
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::text::html_to_text;

/// `[collectors.mastodon]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MastodonConfig {
    pub enabled: bool,
    /// Instance base URLs. Each sees the posts its users follow, so several instances
    /// per brand widen coverage; the same post seen twice has one mention id.
    pub instances: Vec<String>,
    /// Hashtags to poll besides the brands' own (without `#`).
    pub extra_hashtags: Vec<String>,
    /// Statuses per page, 1..=40.
    pub page_limit: u32,
    /// How many pages a job's first poll reads back into history.
    pub history_pages: u32,
    /// Optional user token; public timelines need none, but a token gets the
    /// per-account limit instead of the per-IP one.
    pub access_token: Option<Secret>,
    pub access_token_env: Option<String>,
    pub poll_interval_ms: Option<u64>,
}

impl Default for MastodonConfig {
    fn default() -> Self {
        MastodonConfig {
            enabled: true,
            instances: vec![
                "https://mastodon.social".into(),
                "https://pol.social".into(),
            ],
            extra_hashtags: Vec::new(),
            page_limit: 40,
            history_pages: 5,
            access_token: None,
            access_token_env: None,
            poll_interval_ms: None,
        }
    }
}

impl MastodonConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        for (i, instance) in self.instances.iter().enumerate() {
            parse_base_url(&format!("collectors.mastodon.instances[{i}]"), instance)?;
        }
        if !(1..=40).contains(&self.page_limit) {
            return Err(Error::config(
                "collectors.mastodon.page_limit",
                format!("is {}; Mastodon allows 1..=40", self.page_limit),
            ));
        }
        validate_interval(
            "collectors.mastodon.poll_interval_ms",
            self.poll_interval_ms,
        )?;
        Secret::resolve(
            &self.access_token,
            &self.access_token_env,
            "collectors.mastodon.access_token",
        )?;
        Ok(())
    }
}

/// Builds one job per (instance, hashtag).
pub(crate) fn jobs(
    config: &MastodonConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let token = Secret::resolve(
        &config.access_token,
        &config.access_token_env,
        "collectors.mastodon.access_token",
    )?;
    let tags = brand_hashtags(brands, &config.extra_hashtags);
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for (i, instance) in config.instances.iter().enumerate() {
        let base = parse_base_url(&format!("collectors.mastodon.instances[{i}]"), instance)?;
        let host = host_of(&base);
        // Limits are per IP and per instance, or per account with a token.
        let budget_key = token
            .as_ref()
            .map_or_else(|| host.clone(), Secret::fingerprint);
        let poller = HttpPoller::new(
            http,
            Platform::Mastodon,
            RateLimitHeaders::Mastodon,
            budgets.get(Platform::Mastodon, &budget_key),
        )?;
        for tag in &tags {
            let id = format!("mastodon:{host}#{tag}");
            let timeline = TagTimeline {
                poller: poller.clone(),
                base: base.clone(),
                host: host.clone(),
                tag: tag.clone(),
                page_limit: config.page_limit,
                history_pages: config.history_pages.max(1),
                token: token.clone(),
            };
            jobs.push(Arc::new(
                PaginatedJob::new(id, Platform::Mastodon, timeline)
                    .with_interval(config.poll_interval_ms),
            ));
        }
    }
    Ok(jobs)
}

fn host_of(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

/// Where a hashtag-timeline job stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineCursor {
    /// The newest status id produced; forward polls ask for `min_id` = this.
    pub newest_id: Option<String>,
    /// Set while the first poll is still paging back into history.
    pub paging_back: Option<PagingBack>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagingBack {
    /// `max_id` of the next (older) page.
    pub max_id: String,
    pub pages_done: u32,
}

struct TagTimeline {
    poller: HttpPoller,
    base: Url,
    host: String,
    tag: String,
    page_limit: u32,
    history_pages: u32,
    token: Option<Secret>,
}

/// Mastodon ids are numeric strings; compare them as numbers without parsing.
fn compare_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl TagTimeline {
    fn url(&self) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("validated http(s) base URL")
            .pop_if_empty()
            .extend(["api", "v1", "timelines", "tag", &self.tag]);
        url
    }

    async fn get(
        &self,
        param: Option<(&str, &str)>,
    ) -> Result<(Vec<Value>, Option<String>), Error> {
        let url = self.url();
        let limit = self.page_limit.to_string();
        let fetched = self
            .poller
            .get_json::<Vec<Value>>(|client| {
                let mut request = client.get(url.clone()).query(&[("limit", limit.as_str())]);
                if let Some(param) = param {
                    request = request.query(&[param]);
                }
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
}

#[async_trait]
impl Paginator for TagTimeline {
    type Cursor = TimelineCursor;

    async fn fetch(&self, cursor: &TimelineCursor) -> Result<Page<TimelineCursor>, Error> {
        let request = match (&cursor.paging_back, &cursor.newest_id) {
            (Some(back), _) => Some(("max_id", back.max_id.as_str())),
            (None, Some(newest)) => Some(("min_id", newest.as_str())),
            (None, None) => None,
        };
        let (statuses, link) = self.get(request).await?;
        let mentions: Vec<RawMention> = statuses
            .iter()
            .filter_map(|s| to_mention(s, &self.host))
            .collect();
        let ids = statuses.iter().filter_map(|s| s["id"].as_str());
        let (Some(page_min), Some(page_max)) = (
            ids.clone().min_by(|a, b| compare_ids(a, b)),
            ids.max_by(|a, b| compare_ids(a, b)),
        ) else {
            // Empty page: history is exhausted, or nothing is new.
            let mut next = cursor.clone();
            let was_paging_back = next.paging_back.take().is_some();
            return Ok(Page {
                mentions,
                cursor: next,
                more: was_paging_back,
                total_hint: None,
            });
        };
        let links = link.as_deref().map(link_header::parse).unwrap_or_default();
        let full = statuses.len() >= self.page_limit as usize;

        let mut next = cursor.clone();
        let more = match request {
            Some(("min_id", newest)) => {
                // Trust the server's `prev` cursor only if it moves forward past this page.
                let prev = links
                    .get("prev")
                    .and_then(|u| link_header::query_param(u, "min_id"))
                    .filter(|m| {
                        compare_ids(m, page_max) != Ordering::Less
                            && compare_ids(m, newest) == Ordering::Greater
                    });
                next.newest_id = Some(prev.unwrap_or_else(|| page_max.to_string()));
                full
            }
            _ => {
                let requested_max = request.map(|(_, max)| max);
                let pages_done = cursor.paging_back.as_ref().map_or(0, |b| b.pages_done) + 1;
                if cursor.newest_id.is_none() {
                    next.newest_id = Some(page_max.to_string());
                }
                // Trust the server's `next` cursor only if it moves back past this page.
                let older = links
                    .get("next")
                    .and_then(|u| link_header::query_param(u, "max_id"))
                    .filter(|m| {
                        compare_ids(m, page_min) != Ordering::Greater
                            && requested_max.is_none_or(|r| compare_ids(m, r) == Ordering::Less)
                    })
                    .unwrap_or_else(|| page_min.to_string());
                next.paging_back =
                    (full && pages_done < self.history_pages).then_some(PagingBack {
                        max_id: older,
                        pages_done,
                    });
                // Done paging back: one forward poll picks up what arrived meanwhile.
                true
            }
        };
        Ok(Page {
            mentions,
            cursor: next,
            more,
            total_hint: None,
        })
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
    let status: Status = match serde_json::from_value(value.clone()) {
        Ok(status) => status,
        Err(error) => {
            tracing::warn!(%error, "skipping a Mastodon status we cannot read");
            metrics::counter!("earshot_collector_unmapped_items_total", "platform" => "mastodon")
                .increment(1);
            return None;
        }
    };
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
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Mastodon, &platform_id),
        platform: Platform::Mastodon,
        platform_id,
        url: status.url.or(status.uri).unwrap_or_default(),
        text,
        created_at: status.created_at,
        collected_at: Utc::now(),
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
        origin: Origin::Live,
        source: String::new(),
        raw: value.clone().into(),
    })
}

/// Jobs that page through `brand`'s history over `[from, to)`.
pub(crate) fn backfill_jobs(
    _config: &MastodonConfig,
    _http: &HttpConfig,
    _brand: &earshot_model::Brand,
    _from: chrono::DateTime<chrono::Utc>,
    _to: chrono::DateTime<chrono::Utc>,
    _budgets: &crate::ratelimit::RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    Err(super::no_backfill(
        Platform::Mastodon,
        "not implemented yet",
    ))
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
}
