//! Live sweeps over a newest-first Listing, shared by keyword search and subreddit
//! listings.
//!
//! A poll sweeps from the newest page back until it reaches the newest link produced
//! before (or the end, or `history_pages`), storing `after` after every page
//! ([`crate::sweep`]), so a restart resumes the sweep where it stopped.

use std::sync::Arc;

use async_trait::async_trait;
use earshot_model::Platform;
use url::Url;

use super::RedditConfig;
use super::auth::Api;
use super::links::{Mark, text_of, to_mention};
use crate::error::Error;
use crate::jobs::Job;
use crate::paginate::{Page, PaginatedJob, Paginator};
use crate::sweep::{self, SweepCursor};
use crate::text::BrandFilter;
use earshot_runtime::InternalEvent;

/// Where a sweeping job stands: the next page's `after` and the newest links.
pub type SearchCursor = SweepCursor<Mark>;

/// One search job per brand keyword (`reddit:orlen`, `reddit:r/poland+Polska:orlen`).
pub(super) fn jobs(
    api: &Arc<Api>,
    config: &RedditConfig,
    keywords: &[String],
) -> Vec<Arc<dyn Job>> {
    let subreddits = super::subreddit_names(&config.subreddits);
    let scope = scope(&subreddits);
    keywords
        .iter()
        .map(|query| {
            let id = format!("reddit:{scope}{query}");
            let sweep = LinkSweep {
                api: api.clone(),
                url: search_url(api, &subreddits),
                params: search_params(query, !subreddits.is_empty(), config.page_limit),
                job: id.clone(),
                filter: None,
                history_pages: config.history_pages,
            };
            Arc::new(
                PaginatedJob::new(id, Platform::Reddit, sweep)
                    .with_interval(config.poll_interval_ms),
            ) as Arc<dyn Job>
        })
        .collect()
}

/// `r/a+b:` when search is restricted to subreddits, for job ids.
pub(super) fn scope(subreddits: &[String]) -> String {
    if subreddits.is_empty() {
        String::new()
    } else {
        format!("r/{}:", subreddits.join("+"))
    }
}

/// `/search`, or `/r/a+b/search` within subreddits.
pub(super) fn search_url(api: &Api, subreddits: &[String]) -> Url {
    if subreddits.is_empty() {
        api.url(&["search"])
    } else {
        api.url(&["r", &subreddits.join("+"), "search"])
    }
}

/// The parameters of a newest-first search for `query` (`restrict` within the URL's
/// subreddits), live or backfill alike.
pub(super) fn search_params(
    query: &str,
    restrict: bool,
    page_limit: u32,
) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("q", query.to_string()),
        ("sort", "new".to_string()),
        // Without `t=all` Reddit may default to a shorter period for some sorts.
        ("t", "all".to_string()),
        ("type", "link".to_string()),
        ("limit", page_limit.to_string()),
    ];
    if restrict {
        params.push(("restrict_sr", "1".to_string()));
    }
    params
}

/// A live sweep over one Listing.
pub(super) struct LinkSweep {
    pub api: Arc<Api>,
    pub url: Url,
    pub params: Vec<(&'static str, String)>,
    /// The job id, for logs.
    pub job: String,
    /// For listings: produce only links matching a brand's query.
    /// Search needs none: Reddit matched the query already.
    pub filter: Option<Arc<BrandFilter>>,
    pub history_pages: u32,
}

impl LinkSweep {
    fn wanted(&self, link: &serde_json::Value) -> bool {
        let Some(filter) = &self.filter else {
            return true;
        };
        let author = link["author"].as_str().unwrap_or("");
        let matched = filter.matches_post(&text_of(link), author, "");
        crate::internal_events::ItemScanned {
            platform: Platform::Reddit,
            matched,
        }
        .emit();
        matched
    }
}

#[async_trait]
impl Paginator for LinkSweep {
    type Cursor = SearchCursor;

    async fn fetch(&self, cursor: &SearchCursor) -> Result<Page<SearchCursor>, Error> {
        let requested = cursor.sweep.as_ref().map(|s| s.next_page.as_str());
        let (links, next_page) = self
            .api
            .listing(&self.url, &self.params, requested)
            .await?
            .links(&self.job);
        let marks: Vec<Option<Mark>> = links.iter().map(Mark::of).collect();
        let step = sweep::step(
            Platform::Reddit,
            &self.job,
            cursor,
            &marks,
            next_page,
            self.history_pages,
        )?;
        let mentions = step
            .new_items(&links)
            .filter(|link| self.wanted(link))
            .filter_map(to_mention)
            .collect();
        Ok(step.into_page(mentions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_urls_and_params() {
        let config = RedditConfig {
            client_id: Some(crate::config::Secret::new("id")),
            client_secret: Some(crate::config::Secret::new("secret")),
            user_agent: Some("linux:earshot:0.1.0 (by /u/earshot_bot)".into()),
            ..RedditConfig::default()
        };
        let api = config
            .api(
                &crate::config::HttpConfig::default(),
                &crate::ratelimit::RateBudgets::default(),
            )
            .unwrap();
        assert_eq!(
            search_url(&api, &[]).as_str(),
            "https://oauth.reddit.com/search"
        );
        assert_eq!(
            search_url(&api, &["poland".into(), "Polska".into()]).as_str(),
            "https://oauth.reddit.com/r/poland+Polska/search"
        );
        assert_eq!(
            scope(&["poland".into(), "Polska".into()]),
            "r/poland+Polska:"
        );
        let params = search_params("orlen", true, 50);
        assert!(params.contains(&("restrict_sr", "1".into())));
        assert!(params.contains(&("limit", "50".into())));
        assert!(
            !search_params("orlen", false, 50)
                .iter()
                .any(|(k, _)| *k == "restrict_sr")
        );
    }
}
