//! The fault suite: every scenario against every platform it applies to, on the replay
//! server (documented response shapes) and the local Kafka.
//!
//! A [`Row`] says how to point the collectors at the replay server for one platform, what
//! they collect, which replay route family takes the injected faults, and which mention
//! ids the sample holds for it. A scenario is an `async fn(&Row)`; the table at the end
//! makes one test per (platform, scenario), named `platform::scenario`, and gives the
//! pairs that cannot apply the reason why instead of a test. Every test asserts the
//! exact set of mention ids on its own `mentions.raw`: no gap, no duplicate.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::platforms as p;
use common::*;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions, RunReport};
use earshot_kafka::KafkaConfig;
use earshot_model::Brand;
use earshot_replay::{Fault, RateLimitWindow, ReplayServer, RequestRecord};

/// How the fault suite drives one platform.
struct Row {
    /// The replay route family faults and rate limits are set on; also names topics.
    route: &'static str,
    /// The sample file under `samples/`.
    sample: &'static str,
    /// What the collectors collect, one job each (Bluesky: one job matching them all).
    queries: &'static [&'static str],
    /// A query nothing in the sample matches, for `no_matches`.
    silent: &'static str,
    /// Two queries whose jobs share one rate budget, for `advertised_budget`.
    budget_queries: &'static [&'static str],
    /// Items per page: what the config asks for, and so the most a kill between
    /// produce and cursor store may repeat.
    page_size: u32,
    config: fn(&ReplayServer, &[&str], u32) -> CollectorsConfig,
    brands: fn(&[&str]) -> Vec<Brand>,
    /// Mention ids of the sample items the queries match.
    expected: fn(&ReplayServer, &[&str]) -> BTreeSet<String>,
    /// Queued before a fault so that it lands mid-run: lets the first page (Bluesky:
    /// the first connection's first events) through.
    lead_in: Fault,
    /// Items published after this instant "arrive" between two polls (`later_arrivals`).
    arrival_cut: Option<&'static str>,
    /// How `restart_mid_run` kills the first collector.
    restart: Restart,
}

/// A run is killed once the server has answered `kill_after` requests, plus `settle`;
/// until then every request gets `each`, so the kill lands part-way.
struct Restart {
    each: Fault,
    kill_after: usize,
    settle: Duration,
}

/// A lead-in that answers normally.
const PASS: Fault = Fault::Delay(Duration::ZERO);

/// Every answer a little slow, killed once `kill_after` requests are answered: anywhere
/// in the next page, between produce and cursor store included.
const fn paged(kill_after: usize) -> Restart {
    Restart {
        each: Fault::Delay(Duration::from_millis(15)),
        kill_after,
        settle: Duration::ZERO,
    }
}

fn keyword_brands(queries: &[&str]) -> Vec<Brand> {
    queries.iter().map(|q| keyword_brand(q)).collect()
}

fn no_brands(_: &[&str]) -> Vec<Brand> {
    Vec::new()
}

fn union(queries: &[&str], each: impl Fn(&str) -> BTreeSet<String>) -> BTreeSet<String> {
    queries.iter().flat_map(|&q| each(q)).collect()
}

const MASTODON: Row = Row {
    route: "mastodon",
    sample: p::mastodon::SAMPLE,
    queries: &["orlen"],
    silent: "nobodyusesthis",
    budget_queries: &["inpost", "allegro"],
    page_size: 20,
    config: |server, _, page| p::mastodon::config_for(server, page),
    brands: |tags| tags.iter().map(|&t| brand(&[t])).collect(),
    expected: |server, tags| union(tags, |t| p::mastodon::expected(server, t)),
    lead_in: PASS,
    arrival_cut: Some("2026-03-12T09:00:00Z"),
    restart: paged(2), // of 5 pages and a forward check
};

const HACKER_NEWS: Row = Row {
    route: "hacker_news",
    sample: p::hacker_news::SAMPLE,
    queries: &["inpost"],
    silent: "nobodysaysthis",
    budget_queries: &[],
    page_size: 40,
    config: |server, _, page| p::hacker_news::config_for(server, page),
    brands: keyword_brands,
    expected: |server, words| union(words, |w| p::hacker_news::expected(server, w, 0, i64::MAX)),
    lead_in: PASS,
    arrival_cut: None,
    restart: paged(2), // of 5 pages
};

