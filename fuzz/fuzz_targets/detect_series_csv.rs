#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Every row read is pushed through the detector, as `earshot detect-series` does.
    let mut detector =
        earshot_detection::Detector::new(earshot_detection::DetectorConfig::default())
            .expect("default detector config is valid");
    for row in earshot_detection::series_csv::rows(data).take(5_000) {
        let Ok(row) = row else { continue };
        let scored = detector.push_value(row.timestamp, row.value);
        assert!(
            scored.score.is_finite() && (0.0..=1.0).contains(&scored.score),
            "score {}",
            scored.score
        );
    }
});
