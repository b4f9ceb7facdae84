//! Turning one raw mention and its tags into `mentions` rows: one per matched brand.

use earshot_enrichment::Enrichment;
use earshot_model::RawMention;
use earshot_storage::MentionRow;

/// Where a record came from in Kafka, stored with its rows for tracing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KafkaPosition {
    pub partition: i32,
    pub offset: i64,
}

fn unix_seconds(t: chrono::DateTime<chrono::Utc>) -> u32 {
    t.timestamp().clamp(0, u32::MAX as i64) as u32
}

/// One row per matched brand; none when no brand matched.
pub fn mention_rows(
    mention: &RawMention,
    tags: &Enrichment,
    position: KafkaPosition,
    processed_at: u32,
) -> Vec<MentionRow> {
    tags.brands
        .iter()
        .map(|matched| MentionRow {
            mention_id: mention.id.as_str().to_owned(),
            brand: matched.brand.to_string(),
            platform: mention.platform.as_str(),
            platform_id: mention.platform_id.clone(),
            url: mention.url.clone(),
            text: mention.text.clone(),
            published_at: unix_seconds(mention.created_at),
            collected_at: unix_seconds(mention.collected_at),
            processed_at,
            origin: mention.origin.into(),
            language: tags.language.value,
            language_confidence: tags.language.confidence,
            language_evidence: tags.language.evidence.to_string(),
            cohort: tags.cohort.value.as_str(),
            cohort_confidence: tags.cohort.confidence,
            cohort_evidence: tags.cohort.evidence.to_string(),
            source_type: matched.source_type.value.as_str(),
            source_type_confidence: matched.source_type.confidence,
            source_type_evidence: matched.source_type.evidence.to_string(),
            brand_confidence: matched.confidence,
            brand_evidence: matched.evidence.to_string(),
            author_id: mention.author.id.clone(),
            author_handle: mention.author.handle.clone(),
            author_name: mention.author.name.clone(),
            author_bio: mention.author.bio.clone(),
            // The collectors clamp too; this guards the rollup sums against any producer.
            author_followers: mention.author.plausible_followers(),
            author_verified: mention.author.verified.into(),
            author_created_at: mention.author.created_at.map(unix_seconds).unwrap_or(0),
            likes: mention.engagement.likes,
            reposts: mention.engagement.reposts,
            replies: mention.engagement.replies,
            collector_source: mention.source.clone(),
            kafka_partition: position.partition,
            kafka_offset: position.offset,
            sentiment: matched.sentiment.polarity.as_str(),
            sentiment_score: matched.sentiment.score,
            sentiment_confidence: matched.sentiment.confidence,
            sentiment_evidence: matched.sentiment.evidence.join("; "),
            complaint: matched.sentiment.complaint.into(),
        })
        .collect()
}
