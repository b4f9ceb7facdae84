//! An app-password session on a PDS (docs.bsky.app/docs/api/com-atproto-server-create-session).
//!
//! `POST {pds}/xrpc/com.atproto.server.createSession` with `{identifier, password}`
//! returns `{accessJwt, refreshJwt, did, handle, …}`; API calls carry the access token
//! as a bearer token. It lives about two hours: once a call answers 400 `ExpiredToken`
//! (or 401), `POST /xrpc/com.atproto.server.refreshSession` with the *refresh* token as
//! bearer returns a new pair and revokes the old refresh token; if that fails too, the
//! session is created anew. One session serves every job of the account, because
//! `createSession` is limited per account (30 per 5 minutes, 300 a day) and a refused
//! login is remembered for [`LOGIN_RETRY_AFTER`] rather than retried by every poll.
//!
//! Neither the password nor the tokens reach a log or an error: they stay in
//! [`Secret`]s, and the server's answer to a refused login is scrubbed of the password
//! in case it echoes it.

use std::time::Duration;

use earshot_model::Platform;
use reqwest::{Client, RequestBuilder};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::config::Secret;
use crate::error::Error;
use crate::http::HttpPoller;
use earshot_runtime::InternalEvent;

/// How long a refused login is answered from memory before it is tried again.
pub(crate) const LOGIN_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The account to log in with.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub identifier: Secret,
    pub password: Secret,
}

pub(crate) struct Session {
    /// For the auth endpoints, on their own budget: `createSession` has its own, much
    /// smaller limit, and its rate-limit headers would mislead the search budget.
    poller: HttpPoller,
    base: Url,
    credentials: Credentials,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    tokens: Option<Tokens>,
    /// When and why the last login was refused.
    refused: Option<(Instant, u16, String)>,
}

#[derive(Clone)]
struct Tokens {
    access: Secret,
    refresh: Secret,
}

#[derive(Deserialize)]
struct SessionResponse {
    #[serde(rename = "accessJwt")]
    access_jwt: Secret,
    #[serde(rename = "refreshJwt")]
    refresh_jwt: Secret,
}

#[derive(Deserialize)]
struct XrpcError {
    error: Option<String>,
    message: Option<String>,
}

/// `{"error": "ExpiredToken", "message": "…"}` as `ExpiredToken: …`, else the body.
fn xrpc_reason(body: &str) -> String {
    match serde_json::from_str::<XrpcError>(body) {
        Ok(XrpcError {
            error: Some(error),
            message,
        }) => match message {
            Some(message) => format!("{error}: {message}"),
            None => error,
        },
        _ => body.to_string(),
    }
}

/// Whether a refused call means the access token is no longer good: 401, or the 400
/// `ExpiredToken` / `InvalidToken` XRPC answers for an expired or revoked one.
pub(crate) fn is_token_error(error: &Error) -> bool {
    match error {
        Error::Refused { status: 401, .. } => true,
        Error::Refused {
            status: 400, body, ..
        } => body.contains("ExpiredToken") || body.contains("InvalidToken"),
        _ => false,
    }
}

impl Session {
    pub(crate) fn new(poller: HttpPoller, base: Url, credentials: Credentials) -> Self {
        Session {
            poller,
            base,
            credentials,
            state: Mutex::default(),
        }
    }

    fn url(&self, method: &str) -> Url {
        crate::paging::join_url(&self.base, ["xrpc", method])
    }

