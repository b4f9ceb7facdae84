//! Earshot's collectors: they poll social platforms for brand mentions and produce them
//! to the Kafka topic `mentions.raw` as [`earshot_model::RawMention`]s.
//!
//! Every platform shares one machinery: [`http::HttpPoller`] (timeouts, retries with
//! backoff and jitter, 429 and rate-limit headers, a [`ratelimit::RateBudget`] shared per
//! platform and credential), [`paginate::Paginator`] (a cursor per job, stored in
//! [`cursor::CursorStore`] on the compacted topic `collector.cursors` only after
//! [`sink::KafkaSink`] has the page's mentions acknowledged), and [`jobs`] scheduling.
//! Each platform module only knows its endpoint, its cursor and its mapping.

pub mod backfill;
pub mod config;
pub mod cursor;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod internal_events;
pub mod jobs;
pub mod paginate;
pub mod paging;
pub mod platforms;
pub mod progress;
pub mod ratelimit;
pub mod scale_out;
pub mod sink;
pub mod sweep;
pub mod text;
pub mod topic;

use std::future::Future;
use std::sync::{Arc, Mutex};

use earshot_kafka::{KafkaConfig, PIPELINE_TOPICS, TopicSpec};
use earshot_model::{Brand, Origin, Platform, topics};

pub use config::{CollectorsConfig, HttpConfig, Secret};
pub use cursor::{CursorStore, CursorStoreExt, KafkaCursorStore, MemoryCursorStore};
pub use error::Error;
pub use jobs::{Job, JobContext, JobReport, PollReport, RunMode, RunReport};
pub use progress::ProgressObserver;
pub use ratelimit::RateBudgets;
pub use sink::{KafkaSink, MemorySink, Sink};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: RunMode,
    /// Only these platforms' jobs; empty means all configured ones.
    pub platforms: Vec<Platform>,
}

impl From<RunMode> for RunOptions {
    fn from(mode: RunMode) -> Self {
        RunOptions {
            mode,
            platforms: Vec::new(),
        }
    }
}

/// The topics collectors write to, created if missing.
pub fn collector_topics() -> Vec<TopicSpec> {
    PIPELINE_TOPICS
        .iter()
        .filter(|t| {
            [
                topics::MENTIONS_RAW,
                topics::COLLECTOR_CURSORS,
                topics::COLLECTOR_JOBS,
            ]
            .contains(&t.name)
        })
        .copied()
        .collect()
}

/// Collects mentions of `brands` from every configured platform into `mentions.raw`.
///
/// [`RunMode::Once`] polls each job until it has nothing newer and returns; poll errors
/// are in the report (see [`RunReport::failures`]), not the result, so one failing
/// platform does not hide the others' work. [`RunMode::Forever`] joins the collector
/// group ([`scale_out`]) and polls the jobs it is given once per interval until
/// `shutdown` resolves. Either way, stopping at any point is safe: a
/// cursor only moves after its page's mentions are in Kafka.
pub async fn run(
    config: &CollectorsConfig,
    brands: &[Brand],
    kafka: &KafkaConfig,
    options: &RunOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<RunReport, Error> {
    config.validate()?;
    kafka.validate()?;
    let budgets = RateBudgets::default();
    let jobs = platforms::build_jobs(config, brands, &options.platforms, &budgets)?;
    if jobs.is_empty() {
        tracing::warn!(
            "no collector jobs configured: no brand hashtags/keywords or no enabled platform"
        );
        return Ok(RunReport::default());
    }
    kafka.ensure_topics(&collector_topics()).await?;
    let ctx = context(kafka, Origin::Live).await?;
    let report = Arc::new(Mutex::new(RunReport::default()));
    tracing::info!(jobs = jobs.len(), mode = ?options.mode, "collectors starting");

    match options.mode {
        RunMode::Once => {
            tokio::select! {
                () = jobs::run_once(jobs, ctx, config.concurrency, report.clone()) => {}
                () = shutdown => tracing::info!("collectors shutting down"),
            }
        }
        RunMode::Forever => {
            let member = scale_out::Member {
                kafka,
                group: scale_out::group_id(&kafka.topic(&config.group_id), &options.platforms),
                interval: config.poll_interval(),
                concurrency: config.concurrency,
                report: report.clone(),
            };
            scale_out::run(member, jobs, ctx, shutdown).await?;
        }
    }
    tracing::info!("collectors stopped");
    let report = report.lock().unwrap().clone();
    Ok(report)
}

/// Polls every configured job of `options.platforms` once, into `ctx`'s sink and
/// cursor store, without joining a collector group: what the offline tests (with
/// [`JobContext::in_memory`]) and one-shot tools use. Poll errors are in the report.
pub async fn collect_once(
    config: &CollectorsConfig,
    brands: &[Brand],
    ctx: JobContext,
    platforms: &[Platform],
) -> Result<RunReport, Error> {
    config.validate()?;
    let budgets = RateBudgets::default();
    let jobs = platforms::build_jobs(config, brands, platforms, &budgets)?;
    let report = Arc::new(Mutex::new(RunReport::default()));
    jobs::run_once(jobs, ctx, config.concurrency, report.clone()).await;
    let report = report.lock().unwrap().clone();
    Ok(report)
}

/// A producer, sink and cursor store for jobs that stamp `origin` on their mentions.
pub async fn context(kafka: &KafkaConfig, origin: Origin) -> Result<JobContext, Error> {
    let producer = kafka.producer()?;
    let cursors = Arc::new(KafkaCursorStore::open(kafka, producer.clone()).await?);
    Ok(JobContext {
        sink: Arc::new(KafkaSink::new(kafka, producer)),
        cursors,
        origin,
        progress: None,
    })
}
