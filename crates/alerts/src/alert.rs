//! The alert as every sink receives it: structured JSON with a deterministic id, a
//! one-line summary and an explanation for people (what moved, against which
//! expected band, which detector component fired), and the Slack-compatible webhook
//! payload around it.

use chrono::{DateTime, Utc};
use earshot_detection::{Component, Direction};
use earshot_storage::{AlertRow, RollupGrain};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::Dimension;
use crate::series::{Finding, SeriesKey};

/// One preference shift: a series that left its baseline in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Hash of (brand, dimension, value, grain, window start): the same shift found
    /// again, by a restarted detector or a replay, has the same id.
    pub alert_id: String,
    pub brand: String,
    pub dimension: Dimension,
    /// The dimension's value (`gen_z`, `press`, `pl`...); empty for volume and share of voice.
    pub value: String,
    pub window: Window,
    /// `up` or `down`.
    pub direction: Direction,
    /// Anomaly score in [0, 1]; alerts start at the detector's `enter_score`.
    pub score: f64,
    /// Deviation from the baseline in standard deviations.
    pub z: f64,
    /// What the detector expected: a count, or a share in [0, 1] (the centre of the
    /// expected band).
    pub baseline: f64,
    /// Lower end of the band of ordinary values around `baseline`, same unit.
    #[serde(default)]
    pub expected_low: f64,
    /// Upper end of that band.
    #[serde(default)]
    pub expected_high: f64,
    /// What was seen, in the same unit.
    pub observed: f64,
    /// The detector component that fired: `level`, `time_of_day` (the anomaly
    /// ensemble, which alerts from a series' first days), `spike` or `shift` (the
    /// seasonal baseline, once warm).
    #[serde(default)]
    pub component: Component,
    /// Mentions behind `observed`: the count, or the share's numerator.
    pub mentions: u64,
    /// The share's denominator; absent for volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<u64>,
    /// Mentions from the window that show what changed, most engaged first.
    pub examples: Vec<Example>,
    pub summary: String,
    /// What changed, in words an analyst reads: observed against the expected band
    /// and baseline, the component that fired, and how many times the usual value.
    #[serde(default)]
    pub explanation: String,
    pub raised_at: DateTime<Utc>,
}

/// The bucket an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub grain: RollupGrain,
    pub start: DateTime<Utc>,
    /// Exclusive.
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub mention_id: String,
    pub url: String,
}

