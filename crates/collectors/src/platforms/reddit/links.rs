//! Reddit Listings of `t3` links and how a link becomes a [`RawMention`]: one mapping
//! for search, subreddit listings and backfills alike.

use std::cmp::Ordering;

use chrono::DateTime;
use earshot_model::{Engagement, Platform, RawMention};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::paging;

#[derive(Deserialize)]
pub(crate) struct Listing {
    pub data: ListingData,
}

#[derive(Deserialize)]
pub(crate) struct ListingData {
    after: Option<String>,
    #[serde(default)]
    children: Vec<Thing>,
}

#[derive(Deserialize)]
struct Thing {
    kind: String,
    data: Value,
}

impl ListingData {
    /// The page's links (`t3` children) and the `after` of the next page, `None` at the
    /// end. Reddit's `after` is the page's last link; follow the link, not a cursor that
    /// points elsewhere (back at the request, say), and stop where `after` is null.
    pub fn links(self, job: &str) -> (Vec<Value>, Option<String>) {
        let links: Vec<Value> = self
            .children
            .into_iter()
            .filter(|t| t.kind == "t3")
            .map(|t| t.data)
            .collect();
        let last = links.last().and_then(|l| l["name"].as_str());
        if let (Some(after), Some(last)) = (self.after.as_deref(), last)
            && after != last
        {
            tracing::warn!(
                job,
                "Reddit's `after` is not the page's last link; following the link"
            );
        }
        let next = self.after.and(last.map(str::to_string));
        (links, next)
    }
}

/// A link's creation time in unix seconds, if it has one.
pub(super) fn created_utc(link: &Value) -> Option<i64> {
    link["created_utc"].as_f64().map(|t| t as i64)
}

/// A link's place in `sort=new` order: creation time, then id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub created_utc: i64,
    /// The fullname, `t3_…`.
    pub name: String,
}

impl Mark {
    pub(super) fn of(link: &Value) -> Option<Mark> {
        Some(Mark {
            created_utc: created_utc(link)?,
            name: link["name"].as_str()?.to_string(),
        })
    }
}

impl Ord for Mark {
    fn cmp(&self, other: &Self) -> Ordering {
        // Base-36 ids: a longer one is a larger number.
        self.created_utc
            .cmp(&other.created_utc)
            .then_with(|| self.name.len().cmp(&other.name.len()))
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for Mark {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A link's title and self text, the text keywords are matched in.
pub(super) fn text_of(link: &Value) -> String {
    let title = link["title"].as_str().unwrap_or_default().trim();
    match link["selftext"].as_str().unwrap_or_default().trim() {
        "" => title.to_string(),
        body => format!("{title}\n{body}"),
    }
}

#[derive(Deserialize)]
struct Link {
    id: String,
    name: Option<String>,
    #[serde(default)]
    author: String,
    author_fullname: Option<String>,
    created_utc: f64,
    permalink: Option<String>,
    url: Option<String>,
    #[serde(default)]
    score: i64,
    #[serde(default)]
    num_comments: u64,
    #[serde(default)]
    num_crossposts: u64,
}

/// The author's `t2_` fullname, else the name. A deleted account has neither (the name
/// is `[deleted]` and no fullname is sent): such an author gets an id of its own per
/// post, since one shared `[deleted]` id would make every deleted author one person
/// (one "top author", one cohort guess from everyone's posts).
fn author_id(fullname: Option<String>, name: &str, platform_id: &str) -> String {
    match fullname.filter(|f| !f.is_empty()) {
        Some(fullname) => fullname,
        None if name.is_empty() || name == "[deleted]" => format!("[deleted]:{platform_id}"),
        None => name.to_string(),
    }
}

/// Maps a `t3` link; `None` (and a warning) if it lacks what a mention needs.
pub(crate) fn to_mention(value: &Value) -> Option<RawMention> {
    let link: Link = crate::paging::read_item(Platform::Reddit, "Reddit link", value)?;
    let created_at = DateTime::from_timestamp(link.created_utc as i64, 0)?;
    let platform_id = link.name.unwrap_or_else(|| format!("t3_{}", link.id));
    let author_id = author_id(link.author_fullname, &link.author, &platform_id);
    let url = link
        .permalink
        .map(|p| format!("https://www.reddit.com{p}"))
        .or(link.url)
        .unwrap_or_default();
    Some(RawMention {
        url,
        text: text_of(value),
        // Karma and account age need `/user/{name}/about`, a call per author.
        author: paging::named_author(author_id, link.author),
        engagement: Engagement {
            likes: link.score.max(0) as u64,
            reposts: link.num_crossposts,
            replies: link.num_comments,
        },
        ..paging::mention(Platform::Reddit, platform_id, created_at, value.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_link() {
        let link = serde_json::json!({
            "id": "1b2c3d", "name": "t3_1b2c3d",
            "title": "Orlen raised prices again?", "selftext": "6,89 & rising",
            "author": "kasia_waw", "author_fullname": "t2_abc",
            "created_utc": 1773302400.0,
            "permalink": "/r/poland/comments/1b2c3d/orlen/",
            "url": "https://www.reddit.com/r/poland/comments/1b2c3d/orlen/",
            "score": 12, "num_comments": 4, "subreddit": "poland"
        });
        let m = to_mention(&link).unwrap();
        assert_eq!(m.id.as_str(), "reddit:t3_1b2c3d");
        assert_eq!(m.text, "Orlen raised prices again?\n6,89 & rising");
        assert_eq!(m.author.id, "t2_abc");
        assert_eq!(m.author.handle, "kasia_waw");
        assert_eq!(m.created_at.timestamp(), 1_773_302_400);
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 12,
                reposts: 0,
                replies: 4
            }
        );
        assert_eq!(
            m.url,
            "https://www.reddit.com/r/poland/comments/1b2c3d/orlen/"
        );
        assert!(to_mention(&serde_json::json!({"id": "x"})).is_none());
    }

    /// A deleted author as Reddit sends it (PRAW's recorded responses, e.g.
    /// praw/tests/integration/cassettes: `"author": "[deleted]"`, no
    /// `author_fullname`), kept in tests/fixtures/documented.
    #[test]
    fn deleted_authors_do_not_share_one_id() {
        let listing: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/documented/reddit_deleted_authors.json"
        ))
        .unwrap();
        let ids: Vec<String> = listing["data"]["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|child| to_mention(&child["data"]).unwrap().author.id)
            .collect();
        assert_eq!(
            ids,
            ["[deleted]:t3_1aaaaa", "[deleted]:t3_1bbbbb", "t2_abc"]
        );
    }

    #[test]
    fn marks_order_like_sort_new() {
        let mark = |t, n: &str| Mark {
            created_utc: t,
            name: n.into(),
        };
        assert!(mark(2, "t3_a") > mark(1, "t3_zz"));
        assert!(mark(1, "t3_zz") > mark(1, "t3_z"));
        assert!(mark(1, "t3_b") > mark(1, "t3_a"));
    }
}
