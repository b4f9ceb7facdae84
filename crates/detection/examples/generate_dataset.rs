//! Writes the labelled evaluation set to `crates/detection/data/` (deterministic).
//!
//! `cargo run -p earshot-detection --example generate_dataset`

#[path = "../tests/common/synth.rs"]
mod synth;

use std::fmt::Write as _;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let series_dir = dir.join("series");
    std::fs::create_dir_all(&series_dir)?;
    let mut manifest = String::from("file,kind,category,seasonality,noise,step_secs,changes\n");
    let specs = synth::dataset();
    for spec in &specs {
        let points = synth::generate(spec);
        let (kind, header) = match spec.kind {
            synth::Kind::Count { .. } => ("count", "timestamp,value,label\n"),
            synth::Kind::Share { .. } => ("share", "timestamp,numerator,denominator,label\n"),
        };
        let mut csv = String::from(header);
        for p in &points {
            let value = p.value.map(|v| v.to_string()).unwrap_or_default();
            let label = u8::from(p.label);
            // Writing to a String cannot fail.
            let _ = match p.denominator {
                Some(n) => writeln!(csv, "{},{value},{n},{label}", p.t),
                None if kind == "share" => writeln!(csv, "{},,,{label}", p.t),
                None => writeln!(csv, "{},{value},{label}", p.t),
            };
        }
        let file = format!("series/{}.csv", spec.name);
        std::fs::write(dir.join(&file), csv)?;
        let changes = points.iter().filter(|p| p.label).count();
        let _ = writeln!(
            manifest,
            "{file},{kind},{},{},{},{},{changes}",
            spec.category,
            spec.season.name(),
            spec.noise,
            spec.step_secs
        );
    }
    std::fs::write(dir.join("manifest.csv"), manifest)?;
    println!("wrote {} series to {}", specs.len(), dir.display());
    Ok(())
}
