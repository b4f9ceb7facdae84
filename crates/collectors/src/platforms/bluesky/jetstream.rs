//! Bluesky through Jetstream: one WebSocket job that reads every new post of the network
//! and produces those naming a brand keyword.
//!
//! `{endpoint}/subscribe?wantedCollections=app.bsky.feed.post&cursor={time_us}` streams
//! JSON events (`{did, time_us, kind: "commit", commit: {operation, collection, rkey,
//! record}}`) in `time_us` order from the cursor on. Keywords are matched locally. Events
//! are handled in batches: a batch's matches are produced, and only once Kafka has
//! acknowledged them is the cursor (the last `time_us` handled) stored. A connection
//! starts `rewind_secs` before the cursor, as Jetstream advises, and the ids produced
//! within that window are kept in the cursor, so the overlap is skipped: a reconnect or a
//! restart leaves no gap and repeats nothing. Mention ids are `at://{did}/app.bsky.feed.post/{rkey}`.
//!
//! A poll reads until the stream is idle for `idle_ms` (caught up) or `max_poll_secs`
//! have passed; a dropped connection is reconnected within the poll (with backoff, up to
//! `collectors.http.max_retries` times in a row).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::DateTime;
use earshot_model::{Author, Engagement, Platform, RawMention};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use url::Url;

use super::{BlueskyConfig, POST, PostParts, post_mention};
use crate::config::HttpConfig;
use crate::cursor::CursorStoreExt;
use crate::error::Error;
use crate::http::Backoff;
use crate::jobs::{Job, JobContext, PollReport};
use crate::text::BrandFilter;
use earshot_runtime::InternalEvent;

/// The Jetstream job, keeping the posts `filter` matches.
pub(super) fn job(
    config: &BlueskyConfig,
    http: &HttpConfig,
    filter: Arc<BrandFilter>,
) -> Result<Arc<dyn Job>, Error> {
    let mut endpoint = Url::parse(&config.endpoint)
        .map_err(|e| Error::config("collectors.bluesky.endpoint", e.to_string()))?;
    let scheme = match endpoint.scheme() {
        "http" => "ws",
        "https" => "wss",
        other => other,
    }
    .to_string();
    let _ = endpoint.set_scheme(&scheme);
    Ok(Arc::new(Jetstream {
        id: "bluesky:jetstream".into(),
        endpoint,
        filter,
        config: config.clone(),
        connect_timeout: http.connect_timeout(),
        max_retries: http.max_retries,
        backoff: Backoff {
            initial: Duration::from_millis(http.backoff_initial_ms),
            max: Duration::from_millis(http.backoff_max_ms),
        },
    }))
}

/// Where the Jetstream job stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetstreamCursor {
    /// The `time_us` of the last event handled (its matches acknowledged).
    pub time_us: Option<i64>,
    /// `(time_us, mention id)` of matches produced within the rewind window before
    /// `time_us`: the events a reconnect sees again.
    pub recent: Vec<(i64, String)>,
}

struct Jetstream {
    id: String,
    endpoint: Url,
    filter: Arc<BrandFilter>,
    config: BlueskyConfig,
    connect_timeout: Duration,
    max_retries: u32,
    backoff: Backoff,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Jetstream {
    fn rewind_us(&self) -> i64 {
        self.config.rewind_secs as i64 * 1_000_000
    }

    fn url(&self, cursor: &JetstreamCursor) -> Url {
        let mut url = crate::paging::join_url(&self.endpoint, ["subscribe"]);
        url.query_pairs_mut().append_pair("wantedCollections", POST);
        if let Some(time_us) = cursor.time_us {
            url.query_pairs_mut()
                .append_pair("cursor", &rewound(time_us, self.rewind_us()).to_string());
        }
        url
    }

    fn count(status: &str) {
        crate::internal_events::RequestCompleted {
            platform: Platform::Bluesky,
            status,
        }
        .emit();
    }

    /// Connects from the cursor, retrying with backoff.
    async fn connect(&self, cursor: &JetstreamCursor) -> Result<Socket, Error> {
        let url = self.url(cursor);
        let mut failures = 0;
        loop {
            // A 429's Retry-After, as the HTTP polls honour it.
            let mut rate_limited = None;
            let attempt = tokio::time::timeout(
                self.connect_timeout,
                tokio_tungstenite::connect_async(url.as_str()),
            )
            .await;
            let reason = match attempt {
                Ok(Ok((socket, _))) => {
                    Self::count("101");
                    return Ok(socket);
                }
                Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
                    let status = response.status();
                    Self::count(status.as_str());
                    if status.is_client_error() && status.as_u16() != 429 && status.as_u16() != 408
                    {
                        return Err(Error::Refused {
                            platform: Platform::Bluesky,
                            status: status.as_u16(),
                            body: String::new(),
                        });
                    }
                    if status.as_u16() == 429 {
                        rate_limited = Some(
                            crate::ratelimit::retry_after(response.headers(), chrono::Utc::now())
                                .unwrap_or_default()
                                .max(Duration::from_millis(100)),
                        );
                    }
                    format!("HTTP {}", status.as_u16())
                }
                Ok(Err(error)) => {
                    Self::count("transport");
                    format!("transport: {error}")
                }
                Err(_) => {
                    Self::count("timeout");
                    "timeout".to_string()
                }
            };
            if failures >= self.max_retries {
                return Err(Error::Exhausted {
                    platform: Platform::Bluesky,
                    attempts: failures + 1,
                    reason,
                });
            }
            let delay = self
                .backoff
                .delay(failures)
                .max(rate_limited.unwrap_or_default());
            tracing::warn!(job = %self.id, %reason, delay_ms = delay.as_millis() as u64, "Jetstream connect failed; retrying");
            failures += 1;
            tokio::time::sleep(delay).await;
        }
    }

