//! Bluesky post search: `GET {pds}/xrpc/app.bsky.feed.searchPosts?q=…&sort=latest
//! &limit=…&cursor=…` (`&since=…&until=…` for a backfill), with the session's access
//! token; the PDS proxies `app.bsky.*` calls to the Bluesky AppView
//! (docs.bsky.app/docs/advanced-guides/api-directory). The answer is `{cursor?,
//! hitsTotal?, posts: [PostView]}`, newest first by `sortAt` (the earlier of the
//! record's `createdAt` and the AppView's `indexedAt`), which is also what
//! `since` (inclusive) and `until` (exclusive) filter on.
//!
//! A live job sweeps ([`crate::sweep`]) from the newest page back until it reaches the
//! newest post of the previous sweep. A backfill asks for `since`/`until` = the range
//! and follows `cursor` to the end, producing only posts whose `createdAt` is in the
//! range (a post can sort inside it and claim a `createdAt` outside).
//!
//! Mention ids are the post's `at://` URI, the same as the Jetstream job's, so a post
//! both find is one mention downstream.

use std::cmp::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use earshot_model::{Author, Engagement, Platform, RawMention};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::session::Session;
use super::{POST, PostParts, post_mention};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::paginate::{Page, Paginator};
use crate::paging::RangeCursor;
use crate::sweep::{self, SweepCursor};

/// The searchPosts endpoint of one account, shared by every search job of it.
pub(crate) struct SearchClient {
    pub(super) poller: HttpPoller,
    pub(super) url: Url,
    pub(super) session: Session,
    pub(super) page_limit: u32,
}

#[derive(Deserialize)]
struct SearchResponse {
    cursor: Option<String>,
    #[serde(rename = "hitsTotal")]
    hits_total: Option<u64>,
    posts: Vec<Value>,
}

impl SearchClient {
    pub(super) fn new(poller: HttpPoller, base: &Url, session: Session, page_limit: u32) -> Self {
        let url = crate::paging::join_url(base, ["xrpc", "app.bsky.feed.searchPosts"]);
        SearchClient {
            poller,
            url,
            session,
            page_limit,
        }
    }

    async fn search(
        &self,
        query: &str,
        params: &[(&'static str, String)],
    ) -> Result<SearchResponse, Error> {
        let limit = self.page_limit.to_string();
        let base = [("q", query), ("sort", "latest"), ("limit", limit.as_str())];
        self.session
            .get_json(&self.poller, |client| {
                client.get(self.url.clone()).query(&base).query(params)
            })
            .await
    }
}

/// A post's place in `sort=latest` order: `sortAt`, then URI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMark {
    pub at: DateTime<Utc>,
    pub uri: String,
}

impl PostMark {
    fn of(post: &Value) -> Option<PostMark> {
        let time = |v: &Value| v.as_str().and_then(|t| t.parse::<DateTime<Utc>>().ok());
        let created = time(&post["record"]["createdAt"]);
        let indexed = time(&post["indexedAt"]);
        let at = match (created, indexed) {
            (Some(c), Some(i)) => c.min(i),
            (c, i) => c.or(i)?,
        };
        Some(PostMark {
            at,
            uri: post["uri"].as_str()?.to_string(),
        })
    }
}

impl Ord for PostMark {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at
            .cmp(&other.at)
            .then_with(|| self.uri.cmp(&other.uri))
    }
}

impl PartialOrd for PostMark {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a live search job stands: the next page's cursor and the newest post seen.
pub type SearchCursor = SweepCursor<PostMark>;

/// A live searchPosts job for one keyword.
pub(super) struct PostSearch {
    pub(super) client: Arc<SearchClient>,
    pub(super) job: String,
    pub(super) query: String,
    pub(super) history_pages: u32,
}

#[async_trait]
impl Paginator for PostSearch {
    type Cursor = SearchCursor;

    async fn fetch(&self, cursor: &SearchCursor) -> Result<Page<SearchCursor>, Error> {
        let params: Vec<(&'static str, String)> = cursor
            .sweep
            .iter()
            .map(|s| ("cursor", s.next_page.clone()))
            .collect();
        let response = self.client.search(&self.query, &params).await?;
        let marks: Vec<Option<PostMark>> = response.posts.iter().map(PostMark::of).collect();
        let next_page = response.cursor.filter(|_| !response.posts.is_empty());
        let step = sweep::step(
            Platform::Bluesky,
            &self.job,
            cursor,
            &marks,
            next_page,
            self.history_pages,
        )?;
        let mentions = step
            .new_items(&response.posts)
            .filter_map(to_mention)
            .collect();
        Ok(step.into_page(mentions))
    }
}

/// Where a search backfill stands: the next page's `cursor`.
pub type BackfillCursor = RangeCursor;

/// A searchPosts backfill of one keyword over `[from, to)`.
pub(super) struct RangeSearch {
    pub(super) client: Arc<SearchClient>,
    pub(super) query: String,
    pub(super) from: DateTime<Utc>,
    pub(super) to: DateTime<Utc>,
}

#[async_trait]
impl Paginator for RangeSearch {
    type Cursor = BackfillCursor;

