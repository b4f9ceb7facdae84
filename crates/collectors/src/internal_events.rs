//! Every metric and log line the collectors emit, as typed events
//! ([`earshot_runtime::InternalEvent`]): one place defines each metric name, label and
//! message, and tests assert on them with [`earshot_runtime::events::EventRecorder`].
//! Credentials never appear in an event.

use std::time::Duration;

use chrono::{DateTime, Utc};
use earshot_model::Platform;
use earshot_runtime::InternalEvent;
use metrics::{counter, gauge};

/// One HTTP (or WebSocket upgrade) answer or transport failure, by status label.
#[derive(Debug)]
pub struct RequestCompleted<'a> {
    pub platform: Platform,
    /// The HTTP status code, or `timeout`, `transport`, `malformed`, `too_large`.
    pub status: &'a str,
}

impl InternalEvent for RequestCompleted<'_> {
    fn handle(self) {
        counter!("earshot_collector_requests_total",
            "platform" => self.platform.as_str(), "status" => self.status.to_string())
        .increment(1);
    }
}

/// A response body over `collectors.http.max_body_bytes`; the poll fails.
#[derive(Debug)]
pub struct BodyTooLarge {
    pub platform: Platform,
    pub limit: u64,
}

impl InternalEvent for BodyTooLarge {
    fn handle(self) {
        tracing::warn!(platform = %self.platform, limit = self.limit,
            "response body too large; failing the poll");
        counter!("earshot_collector_bodies_too_large_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// A poll finished: `Ok((pages, mentions))` or the error that failed it.
#[derive(Debug)]
pub struct PollCompleted<'a> {
    pub job: &'a str,
    pub platform: Platform,
    pub outcome: Result<(u64, u64), &'a crate::Error>,
    pub elapsed: Duration,
}

impl InternalEvent for PollCompleted<'_> {
    fn handle(self) {
        let label = if self.outcome.is_ok() { "ok" } else { "error" };
        counter!("earshot_collector_polls_total",
            "platform" => self.platform.as_str(), "outcome" => label)
        .increment(1);
        match self.outcome {
            Ok((pages, mentions)) => tracing::info!(
                job = self.job,
                pages,
                mentions,
                elapsed_ms = self.elapsed.as_millis() as u64,
                "poll done"
            ),
            Err(error) => {
                tracing::warn!(job = self.job, %error, "poll failed; the cursor stays where it was")
            }
        }
    }
}

/// A job (or the bookkeeping around it, when `job` is `None`) panicked.
#[derive(Debug)]
pub struct JobPanicked<'a> {
    pub job: Option<&'a str>,
    pub platform: Option<Platform>,
    pub message: &'a str,
}

impl InternalEvent for JobPanicked<'_> {
    fn handle(self) {
        let platform = self.platform.map_or("unknown", Platform::as_str);
        match self.job {
            Some(job) => tracing::error!(
                job,
                platform,
                panic = self.message,
                "job panicked; it will poll again"
            ),
            None => tracing::error!(
                panic = self.message,
                "a collector task panicked outside its poll"
            ),
        }
        counter!("earshot_collector_job_panics_total", "platform" => platform).increment(1);
    }
}

/// A page's mentions are acknowledged by Kafka.
#[derive(Debug)]
pub struct MentionsProduced {
    pub platform: Platform,
    pub count: u64,
}

impl InternalEvent for MentionsProduced {
    fn handle(self) {
        counter!("earshot_collector_mentions_total", "platform" => self.platform.as_str())
            .increment(self.count);
    }
}

/// A mention too large to produce (over `MAX_RAW_MENTION_BYTES`, or refused alone by
/// the broker): skipped so the rest of its page goes on.
#[derive(Debug)]
pub struct MentionOversized<'a> {
    pub platform: Platform,
    pub id: &'a str,
    pub source: &'a str,
    pub size: usize,
    /// `collector` (over our own limit) or `broker`.
    pub refused_by: &'static str,
}

impl InternalEvent for MentionOversized<'_> {
    fn handle(self) {
        tracing::warn!(
            id = self.id,
            source = self.source,
            size = self.size,
            refused_by = self.refused_by,
            "skipping a mention too large to produce; the rest of the page goes on"
        );
        counter!("earshot_collector_oversized_items_total",
            "platform" => self.platform.as_str(), "refused_by" => self.refused_by)
        .increment(1);
    }
}

