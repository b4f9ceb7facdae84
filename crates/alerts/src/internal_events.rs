//! Every metric and log line `earshot detect` emits, as typed events
//! ([`earshot_runtime::InternalEvent`]): one place defines each name, label and message. Webhooks appear only by
//! label, never by URL.

use std::time::Duration;

use earshot_runtime::InternalEvent;
use metrics::{counter, gauge, histogram};

use crate::alert::Alert;

/// `earshot detect` starts its loop: one run every `interval`.
#[derive(Debug)]
pub struct DetectorStarted<'a> {
    pub grain: &'static str,
    pub interval: Duration,
    pub brands: usize,
    /// The alerts topic, prefix included.
    pub topic: &'a str,
    pub webhooks: usize,
}

impl InternalEvent for DetectorStarted<'_> {
    fn handle(self) {
        tracing::info!(
            grain = self.grain,
            interval_s = self.interval.as_secs(),
            brands = self.brands,
            topic = %self.topic,
            webhooks = self.webhooks,
            "detector started"
        );
        // With `earshot_detect_runs_total`, lets an alert rule say "no run for two
        // intervals" without repeating the configuration.
        gauge!("earshot_detect_interval_seconds").set(self.interval.as_secs_f64());
        gauge!("earshot_detect_brands").set(self.brands as f64);
    }
}

#[derive(Debug)]
pub struct DetectionRunCompleted {
    pub series: usize,
    pub points: u64,
    pub found: usize,
    pub raised: usize,
    pub elapsed: Duration,
}

impl InternalEvent for DetectionRunCompleted {
    fn handle(self) {
        tracing::info!(
            series = self.series,
            points = self.points,
            alerts_found = self.found,
            alerts_raised = self.raised,
            elapsed_ms = self.elapsed.as_millis() as u64,
            "detection run finished"
        );
        counter!("earshot_detect_runs_total").increment(1);
        counter!("earshot_detect_points_scored_total").increment(self.points);
        gauge!("earshot_detect_series").set(self.series as f64);
        histogram!("earshot_detect_run_seconds").record(self.elapsed.as_secs_f64());
    }
}

#[derive(Debug)]
pub struct DetectionRunFailed<'a> {
    pub error: &'a dyn std::error::Error,
    pub retry_in: Duration,
}

impl InternalEvent for DetectionRunFailed<'_> {
    fn handle(self) {
        tracing::error!(
            error = %self.error,
            retry_in_s = self.retry_in.as_secs(),
            "detection run failed; trying again at the next interval"
        );
        counter!("earshot_detect_run_failures_total").increment(1);
    }
}

#[derive(Debug)]
pub struct AlertRaised<'a> {
    pub alert: &'a Alert,
}

impl InternalEvent for AlertRaised<'_> {
    fn handle(self) {
        let alert = self.alert;
        tracing::info!(
            alert_id = %alert.alert_id,
            brand = %alert.brand,
            dimension = alert.dimension.as_str(),
            value = %alert.value,
            window_start = %alert.window.start,
            score = alert.score,
            component = alert.component.as_str(),
            explanation = %alert.explanation,
            "{}",
            alert.summary
        );
        // `component` has six values: which part of the detector fires, per dimension.
        counter!(
            "earshot_alerts_raised_total",
            "dimension" => alert.dimension.as_str(),
            "direction" => crate::alert::direction_name(alert.direction),
            "component" => alert.component.as_str()
        )
        .increment(1);
    }
}

/// Why a found alert was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Its id is in the `alerts` table: delivered by an earlier run.
    AlreadyRaised,
    /// Another alert of the same series lies within the detector's cooldown: the same
    /// event, found one bucket off after the history moved.
    SameEvent,
    /// Older than `max_alert_age_secs` (found after downtime or on first start).
    TooOld,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::AlreadyRaised => "already_raised",
            Suppression::SameEvent => "same_event",
            Suppression::TooOld => "too_old",
        }
    }
}

#[derive(Debug)]
pub struct AlertSuppressed<'a> {
    pub alert_id: &'a str,
    pub reason: Suppression,
}

impl InternalEvent for AlertSuppressed<'_> {
    fn handle(self) {
        tracing::debug!(
            alert_id = self.alert_id,
            reason = self.reason.as_str(),
            "alert not delivered"
        );
        counter!("earshot_alerts_suppressed_total", "reason" => self.reason.as_str()).increment(1);
    }
}

#[derive(Debug)]
pub struct WebhookAttemptFailed<'a> {
    pub webhook: &'a str,
    pub alert_id: &'a str,
    pub attempt: u32,
    pub error: &'a str,
    pub retry_in: Duration,
}

impl InternalEvent for WebhookAttemptFailed<'_> {
    fn handle(self) {
        tracing::warn!(
            webhook = self.webhook,
            alert_id = self.alert_id,
            attempt = self.attempt,
            error = self.error,
            retry_in_ms = self.retry_in.as_millis() as u64,
            "webhook attempt failed; retrying"
        );
        counter!("earshot_webhook_attempt_failures_total", "webhook" => self.webhook.to_owned())
            .increment(1);
    }
}

