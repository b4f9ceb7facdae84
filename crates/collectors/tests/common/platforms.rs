//! Per platform: the replay server with the platform's sample data, a collectors config
//! pointed at it, and the exact mention ids the sample holds for a query. Shared by the
//! platform test files and the fault suite (`tests/faults.rs`), so there is one copy.

use std::collections::BTreeSet;

use earshot_collectors::{CollectorsConfig, Secret};
use earshot_replay::{Dataset, ReplayServer, RequestRecord};

use super::{fast_config, keyword_brand, repo_root};

/// [`fast_config`] with the platforms that are on by default (Mastodon, Hacker News)
/// turned off, for a test of another one.
pub fn others_off() -> CollectorsConfig {
    let mut config = fast_config();
    config.mastodon.enabled = false;
    config.hacker_news.enabled = false;
    config
}

/// A replay server holding the sample file `samples/{path}`.
pub async fn replay_of(path: &str) -> ReplayServer {
    let dataset = Dataset::from_files([repo_root().join("samples").join(path)])
        .unwrap_or_else(|e| panic!("sample data {path}: {e}"));
    earshot_replay::start(dataset)
        .await
        .expect("start replay server")
}

pub mod mastodon {
    use super::*;

    pub const SAMPLE: &str = "mastodon/statuses.json";

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    /// Mention ids of the sample statuses tagged `tag`.
    pub fn expected(server: &ReplayServer, tag: &str) -> BTreeSet<String> {
        server
            .dataset()
            .mastodon
            .iter()
            .filter(|s| {
                s["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["name"] == tag)
            })
            .map(|s| format!("mastodon:{}", s["uri"].as_str().unwrap()))
            .collect()
    }

    pub fn config_for(server: &ReplayServer, page_limit: u32) -> CollectorsConfig {
        let mut config = fast_config();
        config.mastodon.instances = vec![server.base_url()];
        config.mastodon.page_limit = page_limit;
        config.mastodon.history_pages = 1000;
        config
    }

    /// When the server answered 429.
    pub fn statuses_429(server: &ReplayServer) -> Vec<std::time::Instant> {
        server
            .requests()
            .iter()
            .filter(|r| r.status == 429)
            .map(|r| r.at)
            .collect()
    }
}

pub mod hacker_news {
    use super::*;

    pub const SAMPLE: &str = "hacker_news/items.json";

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    /// Ids of the sample hits mentioning `word` created in `[from, to)`.
    pub fn expected(server: &ReplayServer, word: &str, from: i64, to: i64) -> BTreeSet<String> {
        server
            .dataset()
            .hacker_news
            .iter()
            .filter(|h| {
                let text = ["title", "comment_text"]
                    .iter()
                    .filter_map(|k| h[*k].as_str())
                    .collect::<String>();
                let at = h["created_at_i"].as_i64().unwrap();
                text.to_lowercase().contains(word) && at >= from && at < to
            })
            .map(|h| format!("hacker_news:{}", h["objectID"].as_str().unwrap()))
            .collect()
    }

    pub fn config_for(server: &ReplayServer, per_page: u32) -> CollectorsConfig {
        let mut config = fast_config();
        config.mastodon.enabled = false;
        config.hacker_news.base_url = server.base_url();
        config.hacker_news.hits_per_page = per_page;
        config.hacker_news.index_lag_secs = 0;
        config.hacker_news.initial_lookback_hours = 24 * 3650;
        config
    }
}

pub mod reddit {
    use super::*;

    pub const SAMPLE: &str = "reddit/posts.json";

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    /// Mention ids of the sample links mentioning `word`, in `subreddits` if any are given.
    pub fn expected(server: &ReplayServer, word: &str, subreddits: &[&str]) -> BTreeSet<String> {
        server
            .dataset()
            .reddit
            .iter()
            .filter(|p| {
                let text = format!(
                    "{} {}",
                    p["title"].as_str().unwrap(),
                    p["selftext"].as_str().unwrap()
                );
                text.to_lowercase().contains(word)
                    && (subreddits.is_empty()
                        || subreddits.contains(&p["subreddit"].as_str().unwrap()))
            })
            .map(|p| format!("reddit:{}", p["name"].as_str().unwrap()))
            .collect()
    }

