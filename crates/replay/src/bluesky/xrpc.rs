//! Bluesky's XRPC endpoints for an app-password client
//! (<https://docs.bsky.app/docs/api/com-atproto-server-create-session>,
//! `…/com-atproto-server-refresh-session`, `…/app-bsky-feed-search-posts`):
//!
//! - `POST /xrpc/com.atproto.server.createSession` with `{identifier, password}` returns
//!   `{did, handle, accessJwt, refreshJwt, active}`, or 401 `AuthenticationRequired`
//!   ("Invalid identifier or password") unless they are [`IDENTIFIER`] and
//!   [`APP_PASSWORD`];
//! - `POST /xrpc/com.atproto.server.refreshSession` with the refresh token as bearer
//!   returns a new pair and revokes the old refresh token (used again: 400
//!   `ExpiredToken`, "Token has been revoked"; an access token there: 400
//!   `InvalidToken`);
//! - `GET /xrpc/app.bsky.feed.searchPosts?q=…&sort=&since=&until=&limit=&cursor=` with
//!   the access token: `{cursor?, hitsTotal, posts: [PostView]}`. No token: 401
//!   `AuthenticationRequired`; an expired one ([`crate::ReplayServer::expire_bluesky_sessions`]):
//!   400 `ExpiredToken`; an unknown or invalidated one: 401 `InvalidToken`. `limit` is
//!   1..=100 (else 400 `InvalidRequest`), default 25.
//!
//! PostViews are derived from the dataset's Jetstream post-create events: the URI
//! `at://{did}/app.bsky.feed.post/{rkey}`, the record, an author with a handle made from
//! the DID, counts derived from the event time, and `indexedAt` = the event's `time_us`.
//! Results are ordered by `sortAt` (the earlier of `createdAt` and `indexedAt`), newest
//! first (`sort=latest`, the default), which `since` (inclusive) and `until` (exclusive)
//! filter on; `q` matches whole words of the text (a quoted phrase as a whole). The
//! cursor is an offset, as on the real AppView. A post with a delete event is gone once
//! that event is visible.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude, respond};

/// The account the replayed PDS knows.
pub const IDENTIFIER: &str = "earshot-replay.bsky.social";
/// Its app password.
pub const APP_PASSWORD: &str = "repl-ayap-ppas-swrd";
const DID: &str = "did:plc:earshotreplay00000000";

const POST: &str = "app.bsky.feed.post";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Valid,
    Expired,
    Invalid,
}

/// Sessions the replayed PDS issued.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    access: Vec<(String, Access)>,
    /// Refresh tokens, and whether each may still be used.
    refresh: Vec<(String, bool)>,
    pub(crate) logins: usize,
    pub(crate) refreshes: usize,
}

impl Sessions {
    fn issue(&mut self) -> Value {
        let n = self.access.len() + 1;
        let access = format!("replay-bsky-access-{n}");
        let refresh = format!("replay-bsky-refresh-{n}");
        self.access.push((access.clone(), Access::Valid));
        self.refresh.push((refresh.clone(), true));
        json!({"did": DID, "handle": IDENTIFIER, "accessJwt": access, "refreshJwt": refresh, "active": true})
    }

    /// Every access token issued so far now answers `ExpiredToken`.
    pub(crate) fn expire(&mut self) {
        for token in &mut self.access {
            if token.1 == Access::Valid {
                token.1 = Access::Expired;
            }
        }
    }

    /// Every token issued so far is refused, refresh tokens included.
    pub(crate) fn invalidate(&mut self) {
        for token in &mut self.access {
            token.1 = Access::Invalid;
        }
        for token in &mut self.refresh {
            token.1 = false;
        }
    }
}

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(create_session),
        )
        .route(
            "/xrpc/com.atproto.server.refreshSession",
            post(refresh_session),
        )
        .route("/xrpc/app.bsky.feed.searchPosts", get(search_posts))
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

