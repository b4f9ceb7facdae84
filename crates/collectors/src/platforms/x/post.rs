//! How an X post and its expanded author become a [`RawMention`]: one mapping for
//! recent search, full-archive search and backfills alike.

use chrono::{DateTime, Utc};
use earshot_model::{Author, Engagement, Platform, RawMention};
use earshot_runtime::InternalEvent;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::paging;

#[derive(Deserialize, Default)]
struct PublicMetrics {
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    quote_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    followers_count: u64,
}

/// A link in a post's text: `url` is the `t.co` form in the text.
#[derive(Deserialize)]
struct UrlEntity {
    url: String,
    expanded_url: Option<String>,
}

#[derive(Deserialize, Default)]
struct Entities {
    #[serde(default)]
    urls: Vec<UrlEntity>,
}

/// The whole text of a post longer than 280 characters (`text` is cut there).
#[derive(Deserialize)]
struct NoteTweet {
    text: String,
    #[serde(default)]
    entities: Entities,
}

#[derive(Deserialize)]
struct Post {
    id: String,
    text: String,
    #[serde(default)]
    entities: Entities,
    note_tweet: Option<NoteTweet>,
    created_at: DateTime<Utc>,
    lang: Option<String>,
    author_id: Option<String>,
    #[serde(default)]
    public_metrics: PublicMetrics,
}

#[derive(Deserialize, Default)]
struct User {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    verified: bool,
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    public_metrics: PublicMetrics,
}

/// Maps a post and its expanded author; `None` (and a warning) if the post lacks what
/// a mention needs. `raw` keeps both, as `{post, user}`.
pub(crate) fn to_mention(value: &Value, user_value: Option<&Value>) -> Option<RawMention> {
    let post: Post = crate::paging::read_item(Platform::X, "X post", value)?;
    let user: User = match user_value.map(User::deserialize) {
        Some(Ok(user)) => user,
        Some(Err(error)) => {
            // The mention keeps the author's id; the profile is lost, and said so.
            crate::internal_events::AuthorUnmapped {
                platform: Platform::X,
                post: &post.id,
                reason: &error.to_string(),
            }
            .emit();
            User::default()
        }
        None => User::default(),
    };
    let (text, entities) = match post.note_tweet {
        Some(note) => (note.text, note.entities),
        None => (post.text, post.entities),
    };
    let text = expand_links(text, &entities);
    let author_id = post.author_id.unwrap_or_default();
    let url = if user.username.is_empty() {
        format!("https://x.com/i/web/status/{}", post.id)
    } else {
        format!("https://x.com/{}/status/{}", user.username, post.id)
    };
    let metrics = post.public_metrics;
    Some(RawMention {
        url,
        text,
        author: Author {
            id: author_id,
            handle: user.username,
            name: user.name,
            bio: user.description,
            followers: user.public_metrics.followers_count,
            verified: user.verified,
            created_at: user.created_at,
        },
        engagement: Engagement {
            likes: metrics.like_count,
            reposts: metrics.retweet_count.saturating_add(metrics.quote_count),
            replies: metrics.reply_count,
        },
        // `und` (undetermined) and `zxx` (no linguistic content) are no hint.
        language_hint: post
            .lang
            .filter(|l| !l.is_empty() && l != "und" && l != "zxx"),
        ..paging::mention(
            Platform::X,
            post.id,
            post.created_at,
            json!({ "post": value, "user": user_value }),
        )
    })
}

/// `text` with each `t.co` link replaced by the link it stands for.
fn expand_links(mut text: String, entities: &Entities) -> String {
    for link in &entities.urls {
        if let Some(expanded) = link.expanded_url.as_deref().filter(|e| !e.is_empty())
            && !link.url.is_empty()
        {
            text = text.replace(&link.url, expanded);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_post_with_its_author() {
        let post = json!({
            "id": "2032048686002864487", "text": "Znowu drożej na Orlen.",
            "created_at": "2026-03-12T10:59:00.000Z", "lang": "pl",
            "author_id": "15",
            "public_metrics": {"like_count": 3, "retweet_count": 2, "quote_count": 1, "reply_count": 4}
        });
        let user = json!({
            "id": "15", "username": "marta_wawa", "name": "Marta",
            "description": "Rocznik 1991.", "verified": true,
            "created_at": "2015-06-01T10:00:00.000Z",
            "public_metrics": {"followers_count": 1820}
        });
        let m = to_mention(&post, Some(&user)).unwrap();
        assert_eq!(m.id.as_str(), "x:2032048686002864487");
        assert_eq!(m.url, "https://x.com/marta_wawa/status/2032048686002864487");
        assert_eq!(m.author.handle, "marta_wawa");
        assert_eq!(m.author.bio, "Rocznik 1991.");
        assert_eq!(m.author.followers, 1820);
        assert!(m.author.verified);
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 3,
                reposts: 3,
                replies: 4
            }
        );
        assert_eq!(m.language_hint.as_deref(), Some("pl"));
        let bare = to_mention(&post, None).unwrap();
        assert_eq!(bare.author.id, "15");
        assert!(bare.url.ends_with("/i/web/status/2032048686002864487"));
        assert!(to_mention(&json!({"id": "1"}), None).is_none());
    }

    #[test]
    fn forged_counts_saturate_instead_of_overflowing() {
        let post = json!({
            "id": "1", "text": "Orlen", "created_at": "2026-03-12T10:59:00.000Z",
            "public_metrics": {"like_count": 0, "retweet_count": u64::MAX,
                "quote_count": u64::MAX, "reply_count": 0}
        });
        assert_eq!(
            to_mention(&post, None).unwrap().engagement.reposts,
            u64::MAX
        );
    }

    /// A long post in the shape of X's data dictionary (Tweet object: `entities.urls`,
    /// `note_tweet`; https://developer.x.com/en/docs/x-api/data-dictionary/object-model/tweet),
    /// kept in tests/fixtures/documented.
    #[test]
    fn a_long_post_keeps_its_full_text_and_expanded_links() {
        let page: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/documented/x_note_tweet.json"
        ))
        .unwrap();
        let m = to_mention(&page["data"][0], Some(&page["includes"]["users"][0])).unwrap();
        assert!(m.text.len() > 280, "the note's full text: {}", m.text);
        assert!(
            m.text.ends_with("More at https://example.com/analysis"),
            "{}",
            m.text
        );
        assert!(m.text.contains("https://www.orlen.pl/en/news/prices"));
        assert!(!m.text.contains("t.co/"), "{}", m.text);
        assert_eq!(m.author.handle, "XDevelopers");
        // A post without a note: its own text, links expanded too.
        let mut short = page["data"][0].clone();
        short.as_object_mut().unwrap().remove("note_tweet");
        let m = to_mention(&short, None).unwrap();
        assert!(m.text.starts_with(
            "Orlen raises prices again, read the full thread https://www.orlen.pl/en/news/prices"
        ));
    }

    #[test]
    fn an_author_that_fails_to_parse_is_counted_and_keeps_its_id() {
        let post = json!({"id": "1", "text": "Orlen", "created_at": "2026-03-12T10:59:00.000Z",
            "author_id": "15"});
        let broken = json!({"id": "15", "username": "marta", "verified": "yes"});
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let m =
            metrics::with_local_recorder(&recorder, || to_mention(&post, Some(&broken))).unwrap();
        assert_eq!(m.author.id, "15");
        let counted = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .any(|(key, _, _, value)| {
                key.key().name() == "earshot_collector_unmapped_authors_total"
                    && value == metrics_util::debugging::DebugValue::Counter(1)
            });
        assert!(counted, "the unreadable author is counted");
    }
}
