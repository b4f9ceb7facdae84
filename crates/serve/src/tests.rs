//! Handler tests on an in-memory [`ListeningData`]: auth, validation, KPI arithmetic,
//! CSV and the OpenAPI document, with no ClickHouse.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::data::*;
use crate::{AppState, ServeConfig, router};

const READ: &str = "read-token-for-tests-0001";
const ADMIN: &str = "admin-token-for-tests-0001";
const NOW: u32 = 1_800_000_000;

#[derive(Default)]
struct Memory {
    scopes: Mutex<Vec<Scope>>,
    searches: Mutex<Vec<MentionSearch>>,
}

fn measures(mentions: u64, positive: u64, negative: u64) -> Measures {
    Measures {
        mentions,
        unique_authors: mentions / 2,
        likes: mentions * 3,
        reposts: mentions,
        replies: 1,
        reach: mentions * 100,
        positive,
        neutral: 0,
        negative,
        complaints: negative,
    }
}

#[async_trait]
impl ListeningData for Memory {
    async fn brand_activity(&self) -> Result<Vec<BrandActivity>, DataError> {
        Ok(vec![BrandActivity {
            brand: "Orlen".into(),
            mentions: 30,
            first_hour: 3600,
            last_hour: 7200,
        }])
    }
    async fn totals(&self, scope: &Scope) -> Result<Vec<BrandMeasures>, DataError> {
        self.scopes.lock().unwrap().push(scope.clone());
        // The current window has 30 Orlen mentions, the previous one 20.
        let current = scope.window.to > NOW - 3600;
        Ok(vec![
            BrandMeasures {
                brand: "Orlen".into(),
                measures: if current {
                    measures(30, 20, 5)
                } else {
                    measures(20, 5, 5)
                },
            },
            BrandMeasures {
                brand: "Żabka".into(),
                measures: measures(10, 0, 0),
            },
        ])
    }
    async fn series(&self, scope: &Scope) -> Result<Vec<SeriesPoint>, DataError> {
        self.scopes.lock().unwrap().push(scope.clone());
        Ok(vec![SeriesPoint {
            bucket: scope.window.from,
            brand: "Orlen".into(),
            measures: measures(3, 1, 1),
        }])
    }
    async fn mix(&self, _: &Scope, _: MixDimension) -> Result<Vec<MixRow>, DataError> {
        Ok(vec![
            MixRow {
                brand: "Orlen".into(),
                value: "customer".into(),
                mentions: 3,
            },
            MixRow {
                brand: "Orlen".into(),
                value: "press".into(),
                mentions: 1,
            },
        ])
    }
    async fn top_authors(&self, _: &Scope, limit: u32) -> Result<Vec<TopAuthor>, DataError> {
        Ok((0..limit.min(2))
            .map(|i| TopAuthor {
                platform: "mastodon".into(),
                author_handle: format!("=cmd|{i}"),
                author_name: "Ann".into(),
                followers: 5,
                mentions: 2,
                engagement: 9,
            })
            .collect())
    }
    async fn mentions(&self, search: &MentionSearch) -> Result<MentionPage, DataError> {
        self.searches.lock().unwrap().push(search.clone());
        Ok(MentionPage {
            total: 0,
            page: search.page,
            page_size: search.page_size,
            mentions: vec![],
        })
    }
    async fn alerts(&self, _: &AlertQuery) -> Result<Vec<Alert>, DataError> {
        Ok(vec![])
    }
    async fn readiness(&self) -> Result<Readiness, DataError> {
        Ok(Readiness {
            schema_version: 5,
            sentiment: true,
        })
    }
}

fn app(memory: Arc<Memory>) -> axum::Router {
    router(AppState {
        data: memory,
        brands: Arc::new(vec!["Orlen".into(), "Żabka".into()]),
        config: Arc::new(ServeConfig {
            read_token: READ.into(),
            admin_token: ADMIN.into(),
            static_dir: "/nonexistent-earshot-dashboard".into(),
            ..ServeConfig::default()
        }),
        now: || NOW,
    })
}

async fn call(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, String, Value) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = if content_type.starts_with("text/") {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        content_type
    };
    (status, text, json)
}

