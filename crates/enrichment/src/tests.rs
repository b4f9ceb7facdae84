//! Tests of the whole [`Enricher`]: brand queries and source types, which need the
//! brand matcher, the rules and the author together.

use earshot_model::{Author, MentionId, Platform, SCHEMA_VERSION};

use super::*;

fn brands() -> Vec<Brand> {
    vec![
        Brand {
            name: "Orlen".into(),
            keywords: vec!["Orlen".into(), "stacja orlen".into()],
            excluded: vec!["Orlen Cup".into()],
            hashtags: vec!["orlen".into()],
            handles: vec!["@orlen".into(), "orlen.bsky.social".into()],
            domains: vec!["orlen.pl".into()],
            employee_handles: vec!["jan_z_orlenu".into()],
            employee_domains: vec!["orlen.pl".into()],
            ..Brand::default()
        },
        Brand {
            name: "Żywiec".into(),
            keywords: vec!["Żywiec".into(), "Żywca".into(), "Żywcu".into()],
            required: vec!["piwo".into(), "beer".into(), "browar".into()],
            ..Brand::default()
        },
        Brand {
            name: "Apple".into(),
            keywords: vec!["Apple".into(), "iPhone".into()],
            excluded: vec!["apple pie".into()],
            ..Brand::default()
        },
    ]
}

fn enricher() -> Enricher {
    Enricher::new(&brands(), &EnrichmentConfig::default()).unwrap()
}

fn mention(text: &str, handle: &str, bio: &str) -> RawMention {
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Mastodon, "1"),
        platform: Platform::Mastodon,
        platform_id: "1".into(),
        url: String::new(),
        text: text.into(),
        created_at: "2026-05-20T10:00:00Z".parse().unwrap(),
        collected_at: "2026-05-20T10:00:05Z".parse().unwrap(),
        author: Author {
            id: "1".into(),
            handle: handle.into(),
            bio: bio.into(),
            ..Author::default()
        },
        engagement: Default::default(),
        language_hint: None,
        origin: Default::default(),
        source: String::new(),
        raw: Default::default(),
    }
}

fn matched(text: &str) -> Vec<String> {
    enricher()
        .enrich(&mention(text, "ala", ""))
        .brands
        .into_iter()
        .map(|b| b.brand)
        .collect()
}

/// The hand-written rules' answer for the first matched brand (the rules are the
/// model's strongest feature, so each rule is tested on its own).
fn source(text: &str, handle: &str, bio: &str) -> (SourceType, String) {
    let sample = enricher()
        .source_samples(&mention(text, handle, bio))
        .into_iter()
        .next()
        .expect("a brand match");
    (sample.rule.value, sample.rule.evidence.into_owned())
}

/// What `enrich` answers for the first matched brand: the model over the rules.
fn enriched_source(text: &str, handle: &str, bio: &str) -> (SourceType, String) {
    let e = enricher().enrich(&mention(text, handle, bio));
    let b = e.brands.into_iter().next().expect("a brand match");
    (b.source_type.value, b.source_type.evidence.into_owned())
}

#[test]
fn account_facts_are_never_overridden_by_the_model() {
    // The text reads like a customer's, but the handle is the brand's own.
    assert_eq!(
        enriched_source("Kupiłem paliwo na Orlenie, drogo", "orlen", ""),
        (SourceType::BrandAccount, "brand_account.handle".into())
    );
    assert_eq!(
        enriched_source("Kupiłem paliwo na Orlenie, drogo", "jan.orlen.pl", ""),
        (SourceType::Employee, "employee.domain".into())
    );
}

#[test]
fn the_model_reads_staff_and_customers() {
    let (value, evidence) = enriched_source(
        "Pracuję na stacji Orlen od pięciu lat i na mojej zmianie dziś tłumy, kawa się nie wyrabia",
        "ola",
        "",
    );
    assert_eq!(value, SourceType::Employee, "{evidence}");
    let (value, evidence) = enriched_source(
        "Kupiłem paliwo na Orlenie i zapłaciłem kartą, drogo jak zawsze",
        "ala",
        "",
    );
    assert_eq!(value, SourceType::Customer, "{evidence}");
}

