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

use super::comment::{published_at, to_mention};
use super::threads::ThreadsApi;
use crate::error::Error;
use crate::paginate::{Page, Paginator};
use crate::paging::RangeCursor;

/// Where a backfill job stands: the next page's `pageToken`.
pub type BackfillCursor = RangeCursor;

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
        let requested = cursor.next.as_deref();
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
        // Past `from`, or the last thread: done.
        let next = next.filter(|_| !past_from);
        Ok(RangeCursor::after(next).into_page(mentions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_stored_before_the_shared_range_cursor_still_load() {
        let old: BackfillCursor =
            serde_json::from_str(r#"{"page_token":"QURTSl9pM1h4","done":false}"#).unwrap();
        assert_eq!(old, RangeCursor::after(Some("QURTSl9pM1h4".into())));
        let finished: BackfillCursor =
            serde_json::from_str(r#"{"page_token":null,"done":true}"#).unwrap();
        assert_eq!(finished, RangeCursor::after(None));
    }
}
