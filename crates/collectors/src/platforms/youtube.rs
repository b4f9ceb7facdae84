//! YouTube Data API v3: comment threads on configured videos and channels.
//!
//! `GET https://www.googleapis.com/youtube/v3/commentThreads?part=snippet&videoId=…` (or
//! `allThreadsRelatedToChannelId=…`) `&maxResults=100&order=time&pageToken=…&key=…`
//! returns threads newest first with a `nextPageToken`
//! (developers.google.com/youtube/v3/docs/commentThreads/list). There is no "newer
//! than" parameter, so a poll sweeps from the newest page back to the newest comment of
//! the previous sweep ([`crate::sweep`]).
//!
//! Quota: 10,000 units a day per project, resetting at midnight Pacific time; every
//! `commentThreads.list` call costs 1 unit, each page again. [`QuotaPlan`] counts the
//! calls of every job using one key against `daily_quota_units` and stops polling for
//! the rest of the Pacific day once they are spent (or YouTube answers `quotaExceeded`),
//! logging it once and exporting `earshot_collector_quota_remaining`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, Utc, Weekday};
use earshot_model::{Author, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::ratelimit::{RateBudgets, RateLimitHeaders};
use crate::sweep::{self, SweepCursor};
use crate::text::html_to_text;

/// Quota units one `commentThreads.list` call costs.
const LIST_COST: u64 = 1;

/// `[collectors.youtube]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YoutubeConfig {
    /// Unset: on when an API key is configured. `true` without one is an error.
    pub enabled: Option<bool>,
    pub base_url: String,
    /// A Data API key (Google Cloud console → Credentials).
    pub api_key: Option<Secret>,
    pub api_key_env: Option<String>,
    /// Videos whose comment threads are collected.
    pub video_ids: Vec<String>,
    /// Channels whose videos' comment threads are collected (`allThreadsRelatedToChannelId`).
    pub channel_ids: Vec<String>,
    /// Threads per page, 1..=100.
    pub max_results: u32,
    /// How many pages one poll reads back at most.
    pub history_pages: u32,
    /// Units a day the collector may spend (the project's quota is 10,000, shared with
    /// anything else using the key).
    pub daily_quota_units: u64,
    pub poll_interval_ms: Option<u64>,
}

impl Default for YoutubeConfig {
    fn default() -> Self {
        YoutubeConfig {
            enabled: None,
            base_url: "https://www.googleapis.com".into(),
            api_key: None,
            api_key_env: None,
            video_ids: Vec::new(),
            channel_ids: Vec::new(),
            max_results: 100,
            history_pages: 10,
            daily_quota_units: 10_000,
            poll_interval_ms: None,
        }
    }
}

impl YoutubeConfig {
    /// Whether jobs run: as configured, else whenever an API key is configured.
    pub fn is_enabled(&self) -> bool {
        self.enabled
            .unwrap_or(self.api_key.is_some() || self.api_key_env.is_some())
    }

    fn key(&self) -> Result<Secret, Error> {
        Secret::resolve(
            &self.api_key,
            &self.api_key_env,
            "collectors.youtube.api_key",
        )?
        .ok_or_else(|| {
            Error::config(
                "collectors.youtube.api_key",
                "is not set (set api_key_env to the variable holding it)",
            )
        })
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        parse_base_url("collectors.youtube.base_url", &self.base_url)?;
        if !(1..=100).contains(&self.max_results) {
            return Err(Error::config(
                "collectors.youtube.max_results",
                format!("is {}; YouTube allows 1..=100", self.max_results),
            ));
        }
        for (key, value) in [
            ("history_pages", u64::from(self.history_pages)),
            ("daily_quota_units", self.daily_quota_units),
        ] {
            if value == 0 {
                return Err(Error::config(
                    format!("collectors.youtube.{key}"),
                    "must be at least 1",
                ));
            }
        }
        for (list, ids) in [
            ("video_ids", &self.video_ids),
            ("channel_ids", &self.channel_ids),
        ] {
            for (i, id) in ids.iter().enumerate() {
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(Error::config(
                        format!("collectors.youtube.{list}[{i}]"),
                        format!("`{id}` is not a YouTube id"),
                    ));
                }
            }
        }
        validate_interval("collectors.youtube.poll_interval_ms", self.poll_interval_ms)?;
        if self.is_enabled() {
            self.key()?;
            if self.video_ids.is_empty() && self.channel_ids.is_empty() {
                return Err(Error::config(
                    "collectors.youtube.video_ids",
                    "neither video_ids nor channel_ids is set: nothing to collect",
                ));
            }
        }
        Ok(())
    }
}

