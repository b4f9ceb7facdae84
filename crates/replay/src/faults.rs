//! Faults a test can queue, the rate-limit window a platform advertises, and the
//! request prelude/epilogue every platform route shares.

use std::time::{Duration, Instant};

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::State;

/// Something to go wrong with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer 429. `retry_after` adds a `Retry-After` header (whole seconds);
    /// `reset_after` adds the platform's own rate-limit headers with nothing remaining
    /// and a reset that far ahead. Both `None` is a bare 429.
    RateLimited {
        retry_after: Option<Duration>,
        reset_after: Option<Duration>,
    },
    /// Answer 500.
    ServerError,
    /// Wait this long before answering normally (longer than the client's timeout
    /// makes it a timeout).
    Delay(Duration),
    /// Answer 200 with a body that is cut off mid-JSON (mid-XML for feeds).
    MalformedJson,
    /// Answer 200 with an empty page.
    EmptyPage,
    /// Answer the page normally, but make its paging cursor point back at the cursor
    /// the request came with, as a buggy server or a cache might.
    RepeatCursor,
    /// WebSocket streams (Bluesky Jetstream): drop the connection after sending this
    /// many events, as a network blip or a server restart does.
    CloseAfter(usize),
}

/// A request budget the server advertises in the platform's header style and enforces
/// with 429 when a client overspends it.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitWindow {
    pub limit: u64,
    pub window: Duration,
}

pub(crate) struct WindowState {
    window: RateLimitWindow,
    started: Instant,
    started_at: DateTime<Utc>,
    used: u64,
}

pub(crate) struct WindowSnapshot {
    pub limit: u64,
    pub remaining: u64,
    pub reset_at: DateTime<Utc>,
    pub over_budget: bool,
}

impl WindowState {
    pub(crate) fn new(window: RateLimitWindow) -> Self {
        WindowState {
            window,
            started: Instant::now(),
            started_at: Utc::now(),
            used: 0,
        }
    }

    pub(crate) fn spend(&mut self) -> WindowSnapshot {
        if self.started.elapsed() >= self.window.window {
            self.started = Instant::now();
            self.started_at = Utc::now();
            self.used = 0;
        }
        self.used += 1;
        let over_budget = self.used > self.window.limit;
        WindowSnapshot {
            limit: self.window.limit,
            remaining: self.window.limit.saturating_sub(self.used),
            reset_at: self.started_at
                + chrono::Duration::from_std(self.window.window).unwrap_or_default(),
            over_budget,
        }
    }
}

/// How a platform spells its rate-limit headers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HeaderStyle {
    /// `X-RateLimit-Limit/Remaining/Reset`, reset as an ISO 8601 timestamp.
    Mastodon,
    /// `X-Ratelimit-Used/Remaining/Reset`, reset in seconds from now.
    Reddit,
    /// `x-rate-limit-limit/remaining/reset`, reset in unix epoch seconds.
    X,
    /// `RateLimit-Limit/Remaining/Reset/Policy` (the IETF draft Bluesky's services
    /// send), reset in unix epoch seconds.
    Ietf,
    /// No rate-limit headers (Algolia's HN API, RSS feeds).
    None,
}

impl HeaderStyle {
    fn render(self, limit: u64, remaining: u64, reset_at: DateTime<Utc>) -> Vec<(String, String)> {
        match self {
            HeaderStyle::Mastodon => vec![
                ("x-ratelimit-limit".into(), limit.to_string()),
                ("x-ratelimit-remaining".into(), remaining.to_string()),
                (
                    "x-ratelimit-reset".into(),
                    reset_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ),
            ],
            HeaderStyle::Reddit => vec![
                (
                    "x-ratelimit-used".into(),
                    limit.saturating_sub(remaining).to_string(),
                ),
                ("x-ratelimit-remaining".into(), remaining.to_string()),
                (
                    "x-ratelimit-reset".into(),
                    // Whole seconds, rounded up so a client never arrives early.
                    ((reset_at - Utc::now()).num_milliseconds().max(0) as u64)
                        .div_ceil(1000)
                        .to_string(),
                ),
            ],
            HeaderStyle::X => vec![
                ("x-rate-limit-limit".into(), limit.to_string()),
                ("x-rate-limit-remaining".into(), remaining.to_string()),
                (
                    "x-rate-limit-reset".into(),
                    // Rounded up to the next second, so a client never arrives early.
                    (reset_at.timestamp() + i64::from(reset_at.timestamp_subsec_millis() > 0))
                        .to_string(),
                ),
            ],
            HeaderStyle::Ietf => vec![
                ("ratelimit-limit".into(), limit.to_string()),
                ("ratelimit-remaining".into(), remaining.to_string()),
                (
                    "ratelimit-reset".into(),
                    (reset_at.timestamp() + i64::from(reset_at.timestamp_subsec_millis() > 0))
                        .to_string(),
                ),
            ],
            HeaderStyle::None => Vec::new(),
        }
    }
}