const REDDIT: Row = Row {
    route: "reddit",
    sample: p::reddit::SAMPLE,
    queries: &["orlen"],
    silent: "nobodysaysthis",
    budget_queries: &["orlen", "inpost"],
    page_size: 20,
    config: |server, _, page| p::reddit::config_for(server, page),
    brands: keyword_brands,
    expected: |server, words| union(words, |w| p::reddit::expected(server, w, &[])),
    lead_in: PASS,
    arrival_cut: Some("2026-03-12T09:00:00Z"),
    restart: paged(3), // the token and 2 of 5 pages
};

const X: Row = Row {
    route: "x",
    sample: p::x::SAMPLE,
    queries: &["orlen"],
    silent: "nobodysaysthis",
    budget_queries: &["inpost", "allegro"],
    page_size: 20,
    config: |server, _, page| p::x::config_for(server, page),
    brands: keyword_brands,
    expected: |server, words| union(words, |w| p::x::expected(server, w)),
    lead_in: PASS,
    arrival_cut: Some("2026-03-12T09:00:00Z"),
    restart: paged(3), // of 6 pages
};

const YOUTUBE: Row = Row {
    route: "youtube",
    sample: p::youtube::SAMPLE,
    queries: &[p::youtube::VIDEO],
    silent: "NoSuchVideo",
    budget_queries: &[],
    page_size: 20,
    config: |server, videos, page| p::youtube::config_for(server, page, videos),
    brands: no_brands,
    expected: |server, videos| union(videos, |v| p::youtube::expected(server, "videoId", v)),
    lead_in: PASS,
    arrival_cut: Some("2026-03-12T03:30:00Z"),
    restart: paged(2), // of 4 pages
};

const RSS: Row = Row {
    route: "rss",
    sample: p::rss::SAMPLE,
    queries: &["rss/biznes", "atom/tech"],
    silent: "rss/nosuchfeed",
    budget_queries: &[],
    page_size: 30, // a feed is one document of 30 items
    config: |server, paths, _| p::rss::config_with_feeds(server, paths),
    brands: no_brands,
    expected: |server, paths| {
        let feeds: Vec<&str> = paths
            .iter()
            .map(|p| p.rsplit('/').next().unwrap())
            .collect();
        p::rss::expected(server, &feeds, None)
    },
    lead_in: PASS, // the first feed
    arrival_cut: Some("2026-03-12T09:00:00Z"),
    // Killed once the first feed is stored, while the second's answer is on its way.
    restart: Restart {
        each: Fault::Delay(Duration::from_millis(1_500)),
        kill_after: 1,
        settle: Duration::from_millis(750),
    },
};

const BLUESKY: Row = Row {
    route: "bluesky",
    sample: p::bluesky::SAMPLE,
    queries: &p::bluesky::KEYWORDS,
    silent: "nobodysaysthis",
    budget_queries: &[],
    page_size: 40, // events per produce + cursor store
    config: |server, _, batch| {
        let mut config = p::bluesky::config_for(server);
        config.bluesky.batch_size = batch as usize;
        config
    },
    brands: keyword_brands,
    expected: |server, keywords| p::bluesky::expected_for(server, keywords, usize::MAX),
    lead_in: Fault::CloseAfter(37), // the stream drops; the fault meets the reconnect
    arrival_cut: Some("2026-03-12T08:30:00Z"),
    // Every connection drops after 20 events (a few of them rewound): ~22 connections.
    restart: Restart {
        each: Fault::CloseAfter(20),
        kill_after: 8,
        settle: Duration::ZERO,
    },
};

/// One test's replay server, Kafka topics, config and expectation.
struct Case {
    row: &'static Row,
    name: String,
    server: ReplayServer,
    kafka: KafkaConfig,
    config: CollectorsConfig,
    brands: Vec<Brand>,
    want: BTreeSet<String>,
}

impl Case {
    async fn new(row: &'static Row, scenario: &str) -> Case {
        let case = Case::with_queries(row, scenario, row.queries).await;
        assert!(
            case.want.len() > row.page_size as usize,
            "{} matches only {} items: not enough to page",
            row.route,
            case.want.len()
        );
        case
    }

