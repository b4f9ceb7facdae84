//! `GET /api/v2/search` (<https://docs.joinmastodon.org/methods/search/#v2>), statuses
//! only: `q` (required; a quoted phrase, else every word), `type`, `resolve`, `limit`
//! (default 20, max 40), `offset`, and `max_id`/`min_id` as range bounds. Statuses come
//! newest first by id, as Mastodon's full-text search orders them; `min_id` filters
//! rather than paging forward, unlike on timelines. Only a signed-in user's search
//! covers statuses: without a token the answer has none, and `resolve=true` or `offset`
//! without a token is refused with 401.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::{compare_ids, created_at, id_of};
use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude, respond};

/// The user token the replayed instance accepts.
pub const ACCESS_TOKEN: &str = "replay-mastodon-user-token";

pub(crate) enum Token {
    None,
    Valid,
    Invalid,
}

/// The request's bearer token, checked against [`ACCESS_TOKEN`].
pub(crate) fn token(headers: &HeaderMap) -> Token {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Token::None;
    };
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && token == ACCESS_TOKEN => {
            Token::Valid
        }
        _ => Token::Invalid,
    }
}

pub(crate) fn unauthorized(state: &State, path_and_query: &str) -> Response {
    state.record("mastodon", path_and_query.to_string(), 401);
    respond(
        StatusCode::UNAUTHORIZED,
        &[],
        json!({"error": "The access token is invalid"}).to_string(),
    )
}

/// Text of a status as search indexes it: content and content warning, without HTML.
fn searchable_text(status: &Value) -> String {
    let html = format!(
        "{} {}",
        status["spoiler_text"].as_str().unwrap_or_default(),
        status["content"].as_str().unwrap_or_default()
    );
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&")
}

/// `"a b"` matches the phrase; `a b` matches statuses holding both words.
fn matches(status: &Value, query: &str) -> bool {
    crate::query::matches(&searchable_text(status), query)
}

pub(crate) async fn search(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let (fault, headers) =
        match prelude(&state, "mastodon", HeaderStyle::Mastodon, &path_and_query).await {
            Prelude::Answered(response) => return response,
            Prelude::Serve { fault, headers } => (fault, headers),
        };
    let signed_in = match token(&request_headers) {
        Token::Invalid => return unauthorized(&state, &path_and_query),
        Token::Valid => true,
        Token::None => false,
    };
    if !signed_in
        && (params.get("resolve").is_some_and(|r| r == "true") || params.contains_key("offset"))
    {
        return unauthorized(&state, &path_and_query);
    }
    let Some(query) = params.get("q").filter(|q| !q.trim().is_empty()) else {
        state.record("mastodon", path_and_query, 400);
        return respond(
            StatusCode::BAD_REQUEST,
            &[],
            json!({"error": "param is missing or the value is empty: q"}).to_string(),
        );
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 40);
    let offset = params
        .get("offset")
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let wants_statuses = params.get("type").is_none_or(|t| t == "statuses");
    let mut statuses: Vec<&Value> =
        if signed_in && wants_statuses && fault != Some(Fault::EmptyPage) {
            state
                .dataset
                .mastodon
                .iter()
                .filter(|s| state.is_visible(created_at(s)) && matches(s, query))
                .filter(|s| {
                    let id = id_of(s);
                    params
                        .get("max_id")
                        .is_none_or(|max| compare_ids(id, max) == Ordering::Less)
                        && params
                            .get("min_id")
                            .is_none_or(|min| compare_ids(id, min) == Ordering::Greater)
                })
                .collect()
        } else {
            Vec::new()
        };
    statuses.sort_by(|a, b| compare_ids(id_of(b), id_of(a)));
    let page: Vec<&Value> = statuses.into_iter().skip(offset).take(limit).collect();
    let body = json!({"accounts": [], "statuses": page, "hashtags": []});
    epilogue(
        &state,
        "mastodon",
        &path_and_query,
        fault.as_ref(),
        headers,
        body.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_words_and_phrases() {
        let status = json!({"content": "<p>Stacja <a href=\"x\">#<span>Orlen</span></a> &amp; kawa</p>", "spoiler_text": ""});
        assert!(matches(&status, "orlen"));
        assert!(matches(&status, "kawa orlen"));
        assert!(!matches(&status, "\"kawa orlen\""));
        assert!(!matches(&status, "orle"));
    }
}