#[test]
fn model_answers_carry_rule_or_model_evidence() {
    for text in [
        "Orlen again in the headlines today, after the board changed its strategy",
        "Na mojej zmianie na Orlenie dziś tłumy, kawa się nie wyrabia",
        "We're hiring engineers to work on Orlen charging stations across Poland",
    ] {
        let (value, evidence) = enriched_source(text, "ala", "");
        let (_, rule) = source(text, "ala", "");
        assert!(
            evidence == rule || evidence.starts_with("model."),
            "{text}: {value:?} {evidence}"
        );
        if value == SourceType::Unknown {
            assert!(evidence == "model.unsure" || evidence == rule, "{evidence}");
        }
    }
}

#[test]
fn matches_case_and_diacritics_insensitively() {
    assert_eq!(matched("zywiec to dobre piwo"), ["Żywiec"]);
    assert_eq!(matched("ORLEN podniósł ceny"), ["Orlen"]);
}

#[test]
fn respects_word_boundaries_and_inflection() {
    assert!(matched("Wakacje w Borlenge").is_empty());
    assert_eq!(matched("Tankowałem na Orlenie"), ["Orlen"]);
    assert_eq!(
        matched("Kupiłem paliwo w Orlenu? Nie, od Orlenem"),
        ["Orlen"]
    );
}

#[test]
fn required_and_excluded_terms() {
    assert!(
        matched("Jadę do Żywca na weekend").is_empty(),
        "required term missing"
    );
    assert_eq!(matched("W Żywcu otworzyli nowy browar"), ["Żywiec"]);
    assert!(matched("Orlen Cup 2026 results").is_empty());
    assert!(matched("grandma's apple pie").is_empty());
}

#[test]
fn hashtags_handles_and_domains_match() {
    assert_eq!(matched("#orlen znowu drożej"), ["Orlen"]);
    assert_eq!(matched("cc @orlen"), ["Orlen"]);
    assert_eq!(matched("see https://www.orlen.pl/pl/promocje"), ["Orlen"]);
    let e = enricher().enrich(&mention("cc @orlen", "ala", ""));
    assert_eq!(e.brands[0].evidence, "handle");
}

#[test]
fn several_brands_in_one_mention() {
    let mut got = matched("Piłem Żywiec (piwo) na stacji Orlen, płacąc iPhonem");
    got.sort();
    assert_eq!(got, ["Apple", "Orlen", "Żywiec"]);
}

#[test]
fn no_match_no_brands() {
    assert!(
        enricher()
            .enrich(&mention("Nic tu nie ma", "ala", ""))
            .brands
            .is_empty()
    );
}

#[test]
fn enrich_matched_answers_only_matched_mentions_with_enrichs_tags() {
    let e = enricher();
    let cases = [
        // Named, inflected, excluded only, own account unnamed, nothing with staff of the
        // brand in the bio (matched), a bio naming the brand without a role (not).
        mention(
            "Tanio na Orlenie, ale kolejka dramat 😡",
            "ala",
            "rocznik 91",
        ),
        mention("Orlen Cup w sobotę", "ala", ""),
        mention("@ala Przepraszamy, napisz do nas", "orlen", ""),
        mention("Nic tu nie ma, urodzona w 1998", "ala", "pracuję w Orlenie"),
        mention("Nic tu nie ma, urodzona w 1998", "ala", "kibic Orlen Teamu"),
        mention(
            "Piłem Żywiec na stacji Orlen, płacąc iPhonem",
            "ala",
            "24 yo",
        ),
    ];
    let mut matched = 0;
    for m in &cases {
        let full = e.enrich(m);
        let fast = e.enrich_matched(m);
        if full.brands.is_empty() {
            assert_eq!(fast, None, "{:?}", m.text);
        } else {
            matched += 1;
            assert_eq!(fast.as_ref(), Some(&full), "{:?}", m.text);
        }
    }
    assert_eq!(matched, 4, "the cases cover both answers");
}