    async fn with_queries(row: &'static Row, scenario: &str, queries: &[&str]) -> Case {
        init_tracing();
        let server = p::replay_of(row.sample).await;
        let name = format!("faults-{}-{scenario}", row.route);
        let kafka = kafka(&name).await;
        let config = (row.config)(&server, queries, row.page_size);
        let want = (row.expected)(&server, queries);
        Case {
            row,
            name,
            server,
            kafka,
            config,
            brands: (row.brands)(queries),
            want,
        }
    }

    /// Fresh topics, so fresh cursors: a second collector that never ran.
    async fn fresh_topics(&mut self) {
        self.kafka = kafka(&self.name).await;
    }

    fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        for fault in faults {
            self.server.inject(self.row.route, fault);
        }
    }

    /// Queues `faults` after the row's lead-in, so the first page goes through.
    fn inject_mid_run(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inject(std::iter::once(self.row.lead_in.clone()).chain(faults));
    }

    async fn run(&self) -> RunReport {
        run_once(&self.config, &self.brands, &self.kafka).await
    }

    async fn run_clean(&self) -> RunReport {
        let report = self.run().await;
        assert!(report.failures().is_empty(), "{:?}", report.failures());
        report
    }

    /// Distinct mention ids produced so far.
    async fn produced_ids(&self) -> BTreeSet<String> {
        produced(&self.kafka)
            .await
            .iter()
            .map(|m| m.id.as_str().to_string())
            .collect()
    }

    /// Asserts some but not all of the expected mentions are in.
    async fn assert_partial(&self) -> usize {
        let got = self.produced_ids().await;
        assert!(got.is_subset(&self.want), "only expected mentions");
        assert!(
            !got.is_empty() && got.len() < self.want.len(),
            "part-way: {} of {}",
            got.len(),
            self.want.len()
        );
        got.len()
    }

    async fn assert_exact(&self, max_repeats: usize) {
        assert_exactly(&produced(&self.kafka).await, &self.want, max_repeats);
    }

    /// The platform's requests, without Reddit's token requests.
    fn requests(&self) -> Vec<RequestRecord> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.platform == self.row.route && !r.path_and_query.contains("access_token"))
            .collect()
    }

    /// Pages a clean run of the queries fetches.
    fn pages(&self) -> usize {
        self.want.len().div_ceil(self.row.page_size as usize)
    }

    /// How long after each 429 the next request came.
    fn waits_after_429(&self) -> Vec<Duration> {
        let requests = self.requests();
        requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == 429)
            .map(|(i, r)| {
                let next = requests.get(i + 1).expect("a request after the 429");
                next.at - r.at
            })
            .collect()
    }
}

fn rate_limited(retry_after: Option<u64>, reset_after: Option<u64>) -> Fault {
    Fault::RateLimited {
        retry_after: retry_after.map(Duration::from_millis),
        reset_after: reset_after.map(Duration::from_millis),
    }
}

/// Pages to the end: every item once. A second poll finds nothing new and asks each
/// job's query once.
async fn pages_to_the_end(row: &'static Row) {
    let case = Case::new(row, "paging").await;
    case.run_clean().await;
    case.assert_exact(0).await;

    let before = case.requests().len();
    let again = case.run_clean().await;
    assert_eq!(again.mentions(), 0);
    let asked = case.requests().len() - before;
    assert!(
        asked <= again.jobs.len(),
        "{asked} requests for {} jobs with nothing new",
        again.jobs.len()
    );
    case.assert_exact(0).await;
}

/// A query nothing matches: an empty, successful poll, and the next one too.
async fn no_matches(row: &'static Row) {
    let case = Case::with_queries(row, "none", &[row.silent]).await;
    assert!(case.want.is_empty());
    for _ in 0..2 {
        let report = case.run_clean().await;
        assert_eq!(report.mentions(), 0);
    }
    case.assert_exact(0).await;
}

/// An empty first page produces nothing and stores no cursor that skips anything: the
/// next poll collects everything.
async fn empty_first_page(row: &'static Row) {
    let case = Case::new(row, "empty-first").await;
    case.inject([Fault::EmptyPage]);
    // Hacker News reports the contradiction (no hits, `nbHits` > 0) as a failed poll.
    case.run().await;
    let got = case.produced_ids().await;
    assert!(got.len() < case.want.len(), "{} produced", got.len());
    case.run_clean().await;
    case.assert_exact(0).await;
}

