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
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cursor::CursorStore;
use crate::error::Error;
use crate::sink::MentionSink;

/// What a job needs to deliver its results.
#[derive(Clone)]
pub struct JobContext {
    pub sink: MentionSink,
    pub cursors: Arc<CursorStore>,
    /// Stamped on every mention the job produces.
    pub origin: Origin,
    /// Advanced by the mentions produced (backfills show it as a progress bar).
    pub progress: Option<indicatif::ProgressBar>,
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
    let result = job.poll(ctx).await;
    metrics::counter!("earshot_collector_polls_total", "platform" => job.platform().as_str(),
        "outcome" => if result.is_ok() { "ok" } else { "error" })
    .increment(1);
    match &result {
        Ok(poll) => tracing::info!(
            job = job.id(),
            pages = poll.pages,
            mentions = poll.mentions,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "poll done"
        ),
        Err(error) => {
            tracing::warn!(job = job.id(), %error, "poll failed; the cursor stays where it was")
        }
    }
    report.lock().unwrap().record(job, &result);
    result.map_err(|_| ())
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
    while tasks.join_next().await.is_some() {}
}

/// Polls `job` on its interval forever (until the task is aborted). The first poll is
/// spread over the interval so a restart does not fire every job at once.
pub(crate) async fn run_forever(
    job: Arc<dyn Job>,
    ctx: JobContext,
    interval: Duration,
    permits: Arc<Semaphore>,
    report: Arc<Mutex<RunReport>>,
    stagger: bool,
) {
    let interval = job.poll_interval().unwrap_or(interval);
    if stagger {
        tokio::time::sleep(jittered(interval) / 10).await;
    }
    loop {
        let _ = poll_once(job.as_ref(), &ctx, &permits, &report).await;
        tokio::time::sleep(jittered(interval)).await;
    }
}

/// `interval` ± 10 %, so jobs started together drift apart.
fn jittered(interval: Duration) -> Duration {
    let ms = interval.as_millis() as u64;
    let spread = ms / 10;
    Duration::from_millis(ms - spread + rand::rng().random_range(0..=2 * spread))
}
