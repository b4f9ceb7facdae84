//! Arbitrary inputs never panic, never produce a score outside [0, 1], and never
//! leave the detector in a state that poisons later points.

use earshot_detection::{Detector, DetectorConfig};
use proptest::prelude::*;

fn wild_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(1e300),
        -1e6..1e6_f64,
        0.0..50.0_f64,
        any::<f64>(),
    ]
}

fn timestamps() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(
        prop_oneof![
            Just(3600_i64),
            Just(0),
            Just(-3600),
            1..100_000_i64,
            Just(i64::MAX / 4)
        ],
        1..300,
    )
    .prop_map(|steps| {
        steps
            .into_iter()
            .scan(0_i64, |t, step| {
                *t = t.saturating_add(step);
                Some(*t)
            })
            .collect()
    })
}

fn config() -> impl Strategy<Value = DetectorConfig> {
    (
        prop::option::of(1..100_000_u32),
        prop::option::of(2..50_u32),
        0..5_u32,
    )
        .prop_map(
            |(step_secs, warmup_points, cooldown_points)| DetectorConfig {
                step_secs,
                warmup_points,
                cooldown_points,
                ..DetectorConfig::default()
            },
        )
}

proptest! {
    #[test]
    fn counts_never_panic_and_scores_stay_in_unit_interval(
        cfg in config(),
        times in timestamps(),
        values in prop::collection::vec(prop::option::of(wild_f64()), 300),
    ) {
        let mut detector = Detector::new(cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (t, v) in times.iter().zip(&values) {
            let s = detector.push_count(*t, *v);
            prop_assert!((0.0..=1.0).contains(&s.score), "score {}", s.score);
            prop_assert!(s.z.is_finite());
            prop_assert!(s.baseline.is_none_or(f64::is_finite));
        }
        // A sane point after the chaos still scores sanely.
        let last = times.last().copied().unwrap_or(0).saturating_add(3600);
        let s = detector.push_count(last, Some(10.0));
        prop_assert!((0.0..=1.0).contains(&s.score));
    }

    #[test]
    fn shares_never_panic_and_scores_stay_in_unit_interval(
        cfg in config(),
        times in timestamps(),
        pairs in prop::collection::vec((wild_f64(), wild_f64()), 300),
    ) {
        let mut detector = Detector::new(cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (t, (k, n)) in times.iter().zip(&pairs) {
            let s = detector.push_share(*t, *k, *n);
            prop_assert!((0.0..=1.0).contains(&s.score), "score {}", s.score);
            prop_assert!(s.z.is_finite());
            prop_assert!(s.observed.is_none_or(|p| (0.0..=1.0).contains(&p)));
        }
    }

    #[test]
    fn state_survives_serialisation(values in prop::collection::vec(0.0..1000.0_f64, 1..400)) {
        let cfg = DetectorConfig { step_secs: Some(60), warmup_points: Some(10), ..DetectorConfig::default() };
        let mut detector = Detector::new(cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, v) in values.iter().enumerate() {
            detector.push_count(i as i64 * 60, Some(*v));
        }
        let json = serde_json::to_string(&detector).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut back: Detector = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // JSON may round the last bit of a float; the resumed detector must behave the same.
        for (i, v) in values.iter().enumerate() {
            let t = (values.len() + i) as i64 * 60;
            let (a, b) = (detector.push_count(t, Some(*v)), back.push_count(t, Some(*v)));
            prop_assert!((a.score - b.score).abs() < 1e-9);
            prop_assert_eq!(a.alert, b.alert);
        }
    }
}
