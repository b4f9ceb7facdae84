//! Live status search: `GET {instance}/api/v2/search?q=…&type=statuses&resolve=false
//! &limit=…&max_id=…&min_id=…` (docs.joinmastodon.org/methods/search/#v2).
//!
//! Results come newest first by id, and `min_id`/`max_id` only bound the range (Mastodon
//! turns them into `after:`/`before:` search filters): unlike a timeline, `min_id` does
//! not page forward from a cursor, it returns the *newest* matches above it. So a poll
//! sweeps ([`crate::sweep`]) from the newest page back with `max_id` = the oldest id of
//! the page before, bounded below by the newest id of the previous sweep, until a page
//! comes back short or reaches that id.
//!
//! Searching statuses needs a user token (Mastodon answers an anonymous statuses search
//! with nothing), and instances without Elasticsearch return nothing either; the
//! searchable statuses are those of accounts that opted into search (4.2+) plus the
//! user's own, mentions, favourites and bookmarks.

use async_trait::async_trait;
use earshot_model::Platform;

use super::{Instance, StatusId};
use crate::error::Error;
use crate::paginate::{Page, Paginator};
use crate::sweep::{self, SweepCursor};

/// Where a search job stands: the next page's `max_id` and the newest status seen.
pub type SearchCursor = SweepCursor<StatusId>;

pub(super) struct StatusSearch {
    pub(super) instance: Instance,
    /// The job id, for logs.
    pub(super) job: String,
    pub(super) query: String,
    pub(super) history_pages: u32,
}

#[async_trait]
impl Paginator for StatusSearch {
    type Cursor = SearchCursor;

    async fn fetch(&self, cursor: &SearchCursor) -> Result<Page<SearchCursor>, Error> {
        let mut params: Vec<(&'static str, String)> = Vec::new();
        if let Some(sweep) = &cursor.sweep {
            params.push(("max_id", sweep.next_page.clone()));
        }
        if let Some(newest) = &cursor.newest {
            params.push(("min_id", newest.0.clone()));
        }
        let statuses = self.instance.search_statuses(&self.query, &params).await?;
        let marks: Vec<Option<StatusId>> = statuses.iter().map(StatusId::of).collect();
        // A short page is the last one; a full one continues below its oldest status.
        let next_page = (statuses.len() >= self.instance.page_limit as usize)
            .then(|| marks.iter().flatten().min().map(|id| id.0.clone()))
            .flatten();
        let step = sweep::step(
            Platform::Mastodon,
            &self.job,
            cursor,
            &marks,
            next_page,
            self.history_pages,
        )?;
        let mentions = self.instance.mentions(step.new_items(&statuses));
        Ok(step.into_page(mentions))
    }
}
