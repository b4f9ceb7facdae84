//! From standardised residuals to alerts: spike and shift evidence, the volume gate,
//! the score, and the episode state machine (hysteresis and cooldown).

use serde::{Deserialize, Serialize};

use crate::config::DetectorConfig;

/// Per-point residuals are clipped to this many sigmas before entering the CUSUM:
/// one huge point is the spike detector's business, the CUSUM looks for persistence.
const CUSUM_CLIP_SIGMAS: f64 = 4.0;

/// Which way an alert points, relative to the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Observed above baseline.
    Up,
    /// Observed below baseline.
    Down,
    /// No alert in progress.
    #[default]
    None,
}

/// Two-sided CUSUM on standardised residuals, with the volume behind each side.
///
/// It adds up how far residuals exceed an allowance, so a persistent 1-2 sigma
/// offset (a level shift, or a ramp the baseline lags behind) crosses the
/// threshold within a few points while independent noise keeps resetting it to 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cusum {
    up: f64,
    down: f64,
    up_volume: f64,
    down_volume: f64,
}

impl Cusum {
    #[inline]
    pub(crate) fn update(&mut self, z: f64, allowance: f64, observed_vol: f64, expected_vol: f64) {
        let z = z.clamp(-CUSUM_CLIP_SIGMAS, CUSUM_CLIP_SIGMAS);
        self.up = (self.up + z - allowance).max(0.0);
        self.up_volume = if self.up > 0.0 {
            self.up_volume + observed_vol
        } else {
            0.0
        };
        self.down = (self.down - z - allowance).max(0.0);
        self.down_volume = if self.down > 0.0 {
            self.down_volume + expected_vol
        } else {
            0.0
        };
    }

    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }
}

/// The strongest evidence at a point, already discounted by the volume gate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence {
    /// 1.0 means exactly at threshold.
    pub strength: f64,
    pub direction: Direction,
    /// True when the CUSUM (a persistent offset) carries it, false for one point.
    pub sustained: bool,
}

/// Scales evidence down when fewer than `min_volume` mentions stand behind it, so
/// sparse series and tiny denominators fade out smoothly instead of by a cliff.
#[inline]
pub(crate) fn gated(strength: f64, volume: f64, min_volume: f64) -> f64 {
    if volume >= min_volume {
        strength
    } else {
        strength * (volume / min_volume).max(0.0)
    }
}

/// Combines the point (spike) evidence and, when given, the CUSUM (shift) evidence.
#[inline]
pub(crate) fn evidence(
    z: f64,
    observed_vol: f64,
    expected_vol: f64,
    cusum: Option<&Cusum>,
    cfg: &DetectorConfig,
) -> Evidence {
    let (spike_dir, spike_vol) = if z >= 0.0 {
        (Direction::Up, observed_vol)
    } else {
        (Direction::Down, expected_vol)
    };
    let mut best = Evidence {
        strength: gated(z.abs() / cfg.spike_z, spike_vol, cfg.min_volume),
        direction: spike_dir,
        sustained: false,
    };
    if let Some(c) = cusum {
        let up = gated(c.up / cfg.shift_threshold, c.up_volume, cfg.min_volume);
        let down = gated(c.down / cfg.shift_threshold, c.down_volume, cfg.min_volume);
        if up > best.strength {
            best = Evidence {
                strength: up,
                direction: Direction::Up,
                sustained: true,
            };
        }
        if down > best.strength {
            best = Evidence {
                strength: down,
                direction: Direction::Down,
                sustained: true,
            };
        }
    }
    if !best.strength.is_finite() {
        best.strength = if best.strength.is_nan() {
            0.0
        } else {
            f64::MAX
        };
    }
    best
}

/// Maps evidence strength `e >= 0` to a score in [0, 1]: a logistic in `ln e`, i.e.
/// `e^4 / (1 + e^4)`. Zero evidence scores 0, threshold evidence 0.5, twice the
/// threshold 0.94; the steepness keeps ordinary noise well below 0.1.
#[inline]
pub(crate) fn score(strength: f64) -> f64 {
    let e2 = strength * strength;
    let e4 = e2 * e2;
    let s = e4 / (1.0 + e4);
    if s.is_nan() {
        // inf / inf: overwhelming evidence. (NaN strength never gets here: the
        // evidence is sanitised first.)
        if strength.is_nan() { 0.0 } else { 1.0 }
    } else {
        s.clamp(0.0, 1.0)
    }
}

