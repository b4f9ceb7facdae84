//! Demo-like mentions and an alert, written straight into a test database for the API
//! and dashboard tests: a week of four brands on three platforms, with a spike of
//! complaints about one brand that the alert points at. The tests compute what the
//! API must answer from these rows themselves.
#![allow(dead_code)]

use earshot_storage::{AlertRow, MentionRow, Origin8, Store};

/// The week ends here (exclusive): 2026-11-27T00:00:00Z.
pub const END: u32 = 1_795_737_600;
pub const START: u32 = END - 7 * 86_400;
/// The spike: InPost, the last day, 12:00-14:00.
pub const SPIKE_FROM: u32 = END - 86_400 + 12 * 3600;
pub const SPIKE_TO: u32 = SPIKE_FROM + 2 * 3600;

pub const BRANDS: [&str; 4] = ["Orlen", "Żabka", "InPost", "Allegro"];
const PLATFORMS: [&str; 3] = ["mastodon", "bluesky", "reddit"];
const LANGUAGES: [&str; 3] = ["pl", "en", "de"];
const COHORTS: [&str; 5] = ["gen_z", "millennials", "gen_x", "boomers", "unknown"];
const SOURCE_TYPES: [&str; 4] = ["customer", "customer", "press", "employee"];
/// Each text's sentiment toward the brand, as the tagger would judge it.
const SENTIMENTS: [&str; 6] = [
    "positive", "negative", "positive", "negative", "neutral", "positive",
];
const TEXTS: [&str; 6] = [
    "Szybka dostawa, paczka w paczkomacie po jednym dniu",
    "Kolejka przy kasie znowu, jedna osoba na zmianie",
    "Great app update, checkout finally works",
    "Ceny poszły w górę, coraz mniej mi się to podoba",
    "Nowa promocja w aplikacji, warto sprawdzić",
    "Customer support answered within minutes, impressed",
];

/// A small deterministic generator (xorshift), so every run writes the same rows.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn row(i: u32, brand: &str, published_at: u32, rng: &mut Rng) -> MentionRow {
    let author = rng.below(120);
    let platform = PLATFORMS[rng.below(3) as usize];
    let text_index = rng.below(TEXTS.len() as u64) as usize;
    let text = TEXTS[text_index];
    let sentiment = SENTIMENTS[text_index];
    let cohort = COHORTS[rng.below(COHORTS.len() as u64) as usize];
    let source_type = SOURCE_TYPES[rng.below(SOURCE_TYPES.len() as u64) as usize];
    MentionRow {
        mention_id: format!("{platform}:{i}"),
        brand: brand.to_string(),
        platform,
        platform_id: i.to_string(),
        url: format!("https://{platform}.example/post/{i}"),
        text: format!("{text} #{}", brand.to_lowercase()),
        published_at,
        collected_at: published_at + 30,
        processed_at: published_at + 31,
        origin: if i.is_multiple_of(10) {
            Origin8::Backfill
        } else {
            Origin8::Live
        },
        language: LANGUAGES[rng.below(3) as usize],
        language_confidence: 0.9,
        language_evidence: "markers".into(),
        cohort,
        cohort_confidence: if cohort == "unknown" { 0.0 } else { 0.7 },
        cohort_evidence: if cohort == "unknown" {
            "no_evidence".into()
        } else {
            format!("bio: born in the {cohort} years")
        },
        source_type,
        source_type_confidence: 0.8,
        source_type_evidence: format!("{source_type}: wording of the post"),
        brand_confidence: 0.99,
        brand_evidence: format!("hashtag #{}", brand.to_lowercase()),
        author_id: author.to_string(),
        author_handle: format!("user{author}@{platform}.example"),
        author_name: format!("User {author}"),
        author_bio: String::new(),
        author_followers: author * 13 % 2000,
        author_verified: 0,
        author_created_at: START - 86_400 * 400,
        likes: rng.below(40),
        reposts: rng.below(8),
        replies: rng.below(5),
        collector_source: "test".into(),
        kafka_partition: 0,
        kafka_offset: i64::from(i),
        sentiment,
        sentiment_score: match sentiment {
            "positive" => 0.7,
            "negative" => -0.6,
            _ => 0.0,
        },
        sentiment_confidence: 0.8,
        sentiment_evidence: format!("{sentiment}: wording of the post"),
        complaint: u8::from(sentiment == "negative"),
    }
}

/// About 1,600 mentions: a daily rhythm per brand, plus 120 InPost mentions in the spike.
pub fn mentions() -> Vec<MentionRow> {
    let mut rng = Rng(0x5eed_cafe);
    let mut rows = Vec::new();
    let mut i = 0;
    for hour in 0..(7 * 24) {
        for (b, brand) in BRANDS.iter().enumerate() {
            // Busier in the day (UTC 8-20), brands of different sizes.
            let base = if (8..20).contains(&(hour % 24)) { 3 } else { 1 };
            let n = base * (4 - b as u32) / 2 + rng.below(2) as u32;
            for _ in 0..n {
                let at = START + hour * 3600 + rng.below(3600) as u32;
                rows.push(row(i, brand, at, &mut rng));
                i += 1;
            }
        }
    }
    for _ in 0..120 {
        let at = SPIKE_FROM + rng.below(u64::from(SPIKE_TO - SPIKE_FROM)) as u32;
        let mut spike = row(i, "InPost", at, &mut rng);
        spike.text = "Paczkomat nie działa od rana, paczka utknęła #inpost".into();
        spike.sentiment = "negative";
        spike.sentiment_score = -0.8;
        spike.sentiment_evidence = "negative: nie działa; utknęła".into();
        spike.complaint = 1;
        spike.origin = Origin8::Live;
        rows.push(spike);
        i += 1;
    }
    rows
}

/// The alert `earshot detect` would raise on the spike, with three examples.
pub fn alert(rows: &[MentionRow]) -> AlertRow {
    let examples: Vec<&MentionRow> = rows
        .iter()
        .filter(|r| r.brand == "InPost" && r.text.starts_with("Paczkomat nie"))
        .take(3)
        .collect();
    AlertRow {
        alert_id: "test-alert-inpost-spike".into(),
        brand: "InPost".into(),
        dimension: "total".into(),
        value: String::new(),
        grain: "hour".into(),
        window_start: SPIKE_FROM,
        window_end: SPIKE_FROM + 3600,
        direction: "up".into(),
        score: 0.97,
        z: 8.5,
        baseline: 3.0,
        observed: 64.0,
        mentions: 64,
        denominator: 0,
        example_ids: examples.iter().map(|r| r.mention_id.clone()).collect(),
        example_urls: examples.iter().map(|r| r.url.clone()).collect(),
        payload: r#"{"kind":"spike","explanation":"InPost mentions jumped to 64 an hour against a usual 3: parcel lockers not working"}"#.into(),
        raised_at: SPIKE_FROM + 3600 + 60,
        component: "level".into(),
        expected_low: 1.0,
        expected_high: 6.0,
        explanation: "InPost mentions jumped to 64 an hour against a usual 3: parcel lockers not working".into(),
    }
}

/// Writes [`mentions`] and [`alert`] to `store`'s database; returns the mentions.
pub async fn write(store: &Store) -> Vec<MentionRow> {
    let rows = mentions();
    store
        .insert_mentions(&rows)
        .await
        .expect("writing test mentions");
    store
        .insert_alerts(&[alert(&rows)])
        .await
        .expect("writing the test alert");
    rows
}
