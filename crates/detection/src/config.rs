//! Detector configuration: thresholds, gates and smoothing rates, with validation.

use serde::{Deserialize, Serialize};
use thiserror::Error;

const DAY_SECS: u32 = 86_400;
const WEEK_SECS: u32 = 7 * DAY_SECS;

/// Which seasonal profiles the baseline learns.
///
/// Profiles are keyed by wall-clock position (hour of day, day of week, in UTC),
/// not by point index, so gaps in the series never shift the phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Seasonality {
    /// No seasonal profile: level and trend only.
    None,
    /// Hour-of-day profile.
    Daily,
    /// Day-of-week profile.
    Weekly,
    /// Hour-of-day and day-of-week profiles, added together.
    DailyAndWeekly,
    /// Chosen from the step: hour-of-day when a day has at least 4 points,
    /// day-of-week when a week has at least 7 points.
    #[default]
    Auto,
}

impl Seasonality {
    /// Resolves `Auto` into concrete (daily, weekly) flags for a step length.
    pub(crate) fn resolve(self, step_secs: u32) -> (bool, bool) {
        let daily_fits = step_secs <= DAY_SECS / 4;
        let weekly_fits = step_secs <= DAY_SECS;
        match self {
            Seasonality::None => (false, false),
            Seasonality::Daily => (daily_fits, false),
            Seasonality::Weekly => (false, weekly_fits),
            Seasonality::DailyAndWeekly => (daily_fits, weekly_fits),
            Seasonality::Auto => (daily_fits, weekly_fits),
        }
    }
}

/// Tuning of one [`Detector`](crate::Detector).
///
/// The defaults suit hourly or finer rollups of mention counts and shares; every
/// field can be overridden, and [`DetectorConfig::validate`] names the first bad one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectorConfig {
    /// Expected spacing of points in seconds. `None` infers it from the smallest
    /// gap between timestamps seen during warm-up.
    pub step_secs: Option<u32>,
    /// Seasonal profiles to learn.
    pub seasonality: Seasonality,
    /// Points to learn from before any alert may fire. `None` picks two weekly
    /// cycles, three daily cycles or 48 points, depending on the seasonality in use.
    pub warmup_points: Option<u32>,
    /// Score at or above which an alert starts (score is in `[0, 1]`).
    pub enter_score: f64,
    /// Score below which an active alert ends; must not exceed `enter_score`.
    pub exit_score: f64,
    /// Points after an alert ends during which no new alert may start.
    pub cooldown_points: u32,
    /// Minimum volume behind an alert: mentions for counts, summed denominators
    /// for shares, over the points that carry the evidence.
    pub min_volume: f64,
    /// Standardised residual that counts as a spike (scores 0.5 on its own).
    pub spike_z: f64,
    /// Counts and shares: how many standard deviations of noise (sampling noise
    /// plus the overdispersion the baseline learned) a point must lie from what an
    /// anomaly-ensemble component expected, and, once the seasonal baseline is
    /// warm, from that baseline too, before the component may alert. Keeps the
    /// ensemble, which judges a series against its own recent errors, from alerting
    /// on a sparse series' or a small denominator's chance wiggles, and on a stale
    /// time-of-day profile after a shift the baseline has already re-levelled to.
    pub ensemble_z: f64,
    /// CUSUM allowance in standard deviations: drifts smaller than this are ignored.
    pub shift_allowance: f64,
    /// CUSUM decision interval: accumulated evidence that counts as a shift
    /// (scores 0.5 on its own).
    pub shift_threshold: f64,
    /// Level smoothing rate in normal operation (0, 1].
    pub level_rate: f64,
    /// Level smoothing rate while an alert is active or cooling down, so the
    /// baseline catches up with a new level instead of alerting again.
    pub recovery_rate: f64,
    /// Trend smoothing rate, relative to the level rate, [0, 1].
    pub trend_rate: f64,
    /// Per-step damping of the trend, (0, 1]; below 1 stops extrapolating old slopes forever.
    pub trend_damping: f64,
    /// Seasonal profile smoothing rate (0, 1].
    pub season_rate: f64,
    /// Rate of the exponentially weighted residual variance (0, 1].
    pub variance_rate: f64,
    /// Gap, in steps, after which accumulated shift evidence is discarded.
    pub max_gap_points: u32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            step_secs: None,
            seasonality: Seasonality::Auto,
            warmup_points: None,
            enter_score: 0.5,
            exit_score: 0.3,
            cooldown_points: 24,
            min_volume: 20.0,
            spike_z: 5.0,
            ensemble_z: 4.0,
            shift_allowance: 0.5,
            shift_threshold: 10.0,
            level_rate: 0.03,
            recovery_rate: 0.25,
            trend_rate: 0.02,
            trend_damping: 0.98,
            season_rate: 0.1,
            variance_rate: 0.02,
            max_gap_points: 48,
        }
    }
}

