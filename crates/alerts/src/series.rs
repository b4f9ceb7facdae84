//! From rollup counts to scored series: one detector per (brand, dimension, value),
//! fed every bucket of a range in time order. Pure, so a replay of the same counts
//! always finds the same alerts at the same buckets.
//!
//! The series, per configured brand with mentions in the range:
//! * volume: the brand's mentions (a count), starting at its first non-empty bucket so
//!   a brand added to the config does not look like a surge;
//! * share of voice: the brand's mentions over all configured brands' mentions;
//! * cohort, source type, language, platform: mentions with that value over the
//!   brand's mentions, for every value the brand has anywhere in the range (a value
//!   absent from a bucket is a share of 0, which is how a sudden newcomer shows).
//!   A dimension with a single value for the brand over the whole range has no mix
//!   and gets no series: its share is always 1 and says nothing the volume does not
//!   (the detector would not alert on it: a constant share does not move with its
//!   denominator). Share of voice likewise needs two brands with mentions.
//!
//! * sentiment: two shares per brand, `negative_share` (negative mentions over those
//!   with a verdict) and `net_sentiment` (positive over positive plus negative, so a
//!   souring brand moves it down). Mentions in languages without a lexicon have no
//!   verdict and count in neither denominator.
//!
//! A share whose denominator is 0 is a missing point: time passes, nothing is learned.

use std::collections::{BTreeMap, HashMap};

use earshot_detection::{Detector, DetectorConfig, Scored};
use earshot_storage::RollupCount;

use crate::config::Dimension;
use earshot_detection::Direction;

/// The sentiment series' values (see the module docs).
pub const NEGATIVE_SHARE: &str = "negative_share";
pub const NET_SENTIMENT: &str = "net_sentiment";

/// Which mentions explain a sentiment alert: the negative ones when the brand sours
/// (negative share up, net sentiment down), the positive ones otherwise.
pub fn sentiment_examples(value: &str, direction: Direction) -> &'static str {
    let souring = (value == NEGATIVE_SHARE) == (direction == Direction::Up);
    if souring { "negative" } else { "positive" }
}

/// Identifies a series; `value` is empty for volume and share of voice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub brand: String,
    pub dimension: Dimension,
    pub value: String,
}

/// The buckets to score and which of them may report alerts.
#[derive(Debug, Clone, Copy)]
pub struct ScoringRange {
    /// First bucket (unix seconds, aligned to `step`): the detectors start here.
    pub start: i64,
    /// End of the range, exclusive.
    pub end: i64,
    pub step: i64,
    /// Alerts at buckets before this are part of the warm-up history, not reported.
    pub report_from: i64,
}

/// An alert found at one bucket of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub key: SeriesKey,
    /// Unix seconds of the bucket's start.
    pub bucket: i64,
    pub scored: Scored,
    /// Mentions behind the value: the count, or the share's numerator.
    pub mentions: u64,
    /// The share's denominator; `None` for counts.
    pub denominator: Option<u64>,
}

/// The outcome of scoring a range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoring {
    /// Alerts in `[report_from, end)`, by bucket then series.
    pub findings: Vec<Finding>,
    pub series: usize,
    pub points: u64,
}

/// What a series is; its detector lives at the same index of a parallel vector.
struct Slot {
    key: SeriesKey,
    brand: usize,
}

