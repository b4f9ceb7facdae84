//! Mastodon hashtag timelines against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions};
use earshot_replay::{Fault, RateLimitWindow, ReplayServer};

/// Mention ids of the sample statuses tagged `tag`.
fn expected(server: &ReplayServer, tag: &str) -> BTreeSet<String> {
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

fn config_for(server: &ReplayServer, page_limit: u32) -> CollectorsConfig {
    let mut config = fast_config();
    config.mastodon.instances = vec![server.base_url()];
    config.mastodon.page_limit = page_limit;
    config.mastodon.history_pages = 1000;
    config
}

fn statuses_429(server: &ReplayServer) -> Vec<Instant> {
    server
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .map(|r| r.at)
        .collect()
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_that_arrive_later_are_collected_once() {
    let server = replay().await;
    let kafka = kafka("mastodon-arrivals").await;
    let config = config_for(&server, 7);
    server.set_visible_until(Some("2026-03-12T09:00:00Z".parse().unwrap()));
    run_once(&config, &[brand(&["zabka"])], &kafka).await;
    let first = produced(&kafka).await.len();
    assert!(
        first > 10 && first < expected(&server, "zabka").len(),
        "{first}"
    );

    server.set_visible_until(None);
    let report = run_once(&config, &[brand(&["zabka"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "zabka"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_pages_end_a_poll_without_losing_anything() {
    let server = replay().await;
    let kafka = kafka("mastodon-empty").await;
    let config = config_for(&server, 20);
    // A hashtag nobody used: nothing produced, no error.
    let report = run_once(&config, &[brand(&["nobodyusesthis"])], &kafka).await;
    assert!(report.failures().is_empty());
    assert_eq!(produced(&kafka).await.len(), 0);

    // An empty first page stores no cursor, so the next poll starts over and gets it all.
    server.inject("mastodon", Fault::EmptyPage);
    run_once(&config, &[brand(&["inpost"])], &kafka).await;
    assert_eq!(produced(&kafka).await.len(), 0);
    run_once(&config, &[brand(&["inpost"])], &kafka).await;
    assert_exactly(&produced(&kafka).await, &expected(&server, "inpost"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_reset_headers_waits_for_the_reset() {
    let server = replay().await;
    let kafka = kafka("mastodon-429-reset").await;
    let config = config_for(&server, 20);
    server.inject("mastodon", Fault::EmptyPage); // warm-up: nothing, no cursor
    server.inject(
        "mastodon",
        Fault::RateLimited {
            retry_after: None,
            reset_after: Some(Duration::from_millis(1500)),
        },
    );
    run_once(&config, &[brand(&["allegro"])], &kafka).await;
    let report = run_once(&config, &[brand(&["allegro"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "allegro"), 0);

    let limited = statuses_429(&server);
    assert_eq!(limited.len(), 1);
    let retry = server
        .requests()
        .into_iter()
        .find(|r| r.at > limited[0])
        .unwrap();
    let waited = retry.at - limited[0];
    // The header's reset is whole milliseconds ahead; backoff alone would retry in ~50 ms.
    assert!(
        waited >= Duration::from_millis(1300),
        "retried after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_or_nothing_backs_off() {
    let server = replay().await;
    let kafka = kafka("mastodon-429-bare").await;
    let config = config_for(&server, 20);
    server.inject(
        "mastodon",
        Fault::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
            reset_after: None,
        },
    );
    server.inject(
        "mastodon",
        Fault::RateLimited {
            retry_after: None,
            reset_after: None,
        },
    );
    let started = Instant::now();
    let report = run_once(&config, &[brand(&["orlen"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured: {:?}",
        started.elapsed()
    );
    assert_exactly(&produced(&kafka).await, &expected(&server, "orlen"), 0);
    let limited = statuses_429(&server);
    assert_eq!(limited.len(), 2);
    // Without any header the retry still waits (backoff), no hot loop.
    let after_bare = server
        .requests()
        .into_iter()
        .find(|r| r.at > limited[1])
        .unwrap();
    assert!(after_bare.at - limited[1] >= Duration::from_millis(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_timeouts_and_malformed_json_are_retried() {
    let server = replay().await;
    let kafka = kafka("mastodon-transient").await;
    let config = config_for(&server, 10);
    // First page fine, then a 500, a timeout (the server sleeps past the client's 400 ms)
    // and a truncated body, each on a later page.
    server.inject("mastodon", Fault::ServerError);
    server.inject("mastodon", Fault::ServerError);
    server.inject("mastodon", Fault::Delay(Duration::from_millis(900)));
    server.inject("mastodon", Fault::MalformedJson);
    let report = run_once(&config, &[brand(&["paczkomat"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "paczkomat"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_that_exhausts_its_retries_moves_no_cursor() {
    let server = replay().await;
    let kafka = kafka("mastodon-exhausted").await;
    let mut config = config_for(&server, 10);
    config.http.max_retries = 2;
    run_once(&config, &[brand(&["orlen"])], &kafka).await; // history
    server.set_visible_until(Some("2026-03-12T08:30:00Z".parse().unwrap()));
    for _ in 0..3 {
        server.inject("mastodon", Fault::ServerError);
    }
    let report = run_once(&config, &[brand(&["orlen"])], &kafka).await;
    let failures = report.failures();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].1.contains("HTTP 500"), "{failures:?}");
    server.set_visible_until(None);
    run_once(&config, &[brand(&["orlen"])], &kafka).await;
    assert_exactly(&produced(&kafka).await, &expected(&server, "orlen"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_repeats_its_cursor_does_not_loop_or_duplicate() {
    let server = replay().await;
    let kafka = kafka("mastodon-repeat").await;
    let config = config_for(&server, 10);
    // Page 1 fine; page 2's Link points back at itself (next max_id above its own ids).
    server.inject("mastodon", Fault::Delay(Duration::ZERO));
    server.inject("mastodon", Fault::RepeatCursor);
    server.inject("mastodon", Fault::Delay(Duration::ZERO));
    server.inject("mastodon", Fault::RepeatCursor);
    let report = run_once(&config, &[brand(&["zabka"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "zabka"), 0);
    let want_pages = expected(&server, "zabka").len().div_ceil(10);
    // Each page fetched once, plus the final forward check.
    assert!(
        server.requests().len() <= want_pages + 2,
        "{} requests",
        server.requests().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advertised_budget_is_never_overspent() {
    let server = replay().await;
    let kafka = kafka("mastodon-budget").await;
    let config = config_for(&server, 5);
    server.set_rate_limit(
        "mastodon",
        RateLimitWindow {
            limit: 6,
            window: Duration::from_millis(700),
        },
    );
    let started = Instant::now();
    let report = run_once(&config, &[brand(&["inpost"]), brand(&["allegro"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let (inpost, allegro) = (expected(&server, "inpost"), expected(&server, "allegro"));
    // A status tagged with both is on both timelines: two jobs, one mention id.
    let on_both = inpost.intersection(&allegro).count();
    let want = inpost.union(&allegro).cloned().collect();
    assert_exactly(&produced(&kafka).await, &want, on_both);
    assert_eq!(
        server.over_budget_requests(),
        0,
        "sent requests after the budget was spent"
    );
    let requests = server.requests().len() as u32;
    assert!(requests > 12, "{requests}");
    // 6 per 700 ms: the run must have waited for resets rather than hammered.
    assert!(
        started.elapsed() >= Duration::from_millis(700) * (requests / 6 - 1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_leaves_no_gap() {
    let server = replay().await;
    let kafka = kafka("mastodon-restart").await;
    let config = config_for(&server, 5);
    let want = expected(&server, "orlen");
    // Slow every answer a little so the kill lands mid-run.
    for _ in 0..200 {
        server.inject("mastodon", Fault::Delay(Duration::from_millis(15)));
    }
    let brands = [brand(&["orlen"])];
    let kill_after = want.len() / 5 / 2; // about half of the pages
    let kill = async {
        while server.requests().len() < kill_after {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let first = earshot_collectors::run(
        &config,
        &brands,
        &kafka,
        &RunOptions::from(RunMode::Once),
        kill,
    )
    .await
    .unwrap();
    let partial = produced(&kafka).await.len();
    assert!(
        partial > 0 && partial < want.len(),
        "killed mid-run: {partial} of {} (report {first:?})",
        want.len()
    );

    // A new collector (new producer, new cursor store reading the topic) resumes.
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    // A kill between produce and cursor store may repeat one page of 5.
    assert_exactly(&produced(&kafka).await, &want, 5);
    let resumed_requests = server.requests().len() - kill_after;
    assert!(
        resumed_requests <= want.len().div_ceil(5) - kill_after + 3,
        "resumed from the cursor, not from scratch: {resumed_requests}"
    );
}