/// A configuration field outside its valid range.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    /// The field must be a finite number inside the stated range.
    #[error("invalid detector config: `{field}` = {value} must be {expected}")]
    OutOfRange {
        /// Name of the offending field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
}

fn check(
    field: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value,
            expected,
        })
    }
}

impl DetectorConfig {
    /// Checks every field, returning the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(step) = self.step_secs {
            check("step_secs", f64::from(step), step > 0, "> 0")?;
        }
        if let Some(warmup) = self.warmup_points {
            check("warmup_points", f64::from(warmup), warmup >= 2, ">= 2")?;
        }
        let unit = |v: f64| v > 0.0 && v <= 1.0;
        check(
            "enter_score",
            self.enter_score,
            self.enter_score > 0.0 && self.enter_score < 1.0,
            "in (0, 1)",
        )?;
        check(
            "exit_score",
            self.exit_score,
            self.exit_score > 0.0 && self.exit_score <= self.enter_score,
            "in (0, enter_score]",
        )?;
        check(
            "min_volume",
            self.min_volume,
            self.min_volume >= 0.0,
            ">= 0",
        )?;
        check("spike_z", self.spike_z, self.spike_z > 0.0, "> 0")?;
        check(
            "ensemble_z",
            self.ensemble_z,
            self.ensemble_z >= 0.0,
            ">= 0",
        )?;
        check(
            "shift_allowance",
            self.shift_allowance,
            self.shift_allowance >= 0.0,
            ">= 0",
        )?;
        check(
            "shift_threshold",
            self.shift_threshold,
            self.shift_threshold > 0.0,
            "> 0",
        )?;
        check(
            "level_rate",
            self.level_rate,
            unit(self.level_rate),
            "in (0, 1]",
        )?;
        check(
            "recovery_rate",
            self.recovery_rate,
            unit(self.recovery_rate),
            "in (0, 1]",
        )?;
        check(
            "trend_rate",
            self.trend_rate,
            (0.0..=1.0).contains(&self.trend_rate),
            "in [0, 1]",
        )?;
        check(
            "trend_damping",
            self.trend_damping,
            unit(self.trend_damping),
            "in (0, 1]",
        )?;
        check(
            "season_rate",
            self.season_rate,
            unit(self.season_rate),
            "in (0, 1]",
        )?;
        check(
            "variance_rate",
            self.variance_rate,
            unit(self.variance_rate),
            "in (0, 1]",
        )?;
        check(
            "max_gap_points",
            f64::from(self.max_gap_points),
            self.max_gap_points >= 1,
            ">= 1",
        )?;
        Ok(())
    }

    /// Warm-up length in points for a step, resolving `None` from the seasonality.
    pub(crate) fn warmup_for(&self, step_secs: u32) -> u32 {
        if let Some(points) = self.warmup_points {
            return points;
        }
        let (daily, weekly) = self.seasonality.resolve(step_secs);
        let span_secs = if weekly {
            2 * WEEK_SECS
        } else if daily {
            3 * DAY_SECS
        } else {
            0
        };
        (span_secs / step_secs.max(1)).max(48)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(DetectorConfig::default().validate(), Ok(()));
    }

    #[test]
    fn error_names_the_field() {
        let cfg = DetectorConfig {
            exit_score: 0.9,
            ..DetectorConfig::default()
        };
        let err = cfg.validate().unwrap_err();
        assert!(err.to_string().contains("exit_score"), "{err}");

        let cfg = DetectorConfig {
            level_rate: f64::NAN,
            ..DetectorConfig::default()
        };
        assert!(matches!(
            cfg.validate(),
            Err(ConfigError::OutOfRange {
                field: "level_rate",
                ..
            })
        ));
    }

    #[test]
    fn auto_seasonality_follows_the_step() {
        assert_eq!(Seasonality::Auto.resolve(3600), (true, true));
        assert_eq!(Seasonality::Auto.resolve(86_400), (false, true));
        assert_eq!(Seasonality::Auto.resolve(7 * 86_400), (false, false));
        let cfg = DetectorConfig::default();
        assert_eq!(cfg.warmup_for(3600), 336);
        assert_eq!(cfg.warmup_for(86_400), 48);
    }
}