/// The deterministic id: 128 bits of SHA-256 over the fields, separated so that no
/// two different field lists give the same input.
pub fn alert_id(key: &SeriesKey, grain: RollupGrain, window_start: i64) -> String {
    let mut hasher = Sha256::new();
    for field in [
        "earshot.alert.v1",
        &key.brand,
        key.dimension.as_str(),
        &key.value,
        grain.as_str(),
        &window_start.to_string(),
    ] {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn utc(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

impl Alert {
    /// The alert for a finding, without examples yet.
    pub fn from_finding(finding: &Finding, grain: RollupGrain, raised_at: DateTime<Utc>) -> Self {
        let step = i64::from(grain.step_secs());
        let baseline = finding.scored.baseline.unwrap_or_default();
        let (expected_low, expected_high) = finding
            .scored
            .expected
            .map_or((baseline, baseline), |e| (e.low, e.high));
        let mut alert = Alert {
            alert_id: alert_id(&finding.key, grain, finding.bucket),
            brand: finding.key.brand.clone(),
            dimension: finding.key.dimension,
            value: finding.key.value.clone(),
            window: Window {
                grain,
                start: utc(finding.bucket),
                end: utc(finding.bucket + step),
            },
            direction: finding.scored.direction,
            score: finding.scored.score,
            z: finding.scored.z,
            baseline,
            expected_low,
            expected_high,
            observed: finding.scored.observed.unwrap_or_default(),
            component: finding.scored.component,
            mentions: finding.mentions,
            denominator: finding.denominator,
            examples: Vec::new(),
            summary: String::new(),
            explanation: String::new(),
            raised_at,
        };
        alert.summary = alert.describe();
        alert.explanation = alert.explain();
        alert
    }

    /// The series of this alert, for matching it against earlier ones.
    pub fn key(&self) -> SeriesKey {
        SeriesKey {
            brand: self.brand.clone(),
            dimension: self.dimension,
            value: self.value.clone(),
        }
    }

    /// One sentence: what moved, which way, how far, when.
    fn describe(&self) -> String {
        let what = match self.dimension {
            Dimension::Volume => "mentions".to_string(),
            Dimension::ShareOfVoice => "share of voice".to_string(),
            Dimension::Sentiment if self.value == crate::series::NET_SENTIMENT => {
                "positive share of its positive and negative mentions (net sentiment)".to_string()
            }
            Dimension::Sentiment => "negative share of its mentions".to_string(),
            dimension => format!(
                "share of {} `{}` in its mentions",
                dimension.as_str().replace('_', " "),
                self.value
            ),
        };
        let direction = direction_name(self.direction);
        let (observed, baseline) = match self.denominator {
            None => (
                format!("{:.0}", self.observed),
                format!("{:.1}", self.baseline),
            ),
            Some(of) => (
                format!("{:.1}% ({} of {of})", self.observed * 100.0, self.mentions),
                format!("{:.1}%", self.baseline * 100.0),
            ),
        };
        format!(
            "{}: {what} {direction} to {observed}, baseline {baseline}, in the {} from {} UTC (score {:.2})",
            self.brand,
            self.window.grain.as_str(),
            self.window.start.format("%Y-%m-%d %H:%M"),
            self.score,
        )
    }

    /// What changed, for an analyst: "Mentions of Acme: 412 in the hour to
    /// 2026-03-02 14:00 UTC, expected 80-140 (baseline 110); the level component
    /// (...) fired; 3.7x the usual hour."
    fn explain(&self) -> String {
        let grain = self.window.grain.as_str();
        let what = match self.dimension {
            Dimension::Volume => format!("Mentions of {}", self.brand),
            Dimension::ShareOfVoice => format!("{}'s share of voice", self.brand),
            Dimension::Sentiment if self.value == crate::series::NET_SENTIMENT => format!(
                "Positive share of {}'s positive and negative mentions (net sentiment)",
                self.brand
            ),
            Dimension::Sentiment => format!("Negative share of {}'s mentions", self.brand),
            dimension => format!(
                "Share of {} `{}` in {}'s mentions",
                dimension.as_str().replace('_', " "),
                self.value,
                self.brand
            ),
        };
        let observed = match self.denominator {
            None => format!("{:.0}", self.observed),
            Some(of) => format!("{:.1}% ({} of {of})", self.observed * 100.0, self.mentions),
        };
        let (band, baseline) = match self.denominator {
            None => (
                format!(
                    "{}\u{2013}{}",
                    count_text(self.expected_low),
                    count_text(self.expected_high)
                ),
                count_text(self.baseline),
            ),
            Some(_) => (
                format!(
                    "{:.1}\u{2013}{:.1}%",
                    self.expected_low * 100.0,
                    self.expected_high * 100.0
                ),
                format!("{:.1}%", self.baseline * 100.0),
            ),
        };
        let size = match self.denominator {
            None if self.baseline > 0.0 => {
                format!(
                    "; {:.1}\u{d7} the usual {grain}",
                    self.observed / self.baseline
                )
            }
            None => String::new(),
            Some(_) => format!(
                "; {:+.1} percentage points from the baseline",
                (self.observed - self.baseline) * 100.0
            ),
        };
        format!(
            "{what}: {observed} in the {grain} to {} UTC, expected {band} (baseline {baseline}); {} fired{size}.",
            self.window.end.format("%Y-%m-%d %H:%M"),
            self.component.describe(),
        )
    }

    /// The row for the `alerts` table, with the whole alert as JSON in `payload`.
    pub fn to_row(&self) -> AlertRow {
        AlertRow {
            alert_id: self.alert_id.clone(),
            brand: self.brand.clone(),
            dimension: self.dimension.as_str().into(),
            value: self.value.clone(),
            grain: self.window.grain.as_str().into(),
            window_start: unix_u32(self.window.start),
            window_end: unix_u32(self.window.end),
            direction: direction_name(self.direction).into(),
            score: self.score,
            z: self.z,
            baseline: self.baseline,
            observed: self.observed,
            mentions: self.mentions,
            denominator: self.denominator.unwrap_or(0),
            example_ids: self.examples.iter().map(|e| e.mention_id.clone()).collect(),
            example_urls: self.examples.iter().map(|e| e.url.clone()).collect(),
            payload: serde_json::to_string(self).unwrap_or_default(),
            raised_at: unix_u32(self.raised_at),
            component: self.component.as_str().into(),
            expected_low: self.expected_low,
            expected_high: self.expected_high,
            explanation: self.explanation.clone(),
        }
    }

    /// A Slack incoming-webhook message (`text` plus Block Kit `blocks`); the
    /// structured alert rides along under `alert` for non-Slack receivers.
    pub fn webhook_payload(&self) -> Value {
        let value = if self.value.is_empty() {
            self.dimension.as_str().to_string()
        } else {
            format!("{} = {}", self.dimension.as_str(), self.value)
        };
        let mut blocks = vec![
            json!({"type": "section", "text": {"type": "mrkdwn",
                "text": format!("*Preference shift* · {}", slack_escape(&self.summary))}}),
            json!({"type": "section", "fields": [
                {"type": "mrkdwn", "text": format!("*Brand*\n{}", slack_escape(&self.brand))},
                {"type": "mrkdwn", "text": format!("*Dimension*\n{}", slack_escape(&value))},
                {"type": "mrkdwn", "text": format!("*Observed*\n{}", self.format_value(self.observed))},
                {"type": "mrkdwn", "text": format!("*Expected*\n{} to {} (baseline {})",
                    self.format_value(self.expected_low), self.format_value(self.expected_high),
                    self.format_value(self.baseline))},
            ]}),
            json!({"type": "section", "text": {"type": "mrkdwn",
                "text": format!("*Why*\n{}", slack_escape(&self.explanation))}}),
        ];
        if !self.examples.is_empty() {
            let lines: Vec<String> = self
                .examples
                .iter()
                .map(|e| {
                    if e.url.is_empty() {
                        format!("• {}", slack_escape(&e.mention_id))
                    } else {
                        format!(
                            "• <{}|{}>",
                            slack_escape(&e.url).replace('|', "%7C"),
                            slack_escape(&e.mention_id)
                        )
                    }
                })
                .collect();
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
                "text": format!("*Examples*\n{}", lines.join("\n"))}}));
        }
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn",
            "text": format!("alert `{}` · {} · score {:.2} · z {:.1}", self.alert_id,
                self.component.as_str(), self.score, self.z)}]}));
        json!({"text": format!("{}\n{}", self.summary, self.explanation), "blocks": blocks, "alert": self})
    }

    fn format_value(&self, value: f64) -> String {
        match self.denominator {
            None => format!("{value:.1}"),
            Some(_) => format!("{:.1}%", value * 100.0),
        }
    }
}

