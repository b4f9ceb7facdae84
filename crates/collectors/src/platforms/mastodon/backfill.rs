//! Backfill: a hashtag timeline or a status search paged back over `[from, to)`.
//!
//! Mastodon ids are snowflakes, `unix_ms << 16` plus 16 bits of sequence
//! (`lib/mastodon/snowflake.rb` in github.com/mastodon/mastodon), so a date converts to an id bound without any lookup:
//! a page is asked for with `max_id` (below `to`) and a lower bound above `from`
//! (`since_id` on a timeline, where `min_id` would page forward from the bottom instead;
//! `min_id` on search, where it is a range filter). Statuses fetched from other servers
//! get their id from their `created_at` with a random millisecond within that second, so
//! ids and dates can disagree slightly: the id bounds are widened by [`ID_MARGIN`], and
//! only statuses whose `created_at` is in `[from, to)` are produced.
//!
//! The cursor is the `max_id` of the next (older) page, stored after every page: a
//! killed backfill resumes there, and a finished one (`done`) makes no request at all.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use earshot_model::Platform;
use serde_json::Value;

use super::{Instance, StatusId, compare_ids};
use crate::error::Error;
use crate::paginate::{Page, Paginator};
use crate::paging::RangeCursor;

/// How far the id bounds reach beyond the range, for ids minted from a remote status's
/// `created_at` (up to a second off) and for clocks of servers that drift a little.
pub(crate) const ID_MARGIN: Duration = Duration::seconds(60);

/// The smallest snowflake id of instant `at`: every status created at `at` or later has
/// an id at least this (`Mastodon::Snowflake.id_at` in github.com/mastodon/mastodon).
pub(crate) fn snowflake_at(at: DateTime<Utc>) -> String {
    ((at.timestamp_millis().max(0) as u64) << 16).to_string()
}

/// What a backfill job pages through.
pub(super) enum Source {
    Hashtag(String),
    Search(String),
}

pub(super) struct RangeBackfill {
    pub(super) instance: Instance,
    pub(super) source: Source,
    pub(super) from: DateTime<Utc>,
    pub(super) to: DateTime<Utc>,
}

impl RangeBackfill {
    async fn page(&self, max_id: &str, floor: &str) -> Result<Vec<Value>, Error> {
        let (max_id, floor) = (max_id.to_string(), floor.to_string());
        match &self.source {
            Source::Hashtag(tag) => Ok(self
                .instance
                .tag_timeline(tag, &[("max_id", max_id), ("since_id", floor)])
                .await?
                .0),
            Source::Search(query) => {
                self.instance
                    .search_statuses(query, &[("max_id", max_id), ("min_id", floor)])
                    .await
            }
        }
    }
}

#[async_trait]
impl Paginator for RangeBackfill {
    type Cursor = RangeCursor;

    async fn fetch(&self, cursor: &RangeCursor) -> Result<Page<RangeCursor>, Error> {
        if cursor.done {
            return Ok(Page::nothing(cursor.clone()));
        }
        let max_id = cursor
            .next
            .clone()
            .unwrap_or_else(|| snowflake_at(self.to + ID_MARGIN));
        let floor = snowflake_at(self.from - ID_MARGIN);
        let statuses = self.page(&max_id, &floor).await?;
        // Only statuses inside the id window asked for count: a server ignoring a bound
        // must neither make the backfill loop nor leak statuses outside the range.
        let in_window: Vec<&Value> = statuses
            .iter()
            .filter(|s| {
                s["id"].as_str().is_some_and(|id| {
                    compare_ids(id, &max_id).is_lt() && compare_ids(id, &floor).is_gt()
                })
            })
            .collect();
        let full = statuses.len() >= self.instance.page_limit as usize;
        let oldest = in_window.iter().filter_map(|s| StatusId::of(s)).min();
        if full && oldest.is_none() {
            return Err(Error::Malformed {
                platform: Platform::Mastodon,
                reason: format!("a full page without a status below max_id {max_id}"),
            });
        }
        let mentions = self
            .instance
            .mentions(in_window.into_iter())
            .into_iter()
            .filter(|m| m.created_at >= self.from && m.created_at < self.to)
            .collect();
        // A short page is the oldest one.
        let next = oldest.filter(|_| full).map(|oldest| oldest.0);
        Ok(RangeCursor::after(next).into_page(mentions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_snowflake_bounds() {
        // The sample status 116215614634131855 was created at 09:59:09.471Z.
        let at: DateTime<Utc> = "2026-03-12T09:59:09.471Z".parse().unwrap();
        let id = 116_215_614_634_131_855u64;
        assert_eq!(id >> 16, at.timestamp_millis() as u64);
        let low = snowflake_at(at);
        let high = snowflake_at(at + Duration::milliseconds(1));
        assert!(compare_ids(&low, &id.to_string()).is_le());
        assert!(compare_ids(&high, &id.to_string()).is_gt());
        assert_eq!(snowflake_at(DateTime::UNIX_EPOCH - Duration::days(1)), "0");
    }

    #[test]
    fn cursors_stored_before_the_shared_range_cursor_still_load() {
        let old: RangeCursor =
            serde_json::from_str(r#"{"max_id":"116215614634131855","done":false}"#).unwrap();
        assert_eq!(old, RangeCursor::after(Some("116215614634131855".into())));
        let finished: RangeCursor = serde_json::from_str(r#"{"max_id":"1","done":true}"#).unwrap();
        assert!(finished.done);
    }
}
