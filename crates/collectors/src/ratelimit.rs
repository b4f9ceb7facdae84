//! Rate-limit state: what each platform's headers say, and a budget shared by every
//! request that spends the same quota.
//!
//! Budgets are keyed by platform and credential, so every job in a process that spends
//! one quota draws from one budget and the jobs cannot together overspend it. Two
//! *processes* using one credential (`earshot collect` and `earshot backfill`) each keep
//! their own budget; they learn of each other through the `remaining` the platform
//! reports, which is why the budget always trusts the latest headers over its own
//! count. A backfill's budgets also keep a reserve ([`RateBudgets::with_reserve`]): they
//! stop spending while less than that share of the window is left, so live collection
//! running beside a backfill always has requests to poll with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use earshot_model::Platform;
use earshot_runtime::InternalEvent;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// How a platform spells its rate-limit headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitHeaders {
    /// `X-RateLimit-Limit/Remaining/Reset`; reset is an ISO 8601 timestamp.
    Mastodon,
    /// `X-Ratelimit-Used/Remaining/Reset`; remaining may be fractional, reset is
    /// seconds from now.
    Reddit,
    /// `x-rate-limit-limit/remaining/reset`; reset is unix epoch seconds.
    X,
    /// The IETF draft `RateLimit-Limit/Remaining/Reset` Bluesky's servers send;
    /// reset is unix epoch seconds there.
    IetfEpoch,
    /// The platform sends none (Hacker News, RSS feeds, YouTube's daily quota).
    None,
}

/// What the last response said about the quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitStatus {
    pub limit: Option<u64>,
    pub remaining: u64,
    pub reset_at: DateTime<Utc>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

fn number(headers: &HeaderMap, name: &str) -> Option<f64> {
    header(headers, name)?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

/// The longest wait any server may impose on us (`Retry-After`, a quota reset, a token
/// lifetime before refresh). Longer values are capped, not trusted: a hostile or broken
/// server could otherwise park a job forever or overflow `Instant`/`DateTime` maths.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// `wait` capped at [`MAX_SERVER_WAIT`]; a capped wait is counted
/// (`earshot_collector_server_waits_capped_total`).
pub fn cap_server_wait(wait: Duration) -> Duration {
    if wait > MAX_SERVER_WAIT {
        crate::internal_events::ServerWaitCapped {
            asked: wait,
            cap: MAX_SERVER_WAIT,
        }
        .emit();
        MAX_SERVER_WAIT
    } else {
        wait
    }
}

/// `at`, but no later than [`MAX_SERVER_WAIT`] after `now`.
fn cap_instant(at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if until(at, now) > MAX_SERVER_WAIT {
        now + cap_server_wait(until(at, now))
    } else {
        at
    }
}

fn epoch(seconds: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds as i64, 0)
}

impl RateLimitHeaders {
    /// Reads the quota from a response's headers; `None` when they are absent or garbled.
    pub fn parse(self, headers: &HeaderMap, now: DateTime<Utc>) -> Option<RateLimitStatus> {
        let (limit, remaining, reset_at) = match self {
            RateLimitHeaders::Mastodon => (
                number(headers, "x-ratelimit-limit"),
                number(headers, "x-ratelimit-remaining")?,
                DateTime::parse_from_rfc3339(header(headers, "x-ratelimit-reset")?)
                    .ok()?
                    .with_timezone(&Utc),
            ),
            RateLimitHeaders::Reddit => {
                let used = number(headers, "x-ratelimit-used");
                let remaining = number(headers, "x-ratelimit-remaining")?;
                // Capped before the arithmetic: `1e13` seconds would overflow chrono.
                let reset_in =
                    number(headers, "x-ratelimit-reset")?.min(MAX_SERVER_WAIT.as_secs_f64() * 2.0);
                (
                    used.map(|u| u + remaining),
                    remaining,
                    now + chrono::Duration::milliseconds((reset_in * 1000.0) as i64),
                )
            }
            RateLimitHeaders::X => (
                number(headers, "x-rate-limit-limit"),
                number(headers, "x-rate-limit-remaining")?,
                epoch(number(headers, "x-rate-limit-reset")?)?,
            ),
            RateLimitHeaders::IetfEpoch => (
                number(headers, "ratelimit-limit"),
                number(headers, "ratelimit-remaining")?,
                epoch(number(headers, "ratelimit-reset")?)?,
            ),
            RateLimitHeaders::None => return None,
        };
        Some(RateLimitStatus {
            limit: limit.map(|l| l as u64),
            reset_at: cap_instant(reset_at, now),
            // Reddit reports a fractional remainder; 0.4 requests left is none left.
            remaining: remaining.floor() as u64,
        })
    }
}

