//! Jobs and how they are scheduled.
//!
//! A job is one query on one platform (`mastodon:mastodon.social#orlen`): the unit that
//! owns a cursor, is polled on an interval, and is handed between processes when
//! collectors scale out.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use earshot_model::{Origin, Platform};
use rand::Rng;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::cursor::{CursorStore, CursorStoreExt, MemoryCursorStore};
use crate::error::Error;
use crate::internal_events::{JobPanicked, PollCompleted};
use crate::progress::ProgressObserver;
use crate::sink::{MemorySink, Sink};
use earshot_runtime::InternalEvent;

/// What a job needs to deliver its results: where mentions go, where cursors live, and
/// who hears of progress. Kafka in production ([`crate::context`]); memory in tests.
#[derive(Clone)]
pub struct JobContext {
    pub sink: Arc<dyn Sink>,
    pub cursors: Arc<dyn CursorStore>,
    /// Stamped on every mention the job produces.
    pub origin: Origin,
    /// Told of the mentions produced (`earshot backfill` draws it as a progress bar).
    pub progress: Option<Arc<dyn ProgressObserver>>,
}

impl JobContext {
    /// A context that keeps mentions and cursors in memory; the returned sink and store
    /// are the ones in the context, to read back.
    pub fn in_memory(origin: Origin) -> (Self, Arc<MemorySink>, Arc<MemoryCursorStore>) {
        let sink = Arc::new(MemorySink::default());
        let cursors = Arc::new(MemoryCursorStore::default());
        let ctx = JobContext {
            sink: sink.clone(),
            cursors: cursors.clone(),
            origin,
            progress: None,
        };
        (ctx, sink, cursors)
    }
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub pages: u64,
    pub mentions: u64,
}

/// One query on one platform.
#[async_trait]
pub trait Job: Send + Sync {
    /// Stable id, the key of the job's cursor (`mastodon:mastodon.social#orlen`).
    fn id(&self) -> &str;
    fn platform(&self) -> Platform;
    /// Fetches everything new since the stored cursor, producing it to Kafka and
    /// advancing the cursor page by page.
    async fn poll(&self, ctx: &JobContext) -> Result<PollReport, Error>;
    /// How often to poll in live mode; `None` uses the global interval.
    fn poll_interval(&self) -> Option<Duration> {
        None
    }
}

/// How [`crate::run`] runs the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Poll every job until it has nothing newer, then return.
    Once,
    /// Poll every job on its interval until shut down.
    Forever,
}

/// Totals per job, for the caller to print or assert on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub platform: Option<Platform>,
    pub polls: u64,
    pub pages: u64,
    pub mentions: u64,
    /// The errors of failed polls, newest last (credentials never appear in them).
    pub errors: Vec<String>,
}

/// What a run did, by job id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub jobs: BTreeMap<String, JobReport>,
}

impl RunReport {
    pub fn mentions(&self) -> u64 {
        self.jobs.values().map(|j| j.mentions).sum()
    }

    pub fn pages(&self) -> u64 {
        self.jobs.values().map(|j| j.pages).sum()
    }

    /// Jobs whose last poll failed, with that error.
    pub fn failures(&self) -> Vec<(&str, &str)> {
        self.jobs
            .iter()
            .filter_map(|(id, job)| job.errors.last().map(|e| (id.as_str(), e.as_str())))
            .collect()
    }

    fn record(&mut self, job: &dyn Job, result: &Result<PollReport, Error>) {
        let entry = self.jobs.entry(job.id().to_string()).or_default();
        entry.platform = Some(job.platform());
        entry.polls += 1;
        match result {
            Ok(poll) => {
                entry.pages += poll.pages;
                entry.mentions += poll.mentions;
            }
            Err(error) => entry.errors.push(error.to_string()),
        }
    }
}

/// Runs one poll of `job`, logging and counting its outcome.
pub(crate) async fn poll_once(
    job: &dyn Job,
    ctx: &JobContext,
    permits: &Semaphore,
    report: &Mutex<RunReport>,
) -> Result<PollReport, ()> {
    let _permit = permits
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let started = std::time::Instant::now();
    let result = guard_panics(job.id(), job.platform(), job.poll(ctx)).await;
    PollCompleted {
        job: job.id(),
        platform: job.platform(),
        outcome: result.as_ref().map(|poll| (poll.pages, poll.mentions)),
        elapsed: started.elapsed(),
    }
    .emit();
    report.lock().unwrap().record(job, &result);
    result.map_err(|_| ())
}

