//! RSS 2.0 and Atom press feeds, one job per configured feed URL.
//!
//! A poll is one conditional `GET` of the feed: `If-None-Match` / `If-Modified-Since`
//! carry the `ETag` / `Last-Modified` of the last document read, and a `304 Not Modified`
//! produces nothing and leaves the cursor as it was. A changed feed is parsed (`feed-rs`,
//! RSS 0.9x/1.0/2.0, Atom and JSON Feed) and every item not seen before is produced: an
//! item's identity is its `guid` (Atom `id`), else its link. The cursor remembers at
//! most `max_seen_ids` ids (the feed's first items, then the most recent earlier ones),
//! so a feed re-listing old items produces nothing new. A feed listing more items than
//! that also leaves a high-water mark, the newest time among the items not remembered:
//! later polls treat an unremembered item dated at or before it as already produced
//! (an undated one is produced again; the processor drops the repeat by id). The cursor
//! stays bounded whatever the feed's size. Feeds send no rate-limit headers; 429 and
//! 5xx get the usual retries.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use earshot_model::{Platform, RawMention};
use feed_rs::model::{Entry, Feed};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use serde_json::json;
use smart_default::SmartDefault;
use url::Url;

use crate::config::{HttpConfig, parse_base_url, validate_at_least_one, validate_interval};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::paging;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::text::html_to_text;
use earshot_runtime::InternalEvent;

/// `[collectors.rss]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct RssConfig {
    /// Feed URLs (RSS or Atom). Empty: the platform is off.
    pub feeds: Vec<String>,
    /// How many item ids a job's cursor remembers (see the module doc for feeds that
    /// list more).
    #[default(1000)]
    pub max_seen_ids: usize,
    pub poll_interval_ms: Option<u64>,
}

impl RssConfig {
    pub fn is_enabled(&self) -> bool {
        !self.feeds.is_empty()
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        for (i, feed) in self.feeds.iter().enumerate() {
            parse_base_url(&format!("collectors.rss.feeds[{i}]"), feed)?;
        }
        validate_at_least_one("collectors.rss.max_seen_ids", self.max_seen_ids)?;
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
    /// Ids (guid, else link) of items already produced, in listing order, at most
    /// `max_seen_ids`.
    pub seen: Vec<String>,
    /// The newest time (never after the poll) of a listed item that did not fit in
    /// `seen`: an item not in `seen` dated at or before it counts as produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_until: Option<DateTime<Utc>>,
}

/// What one parsed listing adds: the entries to produce and the cursor's next ids.
struct Selection<'a> {
    new: Vec<(&'a Entry, &'a str)>,
    seen: Vec<String>,
    seen_until: Option<DateTime<Utc>>,
}

/// Picks the entries of a listing not produced before, in one pass (hash sets, so a
/// feed of a million items costs a million lookups), and the bounded ids to remember.
fn select_new<'a>(
    entries: &'a [Entry],
    cursor: &FeedCursor,
    max_seen_ids: usize,
    now: DateTime<Utc>,
    feed: &Url,
) -> Selection<'a> {
    let seen: HashSet<&str> = cursor.seen.iter().map(String::as_str).collect();
    let mut listed: HashSet<&str> = HashSet::new();
    let mut remembered: Vec<&str> = Vec::new();
    let mut seen_until = cursor.seen_until;
    let mut new = Vec::new();
    for entry in entries {
        let id = entry.id.trim();
        if id.is_empty() {
            crate::internal_events::ItemUnmapped {
                platform: Platform::Rss,
                what: "feed item",
                reason: &format!("it has neither guid nor link (feed {feed})"),
            }
            .emit();
            continue;
        }
        if !listed.insert(id) {
            continue;
        }
        // A forged future date must not raise the mark past items still to come.
        let time = entry.published.or(entry.updated).map(|t| t.min(now));
        if remembered.len() < max_seen_ids {
            remembered.push(id);
        } else if time.is_some() {
            seen_until = seen_until.max(time);
        }
        let below_mark = matches!((time, cursor.seen_until), (Some(t), Some(until)) if t <= until);
        if !seen.contains(id) && !below_mark {
            new.push((entry, id));
        }
    }
    let room = max_seen_ids - remembered.len();
    let mut next_seen: Vec<String> = remembered.iter().map(|id| id.to_string()).collect();
    next_seen.extend(
        cursor
            .seen
            .iter()
            .filter(|id| !listed.contains(id.as_str()))
            .take(room)
            .cloned(),
    );
    Selection {
        new,
        seen: next_seen,
        seen_until,
    }
}

struct FeedSource {
    poller: HttpPoller,
    url: Url,
    max_seen_ids: usize,
}

