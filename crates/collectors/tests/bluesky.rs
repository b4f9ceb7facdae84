//! Bluesky Jetstream against the replay server's WebSocket and the local Kafka: every
//! test asserts the exact set of mention ids that reached `mentions.raw`. The fault
//! scenarios every platform shares are in `faults.rs`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::platforms::bluesky::*;
use common::*;
use earshot_collectors::{RunMode, RunOptions};
use earshot_replay::{Fault, ReplayServer};

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

// searchPosts with an app-password session, and the backfill.

use chrono::{DateTime, Utc};
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_collectors::{Error, RateBudgets, Secret};
use earshot_model::{Origin, Platform};

/// Whether `text` holds `word` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Mention ids of the sample posts naming `word` created in `[from, to)`.
fn posts_naming(server: &ReplayServer, word: &str, from: &str, to: &str) -> BTreeSet<String> {
    let (from, to): (DateTime<Utc>, DateTime<Utc>) = (from.parse().unwrap(), to.parse().unwrap());
    server
        .dataset()
        .bluesky
        .iter()
        .filter(|e| {
            let commit = &e["commit"];
            let record = &commit["record"];
            commit["operation"] == "create"
                && commit["collection"] == "app.bsky.feed.post"
                && has_word(&record["text"].as_str().unwrap().to_lowercase(), word)
                && record["createdAt"]
                    .as_str()
                    .and_then(|c| c.parse::<DateTime<Utc>>().ok())
                    .is_some_and(|at| at >= from && at < to)
        })
        .map(|e| {
            format!(
                "bluesky:at://{}/app.bsky.feed.post/{}",
                e["did"].as_str().unwrap(),
                e["commit"]["rkey"].as_str().unwrap()
            )
        })
        .collect()
}

const ALL_FROM: &str = "2026-03-12T00:00:00Z";
const ALL_TO: &str = "2026-03-13T00:00:00Z";

