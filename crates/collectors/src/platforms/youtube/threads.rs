//! `commentThreads.list` for one video or channel (the request live polls and backfills
//! share, quota included) and the live sweep built on it.
//!
//! There is no "newer than" parameter, so a live poll sweeps from the newest page back
//! to the newest comment of the previous sweep ([`crate::sweep`]).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::Platform;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::comment::{published_at, to_mention};
use super::quota::QuotaPlan;
use crate::config::Secret;
use crate::error::Error;
use crate::http::HttpPoller;
use crate::paginate::{Page, Paginator};
use crate::sweep::{self, SweepCursor};

/// Quota units one `commentThreads.list` call costs.
const LIST_COST: u64 = 1;

/// The comment threads of one video (`videoId`) or channel
/// (`allThreadsRelatedToChannelId`).
pub(super) struct ThreadsApi {
    pub poller: HttpPoller,
    pub url: Url,
    pub key: Secret,
    pub quota: Arc<QuotaPlan>,
    /// The filter parameter and the id.
    pub filter: (&'static str, String),
    pub max_results: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListResponse {
    #[serde(default)]
    pub items: Vec<Value>,
    pub next_page_token: Option<String>,
}

impl ThreadsApi {
    /// One page, newest first (`order=time`), spending a unit of the day's plan first.
    /// [`Error::QuotaExhausted`] when the plan is spent or YouTube answers
    /// `quotaExceeded`: no call is made (or counted) until the quota resets.
    pub async fn page(&self, page_token: Option<&str>) -> Result<ListResponse, Error> {
        if !self.quota.try_spend(LIST_COST, Utc::now()) {
            return Err(self.quota.spent_error(Utc::now()));
        }
        let max_results = self.max_results.to_string();
        let mut params = vec![
            ("part", "snippet"),
            (self.filter.0, self.filter.1.as_str()),
            ("maxResults", max_results.as_str()),
            ("order", "time"),
            ("textFormat", "plainText"),
        ];
        if let Some(token) = page_token {
            params.push(("pageToken", token));
        }
        let result = self
            .poller
            .get_json::<ListResponse>(|client| {
                client
                    .get(self.url.clone())
                    .query(&params)
                    .query(&[("key", self.key.expose())])
            })
            .await;
        match result {
            Ok(fetched) => Ok(fetched.body),
            Err(Error::Refused {
                status: 403, body, ..
            }) if body.contains("quotaExceeded") => {
                self.quota.exhaust(Utc::now());
                tracing::warn!(
                    "YouTube answered quotaExceeded; polling resumes after midnight Pacific time"
                );
                Err(self.quota.spent_error(Utc::now()))
            }
            Err(error) => Err(error),
        }
    }

    /// A `nextPageToken` (empty is none) that is not the one requested: following that
    /// would fetch the same page again, so it fails before anything is produced.
    pub fn next_token(
        &self,
        next: Option<String>,
        requested: Option<&str>,
    ) -> Result<Option<String>, Error> {
        crate::paging::next_token(Platform::Youtube, None, next, requested)
    }
}

/// A thread's place in `order=time`: publication time, then id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mark {
    pub published_at: DateTime<Utc>,
    pub id: String,
}

impl Mark {
    fn of(thread: &Value) -> Option<Mark> {
        Some(Mark {
            published_at: published_at(thread)?,
            id: thread["id"].as_str()?.to_string(),
        })
    }
}

/// Where a comment-thread job stands.
pub type ThreadsCursor = SweepCursor<Mark>;

/// The live job of one video or channel.
pub(super) struct CommentThreads {
    pub api: ThreadsApi,
    pub history_pages: u32,
}

#[async_trait]
impl Paginator for CommentThreads {
    type Cursor = ThreadsCursor;

    async fn fetch(&self, cursor: &ThreadsCursor) -> Result<Page<ThreadsCursor>, Error> {
        let requested = cursor.sweep.as_ref().map(|s| s.next_page.as_str());
        let response = match self.api.page(requested).await {
            Ok(response) => response,
            // Live polling waits for the reset quietly (the plan logs it once a day).
            Err(Error::QuotaExhausted { .. }) => {
                return Ok(Page::nothing(cursor.clone()));
            }
            Err(error) => return Err(error),
        };
        let marks: Vec<Option<Mark>> = response.items.iter().map(Mark::of).collect();
        let step = sweep::step(
            Platform::Youtube,
            &self.api.filter.1,
            cursor,
            &marks,
            response.next_page_token.filter(|t| !t.is_empty()),
            self.history_pages,
        )?;
        let mentions = step
            .new_items(&response.items)
            .filter_map(to_mention)
            .collect();
        Ok(step.into_page(mentions))
    }
}
