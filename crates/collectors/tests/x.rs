//! X API v2 recent search against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`. The fault scenarios
//! every platform shares are in `faults.rs`.

mod common;

use common::platforms::x::*;
use common::*;
use earshot_collectors::CollectorsConfig;
use std::collections::BTreeSet;
use std::time::Duration;

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
        // entities: expanded links; note_tweet: the full text of long posts.
        "tweet.fields=created_at%2Clang%2Cpublic_metrics%2Cauthor_id%2Centities%2Cnote_tweet",
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

mod backfills {
    use super::*;
    use chrono::{DateTime, Utc};
    use earshot_collectors::RateBudgets;
    use earshot_collectors::backfill::{self, BackfillRequest};
    use earshot_model::{Origin, Platform};

    /// Mention ids of the posts of `dataset` mentioning `word` created in `[from, to)`.
    fn expected_between(
        dataset: &earshot_replay::Dataset,
        word: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BTreeSet<String> {
        dataset
            .x
            .iter()
            .filter(|p| {
                let at: DateTime<Utc> = p["created_at"].as_str().unwrap().parse().unwrap();
                p["text"].as_str().unwrap().to_lowercase().contains(word) && at >= from && at < to
            })
            .map(|p| format!("x:{}", p["id"].as_str().unwrap()))
            .collect()
    }

    fn request(word: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> BackfillRequest {
        BackfillRequest {
            brand: keyword_brand(word),
            platform: Platform::X,
            from,
            to,
        }
    }

    async fn backfill(
        config: &CollectorsConfig,
        kafka: &earshot_kafka::KafkaConfig,
        request: &BackfillRequest,
    ) -> Result<earshot_collectors::RunReport, earshot_collectors::Error> {
        backfill::run(
            config,
            kafka,
            request,
            &RateBudgets::default(),
            None,
            std::future::pending(),
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_archive_backfill_pages_its_range_survives_a_kill_and_adds_nothing_twice() {
        let server = server().await;
        let kafka = kafka("x-archive").await;
        let mut config = config_for(&server, 10);
        config.x.full_archive = true;
        config.x.full_archive_max_results = 10;
        let from: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        let to: DateTime<Utc> = "2026-03-12T09:00:00Z".parse().unwrap();
        let want = expected_between(server.dataset(), "orlen", from, to);
        assert!(
            want.len() > 20 && want.len() <= 30,
            "three pages: {}",
            want.len()
        );
        let request = request("orlen", from, to);

        // Killed once the second page is answered (the first page's cursor is stored).
        let report = run_backfill(&config, &kafka, &request, after_requests(&server, 2)).await;
        let partial = produced(&kafka).await.len();
        assert!(
            partial < want.len(),
            "killed before the end: {partial} ({report:?})"
        );

        // A new process starts a while later (full-archive search allows 1 request/s).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let report = backfill(&config, &kafka, &request).await.unwrap();
        assert!(report.failures().is_empty(), "{:?}", report.failures());
        let mentions = produced(&kafka).await;
        assert_exactly(&mentions, &want, 10);
        let id = format!(
            "backfill:x:all:orlen:{}..{}",
            from.timestamp(),
            to.timestamp()
        );
        assert!(
            mentions
                .iter()
                .all(|m| m.origin == Origin::Backfill && m.source == id)
        );
        let requests = searches(&server);
        assert!(requests.len() <= 4, "{requests:?}");
        for r in &requests {
            assert_eq!(r.status, 200, "paced to 1 request/s: {r:?}");
            for part in [
                "/2/tweets/search/all?",
                "start_time=2026-03-12T08%3A00%3A00Z",
                "end_time=2026-03-12T09%3A00%3A00Z",
                "max_results=10",
                "expansions=author_id",
            ] {
                assert!(r.path_and_query.contains(part), "{r:?} lacks {part}");
            }
        }
        assert!(
            requests[1..]
                .iter()
                .all(|r| r.path_and_query.contains("next_token="))
        );
        let gaps: Vec<Duration> = requests.windows(2).map(|w| w[1].at - w[0].at).collect();
        assert!(
            gaps.iter().all(|g| *g >= Duration::from_millis(1000)),
            "{gaps:?}"
        );

        // A finished range does nothing.
        let before = server.requests().len();
        let report = backfill(&config, &kafka, &request).await.unwrap();
        assert_eq!(report.mentions(), 0);
        assert_eq!(server.requests().len(), before);
        assert_eq!(produced(&kafka).await.len(), mentions.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recent_search_backfills_ranges_of_the_last_seven_days() {
        // The samples moved to end two hours ago, so recent search can reach them.
        let mut dataset =
            earshot_replay::Dataset::from_files([repo_root().join("samples/x/tweets.json")])
                .unwrap();
        let newest: DateTime<Utc> = dataset.x[0]["created_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let shift = Utc::now() - chrono::Duration::hours(2) - newest;
        let shift = chrono::Duration::seconds(shift.num_seconds());
        for post in &mut dataset.x {
            let at: DateTime<Utc> = post["created_at"].as_str().unwrap().parse().unwrap();
            post["created_at"] = (at + shift)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into();
        }
        let server = earshot_replay::start(dataset).await.unwrap();
        let kafka = kafka("x-recent-backfill").await;
        let config = config_for(&server, 10);
        let from: DateTime<Utc> = "2026-03-12T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + shift;
        // Up to tomorrow: the end is brought back to a little before now.
        let to = Utc::now() + chrono::Duration::days(1);
        let want = expected_between(server.dataset(), "allegro", from, to);
        assert!(want.len() > 10, "{}", want.len());
        let report = backfill(&config, &kafka, &request("allegro", from, to))
            .await
            .unwrap();
        assert!(report.failures().is_empty(), "{:?}", report.failures());
        assert_exactly(&produced(&kafka).await, &want, 0);
        let requests = searches(&server);
        assert_eq!(requests.len(), want.len().div_ceil(10));
        assert!(requests.iter().all(|r| r.status == 200
            && r.path_and_query.starts_with("/2/tweets/search/recent?")
            && r.path_and_query.contains("start_time=")
            && r.path_and_query.contains("end_time=")
            && !r.path_and_query.contains("since_id")));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_old_range_without_full_archive_names_the_key_to_set() {
        let server = server().await;
        let kafka = kafka("x-old-range").await;
        let config = config_for(&server, 10);
        let from: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        let to: DateTime<Utc> = "2026-03-12T09:00:00Z".parse().unwrap();
        let error = backfill(&config, &kafka, &request("orlen", from, to))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("collectors.x.full_archive: ")
                && error.contains("collectors.x.full_archive = true"),
            "{error}"
        );
        assert!(!error.contains("replay-bearer"));
        assert!(server.requests().is_empty());
        assert!(produced(&kafka).await.is_empty());
    }
}
