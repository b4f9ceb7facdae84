//! The HTTP client every platform polls through: one place for timeouts, retries with
//! exponential backoff and jitter, 429 handling and rate-limit bookkeeping.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use earshot_model::Platform;
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::config::HttpConfig;
use crate::error::Error;
use crate::internal_events::{BodyTooLarge, RequestCompleted};
use crate::ratelimit::{RateBudget, RateLimitHeaders, retry_after, until};
use earshot_runtime::InternalEvent;

/// A successful response (2xx, or 304 for conditional requests).
#[derive(Debug)]
pub struct Fetched<T> {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: T,
}

/// Retry timing: the runtime's one policy (equal jitter, capped).
pub use earshot_runtime::Backoff;

/// Polls one platform: knows its header style and draws on its rate budget.
#[derive(Clone)]
pub struct HttpPoller {
    client: Client,
    platform: Platform,
    headers: RateLimitHeaders,
    budget: Arc<RateBudget>,
    backoff: Backoff,
    max_retries: u32,
    max_rate_limited_retries: u32,
    max_body_bytes: u64,
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Longer than the limit (by `Content-Length`, or once that many bytes arrived).
    TooLarge,
    Read(reqwest::Error),
}

/// Reads `response`'s body, but never more than `limit` bytes: a server announcing or
/// streaming more gets [`BodyError::TooLarge`] without the rest being read. Every
/// body the collectors read goes through here.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Bytes, BodyError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// How much of a refusal's body is read for its error message.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Why one attempt failed, and whether another may succeed.
enum Attempt {
    Retry(String),
    RateLimited(Duration),
    Fatal(Error),
}

