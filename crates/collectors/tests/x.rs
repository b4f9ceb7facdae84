//! X API v2 recent search against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions, Secret};
use earshot_replay::{Fault, RateLimitWindow, ReplayServer, RequestRecord};

async fn server() -> ReplayServer {
    let dataset =
        earshot_replay::Dataset::from_files([repo_root().join("samples/x/tweets.json")]).unwrap();
    earshot_replay::start(dataset).await.unwrap()
}

/// Mention ids of the sample posts mentioning `word`.
fn expected(server: &ReplayServer, word: &str) -> BTreeSet<String> {
    server
        .dataset()
        .x
        .iter()
        .filter(|p| p["text"].as_str().unwrap().to_lowercase().contains(word))
        .map(|p| format!("x:{}", p["id"].as_str().unwrap()))
        .collect()
}

fn config_for(server: &ReplayServer, max_results: u32) -> CollectorsConfig {
    let mut config = fast_config();
    config.mastodon.enabled = false;
    config.hacker_news.enabled = false;
    config.x.base_url = server.base_url();
    config.x.bearer_token = Some(Secret::new("replay-bearer"));
    config.x.max_results = max_results;
    config.x.history_pages = 1000;
    config
}

fn searches(server: &ReplayServer) -> Vec<RequestRecord> {
    server.requests()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_to_the_end_then_asks_only_since_the_newest() {
    init_tracing();
    let server = server().await;
    let kafka = kafka("x-paging").await;
    let config = config_for(&server, 10);
    let want = expected(&server, "orlen");
    assert!(want.len() > 50, "the sample should need many pages");

    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    let pages = searches(&server).len();
    assert_eq!(pages, want.len().div_ceil(10));
    let first = &searches(&server)[0].path_and_query;
    for part in [
        "max_results=10",
        "expansions=author_id",
        "tweet.fields=created_at%2Clang%2Cpublic_metrics%2Cauthor_id",
        "query=orlen+-is%3Aretweet",
    ] {
        assert!(first.contains(part), "{first} lacks {part}");
    }
    let mentions = produced(&kafka).await;
    assert!(mentions.iter().all(|m| m.source == "x:orlen"));
    assert!(
        mentions
            .iter()
            .all(|m| !m.author.handle.is_empty() && !m.author.bio.is_empty()),
        "authors come from includes.users"
    );

    // Nothing new: one request with since_id = the newest post seen.
    let newest = server.dataset().x[0]["id"].as_str().unwrap().to_string();
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert_eq!(report.mentions(), 0);
    let requests = searches(&server);
    assert_eq!(requests.len(), pages + 1);
    let newest_orlen = server
        .dataset()
        .x
        .iter()
        .find(|p| p["text"].as_str().unwrap().to_lowercase().contains("orlen"))
        .unwrap()["id"]
        .as_str()
        .unwrap();
    assert!(
        requests[pages]
            .path_and_query
            .contains(&format!("since_id={newest_orlen}")),
        "{:?} (newest overall {newest})",
        requests[pages]
    );
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_that_arrive_later_are_collected_once() {
    let server = server().await;
    let kafka = kafka("x-arrivals").await;
    let config = config_for(&server, 10);
    server.set_visible_until(Some("2026-03-12T09:00:00Z".parse().unwrap()));
    run_once(&config, &[keyword_brand("inpost")], &kafka).await;
    let first = produced(&kafka).await.len();
    let want = expected(&server, "inpost");
    assert!(first > 5 && first < want.len(), "{first}");
    server.set_visible_until(None);
    let report = run_once(&config, &[keyword_brand("inpost")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_results_are_a_successful_poll() {
    let server = server().await;
    let kafka = kafka("x-empty").await;
    let config = config_for(&server, 20);
    let report = run_once(&config, &[keyword_brand("nobodysaysthis")], &kafka).await;
    assert!(report.failures().is_empty());
    assert_eq!(produced(&kafka).await.len(), 0);
    // An empty first page (`meta.result_count: 0`, no `data`) stores nothing.
    server.inject("x", Fault::EmptyPage);
    run_once(&config, &[keyword_brand("allegro")], &kafka).await;
    assert_eq!(produced(&kafka).await.len(), 0);
    run_once(&config, &[keyword_brand("allegro")], &kafka).await;
    assert_exactly(&produced(&kafka).await, &expected(&server, "allegro"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_waits_for_the_epoch_reset() {
    let server = server().await;
    let kafka = kafka("x-429").await;
    let config = config_for(&server, 25);
    server.inject("x", Fault::Delay(Duration::ZERO));
    server.inject(
        "x",
        Fault::RateLimited {
            retry_after: None,
            reset_after: Some(Duration::from_millis(1500)),
        },
    );
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "orlen"), 0);
    let requests = searches(&server);
    let limited = requests.iter().position(|r| r.status == 429).unwrap();
    let waited = requests[limited + 1].at - requests[limited].at;
    assert!(
        waited >= Duration::from_millis(1300),
        "retried after {waited:?}"
    );

    // A bare 429 (no headers at all) still backs off rather than hammering.
    let kafka = common::kafka("x-429-bare").await;
    server.inject(
        "x",
        Fault::RateLimited {
            retry_after: None,
            reset_after: None,
        },
    );
    let started = Instant::now();
    let report = run_once(&config, &[keyword_brand("żabka")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert!(started.elapsed() >= Duration::from_millis(40));
    assert_exactly(&produced(&kafka).await, &expected(&server, "żabka"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_timeouts_and_malformed_json_are_retried() {
    let server = server().await;
    let kafka = kafka("x-transient").await;
    let config = config_for(&server, 10);
    server.inject("x", Fault::Delay(Duration::ZERO));
    server.inject("x", Fault::ServerError);
    server.inject("x", Fault::ServerError);
    server.inject("x", Fault::Delay(Duration::from_millis(900)));
    server.inject("x", Fault::MalformedJson);
    let report = run_once(&config, &[keyword_brand("inpost")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "inpost"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_next_token_fails_the_poll_and_the_next_poll_resumes() {
    let server = server().await;
    let kafka = kafka("x-repeat").await;
    let config = config_for(&server, 10);
    // Page 2 answers with the very token it was asked with.
    server.inject("x", Fault::Delay(Duration::ZERO));
    server.inject("x", Fault::RepeatCursor);
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{report:?}");
    assert!(failures[0].1.contains("next_token repeats"), "{failures:?}");
    assert_eq!(produced(&kafka).await.len(), 10, "only page 1");
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, "orlen"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advertised_budget_is_never_overspent() {
    let server = server().await;
    let kafka = kafka("x-budget").await;
    let config = config_for(&server, 10);
    server.set_rate_limit(
        "x",
        RateLimitWindow {
            limit: 6,
            window: Duration::from_millis(1000),
        },
    );
    let report = run_once(
        &config,
        &[keyword_brand("inpost"), keyword_brand("allegro")],
        &kafka,
    )
    .await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let (inpost, allegro) = (expected(&server, "inpost"), expected(&server, "allegro"));
    let want = inpost.union(&allegro).cloned().collect();
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert!(searches(&server).len() > 12);
    assert_eq!(server.over_budget_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_leaves_no_gap() {
    let server = server().await;
    let kafka = kafka("x-restart").await;
    let config = config_for(&server, 10);
    let want = expected(&server, "orlen");
    for _ in 0..200 {
        server.inject("x", Fault::Delay(Duration::from_millis(15)));
    }
    let brands = [keyword_brand("orlen")];
    let pages = want.len().div_ceil(10);
    let first = earshot_collectors::run(
        &config,
        &brands,
        &kafka,
        &RunOptions::from(RunMode::Once),
        after_requests(&server, pages / 2),
    )
    .await
    .unwrap();
    let partial = produced(&kafka).await.len();
    assert!(
        partial > 0 && partial < want.len(),
        "killed mid-run: {partial} of {} (report {first:?})",
        want.len()
    );
    let before = searches(&server).len();
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 10);
    let resumed = searches(&server).len() - before;
    assert!(
        resumed <= pages - before + 2,
        "resumed from the stored next_token: {resumed} after {before}"
    );
}
