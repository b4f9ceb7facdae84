//! RSS 2.0 and Atom press feeds, one job per configured feed URL.
//!
//! A poll is one conditional `GET` of the feed: `If-None-Match` / `If-Modified-Since`
//! carry the `ETag` / `Last-Modified` of the last document read, and a `304 Not Modified`
//! produces nothing and leaves the cursor as it was. A changed feed is parsed (`feed-rs`,
//! RSS 0.9x/1.0/2.0, Atom and JSON Feed) and every item not seen before is produced: an
//! item's identity is its `guid` (Atom `id`), else its link. The cursor remembers the ids
//! of the feed's current items plus the most recent earlier ones, bounded by
//! `max_seen_ids`, so a feed re-listing old items produces nothing new. Feeds send no
//! rate-limit headers; 429 and 5xx get the usual retries.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use earshot_model::{Author, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION};
use feed_rs::model::{Entry, Feed};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use crate::config::{HttpConfig, parse_base_url, validate_interval};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::text::html_to_text;
use earshot_runtime::InternalEvent;

/// `[collectors.rss]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RssConfig {
    /// Feed URLs (RSS or Atom). Empty: the platform is off.
    pub feeds: Vec<String>,
    /// How many item ids a job remembers beyond the feed's current items.
    pub max_seen_ids: usize,
    pub poll_interval_ms: Option<u64>,
}

impl Default for RssConfig {
    fn default() -> Self {
        RssConfig {
            feeds: Vec::new(),
            max_seen_ids: 1000,
            poll_interval_ms: None,
        }
    }
}

impl RssConfig {
    pub fn is_enabled(&self) -> bool {
        !self.feeds.is_empty()
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        for (i, feed) in self.feeds.iter().enumerate() {
            parse_base_url(&format!("collectors.rss.feeds[{i}]"), feed)?;
        }
        if self.max_seen_ids == 0 {
            return Err(Error::config(
                "collectors.rss.max_seen_ids",
                "must be at least 1",
            ));
        }
        validate_interval("collectors.rss.poll_interval_ms", self.poll_interval_ms)
    }
}

/// One job per feed (`rss:https://press.example/feed.xml`); brands do not pick the jobs:
/// every item is produced, and enrichment decides which brand (if any) it mentions.
pub(crate) fn jobs(
    config: &RssConfig,
    http: &HttpConfig,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let mut jobs: Vec<Arc<dyn Job>> = Vec::new();
    for (i, feed) in config.feeds.iter().enumerate() {
        let url = parse_base_url(&format!("collectors.rss.feeds[{i}]"), feed)?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let poller = HttpPoller::new(
            http,
            Platform::Rss,
            RateLimitHeaders::None,
            budgets.get(Platform::Rss, &host),
        )?;
        let source = FeedSource {
            poller,
            url: url.clone(),
            max_seen_ids: config.max_seen_ids,
        };
        jobs.push(Arc::new(
            PaginatedJob::new(format!("rss:{url}"), Platform::Rss, source)
                .with_interval(config.poll_interval_ms),
        ));
    }
    Ok(jobs)
}

/// Where a feed job stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor {
    /// The validators of the last document read, sent back as `If-None-Match` /
    /// `If-Modified-Since`.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Ids (guid, else link) of items already produced, newest listing first, bounded.
    pub seen: Vec<String>,
}

struct FeedSource {
    poller: HttpPoller,
    url: Url,
    max_seen_ids: usize,
}

/// An entry's identity: its guid / Atom id, else its link. The parser is told to leave
/// the id empty when neither exists, so such entries are skipped rather than keyed by
/// something unstable.
fn parse_feed(body: &[u8]) -> Result<Feed, String> {
    feed_rs::parser::Builder::new()
        .id_generator(|links, _title, _base| {
            links
                .first()
                .map(|l| l.href.trim().to_string())
                .unwrap_or_default()
        })
        .build()
        .parse(body)
        .map_err(|e| e.to_string())
}

