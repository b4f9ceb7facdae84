//! Strict query-string parsing: every parameter is checked against a closed set or a
//! shape before anything reaches a query, unknown parameters are refused, and each
//! refusal names the parameter. Values are still bound, never spliced, in SQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use earshot_enrichment::{Cohort, SourceType};
use earshot_model::Platform;

use crate::data::{
    AlertQuery, Filters, Grain, MentionSearch, MentionSort, MixDimension, Scope, Sentiment, Window,
};
use crate::error::{ApiError, truncate};

/// The longest window any read covers.
pub const MAX_WINDOW_SECS: u32 = 3 * 366 * 86_400;
/// The most buckets one series may have (a minute grain over a year would be 525,600).
pub const MAX_BUCKETS: u32 = 5_000;
/// Without `from`/`to`: the last week.
pub const DEFAULT_WINDOW_SECS: u32 = 7 * 86_400;
/// The most brands one comparison reads.
pub const MAX_BRANDS: usize = 20;
pub const MAX_TEXT_CHARS: usize = 200;

/// A query string, taken apart. Each accessor removes what it read; [`Params::finish`]
/// refuses whatever is left.
#[derive(Debug)]
pub struct Params {
    values: BTreeMap<String, Vec<String>>,
    now: u32,
}

impl Params {
    pub fn parse(query: Option<&str>, now: u32) -> Result<Params, ApiError> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let query = query.unwrap_or("");
        if query.len() > 8 * 1024 {
            return Err(ApiError::bad_parameter(
                "query",
                "the query string is longer than 8 KiB",
            ));
        }
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            values
                .entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Ok(Params { values, now })
    }

    /// The one value of `key`, if given (twice is an error).
    pub fn single(&mut self, key: &str) -> Result<Option<String>, ApiError> {
        match self.values.remove(key) {
            None => Ok(None),
            Some(mut values) if values.len() == 1 => Ok(values.pop().filter(|v| !v.is_empty())),
            Some(_) => Err(ApiError::bad_parameter(
                key,
                format!("`{key}` is given more than once"),
            )),
        }
    }

    /// Refuses parameters nobody read: a typo must not silently widen a query.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(key) => Err(ApiError::bad_parameter(
                key,
                format!("unknown parameter `{}`", truncate(key, 40)),
            )),
        }
    }

    /// `brand` (repeatable, or comma-separated) checked against the configured brands.
    pub fn brands(&mut self, known: &[String]) -> Result<Vec<String>, ApiError> {
        let mut brands = Vec::new();
        for raw in self.values.remove("brand").unwrap_or_default() {
            for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let Some(brand) = known.iter().find(|k| k.as_str() == name) else {
                    return Err(ApiError::unknown_brand(name, known));
                };
                if !brands.contains(brand) {
                    brands.push(brand.clone());
                }
            }
        }
        if brands.len() > MAX_BRANDS {
            return Err(ApiError::bad_parameter(
                "brand",
                format!("at most {MAX_BRANDS} brands"),
            ));
        }
        Ok(brands)
    }

    fn time(&mut self, key: &str) -> Result<Option<u32>, ApiError> {
        let Some(raw) = self.single(key)? else {
            return Ok(None);
        };
        let secs = match raw.parse::<i64>() {
            Ok(secs) => secs,
            Err(_) => DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc).timestamp())
                .map_err(|_| {
                    ApiError::bad_parameter(
                        key,
                        format!(
                            "`{}` is neither unix seconds nor RFC 3339",
                            truncate(&raw, 40)
                        ),
                    )
                })?,
        };
        u32::try_from(secs)
            .map(Some)
            .map_err(|_| ApiError::bad_parameter(key, "is before 1970 or after 2106"))
    }

    /// `from`/`to` (default: the last week) and `grain` (default `auto`), the window
    /// widened to whole buckets of the grain.
    pub fn window_and_grain(&mut self) -> Result<(Window, Grain), ApiError> {
        let to = self.time("to")?.unwrap_or(self.now);
        let from = self
            .time("from")?
            .unwrap_or(to.saturating_sub(DEFAULT_WINDOW_SECS));
        if from >= to {
            return Err(ApiError::bad_parameter(
                "from",
                format!("the range is empty or inverted: from ({from}) must be before to ({to})"),
            ));
        }
        if to - from > MAX_WINDOW_SECS {
            return Err(ApiError::bad_parameter(
                "to",
                "the range is longer than 3 years",
            ));
        }
        let grain = match self.single("grain")?.as_deref() {
            None | Some("auto") => Grain::auto(to - from),
            Some("minute") => Grain::Minute,
            Some("hour") => Grain::Hour,
            Some("day") => Grain::Day,
            Some(other) => {
                return Err(ApiError::bad_parameter(
                    "grain",
                    format!(
                        "`{}` is not one of auto, minute, hour, day",
                        truncate(other, 40)
                    ),
                ));
            }
        };
        let window = grain.align(Window { from, to });
        if window.span() / grain.step_secs() > MAX_BUCKETS {
            return Err(ApiError::bad_parameter(
                "grain",
                format!(
                    "{} buckets of a {} is more than {MAX_BUCKETS}; use a coarser grain or a shorter range",
                    window.span() / grain.step_secs(),
                    grain.as_str()
                ),
            ));
        }
        Ok((window, grain))
    }

    fn one_of(
        &mut self,
        key: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        let Some(raw) = self.single(key)? else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| **a == raw)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_parameter(
                    key,
                    format!(
                        "`{}` is not one of {}",
                        truncate(&raw, 40),
                        allowed.join(", ")
                    ),
                )
            })
    }

    pub fn filters(&mut self) -> Result<Filters, ApiError> {
        let platforms: Vec<&'static str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
        let cohorts: Vec<&'static str> = Cohort::ALL.iter().map(|c| c.as_str()).collect();
        let source_types: Vec<&'static str> = SourceType::ALL.iter().map(|s| s.as_str()).collect();
        let sentiments: Vec<&'static str> = Sentiment::ALL.iter().map(|s| s.as_str()).collect();
        let language = match self.single("language")? {
            None => None,
            Some(code) if is_language_code(&code) => Some(code),
            Some(code) => {
                return Err(ApiError::bad_parameter(
                    "language",
                    format!(
                        "`{}` is not a language code like `pl`, `en` or `unknown`",
                        truncate(&code, 40)
                    ),
                ));
            }
        };
        Ok(Filters {
            platform: self.one_of("platform", &platforms)?,
            language,
            cohort: self.one_of("cohort", &cohorts)?,
            source_type: self.one_of("source_type", &source_types)?,
            sentiment: self.one_of("sentiment", &sentiments)?.map(|s| {
                Sentiment::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s)
                    .expect("listed")
            }),
            origin: self.one_of("origin", &["live", "backfill"])?,
        })
    }

    pub fn scope(&mut self, known_brands: &[String]) -> Result<Scope, ApiError> {
        let brands = self.brands(known_brands)?;
        let (window, grain) = self.window_and_grain()?;
        let filters = self.filters()?;
        Ok(Scope {
            brands,
            window,
            grain,
            filters,
        })
    }

    /// A count in `1..=max`, `default` when absent.
    pub fn count(&mut self, key: &str, default: u32, max: u32) -> Result<u32, ApiError> {
        let Some(raw) = self.single(key)? else {
            return Ok(default.min(max));
        };
        match raw.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_parameter(
                key,
                format!(
                    "`{}` is not a whole number from 1 to {max}",
                    truncate(&raw, 40)
                ),
            )),
        }
    }

    /// Text to search for: any characters (it is bound), at most [`MAX_TEXT_CHARS`].
    pub fn text(&mut self, key: &str) -> Result<Option<String>, ApiError> {
        let Some(raw) = self.single(key)? else {
            return Ok(None);
        };
        if raw.chars().count() > MAX_TEXT_CHARS {
            return Err(ApiError::bad_parameter(
                key,
                format!("is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(ApiError::bad_parameter(key, "contains control characters"));
        }
        Ok(Some(raw))
    }

    /// Output format: `json` (default) or `csv`.
    pub fn wants_csv(&mut self) -> Result<bool, ApiError> {
        Ok(self.one_of("format", &["json", "csv"])? == Some("csv"))
    }

    pub fn mention_search(
        &mut self,
        known_brands: &[String],
        max_page: u32,
    ) -> Result<MentionSearch, ApiError> {
        let scope = self.scope(known_brands)?;
        let sort = match self.one_of("sort", &["recent", "engagement"])? {
            Some("engagement") => MentionSort::Engagement,
            _ => MentionSort::Recent,
        };
        Ok(MentionSearch {
            scope,
            text: self.text("q")?,
            author_handle: self.text("author")?,
            mention_id: self.text("id")?,
            sort,
            page: self.count("page", 1, 100_000)?,
            page_size: self.count("page_size", 25, max_page)?,
        })
    }

    pub fn alert_query(
        &mut self,
        known_brands: &[String],
        max: u32,
    ) -> Result<AlertQuery, ApiError> {
        let brands = self.brands(known_brands)?;
        let (window, _) = self.window_and_grain()?;
        Ok(AlertQuery {
            brands,
            window,
            limit: self.count("limit", 100, max)?,
        })
    }
}

/// `pl`, `en`, `pt-br`, `unknown`: what the language tag stores.
fn is_language_code(code: &str) -> bool {
    code == "unknown"
        || (code.len() <= 8
            && code.split('-').all(|part| {
                (2..=3).contains(&part.len()) && part.chars().all(|c| c.is_ascii_lowercase())
            }))
}

/// `/api/v1/mix/{dimension}`.
pub fn mix_dimension(raw: &str) -> Result<MixDimension, ApiError> {
    MixDimension::ALL
        .into_iter()
        .find(|d| d.as_str() == raw)
        .ok_or_else(|| {
            let known: Vec<_> = MixDimension::ALL.iter().map(|d| d.as_str()).collect();
            ApiError::bad_parameter(
                "dimension",
                format!("`{}` is not one of {}", truncate(raw, 40), known.join(", ")),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u32 = 1_800_000_000;

    fn brands() -> Vec<String> {
        vec!["Orlen".into(), "Żabka".into()]
    }

    fn parse(query: &str) -> Params {
        Params::parse(Some(query), NOW).unwrap()
    }

    #[test]
    fn a_full_scope_parses_and_defaults_to_the_last_week_at_hour_grain() {
        let mut p = parse(
            "brand=Orlen&brand=%C5%BBabka&platform=mastodon&language=pl&cohort=gen_z&source_type=press&sentiment=negative&origin=live",
        );
        let scope = p.scope(&brands()).unwrap();
        p.finish().unwrap();
        assert_eq!(scope.brands, brands());
        assert_eq!(scope.grain, Grain::Hour);
        assert_eq!(scope.window.to, NOW.div_ceil(3600) * 3600);
        assert_eq!(scope.filters.sentiment, Some(Sentiment::Negative));
        assert_eq!(scope.filters.language.as_deref(), Some("pl"));
    }

    #[test]
    fn bad_values_are_refused_naming_the_parameter() {
        let cases = [
            ("brand=Nobody", "brand"),
            ("from=2000&to=1000", "from"),
            ("from=1000&to=1000", "from"),
            ("grain=week", "grain"),
            ("grain=minute&from=0&to=31536000", "grain"),
            ("platform=myspace", "platform"),
            ("language=pl'--", "language"),
            ("cohort=1%20OR%201=1", "cohort"),
            ("source_type=press';DROP", "source_type"),
            ("sentiment=great", "sentiment"),
            ("origin=both", "origin"),
            ("from=yesterday", "from"),
            ("to=-5", "to"),
            ("from=0&to=4000000000", "to"),
        ];
        for (query, parameter) in cases {
            let error = parse(query).scope(&brands()).unwrap_err();
            assert_eq!(
                error.parameter.as_deref(),
                Some(parameter),
                "{query}: {error:?}"
            );
            assert!(error.status.is_client_error(), "{query}");
        }
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        let mut p = parse("brnad=Orlen");
        p.scope(&brands()).unwrap();
        assert_eq!(p.finish().unwrap_err().parameter.as_deref(), Some("brnad"));
        let error = parse("grain=hour&grain=day").scope(&brands()).unwrap_err();
        assert_eq!(error.parameter.as_deref(), Some("grain"));
    }

    #[test]
    fn page_sizes_and_text_are_bounded() {
        let error = parse("page_size=1000000")
            .mention_search(&brands(), 200)
            .unwrap_err();
        assert_eq!(error.parameter.as_deref(), Some("page_size"));
        let error = parse("page=0").mention_search(&brands(), 200).unwrap_err();
        assert_eq!(error.parameter.as_deref(), Some("page"));
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let error = parse(&format!("q={long}"))
            .mention_search(&brands(), 200)
            .unwrap_err();
        assert_eq!(error.parameter.as_deref(), Some("q"));
        // Quotes and SQL are ordinary text to search for: they are bound.
        let search = parse("q=%27%20OR%201%3D1%20--")
            .mention_search(&brands(), 200)
            .unwrap();
        assert_eq!(search.text.as_deref(), Some("' OR 1=1 --"));
        assert_eq!(search.page_size, 25);
    }

    #[test]
    fn mix_dimensions_are_a_closed_set() {
        assert_eq!(
            mix_dimension("source_type").unwrap(),
            MixDimension::SourceType
        );
        assert!(mix_dimension("author_id").is_err());
    }
}
