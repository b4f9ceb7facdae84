//! Whether the processor is doing its job, for a readiness probe: it owns partitions,
//! and its last ClickHouse write went through (a write being retried means it is in
//! backoff, so records wait).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Shared between the processor and the readiness endpoint. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    assigned: AtomicUsize,
    /// Set once the group assigned partitions at least once.
    joined: AtomicBool,
    /// Unix ms since which writes have been failing; 0 while they succeed.
    failing_since_ms: AtomicU64,
}

/// The answer of a readiness probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    /// Why not, or `ready`, one reason a line.
    pub detail: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Health {
    pub(crate) fn assigned(&self, partitions: usize) {
        self.0.assigned.store(partitions, Ordering::Relaxed);
        if partitions > 0 {
            self.0.joined.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn write_failed(&self) {
        let _ = self.0.failing_since_ms.compare_exchange(
            0,
            now_ms().max(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    pub(crate) fn write_succeeded(&self) {
        self.0.failing_since_ms.store(0, Ordering::Relaxed);
    }

    /// Ready: partitions assigned, and no write being retried.
    pub fn readiness(&self) -> Readiness {
        let mut reasons = Vec::new();
        if self.0.assigned.load(Ordering::Relaxed) == 0 {
            reasons.push(if self.0.joined.load(Ordering::Relaxed) {
                "no partitions assigned (rebalancing, or more processors than partitions)"
                    .to_string()
            } else {
                "not yet assigned partitions by the consumer group".to_string()
            });
        }
        let since = self.0.failing_since_ms.load(Ordering::Relaxed);
        if since > 0 {
            reasons.push(format!(
                "ClickHouse writes failing for {} s; retrying with backoff",
                now_ms().saturating_sub(since) / 1000
            ));
        }
        Readiness {
            ready: reasons.is_empty(),
            detail: if reasons.is_empty() {
                "ready".into()
            } else {
                reasons.join("\n")
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_with_partitions_and_writes_going_through() {
        let health = Health::default();
        let r = health.readiness();
        assert!(!r.ready);
        assert!(r.detail.contains("not yet assigned"), "{}", r.detail);
        health.assigned(4);
        assert_eq!(health.readiness().detail, "ready");
        health.write_failed();
        let r = health.readiness();
        assert!(!r.ready);
        assert!(r.detail.contains("backoff"), "{}", r.detail);
        health.write_succeeded();
        assert!(health.readiness().ready);
        health.assigned(0);
        let r = health.readiness();
        assert!(!r.ready);
        assert!(r.detail.contains("no partitions assigned"), "{}", r.detail);
    }
}