/// Scores `rows` over `range` for `brands` (others' mentions are ignored, also in
/// share-of-voice denominators) and `dimensions`.
pub fn score(
    rows: &[RollupCount],
    brands: &[String],
    dimensions: &[Dimension],
    detector: &DetectorConfig,
    range: ScoringRange,
) -> Result<Scoring, earshot_detection::ConfigError> {
    let brand_index: HashMap<&str, usize> = brands
        .iter()
        .enumerate()
        .map(|(i, b)| (b.as_str(), i))
        .collect();
    let mut rows: Vec<(&RollupCount, usize)> = rows
        .iter()
        .filter(|r| {
            let t = i64::from(r.bucket);
            t >= range.start && t < range.end && r.mentions > 0
        })
        .filter_map(|r| brand_index.get(r.brand.as_str()).map(|&b| (r, b)))
        .collect();
    rows.sort_by_key(|(r, _)| r.bucket);

    // The universe of series, in a stable order.
    let mut keys: BTreeMap<SeriesKey, usize> = BTreeMap::new();
    for &(row, brand) in &rows {
        for &dimension in dimensions {
            let values = match dimension {
                Dimension::Sentiment => &[NEGATIVE_SHARE, NET_SENTIMENT][..],
                _ => &[value_of(row, dimension).unwrap_or("")][..],
            };
            for value in values {
                keys.entry(SeriesKey {
                    brand: row.brand.clone(),
                    dimension,
                    value: (*value).to_owned(),
                })
                .or_insert(brand);
            }
        }
    }
    // Drop the mix series of dimensions with one value for the brand (see module docs).
    let mut values_per_dimension: HashMap<(usize, Dimension), usize> = HashMap::new();
    for (key, &brand) in &keys {
        if key.dimension.has_values() {
            *values_per_dimension
                .entry((brand, key.dimension))
                .or_default() += 1;
        }
    }
    // Likewise share of voice needs at least two brands with mentions.
    let brands_with_mentions = keys
        .keys()
        .filter(|k| k.dimension == Dimension::ShareOfVoice)
        .count();
    keys.retain(|key, brand| match key.dimension {
        Dimension::Volume => true,
        Dimension::ShareOfVoice => brands_with_mentions > 1,
        Dimension::Sentiment => true,
        dimension => values_per_dimension[&(*brand, dimension)] > 1,
    });
    let slots: Vec<Slot> = keys
        .into_iter()
        .map(|(key, brand)| Slot { key, brand })
        .collect();
    let mut detectors = vec![Detector::new(detector.clone())?; slots.len()];
    // Volume only: whether the brand's first mention has been seen.
    let mut started = vec![false; slots.len()];
    let slot_of: HashMap<(usize, Dimension, &str), usize> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.brand, s.key.dimension, s.key.value.as_str()), i))
        .collect();

    let mut scoring = Scoring {
        series: slots.len(),
        ..Scoring::default()
    };
    let mut numerators = vec![0_u64; slots.len()];
    let mut brand_totals = vec![0_u64; brands.len()];
    let mut brand_sentiment = vec![SentimentCounts::default(); brands.len()];
    let mut next_row = 0;
    let mut t = range.start;
    while t < range.end {
        numerators.fill(0);
        brand_totals.fill(0);
        brand_sentiment.fill(SentimentCounts::default());
        while let Some(&(row, brand)) = rows.get(next_row) {
            if i64::from(row.bucket) != t {
                break;
            }
            next_row += 1;
            brand_totals[brand] += row.mentions;
            brand_sentiment[brand].add(row);
            for &dimension in dimensions.iter().filter(|d| d.has_values()) {
                let value = value_of(row, dimension).unwrap_or("");
                if let Some(&slot) = slot_of.get(&(brand, dimension, value)) {
                    numerators[slot] += row.mentions;
                }
            }
        }
        let all_brands: u64 = brand_totals.iter().sum();
        for (index, slot) in slots.iter().enumerate() {
            let brand_total = brand_totals[slot.brand];
            let detector = &mut detectors[index];
            let (scored, mentions, denominator) = match slot.key.dimension {
                Dimension::Volume => {
                    started[index] |= brand_total > 0;
                    if !started[index] {
                        continue;
                    }
                    let scored = detector.push_count(t, Some(brand_total as f64));
                    (scored, brand_total, None)
                }
                Dimension::ShareOfVoice => {
                    let scored = detector.push_share(t, brand_total as f64, all_brands as f64);
                    (scored, brand_total, Some(all_brands))
                }
                Dimension::Sentiment => {
                    let counts = brand_sentiment[slot.brand];
                    let (numerator, denominator) = if slot.key.value == NET_SENTIMENT {
                        (counts.positive, counts.positive + counts.negative)
                    } else {
                        (
                            counts.negative,
                            counts.positive + counts.neutral + counts.negative,
                        )
                    };
                    let scored = detector.push_share(t, numerator as f64, denominator as f64);
                    (scored, numerator, Some(denominator))
                }
                _ => {
                    let numerator = numerators[index];
                    let scored = detector.push_share(t, numerator as f64, brand_total as f64);
                    (scored, numerator, Some(brand_total))
                }
            };
            scoring.points += 1;
            if scored.alert && t >= range.report_from {
                scoring.findings.push(Finding {
                    key: slot.key.clone(),
                    bucket: t,
                    scored,
                    mentions,
                    denominator,
                });
            }
        }
        t += range.step;
    }
    Ok(scoring)
}

