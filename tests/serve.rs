//! `earshot serve` against the real stack: every endpoint on known rows (answers
//! computed here from the rows), bad input, injection attempts in every parameter, and
//! auth. Needs the local stack (started by `tests/support`); about 20 s.

#[path = "browser/data.rs"]
mod data;
#[path = "browser/server.rs"]
mod server;
mod support;

use std::collections::{BTreeMap, HashSet};

use earshot_storage::MentionRow;
use reqwest::StatusCode;
use serde_json::Value;
use support::TestEnv;

use server::{ADMIN, READ, Server};

async fn get(server: &Server, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("calling earshot serve");
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn ok(server: &Server, path: &str) -> Value {
    let (status, body) = get(server, path, Some(READ)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn window() -> String {
    format!("from={}&to={}", data::START, data::END)
}

/// What the rows say per brand.
#[derive(Debug, Default, Clone, Copy)]
struct Truth {
    mentions: u64,
    authors: u64,
    likes: u64,
    reach: u64,
}

fn truth_by_brand(rows: &[MentionRow]) -> BTreeMap<String, Truth> {
    let mut authors: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    let mut out: BTreeMap<String, Truth> = BTreeMap::new();
    for r in rows {
        let t = out.entry(r.brand.clone()).or_default();
        t.mentions += 1;
        t.likes += r.likes;
        t.reach += r.author_followers;
        authors
            .entry(&r.brand)
            .or_default()
            .insert(format!("{}:{}", r.platform, r.author_id));
    }
    for (brand, set) in authors {
        out.get_mut(brand).unwrap().authors = set.len() as u64;
    }
    out
}

#[tokio::test]
async fn every_endpoint_answers_what_the_rows_say() {
    let env = TestEnv::new("serve_endpoints").await;
    let rows = data::write(&env.store).await;
    let server = server::start(&env, &[]);
    check_endpoints(server, &rows).await;
}

/// The same answers from the current ClickHouse engine (chdb-core 26.9 behind the HTTP
/// interface), so every statement `earshot serve` issues runs on both engines.
#[tokio::test]
async fn every_endpoint_answers_the_same_on_current_clickhouse() {
    let mut env = TestEnv::new("serve_current").await;
    let url = support::current_clickhouse_url();
    env.clickhouse.url = url.clone();
    env.clickhouse.compression = earshot_storage::Compression::None;
    env.store = earshot_storage::Store::new(&env.clickhouse).unwrap();
    env.store
        .migrate()
        .await
        .expect("migrating on the current engine");
    let rows = data::write(&env.store).await;
    let server = server::start(
        &env,
        &[
            ("EARSHOT_CLICKHOUSE__URL", url.as_str()),
            ("EARSHOT_CLICKHOUSE__COMPRESSION", "none"),
        ],
    );
    check_endpoints(server, &rows).await;
}

async fn check_endpoints(server: Server, rows: &[MentionRow]) {
    let rows = rows.to_vec();
    let w = window();

    // Brands: all four configured, with their counts and the span of their data.
    let brands = ok(&server, "/api/v1/brands").await;
    let listed: Vec<&str> = brands["brands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["brand"].as_str().unwrap())
        .collect();
    assert_eq!(listed, data::BRANDS);
    assert_eq!(brands["data_from"], data::START);
    assert_eq!(brands["data_to"], data::END);

    // KPIs per brand against the rows; the previous week is empty.
    let truth = truth_by_brand(&rows);
    let kpis = ok(&server, &format!("/api/v1/kpis?{w}")).await;
    assert_eq!(kpis["grain"], "hour");
    for entry in kpis["brands"].as_array().unwrap() {
        let brand = entry["brand"].as_str().unwrap();
        let t = truth[brand];
        let k = &entry["kpis"];
        assert_eq!(
            k["mentions"]["value"].as_f64().unwrap() as u64,
            t.mentions,
            "{brand}"
        );
        assert_eq!(
            k["unique_authors"]["value"].as_f64().unwrap() as u64,
            t.authors,
            "{brand}"
        );
        assert_eq!(
            k["likes"]["value"].as_f64().unwrap() as u64,
            t.likes,
            "{brand}"
        );
        assert_eq!(
            k["reach"]["value"].as_f64().unwrap() as u64,
            t.reach,
            "{brand}"
        );
        assert_eq!(k["mentions"]["previous"], 0.0);
        assert!(k["mentions"]["change"].is_null());
    }
    // The last day against the day before: InPost's spike shows as growth.
    let day = format!("brand=InPost&from={}&to={}", data::END - 86_400, data::END);
    let kpis = ok(&server, &format!("/api/v1/kpis?{day}")).await;
    let inpost = &kpis["brands"][0]["kpis"]["mentions"];
    let last = rows
        .iter()
        .filter(|r| r.brand == "InPost" && r.published_at >= data::END - 86_400)
        .count() as f64;
    let before = rows
        .iter()
        .filter(|r| {
            r.brand == "InPost"
                && r.published_at >= data::END - 2 * 86_400
                && r.published_at < data::END - 86_400
        })
        .count() as f64;
    assert_eq!(inpost["value"], last);
    assert_eq!(inpost["previous"], before);
    assert!((inpost["change"].as_f64().unwrap() - (last - before) / before).abs() < 1e-9);

    // Volume: at every grain, the buckets add up to the totals.
    for grain in ["hour", "day", "auto"] {
        let volume = ok(
            &server,
            &format!("/api/v1/volume?{w}&grain={grain}&brand=Orlen"),
        )
        .await;
        let sum: u64 = volume["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["mentions"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, truth["Orlen"].mentions, "{grain}");
    }
    let spike = ok(
        &server,
        &format!(
            "/api/v1/volume?brand=InPost&from={}&to={}",
            data::SPIKE_FROM,
            data::SPIKE_TO
        ),
    )
    .await;
    assert_eq!(spike["grain"], "minute");
    let in_spike = rows
        .iter()
        .filter(|r| {
            r.brand == "InPost"
                && r.published_at >= data::SPIKE_FROM
                && r.published_at < data::SPIKE_TO
        })
        .count() as u64;
    let sum: u64 = spike["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mentions"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, in_spike);
    // Filters reach the rollups.
    let filtered = ok(&server, &format!("/api/v1/volume?{w}&grain=day&platform=reddit&language=pl&cohort=gen_z&source_type=customer&origin=live")).await;
    let sum: u64 = filtered["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mentions"].as_u64().unwrap())
        .sum();
    let expected = rows
        .iter()
        .filter(|r| {
            r.platform == "reddit"
                && r.language == "pl"
                && r.cohort == "gen_z"
                && r.source_type == "customer"
                && r.origin == earshot_storage::Origin8::Live
        })
        .count() as u64;
    assert_eq!(sum, expected);
    assert!(
        expected > 0,
        "the filter must select something to prove anything"
    );

    // Sentiment (migration 5): counts in the rollups, the filter reads the mentions.
    let (ready_status, ready) = get(&server, "/readyz", None).await;
    assert_eq!(ready_status, StatusCode::OK);
    assert_eq!(ready["sentiment"], true, "the schema has migration 5");
    let count = |brand: &str, s: &str| {
        rows.iter()
            .filter(|r| r.brand == brand && r.sentiment == s)
            .count() as f64
    };
    let (p, n, u) = (
        count("Orlen", "positive"),
        count("Orlen", "negative"),
        count("Orlen", "neutral"),
    );
    let kpis = ok(&server, &format!("/api/v1/kpis?{w}&brand=Orlen")).await;
    let net = kpis["brands"][0]["kpis"]["net_sentiment"]["value"]
        .as_f64()
        .unwrap();
    assert!(
        (net - (p - n) / (p + n + u)).abs() < 1e-9,
        "net sentiment {net}"
    );
    let negative = ok(
        &server,
        &format!("/api/v1/volume?{w}&grain=day&brand=InPost&sentiment=negative"),
    )
    .await;
    let sum: u64 = negative["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mentions"].as_u64().unwrap())
        .sum();
    assert_eq!(sum as f64, count("InPost", "negative"));
    let per_bucket: u64 = ok(
        &server,
        &format!("/api/v1/volume?{w}&grain=day&brand=InPost"),
    )
    .await["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["negative"].as_u64().unwrap())
        .sum();
    assert_eq!(
        per_bucket, sum,
        "rollup counts and the mention filter agree"
    );
    let found = ok(
        &server,
        &format!(
            "/api/v1/mentions?{w}&brand=InPost&sentiment=negative&q=paczkomat%20nie&page_size=1"
        ),
    )
    .await;
    assert_eq!(found["total"], 120);
    assert_eq!(found["mentions"][0]["sentiment"]["value"], "negative");
    assert_eq!(found["mentions"][0]["complaint"], true);
    let complaints = kpis["brands"][0]["kpis"]["complaints"]["value"]
        .as_f64()
        .unwrap();
    assert_eq!(
        complaints,
        rows.iter()
            .filter(|r| r.brand == "Orlen" && r.complaint == 1)
            .count() as f64
    );
    assert!(
        found["mentions"][0]["sentiment"]["evidence"]
            .as_str()
            .unwrap()
            .contains("nie działa")
    );

    // CSV of a series.
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/volume?{w}&grain=day&format=csv",
            server.base
        ))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("bucket,brand,mentions,"));
    assert_eq!(csv.lines().count(), 1 + 7 * 4);

    // Share of voice.
    let sov = ok(&server, &format!("/api/v1/share-of-voice?{w}")).await;
    assert_eq!(sov["total"], rows.len() as u64);
    let shares: f64 = sov["brands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9);
    let biggest = truth.iter().max_by_key(|(_, t)| t.mentions).unwrap().0;
    assert_eq!(
        sov["brands"][0]["brand"],
        biggest.as_str(),
        "the biggest first"
    );

    // Mixes.
    for dimension in ["cohort", "source_type", "language", "platform", "sentiment"] {
        let mix = ok(&server, &format!("/api/v1/mix/{dimension}?{w}&brand=Żabka")).await;
        let mix_rows = mix["rows"].as_array().unwrap();
        let n: u64 = mix_rows
            .iter()
            .map(|r| r["mentions"].as_u64().unwrap())
            .sum();
        assert_eq!(n, truth["Żabka"].mentions, "{dimension}");
        if dimension == "cohort" {
            for r in mix_rows {
                let value = r["value"].as_str().unwrap();
                let expected = rows
                    .iter()
                    .filter(|m| m.brand == "Żabka" && m.cohort == value)
                    .count() as u64;
                assert_eq!(r["mentions"], expected, "cohort {value}");
            }
        }
    }

    // Top authors: the one with most mentions of Allegro.
    let top = ok(
        &server,
        &format!("/api/v1/top-authors?{w}&brand=Allegro&limit=3"),
    )
    .await;
    let authors = top["authors"].as_array().unwrap();
    assert_eq!(authors.len(), 3);
    let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.brand == "Allegro") {
        *counts
            .entry((r.platform, r.author_handle.as_str()))
            .or_default() += 1;
    }
    let best = counts.values().max().unwrap();
    assert_eq!(authors[0]["mentions"], *best);

    // Mention search: text, filters, paging, tags with evidence.
    let search = ok(
        &server,
        &format!("/api/v1/mentions?{w}&brand=InPost&q=PACZKOMAT%20nie&page_size=50"),
    )
    .await;
    assert_eq!(search["total"], 120);
    assert_eq!(search["mentions"].as_array().unwrap().len(), 50);
    let first = &search["mentions"][0];
    for tag in ["brand_tag", "language", "cohort", "source_type"] {
        assert!(
            first[tag]["evidence"]
                .as_str()
                .is_some_and(|e| !e.is_empty()),
            "{tag}: {first}"
        );
        assert!(first[tag]["confidence"].is_number());
    }
    let page3 = ok(
        &server,
        &format!("/api/v1/mentions?{w}&brand=InPost&q=paczkomat%20nie&page_size=50&page=3"),
    )
    .await;
    assert_eq!(page3["mentions"].as_array().unwrap().len(), 20);
    let engaged = ok(
        &server,
        &format!("/api/v1/mentions?{w}&sort=engagement&page_size=5"),
    )
    .await;
    let top_engagement = rows
        .iter()
        .map(|r| r.likes + r.reposts + r.replies)
        .max()
        .unwrap();
    let m = &engaged["mentions"][0];
    assert_eq!(
        m["likes"].as_u64().unwrap()
            + m["reposts"].as_u64().unwrap()
            + m["replies"].as_u64().unwrap(),
        top_engagement
    );
    let one = &rows[7];
    let by_id = ok(
        &server,
        &format!("/api/v1/mentions?{w}&id={}", one.mention_id),
    )
    .await;
    assert_eq!(by_id["total"], 1);
    assert_eq!(
        by_id["mentions"][0]["cohort"]["evidence"],
        one.cohort_evidence
    );
    let by_author = ok(
        &server,
        &format!(
            "/api/v1/mentions?{w}&author={}",
            urlencode(&one.author_handle)
        ),
    )
    .await;
    assert_eq!(
        by_author["total"],
        rows.iter()
            .filter(|r| r.author_handle == one.author_handle)
            .count() as u64
    );
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/mentions?{w}&format=csv&page_size=3",
            server.base
        ))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4);

    // Alerts with their examples' text.
    let alerts = ok(&server, &format!("/api/v1/alerts?{w}")).await;
    let alert = &alerts["alerts"][0];
    assert_eq!(alert["alert_id"], "test-alert-inpost-spike");
    assert!(
        alert["explanation"]
            .as_str()
            .unwrap()
            .contains("parcel lockers")
    );
    assert_eq!(alert["examples"].as_array().unwrap().len(), 3);
    assert!(
        alert["examples"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Paczkomat")
    );
    let none = ok(&server, &format!("/api/v1/alerts?{w}&brand=Orlen")).await;
    assert!(none["alerts"].as_array().unwrap().is_empty());

    // Open endpoints; admin.
    assert_eq!(get(&server, "/healthz", None).await.0, StatusCode::OK);
    let (status, ready) = get(&server, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ready["schema_version"].as_u64().unwrap() >= 4);
    let (status, openapi) = get(&server, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(openapi["paths"]["/api/v1/mentions"].is_object());
    let (status, admin) = get(&server, "/api/v1/admin/status", Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK, "{admin}");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn bad_input_and_injection_get_a_clear_4xx_and_execute_nothing() {
    let env = TestEnv::new("serve_bad_input").await;
    let rows = data::write(&env.store).await;
    let server = server::start(&env, &[]);
    let w = window();
    for (path, status, parameter) in [
        (
            format!("/api/v1/kpis?{w}&brand=Nobody"),
            StatusCode::NOT_FOUND,
            "brand",
        ),
        (
            format!("/api/v1/volume?from={}&to={}", data::END, data::START),
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/v1/mentions?page_size=1000000".to_string(),
            StatusCode::BAD_REQUEST,
            "page_size",
        ),
        (
            format!("/api/v1/volume?from=0&to={}&grain=minute", data::END),
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            format!("/api/v1/volume?{w}&grain=minute"),
            StatusCode::BAD_REQUEST,
            "grain",
        ),
        (
            format!("/api/v1/volume?{w}&grain=week"),
            StatusCode::BAD_REQUEST,
            "grain",
        ),
        (
            "/api/v1/mix/author_bio".to_string(),
            StatusCode::BAD_REQUEST,
            "dimension",
        ),
    ] {
        let (got, body) = get(&server, &path, Some(READ)).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
    }

    let attacks = [
        "' OR 1=1 --",
        "Orlen' UNION SELECT name FROM system.tables --",
        "1; DROP TABLE mentions",
        "`) FORMAT JSON --",
        "\\' OR \\'1\\'=\\'1",
        "?",
        "pl') OR ('1'='1",
    ];
    let parameters = [
        "brand",
        "from",
        "to",
        "grain",
        "platform",
        "language",
        "cohort",
        "source_type",
        "sentiment",
        "origin",
        "format",
        "limit",
        "sort",
        "page",
        "page_size",
    ];
    for attack in attacks {
        let value = urlencode(attack);
        for parameter in parameters {
            let endpoint = match parameter {
                "limit" => "top-authors",
                "sort" | "page" | "page_size" => "mentions",
                _ => "volume",
            };
            let path = format!("/api/v1/{endpoint}?{parameter}={value}");
            let (status, body) = get(&server, &path, Some(READ)).await;
            assert!(status.is_client_error(), "{path}: {status} {body}");
            assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
        }
        let (status, body) = get(&server, &format!("/api/v1/mix/{value}"), Some(READ)).await;
        assert!(status.is_client_error(), "mix/{attack}: {body}");
        // Free text is searched for, bound as a value: no match, no effect.
        for parameter in ["q", "author", "id"] {
            let body = ok(
                &server,
                &format!("/api/v1/mentions?{w}&{parameter}={value}"),
            )
            .await;
            assert_eq!(body["total"], 0, "{parameter}={attack}");
        }
    }
    // Nothing ran: every row and table is still there.
    assert_eq!(support::rows(&env).await, rows.len() as u64);
    assert_eq!(env.query_u64("SELECT count() FROM {db}.alerts").await, 1);
    assert_eq!(
        env.query_u64("SELECT sum(mentions) FROM {db}.rollup_hour")
            .await,
        rows.len() as u64
    );
}

#[tokio::test]
async fn tokens_missing_wrong_and_read_only_are_refused() {
    let env = TestEnv::new("serve_auth").await;
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let server = server::start(
        &env,
        &[("EARSHOT_SERVE__METRICS_LISTEN", metrics_listen.as_str())],
    );
    for path in [
        "/api/v1/brands",
        "/api/v1/kpis",
        "/api/v1/mentions",
        "/api/v1/alerts",
        "/api/v1/admin/status",
    ] {
        let (status, body) = get(&server, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(
            get(&server, path, Some("not-the-token-0000000000")).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        // The token itself with one character changed.
        let near = format!("{}X", &READ[..READ.len() - 1]);
        assert_eq!(
            get(&server, path, Some(&near)).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let (status, body) = get(&server, "/api/v1/admin/status", Some(READ)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        get(&server, "/api/v1/brands", Some(READ)).await.0,
        StatusCode::OK
    );
    // Prometheus counts requests per route template and refusals per reason.
    let metrics = reqwest::get(format!("http://{metrics_listen}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("earshot_serve_requests_total{route=\"/api/v1/brands\",status=\"401\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("earshot_serve_auth_failures_total{reason=\"forbidden\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("earshot_serve_request_duration_seconds"),
        "{metrics}"
    );
    // The log never holds a token.
    let log = std::fs::read_to_string(
        support::repo_root().join(format!("target/test-logs/{}-serve.log", env.name)),
    )
    .unwrap();
    assert!(!log.contains(READ) && !log.contains(ADMIN));
}

#[test]
fn serve_refuses_to_start_without_a_read_token_and_names_the_key() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_earshot"))
        .current_dir(support::repo_root())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("EARSHOT_SERVE__READ_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("serve.read_token") && stderr.contains("EARSHOT_SERVE__READ_TOKEN"),
        "{stderr}"
    );
}

// Multi-threaded: the webhook answers while the test waits for `earshot report`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_digest_has_the_weeks_numbers_and_reaches_the_webhook() {
    let env = TestEnv::new("serve_report").await;
    let rows = data::write(&env.store).await;
    // A webhook that keeps what it receives.
    let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<Value>::new()));
    let keep = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let keep = keep.clone();
            async move {
                keep.lock().await.push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let output_file = tempfile::NamedTempFile::new().unwrap();
    let output = env
        .earshot()
        .args([
            "report", "--brand", "InPost", "--week", "2026-W48", "--output",
        ])
        .arg(output_file.path())
        .args(["--webhook", &hook])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // ISO week 48 of 2026: Monday 23 November; the rows end on Friday the 27th.
    let monday = 1_795_392_000;
    let in_week = |r: &&MentionRow| r.brand == "InPost" && r.published_at >= monday;
    let before = |r: &&MentionRow| {
        r.brand == "InPost" && r.published_at < monday && r.published_at >= monday - 7 * 86_400
    };
    let mentions = rows.iter().filter(in_week).count();
    let reach: u64 = rows
        .iter()
        .filter(in_week)
        .map(|r| r.author_followers)
        .sum();
    let previous = rows.iter().filter(before).count();
    let html = std::fs::read_to_string(output_file.path()).unwrap();
    assert!(
        html.contains(&format!(
            "Mentions<b>{mentions}</b><span class=\"muted\">{:+.0}% (was {previous})",
            (mentions as f64 - previous as f64) / previous as f64 * 100.0
        )),
        "{html}"
    );
    assert!(html.contains(&format!("Reach<b>{reach}</b>")));
    assert!(html.contains("parcel lockers"), "the alert's explanation");
    assert!(
        html.contains("Paczkomat nie działa"),
        "its example mentions"
    );
    assert!(html.contains("<h2>By cohort</h2>") && html.contains("<h2>By sentiment</h2>"));
    let bodies = received.lock().await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["brand"], "InPost");
    assert_eq!(bodies[0]["kpis"]["mentions"]["value"], mentions as u64);
    assert!(
        bodies[0]["text"]
            .as_str()
            .unwrap()
            .contains("InPost — week 2026-W48")
    );
}

/// Every query of the provisioned Grafana dashboard runs on the current ClickHouse
/// engine (Grafana's users run current ClickHouse) and finds the rows written here.
#[tokio::test]
async fn the_grafana_dashboard_queries_run_on_current_clickhouse() {
    let mut env = TestEnv::new("serve_grafana").await;
    let url = support::current_clickhouse_url();
    env.clickhouse.url = url.clone();
    env.clickhouse.compression = earshot_storage::Compression::None;
    env.store = earshot_storage::Store::new(&env.clickhouse).unwrap();
    env.store.migrate().await.unwrap();
    data::write(&env.store).await;
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            support::repo_root().join("deploy/grafana/dashboards/earshot.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut queries: Vec<(String, String)> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["title"].as_str().unwrap().to_string(),
                p["targets"][0]["rawSql"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let variable = dashboard["templating"]["list"][1]["query"]
        .as_str()
        .unwrap();
    queries.push(("brand variable".into(), variable.to_string()));
    assert_eq!(queries.len(), 9);
    for (title, sql) in queries {
        let sql = expand_time_filter(
            &sql.replace(
                "${database}",
                &earshot_storage::escape_identifier(&env.clickhouse.database),
            )
            .replace("${brand:singlequote}", "'InPost','Orlen'"),
        );
        assert!(!sql.contains('$'), "{title}: a macro is left in {sql}");
        let body = reqwest::Client::new()
            .post(&url)
            .body(format!("{sql} FORMAT JSON"))
            .send()
            .await
            .unwrap();
        let status = body.status();
        let text = body.text().await.unwrap();
        assert!(status.is_success(), "{title}: {text}\n{sql}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        assert!(
            answer["rows"].as_u64().unwrap() > 0,
            "{title} found nothing:\n{sql}"
        );
    }
}

/// `$__timeFilter(expr)` as the Grafana plugin expands it, over the test's week.
fn expand_time_filter(sql: &str) -> String {
    let mut out = sql.to_string();
    while let Some(start) = out.find("$__timeFilter(") {
        let open = start + "$__timeFilter(".len();
        let mut depth = 1;
        let mut end = open;
        for (i, c) in out[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + i;
                break;
            }
        }
        let expr = out[open..end].to_string();
        out.replace_range(
            start..=end,
            &format!(
                "{expr} >= toDateTime({}) AND {expr} <= toDateTime({})",
                data::START,
                data::END
            ),
        );
    }
    out
}
