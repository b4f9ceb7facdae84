//! Deciding which found alerts are new, and delivering those exactly once in effect.
//!
//! An alert is new unless the `alerts` table already holds its id, or holds an alert
//! of the same series within the detector's cooldown of it (the same event, found a
//! bucket off because the history a run rebuilds from moved). Every run re-finds the
//! alerts of its recent history, so this check is what keeps a restarted or
//! overlapping detector quiet.
//!
//! A new alert goes to Kafka, then the webhooks, then the table. The table is written
//! last because it is the record of delivery: a crash before it means the next run
//! delivers again (at least once, never lost), and every copy carries the same id.
//! A failed Kafka or table write fails the run (retried next interval); a webhook
//! that still fails after its retries is logged and counted, and not retried later.

use std::collections::HashSet;

use earshot_storage::{RaisedAlert, RollupGrain, Store};

use crate::Error;
use crate::alert::Alert;
use crate::internal_events::{AlertRaised, AlertSuppressed, Suppression};
use crate::sinks::{KafkaSink, WebhookSink};
use earshot_runtime::InternalEvent;

pub struct Delivery {
    store: Store,
    kafka: KafkaSink,
    webhooks: WebhookSink,
    grain: RollupGrain,
    /// Alerts of one series closer than this are one event.
    same_event_secs: i64,
}

/// What became of each found alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    New,
    Suppressed(Suppression),
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::New => "new",
            Verdict::Suppressed(reason) => reason.as_str(),
        }
    }
}

impl Delivery {
    pub fn new(
        store: Store,
        kafka: KafkaSink,
        webhooks: WebhookSink,
        grain: RollupGrain,
        same_event_secs: i64,
    ) -> Self {
        Self {
            store,
            kafka,
            webhooks,
            grain,
            same_event_secs,
        }
    }

    /// The Kafka topic alerts go to, with its prefix.
    pub fn topic(&self) -> &str {
        self.kafka.topic()
    }

    /// One verdict per alert (in order), against the table and against the alerts
    /// before it in `alerts`.
    pub async fn triage(&self, alerts: &[Alert]) -> Result<Vec<Verdict>, Error> {
        let Some(earliest) = alerts.iter().map(|a| a.window.start.timestamp()).min() else {
            return Ok(Vec::new());
        };
        let since = (earliest - self.same_event_secs).clamp(0, i64::from(u32::MAX)) as u32;
        let raised = self.store.raised_alerts(self.grain, since).await?;
        Ok(triage_against(raised, alerts, self.same_event_secs))
    }

    /// Delivers a new alert to every sink; see the module docs for the order.
    pub async fn send(&self, alert: &Alert) -> Result<(), Error> {
        self.kafka.send(alert).await?;
        self.webhooks.deliver(alert).await;
        self.store.insert_alerts(&[alert.to_row()]).await?;
        AlertRaised { alert }.emit();
        Ok(())
    }

    /// Records that an alert was not delivered, and why.
    pub fn suppressed(alert: &Alert, reason: Suppression) {
        AlertSuppressed {
            alert_id: &alert.alert_id,
            reason,
        }
        .emit();
    }
}

/// The pure part of [`Delivery::triage`].
fn triage_against(
    mut raised: Vec<RaisedAlert>,
    alerts: &[Alert],
    same_event_secs: i64,
) -> Vec<Verdict> {
    let mut ids: HashSet<String> = raised.iter().map(|r| r.alert_id.clone()).collect();
    alerts
        .iter()
        .map(|alert| {
            if ids.contains(&alert.alert_id) {
                return Verdict::Suppressed(Suppression::AlreadyRaised);
            }
            let start = alert.window.start.timestamp();
            let same_event = raised.iter().any(|r| {
                r.brand == alert.brand
                    && r.dimension == alert.dimension.as_str()
                    && r.value == alert.value
                    && (i64::from(r.window_start) - start).abs() <= same_event_secs
            });
            if same_event {
                return Verdict::Suppressed(Suppression::SameEvent);
            }
            ids.insert(alert.alert_id.clone());
            raised.push(RaisedAlert {
                alert_id: alert.alert_id.clone(),
                brand: alert.brand.clone(),
                dimension: alert.dimension.as_str().into(),
                value: alert.value.clone(),
                window_start: start as u32,
            });
            Verdict::New
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Utc;
    use earshot_detection::{Direction, Scored, Status};

    use super::*;
    use crate::config::Dimension;
    use crate::series::{Finding, SeriesKey};

    /// A cohort shift alert for brand `Acme` (also used by other modules' tests).
    pub(crate) fn alert(value: &str, bucket: i64) -> Alert {
        let finding = Finding {
            key: SeriesKey {
                brand: "Acme".into(),
                dimension: Dimension::Cohort,
                value: value.into(),
            },
            bucket,
            scored: Scored {
                score: 0.8,
                z: 5.0,
                alert: true,
                active: true,
                direction: Direction::Up,
                baseline: Some(0.5),
                observed: Some(0.9),
                status: Status::Scored,
                component: earshot_detection::Component::Shift,
                expected: None,
                anomaly: earshot_detection::Anomaly::default(),
            },
            mentions: 9,
            denominator: Some(10),
        };
        Alert::from_finding(&finding, RollupGrain::Minute, Utc::now())
    }

    fn raised(alert: &Alert) -> RaisedAlert {
        RaisedAlert {
            alert_id: alert.alert_id.clone(),
            brand: alert.brand.clone(),
            dimension: alert.dimension.as_str().into(),
            value: alert.value.clone(),
            window_start: alert.window.start.timestamp() as u32,
        }
    }

    #[test]
    fn known_ids_and_nearby_alerts_of_a_series_are_one_event() {
        let first = alert("gen_z", 6000);
        let found = [
            alert("gen_z", 6000),   // the same alert
            alert("gen_z", 6060),   // one bucket later: the same event
            alert("boomers", 6000), // another series
            alert("gen_z", 9000),   // long after: a new event
            alert("gen_z", 9060),   // right after that new one: its duplicate
        ];
        let verdicts = triage_against(vec![raised(&first)], &found, 24 * 60);
        assert_eq!(
            verdicts,
            [
                Verdict::Suppressed(Suppression::AlreadyRaised),
                Verdict::Suppressed(Suppression::SameEvent),
                Verdict::New,
                Verdict::New,
                Verdict::Suppressed(Suppression::SameEvent),
            ]
        );
    }
}