/// One job per video and per channel; all share one key, budget and quota plan.
pub(crate) fn jobs(
    config: &YoutubeConfig,
    http: &HttpConfig,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let key = config.key()?;
    let base = parse_base_url("collectors.youtube.base_url", &config.base_url)?;
    let poller = HttpPoller::new(
        http,
        Platform::Youtube,
        RateLimitHeaders::None,
        budgets.get(Platform::Youtube, &key.fingerprint()),
    )?;
    let mut url = base;
    url.path_segments_mut()
        .expect("validated http(s) base URL")
        .pop_if_empty()
        .extend(["youtube", "v3", "commentThreads"]);
    let quota = Arc::new(QuotaPlan::new(config.daily_quota_units));
    let targets = config
        .video_ids
        .iter()
        .map(|id| ("video", "videoId", id))
        .chain(
            config
                .channel_ids
                .iter()
                .map(|id| ("channel", "allThreadsRelatedToChannelId", id)),
        );
    Ok(targets
        .map(|(kind, param, id)| {
            let threads = CommentThreads {
                poller: poller.clone(),
                url: url.clone(),
                key: key.clone(),
                quota: quota.clone(),
                filter: (param, id.clone()),
                max_results: config.max_results,
                history_pages: config.history_pages,
            };
            Arc::new(
                PaginatedJob::new(format!("youtube:{kind}:{id}"), Platform::Youtube, threads)
                    .with_interval(config.poll_interval_ms),
            ) as Arc<dyn Job>
        })
        .collect())
}

/// The calendar day in US Pacific time (UTC-8, UTC-7 from the second Sunday of March to
/// the first Sunday of November), when YouTube's quota resets.
pub fn pacific_day(now: DateTime<Utc>) -> NaiveDate {
    let year = now.year();
    let switch = |month, nth, utc_hour| {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, nth)
            .and_then(|d| d.and_hms_opt(utc_hour, 0, 0))
            .map(|t| t.and_utc())
    };
    // 02:00 local: 10:00 UTC in winter time, 09:00 UTC in summer time.
    let summer = match (switch(3, 2, 10), switch(11, 1, 9)) {
        (Some(start), Some(end)) => now >= start && now < end,
        _ => false,
    };
    let offset = if summer { -7 } else { -8 };
    (now + ChronoDuration::hours(offset)).date_naive()
}

/// The units a key may still spend today, shared by every job using it. It lives in
/// the process: a restart forgets what was spent earlier the same day.
#[derive(Debug)]
pub struct QuotaPlan {
    daily_units: u64,
    state: Mutex<QuotaState>,
}

#[derive(Debug)]
struct QuotaState {
    day: Option<NaiveDate>,
    spent: u64,
    announced: bool,
}

impl QuotaPlan {
    pub fn new(daily_units: u64) -> Self {
        QuotaPlan {
            daily_units,
            state: Mutex::new(QuotaState {
                day: None,
                spent: 0,
                announced: false,
            }),
        }
    }