/// An author's follower count above `MAX_PLAUSIBLE_FOLLOWERS`, stored clamped (a forged
/// `u64::MAX` would poison `potential_reach`); the original stays in `raw`.
#[derive(Debug)]
pub struct ImplausibleFollowers<'a> {
    pub platform: Platform,
    pub id: &'a str,
    pub source: &'a str,
    pub followers: u64,
}

impl InternalEvent for ImplausibleFollowers<'_> {
    fn handle(self) {
        tracing::warn!(
            id = self.id,
            source = self.source,
            followers = self.followers,
            "implausible follower count; storing {}",
            earshot_model::MAX_PLAUSIBLE_FOLLOWERS
        );
        counter!("earshot_collector_implausible_followers_total",
            "platform" => self.platform.as_str())
        .increment(1);
    }
}

/// A page readable only after invalid UTF-8 or lone surrogates were replaced with
/// U+FFFD: one bad byte in one post must not block its job for good.
#[derive(Debug)]
pub struct PageRepaired<'a> {
    pub platform: Platform,
    pub error: &'a str,
    pub invalid_utf8: bool,
    pub lone_surrogates: usize,
}

impl InternalEvent for PageRepaired<'_> {
    fn handle(self) {
        tracing::warn!(platform = %self.platform, error = self.error,
            invalid_utf8 = self.invalid_utf8, lone_surrogates = self.lone_surrogates,
            "response had invalid UTF-8 or lone surrogates; replaced them with U+FFFD");
        counter!("earshot_collector_repaired_pages_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// The feed parser (feed-rs) panicked on a page; `recovered` when the page parsed once
/// its person fields were removed.
#[derive(Debug)]
pub struct FeedParserPanicked<'a> {
    pub error: &'a str,
    pub recovered: bool,
}

impl InternalEvent for FeedParserPanicked<'_> {
    fn handle(self) {
        tracing::warn!(
            error = self.error,
            recovered = self.recovered,
            "feed parser panicked; parsed the page again without its author fields"
        );
        counter!("earshot_collector_feed_parser_panics_total",
            "recovered" => if self.recovered { "true" } else { "false" })
        .increment(1);
    }
}

/// A post time outside the plausible window; the collection time is stored instead.
#[derive(Debug)]
pub struct ImplausibleTime<'a> {
    pub platform: Platform,
    pub id: &'a str,
    pub source: &'a str,
    pub created_at: DateTime<Utc>,
    /// `past` or `future`.
    pub side: &'static str,
}

impl InternalEvent for ImplausibleTime<'_> {
    fn handle(self) {
        tracing::warn!(id = self.id, source = self.source, created_at = %self.created_at,
            side = self.side, "implausible post time; storing the collection time (the original stays in raw)");
        counter!("earshot_collector_implausible_times_total",
            "platform" => self.platform.as_str(), "side" => self.side)
        .increment(1);
    }
}

/// The platform answered with the page cursor (or page number) just requested.
#[derive(Debug)]
pub struct RepeatedCursor<'a> {
    pub platform: Platform,
    /// The job, where the caller knows it.
    pub job: Option<&'a str>,
    pub cursor: &'a str,
}

