//! Shared pieces of the integration tests: the real local stack (Tansu + ClickHouse,
//! started by `deploy/local/up.sh`), an isolated namespace per test (topic prefix,
//! consumer group and ClickHouse database), the `earshot` binary as a child process,
//! and generated mentions whose true rollups the tests compute on their own.
#![allow(dead_code)]

pub mod mentions;
pub mod rng;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use earshot_kafka::{KafkaConfig, PIPELINE_TOPICS};
use earshot_model::RawMention;
use earshot_storage::{ClickHouseConfig, Store};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts the local stack once per test binary. A test that needs it fails loudly when
/// it cannot be started; it never skips.
pub fn start_stack() {
    static STACK: Once = Once::new();
    STACK.call_once(restart_stack);
}

/// Runs `deploy/local/up.sh`, which starts whatever part of the stack is not running.
pub fn restart_stack() {
    let output = Command::new("bash")
        .arg(repo_root().join("deploy/local/up.sh"))
        .output()
        .expect("running deploy/local/up.sh");
    assert!(
        output.status.success(),
        "the local stack did not start:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One test's private corner of the shared stack.
pub struct TestEnv {
    pub name: String,
    pub kafka: KafkaConfig,
    pub clickhouse: ClickHouseConfig,
    pub group_id: String,
    pub store: Store,
}

impl TestEnv {
    pub async fn new(test: &str) -> TestEnv {
        start_stack();
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "{}_{}_{}_{}",
            test,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_millis() % 100_000_000
        );
        let kafka = KafkaConfig {
            topic_prefix: format!("{unique}."),
            partitions: 4,
            ..KafkaConfig::default()
        };
        kafka
            .ensure_topics(PIPELINE_TOPICS)
            .await
            .expect("creating test topics");
        let clickhouse = ClickHouseConfig {
            database: format!("test_{unique}"),
            ..ClickHouseConfig::default()
        };
        let store = Store::new(&clickhouse).expect("ClickHouse config");
        store.migrate().await.expect("migrating the test database");
        TestEnv {
            name: unique.clone(),
            kafka,
            clickhouse,
            group_id: format!("{unique}.process"),
            store,
        }
    }

    /// `earshot` with this test's namespace in its environment.
    pub fn earshot(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_earshot"));
        command
            .current_dir(repo_root())
            .env("EARSHOT_KAFKA__TOPIC_PREFIX", &self.kafka.topic_prefix)
            .env("EARSHOT_CLICKHOUSE__DATABASE", &self.clickhouse.database)
            .env("EARSHOT_PROCESSOR__GROUP_ID", &self.group_id)
            .env("EARSHOT_PROCESSOR__METRICS_LISTEN", "")
            .env("RUST_LOG", "warn,earshot_processor=info")
            .stdin(Stdio::null());
        command
    }

    /// Starts `earshot process` in the background with extra `EARSHOT_*` settings.
    pub fn spawn_processor(&self, settings: &[(&str, &str)], args: &[&str]) -> Child {
        let mut command = self.earshot();
        command.arg("process").args(args);
        for (key, value) in settings {
            command.env(key, value);
        }
        command
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file(&format!("{}-process.log", self.name))))
            .spawn()
            .expect("starting earshot process")
    }

    /// Runs `earshot process --exit-when-idle` to completion. The idle wait outlasts a
    /// SIGKILLed processor's session (6 s), which holds its partitions until it expires.
    pub fn process_until_idle(&self, settings: &[(&str, &str)]) {
        let status = self
            .spawn_processor(settings, &["--exit-when-idle", "15"])
            .wait()
            .expect("waiting for earshot process");
        assert!(
            status.success(),
            "earshot process failed; see target/test-logs/{}-process.log",
            self.name
        );
    }

    pub fn producer(&self) -> FutureProducer {
        self.kafka.producer().expect("test producer")
    }

    /// Produces mentions to `mentions.raw` keyed by id, as a collector would.
    pub async fn produce_mentions(&self, mentions: &[RawMention]) {
        let records: Vec<(Vec<u8>, Vec<u8>)> = mentions
            .iter()
            .map(|m| (m.id.as_str().as_bytes().to_vec(), m.encode()))
            .collect();
        self.produce_raw(&records).await;
    }

    /// Produces arbitrary (key, payload) records to `mentions.raw`.
    pub async fn produce_raw(&self, records: &[(Vec<u8>, Vec<u8>)]) {
        let producer = self.producer();
        let topic = self.kafka.topic(earshot_model::topics::MENTIONS_RAW);
        for chunk in records.chunks(5000) {
            let deliveries: Vec<_> = chunk
                .iter()
                .map(|(key, payload)| {
                    producer.send(
                        FutureRecord::to(&topic).key(key).payload(payload),
                        Duration::from_secs(60),
                    )
                })
                .collect();
            for delivery in futures::future::join_all(deliveries).await {
                // The error alone: the record may be megabytes long.
                if let Err((error, _)) = delivery {
                    panic!("producing a test record: {error}");
                }
            }
        }
    }

    /// Reads a topic of this namespace from the start until `expected` records arrived
    /// or `timeout` passed; returns (headers, payload) of each.
    pub fn read_topic(
        &self,
        topic: &str,
        expected: usize,
        timeout: Duration,
    ) -> Vec<(BTreeMap<String, String>, Vec<u8>)> {
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .set("broker.address.family", "v4")
            .set("group.id", format!("{}.reader.{topic}", self.name))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "6000")
            .create()
            .expect("test consumer");
        consumer
            .subscribe(&[&self.kafka.topic(topic)])
            .expect("subscribe");
        let started = Instant::now();
        let mut records = Vec::new();
        while records.len() < expected && started.elapsed() < timeout {
            if let Some(result) = consumer.poll(Duration::from_millis(200)) {
                let message = result.expect("reading test topic");
                let headers = message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|header| {
                                (
                                    header.key.to_string(),
                                    String::from_utf8_lossy(header.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                records.push((headers, message.payload().unwrap_or_default().to_vec()));
            }
        }
        records
    }

    /// Runs a query and returns its TSV rows.
    pub async fn query_rows(&self, sql: &str) -> Vec<Vec<String>> {
        let sql = sql.replace(
            "{db}",
            &earshot_storage::escape_identifier(&self.clickhouse.database),
        );
        let body = reqwest::Client::new()
            .post(&self.clickhouse.url)
            .body(format!("{sql} FORMAT TSV"))
            .send()
            .await
            .expect("querying ClickHouse")
            .error_for_status()
            .expect("ClickHouse query status")
            .text()
            .await
            .expect("ClickHouse response");
        body.lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    }

    pub async fn query_u64(&self, sql: &str) -> u64 {
        self.query_rows(sql).await[0][0].parse().expect("a number")
    }
}

/// Test logs go to `target/test-logs/`, so failures can be read after the fact.
pub fn log_file(name: &str) -> std::fs::File {
    let dir = repo_root().join("target/test-logs");
    std::fs::create_dir_all(&dir).expect("creating target/test-logs");
    std::fs::File::create(dir.join(name)).expect("creating a test log")
}

/// Waits until `condition` holds, polling; panics with `what` after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !condition().await {
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn kill9(child: &mut Child) {
    // SIGKILL: no drain, no commit, exactly like a crash.
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}

/// The pid of the local broker (`kafka`, or `tansu` with EARSHOT_LOCAL_BROKER=tansu).
pub fn broker_pid() -> i32 {
    stack_pid(&std::env::var("EARSHOT_LOCAL_BROKER").unwrap_or_else(|_| "kafka".into()))
}

/// The pid of a local-stack server (`kafka`, `tansu` or `clickhouse`) started by `up.sh`.
pub fn stack_pid(name: &str) -> i32 {
    let dir = std::env::var("EARSHOT_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".local"));
    std::fs::read_to_string(dir.join(format!("run/{name}.pid")))
        .unwrap_or_else(|e| panic!("no pid file for {name}: {e}"))
        .trim()
        .parse()
        .expect("a pid")
}

/// Sends `signal` (e.g. "STOP", "CONT", "TERM") to `pid`.
pub fn signal(pid: i32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// The current ClickHouse engine (chdb-core, installed by `up.sh` in `.local/chdb-venv`)
/// behind its HTTP interface (`tests/chdb/server.py`), started once per test binary.
/// Returns its URL. Fails loudly when it cannot start.
pub fn current_clickhouse_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        start_stack();
        let dir = std::env::var("EARSHOT_LOCAL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_root().join(".local"));
        let python = dir.join("chdb-venv/bin/python");
        let data = tempfile::tempdir().expect("tempdir").keep();
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().unwrap().port()
        };
        let mut child = Command::new(&python)
            .arg(repo_root().join("tests/chdb/server.py"))
            .args(["--exit-with-stdin", "--port", &port.to_string(), "--path"])
            .arg(&data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file("chdb-server.log")))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", python.display()));
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .expect("reading the chdb server's first line");
        assert!(
            line.starts_with("ready"),
            "the chdb server did not start (see target/test-logs/chdb-server.log): {line}"
        );
        // The server lives as long as the test binary: it exits when its stdin closes.
        std::mem::forget(child);
        format!("http://127.0.0.1:{port}")
    })
    .clone()
}