/// Parses `Retry-After`: delay seconds or an HTTP date, capped at [`MAX_SERVER_WAIT`].
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = header(headers, "retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(cap_server_wait(Duration::from_secs(seconds)));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some(cap_server_wait(until(at, now)))
}

/// How long from `now` until `at`, zero if it has passed.
pub(crate) fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or_default()
}

/// Resets closer than this are one window (Reddit reports seconds-from-now, so its
/// reset instants wobble by the response latency).
const SAME_WINDOW_MS: i64 = 1500;

#[derive(Debug, Default)]
struct BudgetState {
    /// Requests we may still send before `reset_at`; `None` while unknown.
    remaining: Option<u64>,
    reset_at: Option<Instant>,
    /// The reset the platform reported, to tell answers of one window from the next.
    window_reset: Option<DateTime<Utc>>,
    /// Set by a 429: nobody sends before this.
    blocked_until: Option<Instant>,
    /// Requests sent whose answer has not arrived: a response's `remaining` does not
    /// count them yet, so they are subtracted from it.
    in_flight: u64,
    /// The window's size, when the platform says.
    limit: Option<u64>,
}

/// The quota one credential has on one platform, shared by every job using it.
#[derive(Debug)]
pub struct RateBudget {
    platform: Platform,
    /// The share of each window (0..1) this budget leaves unspent for others.
    reserve: f64,
    state: Mutex<BudgetState>,
}

impl RateBudget {
    pub fn new(platform: Platform) -> Self {
        Self::with_reserve(platform, 0.0)
    }

    /// A budget that stops spending while less than `reserve` of a window is left.
    pub fn with_reserve(platform: Platform, reserve: f64) -> Self {
        RateBudget {
            platform,
            reserve: reserve.clamp(0.0, 1.0),
            state: Mutex::default(),
        }
    }

    /// Requests of the window this budget must leave unspent.
    fn reserved(&self, state: &BudgetState) -> u64 {
        state
            .limit
            .map_or(0, |limit| (limit as f64 * self.reserve).ceil() as u64)
    }