/// A count as people write it: whole numbers, one decimal below 10.
fn count_text(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// `up`, `down`, or `none` (never on an alert), as in the JSON.
pub fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::None => "none",
    }
}

fn unix_u32(t: DateTime<Utc>) -> u32 {
    t.timestamp().clamp(0, i64::from(u32::MAX)) as u32
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped, or a brand name could inject a link.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use earshot_detection::{Scored, Status};

    use super::*;

    fn finding(value: &str) -> Finding {
        Finding {
            key: SeriesKey {
                brand: "A&B <x>".into(),
                dimension: Dimension::Cohort,
                value: value.into(),
            },
            bucket: 1_700_000_040,
            scored: Scored {
                score: 0.9,
                z: 4.2,
                alert: true,
                active: true,
                direction: Direction::Up,
                baseline: Some(0.5),
                observed: Some(0.9),
                status: Status::Scored,
                component: earshot_detection::Component::TimeOfDay,
                expected: Some(earshot_detection::Expected {
                    value: 0.5,
                    low: 0.32,
                    high: 0.68,
                }),
                anomaly: earshot_detection::Anomaly::default(),
            },
            mentions: 27,
            denominator: Some(30),
        }
    }

    #[test]
    fn a_volume_explanation_reads_as_a_sentence() {
        let mut f = finding("");
        f.key.brand = "Acme".into();
        f.key.dimension = Dimension::Volume;
        f.denominator = None;
        f.mentions = 412;
        f.scored.observed = Some(412.0);
        f.scored.baseline = Some(110.0);
        f.scored.component = Component::Level;
        f.scored.expected = Some(earshot_detection::Expected {
            value: 110.0,
            low: 80.0,
            high: 140.0,
        });
        let alert = Alert::from_finding(&f, RollupGrain::Hour, utc(1_700_000_200));
        assert_eq!(
            alert.explanation,
            "Mentions of Acme: 412 in the hour to 2023-11-14 23:14 UTC, expected 80\u{2013}140 (baseline 110); the level component (far from the recent level) fired; 3.7\u{d7} the usual hour."
        );
    }

    #[test]
    fn ids_are_stable_and_distinguish_fields() {
        let key = finding("gen_z").key;
        let id = alert_id(&key, RollupGrain::Minute, 1_700_000_040);
        assert_eq!(id.len(), 32);
        assert_eq!(id, alert_id(&key, RollupGrain::Minute, 1_700_000_040));
        assert_ne!(id, alert_id(&key, RollupGrain::Hour, 1_700_000_040));
        assert_ne!(id, alert_id(&key, RollupGrain::Minute, 1_700_000_100));
        // Field boundaries matter: ("ab", "c") is not ("a", "bc").
        let shifted = SeriesKey {
            brand: "A&B <x>g".into(),
            value: "en_z".into(),
            ..key.clone()
        };
        assert_ne!(id, alert_id(&shifted, RollupGrain::Minute, 1_700_000_040));
    }

    #[test]
    fn summary_row_and_payload() {
        let raised = utc(1_700_000_200);
        let mut alert = Alert::from_finding(&finding("gen_z"), RollupGrain::Minute, raised);
        alert.examples.push(Example {
            mention_id: "mastodon:1".into(),
            url: "https://m.example/1|x".into(),
        });
        assert_eq!(
            alert.summary,
            "A&B <x>: share of cohort `gen_z` in its mentions up to 90.0% (27 of 30), baseline 50.0%, in the minute from 2023-11-14 22:14 UTC (score 0.90)"
        );
        assert_eq!(
            alert.explanation,
            "Share of cohort `gen_z` in A&B <x>'s mentions: 90.0% (27 of 30) in the minute to 2023-11-14 22:15 UTC, expected 32.0\u{2013}68.0% (baseline 50.0%); the time-of-day component (far from what this time of day usually shows) fired; +40.0 percentage points from the baseline."
        );
        let row = alert.to_row();
        assert_eq!(
            (row.window_start, row.window_end, row.direction.as_str()),
            (1_700_000_040, 1_700_000_100, "up")
        );
        assert_eq!(row.example_urls, ["https://m.example/1|x"]);
        let back: Alert = serde_json::from_str(&row.payload).unwrap();
        assert_eq!(back, alert);

        let payload = alert.webhook_payload();
        assert_eq!(
            payload["text"],
            format!("{}\n{}", alert.summary, alert.explanation).as_str()
        );
        assert_eq!(payload["alert"]["component"], "time_of_day");
        assert_eq!(payload["alert"]["expected_high"], 0.68);
        assert!(
            payload["alert"]["explanation"]
                .as_str()
                .is_some_and(|e| e.contains("expected 32.0"))
        );
        assert_eq!(payload["alert"]["alert_id"], alert.alert_id.as_str());
        let blocks = payload["blocks"].to_string();
        assert!(blocks.contains("A&amp;B &lt;x&gt;"), "{blocks}");
        assert!(
            blocks.contains("<https://m.example/1%7Cx|mastodon:1>"),
            "{blocks}"
        );
    }
}
