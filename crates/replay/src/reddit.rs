//! Reddit's OAuth API as an application-only client sees it
//! (<https://github.com/reddit-archive/reddit/wiki/OAuth2>, <https://www.reddit.com/dev/api>):
//!
//! - `POST /api/v1/access_token` with HTTP basic auth (client id and secret) and the form
//!   body `grant_type=client_credentials` returns `{access_token, token_type, expires_in,
//!   scope}`;
//! - `GET /search?q=…&sort=new&t=…&limit=…&after=…` with `Authorization: bearer <token>`
//!   returns a Listing `{kind: "Listing", data: {after, before, dist, children: [{kind:
//!   "t3", data: {…}}]}}`, newest first; `after` is the fullname of the page's last child,
//!   or null at the end; a query matches when every word is in the title or self text;
//!   `q` over 512 characters is a 400; `t` (`hour`…`year`, `all`) keeps links that recent;
//! - `GET /r/{subreddit}/new?limit=…&after=…` (www.reddit.com/dev/api#GET_new) lists every
//!   link of the subreddit (or of `a+b`) newest first, in the same Listing; an unknown
//!   subreddit is a 404;
//! - listings stop after 1,000 links; `limit` is clamped to 1..=100 (Reddit does not
//!   refuse a larger one); without `raw_json=1`, `&`, `<` and `>` in strings come
//!   HTML-escaped, as Reddit sends them;
//! - `X-Ratelimit-Used/Remaining/Reset` (reset in seconds);
//! - requests without a descriptive User-Agent (`… (by /u/name)`) are refused with 403,
//!   as Reddit throttles generic agents. An unknown or revoked token gets 401.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue, prelude, respond};

/// Reddit listings stop after about 1,000 items, whatever the query matches.
const LISTING_CAP: usize = 1000;
/// The longest `q` Reddit's search takes.
const MAX_QUERY_LEN: usize = 512;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/api/v1/access_token", post(access_token))
        .route("/search", get(search_all))
        .route("/r/{subreddits}/search", get(search_subreddits))
        .route("/r/{subreddits}/new", get(new_in_subreddits))
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn refuse(state: &State, path: &str, status: StatusCode, message: &str) -> Response {
    state.record("reddit", path.to_string(), status.as_u16());
    respond(
        status,
        &[],
        json!({"message": message, "error": status.as_u16()}).to_string(),
    )
}

