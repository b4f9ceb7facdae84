//! Online seasonal profiles keyed by wall-clock position.

use serde::{Deserialize, Serialize};

const MAX_SLOTS: usize = 24;
/// Smallest seasonal factor: a slot may be quiet, never predicted as negative.
const MIN_FACTOR: f64 = 0.05;
/// Visits a slot is credited with after a restart: its next updates move it by
/// 2/11, 2/12, ... of the residual: faster than usual, not yet jumpy.
const RESTART_VISITS: u32 = 10;

/// Relative offsets per slot of a cycle (hour of day, day of week), learned online.
///
/// Slots come from the timestamp, so a missing point never shifts the phase. The
/// offsets are kept centred by subtracting their running mean, which makes the
/// level absorb the average and keeps level and profile from drifting against
/// each other. Early on each slot is a linearly weighted mean of what it saw (recent
/// visits weigh more, so a rough first cycle fades fast); later it becomes an
/// exponential average so the profile can follow slow changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Profile {
    offsets: [f64; MAX_SLOTS],
    visits: [u32; MAX_SLOTS],
    sum: f64,
    slots: u8,
    slot_secs: u32,
    /// Start time and index of the last slot looked up: consecutive points land in
    /// the same or the next slot, which avoids 64-bit divisions on the hot path.
    cached_start: i64,
    cached_slot: u8,
    /// `1 / slots`, and the share of a cycle's learning one point gets at
    /// `per_point_step`: cached to keep divisions off the per-point path.
    inv_slots: f64,
    per_point: f64,
    per_point_step: u32,
}

impl Profile {
    /// Hour-of-day profile (24 slots of one hour).
    pub(crate) fn hour_of_day() -> Self {
        Self::new(24, 3600)
    }

    /// Day-of-week profile (7 slots of one day, UTC).
    pub(crate) fn day_of_week() -> Self {
        Self::new(7, 86_400)
    }

    fn new(slots: u8, slot_secs: u32) -> Self {
        Self {
            offsets: [0.0; MAX_SLOTS],
            visits: [0; MAX_SLOTS],
            sum: 0.0,
            slots,
            slot_secs,
            cached_start: i64::MIN,
            cached_slot: 0,
            inv_slots: 1.0 / f64::from(slots),
            per_point: 1.0,
            per_point_step: 0,
        }
    }

    /// Slot index of a unix timestamp.
    #[inline]
    pub(crate) fn slot(&mut self, t: i64) -> usize {
        let width = i64::from(self.slot_secs);
        let offset = t.wrapping_sub(self.cached_start);
        if (0..width).contains(&offset) {
            return usize::from(self.cached_slot);
        }
        if (width..2 * width).contains(&offset) {
            self.cached_start = self.cached_start.saturating_add(width);
            let next = self.cached_slot + 1;
            self.cached_slot = if next == self.slots { 0 } else { next };
            return usize::from(self.cached_slot);
        }
        let index = t.div_euclid(width);
        self.cached_start = index * width;
        // rem_euclid of a positive modulus is in [0, slots), so the cast is lossless.
        self.cached_slot = index.rem_euclid(i64::from(self.slots)) as u8;
        usize::from(self.cached_slot)
    }

    /// Centred offset of a slot.
    #[inline]
    pub(crate) fn offset(&self, slot: usize) -> f64 {
        self.offsets[slot] - self.sum * self.inv_slots
    }

    /// Keeps the offsets but forgets how sure they are, so the next cycles reshape
    /// them quickly (after the series moved to a very different level).
    pub(crate) fn restart_learning(&mut self) {
        self.visits = self.visits.map(|v| v.min(RESTART_VISITS));
    }

    /// Multiplicative factor of a slot: one plus its centred offset, kept positive.
    #[inline]
    pub(crate) fn factor(&self, slot: usize) -> f64 {
        (1.0 + self.offset(slot)).max(MIN_FACTOR)
    }

    /// Moves a slot by part of the residual it should explain and returns the change,
    /// so the caller can pass only the unexplained part on.
    ///
    /// `rate` is per cycle: a slot visited by several points per cycle (an hour-long
    /// slot with 15-minute points, a day-long slot with hourly points) learns that
    /// much less from each, so every profile remembers the same number of cycles.
    #[inline]
    pub(crate) fn learn(&mut self, slot: usize, residual: f64, rate: f64, step_secs: u32) -> f64 {
        let visits = self.visits[slot].saturating_add(1);
        self.visits[slot] = visits;
        if step_secs != self.per_point_step {
            self.per_point_step = step_secs;
            self.per_point = (f64::from(step_secs) / f64::from(self.slot_secs)).min(1.0);
        }
        let rate = rate * self.per_point;
        let weighted_mean_rate = 2.0 / (f64::from(visits) + 1.0);
        let rate = if (f64::from(visits) + 1.0) * rate < 2.0 {
            weighted_mean_rate
        } else {
            rate
        };
        let delta = rate * residual;
        self.offsets[slot] += delta;
        self.sum += delta;
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_wall_clock_across_gaps() {
        let mut p = Profile::hour_of_day();
        // 2024-01-01T00:00:00Z
        let t0 = 1_704_067_200;
        assert_eq!(p.slot(t0), 0);
        assert_eq!(p.slot(t0 + 1800), 0);
        assert_eq!(p.slot(t0 + 3600), 1);
        assert_eq!(p.slot(t0 + 5 * 3600 + 10), 5);
        assert_eq!(p.slot(t0 + 29 * 3600), 5);
        assert_eq!(p.slot(t0 - 3600), 23);
        let mut w = Profile::day_of_week();
        assert_eq!(w.slot(t0), w.slot(t0 + 7 * 86_400));
        assert_ne!(w.slot(t0), w.slot(t0 + 86_400));
    }

    #[test]
    fn offsets_stay_centred() {
        let mut p = Profile::day_of_week();
        for slot in 0..7 {
            p.learn(slot, slot as f64, 0.5, 3600);
        }
        let mean: f64 = (0..7).map(|s| p.offset(s)).sum::<f64>() / 7.0;
        assert!(mean.abs() < 1e-12);
    }
}