    /// Sends the request `build` makes with the access token, logging in first if
    /// needed; a token the server no longer accepts is renewed and the call sent once
    /// more.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        poller: &HttpPoller,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<T, Error> {
        let mut renewed = false;
        loop {
            let token = self.access_token().await?;
            let result = poller
                .get_json::<T>(|client| build(client).bearer_auth(token.expose()))
                .await;
            match result {
                Ok(fetched) => return Ok(fetched.body),
                Err(error) if !renewed && is_token_error(&error) => {
                    tracing::info!(%error, "Bluesky refused the access token; renewing the session");
                    self.renew(&token).await?;
                    renewed = true;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The current access token, logging in when there is none.
    async fn access_token(&self) -> Result<Secret, Error> {
        let mut state = self.state.lock().await;
        if let Some(tokens) = &state.tokens {
            return Ok(tokens.access.clone());
        }
        let tokens = self.login(&mut state).await?;
        Ok(tokens.access)
    }

    /// Replaces `stale` (unless another job already did): refresh, else log in again.
    async fn renew(&self, stale: &Secret) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        let Some(tokens) = state.tokens.clone() else {
            self.login(&mut state).await?;
            return Ok(());
        };
        if tokens.access != *stale {
            return Ok(());
        }
        crate::internal_events::SessionRenewed {
            platform: Platform::Bluesky,
            how: "refresh",
        }
        .emit();
        match self
            .call(
                &self.url("com.atproto.server.refreshSession"),
                Some(&tokens.refresh),
            )
            .await
        {
            Ok(fresh) => {
                tracing::info!("refreshed the Bluesky session");
                state.tokens = Some(fresh);
                Ok(())
            }
            Err(error) if is_token_error(&error) => {
                tracing::warn!(%error, "the Bluesky refresh token is no longer valid; logging in again");
                state.tokens = None;
                self.login(&mut state).await?;
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// `createSession`, unless a login was refused less than [`LOGIN_RETRY_AFTER`] ago.
    async fn login(&self, state: &mut State) -> Result<Tokens, Error> {
        if let Some((at, status, reason)) = &state.refused
            && at.elapsed() < LOGIN_RETRY_AFTER
        {
            return Err(Error::Refused {
                platform: Platform::Bluesky,
                status: *status,
                body: format!(
                    "{reason} (not retried for {} s, to keep clear of the login limit)",
                    LOGIN_RETRY_AFTER.saturating_sub(at.elapsed()).as_secs()
                ),
            });
        }
        crate::internal_events::SessionRenewed {
            platform: Platform::Bluesky,
            how: "login",
        }
        .emit();
        match self
            .call(&self.url("com.atproto.server.createSession"), None)
            .await
        {
            Ok(tokens) => {
                tracing::info!("logged in to Bluesky");
                state.refused = None;
                state.tokens = Some(tokens.clone());
                Ok(tokens)
            }
            Err(Error::Refused { status, body, .. }) => {
                let reason = format!(
                    "login refused ({}); check collectors.bluesky.search_identifier and \
                     search_app_password (an app password, from bsky.app/settings/app-passwords)",
                    xrpc_reason(&body)
                );
                let password = self.credentials.password.expose();
                let reason = if password.is_empty() {
                    reason
                } else {
                    reason.replace(password, "[redacted]")
                };
                tracing::warn!(status, %reason, "Bluesky login failed");
                state.refused = Some((Instant::now(), status, reason.clone()));
                Err(Error::Refused {
                    platform: Platform::Bluesky,
                    status,
                    body: reason,
                })
            }
            Err(error) => Err(error),
        }
    }

    /// POSTs to an auth endpoint: `createSession` with the credentials as body
    /// (`refresh` = `None`), or `refreshSession` with the refresh token as bearer.
    async fn call(&self, url: &Url, refresh: Option<&Secret>) -> Result<Tokens, Error> {
        let Credentials {
            identifier,
            password,
        } = &self.credentials;
        let fetched = self
            .poller
            .get_json::<SessionResponse>(|client| {
                let request = client.post(url.clone());
                match refresh {
                    Some(token) => request.bearer_auth(token.expose()),
                    None => request.json(&serde_json::json!({
                        "identifier": identifier.expose(),
                        "password": password.expose(),
                    })),
                }
            })
            .await?;
        Ok(Tokens {
            access: fetched.body.access_jwt,
            refresh: fetched.body.refresh_jwt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_are_told_apart() {
        let refused = |status, body: &str| Error::Refused {
            platform: Platform::Bluesky,
            status,
            body: body.into(),
        };
        assert!(is_token_error(&refused(401, "")));
        assert!(is_token_error(&refused(
            400,
            r#"{"error":"ExpiredToken","message":"Token has expired"}"#
        )));
        assert!(!is_token_error(&refused(
            400,
            r#"{"error":"InvalidRequest","message":"limit"}"#
        )));
        assert!(!is_token_error(&refused(403, "")));
        assert_eq!(
            xrpc_reason(
                r#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#
            ),
            "AuthenticationRequired: Invalid identifier or password"
        );
        assert_eq!(xrpc_reason("nope"), "nope");
    }
}