    async fn fetch(&self, cursor: &BackfillCursor) -> Result<Page<BackfillCursor>, Error> {
        if cursor.done {
            return Ok(Page::nothing(cursor.clone()));
        }
        let stamp = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut params = vec![("since", stamp(self.from)), ("until", stamp(self.to))];
        if let Some(next) = &cursor.next {
            params.push(("cursor", next.clone()));
        }
        let response = self.client.search(&self.query, &params).await?;
        let next = crate::paging::next_token(
            Platform::Bluesky,
            None,
            response.cursor,
            cursor.next.as_deref(),
        )?
        .filter(|_| !response.posts.is_empty());
        let mentions = response
            .posts
            .iter()
            .filter_map(to_mention)
            .filter(|m| m.created_at >= self.from && m.created_at < self.to)
            .collect();
        let mut page = RangeCursor::after(next).into_page(mentions);
        // The first page tells how many posts the whole range holds.
        page.total_hint = response.hits_total.filter(|_| cursor.next.is_none());
        Ok(page)
    }
}

#[derive(Deserialize)]
struct PostView {
    uri: String,
    record: Value,
    author: Profile,
    #[serde(rename = "indexedAt")]
    indexed_at: Option<DateTime<Utc>>,
    #[serde(rename = "likeCount")]
    like_count: Option<u64>,
    #[serde(rename = "repostCount")]
    repost_count: Option<u64>,
    #[serde(rename = "quoteCount")]
    quote_count: Option<u64>,
    #[serde(rename = "replyCount")]
    reply_count: Option<u64>,
}

/// `app.bsky.actor.defs#profileViewBasic`: no bio and no follower count (those take
/// `app.bsky.actor.getProfile` per author).
#[derive(Deserialize)]
struct Profile {
    did: String,
    handle: String,
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    #[serde(rename = "createdAt")]
    created_at: Option<DateTime<Utc>>,
    verification: Option<Value>,
}

/// Maps a PostView; `None` (and a warning) if it is not a readable post.
pub(crate) fn to_mention(value: &Value) -> Option<RawMention> {
    let view: PostView = crate::paging::read_item(Platform::Bluesky, "Bluesky post view", value)?;
    // at://{did}/app.bsky.feed.post/{rkey}
    let mut parts = view.uri.strip_prefix("at://")?.splitn(3, '/');
    let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    if collection != POST {
        return None;
    }
    let profile = view.author;
    let verified = profile
        .verification
        .as_ref()
        .is_some_and(|v| v["verifiedStatus"] == "valid");
    post_mention(PostParts {
        did,
        rkey,
        record: &view.record,
        author: Author {
            id: profile.did,
            name: profile.display_name.unwrap_or_default(),
            handle: profile.handle,
            bio: String::new(),
            followers: 0,
            verified,
            created_at: profile.created_at,
        },
        engagement: Engagement {
            likes: view.like_count.unwrap_or(0),
            reposts: view
                .repost_count
                .unwrap_or(0)
                .saturating_add(view.quote_count.unwrap_or(0)),
            replies: view.reply_count.unwrap_or(0),
        },
        seen_at: view.indexed_at,
        raw: value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_stored_before_the_shared_range_cursor_still_load() {
        let old: BackfillCursor =
            serde_json::from_str(r#"{"cursor":"1773302401000::bafyrei","done":false}"#).unwrap();
        assert_eq!(
            old,
            RangeCursor::after(Some("1773302401000::bafyrei".into()))
        );
        let finished: BackfillCursor =
            serde_json::from_str(r#"{"cursor":"x","done":true}"#).unwrap();
        assert!(finished.done);
    }

    #[test]
    fn forged_counts_saturate_instead_of_overflowing() {
        let view = serde_json::json!({
            "uri": "at://did:plc:abc/app.bsky.feed.post/3k1",
            "author": {"did": "did:plc:abc", "handle": "ala.bsky.social"},
            "record": {"$type": "app.bsky.feed.post", "text": "Orlen",
                "createdAt": "2026-03-12T08:00:00.000Z"},
            "repostCount": u64::MAX, "quoteCount": u64::MAX,
            "indexedAt": "2026-03-12T08:00:01.000Z"
        });
        assert_eq!(to_mention(&view).unwrap().engagement.reposts, u64::MAX);
    }

    #[test]
    fn maps_a_post_view_with_the_jetstream_id() {
        let view = serde_json::json!({
            "uri": "at://did:plc:abc/app.bsky.feed.post/3k1",
            "cid": "bafyrei123",
            "author": {"did": "did:plc:abc", "handle": "ala.bsky.social", "displayName": "Ala",
                "createdAt": "2023-04-01T10:00:00.000Z", "labels": []},
            "record": {"$type": "app.bsky.feed.post", "text": "Kolejka w Orlen znowu",
                "createdAt": "2026-03-12T08:00:00.000Z", "langs": ["pl"]},
            "likeCount": 4, "repostCount": 1, "quoteCount": 2, "replyCount": 3,
            "indexedAt": "2026-03-12T08:00:01.000Z", "labels": []
        });
        let m = to_mention(&view).unwrap();
        let event = serde_json::json!({"did": "did:plc:abc", "time_us": 1773302401000000i64,
            "kind": "commit", "commit": {"operation": "create", "collection": POST,
            "rkey": "3k1", "record": view["record"].clone()}});
        let from_stream =
            super::super::jetstream::to_mention(&event, &crate::text::tests::filter(&["orlen"]))
                .unwrap();
        assert_eq!(m.id, from_stream.id);
        assert_eq!(m.url, from_stream.url);
        assert_eq!(m.author.handle, "ala.bsky.social");
        assert_eq!(m.author.name, "Ala");
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 4,
                reposts: 3,
                replies: 3
            }
        );
        assert_eq!(m.language_hint.as_deref(), Some("pl"));
        assert_eq!(m.raw.to_value(), view);
        let mark = PostMark::of(&view).unwrap();
        assert_eq!(mark.at.to_rfc3339(), "2026-03-12T08:00:00+00:00");
        let mut like = view.clone();
        like["uri"] = "at://did:plc:abc/app.bsky.feed.like/3k1".into();
        assert!(to_mention(&like).is_none());
        assert!(to_mention(&serde_json::json!({"uri": "x"})).is_none());
    }
}
