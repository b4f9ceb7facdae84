//! Observation models: turn a raw count or share into a variance-stabilised value
//! whose sampling noise is known, so one baseline and one z-score serve both.
//!
//! * Counts use Anscombe's square root, `sqrt(y + 3/8)`: Poisson noise then has
//!   variance about 1/4 whatever the level, so a sparse series going 0 -> 2 is a
//!   ~2 sigma wiggle, not a 200% jump.
//! * Shares use the arcsine square root, `asin(sqrt(p))` of the share kept 1% away
//!   from 0 and 1 (the same margin whatever the denominator): binomial noise then has
//!   variance about `1 / (4n + 2)`. This is the binomial score test on the
//!   share (like Wilson's interval) but stays well behaved at shares of 0 and 1, and
//!   a share out of 5 mentions gets an error bar as wide as it deserves.
//!
//! Extra-Poisson / extra-binomial noise (real data is overdispersed, like a
//! negative-binomial or beta-binomial) is learned by the baseline on top of this
//! sampling floor.

/// Largest raw value accepted; beyond it inputs are treated as invalid, which keeps
/// every intermediate (squares of residuals included) finite.
pub(crate) const MAX_VALUE: f64 = 1e12;

/// Shares are read as at least this far from 0 and 1 before the arcsine: enough to
/// tame the transform's slope at the edges, small enough for a brand at 2% share.
const EDGE: f64 = 0.01;

/// What kind of series a detector is tracking; fixed by the first valid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// Non-negative counts (mentions per step).
    Count,
    /// A numerator over a denominator (brand share, cohort share).
    Share,
    /// Any real-valued measurement with no known sampling noise (CPU load, latency,
    /// a net-sentiment index, NAB's series): scored by the anomaly ensemble alone.
    Value,
}

/// One valid point in the stabilised domain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observation {
    /// Stabilised value.
    pub x: f64,
    /// Sampling variance of `x` if the series had no noise beyond Poisson/binomial.
    pub sampling_var: f64,
    /// Mentions behind the point: the count, or the share's denominator.
    pub volume: f64,
    /// The value as the analyst reads it: the count, or the share in [0, 1].
    pub observed: f64,
}

/// Validates and stabilises a count; `None` for missing, negative or non-finite values.
#[inline]
pub(crate) fn count(value: f64) -> Option<Observation> {
    if !(0.0..=MAX_VALUE).contains(&value) {
        return None;
    }
    Some(Observation {
        x: (value + 0.375).sqrt(),
        sampling_var: 0.25,
        volume: value,
        observed: value,
    })
}

/// Validates a plain value (any sign); `None` for non-finite or absurd values.
#[inline]
pub(crate) fn value(value: f64) -> Option<Observation> {
    if !(-MAX_VALUE..=MAX_VALUE).contains(&value) {
        return None;
    }
    Some(Observation {
        x: value,
        sampling_var: 0.0,
        // No mentions stand behind a plain value: the volume gate does not apply.
        volume: 0.0,
        observed: value,
    })
}

/// A value in the analyst's units (count, or share in [0, 1]) in the stabilised
/// domain of its kind: the inverse of [`back_transform`].
#[inline]
pub(crate) fn stabilise(kind: SeriesKind, value: f64) -> f64 {
    match kind {
        SeriesKind::Count => (value.max(0.0) + 0.375).sqrt(),
        SeriesKind::Share => value.clamp(EDGE, 1.0 - EDGE).sqrt().asin(),
        SeriesKind::Value => value,
    }
}

/// Validates and stabilises a share; `None` when the denominator is zero or the
/// pair is not a valid proportion.
#[inline]
pub(crate) fn share(numerator: f64, denominator: f64) -> Option<Observation> {
    let valid = denominator > 0.0
        && denominator <= MAX_VALUE
        && numerator >= 0.0
        && numerator <= denominator;
    if !valid {
        return None;
    }
    // Shares are clamped to [EDGE, 1 - EDGE] before the arcsine, so the transform's
    // infinite slope at 0 and 1 cannot turn one mention of five into a huge
    // residual. The clamp does not depend on `n`, unlike Anscombe's
    // `(k + 3/8) / (n + 3/4)`: with that, a share that is always 1.0 moved with its
    // denominator (1.31 at 5 mentions, 1.51 at 100, against a sampling sigma of 0.05
    // at 100) and alerted on volume changes alone.
    let p = (numerator / denominator).clamp(EDGE, 1.0 - EDGE);
    Some(Observation {
        x: p.sqrt().asin(),
        sampling_var: 1.0 / (4.0 * denominator + 2.0),
        volume: denominator,
        observed: numerator / denominator,
    })
}

/// Maps a stabilised baseline back to the analyst's units.
#[inline]
pub(crate) fn back_transform(kind: SeriesKind, x: f64) -> f64 {
    match kind {
        SeriesKind::Count => (x.max(0.0).powi(2) - 0.375).max(0.0),
        SeriesKind::Share => {
            let s = x.clamp(0.0, std::f64::consts::FRAC_PI_2).sin();
            s * s
        }
        SeriesKind::Value => x,
    }
}

/// Expected volume at a baseline, used to gate drops (an empty point after a busy
/// baseline is evidence; an empty point after an empty baseline is not).
#[inline]
pub(crate) fn baseline_volume(kind: SeriesKind, baseline: f64, denominator: f64) -> f64 {
    match kind {
        SeriesKind::Count => baseline,
        SeriesKind::Share | SeriesKind::Value => denominator,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_invalid_inputs() {
        assert!(count(-1.0).is_none());
        assert!(count(f64::NAN).is_none());
        assert!(count(f64::INFINITY).is_none());
        assert!(share(1.0, 0.0).is_none());
        assert!(share(3.0, 2.0).is_none());
        assert!(share(f64::NAN, 2.0).is_none());
    }

    #[test]
    fn back_transform_roughly_inverts() {
        let c = count(100.0).map(|o| o.x).unwrap_or_default();
        assert!((back_transform(SeriesKind::Count, c) - 100.0).abs() < 1e-9);
        let s = share(30.0, 100.0).map(|o| o.x).unwrap_or_default();
        assert!((back_transform(SeriesKind::Share, s) - 0.30).abs() < 0.01);
    }

    #[test]
    fn a_constant_share_does_not_move_with_its_denominator() {
        let xs: Vec<f64> = [3.0, 5.0, 40.0, 1000.0]
            .iter()
            .filter_map(|&n| share(n, n).map(|o| o.x))
            .collect();
        assert_eq!(xs.len(), 4);
        assert!(xs.iter().all(|&x| (x - xs[0]).abs() < 1e-12), "{xs:?}");
        let zeros: Vec<f64> = [3.0, 1000.0]
            .iter()
            .filter_map(|&n| share(0.0, n).map(|o| o.x))
            .collect();
        assert_eq!(zeros.len(), 2);
        assert!((zeros[0] - zeros[1]).abs() < 1e-12, "{zeros:?}");
    }

    #[test]
    fn small_denominators_have_wide_error_bars() {
        let small = share(2.0, 5.0).map(|o| o.sampling_var).unwrap_or_default();
        let large = share(200.0, 500.0)
            .map(|o| o.sampling_var)
            .unwrap_or_default();
        assert!(small > 50.0 * large);
    }
}
