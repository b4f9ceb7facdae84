//! Subreddit listings: `GET https://oauth.reddit.com/r/{subreddit}/new?limit=100&after=…`
//! (www.reddit.com/dev/api#GET_new), one job per `listing_subreddits` entry
//! (`reddit:r/poland/new`).
//!
//! A listing holds every link of the subreddit newest first, where search misses links
//! its index has not caught up with. The sweep reads all of them and produces those whose
//! title or self text matches a brand's query (enrichment's own matcher, shared with
//! Bluesky's Jetstream: [`crate::text::BrandFilter`]). The watermark is the
//! newest link read, matched or not, so the next sweep stops there.

use std::sync::Arc;

use earshot_model::Platform;

use super::RedditConfig;
use super::auth::Api;
use super::search::LinkSweep;
use crate::jobs::Job;
use crate::paginate::PaginatedJob;
use crate::text::BrandFilter;

/// One listing job per configured subreddit, keeping the links `filter` matches.
pub(super) fn jobs(
    api: &Arc<Api>,
    config: &RedditConfig,
    filter: &Arc<BrandFilter>,
) -> Vec<Arc<dyn Job>> {
    super::subreddit_names(&config.listing_subreddits)
        .into_iter()
        .map(|subreddit| {
            let id = format!("reddit:r/{subreddit}/new");
            let sweep = LinkSweep {
                api: api.clone(),
                url: api.url(&["r", &subreddit, "new"]),
                params: vec![("limit", config.page_limit.to_string())],
                job: id.clone(),
                filter: Some(filter.clone()),
                history_pages: config.history_pages,
            };
            Arc::new(
                PaginatedJob::new(id, Platform::Reddit, sweep)
                    .with_interval(config.poll_interval_ms),
            ) as Arc<dyn Job>
        })
        .collect()
}