#[tokio::test]
async fn tokens_are_required_and_the_read_token_cannot_administer() {
    let app = app(Arc::default());
    let (status, _, body) = call(&app, "/api/v1/brands", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(
        call(&app, "/api/v1/brands", Some("wrong-token-000000000000"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, "/api/v1/brands", Some(READ)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "/api/v1/brands", Some(ADMIN)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "/api/v1/admin/status", Some(READ)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, "/api/v1/admin/status", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, body) = call(&app, "/api/v1/admin/status", Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["schema_version"], 5);
    // A token sent without the scheme is no token.
    let response = app
        .clone()
        .oneshot(
            Request::get("/api/v1/brands")
                .header(header::AUTHORIZATION, READ)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    for open in ["/healthz", "/readyz", "/api/openapi.json"] {
        assert_eq!(call(&app, open, None).await.0, StatusCode::OK, "{open}");
    }
}

#[tokio::test]
async fn bad_input_is_a_json_4xx_naming_the_parameter() {
    let app = app(Arc::default());
    for (uri, status, parameter) in [
        ("/api/v1/kpis?brand=Nobody", StatusCode::NOT_FOUND, "brand"),
        (
            "/api/v1/volume?from=2000&to=1000",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/v1/volume?grain=fortnight",
            StatusCode::BAD_REQUEST,
            "grain",
        ),
        (
            "/api/v1/mentions?page_size=100000",
            StatusCode::BAD_REQUEST,
            "page_size",
        ),
        (
            "/api/v1/mix/author_id",
            StatusCode::BAD_REQUEST,
            "dimension",
        ),
        (
            "/api/v1/top-authors?limit=0",
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            "/api/v1/volume?format=xlsx",
            StatusCode::BAD_REQUEST,
            "format",
        ),
        (
            "/api/v1/alerts?brnad=Orlen",
            StatusCode::BAD_REQUEST,
            "brnad",
        ),
        ("/api/v1/brands?x=1", StatusCode::BAD_REQUEST, "x"),
    ] {
        let (got, _, body) = call(&app, uri, Some(READ)).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{uri}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, _, body) = call(&app, "/api/v2/brands", Some(READ)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn kpis_compare_with_the_previous_window_of_the_same_length() {
    let memory = Arc::new(Memory::default());
    let app = app(memory.clone());
    let uri = format!("/api/v1/kpis?brand=Orlen&from={}&to={NOW}", NOW - 86_400);
    let (status, _, body) = call(&app, &uri, Some(READ)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kpis = &body["brands"][0]["kpis"];
    assert_eq!(body["brands"].as_array().unwrap().len(), 1);
    assert_eq!(kpis["mentions"]["value"], 30.0);
    assert_eq!(kpis["mentions"]["previous"], 20.0);
    assert_eq!(kpis["mentions"]["change"], 0.5);
    // (20 − 5) / 25 now, (5 − 5) / 10 before: +0.6 points.
    assert!((kpis["net_sentiment"]["change"].as_f64().unwrap() - 0.6).abs() < 1e-9);
    let scopes = memory.scopes.lock().unwrap();
    assert_eq!(scopes.len(), 2);
    assert_eq!(scopes[0].grain, Grain::Hour);
    assert_eq!(scopes[1].window.to, scopes[0].window.from);
    assert_eq!(scopes[1].window.span(), scopes[0].window.span());
}

#[tokio::test]
async fn shares_and_mixes_add_up_to_one() {
    let app = app(Arc::default());
    let (_, _, body) = call(&app, "/api/v1/share-of-voice", Some(READ)).await;
    assert_eq!(body["total"], 40);
    assert_eq!(body["brands"][0]["share"], 0.75);
    let (_, _, body) = call(&app, "/api/v1/mix/source_type?brand=Orlen", Some(READ)).await;
    assert_eq!(body["rows"][0]["share"], 0.75);
    assert_eq!(body["rows"][1]["share"], 0.25);
}

#[tokio::test]
async fn csv_exports_have_a_header_and_defused_cells() {
    let app = app(Arc::default());
    let (status, text, _) = call(&app, "/api/v1/volume?format=csv", Some(READ)).await;
    assert_eq!(status, StatusCode::OK);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "bucket,brand,mentions,unique_authors,likes,reposts,replies,reach,positive,neutral,negative,complaints"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .contains(",Orlen,3,1,9,3,1,300,1,0,1,1")
    );
    let (_, text, _) = call(&app, "/api/v1/top-authors?format=csv&limit=1", Some(READ)).await;
    assert!(text.contains("'=cmd|0"), "{text}");
}

#[tokio::test]
async fn mention_search_defaults_and_filters_reach_the_data_layer() {
    let memory = Arc::new(Memory::default());
    let app = app(memory.clone());
    let (status, _, body) = call(&app, "/api/v1/mentions?q=%27%3B%20DROP%20TABLE%20mentions%3B%20--&sentiment=negative&sort=engagement&page=3&page_size=10", Some(READ)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let searches = memory.searches.lock().unwrap();
    let search = &searches[0];
    assert_eq!(search.text.as_deref(), Some("'; DROP TABLE mentions; --"));
    assert_eq!(search.scope.filters.sentiment, Some(Sentiment::Negative));
    assert_eq!(search.sort, MentionSort::Engagement);
    assert_eq!((search.page, search.page_size), (3, 10));
    assert!(search.scope.brands.is_empty());
}

#[tokio::test]
async fn every_documented_route_answers_and_is_documented_once() {
    let app = app(Arc::default());
    let doc = crate::openapi::document();
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), crate::openapi::ROUTES.len());
    for path in paths.keys() {
        let uri = path.replace("{dimension}", "cohort");
        let (status, _, body) = call(&app, &uri, Some(ADMIN)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    // And the routes the router has that are not in ROUTES would 404 on this list's
    // complement: the API fallback answers any other /api path with not_found.
    for route in [
        "/api/v1/brands",
        "/api/v1/kpis",
        "/api/v1/volume",
        "/api/v1/share-of-voice",
        "/api/v1/mix/{dimension}",
        "/api/v1/top-authors",
        "/api/v1/mentions",
        "/api/v1/alerts",
        "/api/v1/admin/status",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
    }
}

#[tokio::test]
async fn without_a_built_dashboard_the_root_says_how_to_build_it() {
    let app = app(Arc::default());
    let (status, text, _) = call(&app, "/", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("deploy/local/web.sh"), "{text}");
}
