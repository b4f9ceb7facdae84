//! End-to-end load harness for `earshot process` against the local stack
//! (`deploy/local/up.sh`: Apache Kafka on 127.0.0.1:9092, ClickHouse on 127.0.0.1:8123).
//!
//! ```text
//! cargo bench --bench load -- --mentions 200000 --rate 5000 --duration 60 --memory-mentions 500000
//! ```
//!
//! Every phase gets its own topic prefix, ClickHouse database and consumer groups under
//! one run id, so runs never see each other's data (and never the `earshot` database):
//!
//! 1. **backlog**: produce N realistic mentions as fast as possible, then time (a) a bare
//!    consumer with earshot-kafka's consumer settings that reads and discards them, and
//!    (b) the release `earshot process` until all N rows are in `mentions`.
//! 2. **breakdown**: in this process, single-threaded, the cost per mention of decode,
//!    enrich and row building, and of one dedup lookup and one INSERT of a batch.
//! 3. **latency**: with `earshot process` running, produce at a fixed rate for a while
//!    and time every mention from send to visible in `rollup_minute` (see
//!    `support/generator.rs` for how per-partition visibility is read from the rollup).
//! 4. **memory**: a larger backlog (`--memory-mentions`), to show the processor's peak
//!    memory (VmHWM) does not grow with the backlog.
//!
//! `EARSHOT_*` variables in the environment reach the processor (e.g.
//! `EARSHOT_PROCESSOR__MAX_BATCH_ROWS=50000`), so knobs can be compared run to run.

#[path = "support/generator.rs"]
mod generator;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use earshot_enrichment::{Enricher, EnrichmentConfig};
use earshot_kafka::{KafkaConfig, PIPELINE_TOPICS};
use earshot_model::{Brand, RawMention, topics};
use earshot_processor::{KafkaPosition, mention_rows};
use earshot_storage::{ClickHouseConfig, MentionRow, Store, escape_identifier};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use generator::Generator;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str = "\
cargo bench --bench load -- [options]
  --mentions N           backlog size for phase 1 (default 200000)
  --rate R               mentions per second in the latency phase (default 5000)
  --duration S           seconds of the latency phase (default 60)
  --memory-mentions M    backlog size of the memory phase; 0 skips it (default 0)
  --partitions P         partitions of mentions.raw, 1..=7 (default 4)
  --backlog-span S       publication times of a backlog's mentions run in order over the
                         last S seconds, as a backlog left by an outage does; 0 puts them
                         all at the moment each is made, a burst (default 0)
  --phases LIST          comma-separated: backlog,clickhouse,instances,breakdown,latency,
                         memory,scaling (default all)
  --keep                 keep the bench databases and topics afterwards
EARSHOT_* variables are passed to `earshot process`; EARSHOT_KAFKA__BROKERS and
EARSHOT_CLICKHOUSE__URL are also used by the harness itself.";

#[derive(Debug, Clone)]
struct Args {
    mentions: usize,
    rate: u64,
    duration: u64,
    memory_mentions: usize,
    partitions: i32,
    phases: Vec<String>,
    keep: bool,
    backlog_span: u64,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            mentions: 200_000,
            rate: 5_000,
            duration: 60,
            memory_mentions: 0,
            partitions: 4,
            phases: [
                "backlog",
                "clickhouse",
                "instances",
                "breakdown",
                "latency",
                "memory",
                "scaling",
            ]
            .map(String::from)
            .to_vec(),
            keep: false,
            backlog_span: 0,
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .unwrap_or_else(|| fail(&format!("{name} needs a value")))
            };
            let number = |name: &str, v: String| -> u64 {
                v.replace('_', "")
                    .parse()
                    .unwrap_or_else(|_| fail(&format!("{name}: `{v}` is not a number")))
            };
            match arg.as_str() {
                "--mentions" => args.mentions = number("--mentions", value("--mentions")) as usize,
                "--rate" => args.rate = number("--rate", value("--rate")),
                "--duration" => args.duration = number("--duration", value("--duration")),
                "--memory-mentions" => {
                    args.memory_mentions =
                        number("--memory-mentions", value("--memory-mentions")) as usize
                }
                "--backlog-span" => {
                    args.backlog_span = number("--backlog-span", value("--backlog-span"))
                }
                "--partitions" => {
                    args.partitions = number("--partitions", value("--partitions")) as i32
                }
                "--phases" => {
                    args.phases = value("--phases")
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .collect()
                }
                "--keep" => args.keep = true,
                // cargo bench passes --bench to harness = false targets.
                "--bench" => {}
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => fail(&format!("unknown argument `{other}`")),
            }
        }
        if !(1..=7).contains(&args.partitions) {
            fail("--partitions must be 1..=7");
        }
        if args.mentions == 0 || args.rate == 0 || args.duration == 0 {
            fail("--mentions, --rate and --duration must be positive");
        }
        args
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}\n\n{USAGE}");
    std::process::exit(2)
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn earshot_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_earshot"))
}

fn log(message: impl AsRef<str>) {
    eprintln!(
        "[load {}] {}",
        Utc::now().format("%H:%M:%S"),
        message.as_ref()
    );
}

// ---------------------------------------------------------------------------------
// The stack, namespaces and the processor child process
// ---------------------------------------------------------------------------------

/// One phase's private corner of the shared stack.
struct Namespace {
    name: String,
    kafka: KafkaConfig,
    clickhouse: ClickHouseConfig,
    store: Store,
}

impl Namespace {
    async fn new(run: &str, phase: &str, partitions: i32) -> AnyResult<Namespace> {
        let name = format!("{run}_{phase}");
        let mut kafka = KafkaConfig {
            topic_prefix: format!("{name}."),
            partitions,
            ..KafkaConfig::default()
        };
        if let Ok(brokers) = std::env::var("EARSHOT_KAFKA__BROKERS") {
            kafka.brokers = brokers;
        }
        kafka.ensure_topics(PIPELINE_TOPICS).await?;
        let mut clickhouse = ClickHouseConfig {
            database: name.clone(),
            ..ClickHouseConfig::default()
        };
        if let Ok(url) = std::env::var("EARSHOT_CLICKHOUSE__URL") {
            clickhouse.url = url;
        }
        let store = Store::new(&clickhouse)?;
        store.migrate().await?;
        Ok(Namespace {
            name,
            kafka,
            clickhouse,
            store,
        })
    }

    fn raw_topic(&self) -> String {
        self.kafka.topic(topics::MENTIONS_RAW)
    }

    fn db(&self) -> String {
        escape_identifier(&self.clickhouse.database)
    }