#[test]
fn source_brand_own_account_is_brand_account() {
    assert_eq!(
        source("Nowa promocja na Orlen", "orlen", "").0,
        SourceType::BrandAccount
    );
    assert_eq!(
        source("Orlen news", "orlen.pl", "").1,
        "brand_account.handle"
    );
}

#[test]
fn the_brands_own_account_matches_without_naming_it() {
    let e = enricher().enrich(&mention(
        "@ala Przepraszamy, napisz do nas w wiadomości prywatnej",
        "orlen",
        "",
    ));
    assert_eq!(e.brands.len(), 1);
    assert_eq!(e.brands[0].evidence, "author.own_account");
    assert_eq!(e.brands[0].source_type.value, SourceType::BrandAccount);
}

fn named(text: &str, handle: &str, name: &str, bio: &str) -> Vec<(String, String)> {
    let mut m = mention(text, handle, bio);
    m.author.name = name.into();
    enricher()
        .enrich(&m)
        .brands
        .into_iter()
        .map(|b| (b.brand, b.evidence.to_string()))
        .collect()
}

#[test]
fn an_account_named_after_the_brand_matches_without_naming_it() {
    let reply = "@ala Przykro nam! Napisz nam numer zamówienia w wiadomości prywatnej";
    let orlen = || vec![("Orlen".to_string(), "author.named_after_brand".to_string())];
    // Support and shop accounts: camel case, separators, run together, display name.
    assert_eq!(named(reply, "OrlenHelp", "", ""), orlen());
    assert_eq!(named(reply, "orlen_pomoc", "", ""), orlen());
    assert_eq!(named(reply, "orlenpomoc.bsky.social", "", ""), orlen());
    assert_eq!(named(reply, "@pomoc", "Orlen Obsługa Klienta", ""), orlen());
    // Not named after it: a brand inside a word of the name, or no brand at all.
    assert_eq!(named(reply, "ala", "Borleny", ""), vec![]);
    assert_eq!(named(reply, "kasia_k", "Kasia", ""), vec![]);
    // A post naming another brand is about that brand, not the author's.
    assert_eq!(
        named("Nowy iPhone już u mnie", "orlen_pomoc", "", ""),
        vec![("Apple".to_string(), "keyword".to_string())]
    );
}

#[test]
fn staff_who_say_where_they_work_in_the_bio_are_matched_to_it() {
    let post = "Nocka na stacji, o 3 w nocy autokar kibiców i wszystkie hot dogi zjedzone";
    assert_eq!(
        named(post, "jacek", "Jacek", "pracuję w Orlenie, obsługa stacji"),
        vec![("Orlen".to_string(), "author.bio_role_at_brand".to_string())]
    );
    let e = enricher().enrich(&mention(post, "jacek", "pracuję w Orlenie, obsługa stacji"));
    assert_eq!(e.brands[0].source_type.value, SourceType::Employee);
    // A bio that names the brand without a role there is not enough.
    assert_eq!(named(post, "jacek", "Jacek", "fan Orlen Teamu"), vec![]);
}

#[test]
fn the_collectors_filter_keeps_posts_by_accounts_named_after_a_brand() {
    let filter = BrandFilter::new(&brands()).unwrap();
    let reply = "Przykro nam, napisz do nas";
    assert!(filter.matches_post(reply, "OrlenHelp", ""));
    assert!(filter.matches_post(reply, "orlen", ""));
    assert!(filter.matches_post(reply, "ala", "Orlen Obsługa"));
    assert!(!filter.matches_post(reply, "ala", "Ala"));
    assert!(filter.matches_post("Tankuję na Orlenie", "ala", "Ala"));
}

