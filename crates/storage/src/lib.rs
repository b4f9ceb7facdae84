//! Everything Earshot keeps in ClickHouse: the schema and its migrations, the mention
//! writes that feed the rollups, and the reads that dashboards, the demo summary and
//! the detector make. All SQL runs on ClickHouse 18.16 as well as current releases.

mod alerts;
mod config;
mod migrations;
mod queries;
mod retention;
mod rows;
mod store;

pub use alerts::{
    AlertRow, ExampleMention, ExampleQuery, MentionColumn, OriginFilter, RaisedAlert, RollupCount,
    RollupGrain,
};
pub use config::{ClickHouseConfig, RetentionConfig};
pub use migrations::{MIGRATIONS, Migration};
pub use queries::{BrandMix, Dimension, LanguageMinute, RollupTotals, TotalsSource};
pub use retention::RetentionReport;
pub use rows::{MentionRow, Origin8};
pub use store::{Store, escape_identifier};

/// Errors from ClickHouse, with what Earshot was doing when it happened.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("clickhouse.{key}: {problem}")]
    Config { key: &'static str, problem: String },
    #[error("{action}: {source}")]
    ClickHouse {
        action: String,
        #[source]
        source: clickhouse::error::Error,
    },
}

pub(crate) trait Context<T> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, clickhouse::error::Error> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|source| Error::ClickHouse {
            action: action(),
            source,
        })
    }
}
