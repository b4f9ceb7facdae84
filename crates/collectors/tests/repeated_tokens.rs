//! Offline tier: every platform that pages by an opaque next-page token, live and
//! backfill, against a replay server that answers one page with the token it was asked
//! with. Paging must end there with a counted `RepeatedCursor` warning (the poll fails
//! naming the repeat, nothing of that page is produced), never loop; the next run reads
//! on from the stored cursor and every item arrives exactly once. In-memory sink and
//! cursors: no broker.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::platforms as p;
use common::*;
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_collectors::{CollectorsConfig, JobContext, MemorySink, RateBudgets, RunReport};
use earshot_collectors::{Secret, collect_once};
use earshot_model::{Brand, Origin, Platform};
use earshot_replay::{Fault, ReplayServer};
use earshot_runtime::events::EventRecorder;

/// Answers normally (lets a request through before the fault).
const PASS: Fault = Fault::Delay(Duration::ZERO);

/// What one run of a case does: live polls or a backfill of a range.
enum Run {
    Live(Vec<Brand>, Platform),
    Backfill(Box<BackfillRequest>),
}

impl Run {
    async fn once(&self, config: &CollectorsConfig, ctx: JobContext) -> RunReport {
        match self {
            Run::Live(brands, platform) => collect_once(config, brands, ctx, &[*platform])
                .await
                .expect("valid config"),
            Run::Backfill(request) => backfill::run_in(
                config,
                request,
                &RateBudgets::default(),
                ctx,
                std::future::pending(),
            )
            .await
            .expect("valid backfill"),
        }
    }
}

fn ids(sink: &MemorySink) -> Vec<String> {
    sink.mentions()
        .iter()
        .map(|m| m.id.as_str().to_string())
        .collect()
}

/// Injects `lead_in` passes then a repeated token on `route`, runs once (which must end
/// with the repeat counted and the poll failed), then again cleanly; returns every id
/// produced, asserting none twice.
async fn ends_on_the_repeat_and_resumes(
    server: &ReplayServer,
    route: &'static str,
    lead_in: usize,
    config: &CollectorsConfig,
    run: &Run,
) -> BTreeSet<String> {
    for _ in 0..lead_in {
        server.inject(route, PASS);
    }
    server.inject(route, Fault::RepeatCursor);
    let (ctx, sink, _cursors) = JobContext::in_memory(Origin::Live);
    let recorder = EventRecorder::start();
    let report = run.once(config, ctx.clone()).await;
    let failures = report.failures();
    assert_eq!(
        failures.len(),
        1,
        "the job with the repeat fails: {failures:?}"
    );
    assert!(failures[0].1.contains("repeat"), "{failures:?}");
    assert_eq!(recorder.count("RepeatedCursor"), 1);
    let requests = server.requests().len();
    assert!(
        requests <= lead_in + 1,
        "paging stopped at the repeat: {requests} requests"
    );
    let before = sink.mentions().len();

    let again = run.once(config, ctx).await;
    assert!(again.failures().is_empty(), "{:?}", again.failures());
    let all = ids(&sink);
    let unique: BTreeSet<String> = all.iter().cloned().collect();
    assert_eq!(unique.len(), all.len(), "no item twice");
    assert!(
        all.len() > before,
        "the second run reads on past the repeat"
    );
    unique
}

// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn x_recent_search() {
    let server = p::x::server().await;
    let config = p::x::config_for(&server, 10);
    let run = Run::Live(vec![keyword_brand("orlen")], Platform::X);
    let got = ends_on_the_repeat_and_resumes(&server, "x", 1, &config, &run).await;
    assert_eq!(got, p::x::expected(&server, "orlen"));
}

// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn x_backfill() {
    let server = p::x::server().await;
    let mut config = p::x::config_for(&server, 10);
    config.x.full_archive = true;
    config.x.full_archive_max_results = 10;
    let run = Run::Backfill(Box::new(BackfillRequest {
        brand: keyword_brand("orlen"),
        platform: Platform::X,
        from: "2026-03-12T08:00:00Z".parse().unwrap(),
        to: "2026-03-12T09:00:00Z".parse().unwrap(),
    }));
    let got = ends_on_the_repeat_and_resumes(&server, "x", 1, &config, &run).await;
    assert!(got.len() > 20, "three pages: {}", got.len());
}

// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn youtube_comment_threads() {
    let server = p::youtube::server().await;
    let config = p::youtube::config_for(&server, 10, &[p::youtube::VIDEO]);
    let run = Run::Live(vec![keyword_brand("orlen")], Platform::Youtube);
    let got = ends_on_the_repeat_and_resumes(&server, "youtube", 1, &config, &run).await;
    assert_eq!(
        got,
        p::youtube::expected(&server, "videoId", p::youtube::VIDEO)
    );
}

// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn youtube_backfill() {
    let server = p::youtube::server().await;
    let config = p::youtube::config_for(&server, 10, &[p::youtube::VIDEO]);
    let run = Run::Backfill(Box::new(BackfillRequest {
        brand: keyword_brand("orlen"),
        platform: Platform::Youtube,
        from: "2026-03-11T21:00:00Z".parse().unwrap(),
        to: "2026-03-12T09:00:00Z".parse().unwrap(),
    }));
    let got = ends_on_the_repeat_and_resumes(&server, "youtube", 1, &config, &run).await;
    assert!(got.len() > 10, "{}", got.len());
}

/// Search only (no Jetstream), logged in to the replay server's account; the login
/// takes the first answer of the route.
fn bluesky_search_config(server: &ReplayServer) -> CollectorsConfig {
    let mut config = p::bluesky::config_for(server);
    config.bluesky.enabled = false;
    config.bluesky.search_base_url = server.base_url();
    config.bluesky.search_identifier = Some(Secret::new(earshot_replay::BLUESKY_IDENTIFIER));
    config.bluesky.search_app_password = Some(Secret::new(earshot_replay::BLUESKY_APP_PASSWORD));
    config.bluesky.search_page_limit = 5;
    config.bluesky.search_history_pages = 1000;
    config
}

// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn bluesky_search() {
    let server = p::bluesky::server().await;
    let config = bluesky_search_config(&server);
    let run = Run::Live(vec![keyword_brand("inpost")], Platform::Bluesky);
    ends_on_the_repeat_and_resumes(&server, "bluesky", 2, &config, &run).await;
}

// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn bluesky_backfill() {
    let server = p::bluesky::server().await;
    let config = bluesky_search_config(&server);
    let run = Run::Backfill(Box::new(BackfillRequest {
        brand: keyword_brand("inpost"),
        platform: Platform::Bluesky,
        from: "2026-03-12T08:10:00Z".parse().unwrap(),
        to: "2026-03-12T08:50:00Z".parse().unwrap(),
    }));
    ends_on_the_repeat_and_resumes(&server, "bluesky", 2, &config, &run).await;
}

/// Reddit's `after` is the fullname of the page's last link, and the collector follows
/// that link rather than a token pointing elsewhere: a repeated `after` is defused, not
/// followed (the guard itself meets a server that repeats a whole page, see `sweep.rs`
/// and `paging.rs`). No loop, and every link once.
// One thread: the event recorder hears the thread it was started on.
#[tokio::test]
async fn reddit_search_and_backfill_follow_the_last_link() {
    let server = p::reddit::server().await;
    let config = p::reddit::config_for(&server, 10);
    for run in [
        Run::Live(vec![keyword_brand("inpost")], Platform::Reddit),
        Run::Backfill(Box::new(BackfillRequest {
            brand: keyword_brand("inpost"),
            platform: Platform::Reddit,
            from: "2026-03-12T08:00:00Z".parse().unwrap(),
            to: "2026-03-12T10:00:00Z".parse().unwrap(),
        })),
    ] {
        server.inject("reddit", PASS);
        server.inject("reddit", Fault::RepeatCursor);
        let before = p::reddit::searches(&server).len();
        let (ctx, sink, _cursors) = JobContext::in_memory(Origin::Live);
        let report = run.once(&config, ctx).await;
        assert!(report.failures().is_empty(), "{:?}", report.failures());
        let all = ids(&sink);
        let unique: BTreeSet<String> = all.iter().cloned().collect();
        assert_eq!(unique.len(), all.len(), "no link twice");
        if let Run::Live(..) = run {
            assert_eq!(unique, p::reddit::expected(&server, "inpost", &[]));
        }
        // No page asked for twice: the walk never went back.
        let asked: Vec<String> = p::reddit::searches(&server)[before..]
            .iter()
            .map(|r| r.path_and_query.clone())
            .collect();
        let distinct: BTreeSet<&String> = asked.iter().collect();
        assert_eq!(distinct.len(), asked.len(), "{asked:#?}");
        assert!(asked.len() > 2, "paged past the repeat: {asked:#?}");
    }
}
