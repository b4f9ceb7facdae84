//! Hacker News (Algolia) live sweeps and backfills against the replay server and Kafka.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_collectors::{CollectorsConfig, RateBudgets, RunMode, RunOptions};
use earshot_model::{Origin, Platform};
use earshot_replay::{Fault, ReplayServer};

async fn server() -> ReplayServer {
    let dataset =
        earshot_replay::Dataset::from_files([repo_root().join("samples/hacker_news/items.json")])
            .unwrap();
    earshot_replay::start(dataset).await.unwrap()
}

/// Ids of the sample hits mentioning `word` created in `[from, to)`.
fn expected(server: &ReplayServer, word: &str, from: i64, to: i64) -> BTreeSet<String> {
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

fn config_for(server: &ReplayServer, per_page: u32) -> CollectorsConfig {
    let mut config = fast_config();
    config.mastodon.enabled = false;
    config.hacker_news.base_url = server.base_url();
    config.hacker_news.hits_per_page = per_page;
    config.hacker_news.index_lag_secs = 0;
    config.hacker_news.initial_lookback_hours = 24 * 3650;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_sweeps_page_to_the_end_through_faults() {
    let server = server().await;
    let kafka = kafka("hn-live").await;
    let config = config_for(&server, 25);
    let want = expected(&server, "inpost", 0, i64::MAX);
    assert!(want.len() > 100);
    server.inject("hacker_news", Fault::Delay(Duration::ZERO));
    server.inject("hacker_news", Fault::ServerError);
    server.inject(
        "hacker_news",
        Fault::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
            reset_after: None,
        },
    );
    server.inject(
        "hacker_news",
        Fault::RateLimited {
            retry_after: None,
            reset_after: None,
        },
    );
    server.inject("hacker_news", Fault::Delay(Duration::from_millis(900)));
    server.inject("hacker_news", Fault::MalformedJson);
    server.inject("hacker_news", Fault::RepeatCursor);
    let report = run_once(&config, &[keyword_brand("inpost")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);

    // Nothing new: the next sweep covers only the moments since the last.
    let report = run_once(&config, &[keyword_brand("inpost")], &kafka).await;
    assert_eq!(report.mentions(), 0);
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_page_that_contradicts_the_hit_count_is_retried_not_skipped() {
    let server = server().await;
    let kafka = kafka("hn-empty").await;
    let config = config_for(&server, 50);
    server.inject("hacker_news", Fault::Delay(Duration::ZERO));
    server.inject("hacker_news", Fault::EmptyPage);
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert_eq!(report.failures().len(), 1, "{report:?}");
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(
        &produced(&kafka).await,
        &expected(&server, "orlen", 0, i64::MAX),
        50,
    );
    // A query nobody matches is an empty, successful poll.
    let report = run_once(&config, &[keyword_brand("nobodysaysthis")], &kafka).await;
    assert!(report.failures().is_empty() && report.mentions() == 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_slices_time_survives_a_kill_and_adds_nothing_twice() {
    let server = server().await;
    let kafka = kafka("hn-backfill").await;
    let config = config_for(&server, 100);
    let from: DateTime<Utc> = "2026-03-09T00:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2026-03-12T00:00:00Z".parse().unwrap();
    let want = expected(&server, "allegro", from.timestamp(), to.timestamp());
    assert!(
        want.len() > 1000,
        "the range must exceed the 1,000-hit cap: {}",
        want.len()
    );
    let request = BackfillRequest {
        brand: keyword_brand("allegro"),
        platform: Platform::HackerNews,
        from,
        to,
    };
    let budgets = RateBudgets::default();

    // Kill it part-way.
    for _ in 0..100 {
        server.inject("hacker_news", Fault::Delay(Duration::from_millis(10)));
    }
    let report = backfill::run(
        &config,
        &kafka,
        &request,
        &budgets,
        false,
        after_requests(&server, 6),
    )
    .await
    .unwrap();
    let partial = produced(&kafka).await.len();
    assert!(
        partial < want.len(),
        "killed before the end: {partial} ({report:?})"
    );

    // Resume with a new process's worth of state.
    let report = backfill::run(
        &config,
        &kafka,
        &request,
        &RateBudgets::default(),
        false,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let mentions = produced(&kafka).await;
    assert_exactly(&mentions, &want, 100);
    assert!(mentions.iter().all(|m| m.origin == Origin::Backfill));
    // Slicing happened: some request asked for a narrower window than the whole range.
    let whole = format!(
        "created_at_i%3E%3D{}%2Ccreated_at_i%3C{}",
        from.timestamp(),
        to.timestamp()
    );
    assert!(
        server.requests().iter().any(
            |r| r.path_and_query.contains("created_at_i") && !r.path_and_query.contains(&whole)
        )
    );

    // Running the finished range again fetches and adds nothing.
    let before = server.requests().len();
    let report = backfill::run(
        &config,
        &kafka,
        &request,
        &budgets,
        false,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), before);
    assert_eq!(produced(&kafka).await.len(), mentions.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_sweep_killed_mid_way_resumes_without_a_gap() {
    let server = server().await;
    let kafka = kafka("hn-restart").await;
    let config = config_for(&server, 20);
    let brands = [keyword_brand("inpost")];
    for _ in 0..100 {
        server.inject("hacker_news", Fault::Delay(Duration::from_millis(10)));
    }
    earshot_collectors::run(
        &config,
        &brands,
        &kafka,
        &RunOptions::from(RunMode::Once),
        after_requests(&server, 5),
    )
    .await
    .unwrap();
    let partial = produced(&kafka).await.len();
    let want = expected(&server, "inpost", 0, i64::MAX);
    assert!(partial > 0 && partial < want.len(), "{partial}");
    run_once(&config, &brands, &kafka).await;
    assert_exactly(&produced(&kafka).await, &want, 20);
}
