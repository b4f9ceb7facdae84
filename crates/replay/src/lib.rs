//! A local stand-in for the platforms Earshot collects from.
//!
//! The real APIs are unreachable from CI and from most demo machines, and even where they
//! are reachable they cannot be made to fail on cue. This server replays a dataset of
//! posts in each platform's documented response shape, honours the platform's paging
//! parameters and rate-limit headers, and lets a test queue faults (429 with or without
//! reset headers, 500, a slow answer, malformed JSON or XML, an empty page, a page whose cursor
//! points back at itself) for the next requests to a platform.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let dataset = earshot_replay::Dataset::from_files(["samples/mastodon/statuses.json"])?;
//! let server = earshot_replay::start(dataset).await?;
//! println!("replaying at {}", server.base_url());
//! # Ok(()) }
//! ```

mod bluesky;
mod dataset;
mod faults;
mod hacker_news;
mod mastodon;
mod query;
mod reddit;
mod rss;
mod x;
mod youtube;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use bluesky::xrpc::{APP_PASSWORD as BLUESKY_APP_PASSWORD, IDENTIFIER as BLUESKY_IDENTIFIER};
pub use dataset::{Dataset, DatasetError};
pub use faults::{Fault, RateLimitWindow};
pub use mastodon::ACCESS_TOKEN as MASTODON_ACCESS_TOKEN;
pub use youtube::QUOTA_EXCEEDED_KEY as YOUTUBE_QUOTA_EXCEEDED_KEY;

/// One request the server answered, for tests that assert on traffic.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The platform route family (`mastodon`, `reddit`…).
    pub platform: &'static str,
    /// Path and query as received.
    pub path_and_query: String,
    /// HTTP status the server answered with.
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
}

/// Shared state behind every route.
pub(crate) struct State {
    pub(crate) dataset: Dataset,
    faults: Mutex<HashMap<&'static str, VecDeque<Fault>>>,
    windows: Mutex<HashMap<&'static str, faults::WindowState>>,
    requests: Mutex<Vec<RequestRecord>>,
    /// Items created after this instant are hidden, so a test can make posts "arrive".
    visible_until: Mutex<Option<DateTime<Utc>>>,
    /// Requests that arrived while the advertised budget was already spent.
    over_budget: Mutex<u64>,
    /// Every request counted against an advertised window, with that window's reset.
    window_log: Mutex<Vec<(String, DateTime<Utc>)>>,
    /// OAuth tokens issued (Reddit's `access_token` endpoint), newest last, and
    /// whether each is still valid.
    pub(crate) tokens: Mutex<Vec<(String, bool)>>,
    /// Bluesky app-password sessions issued (access and refresh tokens).
    pub(crate) bluesky_sessions: Mutex<bluesky::xrpc::Sessions>,
    /// When each route with a per-second limit (X full-archive search) last served.
    paced: Mutex<HashMap<&'static str, Instant>>,
}

impl State {
    fn new(dataset: Dataset) -> Self {
        State {
            dataset,
            faults: Mutex::default(),
            windows: Mutex::default(),
            requests: Mutex::default(),
            visible_until: Mutex::default(),
            over_budget: Mutex::default(),
            window_log: Mutex::default(),
            tokens: Mutex::default(),
            bluesky_sessions: Mutex::default(),
            paced: Mutex::default(),
        }
    }

    /// Whether a request to `route` may be served now, at least `interval` after the
    /// last one served (which this one then becomes).
    pub(crate) fn paced(&self, route: &'static str, interval: std::time::Duration) -> bool {
        let mut paced = self.paced.lock().unwrap();
        let now = Instant::now();
        if paced.get(route).is_some_and(|last| now - *last < interval) {
            return false;
        }
        paced.insert(route, now);
        true
    }

    pub(crate) fn next_fault(&self, platform: &'static str) -> Option<Fault> {
        self.faults.lock().unwrap().get_mut(platform)?.pop_front()
    }

    pub(crate) fn record(&self, platform: &'static str, path_and_query: String, status: u16) {
        self.requests.lock().unwrap().push(RequestRecord {
            platform,
            path_and_query,
            status,
            at: Instant::now(),
        });
    }

    pub(crate) fn is_visible(&self, created_at: Option<DateTime<Utc>>) -> bool {
        match (*self.visible_until.lock().unwrap(), created_at) {
            (Some(until), Some(created)) => created <= until,
            _ => true,
        }
    }