/// Runs a job's `poll`, turning a panic into [`Error::Panicked`] (logged at error level
/// and counted in `earshot_collector_job_panics_total`), so one unexpected platform
/// answer fails that poll instead of silently ending the job's task: the job polls
/// again at its next slot.
pub(crate) async fn guard_panics(
    job: &str,
    platform: Platform,
    poll: impl Future<Output = Result<PollReport, Error>>,
) -> Result<PollReport, Error> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(poll).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            count_panic(job, platform, &message);
            Err(Error::Panicked {
                job: job.to_string(),
                message,
            })
        }
    }
}

/// Logs and counts a job panic (`earshot_collector_job_panics_total`).
pub(crate) fn count_panic(job: &str, platform: Platform, message: &str) {
    JobPanicked {
        job: Some(job),
        platform: Some(platform),
        message,
    }
    .emit();
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".into())
}

/// Polls each job once, `concurrency` at a time.
pub(crate) async fn run_once(
    jobs: Vec<Arc<dyn Job>>,
    ctx: JobContext,
    concurrency: usize,
    report: Arc<Mutex<RunReport>>,
) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for job in jobs {
        let (ctx, permits, report) = (ctx.clone(), permits.clone(), report.clone());
        tasks.spawn(async move {
            let _ = poll_once(job.as_ref(), &ctx, &permits, &report).await;
        });
    }
    while let Some(joined) = tasks.join_next().await {
        // Polls catch their own panics; this is what escapes the bookkeeping around them.
        if let Err(error) = joined
            && error.is_panic()
        {
            let message = panic_message(error.into_panic().as_ref());
            JobPanicked {
                job: None,
                platform: None,
                message: &message,
            }
            .emit();
        }
    }
}

/// When a job polls in live mode: in fixed slots of its interval, each offset by a hash
/// of the job id so jobs spread over the interval. Every process computes the same
/// slots, which is what lets a job handed from one process to another keep "once per
/// interval" (see [`crate::scale_out`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    interval_ms: i64,
    offset_ms: i64,
}

impl Schedule {
    pub fn new(job_id: &str, interval: Duration) -> Self {
        let interval_ms = (interval.as_millis() as i64).max(1);
        Schedule {
            interval_ms,
            offset_ms: (fnv1a(job_id.as_bytes()) % interval_ms as u64) as i64,
        }
    }

    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// The slot that `unix_ms` falls in.
    pub fn slot_at(&self, unix_ms: i64) -> i64 {
        (unix_ms - self.offset_ms).div_euclid(self.interval_ms)
    }

    /// When `slot` starts, in unix milliseconds.
    pub fn slot_start(&self, slot: i64) -> i64 {
        slot * self.interval_ms + self.offset_ms
    }

    /// The next poll given the last slot polled (by any process): now, if this slot has
    /// not been polled, else the start of the next one.
    pub fn next_poll(&self, last_polled: Option<i64>, now_ms: i64) -> (i64, i64) {
        let current = self.slot_at(now_ms);
        match last_polled {
            Some(last) if last >= current => (last + 1, self.slot_start(last + 1)),
            _ => (current, now_ms),
        }
    }
}

pub(crate) use earshot_runtime::fnv1a;

/// The last slot a job was polled in, stored beside its cursor under [`slot_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct PolledSlot {
    interval_ms: i64,
    slot: i64,
}