/// An entry's identity: its guid / Atom id, else its link. The parser is told to leave
/// the id empty when neither exists, so such entries are skipped rather than keyed by
/// something unstable.
///
/// A feed that fails to parse only for bytes that are not UTF-8 is parsed again with
/// them replaced by U+FFFD, logged and counted, so one bad byte does not block the feed.
pub(crate) fn parse_feed(body: &[u8]) -> Result<Feed, String> {
    let error = match parse_feed_strict(body) {
        Ok(feed) => return Ok(feed),
        Err(error) => error,
    };
    let Some((repaired, repairs)) = crate::text::repair_body(body, false) else {
        return Err(error);
    };
    let feed = parse_feed_strict(&repaired).map_err(|_| error.clone())?;
    crate::http::repaired_page(Platform::Rss, &error, repairs);
    Ok(feed)
}

/// [`parse_feed_unguarded`], with feed-rs's panics caught. feed-rs 3.0 slices a person
/// field ("name <email>") at a byte that can fall inside a multi-byte letter
/// (`parser/util/mod.rs:155`, found by the `feed` fuzz target): one such `<author>`
/// would fail every poll of the feed. The page is parsed again without its person
/// fields (the items keep everything else), logged and counted; only a panic that
/// survives that is an error, naming the parser.
fn parse_feed_strict(body: &[u8]) -> Result<Feed, String> {
    let parsed = std::panic::catch_unwind(|| parse_feed_unguarded(body));
    let message = match parsed {
        Ok(result) => return result,
        Err(panic) => panic_message(panic.as_ref()),
    };
    let stripped = strip_elements(body, PERSON_ELEMENTS);
    let retried = std::panic::catch_unwind(|| parse_feed_unguarded(&stripped));
    let recovered = matches!(retried, Ok(Ok(_)));
    crate::internal_events::FeedParserPanicked {
        error: &message,
        recovered,
    }
    .emit();
    match retried {
        Ok(result) => result,
        Err(_) => Err(format!("the feed parser (feed-rs) panicked: {message}")),
    }
}

fn parse_feed_unguarded(body: &[u8]) -> Result<Feed, String> {
    feed_rs::parser::Builder::new()
        .id_generator(|links, _title, _base| {
            item_link(links)
                .map(|href| href.trim().to_string())
                .unwrap_or_default()
        })
        .build()
        .parse(body)
        .map_err(|e| e.to_string())
}

/// The elements feed-rs reads as "name <email>" persons.
const PERSON_ELEMENTS: &[&str] = &[
    "author",
    "managingEditor",
    "webMaster",
    "dc:creator",
    "itunes:author",
];

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// `body` without every `<name …>…</name>` element of `names` (and self-closing
/// `<name/>`). Byte-wise, so it works on any input; an element left open is kept.
fn strip_elements(body: &[u8], names: &[&str]) -> Vec<u8> {
    let mut out = body.to_vec();
    for name in names {
        let open = format!("<{name}");
        let close = format!("</{name}>");
        let mut kept = Vec::with_capacity(out.len());
        let mut at = 0;
        while let Some(found) = find(&out[at..], open.as_bytes()).map(|i| at + i) {
            let after = out.get(found + open.len()).copied();
            if !matches!(after, Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r')) {
                kept.extend_from_slice(&out[at..found + open.len()]);
                at = found + open.len();
                continue;
            }
            let tag_end = find(&out[found..], b">").map(|i| found + i);
            let end = match tag_end {
                Some(e) if out[e - 1] == b'/' => Some(e + 1),
                Some(e) => find(&out[e..], close.as_bytes()).map(|i| e + i + close.len()),
                None => None,
            };
            let Some(end) = end else { break };
            kept.extend_from_slice(&out[at..found]);
            at = end;
        }
        kept.extend_from_slice(&out[at..]);
        out = kept;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
        let selection = select_new(
            &feed.entries,
            cursor,
            self.max_seen_ids,
            Utc::now(),
            &self.url,
        );
        let mentions = selection
            .new
            .iter()
            .map(|(entry, id)| to_mention(&feed, entry, id, &self.url))
            .collect();
        Ok(Page {
            mentions,
            cursor: FeedCursor {
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
                seen: selection.seen,
                seen_until: selection.seen_until,
            },
            more: false,
            total_hint: None,
        })
    }
}

/// The item's own page among its links: Atom's `rel="alternate"` (or no `rel`, which
/// means alternate), not whichever comes first (`replies` and `edit` often do, as on
/// Blogger); the first link if none is alternate.
fn item_link(links: &[feed_rs::model::Link]) -> Option<&str> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"))
        .or(links.first())
        .map(|l| l.href.as_str())
}

