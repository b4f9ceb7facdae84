//! How a job reports progress: through a [`ProgressObserver`] the caller supplies
//! (`earshot backfill` draws it as a terminal progress bar), so the library never
//! draws on a terminal itself.

/// Told about the mentions a run produces.
pub trait ProgressObserver: Send + Sync {
    /// The platform says the query holds `more` items (added to any earlier total).
    fn total_known(&self, more: u64);
    /// `mentions` more mentions are durable.
    fn produced(&self, mentions: u64);
    /// The run ended; `interrupted` when shut down before every job finished.
    fn finished(&self, _interrupted: bool) {}
}

/// Counts what it is told, for tests and callers that want totals only.
#[derive(Debug, Default)]
pub struct CountingProgress {
    pub total: std::sync::atomic::AtomicU64,
    pub produced: std::sync::atomic::AtomicU64,
}

impl ProgressObserver for CountingProgress {
    fn total_known(&self, more: u64) {
        self.total
            .fetch_add(more, std::sync::atomic::Ordering::Relaxed);
    }

    fn produced(&self, mentions: u64) {
        self.produced
            .fetch_add(mentions, std::sync::atomic::Ordering::Relaxed);
    }
}
