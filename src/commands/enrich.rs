//! `earshot enrich`: tag mentions offline and print every tag with its evidence.
//!
//! It is how an analyst checks a brand query against real posts ("does `Żabka` catch
//! «w Żabce»?"), asks "why was this called press?", and how any labelled set can be
//! scored: one JSON line out per line in, in order, with the same enricher the stream
//! processor runs. Nothing is written anywhere but stdout.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use earshot_enrichment::{BrandMatch, Enricher, Enrichment, EnrichmentConfig, Sentiment, Tag};
use earshot_model::{Author, Brand, MentionId, Platform, RawMention, SCHEMA_VERSION};
use serde_json::{Value, json};

/// Tag mentions read from stdin or a file and print one JSON line of tags per line.
#[derive(Debug, clap::Args)]
pub struct EnrichArgs {
    /// Read from this file instead of stdin.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Each line is a post's plain text, not a RawMention JSON object.
    #[arg(long)]
    pub text: bool,
    /// Brands as a JSON array of brand objects with the config's keys (`name`,
    /// `keywords`, `hashtags`, `handles`, `domains`, ...), instead of the config's
    /// brands. The config file is then not read: enrichment settings are the defaults.
    #[arg(long)]
    pub brands: Option<PathBuf>,
}

/// Offline: needs no Kafka or ClickHouse, only brands.
pub fn run(args: &EnrichArgs, config: &Path) -> anyhow::Result<()> {
    let (brands, enrichment) = match &args.brands {
        Some(path) => (read_brands(path)?, EnrichmentConfig::default()),
        None => {
            let settings = crate::settings::Settings::load(config)?;
            (settings.brands, settings.enrichment)
        }
    };
    let enricher = Enricher::new(&brands, &enrichment).context("brands")?;
    let input: Box<dyn BufRead> = match &args.input {
        Some(path) => Box::new(BufReader::new(
            File::open(path).with_context(|| format!("--input {}", path.display()))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let format = if args.text {
        InputFormat::Text
    } else {
        InputFormat::RawMention
    };
    let report = enrich_lines(&enricher, input, &mut out, format, Utc::now())?;
    out.flush()?;
    if report.errors > 0 {
        bail!(
            "{} of {} lines could not be read (their output lines carry `error`)",
            report.errors,
            report.lines
        );
    }
    Ok(())
}

fn read_brands(path: &Path) -> anyhow::Result<Vec<Brand>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--brands {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "--brands {}: expected a JSON array of brand objects",
            path.display()
        )
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// A `RawMention` JSON object per line, as collectors produce them.
    RawMention,
    /// A post's text per line; it is dated `now` and has no author.
    Text,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub lines: u64,
    pub errors: u64,
}

/// Enriches each non-empty line of `input` and writes one JSON line per line to `out`.
/// A line that cannot be read gets `{"line": N, "error": "..."}`, so output lines stay
/// aligned with input lines and one bad line does not hide the rest.
pub fn enrich_lines(
    enricher: &Enricher,
    input: impl BufRead,
    out: &mut impl Write,
    format: InputFormat,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for (index, line) in input.lines().enumerate() {
        let line = line.context("reading input")?;
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        let number = index + 1;
        let mention = match format {
            InputFormat::Text => Ok(text_mention(&line, number, now)),
            InputFormat::RawMention => serde_json::from_str::<RawMention>(&line)
                .map_err(|e| format!("not a RawMention: {e}")),
        };
        let value = match mention {
            Ok(mention) => {
                let tags = enricher.enrich(&mention);
                enrichment_json(enricher, &mention, &tags)
            }
            Err(error) => {
                report.errors += 1;
                json!({"line": number, "error": error})
            }
        };
        serde_json::to_writer(&mut *out, &value)?;
        out.write_all(b"\n")?;
    }
    Ok(report)
}

fn text_mention(text: &str, number: usize, now: DateTime<Utc>) -> RawMention {
    let id = format!("text-{number}");
    RawMention {
        schema_version: SCHEMA_VERSION,
        id: MentionId::new(Platform::Mastodon, &id),
        platform: Platform::Mastodon,
        platform_id: id,
        url: String::new(),
        text: text.to_owned(),
        created_at: now,
        collected_at: now,
        author: Author::default(),
        engagement: Default::default(),
        language_hint: None,
        origin: Default::default(),
        source: "earshot enrich --text".into(),
        raw: Default::default(),
    }
}

/// The output line: the mention's id, its language and cohort, and per matched brand
/// the match itself and every per-brand tag.
///
/// A mention that matched no brand also gets the text's overall sentiment as a
/// top-level `sentiment`: with `--text`, that is how a sentiment set such as TweetEval
/// is scored.
pub fn enrichment_json(enricher: &Enricher, mention: &RawMention, tags: &Enrichment) -> Value {
    let mut line = json!({
        "id": mention.id.as_str(),
        "language": tag_json(&tags.language, |v| json!(v)),
        "cohort": tag_json(&tags.cohort, |v| json!(v.as_str())),
        "brands": tags.brands.iter().map(brand_json).collect::<Vec<_>>(),
    });
    if tags.brands.is_empty() {
        line["sentiment"] = sentiment_json(&enricher.overall_sentiment(&mention.text, tags));
    }
    line
}

fn sentiment_json(s: &Sentiment) -> Value {
    json!({
        "value": s.polarity.as_str(),
        "score": round(s.score),
        "confidence": round(s.confidence),
        "evidence": s.evidence.join("; "),
    })
}

/// One matched brand with every per-brand tag, each as `{value, confidence, evidence}`
/// (sentiment adds its score in [-1, 1]), and whether the speaker complains.
fn brand_json(matched: &BrandMatch) -> Value {
    json!({
        "brand": matched.brand,
        "match": {
            "value": true,
            "confidence": round(matched.confidence),
            "evidence": matched.evidence,
        },
        "source_type": tag_json(&matched.source_type, |v| json!(v.as_str())),
        "sentiment": sentiment_json(&matched.sentiment),
        "complaint": matched.sentiment.complaint,
    })
}

fn tag_json<T>(tag: &Tag<T>, value: impl Fn(&T) -> Value) -> Value {
    json!({
        "value": value(&tag.value),
        "confidence": round(tag.confidence),
        "evidence": tag.evidence,
    })
}

/// Confidences are estimates: three decimals, not f32 noise like 0.949999988.
fn round(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enricher() -> Enricher {
        let brands: Vec<Brand> = serde_json::from_value(json!([
            {"name": "Żabka", "keywords": ["Żabka"], "handles": ["zabka_polska"]},
            {"name": "Orlen", "keywords": ["Orlen", "stacja Orlen"]},
        ]))
        .unwrap();
        Enricher::new(&brands, &EnrichmentConfig::default()).unwrap()
    }

    fn run_lines(input: &str, format: InputFormat) -> (Vec<Value>, Report) {
        let mut out = Vec::new();
        let now = "2026-12-01T12:00:00Z".parse().unwrap();
        let report = enrich_lines(&enricher(), input.as_bytes(), &mut out, format, now).unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, report)
    }

    #[test]
    fn text_lines_get_every_tag_with_evidence() {
        let (lines, report) = run_lines(
            "Kupiłam bułki w Żabce, znowu kolejka przy kasie, masakra\n\nnothing here at all\n",
            InputFormat::Text,
        );
        assert_eq!(
            report,
            Report {
                lines: 2,
                errors: 0
            }
        );
        assert_eq!(lines.len(), 2);
        let first = &lines[0];
        assert_eq!(first["language"]["value"], "pl");
        assert!(first["language"]["evidence"].is_string());
        assert_eq!(first["brands"][0]["brand"], "Żabka");
        assert_eq!(first["brands"][0]["match"]["evidence"], "keyword.inflected");
        // A purchase is a customer's; the source-type model may still abstain (it
        // trades recall for precision, docs/enrichment.md), and then it says so.
        let source = &first["brands"][0]["source_type"];
        match source["value"].as_str() {
            Some("customer") => assert!(source["confidence"].as_f64().unwrap() > 0.0),
            Some("unknown") => assert_eq!(source["evidence"], "model.unsure"),
            other => panic!("a purchase called {other:?}: {source}"),
        }
        assert_eq!(first["cohort"]["value"], "unknown");
        assert_eq!(lines[1]["brands"], json!([]));
    }

    #[test]
    fn brands_carry_sentiment_and_brandless_text_its_overall_sentiment() {
        let (lines, _) = run_lines(
            "Kupiłam bułki w Żabce, znowu kolejka przy kasie, masakra, nie polecam\n\
             I love this so much, best day ever!\n",
            InputFormat::Text,
        );
        let zabka = &lines[0]["brands"][0];
        assert_eq!(zabka["sentiment"]["value"], "negative", "{zabka}");
        assert!(zabka["sentiment"]["score"].as_f64().unwrap() < 0.0);
        assert!(!zabka["sentiment"]["evidence"].as_str().unwrap().is_empty());
        assert!(zabka["complaint"].is_boolean());
        assert!(
            lines[0].get("sentiment").is_none(),
            "a brand's line has per-brand sentiment"
        );
        assert_eq!(lines[1]["brands"], json!([]));
        assert_eq!(lines[1]["sentiment"]["value"], "positive", "{}", lines[1]);
    }

    #[test]
    fn raw_mentions_use_their_author() {
        let mention = json!({
            "schema_version": SCHEMA_VERSION, "id": "mastodon:1", "platform": "mastodon",
            "platform_id": "1", "text": "Napisz do nas w wiadomości prywatnej, sprawdzimy przesyłkę. Żabka",
            "created_at": "2026-11-30T10:00:00Z", "collected_at": "2026-11-30T10:00:00Z",
            "author": {"id": "9", "handle": "zabka_polska", "bio": ""}
        });
        let (lines, _) = run_lines(&format!("{mention}\n"), InputFormat::RawMention);
        assert_eq!(lines[0]["id"], "mastodon:1");
        assert_eq!(
            lines[0]["brands"][0]["source_type"]["value"],
            "brand_account"
        );
    }

    #[test]
    fn unreadable_lines_are_reported_in_place() {
        let (lines, report) = run_lines("{not json\n", InputFormat::RawMention);
        assert_eq!(
            report,
            Report {
                lines: 1,
                errors: 1
            }
        );
        assert_eq!(lines[0]["line"], 1);
        assert!(
            lines[0]["error"]
                .as_str()
                .unwrap()
                .starts_with("not a RawMention")
        );
    }

    #[test]
    fn brands_file_must_be_an_array_of_brands() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("brands.json");
        std::fs::write(&path, r#"{"name": "x"}"#).unwrap();
        let err = read_brands(&path).unwrap_err().to_string();
        assert!(err.contains("JSON array of brand objects"), "{err}");
    }
}