async fn access_token(
    AxumState(state): AxumState<Arc<State>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = path_and_query(&uri);
    let basic = header(&headers, "authorization");
    if !basic.to_ascii_lowercase().starts_with("basic ") || basic.len() <= 6 {
        return refuse(&state, &path, StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if body.trim() != "grant_type=client_credentials" {
        return refuse(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        );
    }
    let token = {
        let mut tokens = state.tokens.lock().unwrap();
        let token = format!("replay-token-{}", tokens.len() + 1);
        tokens.push((token.clone(), true));
        token
    };
    state.record("reddit", path, 200);
    respond(
        StatusCode::OK,
        &[],
        json!({"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"})
            .to_string(),
    )
}

fn text_of(post: &Value) -> String {
    format!(
        "{} {}",
        post["title"].as_str().unwrap_or_default(),
        post["selftext"].as_str().unwrap_or_default()
    )
    .to_lowercase()
}

fn name_of(post: &Value) -> &str {
    post["name"].as_str().unwrap_or_default()
}

async fn search_all(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    search(state, None, params, uri, headers).await
}

/// `/r/a+b/search?restrict_sr=1`: only links in those subreddits.
async fn search_subreddits(
    AxumState(state): AxumState<Arc<State>>,
    Path(subreddits): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let restrict = params
        .get("restrict_sr")
        .is_some_and(|r| r == "1" || r == "true");
    let subs = restrict.then(|| {
        subreddits
            .split('+')
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    });
    search(state, subs, params, uri, headers).await
}

/// `/r/a+b/new`: every link of those subreddits, newest first.
async fn new_in_subreddits(
    AxumState(state): AxumState<Arc<State>>,
    Path(subreddits): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = path_and_query(&uri);
    let (fault, headers) = match authorize(&state, &path, &request_headers).await {
        Ok(answer) => answer,
        Err(response) => return response,
    };
    let subs: Vec<String> = subreddits.split('+').map(str::to_lowercase).collect();
    let known =
        |p: &Value| subs.contains(&p["subreddit"].as_str().unwrap_or_default().to_lowercase());
    if !state.dataset.reddit.iter().any(known) {
        return refuse(&state, &path, StatusCode::NOT_FOUND, "Not Found");
    }
    let posts: Vec<&Value> = state
        .dataset
        .reddit
        .iter()
        .filter(|p| known(p) && state.is_visible(created_at(p)))
        .collect();
    serve(&state, &path, posts, &params, fault, headers)
}

/// The checks every API route makes, in Reddit's order: a descriptive User-Agent, the
/// shared fault/rate-limit prelude, then the bearer token.
async fn authorize(
    state: &State,
    path: &str,
    request_headers: &HeaderMap,
) -> Result<(Option<Fault>, Vec<(String, String)>), Response> {
    if !header(request_headers, "user-agent").contains("(by /u/") {
        return Err(refuse(
            state,
            path,
            StatusCode::FORBIDDEN,
            "Forbidden: set a unique User-Agent",
        ));
    }
    let (fault, headers) = match prelude(state, "reddit", HeaderStyle::Reddit, path).await {
        Prelude::Answered(response) => return Err(response),
        Prelude::Serve { fault, headers } => (fault, headers),
    };
    // Checked after the prelude, so a delayed request meets a token revoked meanwhile.
    let bearer = header(request_headers, "authorization");
    let valid = bearer
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        && state
            .tokens
            .lock()
            .unwrap()
            .iter()
            .any(|(token, valid)| *valid && token == &bearer[7..]);
    if !valid {
        return Err(refuse(
            state,
            path,
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
        ));
    }
    Ok((fault, headers))
}

fn created_at(post: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    post["created_utc"]
        .as_f64()
        .and_then(|s| chrono::DateTime::from_timestamp(s as i64, 0))
}

/// How far back `t` reaches (`None` for `all` or no `t`).
fn period(t: Option<&str>) -> Option<chrono::Duration> {
    Some(match t? {
        "hour" => chrono::Duration::hours(1),
        "day" => chrono::Duration::days(1),
        "week" => chrono::Duration::weeks(1),
        "month" => chrono::Duration::days(30),
        "year" => chrono::Duration::days(365),
        _ => return None,
    })
}

async fn search(
    state: Arc<State>,
    subreddits: Option<Vec<String>>,
    params: HashMap<String, String>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = path_and_query(&uri);
    let (fault, headers) = match authorize(&state, &path, &request_headers).await {
        Ok(answer) => answer,
        Err(response) => return response,
    };
    let query = params
        .get("q")
        .map(|q| q.to_lowercase())
        .unwrap_or_default();
    if query.chars().count() > MAX_QUERY_LEN {
        return refuse(
            &state,
            &path,
            StatusCode::BAD_REQUEST,
            "q must be no longer than 512 characters",
        );
    }
    let since = period(params.get("t").map(String::as_str)).map(|p| chrono::Utc::now() - p);
    let posts: Vec<&Value> = state
        .dataset
        .reddit
        .iter()
        .filter(|p| {
            query.split_whitespace().all(|w| text_of(p).contains(w))
                && subreddits.as_ref().is_none_or(|subs| {
                    subs.contains(&p["subreddit"].as_str().unwrap_or_default().to_lowercase())
                })
                && state.is_visible(created_at(p))
                && since.is_none_or(|since| created_at(p).is_some_and(|c| c >= since))
        })
        .collect();
    serve(&state, &path, posts, &params, fault, headers)
}

/// Serves one page of `posts` as a Listing: sorted newest first, capped, paged with
/// `after` and `limit`, with the page-level faults applied.
fn serve(
    state: &State,
    path: &str,
    mut posts: Vec<&Value>,
    params: &HashMap<String, String>,
    fault: Option<Fault>,
    headers: Vec<(String, String)>,
) -> Response {
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    posts.sort_by(|a, b| {
        b["created_utc"]
            .as_f64()
            .partial_cmp(&a["created_utc"].as_f64())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| {
                let (a, b) = (name_of(a), name_of(b));
                b.len().cmp(&a.len()).then_with(|| b.cmp(a))
            })
    });
    posts.truncate(LISTING_CAP);
    // `after` continues below that item; an unknown fullname yields an empty listing.
    let start = match params.get("after") {
        None => 0,
        Some(after) => posts
            .iter()
            .position(|p| name_of(p) == after)
            .map_or(posts.len(), |i| i + 1),
    };
    let end = (start + limit).min(posts.len());
    let page: Vec<&Value> = if fault == Some(Fault::EmptyPage) {
        Vec::new()
    } else {
        posts[start..end].to_vec()
    };
    let after = if fault == Some(Fault::RepeatCursor) {
        // Point back at the cursor the request came with (or the page's first item).
        params
            .get("after")
            .cloned()
            .or_else(|| page.first().map(|p| name_of(p).to_string()))
    } else if end < posts.len() {
        page.last().map(|p| name_of(p).to_string())
    } else {
        None
    };
    let body = json!({
        "kind": "Listing",
        "data": {
            "after": after,
            "before": null,
            "dist": page.len(),
            "modhash": "",
            "geo_filter": "",
            "children": page.iter().map(|p| json!({"kind": "t3", "data": p})).collect::<Vec<_>>(),
        }
    });
    let body = if params.get("raw_json").is_some_and(|r| r == "1") {
        body
    } else {
        escape_strings(body)
    };
    epilogue(
        state,
        "reddit",
        path,
        fault.as_ref(),
        headers,
        body.to_string(),
    )
}

/// Reddit's legacy escaping, undone by `raw_json=1`: `&`, `<` and `>` in every string.
fn escape_strings(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(escape_strings).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, escape_strings(v)))
                .collect(),
        ),
        other => other,
    }
}