/// A brand's mentions with each verdict in one bucket.
#[derive(Debug, Clone, Copy, Default)]
struct SentimentCounts {
    positive: u64,
    neutral: u64,
    negative: u64,
}

impl SentimentCounts {
    fn add(&mut self, row: &RollupCount) {
        self.positive += row.positive;
        self.neutral += row.neutral;
        self.negative += row.negative;
    }
}

/// The row's value for a per-value dimension; `None` for volume, share of voice and
/// sentiment (whose series are counts within each row).
fn value_of(row: &RollupCount, dimension: Dimension) -> Option<&str> {
    match dimension {
        Dimension::Volume | Dimension::ShareOfVoice | Dimension::Sentiment => None,
        Dimension::Cohort => Some(&row.cohort),
        Dimension::SourceType => Some(&row.source_type),
        Dimension::Language => Some(&row.language),
        Dimension::Platform => Some(&row.platform),
    }
}

#[cfg(test)]
mod tests {
    use earshot_detection::{Direction, Seasonality};

    use super::*;

    const STEP: i64 = 60;

    fn row(bucket: i64, brand: &str, cohort: &str, mentions: u64) -> RollupCount {
        RollupCount {
            bucket: bucket as u32,
            brand: brand.into(),
            platform: "mastodon".into(),
            language: "en".into(),
            cohort: cohort.into(),
            source_type: "consumer".into(),
            mentions,
            positive: 0,
            neutral: mentions,
            negative: 0,
        }
    }

    fn detector() -> DetectorConfig {
        DetectorConfig {
            step_secs: Some(STEP as u32),
            seasonality: Seasonality::None,
            warmup_points: Some(10),
            ..DetectorConfig::default()
        }
    }

    /// Two brands at 30 mentions a minute, half gen Z and half boomers; from minute
    /// 28 one brand's mix turns to 27 gen Z and 3 boomers.
    fn cohort_shift(start: i64) -> Vec<RollupCount> {
        let mut rows = Vec::new();
        for minute in 0..40 {
            let t = start + minute * STEP;
            let shifted = minute >= 28;
            rows.push(row(t, "Acme", "gen_z", if shifted { 27 } else { 15 }));
            rows.push(row(t, "Acme", "boomers", if shifted { 3 } else { 15 }));
            rows.push(row(t, "Globex", "gen_z", 15));
            rows.push(row(t, "Globex", "boomers", 15));
            rows.push(row(t, "Unconfigured", "gen_z", 500));
        }
        rows
    }

    fn brands() -> Vec<String> {
        vec!["Acme".into(), "Globex".into()]
    }

