//! Scale-out: several `earshot collect` processes split the jobs through a Kafka consumer
//! group on `collector.jobs`.
//!
//! Every process builds the same job list from the same configuration, and each job
//! belongs to one partition of `collector.jobs` (a stable hash of its id). The group
//! assigns each partition to one member; a member runs exactly the jobs of its
//! partitions. When a member dies, the coordinator notices after `session.timeout.ms`
//! and hands its partitions to the others; a clean shutdown leaves the group at once.
//! No records are needed on the topic: its partitions are only the unit of ownership.
//!
//! Handing a job over never polls it twice in one interval: polls happen in fixed slots
//! ([`crate::jobs::Schedule`]) and a poll first records its slot next to the job's cursor,
//! which the new owner reads before its first poll. A revoked job is told to stop inside
//! the rebalance callback and finishes only the poll it is in, whose slot the new owner
//! then skips. A member too stalled to heartbeat is presumed dead, as in every consumer
//! group; if it comes back mid-poll, its cursor repeats at most a page, which the
//! processor drops by mention id.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use earshot_kafka::KafkaConfig;
use earshot_model::topics;
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::error::Error;
use crate::internal_events::OwnershipChanged;
use crate::jobs::{Job, JobContext, RunReport, count_panic, fnv1a, panic_message, run_forever};
use earshot_runtime::InternalEvent;

/// The partition of `collector.jobs` that owns `job_id`, out of `partitions`.
pub fn partition_of(job_id: &str, partitions: i32) -> i32 {
    (fnv1a(job_id.as_bytes()) % partitions.max(1) as u64) as i32
}

/// The consumer group for a process collecting `platforms` (all when empty). Processes
/// that run different platform subsets must not share a group, or one would own
/// partitions whose jobs it does not have.
pub fn group_id(base: &str, platforms: &[earshot_model::Platform]) -> String {
    if platforms.is_empty() {
        return base.to_string();
    }
    let mut names: Vec<&str> = platforms.iter().map(|p| p.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    format!("{base}.{}", names.join("+"))
}

/// Which partitions this member owns and the task running each one's jobs. Rebalance
/// callbacks and the driver loop both go through it, under one lock, so a partition
/// revoked before its jobs started never starts them.
#[derive(Default)]
struct Ownership {
    assigned: HashSet<i32>,
    /// Tells a running partition's jobs to stop after their current poll.
    running: HashMap<i32, watch::Sender<bool>>,
}

struct GroupContext {
    ownership: Arc<Mutex<Ownership>>,
    assigned: mpsc::UnboundedSender<Vec<i32>>,
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let mut ownership = self.ownership.lock().unwrap();
            let mut stopped = 0;
            for element in list.elements() {
                ownership.assigned.remove(&element.partition());
                if let Some(stop) = ownership.running.remove(&element.partition()) {
                    let _ = stop.send(true);
                    stopped += 1;
                }
            }
            tracing::info!(partitions = list.count(), stopped, "collector jobs revoked");
            OwnershipChanged {
                partitions: ownership.assigned.len(),
                jobs: ownership.assigned.is_empty().then_some(0),
            }
            .emit();
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
                {
                    let mut ownership = self.ownership.lock().unwrap();
                    ownership.assigned.extend(&partitions);
                    OwnershipChanged {
                        partitions: ownership.assigned.len(),
                        jobs: None,
                    }
                    .emit();
                }
                let _ = self.assigned.send(partitions);
            }
            Rebalance::Error(error) => tracing::warn!(%error, "collector group rebalance failed"),
            Rebalance::Revoke(_) => {}
        }
    }
}

/// What a member needs to run its share of the jobs.
pub(crate) struct Member<'a> {
    pub kafka: &'a KafkaConfig,
    pub group: String,
    pub interval: Duration,
    pub concurrency: usize,
    pub report: Arc<Mutex<RunReport>>,
}