    /// Spends `units` if today's plan has them; `false` (logged once a day) if not.
    pub fn try_spend(&self, units: u64, now: DateTime<Utc>) -> bool {
        let mut state = self.state.lock().unwrap();
        let today = pacific_day(now);
        if state.day != Some(today) {
            *state = QuotaState {
                day: Some(today),
                spent: 0,
                announced: false,
            };
        }
        let ok = state.spent + units <= self.daily_units;
        if ok {
            state.spent += units;
        } else if !state.announced {
            state.announced = true;
            tracing::warn!(
                spent = state.spent,
                daily_units = self.daily_units,
                "YouTube daily quota spent; polling resumes after midnight Pacific time"
            );
        }
        metrics::gauge!("earshot_collector_quota_remaining", "platform" => "youtube")
            .set(self.daily_units.saturating_sub(state.spent) as f64);
        if !ok {
            metrics::counter!("earshot_collector_quota_exhausted_polls_total", "platform" => "youtube")
                .increment(1);
        }
        ok
    }

    /// Marks today's quota as spent (YouTube answered `quotaExceeded`).
    pub fn exhaust(&self, now: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap();
        state.day = Some(pacific_day(now));
        state.spent = self.daily_units;
    }

    /// Units left today.
    pub fn remaining(&self, now: DateTime<Utc>) -> u64 {
        let state = self.state.lock().unwrap();
        if state.day == Some(pacific_day(now)) {
            self.daily_units.saturating_sub(state.spent)
        } else {
            self.daily_units
        }
    }
}

/// A thread's place in `order=time`: publication time, then id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mark {
    pub published_at: DateTime<Utc>,
    pub id: String,
}

impl Mark {
    fn of(thread: &Value) -> Option<Mark> {
        Some(Mark {
            published_at: thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
                .as_str()?
                .parse()
                .ok()?,
            id: thread["id"].as_str()?.to_string(),
        })
    }
}

/// Where a comment-thread job stands.
pub type ThreadsCursor = SweepCursor<Mark>;

struct CommentThreads {
    poller: HttpPoller,
    url: Url,
    key: Secret,
    quota: Arc<QuotaPlan>,
    filter: (&'static str, String),
    max_results: u32,
    history_pages: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    #[serde(default)]
    items: Vec<Value>,
    next_page_token: Option<String>,
}

#[async_trait]
impl Paginator for CommentThreads {
    type Cursor = ThreadsCursor;

    async fn fetch(&self, cursor: &ThreadsCursor) -> Result<Page<ThreadsCursor>, Error> {
        let unchanged = || Page {
            mentions: Vec::new(),
            cursor: cursor.clone(),
            more: false,
            total_hint: None,
        };
        if !self.quota.try_spend(LIST_COST, Utc::now()) {
            return Ok(unchanged());
        }
        let max_results = self.max_results.to_string();
        let mut params = vec![
            ("part", "snippet"),
            (self.filter.0, self.filter.1.as_str()),
            ("maxResults", max_results.as_str()),
            ("order", "time"),
            ("textFormat", "plainText"),
        ];
        let requested = cursor.sweep.as_ref().map(|s| s.next_page.as_str());
        if let Some(token) = requested {
            params.push(("pageToken", token));
        }
        let result = self
            .poller
            .get_json::<ListResponse>(|client| {
                client
                    .get(self.url.clone())
                    .query(&params)
                    .query(&[("key", self.key.expose())])
            })
            .await;
        let response = match result {
            Ok(fetched) => fetched.body,
            Err(Error::Refused {
                status: 403, body, ..
            }) if body.contains("quotaExceeded") => {
                self.quota.exhaust(Utc::now());
                tracing::warn!(
                    "YouTube answered quotaExceeded; polling resumes after midnight Pacific time"
                );
                return Ok(unchanged());
            }
            Err(error) => return Err(error),
        };
        let marks: Vec<Option<Mark>> = response.items.iter().map(Mark::of).collect();
        let step = sweep::step(
            Platform::Youtube,
            &self.filter.1,
            cursor,
            &marks,
            response.next_page_token.filter(|t| !t.is_empty()),
            self.history_pages,
        )?;
        let mentions = response
            .items
            .iter()
            .zip(&step.is_new)
            .filter(|(_, new)| **new)
            .filter_map(|(thread, _)| to_mention(thread))
            .collect();
        Ok(Page {
            mentions,
            cursor: step.cursor,
            more: step.more,
            total_hint: None,
        })
    }
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
    let thread: Thread = match serde_json::from_value(value.clone()) {
        Ok(thread) => thread,
        Err(error) => {
            tracing::warn!(%error, "skipping a YouTube comment thread we cannot read");
            metrics::counter!("earshot_collector_unmapped_items_total", "platform" => "youtube")
                .increment(1);
            return None;
        }
    };
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
    Some(RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Youtube, &thread.id),
        platform: Platform::Youtube,
        platform_id: thread.id,
        url,
        text,
        created_at: comment.snippet.published_at,
        collected_at: Utc::now(),
        author: Author {
            id: comment
                .snippet
                .author_channel_id
                .map_or_else(|| author.clone(), |c| c.value),
            handle: author.clone(),
            name: author,
            // Subscriber counts need channels.list (1 unit per 50 channels).
            bio: String::new(),
            followers: 0,
            verified: false,
            created_at: None,
        },
        engagement: Engagement {
            likes: comment.snippet.like_count,
            reposts: 0,
            replies: snippet.total_reply_count,
        },
        language_hint: None,
        origin: Origin::Live,
        source: String::new(),
        raw: value.clone().into(),
    })
}

