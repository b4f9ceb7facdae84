//! Reddit-specific behaviour (OAuth token caching and renewal, subreddit search) against
//! the replay server and the local Kafka: every test asserts the exact set of mention ids
//! that reached `mentions.raw`. The fault scenarios every platform shares are in
//! `faults.rs`.

mod common;

use std::time::Duration;

use common::platforms::reddit::*;
use common::*;
use earshot_replay::{Fault, ReplayServer};
use std::collections::BTreeSet;

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

/// Whether `text` holds `word` as a whole word, ignoring case (an independent check of
/// the collector's matcher).
fn has_word(text: &str, word: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == word)
}

/// Mention ids of the sample links in `subreddits` naming one of `words` as a word.
fn expected_in_listing(
    server: &ReplayServer,
    subreddits: &[&str],
    words: &[&str],
) -> BTreeSet<String> {
    server
        .dataset()
        .reddit
        .iter()
        .filter(|p| {
            let text = format!(
                "{} {}",
                p["title"].as_str().unwrap(),
                p["selftext"].as_str().unwrap()
            );
            subreddits.contains(&p["subreddit"].as_str().unwrap())
                && words.iter().any(|w| has_word(&text, w))
        })
        .map(|p| format!("reddit:{}", p["name"].as_str().unwrap()))
        .collect()
}

fn from_source(
    mentions: &[earshot_model::RawMention],
    source: &str,
) -> Vec<earshot_model::RawMention> {
    mentions
        .iter()
        .filter(|m| m.source == source)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subreddit_listings_page_to_the_end_and_keep_only_brand_matches() {
    let server = server().await;
    let kafka = kafka("reddit-listing").await;
    let mut config = config_for(&server, 10);
    config.reddit.listing_subreddits = vec!["poland".into(), "r/Polska".into()];
    let brands = [keyword_brand("orlen"), keyword_brand("allegro")];
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());

    let mentions = produced(&kafka).await;
    let poland = expected_in_listing(&server, &["poland"], &["orlen", "allegro"]);
    let polska = expected_in_listing(&server, &["Polska"], &["orlen", "allegro"]);
    let in_poland = server
        .dataset()
        .reddit
        .iter()
        .filter(|p| p["subreddit"] == "poland")
        .count();
    assert!(
        !poland.is_empty() && poland.len() < in_poland,
        "some links match, some do not: {} of {in_poland}",
        poland.len()
    );
    assert_exactly(&from_source(&mentions, "reddit:r/poland/new"), &poland, 0);
    assert_exactly(&from_source(&mentions, "reddit:r/Polska/new"), &polska, 0);
    // The keyword searches of all Reddit ran alongside, as before.
    let searched: BTreeSet<String> = expected(&server, "orlen", &[])
        .union(&expected(&server, "allegro", &[]))
        .cloned()
        .collect();
    let search_mentions: Vec<_> = mentions
        .iter()
        .filter(|m| !m.source.ends_with("/new"))
        .cloned()
        .collect();
    let on_both = expected(&server, "orlen", &[])
        .intersection(&expected(&server, "allegro", &[]))
        .count();
    assert_exactly(&search_mentions, &searched, on_both);

    // Every link of the subreddit was read, one request per page, raw JSON.
    let listing = |sub: &str| -> Vec<earshot_replay::RequestRecord> {
        server
            .requests()
            .into_iter()
            .filter(|r| r.path_and_query.starts_with(&format!("/r/{sub}/new?")))
            .collect()
    };
    let pages = listing("poland").len();
    assert_eq!(pages, in_poland.div_ceil(10));
    assert!(listing("poland").iter().all(|r| r.status == 200
        && r.path_and_query.contains("limit=10")
        && r.path_and_query.contains("raw_json=1")));
    assert!(
        listing("poland")[1..]
            .iter()
            .all(|r| r.path_and_query.contains("after=t3_"))
    );

    // Nothing new: one request per listing, which reaches the newest link seen.
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(listing("poland").len(), pages + 1);
    let mentions = produced(&kafka).await;
    assert_exactly(&from_source(&mentions, "reddit:r/poland/new"), &poland, 0);
    assert_exactly(&from_source(&mentions, "reddit:r/Polska/new"), &polska, 0);
}

