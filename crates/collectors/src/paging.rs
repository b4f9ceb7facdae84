//! Helpers every platform's API mapping uses, so a platform module is its config, its
//! endpoint and its mapping: joining paths onto a base URL, refusing a next-page token
//! that repeats the one requested, reading one item of a page without cloning it, and
//! the cursor of a backfill that walks a fixed range.

use chrono::{DateTime, Utc};
use earshot_model::{Author, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION};
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

/// The mention of `platform`'s item `platform_id`, created at `created_at`, keeping
/// `raw` (the item as received): what every platform's mapping fills the same way
/// (schema version, mention id, collection time, and the origin and source the paging
/// loop stamps). A mapping sets the rest with struct update syntax:
/// `RawMention { text, author, ..paging::mention(Platform::Lemmy, id, at, raw) }`.
pub fn mention(
    platform: Platform,
    platform_id: String,
    created_at: DateTime<Utc>,
    raw: Value,
) -> RawMention {
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(platform, &platform_id),
        platform,
        platform_id,
        url: String::new(),
        text: String::new(),
        created_at,
        collected_at: Utc::now(),
        author: Author::default(),
        engagement: Default::default(),
        language_hint: None,
        origin: Origin::Live,
        source: String::new(),
        raw: raw.into(),
    }
}

