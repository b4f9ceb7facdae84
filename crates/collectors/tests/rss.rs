//! RSS/Atom press feeds against the replay server and the local Kafka: every test asserts
//! the exact set of mention ids that reached `mentions.raw`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions};
use earshot_replay::{Fault, ReplayServer};

const FEEDS: [(&str, &str); 2] = [("rss", "biznes"), ("atom", "tech")];

async fn server() -> ReplayServer {
    let dataset =
        earshot_replay::Dataset::from_files([repo_root().join("samples/rss/items.json")]).unwrap();
    earshot_replay::start(dataset).await.unwrap()
}

fn config_for(server: &ReplayServer) -> CollectorsConfig {
    let mut config = fast_config();
    config.mastodon.enabled = false;
    config.hacker_news.enabled = false;
    config.concurrency = 1;
    config.rss.feeds = FEEDS
        .iter()
        .map(|(format, feed)| format!("{}/{format}/{feed}", server.base_url()))
        .collect();
    config
}

/// Mention ids of the sample items of `feeds` published up to `until`.
fn expected(server: &ReplayServer, feeds: &[&str], until: Option<&str>) -> BTreeSet<String> {
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

fn statuses(server: &ReplayServer) -> Vec<u16> {
    server.requests().iter().map(|r| r.status).collect()
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_retried_and_malformed_xml_never_advances_the_cursor() {
    let server = server().await;
    let kafka = kafka("rss-faults").await;
    let mut config = config_for(&server);
    config.rss.feeds.truncate(1);
    let want = expected(&server, &["biznes"], None);

    // 429 (bare and with Retry-After), 500, a timeout and cut-off XML, then success.
    server.inject(
        "rss",
        Fault::RateLimited {
            retry_after: None,
            reset_after: None,
        },
    );
    server.inject(
        "rss",
        Fault::RateLimited {
            retry_after: Some(Duration::from_secs(1)),
            reset_after: None,
        },
    );
    server.inject("rss", Fault::ServerError);
    server.inject("rss", Fault::Delay(Duration::from_millis(700)));
    server.inject("rss", Fault::MalformedJson);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert_eq!(statuses(&server)[..5], [429, 429, 500, 200, 200]);

    // Malformed every time: the poll fails, nothing is produced, the cursor stays, so
    // the feed is read whole (not 304) next time, adding nothing twice.
    let kafka = common::kafka("rss-malformed").await;
    for _ in 0..=config.http.max_retries {
        server.inject("rss", Fault::MalformedJson);
    }
    let report = run_once(&config, &[], &kafka).await;
    assert_eq!(report.failures().len(), 1, "{report:?}");
    assert!(
        report.failures()[0].1.contains("unreadable response"),
        "{:?}",
        report.failures()
    );
    assert_eq!(produced(&kafka).await.len(), 0);
    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_leaves_no_gap_and_no_duplicate() {
    let server = server().await;
    let kafka = kafka("rss-restart").await;
    let config = config_for(&server);
    let until = "2026-03-12T08:00:00Z";
    server.set_visible_until(Some(until.parse().unwrap()));
    run_once(&config, &[], &kafka).await;
    let first = expected(&server, &["biznes", "tech"], Some(until));
    assert_exactly(&produced(&kafka).await, &first, 0);

    // New items arrive. One feed is read and stored; the collector is killed while
    // the other feed's answer is on its way (slow), then a new collector takes over.
    server.set_visible_until(None);
    let mut slow = config.clone();
    slow.http.timeout_ms = 5_000;
    server.inject("rss", Fault::Delay(Duration::ZERO));
    server.inject("rss", Fault::Delay(Duration::from_millis(3_000)));
    let killed = earshot_collectors::run(
        &slow,
        &[],
        &kafka,
        &RunOptions::from(RunMode::Forever),
        async {
            after_requests(&server, 3).await;
            tokio::time::sleep(Duration::from_millis(1_000)).await;
        },
    )
    .await
    .unwrap();
    let new = |feed| {
        expected(&server, &[feed], None).len() - expected(&server, &[feed], Some(until)).len()
    };
    assert!(
        [new("biznes"), new("tech")].contains(&(killed.mentions() as usize)),
        "killed after one feed: {killed:?}"
    );
    assert_eq!(
        server.requests().len(),
        3,
        "the second feed is still in flight"
    );

    let report = run_once(&config, &[], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let all = expected(&server, &["biznes", "tech"], None);
    assert_exactly(&produced(&kafka).await, &all, 0);
}
