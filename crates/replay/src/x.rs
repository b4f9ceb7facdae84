//! X API v2 recent search, `GET /2/tweets/search/recent`, as documented at
//! <https://docs.x.com/x-api/posts/search-recent-posts>: posts newest first (by id),
//! `query`, `max_results` (10..=100, else 400), `since_id`/`until_id`, an opaque
//! `next_token`, and `expansions=author_id` putting the authors in `includes.users`. The
//! body is `{data, includes: {users}, meta: {newest_id, oldest_id, result_count,
//! next_token}}`, with no `data` when nothing matches. Rate limits come in
//! `x-rate-limit-limit/remaining/reset` (epoch seconds) and 429s carry no `Retry-After`.
//! A request without `Authorization: Bearer …` gets 401.
//!
//! The query matches when every plain word is in the text; operators (`-is:retweet`,
//! `lang:pl`) are accepted and ignored.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude, respond};

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new().route("/2/tweets/search/recent", get(search_recent))
}

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
    let Some(max_results) = max_results.ok().filter(|m| (10..=100).contains(m)) else {
        return bad_request(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "max_results must be between 10 and 100",
        );
    };
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
            words.iter().all(|w| text.contains(w.as_str()))
                && state.is_visible(p["created_at"].as_str().and_then(|c| c.parse().ok()))
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
