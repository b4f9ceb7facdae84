//! The router: `/api/v1/*` (read token), `/api/v1/admin/*` (admin token), and, without
//! a token, `/healthz`, `/readyz`, `/api/openapi.json` and the dashboard's files.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Tokens, require_admin, require_read};
use crate::config::ServeConfig;
use crate::csv_out::{CsvRows, csv_response};
use crate::data::*;
use crate::error::ApiError;
use crate::params::{self, Params};

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub data: Arc<dyn ListeningData>,
    /// Configured brand names: the only values `brand` accepts.
    pub brands: Arc<Vec<String>>,
    pub config: Arc<ServeConfig>,
    /// Unix seconds now; a parameter so tests control "the last week".
    pub now: fn() -> u32,
}

pub fn system_now() -> u32 {
    u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(u32::MAX)
}

/// The API and the dashboard, with auth, limits, timeouts, metrics and headers.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let tokens = Arc::new(Tokens::new(&config.read_token, &config.admin_token));
    let read = Router::new()
        .route("/brands", get(brands))
        .route("/kpis", get(kpis))
        .route("/volume", get(volume))
        .route("/share-of-voice", get(share_of_voice))
        .route("/mix/{dimension}", get(mix))
        .route("/top-authors", get(top_authors))
        .route("/mentions", get(mentions))
        .route("/alerts", get(alerts))
        .route_layer(middleware::from_fn_with_state(tokens.clone(), require_read));
    let admin = Router::new()
        .route("/admin/status", get(admin_status))
        .route_layer(middleware::from_fn_with_state(tokens, require_admin));
    let api = Router::new()
        .nest("/v1", read.merge(admin))
        .route("/openapi.json", get(openapi))
        .fallback(api_not_found)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let mut app = Router::new()
        .nest("/api", api)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state);
    app = if config.static_dir.is_dir() {
        app.fallback_service(ServeDir::new(&config.static_dir))
    } else {
        app.fallback(dashboard_missing)
    };
    let app = app
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            // Charts set inline styles; scripts only from this origin.
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        ))
        .layer(middleware::from_fn(record_metrics));
    let app = match cors(&config) {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(TraceLayer::new_for_http())
}

fn cors(config: &ServeConfig) -> Option<CorsLayer> {
    if config.cors_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET])
            .allow_headers([header::AUTHORIZATION]),
    )
}

/// Requests and latency per route template (never the raw path, which is unbounded).
async fn record_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/api/") {
                "/api/unmatched".into()
            } else {
                "static".into()
            }
        });
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("earshot_serve_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("earshot_serve_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn api_not_found() -> ApiError {
    ApiError::not_found()
}

async fn dashboard_missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "The dashboard is not built: run `bash deploy/local/web.sh` (or set serve.static_dir). The API is at /api/v1, documented at /api/openapi.json.\n",
    )
        .into_response()
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.data.readiness().await {
        Ok(r) if r.schema_version > 0 => Json(json!({"status": "ready", "schema_version": r.schema_version, "sentiment": r.sentiment})).into_response(),
        Ok(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "reason": "the database has no schema; run `earshot migrate`"})),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "not_ready", "reason": "ClickHouse is not reachable"})),
            )
                .into_response()
        }
    }
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

fn params(state: &AppState, query: &Option<String>) -> Result<Params, ApiError> {
    Params::parse(query.as_deref(), (state.now)())
}

/// JSON, or CSV when `format=csv`.
fn respond<T: Serialize, R: CsvRows>(csv: bool, name: &str, json: T, rows: &R) -> Response {
    if csv {
        csv_response(name, rows)
    } else {
        Json(json).into_response()
    }
}

#[derive(Serialize)]
struct BrandEntry {
    brand: String,
    mentions: u64,
    first_hour: Option<u32>,
    last_hour: Option<u32>,
}

async fn brands(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    params(&state, &query)?.finish()?;
    let activity = state.data.brand_activity().await?;
    let entries: Vec<BrandEntry> = state
        .brands
        .iter()
        .map(|name| {
            let found = activity.iter().find(|a| &a.brand == name);
            BrandEntry {
                brand: name.clone(),
                mentions: found.map_or(0, |a| a.mentions),
                first_hour: found.map(|a| a.first_hour),
                last_hour: found.map(|a| a.last_hour),
            }
        })
        .collect();
    let first = entries.iter().filter_map(|e| e.first_hour).min();
    let last = entries.iter().filter_map(|e| e.last_hour).max();
    Ok(Json(json!({
        "brands": entries,
        "data_from": first,
        "data_to": last.map(|l| l + 3600),
    }))
    .into_response())
}

/// A KPI now, before, and the relative change (none when "before" is 0).
#[derive(Debug, Serialize, PartialEq)]
pub struct Kpi {
    pub value: f64,
    pub previous: f64,
    pub change: Option<f64>,
}

fn kpi(value: f64, previous: f64) -> Kpi {
    Kpi {
        value,
        previous,
        change: (previous != 0.0).then(|| (value - previous) / previous.abs()),
    }
}

