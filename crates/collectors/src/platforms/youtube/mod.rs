//! YouTube Data API v3: comment threads on configured videos and channels, live and
//! backfilled.
//!
//! `GET https://www.googleapis.com/youtube/v3/commentThreads?part=snippet&videoId=…` (or
//! `allThreadsRelatedToChannelId=…`) `&maxResults=100&order=time&pageToken=…&key=…`
//! returns threads newest first with a `nextPageToken`
//! (developers.google.com/youtube/v3/docs/commentThreads/list). Live polls sweep back to
//! the previous sweep's newest comment (`threads.rs`); backfills page back past `--from`
//! (`backfill.rs`).
//!
//! Quota: 10,000 units a day per project, resetting at midnight Pacific time; every
//! `commentThreads.list` call costs 1 unit, each page again. A [`QuotaPlan`] per key
//! (and set of rate budgets, so per process) counts the calls of every job, live and
//! backfill, against `daily_quota_units`: once
//! they are spent (or YouTube answers `quotaExceeded`), live polls do nothing for the
//! rest of the Pacific day (logged once, `earshot_collector_quota_remaining`) and
//! backfills stop with an error saying when to run them again.

mod backfill;
pub(crate) mod comment;
mod quota;
mod threads;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use earshot_model::{Brand, Platform};
use serde::Deserialize;
use smart_default::SmartDefault;

use crate::config::{HttpConfig, Secret, parse_base_url, validate_interval, validate_range};
use crate::error::Error;
use crate::http::HttpPoller;
use crate::jobs::{Job, JobContext, PollReport};
use crate::paginate::PaginatedJob;
use crate::ratelimit::{RateBudgets, RateLimitHeaders};

pub use backfill::BackfillCursor;
pub use quota::{QuotaPlan, pacific_day};
pub use threads::{Mark, ThreadsCursor};

use backfill::ThreadsBackfill;
use threads::{CommentThreads, ThreadsApi};

/// `[collectors.youtube]`.
#[derive(Debug, Clone, Deserialize, SmartDefault)]
#[serde(default, deny_unknown_fields)]
pub struct YoutubeConfig {
    /// Unset: on when an API key is configured. `true` without one is an error.
    pub enabled: Option<bool>,
    #[default = "https://www.googleapis.com"]
    pub base_url: String,
    /// A Data API key (Google Cloud console → Credentials).
    pub api_key: Option<Secret>,
    pub api_key_env: Option<String>,
    /// Videos whose comment threads are collected.
    pub video_ids: Vec<String>,
    /// Channels whose videos' comment threads are collected (`allThreadsRelatedToChannelId`).
    pub channel_ids: Vec<String>,
    /// Threads per page, 1..=100.
    #[default(100)]
    pub max_results: u32,
    /// How many pages one poll reads back at most.
    #[default(10)]
    pub history_pages: u32,
    /// Units a day the collector may spend (the project's quota is 10,000, shared with
    /// anything else using the key).
    #[default(10_000)]
    pub daily_quota_units: u64,
    pub poll_interval_ms: Option<u64>,
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
        validate_range(
            "collectors.youtube.max_results",
            self.max_results,
            1..=100,
            "YouTube",
        )?;
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
    /// What to read: `(kind, filter parameter, id)` per configured video and channel.
    fn targets(&self) -> impl Iterator<Item = (&'static str, &'static str, &String)> {
        self.video_ids
            .iter()
            .map(|id| ("video", "videoId", id))
            .chain(
                self.channel_ids
                    .iter()
                    .map(|id| ("channel", "allThreadsRelatedToChannelId", id)),
            )
    }

    /// One [`ThreadsApi`] per target, sharing the key's budget and quota plan.
    fn apis(
        &self,
        http: &HttpConfig,
        budgets: &RateBudgets,
    ) -> Result<Vec<(String, ThreadsApi)>, Error> {
        let key = self.key()?;
        let base = parse_base_url("collectors.youtube.base_url", &self.base_url)?;
        let poller = HttpPoller::new(
            http,
            Platform::Youtube,
            RateLimitHeaders::None,
            budgets.get(Platform::Youtube, &key.fingerprint()),
        )?;
        let quota = quota::plan_for(budgets, &key, self.daily_quota_units);
        let url = crate::paging::join_url(&base, ["youtube", "v3", "commentThreads"]);
        Ok(self
            .targets()
            .map(|(kind, param, id)| {
                let api = ThreadsApi {
                    poller: poller.clone(),
                    url: url.clone(),
                    key: key.clone(),
                    quota: quota.clone(),
                    filter: (param, id.clone()),
                    max_results: self.max_results,
                };
                (format!("{kind}:{id}"), api)
            })
            .collect())
    }
}

