//! YouTube comment threads against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions, Secret};
use earshot_replay::{Fault, ReplayServer};

async fn server() -> ReplayServer {
    let dataset = earshot_replay::Dataset::from_files([
        repo_root().join("samples/youtube/comment_threads.json")
    ])
    .unwrap();
    earshot_replay::start(dataset).await.unwrap()
}

/// Mention ids of the sample threads whose snippet has `field` = `value`.
fn expected(server: &ReplayServer, field: &str, value: &str) -> BTreeSet<String> {
    server
        .dataset()
        .youtube
        .iter()
        .filter(|t| t["snippet"][field] == value)
        .map(|t| format!("youtube:{}", t["id"].as_str().unwrap()))
        .collect()
}

fn config_for(server: &ReplayServer, max_results: u32, videos: &[&str]) -> CollectorsConfig {
    let mut config = fast_config();
    config.mastodon.enabled = false;
    config.hacker_news.enabled = false;
    config.youtube.base_url = server.base_url();
    config.youtube.api_key = Some(Secret::new("replay-key"));
    config.youtube.video_ids = videos.iter().map(|v| v.to_string()).collect();
    config.youtube.max_results = max_results;
    config.youtube.history_pages = 1000;
    config
}

const VIDEO: &str = "dQw4Orlen01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_to_the_end_then_reads_only_the_first_page() {
    init_tracing();
    let server = server().await;
    let kafka = kafka("youtube-paging").await;
    let config = config_for(&server, 10, &[VIDEO]);
    let want = expected(&server, "videoId", VIDEO);
    assert!(want.len() > 50);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    let pages = server.requests().len();
    assert_eq!(pages, want.len().div_ceil(10));
    let first = &server.requests()[0].path_and_query;
    for part in [
        "part=snippet",
        "videoId=dQw4Orlen01",
        "maxResults=10",
        "order=time",
        "key=",
    ] {
        assert!(first.contains(part), "{first} lacks {part}");
    }
    let mentions = produced(&kafka).await;
    assert!(
        mentions
            .iter()
            .all(|m| m.source == "youtube:video:dQw4Orlen01")
    );
    assert!(
        mentions
            .iter()
            .all(|m| m.url.contains("watch?v=dQw4Orlen01&lc="))
    );

    let report = run_once(&config, &[], &kafka).await;
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), pages + 1);
    assert!(
        !server.requests()[pages]
            .path_and_query
            .contains("pageToken")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_and_comments_that_arrive_later() {
    let server = server().await;
    let kafka = kafka("youtube-channel").await;
    let mut config = config_for(&server, 20, &[]);
    config.youtube.channel_ids = vec!["UCorlenOfficial000000001".into()];
    server.set_visible_until(Some("2026-03-12T02:00:00Z".parse().unwrap()));
    run_once(&config, &[], &kafka).await;
    let first = produced(&kafka).await.len();
    let want = expected(&server, "channelId", "UCorlenOfficial000000001");
    assert!(first > 5 && first < want.len(), "{first}");
    server.set_visible_until(None);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_retried_and_empty_pages_lose_nothing() {
    let server = server().await;
    let kafka = kafka("youtube-faults").await;
    let config = config_for(&server, 10, &["InPostTest2"]);
    server.inject("youtube", Fault::Delay(Duration::ZERO));
    server.inject("youtube", Fault::ServerError);
    server.inject(
        "youtube",
        Fault::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
            reset_after: None,
        },
    );
    server.inject("youtube", Fault::Delay(Duration::from_millis(900)));
    server.inject("youtube", Fault::MalformedJson);
    server.inject("youtube", Fault::EmptyPage); // mid-sweep: retried next poll
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let partial = produced(&kafka).await.len();
    let want = expected(&server, "videoId", "InPostTest2");
    assert!(partial < want.len(), "{partial}");
    run_once(&config, &[], &kafka).await;
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_page_token_fails_the_poll_and_the_next_poll_resumes() {
    let server = server().await;
    let kafka = kafka("youtube-repeat").await;
    let config = config_for(&server, 10, &["AllegroAd03"]);
    server.inject("youtube", Fault::Delay(Duration::ZERO));
    server.inject("youtube", Fault::RepeatCursor);
    let report = run_once(&config, &[], &kafka).await;
    assert_eq!(report.failures().len(), 1, "{report:?}");
    assert_eq!(produced(&kafka).await.len(), 10);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(
        &produced(&kafka).await,
        &expected(&server, "videoId", "AllegroAd03"),
        0,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_quota_stops_polling() {
    let server = server().await;
    let kafka = kafka("youtube-quota").await;
    let mut config = config_for(&server, 10, &[VIDEO, "OrlenNews04"]);
    config.youtube.daily_quota_units = 5;
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(server.requests().len(), 5, "one unit per call, five units");
    assert_eq!(produced(&kafka).await.len(), 50);
    // A 403 quotaExceeded from YouTube itself stops polling for the day, without an error.
    let kafka = common::kafka("youtube-quota-403").await;
    config.youtube.daily_quota_units = 10_000;
    config.youtube.api_key = Some(Secret::new(earshot_replay::YOUTUBE_QUOTA_EXCEEDED_KEY));
    let before = server.requests().len();
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    // The plan is shared: at most one call per job (two run at once) learns it.
    assert!((1..=2).contains(&(server.requests().len() - before)));
    assert_eq!(produced(&kafka).await.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_leaves_no_gap() {
    let server = server().await;
    let kafka = kafka("youtube-restart").await;
    let config = config_for(&server, 5, &[VIDEO]);
    let want = expected(&server, "videoId", VIDEO);
    for _ in 0..200 {
        server.inject("youtube", Fault::Delay(Duration::from_millis(15)));
    }
    let pages = want.len().div_ceil(5);
    let first = earshot_collectors::run(
        &config,
        &[],
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
    let before = server.requests().len();
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 5);
    assert!(server.requests().len() - before <= pages - before + 2);
}