#[test]
fn source_from_what_the_post_says() {
    assert_eq!(
        source(
            "Na mojej zmianie na Orlenie dziś tłumy, kawa się nie wyrabia",
            "jan",
            ""
        )
        .1,
        "employee.post_staff_voice"
    );
    assert_eq!(
        source(
            "Sorry to hear that! Please DM us your order number, Apple Support",
            "help_desk",
            ""
        )
        .1,
        "brand_account.voice"
    );
    assert_eq!(
        source(
            "We're hiring engineers to work on Orlen charging stations across Poland",
            "jobs",
            ""
        )
        .1,
        "other.role"
    );
    assert_eq!(
        source(
            "Never bought anything from Apple and my life is great, thank you",
            "ala",
            ""
        )
        .1,
        "customer.first_person"
    );
    assert_eq!(
        source(
            "I work in the payments team at Apple and this launch was a long week",
            "ala",
            ""
        )
        .1,
        "employee.post_works_at"
    );
    assert_eq!(
        source("Orlen", "ala", "backend @ Orlen").1,
        "employee.bio_at_brand"
    );
}

#[test]
fn source_employee_rules() {
    assert_eq!(
        source("Orlen rocks", "jan_z_orlenu", "").1,
        "employee.handle"
    );
    assert_eq!(
        source("Orlen rocks", "jan.orlen.pl", "").1,
        "employee.domain"
    );
    assert_eq!(
        source("Orlen rocks", "jan", "kontakt: jan@orlen.pl").1,
        "employee.domain"
    );
    assert_eq!(
        source("Nowa stacja Orlen!", "jan", "Inżynier w Orlenie. Rower.").1,
        "employee.bio_works_at"
    );
    assert_eq!(
        source("Orlen hiring", "jan", "SWE @Orlen").1,
        "employee.bio_works_at"
    );
    assert_eq!(
        source("Orlen hiring", "jan", "Marketing | @orlen | Warsaw").1,
        "employee.bio_handle"
    );
    assert_eq!(
        source("Great day at Orlen #OrlenLife", "jan", "").1,
        "employee.hashtag"
    );
    assert_eq!(
        source("Orlen wyniki", "jan", "Orlen, energetyka. Opinie są moje.").1,
        "employee.disclaimer"
    );
    assert_eq!(
        source("Nowa stacja Orlen", "jan", "Fan of @orlen").0,
        SourceType::Customer
    );
}

#[test]
fn source_press_rules() {
    assert_eq!(source("Orlen podnosi ceny", "tvn24", "").1, "press.account");
    assert_eq!(
        source("Orlen podnosi ceny", "anna.tvn24.pl", "").1,
        "press.account"
    );
    assert_eq!(
        source("Orlen podnosi ceny", "anna", "Dziennikarka ekonomiczna").1,
        "press.bio_role"
    );
    assert_eq!(
        source("Orlen podnosi ceny", "anna", "Former journalist, now baker").0,
        SourceType::Customer
    );
    assert_eq!(
        source("Orlen podnosi ceny", "anna", "Video editor and gamer").0,
        SourceType::Customer
    );
    let mut m = mention("Orlen: wyniki kwartalne", "feed", "");
    m.platform = Platform::Rss;
    assert_eq!(
        enricher().enrich(&m).brands[0].source_type.value,
        SourceType::Press
    );
}

#[test]
fn ukrainian_vocative_matches() {
    // People address a brand in the vocative: "Розетко, вчися".
    let filter = BrandFilter::new(&[Brand {
        name: "Rozetka".into(),
        keywords: vec!["Розетка".into()],
        ..Brand::default()
    }])
    .unwrap();
    assert!(filter.matches("Zalando повернув гроші за 2 дні. Розетко, вчися"));
}

#[test]
fn source_not_customers() {
    // Saying one never buys there is the opposite of customer evidence.
    assert_eq!(
        source("Nigdy nie kupowałam na Orlenie i nie zamierzam", "ala", "").1,
        "other.not_customer"
    );
    assert_eq!(
        source(
            "I have never ordered from Apple, my mum does it all",
            "ala",
            ""
        )
        .1,
        "other.not_customer"
    );
    // A meme page naming a brand is not its customer, whatever the pronouns say.
    assert_eq!(
        source("Ja na Orlenie o 3 w nocy po hot doga", "memy_z_trasy", "").1,
        "other.meme_account"
    );
    assert_eq!(
        source(
            "me every time Apple drops a new iPhone",
            "x",
            "memes about tech"
        )
        .1,
        "other.meme_account"
    );
}

