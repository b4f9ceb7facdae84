//! Lemmy (the federated link aggregator) through one instance's public API v3: one
//! job per brand keyword and kind of item (posts, comments).
//!
//! `GET {base_url}/api/v3/search?q=…&type_=Posts|Comments&sort=New&page=P&limit=N`
//! answers `{"type_": …, "posts": [PostView], "comments": [CommentView], …}`, newest
//! first. No key is needed for public content. The instance searches everything it
//! federates with, so one instance sees posts from many; an item's `ap_id` (its
//! ActivityPub URL) is the same through every instance, so it is the platform id.
//!
//! Newest-first page numbers shift while items arrive (an item moves to a later page,
//! never an earlier one), so a poll sweeps pages from 1 until it reaches items older
//! than the last sweep's newest, stores its place after every page, and moves the
//! watermark only when the sweep ends: a crash repeats a page, never skips one, and the
//! processor drops the repeats by mention id.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use earshot_model::{Author, Brand, Engagement, Platform, RawMention};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smart_default::SmartDefault;
use url::Url;

use earshot_runtime::InternalEvent;

use crate::config::{
    HttpConfig, parse_base_url, validate_at_least_one, validate_interval, validate_range,
};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::internal_events::ItemUnmapped;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::paging;
use crate::paging::{join_url, read_item};
use crate::platforms::brand_keywords;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};

/// `[collectors.lemmy]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct LemmyConfig {
    pub enabled: bool,
    /// The instance to search through (it searches what it federates with).
    #[default = "https://lemmy.world"]
    pub base_url: String,
    /// What to search: `Posts`, `Comments` or both.
    #[default(_code = r#"vec!["Posts".into(), "Comments".into()]"#)]
    pub types: Vec<String>,
    /// Items per page, 1..=50 (Lemmy's maximum).
    #[default(50)]
    pub page_limit: u32,
    /// The most pages one sweep reads; a sweep that hits it starts over next poll from
    /// the newest item it saw.
    #[default(10)]
    pub max_pages_per_poll: u32,
    /// How far back a job's first sweep reaches.
    #[default(24)]
    pub initial_lookback_hours: i64,
    pub poll_interval_ms: Option<u64>,
}

const TYPES: [&str; 2] = ["Posts", "Comments"];

impl LemmyConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        parse_base_url("collectors.lemmy.base_url", &self.base_url)?;
        if self.types.is_empty() {
            return Err(Error::config(
                "collectors.lemmy.types",
                "is empty; use [\"Posts\", \"Comments\"]",
            ));
        }
        if let Some(odd) = self.types.iter().find(|t| !TYPES.contains(&t.as_str())) {
            return Err(Error::config(
                "collectors.lemmy.types",
                format!("`{odd}` is not one of Posts, Comments"),
            ));
        }
        validate_range(
            "collectors.lemmy.page_limit",
            self.page_limit,
            1..=50,
            "Lemmy",
        )?;
        validate_at_least_one(
            "collectors.lemmy.max_pages_per_poll",
            self.max_pages_per_poll,
        )?;
        if self.initial_lookback_hours < 0 {
            return Err(Error::config(
                "collectors.lemmy.initial_lookback_hours",
                "must not be negative",
            ));
        }
        validate_interval("collectors.lemmy.poll_interval_ms", self.poll_interval_ms)
    }
}

/// One live job per brand keyword and configured type.
pub(crate) fn jobs(
    config: &LemmyConfig,
    http: &HttpConfig,
    brands: &[Brand],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let base = parse_base_url("collectors.lemmy.base_url", &config.base_url)?;
    let host = base.host_str().unwrap_or_default().to_string();
    // Limits are per client IP and instance: every job on the instance shares a budget.
    let poller = HttpPoller::new(
        http,
        Platform::Lemmy,
        RateLimitHeaders::None,
        budgets.get(Platform::Lemmy, &host),
    )?;
    let url = join_url(&base, ["api", "v3", "search"]);
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for query in brand_keywords(brands) {
        for kind in &config.types {
            let search = Search {
                poller: poller.clone(),
                url: url.clone(),
                query: query.clone(),
                kind: kind.clone(),
                page_limit: config.page_limit,
                max_pages: config.max_pages_per_poll,
                lookback: chrono::TimeDelta::hours(config.initial_lookback_hours),
            };
            let id = format!("lemmy:{host}:{}:{query}", kind.to_lowercase());
            jobs.push(Arc::new(
                PaginatedJob::new(id, Platform::Lemmy, search)
                    .with_interval(config.poll_interval_ms),
            ));
        }
    }
    Ok(jobs)
}

