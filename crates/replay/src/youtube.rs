//! YouTube Data API v3 `commentThreads.list`, `GET /youtube/v3/commentThreads`, as
//! documented at <https://developers.google.com/youtube/v3/docs/commentThreads/list>:
//! `part=snippet`, exactly one of `videoId` / `allThreadsRelatedToChannelId`,
//! `maxResults` (1..=100, default 20), `order` (`time`, newest first, or `relevance`,
//! served newest first here too), `textFormat` (`html` or `plainText`), an opaque
//! `pageToken` answered with `nextPageToken`, and `key`. Errors use Google's
//! `{error: {code, message, errors: [{reason}]}}`: 400 for bad parameters, 403
//! `forbidden` without a key, 403 `quotaExceeded` for the key [`QUOTA_EXCEEDED_KEY`]. YouTube sends no rate-limit headers (quota is per day).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude, respond};

/// Requests with this API key are answered 403 `quotaExceeded`, as YouTube does once a
/// project's daily quota is spent.
pub const QUOTA_EXCEEDED_KEY: &str = "replay-quota-exceeded";

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new().route("/youtube/v3/commentThreads", get(comment_threads))
}

fn published(thread: &Value) -> &str {
    thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
        .as_str()
        .unwrap_or_default()
}

fn id_of(thread: &Value) -> &str {
    thread["id"].as_str().unwrap_or_default()
}

/// Page tokens continue below a thread; opaque to clients.
fn token_for(thread: &Value) -> String {
    format!("QURTSl9p{}~{}", published(thread), id_of(thread))
}

fn google_error(
    state: &State,
    path: &str,
    status: StatusCode,
    reason: &str,
    message: &str,
) -> Response {
    state.record("youtube", path.to_string(), status.as_u16());
    respond(
        status,
        &[],
        json!({"error": {"code": status.as_u16(), "message": message,
            "errors": [{"message": message, "domain": "youtube.parameter", "reason": reason}]}})
        .to_string(),
    )
}

async fn comment_threads(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    if params.get("key").is_none_or(|k| k.is_empty()) {
        return google_error(
            &state,
            &path,
            StatusCode::FORBIDDEN,
            "forbidden",
            "The request is missing a valid API key.",
        );
    }
    if params.get("key").is_some_and(|k| k == QUOTA_EXCEEDED_KEY) {
        return google_error(
            &state,
            &path,
            StatusCode::FORBIDDEN,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your quota.",
        );
    }
    let filter = match (
        params.get("videoId"),
        params.get("allThreadsRelatedToChannelId"),
    ) {
        (Some(video), None) => ("videoId", video.clone()),
        (None, Some(channel)) => ("channelId", channel.clone()),
        _ => {
            return google_error(
                &state,
                &path,
                StatusCode::BAD_REQUEST,
                "incompatibleParameters",
                "Exactly one of videoId and allThreadsRelatedToChannelId must be given.",
            );
        }
    };
    if !params.get("part").is_some_and(|p| {
        p.split(',')
            .any(|p| ["snippet", "replies", "id"].contains(&p.trim()))
    }) {
        return google_error(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "invalidPart",
            "The part parameter must name snippet, replies or id.",
        );
    }
    for (name, allowed) in [
        ("order", &["time", "relevance"][..]),
        ("textFormat", &["html", "plainText"][..]),
    ] {
        if params
            .get(name)
            .is_some_and(|v| !allowed.contains(&v.as_str()))
        {
            return google_error(
                &state,
                &path,
                StatusCode::BAD_REQUEST,
                "invalidParameter",
                &format!(
                    "The {name} parameter must be one of {}.",
                    allowed.join(", ")
                ),
            );
        }
    }
    let max_results = params
        .get("maxResults")
        .map_or(Ok(20), |m| m.parse::<usize>());
    let Some(max_results) = max_results.ok().filter(|m| (1..=100).contains(m)) else {
        return google_error(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "invalidParameter",
            "maxResults must be between 1 and 100.",
        );
    };
    let below = match params.get("pageToken") {
        None => None,
        Some(token) => match token
            .strip_prefix("QURTSl9p")
            .and_then(|t| t.split_once('~'))
        {
            Some((at, id)) => Some((at.to_string(), id.to_string())),
            None => {
                return google_error(
                    &state,
                    &path,
                    StatusCode::BAD_REQUEST,
                    "invalidPageToken",
                    "The request specifies an invalid page token.",
                );
            }
        },
    };
    let (fault, headers) = match prelude(&state, "youtube", HeaderStyle::None, &path).await {
        Prelude::Answered(response) => return response,
        Prelude::Serve { fault, headers } => (fault, headers),
    };
    let mut threads: Vec<&Value> = state
        .dataset
        .youtube
        .iter()
        .filter(|t| {
            t["snippet"][filter.0].as_str() == Some(filter.1.as_str())
                && state.is_visible(published(t).parse().ok())
                && below
                    .as_ref()
                    .is_none_or(|(at, id)| (published(t), id_of(t)) < (at.as_str(), id.as_str()))
        })
        .collect();
    // order=time: newest first (RFC 3339 UTC strings sort as times).
    threads.sort_by(|a, b| (published(b), id_of(b)).cmp(&(published(a), id_of(a))));
    let more = threads.len() > max_results;
    threads.truncate(max_results);
    if fault == Some(Fault::EmptyPage) {
        threads.clear();
    }
    let next_page_token = if fault == Some(Fault::RepeatCursor) {
        params.get("pageToken").cloned().or_else(|| {
            threads
                .first()
                .map(|t| format!("QURTSl9p{}~{}~", published(t), id_of(t)))
        })
    } else if more {
        threads.last().map(|t| token_for(t))
    } else {
        None
    };
    let mut body = json!({
        "kind": "youtube#commentThreadListResponse",
        "etag": "replay",
        "pageInfo": {"totalResults": threads.len(), "resultsPerPage": max_results},
        "items": threads,
    });
    if let Some(token) = next_page_token {
        body["nextPageToken"] = json!(token);
    }
    epilogue(
        &state,
        "youtube",
        &path,
        fault.as_ref(),
        headers,
        body.to_string(),
    )
}
