//! Offline tier: every platform that pages by an opaque next-page token, live and
//! backfill, against a replay server that answers one page with the token it was asked
//! with. Paging must end there with a counted `RepeatedCursor` warning (the poll fails
//! naming the repeat, nothing of that page is produced), never loop; the next run reads
//! on from the stored cursor and every item arrives exactly once. In-memory sink and
//! cursors: no broker. The tests run on one thread: the event recorder hears the thread
//! it was started on.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::platforms as p;
use common::*;
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_collectors::collect_once;
use earshot_collectors::{CollectorsConfig, JobContext, MemorySink, RateBudgets, RunReport};
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
    /// A backfill of `word` on `platform` over `[from, to)` (RFC 3339).
    fn backfill(word: &str, platform: Platform, from: &str, to: &str) -> Run {
        Run::Backfill(Box::new(BackfillRequest {
            brand: keyword_brand(word),
            platform,
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        }))
    }

    async fn once(&self, config: &CollectorsConfig, ctx: JobContext) -> RunReport {
        match self {
            Run::Live(brands, platform) => collect_once(config, brands, ctx, &[*platform])
                .await
                .expect("valid config"),
            Run::Backfill(request) => {
                let budgets = RateBudgets::default();
                let never = std::future::pending();
                let run = backfill::run_in(config, request, &budgets, ctx, never);
                run.await.expect("valid backfill")
            }
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

/// One platform's paging, live or backfill, against its replay sample.
struct Case {
    sample: &'static str,
    /// The replay route family that takes the fault.
    route: &'static str,
    /// Answers let through before the repeat (a login, the first page).
    lead_in: usize,
    config: fn(&ReplayServer) -> CollectorsConfig,
    /// The exact ids collected, where the sample says; else at least `min_items`.
    expected: Option<fn(&ReplayServer) -> BTreeSet<String>>,
    min_items: usize,
}

impl Case {
    async fn check(&self, run: Run) {
        let server = p::replay_of(self.sample).await;
        let config = (self.config)(&server);
        let got =
            ends_on_the_repeat_and_resumes(&server, self.route, self.lead_in, &config, &run).await;
        match self.expected {
            Some(expected) => assert_eq!(got, expected(&server)),
            None => assert!(got.len() >= self.min_items, "{} items", got.len()),
        }
    }
}

fn x_archive(server: &ReplayServer) -> CollectorsConfig {
    let mut config = p::x::config_for(server, 10);
    config.x.full_archive = true;
    config.x.full_archive_max_results = 10;
    config
}

fn youtube_video(server: &ReplayServer) -> CollectorsConfig {
    p::youtube::config_for(server, 10, &[p::youtube::VIDEO])
}

/// Pages of 5, so a keyword's posts take several.
fn bluesky_search(server: &ReplayServer) -> CollectorsConfig {
    let mut config = p::bluesky::search_config(server);
    config.bluesky.search_page_limit = 5;
    config
}

fn x_search(server: &ReplayServer) -> CollectorsConfig {
    p::x::config_for(server, 10)
}

fn live(word: &str, platform: Platform) -> Run {
    Run::Live(vec![keyword_brand(word)], platform)
}

/// One test per case: `name: sample, fault route, answers before the fault, config, run,
/// exact ids (if the sample says), at least this many items`.
macro_rules! tests {
    ($($name:ident: $sample:expr, $route:literal, $lead_in:literal, $config:expr, $run:expr, $expected:expr, $min:literal;)*) => {
        $(#[tokio::test]
        async fn $name() {
            let case = Case { sample: $sample, route: $route, lead_in: $lead_in, config: $config, expected: $expected, min_items: $min };
            case.check($run).await;
        })*
    };
}

tests! {
    x_recent_search: p::x::SAMPLE, "x", 1, x_search, live("orlen", Platform::X), Some(|s: &ReplayServer| p::x::expected(s, "orlen")), 0;
    x_backfill: p::x::SAMPLE, "x", 1, x_archive, Run::backfill("orlen", Platform::X, "2026-03-12T08:00:00Z", "2026-03-12T09:00:00Z"), None, 21;
    youtube_comment_threads: p::youtube::SAMPLE, "youtube", 1, youtube_video, live("orlen", Platform::Youtube), Some(|s: &ReplayServer| p::youtube::expected(s, "videoId", p::youtube::VIDEO)), 0;
    youtube_backfill: p::youtube::SAMPLE, "youtube", 1, youtube_video, Run::backfill("orlen", Platform::Youtube, "2026-03-11T21:00:00Z", "2026-03-12T09:00:00Z"), None, 11;
    bluesky_search_posts: p::bluesky::SAMPLE, "bluesky", 2, bluesky_search, live("inpost", Platform::Bluesky), None, 6;
    bluesky_backfill: p::bluesky::SAMPLE, "bluesky", 2, bluesky_search, Run::backfill("inpost", Platform::Bluesky, "2026-03-12T08:10:00Z", "2026-03-12T08:50:00Z"), None, 6;
}

/// Reddit's `after` is the fullname of the page's last link, and the collector follows
/// that link rather than a token pointing elsewhere: a repeated `after` is defused, not
/// followed (the guard itself meets a server that repeats a whole page, see `sweep.rs`
/// and `paging.rs`). No loop, and every link once.
#[tokio::test]
async fn reddit_search_and_backfill_follow_the_last_link() {
    let server = p::reddit::server().await;
    let config = p::reddit::config_for(&server, 10);
    for run in [
        Run::Live(vec![keyword_brand("inpost")], Platform::Reddit),
        Run::backfill(
            "inpost",
            Platform::Reddit,
            "2026-03-12T08:00:00Z",
            "2026-03-12T10:00:00Z",
        ),
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
