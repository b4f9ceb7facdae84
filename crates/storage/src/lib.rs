//! Everything Earshot keeps in ClickHouse: the schema and its migrations, the mention
//! writes that feed the rollups, and the reads that dashboards, the demo summary and
//! the detector make. Every statement is run on ClickHouse 18.16 and on the current
//! engine (26.x) by `tests/engines.rs`.

mod alerts;
mod config;
mod internal_events;
mod isolate;
mod migrations;
mod queries;
mod retention;
mod rollups;
mod rows;
mod schema;
mod store;

pub use alerts::{
    AlertRow, ExampleMention, ExampleQuery, MentionColumn, OriginFilter, RaisedAlert, RollupCount,
    RollupGrain,
};
pub use config::{ClickHouseConfig, Compression, RetentionConfig};
pub use isolate::{Rejected, write_isolating_rejects};
pub use migrations::{MIGRATIONS, Migration};
pub use queries::{BrandMix, Dimension, LanguageMinute, RollupTotals, TotalsSource};
pub use retention::RetentionReport;
pub use rollups::TouchedBuckets;
pub use rows::{MentionRow, Origin8};
pub use schema::{LOCAL_SUFFIX, SchemaTarget};
pub use store::{Store, escape_identifier, schema_sql};

/// Errors from ClickHouse, with what Earshot was doing when it happened.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("clickhouse.{key}: {problem}")]
    Config { key: &'static str, problem: String },
    /// The server rejected a schema statement: retrying will not help.
    #[error("migration {migration} ({name}): ClickHouse rejected `{statement}`: {message}")]
    Statement {
        migration: u32,
        name: &'static str,
        statement: String,
        message: String,
    },
    #[error("{action}: {source}")]
    ClickHouse {
        action: String,
        #[source]
        source: clickhouse::error::Error,
    },
}

impl Error {
    /// Whether retrying the same call can succeed (a server that is down, slow or out
    /// of memory), as opposed to configuration and statements it will always reject.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Config { .. } | Error::Statement { .. } => false,
            Error::ClickHouse { source, .. } => match source {
                clickhouse::error::Error::BadResponse(message) => {
                    server_error_code(message).is_none_or(is_transient_code)
                }
                clickhouse::error::Error::InvalidParams(_) => false,
                _ => true,
            },
        }
    }
}

impl Error {
    /// Whether the server refused the *data* (a value it cannot parse, convert or store,
    /// a violated constraint), so that some rows, written without the others, would
    /// go through. A statement it cannot run at all (unknown table, syntax) is neither
    /// this nor transient: it needs an operator, and dead-lettering every record would
    /// only lose them.
    pub fn is_row_rejection(&self) -> bool {
        match self {
            Error::ClickHouse {
                source: clickhouse::error::Error::BadResponse(message),
                ..
            } => server_error_code(message).is_some_and(is_row_rejection_code),
            _ => false,
        }
    }

    /// `transient`, `rejected` (rows) or `statement`, for metrics and logs.
    pub fn class(&self) -> &'static str {
        if self.is_transient() {
            "transient"
        } else if self.is_row_rejection() {
            "rejected"
        } else {
            "statement"
        }
    }
}

/// Server error codes about a value in the data rather than the statement.
pub fn is_row_rejection_code(code: u32) -> bool {
    matches!(
        code,
        6 // CANNOT_PARSE_TEXT
        | 27 // CANNOT_PARSE_INPUT_ASSERTION_FAILED
        | 33 // CANNOT_READ_ALL_DATA
        | 41 // CANNOT_PARSE_DATETIME
        | 53 // TYPE_MISMATCH
        | 69 // ARGUMENT_OUT_OF_BOUND
        | 70 // CANNOT_CONVERT_TYPE
        | 72 // CANNOT_PARSE_NUMBER
        | 117 // INCORRECT_DATA
        | 131 // TOO_LARGE_STRING_SIZE
        | 469 // VIOLATED_CONSTRAINT
    )
}

/// The `Code: N` that ClickHouse puts at the start of an error message.
pub fn server_error_code(message: &str) -> Option<u32> {
    let rest = &message[message.find("Code: ")? + 6..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Codes a schema statement gets when another migrator changed the same object at the
/// same moment: the statement is sound, and running it again after the other one
/// finished succeeds.
pub fn is_concurrent_schema_change_code(code: u32) -> bool {
    matches!(
        code,
        57 // TABLE_ALREADY_EXISTS (CREATE ... IF NOT EXISTS racing another CREATE)
        | 60 // UNKNOWN_TABLE (dropped between check and use)
        | 218 // TABLE_IS_DROPPED
        | 473 // DEADLOCK_AVOIDED (a DDL lock another migrator holds)
    )
}

/// Server error codes that mean "try again later", not "this statement is wrong".
pub fn is_transient_code(code: u32) -> bool {
    matches!(
        code,
        3 // UNEXPECTED_END_OF_FILE
        | 159 // TIMEOUT_EXCEEDED
        | 164 // READONLY (a replica that lost its keeper session)
        | 202 // TOO_MANY_SIMULTANEOUS_QUERIES
        | 209 // SOCKET_TIMEOUT
        | 210 // NETWORK_ERROR
        | 225 // NO_ZOOKEEPER
        | 241 // MEMORY_LIMIT_EXCEEDED
        | 242 // TABLE_IS_READ_ONLY
        | 252 // TOO_MANY_PARTS
        | 319 // UNKNOWN_STATUS_OF_INSERT
        | 394 // QUERY_WAS_CANCELLED
        | 425 // SYSTEM_ERROR
        | 999 // KEEPER_EXCEPTION
    )
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

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn server_codes_are_read_from_messages() {
        assert_eq!(
            server_error_code("Code: 206. DB::Exception: No alias for subquery"),
            Some(206)
        );
        assert_eq!(
            server_error_code("Code: 241, e.displayText() = ..."),
            Some(241)
        );
        assert_eq!(server_error_code("connection refused"), None);
    }

    #[test]
    fn a_rejected_statement_is_not_transient_and_a_busy_server_is() {
        let bad = |m: &str| Error::ClickHouse {
            action: "x".into(),
            source: clickhouse::error::Error::BadResponse(m.into()),
        };
        assert!(!bad("Code: 62. DB::Exception: Syntax error").is_transient());
        assert!(bad("Code: 241. DB::Exception: Memory limit (total) exceeded").is_transient());
        assert!(bad("502 Bad Gateway").is_transient());
        let statement = Error::Statement {
            migration: 2,
            name: "views",
            statement: "CREATE VIEW".into(),
            message: "Code: 206".into(),
        };
        assert!(!statement.is_transient());
        assert_eq!(statement.class(), "statement");
        assert_eq!(
            bad("Code: 62. DB::Exception: Syntax error").class(),
            "statement"
        );
        assert_eq!(
            bad("Code: 60. DB::Exception: Table x doesn't exist").class(),
            "statement"
        );
        assert_eq!(
            bad("Code: 252. DB::Exception: Too many parts").class(),
            "transient"
        );
        assert_eq!(
            bad("Code: 469. DB::Exception: Constraint `c` for table t is violated").class(),
            "rejected"
        );
        assert!(bad("Code: 27. DB::Exception: Cannot parse input").is_row_rejection());
        assert!(!bad("connection reset").is_row_rejection());
    }
}