/// A YouTube job whose quota plan learns what other processes on the same key spent
/// before each poll and tells them what it spent after (the ledger in [`quota`]).
struct QuotaShared<J> {
    job: J,
    plan: Arc<QuotaPlan>,
}

#[async_trait::async_trait]
impl<J: Job> Job for QuotaShared<J> {
    fn id(&self) -> &str {
        self.job.id()
    }

    fn platform(&self) -> Platform {
        self.job.platform()
    }

    fn poll_interval(&self) -> Option<std::time::Duration> {
        self.job.poll_interval()
    }

    async fn poll(&self, ctx: &JobContext) -> Result<PollReport, Error> {
        if let Err(error) = self.plan.sync(&ctx.cursors, Utc::now()).await {
            tracing::warn!(job = self.id(), %error, "could not read the shared quota ledger; counting this process only");
        }
        let result = self.job.poll(ctx).await;
        if let Err(error) = self.plan.publish(&ctx.cursors, Utc::now()).await {
            tracing::warn!(job = self.id(), %error, "could not record this process's quota spending");
        }
        result
    }
}

/// One job per video and per channel; all share one key, budget and quota plan.
pub(crate) fn jobs(
    config: &YoutubeConfig,
    http: &HttpConfig,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    Ok(config
        .apis(http, budgets)?
        .into_iter()
        .map(|(target, api)| {
            let plan = api.quota.clone();
            let threads = CommentThreads {
                api,
                history_pages: config.history_pages,
            };
            let job = PaginatedJob::new(format!("youtube:{target}"), Platform::Youtube, threads)
                .with_interval(config.poll_interval_ms);
            Arc::new(QuotaShared { job, plan }) as Arc<dyn Job>
        })
        .collect())
}

/// One job per configured video and channel over `[from, to)`
/// (`backfill:youtube:video:ID:FROM..TO`). Like live collection, every comment is
/// produced whatever the brand, so the brand does not pick the jobs.
pub(crate) fn backfill_jobs(
    config: &YoutubeConfig,
    http: &HttpConfig,
    _brand: &Brand,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    if config.video_ids.is_empty() && config.channel_ids.is_empty() {
        return Err(Error::config(
            "collectors.youtube.video_ids",
            "neither video_ids nor channel_ids is set: nothing to backfill",
        ));
    }
    let range = format!("{}..{}", from.timestamp(), to.timestamp());
    Ok(config
        .apis(http, budgets)?
        .into_iter()
        .map(|(target, api)| {
            let plan = api.quota.clone();
            let backfill = ThreadsBackfill { api, from, to };
            let job = PaginatedJob::new(
                format!("backfill:youtube:{target}:{range}"),
                Platform::Youtube,
                backfill,
            );
            Arc::new(QuotaShared { job, plan }) as Arc<dyn Job>
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn backfills_need_something_to_read_and_name_their_range() {
        let brand = Brand::default();
        let (http, budgets) = (HttpConfig::default(), RateBudgets::default());
        let from: DateTime<Utc> = "2026-03-11T00:00:00Z".parse().unwrap();
        let to: DateTime<Utc> = "2026-03-12T00:00:00Z".parse().unwrap();
        let mut config = YoutubeConfig {
            api_key: Some(Secret::new("AIza-secret")),
            ..YoutubeConfig::default()
        };
        let error = backfill_jobs(&config, &http, &brand, from, to, &budgets)
            .err()
            .unwrap()
            .to_string();
        assert!(error.starts_with("collectors.youtube.video_ids"), "{error}");
        config.video_ids = vec!["vid1".into()];
        config.channel_ids = vec!["UCx".into()];
        let jobs = backfill_jobs(&config, &http, &brand, from, to, &budgets).unwrap();
        let ids: Vec<&str> = jobs.iter().map(|j| j.id()).collect();
        assert_eq!(
            ids,
            [
                "backfill:youtube:video:vid1:1773187200..1773273600",
                "backfill:youtube:channel:UCx:1773187200..1773273600"
            ]
        );
    }
}