/// An author the platform tells only by id and name (its handle is the name): no bio,
/// follower count or account age without a call per author.
pub fn named_author(id: String, name: String) -> Author {
    Author {
        id,
        handle: name.clone(),
        name,
        ..Author::default()
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

/// Property tests of the cursors and paging helpers.
#[cfg(test)]
mod properties {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use async_trait::async_trait;
    use earshot_model::Origin;
    use proptest::prelude::*;

    use super::*;
    use crate::jobs::{Job, JobContext};
    use crate::paginate::{PaginatedJob, Paginator};

    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
    struct Listed {
        #[serde(default)]
        listed: u64,
    }

    /// A backfill over fixed `pages` (the token is the next page's number) that fails
    /// once, when first asked for page `crash_at`: a collector killed there. It records
    /// every page asked for.
    struct FixedRange {
        pages: Vec<Vec<String>>,
        crash_at: usize,
        crashed: AtomicBool,
        asked: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl Paginator for FixedRange {
        type Cursor = RangeCursor<Listed>;

        async fn fetch(&self, cursor: &Self::Cursor) -> Result<Page<Self::Cursor>, Error> {
            if cursor.done {
                return Ok(Page::nothing(cursor.clone()));
            }
            let at: usize = cursor.next.as_deref().map_or(0, |n| n.parse().unwrap());
            self.asked.lock().unwrap().push(at);
            if at == self.crash_at && !self.crashed.swap(true, Ordering::SeqCst) {
                return Err(Error::Malformed {
                    platform: Platform::Lemmy,
                    reason: "killed".into(),
                });
            }
            let items = &self.pages[at];
            let next = (at + 1 < self.pages.len()).then(|| (at + 1).to_string());
            let listed = cursor.state.listed + items.len() as u64;
            let mentions = items
                .iter()
                .map(|id| mention(Platform::Lemmy, id.clone(), Utc::now(), Value::Null))
                .collect();
            Ok(RangeCursor::after_with(next, Listed { listed }).into_page(mentions))
        }
    }

    fn token() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[a-zA-Z0-9_:~=+/-]{0,24}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Killed before any page of a range, then run again, a backfill produces every
        /// item exactly once and in order, never asks for a page before one it has
        /// finished, and ends done with every item counted.
        #[test]
        fn resuming_after_any_prefix_yields_each_item_once(
            sizes in proptest::collection::vec(0usize..5, 1..8),
            crash in any::<proptest::sample::Index>(),
        ) {
            let pages: Vec<Vec<String>> = sizes
                .iter()
                .enumerate()
                .map(|(p, &n)| (0..n).map(|i| format!("{p}-{i}")).collect())
                .collect();
            let all: Vec<String> = pages.iter().flatten().cloned().collect();
            let crash_at = crash.index(pages.len());
            let paginator = FixedRange {
                pages,
                crash_at,
                crashed: AtomicBool::new(false),
                asked: Mutex::default(),
            };
            let job = PaginatedJob::new("backfill:test".into(), Platform::Lemmy, paginator);
            let (ctx, sink, cursors): (JobContext, _, _) = JobContext::in_memory(Origin::Backfill);
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let first = runtime.block_on(job.poll(&ctx));
            prop_assert!(first.is_err(), "the kill ends the first run");
            runtime.block_on(job.poll(&ctx)).unwrap();
            // A third run of a finished range asks for nothing.
            runtime.block_on(job.poll(&ctx)).unwrap();

            let produced: Vec<String> =
                sink.mentions().iter().map(|m| m.platform_id.clone()).collect();
            prop_assert_eq!(&produced, &all);
            let asked = job.paginator.asked.lock().unwrap().clone();
            prop_assert!(asked.windows(2).all(|w| w[0] <= w[1]), "{:?}", asked);
            // The page the kill hit is asked for twice, no other page is.
            prop_assert_eq!(asked.len(), job.paginator.pages.len() + 1);
            let stored: RangeCursor<Listed> =
                crate::cursor::CursorStoreExt::get(&*cursors, "backfill:test").unwrap().unwrap();
            prop_assert!(stored.done);
            prop_assert_eq!(stored.state.listed, all.len() as u64);
        }

        /// A cursor decodes to what it encoded, with or without platform state; the
        /// token stored under a platform's old name decodes to the same cursor.
        #[test]
        fn range_cursors_round_trip(next in token(), done: bool, listed: u64) {
            let plain = RangeCursor { next: next.clone(), done, state: NoState {} };
            let json = serde_json::to_string(&plain).unwrap();
            prop_assert_eq!(serde_json::from_str::<RangeCursor>(&json).unwrap(), plain.clone());
            let with = RangeCursor { next: next.clone(), done, state: Listed { listed } };
            let json = serde_json::to_string(&with).unwrap();
            prop_assert_eq!(serde_json::from_str::<RangeCursor<Listed>>(&json).unwrap(), with);
            for old in ["max_id", "after", "page_token", "next_token", "cursor"] {
                let stored = serde_json::json!({ old: next, "done": done });
                prop_assert_eq!(serde_json::from_value::<RangeCursor>(stored).unwrap(), plain.clone());
            }
        }

        /// `after` never resumes a finished range and never loses the token.
        #[test]
        fn a_range_is_done_exactly_when_no_page_is_left(next in token()) {
            let cursor = RangeCursor::<NoState>::after(next.clone());
            prop_assert_eq!(cursor.done, next.is_none());
            prop_assert_eq!(&cursor.next, &next);
            prop_assert_eq!(cursor.into_page(Vec::new()).more, next.is_some());
        }

        /// The guard fails exactly on a non-empty token equal to the one requested, and
        /// otherwise passes the token on (empty as none).
        #[test]
        fn the_token_guard_stops_only_a_repeat(
            next in token(),
            requested in token(),
            same: bool,
        ) {
            let next = if same { requested.clone() } else { next };
            let result = next_token(Platform::Youtube, Some("job"), next.clone(), requested.as_deref());
            let non_empty = next.clone().filter(|t| !t.is_empty());
            if non_empty.is_some() && non_empty == requested {
                prop_assert!(result.is_err());
            } else {
                prop_assert_eq!(result.unwrap(), non_empty);
            }
        }

        /// Joining keeps the host and every segment of the base, adds each segment once,
        /// and reads back the same segments, whatever they hold.
        #[test]
        fn join_url_never_drops_doubles_or_moves(
            host in "[a-z]{1,10}\\.(example|test)",
            port in proptest::option::of(1024u16..65535),
            base_path in proptest::collection::vec("[a-z0-9]{1,6}", 0..3),
            slash: bool,
            segments in proptest::collection::vec("[^\\x00-\\x1f]{1,10}", 0..4)
                .prop_filter("`.` and `..` are not segments", |s| {
                    s.iter().all(|s| s != "." && s != "..")
                }),
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let mut base = format!("https://{host}{port}/{}", base_path.join("/"));
            if slash && !base.ends_with('/') {
                base.push('/');
            }
            let base = Url::parse(&base).unwrap();
            let joined = join_url(&base, &segments);
            prop_assert_eq!(joined.host_str(), base.host_str());
            prop_assert_eq!(joined.port(), base.port());
            prop_assert_eq!(joined.scheme(), "https");
            let got: Vec<String> = joined
                .path_segments()
                .unwrap()
                .map(|s| percent_encoding::percent_decode_str(s).decode_utf8().unwrap().into_owned())
                .collect();
            let mut want: Vec<String> = base_path.clone();
            want.extend(segments.iter().cloned());
            if want.is_empty() {
                want.push(String::new());
            }
            prop_assert_eq!(got, want);
            prop_assert!(joined.query().is_none() && joined.fragment().is_none());
        }

        /// Every `rel` of a well-formed `Link` header maps to its URL, and no input
        /// makes the parser panic.
        #[test]
        fn link_headers_give_back_each_rel(
            links in proptest::collection::vec(
                ("https://[a-z]{1,8}\\.test/[a-z0-9/]{0,12}\\?max_id=[0-9]{1,6}", "[a-z]{1,8}"),
                0..4,
            ),
            junk in ".{0,64}",
        ) {
            let header = links
                .iter()
                .map(|(url, rel)| format!("<{url}>; rel=\"{rel}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let parsed = crate::platforms::link_header::parse(&header);
            let mut want = std::collections::HashMap::new();
            for (url, rel) in &links {
                want.insert(rel.clone(), url.clone());
            }
            prop_assert_eq!(parsed, want);
            let _ = crate::platforms::link_header::parse(&junk);
        }
    }
}
