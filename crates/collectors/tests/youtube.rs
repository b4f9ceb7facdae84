//! YouTube comment threads against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`. The fault scenarios
//! every platform shares are in `faults.rs`.

mod common;

use common::platforms::youtube::*;
use common::*;
use earshot_collectors::Secret;

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
