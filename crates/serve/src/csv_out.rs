//! CSV export of any series or list (`format=csv`). Cells that a spreadsheet would run
//! as a formula are defused, since mention text is written by strangers.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{MixShare, Share};
use crate::data::{Mention, SeriesPoint, TopAuthor};

pub trait CsvRows {
    fn header() -> &'static [&'static str];
    fn records(&self) -> Vec<Vec<String>>;
}

/// `=`, `+`, `-`, `@`, tab or CR first: a spreadsheet formula. Prefixed with `'`.
pub fn defuse(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

pub fn csv_response<R: CsvRows>(name: &str, rows: &R) -> Response {
    let write = || -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(R::header())?;
        for record in rows.records() {
            writer.write_record(record.into_iter().map(defuse))?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    };
    match write() {
        Ok(body) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"earshot-{name}.csv\""),
                ),
            ],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "writing CSV");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

impl CsvRows for Vec<SeriesPoint> {
    fn header() -> &'static [&'static str] {
        &[
            "bucket",
            "brand",
            "mentions",
            "unique_authors",
            "likes",
            "reposts",
            "replies",
            "reach",
            "positive",
            "neutral",
            "negative",
            "complaints",
        ]
    }
    fn records(&self) -> Vec<Vec<String>> {
        self.iter()
            .map(|p| {
                let m = &p.measures;
                vec![
                    p.bucket.to_string(),
                    p.brand.clone(),
                    m.mentions.to_string(),
                    m.unique_authors.to_string(),
                    m.likes.to_string(),
                    m.reposts.to_string(),
                    m.replies.to_string(),
                    m.reach.to_string(),
                    m.positive.to_string(),
                    m.neutral.to_string(),
                    m.negative.to_string(),
                    m.complaints.to_string(),
                ]
            })
            .collect()
    }
}

impl CsvRows for Vec<Share> {
    fn header() -> &'static [&'static str] {
        &["brand", "mentions", "share"]
    }
    fn records(&self) -> Vec<Vec<String>> {
        self.iter()
            .map(|s| vec![s.brand.clone(), s.mentions.to_string(), s.share.to_string()])
            .collect()
    }
}

impl CsvRows for Vec<MixShare> {
    fn header() -> &'static [&'static str] {
        &["brand", "value", "mentions", "share"]
    }
    fn records(&self) -> Vec<Vec<String>> {
        self.iter()
            .map(|s| {
                vec![
                    s.brand.clone(),
                    s.value.clone(),
                    s.mentions.to_string(),
                    s.share.to_string(),
                ]
            })
            .collect()
    }
}

impl CsvRows for Vec<TopAuthor> {
    fn header() -> &'static [&'static str] {
        &[
            "platform",
            "author_handle",
            "author_name",
            "followers",
            "mentions",
            "engagement",
        ]
    }
    fn records(&self) -> Vec<Vec<String>> {
        self.iter()
            .map(|a| {
                vec![
                    a.platform.clone(),
                    a.author_handle.clone(),
                    a.author_name.clone(),
                    a.followers.to_string(),
                    a.mentions.to_string(),
                    a.engagement.to_string(),
                ]
            })
            .collect()
    }
}

impl CsvRows for Vec<Mention> {
    fn header() -> &'static [&'static str] {
        &[
            "mention_id",
            "brand",
            "platform",
            "published_at",
            "url",
            "author_handle",
            "text",
            "likes",
            "reposts",
            "replies",
            "language",
            "cohort",
            "source_type",
            "sentiment",
            "complaint",
        ]
    }
    fn records(&self) -> Vec<Vec<String>> {
        self.iter()
            .map(|m| {
                vec![
                    m.mention_id.clone(),
                    m.brand.clone(),
                    m.platform.clone(),
                    m.published_at.to_string(),
                    m.url.clone(),
                    m.author_handle.clone(),
                    m.text.clone(),
                    m.likes.to_string(),
                    m.reposts.to_string(),
                    m.replies.to_string(),
                    m.language.value.clone(),
                    m.cohort.value.clone(),
                    m.source_type.value.clone(),
                    m.sentiment
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_default(),
                    u8::from(m.complaint).to_string(),
                ]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_has_as_many_cells_as_its_header() {
        use crate::data::{Measures, Tag};
        let tag = || Tag {
            value: "v".into(),
            confidence: 1.0,
            evidence: "e".into(),
        };
        let mention = Mention {
            mention_id: "x:1".into(),
            brand: "B".into(),
            platform: "x".into(),
            url: String::new(),
            text: "t".into(),
            published_at: 0,
            origin: "live".into(),
            author_handle: "h".into(),
            author_name: "n".into(),
            author_followers: 0,
            likes: 0,
            reposts: 0,
            replies: 0,
            brand_tag: tag(),
            language: tag(),
            cohort: tag(),
            source_type: tag(),
            sentiment: Some(tag()),
            complaint: true,
        };
        assert_eq!(
            vec![mention].records()[0].len(),
            <Vec<Mention>>::header().len()
        );
        let point = SeriesPoint {
            bucket: 0,
            brand: "B".into(),
            measures: Measures::default(),
        };
        assert_eq!(
            vec![point].records()[0].len(),
            <Vec<SeriesPoint>>::header().len()
        );
        let author = TopAuthor {
            platform: "x".into(),
            author_handle: "h".into(),
            author_name: "n".into(),
            followers: 0,
            mentions: 0,
            engagement: 0,
        };
        assert_eq!(
            vec![author].records()[0].len(),
            <Vec<TopAuthor>>::header().len()
        );
        let share = Share {
            brand: "B".into(),
            mentions: 1,
            share: 1.0,
        };
        assert_eq!(vec![share].records()[0].len(), <Vec<Share>>::header().len());
        let mix = MixShare {
            brand: "B".into(),
            value: "v".into(),
            mentions: 1,
            share: 1.0,
        };
        assert_eq!(
            vec![mix].records()[0].len(),
            <Vec<MixShare>>::header().len()
        );
    }

    #[test]
    fn formulas_are_defused_and_plain_text_is_not() {
        assert_eq!(defuse("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(defuse("Orlen".into()), "Orlen");
        assert_eq!(defuse(String::new()), "");
    }
}
