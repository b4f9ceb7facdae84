//! `earshot detect` end to end on the real local stack: mentions go through Kafka and
//! the processor into ClickHouse, one brand's cohort mix shifts, and the alert reaches
//! the `alerts` topic, the `alerts` table and a local webhook (after a retry), once.
//! A restarted detector raises nothing again; a replay of history finds the same
//! alerts, plus those only backfilled mentions show, and delivers nothing. A second
//! test sours one brand's sentiment and expects the sentiment alerts, explained by its
//! negative mentions, on every sink.

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use earshot_model::{Author, Engagement, MentionId, Origin, Platform, RawMention, SCHEMA_VERSION};
use serde_json::Value;
use support::TestEnv;

/// Minutes of data; the cohort shift starts at `SHIFT_MINUTE`.
const MINUTES: i64 = 60;
const SHIFT_MINUTE: i64 = 36;
/// Buckets closed less than this long ago are not scored yet: with data generated up
/// to the current minute, the scored range ends inside steady traffic.
const SETTLE_SECS: i64 = 600;
const SECRET: &str = "SECRET-TOKEN";

fn mention(n: &mut u64, brand: &str, born: i32, at: DateTime<Utc>, origin: Origin) -> RawMention {
    let text = format!(
        "Just tried the new {brand} rocket skates, they work great and the battery lasts all day"
    );
    mention_saying(n, brand, born, at, origin, "", text)
}

/// A mention with its own text; `marker` goes into the id, so a test can tell which
/// kind of text an example mention has.
fn mention_saying(
    n: &mut u64,
    brand: &str,
    born: i32,
    at: DateTime<Utc>,
    origin: Origin,
    marker: &str,
    text: String,
) -> RawMention {
    *n += 1;
    let platform_id = format!("{}-{born}-{marker}{n}", brand.to_lowercase());
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Mastodon, &platform_id),
        platform: Platform::Mastodon,
        url: format!("https://mastodon.example/@u{n}/{platform_id}"),
        platform_id,
        text,
        created_at: at,
        collected_at: at + chrono::Duration::seconds(5),
        author: Author {
            id: format!("u{n}"),
            handle: format!("u{n}@mastodon.example"),
            bio: format!("born in {born}"),
            ..Author::default()
        },
        engagement: Engagement {
            likes: *n % 7,
            ..Engagement::default()
        },
        language_hint: Some("en".into()),
        origin,
        source: "test".into(),
        raw: Default::default(),
    }
}

/// Live: Acme and Globex at 30 mentions a minute, half by people born in 2005 (gen Z)
/// and half in 1955 (boomers); from `SHIFT_MINUTE` Acme's turn 27 to 3. Backfill:
/// Initech at 10 a minute, jumping to 60 for the last 15 minutes.
fn mentions(base: i64) -> Vec<RawMention> {
    let mut n = 0;
    let mut all = Vec::new();
    for minute in 0..MINUTES {
        let t = |i: i64| DateTime::from_timestamp(base + minute * 60 + i, 0).unwrap();
        let (acme_z, acme_b) = if minute >= SHIFT_MINUTE {
            (27, 3)
        } else {
            (15, 15)
        };
        for (brand, gen_z, boomers) in [("Acme", acme_z, acme_b), ("Globex", 15, 15)] {
            for i in 0..gen_z {
                all.push(mention(&mut n, brand, 2005, t(i), Origin::Live));
            }
            for i in 0..boomers {
                all.push(mention(&mut n, brand, 1955, t(30 + i), Origin::Live));
            }
        }
        let initech = if minute >= 45 { 60 } else { 10 };
        for i in 0..initech {
            all.push(mention(&mut n, "Initech", 1980, t(i), Origin::Backfill));
        }
    }
    all
}

fn config(webhook_port: u16) -> tempfile::NamedTempFile {
    config_with(webhook_port, "")
}

/// The config, with `detect_extra` lines added to its `[detect]` section.
fn config_with(webhook_port: u16, detect_extra: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        r#"
[[brands]]
name = "Acme"
keywords = ["acme"]
[[brands]]
name = "Globex"
keywords = ["globex"]
[[brands]]
name = "Initech"
keywords = ["initech"]

[detect]
grain = "minute"
settle_secs = {SETTLE_SECS}
interval_secs = 60
lookback_secs = 7200
max_alert_age_secs = 7200
examples = 3
metrics_listen = ""
{detect_extra}
[detect.detector]
seasonality = "none"
warmup_points = 10

[[detect.webhooks]]
name = "receiver"
url = "http://127.0.0.1:{webhook_port}/services/T0/{SECRET}-1"
max_attempts = 3
initial_backoff_ms = 50

[[detect.webhooks]]
url = "http://127.0.0.1:1/services/{SECRET}-2"
max_attempts = 2
initial_backoff_ms = 10
timeout_ms = 2000
"#
    )
    .unwrap();
    file
}