#[test]
fn source_customer_and_unknown() {
    assert_eq!(
        source("Kupiłem paliwo na Orlenie, drogo", "ala", "").1,
        "customer.purchase"
    );
    assert_eq!(
        source("My order from Apple never came", "ala", "").1,
        "customer.purchase"
    );
    assert_eq!(
        source("Orlen again in the news", "ala", "cat person").1,
        "customer.short_verdict"
    );
    assert_eq!(
        source(
            "Orlen again in the headlines today, after the board changed its strategy",
            "ala",
            "cat person"
        )
        .0,
        SourceType::Unknown
    );
    assert_eq!(
        source("Orlen price: 6.49", "fuelpricebot", "").0,
        SourceType::Other
    );
    assert_eq!(
        source(
            "Orlen price: 6.49",
            "ceny",
            "Automated account posting fuel prices"
        )
        .1,
        "other.bot"
    );
    assert_eq!(
        source("Orlen price", "ala", "I'm not a bot, just a nerd").0,
        SourceType::Customer
    );
    assert_eq!(
        source(
            "Orlen x Lotos",
            "shell_pl",
            "Official account of Shell Polska"
        )
        .1,
        "other.organization"
    );
}

#[test]
fn cohort_reaches_the_enrichment() {
    let e = enricher().enrich(&mention("Orlen", "ala", "rocznik 85, Kraków"));
    assert_eq!(e.cohort.value, Cohort::Millennials);
    assert_eq!(e.cohort.evidence, "bio.birth_year");
}

#[test]
fn config_errors_name_the_key() {
    let bad_cohorts = EnrichmentConfig {
        cohorts: CohortBoundaries {
            gen_z_from: 1970,
            ..CohortBoundaries::default()
        },
        ..EnrichmentConfig::default()
    };
    assert!(
        Enricher::new(&[], &bad_cohorts)
            .unwrap_err()
            .to_string()
            .contains("enrichment.cohorts")
    );
    let bad_lang = EnrichmentConfig {
        candidate_languages: vec!["pl".into(), "klingon".into()],
        ..EnrichmentConfig::default()
    };
    assert!(
        Enricher::new(&[], &bad_lang)
            .unwrap_err()
            .to_string()
            .contains("klingon")
    );
    let unnamed = vec![Brand {
        keywords: vec!["x".into()],
        ..Brand::default()
    }];
    assert!(
        Enricher::new(&unnamed, &EnrichmentConfig::default())
            .unwrap_err()
            .to_string()
            .contains("brands[0].name")
    );
    let short = EnrichmentConfig {
        language_max_chars: 5,
        ..EnrichmentConfig::default()
    };
    assert!(
        Enricher::new(&[], &short)
            .unwrap_err()
            .to_string()
            .contains("enrichment.language_max_chars")
    );
}

