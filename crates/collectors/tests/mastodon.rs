//! Mastodon-specific behaviour against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`. The fault scenarios
//! every platform shares (paging, empty pages, 429s, 500s, timeouts, malformed bodies,
//! repeated cursors, restarts, rate budgets) are in `faults.rs`.

mod common;

use common::platforms::mastodon::*;
use common::*;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions};
use earshot_replay::{Fault, RateLimitWindow, ReplayServer};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_to_the_end_then_polls_only_for_newer() {
    init_tracing();
    let server = replay().await;
    let kafka = kafka("mastodon-paging").await;
    let config = config_for(&server, 10);
    let want = expected(&server, "orlen");
    assert!(want.len() > 50, "the sample should need many pages");

    let report = run_once(&config, &[brand(&["orlen"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert!(
        report.pages() >= (want.len() / 10) as u64,
        "pages: {}",
        report.pages()
    );
    let mentions = produced(&kafka).await;
    let m = mentions.iter().find(|m| !m.author.bio.is_empty()).unwrap();
    assert!(m.source.ends_with("#orlen") && m.source.starts_with("mastodon:127.0.0.1:"));
    assert!(!m.text.contains('<'), "HTML stripped: {}", m.text);

    // A second run asks only for statuses newer than the newest seen: one request, nothing new.
    let before = server.requests().len();
    let again = run_once(&config, &[brand(&["orlen"])], &kafka).await;
    assert_eq!(again.mentions(), 0);
    let new_requests = &server.requests()[before..];
    assert_eq!(new_requests.len(), 1, "{new_requests:?}");
    assert!(
        new_requests[0].path_and_query.contains("min_id="),
        "{:?}",
        new_requests[0]
    );
    assert_exactly(&produced(&kafka).await, &want, 0);
}

// Status search and backfill.

use chrono::{DateTime, Utc};
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_collectors::{Error, RateBudgets, Secret};
use earshot_model::{Brand, Origin, Platform};

/// Whether `text` holds `word` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The sample statuses created in `[from, to)` that `keep` selects, as mention ids.
fn statuses_where(
    server: &ReplayServer,
    from: &str,
    to: &str,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> BTreeSet<String> {
    let (from, to): (DateTime<Utc>, DateTime<Utc>) = (from.parse().unwrap(), to.parse().unwrap());
    server
        .dataset()
        .mastodon
        .iter()
        .filter(|s| {
            let at: DateTime<Utc> = s["created_at"].as_str().unwrap().parse().unwrap();
            at >= from && at < to && keep(s)
        })
        .map(|s| format!("mastodon:{}", s["uri"].as_str().unwrap()))
        .collect()
}

/// Statuses whose text (HTML stripped) holds `word`, as the instance's search finds them.
fn mentions_word(word: &str) -> impl Fn(&serde_json::Value) -> bool {
    move |s| {
        let mut text = String::new();
        let mut in_tag = false;
        for c in s["content"].as_str().unwrap().chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        has_word(&text.to_lowercase(), word)
    }
}

fn tagged(tag: &str) -> impl Fn(&serde_json::Value) -> bool {
    move |s| {
        s["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == tag)
    }
}

const ALL_FROM: &str = "2026-03-12T00:00:00Z";
const ALL_TO: &str = "2026-03-13T00:00:00Z";

fn search_config(server: &ReplayServer, page_limit: u32) -> CollectorsConfig {
    let mut config = config_for(server, page_limit);
    config.hacker_news.enabled = false;
    config.mastodon.search = true;
    config.mastodon.access_token = Some(Secret::new(earshot_replay::MASTODON_ACCESS_TOKEN));
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_search_pages_to_the_end_then_sweeps_only_what_is_newer() {
    let server = replay().await;
    let kafka = kafka("mastodon-search").await;
    let config = search_config(&server, 10);
    // A keyword, no hashtag: only the search job runs.
    let brands = [keyword_brand("inpost")];
    let half = "2026-03-12T09:00:00Z";
    server.set_visible_until(Some(half.parse().unwrap()));
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let first = statuses_where(&server, ALL_FROM, half, mentions_word("inpost"));
    assert!(
        first.len() > 30
            && first.len() > statuses_where(&server, ALL_FROM, half, tagged("inpost")).len(),
        "search finds the word beyond the hashtag: {}",
        first.len()
    );
    assert_exactly(&produced(&kafka).await, &first, 0);
    let mentions = produced(&kafka).await;
    let job = format!("mastodon:{}?q=inpost", server.addr());
    assert!(
        mentions.iter().all(|m| m.source == job),
        "{}",
        mentions[0].source
    );
    let searches: Vec<_> = server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert!(searches.len() >= first.len() / 10, "{searches:?}");
    assert!(searches.iter().all(|p| p.starts_with("/api/v2/search?")
        && p.contains("type=statuses")
        && p.contains("resolve=false")
        && p.contains("limit=10")));
    assert!(
        searches.iter().skip(1).all(|p| p.contains("max_id=")),
        "{searches:?}"
    );

    // Later statuses arrive: the next sweep stops at the newest one seen before.
    server.set_visible_until(None);
    let before = server.requests().len();
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let all = statuses_where(&server, ALL_FROM, ALL_TO, mentions_word("inpost"));
    assert_exactly(&produced(&kafka).await, &all, 0);
    let sweep = &server.requests()[before..];
    assert!(
        sweep.iter().all(|r| r.path_and_query.contains("min_id=")),
        "{sweep:?}"
    );
    assert!(
        sweep.len() <= (all.len() - first.len()).div_ceil(10) + 1,
        "{sweep:?}"
    );

    // Nothing new: one request, nothing produced.
    let before = server.requests().len();
    let report = run_once(&config, &brands, &kafka).await;
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_search_needs_a_valid_token_and_says_so() {
    let server = replay().await;
    let kafka = kafka("mastodon-search-token").await;
    let mut config = search_config(&server, 10);
    config.mastodon.access_token = None;
    let error = earshot_collectors::run(
        &config,
        &[keyword_brand("inpost")],
        &kafka,
        &RunOptions::from(RunMode::Once),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Config { .. }));
    assert!(
        error
            .to_string()
            .starts_with("collectors.mastodon.search: needs a user access token"),
        "{error}"
    );

    config.mastodon.access_token = Some(Secret::new("not-the-token-1234"));
    let report = run_once(&config, &[keyword_brand("inpost")], &kafka).await;
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].1.contains("HTTP 401"), "{failures:?}");
    assert!(!failures[0].1.contains("not-the-token"), "{failures:?}");
    assert_eq!(produced(&kafka).await.len(), 0);
}

fn backfill_request(brand: Brand, from: &str, to: &str) -> BackfillRequest {
    BackfillRequest {
        brand,
        platform: Platform::Mastodon,
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hashtag_backfill_survives_a_kill_and_adds_nothing_twice() {
    let server = replay().await;
    let kafka = kafka("mastodon-backfill").await;
    let config = config_for(&server, 5);
    let (from, to) = ("2026-03-12T08:30:00Z", "2026-03-12T09:30:00Z");
    let want = statuses_where(&server, from, to, tagged("zabka"));
    assert!(
        want.len() > 25,
        "the range needs many pages: {}",
        want.len()
    );
    let request = backfill_request(brand(&["zabka"]), from, to);

    // Killed part-way.
    for _ in 0..100 {
        server.inject("mastodon", Fault::Delay(Duration::from_millis(10)));
    }
    let report = run_backfill(&config, &kafka, &request, after_requests(&server, 4)).await;
    let partial = produced(&kafka).await.len();
    assert!(
        partial > 0 && partial < want.len(),
        "killed mid-way: {partial} of {} ({report:?})",
        want.len()
    );
    let first = &server.requests()[0].path_and_query;
    let (max_id, since_id) = (
        (to.parse::<DateTime<Utc>>().unwrap().timestamp_millis() as u64 + 60_000) << 16,
        (from.parse::<DateTime<Utc>>().unwrap().timestamp_millis() as u64 - 60_000) << 16,
    );
    assert!(
        first.starts_with("/api/v1/timelines/tag/zabka?")
            && first.contains(&format!("max_id={max_id}"))
            && first.contains(&format!("since_id={since_id}")),
        "ids derived from the dates: {first}"
    );

    // Resumed by a new process, from the stored cursor.
    let killed_at = server.requests().len();
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let mentions = produced(&kafka).await;
    // A kill between produce and cursor store may repeat one page of 5.
    assert_exactly(&mentions, &want, 5);
    assert!(mentions.iter().all(|m| m.origin == Origin::Backfill));
    let host = server.addr();
    let job = format!(
        "backfill:mastodon:{host}#zabka:{}..{}",
        request.from.timestamp(),
        request.to.timestamp()
    );
    assert!(
        mentions.iter().all(|m| m.source == job),
        "{}",
        mentions[0].source
    );
    let pages = (want.len() + 10).div_ceil(5);
    assert!(
        server.requests().len() - killed_at <= pages,
        "resumed, not restarted: {} requests",
        server.requests().len() - killed_at
    );

    // The finished range again: no request, nothing added.
    let before = server.requests().len();
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), before);
    assert_eq!(produced(&kafka).await.len(), mentions.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_backfill_fetches_the_range_exactly_once() {
    let server = replay().await;
    let kafka = kafka("mastodon-backfill-search").await;
    let (from, to) = ("2026-03-12T08:20:00Z", "2026-03-12T09:40:00Z");
    let request = backfill_request(keyword_brand("paczkomat"), from, to);

    // Keywords without search enabled: a clear error, not an empty backfill.
    let error = backfill::run(
        &config_for(&server, 7),
        &kafka,
        &request,
        &RateBudgets::default(),
        None,
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().starts_with("collectors.mastodon.search:"),
        "{error}"
    );

    let config = search_config(&server, 7);
    let want = statuses_where(&server, from, to, mentions_word("paczkomat"));
    assert!(want.len() > 40, "{}", want.len());
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    let requests = server.requests();
    assert!(requests.len() >= want.len().div_ceil(7));
    assert!(
        requests
            .iter()
            .all(|r| r.path_and_query.starts_with("/api/v2/search?")
                && r.path_and_query.contains("max_id=")
                && r.path_and_query.contains("min_id="))
    );

    let again = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert_eq!(again.mentions(), 0);
    assert_eq!(server.requests().len(), requests.len());
}

/// `earshot backfill` and `earshot collect` are separate processes on one credential:
/// each has its own budget and sees the other only through the headers. The backfill
/// runs three jobs at once against live's one, yet its reserve leaves live polling half
/// of every window, and together they never overspend it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_leaves_live_collection_its_share_of_the_rate_limit() {
    let server = replay().await;
    let kafka = kafka("mastodon-backfill-reserve").await;
    let config = config_for(&server, 4);
    server.set_rate_limit(
        "mastodon",
        RateLimitWindow {
            limit: 10,
            window: Duration::from_millis(1000),
        },
    );
    let backfill_tags = ["zabka", "inpost", "allegro"];
    let backfilled: BTreeSet<String> = backfill_tags
        .iter()
        .flat_map(|tag| statuses_where(&server, ALL_FROM, ALL_TO, tagged(tag)))
        .collect();
    let live = expected(&server, "orlen");
    let request = backfill_request(brand(&backfill_tags), ALL_FROM, ALL_TO);
    let backfill_budgets = RateBudgets::with_reserve(0.5);
    let backfill = backfill::run(
        &config,
        &kafka,
        &request,
        &backfill_budgets,
        None,
        std::future::pending(),
    );
    let live_brands = [brand(&["orlen"])];
    let collect = run_once(&config, &live_brands, &kafka);
    let (backfill, collect) = tokio::join!(backfill, collect);
    let backfill = backfill.unwrap();
    assert!(backfill.failures().is_empty(), "{:?}", backfill.failures());
    assert!(collect.failures().is_empty(), "{:?}", collect.failures());
    // Once either process has read the platform's headers, the two together stay
    // within every window. The first window is spent blind by both processes starting at
    // once (on Apache Kafka their start-up overlaps so that one request in it can go
    // over; the platform answers that with a 429, which the collectors retry).
    let mut per_window: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for (_, window) in server.window_log() {
        *per_window.entry(window).or_default() += 1;
    }
    let after_first: Vec<usize> = per_window.values().skip(1).copied().collect();
    assert!(
        after_first.iter().all(|&n| n <= 10),
        "the two together overspent a window: {after_first:?}"
    );
    // A status with several of the tags is produced by each job (the processor keeps one).
    let mentions = produced(&kafka).await;
    let got: BTreeSet<String> = mentions.iter().map(|m| m.id.as_str().to_string()).collect();
    assert_eq!(got, &backfilled | &live);

    // In every window the backfill's three jobs left half of it: at most 5 of 10
    // requests, plus one sent on a count the live process had just made stale (measured:
    // 2 to 5). Without the reserve the two overspend the window above. The first window
    // is spent before anyone has read a header.
    let mut backfill_per_window: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for (path, window) in server.window_log() {
        if !path.contains("/tag/orlen") {
            *backfill_per_window.entry(window).or_default() += 1;
        }
    }
    let counts: Vec<usize> = backfill_per_window.values().copied().collect();
    assert!(
        counts.len() > 3,
        "the backfill should span several windows: {counts:?}"
    );
    assert!(
        counts[1..].iter().all(|&n| n <= 6),
        "backfill requests per window: {counts:?}"
    );
}