fn count_requests(server: &ReplayServer, path: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path_and_query.starts_with(path))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_to_the_end_and_names_posts_as_jetstream_does() {
    let server = server().await;
    let kafka = kafka("bluesky-search").await;
    let config = search_config(&server);
    let brands = [keyword_brand("orlen")];
    let half = "2026-03-12T08:30:00Z";
    server.set_visible_until(Some(half.parse().unwrap()));
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let first = posts_naming(&server, "orlen", ALL_FROM, half);
    assert!(first.len() > 10, "{}", first.len());
    assert_exactly(&produced(&kafka).await, &first, 0);
    let mentions = produced(&kafka).await;
    assert!(
        mentions
            .iter()
            .all(|m| m.source == "bluesky:search?q=orlen")
    );
    assert!(
        mentions
            .iter()
            .all(|m| m.author.handle.ends_with(".bsky.social"))
    );
    assert_eq!(server.bluesky_sessions(), (1, 0), "one login per process");
    let searches: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|p| p.starts_with("/xrpc/app.bsky.feed.searchPosts?"))
        .collect();
    assert!(searches.len() >= first.len().div_ceil(10), "{searches:?}");
    assert!(
        searches
            .iter()
            .all(|p| p.contains("q=orlen") && p.contains("sort=latest") && p.contains("limit=10"))
    );

    // The rest arrive; the next sweep stops at the newest post seen before.
    server.set_visible_until(None);
    let report = run_once(&config, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let all = posts_naming(&server, "orlen", ALL_FROM, ALL_TO);
    assert_exactly(&produced(&kafka).await, &all, 0);

    // Jetstream on the same topic finds the same posts under the same ids: records
    // repeat (the processor drops them by id), ids do not multiply.
    let mut jetstream = config_for(&server);
    jetstream.bluesky.search = Some(false);
    let report = run_once(&jetstream, &brands, &kafka).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert!(report.mentions() as usize >= all.len());
    assert_exactly(&produced(&kafka).await, &all, all.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_rejected_token_is_refreshed_or_replaced() {
    let server = server().await;
    let kafka = kafka("bluesky-tokens").await;
    let config = search_config(&server);

    // The access token expires while the second page is on its way: the session is
    // refreshed with the refresh token and the page asked for again.
    server.inject("bluesky", Fault::Delay(Duration::ZERO)); // createSession
    server.inject("bluesky", Fault::Delay(Duration::ZERO)); // page 1
    server.inject("bluesky", Fault::Delay(Duration::from_millis(300))); // page 2
    let expire = async {
        after_requests(&server, 2).await;
        server.expire_bluesky_sessions();
    };
    let orlen = [keyword_brand("orlen")];
    let (report, ()) = tokio::join!(run_once(&config, &orlen, &kafka), expire);
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(
        server.bluesky_sessions(),
        (1, 1),
        "logged in once, refreshed once"
    );
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..4], &[200, 200, 400, 200], "{statuses:?}");
    assert_eq!(
        count_requests(&server, "/xrpc/com.atproto.server.refreshSession"),
        1
    );

    // Every token is invalidated mid-run: the search gets 401, the refresh is refused
    // too, and a new login takes over.
    let before = server.requests().len();
    server.inject("bluesky", Fault::Delay(Duration::ZERO)); // createSession
    server.inject("bluesky", Fault::Delay(Duration::ZERO)); // page 1
    server.inject("bluesky", Fault::Delay(Duration::from_millis(300))); // page 2
    let invalidate = async {
        after_requests(&server, before + 2).await;
        server.invalidate_bluesky_sessions();
    };
    let inpost = [keyword_brand("inpost")];
    let (report, ()) = tokio::join!(run_once(&config, &inpost, &kafka), invalidate);
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(
        server.bluesky_sessions(),
        (3, 1),
        "two logins in the second run"
    );
    let statuses: Vec<u16> = server.requests()[before..]
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        &statuses[..6],
        &[200, 200, 401, 400, 200, 200],
        "{statuses:?}"
    );

    let mut want = posts_naming(&server, "orlen", ALL_FROM, ALL_TO);
    want.extend(posts_naming(&server, "inpost", ALL_FROM, ALL_TO));
    assert_exactly(&produced(&kafka).await, &want, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail_clearly_without_the_secret() {
    let server = server().await;
    let kafka = kafka("bluesky-credentials").await;
    let mut config = search_config(&server);
    config.bluesky.search_app_password = Some(Secret::new("wrong-secret-pass-4242"));
    let report = run_once(&config, &brands(), &kafka).await;
    let failures = report.failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    for (_, error) in &failures {
        assert!(
            error.contains("HTTP 401")
                && error.contains("Invalid identifier or password")
                && error.contains("search_app_password"),
            "{error}"
        );
        assert!(!error.contains("wrong-secret"), "{error}");
    }
    // One login attempt serves both jobs; a refused login is not retried at once.
    assert_eq!(
        count_requests(&server, "/xrpc/com.atproto.server.createSession"),
        1
    );
    assert_eq!(
        count_requests(&server, "/xrpc/app.bsky.feed.searchPosts"),
        0
    );
    assert_eq!(produced(&kafka).await.len(), 0);

    // A missing password is caught before anything starts, naming the key.
    config.bluesky.search_app_password = None;
    config.bluesky.search_app_password_env = Some("EARSHOT_TEST_UNSET_BSKY_PASSWORD".into());
    let error = earshot_collectors::run(
        &config,
        &brands(),
        &kafka,
        &RunOptions::from(RunMode::Once),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Config { .. }));
    assert_eq!(
        error.to_string(),
        "collectors.bluesky.search_app_password_env: environment variable \
         `EARSHOT_TEST_UNSET_BSKY_PASSWORD` is not set"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_survives_a_kill_and_adds_nothing_twice() {
    let server = server().await;
    let kafka = kafka("bluesky-backfill").await;
    let mut config = search_config(&server);
    config.bluesky.search_page_limit = 5;
    let (from, to) = ("2026-03-12T08:10:00Z", "2026-03-12T08:50:00Z");
    let want = posts_naming(&server, "inpost", from, to);
    assert!(
        want.len() > 15,
        "the range needs several pages: {}",
        want.len()
    );
    let request = BackfillRequest {
        brand: keyword_brand("inpost"),
        platform: Platform::Bluesky,
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
    };

    // Killed after the login and two pages.
    for _ in 0..50 {
        server.inject("bluesky", Fault::Delay(Duration::from_millis(10)));
    }
    let report = run_backfill(&config, &kafka, &request, after_requests(&server, 3)).await;
    let partial = produced(&kafka).await.len();
    assert!(
        partial > 0 && partial < want.len(),
        "killed mid-way: {partial} of {} ({report:?})",
        want.len()
    );
    let first_search = server
        .requests()
        .into_iter()
        .find(|r| {
            r.path_and_query
                .starts_with("/xrpc/app.bsky.feed.searchPosts")
        })
        .unwrap()
        .path_and_query;
    assert!(
        first_search.contains("since=2026-03-12T08%3A10%3A00.000Z")
            && first_search.contains("until=2026-03-12T08%3A50%3A00.000Z"),
        "{first_search}"
    );

    // A new process resumes from the stored cursor.
    let killed_at = count_requests(&server, "/xrpc/app.bsky.feed.searchPosts");
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let mentions = produced(&kafka).await;
    assert_exactly(&mentions, &want, 5);
    assert!(mentions.iter().all(|m| m.origin == Origin::Backfill));
    let job = format!(
        "backfill:bluesky:inpost:{}..{}",
        request.from.timestamp(),
        request.to.timestamp()
    );
    assert!(
        mentions.iter().all(|m| m.source == job),
        "{}",
        mentions[0].source
    );
    let resumed = count_requests(&server, "/xrpc/app.bsky.feed.searchPosts") - killed_at;
    assert!(
        resumed <= want.len().div_ceil(5) - killed_at + 2,
        "resumed, not restarted: {resumed}"
    );

    // The finished range again: no login, no search, nothing added.
    let before = server.requests().len();
    let report = run_backfill(&config, &kafka, &request, std::future::pending()).await;
    assert_eq!(report.mentions(), 0);
    assert_eq!(server.requests().len(), before);
    assert_eq!(produced(&kafka).await.len(), mentions.len());

    // Without an account there is no Bluesky backfill, and the error says which key.
    let mut anonymous = config_for(&server);
    anonymous.bluesky.search = Some(false);
    let error = backfill::run(
        &anonymous,
        &kafka,
        &request,
        &RateBudgets::default(),
        None,
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("collectors.bluesky.search_identifier: is not set"),
        "{error}"
    );
}
