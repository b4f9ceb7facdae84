//! Retry timing shared by every stage.
//!
//! One jitter ("equal jitter": half the delay fixed, half random, so retries from many
//! jobs spread out but never collapse to zero) and one cap: the `n`th retry waits
//! between half and all of `min(initial * 2^n, max)`.

use std::time::Duration;

use rand::Rng;

/// A retry policy: the first delay and the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Backoff { initial, max }
    }

    /// The delay before retry `attempt` (0 for the first retry), never above `max`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self.ceiling(attempt);
        let half = exp / 2;
        let spread = (exp - half).as_micros().min(u128::from(u64::MAX)) as u64;
        half + Duration::from_micros(rand::rng().random_range(0..=spread))
    }

    /// The largest delay retry `attempt` can get: `min(initial * 2^attempt, max)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        self.initial
            .saturating_mul(2u32.saturating_pow(attempt.min(31)))
            .min(self.max)
    }

    /// A server-supplied wait (`Retry-After`, a rate-limit reset) limited to `cap`, so
    /// a hostile or broken header cannot park a job for years.
    pub fn capped(wait: Duration, cap: Duration) -> Duration {
        wait.min(cap)
    }

    /// A stateful sequence of delays under this policy.
    pub fn start(self) -> Retrying {
        Retrying {
            policy: self,
            retries: 0,
        }
    }
}

/// The retries of one operation: each [`Retrying::next_delay`] is one more retry.
///
/// It remembers whether any retry happened (the processor resumes paused partitions
/// only then), whatever the cap is.
#[derive(Debug, Clone)]
pub struct Retrying {
    policy: Backoff,
    retries: u32,
}

impl Retrying {
    /// The delay before the next retry; counts the retry.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.policy.delay(self.retries);
        self.retries = self.retries.saturating_add(1);
        delay
    }

    pub fn retries(&self) -> u32 {
        self.retries
    }

    pub fn retried(&self) -> bool {
        self.retries > 0
    }

    /// Back to the first delay, after a success.
    pub fn reset(&mut self) {
        self.retries = 0;
    }
}

/// Runs `attempt` until it succeeds, sleeping under `policy` between tries; an error
/// `transient` says retrying cannot fix is returned at once. `on_retry` sees each
/// failure and the wait before the next try (log it through an [`crate::InternalEvent`]).
pub async fn retry_until_ok<T, E, F, Fut>(
    policy: Backoff,
    mut attempt: F,
    transient: impl Fn(&E) -> bool,
    mut on_retry: impl FnMut(&E, Duration),
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut retrying = policy.start();
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) if !transient(&error) => return Err(error),
            Err(error) => {
                let wait = retrying.next_delay();
                on_retry(&error, wait);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_and_stay_capped() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000));
        for _ in 0..200 {
            let first = backoff.delay(0);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first));
            let third = backoff.delay(2);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&third));
            for late in [backoff.delay(30), backoff.delay(u32::MAX)] {
                assert!((Duration::from_millis(500)..=Duration::from_millis(1000)).contains(&late));
            }
        }
    }

    #[test]
    fn jitter_spreads_retries() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        let delays: std::collections::HashSet<Duration> =
            (0..50).map(|_| backoff.delay(0)).collect();
        assert!(
            delays.len() > 10,
            "jitter gave only {} values",
            delays.len()
        );
    }

    #[test]
    fn huge_policies_do_not_overflow() {
        let backoff = Backoff::new(Duration::MAX, Duration::MAX);
        assert!(backoff.delay(40) >= Duration::MAX / 2);
        assert_eq!(
            Backoff::capped(Duration::from_secs(u64::MAX), Duration::from_secs(900)),
            Duration::from_secs(900)
        );
    }

    #[test]
    fn retrying_counts_and_resets_whatever_the_cap() {
        for max_ms in [0, 10, 100, 5_000] {
            let mut retrying =
                Backoff::new(Duration::from_millis(100), Duration::from_millis(max_ms)).start();
            assert!(!retrying.retried());
            assert!(retrying.next_delay() <= Duration::from_millis(max_ms));
            assert!(
                retrying.retried(),
                "cap {max_ms} ms: one retry must be seen"
            );
            retrying.reset();
            assert_eq!(retrying.retries(), 0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_until_ok_retries_transient_errors_only() {
        let policy = Backoff::new(Duration::from_millis(10), Duration::from_millis(40));
        let mut calls = 0;
        let mut waits = Vec::new();
        let result: Result<u32, &str> = retry_until_ok(
            policy,
            || {
                calls += 1;
                let n = calls;
                async move { if n < 4 { Err("not yet") } else { Ok(n) } }
            },
            |_| true,
            |_, wait| waits.push(wait),
        )
        .await;
        assert_eq!(result, Ok(4));
        assert_eq!(waits.len(), 3);
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(40)));

        let mut calls = 0;
        let result: Result<(), &str> = retry_until_ok(
            policy,
            || {
                calls += 1;
                async { Err("fatal") }
            },
            |e| *e != "fatal",
            |_, _| panic!("a fatal error is not retried"),
        )
        .await;
        assert_eq!((result, calls), (Err("fatal"), 1));
    }
}
