//! `earshot detect`: each run rebuilds every series' detector from the rollups and
//! delivers the alerts of its recent buckets that were not delivered before.
//!
//! Rebuilding from history instead of persisting detector state keeps runs stateless
//! and deterministic: the history starts at a multiple of `lookback_secs` (so it is
//! 1-2 lookbacks long and identical for every run until the next multiple), the same
//! counts give the same alerts at the same buckets, and their ids are a hash of what
//! they are about. A restarted detector therefore re-finds exactly the alerts it
//! already delivered, and [`Delivery::triage`] drops them.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use earshot_kafka::KafkaConfig;
use earshot_storage::{ExampleQuery, MentionColumn, OriginFilter, Store};
use serde::Serialize;

use crate::Error;
use crate::alert::{Alert, Example};
use crate::config::{DetectConfig, Dimension};
use crate::delivery::{Delivery, Verdict};
use crate::internal_events::{DetectionRunCompleted, DetectionRunFailed, DetectorStarted};
use crate::series::{self, ScoringRange};
use crate::sinks::{KafkaSink, WebhookSink};
use earshot_runtime::InternalEvent;

/// Longest range a replay may score, in buckets (a year of hours, a week of minutes...).
const MAX_REPLAY_BUCKETS: i64 = 1_000_000;

/// What one run did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub series: usize,
    pub points: u64,
    /// Every alert found in the reported range, with what became of it.
    pub alerts: Vec<(Alert, Verdict)>,
}

impl RunReport {
    /// The alerts that were delivered (or, in a dry replay, would be).
    pub fn new_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .iter()
            .filter(|(_, v)| *v == Verdict::New)
            .map(|(a, _)| a)
    }
}

/// One line of `earshot detect --from --to` output: the alert plus its verdict.
#[derive(Debug, Serialize)]
pub struct ReplayLine<'a> {
    #[serde(flatten)]
    pub alert: &'a Alert,
    /// `new` (delivered with `--deliver`), `already_raised` or `same_event`.
    pub replay_status: &'static str,
}

pub struct AlertService {
    config: DetectConfig,
    brands: Vec<String>,
    store: Store,
    delivery: Delivery,
}

impl AlertService {
    /// Checks the config and connects the sinks (nothing is sent yet).
    pub fn new(
        config: DetectConfig,
        brands: Vec<String>,
        kafka: &KafkaConfig,
        store: Store,
    ) -> Result<Self, Error> {
        config.validate()?;
        let same_event_secs =
            i64::from(config.detector.cooldown_points) * i64::from(config.step_secs());
        let delivery = Delivery::new(
            store.clone(),
            KafkaSink::new(kafka)?,
            WebhookSink::new(&config.webhooks)?,
            config.grain,
            same_event_secs,
        );
        Ok(Self {
            config,
            brands,
            store,
            delivery,
        })
    }

    /// The range a service run at `now` (unix seconds) scores: closed, settled
    /// buckets, from the aligned history start; alerts reported for recent ones only.
    pub fn live_range(&self, now: i64) -> ScoringRange {
        let step = i64::from(self.config.step_secs());
        let end = (now - self.config.settle_secs as i64).div_euclid(step) * step;
        let max_age = self.config.max_alert_age_secs as i64;
        let start = self.history_start(end);
        ScoringRange {
            start,
            end,
            step,
            report_from: (end - max_age).max(start),
        }
    }

    /// Where the detectors start for a range ending at or reporting from `t`: the
    /// previous multiple of the lookback before the one holding `t`.
    fn history_start(&self, t: i64) -> i64 {
        let lookback = self.config.lookback_aligned_secs();
        (t.div_euclid(lookback) - 1) * lookback
    }

