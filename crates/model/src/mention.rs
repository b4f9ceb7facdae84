use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The version of the [`RawMention`] wire format this build writes and reads.
/// A record with another version goes to the dead-letter topic instead of being guessed at.
pub const SCHEMA_VERSION: u32 = 1;

/// Larger records are refused before parsing: no real post is this big, and parsing
/// one would only let a broken producer exhaust the processor's memory.
pub const MAX_RAW_MENTION_BYTES: usize = 1024 * 1024;

/// Where a mention was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Mastodon,
    Bluesky,
    Reddit,
    HackerNews,
    Rss,
    Youtube,
    X,
    Lemmy,
}

impl Platform {
    pub const ALL: [Platform; 8] = [
        Platform::Mastodon,
        Platform::Bluesky,
        Platform::Reddit,
        Platform::HackerNews,
        Platform::Rss,
        Platform::Youtube,
        Platform::X,
        Platform::Lemmy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Reddit => "reddit",
            Platform::HackerNews => "hacker_news",
            Platform::Rss => "rss",
            Platform::Youtube => "youtube",
            Platform::X => "x",
            Platform::Lemmy => "lemmy",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Platform::ALL.iter().map(|p| p.as_str()).collect();
                format!(
                    "unknown platform `{s}`; expected one of {}",
                    known.join(", ")
                )
            })
    }
}

/// A mention's stable identity: the platform plus the platform's own id. It is the
/// Kafka key (so every copy of a mention lands on one partition) and the key the
/// processor deduplicates on, whatever path brought the mention in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MentionId(String);

impl MentionId {
    pub fn new(platform: Platform, platform_id: &str) -> Self {
        MentionId(format!("{}:{}", platform.as_str(), platform_id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MentionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a mention came from live polling or from a backfill of history. Backfilled
/// mentions are stored and rolled up apart so they never trigger live alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Live,
    Backfill,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Live => "live",
            Origin::Backfill => "backfill",
        }
    }
}

/// The author as the platform describes them at collection time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub id: String,
    pub handle: String,
    #[serde(default)]
    pub name: String,
    /// Profile text; the strongest evidence for cohort and source type.
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub followers: u64,
    #[serde(default)]
    pub verified: bool,
    /// When the account was created, where the platform says.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// The most followers an account is believed to have: the largest accounts on any
/// platform have under 10^9 (700M on Instagram, 230M on X, 400M on YouTube in 2026).
/// A higher count is forged or broken, and summed into `potential_reach` a few of
/// u64::MAX would wrap the rollups' UInt64 sums; at 10^9 each, 1.8·10^10 mentions in
/// one group would be needed.
pub const MAX_PLAUSIBLE_FOLLOWERS: u64 = 1_000_000_000;

impl Author {
    /// [`Author::followers`], at most [`MAX_PLAUSIBLE_FOLLOWERS`].
    pub fn plausible_followers(&self) -> u64 {
        self.followers.min(MAX_PLAUSIBLE_FOLLOWERS)
    }
}

/// Engagement counts at collection time; zero where the platform has no such count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Engagement {
    /// Favourites, likes, upvotes, points.
    pub likes: u64,
    /// Reblogs, reposts, retweets, shares.
    pub reposts: u64,
    /// Replies and comments.
    pub replies: u64,
}

/// One post as a collector fetched it, before enrichment: the record on `mentions.raw`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawMention {
    pub schema_version: u32,
    pub id: MentionId,
    pub platform: Platform,
    pub platform_id: String,
    #[serde(default)]
    pub url: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub collected_at: DateTime<Utc>,
    pub author: Author,
    #[serde(default)]
    pub engagement: Engagement,
    /// The platform's own language tag (Mastodon `language`, Bluesky `langs[0]`, X `lang`).
    #[serde(default)]
    pub language_hint: Option<String>,
    #[serde(default)]
    pub origin: Origin,
    /// The collector job that found the mention (`mastodon:mastodon.social#orlen`),
    /// for tracing a row back to its source.
    #[serde(default)]
    pub source: String,
    /// The platform's response item as received, kept for re-processing.
    #[serde(default, skip_serializing_if = "RawPayload::is_empty")]
    pub raw: RawPayload,
}

/// A platform's item as JSON text. Decoding keeps it as text instead of building a
/// tree: the processor never reads it, and parsing it cost 40% of its CPU per mention.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawPayload(Option<Box<serde_json::value::RawValue>>);

impl RawPayload {
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The JSON text, if any.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().map(serde_json::value::RawValue::get)
    }

    /// Parses the payload, for the rare reader that needs its fields.
    pub fn to_value(&self) -> serde_json::Value {
        self.get()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

impl From<serde_json::Value> for RawPayload {
    fn from(value: serde_json::Value) -> Self {
        if value.is_null() {
            return RawPayload(None);
        }
        RawPayload(serde_json::value::to_raw_value(&value).ok())
    }
}

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// Why a record on `mentions.raw` was refused. The `reason()` strings are stable: they
/// go into the dead-letter header and the `reason` label of the error metric.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("record of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("record is not valid UTF-8 at byte {valid_up_to}")]
    InvalidUtf8 { valid_up_to: usize },
    #[error("record is not a raw mention: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("record has no schema_version")]
    MissingSchemaVersion,
    #[error("unsupported schema_version {found}; this build reads version {SCHEMA_VERSION}")]
    UnsupportedSchemaVersion { found: u64 },
    #[error("record is invalid: {0}")]
    Invalid(&'static str),
}

impl DecodeError {
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::InvalidUtf8 { .. } => "invalid_utf8",
            DecodeError::Malformed(_) => "malformed",
            DecodeError::MissingSchemaVersion => "missing_schema_version",
            DecodeError::UnsupportedSchemaVersion { .. } => "unsupported_schema_version",
            DecodeError::Invalid(_) => "invalid",
        }
    }
}