fn xrpc_error(
    state: &State,
    path: &str,
    status: StatusCode,
    error: &str,
    message: &str,
) -> Response {
    state.record("bluesky", path.to_string(), status.as_u16());
    respond(
        status,
        &[],
        json!({"error": error, "message": message}).to_string(),
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn create_session(
    AxumState(state): AxumState<Arc<State>>,
    uri: Uri,
    body: String,
) -> Response {
    let path = path_and_query(&uri);
    let (fault, headers) = match prelude(&state, "bluesky", HeaderStyle::Ietf, &path).await {
        Prelude::Answered(response) => return response,
        Prelude::Serve { fault, headers } => (fault, headers),
    };
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    let (Some(identifier), Some(password)) =
        (request["identifier"].as_str(), request["password"].as_str())
    else {
        return xrpc_error(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Input must have the properties \"identifier\" and \"password\"",
        );
    };
    let known = identifier.eq_ignore_ascii_case(IDENTIFIER) || identifier == DID;
    if !known || password != APP_PASSWORD {
        return xrpc_error(
            &state,
            &path,
            StatusCode::UNAUTHORIZED,
            "AuthenticationRequired",
            "Invalid identifier or password",
        );
    }
    let session = {
        let mut sessions = state.bluesky_sessions.lock().unwrap();
        sessions.logins += 1;
        sessions.issue()
    };
    epilogue(
        &state,
        "bluesky",
        &path,
        fault.as_ref(),
        headers,
        session.to_string(),
    )
}

async fn refresh_session(
    AxumState(state): AxumState<Arc<State>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = path_and_query(&uri);
    let (fault, headers) = match prelude(&state, "bluesky", HeaderStyle::Ietf, &path).await {
        Prelude::Answered(response) => return response,
        Prelude::Serve { fault, headers } => (fault, headers),
    };
    let Some(token) = bearer(&request_headers) else {
        return xrpc_error(
            &state,
            &path,
            StatusCode::UNAUTHORIZED,
            "AuthenticationRequired",
            "Authentication Required",
        );
    };
    let session = {
        let mut sessions = state.bluesky_sessions.lock().unwrap();
        if sessions.access.iter().any(|(t, _)| t == token) {
            drop(sessions);
            return xrpc_error(
                &state,
                &path,
                StatusCode::BAD_REQUEST,
                "InvalidToken",
                "Invalid token type",
            );
        }
        match sessions.refresh.iter_mut().find(|(t, _)| t == token) {
            Some((_, usable)) if *usable => *usable = false,
            Some(_) => {
                drop(sessions);
                return xrpc_error(
                    &state,
                    &path,
                    StatusCode::BAD_REQUEST,
                    "ExpiredToken",
                    "Token has been revoked",
                );
            }
            None => {
                drop(sessions);
                return xrpc_error(
                    &state,
                    &path,
                    StatusCode::UNAUTHORIZED,
                    "InvalidToken",
                    "Token could not be verified",
                );
            }
        }
        sessions.refreshes += 1;
        sessions.issue()
    };
    epilogue(
        &state,
        "bluesky",
        &path,
        fault.as_ref(),
        headers,
        session.to_string(),
    )
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

/// A PostView for a post-create event.
fn post_view(event: &Value) -> Option<(DateTime<Utc>, Value)> {
    let commit = &event["commit"];
    if commit["operation"] != "create" || commit["collection"] != POST {
        return None;
    }
    let did = event["did"].as_str()?;
    let rkey = commit["rkey"].as_str()?;
    let time_us = event["time_us"].as_i64()?;
    let indexed_at = DateTime::from_timestamp_micros(time_us)?;
    let record = &commit["record"];
    let sort_at = time(&record["createdAt"]).map_or(indexed_at, |c| c.min(indexed_at));
    let name = did.rsplit(':').next().unwrap_or(did);
    let n = (time_us / 1000) as u64;
    let view = json!({
        "uri": format!("at://{did}/{POST}/{rkey}"),
        "cid": commit["cid"].as_str().unwrap_or("bafyreireplay"),
        "author": {
            "did": did,
            "handle": format!("{name}.bsky.social"),
            "displayName": format!("Replay {name}"),
            "avatar": format!("https://cdn.bsky.app/img/avatar/plain/{did}/bafkreireplay@jpeg"),
            "labels": [],
            "createdAt": "2024-11-01T00:00:00.000Z"
        },
        "record": record,
        "replyCount": n % 5,
        "repostCount": n % 7,
        "likeCount": n % 23,
        "quoteCount": n % 3,
        "indexedAt": indexed_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "labels": []
    });
    Some((sort_at, view))
}

/// `2026-03-12T08:00:00Z` or `2026-03-12` (midnight UTC).
fn parse_bound(value: &str) -> Option<DateTime<Utc>> {
    value.parse::<DateTime<Utc>>().ok().or_else(|| {
        Some(
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)?
                .and_utc(),
        )
    })
}

async fn search_posts(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = path_and_query(&uri);
    let (fault, headers) = match prelude(&state, "bluesky", HeaderStyle::Ietf, &path).await {
        Prelude::Answered(response) => return response,
        Prelude::Serve { fault, headers } => (fault, headers),
    };
    let Some(token) = bearer(&request_headers) else {
        return xrpc_error(
            &state,
            &path,
            StatusCode::UNAUTHORIZED,
            "AuthenticationRequired",
            "Authentication Required",
        );
    };
    let access = {
        let sessions = state.bluesky_sessions.lock().unwrap();
        let is_refresh = sessions.refresh.iter().any(|(t, _)| t == token);
        sessions
            .access
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, a)| *a)
            .ok_or(is_refresh)
    };
    match access {
        Ok(Access::Valid) => {}
        Ok(Access::Expired) => {
            return xrpc_error(
                &state,
                &path,
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "Token has expired",
            );
        }
        Err(true) => {
            return xrpc_error(
                &state,
                &path,
                StatusCode::BAD_REQUEST,
                "InvalidToken",
                "Invalid token type",
            );
        }
        Ok(Access::Invalid) | Err(false) => {
            return xrpc_error(
                &state,
                &path,
                StatusCode::UNAUTHORIZED,
                "InvalidToken",
                "Token could not be verified",
            );
        }
    }
    let invalid = |message: &str| {
        xrpc_error(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            message,
        )
    };
    let Some(query) = params.get("q").filter(|q| !q.trim().is_empty()) else {
        return invalid("Error: Params must have the property \"q\"");
    };
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 25,
        Some(Ok(limit)) if (1..=100).contains(&limit) => limit,
        Some(_) => return invalid("Error: limit must be an integer from 1 to 100"),
    };
    let mut bounds = [None, None];
    for (i, key) in ["since", "until"].into_iter().enumerate() {
        if let Some(value) = params.get(key) {
            match parse_bound(value) {
                Some(at) => bounds[i] = Some(at),
                None => return invalid(&format!("Error: {key} must be a datetime or a date")),
            }
        }
    }
    let [since, until] = bounds;
    let offset = params
        .get("cursor")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);

    let deleted: HashSet<(&str, &str)> = state
        .dataset
        .bluesky
        .iter()
        .filter(|e| e["commit"]["operation"] == "delete")
        .filter(|e| {
            state.is_visible(
                e["time_us"]
                    .as_i64()
                    .and_then(DateTime::from_timestamp_micros),
            )
        })
        .filter_map(|e| Some((e["did"].as_str()?, e["commit"]["rkey"].as_str()?)))
        .collect();
    let mut hits: Vec<(DateTime<Utc>, Value)> = state
        .dataset
        .bluesky
        .iter()
        .filter(|e| {
            let key = (
                e["did"].as_str().unwrap_or_default(),
                e["commit"]["rkey"].as_str().unwrap_or_default(),
            );
            !deleted.contains(&key)
        })
        .filter_map(post_view)
        .filter(|(sort_at, view)| {
            state.is_visible(time(&view["indexedAt"]))
                && since.is_none_or(|s| *sort_at >= s)
                && until.is_none_or(|u| *sort_at < u)
                && crate::query::matches(view["record"]["text"].as_str().unwrap_or_default(), query)
        })
        .collect();
    let uri_of = |view: &Value| view["uri"].as_str().unwrap_or_default().to_string();
    if params.get("sort").is_some_and(|s| s == "top") {
        hits.sort_by_key(|(_, v)| std::cmp::Reverse((v["likeCount"].as_u64(), uri_of(v))));
    } else {
        hits.sort_by_key(|(at, v)| std::cmp::Reverse((*at, uri_of(v))));
    }
    let total = hits.len();
    let end = (offset + limit).min(total);
    let posts: Vec<Value> = if fault == Some(Fault::EmptyPage) {
        Vec::new()
    } else {
        hits.into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, view)| view)
            .collect()
    };
    let cursor = if fault == Some(Fault::RepeatCursor) {
        Some(params.get("cursor").cloned().unwrap_or_else(|| "0".into()))
    } else {
        (end < total && !posts.is_empty()).then(|| end.to_string())
    };
    let mut body = json!({"hitsTotal": total, "posts": posts});
    if let Some(cursor) = cursor {
        body["cursor"] = cursor.into();
    }
    epilogue(
        &state,
        "bluesky",
        &path,
        fault.as_ref(),
        headers,
        body.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_views_from_events() {
        let event = json!({"did": "did:plc:sample0004", "time_us": 1773302405165800i64, "kind": "commit",
            "commit": {"operation": "create", "collection": POST, "rkey": "3m0", "cid": "bafy1",
            "record": {"text": "Kolejka w Orlen", "createdAt": "2026-03-12T08:00:04.290Z", "langs": ["pl"]}}});
        let (sort_at, view) = post_view(&event).unwrap();
        assert_eq!(
            view["uri"],
            "at://did:plc:sample0004/app.bsky.feed.post/3m0"
        );
        assert_eq!(view["author"]["handle"], "sample0004.bsky.social");
        assert_eq!(sort_at.to_rfc3339(), "2026-03-12T08:00:04.290+00:00");
        assert_eq!(
            parse_bound("2026-03-12").unwrap().to_rfc3339(),
            "2026-03-12T00:00:00+00:00"
        );
    }
}
