//! Live hashtag timelines: `GET {instance}/api/v1/timelines/tag/{hashtag}`.
//!
//! Statuses come newest first, at most 40 per page, with a `Link` header: `rel="next"`
//! carries the `max_id` of the older page, `rel="prev"` the `min_id` of the newer one
//! (docs.joinmastodon.org/methods/timelines/#tag, /api/guidelines/#pagination). A job's
//! first poll takes the newest page and pages back up to `history_pages`; later polls
//! page forward with `min_id`, so they fetch only what is new.

use std::cmp::Ordering;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Instance, compare_ids};
use crate::error::Error;
use crate::paginate::{Page, Paginator};
use crate::platforms::link_header;

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

pub(super) struct TagTimeline {
    pub(super) instance: Instance,
    pub(super) tag: String,
    pub(super) history_pages: u32,
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
        let params: Vec<(&'static str, String)> = request
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect();
        let (statuses, link) = self.instance.tag_timeline(&self.tag, &params).await?;
        let mentions = self.instance.mentions(statuses.iter());
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
        let full = statuses.len() >= self.instance.page_limit as usize;

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
