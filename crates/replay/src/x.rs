//! X API v2 search as documented at <https://docs.x.com/x-api/posts/search-recent-posts>
//! and <https://docs.x.com/x-api/posts/search-all-posts>:
//!
//! - `GET /2/tweets/search/recent`: posts newest first (by id), `query`, `max_results`
//!   (10..=100, else 400), `since_id`/`until_id`, `start_time` (inclusive; no earlier
//!   than seven days ago, else 400) and `end_time` (exclusive; at least 10 seconds before
//!   the request, else 400), an opaque `next_token`, and `expansions=author_id` putting
//!   the authors in `includes.users`;
//! - `GET /2/tweets/search/all` (full-archive): the same, with `max_results` 10..=500,
//!   `start_time` back to 2006-03-21, and at most 1 request per second (429 sooner).
//!
//! Timestamps are `YYYY-MM-DDTHH:mm:ssZ` (RFC 3339); `start_time` must precede
//! `end_time`. The body is `{data, includes: {users}, meta: {newest_id, oldest_id,
//! result_count, next_token}}`, with no `data` when nothing matches. Rate limits come in
//! `x-rate-limit-limit/remaining/reset` (epoch seconds) and 429s carry no `Retry-After`.
//! A request without `Authorization: Bearer …` gets 401. Without `start_time` every
//! sample is served (the samples are older than the seven days recent search covers).
//!
//! The query matches when every plain word is in the text; operators (`-is:retweet`,
//! `lang:pl`) are accepted and ignored.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude, respond};

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/2/tweets/search/recent", get(search_recent))
        .route("/2/tweets/search/all", get(search_all))
}

/// What differs between the two search endpoints.
#[derive(Clone, Copy)]
struct Endpoint {
    route: &'static str,
    max_results: usize,
    /// How far back `start_time` may reach; `None` for the whole archive.
    lookback: Option<chrono::Duration>,
    /// Requests closer together than this get 429.
    min_interval: Option<Duration>,
}

const RECENT: Endpoint = Endpoint {
    route: "x/recent",
    max_results: 100,
    lookback: Some(chrono::Duration::days(7)),
    min_interval: None,
};

const ALL: Endpoint = Endpoint {
    route: "x/all",
    max_results: 500,
    lookback: None,
    min_interval: Some(Duration::from_secs(1)),
};

/// The archive starts with the first post.
const FIRST_POST: &str = "2006-03-21T00:00:00Z";

/// Post ids are numeric strings; compare them as numbers.
fn compare_ids(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn id_of(post: &Value) -> &str {
    post["id"].as_str().unwrap_or_default()
}

/// Opaque-looking, stable paging tokens: the page continues below `id`.
fn token_for(id: &str) -> String {
    format!("b26v89c19zqg8o3f{id}")
}

fn id_from_token(token: &str) -> Option<&str> {
    token
        .strip_prefix("b26v89c19zqg8o3f")
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn bad_request(state: &State, path: &str, status: StatusCode, detail: &str) -> Response {
    state.record("x", path.to_string(), status.as_u16());
    respond(
        status,
        &[],
        json!({"title": "Invalid Request", "detail": detail, "status": status.as_u16()})
            .to_string(),
    )
}

async fn search_recent(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    search(state, params, uri, request_headers, RECENT).await
}

async fn search_all(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    search(state, params, uri, request_headers, ALL).await
}

/// A request's `start_time` and `end_time`, either of them optional.
type TimeWindow = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `start_time` and `end_time` as given, checked the way X checks them.
fn time_window(params: &HashMap<String, String>, endpoint: Endpoint) -> Result<TimeWindow, String> {
    let parse = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
        params
            .get(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| format!("Invalid '{name}':'{v}'. '{name}' must be a valid RFC 3339 timestamp (YYYY-MM-DDTHH:mm:ssZ)"))
            })
            .transpose()
    };
    let (start, end) = (parse("start_time")?, parse("end_time")?);
    let now = Utc::now();
    let earliest = match endpoint.lookback {
        Some(lookback) => now - lookback,
        None => FIRST_POST.parse().expect("a valid timestamp"),
    };
    if let Some(start) = start
        && start < earliest
    {
        return Err(format!(
            "Invalid 'start_time':'{}'. 'start_time' must be on or after {}",
            start.to_rfc3339(),
            earliest.to_rfc3339()
        ));
    }
    let latest_end = now - chrono::Duration::seconds(10);
    if let Some(end) = end
        && end > latest_end
    {
        return Err(format!(
            "Invalid 'end_time':'{}'. 'end_time' must be a minimum of 10 seconds prior to the request time.",
            end.to_rfc3339()
        ));
    }
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        return Err("Invalid 'start_time'. 'start_time' must be before 'end_time'.".into());
    }
    Ok((start, end))
}

