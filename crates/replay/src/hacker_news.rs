//! Algolia's Hacker News search, `GET /api/v1/search_by_date`, as documented at
//! <https://hn.algolia.com/api>: hits newest first, `query`, `tags` (comma = AND,
//! parentheses = OR), `numericFilters` on `created_at_i`, `hitsPerPage`, 0-based `page`,
//! and the pagination cap: no query serves more than 1,000 hits, whatever `nbHits` says.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude};

/// Algolia's `paginationLimitedTo` for the HN index.
const PAGINATION_LIMIT: usize = 1000;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new().route("/api/v1/search_by_date", get(search_by_date))
}

fn text_of(hit: &Value) -> String {
    ["title", "story_text", "comment_text"]
        .iter()
        .filter_map(|k| hit[*k].as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `(story,comment)` matches either tag; `story` just that one.
fn matches_tags(hit: &Value, tags: Option<&String>) -> bool {
    let Some(tags) = tags else { return true };
    let hit_tags: Vec<&str> = hit["_tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    tags.split(',')
        .filter(|_| !tags.starts_with('('))
        .chain(std::iter::once(tags.as_str()).filter(|t| t.starts_with('(')))
        .all(|clause| {
            clause
                .trim_matches(|c| c == '(' || c == ')')
                .split(',')
                .any(|tag| hit_tags.contains(&tag))
        })
}

/// `created_at_i>=1,created_at_i<2`: every condition must hold.
fn matches_numeric(hit: &Value, filters: Option<&String>) -> bool {
    let Some(filters) = filters else { return true };
    filters.split(',').all(|condition| {
        for op in [">=", "<=", ">", "<", "="] {
            if let Some((field, bound)) = condition.split_once(op) {
                let (Some(value), Ok(bound)) =
                    (hit[field.trim()].as_i64(), bound.trim().parse::<i64>())
                else {
                    return false;
                };
                return match op {
                    ">=" => value >= bound,
                    "<=" => value <= bound,
                    ">" => value > bound,
                    "<" => value < bound,
                    _ => value == bound,
                };
            }
        }
        false
    })
}

async fn search_by_date(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let (fault, headers) =
        match prelude(&state, "hacker_news", HeaderStyle::None, &path_and_query).await {
            Prelude::Answered(response) => return response,
            Prelude::Serve { fault, headers } => (fault, headers),
        };
    let query = params
        .get("query")
        .map(|q| q.to_lowercase())
        .unwrap_or_default();
    let per_page = params
        .get("hitsPerPage")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 1000);
    let mut page = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0);
    let mut hits: Vec<&Value> = state
        .dataset
        .hacker_news
        .iter()
        .filter(|h| {
            query
                .split_whitespace()
                .all(|word| text_of(h).contains(word))
                && matches_tags(h, params.get("tags"))
                && matches_numeric(h, params.get("numericFilters"))
                && state.is_visible(
                    h["created_at_i"]
                        .as_i64()
                        .and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
                )
        })
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h["created_at_i"].as_i64()));
    let nb_hits = hits.len();
    let servable = nb_hits.min(PAGINATION_LIMIT);
    let nb_pages = servable.div_ceil(per_page);
    if fault == Some(Fault::RepeatCursor) {
        // Serve the previous page again under this page number.
        page = page.saturating_sub(1);
    }
    let start = (page * per_page).min(servable);
    let end = (start + per_page).min(servable);
    let page_hits: Vec<&Value> = if fault == Some(Fault::EmptyPage) {
        Vec::new()
    } else {
        hits[start..end].to_vec()
    };
    let body = json!({
        "hits": page_hits,
        "nbHits": nb_hits,
        "page": page,
        "nbPages": nb_pages,
        "hitsPerPage": per_page,
        "exhaustiveNbHits": true,
        "query": params.get("query").cloned().unwrap_or_default(),
        "params": uri.query().unwrap_or_default(),
        "processingTimeMS": 1,
    });
    epilogue(
        &state,
        "hacker_news",
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
    fn filters_like_algolia() {
        let hit = json!({"_tags": ["comment", "author_x"], "created_at_i": 100});
        assert!(matches_tags(&hit, Some(&"(story,comment)".to_string())));
        assert!(!matches_tags(&hit, Some(&"story".to_string())));
        assert!(matches_tags(&hit, Some(&"comment,author_x".to_string())));
        assert!(matches_numeric(
            &hit,
            Some(&"created_at_i>=100,created_at_i<101".to_string())
        ));
        assert!(!matches_numeric(
            &hit,
            Some(&"created_at_i>100".to_string())
        ));
    }
}
