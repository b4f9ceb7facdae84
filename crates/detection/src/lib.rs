//! Streaming shift detection for mention rollups and other series: pure scoring,
//! no I/O.
//!
//! A [`Detector`] follows one series: mentions of a brand per hour (a count), a
//! share such as brand mentions / all brands' mentions, or a plain value (a
//! sentiment index, a latency). Points are pushed in time order; each gets a
//! [`Scored`] with a score in `[0, 1]` computed from the past only, the component
//! behind it and what that component expected, and, at most once per event, an
//! alert. `earshot detect` and `earshot detect-series` both go through it.
//!
//! How it decides, in short:
//!
//! 1. **The anomaly ensemble** ([`anomaly`]) scores the raw value from the first
//!    days of data: level and time-of-day prediction errors through an anomaly
//!    likelihood, range novelty, suppression after a detection. For plain values
//!    its score is the alert score (what the NAB benchmark measures).
//! 2. For counts and shares, its verdict is **gated**: the point must be
//!    `ensemble_z` noise sigmas (sampling noise plus learned overdispersion) from
//!    what the component expected, `min_volume` mentions must stand behind it, and
//!    once the seasonal baseline is warm, the baseline must agree. Range novelty
//!    does not alert for them.
//! 3. **The seasonal shift detector** scores counts and shares after its warm-up:
//!    values stabilised so their sampling noise is known (square root for counts,
//!    arcsine-square-root for shares, see [`observation`]), forecast by a damped
//!    Holt level and trend with hour-of-day and day-of-week profiles, and weighed
//!    as a point z-score (spikes) and a two-sided CUSUM (shifts, ramps), with the
//!    same volume gate.
//! 4. **One alert per event**: the strongest score enters above `enter_score`,
//!    stays until below `exit_score`, then cools down; meanwhile the baseline
//!    re-levels quickly so a new normal does not keep alerting.
//!
//! ```
//! use earshot_detection::{Detector, DetectorConfig, Direction};
//!
//! let cfg = DetectorConfig { step_secs: Some(3600), ..DetectorConfig::default() };
//! let mut detector = Detector::new(cfg)?;
//! let mut alerts = Vec::new();
//! for hour in 0..1000_i64 {
//!     let mentions = if hour < 600 { 100.0 + (hour % 7) as f64 } else { 160.0 };
//!     let scored = detector.push_count(hour * 3600, Some(mentions));
//!     if scored.alert {
//!         alerts.push((hour, scored.direction));
//!     }
//! }
//! // One alert, pointing up, within a few hours of the change at hour 600.
//! assert_eq!(alerts.len(), 1);
//! let (hour, direction) = alerts[0];
//! assert!((600..606).contains(&hour) && direction == Direction::Up);
//! # Ok::<(), earshot_detection::ConfigError>(())
//! ```

mod alerting;
pub mod anomaly;
mod baseline;
mod config;
pub mod observation;
mod seasonal;
pub mod series_csv;

use serde::{Deserialize, Serialize};

use crate::alerting::{Cusum, Phase};
use crate::baseline::{Baseline, Learning};
use crate::observation::Observation;

pub use crate::alerting::Direction;
pub use crate::anomaly::{Anomaly, AnomalyScore, Component};

/// Change of the stabilised level across an alert beyond which seasons and noise are
/// relearned (1.5 in the square-root domain is a 2.25x change in counts).
const REBASE_RATIO: f64 = 1.5;
pub use crate::config::{ConfigError, DetectorConfig, Seasonality};
pub use crate::observation::SeriesKind;

/// Why a point was or was not scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Scored against the baseline.
    Scored,
    /// Learned from while the seasonal baseline warms up: only the anomaly ensemble
    /// scores (and may alert), the shift detector does not yet.
    Warmup,
    /// No usable value (`None`, NaN, negative, zero denominator...): time advances,
    /// nothing is learned.
    Missing,
    /// Timestamp not after the previous one: ignored entirely.
    OutOfOrder,
    /// A share pushed to a count series or the reverse: ignored entirely.
    WrongKind,
}