pub async fn rows(env: &TestEnv) -> u64 {
    env.query_u64("SELECT count() FROM {db}.mentions").await
}

/// Asserts the raw table and all rollup grains equal the truth for `input`.
pub async fn assert_matches_truth(env: &TestEnv, input: &[earshot_model::RawMention]) {
    let truth = mentions::minute_truth(input);
    let expected: u64 = truth.values().map(|b| b.mentions).sum();
    // A row written twice (a timed-out INSERT that completed, two owners) merges away;
    // `FINAL` shows the table as it will be, which is what the rollups read.
    assert_eq!(
        env.query_u64("SELECT count() FROM {db}.mentions FINAL")
            .await,
        expected,
        "mentions rows"
    );
    assert_eq!(
        env.query_u64("SELECT uniqExact(mention_id) FROM {db}.mentions")
            .await,
        expected
    );
    assert_eq!(
        mentions::parse_minute_rollup(env.query_rows(mentions::MINUTE_ROLLUP_SQL).await),
        truth,
        "minute rollup"
    );
    assert_sentiment_counts_match_mentions(env).await;
    for grain in ["rollup_hour", "rollup_day"] {
        let sql =
            format!("SELECT sum(mentions), sum(likes), sum(potential_reach) FROM {{db}}.{grain}");
        let got = env.query_rows(&sql).await;
        let likes: u64 = truth.values().map(|b| b.likes).sum();
        let reach: u64 = truth.values().map(|b| b.potential_reach).sum();
        assert_eq!(
            got[0],
            [expected.to_string(), likes.to_string(), reach.to_string()],
            "{grain}"
        );
    }
}

