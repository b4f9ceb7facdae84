//! Application-only OAuth and the authorized listing request every Reddit job makes.
//!
//! `POST https://www.reddit.com/api/v1/access_token` with HTTP basic auth (client id and
//! secret) and `grant_type=client_credentials` returns a bearer token valid for
//! `expires_in` seconds; it is cached, shared by every job of the credential, refreshed a
//! minute before it expires and fetched anew after a 401
//! (github.com/reddit-archive/reddit/wiki/OAuth2).

use std::time::Duration;

use earshot_model::Platform;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use super::links::{Listing, ListingData};
use crate::config::Secret;
use crate::error::Error;
use crate::http::HttpPoller;

/// The resolved client credentials.
#[derive(Clone)]
pub(super) struct Credentials {
    pub id: Secret,
    pub secret: Secret,
}

/// A cached application-only bearer token.
pub(super) struct TokenSource {
    pub poller: HttpPoller,
    pub url: Url,
    pub credentials: Credentials,
    pub cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<Secret>,
    expires_in: Option<u64>,
    error: Option<String>,
}

/// Tokens are renewed this long before Reddit says they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl TokenSource {
    async fn token(&self) -> Result<Secret, Error> {
        let mut cached = self.cached.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && Instant::now() + TOKEN_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let Credentials { id, secret } = &self.credentials;
        let fetched = self
            .poller
            .get_json::<TokenResponse>(|client| {
                client
                    .post(self.url.clone())
                    .basic_auth(id.expose(), Some(secret.expose()))
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body("grant_type=client_credentials")
            })
            .await?;
        let Some(token) = fetched.body.access_token.filter(|t| !t.expose().is_empty()) else {
            return Err(Error::Refused {
                platform: Platform::Reddit,
                status: fetched.status.as_u16(),
                body: format!(
                    "no access token: {}",
                    fetched.body.error.as_deref().unwrap_or("no error given")
                ),
            });
        };
        let lifetime = token_lifetime(fetched.body.expires_in);
        tracing::info!(
            expires_in_s = lifetime.as_secs(),
            "fetched a Reddit application token"
        );
        *cached = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    /// Forgets `stale` (after a 401) unless another job already replaced it.
    async fn invalidate(&self, stale: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|(token, _)| token == stale) {
            *cached = None;
        }
    }
}

/// How long a token is used before it is refreshed: the server's `expires_in` (an hour
/// when absent), capped at [`crate::ratelimit::MAX_SERVER_WAIT`] so a huge value cannot
/// overflow `Instant` (and a token is refreshed at least hourly).
fn token_lifetime(expires_in: Option<u64>) -> Duration {
    crate::ratelimit::cap_server_wait(Duration::from_secs(expires_in.unwrap_or(3600)))
}

/// The OAuth API of one client id: its poller (and so its rate budget) and its token.
pub(super) struct Api {
    pub poller: HttpPoller,
    pub tokens: TokenSource,
    /// `https://oauth.reddit.com`.
    pub base: Url,
}

impl Api {
    /// `base` with `segments` appended (`["r", "poland", "new"]`).
    pub fn url(&self, segments: &[&str]) -> Url {
        crate::paging::join_url(&self.base, segments)
    }

    /// One page of the Listing at `url`: `params`, plus `after` for a page further back.
    /// Every Listing request of the collector goes through here, so `raw_json=1` (else
    /// Reddit HTML-escapes `&`, `<` and `>` in every string) and the token renewal after
    /// a 401 are in one place.
    pub async fn listing(
        &self,
        url: &Url,
        params: &[(&'static str, String)],
        after: Option<&str>,
    ) -> Result<ListingData, Error> {
        let mut query: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        query.push(("raw_json", "1"));
        if let Some(after) = after {
            query.push(("after", after));
        }
        let mut renewed = false;
        loop {
            let token = self.tokens.token().await?;
            let result = self
                .poller
                .get_json::<Listing>(|client| {
                    client
                        .get(url.clone())
                        .query(&query)
                        .bearer_auth(token.expose())
                })
                .await;
            match result {
                Ok(fetched) => return Ok(fetched.body.data),
                // The token expired early or was revoked: fetch a new one, once.
                Err(Error::Refused { status: 401, .. }) if !renewed => {
                    tracing::warn!("Reddit refused the token (401); fetching a new one");
                    self.tokens.invalidate(&token).await;
                    renewed = true;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_expires_in_is_capped() {
        assert_eq!(token_lifetime(Some(60)), Duration::from_secs(60));
        assert_eq!(token_lifetime(None), Duration::from_secs(3600));
        let lifetime = token_lifetime(Some(u64::MAX));
        assert_eq!(lifetime, crate::ratelimit::MAX_SERVER_WAIT);
        // What the cache does with it: must not overflow.
        let _expires = Instant::now() + lifetime;
    }
}
