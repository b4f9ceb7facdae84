//! Backfill: page through a brand's history on one platform into `mentions.raw`, with
//! `origin = backfill` so the pipeline keeps it out of live alerts.
//!
//! A backfill is a set of ordinary paginated jobs whose id names the range
//! (`backfill:hacker_news:allegro:1773014400..1773273600`), so its cursor lives in
//! `collector.cursors` like any other: an interrupted backfill resumes where it stopped
//! when run again with the same arguments, and a finished one does nothing. Mentions
//! keep their platform ids, so re-running a range adds nothing twice downstream.
//!
//! Rate limits: a backfill draws on the [`RateBudgets`] passed in. `earshot backfill`
//! runs in its own process and passes [`RateBudgets::with_reserve`]: it learns of the
//! live collector's spending through the `remaining` the platform reports and stops
//! while less than `collectors.backfill_reserve` of a window is left, so live polling
//! keeps its share. Platforms that send no headers (Hacker News) give no such signal;
//! YouTube's daily quota is one count across processes (a ledger in the cursor topic).

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use earshot_kafka::KafkaConfig;
use earshot_model::{Brand, Origin, Platform};

use crate::config::CollectorsConfig;
use crate::error::Error;
use crate::jobs::{Job, JobContext, RunReport, run_once};
use crate::progress::ProgressObserver;
use crate::ratelimit::RateBudgets;

/// What to backfill.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    pub brand: Brand,
    pub platform: Platform,
    /// Inclusive start.
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

/// Parses `2026-03-01` or an RFC 3339 timestamp. A bare date means the start of that
/// day (UTC) for `--from`, and the end of it for `--to` (`end_of_day`), so
/// `--from 2026-03-01 --to 2026-03-01` covers the whole day.
pub fn parse_bound(value: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        format!("`{value}` is neither a date (2026-03-01) nor an RFC 3339 timestamp")
    })?;
    let date = if end_of_day {
        date.succ_opt().ok_or("date out of range")?
    } else {
        date
    };
    Ok(date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc())
}

/// Runs the backfill until every job has paged through the range, or `shutdown`.
/// `progress`, if given, hears of every page (`earshot backfill` draws it as a bar).
pub async fn run(
    config: &CollectorsConfig,
    kafka: &KafkaConfig,
    request: &BackfillRequest,
    budgets: &RateBudgets,
    progress: Option<Arc<dyn ProgressObserver>>,
    shutdown: impl Future<Output = ()>,
) -> Result<RunReport, Error> {
    let jobs = jobs(config, request, budgets)?;
    kafka.ensure_topics(&crate::collector_topics()).await?;
    let mut ctx = crate::context(kafka, Origin::Backfill).await?;
    ctx.progress = progress;
    Ok(run_jobs(jobs, ctx, config.concurrency, shutdown).await)
}

/// [`run`] into `ctx`'s sink and cursor store (what the offline tests use, with
/// [`JobContext::in_memory`]); `ctx.progress`, if set, hears of every page.
pub async fn run_in(
    config: &CollectorsConfig,
    request: &BackfillRequest,
    budgets: &RateBudgets,
    ctx: JobContext,
    shutdown: impl Future<Output = ()>,
) -> Result<RunReport, Error> {
    let jobs = jobs(config, request, budgets)?;
    Ok(run_jobs(jobs, ctx, config.concurrency, shutdown).await)
}

/// The request's jobs, once the config and the range are checked.
fn jobs(
    config: &CollectorsConfig,
    request: &BackfillRequest,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    config.validate()?;
    if request.from >= request.to {
        return Err(Error::config(
            "backfill --from/--to",
            "the range is empty: --from must be before --to",
        ));
    }
    let jobs = crate::platforms::backfill_jobs(
        config,
        &request.brand,
        request.platform,
        request.from,
        request.to,
        budgets,
    )?;
    if jobs.is_empty() {
        return Err(Error::config(
            "brands",
            format!(
                "brand `{}` has no keywords or hashtags to search for",
                request.brand.name
            ),
        ));
    }
    Ok(jobs)
}

async fn run_jobs(
    jobs: Vec<Arc<dyn Job>>,
    ctx: JobContext,
    concurrency: usize,
    shutdown: impl Future<Output = ()>,
) -> RunReport {
    let progress = ctx.progress.clone();
    let report = Arc::new(Mutex::new(RunReport::default()));
    tokio::select! {
        () = run_once(jobs, ctx, concurrency, report.clone()) => {
            if let Some(progress) = &progress {
                progress.finished(false);
            }
        }
        () = shutdown => {
            if let Some(progress) = &progress {
                progress.finished(true);
            }
        }
    }
    report.lock().unwrap().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_dates_cover_whole_days() {
        let from = parse_bound("2026-03-01", false).unwrap();
        let to = parse_bound("2026-03-01", true).unwrap();
        assert_eq!((to - from).num_hours(), 24);
        assert_eq!(
            parse_bound("2026-03-01T12:00:00+01:00", true)
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T11:00:00+00:00"
        );
        assert!(
            parse_bound("yesterday", false)
                .unwrap_err()
                .contains("yesterday")
        );
    }
}
