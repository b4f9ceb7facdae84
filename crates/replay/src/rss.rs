//! Press feeds: `GET /rss/{feed}` (RSS 2.0) and `GET /atom/{feed}` (Atom 1.0) serve the
//! dataset's items of that feed, newest first, with an `ETag` and a `Last-Modified`, and
//! answer `304 Not Modified` to a request whose `If-None-Match` (or, without one,
//! `If-Modified-Since`) shows the client already has the current document, as HTTP
//! caches and well-behaved feed servers do (RFC 9110 §13.1). Faults: 429, 500, a slow
//! answer, a body cut off mid-XML, an empty feed.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, epilogue_typed, prelude, respond};

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/rss/{feed}", get(rss))
        .route("/atom/{feed}", get(atom))
}

#[derive(Clone, Copy)]
enum Format {
    Rss,
    Atom,
}

async fn rss(
    state: AxumState<Arc<State>>,
    feed: Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(state, feed, uri, headers, Format::Rss).await
}

async fn atom(
    state: AxumState<Arc<State>>,
    feed: Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(state, feed, uri, headers, Format::Atom).await
}

fn published(item: &Value) -> Option<DateTime<Utc>> {
    item["published"].as_str()?.parse().ok()
}

fn str_of<'a>(item: &'a Value, key: &str) -> &'a str {
    item[key].as_str().unwrap_or_default()
}

fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn serve(
    AxumState(state): AxumState<Arc<State>>,
    Path(feed): Path<String>,
    uri: Uri,
    request_headers: HeaderMap,
    format: Format,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let (fault, mut headers) =
        match prelude(&state, "rss", HeaderStyle::None, &path_and_query).await {
            Prelude::Answered(response) => return response,
            Prelude::Serve { fault, headers } => (fault, headers),
        };
    let mut items: Vec<&Value> = if fault == Some(Fault::EmptyPage) {
        Vec::new()
    } else {
        state
            .dataset
            .rss
            .iter()
            .filter(|i| str_of(i, "feed") == feed && state.is_visible(published(i)))
            .collect()
    };
    items.sort_by_key(|i| std::cmp::Reverse(published(i)));

    // Validators of the document as it is now.
    let newest = items.iter().filter_map(|i| published(i)).max();
    let etag = format!(
        "\"{}-{}\"",
        items.len(),
        newest.map_or(0, |n| n.timestamp())
    );
    let last_modified = newest.unwrap_or(DateTime::UNIX_EPOCH);
    let header = |name: &str| request_headers.get(name).and_then(|v| v.to_str().ok());
    let not_modified = match header("if-none-match") {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => header("if-modified-since")
            .and_then(|since| DateTime::parse_from_rfc2822(since).ok())
            .is_some_and(|since| last_modified <= since),
    };
    headers.push(("etag".into(), etag));
    headers.push(("last-modified".into(), http_date(last_modified)));
    if not_modified {
        state.record("rss", path_and_query, 304);
        return respond(StatusCode::NOT_MODIFIED, &headers, String::new());
    }

    let title = format!("Press: {feed}");
    let link = format!("https://press.example/{feed}/");
    let body = match format {
        Format::Rss => {
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
                 <title>{}</title><link>{link}</link><description>Replayed press feed</description>\
                 <language>pl</language>\n",
                escape(&title)
            );
            for item in &items {
                xml.push_str("<item>");
                xml.push_str(&format!("<title>{}</title>", escape(str_of(item, "title"))));
                xml.push_str(&format!("<link>{}</link>", escape(str_of(item, "link"))));
                if let Some(guid) = item["guid"].as_str() {
                    xml.push_str(&format!(
                        "<guid isPermaLink=\"false\">{}</guid>",
                        escape(guid)
                    ));
                }
                if let Some(author) = item["author"].as_str() {
                    // RSS 2.0 wants an email here; feeds commonly put `email (Name)`.
                    xml.push_str(&format!(
                        "<author>redakcja@press.example ({})</author>",
                        escape(author)
                    ));
                }
                xml.push_str(&format!(
                    "<description>{}</description>",
                    escape(str_of(item, "description"))
                ));
                if let Some(at) = published(item) {
                    xml.push_str(&format!("<pubDate>{}</pubDate>", at.to_rfc2822()));
                }
                xml.push_str("</item>\n");
            }
            xml.push_str("</channel></rss>\n");
            xml
        }
        Format::Atom => {
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"pl\">\
                 <title>{}</title><id>{link}</id><link href=\"{link}\"/><updated>{}</updated>\n",
                escape(&title),
                last_modified.to_rfc3339()
            );
            for item in &items {
                let id = item["guid"].as_str().unwrap_or(str_of(item, "link"));
                let at = published(item).unwrap_or(DateTime::UNIX_EPOCH).to_rfc3339();
                xml.push_str("<entry>");
                xml.push_str(&format!("<id>{}</id>", escape(id)));
                xml.push_str(&format!(
                    "<title>{}</title><link href=\"{}\"/>",
                    escape(str_of(item, "title")),
                    escape(str_of(item, "link"))
                ));
                xml.push_str(&format!(
                    "<published>{at}</published><updated>{at}</updated>"
                ));
                if let Some(author) = item["author"].as_str() {
                    xml.push_str(&format!("<author><name>{}</name></author>", escape(author)));
                }
                xml.push_str(&format!(
                    "<summary type=\"html\">{}</summary>",
                    escape(str_of(item, "description"))
                ));
                xml.push_str("</entry>\n");
            }
            xml.push_str("</feed>\n");
            xml
        }
    };
    let content_type = match format {
        Format::Rss => "application/rss+xml; charset=utf-8",
        Format::Atom => "application/atom+xml; charset=utf-8",
    };
    epilogue_typed(
        &state,
        "rss",
        &path_and_query,
        fault.as_ref(),
        headers,
        body,
        content_type,
    )
}