/// Where a keyword's search stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchCursor {
    /// The newest `published` of the last finished sweep; the next sweep stops there.
    pub newest: Option<DateTime<Utc>>,
    /// A sweep in progress.
    pub sweep: Option<Sweep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// The next page to read (1-based).
    pub page: u32,
    /// Items at or after this time are new to this sweep.
    pub since: DateTime<Utc>,
    /// The newest `published` seen in this sweep so far.
    pub newest: Option<DateTime<Utc>>,
}

struct Search {
    poller: HttpPoller,
    url: Url,
    query: String,
    kind: String,
    page_limit: u32,
    max_pages: u32,
    lookback: chrono::TimeDelta,
}

#[derive(Deserialize)]
struct SearchResponse {
    #[serde(default)]
    posts: Vec<Value>,
    #[serde(default)]
    comments: Vec<Value>,
}

#[async_trait]
impl Paginator for Search {
    type Cursor = SearchCursor;

    async fn fetch(&self, cursor: &SearchCursor) -> Result<Page<SearchCursor>, Error> {
        let sweep = cursor.sweep.clone().unwrap_or_else(|| Sweep {
            page: 1,
            since: cursor.newest.unwrap_or_else(|| Utc::now() - self.lookback),
            newest: None,
        });
        let page = sweep.page.to_string();
        let limit = self.page_limit.to_string();
        let response: SearchResponse = self
            .poller
            .get_json(|client| {
                client.get(self.url.clone()).query(&[
                    ("q", self.query.as_str()),
                    ("type_", self.kind.as_str()),
                    ("sort", "New"),
                    ("page", page.as_str()),
                    ("limit", limit.as_str()),
                ])
            })
            .await?
            .body;
        let items = if self.kind == "Comments" {
            &response.comments
        } else {
            &response.posts
        };
        let mapped: Vec<RawMention> = items.iter().filter_map(to_mention).collect();
        let newest = mapped
            .iter()
            .map(|m| m.created_at)
            .chain(sweep.newest)
            .max();
        let reached_old = mapped.iter().any(|m| m.created_at < sweep.since);
        let mentions: Vec<RawMention> = mapped
            .into_iter()
            .filter(|m| m.created_at >= sweep.since)
            .collect();
        let full = items.len() as u32 >= self.page_limit;
        let more = full && !reached_old && sweep.page < self.max_pages;
        let next = if more {
            SearchCursor {
                newest: cursor.newest,
                sweep: Some(Sweep {
                    page: sweep.page + 1,
                    since: sweep.since,
                    newest,
                }),
            }
        } else {
            SearchCursor {
                newest: newest.or(cursor.newest),
                sweep: None,
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

#[derive(Deserialize)]
struct PostView {
    post: Post,
    creator: Person,
    #[serde(default)]
    counts: Counts,
}

#[derive(Deserialize)]
struct Post {
    name: String,
    #[serde(default)]
    body: Option<String>,
    published: String,
    ap_id: String,
}

#[derive(Deserialize)]
struct CommentView {
    comment: Comment,
    creator: Person,
    #[serde(default)]
    counts: Counts,
}

#[derive(Deserialize)]
struct Comment {
    content: String,
    published: String,
    ap_id: String,
}

#[derive(Deserialize)]
struct Person {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    bio: Option<String>,
    #[serde(default)]
    published: Option<String>,
    /// The person's ActivityPub URL (`https://lemmy.ml/u/name`).
    actor_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Counts {
    score: i64,
    upvotes: i64,
    /// Posts: the comments under them.
    comments: i64,
    /// Comments: the replies under them.
    child_count: i64,
}

/// Lemmy writes `published` as RFC 3339 since 0.19 and as a naive UTC timestamp
/// (`2023-06-01T12:00:00.123456`) before.
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// Maps a PostView (it has `post`) or a CommentView (it has `comment`).
pub(crate) fn to_mention(value: &Value) -> Option<RawMention> {
    let (ap_id, text, published, creator, engagement) = if value.get("comment").is_some() {
        let view: CommentView = read_item(Platform::Lemmy, "Lemmy comment", value)?;
        let engagement = Engagement {
            likes: view.counts.upvotes.max(view.counts.score).max(0) as u64,
            reposts: 0,
            replies: view.counts.child_count.max(0) as u64,
        };
        (
            view.comment.ap_id,
            view.comment.content,
            view.comment.published,
            view.creator,
            engagement,
        )
    } else {
        let view: PostView = read_item(Platform::Lemmy, "Lemmy post", value)?;
        let engagement = Engagement {
            likes: view.counts.upvotes.max(view.counts.score).max(0) as u64,
            reposts: 0,
            replies: view.counts.comments.max(0) as u64,
        };
        let text = match view.post.body.filter(|b| !b.trim().is_empty()) {
            Some(body) => format!("{}\n{body}", view.post.name),
            None => view.post.name,
        };
        (
            view.post.ap_id,
            text,
            view.post.published,
            view.creator,
            engagement,
        )
    };
    let Some(created_at) = parse_time(&published) else {
        ItemUnmapped {
            platform: Platform::Lemmy,
            what: "Lemmy item",
            reason: &format!("`published` is not a time: `{published}`"),
        }
        .emit();
        return None;
    };
    Some(RawMention {
        url: ap_id.clone(),
        text,
        author: Author {
            id: creator.actor_id.clone(),
            handle: handle(&creator),
            name: creator.display_name.unwrap_or(creator.name),
            bio: creator.bio.unwrap_or_default(),
            followers: 0,
            verified: false,
            created_at: creator.published.as_deref().and_then(parse_time),
        },
        engagement,
        ..paging::mention(Platform::Lemmy, ap_id, created_at, value.clone())
    })
}

/// `name@instance`, the address Lemmy shows for a person from any instance.
fn handle(person: &Person) -> String {
    match Url::parse(&person.actor_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    {
        Some(host) => format!("{}@{host}", person.name),
        None => person.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_model::MentionId;
    use earshot_runtime::events::EventRecorder;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/lemmy/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn maps_documented_post_views() {
        let page = fixture("search_posts.json");
        let mentions: Vec<RawMention> = page["posts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(to_mention)
            .collect();
        assert_eq!(mentions.len(), 3);
        let first = &mentions[0];
        assert_eq!(
            first.id,
            MentionId::new(Platform::Lemmy, "https://lemmy.ml/post/1843")
        );
        assert_eq!(first.url, "https://lemmy.ml/post/1843");
        assert_eq!(
            first.text,
            "Orlen raises fuel prices again\nThird time this month at my local Orlen station."
        );
        assert_eq!(
            first.created_at.to_rfc3339(),
            "2026-03-12T07:30:00.123456+00:00"
        );
        assert_eq!(first.author.handle, "kasia@lemmy.ml");
        assert_eq!(first.author.name, "Kasia");
        assert_eq!(first.author.id, "https://lemmy.ml/u/kasia");
        assert_eq!(first.author.bio, "Commuter, cyclist");
        assert_eq!(
            first.engagement,
            Engagement {
                likes: 13,
                reposts: 0,
                replies: 4
            }
        );
        // A 0.18 instance's naive timestamp, a null body, no display name.
        let second = &mentions[1];
        assert_eq!(
            second.created_at.to_rfc3339(),
            "2026-03-12T06:10:00.500+00:00"
        );
        assert_eq!(second.text, "Orlen station review");
        assert_eq!(second.author.handle, "piotr@sh.itjust.works");
        assert_eq!(second.author.name, "piotr");
    }

    #[test]
    fn maps_comment_views_and_counts_the_unreadable() {
        let recorder = EventRecorder::start();
        let page = fixture("search_comments.json");
        let mentions: Vec<RawMention> = page["comments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(to_mention)
            .collect();
        assert_eq!(mentions.len(), 1);
        let comment = &mentions[0];
        assert_eq!(comment.platform_id, "https://lemmy.ml/comment/5521");
        assert_eq!(comment.text, "Orlen is cheaper on the motorway, oddly.");
        assert_eq!(
            comment.engagement,
            Engagement {
                likes: 3,
                reposts: 0,
                replies: 2
            }
        );
        assert_eq!(
            recorder.count("ItemUnmapped"),
            1,
            "the comment without `published`"
        );
        let bad_time = serde_json::json!({
            "comment": {"content": "x", "published": "yesterday", "ap_id": "https://a/comment/2"},
            "creator": {"name": "x", "actor_id": "https://a/u/x"}
        });
        assert!(to_mention(&bad_time).is_none());
        assert_eq!(recorder.count("ItemUnmapped"), 2);
    }

    #[test]
    fn config_errors_name_the_key() {
        let ok = LemmyConfig::default();
        ok.validate().unwrap();
        let cases = [
            (
                LemmyConfig {
                    types: vec!["Users".into()],
                    ..ok.clone()
                },
                "collectors.lemmy.types",
            ),
            (
                LemmyConfig {
                    types: vec![],
                    ..ok.clone()
                },
                "collectors.lemmy.types",
            ),
            (
                LemmyConfig {
                    page_limit: 51,
                    ..ok.clone()
                },
                "collectors.lemmy.page_limit",
            ),
            (
                LemmyConfig {
                    base_url: "ftp://x".into(),
                    ..ok.clone()
                },
                "collectors.lemmy.base_url",
            ),
            (
                LemmyConfig {
                    max_pages_per_poll: 0,
                    ..ok.clone()
                },
                "collectors.lemmy.max_pages_per_poll",
            ),
        ];
        for (config, key) in cases {
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(key), "{error}");
        }
    }
}
