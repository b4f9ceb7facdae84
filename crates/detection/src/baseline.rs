//! Robust online baseline: damped Holt level and trend, multiplicative hour-of-day and
//! day-of-week profiles, and a winsorised residual variance, all in the stabilised domain.

use serde::{Deserialize, Serialize};

use crate::config::DetectorConfig;
use crate::seasonal::Profile;

/// Residuals beyond this many standard deviations are clipped before they update
/// the level, so one spike cannot drag the baseline (Huber-style robust smoothing).
const LEVEL_CLIP_SIGMAS: f64 = 3.0;
/// Residuals beyond this many standard deviations are clipped before they update the
/// variance, so outliers widen the error bars only a little.
const VARIANCE_CLIP_SIGMAS: f64 = 4.0;
/// Points learned without clipping: the first residuals say nothing yet about scale.
const UNCLIPPED_POINTS: u64 = 8;
/// Floor on the deseasonalised level when dividing by it (stabilised values are
/// positive, but a trend may briefly push the level down).
const MIN_BASE: f64 = 1e-3;

/// How a point may change the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Learning {
    /// Normal operation: clipped residuals update level, trend, seasons and variance.
    Robust,
    /// After an alert: the level follows the data quickly and unclipped, so a new
    /// level becomes the baseline; seasons and variance stay as they were, because
    /// the residuals belong to the event, not to the daily cycle or the noise.
    Recovery,
}

/// Expected value of the next point and how uncertain it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forecast {
    /// Expected stabilised value.
    pub mean: f64,
    /// Standard deviation of a point around `mean`: sampling noise plus learned excess.
    pub sigma: f64,
    /// Level plus trend, before the seasonal factors.
    base: f64,
    /// The inverse of what the excess variance is multiplied by at this point.
    inv_excess_scale: f64,
    daily_factor: f64,
    weekly_factor: f64,
    daily_slot: usize,
    weekly_slot: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    level: f64,
    trend: f64,
    /// Variance beyond the sampling floor (overdispersion), relative to the squared
    /// forecast for counts; may dip below zero, in which case the floor alone applies.
    excess_var: f64,
    daily: Option<Profile>,
    weekly: Option<Profile>,
    points: u64,
    /// Points the variance has learned from since it was last restarted.
    variance_points: u64,
    /// Step of the series, which sets how much each point teaches a seasonal slot.
    step_secs: u32,
    points_per_day: u64,
}

impl Baseline {
    pub(crate) fn new(daily: bool, weekly: bool, step_secs: u32) -> Self {
        Self {
            step_secs,
            points_per_day: points_per_day(step_secs),
            level: 0.0,
            trend: 0.0,
            excess_var: 0.0,
            daily: daily.then(Profile::hour_of_day),
            weekly: weekly.then(Profile::day_of_week),
            points: 0,
            variance_points: 0,
        }
    }

    /// Adds profiles that a newly known (smaller) step makes meaningful.
    pub(crate) fn enable_seasons(&mut self, daily: bool, weekly: bool, step_secs: u32) {
        self.step_secs = step_secs;
        self.points_per_day = points_per_day(step_secs);
        if daily && self.daily.is_none() {
            self.daily = Some(Profile::hour_of_day());
        }
        if weekly && self.weekly.is_none() {
            self.weekly = Some(Profile::day_of_week());
        }
    }

    /// Deseasonalised level, to compare before and after an event.
    pub(crate) fn level(&self) -> f64 {
        self.level
    }

    /// After a move to a very different level, the seasonal shape and the noise
    /// learned at the old level no longer fit (a series going from 0.2 to 5 mentions
    /// an hour gains a daily cycle it could not show before): relearn them quickly.
    pub(crate) fn restart_learning(&mut self) {
        if let Some(p) = self.daily.as_mut() {
            p.restart_learning();
        }
        if let Some(p) = self.weekly.as_mut() {
            p.restart_learning();
        }
        self.variance_points = 1;
    }

    /// Whether at least one point has been learned.
    #[inline]
    pub(crate) fn is_started(&self) -> bool {
        self.points > 0
    }

    /// Carries level and trend across `missing` unobserved steps.
    pub(crate) fn skip(&mut self, missing: u64, damping: f64) {
        if missing == 0 || self.trend == 0.0 {
            return;
        }
        let m = i32::try_from(missing).unwrap_or(i32::MAX);
        let decay = damping.powi(m);
        let travelled = if damping < 1.0 {
            damping * (1.0 - decay) / (1.0 - damping)
        } else {
            missing as f64
        };
        self.level += self.trend * travelled;
        self.trend *= decay;
    }

    /// Forecast for a point at time `t` whose sampling variance is `sampling_var`.
    #[inline]
    ///
    /// With `relative_excess` the overdispersion grows with the square of the forecast
    /// (negative-binomial counts: quiet nights are less noisy than busy afternoons);
    /// without it, it is constant (beta-binomial shares in the arcsine domain).
    pub(crate) fn forecast(
        &mut self,
        t: i64,
        sampling_var: f64,
        relative_excess: bool,
        damping: f64,
    ) -> Forecast {
        let base = self.level + damping * self.trend;
        let mut daily_slot = 0;
        let mut weekly_slot = 0;
        let mut daily_factor = 1.0;
        let mut weekly_factor = 1.0;
        if let Some(p) = self.daily.as_mut() {
            daily_slot = p.slot(t);
            daily_factor = p.factor(daily_slot);
        }
        if let Some(p) = self.weekly.as_mut() {
            weekly_slot = p.slot(t);
            weekly_factor = p.factor(weekly_slot);
        }
        let mean = base * daily_factor * weekly_factor;
        let excess_scale = if relative_excess {
            mean.max(MIN_BASE).powi(2)
        } else {
            1.0
        };
        let inv_excess_scale = if relative_excess {
            1.0 / excess_scale
        } else {
            1.0
        };
        Forecast {
            mean,
            sigma: (sampling_var + self.excess_var.max(0.0) * excess_scale).sqrt(),
            inv_excess_scale,
            base,
            daily_factor,
            weekly_factor,
            daily_slot,
            weekly_slot,
        }
    }

