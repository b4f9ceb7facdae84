//! Behaviour of the rules and the model, one hard case of social text at a time.

use std::sync::LazyLock;

use super::*;

static RULES: LazyLock<Analyzer> = LazyLock::new(Analyzer::rules_only);
static FULL: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);

/// The byte ranges of every case-insensitive occurrence of `brand` in `text`.
fn spans(text: &str, brand: &str) -> Vec<Range<usize>> {
    let lower = text.to_lowercase();
    let needle = brand.to_lowercase();
    lower
        .match_indices(&needle)
        .map(|(i, m)| i..i + m.len())
        .collect()
}

fn toward(analyzer: &Analyzer, text: &str, lang: &str, brand: &str) -> Sentiment {
    let s = spans(text, brand);
    assert!(!s.is_empty(), "{brand} not in {text}");
    analyzer.toward(text, lang, &s)
}

fn polarity(text: &str, lang: &str) -> Polarity {
    RULES.overall(text, lang).polarity
}

#[test]
fn embedded_tables_and_model_load() {
    Analyzer::try_rules_only().expect("tables parse");
    for (language, bytes) in ["pl", "en", "de", "uk"].into_iter().zip(MODELS) {
        let model = Model::from_bytes(bytes).unwrap_or_else(|e| panic!("{language} model: {e}"));
        assert!(
            model.bits >= 12,
            "{language} model is a trained one, not a stub"
        );
    }
}

#[test]
fn plain_polarity_per_language() {
    assert_eq!(polarity("The app is great", "en"), Polarity::Positive);
    assert_eq!(polarity("The app is terrible", "en"), Polarity::Negative);
    assert_eq!(
        polarity("Świetna obsługa, polecam", "pl"),
        Polarity::Positive
    );
    assert_eq!(polarity("Beznadziejna obsługa", "pl"), Polarity::Negative);
    assert_eq!(
        polarity("Der Service war hervorragend", "de"),
        Polarity::Positive
    );
    assert_eq!(
        polarity("Der Service war furchtbar", "de"),
        Polarity::Negative
    );
    assert_eq!(
        polarity("Чудовий сервіс, рекомендую", "uk"),
        Polarity::Positive
    );
    assert_eq!(polarity("Жахливий сервіс", "uk"), Polarity::Negative);
}

#[test]
fn negation_flips_polarity() {
    assert_eq!(
        polarity("Nie polecam tego sklepu", "pl"),
        Polarity::Negative
    );
    assert_eq!(polarity("I do not like this app", "en"), Polarity::Negative);
    assert_eq!(polarity("not bad at all", "en"), Polarity::Positive);
    assert_eq!(polarity("Das war nicht schlecht", "de"), Polarity::Positive);
    assert_eq!(polarity("Das ist nicht gut", "de"), Polarity::Negative);
    assert_eq!(polarity("Це не добре", "uk"), Polarity::Negative);
    assert_eq!(polarity("Dostawa bez problemu", "pl"), Polarity::Positive);
}

#[test]
fn negation_is_shown_in_evidence() {
    let s = RULES.overall("Das ist nicht gut", "de");
    assert!(
        s.evidence.iter().any(|e| e == "negated: gut"),
        "{:?}",
        s.evidence
    );
}

#[test]
fn intensifiers_strengthen_and_diminishers_weaken() {
    let plain = RULES.overall("The food was good", "en").score;
    let very = RULES.overall("The food was very good", "en").score;
    let slightly = RULES.overall("The food was slightly good", "en").score;
    assert!(
        very > plain && plain > slightly,
        "{very} {plain} {slightly}"
    );
    let pl_plain = RULES.overall("jedzenie dobre", "pl").score;
    let pl_very = RULES.overall("jedzenie bardzo dobre", "pl").score;
    assert!(pl_very > pl_plain);
}

#[test]
fn caps_and_elongation_emphasise() {
    let plain = RULES.overall("this is good", "en").score;
    let caps = RULES.overall("this is GOOD", "en").score;
    let long = RULES.overall("this is goooood", "en").score;
    assert!(caps > plain, "{caps} {plain}");
    assert!(long > plain, "{long} {plain}");
    assert_eq!(polarity("suuuuper", "pl"), Polarity::Positive);
}