/// What a route does after the shared prelude.
pub(crate) enum Prelude {
    /// The prelude answered already (injected 429/500, or an overspent budget).
    Answered(Response),
    /// Serve the page; `fault` is a page-level fault the route or epilogue applies.
    Serve {
        fault: Option<Fault>,
        headers: Vec<(String, String)>,
    },
}

/// Applies request-level faults and the rate-limit window before a route builds its page.
pub(crate) async fn prelude(
    state: &State,
    platform: &'static str,
    style: HeaderStyle,
    path_and_query: &str,
) -> Prelude {
    let mut fault = state.next_fault(platform);
    if let Some(Fault::Delay(delay)) = fault {
        tokio::time::sleep(delay).await;
        fault = None;
    }
    let snapshot = state.spend(platform, path_and_query);
    let mut headers = snapshot
        .as_ref()
        .map(|s| style.render(s.limit, s.remaining, s.reset_at))
        .unwrap_or_default();
    match fault {
        Some(Fault::RateLimited {
            retry_after,
            reset_after,
        }) => {
            let mut headers = Vec::new();
            if let Some(after) = retry_after {
                headers.push(("retry-after".to_string(), after.as_secs().to_string()));
            }
            if let Some(after) = reset_after {
                let reset_at = Utc::now() + chrono::Duration::from_std(after).unwrap_or_default();
                let limit = snapshot.as_ref().map_or(300, |s| s.limit);
                headers.extend(style.render(limit, 0, reset_at));
            }
            let response = respond(StatusCode::TOO_MANY_REQUESTS, &headers, too_many());
            state.record(platform, path_and_query.to_string(), 429);
            Prelude::Answered(response)
        }
        Some(Fault::ServerError) => {
            state.record(platform, path_and_query.to_string(), 500);
            Prelude::Answered(respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                &[],
                r#"{"error":"Internal server error"}"#.to_string(),
            ))
        }
        _ if snapshot.as_ref().is_some_and(|s| s.over_budget) => {
            headers.retain(|(name, _)| !name.ends_with("remaining"));
            let snapshot = snapshot.expect("checked above");
            headers.extend(style.render(snapshot.limit, 0, snapshot.reset_at));
            state.record(platform, path_and_query.to_string(), 429);
            Prelude::Answered(respond(StatusCode::TOO_MANY_REQUESTS, &headers, too_many()))
        }
        fault => Prelude::Serve { fault, headers },
    }
}

fn too_many() -> String {
    r#"{"error":"Too many requests"}"#.to_string()
}

/// Sends a 200 JSON page, cut short when the fault says so, and records the request.
pub(crate) fn epilogue(
    state: &State,
    platform: &'static str,
    path_and_query: &str,
    fault: Option<&Fault>,
    headers: Vec<(String, String)>,
    body: String,
) -> Response {
    epilogue_typed(
        state,
        platform,
        path_and_query,
        fault,
        headers,
        body,
        "application/json; charset=utf-8",
    )
}

/// [`epilogue`] for a body of another `content_type` (feeds' XML).
pub(crate) fn epilogue_typed(
    state: &State,
    platform: &'static str,
    path_and_query: &str,
    fault: Option<&Fault>,
    mut headers: Vec<(String, String)>,
    body: String,
    content_type: &str,
) -> Response {
    let body = if fault == Some(&Fault::MalformedJson) {
        let mut cut = body.len() / 2;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body[..cut].to_string()
    } else {
        body
    };
    headers.push(("content-type".into(), content_type.into()));
    state.record(platform, path_and_query.to_string(), 200);
    respond(StatusCode::OK, &headers, body)
}

pub(crate) fn respond(status: StatusCode, headers: &[(String, String)], body: String) -> Response {
    let mut response = (status, body).into_response();
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            if name == axum::http::header::CONTENT_TYPE {
                map.insert(name, value);
            } else {
                map.append(name, value);
            }
        }
    }
    if !map.contains_key("content-type") {
        map.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    response
}
