#[path = "../tests/common/synth.rs"]
mod synth;
use earshot_detection::{Detector, DetectorConfig};
use synth::*;
fn main() {
    for seed in 1..=5 {
    let spec = Spec::count("t", "t", 0.2, Season::Daily).with(|s| { s.noise = 0.1; s.seed = seed; }).change(600, ChangeKind::Step(25.0));
    let pts = generate(&spec);
    let mut d = Detector::new(DetectorConfig::default()).unwrap();
    let mut out = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let s = d.push_count(p.t, p.value);
        out.push(format!("{i} h{} obs={:?} base={:.1} z={:.2} score={:.3} alert={}", (p.t % 86400)/3600, p.value, s.baseline.unwrap_or(-1.0), s.z, s.score, s.alert));
        if s.alert && i > 700 { for l in &out[i-30..] { println!("{l}"); } }
    }
    }
}
