//! Reddit backfill: search newest first (`sort=new&t=all`, within `subreddits` if
//! configured) and page back with `after` until links are older than `from`, producing
//! the links created in `[from, to)`.
//!
//! Reddit has no time-range parameter for search, and a Listing stops after about 1,000
//! links. Links newer than `to` are paged through (and count towards that cap) before the
//! range is reached, so a range far in the past, or a busy keyword, may lie partly or
//! wholly beyond the cap: the job then ends with a warning naming the oldest link it
//! reached, since nothing older can be fetched.
//!
//! The cursor (`after`, links listed, done) is stored after every page under a job id
//! naming the range, so an interrupted backfill resumes and a finished one does nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::{Platform, RawMention};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::auth::Api;
use super::links::{created_utc, to_mention};
use super::search::{scope, search_params, search_url};
use super::{LISTING_CAP, RedditConfig};
use crate::error::Error;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::paging::RangeCursor;
use earshot_runtime::InternalEvent;

/// Where a backfill job stands: the next page's `after`, and the links listed so far.
pub type BackfillCursor = RangeCursor<Listed>;

/// Reddit's own part of a [`BackfillCursor`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// Links listed so far, to tell the listing cap from the end of the results.
    #[serde(default)]
    pub listed: u64,
}

/// One job per keyword (`backfill:reddit:orlen:FROM..TO`, with `r/a+b:` before the
/// keyword when search is restricted to subreddits).
pub(super) fn jobs(
    api: &Arc<Api>,
    config: &RedditConfig,
    keywords: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Arc<dyn Job>> {
    let subreddits = super::subreddit_names(&config.subreddits);
    let scope = scope(&subreddits);
    let (from, to) = (from.timestamp(), to.timestamp());
    keywords
        .iter()
        .map(|query| {
            let id = format!("backfill:reddit:{scope}{query}:{from}..{to}");
            let backfill = LinkBackfill {
                api: api.clone(),
                url: search_url(api, &subreddits),
                params: search_params(query, !subreddits.is_empty(), config.page_limit),
                job: id.clone(),
                from,
                to,
                page_limit: config.page_limit,
            };
            Arc::new(PaginatedJob::new(id, Platform::Reddit, backfill)) as Arc<dyn Job>
        })
        .collect()
}

struct LinkBackfill {
    api: Arc<Api>,
    url: Url,
    params: Vec<(&'static str, String)>,
    job: String,
    /// `[from, to)` in unix seconds.
    from: i64,
    to: i64,
    page_limit: u32,
}

/// What one page means for the walk back.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Ask for the page after this link.
    Page(String),
    /// Reached a link older than `from`, or the end of the results.
    Done,
    /// The listing ended near its cap with every link still newer than `from`.
    Capped,
}

/// Decides how to go on after a page of `links` (newest first) with `next` as its
/// `after`, `listed` links having been listed so far including these.
fn next_step(
    links: &[Value],
    next: Option<String>,
    from: i64,
    listed: u64,
    page_limit: u32,
) -> Next {
    if links
        .iter()
        .any(|l| created_utc(l).is_some_and(|t| t < from))
    {
        return Next::Done;
    }
    match next {
        Some(after) if !links.is_empty() => Next::Page(after),
        // Within a page of the cap: the listing was cut off, not exhausted.
        _ if listed + u64::from(page_limit.min(100)) > LISTING_CAP => Next::Capped,
        _ => Next::Done,
    }
}

#[async_trait]
impl Paginator for LinkBackfill {
    type Cursor = BackfillCursor;

    async fn fetch(&self, cursor: &BackfillCursor) -> Result<Page<BackfillCursor>, Error> {
        if cursor.done {
            return Ok(Page::nothing(cursor.clone()));
        }
        let requested = cursor.next.as_deref();
        let (links, next) = self
            .api
            .listing(&self.url, &self.params, requested)
            .await?
            .links(&self.job);
        let next = crate::paging::next_token(Platform::Reddit, Some(&self.job), next, requested)?;
        let listed = cursor.state.listed + links.len() as u64;
        let mentions: Vec<RawMention> = links
            .iter()
            .filter(|l| created_utc(l).is_some_and(|t| (self.from..self.to).contains(&t)))
            .filter_map(to_mention)
            .collect();
        let step = next_step(&links, next, self.from, listed, self.page_limit);
        if step == Next::Capped {
            let oldest = links
                .iter()
                .filter_map(created_utc)
                .min()
                .and_then(|t| DateTime::from_timestamp(t, 0));
            crate::internal_events::ListingCapped {
                platform: Platform::Reddit,
                job: &self.job,
                listed,
                oldest,
            }
            .emit();
        }
        let next = match step {
            Next::Page(after) => Some(after),
            Next::Done | Next::Capped => None,
        };
        Ok(RangeCursor::after_with(next, Listed { listed }).into_page(mentions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(times: &[i64]) -> Vec<Value> {
        times
            .iter()
            .map(|t| serde_json::json!({"name": format!("t3_{t}"), "created_utc": *t as f64}))
            .collect()
    }

    #[test]
    fn walks_back_to_from_and_tells_the_cap_from_the_end() {
        let next = Some("t3_x".to_string());
        // Still newer than `from`: go on.
        assert_eq!(
            next_step(&links(&[30, 20]), next.clone(), 10, 2, 100),
            Next::Page("t3_x".into())
        );
        // A link older than `from`: done, whatever `after` says.
        assert_eq!(
            next_step(&links(&[20, 5]), next.clone(), 10, 4, 100),
            Next::Done
        );
        // The end of the results, far below the cap: done.
        assert_eq!(next_step(&links(&[20]), None, 10, 40, 100), Next::Done);
        assert_eq!(next_step(&[], next, 10, 40, 100), Next::Done);
        // The end near 1,000 links with everything newer than `from`: the cap.
        assert_eq!(next_step(&links(&[20]), None, 10, 1000, 100), Next::Capped);
        assert_eq!(next_step(&links(&[20]), None, 10, 960, 100), Next::Capped);
        assert_eq!(next_step(&links(&[20]), None, 10, 960, 25), Next::Done);
    }

    #[test]
    fn cursors_stored_before_the_shared_range_cursor_still_load() {
        let old: BackfillCursor =
            serde_json::from_str(r#"{"after":"t3_1b2c3d","listed":200,"done":false}"#).unwrap();
        assert_eq!(
            old,
            RangeCursor::after_with(Some("t3_1b2c3d".into()), Listed { listed: 200 })
        );
        let finished: BackfillCursor =
            serde_json::from_str(r#"{"after":null,"listed":1000,"done":true}"#).unwrap();
        assert!(finished.done && finished.next.is_none());
        assert_eq!(finished.state.listed, 1000);
        // And the new form round-trips.
        let json = serde_json::to_string(&old).unwrap();
        assert_eq!(json, r#"{"next":"t3_1b2c3d","done":false,"listed":200}"#);
        assert_eq!(serde_json::from_str::<BackfillCursor>(&json).unwrap(), old);
    }
}
