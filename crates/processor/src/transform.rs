//! The processor's pure stage: one Kafka record in, its `mentions` rows (none when no
//! brand matched) or a dead letter out. No I/O and no shared state beyond the
//! [`Enricher`], so it can run on any thread; the source and the writer around it own
//! the consumer, batching, dedup and commits.

use earshot_enrichment::Enricher;
use earshot_storage::MentionRow;

use crate::admit;
use crate::batch::DeadLetter;
use crate::rows::{KafkaPosition, mention_rows};

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
mod tests {
    use super::*;
    use earshot_enrichment::EnrichmentConfig;
    use earshot_model::RawMention;
    use earshot_model::{Author, Brand, MentionId, Platform, SCHEMA_VERSION};

    fn enricher() -> Enricher {
        let brands = [Brand {
            name: "Orlen".into(),
            keywords: vec!["Orlen".into()],
            ..Brand::default()
        }];
        Enricher::new(&brands, &EnrichmentConfig::default()).unwrap()
    }

    fn payload(text: &str) -> Vec<u8> {
        let mention = RawMention {
            schema_version: SCHEMA_VERSION,
            id: MentionId::new(Platform::Mastodon, "7"),
            platform: Platform::Mastodon,
            platform_id: "7".into(),
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