#[async_trait]
impl Paginator for FeedSource {
    type Cursor = FeedCursor;

    async fn fetch(&self, cursor: &FeedCursor) -> Result<Page<FeedCursor>, Error> {
        let fetched = self
            .poller
            .get_parsed(
                |client| {
                    let mut request = client.get(self.url.clone());
                    if let Some(etag) = &cursor.etag {
                        request = request.header(IF_NONE_MATCH, etag);
                    }
                    if let Some(since) = &cursor.last_modified {
                        request = request.header(IF_MODIFIED_SINCE, since);
                    }
                    request
                },
                |fetched| {
                    if fetched.status == StatusCode::NOT_MODIFIED {
                        Ok(None)
                    } else {
                        parse_feed(&fetched.body).map(Some)
                    }
                },
            )
            .await?;
        let Some(feed) = fetched.body else {
            return Ok(Page::nothing(cursor.clone()));
        };
        let header = |name| {
            fetched
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let seen: HashSet<&str> = cursor.seen.iter().map(String::as_str).collect();
        let mut listed: Vec<String> = Vec::new();
        let mut mentions = Vec::new();
        for entry in &feed.entries {
            let id = entry.id.trim();
            if id.is_empty() {
                crate::internal_events::ItemUnmapped {
                    platform: Platform::Rss,
                    what: "feed item",
                    reason: "it has neither guid nor link",
                }
                .emit();
                continue;
            }
            if listed.iter().any(|l| l == id) {
                continue;
            }
            listed.push(id.to_string());
            if !seen.contains(id) {
                mentions.push(to_mention(&feed, entry, id, &self.url));
            }
        }
        // The current listing first, then the most recent earlier ids, up to the bound;
        // ids still listed are always kept, whatever the bound.
        let keep = self.max_seen_ids.max(listed.len());
        let mut next_seen = listed.clone();
        next_seen.extend(
            cursor
                .seen
                .iter()
                .filter(|id| !listed.contains(id))
                .take(keep - listed.len())
                .cloned(),
        );
        Ok(Page {
            mentions,
            cursor: FeedCursor {
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
                seen: next_seen,
            },
            more: false,
            total_hint: None,
        })
    }
}

/// Maps one feed item. Feeds are press by construction: enrichment treats platform `rss`
/// as the press source type.
pub(crate) fn to_mention(feed: &Feed, entry: &Entry, id: &str, feed_url: &Url) -> RawMention {
    let title = entry
        .title
        .as_ref()
        .map(|t| html_to_text(&t.content))
        .unwrap_or_default();
    let summary = entry
        .summary
        .as_ref()
        .map(|t| t.content.clone())
        .or_else(|| entry.content.as_ref().and_then(|c| c.body.clone()))
        .map(|s| html_to_text(&s))
        .unwrap_or_default();
    let text = match (title.is_empty(), summary.is_empty()) {
        (false, false) => format!("{title}\n{summary}"),
        (false, true) => title.clone(),
        _ => summary.clone(),
    };
    let feed_title = feed
        .title
        .as_ref()
        .map(|t| html_to_text(&t.content))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| feed_url.host_str().unwrap_or_default().to_string());
    let person = entry
        .authors
        .iter()
        .chain(&feed.authors)
        .filter_map(|p| p.name.as_deref().map(str::trim))
        .find(|n| !n.is_empty());
    // RSS `<author>` is `email (Name)`; keep the name.
    let person = person.map(|n| match (n.find('('), n.rfind(')')) {
        (Some(open), Some(close)) if open < close => n[open + 1..close].trim().to_string(),
        _ => n.to_string(),
    });
    let (author_id, name) = match person {
        Some(name) => (format!("{feed_url}#{name}"), name),
        None => (feed_url.to_string(), feed_title.clone()),
    };
    let url = entry
        .links
        .first()
        .map(|l| l.href.clone())
        .unwrap_or_default();
    let created_at = entry
        .published
        .or(entry.updated)
        .or(feed.updated)
        .unwrap_or_else(Utc::now);
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Rss, id),
        platform: Platform::Rss,
        platform_id: id.to_string(),
        url: url.clone(),
        text,
        created_at,
        collected_at: Utc::now(),
        author: Author {
            id: author_id,
            handle: name.clone(),
            name,
            bio: String::new(),
            followers: 0,
            verified: false,
            created_at: None,
        },
        engagement: Engagement::default(),
        language_hint: feed.language.clone().filter(|l| !l.is_empty()),
        origin: Origin::Live,
        source: String::new(),
        raw: json!({
            "feed": feed_url.as_str(),
            "feed_title": feed_title,
            "id": id,
            "title": title,
            "link": url,
            "summary": summary,
            "published": entry.published,
            "updated": entry.updated,
        })
        .into(),
    }
}