    async fn query(&self, sql: &str) -> AnyResult<String> {
        let sql = sql.replace("{db}", &self.db());
        let response = http()
            .post(&self.clickhouse.url)
            .body(format!("{sql} FORMAT TSV"))
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            return Err(format!("ClickHouse: {status}: {body}").into());
        }
        Ok(body)
    }

    async fn query_u64(&self, sql: &str) -> AnyResult<u64> {
        let body = self.query(sql).await?;
        Ok(body.trim().parse().unwrap_or(0))
    }

    /// `earshot process` (release build) in this namespace, serving metrics on `port`.
    fn spawn_processor(&self, group: &str, port: u16) -> AnyResult<Processor> {
        let log_path = std::env::temp_dir().join(format!("{}-process.log", self.name));
        let mut command = Command::new(earshot_bin());
        command
            .current_dir(repo_root())
            .arg("process")
            // Read by deploy/local/up.sh, but not a key of the earshot config.
            .env_remove("EARSHOT_LOCAL_DIR")
            .env("EARSHOT_KAFKA__TOPIC_PREFIX", &self.kafka.topic_prefix)
            .env("EARSHOT_KAFKA__BROKERS", &self.kafka.brokers)
            .env(
                "EARSHOT_KAFKA__PARTITIONS",
                self.kafka.partitions.to_string(),
            )
            .env("EARSHOT_CLICKHOUSE__URL", &self.clickhouse.url)
            .env("EARSHOT_CLICKHOUSE__DATABASE", &self.clickhouse.database)
            .env("EARSHOT_PROCESSOR__GROUP_ID", group)
            .env(
                "EARSHOT_PROCESSOR__METRICS_LISTEN",
                format!("127.0.0.1:{port}"),
            )
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,earshot_processor=info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log_path)?));
        let child = command.spawn()?;
        Ok(Processor {
            started: Instant::now(),
            pid: child.id(),
            child,
            metrics_url: format!("http://127.0.0.1:{port}/metrics"),
            log_path,
        })
    }

    async fn drop_everything(&self) {
        let _ = self.query("DROP DATABASE IF EXISTS {db}").await;
        let admin: Result<AdminClient<DefaultClientContext>, _> = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .set("broker.address.family", "v4")
            .create();
        if let Ok(admin) = admin {
            let names: Vec<String> = PIPELINE_TOPICS
                .iter()
                .map(|t| self.kafka.topic(t.name))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let _ = admin
                .delete_topics(
                    &names,
                    &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
                )
                .await;
        }
    }
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

struct Processor {
    child: Child,
    pid: u32,
    started: Instant,
    metrics_url: String,
    log_path: PathBuf,
}

