//! Hacker News through Algolia's search API, one job per brand keyword.
//!
//! `GET https://hn.algolia.com/api/v1/search_by_date?query=…&tags=(story,comment)
//! &numericFilters=created_at_i>=FROM,created_at_i<TO&hitsPerPage=N&page=P` returns hits
//! newest first. A query serves at most 1,000 hits however many match (`nbHits` tells
//! how many do), so a time window holding more is split in halves until each half fits.
//! No key is needed; the published limit is 10,000 requests per hour per IP, with no
//! rate-limit headers.
//!
//! Newest-first paging moves under your feet while items arrive, so a poll sweeps a
//! closed window `[collected_until, now - index_lag)`: its pages are stable, and the
//! cursor (windows left, next page) can be stored after every page. A backfill is the
//! same sweep over a fixed `[from, to)`.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::{Brand, Engagement, Platform, RawMention};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smart_default::SmartDefault;
use url::Url;

use crate::config::{HttpConfig, parse_base_url, validate_interval, validate_range};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::paging;
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::text::html_to_text;
use earshot_runtime::InternalEvent;

/// `[collectors.hacker_news]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct HackerNewsConfig {
    #[default(true)]
    pub enabled: bool,
    #[default = "https://hn.algolia.com"]
    pub base_url: String,
    /// Hits per page, 1..=1000.
    #[default(100)]
    pub hits_per_page: u32,
    /// The most hits one query serves; a window with more is split.
    #[default(1000)]
    pub max_hits_per_query: u64,
    /// Items reach the index a little after their `created_at`; a sweep stops this many
    /// seconds before now so late-indexed items are not skipped.
    #[default(120)]
    pub index_lag_secs: i64,
    /// How far back a job's first sweep reaches.
    #[default(24)]
    pub initial_lookback_hours: i64,
    pub poll_interval_ms: Option<u64>,
}

impl HackerNewsConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        parse_base_url("collectors.hacker_news.base_url", &self.base_url)?;
        validate_range(
            "collectors.hacker_news.hits_per_page",
            self.hits_per_page,
            1..=1000,
            "Algolia",
        )?;
        if self.max_hits_per_query < u64::from(self.hits_per_page) {
            return Err(Error::config(
                "collectors.hacker_news.max_hits_per_query",
                "must be at least hits_per_page",
            ));
        }
        if self.index_lag_secs < 0 || self.initial_lookback_hours < 0 {
            return Err(Error::config(
                "collectors.hacker_news.index_lag_secs",
                "index_lag_secs and initial_lookback_hours must not be negative",
            ));
        }
        validate_interval(
            "collectors.hacker_news.poll_interval_ms",
            self.poll_interval_ms,
        )
    }
}

fn poller(http: &HttpConfig, budgets: &RateBudgets) -> Result<HttpPoller, Error> {
    // Limits are per IP: every job shares one budget.
    HttpPoller::new(
        http,
        Platform::HackerNews,
        RateLimitHeaders::None,
        budgets.get(Platform::HackerNews, "ip"),
    )
}

/// One live job per brand keyword.
pub(crate) fn jobs(
    config: &HackerNewsConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let range = Range::Live {
        lag_secs: config.index_lag_secs,
        lookback_secs: config.initial_lookback_hours * 3600,
    };
    search_jobs(config, http, brands, budgets, range)
}

/// One backfill job per brand keyword over `[from, to)`.
pub(crate) fn backfill_jobs(
    config: &HackerNewsConfig,
    http: &HttpConfig,
    brand: &Brand,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let range = Range::Fixed {
        from: from.timestamp(),
        to: to.timestamp(),
    };
    search_jobs(config, http, std::slice::from_ref(brand), budgets, range)
}