/// Mention ids of the sample links mentioning `word` (search semantics) created in
/// `[from, to)`, in `subreddits` if any are given.
fn expected_between(
    server: &ReplayServer,
    word: &str,
    subreddits: &[&str],
    from: i64,
    to: i64,
) -> BTreeSet<String> {
    let in_range: BTreeSet<String> = server
        .dataset()
        .reddit
        .iter()
        .filter(|p| {
            let at = p["created_utc"].as_f64().unwrap() as i64;
            at >= from && at < to
        })
        .map(|p| format!("reddit:{}", p["name"].as_str().unwrap()))
        .collect();
    expected(server, word, subreddits)
        .intersection(&in_range)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_pages_back_to_from_survives_a_kill_and_adds_nothing_twice() {
    use earshot_collectors::backfill::BackfillRequest;
    use earshot_model::{Origin, Platform};

    let server = server().await;
    let kafka = kafka("reddit-backfill").await;
    let config = config_for(&server, 10);
    let from: chrono::DateTime<chrono::Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
    let to: chrono::DateTime<chrono::Utc> = "2026-03-12T10:00:00Z".parse().unwrap();
    let (f, t) = (from.timestamp(), to.timestamp());
    let want = expected_between(&server, "inpost", &[], f, t);
    let newer = expected_between(&server, "inpost", &[], t, i64::MAX).len();
    let all = expected(&server, "inpost", &[]).len();
    assert!(
        want.len() > 20 && newer > 10 && all > want.len() + newer + 10,
        "{want:?}"
    );
    let request = BackfillRequest {
        brand: keyword_brand("inpost"),
        platform: Platform::Reddit,
        from,
        to,
    };

    // Kill it part-way (after the token and four pages).
    for _ in 0..100 {
        server.inject("reddit", Fault::Delay(Duration::from_millis(10)));
    }
    let report = run_backfill(&config, &kafka, &request, after_requests(&server, 5)).await;
    let partial = produced(&kafka).await.len();
    assert!(
        partial < want.len(),
        "killed before the end: {partial} ({report:?})"
    );

    // Resume: the first request continues after the stored `after`.
    let before = searches(&server).len();
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let mentions = produced(&kafka).await;
    assert_exactly(&mentions, &want, 10);
    assert!(
        mentions.iter().all(|m| m.origin == Origin::Backfill
            && m.source == format!("backfill:reddit:inpost:{f}..{t}"))
    );
    let requests = searches(&server);
    assert!(requests[before].path_and_query.contains("after=t3_"));
    assert!(
        requests
            .iter()
            .all(|r| r.path_and_query.contains("sort=new")
                && r.path_and_query.contains("t=all")
                && r.path_and_query.contains("q=inpost"))
    );
    // It stopped at the first page reaching past `from`, not at the end of the listing.
    let pages_to_from = (newer + want.len()) / 10 + 1;
    assert!(
        requests.len() <= pages_to_from + 1 && requests.len() < all.div_ceil(10),
        "{} requests for {pages_to_from} pages",
        requests.len()
    );

    // A finished range does nothing.
    let before = server.requests().len();
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), before);
    assert_eq!(produced(&kafka).await.len(), mentions.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_searches_within_the_configured_subreddits() {
    use earshot_collectors::backfill::BackfillRequest;
    use earshot_model::Platform;

    let server = server().await;
    let kafka = kafka("reddit-backfill-subs").await;
    let mut config = config_for(&server, 5);
    config.reddit.subreddits = vec!["poland".into(), "Polska".into()];
    let from: chrono::DateTime<chrono::Utc> = "2026-03-12T07:00:00Z".parse().unwrap();
    let to: chrono::DateTime<chrono::Utc> = "2026-03-12T11:00:00Z".parse().unwrap();
    let want = expected_between(
        &server,
        "orlen",
        &["poland", "Polska"],
        from.timestamp(),
        to.timestamp(),
    );
    assert!(want.len() > 5, "{want:?}");
    let request = BackfillRequest {
        brand: keyword_brand("orlen"),
        platform: Platform::Reddit,
        from,
        to,
    };
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_exactly(&produced(&kafka).await, &want, 0);
    assert!(
        searches(&server)
            .iter()
            .all(|r| r.path_and_query.starts_with("/r/poland+Polska/search?")
                && r.path_and_query.contains("restrict_sr=1"))
    );
    assert!(report.jobs.contains_key(&format!(
        "backfill:reddit:r/poland+Polska:orlen:{}..{}",
        from.timestamp(),
        to.timestamp()
    )));
}
