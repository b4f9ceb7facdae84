//! Bluesky Jetstream against the replay server's WebSocket and the local Kafka: every
//! test asserts the exact set of mention ids that reached `mentions.raw`. The fault
//! scenarios every platform shares are in `faults.rs`.

mod common;

use std::time::Duration;

use common::platforms::bluesky::*;
use common::*;
use earshot_collectors::{RunMode, RunOptions};
use earshot_replay::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_matches_once_and_resumes_from_the_cursor() {
    init_tracing();
    let server = server().await;
    let kafka = kafka("bluesky-stream").await;
    let config = config_for(&server);
    let want = expected(&server, usize::MAX);
    assert!(want.len() > 40, "{}", want.len());

    let report = run_once(&config, &brands(), &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    let mentions = produced(&kafka).await;
    assert!(mentions.iter().all(|m| m.source == "bluesky:jetstream"));
    assert!(mentions.iter().all(|m| m.language_hint.is_some()));
    let first = &server.requests()[0].path_and_query;
    assert!(
        first.contains("wantedCollections=app.bsky.feed.post") && !first.contains("cursor="),
        "{first}"
    );

    // Reconnecting rewinds into events already handled, and produces none of them again.
    let report = run_once(&config, &brands(), &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(report.mentions(), 0);
    assert!(server.requests()[1].path_and_query.contains("cursor="));
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_resumed_without_gap_or_duplicate() {
    let server = server().await;
    let kafka = kafka("bluesky-drops").await;
    let config = config_for(&server);
    server.inject("bluesky", Fault::CloseAfter(37));
    server.inject("bluesky", Fault::ServerError);
    server.inject("bluesky", Fault::CloseAfter(55));
    let report = run_once(&config, &brands(), &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(server.requests().len(), 4, "three reconnects");
    assert_exactly(&produced(&kafka).await, &expected(&server, usize::MAX), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_arriving_later_and_a_restart_leave_no_gap_and_no_duplicate() {
    let server = server().await;
    let kafka = kafka("bluesky-restart").await;
    let mut config = config_for(&server);
    config.http.connect_timeout_ms = 5_000;

    // Half the events exist at first.
    let half = server.dataset().bluesky.len() / 2;
    let mut times: Vec<i64> = server
        .dataset()
        .bluesky
        .iter()
        .map(|e| e["time_us"].as_i64().unwrap())
        .collect();
    times.sort();
    let until = chrono::DateTime::from_timestamp_micros(times[half - 1]).unwrap();
    server.set_visible_until(Some(until));
    run_once(&config, &brands(), &kafka).await;
    assert_exactly(&produced(&kafka).await, &expected(&server, half), 0);

    // The rest arrive. The stream drops after 40 posts and the reconnect is slow; the
    // collector is killed while waiting for it, then a new one takes over.
    server.set_visible_until(None);
    server.inject("bluesky", Fault::CloseAfter(40));
    server.inject("bluesky", Fault::Delay(Duration::from_millis(3_000)));
    earshot_collectors::run(
        &config,
        &brands(),
        &kafka,
        &RunOptions::from(RunMode::Forever),
        async {
            after_requests(&server, 2).await;
            tokio::time::sleep(Duration::from_millis(1_000)).await;
        },
    )
    .await
    .unwrap();
    assert_eq!(server.requests().len(), 2, "killed while reconnecting");
    let before_kill = produced(&kafka).await;
    assert!(
        before_kill.len() > expected(&server, half).len(),
        "the dropped connection's matches were stored before the kill"
    );
    assert_exactly(
        &before_kill,
        &before_kill
            .iter()
            .map(|m| m.id.as_str().to_string())
            .collect(),
        0,
    );

    let report = run_once(&config, &brands(), &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &expected(&server, usize::MAX), 0);
}