impl Processor {
    async fn metrics(&self) -> Option<Metrics> {
        let body = http()
            .get(&self.metrics_url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        Some(Metrics::parse(&body))
    }

    fn check_alive(&mut self) -> AnyResult<()> {
        if let Some(status) = self.child.try_wait()? {
            return Err(format!(
                "earshot process exited early ({status}); see {}",
                self.log_path.display()
            )
            .into());
        }
        Ok(())
    }

    /// SIGTERM (the processor drains and commits), then wait.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Prometheus text page: metric name (labels dropped) -> sum over label sets.
#[derive(Debug, Default, Clone)]
struct Metrics(BTreeMap<String, f64>);

impl Metrics {
    fn parse(body: &str) -> Metrics {
        let mut map = BTreeMap::new();
        for line in body.lines().filter(|l| !l.starts_with('#')) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            // Keep quantile and write-step labels; sum everything else over its labels.
            let key = match series.split_once('{') {
                Some((name, labels))
                    if labels.starts_with("quantile=") || labels.starts_with("step=") =>
                {
                    format!("{name}{{{labels}")
                }
                Some((name, _)) => name.to_string(),
                None => series.to_string(),
            };
            *map.entry(key).or_insert(0.0) += value;
        }
        Metrics(map)
    }

    fn get(&self, name: &str) -> f64 {
        self.0.get(name).copied().unwrap_or(0.0)
    }

    /// Another instance's page: counters and sums add up; a quantile keeps the larger.
    fn add(&mut self, other: &Metrics) {
        for (key, value) in &other.0 {
            let entry = self.0.entry(key.clone()).or_insert(0.0);
            if key.contains("{quantile=") {
                *entry = entry.max(*value);
            } else {
                *entry += value;
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9465)
}

// ---------------------------------------------------------------------------------
// /proc: memory and CPU of the processor, the broker and ClickHouse
// ---------------------------------------------------------------------------------

fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// User + system CPU seconds a process has used so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // Fields 14 and 15 of stat(5), counted from the state field (3).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks())
}

/// Seconds the threads of a process have spent runnable but waiting for a CPU
/// (`/proc/<pid>/task/*/schedstat`, second field): CPU contention, not I/O.
fn runqueue_wait_seconds(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut nanos = 0u64;
    for task in tasks.flatten() {
        if let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) {
            nanos += stat
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Some(nanos as f64 / 1e9)
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The CPU used by each process of the pipeline over a window.
struct CpuWindow {
    pids: Vec<(&'static str, u32)>,
    start: Vec<Option<f64>>,
    waited: Vec<Option<f64>>,
    started: Instant,
}

impl CpuWindow {
    fn start(processors: &[u32]) -> CpuWindow {
        let state = std::env::var("EARSHOT_LOCAL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_root().join(".local"));
        let pid_file = |name: &str| -> Option<u32> {
            std::fs::read_to_string(state.join("run").join(format!("{name}.pid")))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let mut pids = vec![("harness", std::process::id())];
        const NAMES: [&str; 4] = [
            "earshot process",
            "earshot process #2",
            "earshot process #3",
            "earshot process #4",
        ];
        for (name, pid) in NAMES.iter().zip(processors) {
            pids.push((name, *pid));
        }
        if let Some(pid) = pid_file("kafka") {
            pids.push(("kafka (broker)", pid));
        }
        if let Some(pid) = pid_file("tansu") {
            pids.push(("tansu (broker)", pid));
        }
        if let Some(pid) = pid_file("clickhouse") {
            pids.push(("clickhouse-server", pid));
        }
        let start = pids.iter().map(|(_, pid)| cpu_seconds(*pid)).collect();
        let waited = pids
            .iter()
            .map(|(_, pid)| runqueue_wait_seconds(*pid))
            .collect();
        CpuWindow {
            pids,
            start,
            waited,
            started: Instant::now(),
        }
    }

    /// (process, CPU seconds, cores busy on average, seconds runnable but waiting for
    /// a CPU summed over threads) since `start`.
    fn finish(&self) -> Vec<(&'static str, f64, f64, f64)> {
        let wall = self.started.elapsed().as_secs_f64();
        self.pids
            .iter()
            .zip(self.start.iter().zip(&self.waited))
            .filter_map(|((name, pid), (start, waited))| {
                let used = cpu_seconds(*pid)? - (*start)?;
                let wait = runqueue_wait_seconds(*pid)
                    .zip(*waited)
                    .map_or(f64::NAN, |(now, before)| now - before);
                Some((*name, used, used / wall, wait))
            })
            .collect()
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

// ---------------------------------------------------------------------------------
// Producing
// ---------------------------------------------------------------------------------

/// Sends one record, waiting for queue space if librdkafka's queue is full.
async fn send(
    producer: &FutureProducer,
    topic: &str,
    record: &generator::Record,
) -> AnyResult<rdkafka::producer::DeliveryFuture> {
    loop {
        let future_record = FutureRecord::to(topic)
            .partition(record.partition)
            .key(record.key.as_bytes())
            .payload(&record.payload);
        match producer.send_result(future_record) {
            Ok(delivery) => return Ok(delivery),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Err((error, _)) => return Err(error.into()),
        }
    }
}

async fn settle(delivery: rdkafka::producer::DeliveryFuture) -> AnyResult<(i32, i64)> {
    match delivery.await {
        Ok(Ok(d)) => Ok((d.partition, d.offset)),
        Ok(Err((error, _))) => Err(error.into()),
        Err(_) => Err("producer dropped before delivery".into()),
    }
}

struct Produced {
    records: usize,
    bytes: usize,
    seconds: f64,
}

/// Publication times of a backlog's mentions: all "now" (a burst), or in order over the
/// last `span` seconds, as the mentions an outage left behind were published.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    start: chrono::DateTime<Utc>,
    span: chrono::Duration,
    count: usize,
}

impl Timeline {
    fn new(span_secs: u64, count: usize) -> Self {
        let span = chrono::Duration::seconds(span_secs as i64);
        Self {
            start: Utc::now() - span,
            span,
            count: count.max(1),
        }
    }

    fn at(&self, i: usize) -> chrono::DateTime<Utc> {
        if self.span.is_zero() {
            return Utc::now();
        }
        self.start + self.span * (i as i32) / (self.count as i32)
    }
}

/// Produces `count` mentions as fast as the broker takes them.
async fn produce_backlog(
    ns: &Namespace,
    generator: &mut Generator,
    count: usize,
    span_secs: u64,
) -> AnyResult<Produced> {
    let timeline = Timeline::new(span_secs, count);
    let producer = ns.kafka.producer()?;
    let topic = ns.raw_topic();
    let started = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    let mut bytes = 0;
    let mut last_report = Instant::now();
    for i in 0..count {
        let record = generator.next_record(timeline.at(i));
        bytes += record.payload.len();
        in_flight.push(settle(send(&producer, &topic, &record).await?));
        while in_flight.len() >= 50_000 {
            in_flight.next().await.expect("non-empty")?;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            log(format!("  produced {i}/{count}"));
        }
    }
    while let Some(result) = in_flight.next().await {
        result?;
    }
    Ok(Produced {
        records: count,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

// ---------------------------------------------------------------------------------
// Phase 1: backlog throughput
// ---------------------------------------------------------------------------------

struct Throughput {
    records: usize,
    /// Subscribe/spawn to first record.
    startup: f64,
    /// First record to last record read (a) or last row visible (b).
    seconds: f64,
    peak_kb: Option<u64>,
    cpu: Vec<(&'static str, f64, f64, f64)>,
    metrics: Metrics,
}

impl Throughput {
    fn rate(&self) -> f64 {
        self.records as f64 / self.seconds
    }
}

/// (a): reads and discards every record of the topic with earshot-kafka's consumer.
async fn bare_consumer(ns: &Namespace, expected: usize) -> AnyResult<Throughput> {
    let consumer: StreamConsumer = ns.kafka.consumer(&format!("{}.bare", ns.name))?;
    consumer.subscribe(&[&ns.raw_topic()])?;
    let cpu = CpuWindow::start(&[]);
    let subscribed = Instant::now();
    let mut first = None;
    let mut seen = 0usize;
    let timeout = Duration::from_secs(120 + expected as u64 / 2_000);
    while seen < expected {
        match tokio::time::timeout(Duration::from_secs(30), consumer.recv()).await {
            Ok(Ok(message)) => {
                first.get_or_insert_with(Instant::now);
                drop(message);
                seen += 1;
            }
            Ok(Err(error)) => log(format!("  bare consumer: {error}")),
            Err(_) => log(format!(
                "  bare consumer: nothing for 30 s ({seen}/{expected})"
            )),
        }
        if subscribed.elapsed() > timeout {
            return Err(format!("bare consumer read only {seen}/{expected}").into());
        }
    }
    let first = first.expect("read at least one record");
    Ok(Throughput {
        records: expected,
        startup: (first - subscribed).as_secs_f64(),
        seconds: first.elapsed().as_secs_f64(),
        peak_kb: None,
        cpu: cpu.finish(),
        metrics: Metrics::default(),
    })
}

/// (b): `earshot process` until `expected` rows are in `mentions`. The clock starts at
/// the processor's first consumed record (from its metrics), like (a)'s.
async fn processor_backlog(ns: &Namespace, expected: usize) -> AnyResult<(Throughput, u64)> {
    processors_backlog(ns, expected, 1).await
}

/// [`processor_backlog`] with `instances` processors in one consumer group, sharing the
/// topic's partitions. The clock starts at the first record any of them consumed; the
/// memory figures are the highest of the instances.
async fn processors_backlog(
    ns: &Namespace,
    expected: usize,
    instances: usize,
) -> AnyResult<(Throughput, u64)> {
    let group = format!("{}.process{instances}", ns.name);
    let mut processors = (0..instances)
        .map(|_| ns.spawn_processor(&group, free_port()))
        .collect::<AnyResult<Vec<_>>>()?;
    let pids: Vec<u32> = processors.iter().map(|p| p.pid).collect();
    let cpu = CpuWindow::start(&pids);
    let spawned = processors[0].started;
    let mut first: Option<Instant> = None;
    let mut peak_rss = 0;
    let timeout = Duration::from_secs(180 + expected as u64 / 500);
    let count_sql = "SELECT count() FROM {db}.mentions";
    let done = loop {
        for processor in &mut processors {
            processor.check_alive()?;
            if first.is_none()
                && processor
                    .metrics()
                    .await
                    .is_some_and(|m| m.get("earshot_processor_records_consumed_total") > 0.0)
            {
                first = Some(Instant::now());
            }
            peak_rss = peak_rss.max(proc_status_kb(processor.pid, "VmRSS:").unwrap_or(0));
        }
        let rows = ns.query_u64(count_sql).await.unwrap_or(0);
        if rows >= expected as u64 {
            break Instant::now();
        }
        if spawned.elapsed() > timeout {
            return Err(format!("earshot process wrote {rows}/{expected} rows in time").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Without metrics, fall back to the spawn time (a pessimistic figure).
    let first = first.unwrap_or(spawned);
    let peak_kb = pids
        .iter()
        .filter_map(|pid| proc_status_kb(*pid, "VmHWM:"))
        .max();
    let mut metrics = Metrics::default();
    for processor in &processors {
        if let Some(m) = processor.metrics().await {
            metrics.add(&m);
        }
    }
    let cpu = cpu.finish();
    for processor in processors {
        processor.stop();
    }
    Ok((
        Throughput {
            records: expected,
            startup: (first - spawned).as_secs_f64(),
            seconds: (done - first).as_secs_f64(),
            peak_kb,
            cpu,
            metrics,
        },
        peak_rss,
    ))
}

/// CPU seconds the processors used over a window (every "earshot process" row).
fn processor_cpu_seconds(cpu: &[(&'static str, f64, f64, f64)]) -> Option<f64> {
    let rows: Vec<f64> = cpu
        .iter()
        .filter(|(name, ..)| name.starts_with("earshot process"))
        .map(|(_, secs, ..)| *secs)
        .collect();
    (!rows.is_empty()).then(|| rows.iter().sum())
}

/// (c): ClickHouse alone: the same rows `earshot process` would write, prepared in this
/// process beforehand (decoded, enriched, built; not timed), written from one client
/// through the same write path ([`Store::insert_mentions`]: the rows, then the touched
/// rollup buckets recomputed) in batches of the processor's size. No Kafka, no dedup
/// lookup: what the database sustains for this workload.
async fn clickhouse_alone(
    run: &str,
    enricher: &Enricher,
    partitions: i32,
    mentions: usize,
    batch_rows: usize,
    span_secs: u64,
) -> AnyResult<(f64, usize, Vec<(&'static str, f64, f64, f64)>)> {
    let ns = Namespace::new(run, "clickhouse", partitions).await?;
    // The backlog's generator, seed and spacing in time: the mentions (b) wrote, published
    // over the same span (ending now rather than when (b) ran).
    let mut generator = Generator::new(1, 1, partitions);
    let timeline = Timeline::new(span_secs, mentions);
    let now = Utc::now().timestamp() as u32;
    let mut rows: Vec<MentionRow> = Vec::with_capacity(mentions);
    for offset in 0..mentions {
        let (partition, mention) = generator.next_mention(timeline.at(offset));
        if let Some(tags) = enricher.enrich_matched(&mention) {
            rows.extend(mention_rows(
                &mention,
                &tags,
                KafkaPosition {
                    partition,
                    offset: offset as i64,
                },
                now,
            ));
        }
    }
    let cpu = CpuWindow::start(&[]);
    let started = Instant::now();
    for chunk in rows.chunks(batch_rows) {
        ns.store.insert_mentions(chunk).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu.finish();
    let stored = ns.query_u64("SELECT count() FROM {db}.mentions").await?;
    if stored != rows.len() as u64 {
        return Err(format!("(c) stored {stored} of {} rows", rows.len()).into());
    }
    ns.drop_everything().await;
    Ok((rows.len() as f64 / seconds, rows.len(), cpu))
}

// ---------------------------------------------------------------------------------
// Phase 2: where the time of one mention goes (in-process, one thread)
// ---------------------------------------------------------------------------------

struct Breakdown {
    mentions: usize,
    payload_bytes: f64,
    decode_us: f64,
    lean_decode_us: f64,
    enrich_us: f64,
    rows_us: f64,
    batch: usize,
    lookup_ms: f64,
    insert_ms: f64,
}

/// [`RawMention`]'s fields with `raw` parsed and dropped instead of kept as a tree.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct LeanMention {
    schema_version: u32,
    id: earshot_model::MentionId,
    platform: earshot_model::Platform,
    platform_id: String,
    #[serde(default)]
    url: String,
    text: String,
    created_at: chrono::DateTime<Utc>,
    collected_at: chrono::DateTime<Utc>,
    author: earshot_model::Author,
    #[serde(default)]
    engagement: earshot_model::Engagement,
    #[serde(default)]
    language_hint: Option<String>,
    #[serde(default)]
    origin: earshot_model::Origin,
    #[serde(default)]
    source: String,
    #[serde(default)]
    raw: serde::de::IgnoredAny,
}

#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct BrandFile {
    brands: Vec<Brand>,
    enrichment: EnrichmentConfig,
}

fn load_brand_file() -> AnyResult<BrandFile> {
    let path = std::env::var("EARSHOT_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("config/earshot.toml"));
    Ok(config::Config::builder()
        .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml))
        .build()?
        .try_deserialize()?)
}

fn load_enricher() -> AnyResult<Enricher> {
    let file = load_brand_file()?;
    Ok(Enricher::new(&file.brands, &file.enrichment)?)
}

/// Checks the generator against the real enricher: every mention must match exactly
/// one brand, or the harness's row counts would be wrong.
fn validate_generator(enricher: &Enricher, partitions: i32) -> AnyResult<()> {
    let mut generator = Generator::new(99, 9, partitions);
    let mut languages: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..5_000 {
        let (_, mention) = generator.next_mention(Utc::now());
        let tags = enricher.enrich(&mention);
        if tags.brands.len() != 1 {
            return Err(format!(
                "generated mention matches {} brands, expected 1: {:?}",
                tags.brands.len(),
                mention.text
            )
            .into());
        }
        let chars = mention.text.chars().count();
        if !(40..=300).contains(&chars) {
            return Err(format!("generated text of {chars} chars: {:?}", mention.text).into());
        }
        *languages.entry(tags.language.value).or_default() += 1;
    }
    log(format!(
        "generator checked on 5000 mentions: 1 brand each; detected languages {languages:?}"
    ));
    Ok(())
}

async fn breakdown(
    run: &str,
    backlog: Option<&Namespace>,
    enricher: &Enricher,
    partitions: i32,
    batch: usize,
) -> AnyResult<Breakdown> {
    let mut generator = Generator::new(7, 7, partitions);
    let payloads: Vec<Vec<u8>> = (0..batch)
        .map(|_| generator.next_record(Utc::now()).payload)
        .collect();
    let payload_bytes = payloads.iter().map(Vec::len).sum::<usize>() as f64 / batch as f64;

    let started = Instant::now();
    let mentions: Vec<RawMention> = payloads
        .iter()
        .map(|p| RawMention::decode(p).expect("generated payloads decode"))
        .collect();
    let decode = started.elapsed();

    // The same decode with `raw` skipped rather than built into a serde_json::Value
    // (the processor never stores it): what a lean decode would cost.
    let started = Instant::now();
    for p in &payloads {
        let lean: LeanMention = serde_json::from_slice(p).expect("generated payloads decode");
        std::hint::black_box(lean);
    }
    let lean_decode = started.elapsed();

    let started = Instant::now();
    let tags: Vec<_> = mentions.iter().map(|m| enricher.enrich(m)).collect();
    let enrich = started.elapsed();

    let started = Instant::now();
    let now = Utc::now().timestamp() as u32;
    let rows: Vec<MentionRow> = mentions
        .iter()
        .zip(&tags)
        .enumerate()
        .flat_map(|(i, (m, t))| {
            mention_rows(
                m,
                t,
                KafkaPosition {
                    partition: 0,
                    offset: i as i64,
                },
                now,
            )
        })
        .collect();
    let build = started.elapsed();

    // One batch's storage round trips, as the processor makes them: the dedup lookup
    // (against the backlog's `mention_ids` when there is one) and the INSERT.
    let scratch = Namespace::new(run, "breakdown", partitions).await?;
    let lookup_store = backlog.map_or(&scratch.store, |ns| &ns.store);
    let ids: Vec<&str> = rows.iter().map(|r| r.mention_id.as_str()).collect();
    let started = Instant::now();
    lookup_store.stored_mention_ids(&ids).await?;
    let lookup = started.elapsed();
    let started = Instant::now();
    scratch.store.insert_mentions(&rows).await?;
    let insert = started.elapsed();
    scratch.drop_everything().await;

    let per = |d: Duration| d.as_secs_f64() * 1e6 / batch as f64;
    Ok(Breakdown {
        mentions: batch,
        payload_bytes,
        decode_us: per(decode),
        lean_decode_us: per(lean_decode),
        enrich_us: per(enrich),
        rows_us: per(build),
        batch: rows.len(),
        lookup_ms: lookup.as_secs_f64() * 1e3,
        insert_ms: insert.as_secs_f64() * 1e3,
    })
}

// ---------------------------------------------------------------------------------
// Phase 5: the transform's CPU per mention against the brand list and post length
// ---------------------------------------------------------------------------------

struct Scaling {
    brands: usize,
    target_bytes: usize,
    text_bytes: f64,
    mentions: usize,
    matched: usize,
    cpu_us: f64,
}

/// CPU time this thread has run, in nanoseconds (`/proc/thread-self/schedstat`, first
/// field): exact, unlike the 10 ms ticks of `getrusage`, and blind to time spent waiting
/// for a CPU, so a busy machine does not inflate it.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `n` brands that no generated post names, each with keywords, a phrase, a hashtag, a
/// handle and a domain like a real one, so the matcher carries their full weight.
fn synthetic_brands(n: usize) -> Vec<Brand> {
    (0..n)
        .map(|i| {
            let mut code = String::from("qz");
            let mut rest = i;
            for _ in 0..4 {
                code.push((b'a' + (rest % 26) as u8) as char);
                rest /= 26;
            }
            Brand {
                name: format!("Synthetic {code}"),
                keywords: vec![code.clone(), format!("{code} bank"), format!("{code}pay")],
                hashtags: vec![format!("{code}news")],
                handles: vec![format!("@{code}")],
                domains: vec![format!("{code}.example")],
                ..Brand::default()
            }
        })
        .collect()
}

/// A text of about `target` bytes from `text`: repeated, then cut at a char boundary.
fn resized(text: &str, target: usize) -> String {
    let mut out = String::with_capacity(target + text.len());
    while out.len() < target {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(text);
    }
    let mut cut = target.min(out.len());
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

/// The processor's transform (decode, brand scan, tags, rows) on one thread, for each
/// brand-list size and post length. The configured brands are always among the list,
/// so the generated posts keep matching; posts whose cut removed the brand count as
/// unmatched (they cost the decode and the scan, as in the processor).
fn scaling(partitions: i32, mentions: usize) -> AnyResult<Vec<Scaling>> {
    let file = load_brand_file()?;
    let mut generator = Generator::new(5, 5, partitions);
    let originals: Vec<RawMention> = (0..mentions)
        .map(|_| generator.next_mention(Utc::now()).1)
        .collect();
    let now = Utc::now().timestamp() as u32;
    let mut out = Vec::new();
    for brands in [10usize, 100, 1000] {
        let mut list = file.brands.clone();
        list.extend(synthetic_brands(brands.saturating_sub(list.len())));
        let enricher = Enricher::new(&list, &file.enrichment)?;
        for target_bytes in [200, 2000] {
            let mut text_total = 0;
            let payloads: Vec<Vec<u8>> = originals
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    m.text = resized(&m.text, target_bytes);
                    text_total += m.text.len();
                    serde_json::to_vec(&m)
                })
                .collect::<Result<_, _>>()?;
            let text_bytes = text_total as f64 / mentions as f64;
            let transform = |offset: usize, payload: &[u8]| -> bool {
                let mention = RawMention::decode(payload).expect("generated payloads decode");
                let Some(tags) = enricher.enrich_matched(&mention) else {
                    return false;
                };
                let position = KafkaPosition {
                    partition: 0,
                    offset: offset as i64,
                };
                std::hint::black_box(mention_rows(&mention, &tags, position, now));
                true
            };
            // Warm caches and lazily built tables first, so the order of rows is no factor.
            for (offset, payload) in payloads.iter().enumerate().take(2_000) {
                transform(offset, payload);
            }
            let mut matched = 0;
            let before = thread_cpu_ns().ok_or("no /proc/thread-self/schedstat")?;
            for (offset, payload) in payloads.iter().enumerate() {
                matched += usize::from(transform(offset, payload));
            }
            let used = thread_cpu_ns().ok_or("no /proc/thread-self/schedstat")? - before;

            out.push(Scaling {
                brands: list.len(),
                target_bytes,
                text_bytes,
                mentions,
                matched,
                cpu_us: used as f64 / 1e3 / mentions as f64,
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// Phase 3: produce-to-visible latency at a fixed rate
// ---------------------------------------------------------------------------------

struct Latency {
    rate_target: u64,
    produced: usize,
    rate_achieved: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    unseen: usize,
    peak_kb: Option<u64>,
    cpu: Vec<(&'static str, f64, f64, f64)>,
    metrics: Metrics,
}

/// Per-partition visible counts, read from the minute rollup's platform dimension.
async fn visible_per_partition(ns: &Namespace, partitions: i32) -> AnyResult<Vec<u64>> {
    let body = ns
        .query("SELECT platform, sum(mentions) FROM {db}.rollup_minute GROUP BY platform")
        .await?;
    let mut counts = vec![0u64; partitions as usize];
    for line in body.lines() {
        if let Some((platform, n)) = line.split_once('\t')
            && let Some(p) = Generator::partition_of(partitions, platform)
        {
            counts[p as usize] += n.parse::<u64>().unwrap_or(0);
        }
    }
    Ok(counts)
}

async fn latency(ns: &Namespace, args: &Args) -> AnyResult<Latency> {
    let port = free_port();
    let mut processor = ns.spawn_processor(&format!("{}.process", ns.name), port)?;
    let producer = ns.kafka.producer()?;
    let topic = ns.raw_topic();
    let mut generator = Generator::new(3, 3, args.partitions);

    // Warm up: the group join and first batch are not part of the figure.
    let warmup = 50 * args.partitions as usize;
    let mut deliveries = Vec::new();
    for _ in 0..warmup {
        let record = generator.next_record(Utc::now());
        deliveries.push(settle(send(&producer, &topic, &record).await?));
    }
    for delivery in futures::future::join_all(deliveries).await {
        delivery?;
    }
    let started = Instant::now();
    loop {
        processor.check_alive()?;
        let visible: u64 = visible_per_partition(ns, args.partitions)
            .await?
            .iter()
            .sum();
        if visible >= warmup as u64 {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err("warm-up mentions never became visible".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    log(format!(
        "  warm-up visible after {:.1} s (includes group join)",
        started.elapsed().as_secs_f64()
    ));

    // The visibility sampler: (time the answer arrived, visible count per partition).
    type Samples = Vec<(Instant, Vec<u64>)>;
    let samples: Arc<Mutex<Samples>> = Arc::default();
    let stop_sampling = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let samples = samples.clone();
        let stop = stop_sampling.clone();
        let ns_db = Namespace {
            name: ns.name.clone(),
            kafka: ns.kafka.clone(),
            clickhouse: ns.clickhouse.clone(),
            store: ns.store.clone(),
        };
        let partitions = args.partitions;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                if let Ok(counts) = visible_per_partition(&ns_db, partitions).await {
                    samples.lock().unwrap().push((Instant::now(), counts));
                }
            }
        })
    };

    // Produce at the target rate; keep each record's send time by (partition, offset).
    let cpu = CpuWindow::start(&[processor.pid]);
    let total = (args.rate * args.duration) as usize;
    // Per partition: (offset, send time).
    type SendTimes = Vec<Vec<(i64, Instant)>>;
    let send_times: Arc<Mutex<SendTimes>> =
        Arc::new(Mutex::new(vec![Vec::new(); args.partitions as usize]));
    let mut in_flight = FuturesUnordered::new();
    let begin = Instant::now();
    let mut sent = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut last_report = Instant::now();
    while sent < total {
        tick.tick().await;
        let due = ((begin.elapsed().as_secs_f64() * args.rate as f64) as usize).min(total);
        while sent < due {
            let record = generator.next_record(Utc::now());
            let at = Instant::now();
            let delivery = send(&producer, &topic, &record).await?;
            in_flight.push(async move { settle(delivery).await.map(|(p, o)| (p, o, at)) });
            sent += 1;
        }
        while let Some(Some(result)) = futures::FutureExt::now_or_never(in_flight.next()) {
            let (p, o, at) = result?;
            send_times.lock().unwrap()[p as usize].push((o, at));
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            log(format!("  sent {sent}/{total}"));
        }
    }
    let produce_seconds = begin.elapsed().as_secs_f64();
    while let Some(result) = in_flight.next().await {
        let (p, o, at) = result?;
        send_times.lock().unwrap()[p as usize].push((o, at));
    }

    // Wait until everything is visible (or give up after 60 s).
    let last_offsets: Vec<i64> = send_times
        .lock()
        .unwrap()
        .iter()
        .map(|v| v.iter().map(|(o, _)| *o).max().unwrap_or(-1))
        .collect();
    let waited = Instant::now();
    loop {
        processor.check_alive()?;
        let all_visible = samples.lock().unwrap().last().is_some_and(|(_, counts)| {
            counts
                .iter()
                .zip(&last_offsets)
                .all(|(c, last)| *c as i64 > *last)
        });
        if all_visible || waited.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu = cpu.finish();
    stop_sampling.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.await;
    let peak_kb = proc_status_kb(processor.pid, "VmHWM:");
    let metrics = processor.metrics().await.unwrap_or_default();
    processor.stop();

    // Every mention's latency: the first sample whose count for its partition covers
    // its offset, minus its send time.
    let samples = samples.lock().unwrap();
    let mut latencies = Vec::with_capacity(total);
    let mut unseen = 0;
    for (p, sends) in send_times.lock().unwrap().iter_mut().enumerate() {
        sends.sort_by_key(|(o, _)| *o);
        let mut s = 0;
        for (offset, at) in sends.iter() {
            while s < samples.len() && samples[s].1[p] as i64 <= *offset {
                s += 1;
            }
            match samples.get(s) {
                Some((visible_at, _)) => {
                    latencies.push(visible_at.saturating_duration_since(*at).as_secs_f64())
                }
                None => unseen += 1,
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Latency {
        rate_target: args.rate,
        produced: total,
        rate_achieved: total as f64 / produce_seconds,
        p50: pct(0.50),
        p90: pct(0.90),
        p99: pct(0.99),
        max: latencies.last().copied().unwrap_or(f64::NAN),
        unseen,
        peak_kb,
        cpu,
        metrics,
    })
}

// ---------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------

fn mib(kb: Option<u64>) -> String {
    kb.map_or("n/a".into(), |kb| format!("{:.0} MiB", kb as f64 / 1024.0))
}

fn cpu_table(out: &mut String, title: &str, cpu: &[(&'static str, f64, f64, f64)]) {
    let _ = writeln!(
        out,
        "\n{title}\n\n| process | CPU seconds | cores busy (avg) | runnable but waiting for a CPU (s, all threads) |\n|---|---:|---:|---:|"
    );
    for (name, secs, cores, waited) in cpu {
        let _ = writeln!(out, "| {name} | {secs:.1} | {cores:.2} | {waited:.1} |");
    }
}

fn batch_stats(out: &mut String, m: &Metrics, wall: f64) {
    let count = m.get("earshot_processor_batch_write_seconds_count");
    let sum = m.get("earshot_processor_batch_write_seconds_sum");
    if count > 0.0 {
        let _ = writeln!(
            out,
            "\nProcessor metrics: {count:.0} batches of {:.0} records on average; writes (dedup \
             lookup, INSERT, rollup recompute, commit; consumption and enrichment of the next \
             batch go on meanwhile) took {sum:.1} s in all = {:.0}% of the wall time; flush p50 {:.3} s, p99 {:.3} s.",
            m.get("earshot_processor_batch_records_sum") / count,
            100.0 * sum / wall,
            m.get("earshot_processor_batch_write_seconds{quantile=\"0.5\"}"),
            m.get("earshot_processor_batch_write_seconds{quantile=\"0.99\"}"),
        );
        let steps: Vec<String> = [
            ("dedup_lookup", "dedup lookup"),
            ("insert_rows", "rows INSERT"),
            ("recompute_minute", "minute recompute"),
            ("recompute_hour", "hour recompute"),
            ("recompute_day", "day recompute"),
        ]
        .iter()
        .map(|(step, name)| {
            let sum = m.get(&format!(
                "earshot_storage_write_step_seconds_sum{{step=\"{step}\"}}"
            ));
            format!("{name} {sum:.1} s")
        })
        .collect();
        let _ = writeln!(
            out,
            "Write time by step (`earshot_storage_write_step_seconds`): {}.",
            steps.join(", ")
        );
    }
}

/// EARSHOT_* overrides in effect (values of secrets are not printed).
fn overrides() -> String {
    let vars: Vec<String> = std::env::vars()
        .filter(|(k, _)| {
            k.starts_with("EARSHOT_") && !k.contains("PASSWORD") && k != "EARSHOT_LOCAL_DIR"
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if vars.is_empty() {
        "none".into()
    } else {
        vars.join(" ")
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(error) = run(args).await {
        eprintln!("load bench failed: {error}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> AnyResult<()> {
    let binary = earshot_bin();
    if !binary.exists() {
        return Err(format!(
            "{} is missing; run `cargo build --release`",
            binary.display()
        )
        .into());
    }
    log("starting the local stack (deploy/local/up.sh)");
    let up = Command::new("bash")
        .arg(repo_root().join("deploy/local/up.sh"))
        .output()?;
    if !up.status.success() {
        return Err(format!(
            "deploy/local/up.sh failed:\n{}",
            String::from_utf8_lossy(&up.stderr)
        )
        .into());
    }
    let run_id = format!("bench_{}", Utc::now().format("%Y%m%d%H%M%S"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Load run {run_id}\n\nCommand: `cargo bench --bench load -- {}`  \nBinary: {}  \n\
         Machine: {} cores ({}), load average before the run {}  \nProcessor overrides: {}  \n\
         Partitions: {}",
        std::env::args()
            .skip(1)
            .filter(|a| a != "--bench")
            .collect::<Vec<_>>()
            .join(" "),
        binary.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_average(),
        overrides(),
        args.partitions,
    );

    let enricher = load_enricher()?;
    validate_generator(&enricher, args.partitions)?;
    let mut cleanup = Vec::new();

    // Phase 1.
    let mut backlog_peak = None;
    if args.runs("backlog") {
        log(format!("phase 1: backlog of {} mentions", args.mentions));
        let ns = Namespace::new(&run_id, "backlog", args.partitions).await?;
        let mut generator = Generator::new(1, 1, args.partitions);
        let produced =
            produce_backlog(&ns, &mut generator, args.mentions, args.backlog_span).await?;
        log(format!(
            "  produced {} in {:.1} s ({:.0}/s, {:.0} bytes each)",
            produced.records,
            produced.seconds,
            produced.records as f64 / produced.seconds,
            produced.bytes as f64 / produced.records as f64
        ));
        log("  (a) bare consumer");
        let a = bare_consumer(&ns, args.mentions).await?;
        log(format!("  (a) {:.0} mentions/s", a.rate()));
        log("  (b) earshot process");
        let (b, _) = processor_backlog(&ns, args.mentions).await?;
        log(format!("  (b) {:.0} mentions/s", b.rate()));
        let rollup = ns
            .query_u64("SELECT sum(mentions) FROM {db}.rollup_minute")
            .await?;
        backlog_peak = b.peak_kb;
        let _ = writeln!(
            out,
            "\n### 1. Backlog throughput ({} mentions, {:.0} bytes per record on average)\n\n\
             Produced in {:.1} s ({:.0}/s, idempotent producer, acks=all).\n\n\
             | consumer | mentions/s | seconds (first record to last) | start-up to first record | peak memory (VmHWM) |\n\
             |---|---:|---:|---:|---:|\n\
             | (a) bare consumer, read and discard | {:.0} | {:.2} | {:.1} s | n/a |\n\
             | (b) `earshot process` into ClickHouse | {:.0} | {:.2} | {:.1} s | {} |\n\n\
             **b/a = {:.2}** (goal >= 0.5). Rows in `mentions`: {}; `sum(mentions)` in `rollup_minute`: {rollup}.",
            args.mentions,
            produced.bytes as f64 / produced.records as f64,
            produced.seconds,
            produced.records as f64 / produced.seconds,
            a.rate(),
            a.seconds,
            a.startup,
            b.rate(),
            b.seconds,
            b.startup,
            mib(b.peak_kb),
            b.rate() / a.rate(),
            args.mentions,
        );
        cpu_table(&mut out, "CPU during (a):", &a.cpu);
        cpu_table(
            &mut out,
            "CPU during (b), from spawn to the last row visible:",
            &b.cpu,
        );
        if let Some((_, secs, _, _)) = b.cpu.iter().find(|(n, ..)| *n == "earshot process") {
            let _ = writeln!(
                out,
                "\n`earshot process` used {:.1} µs of CPU per mention.",
                secs * 1e6 / args.mentions as f64
            );
        }
        batch_stats(&mut out, &b.metrics, b.seconds);

        let batch_rows = std::env::var("EARSHOT_PROCESSOR__MAX_BATCH_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| earshot_processor::ProcessorConfig::default().max_batch_rows);
        let mut c_rate = None;
        if args.runs("clickhouse") {
            log("  (c) ClickHouse alone, prepared rows from one client");
            let (rate, rows, cpu) = clickhouse_alone(
                &run_id,
                &enricher,
                args.partitions,
                args.mentions,
                batch_rows,
                args.backlog_span,
            )
            .await?;
            log(format!("  (c) {rate:.0} rows/s"));
            c_rate = Some(rate);
            let limit = rate.min(a.rate());
            let _ = writeln!(
                out,
                "\n(c) ClickHouse alone: the same {rows} rows, prepared beforehand, written from \
                 one client through the same write path (`Store::insert_mentions`: rows, then \
                 the touched rollup buckets recomputed) in batches of {batch_rows}: \
                 **{rate:.0} rows/s**.\n\n\
                 **b / min(a, c) = {:.2}** (target >= 0.7; min(a, c) = {limit:.0}/s).",
                b.rate() / limit,
            );
            cpu_table(&mut out, "CPU during (c):", &cpu);
        }

        if args.runs("instances") {
            log("  (b2) two `earshot process` instances in one group");
            let ns2 = Namespace::new(&run_id, "instances", args.partitions).await?;
            let mut generator = Generator::new(1, 1, args.partitions);
            produce_backlog(&ns2, &mut generator, args.mentions, args.backlog_span).await?;
            let (b2, _) = processors_backlog(&ns2, args.mentions, 2).await?;
            log(format!("  (b2) {:.0} mentions/s", b2.rate()));
            let per_mention = |t: &Throughput| {
                processor_cpu_seconds(&t.cpu).map_or("n/a".to_string(), |s| {
                    format!("{:.1} µs", s * 1e6 / t.records as f64)
                })
            };
            let _ = writeln!(
                out,
                "\n#### One against two processor instances (same backlog, same group)\n\n\
                 | instances | mentions/s | processors' CPU per mention | peak memory (VmHWM, per instance) |\n\
                 |---:|---:|---:|---:|\n\
                 | 1 | {:.0} | {} | {} |\n\
                 | 2 | {:.0} | {} | {} |\n\n\
                 Two instances: **{:.2}x** one.{}",
                b.rate(),
                per_mention(&b),
                mib(b.peak_kb),
                b2.rate(),
                per_mention(&b2),
                mib(b2.peak_kb),
                b2.rate() / b.rate(),
                c_rate.map_or(String::new(), |c| format!(
                    " (c) was {c:.0}/s: on 2 cores the broker, ClickHouse and the processors share the CPUs."
                )),
            );
            cpu_table(&mut out, "CPU during (b2):", &b2.cpu);
            cleanup.push(ns2);
        }

        if args.runs("breakdown") {
            log("phase 2: per-mention breakdown");
            let d = breakdown(&run_id, Some(&ns), &enricher, args.partitions, 20_000).await?;
            write_breakdown(&mut out, &d);
        }
        cleanup.push(ns);
    } else if args.runs("breakdown") {
        log("phase 2: per-mention breakdown");
        let d = breakdown(&run_id, None, &enricher, args.partitions, 20_000).await?;
        write_breakdown(&mut out, &d);
    }

    // Phase 3.
    if args.runs("latency") {
        log(format!(
            "phase 3: latency at {}/s for {} s",
            args.rate, args.duration
        ));
        let ns = Namespace::new(&run_id, "latency", args.partitions).await?;
        let l = latency(&ns, &args).await?;
        let _ = writeln!(
            out,
            "\n### 3. Produce-to-visible latency at {} mentions/s for {} s\n\n\
             Sent {} mentions at {:.0}/s achieved. Latency = time a mention was handed to the \
             producer -> first 50 ms poll of `rollup_minute` that counts it (so it includes up \
             to ~50 ms of polling granularity).\n\n\
             | p50 | p90 | p99 | max | not visible after 60 s | peak memory (VmHWM) |\n\
             |---:|---:|---:|---:|---:|---:|\n\
             | {:.3} s | {:.3} s | {:.3} s | {:.3} s | {} | {} |",
            l.rate_target,
            args.duration,
            l.produced,
            l.rate_achieved,
            l.p50,
            l.p90,
            l.p99,
            l.max,
            l.unseen,
            mib(l.peak_kb),
        );
        cpu_table(&mut out, "CPU during the latency phase:", &l.cpu);
        batch_stats(&mut out, &l.metrics, args.duration as f64);
        cleanup.push(ns);
    }

    // Phase 4.
    if args.runs("memory") && args.memory_mentions > 0 {
        log(format!(
            "phase 4: memory with a backlog of {} mentions",
            args.memory_mentions
        ));
        let ns = Namespace::new(&run_id, "memory", args.partitions).await?;
        let mut generator = Generator::new(4, 4, args.partitions);
        let produced =
            produce_backlog(&ns, &mut generator, args.memory_mentions, args.backlog_span).await?;
        log(format!(
            "  produced {} in {:.1} s",
            produced.records, produced.seconds
        ));
        let (m, peak_rss) = processor_backlog(&ns, args.memory_mentions).await?;
        let _ = writeln!(
            out,
            "\n### 4. Memory against backlog size\n\n\
             | backlog | `earshot process` mentions/s | peak memory (VmHWM) | highest sampled RSS |\n\
             |---:|---:|---:|---:|"
        );
        if let Some(kb) = backlog_peak {
            let _ = writeln!(
                out,
                "| {} | (phase 1) | {} | |",
                args.mentions,
                mib(Some(kb))
            );
        }
        let _ = writeln!(
            out,
            "| {} | {:.0} | {} | {} |",
            args.memory_mentions,
            m.rate(),
            mib(m.peak_kb),
            mib(Some(peak_rss))
        );
        batch_stats(&mut out, &m.metrics, m.seconds);
        cleanup.push(ns);
    }

    // Phase 5.
    if args.runs("scaling") {
        log("phase 5: transform CPU per mention by brand count and post length");
        let rows = scaling(args.partitions, 20_000)?;
        let _ = writeln!(
            out,
            "\n### 5. The transform's CPU per mention by brand count and post length\n\n\
             In this process, one thread, 20,000 generated mentions per row: decode, brand \
             scan, tags and rows, as `earshot process` runs them per record; CPU time from \
             `/proc/thread-self/schedstat`. The configured brands plus synthetic ones that no \
             post names.\n\n\
             | brands | text bytes (target / mean) | matched | CPU per mention | mentions per CPU-second |\n\
             |---:|---:|---:|---:|---:|"
        );
        for r in &rows {
            let _ = writeln!(
                out,
                "| {} | {} / {:.0} | {} of {} | {:.1} µs | {:.0} |",
                r.brands,
                r.target_bytes,
                r.text_bytes,
                r.matched,
                r.mentions,
                r.cpu_us,
                1e6 / r.cpu_us,
            );
        }
    }

    let _ = writeln!(out, "\nLoad average after the run: {}", load_average());
    println!("\n{out}");
    if args.keep {
        log(format!("kept databases and topics of {run_id}"));
    } else {
        for ns in &cleanup {
            ns.drop_everything().await;
        }
    }
    Ok(())
}

fn write_breakdown(out: &mut String, d: &Breakdown) {
    let _ = writeln!(
        out,
        "\n### 2. Where one mention's time goes (harness process, one thread, {} mentions of \
         {:.0} bytes)\n\n\
         | step | cost |\n|---|---:|\n\
         | decode (`RawMention::decode`, JSON incl. `raw`) | {:.1} µs/mention |\n\
         | decode with `raw` skipped (`serde::de::IgnoredAny`), for comparison | {:.1} µs/mention |\n\
         | enrich (`Enricher::enrich`) | {:.1} µs/mention |\n\
         | build rows (`mention_rows`) | {:.1} µs/mention |\n\
         | dedup lookup of a {}-row batch (`stored_mention_ids`, ids present) | {:.0} ms = {:.1} µs/row |\n\
         | INSERT of the same batch (`insert_mentions`, feeds 4 views) | {:.0} ms = {:.1} µs/row |\n\n\
         Single-thread ceiling of decode + enrich + rows: {:.0} mentions/s.",
        d.mentions,
        d.payload_bytes,
        d.decode_us,
        d.lean_decode_us,
        d.enrich_us,
        d.rows_us,
        d.batch,
        d.lookup_ms,
        d.lookup_ms * 1e3 / d.batch as f64,
        d.insert_ms,
        d.insert_ms * 1e3 / d.batch as f64,
        1e6 / (d.decode_us + d.enrich_us + d.rows_us),
    );
}