/// Jobs that page through `brand`'s history over `[from, to)`.
pub(crate) fn backfill_jobs(
    _config: &RssConfig,
    _http: &HttpConfig,
    _brand: &earshot_model::Brand,
    _from: chrono::DateTime<chrono::Utc>,
    _to: chrono::DateTime<chrono::Utc>,
    _budgets: &crate::ratelimit::RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    Err(super::no_backfill(
        Platform::Rss,
        "a feed only lists its latest items, so there is no history to page through",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Gazeta</title>
        <language>pl</language>
        <item><title>Orlen &amp; ceny</title><link>https://p.example/a</link><guid>urn:a</guid>
          <author>r@p.example (Anna Nowak)</author>
          <description>&lt;p&gt;Drożej &amp;amp; dłużej&lt;/p&gt;</description>
          <pubDate>Thu, 12 Mar 2026 06:00:48 +0000</pubDate></item>
        <item><title>Bez guid</title><link>https://p.example/b</link></item>
        <item><title>Nic</title></item>
        </channel></rss>"#;

    #[test]
    fn maps_rss_items_by_guid_else_link() {
        let feed = parse_feed(RSS.as_bytes()).unwrap();
        let url = Url::parse("https://p.example/feed").unwrap();
        let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["urn:a", "https://p.example/b", ""]);
        let m = to_mention(&feed, &feed.entries[0], "urn:a", &url);
        assert_eq!(m.id.as_str(), "rss:urn:a");
        assert_eq!(m.text, "Orlen & ceny\nDrożej & dłużej");
        assert_eq!(m.author.name, "Anna Nowak");
        assert_eq!(m.url, "https://p.example/a");
        assert_eq!(m.created_at.to_rfc3339(), "2026-03-12T06:00:48+00:00");
        assert_eq!(m.language_hint.as_deref(), Some("pl"));
        let m = to_mention(&feed, &feed.entries[1], "https://p.example/b", &url);
        assert_eq!(m.author.name, "Gazeta", "the feed's title when no author");
        assert_eq!(m.author.id, "https://p.example/feed");
    }

    #[test]
    fn parses_atom() {
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
            <title>Tech</title><id>urn:f</id><updated>2026-03-12T06:00:00Z</updated>
            <entry><id>urn:e1</id><title>InPost</title><link href="https://p.example/e1"/>
            <updated>2026-03-12T06:00:00Z</updated><author><name>Piotr</name></author>
            <summary type="html">&lt;b&gt;nowe&lt;/b&gt; paczkomaty</summary></entry></feed>"#;
        let feed = parse_feed(atom.as_bytes()).unwrap();
        let url = Url::parse("https://p.example/atom").unwrap();
        let m = to_mention(&feed, &feed.entries[0], "urn:e1", &url);
        assert_eq!(m.text, "InPost\nnowe paczkomaty");
        assert_eq!(m.author.name, "Piotr");
        assert_eq!(m.url, "https://p.example/e1");
    }

    #[test]
    fn truncated_xml_is_an_error() {
        assert!(parse_feed(&RSS.as_bytes()[..RSS.len() / 2]).is_err());
        assert!(parse_feed(b"{\"not\": \"xml\"}").is_err());
    }
}
