//! RSS/Atom press feeds against the replay server and the local Kafka: every test asserts
//! the exact set of mention ids that reached `mentions.raw`. The fault scenarios every
//! platform shares are in `faults.rs`.

mod common;

use common::platforms::rss::*;
use common::*;
use earshot_replay::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_gets_produce_only_new_items() {
    init_tracing();
    let server = server().await;
    let kafka = kafka("rss-conditional").await;
    let config = config_for(&server);
    let until = "2026-03-12T09:00:00Z";
    server.set_visible_until(Some(until.parse().unwrap()));

    // First fetch: every item of both feeds (RSS 2.0 and Atom).
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let first = expected(&server, &["biznes", "tech"], Some(until));
    assert!(first.len() > 20, "{}", first.len());
    assert!(
        first.iter().any(|id| id.starts_with("rss:https://")),
        "some items have no guid and are keyed by link"
    );
    assert_exactly(&produced(&kafka).await, &first, 0);
    let mentions = produced(&kafka).await;
    assert!(mentions.iter().all(|m| m.platform.as_str() == "rss"));
    assert!(
        mentions
            .iter()
            .all(|m| m.text.contains('\n') && !m.text.contains('<'))
    );
    assert!(mentions.iter().any(|m| m.author.name == "Press: biznes"));
    assert!(mentions.iter().any(|m| m.author.name == "Anna Nowak"));
    assert!(
        mentions
            .iter()
            .any(|m| m.source == "rss:".to_string() + &config.rss.feeds[1])
    );
    assert_eq!(statuses(&server), [200, 200]);

    // Nothing changed: the validators come back and the server answers 304.
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(report.mentions(), 0);
    assert_eq!(statuses(&server), [200, 200, 304, 304]);

    // New items arrive: only they are produced.
    server.set_visible_until(None);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let all = expected(&server, &["biznes", "tech"], None);
    assert_eq!(report.mentions() as usize, all.len() - first.len());
    assert_exactly(&produced(&kafka).await, &all, 0);
    assert_eq!(statuses(&server)[4..], [200, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_relisting_old_items_produces_nothing_new() {
    let server = server().await;
    let kafka = kafka("rss-relist").await;
    let config = config_for(&server);
    run_once(&config, &[], &kafka).await;
    let all = expected(&server, &["biznes", "tech"], None);
    assert_exactly(&produced(&kafka).await, &all, 0);

    // An empty document changes the validators; the next one lists every old item again.
    server.inject("rss", Fault::EmptyPage);
    server.inject("rss", Fault::EmptyPage);
    let report = run_once(&config, &[], &kafka).await;
    assert_eq!(report.mentions(), 0);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(report.mentions(), 0);
    assert_eq!(statuses(&server), [200, 200, 200, 200, 200, 200]);
    assert_exactly(&produced(&kafka).await, &all, 0);
}
