//! Slack-compatible webhooks: each alert is POSTed to every configured URL, retried
//! with exponential backoff on network errors, timeouts, 429 and 5xx, and given up
//! after `max_attempts` with an error log and metric. Other 4xx answers are not
//! retried: the receiver refuses the payload and will keep refusing it.
//!
//! URLs hold tokens, so logs and errors name webhooks by label, and reqwest errors are
//! stripped of their URL before they are printed.

use std::time::Duration;

use crate::Error;
use crate::alert::Alert;
use crate::config::{ConfigError, WebhookConfig};
use crate::internal_events::{WebhookAttemptFailed, WebhookDelivered, WebhookDeliveryFailed};
use earshot_runtime::{Backoff, InternalEvent};

/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

struct Hook {
    label: String,
    /// Resolved from `url` or `url_env` once, at start.
    url: String,
    config: WebhookConfig,
}

pub struct WebhookSink {
    client: reqwest::Client,
    hooks: Vec<Hook>,
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    Retry(String),
    GiveUp(String),
}

impl WebhookSink {
    pub fn new(hooks: &[WebhookConfig]) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("earshot/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the token to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::HttpClient(e.without_url()))?;
        Ok(Self {
            client,
            hooks: hooks
                .iter()
                .enumerate()
                .map(|(index, config)| {
                    let url = config.resolve_url().map_err(|problem| ConfigError {
                        key: format!("webhooks[{index}].url"),
                        problem,
                    })?;
                    Ok(Hook {
                        label: config.label(),
                        url,
                        config: config.clone(),
                    })
                })
                .collect::<Result<_, ConfigError>>()?,
        })
    }

    /// Posts `alert` to every webhook at once; returns how many gave up.
    pub async fn deliver(&self, alert: &Alert) -> usize {
        if self.hooks.is_empty() {
            return 0;
        }
        let body = alert.webhook_payload();
        let posts = self
            .hooks
            .iter()
            .map(|hook| self.post_with_retries(hook, &alert.alert_id, &body));
        let outcomes = futures::future::join_all(posts).await;
        outcomes.into_iter().filter(|delivered| !delivered).count()
    }

    async fn post_with_retries(
        &self,
        hook: &Hook,
        alert_id: &str,
        body: &serde_json::Value,
    ) -> bool {
        let mut retrying = Backoff::new(
            Duration::from_millis(hook.config.initial_backoff_ms),
            MAX_BACKOFF,
        )
        .start();
        let max_attempts = hook.config.max_attempts.max(1);
        for attempt in 1..=max_attempts {
            let error = match self.post_once(hook, body).await {
                Attempt::Delivered => {
                    WebhookDelivered {
                        webhook: &hook.label,
                        alert_id,
                        attempts: attempt,
                    }
                    .emit();
                    return true;
                }
                Attempt::Retry(error) if attempt < max_attempts => error,
                Attempt::Retry(error) | Attempt::GiveUp(error) => {
                    WebhookDeliveryFailed {
                        webhook: &hook.label,
                        alert_id,
                        attempts: attempt,
                        error: &error,
                    }
                    .emit();
                    return false;
                }
            };
            let retry_in = retrying.next_delay();
            WebhookAttemptFailed {
                webhook: &hook.label,
                alert_id,
                attempt,
                error: &error,
                retry_in,
            }
            .emit();
            tokio::time::sleep(retry_in).await;
        }
        false
    }

    async fn post_once(&self, hook: &Hook, body: &serde_json::Value) -> Attempt {
        let response = self
            .client
            .post(&hook.url)
            .timeout(Duration::from_millis(hook.config.timeout_ms))
            .json(body)
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => Attempt::Delivered,
            Ok(response) => {
                let status = response.status();
                let error = format!("HTTP {status}");
                if status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT
                {
                    Attempt::Retry(error)
                } else {
                    Attempt::GiveUp(error)
                }
            }
            Err(error) => Attempt::Retry(describe(error)),
        }
    }
}

/// The error and its causes, without the URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::http::StatusCode;
    use chrono::Utc;
    use earshot_detection::{Direction, Scored, Status};
    use earshot_storage::RollupGrain;

    use super::*;
    use crate::config::Dimension;
    use crate::series::{Finding, SeriesKey};

    /// A receiver answering every request with `status`; returns its URL and a counter.
    async fn receiver(status: StatusCode) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = Router::new().fallback(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { status }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook/secret", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, hits)
    }

    fn alert() -> Alert {
        let finding = Finding {
            key: SeriesKey {
                brand: "Acme".into(),
                dimension: Dimension::Volume,
                value: String::new(),
            },
            bucket: 1_700_000_040,
            scored: Scored {
                score: 0.9,
                z: 6.0,
                alert: true,
                active: true,
                direction: Direction::Up,
                baseline: Some(100.0),
                observed: Some(180.0),
                status: Status::Scored,
                component: earshot_detection::Component::Shift,
                expected: None,
                anomaly: earshot_detection::Anomaly::default(),
            },
            mentions: 180,
            denominator: None,
        };
        Alert::from_finding(&finding, RollupGrain::Hour, Utc::now())
    }

    fn hook(url: &str) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            max_attempts: 3,
            initial_backoff_ms: 1,
            ..WebhookConfig::default()
        }
    }

    #[tokio::test]
    async fn server_errors_are_retried_and_refusals_are_not() {
        let (ok_url, ok_hits) = receiver(StatusCode::OK).await;
        let (busy_url, busy_hits) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
        let (refusing_url, refusing_hits) = receiver(StatusCode::BAD_REQUEST).await;
        let sink =
            WebhookSink::new(&[hook(&ok_url), hook(&busy_url), hook(&refusing_url)]).unwrap();
        let failures = sink.deliver(&alert()).await;
        assert_eq!(failures, 2);
        assert_eq!(ok_hits.load(Ordering::SeqCst), 1);
        assert_eq!(
            busy_hits.load(Ordering::SeqCst),
            3,
            "503 is retried up to max_attempts"
        );
        assert_eq!(refusing_hits.load(Ordering::SeqCst), 1, "400 is final");
    }

    #[tokio::test]
    async fn network_errors_are_described_without_the_url() {
        let sink = WebhookSink::new(&[]).unwrap();
        let error = sink
            .client
            .post("http://127.0.0.1:1/hook/secret-token")
            .send()
            .await
            .unwrap_err();
        let text = describe(error);
        assert!(!text.contains("secret-token"), "{text}");
        assert!(text.contains("error sending request"), "{text}");
    }
}