#[test]
fn contrast_weighs_the_clause_after_but() {
    let text = "Tanio w Biedronce, ale obsługa to dramat";
    let s = toward(&RULES, text, "pl", "Biedronce");
    assert_eq!(s.polarity, Polarity::Negative, "{s:?}");
    let reverse = "Obsługa w Lidlu słaba, ale ceny świetne";
    assert_eq!(
        toward(&RULES, reverse, "pl", "Lidl").polarity,
        Polarity::Positive
    );
    let en = "The staff were rude but the food was amazing";
    assert_eq!(polarity(en, "en"), Polarity::Positive);
}

#[test]
fn emoji_and_emoticons_carry_sentiment() {
    assert_eq!(polarity("Paczka z InPostu 😍", "pl"), Polarity::Positive);
    assert_eq!(polarity("Zalando 😡😡", "de"), Polarity::Negative);
    assert_eq!(polarity("monzo again :(", "en"), Polarity::Negative);
    assert_eq!(polarity("Tesco <3", "en"), Polarity::Positive);
    let s = RULES.overall("Deutsche Bahn 🤡", "de");
    assert!(s.evidence.iter().any(|e| e == "🤡"), "{:?}", s.evidence);
}

#[test]
fn questions_and_service_requests_are_neutral() {
    assert_eq!(
        polarity("Is the new Monzo card any good?", "en"),
        Polarity::Neutral
    );
    assert_eq!(
        polarity("Czy ktoś wie, do której jest otwarta Żabka?", "pl"),
        Polarity::Neutral
    );
    assert_eq!(
        polarity("Wie kann ich bei Zalando eine Rücksendung anmelden?", "de"),
        Polarity::Neutral
    );
    assert_eq!(
        polarity("Підкажіть, як змінити адресу доставки?", "uk"),
        Polarity::Neutral
    );
}

#[test]
fn complaints_are_flagged_and_praise_is_not() {
    let s = RULES.overall(
        "Paczka nie dotarła, czekam od tygodnia, reklamacja zero odzewu",
        "pl",
    );
    assert_eq!(s.polarity, Polarity::Negative);
    assert!(s.complaint, "{s:?}");
    let de = RULES.overall("Zug ausgefallen, schon wieder 40 Minuten Verspätung", "de");
    assert!(de.complaint && de.polarity == Polarity::Negative, "{de:?}");
    let uk = RULES.overall("Посилка досі не прийшла, підтримка не відповідає", "uk");
    assert!(uk.complaint, "{uk:?}");
    let en = RULES.overall(
        "Still waiting for my refund, customer service is useless",
        "en",
    );
    assert!(en.complaint, "{en:?}");
    assert!(!RULES.overall("Szybka dostawa, polecam", "pl").complaint);
}

#[test]
fn an_employees_negative_post_is_not_a_customer_complaint() {
    // Same grievance words, one in a customer's voice and one in an employee's: only
    // the customer's is a complaint about the product or service.
    for (customer, employee, lang) in [
        (
            "W Biedronce znowu kolejka, czekałam 40 minut, dramat",
            "Pracuję w Biedronce, znowu kolejka, 40 minut bez przerwy, dramat",
            "pl",
        ),
        (
            "Mein Zug ausgefallen, schon wieder 40 Minuten Verspätung",
            "Meine Schicht heute: Zug ausgefallen, 40 Minuten Verspätung",
            "de",
        ),
        (
            "Посилка досі не прийшла, мені ніхто не відповідає",
            "Працюю у відділенні, посилка досі не прийшла, мені ніхто не відповідає",
            "uk",
        ),
        (
            "Still waiting for my refund, customer service is useless",
            "I work at the store and customer service is useless, still waiting",
            "en",
        ),
    ] {
        let c = RULES.overall(customer, lang);
        let e = RULES.overall(employee, lang);
        assert!(c.complaint && c.polarity == Polarity::Negative, "{c:?}");
        assert_eq!(e.polarity, Polarity::Negative, "{employee}: {e:?}");
        assert!(!e.complaint, "{employee}: {e:?}");
    }
    // A customer naming the staff is still a customer.
    let s = RULES.overall("Kurier znowu nie przyszedł, czekam od rana, dramat", "pl");
    assert!(s.complaint, "{s:?}");
}

