//! The posts the server replays, one list per platform, loaded from sample files.

use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a JSON array of posts: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "cannot tell which platform {path} is for; put it in a directory named after the platform (samples/mastodon/...)"
    )]
    UnknownPlatform { path: PathBuf },
}

impl From<DatasetError> for std::io::Error {
    fn from(error: DatasetError) -> Self {
        std::io::Error::other(error)
    }
}

/// Posts per platform, in the platform's own item shape (a Mastodon Status entity…).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Mastodon statuses, any order; served newest first by id.
    pub mastodon: Vec<Value>,
    /// Algolia Hacker News hits (stories and comments).
    pub hacker_news: Vec<Value>,
    /// Reddit links (the `data` of `t3` Listing children); served newest first.
    pub reddit: Vec<Value>,
    /// X API v2 posts, each with its author's user object under `author` (moved to
    /// `includes.users` when served).
    pub x: Vec<Value>,
    /// YouTube commentThread resources (`part=snippet`).
    pub youtube: Vec<Value>,
    /// Press items (`feed`, `guid`?, `title`, `link`, `description`, `published`,
    /// `author`?), served per feed as RSS 2.0 or Atom.
    pub rss: Vec<Value>,
    /// Bluesky Jetstream events (`did`, `time_us`, `kind`, `commit`), any order; served
    /// in `time_us` order over a WebSocket.
    pub bluesky: Vec<Value>,
}

impl Dataset {
    /// Loads sample files; each file's platform is the name of its directory.
    pub fn from_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Self, DatasetError> {
        let mut dataset = Dataset::default();
        for path in paths {
            dataset.add_file(path.as_ref())?;
        }
        Ok(dataset)
    }

    pub fn add_file(&mut self, path: &Path) -> Result<(), DatasetError> {
        let platform = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let items: Vec<Value> =
            serde_json::from_str(&text).map_err(|source| DatasetError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        match platform.as_str() {
            "mastodon" => self.mastodon.extend(items),
            "hacker_news" => self.hacker_news.extend(items),
            "reddit" => self.reddit.extend(items),
            "x" => self.x.extend(items),
            "youtube" => self.youtube.extend(items),
            "rss" => self.rss.extend(items),
            "bluesky" => self.bluesky.extend(items),
            _ => {
                return Err(DatasetError::UnknownPlatform {
                    path: path.to_path_buf(),
                });
            }
        }
        Ok(())
    }
}