    pub fn config_for(server: &ReplayServer, page_limit: u32) -> CollectorsConfig {
        let mut config = others_off();
        config.reddit.base_url = server.base_url();
        config.reddit.token_url = format!("{}/api/v1/access_token", server.base_url());
        config.reddit.client_id = Some(Secret::new("replay-client"));
        config.reddit.client_secret = Some(Secret::new("replay-secret"));
        config.reddit.user_agent = Some("test:earshot:0.1.0 (by /u/earshot_test)".into());
        config.reddit.page_limit = page_limit;
        config.reddit.history_pages = 1000;
        config
    }

    /// Search requests only (not the token endpoint).
    pub fn searches(server: &ReplayServer) -> Vec<RequestRecord> {
        server
            .requests()
            .into_iter()
            .filter(|r| r.path_and_query.contains("search?"))
            .collect()
    }
}

pub mod x {
    use super::*;

    pub const SAMPLE: &str = "x/tweets.json";

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    /// Mention ids of the sample posts mentioning `word`.
    pub fn expected(server: &ReplayServer, word: &str) -> BTreeSet<String> {
        server
            .dataset()
            .x
            .iter()
            .filter(|p| p["text"].as_str().unwrap().to_lowercase().contains(word))
            .map(|p| format!("x:{}", p["id"].as_str().unwrap()))
            .collect()
    }

    pub fn config_for(server: &ReplayServer, max_results: u32) -> CollectorsConfig {
        let mut config = others_off();
        config.x.base_url = server.base_url();
        config.x.bearer_token = Some(Secret::new("replay-bearer"));
        config.x.max_results = max_results;
        config.x.history_pages = 1000;
        config
    }

    pub fn searches(server: &ReplayServer) -> Vec<RequestRecord> {
        server.requests()
    }
}

pub mod youtube {
    use super::*;

    pub const SAMPLE: &str = "youtube/comment_threads.json";

    /// A video with many sample comment threads.
    pub const VIDEO: &str = "dQw4Orlen01";

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    /// Mention ids of the sample threads whose snippet has `field` = `value`.
    pub fn expected(server: &ReplayServer, field: &str, value: &str) -> BTreeSet<String> {
        server
            .dataset()
            .youtube
            .iter()
            .filter(|t| t["snippet"][field] == value)
            .map(|t| format!("youtube:{}", t["id"].as_str().unwrap()))
            .collect()
    }

    pub fn config_for(
        server: &ReplayServer,
        max_results: u32,
        videos: &[&str],
    ) -> CollectorsConfig {
        let mut config = others_off();
        config.youtube.base_url = server.base_url();
        config.youtube.api_key = Some(Secret::new("replay-key"));
        config.youtube.video_ids = videos.iter().map(|v| v.to_string()).collect();
        config.youtube.max_results = max_results;
        config.youtube.history_pages = 1000;
        config
    }
}

pub mod rss {
    use super::*;

    pub const SAMPLE: &str = "rss/items.json";

    /// The sample's two feeds, one served as RSS 2.0 and one as Atom: `(format, feed)`.
    pub const FEEDS: [(&str, &str); 2] = [("rss", "biznes"), ("atom", "tech")];

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    /// One feed job per `format/feed` path, polled one at a time.
    pub fn config_with_feeds(server: &ReplayServer, paths: &[&str]) -> CollectorsConfig {
        let mut config = others_off();
        config.concurrency = 1;
        config.rss.feeds = paths
            .iter()
            .map(|path| format!("{}/{path}", server.base_url()))
            .collect();
        config
    }

