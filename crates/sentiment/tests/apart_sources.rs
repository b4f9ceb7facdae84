//! The trainers' `--apart DIR[:SPLITS[:WEIGHT]]` parsing (shared by `train` and
//! `train_en` in `examples/common/apart.rs`): old single-directory command lines must keep
//! their meaning, and a weight of 0 (scored, never trained on) must survive parsing.

#[path = "../examples/common/apart.rs"]
mod apart;

use std::path::PathBuf;

use apart::{Source, parse_source, sources};

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_bare_directory_takes_the_old_flags_defaults() {
    assert_eq!(
        parse_source("eval/apart", &["dev", "test"], 3),
        Ok(Source {
            dir: PathBuf::from("eval/apart"),
            splits: vec!["dev".into(), "test".into()],
            weight: 3,
        })
    );
}

#[test]
fn splits_and_weight_are_per_directory() {
    let s = sources(
        &args(&[
            "pl",
            "--apart",
            "eval/apart:dev,test:3",
            "--with-others",
            "--apart",
            "eval/apart-v2:test:0",
            "--apart",
            "x::2",
        ]),
        &["dev"],
        1,
    )
    .expect("valid");
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].splits, vec!["dev", "test"]);
    assert_eq!(s[0].weight, 3);
    assert_eq!(s[1].dir, PathBuf::from("eval/apart-v2"));
    assert_eq!(s[1].name(), "apart-v2");
    assert_eq!(s[1].splits, vec!["test"]);
    assert_eq!(s[1].weight, 0, "0 = in the CV pool, never trained on");
    assert_eq!(
        s[2].splits,
        vec!["dev"],
        "an empty SPLITS keeps the default"
    );
    assert_eq!(s[2].weight, 2);
}

#[test]
fn bad_specs_are_errors_not_guesses() {
    assert!(parse_source(":test:3", &["dev"], 1).is_err());
    assert!(parse_source("dir:test:three", &["dev"], 1).is_err());
    assert!(sources(&args(&["--apart"]), &["dev"], 1).is_err());
    assert_eq!(sources(&args(&["pl", "x.jsonl"]), &["dev"], 1), Ok(vec![]));
}