/// A search job per keyword of `brands` over `range`, all on one per-IP budget.
fn search_jobs(
    config: &HackerNewsConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
    range: Range,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let poller = poller(http, budgets)?;
    let base = parse_base_url("collectors.hacker_news.base_url", &config.base_url)?;
    Ok(brand_keywords(brands)
        .into_iter()
        .map(|query| {
            let id = match range {
                Range::Live { .. } => format!("hacker_news:{query}"),
                Range::Fixed { from, to } => format!("backfill:hacker_news:{query}:{from}..{to}"),
            };
            let search = AlgoliaSearch::new(config, poller.clone(), base.clone(), query, range);
            Arc::new(
                PaginatedJob::new(id, Platform::HackerNews, search)
                    .with_interval(config.poll_interval_ms),
            ) as Arc<dyn Job>
        })
        .collect())
}

/// A closed time window `[from, to)` in unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

/// Where a search job stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepCursor {
    /// Everything created before this instant (unix seconds) has been collected.
    pub collected_until: Option<i64>,
    /// The end of the sweep in progress.
    pub sweep_to: Option<i64>,
    /// Windows of the sweep still to read; the last one is read first.
    pub windows: Vec<Window>,
    /// The next page of the last window.
    pub page: u32,
}

#[derive(Clone, Copy)]
enum Range {
    Live { lag_secs: i64, lookback_secs: i64 },
    Fixed { from: i64, to: i64 },
}

struct AlgoliaSearch {
    poller: HttpPoller,
    url: Url,
    query: String,
    hits_per_page: u32,
    max_hits: u64,
    range: Range,
}

#[derive(Deserialize)]
struct SearchResponse {
    hits: Vec<Value>,
    #[serde(rename = "nbHits")]
    nb_hits: u64,
    #[serde(rename = "nbPages")]
    nb_pages: u32,
    /// The page served; a cache or a confused server may answer another one.
    page: Option<u32>,
}

impl AlgoliaSearch {
    fn new(
        config: &HackerNewsConfig,
        poller: HttpPoller,
        base: Url,
        query: String,
        range: Range,
    ) -> Self {
        let url = crate::paging::join_url(&base, ["api", "v1", "search_by_date"]);
        AlgoliaSearch {
            poller,
            url,
            query,
            hits_per_page: config.hits_per_page,
            max_hits: config.max_hits_per_query,
            range,
        }
    }

    /// The window a new sweep covers, or `None` when there is nothing to sweep.
    fn next_sweep(&self, cursor: &SweepCursor) -> Option<Window> {
        let now = Utc::now().timestamp();
        let window = match self.range {
            Range::Live {
                lag_secs,
                lookback_secs,
            } => Window {
                from: cursor.collected_until.unwrap_or(now - lookback_secs),
                to: now - lag_secs,
            },
            Range::Fixed { from, to } => Window {
                from: cursor.collected_until.unwrap_or(from).max(from),
                to,
            },
        };
        (window.from < window.to).then_some(window)
    }

    async fn search(&self, window: Window, page: u32) -> Result<SearchResponse, Error> {
        let filters = format!("created_at_i>={},created_at_i<{}", window.from, window.to);
        let (page, per_page) = (page.to_string(), self.hits_per_page.to_string());
        let params = [
            ("query", self.query.as_str()),
            ("tags", "(story,comment)"),
            ("numericFilters", filters.as_str()),
            ("hitsPerPage", per_page.as_str()),
            ("page", page.as_str()),
        ];
        let fetched = self
            .poller
            .get_json::<SearchResponse>(|client| client.get(self.url.clone()).query(&params))
            .await?;
        Ok(fetched.body)
    }
}