#[test]
fn again_and_never_again_mark_a_complaint() {
    // A customer's grievance often names no broken thing, only that it keeps happening
    // ("znowu", "schon wieder", "знову", "again") or that they are leaving ("nigdy więcej").
    for (text, lang) in [
        ("Biedronka znowu podniosła ceny, dramat", "pl"),
        ("Nigdy więcej, beznadzieja", "pl"),
        ("Die App ist schon wieder furchtbar", "de"),
        ("Моно знову жахливий", "uk"),
        ("The app is terrible again", "en"),
    ] {
        let s = RULES.overall(text, lang);
        assert_eq!(s.polarity, Polarity::Negative, "{text}: {s:?}");
        assert!(s.complaint, "{text}: {s:?}");
    }
}

#[test]
fn comparison_where_another_brand_wins_counts_against_the_brand() {
    let text = "Lidl jest dużo lepszy niż Biedronka";
    assert_eq!(
        toward(&RULES, text, "pl", "Lidl").polarity,
        Polarity::Positive
    );
    let s = toward(&RULES, text, "pl", "Biedronka");
    assert_eq!(s.polarity, Polarity::Negative, "{s:?}");
    assert!(
        s.evidence.iter().any(|e| e.starts_with("comparison")),
        "{:?}",
        s.evidence
    );
    let en = "Monzo is so much better than Tesco Bank";
    assert_eq!(
        toward(&RULES, en, "en", "Tesco").polarity,
        Polarity::Negative
    );
    let de = "Zalando ist günstiger als der Laden um die Ecke";
    assert_eq!(
        toward(&RULES, de, "de", "Zalando").polarity,
        Polarity::Positive
    );
}

#[test]
fn sentiment_far_from_the_brand_counts_less() {
    let text = "Orlen ok. Ale ta druga stacja obok to dramat, brud i chamstwo.";
    let toward_orlen = toward(&RULES, text, "pl", "Orlen").score;
    let overall = RULES.overall(text, "pl").score;
    assert!(toward_orlen > overall, "{toward_orlen} {overall}");
}

#[test]
fn irony_marker_turns_praise_negative() {
    assert_eq!(
        polarity("Great, another delay. Love it #sarcasm", "en"),
        Polarity::Negative
    );
    assert_eq!(
        polarity("Super, znowu spóźnienie /s", "pl"),
        Polarity::Negative
    );
    assert_eq!(polarity("Dzięki za nic", "pl"), Polarity::Negative);
}

#[test]
fn unknown_language_is_not_guessed() {
    let s = FULL.overall("C'est vraiment génial", "fr");
    assert_eq!(s.polarity, Polarity::Unknown);
    assert_eq!(s.score, 0.0);
    assert!(s.evidence[0].contains("fr"));
}

#[test]
fn no_sentiment_words_is_neutral() {
    let s = RULES.overall("Paczkomat przy ulicy Długiej", "pl");
    assert_eq!(s.polarity, Polarity::Neutral);
    assert!(s.confidence > 0.9);
}

#[test]
fn english_model_decides_with_evidence() {
    let s = FULL.overall("I love my new Monzo card, best bank ever!", "en");
    assert_eq!(s.polarity, Polarity::Positive);
    assert!(s.evidence.iter().any(|e| e.starts_with("model:")));
    let neg = FULL.overall("Worst customer service ever, still no refund", "en");
    assert_eq!(neg.polarity, Polarity::Negative);
    assert!(neg.complaint);
}

#[test]
fn serialises_lowercase() {
    let s = RULES.overall("świetne", "pl");
    let json = serde_json::to_string(&s).expect("serialises");
    assert!(json.contains("\"polarity\":\"positive\""), "{json}");
    let unknown = serde_json::to_string(&Polarity::Unknown).expect("serialises");
    assert_eq!(unknown, "\"unknown\"");
}

#[test]
fn scores_stay_in_range_for_extreme_text() {
    let text = "AMAZING!!!! 😍😍😍😍 best best best best love love love".repeat(20);
    let s = RULES.overall(&text, "en");
    assert!((-1.0..=1.0).contains(&s.score) && (0.0..=1.0).contains(&s.confidence));
}

