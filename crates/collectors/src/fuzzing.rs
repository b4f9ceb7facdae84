//! Entry points for the fuzz targets in `fuzz/` (`cargo fuzz`), behind the `fuzzing`
//! feature: each takes the raw bytes a platform could send and runs them through the
//! same parsing and mapping the collectors use, so a hostile body that panics, loops
//! or yields a record the processor would refuse is found here rather than in a job.
//!
//! Every mention a mapping returns must survive the processor's own decoding
//! ([`RawMention::decode`] of its encoding): a collector must never produce a record
//! that can only be dead-lettered.

use chrono::{DateTime, Utc};
use earshot_enrichment::BrandFilter;
use earshot_model::{Brand, RawMention};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::platforms::bluesky::{jetstream, search as bluesky_search};
use crate::platforms::reddit::links::Listing;
use crate::platforms::{hacker_news, link_header, mastodon, rss, x, youtube};
use crate::ratelimit::{RateLimitHeaders, retry_after};

/// Panics unless `mention` round-trips through the processor's decoder.
fn check(mention: &RawMention) {
    let bytes = mention.encode();
    match RawMention::decode(&bytes) {
        Ok(decoded) => assert_eq!(decoded.id, mention.id, "id changed in a round trip"),
        Err(e) if bytes.len() > earshot_model::MAX_RAW_MENTION_BYTES => {
            // Too large for the topic: the sink's item cap handles it, not the mapping.
            let _ = e;
        }
        Err(e) => panic!("a mapped mention the processor would refuse: {e}: {mention:?}"),
    }
}

fn json(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

/// The items of `value[key]`, or of `value` itself when it is an array.
fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .as_array()
        .or_else(|| value[key].as_array())
        .map_or(&[], Vec::as_slice)
}

/// A Mastodon timeline (an array of statuses) or v2 search (`{statuses: [...]}`).
pub fn mastodon_statuses(data: &[u8]) {
    let Some(page) = json(data) else { return };
    for status in items(&page, "statuses") {
        if let Some(m) = mastodon::to_mention(status, "mastodon.example") {
            check(&m);
        }
    }
}

/// A Bluesky `app.bsky.feed.searchPosts` page (`{posts: [...], cursor}`).
pub fn bluesky_search_posts(data: &[u8]) {
    let Some(page) = json(data) else { return };
    for post in items(&page, "posts") {
        if let Some(m) = bluesky_search::to_mention(post) {
            check(&m);
        }
    }
}

fn fuzz_brands() -> Vec<Brand> {
    serde_json::from_value(serde_json::json!([
        {"name": "Żabka", "keywords": ["Żabka"], "hashtags": ["zabka"]},
        {"name": "Acme", "keywords": ["acme", "stacja Acme"]}
    ]))
    .expect("static brands parse")
}

/// One Jetstream frame, then the cursor arithmetic a reconnect does with its
/// `time_us`, and a stored cursor read back.
pub fn jetstream_frame(data: &[u8]) {
    thread_local! {
        static FILTER: BrandFilter = BrandFilter::new(&fuzz_brands()).expect("static brands compile");
    }
    if let Some(event) = json(data) {
        FILTER.with(|filter| {
            if let Some(m) = jetstream::to_mention(&event, filter) {
                check(&m);
            }
        });
        if let Some(time_us) = event["time_us"].as_i64() {
            let now = Utc::now().timestamp_micros();
            if jetstream::plausible_time_us(time_us, now) {
                let rewound = jetstream::rewound(time_us, 3_600_000_000);
                assert!(rewound >= 0 && rewound <= time_us);
            }
            let _ = jetstream::rewound(time_us, i64::MAX);
        }
    }
    let _ = serde_json::from_slice::<jetstream::JetstreamCursor>(data);
}

/// A Reddit Listing of links (`{kind: "Listing", data: {after, children}}`).
pub fn reddit_listing(data: &[u8]) {
    let Ok(listing) = serde_json::from_slice::<Listing>(data) else {
        return;
    };
    let (links, _next) = listing.data.links("fuzz");
    for link in &links {
        if let Some(m) = crate::platforms::reddit::links::to_mention(link) {
            check(&m);
        }
    }
}

