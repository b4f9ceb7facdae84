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
use crate::config::WebhookConfig;
use crate::internal_events::{WebhookAttemptFailed, WebhookDelivered, WebhookDeliveryFailed};

/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

struct Hook {
    label: String,
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
                .map(|config| Hook {
                    label: config.label(),
                    config: config.clone(),
                })
                .collect(),
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
        let mut backoff = Duration::from_millis(hook.config.initial_backoff_ms);
        let max_attempts = hook.config.max_attempts.max(1);
        for attempt in 1..=max_attempts {
            let error = match self.post_once(&hook.config, body).await {
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
            let retry_in = jitter(backoff);
            WebhookAttemptFailed {
                webhook: &hook.label,
                alert_id,
                attempt,
                error: &error,
                retry_in,
            }
            .emit();
            tokio::time::sleep(retry_in).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        false
    }

    async fn post_once(&self, config: &WebhookConfig, body: &serde_json::Value) -> Attempt {
        let response = self
            .client
            .post(&config.url)
            .timeout(Duration::from_millis(config.timeout_ms))
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

/// Between half and all of `backoff`, so many detectors do not retry in step.
fn jitter(backoff: Duration) -> Duration {
    backoff.mul_f64(0.5 + rand::random::<f64>() * 0.5)
}