#[test]
fn model_bytes_round_trip() {
    let model = Model::from_bytes(EN_MODEL).expect("parses");
    let again = Model::from_bytes(&model.to_bytes()).expect("round trip");
    assert_eq!(model.bits, again.bits);
    assert_eq!(model.weights.len(), again.weights.len());
    assert!(Model::from_bytes(b"nope").is_err());
}

#[test]
fn analyzer_is_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Analyzer>();
    let text = "Nie polecam, dramat";
    let answers: Vec<Polarity> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| FULL.overall(text, "pl").polarity))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(answers, [Polarity::Negative, Polarity::Negative]);
}

#[test]
fn every_language_model_decides_with_evidence() {
    for (lang, text, brand) in [
        (
            "pl",
            "Paczkomat InPost znowu nie działa, nie polecam",
            "InPost",
        ),
        (
            "de",
            "Die Deutsche Bahn hat schon wieder Verspätung, furchtbar",
            "Deutsche Bahn",
        ),
        (
            "uk",
            "Нова пошта загубила посилку, жахливий сервіс",
            "Нова пошта",
        ),
    ] {
        let s = toward(&FULL, text, lang, brand);
        assert_eq!(s.polarity, Polarity::Negative, "{lang}: {:?}", s.evidence);
        assert!(
            s.evidence.iter().any(|e| e.starts_with("model:")),
            "{lang}: {:?}",
            s.evidence
        );
    }
}

#[test]
fn brand_placeholder_makes_the_brand_name_irrelevant() {
    use model::flags;
    let a = "Zakupy w Żabce, obsługa miła";
    let b = "Zakupy w Lidlu, obsługa miła";
    let feature = |text: &str, brand: &str, f: u32| {
        RULES
            .features(text, "pl", &spans(text, brand), 16, f)
            .expect("pl has a lexicon")
    };
    let with = flags::BRAND_PLACEHOLDER;
    assert_eq!(feature(a, "Żabce", with), feature(b, "Lidlu", with));
    assert_ne!(feature(a, "Żabce", 0), feature(b, "Lidlu", 0));
}

#[test]
fn brand_window_marks_only_the_words_next_to_the_brand() {
    use model::flags;
    // "super" is two tokens from Lidl, "dramat" six: only "super" gets a window feature.
    let text = "Lidl jest super a tam w tym drugim dramat";
    let n = |f: u32| {
        RULES
            .features(text, "pl", &spans(text, "Lidl"), 16, f)
            .expect("pl")
            .len()
    };
    let base = flags::BRAND_PLACEHOLDER;
    // "jest", "super" and "a" are within three tokens of the brand.
    assert_eq!(n(base | flags::BRAND_WINDOW), n(base) + 3);
    // No brand, no window features.
    let no_brand = |f: u32| RULES.features(text, "pl", &[], 16, f).expect("pl").len();
    assert_eq!(no_brand(flags::BRAND_WINDOW), no_brand(0));
}

#[test]
fn word_prefixes_and_trigrams_only_when_the_model_asks() {
    use model::flags;
    let text = "polecam";
    let n = |f: u32| RULES.features(text, "pl", &[], 16, f).expect("pl").len();
    let plain = n(0);
    assert_eq!(n(flags::PREFIXES), plain + 1, "one prefix feature");
    assert_eq!(
        n(flags::CHAR_TRIGRAMS),
        plain + 5,
        "five trigrams of 7 letters"
    );
    assert!(RULES.features(text, "fr", &[], 16, 0).is_none());
}

#[test]
fn model_flags_survive_the_byte_round_trip_and_version_1_still_reads() {
    let model = Model::from_bytes(UK_MODEL).expect("parses");
    assert_ne!(model.flags, 0, "the uk model uses the brand placeholder");
    let again = Model::from_bytes(&model.to_bytes()).expect("round trip");
    assert_eq!(again.flags, model.flags);
    // A version-1 file (no flags) reads as flags 0.
    let mut v1 = model.to_bytes();
    v1[..4].copy_from_slice(b"ESM1");
    v1.drain(12..16);
    let old = Model::from_bytes(&v1).expect("version 1 parses");
    assert_eq!((old.flags, old.bits), (0, model.bits));
}