    /// Updates the state with the observed stabilised value `x`.
    #[inline]
    pub(crate) fn learn(
        &mut self,
        forecast: &Forecast,
        x: f64,
        sampling_var: f64,
        learning: Learning,
        cfg: &DetectorConfig,
    ) {
        let damping = cfg.trend_damping;
        if self.points == 0 {
            self.level = x;
            self.points = 1;
            return;
        }
        self.points += 1;
        let residual = x - forecast.mean;
        let season = forecast.daily_factor * forecast.weekly_factor;
        let base = forecast.base.max(MIN_BASE);
        // The level update divides only by the seasonal factors, which do not depend
        // on the level: that keeps a division off the point-to-point dependency chain.
        let inv_season = 1.0 / season;
        let inv_mean = inv_season / base;
        if learning == Learning::Recovery {
            self.level += damping * self.trend + cfg.recovery_rate * residual * inv_season;
            self.trend *= damping;
            return;
        }

        let clipped = self.points > UNCLIPPED_POINTS;
        let bound = LEVEL_CLIP_SIGMAS * forecast.sigma;
        let r = if clipped {
            residual.clamp(-bound, bound)
        } else {
            residual
        };
        // Early on the level is a running mean; later an exponential one. It learns
        // the deseasonalised residual.
        let alpha = rate_after(cfg.level_rate, self.points);
        self.level += damping * self.trend + alpha * r * inv_season;
        self.trend = damping * self.trend + cfg.level_rate * cfg.trend_rate * r * inv_season;

        // The seasons explain what the level did not: the hour-of-day shape first (it
        // is seen every day), the day-of-week effect from what remains. Residuals are
        // taken relative to the forecast, since the profiles are multiplicative.
        let mut unexplained = (1.0 - alpha) * r;
        if let Some(p) = self.daily.as_mut() {
            let relative = unexplained * forecast.daily_factor * inv_mean;
            let learned = p.learn(
                forecast.daily_slot,
                relative,
                cfg.season_rate,
                self.step_secs,
            );
            unexplained -= learned * base * forecast.weekly_factor;
        }
        // The day-of-week profile waits for two days of data: before that the level
        // and hour-of-day shape are too rough, and their errors would stick to the
        // first weekdays for weeks.
        let weekly_ready = self.points > 2 * self.points_per_day;
        if let Some(p) = self.weekly.as_mut().filter(|_| weekly_ready) {
            let relative = unexplained * forecast.weekly_factor * inv_mean;
            p.learn(
                forecast.weekly_slot,
                relative,
                cfg.season_rate,
                self.step_secs,
            );
        }

        let var_bound = VARIANCE_CLIP_SIGMAS * forecast.sigma;
        let squared = if clipped {
            residual.clamp(-var_bound, var_bound).powi(2)
        } else {
            residual * residual
        };
        self.variance_points += 1;
        let rate = rate_after(cfg.variance_rate, self.variance_points);
        let excess = (squared - sampling_var) * forecast.inv_excess_scale;
        self.excess_var += rate * (excess - self.excess_var);
    }
}

fn points_per_day(step_secs: u32) -> u64 {
    86_400 / u64::from(step_secs.max(1))
}

/// `max(rate, 1 / points)`: a running mean at first, an exponential average once
/// `points` exceeds `1 / rate`, without a division in the common case.
#[inline]
fn rate_after(rate: f64, points: u64) -> f64 {
    let n = points as f64;
    if n * rate < 1.0 { 1.0 / n } else { rate }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_tracks_a_constant_and_resists_a_spike() {
        let cfg = DetectorConfig::default();
        let mut b = Baseline::new(false, false, 3600);
        for i in 0..200 {
            let x = 10.0 + if i % 2 == 0 { 0.5 } else { -0.5 };
            let f = b.forecast(i * 3600, 0.25, true, cfg.trend_damping);
            b.learn(&f, x, 0.25, Learning::Robust, &cfg);
        }
        let before = b.forecast(200 * 3600, 0.25, true, cfg.trend_damping);
        assert!((before.mean - 10.0).abs() < 0.1, "{}", before.mean);
        b.learn(&before, 100.0, 0.25, Learning::Robust, &cfg);
        let after = b.forecast(201 * 3600, 0.25, true, cfg.trend_damping);
        assert!((after.mean - 10.0).abs() < 0.2, "{}", after.mean);
    }

    #[test]
    fn skip_extrapolates_a_damped_trend() {
        let mut b = Baseline::new(false, false, 3600);
        b.points = 10;
        b.trend = 1.0;
        b.skip(3, 1.0);
        assert!((b.level - 3.0).abs() < 1e-12);
    }
}