/// An Algolia Hacker News search page (`{hits: [...], nbPages, ...}`).
pub fn hacker_news_hits(data: &[u8]) {
    let Some(page) = json(data) else { return };
    for hit in items(&page, "hits") {
        if let Some(m) = hacker_news::to_mention(hit) {
            check(&m);
        }
    }
}

/// An X recent-search page (`{data: [...], includes: {users: [...]}, meta}`).
pub fn x_search(data: &[u8]) {
    let Some(page) = json(data) else { return };
    let users = items(&page["includes"], "users");
    for post in items(&page, "data") {
        let author = post["author_id"].as_str();
        let user = users.iter().find(|u| u["id"].as_str() == author);
        if let Some(m) = x::post::to_mention(post, user) {
            check(&m);
        }
    }
}

/// A YouTube `commentThreads.list` page (`{items: [...], nextPageToken}`).
pub fn youtube_threads(data: &[u8]) {
    let Some(page) = json(data) else { return };
    for thread in items(&page, "items") {
        if let Some(m) = youtube::comment::to_mention(thread) {
            check(&m);
        }
    }
}

/// An RSS 2.0, Atom or JSON feed body.
pub fn feed(data: &[u8]) {
    // `parse_feed` catches feed-rs's own panics (a known bug in its person fields) and
    // reads the page without them; libFuzzer's panic hook would abort before that catch,
    // so the hook is silenced for the parse alone. A panic in Earshot's mapping below
    // still aborts the run.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let parsed = rss::parse_feed(data);
    std::panic::set_hook(hook);
    let Ok(feed) = parsed else {
        return;
    };
    let url = url::Url::parse("https://feed.example/rss.xml").expect("static URL");
    for entry in &feed.entries {
        let id = entry.id.trim();
        if !id.is_empty() {
            check(&rss::to_mention(&feed, entry, id, &url));
        }
    }
}

/// HTML to text and entity decoding, as every platform's HTML bodies take them.
/// (An unclosed `<br` or a decoded `&lt;br&gt;` is text, so no "no tag survives"
/// property holds; the first 1,000,000-run campaign found exactly that.)
pub fn html(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // Tags, entities and blank lines only ever shrink the text: growth would mean
    // a decoding loop or a tag turned into more than a newline.
    let plain = crate::text::html_to_text(&text);
    assert!(
        plain.len() <= text.len(),
        "html_to_text grew the text: {plain:?}"
    );
    let decoded = crate::text::decode_entities(&text);
    assert!(
        decoded.len() <= text.len(),
        "decode_entities grew the text: {decoded:?}"
    );
}

/// Response headers as `name: value` lines, read by every platform's rate-limit parser
/// and by `Retry-After`, at a fixed and at the current time.
pub fn rate_limit_headers(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    let fixed = DateTime::<Utc>::from_timestamp(1_764_547_200, 0).expect("static time");
    for now in [fixed, Utc::now()] {
        for kind in [
            RateLimitHeaders::Mastodon,
            RateLimitHeaders::Reddit,
            RateLimitHeaders::X,
            RateLimitHeaders::IetfEpoch,
            RateLimitHeaders::None,
        ] {
            if let Some(status) = kind.parse(&headers, now) {
                // A reset in the past is fine (the window has rolled over); one far
                // in the future would park the job.
                let cap = chrono::Duration::from_std(crate::ratelimit::MAX_SERVER_WAIT)
                    .expect("an hour fits");
                assert!(
                    status.reset_at <= now + cap,
                    "reset_at past the capped wait: {status:?}"
                );
            }
        }
        if let Some(wait) = retry_after(&headers, now) {
            assert!(
                wait <= crate::ratelimit::MAX_SERVER_WAIT,
                "uncapped wait {wait:?}"
            );
        }
    }
}

/// An RFC 8288 `Link` header, as Mastodon pages with it.
pub fn link(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    for url in link_header::parse(header).values() {
        let _ = link_header::query_param(url, "max_id");
    }
}