#[derive(Deserialize)]
struct VersionProbe {
    schema_version: Option<serde_json::Value>,
}

impl RawMention {
    /// Parses a record from `mentions.raw`, checking size, encoding and version first so
    /// each kind of bad input gets its own reason.
    pub fn decode(payload: &[u8]) -> Result<RawMention, DecodeError> {
        if payload.len() > MAX_RAW_MENTION_BYTES {
            return Err(DecodeError::TooLarge {
                size: payload.len(),
                limit: MAX_RAW_MENTION_BYTES,
            });
        }
        let text = std::str::from_utf8(payload).map_err(|e| DecodeError::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        })?;
        match serde_json::from_str::<RawMention>(text) {
            Ok(mention) if mention.schema_version != SCHEMA_VERSION => {
                Err(DecodeError::UnsupportedSchemaVersion {
                    found: mention.schema_version.into(),
                })
            }
            Ok(mention) => mention.validate().map(|()| mention),
            Err(parse_error) => {
                // Report a version mismatch rather than the field errors it causes.
                match serde_json::from_str::<VersionProbe>(text) {
                    Ok(VersionProbe {
                        schema_version: None,
                    }) => Err(DecodeError::MissingSchemaVersion),
                    Ok(VersionProbe {
                        schema_version: Some(v),
                    }) if v.as_u64() != Some(SCHEMA_VERSION.into()) => {
                        Err(DecodeError::UnsupportedSchemaVersion {
                            found: v.as_u64().unwrap_or(0),
                        })
                    }
                    _ => Err(DecodeError::Malformed(parse_error)),
                }
            }
        }
    }

    fn validate(&self) -> Result<(), DecodeError> {
        if self.platform_id.is_empty() {
            return Err(DecodeError::Invalid("platform_id is empty"));
        }
        if self.id != MentionId::new(self.platform, &self.platform_id) {
            return Err(DecodeError::Invalid(
                "id does not match platform and platform_id",
            ));
        }
        Ok(())
    }

    /// Serializes for `mentions.raw`.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a RawMention always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_follower_counts_are_plausible_and_their_sum_does_not_wrap() {
        let forged = Author {
            followers: u64::MAX,
            ..Author::default()
        };
        assert_eq!(forged.plausible_followers(), MAX_PLAUSIBLE_FOLLOWERS);
        let real = Author {
            followers: 230_000_000,
            ..Author::default()
        };
        assert_eq!(real.plausible_followers(), 230_000_000);
        // What the rollups' sum(author_followers) would add for a million forged rows.
        let reach =
            (0..1_000_000).try_fold(0u64, |sum, _| sum.checked_add(forged.plausible_followers()));
        assert_eq!(reach, Some(1_000_000 * MAX_PLAUSIBLE_FOLLOWERS));
    }

    pub(crate) fn sample() -> RawMention {
        RawMention {
            schema_version: SCHEMA_VERSION,
            id: MentionId::new(Platform::Mastodon, "109"),
            platform: Platform::Mastodon,
            platform_id: "109".into(),
            url: "https://mastodon.social/@ala/109".into(),
            text: "Tankowałam dziś na Orlenie".into(),
            created_at: "2026-11-20T10:00:00Z".parse().unwrap(),
            collected_at: "2026-11-20T10:00:05Z".parse().unwrap(),
            author: Author {
                id: "1".into(),
                handle: "ala@mastodon.social".into(),
                ..Author::default()
            },
            engagement: Engagement::default(),
            language_hint: Some("pl".into()),
            origin: Origin::Live,
            source: "mastodon:mastodon.social#orlen".into(),
            raw: serde_json::json!({"id": "109", "content": "<p>Tankowałam</p>"}).into(),
        }
    }

    #[test]
    fn round_trips() {
        let m = sample();
        let decoded = RawMention::decode(&m.encode()).unwrap();
        assert_eq!(decoded, m);
        assert_eq!(decoded.raw.to_value()["id"], "109");
        let mut without_raw = sample();
        without_raw.raw = RawPayload::default();
        assert!(
            !String::from_utf8(without_raw.encode())
                .unwrap()
                .contains("\"raw\"")
        );
        assert_eq!(
            RawMention::decode(&without_raw.encode()).unwrap(),
            without_raw
        );
    }

    #[test]
    fn each_bad_input_has_its_own_reason() {
        let reason = |bytes: &[u8]| RawMention::decode(bytes).unwrap_err().reason();
        assert_eq!(reason(b"{not json"), "malformed");
        assert_eq!(reason(&[b'{', 0xff, 0xfe, b'}']), "invalid_utf8");
        assert_eq!(reason(&vec![b' '; MAX_RAW_MENTION_BYTES + 1]), "too_large");
        assert_eq!(reason(br#"{"id":"x"}"#), "missing_schema_version");
        assert_eq!(
            reason(br#"{"schema_version":7,"id":"x"}"#),
            "unsupported_schema_version"
        );

        let mut v: serde_json::Value = serde_json::from_slice(&sample().encode()).unwrap();
        v.as_object_mut().unwrap().remove("text");
        assert_eq!(reason(&serde_json::to_vec(&v).unwrap()), "malformed");

        let mut wrong_id = sample();
        wrong_id.id = MentionId::new(Platform::Reddit, "109");
        assert_eq!(reason(&wrong_id.encode()), "invalid");
    }

    #[test]
    fn platform_names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!(
            "myspace"
                .parse::<Platform>()
                .unwrap_err()
                .contains("mastodon")
        );
    }
}