impl AlgoliaSearch {
    /// Fetches `page`, insisting that the answer is that page: following a repeated
    /// page as if it were the next one would skip the real one.
    async fn search_page(&self, window: Window, page: u32) -> Result<SearchResponse, Error> {
        let mut served = None;
        for attempt in 0..3u64 {
            let response = self.search(window, page).await?;
            match response.page {
                Some(p) if p != page => {
                    tracing::warn!(query = %self.query, asked = page, served = p, "Algolia served another page; asking again");
                    crate::internal_events::RepeatedCursor {
                        platform: Platform::HackerNews,
                        job: None,
                        cursor: &p.to_string(),
                    }
                    .emit();
                    served = Some(p);
                    tokio::time::sleep(std::time::Duration::from_millis(100 * (attempt + 1))).await;
                }
                _ => return Ok(response),
            }
        }
        Err(Error::Malformed {
            platform: Platform::HackerNews,
            reason: format!(
                "asked for page {page} and kept getting page {}",
                served.unwrap_or_default()
            ),
        })
    }
}

#[async_trait]
impl Paginator for AlgoliaSearch {
    type Cursor = SweepCursor;

    async fn fetch(&self, cursor: &SweepCursor) -> Result<Page<SweepCursor>, Error> {
        let mut next = cursor.clone();
        let starting = next.windows.is_empty();
        if starting {
            let Some(window) = self.next_sweep(cursor) else {
                return Ok(Page::nothing(next));
            };
            next.windows.push(window);
            next.sweep_to = Some(window.to);
            next.page = 0;
        }
        let window = *next.windows.last().expect("a sweep has a window");
        let response = self.search_page(window, next.page).await?;
        let total_hint = starting.then_some(response.nb_hits);

        if next.page == 0 && response.nb_hits > self.max_hits && window.to - window.from > 1 {
            // More than one query can serve: split, older half first.
            let mid = window.from + (window.to - window.from) / 2;
            next.windows.pop();
            next.windows.push(Window {
                from: mid,
                to: window.to,
            });
            next.windows.push(Window {
                from: window.from,
                to: mid,
            });
            tracing::debug!(query = %self.query, hits = response.nb_hits, ?window, "splitting a window over the hit cap");
            return Ok(Page {
                mentions: Vec::new(),
                cursor: next,
                more: true,
                total_hint,
            });
        }

        if response.hits.is_empty() && next.page < response.nb_pages {
            // The index says this page has hits; accepting it empty would skip them.
            return Err(Error::Malformed {
                platform: Platform::HackerNews,
                reason: format!(
                    "page {} of {} is empty although the query reports {} hits; retrying next poll",
                    next.page, response.nb_pages, response.nb_hits
                ),
            });
        }
        let mentions = response.hits.iter().filter_map(to_mention).collect();
        if !response.hits.is_empty() && next.page + 1 < response.nb_pages {
            next.page += 1;
        } else {
            next.windows.pop();
            next.page = 0;
            if next.windows.is_empty() {
                next.collected_until = next.sweep_to.take();
            }
        }
        let more = !next.windows.is_empty();
        Ok(Page {
            mentions,
            cursor: next,
            more,
            total_hint,
        })
    }
}

#[derive(Deserialize)]
struct Hit {
    #[serde(rename = "objectID")]
    object_id: String,
    created_at_i: Option<i64>,
    created_at: Option<DateTime<Utc>>,
    author: Option<String>,
    title: Option<String>,
    story_text: Option<String>,
    comment_text: Option<String>,
    points: Option<u64>,
    num_comments: Option<u64>,
}

