//! The paging loop every cursor-based platform shares.
//!
//! A platform implements [`Paginator`]: given its cursor, fetch one page and say what the
//! cursor becomes. [`PaginatedJob`] does the rest in a fixed order of effects: produce
//! the page's mentions, wait for Kafka to acknowledge them, and only then store the new
//! cursor. A crash between the two repeats one page; it never skips one.

use std::collections::HashSet;
use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use earshot_model::{MentionId, Platform, RawMention};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cursor::CursorStoreExt;
use crate::error::Error;
use crate::internal_events::RepeatedCursor;
use crate::jobs::{Job, JobContext, PollReport};
use earshot_runtime::InternalEvent;

/// One page fetched from a platform.
#[derive(Debug)]
pub struct Page<C> {
    pub mentions: Vec<RawMention>,
    /// The cursor to store once the mentions are durable.
    pub cursor: C,
    /// Whether another page can be fetched right now; `false` means caught up.
    pub more: bool,
    /// How many items the whole query holds, where the platform says (for progress bars).
    pub total_hint: Option<u64>,
}

impl<C> Page<C> {
    /// An empty page that keeps `cursor` and ends the poll: what a finished range or a
    /// spent quota answers without asking the platform.
    pub fn nothing(cursor: C) -> Self {
        Page {
            mentions: Vec::new(),
            cursor,
            more: false,
            total_hint: None,
        }
    }
}

/// A platform's way of walking a result set one page at a time.
#[async_trait]
pub trait Paginator: Send + Sync + 'static {
    /// Everything needed to resume, stored as JSON under the job id. `Default` is the
    /// state of a job that never ran.
    type Cursor: Serialize + DeserializeOwned + Clone + PartialEq + Default + Debug + Send + Sync;

    async fn fetch(&self, cursor: &Self::Cursor) -> Result<Page<Self::Cursor>, Error>;
}

/// A job that polls one query of one platform through a [`Paginator`].
pub struct PaginatedJob<P> {
    pub id: String,
    pub platform: Platform,
    pub paginator: P,
    /// Overrides the global poll interval for this job.
    pub interval: Option<Duration>,
}

impl<P: Paginator> PaginatedJob<P> {
    pub fn new(id: String, platform: Platform, paginator: P) -> Self {
        PaginatedJob {
            id,
            platform,
            paginator,
            interval: None,
        }
    }

    /// Sets the platform's own poll interval, if configured.
    pub fn with_interval(mut self, interval_ms: Option<u64>) -> Self {
        self.interval = interval_ms.map(Duration::from_millis);
        self
    }
}

#[async_trait]
impl<P: Paginator> Job for PaginatedJob<P> {
    fn id(&self) -> &str {
        &self.id
    }

    fn platform(&self) -> Platform {
        self.platform
    }

    fn poll_interval(&self) -> Option<Duration> {
        self.interval
    }

    /// Pages until the platform says there is nothing more right now.
    async fn poll(&self, ctx: &JobContext) -> Result<PollReport, Error> {
        let mut cursor: P::Cursor = ctx.cursors.get(&self.id)?.unwrap_or_default();
        let mut report = PollReport::default();
        // Cursors requested in this poll: a page pointing back at one of them would loop.
        let mut requested: HashSet<String> = HashSet::new();
        requested.insert(cursor_key(&cursor));
        // Pages can overlap (a rewound cursor, a server repeating items); send each once.
        let mut produced: HashSet<MentionId> = HashSet::new();
        loop {
            let page = self.paginator.fetch(&cursor).await?;
            let mentions: Vec<RawMention> = page
                .mentions
                .into_iter()
                .filter(|m| produced.insert(m.id.clone()))
                .map(|mut m| {
                    m.origin = ctx.origin;
                    m.source = self.id.clone();
                    m
                })
                .collect();
            ctx.sink.send(&mentions).await?;
            if page.cursor != cursor {
                ctx.cursors.put(&self.id, &page.cursor).await?;
            }
            report.pages += 1;
            report.mentions += mentions.len() as u64;
            if let Some(progress) = &ctx.progress {
                if let Some(total) = page.total_hint {
                    progress.total_known(total);
                }
                progress.produced(mentions.len() as u64);
            }
            tracing::debug!(job = %self.id, mentions = mentions.len(), more = page.more, "page done");
            if !page.more {
                break;
            }
            if !requested.insert(cursor_key(&page.cursor)) {
                RepeatedCursor {
                    platform: self.platform,
                    job: Some(&self.id),
                    cursor: &cursor_key(&page.cursor),
                }
                .emit();
                break;
            }
            cursor = page.cursor;
        }
        Ok(report)
    }
}

fn cursor_key<C: Serialize>(cursor: &C) -> String {
    serde_json::to_string(cursor).expect("cursors serialize")
}
