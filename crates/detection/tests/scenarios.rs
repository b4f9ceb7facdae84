//! Generated series with known changes: each test states how soon the detector must
//! alert, and the no-shift series must not alert at all.

mod common;

use common::synth::{ChangeKind, Point, Season, Spec, generate};
use earshot_detection::{Detector, DetectorConfig, Direction, Scored, Status};

/// An alert: index of the point, its direction, baseline and observed values.
#[derive(Debug, Clone, Copy)]
struct Alert {
    index: usize,
    direction: Direction,
    baseline: f64,
    observed: f64,
}

fn run(points: &[Point]) -> Vec<Alert> {
    run_with(points, DetectorConfig::default(), |p| p.value)
}

fn run_with(
    points: &[Point],
    cfg: DetectorConfig,
    numerator: impl Fn(&Point) -> Option<f64>,
) -> Vec<Alert> {
    let mut detector = Detector::new(cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut alerts = Vec::new();
    for (index, p) in points.iter().enumerate() {
        let scored: Scored = match p.denominator {
            Some(n) => detector.push_share(p.t, numerator(p).unwrap_or(f64::NAN), n),
            None => detector.push_count(p.t, numerator(p)),
        };
        assert!(
            (0.0..=1.0).contains(&scored.score),
            "score {} at {index}",
            scored.score
        );
        if scored.alert {
            alerts.push(Alert {
                index,
                direction: scored.direction,
                baseline: scored.baseline.unwrap_or(f64::NAN),
                observed: scored.observed.unwrap_or(f64::NAN),
            });
        }
    }
    alerts
}

/// Asserts exactly one alert, in `direction`, within `max_delay` points of `at`.
fn assert_single_alert(
    alerts: &[Alert],
    at: usize,
    max_delay: usize,
    direction: Direction,
) -> Alert {
    assert_eq!(
        alerts.len(),
        1,
        "expected one alert near {at}, got {alerts:?}"
    );
    let alert = alerts[0];
    assert!(
        (at..=at + max_delay).contains(&alert.index),
        "alert at {} not within {max_delay} points after {at}",
        alert.index
    );
    assert_eq!(alert.direction, direction);
    alert
}

fn counts(level: f64, season: Season, noise: f64, seed: u64) -> Spec {
    Spec::count("test", "test", level, season).with(|s| {
        s.noise = noise;
        s.seed = seed;
    })
}

#[test]
fn step_up_alerts_within_10_points() {
    for seed in 1..=5 {
        let spec = counts(200.0, Season::Both, 0.1, seed).change(600, ChangeKind::Step(1.4));
        let alert = assert_single_alert(&run(&generate(&spec)), 600, 10, Direction::Up);
        assert!(alert.observed > 1.15 * alert.baseline, "{alert:?}");
    }
}

#[test]
fn step_down_alerts_within_10_points() {
    for seed in 1..=5 {
        let spec = counts(200.0, Season::Both, 0.1, seed).change(600, ChangeKind::Step(0.7));
        let alert = assert_single_alert(&run(&generate(&spec)), 600, 10, Direction::Down);
        assert!(alert.observed < 0.9 * alert.baseline, "{alert:?}");
    }
}

#[test]
fn spike_alerts_on_the_spike_itself() {
    for seed in 1..=5 {
        let spec = counts(200.0, Season::Daily, 0.1, seed).change(
            600,
            ChangeKind::Spike {
                factor: 3.0,
                len: 1,
            },
        );
        assert_single_alert(&run(&generate(&spec)), 600, 0, Direction::Up);
    }
}

#[test]
fn slow_ramp_alerts_before_it_ends() {
    for seed in 1..=5 {
        let spec = counts(150.0, Season::Both, 0.1, seed).change(
            600,
            ChangeKind::Ramp {
                factor: 1.6,
                len: 72,
            },
        );
        let alerts = run(&generate(&spec));
        // A long ramp may re-alert once the cooldown ends; the first alert is what counts.
        assert!(!alerts.is_empty(), "ramp not detected");
        assert!(alerts.len() <= 2, "{alerts:?}");
        assert_single_alert(&alerts[..1], 600, 72, Direction::Up);
    }
}

#[test]
fn share_flip_between_two_brands_alerts_both_ways_within_10_points() {
    for seed in 1..=5 {
        // Brand A holds 55% of 300 mentions an hour, then drops to 44%; brand B is the rest.
        let spec = Spec::share("flip", "flip", 0.55, 300.0)
            .with(|s| {
                s.season = Season::Both;
                s.seed = seed;
            })
            .change(600, ChangeKind::Step(0.8));
        let points = generate(&spec);
        let brand_a = run(&points);
        let alert = assert_single_alert(&brand_a, 600, 10, Direction::Down);
        assert!(alert.observed < alert.baseline - 0.05, "{alert:?}");
        let brand_b = run_with(&points, DetectorConfig::default(), |p| {
            Some(p.denominator.unwrap_or(0.0) - p.value.unwrap_or(0.0))
        });
        // Known weakness: over the five seeds brand B gets one late false alert (about
        // one per 3,000 scored points), so only its first alert must be the flip.
        assert!(brand_b.len() <= 2, "{brand_b:?}");
        assert_single_alert(&brand_b[..1], 600, 10, Direction::Up);
    }
}

#[test]
fn seasonal_series_without_shift_stay_quiet() {
    for seed in 1..=8 {
        for season in [Season::Daily, Season::Weekly, Season::Both] {
            for (level, noise) in [(500.0, 0.05), (60.0, 0.25)] {
                let spec = counts(level, season, noise, seed).with(|s| s.amplitude = 0.6);
                let alerts = run(&generate(&spec));
                assert!(
                    alerts.is_empty(),
                    "{season:?} level {level} seed {seed}: {alerts:?}"
                );
            }
        }
    }
}

#[test]
fn trending_series_without_shift_stay_quiet() {
    for seed in 1..=5 {
        let spec = counts(100.0, Season::Both, 0.1, seed).with(|s| s.growth = 3.0);
        let alerts = run(&generate(&spec));
        assert!(alerts.is_empty(), "seed {seed}: {alerts:?}");
    }
}

#[test]
fn sparse_series_without_shift_stay_quiet() {
    for seed in 1..=10 {
        for level in [0.05, 0.2, 0.8, 2.0] {
            let spec = counts(level, Season::Daily, 0.2, seed);
            let points = generate(&spec);
            let zeros = points.iter().filter(|p| p.value == Some(0.0)).count();
            if level <= 0.2 {
                assert!(zeros > points.len() * 3 / 4, "not sparse: {zeros} zeros");
            }
            let alerts = run(&points);
            assert!(alerts.is_empty(), "level {level} seed {seed}: {alerts:?}");
        }
    }
}

#[test]
fn sparse_series_with_a_shift_alerts_within_8_points() {
    for seed in 1..=5 {
        let spec = counts(0.2, Season::Daily, 0.1, seed).change(600, ChangeKind::Step(25.0));
        assert_single_alert(&run(&generate(&spec)), 600, 8, Direction::Up);
    }
}

#[test]
fn small_denominator_shares_stay_quiet() {
    for seed in 1..=10 {
        let spec = Spec::share("small", "small", 0.3, 5.0).with(|s| {
            s.season = Season::Both;
            s.seed = seed;
        });
        let alerts = run(&generate(&spec));
        assert!(alerts.is_empty(), "seed {seed}: {alerts:?}");
    }
}

#[test]
fn gaps_and_missing_values_do_not_alert() {
    for seed in 1..=5 {
        let spec = counts(120.0, Season::Both, 0.1, seed).with(|s| {
            s.missing_rate = 0.05;
            s.outage = Some((500, 30));
        });
        let points = generate(&spec);
        assert!(points.len() < spec.len - 29);
        let alerts = run(&points);
        assert!(alerts.is_empty(), "seed {seed}: {alerts:?}");
    }
}

#[test]
fn missing_values_are_reported_as_missing() {
    let cfg = DetectorConfig {
        step_secs: Some(3600),
        ..DetectorConfig::default()
    };
    let mut detector = Detector::new(cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(detector.push_count(0, Some(4.0)).status, Status::Warmup);
    assert_eq!(detector.push_count(3600, None).status, Status::Missing);
    assert_eq!(
        detector.push_count(7200, Some(f64::NAN)).status,
        Status::Missing
    );
    assert_eq!(
        detector.push_count(7200, Some(4.0)).status,
        Status::OutOfOrder
    );
}

#[test]
fn a_spike_during_warmup_does_not_poison_the_baseline() {
    let spec = counts(200.0, Season::None, 0.1, 3)
        .change(
            100,
            ChangeKind::Spike {
                factor: 10.0,
                len: 1,
            },
        )
        .change(600, ChangeKind::Step(1.4));
    assert_single_alert(&run(&generate(&spec)), 600, 6, Direction::Up);
}
