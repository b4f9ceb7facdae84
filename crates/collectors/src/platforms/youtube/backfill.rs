//! YouTube backfill: the comment threads of each configured video and channel, newest
//! first (`order=time`), paged back with `pageToken` until threads are older than
//! `from`, producing those published in `[from, to)`.
//!
//! Every page spends a unit of the same daily plan live polling uses. When it is spent
//! the job stops with [`Error::QuotaExhausted`], saying when the quota resets; its
//! cursor (the next `pageToken`) stays stored, so running the backfill again after the
//! reset resumes where it stopped.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::RawMention;
use serde::{Deserialize, Serialize};

use super::comment::{published_at, to_mention};
use super::threads::ThreadsApi;
use crate::error::Error;
use crate::paginate::{Page, Paginator};

/// Where a backfill job stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillCursor {
    /// The next page's token; `None` before the first page.
    pub page_token: Option<String>,
    /// Paged back past `from`, or to the last thread.
    pub done: bool,
}

pub(super) struct ThreadsBackfill {
    pub api: ThreadsApi,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[async_trait]
impl Paginator for ThreadsBackfill {
    type Cursor = BackfillCursor;

    async fn fetch(&self, cursor: &BackfillCursor) -> Result<Page<BackfillCursor>, Error> {
        if cursor.done {
            return Ok(Page::nothing(cursor.clone()));
        }
        let requested = cursor.page_token.as_deref();
        let response = self.api.page(requested).await?;
        let next = self.api.next_token(response.next_page_token, requested)?;
        let range = self.from..self.to;
        let mentions: Vec<RawMention> = response
            .items
            .iter()
            .filter(|t| published_at(t).is_some_and(|at| range.contains(&at)))
            .filter_map(to_mention)
            .collect();
        let past_from = response
            .items
            .iter()
            .any(|t| published_at(t).is_some_and(|at| at < self.from));
        let next = match next {
            Some(token) if !past_from => BackfillCursor {
                page_token: Some(token),
                done: false,
            },
            _ => BackfillCursor {
                page_token: None,
                done: true,
            },
        };
        let more = !next.done;
        Ok(Page {
            mentions,
            cursor: next,
            more,
            total_hint: None,
        })
    }
}