#[derive(Debug)]
pub struct WebhookDeliveryFailed<'a> {
    pub webhook: &'a str,
    pub alert_id: &'a str,
    pub attempts: u32,
    pub error: &'a str,
}

impl InternalEvent for WebhookDeliveryFailed<'_> {
    fn handle(self) {
        tracing::error!(
            webhook = self.webhook,
            alert_id = self.alert_id,
            attempts = self.attempts,
            error = self.error,
            "webhook delivery failed; giving up on this alert"
        );
        counter!("earshot_webhook_failures_total", "webhook" => self.webhook.to_owned())
            .increment(1);
    }
}

#[derive(Debug)]
pub struct WebhookDelivered<'a> {
    pub webhook: &'a str,
    pub alert_id: &'a str,
    pub attempts: u32,
}

impl InternalEvent for WebhookDelivered<'_> {
    fn handle(self) {
        tracing::debug!(
            webhook = self.webhook,
            alert_id = self.alert_id,
            attempts = self.attempts,
            "alert posted to webhook"
        );
        counter!("earshot_webhook_deliveries_total", "webhook" => self.webhook.to_owned())
            .increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_runtime::events::EventRecorder;
    use earshot_runtime::testing::capture_metrics;

    #[test]
    fn run_events_record_their_metrics() {
        let recorder = EventRecorder::start();
        let error = std::io::Error::other("ClickHouse is down");
        let ((), metrics) = capture_metrics(|| {
            DetectorStarted {
                grain: "hour",
                interval: Duration::from_secs(300),
                brands: 4,
                topic: "earshot.alerts",
                webhooks: 1,
            }
            .emit();
            DetectionRunCompleted {
                series: 12,
                points: 480,
                found: 2,
                raised: 1,
                elapsed: Duration::from_millis(250),
            }
            .emit();
            DetectionRunFailed {
                error: &error,
                retry_in: Duration::from_secs(300),
            }
            .emit();
        });
        assert_eq!(
            recorder.names(),
            [
                "DetectorStarted",
                "DetectionRunCompleted",
                "DetectionRunFailed"
            ]
        );
        assert_eq!(
            metrics.gauge("earshot_detect_interval_seconds", &[]),
            Some(300.0)
        );
        assert_eq!(metrics.gauge("earshot_detect_brands", &[]), Some(4.0));
        assert_eq!(metrics.counter("earshot_detect_runs_total", &[]), Some(1));
        assert_eq!(
            metrics.counter("earshot_detect_points_scored_total", &[]),
            Some(480)
        );
        assert_eq!(metrics.gauge("earshot_detect_series", &[]), Some(12.0));
        assert_eq!(
            metrics.histogram("earshot_detect_run_seconds", &[]),
            Some(vec![0.25])
        );
        assert_eq!(
            metrics.counter("earshot_detect_run_failures_total", &[]),
            Some(1)
        );
    }

    #[test]
    fn alert_events_are_counted_by_their_labels() {
        let alert = crate::delivery::tests::alert("gen_z", 1_700_000_040);
        let ((), metrics) = capture_metrics(|| {
            AlertRaised { alert: &alert }.emit();
            for reason in [
                Suppression::AlreadyRaised,
                Suppression::TooOld,
                Suppression::TooOld,
            ] {
                AlertSuppressed {
                    alert_id: &alert.alert_id,
                    reason,
                }
                .emit();
            }
        });
        assert_eq!(
            metrics.counter(
                "earshot_alerts_raised_total",
                &[
                    ("dimension", "cohort"),
                    ("direction", "up"),
                    ("component", "shift")
                ]
            ),
            Some(1)
        );
        let suppressed =
            |reason| metrics.counter("earshot_alerts_suppressed_total", &[("reason", reason)]);
        assert_eq!(suppressed("already_raised"), Some(1));
        assert_eq!(suppressed("too_old"), Some(2));
        assert_eq!(suppressed("same_event"), None);
    }

    #[test]
    fn webhook_events_are_counted_per_webhook() {
        let ((), metrics) = capture_metrics(|| {
            WebhookAttemptFailed {
                webhook: "hooks.slack.com",
                alert_id: "a1",
                attempt: 1,
                error: "503",
                retry_in: Duration::from_millis(500),
            }
            .emit();
            WebhookDelivered {
                webhook: "hooks.slack.com",
                alert_id: "a1",
                attempts: 2,
            }
            .emit();
            WebhookDeliveryFailed {
                webhook: "ops",
                alert_id: "a2",
                attempts: 3,
                error: "connection refused",
            }
            .emit();
        });
        let counted = |name, webhook| metrics.counter(name, &[("webhook", webhook)]);
        assert_eq!(
            counted("earshot_webhook_attempt_failures_total", "hooks.slack.com"),
            Some(1)
        );
        assert_eq!(
            counted("earshot_webhook_deliveries_total", "hooks.slack.com"),
            Some(1)
        );
        assert_eq!(counted("earshot_webhook_failures_total", "ops"), Some(1));
        assert_eq!(
            counted("earshot_webhook_failures_total", "hooks.slack.com"),
            None
        );
    }
}