/// An empty page in the middle of a sweep is not taken for the end: the next poll reads
/// on from it.
async fn empty_page_mid_sweep(row: &'static Row) {
    let case = Case::new(row, "empty-mid").await;
    case.inject_mid_run([Fault::EmptyPage]);
    case.run().await;
    case.assert_partial().await;
    case.run_clean().await;
    case.assert_exact(0).await;
}

/// A 429 carrying the platform's own rate-limit headers (nothing remaining, a reset
/// 1.5 s ahead): the retry waits for the reset, not for the short backoff.
async fn rate_limited_until_reset(row: &'static Row) {
    let case = Case::new(row, "429-reset").await;
    case.inject_mid_run([rate_limited(None, Some(1_500))]);
    case.run_clean().await;
    case.assert_exact(0).await;
    let waits = case.waits_after_429();
    assert_eq!(waits.len(), 1, "{waits:?}");
    // Backoff alone would retry within ~50 ms.
    assert!(
        waits[0] >= Duration::from_millis(1_300),
        "retried after {:?}",
        waits[0]
    );
}

/// A 429 with `Retry-After: 1` waits that second; a bare 429 still backs off: no hot loop.
async fn rate_limited_retry_after_or_bare(row: &'static Row) {
    let case = Case::new(row, "429-bare").await;
    case.inject_mid_run([rate_limited(Some(1_000), None), rate_limited(None, None)]);
    case.run_clean().await;
    case.assert_exact(0).await;
    let waits = case.waits_after_429();
    assert_eq!(waits.len(), 2, "one request per 429: {waits:?}");
    assert!(
        waits[0] >= Duration::from_millis(950),
        "Retry-After honoured: {:?}",
        waits[0]
    );
    assert!(
        waits[1] >= Duration::from_millis(40),
        "a bare 429 backs off: {:?}",
        waits[1]
    );
}

/// 500s are retried; 500s past the retries fail the poll without moving the cursor past
/// anything, and the next poll collects the rest.
async fn server_errors(row: &'static Row) {
    let mut case = Case::new(row, "500").await;
    case.inject_mid_run([Fault::ServerError, Fault::ServerError]);
    case.run_clean().await;
    case.assert_exact(0).await;
    let errors = case.requests().iter().filter(|r| r.status == 500).count();
    assert_eq!(errors, 2);

    case.fresh_topics().await;
    let attempts = case.config.http.max_retries + 1;
    case.inject_mid_run((0..attempts).map(|_| Fault::ServerError));
    let report = case.run().await;
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{report:?}");
    assert!(failures[0].1.contains("HTTP 500"), "{failures:?}");
    case.assert_partial().await;
    case.run_clean().await;
    case.assert_exact(0).await;
}

/// An answer slower than the client's timeout is retried.
async fn timeouts(row: &'static Row) {
    let case = Case::new(row, "timeout").await;
    let timeout = Duration::from_millis(case.config.http.timeout_ms)
        .max(Duration::from_millis(case.config.http.connect_timeout_ms));
    case.inject_mid_run([Fault::Delay(timeout * 2 + Duration::from_millis(100))]);
    let started = Instant::now();
    case.run_clean().await;
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
    case.assert_exact(0).await;
}

/// A body cut off mid-JSON (mid-XML for feeds) is retried like a 5xx; one that stays
/// unreadable fails the poll without moving the cursor, and the next poll reads on.
async fn malformed_body(row: &'static Row) {
    let mut case = Case::new(row, "malformed").await;
    case.inject_mid_run([Fault::MalformedJson]);
    case.run_clean().await;
    case.assert_exact(0).await;

    case.fresh_topics().await;
    let attempts = case.config.http.max_retries + 1;
    case.inject_mid_run((0..attempts).map(|_| Fault::MalformedJson));
    let report = case.run().await;
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{report:?}");
    assert!(
        failures[0].1.contains("unreadable response"),
        "{failures:?}"
    );
    case.assert_partial().await;
    case.run_clean().await;
    case.assert_exact(0).await;
}

