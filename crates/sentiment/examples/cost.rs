//! Runs `toward` over the benchmark's posts many times and prints the CPU time per call:
//! on a machine shared with other work, wall-clock benchmarks swing by 3x, while the
//! process's own CPU time (`perf stat -e task-clock`) moves far less.
//!
//! ```text
//! cargo build --release -p earshot-sentiment --example cost
//! perf stat -e task-clock target/release/examples/cost pl 200 100000
//! ```
//! task-clock / calls = CPU time per post.

use earshot_sentiment::Analyzer;

#[path = "../benches/posts.rs"]
mod posts;

fn main() {
    let mut args = std::env::args().skip(1);
    let language = args.next().unwrap_or_else(|| "pl".to_string());
    let size: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let calls: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let analyzer = Analyzer::new();
    let (_, brand, post) = posts::POSTS
        .iter()
        .find(|(l, _, _)| *l == language)
        .expect("a language of benches/posts.rs");
    let text = posts::sized(post, size);
    let spans = posts::spans(&text, brand);
    let mut evidence = 0;
    for _ in 0..calls {
        evidence += analyzer
            .toward(std::hint::black_box(&text), &language, &spans)
            .evidence
            .len();
    }
    println!(
        "{calls} calls on {} bytes, {evidence} evidence items",
        text.len()
    );
}