/// The KPI row: mentions, unique authors, likes, reposts, replies, reach, complaints,
/// net sentiment.
pub fn kpi_row(now: &Measures, before: &Measures) -> serde_json::Map<String, Value> {
    let mut row = serde_json::Map::new();
    for (key, a, b) in [
        ("mentions", now.mentions, before.mentions),
        ("unique_authors", now.unique_authors, before.unique_authors),
        ("likes", now.likes, before.likes),
        ("reposts", now.reposts, before.reposts),
        ("replies", now.replies, before.replies),
        ("reach", now.reach, before.reach),
        ("complaints", now.complaints, before.complaints),
    ] {
        row.insert(key.into(), json!(kpi(a as f64, b as f64)));
    }
    // Net sentiment is already a ratio: its change is in points, not relative.
    let (n, p) = (now.net_sentiment(), before.net_sentiment());
    row.insert(
        "net_sentiment".into(),
        json!({"value": n, "previous": p, "change": n.zip(p).map(|(n, p)| n - p)}),
    );
    row
}

async fn kpis(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = params(&state, &query)?;
    let scope = p.scope(&state.brands)?;
    p.finish()?;
    let previous = Scope {
        window: scope.window.previous(),
        ..scope.clone()
    };
    let (now, before) = tokio::try_join!(state.data.totals(&scope), state.data.totals(&previous))?;
    let names: Vec<String> = if scope.brands.is_empty() {
        state.brands.to_vec()
    } else {
        scope.brands.clone()
    };
    let find = |rows: &[BrandMeasures], brand: &str| {
        rows.iter()
            .find(|r| r.brand == brand)
            .map(|r| r.measures.clone())
            .unwrap_or_default()
    };
    let brands: Vec<Value> = names
        .iter()
        .map(|b| json!({"brand": b, "kpis": kpi_row(&find(&now, b), &find(&before, b))}))
        .collect();
    Ok(Json(json!({
        "window": scope.window,
        "previous_window": previous.window,
        "grain": scope.grain,
        "brands": brands,
    }))
    .into_response())
}

async fn volume(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = params(&state, &query)?;
    let scope = p.scope(&state.brands)?;
    let csv = p.wants_csv()?;
    p.finish()?;
    let points = state.data.series(&scope).await?;
    Ok(respond(
        csv,
        "volume",
        json!({"window": scope.window, "grain": scope.grain, "points": points}),
        &points,
    ))
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Share {
    pub brand: String,
    pub mentions: u64,
    pub share: f64,
}

async fn share_of_voice(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = params(&state, &query)?;
    let scope = p.scope(&state.brands)?;
    let csv = p.wants_csv()?;
    p.finish()?;
    let totals = state.data.totals(&scope).await?;
    let total: u64 = totals.iter().map(|t| t.measures.mentions).sum();
    let shares: Vec<Share> = totals
        .iter()
        .map(|t| Share {
            brand: t.brand.clone(),
            mentions: t.measures.mentions,
            share: ratio(t.measures.mentions, total),
        })
        .collect();
    Ok(respond(
        csv,
        "share-of-voice",
        json!({"window": scope.window, "total": total, "brands": shares}),
        &shares,
    ))
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub struct MixShare {
    pub brand: String,
    pub value: String,
    pub mentions: u64,
    /// Of the brand's mentions in the scope.
    pub share: f64,
}

async fn mix(
    State(state): State<AppState>,
    Path(dimension): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let dimension = params::mix_dimension(&dimension)?;
    let mut p = params(&state, &query)?;
    let scope = p.scope(&state.brands)?;
    let csv = p.wants_csv()?;
    p.finish()?;
    let rows = state.data.mix(&scope, dimension).await?;
    let mut per_brand: std::collections::HashMap<&str, u64> = Default::default();
    for r in &rows {
        *per_brand.entry(&r.brand).or_default() += r.mentions;
    }
    let shares: Vec<MixShare> = rows
        .iter()
        .map(|r| MixShare {
            brand: r.brand.clone(),
            value: r.value.clone(),
            mentions: r.mentions,
            share: ratio(r.mentions, per_brand[r.brand.as_str()]),
        })
        .collect();
    Ok(respond(
        csv,
        &format!("mix-{}", dimension.as_str()),
        json!({"window": scope.window, "dimension": dimension, "rows": shares}),
        &shares,
    ))
}

async fn top_authors(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = params(&state, &query)?;
    let scope = p.scope(&state.brands)?;
    let limit = p.count("limit", 10, state.config.max_page_size)?;
    let csv = p.wants_csv()?;
    p.finish()?;
    let authors = state.data.top_authors(&scope, limit).await?;
    Ok(respond(
        csv,
        "top-authors",
        json!({"window": scope.window, "authors": authors}),
        &authors,
    ))
}

async fn mentions(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = params(&state, &query)?;
    let search = p.mention_search(&state.brands, state.config.max_page_size)?;
    let csv = p.wants_csv()?;
    p.finish()?;
    let page = state.data.mentions(&search).await?;
    Ok(respond(csv, "mentions", json!(page), &page.mentions))
}

async fn alerts(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut p = params(&state, &query)?;
    let query = p.alert_query(&state.brands, state.config.max_page_size)?;
    p.finish()?;
    let alerts = state.data.alerts(&query).await?;
    Ok(Json(json!({"window": query.window, "alerts": alerts})).into_response())
}

async fn admin_status(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    params(&state, &query)?.finish()?;
    let readiness = state.data.readiness().await?;
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "schema_version": readiness.schema_version,
        "sentiment": readiness.sentiment,
        "brands": *state.brands,
        "admin": true,
    }))
    .into_response())
}