/// Where a series is in its alert life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// Watching; an alert may start.
    #[default]
    Idle,
    /// An alert is in progress; it ends when the score drops below the exit threshold.
    Active(Direction),
    /// An alert just ended; no new one may start for this many more steps.
    Cooldown(u32),
}

/// What the state machine decided for one point.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub alert: bool,
    pub active: bool,
    pub direction: Direction,
}

impl Phase {
    /// Lets `steps` steps of time pass; returns true when a cooldown just expired.
    #[inline]
    pub(crate) fn elapse(&mut self, steps: u64) -> bool {
        if let Phase::Cooldown(left) = *self {
            let left = u64::from(left).saturating_sub(steps);
            if left == 0 {
                *self = Phase::Idle;
                return true;
            }
            *self = Phase::Cooldown(u32::try_from(left).unwrap_or(u32::MAX));
        }
        false
    }

    /// Whether the baseline should be in recovery (fast, unclipped) mode.
    #[inline]
    pub(crate) fn in_episode(&self) -> bool {
        !matches!(self, Phase::Idle)
    }

    /// Advances the machine with this point's score; `may_alert` is false in warm-up.
    #[inline]
    pub(crate) fn decide(
        &mut self,
        score: f64,
        direction: Direction,
        may_alert: bool,
        cfg: &DetectorConfig,
    ) -> Decision {
        match *self {
            Phase::Idle if may_alert && score >= cfg.enter_score => {
                *self = Phase::Active(direction);
                Decision {
                    alert: true,
                    active: true,
                    direction,
                }
            }
            Phase::Active(dir) if score >= cfg.exit_score => Decision {
                alert: false,
                active: true,
                direction: dir,
            },
            Phase::Active(_) => {
                *self = if cfg.cooldown_points == 0 {
                    Phase::Idle
                } else {
                    Phase::Cooldown(cfg.cooldown_points)
                };
                Decision::quiet()
            }
            _ => Decision::quiet(),
        }
    }
}

impl Decision {
    fn quiet() -> Self {
        Self {
            alert: false,
            active: false,
            direction: Direction::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_monotone_and_bounded() {
        assert_eq!(score(0.0), 0.0);
        assert!((score(1.0) - 0.5).abs() < 1e-12);
        assert!(score(2.0) > 0.9);
        assert_eq!(score(f64::INFINITY), 1.0);
        assert_eq!(score(f64::NAN), 0.0);
        let mut last = 0.0;
        for i in 0..100 {
            let s = score(f64::from(i) * 0.05);
            assert!(s >= last);
            last = s;
        }
    }

    #[test]
    fn hysteresis_and_cooldown_give_one_alert() {
        let cfg = DetectorConfig {
            cooldown_points: 3,
            ..DetectorConfig::default()
        };
        let mut phase = Phase::Idle;
        let scores = [0.1, 0.6, 0.4, 0.7, 0.2, 0.9, 0.9, 0.9, 0.9];
        let mut alerts = Vec::new();
        for s in scores {
            phase.elapse(1);
            alerts.push(phase.decide(s, Direction::Up, true, &cfg).alert);
        }
        // Starts at 0.6, stays through 0.4 and 0.7 (above exit), ends at 0.2,
        // then three cooldown steps swallow the 0.9s until the last one.
        assert_eq!(
            alerts,
            [false, true, false, false, false, false, false, true, false]
        );
    }

    #[test]
    fn low_volume_evidence_is_discounted() {
        let cfg = DetectorConfig::default();
        let loud = evidence(10.0, 1000.0, 1000.0, None, &cfg);
        let quiet = evidence(10.0, 2.0, 2.0, None, &cfg);
        assert!(loud.strength > 1.0);
        assert!(quiet.strength < 0.5);
    }
}
