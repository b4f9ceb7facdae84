//! Helpers every platform's API mapping uses, so a platform module is its config, its
//! endpoint and its mapping: joining paths onto a base URL, refusing a next-page token
//! that repeats the one requested, reading one item of a page without cloning it, and
//! the cursor of a backfill that walks a fixed range.

use earshot_model::{Platform, RawMention};
use earshot_runtime::InternalEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::Error;
use crate::internal_events::{ItemUnmapped, RepeatedCursor};
use crate::paginate::Page;

/// `base` with `segments` appended as path segments (each percent-encoded), whether or
/// not `base` ends in `/`: `https://host/x/` + `["api", "v3"]` is `https://host/x/api/v3`.
/// `base` must be an http(s) URL, as [`crate::config::parse_base_url`] checks.
pub fn join_url<S: AsRef<str>>(base: &Url, segments: impl IntoIterator<Item = S>) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("validated http(s) base URL")
        .pop_if_empty()
        .extend(segments);
    url
}

/// A next-page token (empty is none) checked against the one requested: following a
/// repeated token would fetch the same page forever, so it ends the poll with a
/// [`RepeatedCursor`] event (a counted warning) and an error, before anything of the
/// page is produced or its cursor stored (the next poll asks again). Every platform
/// that pages by an opaque token goes through here; `job` names the job in the event.
pub fn next_token(
    platform: Platform,
    job: Option<&str>,
    next: Option<String>,
    requested: Option<&str>,
) -> Result<Option<String>, Error> {
    let next = next.filter(|t| !t.is_empty());
    if let Some(token) = next.as_deref()
        && Some(token) == requested
    {
        RepeatedCursor {
            platform,
            job,
            cursor: token,
        }
        .emit();
        return Err(Error::Malformed {
            platform,
            reason: "the next-page cursor repeats the one requested".into(),
        });
    }
    Ok(next)
}

/// Reads one item of a page as the platform's type `T`, borrowing `value` (no clone);
/// an item that does not fit is skipped with an [`ItemUnmapped`] event, so one odd
/// item never fails its page. `what` names the item in the log (`status`, `post`).
pub fn read_item<T: DeserializeOwned>(platform: Platform, what: &str, value: &Value) -> Option<T> {
    match T::deserialize(value) {
        Ok(item) => Some(item),
        Err(error) => {
            ItemUnmapped {
                platform,
                what,
                reason: &error.to_string(),
            }
            .emit();
            None
        }
    }
}

/// The cursor of a backfill over a fixed `[from, to)`, shared by every platform: the
/// platform's token for the next (older) page, whether the range is done, and any state
/// of the platform's own (`S`, flattened into the same JSON object: Reddit's links
/// listed, X's fixed `end_time`). `Default` is a range not started.
///
/// Cursors stored before the platforms shared this type named the token after the
/// platform's parameter (`max_id`, `after`, `page_token`, `next_token`, `cursor`); those
/// names still load, so a backfill interrupted before an upgrade resumes after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCursor<S = NoState> {
    /// The next page's token (or page number, as text); `None` before the first page.
    #[serde(
        default,
        alias = "max_id",
        alias = "after",
        alias = "page_token",
        alias = "next_token",
        alias = "cursor"
    )]
    pub next: Option<String>,
    /// Every page of the range has been produced.
    #[serde(default)]
    pub done: bool,
    /// The platform's own state, kept beside the token.
    #[serde(flatten)]
    pub state: S,
}

/// The platform state of a [`RangeCursor`] that needs none (adds nothing to the JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoState {}

impl<S: Default> RangeCursor<S> {
    /// The cursor after a page that pointed at `next` (`None`: the range is done).
    pub fn after(next: Option<String>) -> Self {
        RangeCursor::after_with(next, S::default())
    }
}

impl<S> RangeCursor<S> {
    /// [`RangeCursor::after`], with the platform's state.
    pub fn after_with(next: Option<String>, state: S) -> Self {
        RangeCursor {
            done: next.is_none(),
            next,
            state,
        }
    }

    /// The page for the paging loop: `mentions`, this cursor, and more to come unless
    /// the range is done.
    pub fn into_page(self, mentions: Vec<RawMention>) -> Page<Self> {
        Page {
            mentions,
            more: !self.done,
            cursor: self,
            total_hint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_runtime::events::EventRecorder;

    #[test]
    fn joins_with_or_without_a_trailing_slash() {
        for base in [
            "https://lemmy.ml",
            "https://lemmy.ml/",
            "https://h.example/sub/",
        ] {
            let url = join_url(&Url::parse(base).unwrap(), ["api", "v3", "search"]);
            assert!(url.as_str().ends_with("/api/v3/search"), "{url}");
            assert!(!url.as_str().contains("//api"), "{url}");
        }
        let odd = join_url(&Url::parse("https://h.example").unwrap(), ["a b", "c/d"]);
        assert_eq!(odd.as_str(), "https://h.example/a%20b/c%2Fd");
    }

    #[test]
    fn a_repeated_token_fails_and_is_counted() {
        let recorder = EventRecorder::start();
        assert_eq!(
            next_token(Platform::X, None, Some("b".into()), Some("a"))
                .unwrap()
                .as_deref(),
            Some("b")
        );
        assert_eq!(
            next_token(Platform::X, None, Some(String::new()), Some("a")).unwrap(),
            None
        );
        assert_eq!(next_token(Platform::X, None, None, None).unwrap(), None);
        assert_eq!(recorder.count("RepeatedCursor"), 0);
        let error = next_token(Platform::X, None, Some("a".into()), Some("a")).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Malformed {
                    platform: Platform::X,
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(recorder.count("RepeatedCursor"), 1);
    }

    #[test]
    fn unreadable_items_are_skipped_with_an_event() {
        #[derive(Deserialize)]
        struct Item {
            id: u64,
        }
        let recorder = EventRecorder::start();
        let ok = read_item::<Item>(Platform::Rss, "item", &serde_json::json!({"id": 7}));
        assert_eq!(ok.map(|i| i.id), Some(7));
        assert!(
            read_item::<Item>(Platform::Rss, "item", &serde_json::json!({"id": "x"})).is_none()
        );
        let events = recorder.find("ItemUnmapped");
        assert_eq!(events.len(), 1);
        assert!(events[0].contains("Rss"), "{events:?}");
    }

    #[test]
    fn range_cursors_end_without_a_next_page() {
        assert!(!RangeCursor::<NoState>::default().done);
        assert_eq!(
            RangeCursor::after(Some("2".into())),
            RangeCursor {
                next: Some("2".into()),
                done: false,
                state: NoState {}
            }
        );
        assert!(RangeCursor::<NoState>::after(None).done);
    }
}
