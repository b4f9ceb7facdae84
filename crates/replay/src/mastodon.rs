//! Mastodon's hashtag timeline, `GET /api/v1/timelines/tag/:hashtag`, as documented at
//! <https://docs.joinmastodon.org/methods/timelines/#tag>: statuses newest first,
//! `max_id`/`since_id`/`min_id`/`limit` (default 20, max 40), a `Link` header with
//! `rel="next"` (older, `max_id`) and `rel="prev"` (newer, `min_id`), and the
//! `X-RateLimit-*` headers.
//!
//! And the status search, `GET /api/v2/search?q=…&type=statuses` (in [`search`], as
//! documented at <https://docs.joinmastodon.org/methods/search/#v2>). The one valid user
//! token is [`ACCESS_TOKEN`]; any other bearer token gets 401 on every route, as an
//! unknown token does on a real instance.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude};

mod search;

pub use search::ACCESS_TOKEN;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/api/v1/timelines/tag/{hashtag}", get(tag_timeline))
        .route("/api/v2/search", get(search::search))
}

/// Mastodon ids are numeric strings of growing length; compare them as numbers.
pub(crate) fn compare_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

pub(crate) fn id_of(status: &Value) -> &str {
    status["id"].as_str().unwrap_or_default()
}

pub(crate) fn created_at(status: &Value) -> Option<DateTime<Utc>> {
    status["created_at"].as_str()?.parse().ok()
}

fn has_tag(status: &Value, tag: &str) -> bool {
    status["tags"].as_array().is_some_and(|tags| {
        tags.iter()
            .any(|t| t["name"].as_str().is_some_and(|n| n.to_lowercase() == tag))
    })
}

/// `id` shifted by one, so a cursor built from it selects the same page again.
fn nudge(id: &str, up: bool) -> String {
    match id.parse::<u128>() {
        Ok(n) if up => (n + 1).to_string(),
        Ok(n) => n.saturating_sub(1).to_string(),
        Err(_) => id.to_string(),
    }
}

async fn tag_timeline(
    AxumState(state): AxumState<Arc<State>>,
    Path(hashtag): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let (fault, mut headers) =
        match prelude(&state, "mastodon", HeaderStyle::Mastodon, &path_and_query).await {
            Prelude::Answered(response) => return response,
            Prelude::Serve { fault, headers } => (fault, headers),
        };
    if let search::Token::Invalid = search::token(&request_headers) {
        return search::unauthorized(&state, &path_and_query);
    }
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 40);
    let tag = hashtag.to_lowercase();
    let above = |bound: Option<&String>, id: &str| {
        bound.is_none_or(|b| compare_ids(id, b) == Ordering::Greater)
    };
    let mut statuses: Vec<&Value> = state
        .dataset
        .mastodon
        .iter()
        .filter(|s| has_tag(s, &tag) && state.is_visible(created_at(s)))
        .filter(|s| {
            let id = id_of(s);
            params
                .get("max_id")
                .is_none_or(|max| compare_ids(id, max) == Ordering::Less)
                && above(params.get("since_id"), id)
                && above(params.get("min_id"), id)
        })
        .collect();
    statuses.sort_by(|a, b| compare_ids(id_of(b), id_of(a)));
    // `min_id` pages forward: the statuses immediately newer than it, still newest first.
    let page: Vec<&Value> = if params.contains_key("min_id") {
        let skip = statuses.len().saturating_sub(limit);
        statuses.split_off(skip)
    } else {
        statuses.truncate(limit);
        statuses
    };
    let page = if fault == Some(Fault::EmptyPage) {
        Vec::new()
    } else {
        page
    };

    if let (Some(newest), Some(oldest)) = (page.first(), page.last()) {
        let (max_id, min_id) = if fault == Some(Fault::RepeatCursor) {
            (nudge(id_of(newest), true), nudge(id_of(oldest), false))
        } else {
            (id_of(oldest).to_string(), id_of(newest).to_string())
        };
        let base = format!(
            "{}/api/v1/timelines/tag/{hashtag}",
            crate::request_base(&request_headers)
        );
        let limit_param = params
            .get("limit")
            .map(|l| format!("&limit={l}"))
            .unwrap_or_default();
        headers.push((
            "link".into(),
            format!(
                "<{base}?max_id={max_id}{limit_param}>; rel=\"next\", <{base}?min_id={min_id}{limit_param}>; rel=\"prev\""
            ),
        ));
    }
    let body = serde_json::to_string(&page).expect("statuses serialize");
    epilogue(
        &state,
        "mastodon",
        &path_and_query,
        fault.as_ref(),
        headers,
        body,
    )
}