    /// One service run at `now`: find, triage, deliver.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RunReport, Error> {
        let started = Instant::now();
        let range = self.live_range(now.timestamp());
        let mut report = self.find(range, OriginFilter::LiveOnly, now).await?;
        let found: Vec<Alert> = report.alerts.drain(..).map(|(a, _)| a).collect();
        let verdicts = self.delivery.triage(&found).await?;
        for (mut alert, verdict) in found.into_iter().zip(verdicts) {
            match verdict {
                Verdict::New => {
                    alert.examples = self.examples(&alert, OriginFilter::LiveOnly).await?;
                    self.delivery.send(&alert).await?;
                }
                Verdict::Suppressed(reason) => Delivery::suppressed(&alert, reason),
            }
            report.alerts.push((alert, verdict));
        }
        DetectionRunCompleted {
            series: report.series,
            points: report.points,
            found: report.alerts.len(),
            raised: report.new_alerts().count(),
            elapsed: started.elapsed(),
        }
        .emit();
        Ok(report)
    }

    /// What would have fired with alerts in `[from, to)`, live and backfilled mentions
    /// alike, after the same warm-up history a service run has. With `deliver`, new
    /// alerts are also delivered (and deduplicated) like the service's.
    pub async fn replay(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        deliver: bool,
    ) -> Result<RunReport, Error> {
        let step = i64::from(self.config.step_secs());
        let report_from = from.timestamp().div_euclid(step) * step;
        let end = to.timestamp().div_euclid(step) * step;
        if end <= report_from {
            return Err(Error::EmptyRange { from, to });
        }
        let start = self.history_start(report_from);
        if (end - start) / step > MAX_REPLAY_BUCKETS {
            return Err(Error::RangeTooLong {
                buckets: (end - start) / step,
                max: MAX_REPLAY_BUCKETS,
            });
        }
        let range = ScoringRange {
            start,
            end,
            step,
            report_from,
        };
        let mut report = self.find(range, OriginFilter::All, Utc::now()).await?;
        let found: Vec<Alert> = report.alerts.drain(..).map(|(a, _)| a).collect();
        let verdicts = self.delivery.triage(&found).await?;
        for (mut alert, verdict) in found.into_iter().zip(verdicts) {
            alert.examples = self.examples(&alert, OriginFilter::All).await?;
            if deliver && verdict == Verdict::New {
                self.delivery.send(&alert).await?;
            }
            report.alerts.push((alert, verdict));
        }
        Ok(report)
    }

    /// Runs every `interval_secs` until `shutdown` resolves; a failed run is logged,
    /// counted and retried at the next interval.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let interval = Duration::from_secs(self.config.interval_secs);
        DetectorStarted {
            grain: self.config.grain.as_str(),
            interval,
            brands: self.brands.len(),
            topic: self.delivery.topic(),
            webhooks: self.config.webhooks.len(),
        }
        .emit();
        loop {
            if let Err(error) = self.run_once(Utc::now()).await {
                DetectionRunFailed {
                    error: &error,
                    retry_in: interval,
                }
                .emit();
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// Reads the counts and scores them: alerts found, no examples yet.
    async fn find(
        &self,
        range: ScoringRange,
        origins: OriginFilter,
        now: DateTime<Utc>,
    ) -> Result<RunReport, Error> {
        let clamp = |t: i64| t.clamp(0, i64::from(u32::MAX)) as u32;
        let rows = self
            .store
            .rollup_counts(
                self.config.grain,
                clamp(range.start),
                clamp(range.end),
                origins,
            )
            .await?;
        let scoring = series::score(
            &rows,
            &self.brands,
            &self.config.dimensions,
            &self.config.detector_config(),
            range,
        )?;
        Ok(RunReport {
            series: scoring.series,
            points: scoring.points,
            alerts: scoring
                .findings
                .iter()
                .map(|f| (Alert::from_finding(f, self.config.grain, now), Verdict::New))
                .collect(),
        })
    }

    /// The brand's most engaged mentions in the alert's window, narrowed to the
    /// dimension value for mix alerts.
    async fn examples(&self, alert: &Alert, origins: OriginFilter) -> Result<Vec<Example>, Error> {
        if self.config.examples == 0 {
            return Ok(Vec::new());
        }
        let filter = match alert.dimension {
            Dimension::Volume | Dimension::ShareOfVoice => None,
            Dimension::Cohort => Some((MentionColumn::Cohort, alert.value.as_str())),
            Dimension::SourceType => Some((MentionColumn::SourceType, alert.value.as_str())),
            Dimension::Language => Some((MentionColumn::Language, alert.value.as_str())),
            Dimension::Platform => Some((MentionColumn::Platform, alert.value.as_str())),
            // The mentions that explain a souring brand are its negative ones; a
            // brightening one, its positive ones.
            Dimension::Sentiment => Some((
                MentionColumn::Sentiment,
                series::sentiment_examples(&alert.value, alert.direction),
            )),
        };
        let query = ExampleQuery {
            brand: &alert.brand,
            from: alert.window.start.timestamp() as u32,
            to: alert.window.end.timestamp() as u32,
            filter,
            origins,
            limit: self.config.examples,
        };
        let found = self.store.example_mentions(&query).await?;
        Ok(found
            .into_iter()
            .map(|m| Example {
                mention_id: m.mention_id,
                url: m.url,
            })
            .collect())
    }
}
