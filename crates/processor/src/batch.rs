//! A batch: the rows and dead letters of a run of consumed records, and the offsets
//! that may be committed once both are durable.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use earshot_storage::MentionRow;

/// A record refused by the processor, bound for the dead-letter topic.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub reason: &'static str,
    pub error: String,
}

#[derive(Debug, Default)]
pub struct Batch {
    pub rows: Vec<MentionRow>,
    pub dead_letters: Vec<DeadLetter>,
    /// Highest consumed offset per partition.
    next_offsets: BTreeMap<i32, i64>,
    records: usize,
    bytes: usize,
    started: Option<Instant>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    pub fn records(&self) -> usize {
        self.records
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether the batch must be written now: it holds `max_rows` rows (rows, not
    /// records, are what one INSERT block holds), `max_bytes` of payload, or its oldest
    /// record has waited `max_wait`.
    pub fn is_due(&self, max_rows: usize, max_bytes: usize, max_wait: std::time::Duration) -> bool {
        self.rows.len() >= max_rows
            || self.bytes >= max_bytes
            || self.started.is_some_and(|s| s.elapsed() >= max_wait)
    }

    pub fn started(&self) -> Option<Instant> {
        self.started
    }

    /// Notes that the record at `partition`/`offset` is part of this batch.
    pub fn consumed(&mut self, partition: i32, offset: i64, bytes: usize) {
        self.started.get_or_insert_with(Instant::now);
        self.records += 1;
        self.bytes += bytes;
        let next = self.next_offsets.entry(partition).or_insert(offset + 1);
        *next = (*next).max(offset + 1);
    }

    /// The offsets to commit: one past the last record of each partition.
    pub fn commit_offsets(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.next_offsets.iter().map(|(p, o)| (*p, *o))
    }

    /// Drops everything from partitions this processor no longer owns; their new
    /// owner re-reads them from the last committed offset.
    pub fn discard_partitions(&mut self, partitions: &HashSet<i32>) -> usize {
        let before = self.rows.len() + self.dead_letters.len();
        self.rows
            .retain(|r| !partitions.contains(&r.kafka_partition));
        self.dead_letters
            .retain(|d| !partitions.contains(&d.partition));
        self.next_offsets.retain(|p, _| !partitions.contains(p));
        if self.next_offsets.is_empty() {
            *self = Batch::default();
        }
        before - (self.rows.len() + self.dead_letters.len())
    }

    /// Removes rows whose mention is already stored, and repeats within the batch,
    /// returning how many rows were dropped.
    pub fn drop_stored(&mut self, stored: &HashSet<String>) -> usize {
        let before = self.rows.len();
        let mut seen = HashSet::with_capacity(self.rows.len());
        self.rows.retain(|row| {
            !stored.contains(&row.mention_id)
                && seen.insert((row.mention_id.clone(), row.brand.clone()))
        });
        before - self.rows.len()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use earshot_storage::Origin8;

    use super::*;

    /// A `mentions` row with only what batching looks at filled in.
    pub(crate) fn row(mention_id: &str, brand: &str, partition: i32, offset: i64) -> MentionRow {
        MentionRow {
            mention_id: mention_id.into(),
            brand: brand.into(),
            platform: "reddit",
            platform_id: String::new(),
            url: String::new(),
            text: String::new(),
            published_at: 0,
            collected_at: 0,
            processed_at: 0,
            origin: Origin8::Live,
            language: "en",
            language_confidence: 0.0,
            language_evidence: String::new(),
            cohort: "unknown",
            cohort_confidence: 0.0,
            cohort_evidence: String::new(),
            source_type: "consumer",
            source_type_confidence: 0.0,
            source_type_evidence: String::new(),
            brand_confidence: 0.0,
            brand_evidence: String::new(),
            author_id: String::new(),
            author_handle: String::new(),
            author_name: String::new(),
            author_bio: String::new(),
            author_followers: 0,
            author_verified: 0,
            author_created_at: 0,
            likes: 0,
            reposts: 0,
            replies: 0,
            collector_source: String::new(),
            kafka_partition: partition,
            kafka_offset: offset,
            sentiment: "neutral",
            sentiment_score: 0.0,
            sentiment_confidence: 0.0,
            sentiment_evidence: String::new(),
            complaint: 0,
        }
    }

    #[test]
    fn a_batch_is_due_on_rows_not_records() {
        let hour = Duration::from_secs(3600);
        let mut batch = Batch::default();
        // One record matching three brands: three rows for one INSERT block.
        batch.consumed(0, 7, 100);
        batch
            .rows
            .extend(["a", "b", "c"].map(|brand| row("m1", brand, 0, 7)));
        assert_eq!(batch.records(), 1);
        assert!(
            batch.is_due(3, usize::MAX, hour),
            "3 rows reach max_batch_rows = 3"
        );
        assert!(!batch.is_due(4, usize::MAX, hour));
        // Unmatched records add no row, so they do not fill the row budget.
        let mut unmatched = Batch::default();
        for offset in 0..10 {
            unmatched.consumed(1, offset, 100);
        }
        assert!(!unmatched.is_due(3, usize::MAX, hour));
        assert!(
            unmatched.is_due(3, 1000, hour),
            "but they count toward max_batch_bytes"
        );
    }
}
