//! The processor's pure stage: one Kafka record in, its `mentions` rows (none when no
//! brand matched) or a dead letter out. No I/O and no shared state beyond the
//! [`Enricher`], so it runs on every core: [`run_stage`] hands chunks of records to
//! the blocking pool, at most one per core at a time, and passes their results on in
//! the order the chunks were consumed (so per partition too). The source and the writer
//! around it own the consumer, batching, dedup and commits.

use std::sync::Arc;

use earshot_enrichment::Enricher;
use earshot_storage::MentionRow;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::admit;
use crate::batch::{DeadLetter, Original};
use crate::internal_events::{MentionUnmatched, RecordDeadLettered, RecordsConsumed};
use crate::rows::{KafkaPosition, mention_rows};
use crate::source::{PolledRecord, SourceItem};
use crate::writer::WriterInput;

/// One consumed record, transformed: what the writer batches.
#[derive(Debug)]
pub struct TransformedRecord {
    pub position: KafkaPosition,
    /// Payload bytes, for the batch's byte budget.
    pub bytes: usize,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub enum Outcome {
    /// Rows to store, and the record as consumed, kept until the batch is stored:
    /// ClickHouse may refuse its rows, and the dead letter carries the record.
    Rows {
        rows: Vec<MentionRow>,
        original: Original,
    },
    /// No brand matched: nothing to store, only the offset to commit.
    Unmatched,
    DeadLetter(DeadLetter),
}

/// Transforms a chunk of records in order (see [`transform`]), emitting their metrics.
pub fn transform_chunk(
    enricher: &Enricher,
    records: Vec<PolledRecord>,
    processed_at: u32,
) -> Vec<TransformedRecord> {
    RecordsConsumed {
        count: records.len(),
        bytes: records.iter().map(|r| r.payload.len()).sum(),
    }
    .emit();
    records
        .into_iter()
        .map(|record| {
            let bytes = record.payload.len();
            let outcome = match transform(
                enricher,
                record.position,
                record.key.as_deref(),
                &record.payload,
                processed_at,
            ) {
                Transformed::Rows(rows) if rows.is_empty() => {
                    MentionUnmatched.emit();
                    Outcome::Unmatched
                }
                Transformed::Rows(rows) => Outcome::Rows {
                    rows,
                    original: (record.key, record.payload),
                },
                Transformed::DeadLetter(letter) => {
                    RecordDeadLettered::from(&letter).emit();
                    Outcome::DeadLetter(letter)
                }
            };
            TransformedRecord {
                position: record.position,
                bytes,
                outcome,
            }
        })
        .collect()
}

/// Transforms what the source sends, `workers` chunks at a time on the blocking pool,
/// and sends the results to the writer in the source's order. Both channels are
/// bounded, so a slow writer fills them and the source pauses. Ends when the source
/// closes its channel or the writer stops; a panic in the transform is passed on.
pub(crate) async fn run_stage(
    enricher: Arc<Enricher>,
    input: mpsc::Receiver<SourceItem>,
    output: mpsc::Sender<WriterInput>,
    workers: usize,
) {
    let items = futures::stream::unfold(input, |mut input| async move {
        input.recv().await.map(|item| (item, input))
    });
    let ordered = items
        .map(|item| {
            let enricher = enricher.clone();
            async move {
                match item {
                    SourceItem::Records(records) => {
                        let now = chrono::Utc::now().timestamp().clamp(0, u32::MAX as i64) as u32;
                        let work = move || transform_chunk(&enricher, records, now);
                        match tokio::task::spawn_blocking(work).await {
                            Ok(transformed) => WriterInput::Records(transformed),
                            Err(error) => std::panic::resume_unwind(error.into_panic()),
                        }
                    }
                    SourceItem::Revoked(partitions) => WriterInput::Revoked(partitions),
                    SourceItem::Joined => WriterInput::Joined,
                }
            }
        })
        .buffered(workers.max(1));
    let mut ordered = std::pin::pin!(ordered);
    while let Some(transformed) = ordered.next().await {
        if output.send(transformed).await.is_err() {
            return;
        }
    }
}

/// What one record becomes.
#[derive(Debug)]
pub enum Transformed {
    /// One row per matched brand; empty when no brand matched (nothing is stored).
    Rows(Vec<MentionRow>),
    /// The payload is not a mention this processor can read.
    DeadLetter(DeadLetter),
}

/// Admits (decodes, and checks the key is the mention's id), enriches and builds rows.
/// Uses [`Enricher::enrich_matched`]: a mention no brand matches costs the decode and
/// the brand scan alone, since it produces no row.
pub fn transform(
    enricher: &Enricher,
    position: KafkaPosition,
    key: Option<&[u8]>,
    payload: &[u8],
    processed_at: u32,
) -> Transformed {
    match admit::admit(key, payload) {
        Ok(mention) => Transformed::Rows(
            enricher
                .enrich_matched(&mention)
                .map(|tags| mention_rows(&mention, &tags, position, processed_at))
                .unwrap_or_default(),
        ),
        // Capped so the dead letter fits the broker whatever the record held.
        Err(rejection) => Transformed::DeadLetter(admit::dead_letter(
            position.partition,
            position.offset,
            key.map(<[u8]>::to_vec),
            payload,
            rejection,
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use earshot_enrichment::EnrichmentConfig;
    use earshot_model::RawMention;
    use earshot_model::{Author, Brand, MentionId, Platform, SCHEMA_VERSION};

    pub(crate) fn enricher() -> Enricher {
        let brands = [Brand {
            name: "Orlen".into(),
            keywords: vec!["Orlen".into()],
            ..Brand::default()
        }];
        Enricher::new(&brands, &EnrichmentConfig::default()).unwrap()
    }

    pub(crate) fn payload(text: &str) -> Vec<u8> {
        payload_of("7", text)
    }

    /// The record of Mastodon status `platform_id` (key `mastodon:{platform_id}`).
    pub(crate) fn payload_of(platform_id: &str, text: &str) -> Vec<u8> {
        let mention = RawMention {
            schema_version: SCHEMA_VERSION,
            id: MentionId::new(Platform::Mastodon, platform_id),
            platform: Platform::Mastodon,
            platform_id: platform_id.into(),
            url: String::new(),
            text: text.into(),
            created_at: "2026-05-20T10:00:00Z".parse().unwrap(),
            collected_at: "2026-05-20T10:00:05Z".parse().unwrap(),
            author: Author::default(),
            engagement: Default::default(),
            language_hint: None,
            origin: Default::default(),
            source: String::new(),
            raw: Default::default(),
        };
        serde_json::to_vec(&mention).unwrap()
    }

    const AT: KafkaPosition = KafkaPosition {
        partition: 2,
        offset: 41,
    };

    fn polled(offset: i64, payload: Vec<u8>) -> PolledRecord {
        PolledRecord {
            position: KafkaPosition {
                partition: (offset % 3) as i32,
                offset,
            },
            key: Some(b"mastodon:7".to_vec()),
            payload,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_stage_keeps_the_consumed_order_across_workers_and_markers() {
        let (source_tx, source_rx) = mpsc::channel(4);
        let (writer_tx, mut writer_rx) = mpsc::channel(4);
        let stage = tokio::spawn(run_stage(Arc::new(enricher()), source_rx, writer_tx, 4));
        let matched = payload("Tankowałam dziś na Orlenie");
        let mut sent = Vec::new();
        let feeder = tokio::spawn(async move {
            for chunk in 0..40i64 {
                // Chunks of uneven cost, so workers finish out of order.
                let size = if chunk % 2 == 0 { 50 } else { 1 };
                let records: Vec<PolledRecord> = (0..size)
                    .map(|i| {
                        let offset = chunk * 100 + i;
                        let bytes = if i % 7 == 3 {
                            b"{bad".to_vec()
                        } else {
                            matched.clone()
                        };
                        polled(offset, bytes)
                    })
                    .collect();
                source_tx.send(SourceItem::Records(records)).await.unwrap();
                if chunk == 20 {
                    source_tx
                        .send(SourceItem::Revoked([1].into()))
                        .await
                        .unwrap();
                }
            }
        });
        let mut revoked_after = None;
        while let Some(item) = writer_rx.recv().await {
            match item {
                WriterInput::Records(records) => {
                    sent.extend(records.iter().map(|r| r.position.offset));
                    assert!(records.iter().all(|r| match &r.outcome {
                        Outcome::Rows { rows, .. } => rows.len() == 1,
                        Outcome::DeadLetter(letter) => letter.reason == "malformed",
                        Outcome::Unmatched => false,
                    }));
                }
                WriterInput::Revoked(_) => revoked_after = sent.last().copied(),
                WriterInput::Joined => {}
            }
        }
        feeder.await.unwrap();
        stage.await.unwrap();
        let expected: Vec<i64> = (0..40i64)
            .flat_map(|chunk| {
                (0..if chunk % 2 == 0 { 50 } else { 1 }).map(move |i| chunk * 100 + i)
            })
            .collect();
        assert_eq!(sent, expected, "records reach the writer in consumed order");
        assert_eq!(
            revoked_after,
            Some(2000 + 49),
            "the marker stays after chunk 20"
        );
    }

    #[test]
    fn a_matched_mention_becomes_the_rows_enrich_gives() {
        let e = enricher();
        let bytes = payload("Tankowałam dziś na Orlenie i znowu drożej niż tydzień temu");
        let Transformed::Rows(rows) = transform(&e, AT, Some(b"mastodon:7"), &bytes, 99) else {
            panic!("a valid mention is not a dead letter");
        };
        let mention = RawMention::decode(&bytes).unwrap();
        let expected = mention_rows(&mention, &e.enrich(&mention), AT, 99);
        assert_eq!(rows.len(), 1);
        assert_eq!(format!("{rows:?}"), format!("{expected:?}"));
        assert_eq!((rows[0].kafka_partition, rows[0].kafka_offset), (2, 41));
    }

    #[test]
    fn an_unmatched_mention_becomes_no_rows() {
        let bytes = payload("Nic tu nie ma o żadnej marce, tylko pogoda");
        assert!(matches!(
            transform(&enricher(), AT, Some(b"mastodon:7"), &bytes, 99),
            Transformed::Rows(rows) if rows.is_empty()
        ));
    }

    #[test]
    fn an_unreadable_record_becomes_a_dead_letter_with_its_position_and_key() {
        let Transformed::DeadLetter(letter) =
            transform(&enricher(), AT, Some(b"k"), b"{not json", 99)
        else {
            panic!("garbage must be dead-lettered");
        };
        assert_eq!((letter.partition, letter.offset), (2, 41));
        assert_eq!(letter.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(letter.payload, b"{not json");
        assert!(!letter.error.is_empty());
    }

    #[test]
    fn a_record_keyed_other_than_its_mention_id_becomes_a_dead_letter() {
        let bytes = payload("Tankowałam dziś na Orlenie");
        let Transformed::DeadLetter(letter) =
            transform(&enricher(), AT, Some(b"mastodon:8"), &bytes, 99)
        else {
            panic!("a key that is not the mention id must be dead-lettered");
        };
        assert_eq!(letter.reason, "key_mismatch");
        assert_eq!(letter.payload, bytes);
    }
}