/// Every rollup grain's sentiment counts per brand equal those of the deduplicated
/// mention rows: the tags themselves are the enricher's, so exactness is what the
/// rollups must add. The generated texts carry both polarities, so the check can fail.
pub async fn assert_sentiment_counts_match_mentions(env: &TestEnv) {
    let stored = env
        .query_rows(
            "SELECT brand, countIf(sentiment = 'positive'), countIf(sentiment = 'neutral'), \
             countIf(sentiment = 'negative'), sum(complaint) \
             FROM {db}.mentions FINAL GROUP BY brand ORDER BY brand",
        )
        .await;
    let total = |column: usize| -> u64 {
        stored
            .iter()
            .map(|r| r[column].parse::<u64>().unwrap())
            .sum()
    };
    assert!(
        total(1) > 0 && total(3) > 0,
        "the stream should carry positive and negative mentions: {stored:?}"
    );
    for grain in ["rollup_minute", "rollup_hour", "rollup_day"] {
        let got = env
            .query_rows(&format!(
                "SELECT brand, sum(positive), sum(neutral), sum(negative), sum(complaints) \
                 FROM {{db}}.{grain} GROUP BY brand ORDER BY brand"
            ))
            .await;
        assert_eq!(got, stored, "sentiment counts of {grain}");
    }
}