/// Joins the group and runs the jobs of the partitions it is given until `shutdown`.
pub(crate) async fn run(
    member: Member<'_>,
    jobs: Vec<Arc<dyn Job>>,
    ctx: JobContext,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let topic = member.kafka.topic(topics::COLLECTOR_JOBS);
    let (assigned_tx, mut assigned_rx) = mpsc::unbounded_channel();
    let ownership = Arc::new(Mutex::new(Ownership::default()));
    let context = GroupContext {
        ownership: ownership.clone(),
        assigned: assigned_tx,
    };
    let consumer = Arc::new(member.kafka.consumer_with_context(&member.group, context)?);
    let partitions = partition_count(consumer.clone(), &topic).await?;
    let mut by_partition: HashMap<i32, Vec<Arc<dyn Job>>> = HashMap::new();
    for job in jobs {
        by_partition
            .entry(partition_of(job.id(), partitions))
            .or_default()
            .push(job);
    }
    consumer.subscribe(&[&topic]).map_err(Error::Kafka)?;
    tracing::info!(group = %member.group, topic = %topic, partitions, "joining the collector group");
    let permits = Arc::new(Semaphore::new(member.concurrency));
    let mut job_tasks = JoinSet::new();
    // What each task runs, so a task that panics (outside its poll, which catches its
    // own) is logged, counted and started again instead of silently ending the job.
    let mut running: HashMap<tokio::task::Id, (Arc<dyn Job>, watch::Receiver<bool>)> =
        HashMap::new();
    // Starts a job's task (at assignment, or again after a panic) and remembers it.
    let start = |tasks: &mut JoinSet<()>,
                 running: &mut HashMap<_, _>,
                 job: Arc<dyn Job>,
                 stopped: watch::Receiver<bool>| {
        let task = tasks.spawn(run_forever(
            job.clone(),
            ctx.clone(),
            member.interval,
            permits.clone(),
            member.report.clone(),
            stopped.clone(),
        ));
        running.insert(task.id(), (job, stopped));
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            message = consumer.recv() => {
                // The topic carries no records; recv() is what runs the rebalance
                // callbacks. Errors are librdkafka's (the broker unreachable, say): it
                // retries by itself, and the jobs owned meanwhile keep polling.
                if let Err(error) = message {
                    tracing::warn!(%error, "collector group consumer");
                }
            }
            Some(assigned) = assigned_rx.recv() => {
                // Another member may have polled and moved cursors while we did not own
                // these jobs.
                if let Err(error) = ctx.cursors.refresh().await {
                    tracing::warn!(%error, "could not refresh cursors before taking jobs over");
                }
                let mut ownership = ownership.lock().unwrap();
                let mut started = 0;
                for partition in assigned {
                    if !ownership.assigned.contains(&partition) || ownership.running.contains_key(&partition) {
                        continue;
                    }
                    let jobs = by_partition.get(&partition).cloned().unwrap_or_default();
                    started += jobs.len();
                    let (stop, stopped) = watch::channel(false);
                    for job in jobs {
                        start(&mut job_tasks, &mut running, job, stopped.clone());
                    }
                    ownership.running.insert(partition, stop);
                }
                let owned_jobs: usize = ownership
                    .assigned
                    .iter()
                    .map(|p| by_partition.get(p).map_or(0, Vec::len))
                    .sum();
                tracing::info!(started, owned_jobs, partitions = ?ownership.assigned, "collector jobs assigned");
                OwnershipChanged {
                    partitions: ownership.assigned.len(),
                    jobs: Some(owned_jobs),
                }
                .emit();
            }
            Some(joined) = job_tasks.join_next_with_id(), if !job_tasks.is_empty() => {
                let (id, panic) = match joined {
                    Ok((id, ())) => (id, None),
                    Err(error) => {
                        let id = error.id();
                        (id, error.try_into_panic().ok().map(|p| panic_message(p.as_ref())))
                    }
                };
                let Some((job, stopped)) = running.remove(&id) else { continue };
                if let Some(message) = panic
                    && !*stopped.borrow()
                {
                    count_panic(job.id(), job.platform(), &message);
                    start(&mut job_tasks, &mut running, job, stopped);
                }
            }
        }
    }
    // Shutting down: polls in progress end here; their cursors hold what they produced.
    job_tasks.abort_all();
    // Dropping the consumer closes it, which leaves the group so the others take the
    // jobs over now rather than after the session timeout.
    drop(consumer);
    Ok(())
}

/// How many partitions `topic` has (it was created by `ensure_topics`).
async fn partition_count<C: ConsumerContext + 'static>(
    consumer: Arc<rdkafka::consumer::StreamConsumer<C>>,
    topic: &str,
) -> Result<i32, Error> {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let metadata = consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .map_err(Error::Kafka)?;
        let count = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map_or(0, |t| t.partitions().len() as i32);
        if count == 0 {
            return Err(Error::MissingTopic { topic });
        }
        Ok(count)
    })
    .await
    .expect("metadata task panicked")
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_model::Platform;

    #[test]
    fn jobs_spread_over_partitions_stably() {
        let ids: Vec<String> = (0..400)
            .map(|i| format!("mastodon:m.social#tag{i}"))
            .collect();
        let mut counts = [0usize; 12];
        for id in &ids {
            let p = partition_of(id, 12);
            assert_eq!(p, partition_of(id, 12));
            counts[p as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 15), "{counts:?}");
    }

    #[test]
    fn platform_subsets_get_their_own_group() {
        assert_eq!(group_id("earshot-collectors", &[]), "earshot-collectors");
        assert_eq!(
            group_id(
                "g",
                &[Platform::Reddit, Platform::Mastodon, Platform::Reddit]
            ),
            "g.mastodon+reddit"
        );
    }
}