/// A page whose cursor points back at the one it was asked with: no loop, no duplicate,
/// no gap. A platform may end (fail) the poll there; the next one reads on.
async fn repeated_cursor(row: &'static Row) {
    let case = Case::new(row, "repeat").await;
    case.inject_mid_run([Fault::RepeatCursor]);
    let report = case.run().await;
    for (job, error) in report.failures() {
        assert!(error.contains("repeat"), "{job}: {error}");
    }
    case.run_clean().await;
    case.assert_exact(0).await;
    // Each page once, plus the repeated one and a check per poll.
    let requests = case.requests().len();
    assert!(
        requests <= case.pages() + 4,
        "{requests} requests for {} pages",
        case.pages()
    );
}

/// A collector killed part-way, then a new one (new producer, cursors read back from
/// Kafka): the exact set, at most one page repeated, and not started over.
async fn restart_mid_run(row: &'static Row) {
    let mut case = Case::new(row, "restart").await;
    // Slow answers (the kill waits in the middle of one) must not time out.
    case.config.http.timeout_ms = 5_000;
    case.config.http.connect_timeout_ms = 5_000;
    let restart = &row.restart;
    case.inject((0..=restart.kill_after).map(|_| restart.each.clone()));
    let killed = earshot_collectors::run(
        &case.config,
        &case.brands,
        &case.kafka,
        &RunOptions::from(RunMode::Once),
        async {
            after_requests(&case.server, restart.kill_after).await;
            tokio::time::sleep(restart.settle).await;
        },
    )
    .await
    .expect("killed run");
    let partial = case.assert_partial().await;

    let resumed = case.run_clean().await;
    assert!(
        (resumed.mentions() as usize) < case.want.len(),
        "resumed from the cursors, not from scratch: {} after {partial} (killed run: {killed:?})",
        resumed.mentions()
    );
    case.assert_exact(row.page_size as usize).await;
}

/// Items that appear between two polls are collected by the second, once.
async fn later_arrivals(row: &'static Row) {
    let case = Case::new(row, "arrivals").await;
    let cut: DateTime<Utc> = row
        .arrival_cut
        .expect("an arrival_cut")
        .parse()
        .expect("an RFC 3339 arrival_cut");
    case.server.set_visible_until(Some(cut));
    case.run_clean().await;
    case.assert_partial().await;
    case.server.set_visible_until(None);
    case.run_clean().await;
    case.assert_exact(0).await;
}

/// Jobs sharing a budget the platform advertises in its headers (3 requests per half
/// second here) never send a request after it is spent: they wait for the reset.
async fn advertised_budget(row: &'static Row) {
    let case = Case::with_queries(row, "budget", row.budget_queries).await;
    let (limit, window) = (3, Duration::from_millis(500));
    case.server
        .set_rate_limit(row.route, RateLimitWindow { limit, window });
    let started = Instant::now();
    case.run_clean().await;
    let elapsed = started.elapsed();
    // An item both queries match is on both jobs' pages: one id, produced twice.
    let each: usize = row
        .budget_queries
        .iter()
        .map(|&q| (row.expected)(&case.server, &[q]).len())
        .sum();
    case.assert_exact(each - case.want.len()).await;
    assert_eq!(
        case.server.over_budget_requests(),
        0,
        "sent requests after the budget was spent"
    );
    let requests = case.requests().len() as u32;
    assert!(requests > 2 * limit as u32, "{requests} requests");
    assert!(
        elapsed >= window * (requests / limit as u32 - 1),
        "{requests} requests in {elapsed:?}"
    );
}

/// Every scenario of the suite, each an `async fn(&Row)` above.
const SCENARIOS: &[&str] = &[
    "pages_to_the_end",
    "no_matches",
    "empty_first_page",
    "empty_page_mid_sweep",
    "rate_limited_until_reset",
    "rate_limited_retry_after_or_bare",
    "server_errors",
    "timeouts",
    "malformed_body",
    "repeated_cursor",
    "restart_mid_run",
    "later_arrivals",
    "advertised_budget",
];