    /// Waits until a request may be sent and counts it against the budget. When the
    /// quota is spent, this sleeps until its reset instead of letting callers spin.
    /// Report the response's quota through the returned permit.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap();
                let now = Instant::now();
                if let Some(blocked) = state.blocked_until.filter(|b| *b > now) {
                    Some(blocked - now)
                } else {
                    state.blocked_until = None;
                    if state.reset_at.is_some_and(|reset| reset <= now) {
                        // The window rolled over; the next response tells us the new count.
                        state.remaining = None;
                        state.reset_at = None;
                    }
                    let reserved = self.reserved(&state);
                    match (state.remaining, state.reset_at) {
                        (Some(n), Some(reset)) if n <= reserved => Some(reset - now),
                        (Some(n), _) => {
                            state.remaining = Some(n - 1);
                            None
                        }
                        (None, _) => None,
                    }
                }
            };
            match wait {
                None => {
                    self.state.lock().unwrap().in_flight += 1;
                    return Permit { budget: self };
                }
                Some(wait) => {
                    crate::internal_events::RateLimitWait {
                        platform: self.platform,
                        wait,
                        reserve: self.reserve,
                    }
                    .emit();
                    // A little slack so we do not arrive a hair before the server resets.
                    tokio::time::sleep(wait + Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Records what a response's headers said (the permit of that request is released
    /// separately, so the count here excludes it).
    fn observe(&self, status: RateLimitStatus) {
        let reset_in = until(status.reset_at, Utc::now());
        let mut state = self.state.lock().unwrap();
        let others_in_flight = state.in_flight.saturating_sub(1);
        let reported = status.remaining.saturating_sub(others_in_flight);
        // Answers to concurrent requests arrive in any order: within one window the
        // count only goes down, so an older, higher `remaining` must not raise it.
        let same_window = state.window_reset.is_some_and(|known| {
            (known - status.reset_at).num_milliseconds().abs() < SAME_WINDOW_MS
        });
        state.remaining = Some(match state.remaining {
            Some(local) if same_window => local.min(reported),
            _ => reported,
        });
        state.window_reset = Some(status.reset_at);
        if status.limit.is_some() {
            state.limit = status.limit;
        }
        state.reset_at = Some(Instant::now() + cap_server_wait(reset_in));
        crate::internal_events::RateLimitObserved {
            platform: self.platform,
            remaining: status.remaining,
        }
        .emit();
    }

    /// Stops every user of this budget from sending for `wait` (after a 429).
    pub fn block_for(&self, wait: Duration) {
        let until = Instant::now() + cap_server_wait(wait);
        let mut state = self.state.lock().unwrap();
        if state.blocked_until.is_none_or(|b| b < until) {
            state.blocked_until = Some(until);
        }
    }

    /// The remaining count the budget believes in, for tests and metrics.
    pub fn remaining(&self) -> Option<u64> {
        self.state.lock().unwrap().remaining
    }
}

/// One request's claim on a budget, from [`RateBudget::acquire`] until its answer.
pub struct Permit<'a> {
    budget: &'a RateBudget,
}

impl Permit<'_> {
    /// Records the quota the answer reported.
    pub fn observe(self, status: RateLimitStatus) {
        self.budget.observe(status);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.state.lock().unwrap();
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

/// Budgets by platform and credential, shared within the process.
#[derive(Debug, Default, Clone)]
pub struct RateBudgets {
    budgets: Arc<Mutex<HashMap<String, Arc<RateBudget>>>>,
    reserve: f64,
}

impl RateBudgets {
    /// Budgets that leave `reserve` (0..1) of every window to other processes sharing
    /// the credential: what a backfill uses so it never starves live collection.
    pub fn with_reserve(reserve: f64) -> Self {
        RateBudgets {
            budgets: Arc::default(),
            reserve,
        }
    }

    /// The budget for `platform` under the credential tagged `credential` (a
    /// [`crate::config::Secret::fingerprint`], or the instance host for anonymous APIs
    /// whose limits are per IP and per server).
    pub fn get(&self, platform: Platform, credential: &str) -> Arc<RateBudget> {
        let key = format!("{platform}/{credential}");
        self.budgets
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(|| Arc::new(RateBudget::with_reserve(platform, self.reserve)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn parses_each_platforms_headers() {
        let now: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        let mastodon = RateLimitHeaders::Mastodon.parse(
            &headers(&[
                ("x-ratelimit-limit", "300"),
                ("x-ratelimit-remaining", "12"),
                ("x-ratelimit-reset", "2026-03-12T08:05:00.123Z"),
            ]),
            now,
        );
        assert_eq!(
            mastodon,
            Some(RateLimitStatus {
                limit: Some(300),
                remaining: 12,
                reset_at: "2026-03-12T08:05:00.123Z".parse().unwrap()
            })
        );
        let reddit = RateLimitHeaders::Reddit
            .parse(
                &headers(&[
                    ("x-ratelimit-used", "98"),
                    ("x-ratelimit-remaining", "0.4"),
                    ("x-ratelimit-reset", "42"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!((reddit.limit, reddit.remaining), (Some(98), 0));
        assert_eq!(reddit.reset_at, now + chrono::Duration::seconds(42));
        let x = RateLimitHeaders::X
            .parse(
                &headers(&[
                    ("x-rate-limit-limit", "450"),
                    ("x-rate-limit-remaining", "449"),
                    ("x-rate-limit-reset", "1773302700"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!(x.reset_at.timestamp(), 1_773_302_700);
        assert_eq!(
            RateLimitHeaders::Mastodon.parse(&headers(&[("x-ratelimit-remaining", "x")]), now),
            None
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Thu, 12 Mar 2026 08:00:30 GMT")]),
                now
            ),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn huge_server_waits_are_capped_not_overflowed() {
        let now: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
        let cap = chrono::Duration::from_std(MAX_SERVER_WAIT).unwrap();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "18446744073709551615")]), now),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]),
                now
            ),
            Some(MAX_SERVER_WAIT)
        );
        let reddit = RateLimitHeaders::Reddit
            .parse(
                &headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1e13"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!(reddit.reset_at, now + cap);
        let x = RateLimitHeaders::X
            .parse(
                &headers(&[
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", "253402300799"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!(x.reset_at, now + cap);
        let mastodon = RateLimitHeaders::Mastodon
            .parse(
                &headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "9999-12-31T23:59:59Z"),
                ]),
                now,
            )
            .unwrap();
        assert_eq!(mastodon.reset_at, now + cap);

        // Neither a 429's wait nor a far reset overflows the budget's `Instant`s.
        let budget = RateBudget::new(Platform::Reddit);
        budget.block_for(Duration::MAX);
        budget.observe(RateLimitStatus {
            limit: None,
            remaining: 0,
            reset_at: DateTime::<Utc>::MAX_UTC,
        });
        let state = budget.state.lock().unwrap();
        let blocked = state.blocked_until.unwrap() - Instant::now();
        assert!(blocked <= MAX_SERVER_WAIT, "{blocked:?}");
    }

    #[tokio::test]
    async fn a_reserve_is_left_for_others() {
        let budget = RateBudget::with_reserve(Platform::Reddit, 0.5);
        budget.acquire().await.observe(RateLimitStatus {
            limit: Some(10),
            remaining: 7,
            reset_at: Utc::now() + chrono::Duration::milliseconds(400),
        });
        let started = std::time::Instant::now();
        budget.acquire().await; // 7 -> 6
        budget.acquire().await; // 6 -> 5: half the window is left
        assert!(started.elapsed() < Duration::from_millis(100));
        budget.acquire().await; // the other half is live collection's
        assert!(
            started.elapsed() >= Duration::from_millis(350),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn an_exhausted_budget_waits_for_its_reset() {
        let budget = RateBudget::new(Platform::Mastodon);
        budget.acquire().await.observe(RateLimitStatus {
            limit: Some(2),
            remaining: 1,
            reset_at: Utc::now() + chrono::Duration::milliseconds(400),
        });
        let started = std::time::Instant::now();
        budget.acquire().await; // the one remaining request
        assert!(started.elapsed() < Duration::from_millis(100));
        budget.acquire().await; // must wait for the reset
        assert!(
            started.elapsed() >= Duration::from_millis(350),
            "{:?}",
            started.elapsed()
        );
    }

    /// Any value a server sends (numbers of any size or sign, dates, junk) parses
    /// without a panic into a reset no further than [`MAX_SERVER_WAIT`] from now, and a
    /// `Retry-After` no longer than it.
    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<f64>().prop_map(|v| v.to_string()),
                any::<i64>().prop_map(|v| v.to_string()),
                any::<u64>().prop_map(|v| v.to_string()),
                (0i64..253_402_300_800)
                    .prop_map(|s| { DateTime::from_timestamp(s, 0).unwrap().to_rfc3339() }),
                (0i64..253_402_300_800)
                    .prop_map(|s| { DateTime::from_timestamp(s, 0).unwrap().to_rfc2822() }),
                "[ -~]{0,24}",
            ]
        }

        proptest! {
            #[test]
            fn server_headers_never_panic_or_wait_past_the_cap(
                limit in value(),
                remaining in value(),
                reset in value(),
                retry in value(),
            ) {
                let now: DateTime<Utc> = "2026-03-12T08:00:00Z".parse().unwrap();
                let cap = chrono::Duration::from_std(MAX_SERVER_WAIT).unwrap();
                let names = [
                    ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
                    ("x-ratelimit-used", "x-ratelimit-remaining", "x-ratelimit-reset"),
                    ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"),
                    ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"),
                ];
                let styles = [
                    RateLimitHeaders::Mastodon,
                    RateLimitHeaders::Reddit,
                    RateLimitHeaders::X,
                    RateLimitHeaders::IetfEpoch,
                ];
                for (style, (l, r, t)) in styles.into_iter().zip(names) {
                    let map = headers(&[(l, &limit), (r, &remaining), (t, &reset)]);
                    if let Some(status) = style.parse(&map, now) {
                        prop_assert!(status.reset_at <= now + cap, "{style:?}: {status:?}");
                    }
                }
                let map = headers(&[("retry-after", &retry)]);
                if let Some(wait) = retry_after(&map, now) {
                    prop_assert!(wait <= MAX_SERVER_WAIT);
                }
            }
        }
    }
}