#[test]
fn config_deserializes_with_defaults_and_rejects_unknown_keys() {
    let c: EnrichmentConfig =
        serde_json::from_str(r#"{"candidate_languages":["pl"],"press":{"domains":["x.pl"]}}"#)
            .unwrap();
    assert_eq!(c.language_max_chars, 200);
    assert!(c.press.builtin_defaults);
    assert!(serde_json::from_str::<EnrichmentConfig>(r#"{"langs":[]}"#).is_err());
}

#[test]
fn language_hint_is_used() {
    let mut m = mention("Tankowałam dziś na Orlenie, ceny znowu w górę", "ala", "");
    m.language_hint = Some("pl".into());
    assert_eq!(enricher().enrich(&m).language.value, "pl");
}

#[test]
fn sentiment_is_toward_each_matched_brand_with_evidence() {
    let e = enricher();
    let tags = e.enrich(&mention(
        "Na stacji Orlen znowu obsługa to dramat, nie polecam. Cały dzień czekałam.",
        "ania",
        "",
    ));
    let orlen = tags.brands.iter().find(|b| b.brand == "Orlen").unwrap();
    assert_eq!(orlen.sentiment.polarity, Polarity::Negative, "{orlen:?}");
    assert!(orlen.sentiment.score < 0.0);
    assert!(!orlen.sentiment.evidence.is_empty());

    let tags = e.enrich(&mention(
        "Świetna obsługa na stacji Orlen, polecam każdemu!",
        "ania",
        "",
    ));
    let orlen = tags.brands.iter().find(|b| b.brand == "Orlen").unwrap();
    assert_eq!(orlen.sentiment.polarity, Polarity::Positive, "{orlen:?}");
}

#[test]
fn sentiment_of_a_language_without_lexicon_is_unknown() {
    let e = enricher();
    let mut m = mention("Orlen est vraiment nul, je ne reviendrai jamais", "x", "");
    m.language_hint = Some("fr".into());
    let tags = e.enrich(&m);
    assert_eq!(tags.language.value, "fr", "{tags:?}");
    assert_eq!(
        tags.brands[0].sentiment.polarity,
        Polarity::Unknown,
        "{tags:?}"
    );
}

fn decoy_brands() -> Vec<Brand> {
    serde_json::from_str(
        r#"[{"name": "Żabka", "keywords": ["Żabka"], "hashtags": ["zabka"], "handles": ["zabka_polska"]},
            {"name": "Rozetka", "keywords": ["Rozetka", "Розетка"]},
            {"name": "Lidl", "keywords": ["Lidl"]}]"#,
    )
    .unwrap()
}

#[test]
fn other_senses_of_brand_words_are_not_the_brand() {
    let enricher = Enricher::new(&decoy_brands(), &EnrichmentConfig::default()).unwrap();
    let names = |text: &str, handle: &str| -> Vec<String> {
        enricher
            .enrich(&mention(text, handle, ""))
            .brands
            .into_iter()
            .map(|b| b.brand)
            .collect()
    };
    // The frog, the breaststroke, the socket.
    assert!(names("W ogrodzie na oczku wodnym pojawiła się żabka", "ala").is_empty());
    assert!(names("Dziś 40 basenów, w tym 10 żabką #zabka", "ala").is_empty());
    assert!(names("Розетка на кухні іскрить, викликала електрика", "ala").is_empty());
    // The shop, inflected, with no cue; a cue word's look-alike is not a cue.
    assert_eq!(
        names("Kupiłam bułki w Żabce, znowu kolejka", "ala"),
        ["Żabka"]
    );
    assert_eq!(
        names("Reklama Żabki była naprawdę zabawna", "ala"),
        ["Żabka"]
    );
    // The brand's own account still matches, cue or not.
    assert_eq!(names("Żabka zaprasza na basen!", "zabka_polska"), ["Żabka"]);
    // A brand without a listed sense is never affected.
    assert_eq!(names("Lidl przy basenie znowu otwarty", "ala"), ["Lidl"]);
    // Collectors' pre-filter is the same matcher.
    let filter = BrandFilter::new(&decoy_brands()).unwrap();
    assert!(!filter.matches("W ogrodzie na oczku wodnym pojawiła się żabka"));
    assert!(filter.matches("Kupiłam bułki w Żabce, znowu kolejka"));
}

#[test]
#[allow(clippy::single_range_in_vec_init)] // a list of one brand span, not a range of ints
fn sentiment_reads_whole_words_around_the_brand_in_a_long_post() {
    let filler = "słowo ".repeat(300); // 1,800 bytes
    let text = format!("{filler}Orlen zawiódł mnie znowu {filler}");
    let at = text.find("Orlen").unwrap();
    let window = sentiment_window(&text, &[at..at + 5]);
    assert!(window.start <= at - SENTIMENT_CONTEXT && window.end >= at + 5 + SENTIMENT_CONTEXT);
    assert!(window.len() < text.len() / 2, "{window:?}");
    let read = &text[window];
    assert!(
        read.starts_with("słowo") || read.starts_with(' '),
        "{:?}",
        &read[..12]
    );
    assert!(read.contains("Orlen zawiódł mnie znowu"));
    // Short posts and brands without a span are read whole.
    assert_eq!(sentiment_window("Orlen super", &[0..5]), 0..11);
    assert_eq!(sentiment_window(&text, &[]), 0..text.len());
}
