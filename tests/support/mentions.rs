//! Deterministic, realistic mentions that each match exactly one configured brand, and
//! the rollups they must produce, computed here independently of the pipeline.

use std::collections::{BTreeMap, BTreeSet};

pub use super::rng::Rng;
use chrono::{DateTime, Duration, Utc};
use earshot_model::{Author, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION};

/// Brand name as configured in `config/earshot.toml`, and a hashtag that matches it.
pub const BRANDS: [(&str, &str); 4] = [
    ("Orlen", "#orlen"),
    ("Żabka", "#zabka"),
    ("InPost", "#inpost"),
    ("Allegro", "#allegro"),
];

const TEXTS: [&str; 8] = [
    "Dziś rano szybka kawa i hot dog, obsługa bardzo miła {tag}",
    "Znowu kolejka przy kasie, a tylko jedna osoba na zmianie {tag}",
    "Great service today, the app finally works as it should {tag}",
    "Zamówiłem wczoraj, paczka już jest, szybciej niż się spodziewałem {tag}",
    "Ceny znowu poszły w górę, coraz mniej mi się to podoba {tag}",
    "Heute zum ersten Mal ausprobiert und ehrlich gesagt ganz zufrieden {tag}",
    "Nowa promocja w aplikacji, warto sprawdzić przed weekendem {tag}",
    "Customer support answered within minutes, impressed {tag}",
];

pub fn start_time() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

/// `count` mentions over `minutes` minutes from [`start_time`], ids `mastodon:{first_id + i}`.
pub fn generate(count: usize, minutes: i64, seed: u64, first_id: u64) -> Vec<RawMention> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let (_, tag) = BRANDS[rng.below(BRANDS.len() as u64) as usize];
            let text = TEXTS[rng.below(TEXTS.len() as u64) as usize].replace("{tag}", tag);
            let author = rng.below(500);
            let platform_id = (first_id + i as u64).to_string();
            let created_at =
                start_time() + Duration::seconds(rng.below(minutes as u64 * 60) as i64);
            RawMention {
                schema_version: SCHEMA_VERSION,
                id: MentionId::new(Platform::Mastodon, &platform_id),
                platform: Platform::Mastodon,
                url: format!("https://mastodon.example/@user{author}/{platform_id}"),
                platform_id,
                text,
                created_at,
                collected_at: created_at + Duration::seconds(30),
                author: Author {
                    id: format!("{author}"),
                    handle: format!("user{author}@mastodon.example"),
                    name: format!("User {author}"),
                    bio: String::new(),
                    followers: author * 7 % 1000,
                    verified: false,
                    created_at: Some("2019-03-01T00:00:00Z".parse().unwrap()),
                },
                engagement: Engagement {
                    likes: rng.below(50),
                    reposts: rng.below(10),
                    replies: rng.below(5),
                },
                language_hint: None,
                origin: Origin::Live,
                source: "test".into(),
                raw: Default::default(),
            }
        })
        .collect()
}

/// Which configured brand a generated mention is about.
pub fn brand_of(mention: &RawMention) -> &'static str {
    BRANDS
        .iter()
        .find(|(_, tag)| mention.text.contains(tag))
        .map(|(name, _)| *name)
        .expect("generated mentions carry one brand tag")
}

/// The truth for one (brand, minute) bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    pub mentions: u64,
    pub unique_authors: u64,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub potential_reach: u64,
}

/// Per (brand, minute start as Unix seconds) rollup values of distinct mentions.
pub fn minute_truth(mentions: &[RawMention]) -> BTreeMap<(String, i64), Bucket> {
    let mut seen = BTreeSet::new();
    let mut authors: BTreeMap<(String, i64), BTreeSet<String>> = BTreeMap::new();
    let mut buckets: BTreeMap<(String, i64), Bucket> = BTreeMap::new();
    for m in mentions {
        if !seen.insert(m.id.clone()) {
            continue;
        }
        let key = (brand_of(m).to_string(), m.created_at.timestamp() / 60 * 60);
        let b = buckets.entry(key.clone()).or_default();
        b.mentions += 1;
        b.likes += m.engagement.likes;
        b.reposts += m.engagement.reposts;
        b.replies += m.engagement.replies;
        b.potential_reach += m.author.followers;
        authors.entry(key).or_default().insert(m.author.id.clone());
    }
    for (key, set) in authors {
        buckets.get_mut(&key).unwrap().unique_authors = set.len() as u64;
    }
    buckets
}

/// The same buckets as read back from a rollup view (brand, minute, measures).
pub const MINUTE_ROLLUP_SQL: &str = "SELECT brand, toUInt32(minute), sum(mentions), \
    uniqExactMerge(unique_authors_state), sum(likes), sum(reposts), sum(replies), \
    sum(potential_reach) FROM {db}.rollup_minute GROUP BY brand, minute ORDER BY brand, minute";

pub fn parse_minute_rollup(rows: Vec<Vec<String>>) -> BTreeMap<(String, i64), Bucket> {
    rows.into_iter()
        .map(|r| {
            let n = |i: usize| r[i].parse::<u64>().expect("a count");
            (
                (r[0].clone(), r[1].parse().expect("a minute")),
                Bucket {
                    mentions: n(2),
                    unique_authors: n(3),
                    likes: n(4),
                    reposts: n(5),
                    replies: n(6),
                    potential_reach: n(7),
                },
            )
        })
        .collect()
}

/// A generated mention as a Mastodon `Status` entity, as the API documents it.
pub fn as_mastodon_status(m: &earshot_model::RawMention) -> serde_json::Value {
    let tag = BRANDS
        .iter()
        .find(|(name, _)| *name == brand_of(m))
        .unwrap()
        .1;
    let tag = tag.trim_start_matches('#');
    let body = m.text.replace(&format!("#{tag}"), "");
    serde_json::json!({
        "id": m.platform_id,
        "created_at": m.created_at.to_rfc3339(),
        "visibility": "public",
        "language": "pl",
        "uri": format!("https://mastodon.example/users/u{}/statuses/{}", m.author.id, m.platform_id),
        "url": m.url,
        "replies_count": m.engagement.replies,
        "reblogs_count": m.engagement.reposts,
        "favourites_count": m.engagement.likes,
        "content": format!("<p>{body}<a href=\"https://mastodon.example/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a></p>"),
        "account": {
            "id": m.author.id,
            "username": format!("u{}", m.author.id),
            "acct": m.author.handle,
            "display_name": m.author.name,
            "note": "",
            "followers_count": m.author.followers,
            "created_at": "2019-03-01T00:00:00.000Z",
            "bot": false,
        },
        "tags": [{"name": tag, "url": format!("https://mastodon.example/tags/{tag}")}],
        "mentions": [],
        "emojis": [],
        "media_attachments": [],
    })
}

/// A local server in Mastodon's API shape that serves `input` as statuses.
pub async fn mastodon_replay_server(input: &[RawMention]) -> earshot_replay::ReplayServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mastodon")).unwrap();
    let data = dir.path().join("mastodon/statuses.json");
    let statuses: Vec<_> = input.iter().map(as_mastodon_status).collect();
    std::fs::write(&data, serde_json::to_vec(&statuses).unwrap()).unwrap();
    // The dataset is read into memory here, so the folder may go.
    earshot_replay::start(earshot_replay::Dataset::from_files([&data]).unwrap())
        .await
        .unwrap()
}
