//! A batch: the rows and dead letters of a run of consumed records, and the offsets
//! that may be committed once both are durable.

use std::collections::{BTreeMap, HashMap, HashSet};
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

/// Where a record came from and its bytes, kept for the dead-letter topic in case
/// ClickHouse refuses its rows.
pub type Original = (Option<Vec<u8>>, Vec<u8>);

#[derive(Debug, Default)]
pub struct Batch {
    pub rows: Vec<MentionRow>,
    pub dead_letters: Vec<DeadLetter>,
    /// Key and payload of every record that produced rows, by (partition, offset).
    pub originals: HashMap<(i32, i64), Original>,
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

    /// Adds a transformed record: its rows (and the record, kept in case ClickHouse
    /// refuses them) or its dead letter, and its offset.
    pub(crate) fn push(&mut self, record: crate::transform::TransformedRecord) {
        let crate::rows::KafkaPosition { partition, offset } = record.position;
        self.consumed(partition, offset, record.bytes);
        match record.outcome {
            crate::transform::Outcome::Rows { rows, original } => {
                self.originals.insert((partition, offset), original);
                self.rows.extend(rows);
            }
            crate::transform::Outcome::Unmatched => {}
            crate::transform::Outcome::DeadLetter(letter) => self.dead_letters.push(letter),
        }
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
        self.originals.retain(|(p, _), _| !partitions.contains(p));
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

    /// The records that have rows, in batch order: what a write can be split into.
    pub fn records_with_rows(&self) -> Vec<(i32, i64)> {
        let mut seen = HashSet::new();
        self.rows
            .iter()
            .map(|r| (r.kafka_partition, r.kafka_offset))
            .filter(|position| seen.insert(*position))
            .collect()
    }

    /// The rows of `records`, cloned for a write of part of the batch.
    pub fn rows_of(&self, records: &HashSet<(i32, i64)>) -> Vec<MentionRow> {
        self.rows
            .iter()
            .filter(|r| records.contains(&(r.kafka_partition, r.kafka_offset)))
            .cloned()
            .collect()
    }

    /// Moves a record ClickHouse refused from the rows to the dead letters, with the
    /// server's message.
    pub fn reject(&mut self, (partition, offset): (i32, i64), error: String) -> &DeadLetter {
        self.rows
            .retain(|r| (r.kafka_partition, r.kafka_offset) != (partition, offset));
        let (key, payload) = self
            .originals
            .remove(&(partition, offset))
            .unwrap_or_default();
        // The same caps as every dead letter: a server message can be long too.
        self.dead_letters.push(crate::admit::dead_letter(
            partition,
            offset,
            key,
            &payload,
            crate::admit::Rejection {
                reason: REJECTED_BY_CLICKHOUSE,
                error,
            },
        ));
        self.dead_letters.last().expect("just pushed")
    }
}

/// The dead-letter reason of a record whose rows ClickHouse refused.
pub const REJECTED_BY_CLICKHOUSE: &str = "rejected_by_clickhouse";

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
    fn a_rejected_record_leaves_the_rows_and_becomes_a_dead_letter_with_its_bytes() {
        let mut batch = Batch::default();
        for offset in 0..3 {
            batch.consumed(0, offset, 10);
            batch
                .originals
                .insert((0, offset), (Some(b"k".to_vec()), vec![offset as u8]));
        }
        batch.rows.extend([
            row("m0", "a", 0, 0),
            row("m1", "a", 0, 1),
            row("m1", "b", 0, 1),
            row("m2", "a", 0, 2),
        ]);
        assert_eq!(batch.records_with_rows(), vec![(0, 0), (0, 1), (0, 2)]);
        let letter = batch.reject((0, 1), "Code: 469. DB::Exception: refused".into());
        assert_eq!(letter.payload, vec![1]);
        assert_eq!(letter.reason, REJECTED_BY_CLICKHOUSE);
        assert_eq!(batch.rows.len(), 2, "both brand rows of the record go");
        assert!(batch.rows.iter().all(|r| r.kafka_offset != 1));
        assert_eq!(
            batch.commit_offsets().collect::<Vec<_>>(),
            vec![(0, 3)],
            "still committed past it"
        );
        let only_first: HashSet<(i32, i64)> = [(0, 0)].into();
        assert_eq!(batch.rows_of(&only_first).len(), 1);
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