async fn search(
    state: Arc<State>,
    params: HashMap<String, String>,
    uri: Uri,
    request_headers: HeaderMap,
    endpoint: Endpoint,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let authorized = request_headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .is_some_and(|token| !token.trim().is_empty());
    if !authorized {
        return bad_request(&state, &path, StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let max_results = params
        .get("max_results")
        .map_or(Ok(10), |m| m.parse::<usize>());
    let Some(max_results) = max_results
        .ok()
        .filter(|m| (10..=endpoint.max_results).contains(m))
    else {
        return bad_request(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            &format!(
                "max_results must be between 10 and {}",
                endpoint.max_results
            ),
        );
    };
    let (start, end) = match time_window(&params, endpoint) {
        Ok(window) => window,
        Err(detail) => return bad_request(&state, &path, StatusCode::BAD_REQUEST, &detail),
    };
    if let Some(interval) = endpoint.min_interval
        && !state.paced(endpoint.route, interval)
    {
        state.record("x", path, 429);
        let reset = (Utc::now() + chrono::Duration::seconds(1)).timestamp();
        let headers = [
            ("x-rate-limit-limit".to_string(), "1".to_string()),
            ("x-rate-limit-remaining".to_string(), "0".to_string()),
            ("x-rate-limit-reset".to_string(), reset.to_string()),
        ];
        return respond(
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}).to_string(),
        );
    }
    let below = match params.get("next_token") {
        None => None,
        Some(token) => match id_from_token(token) {
            Some(id) => Some(id.to_string()),
            None => {
                return bad_request(
                    &state,
                    &path,
                    StatusCode::BAD_REQUEST,
                    "the next_token is invalid",
                );
            }
        },
    };
    let (fault, headers) = match prelude(&state, "x", HeaderStyle::X, &path).await {
        Prelude::Answered(response) => return response,
        Prelude::Serve { fault, headers } => (fault, headers),
    };
    let words: Vec<String> = params
        .get("query")
        .map(|q| q.to_lowercase())
        .unwrap_or_default()
        .split_whitespace()
        .filter(|w| !w.starts_with('-') && !w.contains(':'))
        .map(|w| w.trim_matches('"').to_string())
        .collect();
    let mut posts: Vec<&Value> = state
        .dataset
        .x
        .iter()
        .filter(|p| {
            let text = p["text"].as_str().unwrap_or_default().to_lowercase();
            let id = id_of(p);
            let created: Option<DateTime<Utc>> =
                p["created_at"].as_str().and_then(|c| c.parse().ok());
            words.iter().all(|w| text.contains(w.as_str()))
                && state.is_visible(created)
                && start.is_none_or(|start| created.is_some_and(|c| c >= start))
                && end.is_none_or(|end| created.is_some_and(|c| c < end))
                && params
                    .get("since_id")
                    .is_none_or(|s| compare_ids(id, s) == Ordering::Greater)
                && params
                    .get("until_id")
                    .is_none_or(|u| compare_ids(id, u) == Ordering::Less)
                && below
                    .as_deref()
                    .is_none_or(|b| compare_ids(id, b) == Ordering::Less)
        })
        .collect();
    posts.sort_by(|a, b| compare_ids(id_of(b), id_of(a)));
    let more = posts.len() > max_results;
    posts.truncate(max_results);
    if fault == Some(Fault::EmptyPage) {
        posts.clear();
    }
    let mut meta = Map::new();
    meta.insert("result_count".into(), json!(posts.len()));
    let mut body = Map::new();
    if let (Some(newest), Some(oldest)) = (posts.first(), posts.last()) {
        meta.insert("newest_id".into(), json!(id_of(newest)));
        meta.insert("oldest_id".into(), json!(id_of(oldest)));
        if fault == Some(Fault::RepeatCursor) {
            // Hand back the token the request came with (or one for this very page).
            let token = params
                .get("next_token")
                .cloned()
                .unwrap_or_else(|| token_for(&format!("{}0", id_of(newest))));
            meta.insert("next_token".into(), json!(token));
        } else if more {
            meta.insert("next_token".into(), json!(token_for(id_of(oldest))));
        }
        let mut users: Vec<Value> = Vec::new();
        let data: Vec<Value> = posts
            .iter()
            .map(|p| {
                let mut post = (*p).clone();
                if let Some(user) = post.as_object_mut().and_then(|o| o.remove("author"))
                    && !users.iter().any(|u| u["id"] == user["id"])
                {
                    users.push(user);
                }
                post
            })
            .collect();
        body.insert("data".into(), json!(data));
        body.insert("includes".into(), json!({ "users": users }));
    }
    body.insert("meta".into(), Value::Object(meta));
    epilogue(
        &state,
        "x",
        &path,
        fault.as_ref(),
        headers,
        Value::Object(body).to_string(),
    )
}