/// The cursor-store key of a job's [`PolledSlot`].
pub fn slot_key(job_id: &str) -> String {
    format!("polled-slot:{job_id}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Polls `job` once per slot of its [`Schedule`] until `stop` turns true. Before each
/// poll the slot is recorded in the cursor store, so a process that takes the job over
/// in the middle of an interval skips a slot already polled (or started) elsewhere.
///
/// A stop lets a poll in progress finish, for up to `grace`: cutting it off between its
/// slot record and its requests would leave that slot unpolled, and the new owner waits
/// for the next slot anyway.
pub(crate) async fn run_forever(
    job: Arc<dyn Job>,
    ctx: JobContext,
    interval: Duration,
    permits: Arc<Semaphore>,
    report: Arc<Mutex<RunReport>>,
    mut stop: watch::Receiver<bool>,
) {
    let schedule = Schedule::new(job.id(), job.poll_interval().unwrap_or(interval));
    let grace = Duration::from_millis(schedule.interval_ms() as u64 / 2).min(MAX_STOP_GRACE);
    let key = slot_key(job.id());
    while !*stop.borrow() {
        let last = match ctx.cursors.get::<PolledSlot>(&key) {
            Ok(slot) => slot
                .filter(|s| s.interval_ms == schedule.interval_ms())
                .map(|s| s.slot),
            Err(error) => {
                tracing::warn!(job = job.id(), %error, "unreadable polled slot; polling now");
                None
            }
        };
        let now = now_ms();
        let (slot, mut at) = schedule.next_poll(last, now);
        if at == now {
            // Catching up (a start or a takeover): spread such polls over the first
            // tenth of what is left of the slot, so a restart does not fire every job at once.
            let left = schedule.slot_start(slot + 1) - now;
            at += rand::rng().random_range(0..=(left / 10).max(0));
        }
        let wait = Duration::from_millis((at - now_ms()).max(0) as u64);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let taken = PolledSlot {
            interval_ms: schedule.interval_ms(),
            slot,
        };
        if let Err(error) = ctx.cursors.put(&key, &taken).await {
            tracing::warn!(job = job.id(), %error, "could not record the poll slot; retrying next slot");
            tokio::time::sleep(Duration::from_millis(schedule.interval_ms() as u64)).await;
            continue;
        }
        let poll = poll_once(job.as_ref(), &ctx, &permits, &report);
        let cut_off = async {
            let _ = stop.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            _ = poll => {}
            () = cut_off => {
                tracing::warn!(job = job.id(), grace_ms = grace.as_millis() as u64,
                    "stopped a poll still running after the job was handed over");
                return;
            }
        }
    }
}

/// The longest a handed-over job's poll may run on.
const MAX_STOP_GRACE: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_poll_is_an_error_not_a_silent_stop() {
        let ok = guard_panics("rss:a", Platform::Rss, async { Ok(PollReport::default()) });
        assert_eq!(ok.await.unwrap(), PollReport::default());
        let error = guard_panics("rss:a", Platform::Rss, async {
            let reset: u64 = "18446744073709551615".parse().unwrap();
            let _ = reset + 1;
            unreachable!()
        })
        .await
        .unwrap_err();
        assert!(matches!(error, Error::Panicked { .. }), "{error}");
        let text = error.to_string();
        assert!(text.starts_with("job `rss:a` panicked: "), "{text}");
        assert!(text.contains("overflow"), "{text}");
        let owned = guard_panics("rss:b", Platform::Rss, async {
            panic!("{} items", 3);
        });
        assert_eq!(
            owned.await.unwrap_err().to_string(),
            "job `rss:b` panicked: 3 items"
        );
    }

    #[test]
    fn slots_are_stable_and_spread() {
        let interval = Duration::from_secs(60);
        let a = Schedule::new("mastodon:mastodon.social#orlen", interval);
        assert_eq!(a, Schedule::new("mastodon:mastodon.social#orlen", interval));
        assert_ne!(a, Schedule::new("mastodon:mastodon.social#zabka", interval));
        let t = 1_773_300_000_000;
        let slot = a.slot_at(t);
        assert!(a.slot_start(slot) <= t && t < a.slot_start(slot + 1));
        assert_eq!(a.slot_start(slot + 1) - a.slot_start(slot), 60_000);
    }

    #[test]
    fn a_slot_is_polled_once() {
        let s = Schedule::new("job", Duration::from_secs(10));
        let now = s.slot_start(100) + 3_000;
        // Never polled, or polled in an earlier slot: poll now, in this slot.
        assert_eq!(s.next_poll(None, now), (100, now));
        assert_eq!(s.next_poll(Some(98), now), (100, now));
        // This slot already polled (by this or another process): wait for the next.
        assert_eq!(s.next_poll(Some(100), now), (101, s.slot_start(101)));
    }
}
