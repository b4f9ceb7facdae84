//! The processor under failure, on the real stack: repeated SIGKILLs over 100,000
//! mentions, a processor dying beside another, ClickHouse stopped or killed mid-stream and the
//! broker frozen for 30 seconds. After each, the raw table and every rollup must equal
//! what was produced: nothing lost, nothing doubled.
//!
//! These tests stop shared servers, so they run one at a time.

mod support;

use std::time::Duration;

use support::mentions::{self, Rng};
use support::{TestEnv, assert_matches_truth, eventually, kill9, rows};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

#[tokio::test(flavor = "multi_thread")]
async fn repeated_sigkill_over_100k_mentions_loses_and_doubles_nothing() {
    let _serial = SERIAL.lock().await;
    let env = TestEnv::new("kill100k").await;
    let input = mentions::generate(100_000, 120, 11, 5_000_000);
    env.produce_mentions(&input).await;

    let mut rng = Rng::new(2026);
    let settings = [("EARSHOT_PROCESSOR__MAX_BATCH_ROWS", "3000")];
    let mut kills = 0;
    while kills < 5 {
        let before = rows(&env).await;
        let mut child = env.spawn_processor(&settings, &[]);
        eventually(
            "progress after a restart",
            Duration::from_secs(120),
            || async { rows(&env).await > before },
        )
        .await;
        tokio::time::sleep(Duration::from_millis(rng.below(1500))).await;
        kill9(&mut child);
        kills += 1;
        if rows(&env).await >= input.len() as u64 {
            break;
        }
    }
    assert!(
        kills >= 3,
        "the stream ended before three kills; make it longer"
    );
    env.process_until_idle(&[]);
    assert_matches_truth(&env, &input).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_processor_takes_over_when_one_is_killed() {
    let _serial = SERIAL.lock().await;
    let env = TestEnv::new("twoproc").await;
    let input = mentions::generate(40_000, 60, 12, 7_000_000);
    env.produce_mentions(&input).await;

    let settings = [("EARSHOT_PROCESSOR__MAX_BATCH_ROWS", "1000")];
    let mut doomed = env.spawn_processor(&settings, &[]);
    let mut survivor = env.spawn_processor(&settings, &[]);
    eventually(
        "both processors to start writing",
        Duration::from_secs(120),
        || async { rows(&env).await > 5_000 },
    )
    .await;
    kill9(&mut doomed);
    eventually(
        "the survivor to finish the stream",
        Duration::from_secs(240),
        || async { rows(&env).await >= input.len() as u64 },
    )
    .await;
    // SIGTERM drains and exits cleanly.
    support::signal(survivor.id() as i32, "TERM");
    let status = survivor.wait().expect("survivor exit");
    assert!(
        status.success(),
        "the survivor should drain and exit 0 on SIGTERM, got {status}"
    );
    assert_matches_truth(&env, &input).await;
}

/// Runs one processor over `count` mentions, applies `disrupt` once it is writing,
/// waits for it to catch up, stops it with SIGTERM (which must drain and exit 0) and
/// checks the result against the truth.
async fn survive<F, Fut>(test: &str, count: usize, seed: u64, extra: &[(&str, &str)], disrupt: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let env = TestEnv::new(test).await;
    let input = mentions::generate(count, 60, seed, seed * 1_000_000);
    env.produce_mentions(&input).await;

    let mut settings = vec![
        ("EARSHOT_PROCESSOR__MAX_BATCH_ROWS", "1000"),
        ("EARSHOT_PROCESSOR__MAX_RETRY_BACKOFF_MS", "1000"),
    ];
    settings.extend_from_slice(extra);
    let mut processor = env.spawn_processor(&settings, &[]);
    eventually(
        "the processor to start writing",
        Duration::from_secs(120),
        || async { rows(&env).await > 0 },
    )
    .await;
    disrupt().await;
    assert!(
        processor.try_wait().expect("processor status").is_none(),
        "the processor must survive the outage"
    );
    eventually(
        "the processor to catch up",
        Duration::from_secs(240),
        || async { rows(&env).await >= input.len() as u64 },
    )
    .await;
    // Give a possibly redelivered tail time to arrive before judging.
    tokio::time::sleep(Duration::from_secs(3)).await;
    support::signal(processor.id() as i32, "TERM");
    assert!(
        processor.wait().expect("exit").success(),
        "SIGTERM drains and exits 0"
    );
    assert_matches_truth(&env, &input).await;
}

/// ClickHouse crashing (SIGKILL) in the middle of the processor's writes, twice: an
/// INSERT or a rollup recompute cut off part-way must neither double nor drop a bucket.
#[tokio::test(flavor = "multi_thread")]
async fn clickhouse_killed_mid_insert_twice_leaves_every_grain_exact() {
    let _serial = SERIAL.lock().await;
    survive("chkill", 30_000, 14, &[], || async {
        for crash in 0..2 {
            let clickhouse = support::stack_pid("clickhouse");
            support::signal(clickhouse, "KILL");
            eventually("ClickHouse to die", Duration::from_secs(30), || async {
                !std::path::Path::new(&format!("/proc/{clickhouse}")).exists()
            })
            .await;
            support::restart_stack();
            if crash == 0 {
                // Let the processor get back into its writes before the second crash.
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clickhouse_stopped_mid_stream_delays_but_loses_nothing() {
    let _serial = SERIAL.lock().await;
    survive("chdown", 30_000, 13, &[], || async {
        let clickhouse = support::stack_pid("clickhouse");
        support::signal(clickhouse, "TERM");
        eventually("ClickHouse to stop", Duration::from_secs(60), || async {
            !std::path::Path::new(&format!("/proc/{clickhouse}")).exists()
        })
        .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        support::restart_stack();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_frozen_for_30_seconds_then_resumed_loses_nothing() {
    let _serial = SERIAL.lock().await;
    // A session longer than the freeze: the processor stays in its group. (Expelled
    // during a freeze, it was seen not to resume once on Apache Kafka: an open bug,
    // see issue 14; a broker that dies and restarts is tests/broker.rs.)
    survive(
        "frozen",
        30_000,
        14,
        &[("EARSHOT_KAFKA__SESSION_TIMEOUT_MS", "45000")],
        || async {
            let broker = support::broker_pid();
            support::signal(broker, "STOP");
            tokio::time::sleep(Duration::from_secs(30)).await;
            support::signal(broker, "CONT");
        },
    )
    .await;
}
