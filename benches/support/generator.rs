//! Realistic raw mentions for the load harness: 50–300 character posts in seven
//! languages, each about exactly one of the brands in `config/earshot.toml` (hashtag,
//! keyword, inflected keyword, handle or link), authors with varied bios, and a
//! Mastodon-like `raw` object as the collectors keep it, so payloads weigh what real
//! ones do (~2 KB).
//!
//! Each mention goes to an explicit partition, and its platform is a function of that
//! partition (`platform index % partitions`). The minute rollup keeps `platform` as a
//! dimension, so per-platform sums there give per-partition visible counts, which is
//! how the harness times produce-to-visible for every single mention.

use chrono::{DateTime, Duration, Utc};
use earshot_model::{Author, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION};
use serde_json::json;

#[path = "../../tests/support/rng.rs"]
mod rng;
use rng::Rng;

/// Ways a post refers to each configured brand. Every form matches that brand only.
const BRAND_REFS: [(&str, &[&str]); 4] = [
    (
        "Orlen",
        &[
            "#orlen",
            "Orlen",
            "na stacji Orlen",
            "@orlen",
            "https://www.orlen.pl/pl/dla-ciebie/promocje",
            "#Orlen",
            "ORLEN",
            "stacja orlen",
        ],
    ),
    (
        "Żabka",
        &[
            "#zabka",
            "#żabka",
            "Żabka",
            "żabka",
            "@zabka_polska",
            "https://zabka.pl/oferta",
            "Żappka",
        ],
    ),
    (
        "InPost",
        &[
            "#inpost",
            "InPost",
            "paczkomat",
            "#paczkomat",
            "@inpost_pl",
            "https://inpost.pl/sledzenie-przesylek",
            "paczkomaty",
        ],
    ),
    (
        "Allegro",
        &[
            "#allegro",
            "Allegro",
            "Allegro Smart",
            "@allegro_pl",
            "https://allegro.pl/oferta/123456",
            "allegro",
        ],
    ),
];

/// (ISO 639-1 code, weight in percent, sentence fragments). Fragments never name a brand.
const LANGUAGES: [(&str, u64, &[&str]); 7] = [
    (
        "pl",
        38,
        &[
            "Dziś rano szybka kawa i hot dog, obsługa bardzo miła.",
            "Znowu kolejka przy kasie, a tylko jedna osoba na zmianie.",
            "Zamówiłem wczoraj wieczorem, a przesyłka już dziś czeka na odbiór.",
            "Ceny znowu poszły w górę, coraz mniej mi się to podoba.",
            "Nowa promocja w aplikacji, warto sprawdzić przed weekendem.",
            "Nie polecam, reklamacja ciągnie się od trzech tygodni.",
            "Szczerze mówiąc, spodziewałem się czegoś lepszego.",
            "Mama poprosiła, żebym jej pokazał, jak to działa w telefonie.",
            "W końcu ktoś pomyślał o ludziach, którzy pracują na nocne zmiany.",
            "Jak zwykle wszystko działa, zero problemów, tak trzymać!",
            "Kto jeszcze ma problem z logowaniem od rana?",
            "Kupiłam na prezent dla siostry i jest zachwycona.",
            "Ostatnio coraz częściej wybieram to zamiast dyskontu.",
            "Aplikacja się zawiesza przy płatności kartą, serio?",
        ],
    ),
    (
        "en",
        30,
        &[
            "Great service today, the app finally works as it should.",
            "Customer support answered within minutes, impressed.",
            "Prices went up again and nobody seems to care.",
            "Honestly the best thing about my trip to Poland so far.",
            "Ordered on Monday, arrived on Tuesday morning, no complaints.",
            "Is it just me or has the checkout been broken all week?",
            "My kids love it, I am slowly getting used to it too.",
            "Not sure how I feel about the new loyalty scheme.",
            "Absolutely terrible experience, never again.",
            "As a millennial I appreciate not having to call anyone.",
            "Quick stop on the way to work, coffee was decent.",
            "Five stars, would recommend to anyone visiting Warsaw.",
        ],
    ),
    (
        "de",
        10,
        &[
            "Heute zum ersten Mal ausprobiert und ehrlich gesagt ganz zufrieden.",
            "Die Lieferung kam einen Tag früher als angekündigt.",
            "Leider war der Kundenservice überhaupt nicht erreichbar.",
            "Preise sind gestiegen, aber die Qualität stimmt noch.",
            "Wir waren im Urlaub in Polen und haben es oft benutzt.",
            "Warum funktioniert die App eigentlich nie am Wochenende?",
        ],
    ),
    (
        "uk",
        7,
        &[
            "Сьогодні вперше спробувала, все дуже швидко і зручно.",
            "Знову черга на касі, працює лише одна людина.",
            "Замовив учора ввечері, а сьогодні вже можна забирати.",
            "Ціни знову зросли, мені це зовсім не подобається.",
            "Дуже приємний персонал, дякую за допомогу!",
        ],
    ),
    (
        "cs",
        5,
        &[
            "Dnes poprvé vyzkoušeno a jsem docela spokojený.",
            "Zásilka dorazila rychleji, než jsem čekal.",
            "Ceny zase vyskočily nahoru, to se mi nelíbí.",
            "Zákaznická podpora odpověděla během pár minut.",
        ],
    ),
    (
        "es",
        5,
        &[
            "Hoy lo probé por primera vez y la verdad estoy contento.",
            "El pedido llegó antes de lo previsto, muy bien.",
            "Los precios han subido otra vez, no me gusta nada.",
            "Atención al cliente muy rápida y amable.",
        ],
    ),
    (
        "fr",
        5,
        &[
            "Essayé aujourd'hui pour la première fois, plutôt satisfait.",
            "La livraison est arrivée plus tôt que prévu.",
            "Les prix ont encore augmenté, ce n'est pas normal.",
            "Le service client a répondu en quelques minutes.",
        ],
    ),
];