    pub fn config_for(server: &ReplayServer) -> CollectorsConfig {
        let paths: Vec<String> = FEEDS
            .iter()
            .map(|(f, feed)| format!("{f}/{feed}"))
            .collect();
        config_with_feeds(
            server,
            &paths.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }

    /// Mention ids of the sample items of `feeds` published up to `until`.
    pub fn expected(
        server: &ReplayServer,
        feeds: &[&str],
        until: Option<&str>,
    ) -> BTreeSet<String> {
        server
            .dataset()
            .rss
            .iter()
            .filter(|i| feeds.contains(&i["feed"].as_str().unwrap()))
            .filter(|i| until.is_none_or(|u| i["published"].as_str().unwrap() <= u))
            .map(|i| {
                let id = i["guid"].as_str().or(i["link"].as_str()).unwrap();
                format!("rss:{id}")
            })
            .collect()
    }

    pub fn statuses(server: &ReplayServer) -> Vec<u16> {
        server.requests().iter().map(|r| r.status).collect()
    }
}

pub mod bluesky {
    use earshot_model::Brand;
    use serde_json::Value;

    use super::*;

    pub const SAMPLE: &str = "bluesky/events.json";

    /// The keywords of [`brands`].
    pub const KEYWORDS: [&str; 2] = ["orlen", "inpost"];

    pub async fn server() -> ReplayServer {
        replay_of(SAMPLE).await
    }

    pub fn config_for(server: &ReplayServer) -> CollectorsConfig {
        let mut config = others_off();
        config.bluesky.enabled = true;
        config.bluesky.endpoint = server.base_url();
        config.bluesky.idle_ms = 400;
        // Sample events are 2-16 s apart: a 30 s rewind replays several on every reconnect.
        config.bluesky.rewind_secs = 30;
        config.bluesky.batch_size = 10;
        config
    }

    /// A search-only config (no Jetstream) logging in to the replay server's account.
    pub fn search_config(server: &ReplayServer) -> CollectorsConfig {
        let mut config = config_for(server);
        config.bluesky.enabled = false;
        config.bluesky.search_base_url = server.base_url();
        config.bluesky.search_identifier = Some(Secret::new(earshot_replay::BLUESKY_IDENTIFIER));
        config.bluesky.search_app_password =
            Some(Secret::new(earshot_replay::BLUESKY_APP_PASSWORD));
        config.bluesky.search_page_limit = 10;
        config.bluesky.search_history_pages = 1000;
        config
    }

    pub fn brands() -> Vec<Brand> {
        KEYWORDS.iter().map(|k| keyword_brand(k)).collect()
    }

    /// Whether `event` creates a post naming one of `keywords`.
    pub fn matches(event: &Value, keywords: &[&str]) -> bool {
        let commit = &event["commit"];
        commit["operation"] == "create"
            && commit["collection"] == "app.bsky.feed.post"
            && commit["record"]["text"]
                .as_str()
                .is_some_and(|t| keywords.iter().any(|k| t.to_lowercase().contains(k)))
    }

    pub fn is_match(event: &Value) -> bool {
        matches(event, &KEYWORDS)
    }

    /// Mention ids of posts naming one of `keywords` among the first `events` events (in
    /// time order).
    pub fn expected_for(
        server: &ReplayServer,
        keywords: &[&str],
        events: usize,
    ) -> BTreeSet<String> {
        let mut all: Vec<&Value> = server.dataset().bluesky.iter().collect();
        all.sort_by_key(|e| e["time_us"].as_i64());
        all.into_iter()
            .take(events)
            .filter(|e| matches(e, keywords))
            .map(|e| {
                format!(
                    "bluesky:at://{}/app.bsky.feed.post/{}",
                    e["did"].as_str().unwrap(),
                    e["commit"]["rkey"].as_str().unwrap()
                )
            })
            .collect()
    }

    /// Mention ids of matching posts among the first `events` events (in time order).
    pub fn expected(server: &ReplayServer, events: usize) -> BTreeSet<String> {
        expected_for(server, &KEYWORDS, events)
    }
}
