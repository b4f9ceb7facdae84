//! Throughput of one detector over 10,000 hourly points (counts, shares and plain
//! values), the anomaly ensemble and, for counts and shares, the seasonal shift
//! detector and the alert gates included. 10,000 series x 10,000 points is this
//! figure times 10,000 (series are independent); the `full_scale` example runs
//! that workload for real. The state per series is printed before the runs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use earshot_detection::{Detector, DetectorConfig};

const POINTS: usize = 10_000;

/// A seasonal series with a step, from a fixed linear congruential sequence.
fn series() -> Vec<(i64, f64, f64)> {
    let mut state = 42_u64;
    (0..POINTS)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let noise = (state >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
            let hour = (i % 24) as f64;
            let level = if i > POINTS / 2 { 160.0 } else { 100.0 };
            let value = (level * (1.0 + 0.4 * (hour / 24.0 * std::f64::consts::TAU).sin())
                + 20.0 * noise)
                .round();
            (i as i64 * 3600, value, (value * 3.0).round())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = series();
    let cfg = DetectorConfig {
        step_secs: Some(3600),
        ..DetectorConfig::default()
    };
    let probe = Detector::new(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "state per series: {} bytes (Detector), of which {} the anomaly ensemble",
        probe.state_bytes(),
        earshot_detection::AnomalyScore::new().state_bytes()
    );
    let mut group = c.benchmark_group("detector");
    group.throughput(Throughput::Elements(POINTS as u64));
    group.bench_function("counts_10k_points", |b| {
        b.iter(|| {
            let mut detector = Detector::new(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
            let mut alerts = 0_u32;
            for &(t, value, _) in &data {
                alerts += u32::from(detector.push_count(t, Some(black_box(value))).alert);
            }
            alerts
        });
    });
    group.bench_function("shares_10k_points", |b| {
        b.iter(|| {
            let mut detector = Detector::new(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
            let mut alerts = 0_u32;
            for &(t, value, total) in &data {
                alerts += u32::from(detector.push_share(t, black_box(value), total).alert);
            }
            alerts
        });
    });
    group.bench_function("values_10k_points", |b| {
        b.iter(|| {
            let mut detector = Detector::new(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
            let mut alerts = 0_u32;
            for &(t, value, _) in &data {
                alerts += u32::from(detector.push_value(t, Some(black_box(value))).alert);
            }
            alerts
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
