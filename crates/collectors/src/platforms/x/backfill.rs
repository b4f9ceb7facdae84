//! X backfill: one search over `[from, to)` with `start_time`/`end_time`, paged back
//! with `next_token` to the end of the range, on full-archive search
//! (`/2/tweets/search/all`) or, for ranges within the last seven days, recent search.
//!
//! `end_time` must be at least 10 seconds before the request, so a range reaching into
//! the present ends a little before the first page is fetched; that end is kept in the
//! cursor, so every page of the walk asks the same question and `next_token` stays
//! valid across a restart. Full-archive pages may be empty yet carry a `next_token`
//! (sparse matches over a long range): the walk follows it.

use async_trait::async_trait;
use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::search::Endpoint;
use crate::error::Error;
use crate::paginate::{Page, Paginator};
use crate::paging::RangeCursor;

/// How long before a request its `end_time` must lie, with a margin for the trip.
const END_TIME_LAG: ChronoDuration = ChronoDuration::seconds(15);

/// Where a backfill job stands: the next page's `next_token`, and the walk's end.
pub type BackfillCursor = RangeCursor<EndTime>;

/// X's own part of a [`BackfillCursor`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndTime {
    /// The `end_time` of this walk, fixed at its first page.
    #[serde(default)]
    pub end_time: Option<DateTime<Utc>>,
}

pub(super) struct RangeSearch {
    pub endpoint: Endpoint,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// `YYYY-MM-DDTHH:mm:ssZ`, the second granularity X takes.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `at` rounded up to a whole second, so an exclusive end loses nothing.
fn ceil_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let floor = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
    if floor < at {
        floor + ChronoDuration::seconds(1)
    } else {
        floor
    }
}

#[async_trait]
impl Paginator for RangeSearch {
    type Cursor = BackfillCursor;

    async fn fetch(&self, cursor: &BackfillCursor) -> Result<Page<BackfillCursor>, Error> {
        let end = cursor
            .state
            .end_time
            .unwrap_or_else(|| self.to.min(Utc::now() - END_TIME_LAG));
        let state = EndTime {
            end_time: Some(end),
        };
        if cursor.done || end <= self.from {
            return Ok(RangeCursor::after_with(None, state).into_page(Vec::new()));
        }
        if end < self.to && cursor.state.end_time.is_none() {
            tracing::info!(query = %self.endpoint.query, end = %end, "the range reaches into the present; X serves it up to 15 s ago");
        }
        let window = vec![
            // Second granularity: the start rounds down and the end up; the filter
            // below keeps the range exact.
            ("start_time", timestamp(self.from)),
            ("end_time", timestamp(ceil_second(end))),
        ];
        let page = self.endpoint.page(&window, cursor.next.as_deref()).await?;
        let range = self.from..end;
        let mentions = page
            .mentions
            .into_iter()
            .filter(|m| range.contains(&m.created_at))
            .collect();
        Ok(RangeCursor::after_with(page.next_token, state).into_page(mentions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_whole_seconds_that_lose_nothing() {
        let at: DateTime<Utc> = "2026-03-12T08:00:00.250Z".parse().unwrap();
        assert_eq!(timestamp(at), "2026-03-12T08:00:00Z");
        assert_eq!(timestamp(ceil_second(at)), "2026-03-12T08:00:01Z");
        let whole: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        assert_eq!(ceil_second(whole), whole);
    }

    #[test]
    fn cursors_stored_before_the_shared_range_cursor_still_load() {
        let old: BackfillCursor = serde_json::from_str(
            r#"{"next_token":"b26v89c19zqg8o3fr5","end_time":"2026-03-12T08:00:00Z","done":false}"#,
        )
        .unwrap();
        let end: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        assert_eq!(
            old,
            RangeCursor::after_with(
                Some("b26v89c19zqg8o3fr5".into()),
                EndTime {
                    end_time: Some(end)
                }
            )
        );
        let fresh: BackfillCursor =
            serde_json::from_str(r#"{"next_token":null,"end_time":null,"done":false}"#).unwrap();
        assert_eq!(fresh, BackfillCursor::default());
    }
}