    /// Produces the batch's matches, then stores the cursor at `last_time_us`.
    async fn flush(
        &self,
        ctx: &JobContext,
        cursor: &mut JetstreamCursor,
        pending: &mut Vec<(i64, RawMention)>,
        last_time_us: Option<i64>,
    ) -> Result<u64, Error> {
        let Some(last) = last_time_us else {
            return Ok(0);
        };
        if cursor.time_us == Some(last) && pending.is_empty() {
            return Ok(0);
        }
        let times: Vec<i64> = pending.iter().map(|(t, _)| *t).collect();
        let mentions: Vec<RawMention> = pending
            .drain(..)
            .map(|(_, mut m)| {
                m.origin = ctx.origin;
                m.source = self.id.clone();
                m
            })
            .collect();
        ctx.sink.send(&mentions).await?;
        let newest = last.max(cursor.time_us.unwrap_or(i64::MIN));
        let floor = rewound(newest, self.rewind_us());
        let mut next = JetstreamCursor {
            time_us: Some(newest),
            recent: cursor.recent.clone(),
        };
        next.recent.extend(
            times
                .into_iter()
                .zip(&mentions)
                .map(|(t, m)| (t, m.id.as_str().to_string())),
        );
        next.recent.retain(|(t, _)| *t >= floor);
        ctx.cursors.put(&self.id, &next).await?;
        *cursor = next;
        Ok(mentions.len() as u64)
    }
}

#[async_trait]
impl Job for Jetstream {
    fn id(&self) -> &str {
        &self.id
    }

    fn platform(&self) -> Platform {
        Platform::Bluesky
    }

    fn poll_interval(&self) -> Option<Duration> {
        self.config.poll_interval_ms.map(Duration::from_millis)
    }

    async fn poll(&self, ctx: &JobContext) -> Result<PollReport, Error> {
        let mut cursor: JetstreamCursor = ctx.cursors.get(&self.id)?.unwrap_or_default();
        let mut report = PollReport::default();
        let started = Instant::now();
        let idle = Duration::from_millis(self.config.idle_ms);
        let deadline = Duration::from_secs(self.config.max_poll_secs);
        let mut drops = 0u32;
        'connection: loop {
            let mut socket = self.connect(&cursor).await?;
            report.pages += 1;
            let mut seen: HashSet<String> =
                cursor.recent.iter().map(|(_, id)| id.clone()).collect();
            let mut pending: Vec<(i64, RawMention)> = Vec::new();
            let mut last_time_us: Option<i64> = None;
            let mut in_batch = 0usize;
            loop {
                let remaining = deadline.saturating_sub(started.elapsed());
                let next = tokio::time::timeout(idle.min(remaining), socket.next()).await;
                let message = match next {
                    // Idle (caught up) or out of time: store what we have and end the poll.
                    Err(_) => {
                        report.mentions += self
                            .flush(ctx, &mut cursor, &mut pending, last_time_us)
                            .await?;
                        let _ = socket.close(None).await;
                        break 'connection;
                    }
                    Ok(Some(Ok(message))) => message,
                    Ok(other) => {
                        // Dropped: keep what was read, then reconnect from the cursor.
                        report.mentions += self
                            .flush(ctx, &mut cursor, &mut pending, last_time_us)
                            .await?;
                        let reason = match other {
                            Some(Err(error)) => error.to_string(),
                            _ => "closed".to_string(),
                        };
                        if drops >= self.max_retries {
                            return Err(Error::Exhausted {
                                platform: Platform::Bluesky,
                                attempts: drops + 1,
                                reason: format!("stream dropped: {reason}"),
                            });
                        }
                        let delay = self.backoff.delay(drops);
                        tracing::warn!(job = %self.id, %reason, delay_ms = delay.as_millis() as u64, "Jetstream connection dropped; reconnecting");
                        drops += 1;
                        tokio::time::sleep(delay).await;
                        continue 'connection;
                    }
                };
                let Message::Text(text) = message else {
                    continue;
                };
                let event: Value = match serde_json::from_str(text.as_str()) {
                    Ok(event) => event,
                    Err(error) => {
                        Self::count("malformed");
                        tracing::warn!(job = %self.id, %error, "skipping an unreadable Jetstream event");
                        continue;
                    }
                };
                let Some(time_us) = event["time_us"].as_i64() else {
                    continue;
                };
                if !plausible_time_us(time_us, chrono::Utc::now().timestamp_micros()) {
                    // A forged or broken time would become the cursor and, being the
                    // maximum, stay it: every later reconnect would ask for the future.
                    Self::count("implausible_time");
                    tracing::warn!(job = %self.id, time_us, "skipping a Jetstream event with an implausible time_us");
                    continue;
                }
                drops = 0;
                last_time_us = Some(last_time_us.map_or(time_us, |t: i64| t.max(time_us)));
                in_batch += 1;
                if let Some(mention) = to_mention(&event, &self.filter)
                    && seen.insert(mention.id.as_str().to_string())
                {
                    pending.push((time_us, mention));
                }
                if in_batch >= self.config.batch_size {
                    report.mentions += self
                        .flush(ctx, &mut cursor, &mut pending, last_time_us)
                        .await?;
                    in_batch = 0;
                }
            }
        }
        Ok(report)
    }
}