/// Maps an Algolia hit (story or comment). Hits carry only the author's name; karma and
/// account age would take a Firebase `/v0/user` call per author, which we skip.
pub(crate) fn to_mention(value: &Value) -> Option<RawMention> {
    let hit: Hit = crate::paging::read_item(Platform::HackerNews, "Hacker News hit", value)?;
    let Some(created_at) = hit.created_at.or_else(|| {
        hit.created_at_i
            .and_then(|s| DateTime::from_timestamp(s, 0))
    }) else {
        crate::internal_events::ItemUnmapped {
            platform: Platform::HackerNews,
            what: "Hacker News hit",
            reason: "it has no created_at",
        }
        .emit();
        return None;
    };
    let text = match (&hit.comment_text, &hit.title) {
        (Some(comment), _) => html_to_text(comment),
        (None, title) => {
            let body = hit
                .story_text
                .as_deref()
                .map(html_to_text)
                .unwrap_or_default();
            [title.clone().unwrap_or_default(), body]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let author = hit.author.unwrap_or_default();
    Some(RawMention {
        url: format!("https://news.ycombinator.com/item?id={}", hit.object_id),
        text,
        author: paging::named_author(author.clone(), author),
        engagement: Engagement {
            likes: hit.points.unwrap_or(0),
            reposts: 0,
            replies: hit.num_comments.unwrap_or(0),
        },
        ..paging::mention(
            Platform::HackerNews,
            hit.object_id,
            created_at,
            value.clone(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_stories_and_comments() {
        let story = serde_json::json!({
            "objectID": "39001", "created_at": "2026-03-11T10:00:00.000Z", "created_at_i": 1773223200,
            "author": "kasia", "title": "Allegro open-sources its Kafka tooling", "url": "https://example.com",
            "story_text": null, "points": 120, "num_comments": 45, "_tags": ["story", "author_kasia", "story_39001"]
        });
        let m = to_mention(&story).unwrap();
        assert_eq!(m.id.as_str(), "hacker_news:39001");
        assert_eq!(m.text, "Allegro open-sources its Kafka tooling");
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 120,
                reposts: 0,
                replies: 45
            }
        );
        assert_eq!(m.url, "https://news.ycombinator.com/item?id=39001");
        let comment = serde_json::json!({
            "objectID": "39002", "created_at_i": 1773223300, "author": "jan",
            "comment_text": "<p>InPost lockers are great &amp; cheap</p>", "story_id": 39001
        });
        let m = to_mention(&comment).unwrap();
        assert_eq!(m.text, "InPost lockers are great & cheap");
        assert_eq!(m.created_at.timestamp(), 1_773_223_300);
    }

    /// One invalid byte and one lone surrogate escape, each in one hit, used to make the
    /// whole page unreadable (retried, then failed, every poll, for good).
    #[test]
    fn a_page_with_invalid_utf8_or_a_lone_surrogate_is_read() {
        let mut page = br#"{"nbHits": 2, "nbPages": 1, "page": 0, "hits": [
            {"objectID": "1", "created_at_i": 1773223200, "author": "a", "comment_text": "Orlen \ud800 ceny"},
            {"objectID": "2", "created_at_i": 1773223300, "author": "b", "comment_text": "InPost X"}]}"#
            .to_vec();
        let x = page.iter().rposition(|&b| b == b'X').unwrap();
        page[x] = 0xFF;
        assert!(serde_json::from_slice::<SearchResponse>(&page).is_err());
        let read: SearchResponse =
            crate::http::parse_json_page(Platform::HackerNews, &page).unwrap();
        let texts: Vec<String> = read
            .hits
            .iter()
            .filter_map(to_mention)
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, ["Orlen \u{FFFD} ceny", "InPost \u{FFFD}"]);
        // A page broken otherwise still fails, so it is retried as before.
        assert!(
            crate::http::parse_json_page::<SearchResponse>(Platform::HackerNews, b"{\"hits\": [")
                .is_err()
        );
    }

    /// Algolia's documented example hit, without `created_at` (a hit the index returns
    /// half-written). Source: https://hn.algolia.com/api (search_by_date example).
    #[test]
    fn a_hit_without_created_at_is_counted_as_unmapped() {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let hit = serde_json::json!({"objectID": "39003", "author": "pg", "title": "Orlen"});
        let mapped = metrics::with_local_recorder(&recorder, || to_mention(&hit));
        assert!(mapped.is_none());
        let unmapped: u64 = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter(|(key, ..)| key.key().name() == "earshot_collector_unmapped_items_total")
            .map(|(.., value)| match value {
                metrics_util::debugging::DebugValue::Counter(n) => n,
                _ => 0,
            })
            .sum();
        assert_eq!(unmapped, 1);
    }
}
