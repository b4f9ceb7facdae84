//! Cost of sentiment per post: toward a brand and overall, for 200-byte and 2-KB posts in
//! each language. The enrichment must stay at 50,000 mentions/s on one core (20 µs a
//! mention for everything), so sentiment should cost a few µs for a 200-byte post.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use earshot_sentiment::Analyzer;

/// Posts of about 200 bytes, one per language, with the hard cases in them.
const POSTS: [(&str, &str, &str); 4] = [
    (
        "pl",
        "Biedronka",
        "Znowu kolejka w Biedronce na 20 minut, kasa samoobsługowa nie działa, ale ceny naprawdę niezłe. Nie polecam w weekend 😤 Czy ktoś wie, czy w Lidlu jest lepiej niż tutaj? #zakupy",
    ),
    (
        "en",
        "Monzo",
        "Honestly Monzo has been great for me, the app is sooo smooth and support answered in minutes :) but the new fees are NOT cool. Still better than my old bank though! @monzo any plans to fix this?",
    ),
    (
        "de",
        "Deutsche Bahn",
        "Deutsche Bahn mal wieder: Zug ausgefallen, 40 Minuten Verspätung und keine Durchsage. Das Personal war aber echt freundlich 👍 Trotzdem, so kann das nicht weitergehen. #bahnchaos",
    ),
    (
        "uk",
        "Нова пошта",
        "Нова пошта знову затримала посилку на три дні 😡 Підтримка не відповідає, хоча відділення поруч працює добре і швидко. Дуже шкода, раніше було краще.",
    ),
];

fn spans(text: &str, brand: &str) -> Vec<std::ops::Range<usize>> {
    text.match_indices(brand).map(|(i, m)| i..i + m.len()).collect()
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::new();
    let mut group = c.benchmark_group("sentiment");
    for (lang, brand, post) in POSTS {
        let long = format!("{post} ").repeat(2048 / post.len() + 1);
        for (size, text) in [("200B", post.to_string()), ("2KB", long)] {
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
