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
