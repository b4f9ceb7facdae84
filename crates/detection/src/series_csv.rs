//! Reading a `timestamp,value` series in the CSV of public anomaly benchmarks (NAB,
//! Yahoo S5), as `earshot detect-series` does: a header row, a timestamp as unix
//! seconds or ISO-8601, a value, and optionally more columns that are ignored.
//!
//! Parsing only: the caller owns the reader, and rows are yielded one at a time so a
//! score never depends on later rows. Every error names its line.

use std::io::BufRead;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Why a row of a series could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SeriesCsvError {
    /// The underlying reader failed (or the line was not UTF-8).
    #[error("line {line}: cannot read: {source}")]
    Read {
        line: usize,
        #[source]
        source: std::io::Error,
    },
    /// A quoted field was never closed.
    #[error("line {line}: unterminated quoted field")]
    UnterminatedQuote { line: usize },
    /// Fewer than two fields.
    #[error("line {line}: expected `timestamp,value`, found {found:?}")]
    TooFewFields { line: usize, found: String },
    /// The first field is not a timestamp (on a line after the header).
    #[error("line {line}: cannot parse timestamp {found:?}")]
    Timestamp { line: usize, found: String },
    /// The second field is neither a number nor a missing-value marker.
    #[error("line {line}: cannot parse value {found:?}")]
    Value { line: usize, found: String },
}

/// One data row: its line number, the fields as written and what they mean.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    /// 1-based line number in the input.
    pub line: usize,
    /// The timestamp field as written (echoed in the output).
    pub raw_timestamp: String,
    /// The value field as written, trimmed.
    pub raw_value: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// `None` for a missing point (empty, `NaN`, `null`, `NA`, `none`).
    pub value: Option<f64>,
}

/// The data rows of a series CSV, in order; the first line is skipped when it is a
/// header (its first field is not a timestamp), blank lines are skipped.
pub fn rows<R: BufRead>(reader: R) -> impl Iterator<Item = Result<SeriesRow, SeriesCsvError>> {
    reader
        .lines()
        .enumerate()
        .filter_map(|(index, line)| parse_line(index, line).transpose())
}

fn parse_line(
    index: usize,
    line: std::io::Result<String>,
) -> Result<Option<SeriesRow>, SeriesCsvError> {
    let line_no = index + 1;
    let line = line.map_err(|source| SeriesCsvError::Read {
        line: line_no,
        source,
    })?;
    let line = line.trim_end_matches('\r');
    if line.trim().is_empty() {
        return Ok(None);
    }
    let mut fields = split_row(line)
        .ok_or(SeriesCsvError::UnterminatedQuote { line: line_no })?
        .into_iter();
    let (Some(raw_time), Some(raw_value)) = (fields.next(), fields.next()) else {
        return Err(SeriesCsvError::TooFewFields {
            line: line_no,
            found: line.to_string(),
        });
    };
    let Some(timestamp) = parse_timestamp(&raw_time) else {
        // The first line may be a header.
        if index == 0 {
            return Ok(None);
        }
        return Err(SeriesCsvError::Timestamp {
            line: line_no,
            found: raw_time,
        });
    };
    let value = parse_value(&raw_value).ok_or_else(|| SeriesCsvError::Value {
        line: line_no,
        found: raw_value.clone(),
    })?;
    Ok(Some(SeriesRow {
        line: line_no,
        raw_timestamp: raw_time,
        raw_value: raw_value.trim().to_string(),
        timestamp,
        value,
    }))
}

/// Splits one CSV row into fields; fields may be double-quoted, with `""` for a quote.
/// `None` for an unterminated quoted field.
pub fn split_row(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if at_field_start => quoted = true,
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
                continue;
            }
            c => field.push(c),
        }
        at_field_start = false;
    }
    if quoted {
        return None;
    }
    fields.push(field);
    Some(fields)
}

/// Unix seconds (integer or decimal), RFC 3339, or `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]`
/// read as UTC, or a bare date.
pub fn parse_timestamp(raw: &str) -> Option<i64> {
    let s = raw.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Some(secs);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs.abs() < 1e15).then(|| secs.floor() as i64);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp());
    }
    const FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    let naive = s.trim_end_matches('Z');
    for format in FORMATS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(dt.and_utc().timestamp());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp())
}

/// `Some(None)` for a missing point (empty, `NaN`, `null`, `NA`, `none`, or a value
/// too large to be finite), `Some(Some(x))` for a number, `None` for anything else.
pub fn parse_value(raw: &str) -> Option<Option<f64>> {
    let s = raw.trim();
    if s.is_empty() || ["nan", "null", "na", "none"].contains(&s.to_ascii_lowercase().as_str()) {
        return Some(None);
    }
    let value: f64 = s.parse().ok()?;
    Some(value.is_finite().then_some(value))
}