/// What the component behind a point's score expected, in the analyst's units
/// (count, share in `[0, 1]`, or the plain value): the centre and the band of
/// ordinary values around it (about two typical errors, and never narrower than
/// two sigmas of sampling noise for counts and shares).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Central expectation.
    pub value: f64,
    /// Lower end of the ordinary band.
    pub low: f64,
    /// Upper end of the ordinary band.
    pub high: f64,
}

/// The verdict on one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Alert score in `[0, 1]`; 0.5 is the default alert threshold. The strongest
    /// of the anomaly ensemble (gated by sampling noise and volume for counts and
    /// shares) and, once warm, the seasonal shift detector.
    pub score: f64,
    /// Signed deviation of this point from the seasonal baseline in standard
    /// deviations (sampling noise plus learned overdispersion); 0 when not scored.
    pub z: f64,
    /// True on the point where an alert starts (once per event).
    pub alert: bool,
    /// True from the alert's start until its score falls below the exit threshold.
    pub active: bool,
    /// Direction of the alert in progress, `None` outside alerts.
    pub direction: Direction,
    /// What was expected here (count, share in `[0, 1]`, or value): the centre of
    /// [`Scored::expected`] when a component scored, else the seasonal baseline.
    pub baseline: Option<f64>,
    /// The value seen (count, or share in `[0, 1]`), if the point was usable.
    pub observed: Option<f64>,
    /// How the point was treated.
    pub status: Status,
    /// The component behind `score` (`None` when nothing scored).
    pub component: Component,
    /// What that component expected, with its band of ordinary values.
    pub expected: Option<Expected>,
    /// The raw ensemble verdict on the value, before the sampling-noise and volume
    /// gates (see [`anomaly`]): scores from the first day of data.
    pub anomaly: Anomaly,
}

impl Scored {
    fn unscored(status: Status, observed: Option<f64>) -> Self {
        Self {
            score: 0.0,
            z: 0.0,
            alert: false,
            active: false,
            direction: Direction::None,
            baseline: None,
            observed,
            status,
            component: Component::None,
            expected: None,
            anomaly: Anomaly::default(),
        }
    }
}

/// Streaming detector for one series; small, `Clone` and serde-serialisable so a
/// scheduler can persist it between runs and resume exactly where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detector {
    config: DetectorConfig,
    kind: Option<SeriesKind>,
    /// Step in seconds; 0 until known when the config leaves it to inference.
    step_secs: u32,
    warmup_points: u32,
    last_t: Option<i64>,
    last_valid_t: Option<i64>,
    valid_points: u64,
    baseline: Baseline,
    cusum: Cusum,
    phase: Phase,
    /// Baseline level when the current or last alert started.
    level_at_alert: f64,
    /// Ensemble anomaly score of the raw values, independent of the warm-up.
    anomaly: AnomalyScore,
}