/// Jobs that page through `brand`'s history over `[from, to)`.
pub(crate) fn backfill_jobs(
    _config: &YoutubeConfig,
    _http: &HttpConfig,
    _brand: &earshot_model::Brand,
    _from: chrono::DateTime<chrono::Utc>,
    _to: chrono::DateTime<chrono::Utc>,
    _budgets: &crate::ratelimit::RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    Err(super::no_backfill(Platform::Youtube, "not implemented yet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_quota_day_is_pacific() {
        // Winter: UTC-8, so 07:59 UTC is still the previous day.
        assert_eq!(
            pacific_day(at("2026-01-15T07:59:00Z")).to_string(),
            "2026-01-14"
        );
        assert_eq!(
            pacific_day(at("2026-01-15T08:00:00Z")).to_string(),
            "2026-01-15"
        );
        // Summer (from 8 March 2026): UTC-7.
        assert_eq!(
            pacific_day(at("2026-07-01T06:59:00Z")).to_string(),
            "2026-06-30"
        );
        assert_eq!(
            pacific_day(at("2026-07-01T07:00:00Z")).to_string(),
            "2026-07-01"
        );
    }

    #[test]
    fn the_plan_stops_at_the_budget_and_resets_at_pacific_midnight() {
        let plan = QuotaPlan::new(2);
        let day = at("2026-03-12T12:00:00Z");
        assert!(plan.try_spend(1, day) && plan.try_spend(1, day));
        assert!(!plan.try_spend(1, day));
        assert_eq!(plan.remaining(day), 0);
        // 07:00 UTC on 13 March is midnight in Pacific summer time.
        assert!(!plan.try_spend(1, at("2026-03-13T06:59:00Z")));
        assert!(plan.try_spend(1, at("2026-03-13T07:00:00Z")));
        plan.exhaust(at("2026-03-13T08:00:00Z"));
        assert!(!plan.try_spend(1, at("2026-03-13T09:00:00Z")));
    }

    #[test]
    fn config_needs_a_key_and_something_to_watch() {
        assert!(!YoutubeConfig::default().is_enabled());
        YoutubeConfig::default().validate().unwrap();
        let mut config = YoutubeConfig {
            api_key: Some(Secret::new("AIza-secret")),
            ..YoutubeConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.youtube.video_ids: ")
        );
        config.video_ids = vec!["dQw4w9WgXcQ".into(), "bad id".into()];
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("collectors.youtube.video_ids[1]")
        );
        assert!(!format!("{config:?}").contains("AIza"));
        let unknown = serde_json::from_str::<YoutubeConfig>(r#"{"videos": []}"#)
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("unknown field `videos`"), "{unknown}");
    }

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