/// One test per (platform, scenario): `platform::scenario`. A scenario given a reason
/// cannot apply to that platform: it makes no test, and the reason stays in the table.
/// Every row must name every scenario, run or not, which one more test checks.
macro_rules! table {
    ($($platform:ident = $row:ident { $($scenario:ident $(: $na:literal)?,)* })*) => {
        $(mod $platform {
            $(table!(@test $row $scenario $($na)?);)*
            /// The scenarios this row names, run or not applicable.
            pub const LISTED: &[&str] = &[$(stringify!($scenario)),*];
        })*

        #[test]
        fn every_platform_runs_or_explains_every_scenario() {
            let mut all: Vec<&str> = SCENARIOS.to_vec();
            all.sort_unstable();
            $(
                let mut listed: Vec<&str> = $platform::LISTED.to_vec();
                listed.sort_unstable();
                assert_eq!(listed, all, "the {} row", stringify!($platform));
            )*
        }
    };
    (@test $row:ident $scenario:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            super::$scenario(&super::$row).await;
        }
    };
    (@test $row:ident $scenario:ident $na:literal) => {
        const _: &str = $na;
    };
}

table! {
    mastodon = MASTODON {
        pages_to_the_end,
        no_matches,
        empty_first_page,
        empty_page_mid_sweep: "n/a: Mastodon ends a timeline with a page shorter than `limit` (an empty one too); history paging stops there by design, bounded by history_pages",
        rate_limited_until_reset,
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body,
        repeated_cursor,
        restart_mid_run,
        later_arrivals,
        advertised_budget,
    }
    hacker_news = HACKER_NEWS {
        pages_to_the_end,
        no_matches,
        empty_first_page,
        empty_page_mid_sweep,
        rate_limited_until_reset: "n/a: Algolia's HN API sends no rate-limit headers",
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body,
        repeated_cursor,
        restart_mid_run,
        later_arrivals: "n/a: sweeps select by created_at, so a late item with an old created_at is index lag, which index_lag_secs covers (hacker_news.rs)",
        advertised_budget: "n/a: Algolia publishes 10,000 requests/hour per IP but advertises no budget in its answers",
    }
    reddit = REDDIT {
        pages_to_the_end,
        no_matches,
        empty_first_page,
        empty_page_mid_sweep,
        rate_limited_until_reset,
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body,
        repeated_cursor,
        restart_mid_run,
        later_arrivals,
        advertised_budget,
    }
    x = X {
        pages_to_the_end,
        no_matches,
        empty_first_page,
        empty_page_mid_sweep: "n/a: X sends next_token only while more results exist; an empty page without one is X's documented end of the results",
        rate_limited_until_reset,
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body,
        repeated_cursor,
        restart_mid_run,
        later_arrivals,
        advertised_budget,
    }
    youtube = YOUTUBE {
        pages_to_the_end,
        no_matches,
        empty_first_page,
        empty_page_mid_sweep,
        rate_limited_until_reset: "n/a: YouTube sends no rate-limit headers; its quota is units per day (youtube.rs: the_daily_quota_stops_polling)",
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body,
        repeated_cursor,
        restart_mid_run,
        later_arrivals,
        advertised_budget: "n/a: YouTube advertises no per-window budget, only a daily quota (youtube.rs)",
    }
    rss = RSS {
        pages_to_the_end,
        no_matches,
        empty_first_page,
        empty_page_mid_sweep: "n/a: a feed is one document, not pages; an empty one is empty_first_page",
        rate_limited_until_reset: "n/a: feeds send no rate-limit headers",
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body,
        repeated_cursor: "n/a: a feed has no paging cursor; a feed re-listing old items is rss.rs",
        restart_mid_run,
        later_arrivals,
        advertised_budget: "n/a: feeds advertise no budget",
    }
    bluesky = BLUESKY {
        pages_to_the_end,
        no_matches,
        empty_first_page: "n/a: Jetstream is a stream, not pages; no events is an idle stream, which ends every poll",
        empty_page_mid_sweep: "n/a: Jetstream is a stream, not pages",
        rate_limited_until_reset: "n/a: Jetstream sends no rate-limit headers",
        rate_limited_retry_after_or_bare,
        server_errors,
        timeouts,
        malformed_body: "n/a: the only HTTP answer is the bodiless 101 upgrade; events are WebSocket frames",
        repeated_cursor: "n/a: a stream has no paging cursor; reconnects rewind into seen events on purpose (bluesky.rs)",
        restart_mid_run,
        later_arrivals,
        advertised_budget: "n/a: Jetstream advertises no budget",
    }
}