/// An RSS 2.0 `<guid>` is the item's permalink unless `isPermaLink="false"`, which
/// the parser does not report: an id that is an http(s) URL is taken as the URL of an
/// item without a link.
fn permalink_guid(id: &str) -> Option<&str> {
    Url::parse(id)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|_| id)
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
    let url = item_link(&entry.links)
        .or_else(|| permalink_guid(id))
        .unwrap_or_default()
        .to_string();
    let created_at = entry
        .published
        .or(entry.updated)
        .or(feed.updated)
        .unwrap_or_else(Utc::now);
    RawMention {
        url: url.clone(),
        text,
        author: paging::named_author(author_id, name),
        language_hint: feed.language.clone().filter(|l| !l.is_empty()),
        ..paging::mention(
            Platform::Rss,
            id.to_string(),
            created_at,
            json!({
                "feed": feed_url.as_str(),
                "feed_title": feed_title,
                "id": id,
                "title": title,
                "link": url,
                "summary": summary,
                "published": entry.published,
                "updated": entry.updated,
            }),
        )
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

    /// The `feed` fuzz target's crash input: feed-rs 3.0 panicked on its `<author>`.
    const PERSON_PANIC: &[u8] = include_bytes!("../../tests/fixtures/rss/feed-rs-person-panic.xml");

    /// A well-formed feed whose author has a dash right before the e-mail address: the
    /// same feed-rs panic, on a feed anyone could publish.
    const DASHED_AUTHOR: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel>
        <title>Gazeta</title>
        <item><title>Orlen podnosi ceny</title><link>https://p.example/a</link>
          <guid>urn:a</guid><author>Anna Nowak—r@p.example</author>
          <pubDate>Thu, 12 Mar 2026 06:00:48 +0000</pubDate></item>
        </channel></rss>"#;

    #[test]
    fn a_feed_that_panics_the_parser_in_a_person_field_is_read_without_its_persons() {
        // Without the guard, the parser panics (and the job would fail every poll).
        let unguarded = std::panic::catch_unwind(|| parse_feed_unguarded(DASHED_AUTHOR.as_bytes()));
        assert!(unguarded.is_err(), "feed-rs no longer panics on this input");
        let events = earshot_runtime::events::EventRecorder::start();
        let feed = parse_feed(DASHED_AUTHOR.as_bytes()).expect("read without its author");
        assert_eq!(events.count("FeedParserPanicked"), 1);
        assert!(events.find("FeedParserPanicked")[0].contains("recovered: true"));
        assert_eq!(feed.entries.len(), 1);
        let entry = &feed.entries[0];
        assert_eq!(entry.title.as_ref().unwrap().content, "Orlen podnosi ceny");
        assert!(entry.authors.is_empty());
    }

    #[test]
    fn the_fuzzers_crash_input_is_an_error_not_a_panic() {
        // Once its invalid UTF-8 is repaired (as `parse_feed` does), it panicked feed-rs.
        let body = crate::text::repair_body(PERSON_PANIC, false)
            .map_or_else(|| PERSON_PANIC.to_vec(), |(repaired, _)| repaired.to_vec());
        let unguarded = std::panic::catch_unwind(|| parse_feed_unguarded(&body));
        assert!(unguarded.is_err(), "feed-rs no longer panics on this input");
        let events = earshot_runtime::events::EventRecorder::start();
        let error = parse_feed(PERSON_PANIC).expect_err("the rest of it is no feed either");
        assert!(!error.is_empty());
        assert_eq!(events.count("FeedParserPanicked"), 1);
    }

    #[test]
    fn person_elements_are_stripped_and_nothing_else() {
        let body = b"<item><title>a</title><author>x@y (\xc5\x81)</author><authority>k</authority>\
            <dc:creator>Z</dc:creator><author/></item>";
        let stripped = strip_elements(body, PERSON_ELEMENTS);
        assert_eq!(
            stripped,
            b"<item><title>a</title><authority>k</authority></item>".to_vec()
        );
        // An element left open stays, and nothing is lost.
        assert_eq!(
            strip_elements(b"<author>x", PERSON_ELEMENTS),
            b"<author>x".to_vec()
        );
    }

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

    fn huge_feed(items: usize, newest: DateTime<Utc>) -> String {
        let mut xml = String::from(r#"<?xml version="1.0"?><rss version="2.0"><channel>"#);
        for i in 0..items {
            // Newest first, a minute apart, as feeds list them.
            let date = (newest - chrono::TimeDelta::minutes(i as i64)).to_rfc2822();
            xml.push_str(&format!(
                "<item><guid>urn:{i}</guid><title>t</title><pubDate>{date}</pubDate></item>"
            ));
        }
        xml.push_str("</channel></rss>");
        xml
    }

    #[test]
    fn a_huge_feed_is_deduplicated_in_one_pass_with_a_bounded_cursor() {
        let url = Url::parse("https://p.example/feed").unwrap();
        let now: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        let items = 100_000;
        let first = parse_feed(huge_feed(items, now).as_bytes()).unwrap();
        let start = FeedCursor::default();
        let selection = select_new(&first.entries, &start, 1000, now, &url);
        assert_eq!(selection.new.len(), items, "every item is new once");
        assert_eq!(selection.seen.len(), 1000, "the cursor stays bounded");
        assert_eq!(selection.seen[0], "urn:0");
        // urn:1000 is the newest item that did not fit.
        let mark = now - chrono::TimeDelta::minutes(1000);
        assert_eq!(selection.seen_until, Some(mark));
        let cursor = FeedCursor {
            seen: selection.seen,
            seen_until: selection.seen_until,
            ..Default::default()
        };

        // The same feed with two new items on top: only those are produced.
        let later = now + chrono::TimeDelta::minutes(2);
        let mut second = first.clone();
        for (id, minutes) in [("urn:new-b", 1), ("urn:new-a", 2)] {
            let mut entry = second.entries[0].clone();
            entry.id = id.into();
            entry.published = Some(now + chrono::TimeDelta::minutes(minutes));
            second.entries.insert(0, entry);
        }
        let selection = select_new(&second.entries, &cursor, 1000, later, &url);
        let new: Vec<&str> = selection.new.iter().map(|(_, id)| *id).collect();
        assert_eq!(new, ["urn:new-a", "urn:new-b"]);
        assert_eq!(selection.seen.len(), 1000);
        assert!(
            serde_json::to_vec(&FeedCursor {
                seen: selection.seen,
                seen_until: selection.seen_until,
                ..Default::default()
            })
            .unwrap()
            .len()
                < 64 * 1024
        );
    }

    #[test]
    fn a_forged_future_date_cannot_raise_the_mark_past_new_items() {
        let url = Url::parse("https://p.example/feed").unwrap();
        let now: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        let mut feed = parse_feed(huge_feed(3, now).as_bytes()).unwrap();
        feed.entries[2].published = Some("2100-01-01T00:00:00Z".parse().unwrap());
        let selection = select_new(&feed.entries, &FeedCursor::default(), 2, now, &url);
        assert_eq!(selection.seen_until, Some(now));
    }

    #[test]
    fn old_cursors_without_a_mark_still_load() {
        let cursor: FeedCursor =
            serde_json::from_str(r#"{"etag":null,"last_modified":null,"seen":["a"]}"#).unwrap();
        assert_eq!(cursor.seen_until, None);
    }

    #[test]
    fn a_feed_with_an_invalid_utf8_byte_is_read() {
        let mut xml = RSS.as_bytes().to_vec();
        let at = RSS.find("Orlen &amp;").unwrap();
        xml[at] = 0xFF;
        let feed = parse_feed(&xml).unwrap();
        let url = Url::parse("https://p.example/feed").unwrap();
        let m = to_mention(&feed, &feed.entries[0], "urn:a", &url);
        assert!(m.text.starts_with("\u{FFFD}rlen & ceny"), "{}", m.text);
        assert_eq!(feed.entries.len(), 3, "every item is still there");
    }

    const DOCUMENTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/documented");

    #[test]
    fn an_item_without_a_link_takes_its_permalink_guid() {
        let xml = std::fs::read(format!("{DOCUMENTED}/rss2_guid_without_link.xml")).unwrap();
        let feed = parse_feed(&xml).unwrap();
        let url = Url::parse("http://liftoff.msfc.nasa.gov/rss").unwrap();
        let urls: Vec<String> = feed
            .entries
            .iter()
            .map(|e| to_mention(&feed, e, &e.id, &url).url)
            .collect();
        assert_eq!(
            urls,
            ["http://liftoff.msfc.nasa.gov/2003/05/30.html#item572", ""],
            "a guid that is no URL is no permalink"
        );
    }

    #[test]
    fn an_atom_entry_takes_its_alternate_link_not_the_first() {
        let xml = std::fs::read(format!("{DOCUMENTED}/atom_rfc4287_blogger_links.xml")).unwrap();
        let feed = parse_feed(&xml).unwrap();
        let url = Url::parse("http://example.org/feed.atom").unwrap();
        let entry = &feed.entries[0];
        let m = to_mention(&feed, entry, &entry.id, &url);
        assert_eq!(m.url, "http://example.org/2005/04/02/atom");
        assert_eq!(m.author.name, "Mark Pilgrim");
        // Without an id, the alternate link is the identity too.
        let links = &entry.links;
        assert_eq!(item_link(links), Some("http://example.org/2005/04/02/atom"));
        assert_eq!(
            item_link(&links[..1]),
            Some("http://example.org/2005/04/02/atom/comments")
        );
    }

    #[test]
    fn truncated_xml_is_an_error() {
        assert!(parse_feed(&RSS.as_bytes()[..RSS.len() / 2]).is_err());
        assert!(parse_feed(b"{\"not\": \"xml\"}").is_err());
    }
}
