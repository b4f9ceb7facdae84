//! Helpers every platform's API mapping uses, so a platform module is its config, its
//! endpoint and its mapping: joining paths onto a base URL, refusing a next-page token
//! that repeats the one requested, reading one item of a page without cloning it, and
//! the cursor of a backfill that walks a fixed range.

use earshot_model::Platform;
use earshot_runtime::InternalEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::Error;
use crate::internal_events::{ItemUnmapped, RepeatedCursor};

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
/// repeated token would fetch the same page forever, so it fails the poll before
/// anything is produced (and the next poll asks again).
pub fn next_token(
    platform: Platform,
    next: Option<String>,
    requested: Option<&str>,
) -> Result<Option<String>, Error> {
    let next = next.filter(|t| !t.is_empty());
    if let Some(token) = next.as_deref()
        && Some(token) == requested
    {
        RepeatedCursor {
            platform,
            job: None,
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

/// The cursor of a backfill over a fixed `[from, to)`: the platform's token for the
/// next (older) page, and whether the range is done. `Default` is a range not started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCursor {
    /// The next page's token (or page number, as text); `None` before the first page.
    pub next: Option<String>,
    /// Every page of the range has been produced.
    pub done: bool,
}

impl RangeCursor {
    /// The cursor after a page that pointed at `next` (`None`: the range is done).
    pub fn after(next: Option<String>) -> Self {
        RangeCursor {
            done: next.is_none(),
            next,
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
            next_token(Platform::X, Some("b".into()), Some("a"))
                .unwrap()
                .as_deref(),
            Some("b")
        );
        assert_eq!(
            next_token(Platform::X, Some(String::new()), Some("a")).unwrap(),
            None
        );
        assert_eq!(next_token(Platform::X, None, None).unwrap(), None);
        assert_eq!(recorder.count("RepeatedCursor"), 0);
        let error = next_token(Platform::X, Some("a".into()), Some("a")).unwrap_err();
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
        assert!(!RangeCursor::default().done);
        assert_eq!(
            RangeCursor::after(Some("2".into())),
            RangeCursor {
                next: Some("2".into()),
                done: false
            }
        );
        assert!(RangeCursor::after(None).done);
    }
}