/// A webhook that fails its first request with 500 and accepts the rest.
#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<Mutex<Vec<(StatusCode, Value)>>>,
}

impl Receiver {
    async fn start(&self) -> u16 {
        let state = self.clone();
        let app = Router::new().fallback(move |Json(body): Json<Value>| {
            let state = state.clone();
            async move {
                let mut requests = state.requests.lock().unwrap();
                let status = if requests.is_empty() {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                };
                requests.push((status, body));
                status
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        port
    }

    fn requests(&self) -> Vec<(StatusCode, Value)> {
        self.requests.lock().unwrap().clone()
    }
}

/// Runs `earshot process` with `config` until the topic is drained.
fn process_all(env: &TestEnv, config: &std::path::Path) {
    let status = env
        .spawn_processor(
            &[],
            &[
                "--exit-when-idle",
                "3",
                "--config",
                config.to_str().unwrap(),
            ],
        )
        .wait()
        .unwrap();
    assert!(status.success(), "earshot process failed");
}

fn detect(env: &TestEnv, config: &std::path::Path, args: &[&str]) -> Output {
    let output = env
        .earshot()
        .arg("detect")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("running earshot detect");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "earshot detect failed:\n{stderr}");
    assert!(!stderr.contains(SECRET), "a webhook URL leaked:\n{stderr}");
    output
}

/// (brand, dimension, value, direction) of an alert's JSON.
fn what(alert: &Value) -> (String, String, String, String) {
    let s = |k: &str| alert[k].as_str().unwrap_or_default().to_owned();
    (s("brand"), s("dimension"), s("value"), s("direction"))
}

fn tuple(
    brand: &str,
    dimension: &str,
    value: &str,
    direction: &str,
) -> (String, String, String, String) {
    (
        brand.into(),
        dimension.into(),
        value.into(),
        direction.into(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cohort_shift_is_alerted_once_on_every_sink_and_replays_identically() {
    let env = TestEnv::new("detect").await;
    let receiver = Receiver::default();
    let config = config(receiver.start().await);
    let now = Utc::now().timestamp();
    let base = now / 60 * 60 - MINUTES * 60;
    env.produce_mentions(&mentions(base)).await;
    process_all(&env, config.path());
    // The data as the detector will see it: both cohorts, every minute, via the rollup.
    let cohorts = env
        .query_rows("SELECT cohort, sum(mentions) FROM {db}.rollup_minute WHERE brand = 'Acme' GROUP BY cohort ORDER BY cohort")
        .await;
    let expected_z = SHIFT_MINUTE * 15 + (MINUTES - SHIFT_MINUTE) * 27;
    let expected_b = SHIFT_MINUTE * 15 + (MINUTES - SHIFT_MINUTE) * 3;
    assert_eq!(
        cohorts,
        [
            vec!["boomers".to_string(), expected_b.to_string()],
            vec!["gen_z".to_string(), expected_z.to_string()]
        ],
        "enrichment tags the test authors' cohorts as intended"
    );

    // First run: exactly the two sides of the shift, on every sink.
    let first = detect(&env, config.path(), &["--once"]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("2 alerts found, 2 raised"), "{stdout}");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("webhook delivery failed") && stderr.contains("http://127.0.0.1:1/…"),
        "the dead webhook's failure is logged by label:\n{stderr}"
    );

    let records = env.read_topic(earshot_model::topics::ALERTS, 2, Duration::from_secs(30));
    let alerts: Vec<Value> = records
        .iter()
        .map(|(_, payload)| serde_json::from_slice(payload).unwrap())
        .collect();
    let found: BTreeSet<_> = alerts.iter().map(what).collect();
    assert_eq!(
        found,
        BTreeSet::from([
            tuple("Acme", "cohort", "boomers", "down"),
            tuple("Acme", "cohort", "gen_z", "up")
        ])
    );
    let ids: BTreeSet<String> = alerts
        .iter()
        .map(|a| a["alert_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    for alert in &alerts {
        let start = alert["window"]["start"].as_str().unwrap();
        let start = DateTime::parse_from_rfc3339(start).unwrap().timestamp();
        let minute = (start - base) / 60;
        assert!(
            (SHIFT_MINUTE..SHIFT_MINUTE + 4).contains(&minute),
            "alert {minute} minutes in, shift at {SHIFT_MINUTE}: {alert}"
        );
        assert_eq!(alert["window"]["grain"], "minute");
        assert_eq!(alert["denominator"], 30);
        let (baseline, observed) = (
            alert["baseline"].as_f64().unwrap(),
            alert["observed"].as_f64().unwrap(),
        );
        let born = if alert["value"] == "gen_z" {
            2005
        } else {
            1955
        };
        let shifted = if born == 2005 { 0.9 } else { 0.1 };
        assert!(
            (observed - shifted).abs() < 1e-9 && (baseline - 0.5).abs() < 0.05,
            "{alert}"
        );
        // The explanation names the band the point left and the component that fired.
        let (low, high) = (
            alert["expected_low"].as_f64().unwrap(),
            alert["expected_high"].as_f64().unwrap(),
        );
        assert!(low < baseline && baseline < high && !(low..=high).contains(&observed));
        let component = alert["component"].as_str().unwrap();
        assert!(
            ["spike", "shift", "level", "time_of_day"].contains(&component),
            "{alert}"
        );
        let explanation = alert["explanation"].as_str().unwrap();
        assert!(
            explanation.starts_with("Share of cohort")
                && explanation.contains("expected ")
                && explanation.contains(" fired"),
            "{alert}"
        );
        let examples = alert["examples"].as_array().unwrap();
        assert_eq!(examples.len(), 3, "{alert}");
        for example in examples {
            let id = example["mention_id"].as_str().unwrap();
            assert!(
                id.starts_with(&format!("mastodon:acme-{born}-")),
                "{id} explains {alert}"
            );
            assert!(
                example["url"]
                    .as_str()
                    .unwrap()
                    .ends_with(id.trim_start_matches("mastodon:"))
            );
        }
    }

    let table_sql = "SELECT alert_id, brand, dimension, value, direction, length(example_ids), \
                     explanation \
                     FROM {db}.alerts ORDER BY alert_id";
    let rows = env.query_rows(table_sql).await;
    let table_ids: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(table_ids, ids, "the table holds the same alerts: {rows:?}");
    assert!(rows.iter().all(|r| r[5] == "3"));
    assert!(
        rows.iter().all(|r| r[6].contains(" fired")),
        "the table's payload carries the explanation: {rows:?}"
    );

    let requests = receiver.requests();
    let statuses: Vec<u16> = requests.iter().map(|(s, _)| s.as_u16()).collect();
    assert_eq!(statuses, [500, 200, 200], "the failed post was retried");
    let posted: BTreeSet<String> = requests[1..]
        .iter()
        .map(|(_, body)| {
            assert!(
                body["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("Acme: share of cohort")
            );
            assert!(body["blocks"].as_array().is_some_and(|b| b.len() >= 3));
            body["alert"]["alert_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(posted, ids);

    // A restarted detector re-finds the same two alerts and delivers neither.
    let second = detect(&env, config.path(), &["--once"]);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("2 alerts found, 0 raised"), "{stdout}");
    // Replay over all the data, backfill included: same ids, plus Initech's surge.
    let replay = detect(
        &env,
        config.path(),
        &[
            "--from",
            &base.to_string(),
            "--to",
            &(base + MINUTES * 60).to_string(),
        ],
    );
    let replayed: Vec<Value> = String::from_utf8_lossy(&replay.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for alert in &alerts {
        let again = replayed
            .iter()
            .find(|r| r["alert_id"] == alert["alert_id"])
            .unwrap_or_else(|| panic!("replay lacks {alert}; got {replayed:?}"));
        assert_eq!(again["replay_status"], "already_raised");
    }
    let initech = replayed
        .iter()
        .find(|r| what(r) == tuple("Initech", "volume", "", "up"))
        .unwrap_or_else(|| panic!("replay lacks the backfilled surge: {replayed:?}"));
    assert_eq!(initech["replay_status"], "new");
    let minute = (DateTime::parse_from_rfc3339(initech["window"]["start"].as_str().unwrap())
        .unwrap()
        .timestamp()
        - base)
        / 60;
    assert_eq!(minute, 45, "{initech}");

    // Nothing more was delivered anywhere.
    let records = env.read_topic(earshot_model::topics::ALERTS, 3, Duration::from_secs(10));
    assert_eq!(records.len(), 2, "no duplicate on the topic");
    assert_eq!(env.query_u64("SELECT count() FROM {db}.alerts").await, 2);
    assert_eq!(receiver.requests().len(), 3, "no duplicate webhook post");
}

/// Acme and Globex at 30 mentions a minute, all praise, until from `SHIFT_MINUTE` two
/// thirds of Acme's turn to complaints.
fn souring_mentions(base: i64) -> Vec<RawMention> {
    let mut n = 0;
    let mut all = Vec::new();
    for minute in 0..MINUTES {
        let t = |i: i64| DateTime::from_timestamp(base + minute * 60 + i, 0).unwrap();
        for brand in ["Acme", "Globex"] {
            let negative = if brand == "Acme" && minute >= SHIFT_MINUTE {
                20
            } else {
                0
            };
            for i in 0..30 {
                all.push(if i < negative {
                    let text = format!(
                        "My {brand} rocket skates broke after one day. Terrible quality, \
                         support never answers, I want my money back"
                    );
                    mention_saying(&mut n, brand, 1980, t(i), Origin::Live, "neg-", text)
                } else {
                    mention(&mut n, brand, 1980, t(i), Origin::Live)
                });
            }
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn a_souring_brand_is_alerted_with_its_negative_mentions_on_every_sink() {
    let env = TestEnv::new("detect_sentiment").await;
    let receiver = Receiver::default();
    // Complaints also change who is talking (customers more than bystanders): this
    // test is about the sentiment series, so it watches volume, share of voice and
    // sentiment only.
    let config = config_with(
        receiver.start().await,
        r#"dimensions = ["volume", "share_of_voice", "sentiment"]"#,
    );
    let now = Utc::now().timestamp();
    let base = now / 60 * 60 - MINUTES * 60;
    env.produce_mentions(&souring_mentions(base)).await;
    process_all(&env, config.path());
    let counts = env
        .query_rows(
            "SELECT brand, sum(positive), sum(neutral), sum(negative) FROM {db}.rollup_minute \
             GROUP BY brand ORDER BY brand",
        )
        .await;
    let acme_negative = (MINUTES - SHIFT_MINUTE) * 20;
    assert_eq!(
        counts,
        [
            [
                "Acme",
                &(MINUTES * 30 - acme_negative).to_string(),
                "0",
                &acme_negative.to_string()
            ],
            ["Globex", &(MINUTES * 30).to_string(), "0", "0"],
        ],
        "the sentiment model reads the test's praise and complaints as intended"
    );
    support::assert_sentiment_counts_match_mentions(&env).await;

    let first = detect(&env, config.path(), &["--once"]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    let records = env.read_topic(earshot_model::topics::ALERTS, 2, Duration::from_secs(30));
    let alerts: Vec<Value> = records
        .iter()
        .map(|(_, payload)| serde_json::from_slice(payload).unwrap())
        .collect();
    let found: BTreeSet<_> = alerts.iter().map(what).collect();
    assert_eq!(
        found,
        BTreeSet::from([
            tuple("Acme", "sentiment", "negative_share", "up"),
            tuple("Acme", "sentiment", "net_sentiment", "down"),
        ]),
        "{stdout}"
    );
    assert!(stdout.contains("2 alerts found, 2 raised"), "{stdout}");
    for alert in &alerts {
        let start = alert["window"]["start"].as_str().unwrap();
        let minute = (DateTime::parse_from_rfc3339(start).unwrap().timestamp() - base) / 60;
        assert!(
            (SHIFT_MINUTE..SHIFT_MINUTE + 4).contains(&minute),
            "alert {minute} minutes in, shift at {SHIFT_MINUTE}: {alert}"
        );
        let examples = alert["examples"].as_array().unwrap();
        assert_eq!(examples.len(), 3, "{alert}");
        for example in examples {
            let id = example["mention_id"].as_str().unwrap();
            assert!(
                id.starts_with("mastodon:acme-1980-neg-"),
                "a souring alert is explained by negative mentions: {id} in {alert}"
            );
        }
    }
    let ids: BTreeSet<String> = alerts
        .iter()
        .map(|a| a["alert_id"].as_str().unwrap().to_owned())
        .collect();
    let rows = env
        .query_rows(
            "SELECT alert_id, dimension, length(example_ids), component, explanation \
             FROM {db}.alerts ORDER BY alert_id",
        )
        .await;
    assert_eq!(
        rows.iter().map(|r| r[0].clone()).collect::<BTreeSet<_>>(),
        ids,
        "the table holds the same alerts: {rows:?}"
    );
    assert!(
        rows.iter().all(|r| r[1] == "sentiment" && r[2] == "3"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r[3] != "none" && !r[3].is_empty() && r[4].contains("share of Acme")),
        "each stored alert names its component and explains itself: {rows:?}"
    );
    let requests = receiver.requests();
    let posted: BTreeSet<String> = requests
        .iter()
        .filter(|(status, _)| status.is_success())
        .map(|(_, body)| {
            assert!(
                body["text"].as_str().unwrap().starts_with("Acme: "),
                "{body}"
            );
            body["alert"]["alert_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(posted, ids, "every alert reached the webhook");
}