const EXTRAS: [&str; 10] = [
    "😍",
    "🙄",
    "👍",
    "🔥",
    "😡",
    "!!!",
    "…",
    "#polska",
    "#warszawa",
    "#zakupy",
];

/// Bios by language; `{year}`, `{age}` are filled in. About a fifth of authors have none.
const BIOS: [(&str, &[&str]); 4] = [
    (
        "pl",
        &[
            "Mama dwójki dzieci, rocznik {year}. Kocham góry i dobrą kawę.",
            "Dziennikarz, piszę o gospodarce i energetyce. Opinie prywatne.",
            "Mam {age} lata i wciąż uczę się programowania.",
            "Emeryt od 2015, działkowiec, wnuki to moje szczęście.",
            "Student informatyki, gracz, fan kolei.",
            "Pracuję w logistyce, Warszawa. Wiek: {age}.",
            "Fotograf amator | rower | Kraków",
        ],
    ),
    (
        "en",
        &[
            "Born in {year}. Dad, runner, coffee snob.",
            "Reporter covering retail and consumer tech. Views are my own.",
            "{age} years old, software engineer, opinions my own.",
            "Gen Z and proud. Memes, music, sneakers.",
            "Retired teacher. Gardening and grandchildren.",
            "Marketing at a startup. Tweets about brands and ads.",
        ],
    ),
    (
        "de",
        &[
            "Geboren {year}, wohne in Berlin, liebe Radfahren.",
            "Journalistin, schreibe über Handel und Logistik.",
            "Student, {age} Jahre alt, Gamer.",
        ],
    ),
    (
        "other",
        &[
            "Traveller | foodie | {year}",
            "Photography, design and long walks.",
            "Just here for the news.",
        ],
    ),
];

/// A generated record: the partition it goes to, its key and its payload.
pub struct Record {
    pub partition: i32,
    pub key: String,
    pub payload: Vec<u8>,
}

pub struct Generator {
    rng: Rng,
    /// Ids are `{run}{sequence}` so runs never collide.
    run: u64,
    sequence: u64,
    partitions: i32,
}

impl Generator {
    pub fn new(seed: u64, run: u64, partitions: i32) -> Generator {
        assert!(
            (1..=Platform::ALL.len() as i32).contains(&partitions),
            "the harness maps platforms to partitions, so it supports 1..=7 partitions"
        );
        Generator {
            rng: Rng::new(seed),
            run,
            sequence: 0,
            partitions,
        }
    }

