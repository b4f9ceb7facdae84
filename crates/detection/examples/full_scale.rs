//! Scores 10,000 series of 10,000 points each (1e8 points) on one thread and prints
//! the wall time.
//!
//! `cargo run -p earshot-detection --example full_scale --release`

use std::time::Instant;

use earshot_detection::{Detector, DetectorConfig};

const SERIES: usize = 10_000;
const POINTS: usize = 10_000;
/// Distinct value patterns, reused across series so the input fits in cache-friendly
/// memory and the timing measures the detector, not a generator.
const PATTERNS: usize = 16;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut state = 7_u64;
    let patterns: Vec<Vec<f64>> = (0..PATTERNS)
        .map(|p| {
            let level = 5.0 + 40.0 * p as f64;
            (0..POINTS)
                .map(|i| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    let noise = (state >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
                    let hour = (i % 24) as f64 / 24.0 * std::f64::consts::TAU;
                    let step = if i > (p + 1) * POINTS / (PATTERNS + 2) {
                        1.5
                    } else {
                        1.0
                    };
                    (level * step * (1.0 + 0.4 * hour.sin()) * (1.0 + 0.3 * noise)).round()
                })
                .collect()
        })
        .collect();
    // DETECTOR_CONFIG (JSON) overrides the configuration, e.g. to time seasonality off.
    let cfg: DetectorConfig = match std::env::var("DETECTOR_CONFIG") {
        Ok(json) => serde_json::from_str(&json)?,
        Err(_) => DetectorConfig {
            step_secs: Some(3600),
            ..DetectorConfig::default()
        },
    };

    let started = Instant::now();
    let mut alerts = 0_u64;
    let mut score_sum = 0.0;
    let mut state_bytes = 0;
    for s in 0..SERIES {
        let values = &patterns[s % PATTERNS];
        let mut detector = Detector::new(cfg.clone())?;
        for (i, &v) in values.iter().enumerate() {
            let scored = detector.push_count(i as i64 * 3600, Some(v));
            alerts += u64::from(scored.alert);
            score_sum += scored.score + scored.anomaly.score;
        }
        state_bytes = detector.state_bytes();
    }
    let elapsed = started.elapsed();
    let points = (SERIES * POINTS) as f64;
    println!(
        "{SERIES} series x {POINTS} points = {points:.0} points in {:.2} s ({:.1} M points/s, one thread); {alerts} alerts, mean score {:.4}; state {state_bytes} bytes per series",
        elapsed.as_secs_f64(),
        points / elapsed.as_secs_f64() / 1e6,
        score_sum / points / 2.0
    );
    Ok(())
}