    /// Counts the request against the platform's window; `None` when no window is set.
    pub(crate) fn spend(
        &self,
        platform: &'static str,
        path_and_query: &str,
    ) -> Option<faults::WindowSnapshot> {
        let mut windows = self.windows.lock().unwrap();
        let snapshot = windows.get_mut(platform)?.spend();
        if snapshot.over_budget {
            *self.over_budget.lock().unwrap() += 1;
        }
        self.window_log
            .lock()
            .unwrap()
            .push((path_and_query.to_string(), snapshot.reset_at));
        Some(snapshot)
    }
}

/// A running replay server. Dropping it stops the server.
pub struct ReplayServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl ReplayServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `fault` for the next request to `platform` (`"mastodon"`, `"reddit"`…);
    /// faults are consumed in the order they were queued, one per request.
    pub fn inject(&self, platform: &'static str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .entry(platform)
            .or_default()
            .push_back(fault);
    }

    /// Advertises and enforces a request budget for `platform` in its own header style.
    pub fn set_rate_limit(&self, platform: &'static str, window: RateLimitWindow) {
        self.state
            .windows
            .lock()
            .unwrap()
            .insert(platform, faults::WindowState::new(window));
    }

    /// Hides items created after `until` (`None` shows everything).
    pub fn set_visible_until(&self, until: Option<DateTime<Utc>>) {
        *self.state.visible_until.lock().unwrap() = until;
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Requests that arrived after the advertised budget was spent: a well-behaved
    /// client keeps this at zero.
    /// Every request counted against a window set by [`ReplayServer::set_rate_limit`]:
    /// its path and query, and the window it fell in (named by the window's reset).
    pub fn window_log(&self) -> Vec<(String, DateTime<Utc>)> {
        self.state.window_log.lock().unwrap().clone()
    }

    pub fn over_budget_requests(&self) -> u64 {
        *self.state.over_budget.lock().unwrap()
    }

    /// How many OAuth tokens the server has issued (a client caching its token asks once).
    pub fn tokens_issued(&self) -> usize {
        self.state.tokens.lock().unwrap().len()
    }

    /// Revokes every issued token: the next API call with one gets 401, as after a
    /// token expired early or was revoked.
    pub fn revoke_tokens(&self) {
        for token in self.state.tokens.lock().unwrap().iter_mut() {
            token.1 = false;
        }
    }

    /// Bluesky logins (`createSession`) and session refreshes answered with tokens.
    pub fn bluesky_sessions(&self) -> (usize, usize) {
        let sessions = self.state.bluesky_sessions.lock().unwrap();
        (sessions.logins, sessions.refreshes)
    }

    /// Expires every Bluesky access token issued so far: the next search with one gets
    /// 400 `ExpiredToken`, as after the two hours an access token lives. Refresh
    /// tokens stay good.
    pub fn expire_bluesky_sessions(&self) {
        self.state.bluesky_sessions.lock().unwrap().expire();
    }

    /// Invalidates every Bluesky token issued so far, refresh tokens included: a
    /// search gets 401, a refresh 400 `ExpiredToken`, so only a new login helps.
    pub fn invalidate_bluesky_sessions(&self) {
        self.state.bluesky_sessions.lock().unwrap().invalidate();
    }

    pub fn dataset(&self) -> &Dataset {
        &self.state.dataset
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The routes for every platform the dataset has data for.
fn router(state: Arc<State>) -> Router {
    Router::new()
        .merge(mastodon::routes())
        .merge(hacker_news::routes())
        .merge(reddit::routes())
        .merge(x::routes())
        .merge(youtube::routes())
        .merge(rss::routes())
        .merge(bluesky::routes())
        .with_state(state)
}

/// Starts the server in-process on an ephemeral port of 127.0.0.1.
pub async fn start(dataset: Dataset) -> std::io::Result<ReplayServer> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), dataset).await
}

/// Starts the server in-process on `addr` (port 0 picks a free one).
pub async fn start_on(addr: SocketAddr, dataset: Dataset) -> std::io::Result<ReplayServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State::new(dataset));
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "replay server stopped");
        }
    });
    tracing::info!(%addr, "replay server listening");
    Ok(ReplayServer { addr, state, task })
}

/// Serves until `shutdown` resolves; for the `earshot replay-server` command.
pub async fn serve(
    listener: TcpListener,
    dataset: Dataset,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(State::new(dataset));
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The base URL a client used, from its `Host` header, for building `Link` headers
/// and `next` URLs the way the real servers do.
pub(crate) fn request_base(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}