    /// The platforms whose mentions go to `partition`.
    pub fn platforms_of(partitions: i32, partition: i32) -> Vec<Platform> {
        Platform::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as i32 % partitions == partition)
            .map(|(_, p)| *p)
            .collect()
    }

    pub fn partition_of(partitions: i32, platform: &str) -> Option<i32> {
        Platform::ALL
            .iter()
            .position(|p| p.as_str() == platform)
            .map(|i| i as i32 % partitions)
    }

    /// The next mention, for a partition chosen round-robin; `now` is its publication
    /// and collection time (the latency phase passes the send time).
    pub fn next_mention(&mut self, now: DateTime<Utc>) -> (i32, RawMention) {
        let partition = (self.sequence % self.partitions as u64) as i32;
        self.sequence += 1;
        let platforms = Self::platforms_of(self.partitions, partition);
        let platform = *self.rng.pick(&platforms);
        let r = &mut self.rng;

        let (brand_refs_of, language, fragments) = {
            let (_, refs) = BRAND_REFS[r.below(BRAND_REFS.len() as u64) as usize];
            let mut roll = r.below(100);
            let mut chosen = &LANGUAGES[0];
            for lang in &LANGUAGES {
                if roll < lang.1 {
                    chosen = lang;
                    break;
                }
                roll -= lang.1;
            }
            (refs, chosen.0, chosen.2)
        };
        let brand_ref = *r.pick(brand_refs_of);
        let target = 50 + r.below(251) as usize;
        let mut parts: Vec<&str> = Vec::with_capacity(6);
        let mut len = brand_ref.len() + 1;
        while len < target && parts.len() < 6 {
            let fragment = *r.pick(fragments);
            if len + fragment.len() + 1 > 300 && !parts.is_empty() {
                break;
            }
            len += fragment.len() + 1;
            parts.push(fragment);
        }
        if r.chance(30) {
            parts.push(*r.pick(&EXTRAS));
        }
        let at = r.below(parts.len() as u64 + 1) as usize;
        parts.insert(at, brand_ref);
        let mut text = parts.join(" ");
        if text.len() > 300 {
            // Drop fragments other than the brand reference until it fits.
            while text.len() > 300 && parts.len() > 2 {
                let victim = if parts[parts.len() - 1] == brand_ref {
                    parts.len() - 2
                } else {
                    parts.len() - 1
                };
                parts.remove(victim);
                text = parts.join(" ");
            }
        }

        let author_number = r.below(200_000);
        let bio = if r.chance(20) {
            String::new()
        } else {
            let pool = match language {
                "pl" => BIOS[0].1,
                "en" => BIOS[1].1,
                "de" => BIOS[2].1,
                _ => BIOS[3].1,
            };
            let year = 1950 + r.below(58);
            let age = 16 + r.below(60);
            r.pick(pool)
                .replace("{year}", &year.to_string())
                .replace("{age}", &age.to_string())
        };
        let followers = match r.below(100) {
            0..=59 => r.below(300),
            60..=89 => 300 + r.below(5_000),
            90..=98 => 5_000 + r.below(100_000),
            _ => 100_000 + r.below(2_000_000),
        };
        let engagement = Engagement {
            likes: r.below(40) * r.below(3),
            reposts: r.below(10) * r.below(2),
            replies: r.below(8),
        };
        let verified = r.chance(2);
        let hint = matches!(
            platform,
            Platform::Mastodon | Platform::Bluesky | Platform::X
        ) && r.chance(60);
        let account_created = Utc::now() - Duration::days(30 + r.below(5_000) as i64);

        let platform_id = format!("{}{:09}", self.run, self.sequence);
        let host = match platform {
            Platform::Mastodon => "mastodon.social",
            Platform::Bluesky => "bsky.app",
            Platform::Reddit => "www.reddit.com",
            Platform::HackerNews => "news.ycombinator.com",
            Platform::Rss => "news.example.com",
            Platform::Youtube => "www.youtube.com",
            Platform::X => "x.com",
            Platform::Lemmy => "lemmy.world",
        };
        let handle = format!("user{author_number}");
        let name = format!("User {author_number}");
        let url = format!("https://{host}/@{handle}/{platform_id}");
        let created = now.to_rfc3339();
        let raw = json!({
            "id": platform_id,
            "created_at": created,
            "in_reply_to_id": null,
            "sensitive": false,
            "spoiler_text": "",
            "visibility": "public",
            "language": language,
            "uri": format!("https://{host}/users/{handle}/statuses/{platform_id}"),
            "url": url,
            "replies_count": engagement.replies,
            "reblogs_count": engagement.reposts,
            "favourites_count": engagement.likes,
            "edited_at": null,
            "content": format!("<p>{text}</p>"),
            "reblog": null,
            "application": null,
            "account": {
                "id": author_number.to_string(),
                "username": handle,
                "acct": format!("{handle}@{host}"),
                "display_name": name,
                "locked": false,
                "bot": false,
                "discoverable": true,
                "created_at": account_created.to_rfc3339(),
                "note": format!("<p>{bio}</p>"),
                "url": format!("https://{host}/@{handle}"),
                "avatar": format!("https://{host}/avatars/original/missing.png"),
                "followers_count": followers,
                "following_count": r.below(1_000),
                "statuses_count": r.below(50_000),
                "emojis": [],
                "fields": []
            },
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": null,
            "poll": null
        });
        let mention = RawMention {
            schema_version: SCHEMA_VERSION,
            id: MentionId::new(platform, &platform_id),
            platform,
            platform_id,
            url,
            text,
            created_at: now,
            collected_at: now,
            author: Author {
                id: format!("https://{host}/@{handle}"),
                handle: format!("{handle}@{host}"),
                name,
                bio,
                followers,
                verified,
                created_at: Some(account_created),
            },
            engagement,
            language_hint: hint.then(|| language.to_string()),
            origin: Origin::Live,
            source: format!("{}:{host}#bench", platform.as_str()),
            raw: raw.into(),
        };
        (partition, mention)
    }

    /// The next record, ready to produce.
    pub fn next_record(&mut self, now: DateTime<Utc>) -> Record {
        let (partition, mention) = self.next_mention(now);
        Record {
            partition,
            key: mention.id.as_str().to_owned(),
            payload: mention.encode(),
        }
    }
}