/// `time_us` less the rewind window, never below 0 (nor overflowing).
pub(crate) fn rewound(time_us: i64, rewind_us: i64) -> i64 {
    time_us.saturating_sub(rewind_us).max(0)
}

/// Whether an event's `time_us` can be a cursor: after the epoch and no more than
/// [`crate::sink::MAX_POST_LEAD`] ahead of `now_us`.
pub(crate) fn plausible_time_us(time_us: i64, now_us: i64) -> bool {
    let lead_us = crate::sink::MAX_POST_LEAD
        .num_microseconds()
        .unwrap_or(i64::MAX);
    time_us > 0 && time_us <= now_us.saturating_add(lead_us)
}

/// Maps a post-create event naming a brand (the enrichment's own matcher, so
/// "w Żabce" counts); `None` for anything else.
pub(crate) fn to_mention(event: &Value, filter: &BrandFilter) -> Option<RawMention> {
    let commit = &event["commit"];
    if event["kind"] != "commit" || commit["operation"] != "create" || commit["collection"] != POST
    {
        return None;
    }
    let did = event["did"].as_str()?;
    let rkey = commit["rkey"].as_str()?;
    let record = &commit["record"];
    let text = record["text"].as_str()?;
    if !filter.matches(text) {
        return None;
    }
    let time_us = event["time_us"].as_i64()?;
    post_mention(PostParts {
        did,
        rkey,
        record,
        // Events carry no handle or profile: the DID stands in for both.
        author: Author {
            id: did.to_string(),
            handle: did.to_string(),
            ..Author::default()
        },
        engagement: Engagement::default(),
        seen_at: DateTime::from_timestamp_micros(time_us),
        raw: event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_times_neither_overflow_nor_become_the_cursor() {
        let now = 1_773_302_401_000_000;
        assert_eq!(rewound(i64::MIN, 10_000_000), 0);
        assert_eq!(rewound(now, 10_000_000), now - 10_000_000);
        assert!(plausible_time_us(now, now));
        assert!(plausible_time_us(now + 3_600_000_000, now));
        assert!(!plausible_time_us(i64::MAX, now));
        assert!(!plausible_time_us(now + 2 * 86_400_000_000, now));
        assert!(!plausible_time_us(-5, now));
    }

    #[test]
    fn maps_matching_post_creates_only() {
        let event = serde_json::json!({"did": "did:plc:abc", "time_us": 1773302400000000i64,
            "kind": "commit", "commit": {"operation": "create", "collection": POST,
            "rkey": "3k1", "record": {"text": "Kolejka w Orlen znowu", "createdAt": "2026-03-12T08:00:00.000Z", "langs": ["pl"]}}});
        let keywords = crate::text::tests::filter(&["Orlen"]);
        let m = to_mention(&event, &keywords).unwrap();
        assert_eq!(
            m.id.as_str(),
            "bluesky:at://did:plc:abc/app.bsky.feed.post/3k1"
        );
        assert_eq!(m.url, "https://bsky.app/profile/did:plc:abc/post/3k1");
        assert_eq!(m.language_hint.as_deref(), Some("pl"));
        assert!(
            to_mention(&event, &crate::text::tests::filter(&["orle"])).is_none(),
            "whole words"
        );
        let mut inflected = event.clone();
        inflected["commit"]["record"]["text"] = "Tankowałem na Orlenie".into();
        assert!(to_mention(&inflected, &keywords).is_some(), "inflected");
        let mut like = event.clone();
        like["commit"]["collection"] = "app.bsky.feed.like".into();
        assert!(to_mention(&like, &keywords).is_none());
        let mut delete = event;
        delete["commit"]["operation"] = "delete".into();
        assert!(to_mention(&delete, &keywords).is_none());
    }
}
