//! Reddit-specific behaviour (OAuth token caching and renewal, subreddit search) against
//! the replay server and the local Kafka: every test asserts the exact set of mention ids
//! that reached `mentions.raw`. The fault scenarios every platform shares are in
//! `faults.rs`.

mod common;

use std::time::Duration;

use common::platforms::reddit::*;
use common::*;
use earshot_replay::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_to_the_end_with_one_token_then_reads_only_the_first_page() {
    init_tracing();
    let server = server().await;
    let kafka = kafka("reddit-paging").await;
    let config = config_for(&server, 10);
    let want = expected(&server, "orlen", &[]);
    assert!(want.len() > 50, "the sample should need many pages");

    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert_eq!(server.tokens_issued(), 1, "the token is cached");
    let pages = searches(&server).len();
    assert_eq!(pages, want.len().div_ceil(10), "one request per page");
    assert!(
        searches(&server)
            .iter()
            .all(|r| r.path_and_query.contains("sort=new")
                && r.path_and_query.contains("limit=10"))
    );
    let mentions = produced(&kafka).await;
    assert!(mentions.iter().all(|m| m.source == "reddit:orlen"));
    assert!(
        mentions.iter().any(|m| m.text.contains('\n')),
        "title + selftext"
    );

    // Nothing new: one request for the newest page, which reaches the newest link seen.
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert_eq!(report.mentions(), 0);
    assert_eq!(searches(&server).len(), pages + 1);
    assert!(!searches(&server)[pages].path_and_query.contains("after="));
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_replaced_once() {
    let server = server().await;
    let kafka = kafka("reddit-token").await;
    let config = config_for(&server, 10);
    server.inject("reddit", Fault::Delay(Duration::from_millis(100)));
    let brands = [keyword_brand("orlen")];
    let run = run_once(&config, &brands, &kafka);
    let revoke = async {
        // The token is issued; the first search is still in its 100 ms delay.
        after_requests(&server, 1).await;
        server.revoke_tokens();
    };
    let (report, ()) = tokio::join!(run, revoke);
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(server.tokens_issued(), 2);
    assert_eq!(
        server.requests().iter().filter(|r| r.status == 401).count(),
        1
    );
    assert_exactly(&produced(&kafka).await, &expected(&server, "orlen", &[]), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subreddits_restrict_the_search() {
    let server = server().await;
    let kafka = kafka("reddit-subs").await;
    let mut config = config_for(&server, 10);
    config.reddit.subreddits = vec!["poland".into(), "r/Polska".into()];
    let report = run_once(&config, &[keyword_brand("orlen")], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let want = expected(&server, "orlen", &["poland", "Polska"]);
    assert!(!want.is_empty() && want.len() < expected(&server, "orlen", &[]).len());
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert!(
        produced(&kafka)
            .await
            .iter()
            .all(|m| m.source == "reddit:r/poland+Polska:orlen")
    );
}