    #[test]
    fn a_cohort_shift_raises_exactly_its_two_alerts() {
        let start = 1_700_000_040;
        let range = ScoringRange {
            start: start - 30 * STEP,
            end: start + 40 * STEP,
            step: STEP,
            report_from: start,
        };
        let scoring = score(
            &cohort_shift(start),
            &brands(),
            &Dimension::ALL,
            &detector(),
            range,
        )
        .unwrap();
        // Per brand: volume, share of voice, 2 cohorts, 2 sentiment shares; the other
        // dimensions have one value each, hence no mix.
        assert_eq!(scoring.series, 2 * 6);
        let found: Vec<(&str, &str, Direction)> = scoring
            .findings
            .iter()
            .map(|f| {
                (
                    f.key.brand.as_str(),
                    f.key.value.as_str(),
                    f.scored.direction,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("Acme", "boomers", Direction::Down),
                ("Acme", "gen_z", Direction::Up)
            ]
        );
        for finding in &scoring.findings {
            assert_eq!(finding.key.dimension, Dimension::Cohort);
            assert!(
                (start + 28 * STEP..start + 32 * STEP).contains(&finding.bucket),
                "{finding:?}"
            );
            assert_eq!(finding.denominator, Some(30));
        }
    }

    /// Acme's 40 mentions a minute are 6 positive, 30 neutral, 4 negative, until from
    /// minute 30 they turn to 2 positive, 18 neutral, 20 negative.
    fn souring(start: i64) -> Vec<RollupCount> {
        (0..45)
            .flat_map(|minute| {
                let t = start + minute * STEP;
                let (positive, neutral, negative) = if minute >= 30 {
                    (2, 18, 20)
                } else {
                    (6, 30, 4)
                };
                [
                    RollupCount {
                        positive,
                        neutral,
                        negative,
                        ..row(t, "Acme", "gen_z", 40)
                    },
                    row(t, "Globex", "gen_z", 40),
                ]
            })
            .collect()
    }

    #[test]
    fn a_souring_brand_raises_sentiment_alerts_explained_by_its_negative_mentions() {
        let start = 1_700_000_040;
        let range = ScoringRange {
            start,
            end: start + 45 * STEP,
            step: STEP,
            report_from: start + 20 * STEP,
        };
        let scoring = score(
            &souring(start),
            &brands(),
            &Dimension::ALL,
            &detector(),
            range,
        )
        .unwrap();
        let sentiment: Vec<&Finding> = scoring
            .findings
            .iter()
            .filter(|f| f.key.dimension == Dimension::Sentiment)
            .collect();
        assert!(
            sentiment.iter().all(|f| f.key.brand == "Acme"
                && (start + 30 * STEP..start + 34 * STEP).contains(&f.bucket)),
            "{sentiment:?}"
        );
        let negative = sentiment
            .iter()
            .find(|f| f.key.value == NEGATIVE_SHARE)
            .expect("negative share alert");
        assert_eq!(negative.scored.direction, Direction::Up);
        assert_eq!((negative.mentions, negative.denominator), (20, Some(40)));
        let net = sentiment
            .iter()
            .find(|f| f.key.value == NET_SENTIMENT)
            .expect("net sentiment alert");
        assert_eq!(net.scored.direction, Direction::Down);
        assert_eq!((net.mentions, net.denominator), (2, Some(22)));
        for f in &sentiment {
            assert_eq!(
                sentiment_examples(&f.key.value, f.scored.direction),
                "negative"
            );
        }
        // Volume did not move, and nothing else about Acme did either.
        assert!(
            scoring
                .findings
                .iter()
                .all(|f| f.key.dimension == Dimension::Sentiment),
            "{:?}",
            scoring.findings
        );
    }

    #[test]
    fn leading_empty_buckets_change_nothing() {
        let start = 1_700_000_040;
        let run = |history: i64| {
            let range = ScoringRange {
                start: start - history * STEP,
                end: start + 40 * STEP,
                step: STEP,
                report_from: start,
            };
            score(
                &cohort_shift(start),
                &brands(),
                &Dimension::ALL,
                &detector(),
                range,
            )
            .unwrap()
            .findings
        };
        assert_eq!(run(0), run(500));
    }

    #[test]
    fn alerts_before_report_from_are_history() {
        let start = 1_700_000_040;
        let range = ScoringRange {
            start,
            end: start + 40 * STEP,
            step: STEP,
            report_from: start + 35 * STEP,
        };
        let scoring = score(
            &cohort_shift(start),
            &brands(),
            &[Dimension::Cohort],
            &detector(),
            range,
        )
        .unwrap();
        assert_eq!(scoring.series, 4);
        assert_eq!(scoring.findings, []);
        assert_eq!(scoring.points, 4 * 40);
    }

    #[test]
    fn a_volume_change_is_no_shift_of_a_single_valued_mix() {
        // One brand, always the same cohort, language, platform and source type; its
        // volume jumps from 10 to 60 a minute. Only volume may alert.
        let start = 1_700_000_040;
        let rows: Vec<RollupCount> = (0..60)
            .map(|minute| {
                row(
                    start + minute * STEP,
                    "Acme",
                    "gen_z",
                    if minute < 45 { 10 } else { 60 },
                )
            })
            .collect();
        let range = ScoringRange {
            start,
            end: start + 60 * STEP,
            step: STEP,
            report_from: start,
        };
        let brands = vec!["Acme".to_string()];
        let scoring = score(&rows, &brands, &Dimension::ALL, &detector(), range).unwrap();
        // Volume and the two sentiment shares (always all neutral): no mix, no
        // competitor.
        assert_eq!(scoring.series, 3);
        let found: Vec<(Dimension, i64)> = scoring
            .findings
            .iter()
            .map(|f| (f.key.dimension, (f.bucket - start) / STEP))
            .collect();
        assert_eq!(found, [(Dimension::Volume, 45)]);
    }
}