impl Detector {
    /// Creates a detector for one series, validating the configuration.
    pub fn new(config: DetectorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let step_secs = config.step_secs.unwrap_or(0);
        let (daily, weekly) = if step_secs > 0 {
            config.seasonality.resolve(step_secs)
        } else {
            (false, false)
        };
        Ok(Self {
            warmup_points: config.warmup_for(step_secs.max(1)),
            baseline: Baseline::new(daily, weekly, step_secs),
            config,
            kind: None,
            step_secs,
            last_t: None,
            last_valid_t: None,
            valid_points: 0,
            cusum: Cusum::default(),
            phase: Phase::Idle,
            level_at_alert: 0.0,
            anomaly: AnomalyScore::new(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// The kind of series, fixed by the first usable point.
    pub fn kind(&self) -> Option<SeriesKind> {
        self.kind
    }

    /// Step in seconds, configured or inferred so far (`None` before two points).
    pub fn step_secs(&self) -> Option<u32> {
        (self.step_secs > 0).then_some(self.step_secs)
    }

    /// Bytes of state (all inline, no heap; the figure `docs/alerts.md` reports).
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
    }

    /// Whether the warm-up is over and alerts may fire.
    pub fn is_warm(&self) -> bool {
        self.valid_points >= u64::from(self.warmup_points)
    }

    /// Scores a count (mentions in the step ending or starting at `t`, unix seconds).
    /// `None`, NaN, infinite or negative values count as missing.
    pub fn push_count(&mut self, t: i64, value: Option<f64>) -> Scored {
        let obs = value.and_then(observation::count);
        self.push(t, SeriesKind::Count, obs)
    }

    /// Scores a plain value at `t` (unix seconds): any real measurement with no
    /// sampling model (what `detect-series` and NAB use). `None` or non-finite values
    /// count as missing. The anomaly ensemble alone scores it.
    pub fn push_value(&mut self, t: i64, value: Option<f64>) -> Scored {
        let obs = value.and_then(observation::value);
        self.push(t, SeriesKind::Value, obs)
    }

    /// Scores a share `numerator / denominator` at `t` (unix seconds). A zero
    /// denominator, or a pair that is not a proportion, counts as missing.
    pub fn push_share(&mut self, t: i64, numerator: f64, denominator: f64) -> Scored {
        let obs = observation::share(numerator, denominator);
        self.push(t, SeriesKind::Share, obs)
    }

    fn push(&mut self, t: i64, kind: SeriesKind, obs: Option<Observation>) -> Scored {
        if self.kind.is_some_and(|k| k != kind) {
            return Scored::unscored(Status::WrongKind, None);
        }
        let steps = match self.advance_clock(t) {
            Some(steps) => steps,
            None => return Scored::unscored(Status::OutOfOrder, None),
        };
        if self.phase.elapse(steps) {
            self.end_episode();
        }
        let Some(obs) = obs else {
            return Scored::unscored(Status::Missing, None);
        };
        self.kind = Some(kind);
        self.score(t, kind, &obs)
    }

    /// Records `t` and returns how many steps passed since the previous point,
    /// or `None` if `t` is not after it. Infers the step during warm-up if needed.
    #[inline]
    fn advance_clock(&mut self, t: i64) -> Option<u64> {
        let Some(last) = self.last_t else {
            self.last_t = Some(t);
            return Some(1);
        };
        if t <= last {
            return None;
        }
        self.last_t = Some(t);
        let delta = t.saturating_sub(last);
        let step = i64::from(self.step_secs);
        if self.config.step_secs.is_none() && !self.is_warm() && (step == 0 || delta < step) {
            self.set_step(delta);
        }
        Some(steps_between(delta, i64::from(self.step_secs)))
    }

    /// Called when a cooldown expires: start shift evidence afresh, and if the event
    /// moved the level a long way, let seasons and noise relearn at the new level.
    fn end_episode(&mut self) {
        self.cusum.reset();
        let (before, after) = (self.level_at_alert, self.baseline.level());
        if before > 0.0 && after > 0.0 && (after / before).max(before / after) > REBASE_RATIO {
            self.baseline.restart_learning();
        }
    }

    fn set_step(&mut self, delta: i64) {
        let step = u32::try_from(delta).unwrap_or(u32::MAX);
        self.step_secs = step;
        self.warmup_points = self.config.warmup_for(step);
        let (daily, weekly) = self.config.seasonality.resolve(step);
        self.baseline.enable_seasons(daily, weekly, step);
    }

    fn score(&mut self, t: i64, kind: SeriesKind, obs: &Observation) -> Scored {
        let anomaly = self.anomaly.push(t, obs.observed);
        if kind == SeriesKind::Value {
            return self.score_value(obs, anomaly);
        }
        let cfg = &self.config;
        if let Some(last_valid) = self.last_valid_t {
            let steps = steps_between(t.saturating_sub(last_valid), i64::from(self.step_secs));
            self.baseline.skip(steps - 1, cfg.trend_damping);
            if steps > u64::from(cfg.max_gap_points) {
                self.cusum.reset();
            }
        }
        self.last_valid_t = Some(t);

        let started = self.baseline.is_started();
        let relative_excess = kind == SeriesKind::Count;
        let forecast =
            self.baseline
                .forecast(t, obs.sampling_var, relative_excess, cfg.trend_damping);
        let warm = self.valid_points >= u64::from(self.warmup_points);
        self.valid_points += 1;
        let baseline_value = observation::back_transform(kind, forecast.mean);

        let mut scored = Scored::unscored(Status::Warmup, Some(obs.observed));
        scored.anomaly = anomaly;
        if started {
            scored.baseline = Some(baseline_value);
        }
        // The seasonal shift detector, once its profiles are learned.
        let mut verdict = Verdict::default();
        if warm {
            let z = (obs.x - forecast.mean) / forecast.sigma;
            let expected_vol = observation::baseline_volume(kind, baseline_value, obs.volume);
            let idle = !self.phase.in_episode();
            if idle {
                self.cusum
                    .update(z, cfg.shift_allowance, obs.volume, expected_vol);
            }
            let evidence = alerting::evidence(
                z,
                obs.volume,
                expected_vol,
                idle.then_some(&self.cusum),
                cfg,
            );
            let score = alerting::score(evidence.strength);
            if score > 0.0 {
                let band = |sigmas: f64| {
                    observation::back_transform(kind, forecast.mean + sigmas * forecast.sigma)
                };
                verdict = Verdict {
                    score,
                    direction: evidence.direction,
                    component: if evidence.sustained {
                        Component::Shift
                    } else {
                        Component::Spike
                    },
                    expected: Some(Expected {
                        value: baseline_value,
                        low: band(-BAND_SIGMAS),
                        high: band(BAND_SIGMAS),
                    }),
                };
            }
            scored.z = z;
            scored.status = Status::Scored;
        }
        // The anomaly ensemble, from the first day, where sampling noise cannot
        // explain the point and enough mentions stand behind it.
        let confirmed = !warm || scored.z.abs() >= cfg.ensemble_z;
        let ensemble = ensemble_verdict(kind, obs, forecast.sigma, &anomaly, cfg);
        let agrees = scored.z == 0.0 || (scored.z > 0.0) == (ensemble.direction == Direction::Up);
        if confirmed && agrees && ensemble.score > verdict.score {
            verdict = ensemble;
        }
        let decision = self
            .phase
            .decide(verdict.score, verdict.direction, true, cfg);
        if decision.alert {
            self.cusum.reset();
            self.level_at_alert = self.baseline.level();
        }
        scored.apply(&verdict, decision);

        // The point that raises an alert is learned robustly (it may be a lone
        // spike); the points after it re-level the baseline.
        let learning = if self.phase.in_episode() && !scored.alert {
            Learning::Recovery
        } else {
            Learning::Robust
        };
        self.baseline
            .learn(&forecast, obs.x, obs.sampling_var, learning, cfg);
        scored
    }

    /// A plain value: the ensemble's score is the alert score, under the same
    /// hysteresis and cooldown as counts and shares.
    fn score_value(&mut self, obs: &Observation, anomaly: Anomaly) -> Scored {
        self.valid_points += 1;
        let verdict = ensemble_verdict(SeriesKind::Value, obs, 0.0, &anomaly, &self.config);
        let decision = self
            .phase
            .decide(verdict.score, verdict.direction, true, &self.config);
        let mut scored = Scored::unscored(Status::Scored, Some(obs.observed));
        scored.anomaly = anomaly;
        scored.apply(&verdict, decision);
        scored
    }
}

/// Half-width of an expected band: two sigmas of the seasonal baseline, or about two
/// sigmas of an ensemble component (2.5 mean absolute errors, 2 sigmas if Gaussian).
const BAND_SIGMAS: f64 = 2.0;
const BAND_TYPICAL_ERRORS: f64 = 2.5;

/// The strongest evidence at a point, from whichever component carries it.
#[derive(Debug, Clone, Copy, Default)]
struct Verdict {
    score: f64,
    direction: Direction,
    component: Component,
    expected: Option<Expected>,
}

impl Scored {
    fn apply(&mut self, verdict: &Verdict, decision: alerting::Decision) {
        self.score = verdict.score;
        self.component = verdict.component;
        self.expected = verdict.expected;
        if let Some(expected) = verdict.expected {
            self.baseline = Some(expected.value);
        }
        self.alert = decision.alert;
        self.active = decision.active;
        self.direction = decision.direction;
    }
}

/// The ensemble's verdict as alert evidence. For counts and shares it must clear
/// two gates: the point lies at least `ensemble_z` noise sigmas (sampling noise
/// plus learned overdispersion, `noise_sigma`) from what the component expected (a
/// share out of 8 mentions can jump by chance, one out of 800 cannot), and the
/// evidence is scaled down below `min_volume` mentions (the observed count for
/// rises, the expected count for drops, the denominator for shares), like the
/// shift detector's. (The caller adds the third: once warm, the seasonal baseline
/// must see the point as far off, in the same direction.)
fn ensemble_verdict(
    kind: SeriesKind,
    obs: &Observation,
    noise_sigma: f64,
    anomaly: &Anomaly,
    cfg: &DetectorConfig,
) -> Verdict {
    // Range novelty scores plain values only (where NAB rewards it): a record high
    // of a growing brand, or a record share, is news but not a shift. Counts and
    // shares are judged on the prediction errors.
    let (score, component) = if kind == SeriesKind::Value {
        (anomaly.score, anomaly.component)
    } else {
        (anomaly.error_score, anomaly.error_component)
    };
    if component == Component::None || score <= 0.0 {
        return Verdict::default();
    }
    let (lowest, highest) = match kind {
        SeriesKind::Count => (0.0, f64::INFINITY),
        SeriesKind::Share => (0.0, 1.0),
        SeriesKind::Value => (f64::NEG_INFINITY, f64::INFINITY),
    };
    let centre = anomaly.expected.clamp(lowest, highest);
    let direction = if obs.observed >= centre {
        Direction::Up
    } else {
        Direction::Down
    };
    let half = BAND_TYPICAL_ERRORS * anomaly.typical_error;
    let mut low = centre - half;
    let mut high = centre + half;
    let mut score = score;
    if kind != SeriesKind::Value {
        let sampling_sigma = obs.sampling_var.sqrt();
        let x_centre = observation::stabilise(kind, centre);
        let z = (obs.x - x_centre) / noise_sigma.max(sampling_sigma);
        if z.is_nan() || z.abs() < cfg.ensemble_z {
            return Verdict::default();
        }
        let volume = match direction {
            Direction::Up => obs.volume,
            _ => observation::baseline_volume(kind, centre, obs.volume),
        };
        score = alerting::gated(score, volume, cfg.min_volume);
        let sampling =
            |sigmas: f64| observation::back_transform(kind, x_centre + sigmas * sampling_sigma);
        low = low.min(sampling(-BAND_SIGMAS));
        high = high.max(sampling(BAND_SIGMAS));
    }
    Verdict {
        score,
        direction,
        component,
        expected: Some(Expected {
            value: centre,
            low: low.max(lowest),
            high: high.min(highest),
        }),
    }
}

/// Whole steps in `delta` seconds, at least one (points closer than a step are
/// treated as consecutive; the common case avoids a division).
#[inline]
fn steps_between(delta: i64, step: i64) -> u64 {
    if step <= 0 || delta <= step {
        return 1;
    }
    let steps = delta.saturating_add(step / 2) / step;
    u64::try_from(steps.max(1)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_rounded_and_at_least_one() {
        assert_eq!(steps_between(3600, 3600), 1);
        assert_eq!(steps_between(10, 3600), 1);
        assert_eq!(steps_between(7200, 3600), 2);
        assert_eq!(steps_between(7300, 3600), 2);
        assert_eq!(steps_between(5000, 0), 1);
        assert_eq!(steps_between(i64::MAX, 3600), (i64::MAX / 3600) as u64);
    }

    #[test]
    fn infers_the_step_from_the_smallest_gap() {
        let mut d = Detector::new(DetectorConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        d.push_count(0, Some(1.0));
        d.push_count(7200, Some(1.0));
        assert_eq!(d.step_secs(), Some(7200));
        d.push_count(10_800, Some(1.0));
        assert_eq!(d.step_secs(), Some(3600));
    }

    #[test]
    fn state_round_trips_through_serde_json() {
        let cfg = DetectorConfig {
            step_secs: Some(3600),
            ..DetectorConfig::default()
        };
        let mut d = Detector::new(cfg).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..500 {
            d.push_count(i * 3600, Some(50.0 + (i % 5) as f64));
        }
        let json = serde_json::to_string(&d).unwrap_or_default();
        let mut resumed: Detector = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        for i in 500..600 {
            let a = d.push_count(i * 3600, Some(if i > 550 { 90.0 } else { 52.0 }));
            let b = resumed.push_count(i * 3600, Some(if i > 550 { 90.0 } else { 52.0 }));
            assert!((a.score - b.score).abs() < 1e-9, "{a:?} {b:?}");
            assert_eq!(a.alert, b.alert);
        }
    }

    #[test]
    fn alerts_during_the_warm_up_come_from_the_ensemble() {
        // Three days at 5-minute steps of a 50 +- 20 daily cycle: far from the two
        // weeks the seasonal shift detector's warm-up wants. The cycle alone raises
        // nothing; a +120 spike on top raises one alert, from the ensemble.
        let mut d = Detector::new(DetectorConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let cycle = |i: i64| {
            let phase = (i % 288) as f64 / 288.0 * std::f64::consts::TAU;
            (50.0 + 20.0 * phase.sin() + ((i * 31) % 9) as f64).round()
        };
        let quiet: Vec<Scored> = (0..864)
            .map(|i| d.push_count(i * 300, Some(cycle(i))))
            .collect();
        assert!(
            quiet.iter().all(|s| !s.alert),
            "an alert on the plain cycle"
        );
        assert!(quiet.iter().map(|s| s.anomaly.score).fold(0.0, f64::max) < 0.5);
        let spike = d.push_count(864 * 300, Some(cycle(864) + 120.0));
        assert_eq!(spike.status, Status::Warmup);
        assert!(spike.alert && spike.direction == Direction::Up, "{spike:?}");
        assert!(matches!(
            spike.component,
            Component::Level | Component::TimeOfDay
        ));
        let expected = spike
            .expected
            .unwrap_or_else(|| panic!("no band: {spike:?}"));
        let observed = spike.observed.unwrap_or_default();
        assert!(expected.low <= expected.value && expected.value <= expected.high);
        assert!(observed > expected.high, "{spike:?}");
        assert_eq!(spike.baseline, Some(expected.value));
    }

    #[test]
    fn the_ensemble_does_not_alert_on_sampling_noise_of_a_sparse_series() {
        // Two mentions an hour on average, Poisson-like, for three days: chance
        // 0 -> 7 jumps are unusual for the series' own spread now and then, but
        // neither beyond its sampling noise nor backed by `min_volume` mentions.
        let mut d = Detector::new(DetectorConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut state = 7_u64;
        let mut alerts = 0;
        for hour in 0..72 * 4 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            // Inverse CDF of Poisson(2) from one uniform.
            let (mut k, mut p, mut cdf) = (0.0, (-2.0_f64).exp(), (-2.0_f64).exp());
            while u > cdf {
                k += 1.0;
                p *= 2.0 / k;
                cdf += p;
            }
            alerts += u32::from(d.push_count(hour * 900, Some(k)).alert);
        }
        assert_eq!(alerts, 0);
    }

    #[test]
    fn plain_values_alert_on_the_ensemble_alone() {
        let mut d = Detector::new(DetectorConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut alerts = Vec::new();
        for i in 0..600_i64 {
            // A latency-like series around -3 (any sign is fine), one jump at 500.
            let v = -3.0 + 0.1 * ((i * 37 % 11) as f64 - 5.0) + if i == 500 { 4.0 } else { 0.0 };
            let s = d.push_value(i * 60, Some(v));
            assert_eq!(s.status, Status::Scored);
            assert_eq!(s.score, s.anomaly.score, "values are not gated");
            if s.alert {
                alerts.push(i);
            }
        }
        assert_eq!(alerts, [500]);
    }

    #[test]
    fn state_stays_small() {
        let d = Detector::new(DetectorConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(d.state_bytes() < 2048, "{} bytes", d.state_bytes());
    }

    #[test]
    fn mixing_kinds_is_rejected() {
        let mut d = Detector::new(DetectorConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        d.push_count(0, Some(3.0));
        assert_eq!(d.push_share(3600, 1.0, 2.0).status, Status::WrongKind);
    }
}
