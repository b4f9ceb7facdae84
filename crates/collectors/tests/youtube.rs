//! YouTube comment threads against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`. The fault scenarios
//! every platform shares are in `faults.rs`.

mod common;

use common::platforms::youtube::*;
use common::*;
use earshot_collectors::{CollectorsConfig, CursorStoreExt, Secret};
use earshot_replay::{Fault, ReplayServer};
use std::collections::BTreeSet;
use std::time::Duration;

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

mod backfills {
    use super::*;
    use chrono::{DateTime, Utc};

    use earshot_collectors::backfill::BackfillRequest;
    use earshot_model::{Origin, Platform};

    fn published(thread: &serde_json::Value) -> DateTime<Utc> {
        thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Ids of `video`'s threads published in `[from, to)`, and how many pages of
    /// `per_page` newest-first threads reach the first one older than `from`.
    fn expected_between(
        server: &ReplayServer,
        video: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        per_page: usize,
    ) -> (BTreeSet<String>, usize) {
        let mut threads: Vec<&serde_json::Value> = server
            .dataset()
            .youtube
            .iter()
            .filter(|t| t["snippet"]["videoId"] == video)
            .collect();
        threads.sort_by_key(|t| std::cmp::Reverse((published(t), t["id"].as_str().unwrap())));
        let want = threads
            .iter()
            .filter(|t| (from..to).contains(&published(t)))
            .map(|t| format!("youtube:{}", t["id"].as_str().unwrap()))
            .collect();
        let first_older = threads.iter().position(|t| published(t) < from).unwrap();
        (want, first_older / per_page + 1)
    }

    fn request() -> BackfillRequest {
        BackfillRequest {
            // Every comment of the configured videos is collected, whatever the brand.
            brand: keyword_brand("orlen"),
            platform: Platform::Youtube,
            from: "2026-03-11T21:00:00Z".parse().unwrap(),
            to: "2026-03-12T09:00:00Z".parse().unwrap(),
        }
    }

    async fn backfill(
        config: &CollectorsConfig,
        kafka: &earshot_kafka::KafkaConfig,
        request: &BackfillRequest,
    ) -> earshot_collectors::RunReport {
        run_backfill(config, kafka, request, std::future::pending()).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backfill_pages_back_to_from_survives_a_kill_and_adds_nothing_twice() {
        let server = server().await;
        let kafka = kafka("youtube-backfill").await;
        let config = config_for(&server, 10, &[VIDEO]);
        let request = request();
        let (want, pages) = expected_between(&server, VIDEO, request.from, request.to, 10);
        assert!(
            want.len() > 20 && pages >= 5,
            "{} in {pages} pages",
            want.len()
        );

        for _ in 0..100 {
            server.inject("youtube", Fault::Delay(Duration::from_millis(10)));
        }
        let report = run_backfill(&config, &kafka, &request, after_requests(&server, 3)).await;
        let partial = produced(&kafka).await.len();
        assert!(
            partial < want.len(),
            "killed before the end: {partial} ({report:?})"
        );

        let before = server.requests().len();
        let report = backfill(&config, &kafka, &request).await;
        assert!(report.failures().is_empty(), "{:?}", report.failures());
        let mentions = produced(&kafka).await;
        assert_exactly(&mentions, &want, 10);
        let id = format!(
            "backfill:youtube:video:{VIDEO}:{}..{}",
            request.from.timestamp(),
            request.to.timestamp()
        );
        assert!(
            mentions
                .iter()
                .all(|m| m.origin == Origin::Backfill && m.source == id)
        );
        let requests = server.requests();
        assert!(requests[before].path_and_query.contains("pageToken="));
        assert!(
            requests
                .iter()
                .all(|r| r.path_and_query.contains("order=time"))
        );
        // Stopped at the first page reaching past `from` (one page may be asked twice).
        assert!(
            requests.len() <= pages + 1,
            "{} for {pages}",
            requests.len()
        );

        let before = server.requests().len();
        let report = backfill(&config, &kafka, &request).await;
        assert_eq!(report.mentions(), 0);
        assert_eq!(server.requests().len(), before);
        assert_eq!(produced(&kafka).await.len(), mentions.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backfill_stops_when_the_days_quota_is_spent_and_resumes_after() {
        let server = server().await;
        let kafka = kafka("youtube-backfill-quota").await;
        let mut config = config_for(&server, 10, &[VIDEO]);
        config.youtube.daily_quota_units = 3;
        let request = request();
        let (want, pages) = expected_between(&server, VIDEO, request.from, request.to, 10);
        assert!(pages > 3);

        let report = backfill(&config, &kafka, &request).await;
        let failures = report.failures();
        assert_eq!(failures.len(), 1, "{report:?}");
        let error = failures[0].1;
        assert!(
            error.starts_with("youtube: quota spent: 3 of 3 units")
                && error.contains("midnight Pacific time")
                && error.contains("run again after that to resume"),
            "{error}"
        );
        assert!(!error.contains("replay-key"));
        assert_eq!(server.requests().len(), 3, "one unit per call, three units");
        let partial = produced(&kafka).await.len();
        assert!(partial < want.len());

        // The next day's units (here: a larger plan) let the same command resume.
        config.youtube.daily_quota_units = 10_000;
        let report = backfill(&config, &kafka, &request).await;
        assert!(report.failures().is_empty(), "{:?}", report.failures());
        assert_exactly(&produced(&kafka).await, &want, 0);
        assert_eq!(server.requests().len(), pages, "no page fetched twice");
    }

    /// Every process start has its own ledger key; those of earlier days are deleted
    /// when a process publishes, so the compacted topic does not grow with restarts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ledger_entries_of_earlier_days_are_deleted() {
        let server = server().await;
        let kafka = kafka("youtube-ledger-prune").await;
        let config = config_for(&server, 10, &[VIDEO]);
        let fingerprint = config.youtube.api_key.as_ref().unwrap().fingerprint();
        let ledger = format!("quota:youtube:{fingerprint}:");
        let open = || async {
            let producer = kafka.producer().unwrap();
            earshot_collectors::KafkaCursorStore::open(&kafka, producer)
                .await
                .unwrap()
        };
        let old_keys = [
            format!("{ledger}2020-01-01:00000000000000aa"),
            format!("{ledger}2020-01-02:00000000000000bb"),
        ];
        let cursors = open().await;
        for key in &old_keys {
            cursors
                .put(key, &serde_json::json!({"spent": 7}))
                .await
                .unwrap();
        }
        run_once(&config, &[], &kafka).await;
        assert!(!server.requests().is_empty(), "the poll spent quota");

        let keys: Vec<String> = open()
            .await
            .with_prefix::<serde_json::Value>(&ledger)
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys.len(), 1, "only today's entry is left: {keys:?}");
        assert!(!old_keys.contains(&keys[0]));
    }

    /// `earshot collect` and `earshot backfill` are separate processes, and a collector
    /// restarts: the day's quota is one count across them, kept in the cursor topic.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn separate_processes_share_the_days_quota() {
        let server = server().await;
        let kafka = kafka("youtube-shared-quota").await;
        let mut config = config_for(&server, 10, &[VIDEO]);
        config.youtube.daily_quota_units = 4;
        // Live collection spends the whole day's plan...
        let live = run_once(&config, &[], &kafka).await;
        assert_eq!(server.requests().len(), 4, "{live:?}");
        // ...so a backfill started afterwards in its own process asks nothing.
        let report = backfill(&config, &kafka, &request()).await;
        let failures = report.failures();
        assert!(
            failures.len() == 1
                && failures[0]
                    .1
                    .starts_with("youtube: quota spent: 4 of 4 units"),
            "{failures:?}"
        );
        assert_eq!(server.requests().len(), 4);
        // A restarted collector remembers what the day already cost.
        let again = run_once(&config, &[], &kafka).await;
        assert_eq!(server.requests().len(), 4, "{again:?}");
        // More units (a bigger share, or the next day) let both go on.
        config.youtube.daily_quota_units = 6;
        run_once(&config, &[], &kafka).await;
        assert_eq!(server.requests().len(), 6);
    }
}
