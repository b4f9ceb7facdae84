//! The search request both X endpoints share (`/2/tweets/search/recent` and
//! `/2/tweets/search/all` take the same query, fields, expansions and `next_token`, and
//! answer in the same shape), and the live recent-search sweep built on it.
//!
//! A live poll asks for posts newer than the newest one produced (`since_id`) and pages
//! back through them with `next_token`, storing the token after every page so a restart
//! resumes the sweep; once the sweep ends, its newest id becomes the next `since_id`. A
//! job's first poll reads `history_pages` pages back.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use earshot_model::{Platform, RawMention};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::post::to_mention;
use crate::config::Secret;
use crate::error::Error;
use crate::http::HttpPoller;
use crate::paginate::{Page, Paginator};

/// `entities` carries the expanded form of each `t.co` link (a brand's domain can only
/// match that), `note_tweet` the full text of a post over 280 characters.
pub(super) const TWEET_FIELDS: &str =
    "created_at,lang,public_metrics,author_id,entities,note_tweet";
const USER_FIELDS: &str = "description,public_metrics,verified,created_at,username,name";

/// Spaces requests at least `interval` apart, for limits stated per second that no
/// rate-limit header announces (full-archive search: 1 request/s per app).
pub(super) struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl Pacer {
    pub fn new(interval: Duration) -> Self {
        Pacer {
            interval,
            next: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let mut next = self.next.lock().await;
        tokio::time::sleep_until(*next).await;
        *next = Instant::now() + self.interval;
    }
}

/// One X search endpoint for one query.
pub(super) struct Endpoint {
    pub poller: HttpPoller,
    pub url: Url,
    pub token: Secret,
    pub query: String,
    pub max_results: u32,
    /// Full-archive search: paced, and a 403 explained (it needs Pro or Enterprise).
    pub archive: Option<Arc<Pacer>>,
}

/// One page of results, mapped.
pub(super) struct SearchPage {
    pub mentions: Vec<RawMention>,
    /// `meta.newest_id`, else the greatest id on the page.
    pub newest_id: Option<String>,
    pub next_token: Option<String>,
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

impl Endpoint {
    /// Fetches one page: the query with `window` (`since_id`, or `start_time` and
    /// `end_time`) and, past the first page, `next_token`. A `next_token` that repeats
    /// the one requested would loop or repeat a page: it fails the poll before anything
    /// is produced, so the next poll asks again.
    pub async fn page(
        &self,
        window: &[(&'static str, String)],
        next_token: Option<&str>,
    ) -> Result<SearchPage, Error> {
        let max_results = self.max_results.to_string();
        let mut params = vec![
            ("query", self.query.as_str()),
            ("max_results", max_results.as_str()),
            ("tweet.fields", TWEET_FIELDS),
            ("expansions", "author_id"),
            ("user.fields", USER_FIELDS),
        ];
        params.extend(window.iter().map(|(k, v)| (*k, v.as_str())));
        if let Some(token) = next_token {
            params.push(("next_token", token));
        }
        if let Some(pacer) = &self.archive {
            pacer.wait().await;
        }
        let response = self
            .poller
            .get_json::<SearchResponse>(|client| {
                client
                    .get(self.url.clone())
                    .query(&params)
                    .bearer_auth(self.token.expose())
            })
            .await
            .map_err(|error| self.explain(error))?
            .body;
        let next =
            crate::paging::next_token(Platform::X, None, response.meta.next_token, next_token)?;
        let users: HashMap<&str, &Value> = response
            .includes
            .users
            .iter()
            .filter_map(|u| Some((u["id"].as_str()?, u)))
            .collect();
        let mentions = response
            .data
            .iter()
            .filter_map(|p| {
                let user = p["author_id"].as_str().and_then(|a| users.get(a).copied());
                to_mention(p, user)
            })
            .collect();
        let newest_id = response.meta.newest_id.clone().or_else(|| {
            response
                .data
                .iter()
                .filter_map(|p| p["id"].as_str())
                .max_by(|a, b| compare_ids(a, b))
                .map(str::to_string)
        });
        Ok(SearchPage {
            mentions,
            newest_id,
            next_token: next,
        })
    }

    /// Full-archive search answers 403 to apps without Pro or Enterprise access; say
    /// what to change rather than only relaying X's words.
    fn explain(&self, error: Error) -> Error {
        match error {
            Error::Refused {
                platform,
                status: 403,
                body,
            } if self.archive.is_some() => Error::Refused {
                platform,
                status: 403,
                body: format!(
                    "{body} (full-archive search needs Pro or Enterprise access; without it set \
                     collectors.x.full_archive = false and backfill only the last 7 days)"
                ),
            },
            error => error,
        }
    }
}

/// Post ids are numeric strings; compare them as numbers without parsing.
pub(super) fn compare_ids(a: &str, b: &str) -> Ordering {
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

/// The live job: recent search since the newest post produced.
pub(super) struct RecentSearch {
    pub endpoint: Endpoint,
    pub history_pages: u32,
}

#[async_trait]
impl Paginator for RecentSearch {
    type Cursor = RecentCursor;

    async fn fetch(&self, cursor: &RecentCursor) -> Result<Page<RecentCursor>, Error> {
        let window: Vec<(&'static str, String)> = cursor
            .newest_id
            .iter()
            .map(|since| ("since_id", since.clone()))
            .collect();
        let requested = cursor.sweep.as_ref().map(|s| s.next_token.as_str());
        let page = self.endpoint.page(&window, requested).await?;
        // `since_id` is exclusive on X; guard against a server that is not.
        let mentions = page
            .mentions
            .into_iter()
            .filter(|m| {
                cursor
                    .newest_id
                    .as_deref()
                    .is_none_or(|since| compare_ids(&m.platform_id, since) == Ordering::Greater)
            })
            .collect();
        let top = cursor
            .sweep
            .as_ref()
            .map(|s| s.top_id.clone())
            .or(page.newest_id);
        let pages_done = cursor.sweep.as_ref().map_or(0, |s| s.pages_done) + 1;
        let next = match (page.next_token, top) {
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
                    tracing::warn!(query = %self.endpoint.query, pages = pages_done, "history_pages reached before since_id: older posts of this sweep are skipped");
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
