use earshot_detection::{Detector, DetectorConfig};
fn main() {
    let file = std::env::args().nth(1).unwrap();
    let cfg: DetectorConfig = serde_json::from_str(&std::env::var("DETECTOR_CONFIG").unwrap_or("{}".into())).unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    let mut d = Detector::new(cfg).unwrap();
    let mut hist = Vec::new();
    for (i, line) in text.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let t: i64 = f[0].parse().unwrap();
        let v = f[1].parse::<f64>().ok();
        let s = d.push_count(t, v);
        hist.push(format!("{i} h{} obs={:?} base={:.1} z={:.2} score={:.3}", (t % 86400) / 3600, v, s.baseline.unwrap_or(0.0), s.z, s.score));
        if s.alert {
            for h in &hist[hist.len().saturating_sub(14)..] { println!("{h}"); }
            println!("---");
        }
    }
}
