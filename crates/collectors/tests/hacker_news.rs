//! Hacker News (Algolia) backfills against the replay server and Kafka. The fault
//! scenarios every platform shares, live sweeps included, are in `faults.rs`.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::platforms::hacker_news::*;
use common::*;
use earshot_collectors::RateBudgets;
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_model::{Origin, Platform};
use earshot_replay::Fault;

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
        None,
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
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
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
        None,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), before);
    assert_eq!(produced(&kafka).await.len(), mentions.len());
}
