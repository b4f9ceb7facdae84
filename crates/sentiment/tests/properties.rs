//! Whatever text and spans arrive, the analyser answers within its ranges and never panics:
//! social text is arbitrary Unicode and the matcher's spans may overlap or run past the end.

use earshot_sentiment::{Analyzer, Polarity};
use proptest::prelude::*;
use std::sync::LazyLock;

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);

fn social_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "nie",
        "polecam",
        "ale",
        "super",
        "dramat",
        "not",
        "bad",
        "but",
        "nicht",
        "schlecht",
        "aber",
        "не",
        "добре",
        "але",
        "Żabka",
        "Biedronce",
        "😡",
        "😍",
        "🙃",
        ":)",
        ":(",
        "!!!",
        "?",
        ",",
        ".",
        "\n",
        "#sarcasm",
        "/s",
        "@user",
        "https://t.co/x",
        "SOOO",
        "goooood",
        "lepszy",
        "niż",
        "better",
        "than",
        "als",
        "ніж",
        "\u{fe0f}",
        "\u{200d}",
        "'",
        "’",
    ]);
    prop::collection::vec(
        prop_oneof![pieces.prop_map(str::to_string), any::<String>()],
        0..30,
    )
    .prop_map(|parts| parts.join(" "))
}

proptest! {
    #[test]
    fn answers_stay_in_range(
        text in social_text(),
        language in prop::sample::select(vec!["pl", "en", "de", "uk", "fr", ""]),
        spans in prop::collection::vec((0usize..400, 0usize..40), 0..4),
    ) {
        let spans: Vec<_> = spans.into_iter().map(|(s, l)| s..s + l).collect();
        for s in [ANALYZER.toward(&text, language, &spans), ANALYZER.overall(&text, language)] {
            prop_assert!((-1.0..=1.0).contains(&s.score), "{s:?}");
            prop_assert!((0.0..=1.0).contains(&s.confidence), "{s:?}");
            prop_assert!(!s.evidence.is_empty(), "{s:?}");
            let known = ["pl", "en", "de", "uk"].contains(&language);
            prop_assert_eq!(s.polarity == Polarity::Unknown, !known);
            prop_assert!(!s.complaint || s.polarity == Polarity::Negative);
        }
    }
}
