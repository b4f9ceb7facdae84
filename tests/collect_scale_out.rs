//! Scale-out of `earshot collect`: two processes split one job list through the collector
//! consumer group; one is SIGKILLed and the survivor takes its jobs over. Polls are
//! counted where they land, on a Mastodon-shaped replay server, and each process's log
//! says which jobs it ran.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use earshot_collectors::jobs::Schedule;
use earshot_replay::{Dataset, ReplayServer};
use support::{TestEnv, repo_root, signal};

/// Longer than a takeover on Tansu (session timeout 6 s + about 5 s to rejoin, measured
/// at 11 s on a quiet machine), with room for a loaded one: an interval shorter than the
/// takeover sees one slot skipped (8 s does).
const INTERVAL: Duration = Duration::from_secs(20);
const JOBS: usize = 16;

fn unix_ms(at: Instant) -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    (now - at.elapsed()).as_millis() as i64
}

fn now_ms() -> i64 {
    unix_ms(Instant::now())
}

fn tags() -> Vec<String> {
    (0..JOBS).map(|i| format!("quiet{i}")).collect()
}

fn job_id(server: &ReplayServer, tag: &str) -> String {
    format!("mastodon:{}#{tag}", server.addr())
}

/// Unix-ms times of the polls of each tag's timeline (each poll of a hashtag nobody
/// used is exactly one request).
fn polls(server: &ReplayServer) -> BTreeMap<String, Vec<i64>> {
    let mut polls: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for request in server.requests() {
        if let Some(rest) = request
            .path_and_query
            .strip_prefix("/api/v1/timelines/tag/")
        {
            let tag = rest.split('?').next().unwrap().to_string();
            polls.entry(tag).or_default().push(unix_ms(request.at));
        }
    }
    polls
}

fn spawn_collector(env: &TestEnv, config: &std::path::Path, name: &str) -> Child {
    let log = std::fs::File::create(repo_root().join(format!("target/test-logs/{name}.log")))
        .expect("log file");
    env.earshot()
        .arg("--config")
        .arg(config)
        .args(["--log-format", "json", "collect", "--metrics-listen", ""])
        .env("RUST_LOG", "warn,earshot_collectors=info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("starting earshot collect")
}

/// The jobs a collector's (JSON) log says it polled between `from_ms` and `to_ms`.
fn jobs_polled_by(name: &str, from_ms: i64, to_ms: i64) -> BTreeSet<String> {
    let log = std::fs::read_to_string(repo_root().join(format!("target/test-logs/{name}.log")))
        .unwrap_or_default();
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["fields"]["message"] == "poll done")
        .filter(|event| {
            let at = event["timestamp"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map_or(0, |t| t.timestamp_millis());
            (from_ms..=to_ms).contains(&at)
        })
        .filter_map(|event| event["fields"]["job"].as_str().map(str::to_string))
        .collect()
}

/// A moment at least 300 ms away from every job's slot start, so the kill lands between
/// polls: a process killed mid-poll has taken that slot by design, which would make
/// "polled once" ambiguous for that one slot.
fn quiet_moment(schedules: &[Schedule], after_ms: i64) -> i64 {
    let mut t = after_ms;
    loop {
        let clear = schedules.iter().all(|s| {
            let slot = s.slot_at(t);
            let previous = s.slot_start(slot);
            let next = s.slot_start(slot + 1);
            t - previous >= 300 && next - t >= 300
        });
        if clear {
            return t;
        }
        t += 50;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_poll_every_job_once_per_interval_even_when_one_dies() {
    let env = TestEnv::new("scale_out").await;
    std::fs::create_dir_all(repo_root().join("target/test-logs")).unwrap();
    let server = earshot_replay::start(
        Dataset::from_files([repo_root().join("samples/mastodon/statuses.json")]).unwrap(),
    )
    .await
    .unwrap();
    let tags = tags();
    let config = tempfile::NamedTempFile::new().unwrap();
    let quoted: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
    std::fs::write(
        config.path(),
        format!(
            r#"
[[brands]]
name = "Quiet"
hashtags = [{tags}]

[collectors]
poll_interval_ms = {interval}

[collectors.mastodon]
instances = ["{url}"]
"#,
            tags = quoted.join(", "),
            interval = INTERVAL.as_millis(),
            url = server.base_url(),
        ),
    )
    .unwrap();
    let schedules: Vec<Schedule> = tags
        .iter()
        .map(|t| Schedule::new(&job_id(&server, t), INTERVAL))
        .collect();

    let name_a = format!("{}-collect-a", env.name);
    let name_b = format!("{}-collect-b", env.name);
    let mut a = spawn_collector(&env, config.path(), &name_a);
    let mut b = spawn_collector(&env, config.path(), &name_b);

    // Wait until the group has settled: both members poll, and every job has been
    // polled since the last rebalance.
    let settle_deadline = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(
            Instant::now() < settle_deadline,
            "the two collectors never both polled; logs in target/test-logs/{name_a}.log and {name_b}.log"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (by_a, by_b) = (
            jobs_polled_by(&name_a, 0, i64::MAX),
            jobs_polled_by(&name_b, 0, i64::MAX),
        );
        if !by_a.is_empty() && !by_b.is_empty() && polls(&server).len() == JOBS {
            break;
        }
    }
    // From here on, every slot must hold exactly one poll of every job.
    let window_start = now_ms();
    let kill_at = quiet_moment(
        &schedules,
        window_start + 3 * INTERVAL.as_millis() as i64 / 2,
    );
    tokio::time::sleep(Duration::from_millis((kill_at - now_ms()).max(0) as u64)).await;
    signal(a.id() as i32, "KILL");
    a.wait().unwrap();
    // The survivor notices after the session timeout (6 s) and takes A's jobs over.
    tokio::time::sleep(3 * INTERVAL).await;
    let window_end = now_ms();
    signal(b.id() as i32, "TERM");
    let status = b.wait().unwrap();
    assert!(status.success(), "collector B exited with {status}");

    // Before the kill the two split the jobs; after it the survivor runs them all.
    let all: BTreeSet<String> = tags.iter().map(|t| job_id(&server, t)).collect();
    let jobs_of_a = jobs_polled_by(&name_a, window_start, kill_at);
    let jobs_of_b = jobs_polled_by(&name_b, window_start, kill_at);
    assert!(
        !jobs_of_a.is_empty() && !jobs_of_b.is_empty() && jobs_of_a.is_disjoint(&jobs_of_b),
        "the collectors should split the jobs: A {jobs_of_a:?}, B {jobs_of_b:?}"
    );
    assert_eq!(&jobs_of_a | &jobs_of_b, all);
    let takeover_done = kill_at + 2 * INTERVAL.as_millis() as i64;
    assert_eq!(
        jobs_polled_by(&name_b, takeover_done, window_end),
        all,
        "the survivor took every job over"
    );

    let polls = polls(&server);
    let mut problems = Vec::new();
    for (tag, schedule) in tags.iter().zip(&schedules) {
        let times = &polls[tag];
        let first = schedule.slot_at(window_start) + 1;
        let last = schedule.slot_at(window_end) - 1;
        for slot in first..=last {
            let n = times
                .iter()
                .filter(|t| schedule.slot_at(**t) == slot)
                .count();
            if n != 1 {
                problems.push(format!("{tag} slot {slot}: {n} polls"));
            }
        }
        assert!(last - first >= 2, "the window should span several slots");
    }
    assert!(
        problems.is_empty(),
        "every job must be polled exactly once per interval (A killed at {kill_at}): {problems:#?}"
    );
}
