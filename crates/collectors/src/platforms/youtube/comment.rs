//! How a YouTube comment thread becomes a [`RawMention`]: one mapping for live polls
//! and backfills.

use chrono::{DateTime, Utc};
use earshot_model::{Engagement, Platform, RawMention};
use serde::Deserialize;
use serde_json::Value;

use crate::paging;
use crate::text::html_to_text;

/// When a thread's top-level comment was published: what `order=time` sorts by.
pub(super) fn published_at(thread: &Value) -> Option<DateTime<Utc>> {
    thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
        .as_str()?
        .parse()
        .ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Thread {
    id: String,
    snippet: ThreadSnippet,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadSnippet {
    channel_id: Option<String>,
    video_id: Option<String>,
    top_level_comment: Comment,
    #[serde(default)]
    total_reply_count: u64,
}

#[derive(Deserialize)]
struct Comment {
    id: String,
    snippet: CommentSnippet,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentSnippet {
    text_original: Option<String>,
    #[serde(default)]
    text_display: String,
    #[serde(default)]
    author_display_name: String,
    author_channel_id: Option<ChannelId>,
    #[serde(default)]
    like_count: u64,
    published_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct ChannelId {
    value: String,
}

/// Maps a commentThread (its top-level comment); `None` (and a warning) if it lacks
/// what a mention needs.
pub(crate) fn to_mention(value: &Value) -> Option<RawMention> {
    let thread: Thread =
        crate::paging::read_item(Platform::Youtube, "YouTube comment thread", value)?;
    let snippet = thread.snippet;
    let comment = snippet.top_level_comment;
    let url = match (&snippet.video_id, &snippet.channel_id) {
        (Some(video), _) => format!("https://www.youtube.com/watch?v={video}&lc={}", comment.id),
        (None, Some(channel)) => format!("https://www.youtube.com/channel/{channel}"),
        (None, None) => String::new(),
    };
    let text = comment
        .snippet
        .text_original
        .unwrap_or_else(|| html_to_text(&comment.snippet.text_display));
    let author = comment.snippet.author_display_name;
    let author_id = comment
        .snippet
        .author_channel_id
        .map_or_else(|| author.clone(), |c| c.value);
    Some(RawMention {
        url,
        text,
        // Subscriber counts need channels.list (1 unit per 50 channels).
        author: paging::named_author(author_id, author),
        engagement: Engagement {
            likes: comment.snippet.like_count,
            reposts: 0,
            replies: snippet.total_reply_count,
        },
        ..paging::mention(
            Platform::Youtube,
            thread.id,
            comment.snippet.published_at,
            value.clone(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_comment_thread() {
        let thread = serde_json::json!({
            "kind": "youtube#commentThread", "id": "UgzAbc",
            "snippet": {
                "channelId": "UCorlen", "videoId": "vid123",
                "topLevelComment": {"kind": "youtube#comment", "id": "UgzAbc", "snippet": {
                    "textDisplay": "Ceny &amp; kolejki", "textOriginal": "Ceny & kolejki",
                    "authorDisplayName": "@kasia", "authorChannelId": {"value": "UCkasia"},
                    "likeCount": 7, "publishedAt": "2026-03-12T10:00:00Z",
                    "updatedAt": "2026-03-12T10:00:00Z"}},
                "totalReplyCount": 3
            }
        });
        let m = to_mention(&thread).unwrap();
        assert_eq!(m.id.as_str(), "youtube:UgzAbc");
        assert_eq!(m.text, "Ceny & kolejki");
        assert_eq!(m.url, "https://www.youtube.com/watch?v=vid123&lc=UgzAbc");
        assert_eq!(m.author.id, "UCkasia");
        assert_eq!(m.author.handle, "@kasia");
        assert_eq!(
            m.engagement,
            Engagement {
                likes: 7,
                reposts: 0,
                replies: 3
            }
        );
        assert!(to_mention(&serde_json::json!({"id": "x"})).is_none());
    }
}