impl HttpPoller {
    pub fn new(
        config: &HttpConfig,
        platform: Platform,
        headers: RateLimitHeaders,
        budget: Arc<RateBudget>,
    ) -> Result<Self, Error> {
        let client = Client::builder()
            .timeout(config.timeout())
            .connect_timeout(config.connect_timeout())
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::config("collectors.http", e.without_url().to_string()))?;
        Ok(HttpPoller {
            client,
            platform,
            headers,
            budget,
            backoff: config.backoff(),
            max_retries: config.max_retries,
            max_rate_limited_retries: config.max_rate_limited_retries,
            max_body_bytes: config.max_body_bytes,
        })
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.budget
    }

    /// Sends the request `build` makes (called again for each retry) and parses the
    /// body as JSON. An unreadable body is retried like a 5xx: it is usually a cut-off
    /// response, and a page we cannot read must not advance the cursor.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Fetched<T>, Error> {
        self.get_parsed(build, |fetched| {
            parse_json_page::<T>(self.platform, &fetched.body)
        })
        .await
    }

    /// Like [`HttpPoller::get_json`] with the platform's own `parse` (XML feeds…), which
    /// sees the status too (a 304 has no body to parse). A body `parse` rejects is
    /// retried with backoff, then fails the poll as [`Error::Malformed`].
    pub async fn get_parsed<T>(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
        parse: impl Fn(&Fetched<Bytes>) -> Result<T, String>,
    ) -> Result<Fetched<T>, Error> {
        let mut malformed = 0;
        loop {
            let fetched = self.send(&build).await?;
            match parse(&fetched) {
                Ok(body) => {
                    return Ok(Fetched {
                        status: fetched.status,
                        headers: fetched.headers,
                        body,
                    });
                }
                Err(error) => {
                    self.count("malformed");
                    if malformed >= self.max_retries {
                        return Err(Error::Malformed {
                            platform: self.platform,
                            reason: error,
                        });
                    }
                    let delay = self.backoff.delay(malformed);
                    tracing::warn!(platform = %self.platform, %error, delay_ms = delay.as_millis() as u64, "unreadable response; retrying");
                    malformed += 1;
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Sends the request, retrying transient failures; returns 2xx and 304 responses.
    pub async fn send(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Fetched<Bytes>, Error> {
        let mut failures = 0u32;
        let mut rate_limited = 0u32;
        loop {
            let permit = self.budget.acquire().await;
            match self.attempt(build(&self.client), permit).await {
                Ok(fetched) => return Ok(fetched),
                Err(Attempt::Fatal(error)) => return Err(error),
                Err(Attempt::RateLimited(wait)) => {
                    rate_limited += 1;
                    if rate_limited > self.max_rate_limited_retries {
                        return Err(Error::Exhausted {
                            platform: self.platform,
                            attempts: failures + rate_limited,
                            reason: "still rate limited (429)".into(),
                        });
                    }
                    tracing::warn!(platform = %self.platform, wait_ms = wait.as_millis() as u64, "429 Too Many Requests; backing off");
                    self.budget.block_for(wait);
                }
                Err(Attempt::Retry(reason)) => {
                    if failures >= self.max_retries {
                        return Err(Error::Exhausted {
                            platform: self.platform,
                            attempts: failures + rate_limited + 1,
                            reason,
                        });
                    }
                    let delay = self.backoff.delay(failures);
                    tracing::warn!(platform = %self.platform, %reason, attempt = failures + 1, delay_ms = delay.as_millis() as u64, "request failed; retrying");
                    failures += 1;
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn attempt(
        &self,
        request: RequestBuilder,
        permit: crate::ratelimit::Permit<'_>,
    ) -> Result<Fetched<Bytes>, Attempt> {
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let label = if error.is_timeout() {
                    "timeout"
                } else {
                    "transport"
                };
                self.count(label);
                let error = error.without_url();
                if error.is_builder() {
                    return Err(Attempt::Fatal(Error::Refused {
                        platform: self.platform,
                        status: 0,
                        body: error.to_string(),
                    }));
                }
                return Err(Attempt::Retry(format!("{label}: {error}")));
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let now = Utc::now();
        let quota = self.headers.parse(&headers, now);
        match quota {
            Some(quota) => permit.observe(quota),
            None => drop(permit),
        }
        self.count(status.as_str());

        if status == StatusCode::TOO_MANY_REQUESTS {
            // Prefer Retry-After; else the platform's reset; else our own backoff.
            let wait = retry_after(&headers, now)
                .or_else(|| quota.map(|q| until(q.reset_at, now)))
                .unwrap_or_else(|| self.backoff.delay(2));
            return Err(Attempt::RateLimited(wait.max(Duration::from_millis(100))));
        }
        if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            return Err(Attempt::Retry(format!("HTTP {}", status.as_u16())));
        }
        if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
            let body = read_capped(response, MAX_ERROR_BODY_BYTES)
                .await
                .unwrap_or_default();
            return Err(Attempt::Fatal(Error::Refused {
                platform: self.platform,
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body).chars().take(300).collect(),
            }));
        }
        match read_capped(response, self.max_body_bytes).await {
            Ok(body) => Ok(Fetched {
                status,
                headers,
                body,
            }),
            Err(BodyError::TooLarge) => {
                self.count("too_large");
                BodyTooLarge {
                    platform: self.platform,
                    limit: self.max_body_bytes,
                }
                .emit();
                Err(Attempt::Fatal(Error::BodyTooLarge {
                    platform: self.platform,
                    limit: self.max_body_bytes,
                }))
            }
            Err(BodyError::Read(error)) => {
                self.count("timeout");
                Err(Attempt::Retry(format!(
                    "reading body: {}",
                    error.without_url()
                )))
            }
        }
    }

    fn count(&self, status: &str) {
        RequestCompleted {
            platform: self.platform,
            status,
        }
        .emit();
    }
}

/// Parses a JSON page. A page that fails for invalid UTF-8 or a lone surrogate escape
/// (`\ud800`) is parsed again with those replaced by U+FFFD, logged and counted
/// (`earshot_collector_repaired_pages_total`): one bad byte in one post must not make
/// the page unreadable, and the job stuck on it, for good.
pub(crate) fn parse_json_page<T: DeserializeOwned>(
    platform: Platform,
    body: &[u8],
) -> Result<T, String> {
    let error = match serde_json::from_slice::<T>(body) {
        Ok(page) => return Ok(page),
        Err(error) => error.to_string(),
    };
    let Some((repaired, repairs)) = crate::text::repair_body(body, true) else {
        return Err(error);
    };
    let page = serde_json::from_slice::<T>(&repaired).map_err(|_| error.clone())?;
    repaired_page(platform, &error, repairs);
    Ok(page)
}

/// Logs and counts a page read only after [`crate::text::repair_body`].
pub(crate) fn repaired_page(platform: Platform, error: &str, repairs: crate::text::Repairs) {
    crate::internal_events::PageRepaired {
        platform,
        error,
        invalid_utf8: repairs.invalid_utf8,
        lone_surrogates: repairs.lone_surrogates,
    }
    .emit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-connection-at-a-time HTTP server that answers every request with `response`.
    async fn serve(response: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            }
        });
        format!("http://{addr}/")
    }

    fn poller(max_body_bytes: u64) -> HttpPoller {
        let config = HttpConfig {
            max_body_bytes,
            max_retries: 0,
            ..HttpConfig::default()
        };
        HttpPoller::new(
            &config,
            Platform::Rss,
            RateLimitHeaders::None,
            Arc::new(RateBudget::new(Platform::Rss)),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn bodies_over_the_limit_fail_clearly() {
        let body = "x".repeat(10_000);
        let with_length = serve(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
        .await;
        // Chunked, so no Content-Length announces the size: the cap applies while reading.
        let chunked = serve(
            format!(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{body}\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                body.len(),
                body.len()
            )
            .into_bytes(),
        )
        .await;
        for url in [&with_length, &chunked] {
            let error = poller(4096)
                .send(|client| client.get(url.as_str()))
                .await
                .unwrap_err();
            assert!(
                matches!(error, Error::BodyTooLarge { limit: 4096, .. }),
                "{error}"
            );
            assert_eq!(
                error.to_string(),
                "rss: response body over 4096 bytes (collectors.http.max_body_bytes)"
            );
        }
        let fetched = poller(1 << 20)
            .send(|client| client.get(chunked.as_str()))
            .await
            .unwrap();
        assert_eq!(fetched.body.len(), 20_000);
    }
}
