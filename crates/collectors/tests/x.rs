//! X API v2 recent search against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`. The fault scenarios
//! every platform shares are in `faults.rs`.

mod common;

use common::platforms::x::*;
use common::*;

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
