//! Bluesky Jetstream, `GET /subscribe?wantedCollections=…&cursor=…` upgraded to a
//! WebSocket (github.com/bluesky-social/jetstream): one JSON text frame per event, in
//! `time_us` order, starting at the first event with `time_us >= cursor` (without a
//! cursor, a replay has no "now", so it starts at the first sample), filtered to the
//! wanted collections. After the backlog the connection stays open, as a live tail with
//! nothing new would. Faults: 429 and 500 on the upgrade request, a slow upgrade, and
//! [`Fault::CloseAfter`] dropping the connection mid-stream.
//!
//! The same posts are searchable through the XRPC API of an app-password client
//! (login, session refresh, `app.bsky.feed.searchPosts`): see [`xrpc`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State as AxumState};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::DateTime;
use futures::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::State;
use crate::faults::{Fault, HeaderStyle, Prelude, prelude, respond};

pub(crate) mod xrpc;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/subscribe", get(subscribe))
        .merge(xrpc::routes())
}

fn time_us(event: &Value) -> i64 {
    event["time_us"].as_i64().unwrap_or_default()
}

async fn subscribe(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<Vec<(String, String)>>,
    mut request: Request,
) -> Response {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let fault = match prelude(&state, "bluesky", HeaderStyle::None, &path_and_query).await {
        Prelude::Answered(response) => return response,
        Prelude::Serve { fault, .. } => fault,
    };
    let key = request
        .headers()
        .get("sec-websocket-key")
        .map(|k| derive_accept_key(k.as_bytes()));
    let (Some(accept), Some(on_upgrade)) = (key, request.extensions_mut().remove::<OnUpgrade>())
    else {
        state.record("bluesky", path_and_query, 400);
        return respond(
            StatusCode::BAD_REQUEST,
            &[],
            r#"{"error":"expected a WebSocket upgrade"}"#.into(),
        );
    };
    let wanted: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "wantedCollections")
        .map(|(_, v)| v.clone())
        .collect();
    let cursor = params
        .iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let mut events: Vec<Value> = state
        .dataset
        .bluesky
        .iter()
        .filter(|e| cursor.is_none_or(|c| time_us(e) >= c))
        .filter(|e| {
            let collection = e["commit"]["collection"].as_str().unwrap_or_default();
            wanted.is_empty() || wanted.iter().any(|w| w == collection)
        })
        .filter(|e| state.is_visible(DateTime::from_timestamp_micros(time_us(e))))
        .cloned()
        .collect();
    events.sort_by_key(time_us);
    let close_after = match fault {
        Some(Fault::CloseAfter(n)) => Some(n),
        _ => None,
    };
    state.record("bluesky", path_and_query, 101);

    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        for (sent, event) in events.iter().enumerate() {
            if close_after == Some(sent) {
                // Drop the TCP connection without a close frame, like a network blip.
                return;
            }
            if ws.send(Message::text(event.to_string())).await.is_err() {
                return;
            }
        }
        // A live tail with nothing new: stay open until the client leaves.
        while let Some(Ok(message)) = ws.next().await {
            if message.is_close() {
                break;
            }
        }
    });

    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .expect("a valid response")
}
