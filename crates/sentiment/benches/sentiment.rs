//! Cost of sentiment per post: toward a brand and overall, for 200-byte and 2-KB posts in
//! each language. The enrichment must stay at 50,000 mentions/s on one core (20 µs a
//! mention for everything), so sentiment should cost a few µs for a 200-byte post.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use earshot_sentiment::Analyzer;

mod posts;
use posts::{POSTS, sized, spans};

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::new();
    let mut group = c.benchmark_group("sentiment");
    for (lang, brand, post) in POSTS {
        for (size, text) in [("200B", sized(post, 200)), ("2KB", sized(post, 2048))] {
            let brand_spans = spans(&text, brand);
            group.throughput(Throughput::Elements(1));
            group.bench_function(format!("toward/{lang}/{size}"), |b| {
                b.iter(|| analyzer.toward(black_box(&text), lang, black_box(&brand_spans)))
            });
            group.bench_function(format!("overall/{lang}/{size}"), |b| {
                b.iter(|| analyzer.overall(black_box(&text), lang))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
