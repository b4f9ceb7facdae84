//! Newest-first listings that have a "next page" cursor but no "newer than" parameter
//! (Reddit's `after`, YouTube's `pageToken`).
//!
//! A poll sweeps from the newest page back until it reaches the newest item of the
//! previous sweep (its watermark), the end of the listing, or a page cap. The cursor
//! stored after every page holds the next page's cursor and the sweep's own newest item,
//! so a restart resumes the sweep, and the watermark only moves once a sweep is done:
//! items that arrive meanwhile are above it and the next sweep finds them.

use earshot_model::{Platform, RawMention};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::paginate::Page;

/// Where a sweeping job stands. `M` orders items the way the listing does (newest is
/// greatest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepCursor<M> {
    /// The newest item of the last finished sweep; a sweep stops when it reaches it.
    pub newest: Option<M>,
    /// A sweep still paging back.
    pub sweep: Option<Sweep<M>>,
}

impl<M> Default for SweepCursor<M> {
    fn default() -> Self {
        SweepCursor {
            newest: None,
            sweep: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep<M> {
    /// The platform's cursor for the next (older) page.
    pub next_page: String,
    pub pages_done: u32,
    /// The newest item of this sweep, the next watermark once it finishes.
    pub top: M,
    /// Empty answers in a row for `next_page`. A listing ends with no next cursor, so
    /// an empty page mid-sweep is retried on the next poll rather than taken as the
    /// end; only if it persists does the sweep end.
    #[serde(default)]
    pub empty_pages: u32,
}

/// Empty answers for one page cursor after which a sweep gives up on it.
const MAX_EMPTY_PAGES: u32 = 3;

/// What to do with one fetched page.
#[derive(Debug)]
pub(crate) struct Step<M> {
    /// Per item of the page: whether it is above the watermark (to be produced).
    pub is_new: Vec<bool>,
    pub cursor: SweepCursor<M>,
    pub more: bool,
}

impl<M> Step<M> {
    /// The items of a page that are above the watermark, in page order.
    pub fn new_items<'a, T>(&'a self, items: &'a [T]) -> impl Iterator<Item = &'a T> + 'a {
        items
            .iter()
            .zip(&self.is_new)
            .filter(|(_, new)| **new)
            .map(|(item, _)| item)
    }

    /// The page for the paging loop, carrying `mentions` and this step's cursor.
    pub fn into_page(self, mentions: Vec<RawMention>) -> Page<SweepCursor<M>> {
        Page {
            mentions,
            cursor: self.cursor,
            more: self.more,
            total_hint: None,
        }
    }
}

/// Advances `cursor` past a page whose items have `marks` (`None` for items that lack
/// them) and whose next-page cursor is `next_page` (`None` at the end).
pub(crate) fn step<M: Ord + Clone + std::fmt::Debug>(
    platform: Platform,
    job: &str,
    cursor: &SweepCursor<M>,
    marks: &[Option<M>],
    next_page: Option<String>,
    history_pages: u32,
) -> Result<Step<M>, Error> {
    let requested = cursor.sweep.as_ref().map(|s| s.next_page.as_str());
    if marks.is_empty()
        && let Some(sweep) = &cursor.sweep
        && sweep.empty_pages + 1 < MAX_EMPTY_PAGES
    {
        tracing::warn!(%platform, job, "empty page mid-sweep; retrying it next poll");
        let mut next = cursor.clone();
        if let Some(sweep) = next.sweep.as_mut() {
            sweep.empty_pages += 1;
        }
        return Ok(Step {
            is_new: Vec::new(),
            cursor: next,
            more: false,
        });
    }
    // A repeated next-page cursor would fetch this page again: fail before producing
    // anything, so the next poll asks again.
    let next_page = crate::paging::next_token(platform, Some(job), next_page, requested)?;
    let is_new: Vec<bool> = marks
        .iter()
        .map(|mark| match (mark, &cursor.newest) {
            (Some(mark), Some(newest)) => mark > newest,
            (Some(_), None) => true,
            (None, _) => false,
        })
        .collect();
    let reached_known = marks
        .iter()
        .zip(&is_new)
        .any(|(mark, new)| mark.is_some() && !new);
    let pages_done = cursor.sweep.as_ref().map_or(0, |s| s.pages_done) + 1;
    let top = cursor
        .sweep
        .as_ref()
        .map(|s| s.top.clone())
        .or_else(|| marks.iter().flatten().max().cloned());
    let next = match (next_page, top) {
        (Some(next_page), Some(top))
            if !reached_known && !marks.is_empty() && pages_done < history_pages =>
        {
            SweepCursor {
                newest: cursor.newest.clone(),
                sweep: Some(Sweep {
                    next_page,
                    pages_done,
                    top,
                    empty_pages: 0,
                }),
            }
        }
        (next_page, top) => {
            if next_page.is_some() && !reached_known && cursor.newest.is_some() {
                tracing::warn!(%platform, job, pages = pages_done, "page cap reached before the previous sweep's newest item: items in between are skipped");
            }
            SweepCursor {
                newest: match (cursor.newest.clone(), top) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
                sweep: None,
            }
        }
    };
    let more = next.sweep.is_some();
    Ok(Step {
        is_new,
        cursor: next,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(ids: &[u32]) -> Vec<Option<u32>> {
        ids.iter().copied().map(Some).collect()
    }

    #[test]
    fn sweeps_back_to_the_watermark() {
        let p = Platform::Reddit;
        let start = SweepCursor::default();
        let one = step(p, "j", &start, &marks(&[9, 8]), Some("a".into()), 10).unwrap();
        assert!(one.more && one.is_new == [true, true]);
        let two = step(p, "j", &one.cursor, &marks(&[7, 6]), None, 10).unwrap();
        assert!(!two.more);
        assert_eq!(two.cursor.newest, Some(9));
        // Next sweep: 11 and 10 are new, 9 is the watermark.
        let three = step(
            p,
            "j",
            &two.cursor,
            &marks(&[11, 10, 9]),
            Some("b".into()),
            10,
        )
        .unwrap();
        assert_eq!(three.is_new, [true, true, false]);
        assert!(!three.more);
        assert_eq!(three.cursor.newest, Some(11));
        // A repeated cursor fails; an empty page mid-sweep keeps the sweep.
        assert!(step(p, "j", &one.cursor, &marks(&[7]), Some("a".into()), 10).is_err());
        let empty = step(p, "j", &one.cursor, &[], None, 10).unwrap();
        assert!(!empty.more);
        assert_eq!(empty.cursor.sweep.as_ref().unwrap().empty_pages, 1);
    }
}