impl InternalEvent for RepeatedCursor<'_> {
    fn handle(self) {
        tracing::warn!(platform = %self.platform, job = self.job, cursor = self.cursor,
            "the platform repeated a cursor");
        counter!("earshot_collector_repeated_cursors_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// An item the platform sent that we cannot map; it is skipped.
#[derive(Debug)]
pub struct ItemUnmapped<'a> {
    pub platform: Platform,
    /// What the item is (`status`, `post view`, `feed item`…).
    pub what: &'a str,
    pub reason: &'a str,
}

impl InternalEvent for ItemUnmapped<'_> {
    fn handle(self) {
        tracing::warn!(platform = %self.platform, error = self.reason,
            "skipping a {} we cannot read", self.what);
        counter!("earshot_collector_unmapped_items_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// An item whose author could not be read: the mention keeps the author's id and
/// loses the profile, and says so.
#[derive(Debug)]
pub struct AuthorUnmapped<'a> {
    pub platform: Platform,
    /// The post's platform id.
    pub post: &'a str,
    pub reason: &'a str,
}

impl InternalEvent for AuthorUnmapped<'_> {
    fn handle(self) {
        tracing::warn!(platform = %self.platform, post = self.post, error = self.reason,
            "an author we cannot read; keeping only its id");
        counter!("earshot_collector_unmapped_authors_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// An item a client-side filter looked at (Reddit listings are filtered locally).
#[derive(Debug)]
pub struct ItemScanned {
    pub platform: Platform,
    pub matched: bool,
}

impl InternalEvent for ItemScanned {
    fn handle(self) {
        counter!("earshot_collector_scanned_items_total", "platform" => self.platform.as_str(),
            "matched" => if self.matched { "yes" } else { "no" })
        .increment(1);
    }
}

/// A server-supplied wait over the cap was cut to the cap.
#[derive(Debug)]
pub struct ServerWaitCapped {
    pub asked: Duration,
    pub cap: Duration,
}

impl InternalEvent for ServerWaitCapped {
    fn handle(self) {
        tracing::warn!(
            asked_s = self.asked.as_secs(),
            cap_s = self.cap.as_secs(),
            "server asked for a wait over the cap; waiting the cap"
        );
        counter!("earshot_collector_server_waits_capped_total").increment(1);
    }
}

/// A rate budget is spent (or down to its reserve): the job waits for the reset.
#[derive(Debug)]
pub struct RateLimitWait {
    pub platform: Platform,
    pub wait: Duration,
    pub reserve: f64,
}

impl InternalEvent for RateLimitWait {
    fn handle(self) {
        tracing::info!(platform = %self.platform, wait_ms = self.wait.as_millis() as u64,
            reserve = self.reserve,
            "rate limit exhausted (or down to the reserve); waiting for its reset");
        counter!("earshot_collector_rate_limit_waits_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// What the platform's rate-limit headers say is left.
#[derive(Debug)]
pub struct RateLimitObserved {
    pub platform: Platform,
    pub remaining: u64,
}

impl InternalEvent for RateLimitObserved {
    fn handle(self) {
        gauge!("earshot_collector_rate_limit_remaining", "platform" => self.platform.as_str())
            .set(self.remaining as f64);
    }
}

/// The YouTube quota ledger after a poll asked for units.
#[derive(Debug)]
pub struct QuotaChecked {
    pub platform: Platform,
    pub remaining: u64,
    pub granted: bool,
}

impl InternalEvent for QuotaChecked {
    fn handle(self) {
        gauge!("earshot_collector_quota_remaining", "platform" => self.platform.as_str())
            .set(self.remaining as f64);
        if !self.granted {
            counter!("earshot_collector_quota_exhausted_polls_total", "platform" => self.platform.as_str())
                .increment(1);
        }
    }
}

/// A session (Bluesky) was renewed: `refresh` or `login`.
#[derive(Debug)]
pub struct SessionRenewed {
    pub platform: Platform,
    pub how: &'static str,
}

impl InternalEvent for SessionRenewed {
    fn handle(self) {
        counter!("earshot_collector_session_renewals_total",
            "platform" => self.platform.as_str(), "how" => self.how)
        .increment(1);
    }
}

/// A listing stopped at the platform's cap before the backfill's start.
#[derive(Debug)]
pub struct ListingCapped<'a> {
    pub platform: Platform,
    pub job: &'a str,
    pub listed: u64,
    pub oldest: Option<DateTime<Utc>>,
}

impl InternalEvent for ListingCapped<'_> {
    fn handle(self) {
        tracing::warn!(
            job = self.job,
            listed = self.listed,
            oldest = ?self.oldest,
            "the listing stopped near its cap before reaching --from: \
             older items cannot be fetched; the backfill covers only the items listed"
        );
        counter!("earshot_collector_listing_capped_total", "platform" => self.platform.as_str())
            .increment(1);
    }
}

/// This process's share of the collector group changed.
#[derive(Debug)]
pub struct OwnershipChanged {
    pub partitions: usize,
    /// `None` when only the partitions are known yet.
    pub jobs: Option<usize>,
}

impl InternalEvent for OwnershipChanged {
    fn handle(self) {
        gauge!("earshot_collector_owned_partitions").set(self.partitions as f64);
        if let Some(jobs) = self.jobs {
            gauge!("earshot_collector_owned_jobs").set(jobs as f64);
        }
    }
}
