//! One module per platform: its config section, client and mapping to [`earshot_model::RawMention`].

pub mod bluesky;
pub mod hacker_news;
pub mod lemmy;
pub mod mastodon;
pub mod reddit;
pub mod rss;
pub mod x;
pub mod youtube;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use earshot_model::{Brand, Platform};

use crate::config::CollectorsConfig;
use crate::error::Error;
use crate::jobs::Job;
use crate::ratelimit::RateBudgets;

/// Every configured job of the selected platforms (all when `platforms` is empty).
pub fn build_jobs(
    config: &CollectorsConfig,
    brands: &[Brand],
    platforms: &[Platform],
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let wanted = |p: Platform| platforms.is_empty() || platforms.contains(&p);
    let mut jobs = Vec::new();
    if wanted(Platform::Mastodon) && config.mastodon.enabled {
        jobs.extend(mastodon::jobs(
            &config.mastodon,
            &config.http,
            brands,
            budgets,
        )?);
    }
    if wanted(Platform::HackerNews) && config.hacker_news.enabled {
        jobs.extend(hacker_news::jobs(
            &config.hacker_news,
            &config.http,
            brands,
            budgets,
        )?);
    }
    if wanted(Platform::Reddit) && config.reddit.is_enabled() {
        jobs.extend(reddit::jobs(&config.reddit, &config.http, brands, budgets)?);
    }
    if wanted(Platform::X) && config.x.is_enabled() {
        jobs.extend(x::jobs(&config.x, &config.http, brands, budgets)?);
    }
    // Comment threads on configured videos and channels, whatever the brands.
    if wanted(Platform::Youtube) && config.youtube.is_enabled() {
        jobs.extend(youtube::jobs(&config.youtube, &config.http, budgets)?);
    }
    // Every item of the configured press feeds, whatever the brands.
    if wanted(Platform::Rss) && config.rss.is_enabled() {
        jobs.extend(rss::jobs(&config.rss, &config.http, budgets)?);
    }
    // The whole network's new posts, matched against the brands' keywords locally, and
    // searchPosts per keyword when an account is configured.
    if wanted(Platform::Bluesky) && config.bluesky.is_enabled() {
        jobs.extend(bluesky::jobs(
            &config.bluesky,
            &config.http,
            brands,
            budgets,
        )?);
    }
    if wanted(Platform::Lemmy) && config.lemmy.enabled {
        jobs.extend(lemmy::jobs(&config.lemmy, &config.http, brands, budgets)?);
    }
    Ok(jobs)
}

/// Jobs that page through `brand`'s history on `platform` over `[from, to)`.
pub fn backfill_jobs(
    config: &CollectorsConfig,
    brand: &Brand,
    platform: Platform,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budgets: &RateBudgets,
) -> Result<Vec<Arc<dyn Job>>, Error> {
    let http = &config.http;
    match platform {
        Platform::HackerNews => {
            hacker_news::backfill_jobs(&config.hacker_news, http, brand, from, to, budgets)
        }
        Platform::Mastodon => {
            mastodon::backfill_jobs(&config.mastodon, http, brand, from, to, budgets)
        }
        Platform::Bluesky => {
            bluesky::backfill_jobs(&config.bluesky, http, brand, from, to, budgets)
        }
        Platform::Reddit => reddit::backfill_jobs(&config.reddit, http, brand, from, to, budgets),
        Platform::X => x::backfill_jobs(&config.x, http, brand, from, to, budgets),
        Platform::Youtube => {
            youtube::backfill_jobs(&config.youtube, http, brand, from, to, budgets)
        }
        Platform::Rss => rss::backfill_jobs(&config.rss, http, brand, from, to, budgets),
        Platform::Lemmy => Err(no_backfill(
            Platform::Lemmy,
            "its search has no time filter; live polling reaches back initial_lookback_hours",
        )),
    }
}

/// The error of a platform that cannot page through history (yet).
pub(crate) fn no_backfill(platform: Platform, why: &str) -> Error {
    Error::config(
        "backfill --platform",
        format!("{platform} has no backfill: {why}"),
    )
}

/// The brands' hashtags plus `extra`, lower-cased, without `#`, each once, in order.
pub(crate) fn brand_hashtags(brands: &[Brand], extra: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in brands.iter().flat_map(|b| b.hashtags.iter()).chain(extra) {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// The brands' keywords, lower-cased, each once: the search queries of platforms that
/// match all words of a query (Algolia, Reddit).
pub(crate) fn brand_keywords(brands: &[Brand]) -> Vec<String> {
    let mut queries: Vec<String> = Vec::new();
    for keyword in brands.iter().flat_map(|b| b.keywords.iter()) {
        let keyword = keyword.trim().to_lowercase();
        if !keyword.is_empty() && !queries.contains(&keyword) {
            queries.push(keyword);
        }
    }
    queries
}

/// RFC 8288 `Link` headers, as Mastodon uses them for paging.
pub(crate) mod link_header {
    use std::collections::HashMap;

    /// Maps each `rel` to its URL: `<https://a/b?max_id=1>; rel="next", <…>; rel="prev"`.
    pub fn parse(header: &str) -> HashMap<String, String> {
        let mut links = HashMap::new();
        for part in header
            .split(", <")
            .map(|p| p.trim().trim_start_matches('<'))
        {
            let Some((url, params)) = part.split_once('>') else {
                continue;
            };
            for param in params.split(';') {
                if let Some(rel) = param.trim().strip_prefix("rel=") {
                    for rel in rel.trim_matches('"').split_whitespace() {
                        links.insert(rel.to_string(), url.to_string());
                    }
                }
            }
        }
        links
    }

    /// The value of query parameter `name` in `url`.
    pub fn query_param(url: &str, name: &str) -> Option<String> {
        let parsed = url::Url::parse(url).ok()?;
        parsed
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn parses_mastodon_links() {
            let links = super::parse(
                r#"<https://mastodon.social/api/v1/timelines/tag/orlen?max_id=109>; rel="next", <https://mastodon.social/api/v1/timelines/tag/orlen?min_id=120>; rel="prev""#,
            );
            assert_eq!(
                super::query_param(&links["next"], "max_id").as_deref(),
                Some("109")
            );
            assert_eq!(
                super::query_param(&links["prev"], "min_id").as_deref(),
                Some("120")
            );
            assert!(super::parse("garbage").is_empty());
        }
    }
}
