//! Mastodon-specific behaviour against the replay server and the local Kafka: every test
//! asserts the exact set of mention ids that reached `mentions.raw`. The fault scenarios
//! every platform shares (paging, empty pages, 429s, 500s, timeouts, malformed bodies,
//! repeated cursors, restarts, rate budgets) are in `faults.rs`.

mod common;

use common::platforms::mastodon::*;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_to_the_end_then_polls_only_for_newer() {
    init_tracing();
    let server = replay().await;
    let kafka = kafka("mastodon-paging").await;
    let config = config_for(&server, 10);
    let want = expected(&server, "orlen");
    assert!(want.len() > 50, "the sample should need many pages");

    let report = run_once(&config, &[brand(&["orlen"])], &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert!(
        report.pages() >= (want.len() / 10) as u64,
        "pages: {}",
        report.pages()
    );
    let mentions = produced(&kafka).await;
    let m = mentions.iter().find(|m| !m.author.bio.is_empty()).unwrap();
    assert!(m.source.ends_with("#orlen") && m.source.starts_with("mastodon:127.0.0.1:"));
    assert!(!m.text.contains('<'), "HTML stripped: {}", m.text);

    // A second run asks only for statuses newer than the newest seen: one request, nothing new.
    let before = server.requests().len();
    let again = run_once(&config, &[brand(&["orlen"])], &kafka).await;
    assert_eq!(again.mentions(), 0);
    let new_requests = &server.requests()[before..];
    assert_eq!(new_requests.len(), 1, "{new_requests:?}");
    assert!(
        new_requests[0].path_and_query.contains("min_id="),
        "{:?}",
        new_requests[0]
    );
    assert_exactly(&produced(&kafka).await, &want, 0);
}
